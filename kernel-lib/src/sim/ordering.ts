/**
 * Chemical orderings: which species sits on which site.
 * - 'pure': one species everywhere;
 * - 'L10': layered AB (CuAu-type): A on the fcc sites with z = 0 (corner and (½,½,0)), B on z = c/2;
 * - 'L12': A₃B (Cu₃Au-type): B on cube corners, A on face centres;
 * - 'random': a random solid solution with EXACT counts round(fraction · n) per species (largest
 *   remainders fill the rounding gap), shuffled with the seeded generator;
 * - 'core-shell': `coreSpecies` within coreRadiusFraction × (largest atom radius), `shellSpecies` outside.
 */
import { PannError } from '../core/errors';
import type { Rng } from '../core/rng';

export type OrderingKind = 'pure' | 'L10' | 'L12' | 'random' | 'core-shell';

/** Exact species counts for n atoms from fractions (largest-remainder rounding, ties to the listed order). */
export function exactCounts(composition: Record<string, number>, n: number): Record<string, number> {
  const species = Object.keys(composition);
  const total = species.reduce((s, k) => s + composition[k], 0);
  if (!(total > 0) || species.some((k) => !(composition[k] >= 0))) {
    throw new PannError('OPTION', `composition fractions must be ≥ 0 and not all zero, got ${JSON.stringify(composition)}`, { field: 'composition' });
  }
  const raw = species.map((k) => (composition[k] / total) * n);
  const counts = raw.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = species.map((_, i) => i).sort((i, j) => raw[j] - counts[j] - (raw[i] - counts[i]) || i - j);
  for (let q = 0; left > 0; q++, left--) counts[order[q % order.length]]++;
  return Object.fromEntries(species.map((k, i) => [k, counts[i]]));
}

/** Random solid solution: exact counts per species, seeded Fisher–Yates shuffle. */
export function randomAlloySpecies(composition: Record<string, number>, n: number, rng: Rng): string[] {
  const counts = exactCounts(composition, n);
  const out: string[] = [];
  for (const [sp, c] of Object.entries(counts)) for (let i = 0; i < c; i++) out.push(sp);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/**
 * Species of fcc sites under an ordered structure.
 * @param ordering 'L10' or 'L12'
 * @param sublattice fcc basis index per site (0 corner, 1 (½,½,0), 2 (½,0,½), 3 (0,½,½))
 * @param speciesA L1₀: species on z = 0 planes; L1₂: majority species on face centres
 * @param speciesB L1₀: species on z = c/2 planes; L1₂: minority species on corners
 */
export function orderedSpecies(ordering: 'L10' | 'L12', sublattice: Uint8Array, speciesA: string, speciesB: string): string[] {
  const out = new Array<string>(sublattice.length);
  for (let i = 0; i < sublattice.length; i++) {
    const b = sublattice[i];
    out[i] = ordering === 'L10' ? (b <= 1 ? speciesA : speciesB) : b === 0 ? speciesB : speciesA;
  }
  return out;
}

/**
 * Core–shell assignment by distance from the particle centre (the origin).
 * @param positionsA x, y, z per atom (Å), centred on the particle
 * @param coreRadiusFraction core radius as a fraction (0–1) of the largest atom distance from the centre
 */
export function coreShellSpecies(positionsA: Float64Array, coreSpecies: string, shellSpecies: string, coreRadiusFraction: number): string[] {
  if (!(coreRadiusFraction >= 0 && coreRadiusFraction <= 1)) {
    throw new PannError('OPTION', `coreRadiusFraction must be in [0, 1], got ${coreRadiusFraction}`, { field: 'coreRadiusFraction' });
  }
  const n = positionsA.length / 3;
  let rMax = 0;
  for (let a = 0; a < n; a++) rMax = Math.max(rMax, Math.hypot(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]));
  const rCore = coreRadiusFraction * rMax + 1e-9;
  const out = new Array<string>(n);
  for (let a = 0; a < n; a++) out[a] = Math.hypot(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]) <= rCore ? coreSpecies : shellSpecies;
  return out;
}

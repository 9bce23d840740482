/**
 * Defects and perturbations applied to a particle centred at the origin (positions in Å). Each returns a
 * new selection / new positions; all randomness comes from the given seeded generator.
 */
import type { Rng } from '../core/rng';
import { coordinationNumbers } from './neighbours';

/**
 * Indices of atoms to keep after removing a random `fraction` (0–1) of all atoms (vacancies);
 * exactly round(fraction · n) are removed.
 */
export function keepAfterVacancies(n: number, fraction: number, rng: Rng): Uint8Array {
  const keep = new Uint8Array(n).fill(1);
  const remove = Math.round(Math.min(1, Math.max(0, fraction)) * n);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < remove; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    keep[idx[i]] = 0;
  }
  return keep;
}

/**
 * Surface atoms: atoms with fewer than `bulkCoordination` neighbours within `cutoffA`.
 * @param positionsA x, y, z per atom (Å)
 * @param cutoffA neighbour shell cutoff (Å), e.g. 1.2 × nearest-neighbour distance
 * @param bulkCoordination full coordination (12 for fcc/hcp and twinned clusters, 8 for bcc)
 */
export function surfaceMask(positionsA: Float64Array, cutoffA: number, bulkCoordination: number): Uint8Array {
  const cn = coordinationNumbers(positionsA, cutoffA);
  const out = new Uint8Array(cn.length);
  for (let i = 0; i < cn.length; i++) out[i] = cn[i] < bulkCoordination ? 1 : 0;
  return out;
}

/**
 * Surface roughness: removes a random `fraction` (0–1) of the surface atoms (exactly round(fraction · nSurface)).
 * @returns keep mask (1 keep, 0 removed)
 */
export function keepAfterRoughening(surface: Uint8Array, fraction: number, rng: Rng): Uint8Array {
  const n = surface.length;
  const keep = new Uint8Array(n).fill(1);
  const surfIdx: number[] = [];
  for (let i = 0; i < n; i++) if (surface[i]) surfIdx.push(i);
  const sub = keepAfterVacancies(surfIdx.length, fraction, rng);
  for (let q = 0; q < surfIdx.length; q++) if (!sub[q]) keep[surfIdx[q]] = 0;
  return keep;
}

/**
 * Radial strain field, in place: r → r · (1 + ε/2 · r/R), so the local radial strain grows linearly from
 * 0 at the centre to ε at the surface (R = largest atom radius) and the tangential strain to ε/2.
 * Positive ε expands the surface shell (as for a smaller-lattice core), negative compresses it.
 * @param strainPercent ε in percent
 */
export function applyRadialStrain(positionsA: Float64Array, strainPercent: number): void {
  const eps = strainPercent / 100;
  const n = positionsA.length / 3;
  let R = 0;
  for (let a = 0; a < n; a++) R = Math.max(R, Math.hypot(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]));
  if (R === 0 || eps === 0) return;
  for (let a = 0; a < n; a++) {
    const r = Math.hypot(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]);
    const f = 1 + (eps / 2) * (r / R);
    for (let d = 0; d < 3; d++) positionsA[3 * a + d] *= f;
  }
}

/**
 * Frozen thermal displacements, in place: independent Gaussian offsets with σ = rmsPm / 100 Å per axis
 * (rmsPm is the one-axis RMS displacement, √⟨u_x²⟩, as in the isotropic Debye–Waller u_iso^½).
 */
export function applyThermalDisplacement(positionsA: Float64Array, rmsPm: number, rng: Rng): void {
  if (!(rmsPm > 0)) return;
  const s = rmsPm / 100;
  for (let i = 0; i < positionsA.length; i++) positionsA[i] += s * rng.normal();
}

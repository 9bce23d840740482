/**
 * Amorphous particles: random sequential addition of atoms with a hard minimum distance, until a target
 * number density is reached. It yields a disordered, liquid-like packing (no lattice, physical nearest
 * neighbours) — good enough as an amorphous Si/Ge-like test object at AET resolution, though it has no
 * tetrahedral bond order.
 */
import { PannError } from '../core/errors';
import type { Rng } from '../core/rng';
import { CellGrid } from './neighbours';

/** Number density (atoms/Å³) and hard-core minimum distance (Å) of common amorphous solids. */
export const AMORPHOUS_DEFAULTS: Readonly<Record<string, { numberDensityPerA3: number; minDistanceA: number }>> = {
  // a-Si: 2.28 g/cm³ ≈ 0.049 atoms/Å³, bond length 2.35 Å.
  Si: { numberDensityPerA3: 0.049, minDistanceA: 2.25 },
  // a-Ge: 5.1 g/cm³ ≈ 0.042 atoms/Å³, bond length 2.45 Å.
  Ge: { numberDensityPerA3: 0.042, minDistanceA: 2.35 },
  // a-C (sputtered): 2.0 g/cm³ ≈ 0.1 atoms/Å³, bonds 1.42–1.54 Å.
  C: { numberDensityPerA3: 0.1, minDistanceA: 1.35 },
};

/**
 * Random close packing inside a region.
 * @param inside predicate on (x, y, z) Å selecting the region (centred on the origin)
 * @param radiusA radius (Å) of a sphere about the origin containing the region
 * @param volumeA3 volume of the region (Å³), used with the density to set the atom count
 * @param numberDensityPerA3 target density (atoms/Å³)
 * @param minDistanceA hard minimum distance between atoms (Å)
 * @param rng seeded generator
 * @returns x, y, z per atom (Å)
 */
export function randomClosePacking(
  inside: (x: number, y: number, z: number) => boolean,
  radiusA: number,
  volumeA3: number,
  numberDensityPerA3: number,
  minDistanceA: number,
  rng: Rng,
): Float64Array {
  const target = Math.max(1, Math.round(numberDensityPerA3 * volumeA3));
  // Random sequential addition jams near a packing fraction of 0.38; refuse hopeless requests up front.
  const packing = (numberDensityPerA3 * Math.PI * minDistanceA ** 3) / 6;
  if (packing > 0.33) {
    throw new PannError(
      'OPTION',
      `amorphous packing fraction ${packing.toFixed(2)} (density ${numberDensityPerA3} /Å³ with minimum distance ${minDistanceA} Å) is above what random packing reaches (≈0.33); lower one of them`,
      { field: 'amorphous' },
    );
  }
  const grid = new CellGrid([-radiusA, -radiusA, -radiusA], [radiusA, radiusA, radiusA], minDistanceA, target);
  const out = new Float64Array(3 * target);
  let placed = 0;
  const maxTries = 2000 * target;
  for (let tries = 0; placed < target && tries < maxTries; tries++) {
    const x = (2 * rng.uniform() - 1) * radiusA;
    const y = (2 * rng.uniform() - 1) * radiusA;
    const z = (2 * rng.uniform() - 1) * radiusA;
    if (!inside(x, y, z) || grid.anyWithin(x, y, z, minDistanceA)) continue;
    grid.add(x, y, z);
    out[3 * placed] = x;
    out[3 * placed + 1] = y;
    out[3 * placed + 2] = z;
    placed++;
  }
  if (placed < target) {
    throw new PannError('VALUE', `amorphous packing placed only ${placed} of ${target} atoms; lower the density or the minimum distance`, {
      field: 'amorphous',
    });
  }
  return out;
}

/** Small helpers shared by the simulator tests (not a test file itself). */
import { CellGrid } from '../../kernel-lib/src/sim/neighbours';
import { rotationCentreA } from '../../kernel-lib/src/core/frame';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

/** Atoms given as [species, dx, dy, dz] in Å from the rotation centre of a volume frame. */
export function atomsAroundCentre(shape: Shape3, voxelSizeA: number, list: [string, number, number, number][]): AtomicModel {
  const c = rotationCentreA(shape, voxelSizeA);
  return {
    positionsA: Float64Array.from(list.flatMap(([, x, y, z]) => [c[0] + x, c[1] + y, c[2] + z])),
    species: list.map(([s]) => s),
  };
}

/** Indices of neighbours of atom `a` within `cutoffA`. */
export function neighboursOf(positionsA: Float64Array, a: number, cutoffA: number): number[] {
  const grid = CellGrid.of(positionsA, cutoffA);
  const out: number[] = [];
  grid.forEachWithin(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2], cutoffA, a, (i) => {
    out.push(i);
  });
  return out;
}

/** Index of the atom nearest to point p. */
export function nearestAtom(positionsA: Float64Array, p: [number, number, number]): number {
  let best = -1,
    bd = Infinity;
  for (let a = 0; a < positionsA.length / 3; a++) {
    const d = Math.hypot(positionsA[3 * a] - p[0], positionsA[3 * a + 1] - p[1], positionsA[3 * a + 2] - p[2]);
    if (d < bd) {
      bd = d;
      best = a;
    }
  }
  return best;
}

/** Positions relative to their centroid. */
export function centred(positionsA: Float64Array): Float64Array {
  const n = positionsA.length / 3;
  const c = [0, 0, 0];
  for (let a = 0; a < n; a++) for (let d = 0; d < 3; d++) c[d] += positionsA[3 * a + d] / n;
  return positionsA.map((v, i) => v - c[i % 3]);
}

/** Trilinear sampling of a volume at points given in Å: the per-atom "peak" reading of every classifier. */
import type { Volume } from './types';

// Bound once: Math.* looked up in the loop is ~10× slower under jest's module wrapper.
const { floor, min, max } = Math;

/**
 * Trilinear interpolation of `volume` at each point, between voxel centres ((i, j, k) · voxelSizeA):
 * exact at a centre, linear between neighbours. Points beyond a face read the face (clamped), so
 * atoms traced on the border still get a finite value; axes of one voxel are constant.
 * @param volume `[nz, ny, nx]`, isotropic voxels of `voxelSizeA` Å
 * @param positionsA x, y, z in Å (volume frame), 3 per point
 * @returns one value per point, in the volume's units
 */
export function sampleTrilinear(volume: Volume, positionsA: Float64Array): Float64Array {
  const [nz, ny, nx] = volume.shape;
  const h = volume.voxelSizeA;
  const d = volume.data;
  const n = floor(positionsA.length / 3);
  const out = new Float64Array(n);
  // Lower corner of the last cell: a point on the far face takes weight 1 on the face voxel.
  const iMax = max(nx - 2, 0),
    jMax = max(ny - 2, 0),
    kMax = max(nz - 2, 0);
  for (let a = 0; a < n; a++) {
    const x = min(max(positionsA[3 * a] / h, 0), nx - 1),
      y = min(max(positionsA[3 * a + 1] / h, 0), ny - 1),
      z = min(max(positionsA[3 * a + 2] / h, 0), nz - 1);
    const i = min(floor(x), iMax),
      j = min(floor(y), jMax),
      k = min(floor(z), kMax);
    const fx = x - i,
      fy = y - j,
      fz = z - k;
    let acc = 0;
    for (let dz = 0; dz <= 1; dz++)
      for (let dy = 0; dy <= 1; dy++)
        for (let dx = 0; dx <= 1; dx++) {
          const w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz);
          // Zero weights are skipped: on a one-voxel axis the +1 neighbour does not exist.
          if (w === 0) continue;
          acc += w * d[((k + dz) * ny + (j + dy)) * nx + (i + dx)];
        }
    out[a] = acc;
  }
  return out;
}

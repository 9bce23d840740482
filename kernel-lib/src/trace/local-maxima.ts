/** 3D local maxima over the 26-neighbourhood. */
import type { Shape3 } from '../core/types';

/**
 * Flat indices of the voxels that are local maxima of `data` over their 26 neighbours and ≥ `floor`.
 * Ties (plateaus) are broken by flat index so a flat plateau gives one maximum, not many: a voxel
 * must be strictly greater than neighbours that come before it and ≥ those after it. The outermost
 * layer of voxels is skipped (an incomplete neighbourhood would turn the volume edge into maxima).
 * @param data C-order volume [nz, ny, nx]
 * @param shape [nz, ny, nx]
 * @param floor intensity floor (volume units); maxima below it are not reported
 */
export function findLocalMaxima(data: Float32Array, shape: Shape3, floor: number): Int32Array {
  const [nz, ny, nx] = shape;
  const sxy = nx * ny;
  const offsets: number[] = [];
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) if (dx || dy || dz) offsets.push(dz * sxy + dy * nx + dx);
  offsets.sort((a, b) => a - b); // the first 13 come before the voxel, the last 13 after
  const off = Int32Array.from(offsets);
  let found = new Int32Array(1024);
  let n = 0;
  for (let k = 1; k < nz - 1; k++) {
    for (let j = 1; j < ny - 1; j++) {
      const row = k * sxy + j * nx;
      for (let i = 1; i < nx - 1; i++) {
        const idx = row + i;
        const v = data[idx];
        if (!(v >= floor)) continue;
        let isMax = true;
        for (let q = 0; q < 13; q++) {
          if (data[idx + off[q]] >= v) {
            isMax = false;
            break;
          }
        }
        if (!isMax) continue;
        for (let q = 13; q < 26; q++) {
          if (data[idx + off[q]] > v) {
            isMax = false;
            break;
          }
        }
        if (!isMax) continue;
        if (n === found.length) {
          const bigger = new Int32Array(found.length * 2);
          bigger.set(found);
          found = bigger;
        }
        found[n++] = idx;
      }
    }
  }
  return found.slice(0, n);
}

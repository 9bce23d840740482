/**
 * The frame of the Miao-group AET data (GENFIRE/RESIRE MATLAB code, e.g. the published aSi case in
 * test/fixtures/asi-2nm-lowdose) versus this project's frame.
 *
 * Their projections are MATLAB arrays P(row, col, k) and their atomic coordinates (Å, centred on the
 * rotation centre) have the tilt axis along their x, which runs along the MATLAB column index.
 * We read P as [k, y = col, x = row] (tilt-series.ts: no data movement) so that our tilt axis is y.
 * The same points in our frame are then the proper (right-handed) relabelling
 *   (x, y, z)_ours = (y, x, −z)_theirs + rotation centre,
 * with the tilt angles used exactly as given ([0, θ, 0], R = Ry(θ)).
 * Evidence (test/io/tilt-series.test.ts): with this map, the 208 ground-truth atoms projected by
 * sim/project-atoms at the file's 60 angles correlate 0.90–0.91 with every measured projection at
 * zero shift; with the opposite handedness ((y, x, +z)) 0.59–0.66 away from θ ≈ 0°/180°, and against
 * the transposed images ≈ 0.65.
 */
import { rotationCentreA } from '../core/frame';
import { PannError } from '../core/errors';
import type { AtomicModel, Shape3 } from '../core/types';

/**
 * Converts centred Miao-group coordinates (tilt axis along their x) to this project's volume frame.
 * @param model atoms with positions in Å relative to the rotation centre, in the Miao-group frame
 * @param volumeShape [nz, ny, nx] of the volume frame (sets the rotation centre)
 * @param voxelSizeA voxel edge in Å
 * @returns a new model (species, scores and probabilities shared) with positions in our frame, Å
 */
export function miaoToVolumeFrame(model: AtomicModel, volumeShape: Shape3, voxelSizeA: number): AtomicModel {
  const n = model.species.length;
  if (model.positionsA.length !== 3 * n)
    throw new PannError('SHAPE', `positionsA has ${model.positionsA.length} values for ${n} atoms`, { field: 'positionsA' });
  const [cx, cy, cz] = rotationCentreA(volumeShape, voxelSizeA);
  const p = model.positionsA;
  const out = new Float64Array(3 * n);
  for (let a = 0; a < n; a++) {
    out[3 * a] = p[3 * a + 1] + cx;
    out[3 * a + 1] = p[3 * a] + cy;
    out[3 * a + 2] = -p[3 * a + 2] + cz;
  }
  return { ...model, positionsA: out };
}

/**
 * Inverse of {@link miaoToVolumeFrame}: our volume-frame positions to centred Miao-group coordinates.
 * @param model atoms in our volume frame (Å)
 * @param volumeShape [nz, ny, nx] of the volume frame
 * @param voxelSizeA voxel edge in Å
 */
export function volumeFrameToMiao(model: AtomicModel, volumeShape: Shape3, voxelSizeA: number): AtomicModel {
  const [cx, cy, cz] = rotationCentreA(volumeShape, voxelSizeA);
  const n = model.species.length, p = model.positionsA;
  const out = new Float64Array(3 * n);
  for (let a = 0; a < n; a++) {
    out[3 * a] = p[3 * a + 1] - cy;
    out[3 * a + 1] = p[3 * a] - cx;
    out[3 * a + 2] = -(p[3 * a + 2] - cz);
  }
  return { ...model, positionsA: out };
}

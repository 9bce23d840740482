/**
 * Putting a ground-truth model into the volume frame of a reconstruction. Published AET ground truths
 * (e.g. the Miao group's tables) give positions relative to the particle centre, while pann-aet models
 * live in the volume frame (origin at voxel (0, 0, 0)); the rotation centre maps one onto the other.
 */
import { rotationCentreA } from '../core/frame';
import type { AtomicModel, Shape3 } from '../core/types';

/**
 * - 'volume': positions already in the volume frame;
 * - 'centred': relative to the rotation centre, same axes;
 * - 'matlab-centred': relative to the rotation centre in the axes of the MATLAB AET codes (GENFIRE/RESIRE
 *   tables such as the published aSi ground truth), whose (x, y, z) is our (y, x, −z): the first MATLAB
 *   array index is our x (see docs/formats.md), so their x and y swap and z flips to keep a proper
 *   rotation. Measured on test/fixtures/asi-2nm-lowdose: all 208 atoms within 0.8 Å with this mapping; the
 *   best of the other 47 signed axis permutations matches 50 (kernel-lib/src/recon/README.md);
 * - 'auto': 'volume' or 'centred', decided from the centroid (see below).
 */
export type TruthFrame = 'volume' | 'centred' | 'matlab-centred' | 'auto';

/**
 * Returns the model in the volume frame. 'auto' treats the model as centred when its centroid lies
 * closer to the origin than to the rotation centre (a particle sits near the rotation centre in any
 * usable tilt series, so the two cases are far apart).
 */
export function truthInVolumeFrame(model: AtomicModel, volumeShape: Shape3, voxelSizeA: number, frame: TruthFrame = 'auto'): AtomicModel {
  const c = rotationCentreA(volumeShape, voxelSizeA);
  const n = model.species.length;
  let centred = frame === 'centred' || frame === 'matlab-centred';
  if (frame === 'auto' && n > 0) {
    const m = [0, 0, 0];
    for (let a = 0; a < n; a++) for (let d = 0; d < 3; d++) m[d] += model.positionsA[3 * a + d] / n;
    const dOrigin = Math.hypot(m[0], m[1], m[2]);
    const dCentre = Math.hypot(m[0] - c[0], m[1] - c[1], m[2] - c[2]);
    centred = dOrigin < dCentre;
  }
  if (!centred) return model;
  const positionsA = new Float64Array(model.positionsA);
  if (frame === 'matlab-centred') {
    for (let a = 0; a < n; a++) {
      const [x, y, z] = [positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]];
      positionsA[3 * a] = y;
      positionsA[3 * a + 1] = x;
      positionsA[3 * a + 2] = -z;
    }
  }
  for (let a = 0; a < n; a++) for (let d = 0; d < 3; d++) positionsA[3 * a + d] += c[d];
  return { ...model, positionsA };
}

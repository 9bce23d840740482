/**
 * Putting a ground-truth model into the volume frame of a reconstruction. Published AET ground truths
 * (e.g. the Miao group's tables) give positions relative to the particle centre, while pann-aet models
 * live in the volume frame (origin at voxel (0, 0, 0)); the rotation centre maps one onto the other.
 */
import { rotationCentreA } from '../core/frame';
import type { AtomicModel, Shape3 } from '../core/types';

/** 'volume': positions already in the volume frame; 'centred': relative to the rotation centre; 'auto': decide (see below). */
export type TruthFrame = 'volume' | 'centred' | 'auto';

/**
 * Returns the model in the volume frame. 'auto' treats the model as centred when its centroid lies
 * closer to the origin than to the rotation centre (a particle sits near the rotation centre in any
 * usable tilt series, so the two cases are far apart).
 */
export function truthInVolumeFrame(model: AtomicModel, volumeShape: Shape3, voxelSizeA: number, frame: TruthFrame = 'auto'): AtomicModel {
  const c = rotationCentreA(volumeShape, voxelSizeA);
  const n = model.species.length;
  let centred = frame === 'centred';
  if (frame === 'auto' && n > 0) {
    const m = [0, 0, 0];
    for (let a = 0; a < n; a++) for (let d = 0; d < 3; d++) m[d] += model.positionsA[3 * a + d] / n;
    const dOrigin = Math.hypot(m[0], m[1], m[2]);
    const dCentre = Math.hypot(m[0] - c[0], m[1] - c[1], m[2] - c[2]);
    centred = dOrigin < dCentre;
  }
  if (!centred) return model;
  const positionsA = new Float64Array(model.positionsA);
  for (let a = 0; a < n; a++) for (let d = 0; d < 3; d++) positionsA[3 * a + d] += c[d];
  return { ...model, positionsA };
}

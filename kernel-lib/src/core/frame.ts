/**
 * Where the rotation centre sits in Å for a tilt series, so that atomic models, volumes and
 * projections share one frame. The reconstruction volume of a tilt series [nAngles, ny, nx] is, by
 * default, [nz = nx, ny, nx] with voxel = pixel, and its rotation centre is voxel (⌊nx/2⌋, ⌊ny/2⌋, ⌊nz/2⌋).
 */
import { volumeCentreVoxel } from './geometry';
import type { Shape3 } from './types';

/** Default reconstruction shape [nz, ny, nx] for a tilt series [nAngles, ny, nx]. */
export function defaultVolumeShape(tiltShape: Shape3): Shape3 {
  return [tiltShape[2], tiltShape[1], tiltShape[2]];
}

/** Rotation centre (x, y, z) in Å of a volume of the given shape and voxel size. */
export function rotationCentreA(volumeShape: Shape3, voxelSizeA: number): [number, number, number] {
  const [ci, cj, ck] = volumeCentreVoxel(volumeShape);
  return [ci * voxelSizeA, cj * voxelSizeA, ck * voxelSizeA];
}

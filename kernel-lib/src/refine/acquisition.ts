/**
 * The acquisition context GLARE's global branch is given beside the downsampled volume: the tilt
 * geometry that shapes the missing wedge (what a local patch can only guess from noisy voxels) and
 * the voxel edge. Pure function, dimensionless features of order 1.
 */
import type { EulerZYZDeg } from '../core/types';

/** Number of acquisition features the network takes. */
export const ACQUISITION_FEATURES = 5;

/**
 * Feature vector [known, θmin/90°, θmax/90°, mean step/3°, (voxel − 0.575 Å)/0.175 Å].
 * Without angles (or for a series that is not single-axis) the first four are 0: "geometry unknown",
 * a case GLARE is also trained on.
 * @param anglesDeg ZYZ Euler triples (degrees) of the tilt series; the tilt is the middle angle θ
 * @param voxelSizeA voxel edge of the grid the network sees, Å
 */
export function acquisitionFeatures(
  anglesDeg: readonly EulerZYZDeg[] | undefined,
  voxelSizeA: number,
): Float32Array {
  const f = new Float32Array(ACQUISITION_FEATURES);
  f[4] = (voxelSizeA - 0.575) / 0.175;
  if (!anglesDeg || anglesDeg.length < 2 || !anglesDeg.every(([phi, , psi]) => phi === 0 && psi === 0))
    return f;
  let lo = Infinity,
    hi = -Infinity;
  for (const a of anglesDeg) {
    lo = a[1] < lo ? a[1] : lo;
    hi = a[1] > hi ? a[1] : hi;
  }
  f[0] = 1;
  f[1] = lo / 90;
  f[2] = hi / 90;
  f[3] = (hi - lo) / (anglesDeg.length - 1) / 3;
  return f;
}

/**
 * The features of a volume mirrored by a flip mask (1 = x, 2 = y, 4 = z; refine/volume-ops flipCube):
 * mirroring x or z alone turns a tilt θ about y into −θ, so the range [θmin, θmax] becomes
 * [−θmax, −θmin]; mirroring y, or x and z together, keeps it.
 */
export function mirroredAcquisition(f: Float32Array, flipMask: number): Float32Array {
  const out = f.slice();
  if (f[0] !== 0 && (flipMask & 1 ? 1 : 0) !== (flipMask & 4 ? 1 : 0)) {
    out[1] = -f[2];
    out[2] = -f[1];
  }
  return out;
}

/** The same features with the tilt geometry hidden (features 0–3 zero; the voxel edge kept): what GLARE sees without angles. */
export function withoutGeometry(f: Float32Array): Float32Array {
  const out = f.slice();
  out.fill(0, 0, 4);
  return out;
}

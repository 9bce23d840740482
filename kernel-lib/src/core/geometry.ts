/**
 * Projection geometry shared by the simulator, the projector and the R-factor, so that all agree.
 *
 * - Rotation centre of a volume [nz, ny, nx]: voxel index (⌊nx/2⌋, ⌊ny/2⌋, ⌊nz/2⌋) (GENFIRE/RESIRE
 *   convention, the FFT centre), i.e. (⌊nx/2⌋, ⌊ny/2⌋, ⌊nz/2⌋) · voxelSizeA in Å.
 * - Detector centre of a projection [ny, nx]: pixel (⌊nx/2⌋, ⌊ny/2⌋).
 * - Euler angles (φ, θ, ψ) in degrees, ZYZ: R = Rz(φ) · Ry(θ) · Rz(ψ). A point r (Å, relative to the
 *   rotation centre) is rotated to r' = R · r and projected along z: detector u = r'_x, v = r'_y.
 *   A single-axis tilt series is [0, θ, 0]: a rotation about y, so detector rows (v) are the tilt axis.
 */
import type { EulerZYZDeg, Shape3 } from './types';

/** 3×3 rotation matrix, row major. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

const DEG = Math.PI / 180;

/** R = Rz(φ) · Ry(θ) · Rz(ψ), angles in degrees. */
export function rotationZYZ([phiDeg, thetaDeg, psiDeg]: EulerZYZDeg): Mat3 {
  const [c1, s1] = [Math.cos(phiDeg * DEG), Math.sin(phiDeg * DEG)];
  const [c2, s2] = [Math.cos(thetaDeg * DEG), Math.sin(thetaDeg * DEG)];
  const [c3, s3] = [Math.cos(psiDeg * DEG), Math.sin(psiDeg * DEG)];
  return [
    c1 * c2 * c3 - s1 * s3,
    -c1 * c2 * s3 - s1 * c3,
    c1 * s2,
    s1 * c2 * c3 + c1 * s3,
    -s1 * c2 * s3 + c1 * c3,
    s1 * s2,
    -s2 * c3,
    s2 * s3,
    c2,
  ];
}

/** Rotation centre of a volume in voxel index units [ci, cj, ck] (x, y, z). */
export function volumeCentreVoxel(shape: Shape3): [number, number, number] {
  return [Math.floor(shape[2] / 2), Math.floor(shape[1] / 2), Math.floor(shape[0] / 2)];
}

/** Detector centre [cu, cv] in pixels for a projection [ny, nx]. */
export function detectorCentrePixel(ny: number, nx: number): [number, number] {
  return [Math.floor(nx / 2), Math.floor(ny / 2)];
}

/** Parse a single tilt angle (degrees, about y) into a ZYZ triple. */
export function tiltToEuler(thetaDeg: number): EulerZYZDeg {
  return [0, thetaDeg, 0];
}

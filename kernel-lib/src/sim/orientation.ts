/** Particle orientations: identity ("zone axis"), a seeded uniformly random rotation, or ZYZ Euler angles. */
import { rotationZYZ, type Mat3 } from '../core/geometry';
import type { EulerZYZDeg } from '../core/types';
import type { Rng } from '../core/rng';
import { PannError } from '../core/errors';

/** 'zone-axis': crystal [001] (5-fold axis of a decahedron) along the beam (z); 'random': uniform on SO(3). */
export type Orientation = 'random' | 'zone-axis' | EulerZYZDeg;

/** Uniformly random rotation (Shoemake's unit quaternion method), row major. */
export function randomRotation(rng: Rng): Mat3 {
  const u1 = rng.uniform(),
    u2 = rng.uniform(),
    u3 = rng.uniform();
  const a = Math.sqrt(1 - u1),
    b = Math.sqrt(u1);
  const w = a * Math.sin(2 * Math.PI * u2),
    x = a * Math.cos(2 * Math.PI * u2),
    y = b * Math.sin(2 * Math.PI * u3),
    z = b * Math.cos(2 * Math.PI * u3);
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Rotation matrix of an orientation option (the generator is used only for 'random'). */
export function orientationMatrix(orientation: Orientation, rng: Rng): Mat3 {
  if (orientation === 'random') return randomRotation(rng);
  if (orientation === 'zone-axis') return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (Array.isArray(orientation) && orientation.length === 3 && orientation.every(Number.isFinite)) return rotationZYZ(orientation);
  throw new PannError('OPTION', `orientation must be 'random', 'zone-axis' or [phi, theta, psi] in degrees, got ${JSON.stringify(orientation)}`, {
    field: 'orientation',
  });
}

/** Applies a rotation to x, y, z triples in place. */
export function rotateInPlace(positionsA: Float64Array, R: Mat3): void {
  for (let a = 0; a < positionsA.length; a += 3) {
    const x = positionsA[a],
      y = positionsA[a + 1],
      z = positionsA[a + 2];
    positionsA[a] = R[0] * x + R[1] * y + R[2] * z;
    positionsA[a + 1] = R[3] * x + R[4] * y + R[5] * z;
    positionsA[a + 2] = R[6] * x + R[7] * y + R[8] * z;
  }
}

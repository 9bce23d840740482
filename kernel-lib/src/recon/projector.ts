/**
 * Forward projector A and its exact adjoint Aᵀ for arbitrary ZYZ Euler angles, in the shared
 * geometry of core/geometry.ts (r' = R·r about the volume's rotation centre, detector u = r'_x,
 * v = r'_y, detector centre ⌊n/2⌋; voxel edge = detector pixel edge).
 *
 * Voxel-driven bilinear splatting: each voxel centre maps to one detector point (u, v) and its value
 * is shared by the four neighbouring pixels with bilinear weights that sum to 1, so a projection
 * holds the sum of voxel values along the beam (integrated weight conserved, unit: voxel value).
 * The adjoint gathers with the same weights, so ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ up to float rounding.
 */
import { PannError, assertPositive } from '../core/errors';
import { rotationZYZ } from '../core/geometry';
import type { EulerZYZDeg, Shape3, Volume } from '../core/types';
import { adjointKernel, forwardKernel } from './projector-kernels';
import type { ParallelProjector } from './projector-workers';

/** Rotation matrices of all angles packed 9 per angle (row major). */
export function packRotations(anglesDeg: EulerZYZDeg[]): Float64Array {
  const rot = new Float64Array(9 * anglesDeg.length);
  anglesDeg.forEach((angle, a) => {
    if (!Array.isArray(angle) || angle.length !== 3 || !angle.every((x) => Number.isFinite(x))) {
      throw new PannError('VALUE', `angle ${a} must be three finite ZYZ Euler angles in degrees, got ${JSON.stringify(angle)}`, {
        field: 'anglesDeg',
      });
    }
    rot.set(rotationZYZ(angle), 9 * a);
  });
  return rot;
}

function checkShape(shape: readonly number[], n: number, field: string): void {
  if (shape.length !== n || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new PannError('SHAPE', `${field} must be ${n} positive integers, got [${shape.join(', ')}]`, { field });
  }
}

/**
 * A projector for one geometry (volume shape, detector shape, angle set) that keeps its rotation
 * matrices and scratch buffers, for iterative reconstruction (no allocation per pass).
 * Optionally delegates to worker threads (see `projector-workers.ts`); the single-thread path is
 * always available and gives identical results.
 */
export class Projector {
  readonly volumeShape: Shape3;
  readonly detectorShape: [number, number];
  readonly nAngles: number;
  private readonly rot: Float64Array;
  private readonly pad: Float64Array;
  private readonly acc: Float64Array;
  private padded: Float32Array | null = null;
  private parallel: ParallelProjector | null = null;

  /**
   * @param volumeShape [nz, ny, nx] in voxels.
   * @param anglesDeg one ZYZ Euler triple (degrees) per projection.
   * @param detectorShape [ny, nx] in pixels (pixel edge = voxel edge).
   */
  constructor(volumeShape: Shape3, anglesDeg: EulerZYZDeg[], detectorShape: [number, number]) {
    checkShape(volumeShape, 3, 'volumeShape');
    checkShape(detectorShape, 2, 'detectorShape');
    if (anglesDeg.length === 0) throw new PannError('SHAPE', 'at least one projection angle is needed', { field: 'anglesDeg' });
    this.volumeShape = [volumeShape[0], volumeShape[1], volumeShape[2]];
    this.detectorShape = [detectorShape[0], detectorShape[1]];
    this.nAngles = anglesDeg.length;
    this.rot = packRotations(anglesDeg);
    this.pad = new Float64Array((detectorShape[0] + 2) * (detectorShape[1] + 2));
    this.acc = new Float64Array(volumeShape[2]);
  }

  /** Number of values in all projections (nAngles·ny·nx). */
  get projectionLength(): number {
    return this.nAngles * this.detectorShape[0] * this.detectorShape[1];
  }

  /** Number of voxels (nz·ny·nx). */
  get volumeLength(): number {
    return this.volumeShape[0] * this.volumeShape[1] * this.volumeShape[2];
  }

  /** Uses `parallel` (worker threads) for later passes; `null` returns to the single-thread path. */
  useParallel(parallel: ParallelProjector | null): void {
    this.parallel = parallel;
  }

  /** A x: writes the projections [nAngles, ny, nx] of `vol` into `out` (allocated if absent). */
  async forwardAsync(vol: Float32Array, out?: Float32Array): Promise<Float32Array> {
    if (this.parallel) return this.parallel.forward(this, this.rot, vol, out ?? new Float32Array(this.projectionLength));
    return this.forward(vol, out);
  }

  /** Aᵀ y: writes the back-projection of `proj` into `out` (allocated if absent). */
  async adjointAsync(proj: Float32Array, out?: Float32Array): Promise<Float32Array> {
    if (this.parallel) return this.parallel.adjoint(this, this.rot, proj, out ?? new Float32Array(this.volumeLength));
    return this.adjoint(proj, out);
  }

  /** A x on the calling thread. */
  forward(vol: Float32Array, out = new Float32Array(this.projectionLength)): Float32Array {
    const [nz, ny, nx] = this.volumeShape;
    const [dny, dnx] = this.detectorShape;
    if (vol.length !== this.volumeLength) throw new PannError('SHAPE', `volume has ${vol.length} values, expected ${this.volumeLength}`, { field: 'volume' });
    forwardKernel(vol, nz, ny, nx, this.rot, dny, dnx, 0, this.nAngles, out, this.pad);
    return out;
  }

  /** Aᵀ y on the calling thread. */
  adjoint(proj: Float32Array, out = new Float32Array(this.volumeLength)): Float32Array {
    const [nz, ny, nx] = this.volumeShape;
    const [dny, dnx] = this.detectorShape;
    const padded = this.padProjections(proj);
    adjointKernel(padded, this.nAngles, this.rot, dny, dnx, out, nz, ny, nx, 0, nz, this.acc);
    return out;
  }

  /** Copies projections onto the one-pixel-padded detector (zero border) used by the adjoint kernel. */
  padProjections(proj: Float32Array, target?: Float32Array): Float32Array {
    const [dny, dnx] = this.detectorShape;
    if (proj.length !== this.projectionLength) {
      throw new PannError('SHAPE', `projections have ${proj.length} values, expected ${this.nAngles}×${dny}×${dnx}`, { field: 'projections' });
    }
    const W = dnx + 2,
      P = (dny + 2) * W;
    const padded = target ?? (this.padded ??= new Float32Array(this.nAngles * P));
    for (let a = 0; a < this.nAngles; a++) {
      for (let y = 0; y < dny; y++) padded.set(proj.subarray((a * dny + y) * dnx, (a * dny + y + 1) * dnx), a * P + (y + 1) * W + 1);
    }
    return padded;
  }
}

/**
 * Forward projection of a volume.
 * @param volume the volume (C order [nz, ny, nx]); its voxel edge is taken as the detector pixel edge.
 * @param anglesDeg one ZYZ Euler triple (degrees) per projection.
 * @param detectorShape [ny, nx] in pixels.
 * @returns projections [nAngles, ny, nx] (C order): sums of voxel values along the beam.
 */
export function forwardProject(volume: Volume, anglesDeg: EulerZYZDeg[], detectorShape: [number, number]): Float32Array {
  return new Projector(volume.shape, anglesDeg, detectorShape).forward(volume.data);
}

/**
 * Back-projection, the exact adjoint of `forwardProject`.
 * @param projections [nAngles, ny, nx] C order.
 * @param anglesDeg one ZYZ Euler triple (degrees) per projection.
 * @param detectorShape [ny, nx] in pixels.
 * @param volumeShape [nz, ny, nx] of the result.
 * @param voxelSizeA voxel edge of the result in Å (= detector pixel edge).
 */
export function backProject(
  projections: Float32Array,
  anglesDeg: EulerZYZDeg[],
  detectorShape: [number, number],
  volumeShape: Shape3,
  voxelSizeA: number,
): Volume {
  assertPositive(voxelSizeA, 'voxelSizeA');
  const p = new Projector(volumeShape, anglesDeg, detectorShape);
  return { data: p.adjoint(projections), shape: [...p.volumeShape] as Shape3, voxelSizeA };
}

/**
 * Analytic projection of an atomic model: each atom is an isotropic 3D Gaussian, whose projection
 * along any direction is a 2D Gaussian of the same σ and the same integrated weight. Used by the
 * simulator (ideal projections) and by the R-factor (projections calculated from a traced model).
 */
import { detectorCentrePixel, rotationZYZ } from '../core/geometry';
import { rotationCentreA } from '../core/frame';
import { PannError } from '../core/errors';
import type { AtomicModel, EulerZYZDeg, Shape3 } from '../core/types';

export interface AtomProjectionOptions {
  /** Detector size [ny, nx] in pixels. */
  detectorShape: [number, number];
  /** Detector pixel edge in Å. */
  pixelSizeA: number;
  /** Shape [nz, ny, nx] of the volume frame the positions live in; sets the rotation centre. */
  volumeShape: Shape3;
  /** Integrated weight of one atom of each species (arbitrary units, e.g. Z^α). */
  weightBySpecies: Record<string, number>;
  /** Gaussian σ of each atom in Å (one for all, or one per species). */
  sigmaA: number | Record<string, number>;
}

/** Returns the projections [nAngles, ny, nx] (C order) of `model` at the given Euler angles. */
export function projectAtoms(model: AtomicModel, anglesDeg: EulerZYZDeg[], opts: AtomProjectionOptions): Float32Array {
  const [ny, nx] = opts.detectorShape;
  const s = opts.pixelSizeA;
  const out = new Float32Array(anglesDeg.length * ny * nx);
  const frame = projectionFrame(opts.volumeShape, s, ny, nx);
  const n = model.species.length;
  const weight = new Float64Array(n);
  const sigma = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const sp = model.species[a];
    const w = opts.weightBySpecies[sp];
    if (w === undefined) throw new PannError('VALUE', `no projection weight for species '${sp}'`, { field: 'weightBySpecies' });
    weight[a] = w;
    const sg = typeof opts.sigmaA === 'number' ? opts.sigmaA : opts.sigmaA[sp];
    if (!(sg > 0)) throw new PannError('VALUE', `atom σ for species '${sp}' must be > 0 Å`, { field: 'sigmaA' });
    sigma[a] = sg;
  }
  const p = model.positionsA;
  for (let t = 0; t < anglesDeg.length; t++) {
    const R = rotationZYZ(anglesDeg[t]);
    const base = t * ny * nx;
    for (let a = 0; a < n; a++) {
      const sgPx = sigma[a] / s;
      const norm = weight[a] / (2 * Math.PI * sgPx * sgPx);
      const inv2 = 1 / (2 * sgPx * sgPx);
      const { u, v, i0, i1, j0, j1 } = detectorWindow(R, p, a, frame, Math.ceil(4 * sgPx));
      for (let j = j0; j <= j1; j++) {
        const dv2 = (j - v) * (j - v);
        const row = base + j * nx;
        for (let i = i0; i <= i1; i++) {
          const du = i - u;
          out[row + i] += norm * Math.exp(-(du * du + dv2) * inv2);
        }
      }
    }
  }
  return out;
}

/** What places an atom on the detector: rotation centre (Å), detector centre (pixels), pixel size and detector size. */
export interface ProjectionFrame {
  centreA: [number, number, number];
  detectorCentre: [number, number];
  pixelSizeA: number;
  ny: number;
  nx: number;
}

/** The projection frame of a volume frame [nz, ny, nx] seen on a detector [ny, nx] of the given pixel size. */
export function projectionFrame(volumeShape: Shape3, pixelSizeA: number, ny: number, nx: number): ProjectionFrame {
  return { centreA: rotationCentreA(volumeShape, pixelSizeA), detectorCentre: detectorCentrePixel(ny, nx), pixelSizeA, ny, nx };
}

/**
 * Where atom `a` of `positionsA` falls in the projection with rotation R (row-major 3×3): its centre
 * (u, v) in pixels and the detector window [i0, i1] × [j0, j1] within `reach` pixels of it.
 * `shiftUPx`, `shiftVPx`: a rigid detector shift of this projection (misalignment), pixels.
 */
export function detectorWindow(
  R: ArrayLike<number>,
  positionsA: Float64Array,
  a: number,
  f: ProjectionFrame,
  reach: number,
  shiftUPx = 0,
  shiftVPx = 0,
): { u: number; v: number; i0: number; i1: number; j0: number; j1: number } {
  const rx = positionsA[3 * a] - f.centreA[0],
    ry = positionsA[3 * a + 1] - f.centreA[1],
    rz = positionsA[3 * a + 2] - f.centreA[2];
  const u = (R[0] * rx + R[1] * ry + R[2] * rz) / f.pixelSizeA + f.detectorCentre[0] + shiftUPx;
  const v = (R[3] * rx + R[4] * ry + R[5] * rz) / f.pixelSizeA + f.detectorCentre[1] + shiftVPx;
  return {
    u,
    v,
    i0: Math.max(0, Math.floor(u) - reach),
    i1: Math.min(f.nx - 1, Math.ceil(u) + reach),
    j0: Math.max(0, Math.floor(v) - reach),
    j1: Math.min(f.ny - 1, Math.ceil(v) + reach),
  };
}

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
  const [cx, cy, cz] = rotationCentreA(opts.volumeShape, s);
  const [cu, cv] = detectorCentrePixel(ny, nx);
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
      const rx = p[3 * a] - cx,
        ry = p[3 * a + 1] - cy,
        rz = p[3 * a + 2] - cz;
      const u = (R[0] * rx + R[1] * ry + R[2] * rz) / s + cu;
      const v = (R[3] * rx + R[4] * ry + R[5] * rz) / s + cv;
      const sgPx = sigma[a] / s;
      const norm = weight[a] / (2 * Math.PI * sgPx * sgPx);
      const inv2 = 1 / (2 * sgPx * sgPx);
      const reach = Math.ceil(4 * sgPx);
      const i0 = Math.max(0, Math.floor(u) - reach),
        i1 = Math.min(nx - 1, Math.ceil(u) + reach);
      const j0 = Math.max(0, Math.floor(v) - reach),
        j1 = Math.min(ny - 1, Math.ceil(v) + reach);
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

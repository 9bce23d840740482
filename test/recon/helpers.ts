/** Test fixtures for the reconstruction tests: random atomic models and their Gaussian-blob volumes. */
import { createRng } from '../../kernel-lib/src/core/rng';
import { rotationCentreA } from '../../kernel-lib/src/core/frame';
import type { AtomicModel, Shape3, Volume } from '../../kernel-lib/src/core/types';

/** `n` atoms of species 'Si' inside a sphere of `radiusA` about the rotation centre, ≥ `minSepA` apart. */
export function randomModel(seed: number, n: number, radiusA: number, minSepA: number, volumeShape: Shape3, voxelSizeA: number): AtomicModel {
  const rng = createRng(seed);
  const [cx, cy, cz] = rotationCentreA(volumeShape, voxelSizeA);
  const pos: number[] = [];
  let tries = 0;
  while (pos.length < 3 * n) {
    if (++tries > 100000) throw new Error('could not place atoms');
    const x = (2 * rng.uniform() - 1) * radiusA,
      y = (2 * rng.uniform() - 1) * radiusA,
      z = (2 * rng.uniform() - 1) * radiusA;
    if (x * x + y * y + z * z > radiusA * radiusA) continue;
    let ok = true;
    for (let a = 0; a < pos.length; a += 3) {
      const d2 = (pos[a] - cx - x) ** 2 + (pos[a + 1] - cy - y) ** 2 + (pos[a + 2] - cz - z) ** 2;
      if (d2 < minSepA * minSepA) ok = false;
    }
    if (ok) pos.push(cx + x, cy + y, cz + z);
  }
  return { positionsA: Float64Array.from(pos), species: new Array(n).fill('Si') };
}

/**
 * Renders each atom as an isotropic Gaussian of σ `sigmaA` sampled at voxel centres, normalised so
 * that the voxel sum of each atom is `weight` (like a renderAtomicVolume).
 */
export function renderBlobs(model: AtomicModel, shape: Shape3, voxelSizeA: number, sigmaA: number, weight = 1): Volume {
  const [nz, ny, nx] = shape;
  const data = new Float32Array(nz * ny * nx);
  const s = sigmaA / voxelSizeA;
  const reach = Math.ceil(4 * s);
  const one = new Float64Array((2 * reach + 3) ** 3);
  for (let a = 0; a < model.species.length; a++) {
    const x = model.positionsA[3 * a] / voxelSizeA,
      y = model.positionsA[3 * a + 1] / voxelSizeA,
      z = model.positionsA[3 * a + 2] / voxelSizeA;
    const i0 = Math.floor(x) - reach,
      j0 = Math.floor(y) - reach,
      k0 = Math.floor(z) - reach;
    const m = 2 * reach + 2;
    let sum = 0,
      t = 0;
    for (let k = k0; k < k0 + m; k++)
      for (let j = j0; j < j0 + m; j++)
        for (let i = i0; i < i0 + m; i++, t++) {
          const g = Math.exp(-((i - x) ** 2 + (j - y) ** 2 + (k - z) ** 2) / (2 * s * s));
          one[t] = g;
          sum += g;
        }
    t = 0;
    for (let k = k0; k < k0 + m; k++)
      for (let j = j0; j < j0 + m; j++)
        for (let i = i0; i < i0 + m; i++, t++) {
          if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
          data[(k * ny + j) * nx + i] += (weight * one[t]) / sum;
        }
  }
  return { data, shape, voxelSizeA };
}

/** Single-axis tilt angles [0, θ, 0] for θ = start, start+step, … < end (degrees). */
export function tiltAngles(startDeg: number, endDeg: number, stepDeg: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let t = startDeg; t < endDeg - 1e-9; t += stepDeg) out.push([0, t, 0]);
  return out;
}

/** Σ a·b in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Synthetic test data for tracing/classification/metrics: Gaussian atoms on an fcc lattice. */
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel, Shape3, Volume } from '../../kernel-lib/src/core/types';

/** fcc sites (lattice constant `aA`) inside a sphere of `radiusA` about `centreA`, rotated slightly so sites are off-grid. */
export function fccParticle(
  aA: number,
  radiusA: number,
  centreA: [number, number, number],
  species = 'Pt',
  seed = 1,
): AtomicModel {
  const rng = createRng(seed);
  // A random small rotation + sub-Å offset puts every atom at a different sub-voxel phase.
  const ang = 0.3 + 0.2 * rng.uniform();
  const c = Math.cos(ang),
    s = Math.sin(ang);
  const off = [rng.uniform() - 0.5, rng.uniform() - 0.5, rng.uniform() - 0.5];
  const basis = [
    [0, 0, 0],
    [0.5, 0.5, 0],
    [0.5, 0, 0.5],
    [0, 0.5, 0.5],
  ];
  const pos: number[] = [];
  const n = Math.ceil(radiusA / aA) + 1;
  for (let u = -n; u <= n; u++)
    for (let v = -n; v <= n; v++)
      for (let w = -n; w <= n; w++)
        for (const b of basis) {
          const x0 = (u + b[0]) * aA,
            y0 = (v + b[1]) * aA,
            z0 = (w + b[2]) * aA;
          if (x0 * x0 + y0 * y0 + z0 * z0 > radiusA * radiusA) continue;
          // rotate about z then x
          const x1 = c * x0 - s * y0,
            y1 = s * x0 + c * y0,
            z1 = z0;
          const y2 = c * y1 - s * z1,
            z2 = s * y1 + c * z1;
          pos.push(x1 + centreA[0] + off[0], y2 + centreA[1] + off[1], z2 + centreA[2] + off[2]);
        }
  const m = pos.length / 3;
  return { positionsA: Float64Array.from(pos), species: new Array<string>(m).fill(species) };
}

/**
 * Renders isotropic Gaussian atoms sampled at voxel centres: value = Σ w·exp(−r²/2σ²), w per species,
 * plus optional white Gaussian noise of σ `noise` (volume units), seeded.
 */
export function renderVolume(
  model: AtomicModel,
  shape: Shape3,
  voxelSizeA: number,
  opts: { sigmaA: number; weightBySpecies?: Record<string, number>; noise?: number; seed?: number },
): Volume {
  const [nz, ny, nx] = shape;
  const data = new Float32Array(nz * ny * nx);
  const h = voxelSizeA;
  const reach = Math.ceil((4 * opts.sigmaA) / h);
  const inv2 = 1 / (2 * opts.sigmaA * opts.sigmaA);
  for (let a = 0; a < model.species.length; a++) {
    const w = opts.weightBySpecies?.[model.species[a]] ?? 1;
    const x = model.positionsA[3 * a] / h,
      y = model.positionsA[3 * a + 1] / h,
      z = model.positionsA[3 * a + 2] / h;
    for (let k = Math.max(0, Math.round(z) - reach); k <= Math.min(nz - 1, Math.round(z) + reach); k++)
      for (let j = Math.max(0, Math.round(y) - reach); j <= Math.min(ny - 1, Math.round(y) + reach); j++)
        for (let i = Math.max(0, Math.round(x) - reach); i <= Math.min(nx - 1, Math.round(x) + reach); i++) {
          const r2 = ((i - x) ** 2 + (j - y) ** 2 + (k - z) ** 2) * h * h;
          data[(k * ny + j) * nx + i] += w * Math.exp(-r2 * inv2);
        }
  }
  if (opts.noise) {
    const rng = createRng(opts.seed ?? 7);
    for (let t = 0; t < data.length; t++) data[t] += opts.noise * rng.normal();
  }
  return { data, shape, voxelSizeA };
}

/** RMSE (pm) between each true atom and the nearest traced position (brute force; small models only). */
export function nearestRmsePm(truth: Float64Array, traced: Float64Array): { rmsePm: number; maxPm: number } {
  let s = 0,
    max = 0;
  const n = truth.length / 3;
  for (let a = 0; a < n; a++) {
    let best = Infinity;
    for (let b = 0; b < traced.length / 3; b++) {
      const d2 =
        (truth[3 * a] - traced[3 * b]) ** 2 +
        (truth[3 * a + 1] - traced[3 * b + 1]) ** 2 +
        (truth[3 * a + 2] - traced[3 * b + 2]) ** 2;
      if (d2 < best) best = d2;
    }
    s += best;
    max = Math.max(max, Math.sqrt(best));
  }
  return { rmsePm: Math.sqrt(s / n) * 100, maxPm: max * 100 };
}

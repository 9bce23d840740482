/**
 * Atom tracing: (optional) Gaussian smoothing → 26-neighbourhood local maxima → sub-voxel refinement →
 * scores → greedy minimum-separation suppression. Every candidate is returned (sorted by peak, strongest
 * first) with the candidates that suppress it, so choosing an intensity threshold later (`selectAtoms`)
 * is a cheap filter and needs no new search.
 */
import { PannError, assertFinite, assertPositive } from '../core/errors';
import { throttledProgress, yieldToEventLoop } from '../core/progress';
import type { ProgressCallback, Shape3, Volume } from '../core/types';
import { findLocalMaxima } from './local-maxima';
import { createRefiner, type RefineMethod, type RefinedPeak } from './refine';
import { gaussianSmooth3D } from './smooth';

/** Options of `traceAtoms`. All lengths in Å. */
export interface TraceOptions {
  /**
   * σ (Å) of the Gaussian pre-smoothing; 0 disables it. Default 0.35 Å, from test/trace/choose-defaults.ts
   * (fcc Pt, 0.4 Å voxels, atoms σ = 0.5 Å, white noise 0/10/20/30 % of the peak, default threshold):
   * 0.35 Å → all 87 atoms, RMSE 0.4 / 3.9 / 7.6 / 11.5 pm; 0.5 Å → 1.8 / 4.6 / 8.6 / 13.1 pm;
   * none → 0.02 pm clean but ~440 atoms (noise maxima) at any noise.
   */
  smoothingSigmaA?: number;
  /** Minimum physical distance between two atoms (Å); the weaker of a closer pair is suppressed. Default 2.0 Å. */
  minSeparationA?: number;
  /** Sub-voxel refinement. Default 'gaussian'. */
  refine?: RefineMethod;
  /**
   * Radius (Å) of the window of the Gaussian fit (rounded to whole voxels, at least one); default
   * 0.35·minSeparationA (0.7 Å). Neighbour tails inside the window bias the centre of wide atoms (fcc Pt,
   * 0.4 Å voxels, noiseless: 0.3 / 4.5 / 16 pm RMSE for atoms of σ 0.5 / 0.7 / 0.7×1.05 Å with a 2-voxel
   * window, 0.08 / 2.2 / 12 pm with 1 voxel), but a 1-voxel window (19 voxels, 6 parameters) overshoots
   * on noise maxima: 27 instead of 0 ghosts selected in pure noise, more position error at 20 % noise.
   */
  fitRadiusA?: number;
  /** Radius (Å) of the sphere summed for the `integrated` score. Default 0.5·minSeparationA (1.0 Å). */
  integrationRadiusA?: number;
  /**
   * Noise floor (volume units, on the smoothed volume): maxima below it are not considered at all. For
   * speed only; the real threshold is chosen later with `selectAtoms`. Default: median + 0.02·(max − median)
   * of the smoothed volume, which keeps atoms ~50× dimmer than the brightest.
   */
  intensityThreshold?: number;
  /** Progress events (stage 'trace'). */
  onProgress?: ProgressCallback;
}

/** All candidates of a trace, strongest `peak` first. Positions in Å in the volume frame. */
export interface TraceResult {
  /** x, y, z of every candidate in Å, length 3·n. */
  positionsA: Float64Array;
  /** Fitted intensity at the refined centre (volume units, smoothed volume). */
  peak: Float64Array;
  /** Sum of the ORIGINAL volume over voxels whose centres lie within integrationRadiusA (volume units). */
  integrated: Float64Array;
  /** RMS residual of the Gaussian fit / |peak| (0 when not fitted). */
  fitResidual: Float64Array;
  /** Fitted Gaussian σ in Å (NaN when the Gaussian fit was not used or failed). */
  sigmaA: Float64Array;
  /** Index of the candidate that suppressed this one in the greedy pass over all candidates, or −1. */
  suppressedBy: Int32Array;
  /**
   * For each candidate c, the STRONGER candidates closer than minSeparationA:
   * conflictIdx[conflictStart[c] … conflictStart[c+1]). Lets `selectAtoms` redo the greedy pass exactly
   * on any filtered subset.
   */
  conflictStart: Int32Array;
  conflictIdx: Int32Array;
  volumeShape: Shape3;
  voxelSizeA: number;
  /** The options actually used (defaults resolved). */
  options: Required<Omit<TraceOptions, 'onProgress'>>;
  /** Background level (median), noise σ (1.4826·MAD) and maximum of the smoothed volume (volume units). */
  volumeStats: { median: number; noiseSigma: number; max: number };
  /** Wall time of each step in ms. */
  timingsMs: { smooth: number; maxima: number; refine: number; scores: number; suppress: number };
}

/**
 * Finds every atom candidate in a volume.
 * @param volume reconstruction or refined volume ([nz, ny, nx], `voxelSizeA` Å)
 * @param opts see `TraceOptions`
 * @returns all candidates; choose atoms with `selectAtoms(trace, { threshold })` or `autoThreshold`.
 */
export async function traceAtoms(volume: Volume, opts: TraceOptions = {}): Promise<TraceResult> {
  checkVolume(volume);
  const h = volume.voxelSizeA;
  const minSeparationA = opts.minSeparationA ?? 2.0;
  assertPositive(minSeparationA, 'minSeparationA');
  const smoothingSigmaA = opts.smoothingSigmaA ?? 0.35;
  const fitRadiusA = opts.fitRadiusA ?? 0.35 * minSeparationA;
  assertPositive(fitRadiusA, 'fitRadiusA');
  const integrationRadiusA = opts.integrationRadiusA ?? 0.5 * minSeparationA;
  assertPositive(integrationRadiusA, 'integrationRadiusA');
  const refine = opts.refine ?? 'gaussian';
  if (!['gaussian', 'polynomial', 'none'].includes(refine)) {
    throw new PannError('OPTION', `refine must be 'gaussian', 'polynomial' or 'none', got '${refine}'`, {
      field: 'refine',
    });
  }
  const progress = throttledProgress('trace', 100, opts.onProgress);
  const timingsMs = { smooth: 0, maxima: 0, refine: 0, scores: 0, suppress: 0 };

  let t0 = performance.now();
  const smoothed = gaussianSmooth3D(volume, smoothingSigmaA);
  timingsMs.smooth = performance.now() - t0;
  progress(10, 'smoothed');
  await yieldToEventLoop();

  t0 = performance.now();
  const stats = volumeStatistics(smoothed.data);
  // Default floor: median + 0.02·(max − median) keeps atoms ~50× dimmer than the brightest.
  const intensityThreshold = opts.intensityThreshold ?? stats.median + 0.02 * (stats.max - stats.median);
  if (!Number.isFinite(intensityThreshold)) {
    throw new PannError(
      'OPTION',
      `intensityThreshold must be finite (volume units), got ${intensityThreshold}`,
      { field: 'intensityThreshold' },
    );
  }
  const maxima = findLocalMaxima(smoothed.data, volume.shape, intensityThreshold);
  timingsMs.maxima = performance.now() - t0;
  progress(20, `${maxima.length} local maxima`);
  await yieldToEventLoop();

  // Refinement (sub-voxel position and fitted peak), in voxel units.
  t0 = performance.now();
  const n = maxima.length;
  const pos = new Float64Array(3 * n);
  const peak = new Float64Array(n);
  const resid = new Float64Array(n);
  const sig = new Float64Array(n);
  const refiner = createRefiner(smoothed.data, volume.shape, refine, fitRadiusA / h);
  const slot: RefinedPeak = { x: 0, y: 0, z: 0, peak: 0, residual: 0, sigmaVoxels: NaN };
  const chunk = 4096;
  const [nzV, nyV, nxV] = volume.shape;
  for (let c = 0; c < n; c++) {
    refiner.refine(maxima[c], slot);
    // A fit near the border can extrapolate past the data: keep every centre inside the volume.
    pos[3 * c] = Math.min(Math.max(slot.x, 0), nxV - 1);
    pos[3 * c + 1] = Math.min(Math.max(slot.y, 0), nyV - 1);
    pos[3 * c + 2] = Math.min(Math.max(slot.z, 0), nzV - 1);
    peak[c] = slot.peak;
    resid[c] = slot.residual;
    sig[c] = slot.sigmaVoxels * h;
    if ((c + 1) % chunk === 0) {
      progress(20 + Math.floor((60 * (c + 1)) / n), `refined ${c + 1}/${n}`);
      await yieldToEventLoop();
    }
  }
  timingsMs.refine = performance.now() - t0;

  // Sort by peak, strongest first (stable on ties through the flat index order).
  const order = Array.from({ length: n }, (_, c) => c).sort((a, b) => peak[b] - peak[a] || a - b);
  const positionsA = new Float64Array(3 * n);
  const peakS = new Float64Array(n);
  const residS = new Float64Array(n);
  const sigmaA = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const c = order[r];
    positionsA[3 * r] = pos[3 * c] * h;
    positionsA[3 * r + 1] = pos[3 * c + 1] * h;
    positionsA[3 * r + 2] = pos[3 * c + 2] * h;
    peakS[r] = peak[c];
    residS[r] = resid[c];
    sigmaA[r] = sig[c];
  }

  t0 = performance.now();
  const integrated = integrateSpheres(volume, positionsA, integrationRadiusA);
  timingsMs.scores = performance.now() - t0;
  progress(90, 'scored');

  t0 = performance.now();
  const { suppressedBy, conflictStart, conflictIdx } = suppressClose(positionsA, minSeparationA);
  timingsMs.suppress = performance.now() - t0;
  progress(100, `${n} candidates`);

  return {
    positionsA,
    peak: peakS,
    integrated,
    fitResidual: residS,
    sigmaA,
    suppressedBy,
    conflictStart,
    conflictIdx,
    volumeShape: [...volume.shape] as Shape3,
    voxelSizeA: h,
    options: { smoothingSigmaA, minSeparationA, refine, fitRadiusA, integrationRadiusA, intensityThreshold },
    volumeStats: stats,
    timingsMs,
  };
}

/** Validates shape, voxel size and finiteness of a volume (PannError naming the field). */
export function checkVolume(volume: Volume, field = 'volume'): void {
  const s = volume?.shape;
  if (!s || s.length !== 3 || s.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new PannError(
      'SHAPE',
      `${field}.shape must be [nz, ny, nx] of positive integers, got ${JSON.stringify(s)}`,
      { field: `${field}.shape` },
    );
  }
  if (!(volume.data instanceof Float32Array) || volume.data.length !== s[0] * s[1] * s[2]) {
    throw new PannError(
      'SHAPE',
      `${field}.data must be a Float32Array of ${s[0] * s[1] * s[2]} values for shape [${s.join(', ')}], got ${volume.data?.length}`,
      { field: `${field}.data` },
    );
  }
  assertPositive(volume.voxelSizeA, `${field}.voxelSizeA`);
  assertFinite(volume.data, `${field}.data`);
}

/**
 * Robust statistics of a (smoothed) volume from a strided sample of ≤ 200k voxels: the median (background
 * level), σ = 1.4826·MAD (noise, exact for Gaussian noise when most voxels are background, as in a
 * particle padded by vacuum) and the maximum.
 */
export function volumeStatistics(data: Float32Array): { median: number; noiseSigma: number; max: number } {
  const stride = Math.max(1, Math.floor(data.length / 200000));
  const sample = new Float32Array(Math.ceil(data.length / stride));
  let m = 0;
  let max = -Infinity;
  for (let t = 0; t < data.length; t++) if (data[t] > max) max = data[t];
  for (let t = 0; t < data.length; t += stride) sample[m++] = data[t];
  const s = sample.subarray(0, m).sort();
  const median = s[m >> 1];
  for (let t = 0; t < m; t++) s[t] = Math.abs(s[t] - median);
  s.sort();
  return { median, noiseSigma: 1.4826 * s[m >> 1], max };
}

/**
 * Sum of the volume over voxels whose centres lie within `radiusA` of each position (Å).
 * Voxels outside the volume contribute nothing.
 */
export function integrateSpheres(volume: Volume, positionsA: Float64Array, radiusA: number): Float64Array {
  const [nz, ny, nx] = volume.shape;
  const h = volume.voxelSizeA;
  const n = positionsA.length / 3;
  const out = new Float64Array(n);
  const rv = radiusA / h;
  const rv2 = rv * rv;
  const d = volume.data;
  for (let a = 0; a < n; a++) {
    const x = positionsA[3 * a] / h,
      y = positionsA[3 * a + 1] / h,
      z = positionsA[3 * a + 2] / h;
    const i0 = Math.max(0, Math.ceil(x - rv)),
      i1 = Math.min(nx - 1, Math.floor(x + rv));
    const j0 = Math.max(0, Math.ceil(y - rv)),
      j1 = Math.min(ny - 1, Math.floor(y + rv));
    const k0 = Math.max(0, Math.ceil(z - rv)),
      k1 = Math.min(nz - 1, Math.floor(z + rv));
    let sum = 0;
    for (let k = k0; k <= k1; k++) {
      const dz2 = (k - z) * (k - z);
      for (let j = j0; j <= j1; j++) {
        const dyz2 = dz2 + (j - y) * (j - y);
        if (dyz2 > rv2) continue;
        const row = (k * ny + j) * nx;
        for (let i = i0; i <= i1; i++) {
          if (dyz2 + (i - x) * (i - x) <= rv2) sum += d[row + i];
        }
      }
    }
    out[a] = sum;
  }
  return out;
}

/**
 * Greedy suppression in index order (= decreasing peak): a candidate closer than `minSeparationA` to an
 * already kept stronger one is suppressed by the strongest such. Also returns, for every candidate, all
 * stronger candidates within the distance (CSR), found with a uniform grid of cell = minSeparationA.
 */
export function suppressClose(
  positionsA: Float64Array,
  minSeparationA: number,
): { suppressedBy: Int32Array; conflictStart: Int32Array; conflictIdx: Int32Array } {
  const n = positionsA.length / 3;
  const cell = minSeparationA;
  const r2 = minSeparationA * minSeparationA;
  const grid = new Map<string, number[]>();
  const key = (a: number, b: number, c: number) => `${a},${b},${c}`;
  const conflictStart = new Int32Array(n + 1);
  const conflicts: number[] = [];
  const suppressedBy = new Int32Array(n).fill(-1);
  for (let c = 0; c < n; c++) {
    const x = positionsA[3 * c],
      y = positionsA[3 * c + 1],
      z = positionsA[3 * c + 2];
    const gx = Math.floor(x / cell),
      gy = Math.floor(y / cell),
      gz = Math.floor(z / cell);
    const first = conflicts.length;
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const list = grid.get(key(gx + dx, gy + dy, gz + dz));
          if (!list) continue;
          for (const o of list) {
            const ex = positionsA[3 * o] - x,
              ey = positionsA[3 * o + 1] - y,
              ez = positionsA[3 * o + 2] - z;
            if (ex * ex + ey * ey + ez * ez < r2) conflicts.push(o);
          }
        }
    // Sorted so the strongest conflicting candidate comes first.
    const mine = conflicts.slice(first).sort((a, b) => a - b);
    for (let t = 0; t < mine.length; t++) conflicts[first + t] = mine[t];
    for (const o of mine) {
      if (suppressedBy[o] === -1) {
        suppressedBy[c] = o;
        break;
      }
    }
    conflictStart[c + 1] = conflicts.length;
    const k = key(gx, gy, gz);
    const list = grid.get(k);
    if (list) list.push(c);
    else grid.set(k, [c]);
  }
  return { suppressedBy, conflictStart, conflictIdx: Int32Array.from(conflicts) };
}

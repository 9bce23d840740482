/**
 * R-factor of an atomic model against a measured tilt series: R = Σ|measured − calculated| / Σ|measured|,
 * where the calculated projections are those of the model (each atom an isotropic Gaussian, `projectAtoms`)
 * at the measured angles, with per-species weights w_s ≥ 0 and a background offset b fitted by linear
 * least squares, and the atom σ chosen on a small grid (the σ giving the lowest R).
 */
import { PannError } from '../core/errors';
import { defaultVolumeShape } from '../core/frame';
import { sortByZ } from '../core/elements';
import { atomsAt, type AtomicModel, type EulerZYZDeg, type Shape3, type TiltSeries } from '../core/types';
import { projectAtoms } from '../sim/project-atoms';
import { checkModel } from './match';
import { solveGaussJordan } from '../core/linear-solve';

/** Options of `rFactor`. */
export interface RFactorOptions {
  /** Volume frame [nz, ny, nx] of the model positions. Default `defaultVolumeShape(tilts.shape)`. */
  volumeShape?: Shape3;
  /** Atom σ values (Å) to try. Default 0.3, 0.4, …, 1.2 Å. */
  sigmaGridA?: number[];
  /** Fixed weight RATIOS instead of fitting each species (then one overall scale ≥ 0, b and σ are fitted). */
  weightBySpecies?: Record<string, number>;
  /** Fit the constant background offset b (default true); false fixes b = 0. */
  fitBackground?: boolean;
  /** Projections (evenly spaced) used to choose σ; the final fit uses all. Default 12. */
  searchProjections?: number;
  /** Return the calculated projections at the best σ (default false). */
  returnCalculated?: boolean;
}

export interface RFactorResult {
  rFactor: number;
  /** Fitted integrated projected intensity of one atom of each species (the `projectAtoms` weight). */
  weightBySpecies: Record<string, number>;
  /** Fitted background offset (projection units). */
  backgroundOffset: number;
  /** Best atom σ in Å. */
  sigmaA: number;
  /** R for every σ of the grid, in grid order (on the σ-search subset of projections). */
  rBySigma: { sigmaA: number; rFactor: number }[];
  /** Calculated projections [nAngles, ny, nx] at the best σ, when requested. */
  calculated?: Float32Array;
}

/** Largest number of species whose non-negative weights are fitted by enumerating active sets (2^K). */
const MAX_FITTED_SPECIES = 8;

/**
 * R-factor of `model` against `tilts`.
 * @param model atoms in Å in the volume frame of the tilt series
 * @param tilts measured projections [nAngles, ny, nx] with ZYZ angles in degrees and pixel size in Å
 */
export function rFactor(model: AtomicModel, tilts: TiltSeries, opts: RFactorOptions = {}): RFactorResult {
  checkModel(model, 'model');
  if (model.species.length === 0)
    throw new PannError('VALUE', 'the atomic model is empty: no projections to compare', { field: 'model' });
  const [na, ny, nx] = tilts.shape;
  if (tilts.data.length !== na * ny * nx) {
    throw new PannError(
      'SHAPE',
      `tilts.data has ${tilts.data.length} values, shape [${tilts.shape.join(', ')}] needs ${na * ny * nx}`,
      { field: 'tilts.data' },
    );
  }
  if (tilts.anglesDeg.length !== na) {
    throw new PannError('SHAPE', `tilts has ${na} projections but ${tilts.anglesDeg.length} angle triples`, {
      field: 'tilts.anglesDeg',
    });
  }
  const volumeShape = opts.volumeShape ?? defaultVolumeShape(tilts.shape);
  const grid = opts.sigmaGridA ?? [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
  if (grid.length === 0 || grid.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new PannError('OPTION', `sigmaGridA must list positive σ values in Å, got [${grid.join(', ')}]`, {
      field: 'sigmaGridA',
    });
  }
  const species = sortByZ([...new Set(model.species)]);
  const fixed = opts.weightBySpecies;
  if (fixed)
    for (const s of species)
      if (!(fixed[s] >= 0))
        throw new PannError('OPTION', `weightBySpecies has no weight ≥ 0 for '${s}'`, {
          field: 'weightBySpecies',
        });
  if (!fixed && species.length > MAX_FITTED_SPECIES) {
    throw new PannError(
      'OPTION',
      `cannot fit weights for ${species.length} species (max ${MAX_FITTED_SPECIES}); pass weightBySpecies`,
      { field: 'weightBySpecies' },
    );
  }
  const fitBackground = opts.fitBackground ?? true;
  const m = tilts.data;
  let sumAbs = 0;
  for (let t = 0; t < m.length; t++) sumAbs += Math.abs(m[t]);
  if (!Number.isFinite(sumAbs))
    throw new PannError('VALUE', 'the measured projections contain non-finite values', {
      field: 'tilts.data',
    });
  if (!(sumAbs > 0))
    throw new PannError('VALUE', 'the measured projections are all zero: R is undefined', {
      field: 'tilts.data',
    });

  // σ search on at most `searchProjections` evenly spaced projections (R varies smoothly with σ, and the
  // projections of a tilt series are redundant for one scalar), then the final fit on all of them.
  const searchProjections = opts.searchProjections ?? 12;
  if (!(Number.isInteger(searchProjections) && searchProjections >= 1)) {
    throw new PannError('OPTION', `searchProjections must be an integer ≥ 1, got ${searchProjections}`, {
      field: 'searchProjections',
    });
  }
  const nSearch = Math.min(na, searchProjections);
  const searchIdx = Array.from({ length: nSearch }, (_, q) => Math.floor(((q + 0.5) * na) / nSearch));
  const pix = ny * nx;
  const searchData = new Float32Array(nSearch * pix);
  searchIdx.forEach((t, q) => searchData.set(m.subarray(t * pix, (t + 1) * pix), q * pix));
  const searchAngles = searchIdx.map((t) => tilts.anglesDeg[t]);
  const evaluateAt = (sigmaA: number, data: Float32Array, angles: EulerZYZDeg[]) => {
    // Basis images: one per species with unit weight (or one with the fixed weights), then the fit.
    const project = (mdl: AtomicModel, w: Record<string, number>) =>
      projectAtoms(mdl, angles, {
        detectorShape: [ny, nx],
        pixelSizeA: tilts.pixelSizeA,
        volumeShape,
        weightBySpecies: w,
        sigmaA,
      });
    const basis = fixed ? [project(model, fixed)] : species.map((s) => project(subset(model, s), { [s]: 1 }));
    const { coef, b } = fitNonNegative(basis, data, fitBackground, !fixed);
    const calc = new Float32Array(data.length);
    for (let q = 0; q < basis.length; q++) {
      const c = coef[q];
      if (c === 0) continue;
      const B = basis[q];
      for (let t = 0; t < data.length; t++) calc[t] += c * B[t];
    }
    let num = 0,
      den = 0;
    for (let t = 0; t < data.length; t++) {
      calc[t] += b;
      num += Math.abs(data[t] - calc[t]);
      den += Math.abs(data[t]);
    }
    return { r: den > 0 ? num / den : Infinity, w: coef, b, calc };
  };
  const rBySigma: { sigmaA: number; rFactor: number }[] = [];
  let bestSigma = grid[0],
    bestR = Infinity;
  for (const sigmaA of grid) {
    const r =
      nSearch === na
        ? evaluateAt(sigmaA, m, tilts.anglesDeg).r
        : evaluateAt(sigmaA, searchData, searchAngles).r;
    rBySigma.push({ sigmaA, rFactor: r });
    if (r < bestR) {
      bestR = r;
      bestSigma = sigmaA;
    }
  }
  const final = evaluateAt(bestSigma, m, tilts.anglesDeg);
  const best = { r: final.r, w: final.w, b: final.b, sigma: bestSigma, calc: final.calc };
  const b = best!;
  const weightBySpecies: Record<string, number> = {};
  species.forEach((s, q) => (weightBySpecies[s] = fixed ? fixed[s] * b.w[0] : b.w[q]));
  return {
    rFactor: b.r,
    weightBySpecies,
    backgroundOffset: b.b,
    sigmaA: b.sigma,
    rBySigma,
    ...(opts.returnCalculated ? { calculated: b.calc } : {}),
  };
}

function subset(model: AtomicModel, species: string): AtomicModel {
  const idx: number[] = [];
  model.species.forEach((s, a) => s === species && idx.push(a));
  return atomsAt(model, idx);
}

/**
 * min ‖m − Σ c_q B_q − b‖² with c_q ≥ 0 (when `nonNegative`) and b free (or 0): normal equations on the
 * (K+1)×(K+1) Gram matrix, solved on every active set of the K coefficients (exact for the small K of
 * species lists) keeping the best feasible one. With fixed weights K = 1 and c is a free scale ≥ 0.
 */
function fitNonNegative(
  basis: Float32Array[],
  m: Float32Array,
  fitBackground: boolean,
  nonNegative: boolean,
): { coef: number[]; b: number } {
  const K = basis.length;
  const cols = fitBackground ? K + 1 : K;
  const G = new Float64Array(cols * cols),
    c = new Float64Array(cols);
  let mm = 0;
  const n = m.length;
  for (let t = 0; t < n; t++) mm += m[t] * m[t];
  for (let p = 0; p < K; p++) {
    const Bp = basis[p];
    let s = 0;
    for (let t = 0; t < n; t++) s += Bp[t] * m[t];
    c[p] = s;
    for (let q = 0; q <= p; q++) {
      const Bq = basis[q];
      let g = 0;
      for (let t = 0; t < n; t++) g += Bp[t] * Bq[t];
      G[p * cols + q] = G[q * cols + p] = g;
    }
    if (fitBackground) {
      let sb = 0;
      for (let t = 0; t < n; t++) sb += Bp[t];
      G[p * cols + K] = G[K * cols + p] = sb;
    }
  }
  if (fitBackground) {
    G[K * cols + K] = n;
    let sm = 0;
    for (let t = 0; t < n; t++) sm += m[t];
    c[K] = sm;
  }
  let bestCost = Infinity;
  let bestX = new Float64Array(cols);
  for (let mask = 0; mask < 1 << K; mask++) {
    const active: number[] = [];
    for (let q = 0; q < K; q++) if (mask & (1 << q)) active.push(q);
    if (fitBackground) active.push(K);
    if (active.length === 0) continue;
    const x = solveSub(G, c, cols, active);
    if (!x) continue;
    if (nonNegative && active.some((q) => q < K && x[q] < 0)) continue;
    // ‖m − Ax‖² = mᵀm − 2xᵀc + xᵀGx
    let cost = mm;
    for (let p = 0; p < cols; p++) {
      cost -= 2 * x[p] * c[p];
      for (let q = 0; q < cols; q++) cost += x[p] * G[p * cols + q] * x[q];
    }
    if (cost < bestCost) {
      bestCost = cost;
      bestX = x;
    }
  }
  const coef = Array.from({ length: K }, (_, q) => Math.max(0, bestX[q]));
  return { coef, b: fitBackground ? bestX[K] : 0 };
}

/** Solves G[active, active] x = c[active] (Gauss–Jordan, partial pivoting); others 0; null if singular. */
function solveSub(G: Float64Array, c: Float64Array, cols: number, active: number[]): Float64Array | null {
  const rows = active.map((i) => active.map((j) => G[i * cols + j]));
  // singular relative to the largest diagonal entry
  let scale = 0;
  for (let i = 0; i < active.length; i++) scale = Math.max(scale, Math.abs(rows[i][i]));
  const sub = solveGaussJordan(rows, active.map((i) => c[i]), 1e-12 * scale);
  if (!sub) return null;
  const x = new Float64Array(cols);
  active.forEach((q, i) => (x[q] = sub[i]));
  return x;
}

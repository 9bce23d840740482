/** Choosing atoms among traced candidates: a threshold on a score plus the minimum-separation rule. */
import { PannError } from '../core/errors';
import type { AtomicModel } from '../core/types';
import type { TraceResult } from './trace-atoms';

export type TraceScore = 'peak' | 'integrated';

/** Options of `selectAtoms`. */
export interface SelectOptions {
  /** Threshold on the score; candidates with score ≥ threshold are kept. Default: `autoThreshold(trace, {score})`. */
  threshold?: number;
  /** Score the threshold applies to. Default 'peak'. */
  score?: TraceScore;
  /** 'absolute' (volume units) or 'relative' (fraction of the largest score among all candidates). Default 'absolute'. */
  thresholdMode?: 'absolute' | 'relative';
  /** Species label of the selected atoms until they are classified. Default 'X'. */
  placeholderSpecies?: string;
}

/**
 * Atoms among the candidates of a trace: those whose score passes the threshold, after the greedy
 * minimum-separation pass redone on that subset (strongest peak first: a candidate is dropped only if a
 * KEPT stronger candidate lies closer than minSeparationA). Cheap (no new search): call it freely while
 * moving a threshold slider. For score 'peak' this equals filtering the full greedy result.
 * @returns a model with placeholder species and scores `peak`, `integrated`, `fitResidual`, `candidate`
 *   (index into the trace), in trace order (strongest first).
 */
export function selectAtoms(trace: TraceResult, opts: SelectOptions = {}): AtomicModel {
  const score = opts.score ?? 'peak';
  const values = scoreValues(trace, score);
  const mode = opts.thresholdMode ?? 'absolute';
  if (mode !== 'absolute' && mode !== 'relative') {
    throw new PannError('OPTION', `thresholdMode must be 'absolute' or 'relative', got '${mode}'`, {
      field: 'thresholdMode',
    });
  }
  if (opts.threshold !== undefined && !Number.isFinite(opts.threshold))
    throw new PannError('OPTION', `threshold must be finite, got ${opts.threshold}`, { field: 'threshold' });
  // Without candidates the automatic threshold is −∞, which keeps nothing anyway.
  let threshold = opts.threshold ?? autoThreshold(trace, { score });
  if (opts.threshold !== undefined && mode === 'relative') {
    let max = -Infinity;
    for (let c = 0; c < values.length; c++) if (values[c] > max) max = values[c];
    threshold *= max;
  }
  const n = values.length;
  const kept = new Uint8Array(n);
  const chosen: number[] = [];
  for (let c = 0; c < n; c++) {
    if (!(values[c] >= threshold)) continue;
    let blocked = false;
    for (let t = trace.conflictStart[c]; t < trace.conflictStart[c + 1]; t++) {
      if (kept[trace.conflictIdx[t]]) {
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    kept[c] = 1;
    chosen.push(c);
  }
  const m = chosen.length;
  const positionsA = new Float64Array(3 * m);
  const peak = new Float64Array(m),
    integrated = new Float64Array(m),
    fitResidual = new Float64Array(m),
    candidate = new Float64Array(m);
  chosen.forEach((c, a) => {
    positionsA.set(trace.positionsA.subarray(3 * c, 3 * c + 3), 3 * a);
    peak[a] = trace.peak[c];
    integrated[a] = trace.integrated[c];
    fitResidual[a] = trace.fitResidual[c];
    candidate[a] = c;
  });
  const [nz, ny, nx] = trace.volumeShape;
  const h = trace.voxelSizeA;
  return {
    positionsA,
    species: new Array<string>(m).fill(opts.placeholderSpecies ?? 'X'),
    scores: { peak, integrated, fitResidual, candidate },
    cellA: [nx * h, ny * h, nz * h],
  };
}

/**
 * A threshold separating atoms from noise maxima, on the scores of the candidates that survive the
 * minimum-separation pass.
 *
 * Score 'peak': recursive Otsu with a noise model. The noise level is T_noise = median + max(k·σ, 0.1·(max −
 * median)) of the smoothed volume (σ = 1.4826·MAD, k = `noiseSigmas`, default 4.5; the 10 % floor treats
 * small reconstruction artefacts of a clean volume as noise). Measured on pure white noise smoothed by the
 * default 0.35 Å (0.4 Å voxels): the highest of 2.7k maxima (64³) lay at 4.2σ, of 23k maxima (128³) at
 * 5.05σ; k = 4 let 3 / 77 noise maxima through, k = 4.5 lets 0 / 6. On a noisy (20 % of the Pt peak) Pd/Pt
 * particle k = 4.5 kept 86 % of the atoms (the dimmest Pd lie within the noise), k = 5 70 %, k = 4 92 %. Otsu's cut (`otsuSplit`) is
 * taken; if its lower class still holds a population of atoms (values ≥ T_noise numbering ≥ 10 % of the
 * upper class, e.g. the lighter species of an alloy), the lower class is split again, and so on. When no
 * split is clear the threshold is max(min score, T_noise). Score 'integrated': plain `otsuSplit`.
 * @param opts.score score to split (default 'peak')
 * @param opts.noiseSigmas k, the noise level in noise σ (default 4.5): lower finds dimmer atoms, admits more ghosts
 * @returns an absolute threshold in the score's units (−∞ when there are no candidates).
 */
export function autoThreshold(
  trace: TraceResult,
  opts: { score?: TraceScore; noiseSigmas?: number } = {},
): number {
  const score = opts.score ?? 'peak';
  const values = scoreValues(trace, score);
  const v: number[] = [];
  for (let c = 0; c < values.length; c++)
    if (trace.suppressedBy[c] === -1 && Number.isFinite(values[c])) v.push(values[c]);
  if (v.length === 0) return -Infinity;
  if (score !== 'peak' || !trace.volumeStats) return otsuSplit(Float64Array.from(v)).threshold;
  const { median, noiseSigma, max } = trace.volumeStats;
  const k = opts.noiseSigmas ?? 4.5;
  if (!(k >= 0)) throw new PannError('OPTION', `noiseSigmas must be ≥ 0, got ${k}`, { field: 'noiseSigmas' });
  const noiseLevel = median + Math.max(k * noiseSigma, 0.1 * (max - median));
  return recursiveCut(Float64Array.from(v), noiseLevel, 0);
}

function recursiveCut(values: Float64Array, noiseLevel: number, depth: number): number {
  let min = Infinity;
  for (let t = 0; t < values.length; t++) if (values[t] < min) min = values[t];
  const s = otsuSplit(values);
  if (!(s.threshold > min) || depth >= 4) return Math.max(min, noiseLevel);
  let atomsBelow = 0,
    above = 0;
  for (let t = 0; t < values.length; t++) {
    if (values[t] >= s.threshold) above++;
    else if (values[t] >= noiseLevel) atomsBelow++;
  }
  if (atomsBelow >= Math.max(3, 0.1 * above)) {
    return recursiveCut(
      values.filter((x) => x < s.threshold),
      noiseLevel,
      depth + 1,
    );
  }
  return s.threshold;
}

/**
 * Otsu threshold of a sample (256 bins) with a one-population guard: when the best split explains less
 * than `minSeparability` of the variance (η = σ²_between/σ²_total; a single normal population gives
 * η ≈ 2/π ≈ 0.64, a uniform one 0.75, two well-separated ones → 1), the sample is taken as ONE population
 * (all atoms, e.g. a clean volume) and the threshold is its minimum, so nothing is dropped. The same
 * happens when the lower class mean exceeds `maxMeanRatio` × the upper one (both classes are atoms).
 * Limitation: with species of very different Z (e.g. Fe with Pt, peaks ~0.15×) Otsu may cut between
 * species; give an explicit threshold then.
 * @returns { threshold, separability η }
 */
export function otsuSplit(
  values: Float64Array,
  bins = 256,
  minSeparability = 0.85,
  maxMeanRatio = 0.6,
): { threshold: number; separability: number } {
  const n = values.length;
  if (n === 0) return { threshold: -Infinity, separability: 0 };
  let lo = Infinity,
    hi = -Infinity;
  for (let t = 0; t < n; t++) {
    if (values[t] < lo) lo = values[t];
    if (values[t] > hi) hi = values[t];
  }
  if (!(hi > lo)) return { threshold: lo, separability: 0 }; // one value: keep everything
  const width = (hi - lo) / bins;
  const hist = new Float64Array(bins);
  for (let t = 0; t < n; t++) hist[Math.min(bins - 1, Math.floor((values[t] - lo) / width))]++;
  let sumAll = 0,
    sq = 0;
  for (let b = 0; b < bins; b++) {
    sumAll += b * hist[b];
    sq += b * b * hist[b];
  }
  const total = sq / n - (sumAll / n) ** 2; // variance in bin units
  let w0 = 0,
    sum0 = 0,
    best = -1,
    bestCut = 1;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b];
    sum0 += b * hist[b];
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0,
      m1 = (sumAll - sum0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestCut = b + 1;
    }
  }
  const separability = total > 0 ? best / (n * n) / total : 0;
  // Class means in value units: a split is only taken when the lower class is clearly dimmer (noise).
  let c0 = 0,
    s0 = 0;
  for (let b = 0; b < bestCut; b++) {
    c0 += hist[b];
    s0 += (lo + (b + 0.5) * width) * hist[b];
  }
  let c1 = 0,
    s1 = 0;
  for (let b = bestCut; b < bins; b++) {
    c1 += hist[b];
    s1 += (lo + (b + 0.5) * width) * hist[b];
  }
  const mean0 = s0 / c0,
    mean1 = s1 / c1;
  const split = separability >= minSeparability && !(mean1 > 0 && mean0 > maxMeanRatio * mean1);
  return { threshold: split ? lo + bestCut * width : lo, separability };
}

/** Otsu threshold of a sample; see `otsuSplit`. */
export function otsuThreshold(values: Float64Array, bins = 256): number {
  return otsuSplit(values, bins).threshold;
}

function scoreValues(trace: TraceResult, score: TraceScore): Float64Array {
  if (score === 'peak') return trace.peak;
  if (score === 'integrated') return trace.integrated;
  throw new PannError('OPTION', `score must be 'peak' or 'integrated', got '${score}'`, { field: 'score' });
}

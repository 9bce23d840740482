/**
 * From DAST's species-agnostic brightness scores to the user's species. The network predicts, per atom,
 * a score calibrated to α·ln Z (α = 1.7, the Z-contrast exponent) up to one unknown offset per particle,
 * and its own uncertainty. Given the k species the user names, a 1D Gaussian mixture with component
 * means α·ln Z_c + b (fixed spacings, one fitted offset b) assigns the atoms; any element set works, with
 * no retraining. A known composition fixes the mixture weights and then rebalances the probabilities
 * (Sinkhorn-style) so the expected counts match it.
 */
import { PannError } from '../../core/errors';
import { atomicNumber } from '../../core/elements';
import { kmeans1D } from '../kmeans';

/** Z-contrast exponent of the brightness score (the simulator's σ ∝ Z^1.7). */
export const BRIGHTNESS_EXPONENT = 1.7;

/** The brightness score of an element: α·ln Z. */
export function brightnessScore(symbol: string): number {
  return BRIGHTNESS_EXPONENT * Math.log(atomicNumber(symbol));
}

/** Options of {@link assignSpecies}. */
export interface AssignOptions {
  /** Known atom fractions by element (need not sum to 1; normalised). Missing elements get 0. */
  composition?: Record<string, number>;
  /** EM iterations (default 50). */
  iterations?: number;
  /**
   * 'free' (default): each species' mean score is fitted (started from the ladder fit, kept in Z order);
   * 'ladder': means fixed at α·ln Z_c + b (one offset, optionally a scale). Measured: the network's
   * scores shrink towards the particle mean at low dose (FePt 3e3 e⁻/Å²: Fe–Pt gap 0.8 instead of 1.87),
   * so free means classify better (FePt 3e3: 91.5 % vs 80.4 %).
   */
  means?: 'free' | 'ladder';
  /** Fit the ladder scale a (default false: a = 1, the network is trained on the α·ln Z ladder). */
  fitScale?: boolean;
  /**
   * Fit the mixture weights (default false: equal weights, or the composition when given). Measured on
   * validation particles: fitting them lets the ladder slide by a rung when one species dominates
   * (79 % vs 93 % species accuracy with equal weights).
   */
  fitWeights?: boolean;
  /** Per-atom probability of being a ghost (0…1); the fit weights atoms by 1 − p (floored at 0.02). */
  ghostProbability?: Float32Array;
}

/** Result of {@link assignSpecies}. */
export interface SpeciesAssignment {
  /** Species by ascending Z (the column order of `probabilities`). */
  labels: string[];
  /** [nAtoms, k] class probabilities, rows sum to 1. */
  probabilities: Float32Array;
  /** Most probable class per atom (index into `labels`). */
  classes: Int32Array;
  /** Fitted score offset b, ladder scale a and extra spread (score units). */
  offset: number;
  scale: number;
  extraSigma: number;
  /** Mixture weights used. */
  weights: number[];
}

/**
 * Assigns species to atoms from their brightness scores.
 * @param score predicted brightness score per atom (α·ln Z units, arbitrary offset)
 * @param sigma predicted standard deviation of each score (same units, > 0)
 * @param species the element symbols present (2–4 typical; any order)
 * @param opts composition prior, EM iterations
 */
export function assignSpecies(score: Float32Array, sigma: Float32Array, species: string[], opts: AssignOptions = {}): SpeciesAssignment {
  const n = score.length;
  if (sigma.length !== n) throw new PannError('SHAPE', `sigma has ${sigma.length} values for ${n} scores`, { field: 'sigma' });
  if (!Array.isArray(species) || species.length === 0) throw new PannError('OPTION', 'species must list at least one element symbol', { field: 'species' });
  if (new Set(species).size !== species.length) throw new PannError('OPTION', `species contains duplicates: ${species.join(', ')}`, { field: 'species' });
  const labels = species.slice().sort((a, b) => atomicNumber(a) - atomicNumber(b));
  const k = labels.length;
  const tau = labels.map(brightnessScore);
  let prior: number[] | null = null;
  if (opts.composition) {
    const c = opts.composition;
    for (const key of Object.keys(c)) {
      if (!labels.includes(key)) throw new PannError('OPTION', `composition names '${key}', which is not among the species (${labels.join(', ')})`, { field: 'composition' });
      if (!(c[key] >= 0)) throw new PannError('OPTION', `composition of ${key} must be ≥ 0, got ${c[key]}`, { field: 'composition' });
    }
    const tot = labels.reduce((s, l) => s + (c[l] ?? 0), 0);
    if (!(tot > 0)) throw new PannError('OPTION', 'composition fractions sum to 0', { field: 'composition' });
    prior = labels.map((l) => (c[l] ?? 0) / tot);
  }
  const probabilities = new Float32Array(n * k);
  const classes = new Int32Array(n);
  if (k === 1 || n === 0) {
    for (let i = 0; i < n; i++) probabilities[i * k] = 1;
    return { labels, probabilities, classes, offset: 0, scale: 1, extraSigma: 0, weights: [1] };
  }
  const gp = opts.ghostProbability;
  if (gp && gp.length !== n) throw new PannError('SHAPE', `ghostProbability has ${gp.length} values for ${n} scores`, { field: 'ghostProbability' });
  const fitW = new Float64Array(n);
  for (let i = 0; i < n; i++) fitW[i] = gp ? Math.max(0.02, 1 - gp[i]) : 1;
  let w = prior ? prior.slice() : labels.map(() => 1 / k);
  let extra2 = 0.05 ** 2;
  let a = 1,
    b = 0;
  const resp = new Float64Array(n * k);
  const loglik = (aa: number, bb: number): number => {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const v = sigma[i] * sigma[i] + extra2;
      let p = 0;
      for (let c = 0; c < k; c++) p += w[c] * Math.exp(-((score[i] - aa * tau[c] - bb) ** 2) / (2 * v));
      ll += fitW[i] * Math.log(p + 1e-300);
    }
    return ll;
  };
  // Start: 1D k-means on the scores (ghost-weighted atoms resampled by weight > 0.5), its sorted centres
  // regressed on the ladder for (a, b); a grid search over the offset at that scale as a fallback.
  const kept = Float64Array.from(Array.from(score).filter((_, i) => fitW[i] > 0.5));
  const km = kmeans1D(kept.length >= k ? kept : Float64Array.from(score), k, { seed: 0, restarts: 5 });
  {
    const tm = tau.reduce((x, y) => x + y, 0) / k;
    const cm = km.centres.reduce((x, y) => x + y, 0) / k;
    let num = 0,
      den = 0;
    for (let c = 0; c < k; c++) {
      num += (tau[c] - tm) * (km.centres[c] - cm);
      den += (tau[c] - tm) ** 2;
    }
    a = den > 0 && opts.fitScale ? Math.min(1.3, Math.max(0.5, num / den)) : 1;
    b = cm - a * tm;
  }
  let best = loglik(a, b);
  const b0 = lo0(score) - a * tau[k - 1],
    b1 = hi0(score) - a * tau[0];
  for (let g = 0; g <= 150; g++) {
    const bb = b0 + ((b1 - b0) * g) / 150;
    const ll = loglik(a, bb);
    if (ll > best + 1e-9) {
      best = ll;
      b = bb;
    }
  }
  const free = (opts.means ?? 'free') === 'free';
  const mu = tau.map((t) => a * t + b);
  const iterations = opts.iterations ?? 50;
  for (let it = 0; it <= iterations; it++) {
    // E step.
    for (let i = 0; i < n; i++) {
      const v = sigma[i] * sigma[i] + extra2;
      let z = 0,
        m = -Infinity;
      for (let c = 0; c < k; c++) {
        const l = Math.log(w[c] + 1e-300) - (score[i] - mu[c]) ** 2 / (2 * v);
        resp[i * k + c] = l;
        if (l > m) m = l;
      }
      for (let c = 0; c < k; c++) z += resp[i * k + c] = Math.exp(resp[i * k + c] - m);
      for (let c = 0; c < k; c++) resp[i * k + c] /= z;
    }
    if (it === iterations) break;
    // M step (ghost-weighted): mixture weights (unless fixed by the composition), then (a, b) by
    // weighted least squares of score on the ladder, then the extra spread.
    if (!prior && (opts.fitWeights ?? false)) {
      let tw = 0;
      for (let i = 0; i < n; i++) tw += fitW[i];
      w = labels.map((_, c) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += fitW[i] * resp[i * k + c];
        return Math.max(s / tw, 1e-6);
      });
    }
    let sw = 0,
      st = 0,
      sx = 0,
      stt = 0,
      stx = 0;
    for (let i = 0; i < n; i++) {
      const prec = fitW[i] / (sigma[i] * sigma[i] + extra2);
      for (let c = 0; c < k; c++) {
        const q = resp[i * k + c] * prec;
        sw += q;
        st += q * tau[c];
        sx += q * score[i];
        stt += q * tau[c] * tau[c];
        stx += q * tau[c] * score[i];
      }
    }
    const det = sw * stt - st * st;
    if (opts.fitScale) a = det > 1e-12 ? Math.min(1.3, Math.max(0.5, (sw * stx - st * sx) / det)) : a;
    b = (sx - a * st) / sw;
    for (let c = 0; c < k; c++) mu[c] = a * tau[c] + b;
    if (free) {
      for (let c = 0; c < k; c++) {
        let num = 0,
          den = 0;
        for (let i = 0; i < n; i++) {
          const q = (resp[i * k + c] * fitW[i]) / (sigma[i] * sigma[i] + extra2);
          num += q * score[i];
          den += q;
        }
        if (den > 1e-9) mu[c] = num / den;
      }
      // Keep the Z order (heavier = brighter).
      for (let c = 1; c < k; c++) if (mu[c] < mu[c - 1]) mu[c] = mu[c - 1] + 1e-3;
    }
    let sq = 0,
      s2 = 0,
      tw = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) sq += fitW[i] * resp[i * k + c] * (score[i] - mu[c]) ** 2;
      s2 += fitW[i] * sigma[i] * sigma[i];
      tw += fitW[i];
    }
    extra2 = Math.max(0.02 ** 2, (sq - s2) / tw);
  }
  // The composition describes real atoms: ghosts (weight 1 − p_ghost → 0) do not count.
  if (prior) rebalance(resp, n, k, prior, 100, fitW);
  for (let i = 0; i < n; i++) {
    let bc = 0;
    for (let c = 0; c < k; c++) {
      probabilities[i * k + c] = resp[i * k + c];
      if (resp[i * k + c] > resp[i * k + bc]) bc = c;
    }
    classes[i] = bc;
  }
  return { labels, probabilities, classes, offset: b, scale: a, extraSigma: Math.sqrt(extra2), weights: w };
}

/**
 * Rescales class columns (iterative proportional fitting) so the weighted expected count of class c,
 * Σ_i w_i p_ic, is f_c · Σ_i w_i, keeping rows normalised.
 * @param p [n, k] probabilities, changed in place; fractions f_c (sum 1); rowWeights w_i (default 1)
 */
export function rebalance(p: Float64Array, n: number, k: number, fractions: number[], iterations = 100, rowWeights?: Float64Array): void {
  const scale = new Float64Array(k).fill(1);
  const col = new Float64Array(k);
  const base = Float64Array.from(p);
  let total = 0;
  for (let i = 0; i < n; i++) total += rowWeights ? rowWeights[i] : 1;
  for (let it = 0; it < iterations; it++) {
    col.fill(0);
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let c = 0; c < k; c++) z += p[i * k + c] = base[i * k + c] * scale[c];
      const wi = rowWeights ? rowWeights[i] : 1;
      for (let c = 0; c < k; c++) {
        p[i * k + c] /= z || 1;
        col[c] += wi * p[i * k + c];
      }
    }
    let done = true;
    for (let c = 0; c < k; c++) {
      const target = total * fractions[c];
      if (col[c] > 0) {
        const r = target / col[c];
        if (Math.abs(r - 1) > 1e-4) done = false;
        scale[c] *= target > 0 ? r : 0;
      }
    }
    if (done) break;
  }
}

function lo0(x: Float32Array): number {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] < m) m = x[i];
  return m;
}

function hi0(x: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  return m;
}

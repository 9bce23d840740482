/** Benchmark metrics of a traced + classified model against the true model (simulated data). */
import { PannError, assertPositive } from '../core/errors';
import { isElement, sortByZ } from '../core/elements';
import type { AtomicModel } from '../core/types';
import { checkModel, matchPositions, type AtomMatch } from './match';

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /**
   * Matching radius in Å. Default 1.0 Å: below half the shortest nearest-neighbour distance of the
   * metals and semiconductors studied by AET (Fe 2.48, Pt 2.77, Au 2.88, Si 2.35 Å → halves 1.18–1.44 Å),
   * so a predicted atom can only ever match ONE true atom, and a ghost half-way between two true
   * atoms is never counted as recovering either.
   */
  rMatchA?: number;
  /**
   * Whether recovery, false positives and species accuracy come from the matching after the global
   * shift is removed (true) or from the raw matching (false, default). `rmseShiftRemovedPm` and
   * `meanShiftA` are computed either way.
   */
  removeGlobalShift?: boolean;
  /** Match → remove the mean displacement → rematch iterations for the shift estimate. Default 3. */
  shiftIterations?: number;
}

/** Per-species counts keyed by TRUE species. */
export interface SpeciesMetrics {
  nTrue: number;
  /** True atoms of this species matched by position. */
  nMatched: number;
  /** nMatched / nTrue. */
  recoveryRate: number;
  /** Matched atoms given the right species / nMatched (NaN when nMatched = 0). */
  accuracy: number;
}

export interface EvaluationMetrics {
  nTrue: number;
  nPred: number;
  nMatched: number;
  /** nMatched / nTrue. */
  recoveryRate: number;
  /** (nPred − nMatched) / nPred (0 when nPred = 0). */
  falsePositiveRate: number;
  /** RMS distance of the raw matched pairs in pm (NaN without pairs). */
  rmsePm: number;
  /** RMS distance in pm after subtracting the global shift `meanShiftA` and rematching. */
  rmseShiftRemovedPm: number;
  /** Estimated global shift pred − truth in Å (mean displacement of matched pairs, iterated). */
  meanShiftA: [number, number, number];
  /** Whether counts and species accuracy use the shift-removed matching. */
  shiftRemoved: boolean;
  /** Matched pairs with the right species / nMatched (NaN without pairs). */
  speciesAccuracy: number;
  perSpecies: Record<string, SpeciesMetrics>;
  /** counts[i][j]: matched pairs of true species labels[i] predicted as labels[j]. */
  confusion: { labels: string[]; counts: number[][] };
  rMatchA: number;
}

/**
 * Compares a predicted model to the truth.
 * @param pred predicted atoms (Å, species labels); may be empty
 * @param truth true atoms (Å, same frame); must not be empty
 */
export function evaluate(
  pred: AtomicModel,
  truth: AtomicModel,
  opts: EvaluateOptions = {},
): EvaluationMetrics {
  checkModel(pred, 'pred');
  checkModel(truth, 'truth');
  const nTrue = truth.species.length,
    nPred = pred.species.length;
  if (nTrue === 0)
    throw new PannError('VALUE', 'the true model is empty: recovery rate is undefined', { field: 'truth' });
  const rMatchA = opts.rMatchA ?? 1.0;
  assertPositive(rMatchA, 'rMatchA');
  const iterations = opts.shiftIterations ?? 3;
  if (!(Number.isInteger(iterations) && iterations >= 1)) {
    throw new PannError('OPTION', `shiftIterations must be an integer ≥ 1, got ${iterations}`, {
      field: 'shiftIterations',
    });
  }

  const raw = matchPositions(pred.positionsA, truth.positionsA, rMatchA, [0, 0, 0]);
  // Global shift: match, take the mean displacement, rematch with it removed; repeat.
  let shift: [number, number, number] = [0, 0, 0];
  let shifted = raw;
  for (let it = 0; it < iterations; it++) {
    if (shifted.predIndex.length === 0) break;
    const d = meanDisplacement(pred.positionsA, truth.positionsA, shifted);
    shift = d;
    shifted = matchPositions(pred.positionsA, truth.positionsA, rMatchA, shift);
  }
  // The reported shift is consistent with the final matching.
  if (shifted.predIndex.length > 0) shift = meanDisplacement(pred.positionsA, truth.positionsA, shifted);
  const rmseShiftRemovedPm = rmsPm(pred.positionsA, truth.positionsA, shifted, shift);

  const removeGlobalShift = opts.removeGlobalShift ?? false;
  const used = removeGlobalShift ? shifted : raw;
  const nMatched = used.predIndex.length;

  const labels = orderLabels([...new Set([...truth.species, ...pred.species])]);
  const li = new Map(labels.map((l, i) => [l, i]));
  const counts = labels.map(() => labels.map(() => 0));
  const perSpecies: Record<string, SpeciesMetrics> = {};
  for (const s of truth.species) {
    perSpecies[s] ??= { nTrue: 0, nMatched: 0, recoveryRate: 0, accuracy: NaN };
    perSpecies[s].nTrue++;
  }
  let correct = 0;
  const correctBy: Record<string, number> = {};
  for (let q = 0; q < nMatched; q++) {
    const ts = truth.species[used.truthIndex[q]],
      ps = pred.species[used.predIndex[q]];
    counts[li.get(ts)!][li.get(ps)!]++;
    perSpecies[ts].nMatched++;
    if (ts === ps) {
      correct++;
      correctBy[ts] = (correctBy[ts] ?? 0) + 1;
    }
  }
  for (const [s, m] of Object.entries(perSpecies)) {
    m.recoveryRate = m.nMatched / m.nTrue;
    m.accuracy = m.nMatched > 0 ? (correctBy[s] ?? 0) / m.nMatched : NaN;
  }
  return {
    nTrue,
    nPred,
    nMatched,
    recoveryRate: nMatched / nTrue,
    falsePositiveRate: nPred > 0 ? (nPred - nMatched) / nPred : 0,
    rmsePm: rmsPm(pred.positionsA, truth.positionsA, raw, [0, 0, 0]),
    rmseShiftRemovedPm,
    meanShiftA: shift,
    shiftRemoved: removeGlobalShift,
    speciesAccuracy: nMatched > 0 ? correct / nMatched : NaN,
    perSpecies,
    confusion: { labels, counts },
    rMatchA,
  };
}

/** Mean of (pred − truth) over matched pairs, Å. */
function meanDisplacement(P: Float64Array, T: Float64Array, m: AtomMatch): [number, number, number] {
  const s = [0, 0, 0];
  const n = m.predIndex.length;
  for (let q = 0; q < n; q++)
    for (let d = 0; d < 3; d++) s[d] += P[3 * m.predIndex[q] + d] - T[3 * m.truthIndex[q] + d];
  return [s[0] / n, s[1] / n, s[2] / n];
}

/** RMS of |pred − shift − truth| over matched pairs, in pm (1 Å = 100 pm). */
function rmsPm(P: Float64Array, T: Float64Array, m: AtomMatch, shift: [number, number, number]): number {
  const n = m.predIndex.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let q = 0; q < n; q++)
    for (let d = 0; d < 3; d++) s += (P[3 * m.predIndex[q] + d] - shift[d] - T[3 * m.truthIndex[q] + d]) ** 2;
  return Math.sqrt(s / n) * 100;
}

/** Element symbols by Z (light first), anything else (e.g. the placeholder 'X') after, alphabetically. */
function orderLabels(labels: string[]): string[] {
  const el = labels.filter((l) => isElement(l)),
    other = labels.filter((l) => !isElement(l)).sort();
  return [...sortByZ(el), ...other];
}

/**
 * Lattice sites the tracing left empty. In a close-packed crystal (fcc, bcc) every site is the midpoint of
 * several pairs of opposite nearest neighbours (fcc: 6, bcc: 4), so a site whose atom the tracing missed
 * — at low dose mostly the light atoms of an alloy, with SNR below 3 (bench/results/dose-limit.md) —
 * still shows as the common midpoint of pairs of traced atoms 2 d apart (d the first-shell distance)
 * with nothing at it. Such a site is proposed when at least `minPairs` pairs agree; sites outside the
 * particle have their neighbours on one side only and make no pairs. Whether an atom sits there is for
 * the data to say: the proposals are fitted to the tilt series with the traced atoms, and the support cut
 * and `dropFaintSites` keep the ones the projections hold up (bench/results/vacant-sites-validation.md).
 */
import { PannError } from '../core/errors';
import { atomsAt, type AtomicModel } from '../core/types';
import { CellGrid } from '../sim/neighbours';
import { firstShellDistanceA } from './centrosymmetric-prior';
import { FITTED_BRIGHTNESS, DETECTION_SNR } from './fit-to-tilts';
import { keepSupportedAtoms, type SupportedAtomsOptions } from './supported-atoms';

/** Options of `vacantSites`; lengths as fractions of the first-shell distance d (`firstShellDistanceA`). */
export interface VacantSitesOptions {
  /** Fewest opposite pairs whose midpoints agree for a site to be proposed. Default 3 (a bulk fcc site has 6, a {111} surface site 3). */
  minPairs?: number;
  /** A pair counts when its atoms are between 2 × (1 − this) and 2 × (1 + this) d apart. Default 0.1 (the next fcc distance is √5 d = 2.24 d). */
  pairTolerance?: number;
  /** A site is empty when no traced atom is within this × d of it. Default 0.6. */
  emptyRadius?: number;
  /** Midpoints within this × d of each other are one site. Default 0.35. */
  mergeRadius?: number;
}

/**
 * Proposes the empty lattice sites among traced atoms.
 * @param positionsA x, y, z per traced atom (Å)
 * @returns x, y, z per proposed site (Å; each the mean of its agreeing midpoints), in a fixed order
 */
export function vacantSites(positionsA: Float64Array, opts: VacantSitesOptions = {}): Float64Array {
  const n = positionsA.length / 3;
  const minPairs = opts.minPairs ?? 3;
  const tol = opts.pairTolerance ?? 0.1;
  if (n < 2 * minPairs) return new Float64Array(0);
  const d = firstShellDistanceA(positionsA);
  if (!(d > 0)) return new Float64Array(0);
  const lo2 = (2 * (1 - tol) * d) ** 2,
    hi = 2 * (1 + tol) * d;
  const empty = (opts.emptyRadius ?? 0.6) * d;
  const merge2 = ((opts.mergeRadius ?? 0.35) * d) ** 2;
  const atoms = CellGrid.of(positionsA, hi);
  // midpoints of pairs 2 d apart with no traced atom at them
  const mids: number[] = [];
  for (let a = 0; a < n; a++) {
    const [x, y, z] = [positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]];
    atoms.forEachWithin(x, y, z, hi, a, (b, d2) => {
      if (b <= a || d2 < lo2) return;
      const mx = (x + positionsA[3 * b]) / 2,
        my = (y + positionsA[3 * b + 1]) / 2,
        mz = (z + positionsA[3 * b + 2]) / 2;
      if (!atoms.anyWithin(mx, my, mz, empty)) mids.push(mx, my, mz);
    });
  }
  // greedy merge in a fixed order: each midpoint joins the first site within mergeRadius of its running mean
  const sum: number[] = [],
    count: number[] = [];
  for (let k = 0; k < mids.length; k += 3) {
    let joined = false;
    for (let s = 0; s < count.length && !joined; s++) {
      const c = count[s];
      const dx = sum[3 * s] / c - mids[k],
        dy = sum[3 * s + 1] / c - mids[k + 1],
        dz = sum[3 * s + 2] / c - mids[k + 2];
      if (dx * dx + dy * dy + dz * dz < merge2) {
        for (let e = 0; e < 3; e++) sum[3 * s + e] += mids[k + e];
        count[s]++;
        joined = true;
      }
    }
    if (!joined) {
      sum.push(mids[k], mids[k + 1], mids[k + 2]);
      count.push(1);
    }
  }
  const out: number[] = [];
  for (let s = 0; s < count.length; s++) if (count[s] >= minPairs) out.push(sum[3 * s] / count[s], sum[3 * s + 1] / count[s], sum[3 * s + 2] / count[s]);
  return Float64Array.from(out);
}

/** The candidate index a proposed site carries in `scores.candidate`: it is no traced peak. */
export const PROPOSED_SITE_CANDIDATE = -1;

/**
 * `model` with an atom added at each of `sitesA` (x, y, z per site, Å), after its own atoms: species the
 * placeholder of its first atom ('X' when empty), every per-atom score 0 except `candidate`
 * (`PROPOSED_SITE_CANDIDATE`), no class probabilities (classification comes after the fit).
 */
export function withVacantSites(model: AtomicModel, sitesA: Float64Array, placeholder = model.species[0] ?? 'X'): AtomicModel {
  if (model.probabilities) throw new PannError('VALUE', 'add vacant sites before classifying: this model already has class probabilities', { field: 'probabilities' });
  const k = sitesA.length / 3;
  const scores = model.scores
    ? Object.fromEntries(Object.entries(model.scores).map(([name, v]) => [name, Float64Array.from([...v, ...new Array<number>(k).fill(name === 'candidate' ? PROPOSED_SITE_CANDIDATE : 0)])]))
    : undefined;
  return { ...model, positionsA: Float64Array.from([...model.positionsA, ...sitesA]), species: [...model.species, ...new Array<string>(k).fill(placeholder)], ...(scores ? { scores } : {}) };
}

/**
 * How many standard errors fainter than the lightest species a proposed site may fit and still be kept:
 * a real atom there fits to about that species' brightness ± its error, a site that only soaks up its
 * neighbours' misfit to a fraction of it (without this test the PtFe sphere at 1e6 kept 10 such sites, none
 * on a true atom; bench/results/vacant-sites-test.md before and after).
 */
export const FAINT_SITE_SIGMAS = 3;

/**
 * Drops the proposed sites (`scores.candidate` = `PROPOSED_SITE_CANDIDATE`) whose fitted brightness lies more
 * than `sigmas` standard errors below `lightestBrightness` (the lightest species' expected brightness,
 * `keepSupportedAtoms(...).lightestBrightness`); traced atoms are kept as they are. Reads the fit's
 * `fittedBrightness` and `detectionSnr` scores (error = brightness / SNR).
 */
export function dropFaintSites(model: AtomicModel, lightestBrightness: number, sigmas = FAINT_SITE_SIGMAS): AtomicModel {
  const s = model.scores;
  const b = s?.[FITTED_BRIGHTNESS],
    snr = s?.[DETECTION_SNR],
    cand = s?.candidate;
  if (!b || !snr || !cand) throw new PannError('VALUE', `dropFaintSites needs the fit's scores ${FITTED_BRIGHTNESS}, ${DETECTION_SNR} and candidate`, { field: 'scores' });
  const keep: number[] = [];
  for (let a = 0; a < model.species.length; a++) {
    const error = b[a] / snr[a];
    if (cand[a] !== PROPOSED_SITE_CANDIDATE || b[a] >= lightestBrightness - sigmas * error) keep.push(a);
  }
  return atomsAt(model, keep);
}

/**
 * What the pipeline keeps after a fit: the support cut (`keepSupportedAtoms`), then, when the fitted atoms
 * hold proposed sites, `dropFaintSites` against the lightest species' brightness the cut read.
 * @param model the fitted atoms (`fitAtomsToTilts(...).model`, with its scores)
 * @param brightness each atom's fitted brightness (`fitAtomsToTilts(...).amplitude`), same order
 */
export function keepSupportedAtomsAndSites(model: AtomicModel, brightness: ArrayLike<number>, opts: SupportedAtomsOptions): AtomicModel {
  const supported = keepSupportedAtoms(model, brightness, opts);
  const hasSites = Array.from(model.scores?.candidate ?? []).some((c) => c === PROPOSED_SITE_CANDIDATE);
  return hasSites ? dropFaintSites(supported.model, supported.lightestBrightness) : supported.model;
}

/**
 * The classical AET pipeline on an in-memory tilt series: (align) → reconstruct → (refine) → trace →
 * select → (fit positions) → classify → R-factor. Every stage is one pure stage function; this module only wires them in
 * order, times them and forwards progress. `pann run` and the demo call it; notebooks call the stages
 * one by one through the Session.
 */
import type { AtomicModel, ProgressCallback, TiltSeries, Volume } from '../core/types';
import { PannError, assertPositive } from '../core/errors';
import { alignTiltSeries, shiftTiltSeries } from '../recon/align';
import { reconstructDetailed, type ReconstructionMethod } from '../recon/reconstruct';
import { traceAtoms, selectAtoms, autoThreshold, fitAtomsToTilts, keepSupportedAtomsAndSites, misalignmentCorrectionsA, misalignmentZ2, vacantSites, withVacantSites, PROPOSED_SITE_CANDIDATE, DEFAULT_SUPPORT_FRACTION, type TraceResult, type FitToTiltsResult } from '../trace';
import { classifyKMeans } from '../classify';
import { classifyDast } from '../classify/dast';
import { rFactor } from '../metrics';
import { StageTimer } from './timer';
import { subtractBackground } from '../preprocess/background';
import { refineVolume, refinedThreshold } from '../refine';

export type VolumeRefineMethod = 'none' | 'glare' | 'unet';
/**
 * Refinement when none is asked for: GLARE (its weights ship in models/glare). Chosen from
 * bench/results/pipeline-refine.md; 'none' keeps the classical pipeline.
 */
export const DEFAULT_VOLUME_REFINE: VolumeRefineMethod = 'glare';
/**
 * Whether the traced atoms are fitted to the tilt series when nothing is said: yes — on the 12 simulated
 * cases of bench/results/pipeline-refine.md GLARE + fit beats GLARE alone on false positives and RMSE and
 * is worse than no refinement in none of them; on the published aSi it removes every false positive.
 */
export const DEFAULT_FIT_POSITIONS = true;
/**
 * Whether the pipeline proposes the lattice sites the tracing left empty and fits them (see
 * `PipelineOptions.fillVacantSites`): yes — better on both splits (bench/results/vacant-sites-validation.md,
 * vacant-sites-test.md) and in the whole pipeline (pipeline-refine.md), most at 1e4 e⁻/Å² and below. Its cost:
 * a second fit wherever a site is proposed — in pipeline-refine.md on every case, about as long as the first.
 */
export const DEFAULT_FILL_VACANT_SITES = true;
/** When the pipeline realigns the series from the first fit and traces again (see `PipelineOptions.realign`). */
export type RealignMode = 'auto' | 'always' | 'never';
export const DEFAULT_REALIGN: RealignMode = 'auto';
/**
 * 'auto' realigns when the first fit's shifts stand this far above their noise (`misalignmentZ2`, the
 * mean squared shift over its standard error): below it the shifts are mostly noise, and shifting the
 * series by them only adds interpolation blur. Chosen on the validation split (bench/results/realign-validation.md).
 */
export const REALIGN_MIN_Z2 = 10;
export type ClassifyMethod = 'kmeans' | 'dast';
export type AlignMethod = 'none' | 'centre-of-mass' | 'cross-correlation';

/** Options of `runPipeline`; the JSON form is schema/pipeline-config.schema.json. */
export interface PipelineOptions {
  /** Element symbols in the particle, lightest to heaviest or any order (e.g. ['Fe', 'Pt']). Default ['Pt']. */
  species?: string[];
  /** Per-projection background removal (median of a border frame). Default 'border-median'. */
  background?: 'border-median' | 'none';
  /** Tilt-series pre-alignment. Default 'none' (simulated and published data sets come pre-aligned). */
  align?: AlignMethod;
  reconstruction?: { method?: ReconstructionMethod; iterations?: number; stepSize?: number; positivity?: boolean };
  /** Volume refinement before tracing: 'glare', the plain 'unet' baseline, or 'none' (the classical pipeline). Default 'glare'. */
  refine?: VolumeRefineMethod;
  /** Folder of the refinement weights (default: the shipped models/glare or models/unet). */
  refineModelDir?: string;
  /** Refinement only: average over the 8 mirror images of the volume (8× the refinement time). Default false. */
  refineFlips?: boolean;
  /**
   * Tracing. threshold: a peak value (volume units), 'auto' (default: the adaptive `autoThreshold`)
   * or 'refined' (after refinement only: `refinedThreshold`, 0.3 × the lightest of `species`'
   * calibrated peak height, lowered for an unsure network; see models/glare/MODEL_CARD.md).
   */
  trace?: { minSeparationA?: number; smoothingSigmaA?: number; threshold?: number | 'auto' | 'refined' };
  /**
   * Fit the traced atoms' positions (and each projection's misalignment) to the tilt series before
   * classifying (`fitAtomsToTilts`): lowers the position error and drops ghosts wherever the traced
   * model is nearly complete (bench/results/position-fit.md, pipeline-refine.md). Default true; false
   * keeps the traced positions (and saves the fit's few seconds per particle).
   */
  fitPositions?: boolean;
  /**
   * After the fit: shift each projection back by the misalignment the fit found and reconstruct,
   * refine, trace and fit again (one round of projection-matching alignment; the second fit is to the
   * measured series, as the first). 'auto' (default) does it when the shifts found are significant
   * (`misalignmentZ2` ≥ REALIGN_MIN_Z2), 'always' whenever atoms were fitted, 'never' not at all.
   * 'always' needs fitPositions.
   */
  realign?: RealignMode;
  /**
   * The fit's neighbour prior (`fitAtomsToTilts`' `neighbourPrior`): in a centrosymmetric crystal each
   * atom is also pulled toward the midpoints of its opposite nearest-neighbour pairs, so light atoms
   * borrow precision from heavy neighbours; it stays off by itself on particles whose bright atoms do not
   * sit at their neighbours' midpoints (amorphous). Default true (chosen on the validation split,
   * bench/results/neighbour-prior-validation.md); false for the fit without it.
   */
  neighbourPrior?: boolean;
  /**
   * After the fit: drop the atoms fainter in the fit than this fraction of the lightest of
   * `species`' expected brightness (`keepSupportedAtoms`: ghosts the projections do not support); 0
   * keeps every atom. Default 0.3 (chosen on the validation split, bench/results/support-cut.md) when
   * `species` is given, else 0: the cut judges each atom against the lightest NAMED element, so an
   * unnamed light element would be dropped — name every element present.
   */
  minSupport?: number;
  /**
   * After the fit and the support cut: propose the lattice sites the kept atoms leave empty (`vacantSites`:
   * the common midpoint of at least 3 pairs of opposite neighbours, nothing traced there — at low dose
   * mostly the light atoms of an alloy), fit them with the kept atoms to the tilt series and cut again,
   * also dropping the sites that fit more than 3 standard errors below the lightest species' brightness
   * (`dropFaintSites`), so the data keep the sites they support. Crystals only (an amorphous particle makes no such pairs);
   * a second fit wherever a site is proposed. Default true (bench/results/vacant-sites-validation.md); acts only with
   * fitPositions and the support cut (species named, or minSupport > 0) — asked for without either, it is refused.
   */
  fillVacantSites?: boolean;
  /**
   * Species classifier: 'kmeans' (intensity baseline) or 'dast' (Zernike + graph attention). Default
   * 'kmeans', which clusters the brightness the fit gave each atom when the atoms were fitted (better on
   * the validation split, bench/results/species-feature.md), else the refined volume's intensity.
   */
  classify?: ClassifyMethod;
  /** DAST only: known overall composition (fractions or counts, e.g. { Fe: 1, Pt: 1 }) to rebalance the predictions. */
  composition?: Record<string, number>;
  /** DAST only: folder of the weights (default: the shipped models/dast). */
  classifyModelDir?: string;
  /** Compute the R-factor of the final model against the tilt series. Default true. */
  rFactor?: boolean;
  /** Seed for every random choice. Default 0. */
  seed?: number;
  onProgress?: ProgressCallback;
}

export interface PipelineResult {
  /** The tilt series after background removal and pre-alignment (what the atoms were fitted to; with `realign`, the final reconstruction is of this series shifted by `realignment.correctionsA`). */
  tilts: TiltSeries;
  reconstruction: Volume;
  /** Per-iteration projection error of the reconstruction. */
  reconstructionErrorHistory: number[];
  /** The refined volume (the reconstruction itself when refine = 'none'). */
  refined: Volume;
  /** Every traced candidate with its scores. */
  trace: TraceResult;
  /** The peak threshold used (volume units). */
  threshold: number;
  /** The position fit to the tilt series (fitted shifts, σ, loss), or null with `fitPositions: false` (or no atoms). */
  positionFit: FitToTiltsResult | null;
  /** What realigning did (the corrections applied to the series and the first pass's fit), or null when the series was not realigned. */
  realignment: Realignment | null;
  /** Traced atoms the support cut dropped after the fit (0 with `fitPositions: false` or minSupport 0). */
  unsupportedDropped: number;
  /** With `fillVacantSites` (the default) and the support cut: the sites proposed, how many the second fit and cut kept (when none, the atoms are the first fit's), and that fit (null when none was proposed); else null. */
  vacantSites: { proposed: number; kept: number; fit: FitToTiltsResult | null } | null;
  /** The final atomic model with species (and class probabilities). */
  atoms: AtomicModel;
  rFactor: number | null;
  /** Wall time per stage in s. */
  stageTimesS: Record<string, number>;
}

/** Runs every stage on `tilts` (see `PipelineOptions` for the defaults). */
export async function runPipeline(tilts: TiltSeries, opts: PipelineOptions = {}): Promise<PipelineResult> {
  assertPositive(tilts.pixelSizeA, 'pixelSizeA (Å)');
  const species = opts.species ?? ['Pt'];
  const fitPositions = opts.fitPositions ?? DEFAULT_FIT_POSITIONS;
  if (opts.minSupport !== undefined && !fitPositions)
    throw new PannError('OPTION', 'minSupport cuts on the brightness the fit to the tilt series gives each atom: it needs fitPositions (the default), not fitPositions: false', { field: 'minSupport' });
  const refine = opts.refine ?? DEFAULT_VOLUME_REFINE;
  const t = opts.trace?.threshold;
  if (typeof t === 'string' && t !== 'auto' && t !== 'refined') throw new PannError('OPTION', `trace.threshold must be a number, 'auto' or 'refined', got '${t}'`, { field: 'trace.threshold' });
  if (t === 'refined' && refine === 'none') throw new PannError('OPTION', "trace.threshold 'refined' cuts a refined volume: set refine to 'glare' or 'unet', or use 'auto'", { field: 'trace.threshold' });
  const realign = opts.realign ?? DEFAULT_REALIGN;
  if (!['auto', 'always', 'never'].includes(realign)) throw new PannError('OPTION', `realign must be 'auto', 'always' or 'never', got '${String(realign)}'`, { field: 'realign' });
  if (opts.neighbourPrior && !fitPositions) throw new PannError('OPTION', 'neighbourPrior is part of the fit to the tilt series: it needs fitPositions (the default), not fitPositions: false', { field: 'neighbourPrior' });
  const minSupport = opts.minSupport ?? (opts.species ? DEFAULT_SUPPORT_FRACTION : 0);
  const fillSites = opts.fillVacantSites ?? DEFAULT_FILL_VACANT_SITES;
  if (opts.fillVacantSites && !fitPositions) throw new PannError('OPTION', 'fillVacantSites fits the proposed sites to the tilt series: it needs fitPositions (the default), not fitPositions: false', { field: 'fillVacantSites' });
  // without the support cut every proposed site would stay: the lattice imposed, not measured
  if (opts.fillVacantSites && minSupport === 0) throw new PannError('OPTION', 'fillVacantSites keeps the proposed sites the support cut lets through: it needs the cut — name the species present (species) or set minSupport above 0', { field: 'fillVacantSites' });
  if (realign === 'always' && !fitPositions) throw new PannError('OPTION', "realign 'always' corrects the misalignment the fit to the tilt series finds: it needs fitPositions (the default), not fitPositions: false", { field: 'realign' });
  const timer = new StageTimer();
  const onProgress = opts.onProgress;

  let aligned = tilts;
  let offsets: Float64Array | undefined;
  if ((opts.background ?? 'border-median') !== 'none') {
    const bg = await timer.time('background', () => subtractBackground(tilts));
    aligned = bg.tilts;
    offsets = bg.offsets;
  }
  const align = opts.align ?? 'none';
  if (align !== 'none') {
    aligned = await timer.time('align', async () => (await alignTiltSeries(aligned, { method: align, onProgress })).tilts);
  }

  const pass = (forRecon: TiltSeries, passTimer: StageTimer) => reconstructToFit(forRecon, aligned, { ...opts, refine, species, fitPositions }, passTimer);
  let atomsPass = await pass(aligned, timer);
  let realignment: Realignment | null = null;
  const firstFit = atomsPass.positionFit;
  if (firstFit && (realign === 'always' || (realign === 'auto' && misalignmentZ2(firstFit) >= REALIGN_MIN_Z2))) {
    // One round of projection matching: the fit found each projection's misalignment from the atoms;
    // undo it in the series and trace again, so the second start comes from a sharper volume.
    const correctionsA = misalignmentCorrectionsA(firstFit);
    // its stages are timed apart, so that 'realign' is the whole second pass and nothing counts twice
    atomsPass = await timer.time('realign', () => pass(shiftTiltSeries(aligned, correctionsA), new StageTimer()));
    realignment = { correctionsA, firstPassFit: firstFit };
  }
  const { recon, refined, trace, threshold, selected, positionFit } = atomsPass;
  // the support cut (and, after proposed sites were fitted, the faint-site test)
  const cut = (fit: FitToTiltsResult): AtomicModel => (minSupport > 0 ? keepSupportedAtomsAndSites(fit.model, fit.amplitude, { species, minFraction: minSupport }) : fit.model);
  let traced = positionFit ? cut(positionFit) : selected;
  let vacantSitesDone: PipelineResult['vacantSites'] = null;
  if (fillSites && minSupport > 0 && positionFit && traced.species.length > 0) {
    const sites = vacantSites(traced.positionsA);
    vacantSitesDone = { proposed: sites.length / 3, kept: 0, fit: null };
    if (sites.length > 0) {
      const fit = await timer.time('fillVacantSites', () => fitAtomsToTilts(withVacantSites(traced, sites), aligned, { volumeShape: recon.volume.shape, neighbourPrior: opts.neighbourPrior, onProgress }));
      const filled = cut(fit);
      const proposedKept = Array.from(filled.scores?.candidate ?? []).filter((c) => c === PROPOSED_SITE_CANDIDATE).length;
      // no site held up: the first fit's atoms stand (the second fit only had the empty sites to absorb noise)
      if (proposedKept > 0) traced = filled;
      vacantSitesDone = { proposed: sites.length / 3, kept: proposedKept, fit };
    }
  }

  const method = opts.classify ?? 'kmeans';
  if (method !== 'kmeans' && method !== 'dast') throw new PannError('OPTION', `classify must be 'kmeans' or 'dast', got '${method}'`, { field: 'classify' });
  const atoms = await timer.time('classify', () =>
    traced.species.length === 0
      ? traced
      : method === 'dast'
        ? classifyDast(traced, refined, { species, composition: opts.composition, modelDir: opts.classifyModelDir, onProgress })
        : classifyKMeans(traced, refined, { species, seed: opts.seed ?? 0 }), // fitted atoms: from their fitted brightness
  );

  let r: number | null = null;
  if (opts.rFactor !== false && atoms.species.length > 0) {
    // Against the measurement itself: the removed offsets go back in (rFactor fits its own background), so
    // Σ|measured| is the measured signal, not zero-mean noise around a subtracted floor.
    const measured = offsets ? withOffsets(aligned, offsets) : aligned;
    r = await timer.time('rFactor', () => rFactor(atoms, measured, { volumeShape: recon.volume.shape }).rFactor);
  }
  return {
    tilts: aligned,
    reconstruction: recon.volume,
    reconstructionErrorHistory: recon.errorHistory,
    refined,
    trace,
    threshold,
    positionFit,
    realignment,
    // traced atoms the cuts dropped: the proposed sites kept are not traced ones
    unsupportedDropped: positionFit ? selected.species.length - (traced.species.length - (vacantSitesDone?.kept ?? 0)) : 0,
    vacantSites: vacantSitesDone,
    atoms,
    rFactor: r,
    stageTimesS: timer.stageTimesS,
  };
}

/** The tilt series with a constant added back to each projection. */
function withOffsets(tilts: TiltSeries, offsets: Float64Array): TiltSeries {
  const per = tilts.shape[1] * tilts.shape[2];
  const data = new Float32Array(tilts.data.length);
  for (let a = 0; a < tilts.shape[0]; a++) for (let p = 0; p < per; p++) data[a * per + p] = tilts.data[a * per + p] + offsets[a];
  return { ...tilts, data };
}

/** What realigning the series from the first fit did. */
export interface Realignment {
  /** Shift applied to each projection before the second reconstruction, [dx, dy] in Å (minus the fitted misalignment). */
  correctionsA: [number, number][];
  /** The first pass's fit (to the series as measured), whose shifts these are. */
  firstPassFit: FitToTiltsResult;
}

/** One pass from a series to fitted atoms: reconstruct `forRecon` → refine → trace → select → fit to `measured`. */
async function reconstructToFit(
  forRecon: TiltSeries,
  measured: TiltSeries,
  opts: PipelineOptions & { refine: VolumeRefineMethod; species: string[]; fitPositions: boolean },
  timer: StageTimer,
) {
  const onProgress = opts.onProgress;
  const recon = await timer.time('reconstruct', () => reconstructDetailed(forRecon, { ...opts.reconstruction, onProgress }));
  const method = opts.refine;
  const refined =
    method === 'none'
      ? recon.volume
      : await timer.time('refine', () => refineVolume(recon.volume, { method, modelDir: opts.refineModelDir, flipEnsemble: opts.refineFlips, tiltsForPhysics: forRecon, onProgress }));
  const trace = await timer.time('trace', () =>
    traceAtoms(refined, { minSeparationA: opts.trace?.minSeparationA, smoothingSigmaA: opts.trace?.smoothingSigmaA, onProgress }),
  );
  const t = opts.trace?.threshold;
  const threshold = t === undefined || t === 'auto' ? autoThreshold(trace) : t === 'refined' ? refinedThreshold(trace, opts.species) : t;
  const selected = selectAtoms(trace, { threshold });
  const positionFit =
    opts.fitPositions && selected.species.length > 0
      ? await timer.time('fit', () => fitAtomsToTilts(selected, measured, { volumeShape: recon.volume.shape, neighbourPrior: opts.neighbourPrior, onProgress }))
      : null;
  return { recon, refined, trace, threshold, selected, positionFit };
}

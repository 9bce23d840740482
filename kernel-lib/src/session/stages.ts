/**
 * Stage methods on a Session for notebooks: each one calls the pure stage function on earlier results
 * (looked up by name) and stores its output under a name, so a notebook reads
 *
 *   const s = new pann.PipelineSession();
 *   await s.simulate({ preset: 'fept-lowdose', totalDoseEPerA2: 1e4, seed: 0 });   // 'tilts', 'truth'
 *   await s.reconstruct();                                                        // 'reconstruction'
 *   await s.trace();  s.select({ threshold: 'auto' });                            // 'trace', 'atoms'
 *   await s.fitPositions();                                                       // 'atoms' fitted to 'tilts' (runPipeline's default)
 *   s.realign();                                                                  // optional: 'tiltsRealigned', then reconstruct({}, 'tiltsRealigned') … fitPositions() again
 *   s.keepSupported({ species: ['Fe', 'Pt'] });                                   // 'atoms' the fit supports (ditto)
 *   s.classify({ species: ['Fe', 'Pt'] });                                        // 'classified'
 *   s.evaluate();                                                                 // 'metrics'
 *
 * No science happens here: options go straight to the stage functions, whose docs give their units.
 */
import type { AtomicModel, ProgressCallback, TiltSeries, Volume } from '../core/types';
import { PannError } from '../core/errors';
import { Session } from './session';
import { refineVolume, refinedThreshold, type RefineVolumeOptions } from '../refine';
import { simulate, type SimulateOptions, type SimulationResult } from '../sim';
import { alignTiltSeries, shiftTiltSeries } from '../recon/align';
import { subtractBackground, type BackgroundOptions } from '../preprocess/background';
import { reconstructDetailed, type ReconstructOptions } from '../recon/reconstruct';
import { traceAtoms, selectAtoms, autoThreshold, fitAtomsToTilts, keepSupportedAtomsAndSites, misalignmentCorrectionsA, vacantSites, withVacantSites, type VacantSitesOptions, type SupportedAtomsOptions, type TraceOptions, type TraceResult, type SelectOptions, type FitToTiltsOptions, type FitToTiltsResult } from '../trace';
import { classifyKMeans, type KMeansClassifyOptions } from '../classify';
import { classifyDast, type DastClassifyOptions } from '../classify/dast';
import { evaluate, rFactor, type EvaluateOptions, type EvaluationMetrics, type RFactorResult } from '../metrics';

export class PipelineSession extends Session {
  /** Progress callback used by every stage that takes one (e.g. a notebook progress bar). */
  onProgress?: ProgressCallback;

  constructor(opts: { onProgress?: ProgressCallback } = {}) {
    super();
    this.onProgress = opts.onProgress;
  }

  /** Simulates a particle and its tilt series → 'tilts', 'truth' (and 'atomicVolume' when asked for). */
  async simulate(opts: SimulateOptions = {}): Promise<SimulationResult> {
    const sim = await simulate({ onProgress: this.onProgress, ...opts });
    this.set('tilts', sim.tilts);
    this.set('truth', sim.truth);
    if (sim.atomicVolume) this.set('atomicVolume', sim.atomicVolume);
    return sim;
  }

  /** Removes each projection's background offset → 'tilts' (the original is kept as 'tiltsRaw'). */
  background(opts: BackgroundOptions = {}): TiltSeries {
    const raw = this.tilts();
    const res = subtractBackground(raw, opts);
    this.set('tiltsRaw', raw);
    return this.set('tilts', res.tilts);
  }

  /** Pre-aligns 'tilts' in place of the stored series → 'tilts' (the original is kept as 'tiltsUnaligned'). */
  async align(opts: { method?: 'centre-of-mass' | 'cross-correlation' } = {}): Promise<TiltSeries> {
    const raw = this.tilts();
    const res = await alignTiltSeries(raw, { method: opts.method ?? 'centre-of-mass', onProgress: this.onProgress });
    this.set('tiltsUnaligned', raw);
    return this.set('tilts', res.tilts);
  }

  /** Reconstructs 'tilts' → 'reconstruction' (per-iteration error in 'reconstructionErrors'). */
  async reconstruct(opts: Omit<ReconstructOptions, 'onProgress'> = {}, input = 'tilts'): Promise<Volume> {
    const res = await reconstructDetailed(this.tilts(input), { ...opts, onProgress: this.onProgress });
    this.set('reconstructionErrors', res.errorHistory);
    return this.set('reconstruction', res.volume);
  }

  /** Refines 'reconstruction' with GLARE (default) or the plain U-Net → 'refined' ('none' copies the reference). */
  async refine(opts: Omit<RefineVolumeOptions, 'method' | 'onProgress'> & { method?: 'glare' | 'unet' | 'none' } = {}): Promise<Volume> {
    const method = opts.method ?? 'glare';
    const recon = this.volume('reconstruction');
    if (method === 'none') return this.set('refined', recon);
    const tilts = this.has('tilts') ? this.tilts() : undefined;
    return this.set('refined', await refineVolume(recon, { tiltsForPhysics: tilts, ...opts, method, onProgress: this.onProgress }));
  }

  /** Traces every candidate in a volume (default: 'refined', else 'reconstruction') → 'trace'. */
  async trace(opts: Omit<TraceOptions, 'onProgress'> = {}, input?: string): Promise<TraceResult> {
    return this.set('trace', await traceAtoms(this.volume(input), { ...opts, onProgress: this.onProgress }));
  }

  /**
   * Chooses atoms among the traced candidates by threshold (no new search) → 'atoms'. threshold: a
   * value (volume units), 'auto' (the adaptive rule, default) or 'refined' (for a trace of the GLARE /
   * U-Net output: `refinedThreshold`, a fraction of the lightest of `species`' calibrated peak height —
   * what `runPipeline` uses after refinement).
   */
  select(opts: Omit<SelectOptions, 'threshold'> & { threshold?: number | 'auto' | 'refined'; species?: string[] } = {}): AtomicModel {
    const trace = this.get<TraceResult>('trace');
    const { species, ...rest } = opts;
    let threshold: number;
    if (opts.threshold === 'refined') {
      if (!species) throw new PannError('OPTION', "select({ threshold: 'refined' }) needs species, e.g. { species: ['Fe', 'Pt'] }", { field: 'species' });
      threshold = refinedThreshold(trace, species);
    } else threshold = opts.threshold === undefined || opts.threshold === 'auto' ? autoThreshold(trace, { score: opts.score }) : opts.threshold;
    return this.set('atoms', selectAtoms(trace, { ...rest, threshold }));
  }

  /**
   * Fits the positions of 'atoms' (and each projection's misalignment) to 'tilts' → 'atoms' (the traced
   * ones are kept as 'atomsTraced'; the fit's details — shifts, σ, loss — as 'positionFit'). Call it
   * after `background()`: the fit models one constant offset, not a per-projection one.
   */
  async fitPositions(opts: Omit<FitToTiltsOptions, 'onProgress'> = {}): Promise<FitToTiltsResult> {
    const traced = this.atoms('atoms');
    const volumeShape = opts.volumeShape ?? (this.has('reconstruction') ? this.volume('reconstruction').shape : undefined);
    const fit = await fitAtomsToTilts(traced, this.tilts(), { ...opts, volumeShape, onProgress: this.onProgress });
    this.set('atomsTraced', traced);
    this.set('atoms', fit.model);
    return this.set('positionFit', fit);
  }

  /**
   * After `fitPositions`: 'tilts' with each projection shifted back by the misalignment the fit found →
   * 'tiltsRealigned'. Reconstruct that and trace again — `reconstruct({}, 'tiltsRealigned')`, `refine()`,
   * `trace()`, `select()` — then `fitPositions()` fits the new atoms to the measured 'tilts': what
   * `runPipeline({ realign: true })` does.
   */
  realign(): TiltSeries {
    const fit = this.get<FitToTiltsResult>('positionFit');
    return this.set('tiltsRealigned', shiftTiltSeries(this.tilts(), misalignmentCorrectionsA(fit)));
  }

  /**
   * After `fitPositions`: drops the atoms the tilt series does not support (fainter in the fit than
   * `minFraction` of the lightest of `species`' expected brightness) → 'atoms' (the fitted ones are
   * kept as 'atomsFitted'); proposed sites (`addVacantSites`) far fainter than the lightest species go too
   * (`dropFaintSites`). Name every element present, or its atoms are judged against a heavier one.
   */
  keepSupported(opts: SupportedAtomsOptions): AtomicModel {
    const fit = this.get<FitToTiltsResult>('positionFit');
    this.set('atomsFitted', fit.model);
    // after addVacantSites the proposed sites must also pass the faint-site test, as in runPipeline
    return this.set('atoms', keepSupportedAtomsAndSites(fit.model, fit.amplitude, opts));
  }

  /**
   * After `keepSupported`: adds an atom at each lattice site the kept 'atoms' leave empty (`vacantSites`:
   * the common midpoint of at least `minPairs` pairs of opposite neighbours) → 'atoms' (the ones before
   * kept as 'atomsBeforeSites'; the sites carry `scores.candidate` −1). Then `fitPositions()` and
   * `keepSupported()` again let the tilt series keep the sites it supports (the faint-site test included) — what
   * `runPipeline({ fillVacantSites: true })` does. Returns the number of sites added.
   */
  addVacantSites(opts: VacantSitesOptions = {}): number {
    const atoms = this.atoms('atoms');
    const sites = vacantSites(atoms.positionsA, opts);
    this.set('atomsBeforeSites', atoms);
    this.set('atoms', withVacantSites(atoms, sites));
    return sites.length / 3;
  }

  /**
   * Assigns species to 'atoms' from the volume they were traced in (default 'refined', else 'reconstruction')
   * → 'classified': k-means (default; on the brightness fitted to the tilts after `fitPositions`, else on the
   * volume's intensity) or DAST (`method: 'dast'`, optional `composition`).
   */
  async classify(
    opts: KMeansClassifyOptions & Omit<DastClassifyOptions, 'onProgress'> & { method?: 'kmeans' | 'dast' },
    input = 'atoms',
    volume?: string,
  ): Promise<AtomicModel> {
    const method = opts.method ?? 'kmeans';
    if (method !== 'kmeans' && method !== 'dast') throw new PannError('OPTION', `classify method must be 'kmeans' or 'dast', got '${method}'`, { field: 'method' });
    const atoms = this.atoms(input);
    const vol = this.volume(volume);
    const out = method === 'dast' ? await classifyDast(atoms, vol, { ...opts, onProgress: this.onProgress }) : classifyKMeans(atoms, vol, opts);
    return this.set('classified', out);
  }

  /** Compares a model (default 'classified', else 'atoms') with 'truth' → 'metrics'. */
  evaluate(opts: EvaluateOptions = {}, input?: string): EvaluationMetrics {
    return this.set('metrics', evaluate(this.atoms(input), this.atoms('truth'), opts));
  }

  /** R-factor of a model (default 'classified', else 'atoms') against 'tilts' → 'rFactor'. */
  rFactor(input?: string): RFactorResult {
    const vol = this.has('reconstruction') ? this.volume('reconstruction') : undefined;
    // Against the measurement as recorded ('tiltsRaw' when the background was removed): rFactor fits its own offset.
    const measured = this.has('tiltsRaw') && !this.has('tiltsUnaligned') ? this.tilts('tiltsRaw') : this.tilts();
    return this.set('rFactor', rFactor(this.atoms(input), measured, { volumeShape: vol?.shape }));
  }
}

/**
 * Atom positions fitted to the measured tilt series: the last step of AET tracing, where each traced
 * atom is moved (and its brightness set) so that the model's projections agree with the measured
 * ones. The volume a network or a reconstruction draws is only an intermediate; the projections are
 * the data, and an atom's least-squares position from them approaches the Cramér–Rao bound of
 * `doseLimits` (sim/dose-limit.ts), which tracing a blurred, wedge-elongated volume does not.
 *
 * Model: projection(pixel) = b + Σ_a A_a · g(pixel − (u_a, v_a)), g a unit-integral 2D Gaussian of σ
 * (every atom one isotropic 3D Gaussian, `projectAtoms`), A_a ≥ 0 the atom's integrated projected
 * intensity. Loss: ½ Σ w (projection − measured)² + ½ Σ_a |r_a − r_a⁰|² / σ_prior², with pixel weights
 * w = 1 / (g·signal + v₀) from a variance model fitted to the first residuals (shot noise grows with
 * the signal; the gain g makes it unit-free), and a Gaussian prior around each traced position r_a⁰.
 * Minimised by Gauss–Newton per atom on (x, y, z, A) (each atom's 4×4 block; neighbours at ≥ 2 Å
 * barely overlap), with Levenberg damping raised whenever a step does not lower the loss, and b
 * refitted in closed form after each step.
 *
 * Neighbour prior (`neighbourPrior`, on by default; centrosymmetric-prior.ts): in a crystal each atom also has
 * a Gaussian prior at the midpoints of its opposite nearest-neighbour pairs (weighted by the neighbours'
 * position variances from their 4×4 blocks), refreshed every iteration of the second half, so loosely
 * pinned light atoms follow their well pinned heavy neighbours' lattice.
 *
 * Misalignment: each projection may sit shifted on the detector by (du_t, dv_t) (drift, stage
 * play); a shift of one projection moves every atom's image in it alike, so hundreds of atoms pin it
 * down. It is fitted with the atoms (a 2×2 Gauss–Newton block per projection), and without it a
 * realistic 0.2 Å misalignment stays in the positions (bench/results/position-fit.md). Shifts that a
 * rigid move of the whole model would make are taken out (`withoutTranslation`): the data cannot tell
 * the two apart, so the fit keeps the smallest shifts and lets the atoms' images place the model.
 */
import { PannError } from '../core/errors';
import { defaultVolumeShape } from '../core/frame';
import { rotationZYZ } from '../core/geometry';
import { detectorWindow, projectionFrame, type ProjectionFrame } from '../sim/project-atoms';
import type { AtomicModel, ProgressCallback, Shape3, TiltSeries } from '../core/types';
import { rFactor } from '../metrics/r-factor';
import { checkModel } from '../metrics/match';
import { yieldToEventLoop } from '../core/progress';
import { solveGaussJordan, traceOfInverseSym3 } from '../core/linear-solve';
import { brightScatterA, neighbourPrediction, oppositeNeighbourPairs } from './centrosymmetric-prior';

/**
 * Default Gauss–Newton iterations: the robust re-weighting half-way freezes the pixels the model cannot yet
 * explain, so the atoms must have settled by then; after 12 (re-weighting at 6) light atoms at mid doses
 * had not (bench/results/fit-iterations.md).
 */
export const DEFAULT_FIT_ITERATIONS = 24;

/** Default σ (Å) of the prior around each traced position (`positionPriorA`; why 0.3: its doc). */
export const DEFAULT_POSITION_PRIOR_A = 0.3;

/** Default largest scatter (Å per axis) of the bright atoms about their neighbours' midpoints at which `neighbourPrior` acts. */
export const DEFAULT_NEIGHBOUR_PRIOR_MAX_A = 0.15;

/** Default of `neighbourPrior` (chosen on the validation split, bench/results/neighbour-prior-validation.md). */
export const DEFAULT_NEIGHBOUR_PRIOR = true;

/** Fewest opposite pairs an atom needs to get the neighbour prior (and to count in its gate): one pair is a chance alignment as often as a lattice. */
const MIN_NEIGHBOUR_PAIRS = 2;

/** Options of `fitAtomsToTilts`. Lengths in Å. */
export interface FitToTiltsOptions {
  /** Volume frame [nz, ny, nx] of the model positions. Default `defaultVolumeShape(tilts.shape)`. */
  volumeShape?: Shape3;
  /** Gauss–Newton iterations. Default `DEFAULT_FIT_ITERATIONS` (24). */
  iterations?: number;
  /** Largest distance (Å) an atom may move from its traced position. Default 1.0 Å (the matching radius). */
  maxShiftA?: number;
  /** Largest move (Å) of one atom in one iteration. Default 0.25 Å. */
  maxStepA?: number;
  /** Atom image σ in Å; default: the σ of the best R-factor fit (`rFactor`'s grid). */
  sigmaA?: number;
  /**
   * σ (Å) of the Gaussian prior that keeps each atom near its traced position. Default 0.3 Å: weak
   * against the data of a bright atom, but a faint one (a light atom beside heavy ones, a doubtful
   * peak) has too little signal to be moved by noise or by its neighbours' misfit.
   */
  positionPriorA?: number;
  /**
   * Second half of the fit: also pull each atom toward the midpoints of its opposite nearest-neighbour
   * pairs (centrosymmetric-prior.ts) — a crystal's light atoms then borrow precision from their heavy
   * neighbours. Acts only when, half-way, the brighter atoms scatter about their neighbours' midpoints by
   * at most `neighbourPriorMaxA` per axis (a crystal; not an amorphous particle); its width is that scatter,
   * and the pixel weights are then re-estimated from the settled model's residuals. Default true
   * (bench/results/neighbour-prior-validation.md); false fits the data and the traced-position prior only.
   */
  neighbourPrior?: boolean;
  /** Largest bright-atom scatter (Å per axis) at which `neighbourPrior` acts. Default `DEFAULT_NEIGHBOUR_PRIOR_MAX_A` (0.15 Å). */
  neighbourPriorMaxA?: number;
  /** Down-weight, half-way, the pixels the model cannot explain (missed atoms, ghosts). Default true. */
  robust?: boolean;
  /** Fit a rigid detector shift per projection (misalignment) alongside the atoms. Default true. */
  fitProjectionShifts?: boolean;
  /** Largest fitted shift of one projection, Å. Default 1.0 Å. */
  maxProjectionShiftA?: number;
  onProgress?: ProgressCallback;
}

/** Name of the per-atom score the fit leaves on its model: the fitted `amplitude` (k-means' 'fitted' feature reads it). */
export const FITTED_BRIGHTNESS = 'fittedBrightness';

/** Name of the per-atom score the fit leaves on its model for each atom's measured `detectionSnr` (threshold it in the atom viewer: `scoreName`). */
export const DETECTION_SNR = 'detectionSnr';

/** What `fitAtomsToTilts` returns. */
export interface FitToTiltsResult {
  /** The atoms at their fitted positions (species and order unchanged), with `scores.fittedBrightness` = `amplitude` and `scores.detectionSnr` = `detectionSnr`. */
  model: AtomicModel;
  /** Fitted integrated projected intensity of each atom (measured units per projection). */
  amplitude: Float64Array;
  /** Distance each atom moved, Å. */
  shiftA: Float64Array;
  /** Atom image σ used, Å. */
  sigmaA: number;
  /** Fitted background offset (measured units). */
  backgroundOffset: number;
  /** ½ Σ residual² before the first and after every iteration. */
  lossHistory: number[];
  /**
   * Fitted detector shift of each projection, Å, as [u₀, v₀, u₁, v₁, …]; free of any pattern a rigid move
   * of the model would make (`withoutTranslation`: for a tilt about y, no constant v, no u ∝ cos θ or sin θ).
   */
  projectionShiftA: number[];
  /**
   * Standard error of each fitted shift, Å, same layout (from the final normal equations with the
   * atoms held: a lower bound, the atoms' own uncertainty not in it); NaN when shifts were not fitted.
   */
  projectionShiftErrorA: number[];
  /**
   * Each atom's detection SNR in the data: its fitted brightness over that brightness' standard error
   * with the atom held at its fitted position and its neighbours fixed (A·√(Σ w g²) over every pixel of its
   * footprint, w the final pixel weights) — the matched-filter SNR of `doseLimits`, measured instead of
   * predicted. Optimistic as that one is (neighbours' and position uncertainty not in it); Rose's
   * criterion calls SNR ≥ 5 a detection. A ghost in empty space reads near 0 (test/trace/fit-to-tilts.test.ts);
   * ghosts on a particle can read high (bench/results/support-cut.md, where a cut on it did not pay).
   */
  detectionSnr: Float64Array;
  /**
   * The neighbour prior's width (Å per axis: the bright atoms' scatter about their neighbours' midpoints,
   * read half-way) when `neighbourPrior` acted; NaN when it was turned off or the particle did not qualify.
   */
  neighbourPriorA: number;
}

/**
 * Fits the positions and brightness of `model`'s atoms to a measured tilt series.
 * @param model traced atoms (Å, volume frame of the tilt series)
 * @param tilts the measured projections the volume was reconstructed from (background-subtracted)
 */
export async function fitAtomsToTilts(
  model: AtomicModel,
  tilts: TiltSeries,
  opts: FitToTiltsOptions = {},
): Promise<FitToTiltsResult> {
  checkModel(model, 'model');
  const n = model.species.length;
  if (n === 0) throw new PannError('VALUE', 'the atomic model is empty: no atoms to fit', { field: 'model' });
  const iterations = opts.iterations ?? DEFAULT_FIT_ITERATIONS;
  if (!(Number.isInteger(iterations) && iterations >= 0))
    throw new PannError('OPTION', `iterations must be an integer ≥ 0, got ${iterations}`, {
      field: 'iterations',
    });
  const maxShiftA = opts.maxShiftA ?? 1.0;
  const maxStepA = opts.maxStepA ?? 0.25;
  const priorA = opts.positionPriorA ?? DEFAULT_POSITION_PRIOR_A;
  const robust = opts.robust ?? true;
  const fitShifts = opts.fitProjectionShifts ?? true;
  const maxProjectionShiftA = opts.maxProjectionShiftA ?? 1.0;
  let shiftDamping = 1e-3;
  for (const [k, v] of [
    ['maxShiftA', maxShiftA],
    ['maxStepA', maxStepA],
    ['positionPriorA', priorA],
    ['maxProjectionShiftA', maxProjectionShiftA],
    ['neighbourPriorMaxA', opts.neighbourPriorMaxA ?? DEFAULT_NEIGHBOUR_PRIOR_MAX_A],
  ] as const)
    if (!(v > 0 && Number.isFinite(v)))
      throw new PannError('OPTION', `${k} must be a positive length in Å, got ${v}`, { field: k });
  const maxShiftPx = maxProjectionShiftA / tilts.pixelSizeA;
  const volumeShape = opts.volumeShape ?? defaultVolumeShape(tilts.shape);
  // the frame's voxel centres span 0 … (n − 1)·voxel along each axis (voxel = detector pixel)
  const [maxZ, maxY, maxX] = volumeShape.map((e) => (e - 1) * tilts.pixelSizeA);
  // Start: one common brightness, b and σ from the R-factor fit (it validates the tilt series too).
  // rFactor wants element symbols; one label for every atom means one common scale.
  const start = rFactor({ positionsA: model.positionsA, species: model.species.map(() => 'Pt') }, tilts, {
    volumeShape,
    weightBySpecies: { Pt: 1 },
    ...(opts.sigmaA !== undefined ? { sigmaGridA: [opts.sigmaA] } : {}),
  });
  let sigmaA = start.sigmaA;
  const m = tilts.data;
  const r0 = model.positionsA;
  const pos = Float64Array.from(r0);
  const amp = new Float64Array(n).fill(start.weightBySpecies.Pt);
  let b = start.backgroundOffset;
  const geometry = new Geometry(tilts, volumeShape, sigmaA);
  const calc = new Float32Array(m.length);
  geometry.render(pos, amp, b, calc);
  const weight = pixelWeights(m, calc, b);
  const neighbours = (opts.neighbourPrior ?? DEFAULT_NEIGHBOUR_PRIOR) ? oppositeNeighbourPairs(r0) : undefined;
  const neighbourMaxA = opts.neighbourPriorMaxA ?? DEFAULT_NEIGHBOUR_PRIOR_MAX_A;
  let neighbourA = NaN;
  // ρ (each atom's neighbour prediction) and its variance (Infinity: no prior), refreshed every iteration
  const rho = new Float64Array(3 * n);
  const rhoVar = new Float64Array(n).fill(Infinity);
  const posVar = new Float64Array(n);
  /** Each atom's position variance (Å² per axis) from its data-only Gauss–Newton block in `h`. */
  const positionVariances = (h: Float64Array): void => {
    for (let a = 0, H = 0; a < n; a++, H += 16) posVar[a] = traceOfInverseSym3(h[H], h[H + 5], h[H + 10], h[H + 1], h[H + 2], h[H + 6]) / 3;
  };
  const priorLoss = (p: Float64Array): number => {
    let l = 0;
    for (let k = 0; k < p.length; k++) l += ((p[k] - r0[k]) / priorA) ** 2;
    if (Number.isFinite(neighbourA)) for (let k = 0; k < p.length; k++) l += (p[k] - rho[k]) ** 2 / rhoVar[(k / 3) | 0];
    return l;
  };
  const lossOf = (p: Float64Array, a: Float64Array, bg: number): number => {
    geometry.render(p, a, bg, calc);
    let l = 0;
    for (let q = 0; q < m.length; q++) l += weight[q] * (calc[q] - m[q]) ** 2;
    return 0.5 * (l + priorLoss(p));
  };
  /** The loss with the background refitted in closed form (one render: the offset enters linearly); calc ends at the refitted state. */
  const lossRefittingBackground = (
    p: Float64Array,
    a: Float64Array,
    bg: number,
  ): { loss: number; b: number } => {
    geometry.render(p, a, bg, calc);
    let s0 = 0,
      s1 = 0,
      sw = 0;
    for (let q = 0; q < m.length; q++) {
      const r = calc[q] - m[q];
      s0 += weight[q] * r * r;
      s1 += weight[q] * r;
      sw += weight[q];
    }
    const delta = -s1 / sw;
    for (let q = 0; q < m.length; q++) calc[q] += delta;
    return { loss: 0.5 * (s0 + 2 * delta * s1 + delta * delta * sw + priorLoss(p)), b: bg + delta };
  };
  let loss = lossOf(pos, amp, b);
  const lossHistory = [loss];
  let damping = 1e-3;
  const grad = new Float64Array(4 * n),
    hess = new Float64Array(16 * n);
  for (let it = 0; it < iterations; it++) {
    if (it === Math.floor(iterations / 2) && iterations >= 2) {
      // Half-way, with every atom near its place: (1) pixels the model cannot explain (an atom the
      // tracing missed, a ghost) lose weight (Cauchy, scale 3σ), so they stop pulling the neighbours;
      // (2) σ, first chosen with one common brightness, is refined in 0.025 Å steps.
      // (0) Before both: whether the neighbour prior acts, and if so weights that are true variances for it
      // (the first ones also hold the start's misfit, which on clean data understates the data's precision).
      if (neighbours) {
        geometry.normalEquations(pos, amp, m, calc, weight, grad, hess);
        positionVariances(hess);
        const scatter = brightScatterA(pos, amp, neighbours, posVar, MIN_NEIGHBOUR_PAIRS);
        if (scatter <= neighbourMaxA) {
          neighbourA = scatter;
          weight.set(pixelWeights(m, calc, b));
          loss = lossOf(pos, amp, b);
        }
      }
      if (robust) {
        geometry.render(pos, amp, b, calc);
        for (let q = 0; q < m.length; q++) weight[q] /= 1 + (weight[q] * (calc[q] - m[q]) ** 2) / 9;
        loss = lossOf(pos, amp, b);
      }
      if (opts.sigmaA === undefined)
        for (const step of [0.025, -0.025])
          for (let k = 0; k < 8; k++) {
            geometry.setSigma(sigmaA + step);
            const l = lossOf(pos, amp, b);
            if (!(l < loss)) break;
            sigmaA += step;
            loss = l;
          }
      geometry.setSigma(sigmaA);
      geometry.render(pos, amp, b, calc);
    }
    // calc holds the projections of the current parameters
    geometry.normalEquations(pos, amp, m, calc, weight, grad, hess);
    if (Number.isFinite(neighbourA) && neighbours) {
      positionVariances(hess);
      neighbourPrediction(pos, neighbours, posVar, neighbourA, rho, rhoVar);
      for (let a = 0; a < n; a++) if (neighbours.start[a + 1] - neighbours.start[a] < MIN_NEIGHBOUR_PAIRS) rhoVar[a] = Infinity;
      loss = lossOf(pos, amp, b); // the prior's centres moved with the atoms
    }
    for (let a = 0; a < n; a++)
      for (let d = 0; d < 3; d++) {
        grad[4 * a + d] += (pos[3 * a + d] - r0[3 * a + d]) / priorA ** 2;
        hess[16 * a + 5 * d] += 1 / priorA ** 2;
        if (rhoVar[a] < Infinity) {
          grad[4 * a + d] += (pos[3 * a + d] - rho[3 * a + d]) / rhoVar[a];
          hess[16 * a + 5 * d] += 1 / rhoVar[a];
        }
      }
    const trialPos = Float64Array.from(pos),
      trialAmp = Float64Array.from(amp);
    let trialLoss = Infinity;
    for (let attempt = 0; attempt < 6 && !(trialLoss < loss); attempt++) {
      for (let a = 0; a < n; a++) {
        const d = solveDamped4(hess.subarray(16 * a, 16 * a + 16), grad.subarray(4 * a, 4 * a + 4), damping);
        let [dx, dy, dz] = d;
        const len = Math.hypot(dx, dy, dz);
        if (len > maxStepA)
          [dx, dy, dz] = [(dx * maxStepA) / len, (dy * maxStepA) / len, (dz * maxStepA) / len];
        // stay within maxShiftA of the traced position
        let px = pos[3 * a] + dx - r0[3 * a],
          py = pos[3 * a + 1] + dy - r0[3 * a + 1],
          pz = pos[3 * a + 2] + dz - r0[3 * a + 2];
        const total = Math.hypot(px, py, pz);
        if (total > maxShiftA)
          [px, py, pz] = [(px * maxShiftA) / total, (py * maxShiftA) / total, (pz * maxShiftA) / total];
        // and inside the volume frame: later stages (classification) sample the volume at each atom
        trialPos[3 * a] = Math.min(maxX, Math.max(0, r0[3 * a] + px));
        trialPos[3 * a + 1] = Math.min(maxY, Math.max(0, r0[3 * a + 1] + py));
        trialPos[3 * a + 2] = Math.min(maxZ, Math.max(0, r0[3 * a + 2] + pz));
        trialAmp[a] = Math.max(0, amp[a] + d[3]);
      }
      const trial = lossRefittingBackground(trialPos, trialAmp, b);
      trialLoss = trial.loss;
      if (trialLoss < loss) {
        pos.set(trialPos);
        amp.set(trialAmp);
        b = trial.b;
        loss = trialLoss;
        damping = Math.max(1e-4, damping / 3);
      } else damping *= 10;
    }
    if (!(trialLoss <= loss)) geometry.render(pos, amp, b, calc); // no step taken: calc back to the current state
    // Misalignment: with the atoms placed, each projection's rigid shift (first step after one atom step)
    if (fitShifts && it >= 1) {
      const step = stepProjectionShifts(
        geometry,
        pos,
        amp,
        m,
        calc,
        weight,
        loss,
        shiftDamping,
        maxShiftPx,
        () => lossOf(pos, amp, b),
      );
      loss = step.loss;
      shiftDamping = step.damping;
      geometry.render(pos, amp, b, calc);
    }
    lossHistory.push(loss);
    await yieldToEventLoop();
    opts.onProgress?.({
      stage: 'fit',
      done: it + 1,
      total: iterations,
      message: `loss ${loss.toExponential(3)}`,
    });
  }
  geometry.normalEquations(pos, amp, m, calc, weight, grad, hess);
  // the A–A entry of each atom's block is Σ w g²: the inverse variance of its brightness, position held
  const detectionSnr = Float64Array.from(amp, (A, a) => A * Math.sqrt(hess[16 * a + 15]));
  const projectionShiftErrorA = fitShifts ? shiftStandardErrorsPx(geometry, pos, amp, m, calc, weight).map((e) => e * tilts.pixelSizeA) : Array.from(geometry.shiftPx, () => NaN);
  const shiftA = new Float64Array(n);
  for (let a = 0; a < n; a++)
    shiftA[a] = Math.hypot(
      pos[3 * a] - model.positionsA[3 * a],
      pos[3 * a + 1] - model.positionsA[3 * a + 1],
      pos[3 * a + 2] - model.positionsA[3 * a + 2],
    );
  return {
    model: { ...model, positionsA: pos, species: [...model.species], scores: { ...(model.scores ?? {}), [FITTED_BRIGHTNESS]: amp, [DETECTION_SNR]: detectionSnr } },
    amplitude: amp,
    shiftA,
    sigmaA,
    backgroundOffset: b,
    lossHistory,
    projectionShiftA: Array.from(geometry.shiftPx, (x) => x * tilts.pixelSizeA),
    projectionShiftErrorA,
    detectionSnr,
    neighbourPriorA: neighbourA,
  };
}

/**
 * The shifts that undo the misalignment a fit found, per projection [dx, dy] in Å for
 * `shiftTiltSeries`: the fit reports each projection's detector shift (u, v) as the offset of the atoms'
 * images from the model (u along the detector's x, v along its y), so the projection moves back by −(u, v).
 */
export function misalignmentCorrectionsA(fit: Pick<FitToTiltsResult, 'projectionShiftA'>): [number, number][] {
  const s = fit.projectionShiftA;
  return Array.from({ length: s.length / 2 }, (_, t): [number, number] => [-s[2 * t], -s[2 * t + 1]]);
}

/**
 * How far the fitted misalignment stands above its noise: the mean of (shift / standard error)² over
 * projections and both axes — about 1 (a little less: the errors are conservative) when the series is
 * aligned and the shifts are noise, far above 1 when the projections really are shifted. NaN when the
 * shifts were not fitted.
 */
export function misalignmentZ2(fit: Pick<FitToTiltsResult, 'projectionShiftA' | 'projectionShiftErrorA'>): number {
  const s = fit.projectionShiftA;
  if (s.length === 0) return NaN;
  let z2 = 0;
  for (let i = 0; i < s.length; i++) z2 += (s[i] / fit.projectionShiftErrorA[i]) ** 2;
  return z2 / s.length;
}

/** One atom's footprint on one projection: its detector window plus the column factors (see `Geometry.footprintBox`). */
type FootprintBox = ReturnType<typeof detectorWindow> & { ex: Float64Array };

/** Projection geometry of one tilt series: each atom's footprint per projection, rendered or differentiated. */
class Geometry {
  /** Rotation (row-major 3×3) of each projection; rows 0 and 1 are the detector axes u and v. */
  readonly rot: number[][];
  private readonly frame: ProjectionFrame;
  private sgPx = 1;
  private reach = 4;
  /** Per-projection detector shift (u, v) in pixels, added to every atom's projected centre. */
  shiftPx: Float64Array;
  constructor(
    private readonly tilts: TiltSeries,
    volumeShape: Shape3,
    sigmaA: number,
  ) {
    this.rot = tilts.anglesDeg.map((e) => Array.from(rotationZYZ(e)));
    this.frame = projectionFrame(volumeShape, tilts.pixelSizeA, tilts.shape[1], tilts.shape[2]);
    this.shiftPx = new Float64Array(2 * tilts.shape[0]);
    this.setSigma(sigmaA);
  }

  /** Sets the atom image σ (Å). */
  setSigma(sigmaA: number): void {
    this.sgPx = sigmaA / this.tilts.pixelSizeA;
    this.reach = Math.ceil(4 * this.sgPx);
  }

  /** A reusable footprint slot for `footprintBox`. */
  private newBox(): FootprintBox {
    return { u: 0, v: 0, i0: 0, i1: -1, j0: 0, j1: -1, ex: new Float64Array(2 * this.reach + 2) };
  }

  /**
   * Atom `a`'s footprint in projection `t` into `box`: its detector window (`detectorWindow`, this
   * projection's shift included) and the column factors exp(−(i − u)²/2σ²) — the Gaussian is
   * separable, so one exp per column and one per row instead of one per pixel.
   */
  private footprintBox(pos: Float64Array, a: number, t: number, box: FootprintBox): void {
    const w = detectorWindow(
      this.rot[t],
      pos,
      a,
      this.frame,
      this.reach,
      this.shiftPx[2 * t],
      this.shiftPx[2 * t + 1],
    );
    box.u = w.u;
    box.v = w.v;
    box.i0 = w.i0;
    box.i1 = w.i1;
    box.j0 = w.j0;
    box.j1 = w.j1;
    const inv2 = 1 / (2 * this.sgPx * this.sgPx);
    for (let i = w.i0; i <= w.i1; i++) box.ex[i - w.i0] = Math.exp(-((i - w.u) ** 2) * inv2);
  }

  /**
   * Calls `visit(atom, pixelIndex, g, du, dv, R)` for every pixel of every atom's footprint: g the unit
   * Gaussian's value there, (du, dv) = pixel − centre in pixels, R the projection's rotation (rows 0
   * and 1 are the detector axes).
   */
  private footprints(
    pos: Float64Array,
    visit: (a: number, q: number, g: number, du: number, dv: number, R: number[]) => void,
  ): void {
    const [na, ny, nx] = this.tilts.shape;
    const inv2 = 1 / (2 * this.sgPx * this.sgPx);
    const norm = 1 / (2 * Math.PI * this.sgPx * this.sgPx);
    const n = pos.length / 3;
    const box = this.newBox();
    for (let t = 0; t < na; t++) {
      const R = this.rot[t];
      const base = t * ny * nx;
      for (let a = 0; a < n; a++) {
        this.footprintBox(pos, a, t, box);
        const { ex, i0, i1, j0, j1, u, v } = box;
        for (let j = j0; j <= j1; j++) {
          const dv = j - v;
          const gy = norm * Math.exp(-dv * dv * inv2);
          for (let i = i0; i <= i1; i++) visit(a, base + j * nx + i, gy * ex[i - i0], i - u, dv, R);
        }
      }
    }
  }

  /**
   * Per projection, the gradient and 2×2 Gauss–Newton block [uu, uv, vv] of the loss over its detector
   * shift (pixels); the model's derivative is summed per pixel first, since footprints overlap.
   */
  shiftNormalEquations(
    pos: Float64Array,
    amp: Float64Array,
    m: Float32Array,
    calc: Float32Array,
    w: Float32Array,
  ): { grad: Float64Array; hess: Float64Array } {
    const ju = new Float32Array(m.length),
      jv = new Float32Array(m.length);
    const k = 1 / (this.sgPx * this.sgPx);
    // ∂(A g)/∂shift_u = A g (i − u)/σ²
    this.footprints(pos, (a, q, g, du, dv) => {
      ju[q] += amp[a] * g * k * du;
      jv[q] += amp[a] * g * k * dv;
    });
    const [na, ny, nx] = this.tilts.shape;
    const grad = new Float64Array(2 * na),
      hess = new Float64Array(3 * na);
    for (let t = 0; t < na; t++)
      for (let q = t * ny * nx; q < (t + 1) * ny * nx; q++) {
        const r = w[q] * (calc[q] - m[q]);
        grad[2 * t] += r * ju[q];
        grad[2 * t + 1] += r * jv[q];
        hess[3 * t] += w[q] * ju[q] * ju[q];
        hess[3 * t + 1] += w[q] * ju[q] * jv[q];
        hess[3 * t + 2] += w[q] * jv[q] * jv[q];
      }
    return { grad, hess };
  }

  /** out = b + Σ_a A_a g_a (all projections). */
  render(pos: Float64Array, amp: Float64Array, b: number, out: Float32Array): void {
    out.fill(b);
    // the hot loop of every loss evaluation: the footprint walk written out (no per-pixel callback)
    const [na, ny, nx] = this.tilts.shape;
    const inv2 = 1 / (2 * this.sgPx * this.sgPx);
    const norm = 1 / (2 * Math.PI * this.sgPx * this.sgPx);
    const box = this.newBox();
    for (let t = 0; t < na; t++)
      for (let a = 0; a < amp.length; a++) {
        this.footprintBox(pos, a, t, box);
        const { ex, i0, i1, j0, j1, v } = box;
        for (let j = j0; j <= j1; j++) {
          const f = amp[a] * norm * Math.exp(-((j - v) ** 2) * inv2);
          const row = t * ny * nx + j * nx;
          for (let i = i0; i <= i1; i++) out[row + i] += f * ex[i - i0];
        }
      }
  }

  /**
   * Per atom, the gradient of ½Σ(calc − m)² and its Gauss–Newton 4×4 block over (x, y, z, A), in Å
   * and measured units; `calc` holds the current model's projections.
   */
  normalEquations(
    pos: Float64Array,
    amp: Float64Array,
    m: Float32Array,
    calc: Float32Array,
    w: Float32Array,
    grad: Float64Array,
    hess: Float64Array,
  ): void {
    grad.fill(0);
    hess.fill(0);
    const k = 1 / (this.sgPx * this.sgPx * this.tilts.pixelSizeA);
    const J = new Float64Array(4);
    this.footprints(pos, (a, q, g, du, dv, R) => {
      // ∂(A g)/∂r = A g · [(du) R₀ + (dv) R₁] / (σ² · pixel), ∂(A g)/∂A = g
      const f = amp[a] * g * k;
      J[0] = f * (du * R[0] + dv * R[3]);
      J[1] = f * (du * R[1] + dv * R[4]);
      J[2] = f * (du * R[2] + dv * R[5]);
      J[3] = g;
      const wq = w[q];
      const r = wq * (calc[q] - m[q]);
      const G = 4 * a,
        H = 16 * a;
      for (let i = 0; i < 4; i++) {
        grad[G + i] += r * J[i];
        for (let j = 0; j < 4; j++) hess[H + 4 * i + j] += wq * J[i] * J[j];
      }
    });
  }
}

/**
 * One damped Gauss–Newton step on every projection's detector shift (2×2 block each), kept if it
 * lowers the loss (damping ×10 and retry otherwise). The part of the shifts a move of the whole model
 * would make is removed (`withoutTranslation`), then each is clamped to maxShiftPx. `lossNow`
 * evaluates the loss with the geometry's current shifts. Returns the new loss and damping.
 */
function stepProjectionShifts(
  geometry: Geometry,
  pos: Float64Array,
  amp: Float64Array,
  m: Float32Array,
  calc: Float32Array,
  w: Float32Array,
  loss: number,
  damping: number,
  maxShiftPx: number,
  lossNow: () => number,
): { loss: number; damping: number } {
  const { grad, hess } = geometry.shiftNormalEquations(pos, amp, m, calc, w);
  const old = Float64Array.from(geometry.shiftPx);
  const na = old.length / 2;
  const maxStepPx = 0.25 * maxShiftPx;
  for (let attempt = 0, lam = damping; attempt < 5; attempt++, lam *= 10) {
    for (let t = 0; t < na; t++) {
      const a = hess[3 * t] * (1 + lam) + 1e-12,
        c = hess[3 * t + 1],
        d = hess[3 * t + 2] * (1 + lam) + 1e-12;
      const det = a * d - c * c;
      const du = det > 0 ? -(d * grad[2 * t] - c * grad[2 * t + 1]) / det : 0;
      const dv = det > 0 ? -(a * grad[2 * t + 1] - c * grad[2 * t]) / det : 0;
      geometry.shiftPx[2 * t] = old[2 * t] + clamp(du, maxStepPx);
      geometry.shiftPx[2 * t + 1] = old[2 * t + 1] + clamp(dv, maxStepPx);
    }
    withoutTranslation(geometry.shiftPx, geometry.rot);
    for (let i = 0; i < geometry.shiftPx.length; i++) geometry.shiftPx[i] = clamp(geometry.shiftPx[i], maxShiftPx);
    const l = lossNow();
    if (l < loss) return { loss: l, damping: Math.max(1e-4, lam / 3) };
    geometry.shiftPx.set(old);
  }
  return { loss, damping: damping * 10 };
}

/**
 * Removes from per-projection detector shifts (u, v interleaved, any unit) the part a rigid move of the
 * whole model would make: a move T shifts projection t's images by (R_t,0·T, R_t,1·T), so shifts of
 * that pattern and a moved model explain the data alike. Least-squares T, subtracted in place. What is
 * left pins the model's place to the data; the mean alone would leave (for a tilt about y) the z move's
 * sin θ pattern free, and remove a constant u shift that no move makes.
 */
export function withoutTranslation(shifts: Float64Array, rot: ArrayLike<number>[]): void {
  const ata = new Float64Array(9),
    atb = new Float64Array(3);
  for (let t = 0; t < rot.length; t++)
    for (const [row, o] of [
      [0, 0],
      [3, 1],
    ]) {
      const R = rot[t];
      const s = shifts[2 * t + o];
      for (let i = 0; i < 3; i++) {
        atb[i] += R[row + i] * s;
        for (let j = 0; j < 3; j++) ata[3 * i + j] += R[row + i] * R[row + j];
      }
    }
  // a tiny ridge keeps a singular system (one projection: no 3D move pinned down) solvable, with the
  // least-norm move there, since atb lies in ata's range
  const ridge = 1e-9 * (ata[0] + ata[4] + ata[8]) + 1e-300;
  const T = solveGaussJordan(
    [0, 1, 2].map((i) => [0, 1, 2].map((j) => ata[3 * i + j] + (i === j ? ridge : 0))),
    Array.from(atb),
  ) ?? [0, 0, 0];
  for (let t = 0; t < rot.length; t++) {
    const R = rot[t];
    shifts[2 * t] -= R[0] * T[0] + R[1] * T[1] + R[2] * T[2];
    shifts[2 * t + 1] -= R[3] * T[0] + R[4] * T[1] + R[5] * T[2];
  }
}

/** Standard errors (px) of the projection shifts: √diag of each projection's inverse 2×2 normal matrix (weights are inverse variances). */
function shiftStandardErrorsPx(geometry: Geometry, pos: Float64Array, amp: Float64Array, m: Float32Array, calc: Float32Array, w: Float32Array): number[] {
  const { hess } = geometry.shiftNormalEquations(pos, amp, m, calc, w);
  const out: number[] = [];
  for (let t = 0; t < hess.length / 3; t++) {
    const a = hess[3 * t],
      c = hess[3 * t + 1],
      d = hess[3 * t + 2];
    const det = a * d - c * c;
    out.push(det > 0 ? Math.sqrt(d / det) : Infinity, det > 0 ? Math.sqrt(a / det) : Infinity);
  }
  return out;
}

const clamp = (x: number, limit: number): number => Math.max(-limit, Math.min(limit, x));

/**
 * Inverse-variance pixel weights, 1/(g·max(calc − b, 0) + v₀) (true variances, so that the χ² and the
 * position prior share one scale). The floor v₀ (read noise, support, dark counts) is the mean squared
 * first residual where the model has next to no signal (below 1 % of its peak), and the gain g the
 * least-squares slope of the squared residuals over the model signal through that floor (shot noise
 * grows linearly with counts). A free intercept would not do: the first residuals also hold the model's
 * misfit (misaligned projections, misplaced atoms), which grows faster than the signal and drives a
 * fitted intercept below zero — and the empty pixels' weights up by orders of magnitude.
 */
function pixelWeights(m: Float32Array, calc: Float32Array, b: number): Float32Array {
  let peak = 0;
  for (let q = 0; q < m.length; q++) peak = Math.max(peak, calc[q] - b);
  let nEmpty = 0,
    sEmpty = 0,
    sy = 0;
  for (let q = 0; q < m.length; q++) {
    const y = (m[q] - calc[q]) ** 2;
    sy += y;
    if (calc[q] - b < 0.01 * peak) {
      nEmpty++;
      sEmpty += y;
    }
  }
  const minFloor = 1e-6 * (sy / m.length) + 1e-30;
  // no empty pixels to speak of (a crowded field of view): the mean squared residual is the floor
  const floor = Math.max(nEmpty >= 100 ? sEmpty / nEmpty : sy / m.length, minFloor);
  let sxy = 0,
    sxx = 0;
  for (let q = 0; q < m.length; q++) {
    const x = Math.max(calc[q] - b, 0);
    sxy += x * ((m[q] - calc[q]) ** 2 - floor);
    sxx += x * x;
  }
  const gain = sxx > 0 && sxy > 0 ? sxy / sxx : 0;
  const w = new Float32Array(m.length);
  for (let q = 0; q < m.length; q++) w[q] = 1 / (gain * Math.max(calc[q] - b, 0) + floor);
  return w;
}

/** Solves (H + λ·diag(H)) d = −g for one 4×4 block (zero step when singular). */
function solveDamped4(h: Float64Array, g: Float64Array, lambda: number): number[] {
  const A = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => h[4 * i + j] + (i === j ? lambda * h[4 * i + j] + 1e-12 : 0)));
  return solveGaussJordan(A, Array.from(g, (x) => -x)) ?? [0, 0, 0, 0];
}

/**
 * Training of GLARE and of the plain-U-Net baseline on the streamed simulated data (data.ts), with
 * ONNX Runtime computing forward + backward (nn/train.ts) and a resumable Adam (optimizer.ts).
 *
 * One run can train several networks on the SAME stream (same pairs, same patches, same number of
 * steps: the same budget), which is how the shipped GLARE and baseline were made.
 *
 * A step: a batch of `batch` random patchEdge³ crops (random flips) from a pool of pairs; a new pair
 * replaces the oldest every `refreshEverySteps` steps. GLARE also gets the whole reconstruction
 * resampled to GLOBAL_EDGE³ and the physics terms: the projection-consistency + positivity gradient
 * (physics.ts) of its current full-volume output is computed every `physicsEverySteps` steps per
 * pair (after a voxel-loss-only warm-up of `physicsWarmupFraction`) and added to the MSE's output gradient through the target (MSE to t − g has output gradient
 * 2(y − t + g)/N), i.e. the physics term is linearised at the volume it was last computed on.
 *
 * Checkpoints (weights, Adam moments, step, loss history) go to `<outDir>/checkpoint/` every
 * `checkpointEveryMinutes` and at the end; the current weights are also written to `<outDir>` as
 * the shippable model (model.json + weights.bin in tfjs format, refine.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { PannError } from '../core/errors';
import { createRng } from '../core/rng';
import type { Shape3 } from '../core/types';
import { initWeights } from '../nn/init';
import type { Network, WeightMap } from '../nn/ir';
import { OrtTrainer } from '../nn/train';
import { loadTfjsWeights, saveTfjsWeights } from '../nn/weights-io';
import { SAMPLE_EDGE, independentExposure, makePair, sampleSpec, validationSpecs, type SampleSpec } from './data';
import { addLightAtomGradient, lightAtomMap } from './light-atoms';
import { runRefineNetwork } from './infer';
import { DEFAULT_ARCH, GLOBAL_EDGE, buildRefineNetwork, refineInputShapes, type RefineArch, type RefineNet } from './model';
import { ResumableAdam } from './optimizer';
import { ACQUISITION_FEATURES, acquisitionFeatures, mirroredAcquisition, withoutGeometry } from './acquisition';
import { DEFAULT_PHYSICS, physicsContext, physicsGradient, type PhysicsContext, type PhysicsWeights } from './physics';
import { cropCube, flipCube, resampleToCube, robustScale } from './volume-ops';

/** Reported after every step (for a live loss plot). */
export interface TrainStepEvent {
  net: RefineNet;
  step: number;
  maxSteps: number;
  /** Loss of the step: voxel MSE (GLARE: MSE to the physics-shifted target, see the module doc). */
  loss: number;
  learningRate: number;
  elapsedS: number;
  /** Present on validation steps: voxel MSE and relative re-projection residual on the fixed validation split. */
  validation?: { mse: number; projectionResidual: number };
}

/** Options of a training run. Steps, minutes and sizes in the units named. */
export interface TrainOptions {
  /** Networks trained together on one stream (default ['glare']). */
  nets?: RefineNet[];
  /** Output folder per network (default the shipped models/<net>). */
  outDirs?: Partial<Record<RefineNet, string>>;
  /** Stop after this many steps per network (default 1500). */
  maxSteps?: number;
  /** Stop at this step without changing the schedule (which follows maxSteps); reproduces a run that was stopped by time. */
  stopAtStep?: number;
  /** Stop after this many minutes of wall time in this call (default none). */
  maxMinutes?: number;
  /** Patches per step (default 2). */
  batch?: number;
  /** GLARE: fraction of patches shown with the tilt geometry hidden (features 0), so it also works without angles (default 0.1). */
  unknownGeometryFraction?: number;
  /** Channels per level (default [16, 32, 64]) and patch edge in voxels (default 32). */
  widths?: number[];
  patchEdge?: number;
  /** Adam step size (default 1e-3; ×0.3 after 70 % of maxSteps). */
  learningRate?: number;
  /** Data and initialisation seed (default 0). */
  seed?: number;
  /** Pairs in the pool (default 6) and steps between new pairs (default 4). */
  poolSize?: number;
  refreshEverySteps?: number;
  /** Steps between recomputing a pair's GLARE physics gradient (default 6). */
  physicsEverySteps?: number;
  /**
   * Extra voxel-loss weight k on light atoms, for every network: the voxel MSE becomes
   * mean((1 + k·ℓ)(y − t)²), ℓ a unit peak (light-atoms.ts) on every atom lighter than the
   * particle's heaviest species (whose target peaks are below 1). Counters the networks' habit of
   * shrinking dim minority atoms towards the background. Default 0 (plain MSE); the shipped weights used
   * 0 to step 4,000 and 4 from there to 5,000.
   */
  lightAtomWeight?: number;
  /**
   * Extra height s of the light-atom weight's peaks on the outer surface (`lightAtomMap`): there the
   * voxel MSE weighs 1 + k·(1 + s). Needs lightAtomWeight > 0. Default 0 (the shipped weights).
   */
  surfaceLightWeight?: number;
  /** Fraction of maxSteps trained on the voxel loss alone before the physics terms start (default 0.1). */
  physicsWarmupFraction?: number;
  physics?: PhysicsWeights;
  /**
   * GLARE: which tilt series the projection-consistency term compares with: 'same' (the reconstructed
   * one; default, as the weights before 2026-12-06 were trained) or 'independent' (a second simulated
   * exposure of the same particle, `independentExposure`, whose noise the input does not contain).
   */
  physicsExposure?: PhysicsExposure;
  /** Validation pairs (default 3) and steps between validations (default 100). */
  validationSamples?: number;
  validateEverySteps?: number;
  checkpointEveryMinutes?: number;
  /** Continue from `<outDir>/checkpoint` when present (default true). */
  resume?: boolean;
  /** ORT threads (default 2). */
  threads?: number;
  /** Called after every step of every network. */
  onStep?: (e: TrainStepEvent) => void;
  /** Text log lines (default none). */
  log?: (line: string) => void;
  /** The command line that reproduces this run, recorded in refine.json. */
  command?: string;
}

interface PreparedPair {
  spec: SampleSpec;
  x: Float32Array;
  target: Float32Array;
  global: Float32Array;
  /** Acquisition features (tilt geometry, voxel edge) for GLARE's global branch. */
  acquisition: Float32Array;
  physics: PhysicsContext;
  /** Unit peaks on the atoms lighter than the heaviest species (absent when there is one species). */
  lightMap?: Float32Array;
  /** Per network: the target shift (physics and light-atom gradients) and the step it was computed at. */
  shift: Partial<Record<RefineNet, { grad: Float32Array; step: number }>>;
}

interface NetState {
  kind: RefineNet;
  arch: RefineArch;
  net: Network;
  trainer: OrtTrainer;
  adam: ResumableAdam;
  step: number;
  elapsedS: number;
  history: { step: number; loss: number }[];
  validation: { step: number; mse: number; projectionResidual: number }[];
  outDir: string;
}

const SHAPE: Shape3 = [SAMPLE_EDGE, SAMPLE_EDGE, SAMPLE_EDGE];

/** Which measurement the consistency term uses (see TrainOptions.physicsExposure). */
export type PhysicsExposure = 'same' | 'independent';

async function preparePair(spec: SampleSpec, contrastPower: number, exposure: PhysicsExposure, surfaceLightWeight = 0): Promise<PreparedPair> {
  const p = await makePair(spec);
  const measured = exposure === 'independent' ? await independentExposure(spec, p.truth) : p.tilts;
  const scale = robustScale(p.reconstruction.data);
  const x = new Float32Array(p.reconstruction.data.length);
  for (let i = 0; i < x.length; i++) x[i] = p.reconstruction.data[i] / scale;
  return { spec, x, target: p.target.data, global: resampleToCube(x, SHAPE, GLOBAL_EDGE), acquisition: acquisitionFeatures(p.tilts.anglesDeg, p.tilts.pixelSizeA), physics: physicsContext(measured, p.target.data, SHAPE, contrastPower), lightMap: lightAtomMap(p.truth, SHAPE, p.reconstruction.voxelSizeA, surfaceLightWeight), shift: {} };
}

function defaultOutDir(kind: RefineNet): string {
  return process.env.PANN_MODELS_DIR ? path.join(process.env.PANN_MODELS_DIR, kind) : path.resolve(__dirname, '../../../models', kind);
}

async function saveMap(dir: string, net: Network, w: WeightMap): Promise<void> {
  await saveTfjsWeights(dir, net, w);
}

async function writeCheckpoint(s: NetState, pairsMade: number, opts: TrainOptions): Promise<void> {
  const ck = path.join(s.outDir, 'checkpoint');
  const filled = (src: WeightMap): WeightMap => Object.fromEntries(s.net.weights.map((w) => [w.name, src[w.name] ?? new Float32Array(s.trainer.weights[w.name].length)]));
  await saveMap(path.join(ck, 'weights'), s.net, s.trainer.weights);
  await saveMap(path.join(ck, 'adam-m'), s.net, filled(s.adam.state.m));
  await saveMap(path.join(ck, 'adam-v'), s.net, filled(s.adam.state.v));
  const state = { step: s.step, adamT: s.adam.state.t, pairsMade, elapsedS: s.elapsedS, history: s.history, validation: s.validation, arch: s.arch };
  fs.writeFileSync(path.join(ck, 'state.json'), JSON.stringify(state));
  // the shippable model, always the latest weights
  await saveTfjsWeights(s.outDir, s.net, s.trainer.weights);
  const info = {
    arch: s.arch,
    trainedSteps: s.step,
    trainingWallS: Math.round(s.elapsedS),
    batch: opts.batch ?? 2,
    learningRate: opts.learningRate ?? 1e-3,
    seed: opts.seed ?? 0,
    physics: s.kind === 'glare' ? { ...(opts.physics ?? DEFAULT_PHYSICS), everySteps: opts.physicsEverySteps ?? 6, warmupFraction: opts.physicsWarmupFraction ?? 0.1, exposure: opts.physicsExposure ?? 'same' } : null,
    lightAtomWeight: opts.lightAtomWeight ?? 0,
    surfaceLightWeight: opts.surfaceLightWeight ?? 0,
    maxSteps: opts.maxSteps ?? 1500,
    data: { poolSize: opts.poolSize ?? 6, refreshEverySteps: opts.refreshEverySteps ?? 4, pairsMade },
    normalisation: 'input / 99.9th percentile; output clamped at 0, atomic-volume units',
    lastValidation: s.validation[s.validation.length - 1] ?? null,
    command: opts.command ?? null,
    savedAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(s.outDir, 'refine.json'), JSON.stringify(info, null, 1));
}

async function tryResume(s: NetState): Promise<number> {
  const ck = path.join(s.outDir, 'checkpoint');
  const sp = path.join(ck, 'state.json');
  if (!fs.existsSync(sp)) return 0;
  const st = JSON.parse(fs.readFileSync(sp, 'utf8'));
  if (JSON.stringify(st.arch) !== JSON.stringify(s.arch)) throw new PannError('STATE', `checkpoint in ${ck} has a different architecture ${JSON.stringify(st.arch)}; pass resume: false or another outDir`, { file: sp });
  const w = (await loadTfjsWeights(path.join(ck, 'weights', 'model.json'), s.net)).weights;
  const m = (await loadTfjsWeights(path.join(ck, 'adam-m', 'model.json'), s.net)).weights;
  const v = (await loadTfjsWeights(path.join(ck, 'adam-v', 'model.json'), s.net)).weights;
  for (const k of Object.keys(w)) s.trainer.weights[k].set(w[k]);
  s.adam.state = { t: st.adamT, m, v };
  s.step = st.step;
  s.elapsedS = st.elapsedS;
  s.history = st.history ?? [];
  s.validation = st.validation ?? [];
  return st.pairsMade ?? 0;
}

async function validate(s: NetState, val: PreparedPair[], physics: PhysicsWeights): Promise<{ mse: number; projectionResidual: number }> {
  let mse = 0,
    res = 0;
  for (const p of val) {
    const y = await runRefineNetwork({ arch: s.arch, net: s.net, weights: s.trainer.weights }, p.x, SHAPE, { tileEdge: SAMPLE_EDGE, acquisition: p.acquisition });
    let e = 0;
    for (let i = 0; i < y.length; i++) e += (y[i] - p.target[i]) ** 2;
    mse += e / y.length;
    res += physicsGradient(p.physics, y, physics).relResidual;
  }
  return { mse: mse / val.length, projectionResidual: res / val.length };
}

/**
 * Trains (or resumes training of) the refinement networks.
 * @returns per network: steps done, wall time (s), final loss and last validation
 */
export async function trainRefiners(opts: TrainOptions = {}): Promise<Record<string, { steps: number; elapsedS: number; lastLoss: number; validation: { mse: number; projectionResidual: number } | null; outDir: string }>> {
  const kinds = opts.nets ?? ['glare'];
  const maxSteps = opts.maxSteps ?? 1500;
  const batch = opts.batch ?? 2;
  const seed = opts.seed ?? 0;
  const poolSize = opts.poolSize ?? 6;
  const refreshEvery = opts.refreshEverySteps ?? 4;
  const physEvery = opts.physicsEverySteps ?? 6;
  const physStart = Math.round((opts.physicsWarmupFraction ?? 0.1) * maxSteps);
  const physics = opts.physics ?? DEFAULT_PHYSICS;
  const contrastPower = physics.contrastPower ?? 1;
  const exposure = opts.physicsExposure ?? 'same';
  if (exposure !== 'same' && exposure !== 'independent') throw new PannError('OPTION', `physicsExposure must be 'same' or 'independent', got '${exposure}'`, { field: 'physicsExposure' });
  const lightWeight = opts.lightAtomWeight ?? 0;
  if (!(lightWeight >= 0)) throw new PannError('OPTION', `lightAtomWeight must be ≥ 0, got ${lightWeight}`, { field: 'lightAtomWeight' });
  const surfaceLight = opts.surfaceLightWeight ?? 0;
  if (!(surfaceLight >= 0)) throw new PannError('OPTION', `surfaceLightWeight must be ≥ 0, got ${surfaceLight}`, { field: 'surfaceLightWeight' });
  // with both weights 0 (the no-physics ablation) skip the whole-volume forward passes too
  const physicsOn = physics.projection > 0 || physics.positivity > 0;
  const lr0 = opts.learningRate ?? 1e-3;
  const log = opts.log ?? (() => undefined);
  const t0 = performance.now();
  const deadline = opts.maxMinutes ? t0 + opts.maxMinutes * 60_000 : Infinity;
  const states: NetState[] = [];
  let pairsMade = 0;
  for (const kind of kinds) {
    if (kind !== 'glare' && kind !== 'unet') throw new PannError('OPTION', `unknown network '${kind}' (glare or unet)`, { field: 'nets' });
    const arch: RefineArch = { ...DEFAULT_ARCH[kind], ...(opts.widths ? { widths: opts.widths } : {}), ...(opts.patchEdge ? { patchEdge: opts.patchEdge } : {}) };
    const net = buildRefineNetwork(arch);
    const e = arch.patchEdge;
    const shapes = refineInputShapes(arch, batch, e);
    const trainer = await OrtTrainer.create(net, initWeights(net, seed), shapes, { provider: 'cpu', threads: opts.threads ?? 2 });
    const s: NetState = { kind, arch, net, trainer, adam: new ResumableAdam(), step: 0, elapsedS: 0, history: [], validation: [], outDir: opts.outDirs?.[kind] ?? defaultOutDir(kind) };
    if (opts.resume !== false) pairsMade = Math.max(pairsMade, await tryResume(s));
    if (s.step > 0) log(`${kind}: resumed at step ${s.step} (${Math.round(s.elapsedS)} s trained)`);
    states.push(s);
  }
  const e = states[0].arch.patchEdge;
  if (states.some((s) => s.arch.patchEdge !== e)) throw new PannError('OPTION', 'networks trained together need the same patch edge', { field: 'patchEdge' });

  const val: PreparedPair[] = [];
  for (const spec of validationSpecs(opts.validationSamples ?? 3)) val.push(await preparePair(spec, contrastPower, exposure, surfaceLight));
  // the pool: on resume re-make the last pairs of the stream
  const pool: PreparedPair[] = [];
  const first = Math.max(0, pairsMade - poolSize);
  for (let k = 0; k < poolSize; k++) {
    const idx = pairsMade >= poolSize ? first + k : k;
    if (seed * 100_000 + idx >= 1_000_000) throw new PannError('OPTION', 'training seed range exhausted (seed × 1e5 + pair index must stay below the validation seeds)', { field: 'seed' });
    pool.push(await preparePair(sampleSpec(seed * 100_000 + idx), contrastPower, exposure, surfaceLight));
  }
  pairsMade = Math.max(pairsMade, poolSize);
  log(`data: pool of ${poolSize} pairs and ${val.length} validation pairs ready after ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const n = batch * e * e * e;
  const xin = new Float32Array(n),
    tgt = new Float32Array(n),
    gin = new Float32Array(batch * GLOBAL_EDGE ** 3),
    ain = new Float32Array(batch * ACQUISITION_FEATURES);
  const tile = new Float32Array(e * e * e),
    gtile = new Float32Array(GLOBAL_EDGE ** 3);
  let lastCk = performance.now();
  let step = Math.min(...states.map((s) => s.step));
  const lastLoss: Record<string, number> = {};
  while (step < Math.min(maxSteps, opts.stopAtStep ?? Infinity) && performance.now() < deadline) {
    if (step > 0 && step % refreshEvery === 0) {
      pool[(step / refreshEvery) % poolSize] = await preparePair(sampleSpec(seed * 100_000 + pairsMade), contrastPower, exposure, surfaceLight);
      pairsMade++;
    }
    const rng = createRng(seed * 1_000_003 + step);
    const picks = Array.from({ length: batch }, () => ({ p: rng.int(poolSize), z: rng.int(SAMPLE_EDGE - e + 1), y: rng.int(SAMPLE_EDGE - e + 1), x: rng.int(SAMPLE_EDGE - e + 1), flip: rng.int(8) }));
    const lr = step < 0.7 * maxSteps ? lr0 : 0.3 * lr0;
    // a separate stream, so the patches stay those of runs made before the acquisition input existed
    const arng = createRng(seed * 1_000_033 + step + 7);
    const unknownGeometry = picks.map(() => arng.uniform() < (opts.unknownGeometryFraction ?? 0.1));
    for (const s of states) {
      if (s.step > step) continue;
      const ts = performance.now();
      for (let b = 0; b < batch; b++) {
        const q = picks[b];
        const pair = pool[q.p];
        cropCube(pair.x, SHAPE, q.z, q.y, q.x, e, tile);
        flipCube(tile, e, q.flip);
        xin.set(tile, b * e ** 3);
        cropCube(pair.target, SHAPE, q.z, q.y, q.x, e, tile);
        flipCube(tile, e, q.flip);
        tgt.set(tile, b * e ** 3);
        if (s.kind === 'glare') {
          gtile.set(pair.global);
          flipCube(gtile, GLOBAL_EDGE, q.flip);
          gin.set(gtile, b * GLOBAL_EDGE ** 3);
          const a = mirroredAcquisition(pair.acquisition, q.flip);
          ain.set(unknownGeometry[b] ? withoutGeometry(a) : a, b * ACQUISITION_FEATURES);
        }
        const usePhysics = s.kind === 'glare' && physicsOn && step >= physStart;
        const useLight = lightWeight > 0 && pair.lightMap !== undefined;
        if (usePhysics || useLight) {
          let shift = pair.shift[s.kind];
          if (!shift || step - shift.step >= physEvery) {
            const y = await runRefineNetwork({ arch: s.arch, net: s.net, weights: s.trainer.weights }, pair.x, SHAPE, { tileEdge: SAMPLE_EDGE, threads: opts.threads, acquisition: pair.acquisition });
            const grad = usePhysics ? physicsGradient(pair.physics, y, physics).grad : new Float32Array(y.length);
            // weighted MSE (1 + kℓ)(y − t)²: its extra gradient kℓ(y − t), linearised at this output
            if (useLight) addLightAtomGradient(grad, pair.lightMap!, y, pair.target, lightWeight);
            shift = pair.shift[s.kind] = { grad, step };
          }
          cropCube(shift.grad, SHAPE, q.z, q.y, q.x, e, tile);
          flipCube(tile, e, q.flip);
          const off = b * e ** 3;
          for (let i = 0; i < tile.length; i++) tgt[off + i] -= tile[i];
        }
      }
      const shapes = refineInputShapes(s.arch, batch, e);
      const data: Record<string, Float32Array> = { volume: xin, global: gin, acquisition: ain };
      const ins = Object.fromEntries(Object.entries(shapes).map(([k, shape]) => [k, { data: data[k], shape }]));
      const { loss, grads } = await s.trainer.lossAndGrads(ins, { [s.net.outputs[0]]: tgt });
      if (!Number.isFinite(loss)) throw new PannError('STATE', `${s.kind}: loss became ${loss} at step ${s.step}`);
      s.adam.update(s.trainer.weights, grads, lr);
      s.step++;
      s.elapsedS += (performance.now() - ts) / 1000;
      s.history.push({ step: s.step, loss });
      lastLoss[s.kind] = loss;
      const ev: TrainStepEvent = { net: s.kind, step: s.step, maxSteps, loss, learningRate: lr, elapsedS: s.elapsedS };
      if (val.length && (s.step % (opts.validateEverySteps ?? 100) === 0 || s.step === maxSteps)) {
        const v = await validate(s, val, physics);
        s.validation.push({ step: s.step, ...v });
        ev.validation = v;
        log(`${s.kind} step ${s.step}: validation MSE ${v.mse.toExponential(3)}, re-projection residual ${v.projectionResidual.toFixed(4)}`);
      }
      opts.onStep?.(ev);
    }
    step++;
    if (step % 10 === 0) log(`step ${step}: ${states.map((s) => `${s.kind} ${lastLoss[s.kind]?.toExponential(3)}`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (performance.now() - lastCk > (opts.checkpointEveryMinutes ?? 3) * 60_000) {
      for (const s of states) await writeCheckpoint(s, pairsMade, opts);
      lastCk = performance.now();
      log(`checkpoint at step ${step}`);
    }
  }
  const out: Awaited<ReturnType<typeof trainRefiners>> = {};
  for (const s of states) {
    await writeCheckpoint(s, pairsMade, opts);
    await s.trainer.dispose();
    out[s.kind] = { steps: s.step, elapsedS: s.elapsedS, lastLoss: lastLoss[s.kind] ?? NaN, validation: s.validation[s.validation.length - 1] ?? null, outDir: s.outDir };
  }
  log(`done at step ${step}`);
  return out;
}

/** Trains GLARE alone (see trainRefiners for the options). */
export function trainGlare(opts: Omit<TrainOptions, 'nets'> = {}): ReturnType<typeof trainRefiners> {
  return trainRefiners({ ...opts, nets: ['glare'] });
}

/** Trains the plain-U-Net baseline alone (voxel loss only). */
export function trainUnet(opts: Omit<TrainOptions, 'nets'> = {}): ReturnType<typeof trainRefiners> {
  return trainRefiners({ ...opts, nets: ['unet'] });
}

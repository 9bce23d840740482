/**
 * Training DAST (and its intensity-only MLP ablation) on labelled samples from `dataset.ts` with the
 * project's ONNX Runtime trainer (`nn/train.ts` OrtTrainer: forward + derived backward graph, JS Adam) on
 * the training variant of the IR network. Loss: mean squared error between the predicted score and the
 * true brightness score α·ln Z, both with their mean over the particle's labelled atoms removed (the
 * score is defined up to a per-particle offset, which the species assignment fits). Ghost atoms (no
 * true partner) are in the graph but not in the loss. Batches are whole particles packed into a fixed
 * shape (nodes and edges padded with a dummy atom) so one ORT session serves every step.
 * Checkpoints (weights + dast.json + training state) are written every `checkpointEverySteps` and at
 * the end; training resumes from them (step count, weights and the data order; Adam's moments restart).
 */
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { PannError } from '../../core/errors';
import { createRng } from '../../core/rng';
import { registerFastCpuKernels } from '../../engine/tfjs-cpu-kernels';
import { runTfjs, toTfWeights } from '../../nn/tfjs-exec';
import { OrtTrainer } from '../../nn/train';
import { OrtNetwork } from '../../nn/ort-exec';
import type { WeightMap } from '../../nn/ir';
import { loadTfjsWeights } from '../../nn/weights-io';
import { BRIGHTNESS_EXPONENT, assignSpecies } from './assign';
import { sampleFromJson, type DastSample } from './dataset';
import { DEFAULT_FEATURE_CONFIG, featureValue, LOG_COLUMN } from './features';
import { saveDastModel, type DastModelConfig, type DastModel } from './model-store';
import { buildDastNetwork, buildDastTrainingNetwork, initDastWeights, type DastNetConfig } from './network';
import { splitOutput } from './predict';

/** Options of {@link trainDast}. */
export interface TrainDastOptions {
  /** JSON-lines sample files (from `makeDastSample` / `sampleToJson`). */
  dataFiles: string[];
  /** Output (and checkpoint) directory. */
  modelDir: string;
  /** 'dast' (graph Transformer) or 'mlp' (intensity features only, no graph). Default 'dast'. */
  kind?: 'dast' | 'mlp';
  /** Training steps (batches). Default 2000. */
  steps?: number;
  /** Atoms per batch (whole particles are packed up to this). Default 4000. */
  batchAtoms?: number;
  /** Adam learning rate (cosine-decayed to 5 % over `steps`). Default 2e-3. */
  learningRate?: number;
  /** Every n-th sample (by file order) is held out for validation. Default 10 (0: none). */
  validationEvery?: number;
  checkpointEverySteps?: number;
  /** Continue from the checkpoint in modelDir if there is one. Default true. */
  resume?: boolean;
  /** Stop after this many seconds (a checkpoint is written). */
  maxSeconds?: number;
  seed?: number;
  /** Network size (defaults: width 64, 4 heads × 16, 3 layers, FFN 128). */
  net?: Partial<Pick<DastNetConfig, 'width' | 'heads' | 'headDim' | 'layers' | 'ffnWidth'>>;
  /** Called after every step (for a live loss plot). */
  onStep?: (e: { step: number; loss: number; learningRate: number; seconds: number }) => void;
  /** Called after each validation. */
  onValidation?: (e: {
    step: number;
    accuracy: number;
    kmeansAccuracy: number;
    atoms: number;
    rmsScore: number;
  }) => void;
  /** Command line that reproduces this training (recorded in dast.json). */
  command?: string;
}

/** Result of {@link trainDast}. */
export interface TrainDastResult {
  modelDir: string;
  steps: number;
  seconds: number;
  finalLoss: number;
  validation: { accuracy: number; kmeansAccuracy: number; atoms: number; rmsScore: number } | null;
}

/** Reads JSON-lines sample files. */
export function readSamples(files: string[]): DastSample[] {
  const out: DastSample[] = [];
  for (const f of files) {
    if (!fs.existsSync(f)) throw new PannError('OPTION', `training data file not found: ${f}`, { file: f });
    for (const line of fs.readFileSync(f, 'utf8').split('\n'))
      if (line.trim()) out.push(sampleFromJson(line));
  }
  return out;
}

/** Column means and standard deviations over all atoms of the samples. */
function featureStats(samples: DastSample[], cols: number[]): { mean: number[]; std: number[] } {
  const k = cols.length;
  const sum = new Float64Array(k),
    sq = new Float64Array(k);
  let n = 0;
  for (const s of samples) {
    const F = s.nodes.length / s.nAtoms;
    for (let a = 0; a < s.nAtoms; a++) {
      for (let c = 0; c < k; c++) {
        const v = featureValue(s.nodes, F, a, cols[c]);
        sum[c] += v;
        sq[c] += v * v;
      }
      n++;
    }
  }
  const mean = Array.from(sum, (v) => v / n);
  const std = Array.from(sq, (v, c) => Math.max(1e-3, Math.sqrt(Math.max(0, v / n - mean[c] ** 2))));
  return { mean, std };
}

/** One packed batch of whole particles. */
interface Batch {
  n: number;
  nodes: Float32Array;
  edges: Float32Array;
  src: Int32Array;
  dst: Int32Array;
  labelled: Int32Array;
  particleOfLabelled: Int32Array;
  targets: Float32Array;
  particles: number;
}

function packBatch(samples: DastSample[], cfg: DastModelConfig): Batch {
  const cols = cfg.inputColumns;
  const k = cols.length;
  let n = 0,
    e = 0;
  for (const s of samples) {
    n += s.nAtoms;
    e += s.src.length;
  }
  const ef = cfg.net.edgeFeatures;
  const nodes = new Float32Array(n * k),
    edges = new Float32Array(e * ef),
    src = new Int32Array(e),
    dst = new Int32Array(e);
  const lab: number[] = [],
    part: number[] = [],
    tgt: number[] = [];
  let a0 = 0,
    e0 = 0;
  samples.forEach((s, p) => {
    const F = s.nodes.length / s.nAtoms;
    for (let a = 0; a < s.nAtoms; a++) {
      for (let c = 0; c < k; c++)
        nodes[(a0 + a) * k + c] =
          (featureValue(s.nodes, F, a, cols[c]) - cfg.featureMean[c]) / cfg.featureStd[c];
      if (!Number.isNaN(s.target[a])) {
        lab.push(a0 + a);
        part.push(p);
        tgt.push(s.target[a]);
      }
    }
    if (ef > 0) edges.set(s.edges.subarray(0, s.src.length * ef), e0 * ef);
    for (let t = 0; t < s.src.length; t++) {
      src[e0 + t] = s.src[t] + a0;
      dst[e0 + t] = s.dst[t] + a0;
    }
    a0 += s.nAtoms;
    e0 += s.src.length;
  });
  return {
    n,
    nodes,
    edges,
    src,
    dst,
    labelled: Int32Array.from(lab),
    particleOfLabelled: Int32Array.from(part),
    targets: Float32Array.from(tgt),
    particles: samples.length,
  };
}

/** Species accuracy of DAST (scores → assignSpecies) and of the stored k-means labels on labelled atoms. */
export async function evaluateSamples(
  model: DastModel,
  samples: DastSample[],
): Promise<{ accuracy: number; kmeansAccuracy: number; atoms: number; rmsScore: number }> {
  let ok = 0,
    okKm = 0,
    m = 0,
    sq = 0;
  for (const s of samples) {
    const out = await forwardOrt(model, s);
    const { score, sigma } = splitOutput(
      out.score,
      s.nAtoms,
      model.config.training?.rmsScore as number | undefined,
    );
    const asg = assignSpecies(score, sigma, s.species, { ghostProbability: out.ghost });
    let mr = 0,
      nl = 0;
    for (let a = 0; a < s.nAtoms; a++)
      if (s.label[a] >= 0) {
        mr += score[a] - s.target[a];
        nl++;
      }
    mr /= Math.max(1, nl);
    for (let a = 0; a < s.nAtoms; a++) {
      if (s.label[a] < 0) continue;
      m++;
      sq += (score[a] - s.target[a] - mr) ** 2;
      if (asg.classes[a] === s.label[a]) ok++;
      if (s.kmeans[a] === s.label[a]) okKm++;
    }
  }
  return {
    accuracy: m ? ok / m : NaN,
    kmeansAccuracy: m ? okKm / m : NaN,
    atoms: m,
    rmsScore: m ? Math.sqrt(sq / m) : NaN,
  };
}

/** Network output for one stored sample with ONNX Runtime. */
async function forwardOrt(
  model: DastModel,
  s: DastSample,
): Promise<{ score: Float32Array; ghost: Float32Array }> {
  const b = packBatch([s], model.config);
  const net = buildDastNetwork(model.config.net, b.n);
  const ins: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {
    nodes: { data: b.nodes, shape: [b.n, model.config.inputColumns.length] },
  };
  if (model.config.net.layers > 0) {
    ins.edges = { data: b.edges, shape: [b.src.length, model.config.net.edgeFeatures] };
    ins.src = { data: b.src, shape: [b.src.length] };
    ins.dst = { data: b.dst, shape: [b.dst.length] };
  }
  const ort = await OrtNetwork.create(
    net,
    model.weights,
    Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, v.shape])),
    { provider: 'cpu' },
  );
  try {
    const r = await ort.run(ins);
    return { score: r.out.data, ghost: r.ghost_prob.data };
  } finally {
    await ort.release();
  }
}

/** Network outputs (score, ghost probability) for packed samples (tfjs reference). */
export function forward(
  model: DastModel,
  samples: DastSample[],
): { score: Float32Array; ghost: Float32Array } {
  registerFastCpuKernels();
  const b = packBatch(samples, model.config);
  const net = buildDastNetwork(model.config.net, b.n);
  return tf.tidy(() => {
    const w = toTfWeights(net, model.weights);
    const o = runTfjs(net, w, batchInputs(b, model.config.net, model.config.inputColumns.length));
    return { score: o.out.dataSync() as Float32Array, ghost: o.ghost_prob.dataSync() as Float32Array };
  });
}

function batchInputs(b: Batch, net: DastNetConfig, k: number): Record<string, tf.Tensor> {
  const ins: Record<string, tf.Tensor> = { nodes: tf.tensor2d(b.nodes, [b.n, k]) };
  if (net.layers > 0) {
    ins.edges = tf.tensor2d(b.edges, [b.src.length, net.edgeFeatures]);
    ins.src = tf.tensor1d(b.src, 'int32');
    ins.dst = tf.tensor1d(b.dst, 'int32');
  }
  return ins;
}

/** Training state stored next to the weights. */
interface TrainState {
  step: number;
  seconds: number;
  history: { step: number; loss: number }[];
  validations: { step: number; accuracy: number; kmeansAccuracy: number; atoms: number; rmsScore: number }[];
}

/**
 * Trains (or resumes training of) a DAST model and writes it to `opts.modelDir`.
 * @returns the directory, steps done, wall time (s), last loss and the last validation accuracy
 */
export async function trainDast(opts: TrainDastOptions): Promise<TrainDastResult> {
  registerFastCpuKernels();
  const kind = opts.kind ?? 'dast';
  const all = readSamples(opts.dataFiles);
  if (all.length < 2)
    throw new PannError('VALUE', `need at least 2 training samples, got ${all.length}`, {
      field: 'dataFiles',
    });
  const every = opts.validationEvery ?? 10;
  const val = every > 0 ? all.filter((_, i) => i % every === every - 1) : [];
  const train = every > 0 ? all.filter((_, i) => i % every !== every - 1) : all;
  const F = train[0].nodes.length / train[0].nAtoms;
  const intensityCols = [0, 1, 2, 3, 4, 5].slice(0, DEFAULT_FEATURE_CONFIG.integrationRadiiA.length + 3);
  // Log intensity ratios of the sphere sums and the peak (and |Ω00| for DAST) as extra columns: with the
  // linear skip of the network they make the score ≈ α·ln Z at high dose from the start.
  const logCols = intensityCols
    .slice(0, DEFAULT_FEATURE_CONFIG.integrationRadiiA.length + 1)
    .map((c) => c + LOG_COLUMN);
  const zernike00 = DEFAULT_FEATURE_CONFIG.integrationRadiiA.length + 3;
  const inputColumns =
    kind === 'mlp'
      ? [...intensityCols, ...logCols]
      : [...Array.from({ length: F }, (_, i) => i), ...logCols, zernike00 + LOG_COLUMN];
  const edgeFeatures = kind === 'mlp' ? 0 : train[0].edges.length / Math.max(1, train[0].src.length);
  const netCfg: DastNetConfig = {
    nodeFeatures: inputColumns.length,
    edgeFeatures,
    width: opts.net?.width ?? 48,
    heads: opts.net?.heads ?? 2,
    headDim: opts.net?.headDim ?? 16,
    layers: kind === 'mlp' ? 0 : (opts.net?.layers ?? 2),
    ffnWidth: opts.net?.ffnWidth ?? 96,
  };
  const stats = featureStats(train, inputColumns);
  const config: DastModelConfig = {
    format: 'pann-dast',
    version: 1,
    kind,
    features: DEFAULT_FEATURE_CONFIG,
    inputColumns,
    featureMean: stats.mean,
    featureStd: stats.std,
    net: netCfg,
    brightnessExponent: BRIGHTNESS_EXPONENT,
  };
  const steps = opts.steps ?? 2000;
  const batchAtoms = opts.batchAtoms ?? 2500;
  const lr0 = opts.learningRate ?? 2e-3;
  const ckptEvery = opts.checkpointEverySteps ?? 100;
  const statePath = path.join(opts.modelDir, 'training-state.json');
  let weights: WeightMap = initDastWeights(netCfg, opts.seed ?? 0);
  let state: TrainState = { step: 0, seconds: 0, history: [], validations: [] };
  if (
    (opts.resume ?? true) &&
    fs.existsSync(statePath) &&
    fs.existsSync(path.join(opts.modelDir, 'dast.json'))
  ) {
    const prev = JSON.parse(
      await fsp.readFile(path.join(opts.modelDir, 'dast.json'), 'utf8'),
    ) as DastModelConfig;
    if (JSON.stringify(prev.net) === JSON.stringify(netCfg) && prev.kind === kind) {
      weights = (await loadTfjsWeights(path.join(opts.modelDir, 'model.json'), buildDastNetwork(netCfg, 2)))
        .weights;
      state = JSON.parse(await fsp.readFile(statePath, 'utf8'));
      config.featureMean = prev.featureMean; // keep the standardisation the weights were trained with
      config.featureStd = prev.featureStd;
    }
  }
  // Fixed training shapes: nodes = batchAtoms + 1 dummy, edges = 16 per node, particles per batch ≤ maxParticles.
  const padN = batchAtoms + 1;
  const padE = padN * (DEFAULT_FEATURE_CONFIG.graphK + 2);
  const maxParticles = 64;
  const trainNet = buildDastTrainingNetwork(netCfg, padN, maxParticles + 1);
  const shapes: Record<string, number[]> = {
    nodes: [padN, inputColumns.length],
    particle: [padN],
    centre_weight: [padN, 1],
    minus_one: [padN, 1],
    mask: [padN, 1],
  };
  if (netCfg.layers > 0) Object.assign(shapes, { edges: [padE, edgeFeatures], src: [padE], dst: [padE] });
  const trainer = await OrtTrainer.create(trainNet, weights, shapes, {
    provider: 'cpu',
    adam: { learningRate: lr0 },
  });
  const rng = createRng((opts.seed ?? 0) + 1);
  const t0 = performance.now() - state.seconds * 1000;
  const snapshot = (): WeightMap =>
    Object.fromEntries(Object.entries(trainer.weights).map(([k, v]) => [k, v.slice()]));
  let lastLoss = NaN;
  let lastVal: TrainDastResult['validation'] = null;

  const checkpoint = async (): Promise<void> => {
    state.seconds = (performance.now() - t0) / 1000;
    const lastV = state.validations[state.validations.length - 1];
    config.training = {
      command: opts.command,
      engine: 'onnxruntime-node (OrtTrainer), Adam',
      dataFiles: opts.dataFiles.map((f) => path.basename(f)),
      trainSamples: train.length,
      validationSamples: val.length,
      trainAtoms: train.reduce((s, x) => s + x.nAtoms, 0),
      steps: state.step,
      batchAtoms,
      learningRate: lr0,
      seconds: Math.round(state.seconds),
      lastLoss,
      rmsScore: lastV?.rmsScore ?? 0.1,
      validation: lastV ?? null,
    };
    await saveDastModel(opts.modelDir, config, snapshot());
    await fsp.writeFile(statePath, JSON.stringify(state));
  };
  const validate = async (): Promise<void> => {
    if (!val.length) return;
    const v = await evaluateSamples({ config, weights: snapshot(), dir: opts.modelDir }, val);
    lastVal = v;
    state.validations.push({ step: state.step, ...v });
    opts.onValidation?.({ step: state.step, ...v });
  };

  // Batches: shuffled particles packed to ≤ batchAtoms; the order depends only on the seed and epoch.
  let queue: number[] = [];
  let epoch = 0;
  const nextBatch = (): DastSample[] => {
    const out: DastSample[] = [];
    let atoms = 0;
    for (;;) {
      if (!queue.length) {
        const order = Array.from({ length: train.length }, (_, i) => i);
        const r = createRng((opts.seed ?? 0) * 1000 + epoch++);
        for (let i = order.length - 1; i > 0; i--) {
          const j = r.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        queue = order;
      }
      const s = train[queue[0]];
      if (out.length && atoms + s.nAtoms > batchAtoms) return out;
      queue.shift();
      out.push(s);
      atoms += s.nAtoms;
      if (atoms >= batchAtoms) return out;
    }
  };
  // Skip the batches already seen when resuming, so the data order continues.
  for (let i = 0; i < state.step; i++) nextBatch();
  void rng;

  const deadline = opts.maxSeconds !== undefined ? performance.now() + opts.maxSeconds * 1000 : Infinity;
  const adam = (trainer as unknown as { adam: { lr: number } }).adam;
  while (state.step < steps && performance.now() < deadline) {
    const lr = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * state.step) / steps)));
    (adam as { lr: number }).lr = lr;
    const picked = nextBatch();
    const { inputs, target, ghostTarget } = paddedBatch(
      packBatch(picked.slice(0, maxParticles), config),
      padN,
      padE,
      maxParticles,
      inputColumns.length,
      edgeFeatures,
    );
    lastLoss = await trainer.step(inputs, { centred: target, ghost_prob: ghostTarget });
    state.step++;
    state.history.push({ step: state.step, loss: lastLoss });
    opts.onStep?.({
      step: state.step,
      loss: lastLoss,
      learningRate: lr,
      seconds: (performance.now() - t0) / 1000,
    });
    if (state.step % ckptEvery === 0) {
      await validate();
      await checkpoint();
    }
  }
  await validate();
  await checkpoint();
  await trainer.dispose();
  return {
    modelDir: opts.modelDir,
    steps: state.step,
    seconds: state.seconds,
    finalLoss: lastLoss,
    validation: lastVal,
  };
}

/** A packed batch padded to the fixed training shapes, with the centring inputs and the centred target. */
function paddedBatch(b: Batch, padN: number, padE: number, maxParticles: number, k: number, ef: number) {
  const dummy = padN - 1;
  const nodes = new Float32Array(padN * k);
  nodes.set(b.nodes.subarray(0, Math.min(b.n, dummy) * k));
  const src = new Int32Array(padE).fill(dummy),
    dst = new Int32Array(padE).fill(dummy);
  const m = Math.min(b.src.length, padE);
  const edges = new Float32Array(padE * ef);
  let t = 0;
  for (let e = 0; e < b.src.length && t < m; e++) {
    if (b.src[e] >= dummy || b.dst[e] >= dummy) continue;
    src[t] = b.src[e];
    dst[t] = b.dst[e];
    edges.set(b.edges.subarray(e * ef, (e + 1) * ef), t * ef);
    t++;
  }
  // Edges must stay sorted by dst for nothing here, but the dummy atom's self-edges come last anyway.
  const particle = new Int32Array(padN).fill(maxParticles);
  const centre = new Float32Array(padN),
    mask = new Float32Array(padN),
    target = new Float32Array(padN);
  const minusOne = new Float32Array(padN).fill(-1);
  // Ghost target: 1 for traced atoms without a true partner, 0 for labelled ones and the dummy.
  const ghostTarget = new Float32Array(padN);
  ghostTarget.fill(1, 0, Math.min(b.n, dummy));
  const count = new Float64Array(maxParticles + 1),
    mean = new Float64Array(maxParticles + 1);
  for (let i = 0; i < b.labelled.length; i++) {
    if (b.labelled[i] >= dummy) continue;
    count[b.particleOfLabelled[i]]++;
    mean[b.particleOfLabelled[i]] += b.targets[i];
  }
  for (let p = 0; p <= maxParticles; p++) mean[p] /= Math.max(1, count[p]);
  for (let i = 0; i < b.labelled.length; i++) {
    const a = b.labelled[i],
      p = b.particleOfLabelled[i];
    if (a >= dummy) continue;
    particle[a] = p;
    mask[a] = SCORE_WEIGHT;
    centre[a] = 1 / count[p];
    target[a] = SCORE_WEIGHT * (b.targets[i] - mean[p]);
    ghostTarget[a] = 0;
  }
  const inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {
    nodes: { data: nodes, shape: [padN, k] },
    particle: { data: particle, shape: [padN] },
    centre_weight: { data: centre, shape: [padN, 1] },
    minus_one: { data: minusOne, shape: [padN, 1] },
    mask: { data: mask, shape: [padN, 1] },
  };
  if (ef > 0)
    Object.assign(inputs, {
      edges: { data: edges, shape: [padE, ef] },
      src: { data: src, shape: [padE] },
      dst: { data: dst, shape: [padE] },
    });
  return { inputs, target, ghostTarget };
}

/** Weight of the centred score error against the ghost Brier score (applied through the mask). */
const SCORE_WEIGHT = 3;

/**
 * Runs a DAST network on one particle's features: the brightness score and its σ per atom, with tfjs
 * (default, the reference) or ONNX Runtime (same weights, exported from the same IR network).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerFastCpuKernels } from '../../engine/tfjs-cpu-kernels';
import { inferTfjs, toTfWeights } from '../../nn/tfjs-exec';
import { OrtNetwork } from '../../nn/ort-exec';
import { featureValue, type DastFeatures } from './features';
import type { DastModel } from './model-store';
import { buildDastNetwork, DAST_GHOST_OUTPUT, DAST_OUTPUT } from './network';

/** Standardised network inputs of one particle. */
export function networkInputs(
  model: DastModel,
  f: DastFeatures,
): Record<string, { data: Float32Array | Int32Array; shape: number[] }> {
  const { inputColumns: cols, featureMean: mu, featureStd: sd } = model.config;
  const F = f.nodes.length / f.nAtoms;
  const x = new Float32Array(f.nAtoms * cols.length);
  for (let a = 0; a < f.nAtoms; a++)
    for (let c = 0; c < cols.length; c++)
      x[a * cols.length + c] = (featureValue(f.nodes, F, a, cols[c]) - mu[c]) / sd[c];
  const inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {
    nodes: { data: x, shape: [f.nAtoms, cols.length] },
  };
  if (model.config.net.layers > 0) {
    const E = f.src.length;
    inputs.edges = { data: f.edges, shape: [E, f.edges.length / Math.max(1, E)] };
    inputs.src = { data: f.src, shape: [E] };
    inputs.dst = { data: f.dst, shape: [E] };
  }
  return inputs;
}

/**
 * Score per atom from the network output, and its σ: the network gives no per-atom uncertainty, so every
 * atom gets the validation RMS of the trained model (the species assignment adds a fitted spread).
 */
export function splitOutput(
  out: Float32Array,
  n: number,
  sigmaScore = 0.1,
): { score: Float32Array; sigma: Float32Array } {
  return { score: Float32Array.from(out.subarray(0, n)), sigma: new Float32Array(n).fill(sigmaScore) };
}

/**
 * Predicts brightness scores and their σ for one particle.
 * @param engine 'tfjs' (default) or 'ort' (ONNX Runtime, CPU)
 */
export async function predictScores(
  model: DastModel,
  f: DastFeatures,
  engine: 'tfjs' | 'ort' = 'tfjs',
): Promise<{ score: Float32Array; sigma: Float32Array; ghostProbability: Float32Array }> {
  const net = buildDastNetwork(model.config.net, f.nAtoms);
  const inputs = networkInputs(model, f);
  if (f.src.length === 0 && model.config.net.layers > 0) {
    // No edges (isolated atoms): a self-free graph has nothing to attend to; give each atom one self-edge.
    const n = f.nAtoms;
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    const ef = inputs.edges.shape[1] || model.config.net.edgeFeatures;
    inputs.edges = { data: new Float32Array(n * ef), shape: [n, ef] };
    inputs.src = { data: idx, shape: [n] };
    inputs.dst = { data: idx, shape: [n] };
  }
  let out: Float32Array, ghost: Float32Array;
  if (engine === 'ort') {
    const shapes = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape]));
    const ort = await OrtNetwork.create(net, model.weights, shapes, { provider: 'cpu' });
    try {
      const r = await ort.run(inputs);
      out = r[DAST_OUTPUT].data;
      ghost = r[DAST_GHOST_OUTPUT].data;
    } finally {
      await ort.release();
    }
  } else {
    registerFastCpuKernels();
    const w = toTfWeights(net, model.weights);
    try {
      const r = inferTfjs(net, w, inputs);
      out = r[DAST_OUTPUT].data;
      ghost = r[DAST_GHOST_OUTPUT].data;
    } finally {
      Object.values(w).forEach((t) => t.dispose());
    }
  }
  void tf;
  const rms = (model.config.training?.rmsScore as number | undefined) ?? 0.1;
  return {
    ...splitOutput(out, f.nAtoms, rms),
    ghostProbability: Float32Array.from(ghost.subarray(0, f.nAtoms)),
  };
}

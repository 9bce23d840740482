/**
 * Training of IR networks: the fast path (a forward + backward ONNX graph run by ONNX Runtime,
 * `OrtTrainer`) and the tfjs reference (`TfjsTrainer`, autodiff). Both use mean-squared error
 * over all outputs and the same JS-side Adam, so they differ only in how gradients are computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PannError } from '../core/errors';
import { OnnxGraph } from '../engine/onnx-graph';
import { chooseOrtProviders, createOrtSession, loadOrt, type OrtProviderInfo } from '../engine/ort';
import { Adam, type AdamOptions } from './adam';
import { checkWeights, type Network, type WeightMap } from './ir';
import { differentiate } from './onnx-grad';
import { lowerNetwork } from './onnx-lower';
import type { FlatInput } from './ort-exec';
import { runTfjs, toTfWeights, type TfWeights } from './tfjs-exec';

/** Loss and gradients (tfjs layout, by weight name) of one batch. */
export interface LossAndGrads {
  loss: number;
  grads: WeightMap;
}

/** What every trainer does. */
export interface Trainer {
  /** Current weights (updated in place by `step`). */
  readonly weights: WeightMap;
  lossAndGrads(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<LossAndGrads>;
  /** One Adam step on one batch; returns the loss before the update. */
  step(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<number>;
  dispose(): Promise<void>;
}

function copyWeights(w: WeightMap): WeightMap {
  const out: WeightMap = {};
  for (const [k, v] of Object.entries(w)) out[k] = v.slice();
  return out;
}

/**
 * The ONNX training graph: inputs = network inputs, `target:<output>` per output and every weight
 * (tfjs layout); outputs = `loss` (MSE) and `grad:<weight>` per weight.
 */
export function buildTrainingGraph(net: Network, inputShapes: Record<string, number[]>, outputShapes: Record<string, number[]>): Uint8Array {
  const g = new OnnxGraph();
  const ins: Record<string, string> = {};
  for (const L of net.layers) {
    if (L.kind !== 'input') continue;
    const s = inputShapes[L.id];
    if (!s) throw new PannError('OPTION', `input shape for '${L.id}' missing`, { field: `inputShapes.${L.id}` });
    ins[L.id] = g.input(L.id, s, L.dtype === 'int32' ? 'int64' : 'float32');
  }
  const wv: Record<string, string> = {};
  for (const w of net.weights) wv[w.name] = g.input(w.name, w.shape);
  const outs = lowerNetwork(net, g, ins, wv, { training: true });
  let loss: string | undefined;
  for (const o of net.outputs) {
    const t = g.input(`target:${o}`, outputShapes[o]);
    if (g.shape(t).join() !== g.shape(outs[o]).join()) throw new PannError('SHAPE', `target for '${o}' is [${g.shape(t)}], output is [${g.shape(outs[o])}]`);
    const d = g.sub(outs[o], t);
    const l = g.reduceMean(g.mul(d, d), g.shape(d).map((_, i) => i), false);
    loss = loss ? g.add(loss, l) : l;
  }
  const grads = differentiate(g, loss!, net.weights.map((w) => w.name));
  g.nodes.push({ op: 'Identity', inputs: [loss!], outputs: ['loss'], attrs: {} });
  g.shapes.set('loss', []);
  g.output('loss');
  for (const w of net.weights) {
    const name = `grad:${w.name}`;
    g.nodes.push({ op: 'Identity', inputs: [grads[w.name]], outputs: [name], attrs: {} });
    g.shapes.set(name, w.shape);
    g.output(name);
  }
  return g.toBytes(`${net.name}_train`);
}

/** Output shapes of `net` for given input shapes (from the tfjs reference on zeros; cheap at build time). */
export function inferOutputShapes(net: Network, inputShapes: Record<string, number[]>): Record<string, number[]> {
  const g = new OnnxGraph();
  const ins: Record<string, string> = {};
  for (const L of net.layers) if (L.kind === 'input') ins[L.id] = g.input(L.id, inputShapes[L.id], L.dtype === 'int32' ? 'int64' : 'float32');
  const wv: Record<string, string> = {};
  for (const w of net.weights) wv[w.name] = g.input(w.name, w.shape);
  const outs = lowerNetwork(net, g, ins, wv, { training: true });
  const res: Record<string, number[]> = {};
  for (const o of net.outputs) res[o] = g.shape(outs[o]);
  return res;
}

/** Fast CPU (or CUDA) training: forward + derived backward as one ONNX graph run by ORT. */
export class OrtTrainer implements Trainer {
  readonly weights: WeightMap;
  private readonly adam: Adam;
  private constructor(
    readonly net: Network,
    weights: WeightMap,
    readonly inputShapes: Record<string, number[]>,
    readonly outputShapes: Record<string, number[]>,
    readonly providerInfo: OrtProviderInfo,
    private session: import('onnxruntime-node').InferenceSession | null,
    adam: AdamOptions,
  ) {
    this.weights = weights;
    this.adam = new Adam(adam);
  }

  /**
   * @param weights initial weights (copied)
   * @param inputShapes fixed input shapes (channels-last) of every batch
   * @param opts.adam optimiser settings; opts.provider 'auto' | 'cpu' | 'cuda'; opts.threads (default 2)
   */
  static async create(
    net: Network,
    weights: WeightMap,
    inputShapes: Record<string, number[]>,
    opts: { adam?: AdamOptions; provider?: 'auto' | 'cpu' | 'cuda'; threads?: number } = {},
  ): Promise<OrtTrainer> {
    checkWeights(net, weights);
    const info = chooseOrtProviders(opts.provider ?? 'auto');
    if (!info.providers.length) throw new PannError('STATE', `ONNX Runtime unavailable: ${info.tried.join('; ')}`);
    const outputShapes = inferOutputShapes(net, inputShapes);
    const bytes = buildTrainingGraph(net, inputShapes, outputShapes);
    const session = await createOrtSession(bytes, info, opts.threads ?? 2);
    return new OrtTrainer(net, copyWeights(weights), inputShapes, outputShapes, info, session, opts.adam ?? {});
  }

  async lossAndGrads(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<LossAndGrads> {
    if (!this.session) throw new PannError('STATE', 'OrtTrainer: used after dispose()');
    const ort = loadOrt()!;
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [id, shape] of Object.entries(this.inputShapes)) {
      const v = inputs[id];
      if (!v) throw new PannError('OPTION', `input '${id}' not given`, { field: id });
      feeds[id] = v.data instanceof Int32Array ? new ort.Tensor('int64', BigInt64Array.from(v.data, (x) => BigInt(x)), shape) : new ort.Tensor('float32', v.data, shape);
    }
    for (const [o, shape] of Object.entries(this.outputShapes)) {
      const t = targets[o];
      if (!t) throw new PannError('OPTION', `target for output '${o}' not given`, { field: o });
      feeds[`target:${o}`] = new ort.Tensor('float32', t, shape);
    }
    for (const w of this.net.weights) feeds[w.name] = new ort.Tensor('float32', this.weights[w.name], w.shape);
    const res = await this.session.run(feeds);
    const grads: WeightMap = {};
    for (const w of this.net.weights) grads[w.name] = res[`grad:${w.name}`].data as Float32Array;
    return { loss: (res.loss.data as Float32Array)[0], grads };
  }

  async step(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<number> {
    const { loss, grads } = await this.lossAndGrads(inputs, targets);
    this.adam.update(this.weights, grads);
    return loss;
  }

  async dispose(): Promise<void> {
    if (this.session) await this.session.release();
    this.session = null;
  }
}

/** The tfjs reference trainer (autodiff on the active tfjs backend); the fallback without ORT. */
export class TfjsTrainer implements Trainer {
  readonly weights: WeightMap;
  private readonly adam: Adam;
  private vars: TfWeights;
  constructor(
    readonly net: Network,
    weights: WeightMap,
    adam: AdamOptions = {},
  ) {
    checkWeights(net, weights);
    this.weights = copyWeights(weights);
    this.adam = new Adam(adam);
    this.vars = toTfWeights(net, this.weights, true);
  }

  async lossAndGrads(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<LossAndGrads> {
    const net = this.net;
    const vars = this.vars;
    const { value, grads } = tf.tidy(() => {
      const ins: Record<string, tf.Tensor> = {};
      for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.data, v.shape, v.data instanceof Int32Array ? 'int32' : 'float32');
      return tf.variableGrads(() => {
        const outs = runTfjs(net, vars, ins);
        let loss: tf.Scalar | undefined;
        for (const o of net.outputs) {
          const t = tf.tensor(targets[o], outs[o].shape);
          const l = tf.mean(tf.square(tf.sub(outs[o], t))) as tf.Scalar;
          loss = loss ? (tf.add(loss, l) as tf.Scalar) : l;
        }
        return loss!;
      }, Object.values(vars) as tf.Variable[]);
    });
    const out: WeightMap = {};
    for (const w of net.weights) {
      const gt = grads[(vars[w.name] as tf.Variable).name];
      out[w.name] = gt ? (gt.dataSync() as Float32Array).slice() : new Float32Array(w.shape.reduce((a, b) => a * b, 1));
    }
    const loss = value.dataSync()[0];
    value.dispose();
    Object.values(grads).forEach((t) => t.dispose());
    return { loss, grads: out };
  }

  async step(inputs: Record<string, FlatInput>, targets: Record<string, Float32Array>): Promise<number> {
    const { loss, grads } = await this.lossAndGrads(inputs, targets);
    this.adam.update(this.weights, grads);
    tf.tidy(() => {
      for (const w of this.net.weights) (this.vars[w.name] as tf.Variable).assign(tf.tensor(this.weights[w.name], w.shape));
    });
    return loss;
  }

  async dispose(): Promise<void> {
    Object.values(this.vars).forEach((t) => t.dispose());
  }
}


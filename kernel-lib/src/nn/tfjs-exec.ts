/**
 * The tfjs executor: runs an IR network with tfjs ops. It is the reference (every other engine is
 * checked against it), supports autodiff (use it inside `tf.variableGrads`) and is the fallback
 * when ONNX Runtime is unavailable. Layout is channels-last, as the IR.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PannError } from '../core/errors';
import { registerTfjsGradients } from '../engine/tfjs-gradients';
import { type Network, type WeightMap, weightNames } from './ir';

/** Weights as tfjs tensors (or variables), by name. */
export type TfWeights = Record<string, tf.Tensor>;

let variableSet = 0;

/**
 * Makes tfjs tensors from a weight map (caller disposes them). With `asVariables` they are
 * trainable variables named `<net>#<n>/<weight>` (tfjs variable names are global, hence `#n`).
 */
export function toTfWeights(net: Network, weights: WeightMap, asVariables = false): TfWeights {
  const out: TfWeights = {};
  const set = variableSet++;
  for (const w of net.weights) {
    const t = tf.tensor(weights[w.name], w.shape, 'float32');
    out[w.name] = asVariables ? tf.variable(t, true, `${net.name}#${set}/${w.name}`) : t;
    if (asVariables) t.dispose();
  }
  return out;
}

function act(x: tf.Tensor, fn: string, alpha: number): tf.Tensor {
  switch (fn) {
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    default:
      return x;
  }
}

/**
 * Runs `net` on `inputs` (by input id) and returns its outputs (by output id). Intermediate
 * tensors are not disposed here: call inside `tf.tidy` (inference) or `tf.variableGrads` (training).
 */
export function runTfjs(net: Network, weights: TfWeights, inputs: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  registerTfjsGradients();
  const v: Record<string, tf.Tensor> = {};
  const w = (name: string | undefined): tf.Tensor => {
    const t = name ? weights[name] : undefined;
    if (!t) throw new PannError('SHAPE', `tfjs executor: weight '${name}' missing`);
    return t;
  };
  for (const L of net.layers) {
    const names = weightNames(L);
    switch (L.kind) {
      case 'input': {
        const t = inputs[L.id];
        if (!t) throw new PannError('OPTION', `network ${net.name}: input '${L.id}' not given`, { field: L.id });
        v[L.id] = t;
        break;
      }
      case 'conv3d': {
        let x = v[L.input] as tf.Tensor5D;
        if (L.pad > 0) x = tf.pad(x, [[0, 0], [L.pad, L.pad], [L.pad, L.pad], [L.pad, L.pad], [0, 0]]);
        let y: tf.Tensor = tf.conv3d(x, w(names.kernel) as tf.Tensor5D, L.stride, 'valid');
        if (L.bias) y = tf.add(y, w(names.bias));
        v[L.id] = y;
        break;
      }
      case 'convTranspose3d': {
        const x = v[L.input] as tf.Tensor5D;
        const [n, d, h, wd] = x.shape;
        const o = (s: number): number => (s - 1) * L.stride + L.kernel;
        let y: tf.Tensor = tf.conv3dTranspose(x, w(names.kernel) as tf.Tensor5D, [n, o(d), o(h), o(wd), L.filters], L.stride, 'valid');
        if (L.bias) y = tf.add(y, w(names.bias));
        v[L.id] = y;
        break;
      }
      case 'upsample3d': {
        const x = v[L.input];
        const [n, d, h, wd, c] = x.shape;
        const f = L.factor;
        // broadcasting against ones keeps autodiff cheap and rank-agnostic
        const ones = tf.ones([1, 1, f, 1, f, 1, f, 1]);
        v[L.id] = tf.reshape(tf.mul(tf.reshape(x, [n, d, 1, h, 1, wd, 1, c]), ones), [n, d * f, h * f, wd * f, c]);
        break;
      }
      case 'pool3d': {
        const x = v[L.input] as tf.Tensor5D;
        v[L.id] = L.mode === 'max' ? tf.maxPool3d(x, L.size, L.size, 'valid') : tf.avgPool3d(x, L.size, L.size, 'valid');
        break;
      }
      case 'globalAvgPool3d':
        v[L.id] = tf.mean(v[L.input], [1, 2, 3]);
        break;
      case 'instanceNorm': {
        const x = v[L.input];
        const { mean, variance } = tf.moments(x, [1, 2, 3], true);
        let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, L.epsilon)));
        if (L.affine) y = tf.add(tf.mul(y, w(names.gamma)), w(names.beta));
        v[L.id] = y;
        break;
      }
      case 'layerNorm': {
        const x = v[L.input];
        const { mean, variance } = tf.moments(x, [x.rank - 1], true);
        const y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, L.epsilon)));
        v[L.id] = tf.add(tf.mul(y, w(names.gamma)), w(names.beta));
        break;
      }
      case 'activation':
        v[L.id] = act(v[L.input], L.fn, L.alpha);
        break;
      case 'softmax':
        v[L.id] = tf.softmax(v[L.input]);
        break;
      case 'add':
        v[L.id] = tf.add(v[L.inputs[0]], v[L.inputs[1]]);
        break;
      case 'concat':
        v[L.id] = tf.concat(L.inputs.map((i) => v[i]), -1);
        break;
      case 'dense': {
        let y = tf.matMul(v[L.input] as tf.Tensor2D, w(names.kernel) as tf.Tensor2D) as tf.Tensor;
        if (L.bias) y = tf.add(y, w(names.bias));
        v[L.id] = y;
        break;
      }
      case 'film': {
        const x = v[L.input];
        const [n, , , , c] = x.shape;
        const g = tf.reshape(v[L.gamma], [n, 1, 1, 1, c]);
        const b = tf.reshape(v[L.beta], [n, 1, 1, 1, c]);
        v[L.id] = tf.add(tf.mul(x, tf.add(g, 1)), b);
        break;
      }
      case 'gather':
        v[L.id] = tf.gather(v[L.input], tf.reshape(v[L.indices], [-1]), 0);
        break;
      case 'scatterAdd':
        v[L.id] = tf.unsortedSegmentSum(v[L.input], tf.reshape(v[L.indices], [-1]) as tf.Tensor1D, L.numSegments);
        break;
      case 'mul':
        v[L.id] = tf.mul(v[L.inputs[0]], v[L.inputs[1]]);
        break;
      case 'sumLast':
        v[L.id] = tf.sum(v[L.input], -1, true);
        break;
      case 'segmentSoftmax': {
        const s = v[L.input];
        const ids = tf.reshape(v[L.indices], [-1]) as tf.Tensor1D;
        const e = tf.exp(tf.sub(s, tf.max(s, 0, true)));
        const denom = tf.gather(tf.unsortedSegmentSum(e, ids, L.numSegments), ids, 0);
        v[L.id] = tf.div(e, denom);
        break;
      }
    }
  }
  const out: Record<string, tf.Tensor> = {};
  for (const o of net.outputs) out[o] = v[o];
  return out;
}

/**
 * One inference with tfjs, every intermediate freed: returns outputs as flat arrays with shapes.
 * @param inputs input id → `{data, shape}` (channels-last; int32 data for index inputs)
 */
export function inferTfjs(
  net: Network,
  weights: TfWeights,
  inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }>,
): Record<string, { data: Float32Array; shape: number[] }> {
  const outs = tf.tidy(() => {
    const ins: Record<string, tf.Tensor> = {};
    for (const [k, val] of Object.entries(inputs)) ins[k] = tf.tensor(val.data, val.shape, val.data instanceof Int32Array ? 'int32' : 'float32');
    return runTfjs(net, weights, ins);
  });
  const res: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [k, t] of Object.entries(outs)) {
    res[k] = { data: t.dataSync() as Float32Array, shape: t.shape.slice() };
    t.dispose();
  }
  return res;
}

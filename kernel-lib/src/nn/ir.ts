/**
 * The network IR: one TypeScript description of a network (layers + named weights) that several
 * engines execute with the same weights — tfjs (reference, autodiff), ONNX Runtime (inference),
 * and the ONNX training graph (forward + derived backward, run by ORT).
 *
 * Layout: every tensor is channels-last, as in tfjs and in the project's volumes: volumes are
 * rank 5 `[N, D, H, W, C]` (D = z, H = y, W = x), feature tables are rank 2 `[rows, features]`.
 * Weights use tfjs layouts (conv kernel `[kd, kh, kw, cin, cout]`, transposed-conv kernel
 * `[kd, kh, kw, cout, cin]`, dense kernel `[in, out]`), so saved weights are tfjs-format weights.
 * Spatial sizes are not part of the IR; channel counts are, so weight shapes are known when built.
 */
import { PannError } from '../core/errors';

export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'linear';

export type Layer =
  | { kind: 'input'; id: string; rank: 2 | 5; channels: number; dtype: 'float32' | 'int32' }
  | { kind: 'conv3d'; id: string; input: string; filters: number; kernel: number; stride: number; pad: number; bias: boolean }
  | { kind: 'convTranspose3d'; id: string; input: string; filters: number; kernel: number; stride: number; bias: boolean }
  | { kind: 'upsample3d'; id: string; input: string; factor: number }
  | { kind: 'pool3d'; id: string; input: string; mode: 'max' | 'avg'; size: number }
  | { kind: 'globalAvgPool3d'; id: string; input: string }
  | { kind: 'instanceNorm'; id: string; input: string; epsilon: number; affine: boolean }
  | { kind: 'layerNorm'; id: string; input: string; epsilon: number }
  | { kind: 'activation'; id: string; input: string; fn: Activation; alpha: number }
  | { kind: 'softmax'; id: string; input: string }
  | { kind: 'add'; id: string; inputs: [string, string] }
  | { kind: 'concat'; id: string; inputs: string[] }
  | { kind: 'dense'; id: string; input: string; units: number; bias: boolean }
  | { kind: 'film'; id: string; input: string; gamma: string; beta: string }
  | { kind: 'gather'; id: string; input: string; indices: string }
  | { kind: 'scatterAdd'; id: string; input: string; indices: string; numSegments: number }
  | { kind: 'mul'; id: string; inputs: [string, string] }
  | { kind: 'sumLast'; id: string; input: string }
  | { kind: 'segmentSoftmax'; id: string; input: string; indices: string; numSegments: number };

/** A named weight in tfjs layout. */
export interface WeightSpec {
  name: string;
  shape: number[];
  /** How to initialise it: fan-in scaled normal (He), zeros or ones. */
  init: 'he' | 'zeros' | 'ones';
  fanIn: number;
}

/** A complete network description. */
export interface Network {
  name: string;
  layers: Layer[];
  inputs: string[];
  outputs: string[];
  weights: WeightSpec[];
  /** Channel count (last axis) and rank of every tensor, by id. */
  channels: Record<string, number>;
  ranks: Record<string, 2 | 5>;
}

/** Weights by name, in tfjs layout, as flat float32 arrays. */
export type WeightMap = Record<string, Float32Array>;

/** Names of the weights a layer owns. */
export function weightNames(layer: Layer): { kernel?: string; bias?: string; gamma?: string; beta?: string } {
  switch (layer.kind) {
    case 'conv3d':
    case 'convTranspose3d':
    case 'dense':
      return { kernel: `${layer.id}/kernel`, bias: layer.bias ? `${layer.id}/bias` : undefined };
    case 'instanceNorm':
      return layer.affine ? { gamma: `${layer.id}/gamma`, beta: `${layer.id}/beta` } : {};
    case 'layerNorm':
      return { gamma: `${layer.id}/gamma`, beta: `${layer.id}/beta` };
    default:
      return {};
  }
}

/**
 * Builds a {@link Network} layer by layer; each method returns the id of the new tensor.
 * Ids are `<kind>_<n>` unless a name is given; weight names are `<id>/kernel`, `<id>/bias`, ...
 */
export class NetBuilder {
  private readonly layers: Layer[] = [];
  private readonly weights: WeightSpec[] = [];
  private readonly channels: Record<string, number> = {};
  private readonly ranks: Record<string, 2 | 5> = {};
  private readonly inputs: string[] = [];
  private outputs: string[] = [];
  private count = 0;

  constructor(readonly name: string) {}

  private id(kind: string, name?: string): string {
    const id = name ?? `${kind}_${this.count++}`;
    if (id in this.channels) throw new PannError('OPTION', `layer name '${id}' is used twice`, { field: 'name' });
    return id;
  }
  private need(t: string, rank?: 2 | 5): number {
    if (!(t in this.channels)) throw new PannError('OPTION', `unknown tensor '${t}'`, { field: 'input' });
    if (rank && this.ranks[t] !== rank) {
      throw new PannError('SHAPE', `tensor '${t}' has rank ${this.ranks[t]}, this layer needs rank ${rank}`);
    }
    return this.channels[t];
  }
  private push(layer: Layer, channels: number, rank: 2 | 5): string {
    this.layers.push(layer);
    this.channels[layer.id] = channels;
    this.ranks[layer.id] = rank;
    return layer.id;
  }
  private weight(name: string, shape: number[], init: WeightSpec['init'], fanIn: number): void {
    this.weights.push({ name, shape, init, fanIn });
  }

  /** Channel count (last axis) of a tensor built so far. */
  channelsOf(id: string): number {
    return this.need(id);
  }

  /** A float input: a volume `[N, D, H, W, channels]` (rank 5) or a table `[rows, channels]` (rank 2). */
  input(name: string, channels: number, rank: 2 | 5 = 5): string {
    const id = this.id('input', name);
    this.inputs.push(id);
    return this.push({ kind: 'input', id, rank, channels, dtype: 'float32' }, channels, rank);
  }
  /** An int32 index vector `[E]` (for gather / scatterAdd). */
  indexInput(name: string): string {
    const id = this.id('input', name);
    this.inputs.push(id);
    return this.push({ kind: 'input', id, rank: 2, channels: 1, dtype: 'int32' }, 1, 2);
  }
  /** 3D convolution; `pad` defaults to 'same' for odd kernels at stride 1 ((kernel-1)/2), else 0. */
  conv3d(x: string, o: { filters: number; kernel?: number; stride?: number; pad?: number; bias?: boolean; name?: string }): string {
    const cin = this.need(x, 5);
    const kernel = o.kernel ?? 3;
    const stride = o.stride ?? 1;
    const pad = o.pad ?? (stride === 1 ? (kernel - 1) >> 1 : 0);
    const id = this.id('conv3d', o.name);
    const bias = o.bias ?? true;
    this.weight(`${id}/kernel`, [kernel, kernel, kernel, cin, o.filters], 'he', kernel ** 3 * cin);
    if (bias) this.weight(`${id}/bias`, [o.filters], 'zeros', 1);
    return this.push({ kind: 'conv3d', id, input: x, filters: o.filters, kernel, stride, pad, bias }, o.filters, 5);
  }
  /** Transposed 3D convolution without padding (kernel = stride gives exact ×stride upsampling). */
  convTranspose3d(x: string, o: { filters: number; kernel?: number; stride?: number; bias?: boolean; name?: string }): string {
    const cin = this.need(x, 5);
    const stride = o.stride ?? 2;
    const kernel = o.kernel ?? stride;
    const id = this.id('convTranspose3d', o.name);
    const bias = o.bias ?? true;
    this.weight(`${id}/kernel`, [kernel, kernel, kernel, o.filters, cin], 'he', cin * (kernel / stride) ** 3);
    if (bias) this.weight(`${id}/bias`, [o.filters], 'zeros', 1);
    return this.push({ kind: 'convTranspose3d', id, input: x, filters: o.filters, kernel, stride, bias }, o.filters, 5);
  }
  /** Nearest-neighbour upsampling by an integer factor. */
  upsample3d(x: string, factor = 2, name?: string): string {
    const c = this.need(x, 5);
    return this.push({ kind: 'upsample3d', id: this.id('upsample3d', name), input: x, factor }, c, 5);
  }
  /** Max or average pooling with window = stride = size (no padding). */
  pool3d(x: string, mode: 'max' | 'avg', size = 2, name?: string): string {
    const c = this.need(x, 5);
    return this.push({ kind: 'pool3d', id: this.id(`${mode}Pool3d`, name), input: x, mode, size }, c, 5);
  }
  /** Mean over space: `[N, D, H, W, C]` → `[N, C]`. */
  globalAvgPool3d(x: string, name?: string): string {
    const c = this.need(x, 5);
    return this.push({ kind: 'globalAvgPool3d', id: this.id('globalAvgPool3d', name), input: x }, c, 2);
  }
  /** Instance normalisation (per sample and channel over space), optional learned scale and shift. */
  instanceNorm(x: string, o: { epsilon?: number; affine?: boolean; name?: string } = {}): string {
    const c = this.need(x, 5);
    const id = this.id('instanceNorm', o.name);
    const affine = o.affine ?? true;
    if (affine) {
      this.weight(`${id}/gamma`, [c], 'ones', 1);
      this.weight(`${id}/beta`, [c], 'zeros', 1);
    }
    return this.push({ kind: 'instanceNorm', id, input: x, epsilon: o.epsilon ?? 1e-5, affine }, c, 5);
  }
  /** Layer normalisation over the last axis, with learned scale and shift. */
  layerNorm(x: string, o: { epsilon?: number; name?: string } = {}): string {
    const c = this.need(x);
    const id = this.id('layerNorm', o.name);
    this.weight(`${id}/gamma`, [c], 'ones', 1);
    this.weight(`${id}/beta`, [c], 'zeros', 1);
    return this.push({ kind: 'layerNorm', id, input: x, epsilon: o.epsilon ?? 1e-5 }, c, this.ranks[x]);
  }
  /** Element-wise activation; `alpha` is the leaky-ReLU negative slope. */
  activation(x: string, fn: Activation, alpha = 0.01, name?: string): string {
    const c = this.need(x);
    return this.push({ kind: 'activation', id: this.id(fn, name), input: x, fn, alpha }, c, this.ranks[x]);
  }
  /** Softmax over the last axis. */
  softmax(x: string, name?: string): string {
    const c = this.need(x);
    return this.push({ kind: 'softmax', id: this.id('softmax', name), input: x }, c, this.ranks[x]);
  }
  /** Element-wise sum of two tensors of the same shape (residual connection). */
  add(a: string, b: string, name?: string): string {
    const ca = this.need(a);
    if (ca !== this.need(b) || this.ranks[a] !== this.ranks[b]) throw new PannError('SHAPE', `add: '${a}' and '${b}' differ in channels or rank`);
    return this.push({ kind: 'add', id: this.id('add', name), inputs: [a, b] }, ca, this.ranks[a]);
  }
  /** Concatenation along channels. */
  concat(parts: string[], name?: string): string {
    const c = parts.reduce((s, p) => s + this.need(p), 0);
    const rank = this.ranks[parts[0]];
    if (parts.some((p) => this.ranks[p] !== rank)) throw new PannError('SHAPE', 'concat: inputs differ in rank');
    return this.push({ kind: 'concat', id: this.id('concat', name), inputs: parts }, c, rank);
  }
  /** Fully connected layer on the last axis of a rank-2 tensor (`init: 'zeros'` starts it as a constant 0, e.g. a FiLM head that must begin neutral). */
  dense(x: string, o: { units: number; bias?: boolean; name?: string; init?: 'he' | 'zeros' }): string {
    const cin = this.need(x, 2);
    const id = this.id('dense', o.name);
    const bias = o.bias ?? true;
    this.weight(`${id}/kernel`, [cin, o.units], o.init ?? 'he', cin);
    if (bias) this.weight(`${id}/bias`, [o.units], 'zeros', 1);
    return this.push({ kind: 'dense', id, input: x, units: o.units, bias }, o.units, 2);
  }
  /** Feature-wise modulation of a volume by per-sample vectors: `x · (1 + gamma) + beta`. */
  film(x: string, gamma: string, beta: string, name?: string): string {
    const c = this.need(x, 5);
    if (this.need(gamma, 2) !== c || this.need(beta, 2) !== c) throw new PannError('SHAPE', 'film: gamma/beta must have the volume\'s channel count');
    return this.push({ kind: 'film', id: this.id('film', name), input: x, gamma, beta }, c, 5);
  }
  /** Rows of a rank-2 tensor picked by an int32 index vector (edge sources/targets). */
  gather(x: string, indices: string, name?: string): string {
    const c = this.need(x, 2);
    this.need(indices, 2);
    return this.push({ kind: 'gather', id: this.id('gather', name), input: x, indices }, c, 2);
  }
  /** Sums rows into `numSegments` segments by an int32 index vector (messages to nodes). */
  scatterAdd(x: string, indices: string, numSegments: number, name?: string): string {
    const c = this.need(x, 2);
    this.need(indices, 2);
    return this.push({ kind: 'scatterAdd', id: this.id('scatterAdd', name), input: x, indices, numSegments }, c, 2);
  }
  /**
   * Element-wise product of two rank-2 tensors; one may have a single column, broadcast over the
   * other's columns (attention weights × messages).
   */
  mul(a: string, b: string, name?: string): string {
    const ca = this.need(a, 2);
    const cb = this.need(b, 2);
    if (ca !== cb && ca !== 1 && cb !== 1) throw new PannError('SHAPE', `mul: '${a}' (${ca}) and '${b}' (${cb}) columns do not broadcast`);
    return this.push({ kind: 'mul', id: this.id('mul', name), inputs: [a, b] }, Math.max(ca, cb), 2);
  }
  /** Row sums of a rank-2 tensor: `[rows, F]` → `[rows, 1]` (with `mul`, a per-edge dot product). */
  sumLast(x: string, name?: string): string {
    this.need(x, 2);
    return this.push({ kind: 'sumLast', id: this.id('sumLast', name), input: x }, 1, 2);
  }
  /**
   * Softmax of per-edge scores `[E, H]` over the edges that share a segment id (the incoming edges
   * of each node), per column: exp(s − max s) / Σ_segment exp(s − max s). The shift is the global
   * maximum per column (softmax is shift-invariant within a segment, so it only guards overflow).
   */
  segmentSoftmax(scores: string, indices: string, numSegments: number, name?: string): string {
    const c = this.need(scores, 2);
    this.need(indices, 2);
    return this.push({ kind: 'segmentSoftmax', id: this.id('segmentSoftmax', name), input: scores, indices, numSegments }, c, 2);
  }
  /** Marks network outputs (in order). */
  output(...ids: string[]): void {
    ids.forEach((i) => this.need(i));
    this.outputs = ids;
  }
  build(): Network {
    if (!this.outputs.length) throw new PannError('STATE', `network ${this.name}: no outputs marked`);
    return {
      name: this.name,
      layers: this.layers.slice(),
      inputs: this.inputs.slice(),
      outputs: this.outputs.slice(),
      weights: this.weights.slice(),
      channels: { ...this.channels },
      ranks: { ...this.ranks },
    };
  }
}

/** Number of trainable scalars in a network. */
export function parameterCount(net: Network): number {
  return net.weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
}

/** Throws unless `weights` holds every weight of `net` with the right length. */
export function checkWeights(net: Network, weights: WeightMap): void {
  for (const w of net.weights) {
    const arr = weights[w.name];
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (!arr) throw new PannError('SHAPE', `weights: '${w.name}' is missing`, { field: w.name });
    if (arr.length !== n) throw new PannError('SHAPE', `weights: '${w.name}' has ${arr.length} values, expected [${w.shape}] = ${n}`, { field: w.name });
  }
}

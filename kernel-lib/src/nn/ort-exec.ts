/**
 * ONNX export of IR networks and their inference with ONNX Runtime (the fast inference path).
 * Graph inputs and outputs are channels-last like the IR; index inputs are int32 on the JS side
 * and int64 in the graph.
 */
import { PannError } from '../core/errors';
import { OnnxGraph } from '../engine/onnx-graph';
import { chooseOrtProviders, createOrtSession, loadOrt, type OrtProviderInfo } from '../engine/ort';
import { checkWeights, type Network, type WeightMap } from './ir';
import { lowerNetwork } from './onnx-lower';

/** A flat tensor with its shape (channels-last). */
export interface FlatTensor {
  data: Float32Array;
  shape: number[];
}
export type FlatInput = { data: Float32Array | Int32Array; shape: number[] };

function declareInputs(net: Network, g: OnnxGraph, inputShapes: Record<string, number[]>): Record<string, string> {
  const ins: Record<string, string> = {};
  for (const L of net.layers) {
    if (L.kind !== 'input') continue;
    const shape = inputShapes[L.id];
    if (!shape) throw new PannError('OPTION', `input shape for '${L.id}' missing`, { field: `inputShapes.${L.id}` });
    const rank = L.dtype === 'int32' ? 1 : L.rank;
    if (shape.length !== rank) throw new PannError('SHAPE', `input '${L.id}' needs rank ${rank}, got [${shape}]`, { field: L.id });
    if (L.dtype === 'float32' && shape[shape.length - 1] !== L.channels) {
      throw new PannError('SHAPE', `input '${L.id}' has ${shape[shape.length - 1]} channels, the network expects ${L.channels}`, { field: L.id });
    }
    ins[L.id] = g.input(L.id, shape, L.dtype === 'int32' ? 'int64' : 'float32');
  }
  return ins;
}

/**
 * The ONNX model (bytes) of `net` with `weights` as initialisers, for fixed input shapes.
 * @param inputShapes input id → channels-last shape (index inputs: `[E]`)
 */
export function exportOnnx(net: Network, weights: WeightMap, inputShapes: Record<string, number[]>): Uint8Array {
  checkWeights(net, weights);
  const g = new OnnxGraph();
  const ins = declareInputs(net, g, inputShapes);
  const wv: Record<string, string> = {};
  for (const w of net.weights) wv[w.name] = g.constant(weights[w.name], w.shape, w.name);
  const outs = lowerNetwork(net, g, ins, wv, { training: false });
  // name outputs after the IR ids so callers find them
  for (const o of net.outputs) {
    g.nodes.push({ op: 'Identity', inputs: [outs[o]], outputs: [o], attrs: {} });
    g.shapes.set(o, g.shape(outs[o]));
    g.output(o);
  }
  return g.toBytes(net.name);
}

/** A network compiled for ONNX Runtime at fixed input shapes. */
export class OrtNetwork {
  private constructor(
    readonly net: Network,
    readonly inputShapes: Record<string, number[]>,
    readonly providerInfo: OrtProviderInfo,
    private session: import('onnxruntime-node').InferenceSession | null,
  ) {}

  /**
   * Exports `net` and opens an ORT session.
   * @param opts.provider 'auto' (CUDA when available, else CPU), 'cpu' or 'cuda'
   * @param opts.threads intra-op threads (default 2)
   */
  static async create(
    net: Network,
    weights: WeightMap,
    inputShapes: Record<string, number[]>,
    opts: { provider?: 'auto' | 'cpu' | 'cuda'; threads?: number } = {},
  ): Promise<OrtNetwork> {
    const info = chooseOrtProviders(opts.provider ?? 'auto');
    if (!info.providers.length) throw new PannError('STATE', `ONNX Runtime unavailable: ${info.tried.join('; ')}`);
    const bytes = exportOnnx(net, weights, inputShapes);
    const session = await createOrtSession(bytes, info, opts.threads ?? 2);
    return new OrtNetwork(net, inputShapes, info, session);
  }

  /** Runs one inference; inputs must have the shapes given at creation. */
  async run(inputs: Record<string, FlatInput>): Promise<Record<string, FlatTensor>> {
    if (!this.session) throw new PannError('STATE', 'OrtNetwork: used after release()');
    const ort = loadOrt()!;
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [id, shape] of Object.entries(this.inputShapes)) {
      const val = inputs[id];
      if (!val) throw new PannError('OPTION', `input '${id}' not given`, { field: id });
      if (val.shape.join() !== shape.join()) throw new PannError('SHAPE', `input '${id}' is [${val.shape}], session expects [${shape}]`, { field: id });
      feeds[id] =
        val.data instanceof Int32Array
          ? new ort.Tensor('int64', BigInt64Array.from(val.data, (x) => BigInt(x)), shape)
          : new ort.Tensor('float32', val.data, shape);
    }
    const res = await this.session.run(feeds);
    const out: Record<string, FlatTensor> = {};
    for (const o of this.net.outputs) {
      const t = res[o];
      out[o] = { data: t.data as Float32Array, shape: t.dims.slice() };
    }
    return out;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    if (this.session) await this.session.release();
    this.session = null;
  }
}

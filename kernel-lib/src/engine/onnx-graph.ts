/**
 * A small ONNX graph builder with static shape tracking. Every op method emits one ONNX node
 * (opset 17) and records the output's shape, so that the reverse-mode differentiator
 * (`nn/onnx-grad.ts`) can emit backward ops with exact sizes (conv output padding, broadcast
 * reductions). Serialised with the `onnx-proto` package's protobuf classes.
 */
import { onnx } from 'onnx-proto';
import { PannError } from '../core/errors';

/** The ONNX opset this project's graphs target (ORT 1.30 supports it fully on CPU and CUDA). */
export const ONNX_OPSET = 17;

export type Shape = number[];
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** One emitted node, kept in plain form for the differentiator. */
export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ConvAttrs {
  strides: number[];
  pads: number[]; // ONNX order: begins then ends
  dilations?: number[];
  group?: number;
}

/** Element count of a shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function broadcastShapes(a: Shape, b: Shape, where: string): Shape {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new PannError('SHAPE', `${where}: cannot broadcast [${a}] with [${b}]`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Builds one ONNX graph; values are named strings, shapes are static. */
export class OnnxGraph {
  readonly nodes: GraphNode[] = [];
  readonly shapes = new Map<string, Shape>();
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  /** Float initialisers (constants and frozen weights), stored as Float32Array. */
  readonly initializers = new Map<string, { data: Float32Array | BigInt64Array; dims: Shape; int64: boolean }>();
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}__${this.counter++}`;
  }

  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new PannError('STATE', `ONNX graph: unknown value '${name}'`);
    return s;
  }

  /** Element types of the graph inputs that are not float32. */
  readonly int64Inputs = new Set<string>();

  /** Declares a graph input with a static shape (float32, or int64 for index vectors). */
  input(name: string, shape: Shape, dtype: 'float32' | 'int64' = 'float32'): string {
    this.inputs.push(name);
    if (dtype === 'int64') this.int64Inputs.add(name);
    this.shapes.set(name, shape.slice());
    return name;
  }

  /** Declares a graph output (a value already produced). */
  output(name: string): void {
    this.shape(name);
    this.outputs.push(name);
  }

  /** A float32 constant / initialiser. */
  constant(data: Float32Array | number[], dims: Shape, name?: string): string {
    const n = name ?? this.fresh('const');
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    if (arr.length !== sizeOf(dims)) throw new PannError('SHAPE', `constant ${n}: ${arr.length} values for [${dims}]`);
    this.initializers.set(n, { data: arr, dims: dims.slice(), int64: false });
    this.shapes.set(n, dims.slice());
    return n;
  }

  /** An int64 constant (shapes, axes, split sizes). */
  int64s(values: number[], name?: string): string {
    const n = name ?? this.fresh('i64');
    this.initializers.set(n, { data: BigInt64Array.from(values.map((v) => BigInt(v))), dims: [values.length], int64: true });
    this.shapes.set(n, [values.length]);
    return n;
  }

  /** Emits a node whose (single) output shape the caller computed. */
  node(op: string, inputs: string[], outShape: Shape, attrs: Record<string, AttrValue> = {}, prefix?: string): string {
    const out = this.fresh(prefix ?? op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    this.shapes.set(out, outShape.slice());
    return out;
  }

  // ---- element-wise -------------------------------------------------------------------------
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: string, b: string): string {
    return this.node(op, [a, b], broadcastShapes(this.shape(a), this.shape(b), op));
  }
  add(a: string, b: string): string {
    return this.binary('Add', a, b);
  }
  sub(a: string, b: string): string {
    return this.binary('Sub', a, b);
  }
  mul(a: string, b: string): string {
    return this.binary('Mul', a, b);
  }
  div(a: string, b: string): string {
    return this.binary('Div', a, b);
  }
  scale(a: string, s: number): string {
    return this.mul(a, this.constant([s], []));
  }
  unary(op: 'Relu' | 'Sigmoid' | 'Sqrt' | 'Exp' | 'Neg' | 'Identity' | 'Tanh', a: string): string {
    return this.node(op, [a], this.shape(a));
  }
  leakyRelu(a: string, alpha: number): string {
    return this.node('LeakyRelu', [a], this.shape(a), { alpha: { float: alpha } });
  }
  /** Where(cond(x > 0), a, b): the mask-select used by ReLU-type gradients. */
  wherePositive(x: string, a: string, b: string): string {
    const cond = this.fresh('gt');
    this.nodes.push({ op: 'Greater', inputs: [x, this.constant([0], [])], outputs: [cond], attrs: {} });
    this.shapes.set(cond, this.shape(x));
    return this.node('Where', [cond, a, b], broadcastShapes(this.shape(a), this.shape(b), 'Where'));
  }

  // ---- shape ops ----------------------------------------------------------------------------
  transpose(a: string, perm: number[]): string {
    const s = this.shape(a);
    return this.node('Transpose', [a], perm.map((p) => s[p]), { perm });
  }
  reshape(a: string, shape: Shape): string {
    if (sizeOf(shape) !== sizeOf(this.shape(a))) throw new PannError('SHAPE', `reshape [${this.shape(a)}] to [${shape}]`);
    return this.node('Reshape', [a, this.int64s(shape)], shape);
  }
  concat(parts: string[], axis: number): string {
    const shapes = parts.map((p) => this.shape(p));
    const out = shapes[0].slice();
    out[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
    return this.node('Concat', parts, out, { axis });
  }
  /** Splits along `axis` into pieces of the given sizes. */
  split(a: string, axis: number, sizes: number[]): string[] {
    const s = this.shape(a);
    const outs = sizes.map(() => this.fresh('split'));
    this.nodes.push({ op: 'Split', inputs: [a, this.int64s(sizes)], outputs: outs, attrs: { axis } });
    outs.forEach((o, i) => {
      const sh = s.slice();
      sh[axis] = sizes[i];
      this.shapes.set(o, sh);
    });
    return outs;
  }
  slice(a: string, starts: number[], ends: number[], axes: number[]): string {
    const s = this.shape(a).slice();
    axes.forEach((ax, i) => (s[ax] = ends[i] - starts[i]));
    return this.node('Slice', [a, this.int64s(starts), this.int64s(ends), this.int64s(axes)], s);
  }
  /** Sums over `axes` keeping dims (opset 13+: axes as an input). */
  reduceSum(a: string, axes: number[], keepdims = true): string {
    const s = this.shape(a);
    const out = keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
    return this.node('ReduceSum', [a, this.int64s(axes)], out, { keepdims: keepdims ? 1 : 0 });
  }
  reduceMean(a: string, axes: number[], keepdims = true): string {
    const s = this.shape(a);
    const out = keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
    return this.node('ReduceMean', [a], out, { axes, keepdims: keepdims ? 1 : 0 });
  }
  reduceMax(a: string, axes: number[], keepdims = true): string {
    const s = this.shape(a);
    const out = keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
    return this.node('ReduceMax', [a], out, { axes, keepdims: keepdims ? 1 : 0 });
  }
  expand(a: string, shape: Shape): string {
    return this.node('Expand', [a, this.int64s(shape)], broadcastShapes(this.shape(a), shape, 'Expand'));
  }
  /** Sums a broadcast result back down to `target` (the inverse of numpy broadcasting). */
  unbroadcast(grad: string, target: Shape): string {
    const g = this.shape(grad);
    if (g.length === target.length && g.every((d, i) => d === target[i])) return grad;
    const lead = g.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < g.length; i++) {
      const t = i < lead ? 1 : target[i - lead];
      if (i < lead || (t === 1 && g[i] !== 1)) axes.push(i);
    }
    let r = axes.length ? this.reduceSum(grad, axes, true) : grad;
    if (lead > 0 || !this.shape(r).every((d, i) => d === target[i])) r = this.reshape(r, target);
    return r;
  }

  // ---- convolution family (NCDHW) -----------------------------------------------------------
  /** N-d convolution; weights [M, C/group, k...]; optional bias [M]. */
  conv(x: string, w: string, b: string | undefined, a: ConvAttrs): string {
    const xs = this.shape(x);
    const ws = this.shape(w);
    const nd = xs.length - 2;
    const dil = a.dilations ?? new Array(nd).fill(1);
    const out = [xs[0], ws[0]];
    for (let i = 0; i < nd; i++) {
      const eff = (ws[2 + i] - 1) * dil[i] + 1;
      out.push(Math.floor((xs[2 + i] + a.pads[i] + a.pads[nd + i] - eff) / a.strides[i]) + 1);
    }
    const attrs: Record<string, AttrValue> = { strides: a.strides, pads: a.pads, dilations: dil, group: a.group ?? 1 };
    attrs.kernel_shape = ws.slice(2);
    return this.node('Conv', b ? [x, w, b] : [x, w], out, attrs);
  }
  /** Transposed convolution; weights [C, M/group, k...]; output_padding fixes odd sizes. */
  convTranspose(x: string, w: string, b: string | undefined, a: ConvAttrs & { outputPadding?: number[] }): string {
    const xs = this.shape(x);
    const ws = this.shape(w);
    const nd = xs.length - 2;
    const op = a.outputPadding ?? new Array(nd).fill(0);
    const out = [xs[0], ws[1] * (a.group ?? 1)];
    for (let i = 0; i < nd; i++) {
      out.push((xs[2 + i] - 1) * a.strides[i] - a.pads[i] - a.pads[nd + i] + ws[2 + i] + op[i]);
    }
    return this.node('ConvTranspose', b ? [x, w, b] : [x, w], out, {
      strides: a.strides,
      pads: a.pads,
      output_padding: op,
      kernel_shape: ws.slice(2),
      group: a.group ?? 1,
    });
  }
  pool(op: 'MaxPool' | 'AveragePool', x: string, kernel: number[], strides: number[]): string {
    const xs = this.shape(x);
    const out = xs.slice(0, 2).concat(kernel.map((k, i) => Math.floor((xs[2 + i] - k) / strides[i]) + 1));
    return this.node(op, [x], out, { kernel_shape: kernel, strides });
  }
  /** Nearest-neighbour upsampling by integer factors on the spatial axes. */
  upsampleNearest(x: string, factors: number[]): string {
    const xs = this.shape(x);
    const scales = this.constant([1, 1, ...factors], [2 + factors.length]);
    const out = xs.slice(0, 2).concat(factors.map((f, i) => xs[2 + i] * f));
    return this.node('Resize', [x, '', scales], out, { mode: 'nearest', nearest_mode: 'floor', coordinate_transformation_mode: 'asymmetric' });
  }
  /** numpy-style matmul (batch dimensions broadcast; both operands rank ≥ 2). */
  matmul(a: string, b: string): string {
    const as = this.shape(a);
    const bs = this.shape(b);
    if (as[as.length - 1] !== bs[bs.length - 2]) throw new PannError('SHAPE', `MatMul: [${as}] × [${bs}]`);
    const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2), 'MatMul');
    return this.node('MatMul', [a, b], [...batch, as[as.length - 2], bs[bs.length - 1]]);
  }

  /** Serialises to ONNX ModelProto bytes. */
  toBytes(graphName = 'pann'): Uint8Array {
    const mkAttr = (name: string, v: AttrValue): onnx.IAttributeProto => {
      const T = onnx.AttributeProto.AttributeType;
      if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
      if (typeof v === 'number') return { name, type: T.INT, i: v };
      if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
      if ('float' in v) return { name, type: T.FLOAT, f: v.float };
      return { name, type: T.FLOATS, floats: v.floats };
    };
    const valueInfo = (name: string): onnx.IValueInfoProto => ({
      name,
      type: {
        tensorType: {
          elemType: this.int64Inputs.has(name) ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
          shape: { dim: this.shape(name).map((d) => ({ dimValue: d })) },
        },
      },
    });
    const inits: onnx.ITensorProto[] = [];
    for (const [name, t] of this.initializers) {
      inits.push({
        name,
        dims: t.dims,
        dataType: t.int64 ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      });
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'pann-aet',
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: graphName,
        node: this.nodes.map((n, i) => ({
          name: `n${i}_${n.op}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs).map(([k, v]) => mkAttr(k, v)),
        })),
        initializer: inits,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/**
 * Linear-time UnsortedSegmentSum and row GatherV2 for tfjs's cpu backend, replacing the stock kernels
 * process-wide (an engine concern: every tfjs graph network on the cpu backend gets them once registered).
 * The stock segment sum loops over segments and masks the whole input each time (O(segments × rows)), which
 * makes graph attention over thousands of atoms (scatterAdd, segmentSoftmax and the gradient of gather all
 * use it) hundreds of times slower than needed. Same semantics for 1D segment ids (negative or out-of-range
 * ids are dropped, as in TensorFlow); other cases fall back to the stock kernel. Likewise GatherV2 (row
 * gather along axis 0; the stock kernel indexes element by element through a buffer: ~300 ms for 36k × 16
 * rows).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerTfjsGradients } from './tfjs-gradients';

let installed = false;

interface CpuBackendLike {
  data: { get(id: unknown): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array | Int32Array): tf.TensorInfo;
}

/** Replaces the cpu kernels (and the row-gather gradient) once per process (idempotent). */
export function registerFastCpuKernels(): void {
  if (installed) return;
  installed = true;
  installFastGather();
  // The stock gather gradient reshapes and transposes around its segment sum (~1 s for 36k × 16 rows here);
  // for axis-0 row gathers the gradient is exactly the segment sum of dy by index.
  registerTfjsGradients();
  const stockGrad = tf.getGradient('GatherV2');
  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved;
      const a = attrs as unknown as { axis: number; batchDims: number };
      const axis = a.axis < 0 ? a.axis + x.rank : a.axis;
      if (axis !== 0 || (a.batchDims ?? 0) !== 0 || indices.rank !== 1 || !stockGrad) {
        return stockGrad!.gradFunc(dy, saved, attrs);
      }
      return {
        x: () => tf.unsortedSegmentSum(dy as tf.Tensor, indices as tf.Tensor1D, x.shape[0]),
        indices: () => tf.zerosLike(indices),
      };
    },
  });
  replaceCpuKernel('UnsortedSegmentSum', (stock) => (args) => {
    const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const numSegments = (args.attrs as { numSegments: number }).numSegments;
    if (segmentIds.shape.length !== 1 || x.shape.length < 1 || x.dtype === 'complex64')
      return stock.kernelFunc(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const xv = backend.data.get(x.dataId).values;
    const ids = backend.data.get(segmentIds.dataId).values;
    const rows = x.shape[0];
    const width = rows > 0 ? x.shape.slice(1).reduce((a, b) => a * b, 1) : 0;
    const out =
      x.dtype === 'int32' ? new Int32Array(numSegments * width) : new Float32Array(numSegments * width);
    for (let r = 0; r < rows; r++) {
      const s = ids[r];
      if (s < 0 || s >= numSegments) continue;
      const o = s * width,
        i = r * width;
      for (let c = 0; c < width; c++) out[o + c] += xv[i + c];
    }
    return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], x.dtype, out);
  });
}

/** Row gather along axis 0 without batch dims as a typed-array copy; other cases use the stock kernel. */
function installFastGather(): void {
  replaceCpuKernel('GatherV2', (stock) => (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const attrs = args.attrs as { axis: number; batchDims: number };
    const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
    if (
      axis !== 0 ||
      (attrs.batchDims ?? 0) !== 0 ||
      x.shape.length < 1 ||
      x.dtype === 'complex64' ||
      x.dtype === 'string'
    )
      return stock.kernelFunc(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const xv = backend.data.get(x.dataId).values as Float32Array | Int32Array;
    const ids = backend.data.get(indices.dataId).values;
    const rows = x.shape[0];
    const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const m = ids.length;
    const out = x.dtype === 'float32' ? new Float32Array(m * width) : new Int32Array(m * width);
    for (let r = 0; r < m; r++) {
      const s = ids[r];
      if (s < 0 || s >= rows) throw new Error(`GatherV2: index ${s} is not in [0, ${rows - 1}]`);
      if (width === 1) out[r] = xv[s];
      else out.set(xv.subarray(s * width, (s + 1) * width), r * width);
    }
    return backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], x.dtype, out);
  });
}

/** Swaps a registered cpu kernel for `make(stock)`, which may fall back to the stock kernel; no-op when absent. */
function replaceCpuKernel(kernelName: string, make: (stock: tf.KernelConfig) => tf.KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'cpu');
  if (!stock) return;
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: make(stock) });
}

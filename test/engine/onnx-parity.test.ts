/** @jest-environment ./test/engine/ort-env.js */
/** ONNX Runtime inference vs the tfjs reference, random inputs and random weights (rel. error ≤ 1e-4). */
import * as tf from '@tensorflow/tfjs-core';
import { NetBuilder, type Network } from '../../kernel-lib/src/nn/ir';
import { randomWeights } from '../../kernel-lib/src/nn/init';
import { inferTfjs, toTfWeights } from '../../kernel-lib/src/nn/tfjs-exec';
import { OrtNetwork } from '../../kernel-lib/src/nn/ort-exec';
import { buildResUNet3d, buildUNet3d } from '../../kernel-lib/src/nn/resunet';
import { graphAttention } from '../../kernel-lib/src/nn/graph-attention';
import { randn, relErr, useCpu } from './helpers';

type In = Record<string, { data: Float32Array | Int32Array; shape: number[] }>;

async function parity(net: Network, inputs: In, seed: number): Promise<number> {
  const weights = randomWeights(net, seed);
  const tw = toTfWeights(net, weights);
  const ref = inferTfjs(net, tw, inputs);
  Object.values(tw).forEach((t) => t.dispose());
  const shapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(inputs)) shapes[k] = v.shape;
  const ort = await OrtNetwork.create(net, weights, shapes, { provider: 'cpu' });
  const got = await ort.run(inputs);
  await ort.release();
  let worst = 0;
  for (const o of net.outputs) {
    expect(got[o].shape).toEqual(ref[o].shape);
    worst = Math.max(worst, relErr(got[o].data, ref[o].data));
  }
  return worst;
}

beforeAll(useCpu);

test('GLARE-style ResUNet with global branch and instance norm', async () => {
  const net = buildResUNet3d({ widths: [4, 8, 16], norm: true, globalBranch: true, residualOutput: true });
  const err = await parity(net, { volume: { data: randn(16 * 12 * 20, 1), shape: [1, 16, 12, 20, 1] }, global: { data: randn(12 ** 3, 2), shape: [1, 12, 12, 12, 1] } }, 3);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('GLARE-style ResUNet, batch 2 (per-sample FiLM, patchify and pixel-shuffle lowering)', async () => {
  const net = buildResUNet3d({ widths: [4, 8, 16], globalBranch: true });
  const err = await parity(net, { volume: { data: randn(2 * 8 * 12 * 8, 31), shape: [2, 8, 12, 8, 1] }, global: { data: randn(2 * 8 ** 3, 32), shape: [2, 8, 8, 8, 1] } }, 33);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('plain U-Net (max-pool, nearest upsampling, ReLU), batch 2, 2 input channels', async () => {
  const net = buildUNet3d({ widths: [3, 5], inChannels: 2, outChannels: 2 });
  const err = await parity(net, { volume: { data: randn(2 * 8 * 6 * 10 * 2, 4), shape: [2, 8, 6, 10, 2] } }, 5);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('odd sizes: strided padded conv, overlapping transposed conv, avg pool, sigmoid/tanh', async () => {
  const b = new NetBuilder('odd');
  const x = b.input('x', 3);
  let y = b.conv3d(x, { filters: 5, kernel: 3, stride: 2, pad: 1 });
  y = b.activation(y, 'tanh');
  y = b.convTranspose3d(y, { filters: 4, kernel: 3, stride: 2 });
  y = b.pool3d(b.activation(y, 'sigmoid'), 'avg', 2);
  const z = b.conv3d(y, { filters: 2, kernel: 5, stride: 1, pad: 1, bias: false });
  b.output(z, y);
  const net = b.build();
  const err = await parity(net, { x: { data: randn(7 * 9 * 11 * 3, 6), shape: [1, 7, 9, 11, 3] } }, 7);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('DAST-style graph attention primitives: dense, layer norm, softmax, gather, scatter-add', async () => {
  const b = new NetBuilder('gat');
  const feats = b.input('features', 6, 2);
  const src = b.indexInput('src');
  const dst = b.indexInput('dst');
  const h = b.layerNorm(b.activation(b.dense(feats, { units: 8 }), 'relu'));
  const msg = b.dense(b.gather(h, src), { units: 8 });
  const agg = b.scatterAdd(msg, dst, 5);
  const out = b.softmax(b.dense(b.concat([h, agg]), { units: 3 }));
  b.output(out);
  const net = b.build();
  const e = 12;
  const rngIdx = (seed: number): Int32Array => Int32Array.from({ length: e }, (_, i) => (i * seed + 1) % 5);
  const err = await parity(net, { features: { data: randn(5 * 6, 8), shape: [5, 6] }, src: { data: rngIdx(3), shape: [e] }, dst: { data: rngIdx(2), shape: [e] } }, 9);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('DAST-style network: two multi-head graph-attention layers with segment softmax', async () => {
  const b = new NetBuilder('dast');
  const f = b.input('features', 7, 2);
  const src = b.indexInput('src');
  const dst = b.indexInput('dst');
  let h = b.activation(b.dense(f, { units: 8 }), 'relu');
  h = graphAttention(b, h, src, dst, 6, { dim: 4, heads: 2, name: 'g1' });
  h = graphAttention(b, h, src, dst, 6, { dim: 4, name: 'g2' });
  b.output(b.softmax(b.dense(h, { units: 3 })));
  const e = 14;
  const s = Int32Array.from({ length: e }, (_, i) => (i * 5 + 1) % 6);
  const d = Int32Array.from({ length: e }, (_, i) => i % 6);
  const err = await parity(b.build(), { features: { data: randn(6 * 7, 21), shape: [6, 7] }, src: { data: s, shape: [e] }, dst: { data: d, shape: [e] } }, 22);
  expect(err).toBeLessThanOrEqual(1e-4);
});

test('a wrong weight fails the check (the comparison can fail)', async () => {
  const net = buildResUNet3d({ widths: [4, 8] });
  const weights = randomWeights(net, 1);
  const tw = toTfWeights(net, weights);
  const input = { volume: { data: randn(8 ** 3, 2), shape: [1, 8, 8, 8, 1] } };
  const ref = inferTfjs(net, tw, input);
  Object.values(tw).forEach((t) => t.dispose());
  weights['head/bias'][0] += 0.5;
  const ort = await OrtNetwork.create(net, weights, { volume: [1, 8, 8, 8, 1] }, { provider: 'cpu' });
  const got = await ort.run(input);
  await ort.release();
  expect(relErr(got[net.outputs[0]].data, ref[net.outputs[0]].data)).toBeGreaterThan(1e-3);
  expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
});

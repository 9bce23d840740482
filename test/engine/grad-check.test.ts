/** @jest-environment ./test/engine/ort-env.js */
/**
 * Gradient checks: the ORT training graph (forward + derived backward) against tfjs autodiff, on
 * random shapes with odd sizes, strides and channel counts, random weights and inputs.
 */
import { NetBuilder, type Network } from '../../kernel-lib/src/nn/ir';
import { randomWeights } from '../../kernel-lib/src/nn/init';
import { OrtTrainer, TfjsTrainer } from '../../kernel-lib/src/nn/train';
import { buildResUNet3d } from '../../kernel-lib/src/nn/resunet';
import { createRng } from '../../kernel-lib/src/core/rng';
import { graphAttention } from '../../kernel-lib/src/nn/graph-attention';
import { randn, relErr, useCpu } from './helpers';

beforeAll(useCpu);

async function check(net: Network, inputShapes: Record<string, number[]>, seed: number): Promise<{ lossErr: number; worst: number; worstName: string }> {
  const weights = randomWeights(net, seed);
  const inputs: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {};
  let s = seed * 10;
  for (const [k, shape] of Object.entries(inputShapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const L = net.layers.find((l) => l.id === k);
    // random edges: periodic patterns repeat (src, dst) pairs, which makes attention uniform and its gradient zero
    const idxRng = createRng(s++);
    inputs[k] = L && L.kind === 'input' && L.dtype === 'int32'
      ? { data: Int32Array.from({ length: n }, () => idxRng.int(5)), shape }
      : { data: randn(n, s++), shape };
  }
  const ortT = await OrtTrainer.create(net, weights, inputShapes, { provider: 'cpu' });
  const targets: Record<string, Float32Array> = {};
  for (const [o, shape] of Object.entries(ortT.outputShapes)) targets[o] = randn(shape.reduce((a, b) => a * b, 1), s++);
  const a = await ortT.lossAndGrads(inputs, targets);
  await ortT.dispose();
  const tfT = new TfjsTrainer(net, weights);
  const b = await tfT.lossAndGrads(inputs, targets);
  await tfT.dispose();
  let worst = 0;
  let worstName = '';
  for (const w of net.weights) {
    const e = relErr(a.grads[w.name], b.grads[w.name]);
    if (e > worst) [worst, worstName] = [e, w.name];
    if (process.env.GRAD_DEBUG) console.log(w.name, e, Array.from(a.grads[w.name].slice(0, 4)), Array.from(b.grads[w.name].slice(0, 4)));
  }
  return { lossErr: Math.abs(a.loss - b.loss) / Math.abs(b.loss), worst, worstName };
}

test('ResUNet with global branch and instance norm (odd patch, 2 levels)', async () => {
  const net = buildResUNet3d({ widths: [3, 5], norm: true, globalBranch: true, residualOutput: true });
  const r = await check(net, { volume: [1, 6, 10, 8, 1], global: [1, 8, 8, 12, 1] }, 1);
  expect(r.lossErr).toBeLessThan(1e-5);
  expect(r.worst).toBeLessThan(1e-4);
});

test('random conv shapes: odd sizes, strides 1–3, kernels 1–4, paddings, channel counts, batch 2', async () => {
  const rng = createRng(42);
  for (let trial = 0; trial < 6; trial++) {
    const b = new NetBuilder(`rand${trial}`);
    const cin = 1 + rng.int(4);
    const x = b.input('x', cin);
    const kernel = 1 + rng.int(4);
    const stride = 1 + rng.int(3);
    const pad = rng.int(Math.min(kernel, 2));
    let y = b.conv3d(x, { filters: 1 + rng.int(5), kernel, stride, pad, bias: rng.uniform() < 0.5 });
    y = b.activation(y, trial % 2 ? 'leakyRelu' : 'tanh', 0.2);
    const tk = 2 + rng.int(2);
    y = b.convTranspose3d(y, { filters: 1 + rng.int(4), kernel: tk, stride: trial % 3 === 0 ? tk : 2 });
    y = b.conv3d(y, { filters: 2, kernel: 3 });
    b.output(y);
    const net = b.build();
    const dims = [5 + rng.int(6), 5 + rng.int(6), 5 + rng.int(6)];
    const r = await check(net, { x: [1 + (trial % 2), ...dims, cin] }, trial + 2);
    expect({ trial, ...r, ok: r.worst < 1e-4 && r.lossErr < 1e-5 }).toMatchObject({ ok: true });
  }
});

test('pooling, upsampling, concat, sigmoid and the graph-attention primitives', async () => {
  const b = new NetBuilder('misc');
  const x = b.input('x', 2);
  const p = b.pool3d(b.conv3d(x, { filters: 3 }), 'avg', 2);
  const u = b.upsample3d(b.activation(p, 'sigmoid'), 2);
  b.output(b.conv3d(b.concat([u, b.conv3d(x, { filters: 2, kernel: 1 })]), { filters: 1, kernel: 3, pad: 1 }));
  const net = b.build();
  const r = await check(net, { x: [1, 8, 6, 10, 2] }, 11);
  expect(r.worst).toBeLessThan(1e-4);

  const gb = new NetBuilder('gat');
  const f = gb.input('features', 4, 2);
  const src = gb.indexInput('src');
  const dst = gb.indexInput('dst');
  const h = gb.layerNorm(gb.activation(gb.dense(f, { units: 6 }), 'relu'));
  const agg = gb.scatterAdd(gb.dense(gb.gather(h, src), { units: 6 }), dst, 5);
  gb.output(gb.softmax(gb.dense(gb.concat([h, agg]), { units: 3 })));
  const r2 = await check(gb.build(), { features: [5, 4], src: [9], dst: [9] }, 12);
  expect(r2.worst).toBeLessThan(1e-4);
});

test('DAST-style graph attention (segment softmax, multi-head) gradients', async () => {
  const b = new NetBuilder('dast');
  const f = b.input('features', 5, 2);
  const src = b.indexInput('src');
  const dst = b.indexInput('dst');
  let h = b.activation(b.dense(f, { units: 6 }), 'tanh');
  h = graphAttention(b, h, src, dst, 5, { dim: 3, heads: 2, name: 'g1' });
  b.output(b.softmax(b.dense(h, { units: 3 })));
  const r = await check(b.build(), { features: [5, 5], src: [11], dst: [11] }, 13);
  expect(r.lossErr).toBeLessThan(1e-5);
  expect(r.worst).toBeLessThan(1e-4);
});

test('a wrong gradient rule would be caught: perturbed weights give different gradients', async () => {
  const net = buildResUNet3d({ widths: [2, 3] });
  const weights = randomWeights(net, 5);
  const input = { volume: { data: randn(6 * 6 * 6, 1), shape: [1, 6, 6, 6, 1] } };
  const target = { [net.outputs[0]]: randn(6 * 6 * 6, 2) };
  const t1 = await OrtTrainer.create(net, weights, { volume: [1, 6, 6, 6, 1] }, { provider: 'cpu' });
  const g1 = await t1.lossAndGrads(input, target);
  weights['head/kernel'][0] += 0.5;
  const t2 = new TfjsTrainer(net, weights);
  const g2 = await t2.lossAndGrads(input, target);
  await t1.dispose();
  await t2.dispose();
  expect(relErr(g1.grads['head/kernel'], g2.grads['head/kernel'])).toBeGreaterThan(1e-3);
});

test('training steps lower the loss on a fixed batch (ORT path), matching the tfjs trainer', async () => {
  const net = buildResUNet3d({ widths: [4, 6] });
  const w0 = randomWeights(net, 8);
  const input = { volume: { data: randn(8 ** 3, 3), shape: [1, 8, 8, 8, 1] } };
  const target = { [net.outputs[0]]: input.volume.data.map((v) => 0.5 * v) };
  const a = await OrtTrainer.create(net, w0, { volume: [1, 8, 8, 8, 1] }, { provider: 'cpu', adam: { learningRate: 3e-3 } });
  const b = new TfjsTrainer(net, w0, { learningRate: 3e-3 });
  const la: number[] = [];
  const lb: number[] = [];
  for (let i = 0; i < 8; i++) {
    la.push(await a.step(input, target));
    lb.push(await b.step(input, target));
  }
  await a.dispose();
  await b.dispose();
  expect(la[7]).toBeLessThan(0.7 * la[0]);
  for (let i = 0; i < 8; i++) expect(Math.abs(la[i] - lb[i]) / lb[i]).toBeLessThan(1e-3);
});

/** @jest-environment ./test/engine/ort-env.js */
/** Weights save/load round trip (tfjs format), no tensor growth over 100 inferences, tiled inference. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { randomWeights } from '../../kernel-lib/src/nn/init';
import { NetBuilder } from '../../kernel-lib/src/nn/ir';
import { buildResUNet3d } from '../../kernel-lib/src/nn/resunet';
import {
  decodeTfjsWeights,
  encodeTfjsWeights,
  loadTfjsWeights,
  saveTfjsWeights,
} from '../../kernel-lib/src/nn/weights-io';
import { inferTfjs, toTfWeights } from '../../kernel-lib/src/nn/tfjs-exec';
import { runTiled } from '../../kernel-lib/src/nn/tiled';
import { OrtNetwork } from '../../kernel-lib/src/nn/ort-exec';
import type { Shape3 } from '../../kernel-lib/src/core/types';
import { randn, relErr, useCpu } from './helpers';

beforeAll(useCpu);

test('save/load round trip in the tfjs format, readable by tf.io.decodeWeights', async () => {
  const net = buildResUNet3d({ widths: [4, 8], norm: true, globalBranch: true });
  const w = randomWeights(net, 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pann-w-'));
  const p = await saveTfjsWeights(dir, net, w);
  const back = await loadTfjsWeights(p);
  expect(back.net).toEqual(net);
  for (const spec of net.weights)
    expect(Array.from(back.weights[spec.name])).toEqual(Array.from(w[spec.name]));
  // tfjs's own decoder reads the same bytes
  const { modelJson, bin } = encodeTfjsWeights(net, w);
  const specs = modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
  const decoded = tf.io.decodeWeights(
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    specs,
  );
  const k = net.weights[0].name;
  expect(Array.from(decoded[k].dataSync())).toEqual(Array.from(w[k]));
  Object.values(decoded).forEach((t) => t.dispose());
  // truncated files are a FORMAT error naming the weight
  expect(() => decodeTfjsWeights(modelJson, [bin.slice(0, 100)])).toThrow(/truncated/);
  fs.rmSync(dir, { recursive: true });
});

test('100 repeated tfjs inferences leave tf.memory().numTensors unchanged', () => {
  const net = buildResUNet3d({ widths: [2, 4, 4], norm: true, globalBranch: true });
  const tw = toTfWeights(net, randomWeights(net, 4));
  const input = {
    volume: { data: randn(8 ** 3, 1), shape: [1, 8, 8, 8, 1] },
    global: { data: randn(8 ** 3, 2), shape: [1, 8, 8, 8, 1] },
  };
  inferTfjs(net, tw, input);
  const before = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  for (let i = 0; i < 100; i++) inferTfjs(net, tw, input);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.memory().numBytes).toBe(bytesBefore);
  Object.values(tw).forEach((t) => t.dispose());
});

test('100 repeated ORT inferences do not grow the resident memory', async () => {
  const net = buildResUNet3d({ widths: [4, 8], globalBranch: true });
  const shapes = { volume: [1, 16, 16, 16, 1], global: [1, 8, 8, 8, 1] };
  const m = await OrtNetwork.create(net, randomWeights(net, 9), shapes, { provider: 'cpu' });
  const input = {
    volume: { data: randn(16 ** 3, 1), shape: shapes.volume },
    global: { data: randn(8 ** 3, 2), shape: shapes.global },
  };
  for (let i = 0; i < 20; i++) await m.run(input);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 100; i++) await m.run(input);
  global.gc?.();
  const growthMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
  await m.release();
  // each run moves ~32 KiB in and out; a leak of the session's activations would be ~1 MiB per run
  expect(growthMiB).toBeLessThan(32);
});

test('runTiled: an exact reassembly for a voxel-wise runner, odd sizes, every voxel covered', async () => {
  const shape: Shape3 = [13, 22, 9];
  const vol = randn(13 * 22 * 9, 5);
  const out = await runTiled(vol, shape, async (t) => t.map((v) => 2 * v + 1), {
    tileSize: [8, 8, 16],
    overlapVoxels: 3,
  });
  expect(
    relErr(
      out,
      vol.map((v) => 2 * v + 1),
    ),
  ).toBeLessThan(1e-6);
});

test('runTiled equals one pass on an odd-sized volume when half the overlap covers the network reach', async () => {
  // two 3×3×3 convs reach 2 voxels; overlap 5 = a halo of 2 on each interior face + 1 blended voxel
  const b = new NetBuilder('reach2');
  const h1 = b.activation(b.conv3d(b.input('volume', 1), { filters: 4 }), 'leakyRelu', 0.1);
  const h2 = b.activation(b.conv3d(h1, { filters: 4 }), 'leakyRelu', 0.1);
  b.output(b.conv3d(h2, { filters: 1, kernel: 1 }));
  const net = b.build();
  const w = randomWeights(net, 8);
  const shape: Shape3 = [17, 23, 19];
  const tile: Shape3 = [12, 10, 14];
  const vol = randn(17 * 23 * 19, 9);
  const whole = await OrtNetwork.create(net, w, { volume: [1, ...shape, 1] }, { provider: 'cpu' });
  const ref = (await whole.run({ volume: { data: vol, shape: [1, ...shape, 1] } }))[net.outputs[0]].data;
  const tileNet = await OrtNetwork.create(net, w, { volume: [1, ...tile, 1] }, { provider: 'cpu' });
  const run = async (t: Float32Array, s: Shape3) =>
    (await tileNet.run({ volume: { data: t, shape: [1, ...s, 1] } }))[net.outputs[0]].data.slice();
  const tiled = await runTiled(vol, shape, run, { tileSize: tile, overlapVoxels: 5 });
  await whole.release();
  await tileNet.release();
  expect(relErr(tiled, ref)).toBeLessThan(1e-5);
});

test('runTiled with a U-Net equals whole-volume inference when the halo covers its reach', async () => {
  // widths [4, 8] reach ~12 voxels; overlap 24 keeps 12 of context on every interior face, and the
  // tile starts (0, 8) stay on the stride-2 grid. Blending whole tiles was ~20 % off here.
  const net = buildResUNet3d({ widths: [4, 8] });
  const w = randomWeights(net, 6);
  const n = 40,
    e = 32;
  const vol = randn(n ** 3, 7);
  const whole = await OrtNetwork.create(net, w, { volume: [1, n, n, n, 1] }, { provider: 'cpu' });
  const ref = (await whole.run({ volume: { data: vol, shape: [1, n, n, n, 1] } }))[net.outputs[0]].data;
  const tileNet = await OrtNetwork.create(net, w, { volume: [1, e, e, e, 1] }, { provider: 'cpu' });
  const run = async (t: Float32Array) =>
    (await tileNet.run({ volume: { data: t, shape: [1, e, e, e, 1] } }))[net.outputs[0]].data.slice();
  const tiled = await runTiled(vol, [n, n, n], run, { tileSize: e, overlapVoxels: 24 });
  await whole.release();
  await tileNet.release();
  expect(relErr(tiled, ref)).toBeLessThan(1e-5);
});

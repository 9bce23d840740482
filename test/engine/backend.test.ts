/** @jest-environment ./test/engine/ort-env.js */
/** The backend fallback chain, tested without a GPU or the optional tfjs-node packages by injecting the loader. */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backendInfo, initBackend } from '../../kernel-lib/src/engine/backend';
import { chooseOrtProviders } from '../../kernel-lib/src/engine/ort';

const missing = (name: string): never => {
  throw new Error(`Cannot find module '${name}'`);
};

test('without tfjs-node(-gpu) the chain falls back to wasm, saying why', async () => {
  const info = await initBackend('auto', { requireModule: (n) => (n.includes('tfjs-node') ? missing(n) : require(n)) });
  expect(info.chosen).toBe('wasm');
  expect(tf.getBackend()).toBe('wasm');
  expect(info.tried.map((t) => [t.candidate, t.ok])).toEqual([['tfjs-node-gpu', false], ['tfjs-node', false], ['wasm', true]]);
  expect(info.tried[0].reason).toMatch(/not installed/);
  expect(backendInfo()).toBe(info);
  // the wasm backend really computes
  expect(Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync())).toEqual([2, 3]);
});

test('a broken wasm package falls back to cpu', async () => {
  const info = await initBackend('auto', {
    requireModule: (n) => (n.includes('tfjs-node') ? missing(n) : n.includes('wasm') ? (() => { throw new Error('bad ELF'); })() : require(n)),
  });
  expect(info.chosen).toBe('cpu');
  expect(info.tried[2]).toMatchObject({ candidate: 'wasm', ok: false });
  expect(info.tried[2].reason).toMatch(/failed to load: bad ELF/);
});

test('a working tfjs-node-gpu (simulated: it registers the tensorflow backend) is chosen first and reported as GPU', async () => {
  const fakeGpu = (): unknown => {
    if (!tf.findBackendFactory('tensorflow')) tf.registerBackend('tensorflow', () => new MathBackendCPU());
    return {};
  };
  const info = await initBackend('auto', { requireModule: (n) => (n === '@tensorflow/tfjs-node-gpu' ? fakeGpu() : require(n)) });
  expect(info).toMatchObject({ chosen: 'tfjs-node-gpu', gpu: true, tfjsBackend: 'tensorflow' });
  tf.removeBackend('tensorflow');
});

test('a package that loads but registers no backend is skipped with its reason', async () => {
  const info = await initBackend('tfjs-node', { requireModule: (n) => (n === '@tensorflow/tfjs-node' ? {} : require(n)) });
  expect(info.tried[0].reason).toMatch(/registered no 'tensorflow' backend/);
  expect(info.chosen).toBe('wasm');
});

test('preference cpu uses cpu; an unknown preference is an error', async () => {
  expect((await initBackend('cpu')).chosen).toBe('cpu');
  await expect(initBackend('gpu' as never)).rejects.toThrow(/unknown backend/);
});

test('ORT provider detection: CUDA only when listed and its library is present', () => {
  const fakeOrt = (cuda: boolean) => ({ listSupportedBackends: () => [{ name: 'cpu' }, ...(cuda ? [{ name: 'cuda' }] : [])] });
  expect(chooseOrtProviders('auto', { requireModule: () => fakeOrt(true), fileExists: () => true }).providers).toEqual(['cuda', 'cpu']);
  const noLib = chooseOrtProviders('auto', { requireModule: () => fakeOrt(true), fileExists: () => false });
  expect(noLib.providers).toEqual(['cpu']);
  expect(noLib.tried.join()).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  expect(chooseOrtProviders('auto', { requireModule: () => fakeOrt(false), fileExists: () => true }).providers).toEqual(['cpu']);
  expect(chooseOrtProviders('auto', { requireModule: () => missing('onnxruntime-node') }).providers).toEqual([]);
  expect(chooseOrtProviders('cpu').providers).toEqual(['cpu']);
  // on this machine (no GPU, no CUDA provider library) the real detection gives CPU
  expect(chooseOrtProviders('auto').providers).toEqual(['cpu']);
});

/** Seeded weight initialisation for IR networks. */
import { createRng } from '../core/rng';
import type { Network, WeightMap } from './ir';

/**
 * Fresh weights for `net`: He-normal kernels (std = sqrt(2 / fanIn)), zero biases and shifts,
 * unit scales — the same for the same seed on every machine.
 * @param net the network description
 * @param seed integer seed of the random stream
 * @param gain multiplies the He standard deviation (1 = He; smaller values keep deep nets tame)
 */
export function initWeights(net: Network, seed: number, gain = 1): WeightMap {
  const rng = createRng(seed);
  const out: WeightMap = {};
  for (const w of net.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const arr = new Float32Array(n);
    if (w.init === 'ones') arr.fill(1);
    else if (w.init === 'he') {
      const std = gain * Math.sqrt(2 / w.fanIn);
      for (let i = 0; i < n; i++) arr[i] = std * rng.normal();
    }
    out[w.name] = arr;
  }
  return out;
}

/** Random weights for tests: every weight (biases and norms too) drawn from N(0, std²) with fan-in scaling for kernels. */
export function randomWeights(net: Network, seed: number): WeightMap {
  const rng = createRng(seed);
  const out: WeightMap = {};
  for (const w of net.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const arr = new Float32Array(n);
    const std = w.init === 'he' ? Math.sqrt(2 / w.fanIn) : 0.3;
    const base = w.init === 'ones' ? 1 : 0;
    for (let i = 0; i < n; i++) arr[i] = base + std * rng.normal();
    out[w.name] = arr;
  }
  return out;
}

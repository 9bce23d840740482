/** @jest-environment ./test/engine/ort-env.js */
/** DAST: species assignment from scores, the fast cpu kernels, the network in tfjs and ORT, training and resuming. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../kernel-lib/src/core/rng';
import { assignSpecies, brightnessScore, rebalance } from '../../kernel-lib/src/classify/dast/assign';
import {
  buildDastNetwork,
  initDastWeights,
  type DastNetConfig,
} from '../../kernel-lib/src/classify/dast/network';
import { inferTfjs, toTfWeights } from '../../kernel-lib/src/nn/tfjs-exec';
import { OrtNetwork } from '../../kernel-lib/src/nn/ort-exec';
import { registerFastCpuKernels } from '../../kernel-lib/src/engine/tfjs-cpu-kernels';
import { trainDast } from '../../kernel-lib/src/classify/dast/train';
import { sampleToJson, type DastSample } from '../../kernel-lib/src/classify/dast/dataset';
import { loadDastModel } from '../../kernel-lib/src/classify/dast/model-store';

/** Scores on the α·ln Z ladder plus an offset and noise; `ghosts` extra atoms with low scores. */
function ladderScores(
  species: string[],
  counts: number[],
  noise: number,
  offset: number,
  seed: number,
  ghosts = 0,
) {
  const rng = createRng(seed);
  const score: number[] = [],
    label: number[] = [];
  const sorted = species.slice().sort((a, b) => brightnessScore(a) - brightnessScore(b));
  sorted.forEach((s, c) => {
    for (let i = 0; i < counts[c]; i++) {
      score.push(brightnessScore(s) + offset + noise * rng.normal());
      label.push(c);
    }
  });
  for (let i = 0; i < ghosts; i++) {
    score.push(brightnessScore(sorted[0]) + offset - 1.5 + 0.5 * rng.normal());
    label.push(-1);
  }
  return { score: Float32Array.from(score), label, sorted };
}

describe('assignSpecies (score → user species)', () => {
  it('recovers species of element sets of 2–4 elements from the ladder, whatever the offset', () => {
    for (const [species, counts, offset] of [
      [['Fe', 'Pt'], [300, 300], -7.3],
      [['Pt', 'Pd'], [200, 400], 2.1],
      [['Co', 'Rh', 'Ir'], [150, 150, 150], -4],
      [['Fe', 'Ni', 'Pd', 'Pt'], [100, 100, 100, 100], 0.5],
    ] as [string[], number[], number][]) {
      // Noise 0.03: a quarter of the narrowest rung here (Fe–Ni, α·ln(28/26) = 0.126).
      const { score, label, sorted } = ladderScores(species, counts, 0.03, offset, 1);
      const r = assignSpecies(score, new Float32Array(score.length).fill(0.03), species);
      expect(r.labels).toEqual(sorted);
      let ok = 0;
      label.forEach((l, i) => (ok += r.classes[i] === l ? 1 : 0));
      expect(ok / label.length).toBeGreaterThan(0.97);
      expect(r.offset).toBeCloseTo(offset, 1);
      for (let i = 0; i < score.length; i++) {
        let s = 0;
        for (let c = 0; c < species.length; c++) s += r.probabilities[i * species.length + c];
        expect(s).toBeCloseTo(1, 5);
      }
    }
  });

  it('keeps ghosts (high ghost probability) from sliding the ladder', () => {
    const { score, label } = ladderScores(['Pd', 'Pt'], [150, 150], 0.1, -6, 2, 400);
    const ghost = Float32Array.from(label, (l) => (l < 0 ? 0.95 : 0.05));
    const sig = new Float32Array(score.length).fill(0.1);
    const acc = (cls: Int32Array) => label.reduce((s, l, i) => s + (l >= 0 && cls[i] === l ? 1 : 0), 0) / 300;
    const withGhostProb = assignSpecies(score, sig, ['Pd', 'Pt'], { ghostProbability: ghost });
    expect(acc(withGhostProb.classes)).toBeGreaterThan(0.95);
    // Within a third of the Pd–Pt rung (0.90): the ladder did not slide towards the ghosts.
    expect(Math.abs(withGhostProb.offset + 6)).toBeLessThan(0.3);
  });

  it('a composition prior rebalances the expected counts to the given fractions', () => {
    // Overlapping classes (noise ≈ half the Pd–Pt spacing), true fractions 1:3.
    const { score } = ladderScores(['Pd', 'Pt'], [100, 300], 0.45, 0, 3);
    const r = assignSpecies(score, new Float32Array(score.length).fill(0.45), ['Pd', 'Pt'], {
      composition: { Pd: 1, Pt: 3 },
    });
    let pd = 0;
    for (let i = 0; i < score.length; i++) pd += r.probabilities[2 * i];
    expect(pd / score.length).toBeCloseTo(0.25, 3);
  });

  it('rebalance matches column sums exactly and keeps rows normalised', () => {
    const p = Float64Array.from([0.9, 0.1, 0.8, 0.2, 0.6, 0.4, 0.3, 0.7]);
    rebalance(p, 4, 2, [0.5, 0.5]);
    expect(p[0] + p[2] + p[4] + p[6]).toBeCloseTo(2, 3);
    for (let i = 0; i < 4; i++) expect(p[2 * i] + p[2 * i + 1]).toBeCloseTo(1, 6);
  });

  it('rejects compositions naming other elements', () => {
    expect(() =>
      assignSpecies(new Float32Array(4), new Float32Array(4).fill(0.1), ['Fe', 'Pt'], {
        composition: { Au: 1 },
      }),
    ).toThrow(/composition/);
  });
});

describe('fast cpu kernels', () => {
  it('segment sum and row gather (and its gradient) equal a plain reference', () => {
    registerFastCpuKernels();
    const rng = createRng(4);
    const x = Float32Array.from({ length: 50 * 3 }, () => rng.normal());
    const ids = Int32Array.from({ length: 50 }, () => rng.int(7));
    const ref = new Float64Array(7 * 3);
    for (let r = 0; r < 50; r++) for (let c = 0; c < 3; c++) ref[ids[r] * 3 + c] += x[r * 3 + c];
    const got = tf.unsortedSegmentSum(tf.tensor2d(x, [50, 3]), tf.tensor1d(ids, 'int32'), 7).dataSync();
    got.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 4));
    const h = tf.tensor2d(
      Float32Array.from({ length: 7 * 3 }, (_, i) => i),
      [7, 3],
    );
    const g = tf.gather(h, tf.tensor1d(ids, 'int32')).dataSync();
    for (let r = 0; r < 50; r++) for (let c = 0; c < 3; c++) expect(g[r * 3 + c]).toBe(ids[r] * 3 + c);
    const grad = tf
      .grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(a, tf.tensor1d(ids, 'int32')), tf.tensor2d(x, [50, 3]))),
      )(h)
      .dataSync();
    grad.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 4));
  });
});

const smallNet: DastNetConfig = {
  nodeFeatures: 5,
  edgeFeatures: 3,
  width: 8,
  heads: 2,
  headDim: 4,
  layers: 2,
  ffnWidth: 16,
};

function randomGraph(n: number, seed: number) {
  const rng = createRng(seed);
  const src: number[] = [],
    dst: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      if (i !== j && rng.uniform() < 0.4) {
        src.push(j);
        dst.push(i);
      }
  return {
    nodes: { data: Float32Array.from({ length: n * 5 }, () => rng.normal()), shape: [n, 5] },
    edges: {
      data: Float32Array.from({ length: src.length * 3 }, () => rng.uniform()),
      shape: [src.length, 3],
    },
    src: { data: Int32Array.from(src), shape: [src.length] },
    dst: { data: Int32Array.from(dst), shape: [dst.length] },
  };
}

describe('DAST network in two engines', () => {
  it('tfjs and ONNX Runtime give the same scores and ghost probabilities for the same weights', async () => {
    registerFastCpuKernels();
    const n = 9;
    const net = buildDastNetwork(smallNet, n);
    const w = initDastWeights(smallNet, 5);
    for (const k of Object.keys(w))
      if (/bias|beta/.test(k)) w[k] = w[k].map((_, i) => 0.05 * Math.sin(i + k.length));
    const inputs = randomGraph(n, 6);
    const tw = toTfWeights(net, w);
    const a = inferTfjs(net, tw, inputs);
    Object.values(tw).forEach((t) => t.dispose());
    const ort = await OrtNetwork.create(
      net,
      w,
      Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.shape])),
      { provider: 'cpu' },
    );
    const b = await ort.run(inputs);
    await ort.release();
    expect(a.out.shape).toEqual([n, 1]);
    for (const id of ['out', 'ghost_prob'])
      a[id].data.forEach((v, i) => expect(b[id].data[i]).toBeCloseTo(v, 4));
    // Not all equal: the graph changes the scores.
    expect(new Set(Array.from(a.out.data, (v) => v.toFixed(4))).size).toBeGreaterThan(1);
  });
});

describe('trainDast', () => {
  it('trains on labelled samples, checkpoints and resumes', async () => {
    const rng = createRng(8);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dast-train-'));
    const file = path.join(dir, 'data.jsonl');
    const lines: string[] = [];
    for (let p = 0; p < 6; p++) {
      const n = 30;
      const F = 25;
      const label = Int32Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : i % 2));
      const nodes = new Float32Array(n * F);
      for (let a = 0; a < n; a++)
        for (let c = 0; c < F; c++) nodes[a * F + c] = (label[a] === 1 ? 1 : 0) + 0.3 * rng.normal();
      const src: number[] = [],
        dst: number[] = [];
      for (let a = 0; a < n; a++)
        for (const d of [1, 2, 3]) {
          src.push((a + d) % n);
          dst.push(a);
        }
      const s: DastSample = {
        scenario: { name: `t${p}`, seed: p } as DastSample['scenario'],
        species: ['Fe', 'Pt'],
        nAtoms: n,
        nTrue: n,
        nodes,
        src: Int32Array.from(src),
        dst: Int32Array.from(dst),
        edges: Float32Array.from({ length: src.length * 9 }, () => rng.uniform()),
        target: Float32Array.from(label, (l) => (l < 0 ? NaN : brightnessScore(l ? 'Pt' : 'Fe'))),
        label,
        kmeans: Int32Array.from(label, (l) => Math.max(0, l)),
        timingsS: {},
      };
      lines.push(sampleToJson(s));
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const losses: number[] = [];
    const opts = {
      dataFiles: [file],
      modelDir: dir,
      steps: 3,
      batchAtoms: 100,
      validationEvery: 3,
      checkpointEverySteps: 2,
      net: { width: 8, heads: 1, headDim: 4, layers: 1, ffnWidth: 8 },
      onStep: (e: { loss: number }) => losses.push(e.loss),
    };
    const r1 = await trainDast(opts);
    expect(r1.steps).toBe(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'dast.json'))).toBe(true);
    const r2 = await trainDast({ ...opts, steps: 5 });
    expect(r2.steps).toBe(5);
    expect(losses.length).toBe(5); // resumed at step 3: two more steps
    const model = await loadDastModel(dir);
    expect(model.config.net.layers).toBe(1);
    expect(model.config.training?.steps).toBe(5);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60000);
});

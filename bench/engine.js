#!/usr/bin/env node
/**
 * Engine benchmark (`npm run bench -- engine [--quick]`): in one run, side by side on this machine,
 *  1. Conv3D 16→16, 3×3×3, 48³: forward and forward+backward GFLOP/s for tfjs cpu, tfjs wasm,
 *     ONNX Runtime (forward) and the fast training path (ORT running the derived backward graph),
 *     and PyTorch (when /usr/bin/python3 has torch) as the external reference;
 *  2. end-to-end inference of the GLARE-sized residual 3D U-Net (16-32-64, global branch) on 128³
 *     and 256³ (time, peak RSS; whole volume and 144³ tiles), and one training step (batch 2 of
 *     48³ crops), each beside the same architecture and weights in PyTorch.
 * Every measurement runs in its own child process so that peak RSS belongs to that case alone.
 * Writes bench/results/engine.json (top-level `ratios`: PyTorch time / ours, above 1 = faster)
 * and bench/results/engine.md. Installs nothing.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const { Buffer } = require('node:buffer');

const DIST = path.join(__dirname, '..', 'kernel-lib', 'dist');
const RESULTS = path.join(__dirname, 'results');
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = path.join(__dirname, 'engine_torch.py');
const S = 48;
const C = 16;
const CONV_FLOPS = 2 * C * C * 27 * S ** 3;

function lib(p) {
  return require(path.join(DIST, p));
}

/** The GLARE-intended network: 3 levels 16-32-64, residual blocks, global branch with FiLM. */
function glareNet() {
  return lib('nn/resunet').buildResUNet3d({ widths: [16, 32, 64], globalBranch: true, residualOutput: true, name: 'glare_resunet' });
}

function randn(n, seed) {
  const rng = lib('core/rng').createRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function peakRssMiB() {
  return process.resourceUsage().maxRSS / 1024;
}

// ---------------------------------------------------------------- child cases
async function caseConvTfjs(backend) {
  const tf = require('@tensorflow/tfjs-core');
  const { initBackend } = lib('engine/backend');
  const { registerTfjsGradients } = lib('engine/tfjs-gradients');
  await initBackend(backend);
  registerTfjsGradients();
  const x = tf.tensor(randn(S ** 3 * C, 1), [1, S, S, S, C]);
  const w = tf.tensor(randn(27 * C * C, 2).map((v) => 0.1 * v), [3, 3, 3, C, C]);
  const r = tf.tensor(randn(S ** 3 * C, 3), [1, S, S, S, C]);
  const time = (fn, reps) => {
    tf.tidy(() => fn().forEach((t) => t.dataSync()));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) tf.tidy(() => fn().forEach((t) => t.dataSync()));
    return (performance.now() - t0) / reps / 1000;
  };
  const out = { backend: tf.getBackend() };
  const fwd = time(() => [tf.conv3d(x, w, 1, 'same')], 1);
  out.forwardGflops = CONV_FLOPS / fwd / 1e9;
  try {
    const g = tf.grads((a, b) => tf.sum(tf.mul(tf.conv3d(a, b, 1, 'same'), r)));
    const fb = time(() => g([x, w]), 1);
    out.forwardBackwardGflops = (3 * CONV_FLOPS) / fb / 1e9;
  } catch (e) {
    out.forwardBackwardError = String(e.message).split('\n')[0];
  }
  return out;
}

async function caseConvOrt() {
  const ort = require('onnxruntime-node');
  const { OnnxGraph } = lib('engine/onnx-graph');
  const { differentiate } = lib('nn/onnx-grad');
  const { ortSessionOptions } = lib('engine/ort');
  const run = async (g, feeds, reps) => {
    const s = await ort.InferenceSession.create(Buffer.from(g.toBytes()), ortSessionOptions(['cpu'], 2));
    await s.run(feeds);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await s.run(feeds);
    return (performance.now() - t0) / reps / 1000;
  };
  const X = new ort.Tensor('float32', randn(C * S ** 3, 1), [1, C, S, S, S]);
  const W = new ort.Tensor('float32', randn(C * C * 27, 2).map((v) => 0.1 * v), [C, C, 3, 3, 3]);
  const R = new ort.Tensor('float32', randn(C * S ** 3, 3), [1, C, S, S, S]);
  let g = new OnnxGraph();
  g.output(g.conv(g.input('x', [1, C, S, S, S]), g.input('w', [C, C, 3, 3, 3]), undefined, { strides: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1] }));
  const fwd = await run(g, { x: X, w: W }, 5);
  // fast training path: forward + derived backward (input and weight gradients) in one ORT graph
  g = new OnnxGraph();
  const x = g.input('x', [1, C, S, S, S]);
  const w = g.input('w', [C, C, 3, 3, 3]);
  const r = g.input('r', [1, C, S, S, S]);
  const y = g.conv(x, w, undefined, { strides: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1] });
  const loss = g.reduceSum(g.mul(y, r), [0, 1, 2, 3, 4], false);
  const grads = differentiate(g, loss, [x, w]);
  g.output(grads[x]);
  g.output(grads[w]);
  const fb = await run(g, { x: X, w: W, r: R }, 3);
  return { forwardGflops: CONV_FLOPS / fwd / 1e9, forwardBackwardGflops: (3 * CONV_FLOPS) / fb / 1e9 };
}

async function caseInferOrt(size, gsize, reps, tile) {
  const { initWeights } = lib('nn/init');
  const { OrtNetwork } = lib('nn/ort-exec');
  const net = glareNet();
  const weights = initWeights(net, 1, 0.5);
  const vol = randn(size ** 3, 4);
  const glob = { data: randn(gsize ** 3, 5), shape: [1, gsize, gsize, gsize, 1] };
  let seconds;
  if (!tile) {
    const m = await OrtNetwork.create(net, weights, { volume: [1, size, size, size, 1], global: glob.shape }, { provider: 'cpu' });
    const once = async () => m.run({ volume: { data: vol, shape: [1, size, size, size, 1] }, global: glob });
    for (let i = 1; i < reps; i++) await once();
    const t0 = performance.now();
    await once();
    seconds = (performance.now() - t0) / 1000;
  } else {
    const { runTiled } = lib('nn/tiled');
    const m = await OrtNetwork.create(net, weights, { volume: [1, tile, tile, tile, 1], global: glob.shape }, { provider: 'cpu' });
    const runner = async (t) => (await m.run({ volume: { data: t, shape: [1, tile, tile, tile, 1] }, global: glob }))[net.outputs[0]].data;
    const t0 = performance.now();
    await runTiled(vol, [size, size, size], runner, { tileSize: tile, overlapVoxels: 16 });
    seconds = (performance.now() - t0) / 1000;
  }
  return { seconds, peakRssMiB: peakRssMiB() };
}

async function caseTrainOrt(batch, size, gsize, steps) {
  const { initWeights } = lib('nn/init');
  const { OrtTrainer } = lib('nn/train');
  const net = glareNet();
  const t = await OrtTrainer.create(net, initWeights(net, 1, 0.5), { volume: [batch, size, size, size, 1], global: [batch, gsize, gsize, gsize, 1] }, { provider: 'cpu' });
  const inputs = { volume: { data: randn(batch * size ** 3, 6), shape: [batch, size, size, size, 1] }, global: { data: randn(batch * gsize ** 3, 7), shape: [batch, gsize, gsize, gsize, 1] } };
  const target = { [net.outputs[0]]: randn(batch * size ** 3, 8) };
  const times = [];
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    await t.step(inputs, target);
    if (s > 0) times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { secondsPerStep: times[Math.floor(times.length / 2)], steps, peakRssMiB: peakRssMiB() };
}

async function caseTrainTfjs(batch, size, gsize) {
  const { initWeights } = lib('nn/init');
  const { TfjsTrainer } = lib('nn/train');
  await lib('engine/backend').initBackend('cpu');
  const net = glareNet();
  const t = new TfjsTrainer(net, initWeights(net, 1, 0.5));
  const inputs = { volume: { data: randn(batch * size ** 3, 6), shape: [batch, size, size, size, 1] }, global: { data: randn(batch * gsize ** 3, 7), shape: [batch, gsize, gsize, gsize, 1] } };
  const target = { [net.outputs[0]]: randn(batch * size ** 3, 8) };
  const t0 = performance.now();
  await t.step(inputs, target);
  return { secondsPerStep: (performance.now() - t0) / 1000 };
}

/** Writes the GLARE net + weights in tfjs format for the PyTorch peer, and checks both give the same output. */
async function caseTorchParity(dir) {
  const { initWeights } = lib('nn/init');
  const { saveTfjsWeights } = lib('nn/weights-io');
  const { OrtNetwork } = lib('nn/ort-exec');
  const net = glareNet();
  const weights = initWeights(net, 1, 0.5);
  await saveTfjsWeights(dir, net, weights);
  const n = 32;
  const gs = 16;
  const v = randn(n ** 3, 9);
  const gl = randn(gs ** 3, 10);
  const m = await OrtNetwork.create(net, weights, { volume: [1, n, n, n, 1], global: [1, gs, gs, gs, 1] }, { provider: 'cpu' });
  const ours = (await m.run({ volume: { data: v, shape: [1, n, n, n, 1] }, global: { data: gl, shape: [1, gs, gs, gs, 1] } }))[net.outputs[0]].data;
  const inFile = path.join(dir, 'in.bin');
  const outFile = path.join(dir, 'out.bin');
  const both = new Float32Array(v.length + gl.length);
  both.set(v);
  both.set(gl, v.length);
  fs.writeFileSync(inFile, Buffer.from(both.buffer));
  const res = spawnSync(PYTHON, [TORCH_SCRIPT, 'parity', dir, inFile, outFile, `1,${n},${n},${n},1`, `1,${gs},${gs},${gs},1`], { encoding: 'utf8' });
  if (res.status !== 0) return { error: res.stderr.split('\n').slice(-3).join(' ') };
  const theirs = new Float32Array(fs.readFileSync(outFile).buffer.slice(0));
  let num = 0;
  let den = 0;
  for (let i = 0; i < ours.length; i++) {
    num = Math.max(num, Math.abs(ours[i] - theirs[i]));
    den = Math.max(den, Math.abs(theirs[i]));
  }
  return { relErr: num / den, voxels: ours.length };
}

async function runCase(args) {
  const [name, ...a] = args;
  const num = a.map(Number);
  const cases = {
    'conv-tfjs': () => caseConvTfjs(a[0]),
    'conv-ort': () => caseConvOrt(),
    'infer-ort': () => caseInferOrt(num[0], num[1], num[2], num[3] || 0),
    'train-ort': () => caseTrainOrt(num[0], num[1], num[2], num[3]),
    'train-tfjs': () => caseTrainTfjs(num[0], num[1], num[2]),
    'torch-parity': () => caseTorchParity(a[0]),
  };
  const res = await cases[name]();
  process.stdout.write(`\n@@RESULT ${JSON.stringify(res)}\n`);
}

// ---------------------------------------------------------------- parent
function child(args, label) {
  process.stderr.write(`  ${label} ...`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=16384', path.join(__dirname, 'engine.js'), '--case', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /@@RESULT (.*)/.exec(r.stdout || '');
  process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  if (!m) {
    const why = r.signal === 'SIGKILL' ? 'killed (SIGKILL: out of memory)' : `exit ${r.status} ${r.signal || ''}`;
    return { error: `${why}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}` };
  }
  return JSON.parse(m[1]);
}

function torchAvailable() {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function torch(args, label) {
  process.stderr.write(`  torch ${label} ...`);
  const t0 = Date.now();
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  if (r.status !== 0) {
    const why = r.signal === 'SIGKILL' ? 'killed (SIGKILL: out of memory)' : `exit ${r.status} ${r.signal || ''}`;
    return { error: `${why} ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`.trim() };
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const fmt = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—');

async function main(args = []) {
  if (args[0] === '--case') return runCase(args.slice(1));
  const quick = args.includes('--quick');
  const results = { machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: os.totalmem() / 2 ** 30, node: process.version }, date: new Date().toISOString() };
  const torchVersion = torchAvailable();
  results.torch = torchVersion
    ? { version: torchVersion, python: PYTHON, threads: 2 }
    : { missing: true, howToGet: 'apt-get update && apt-get install -y python3-torch   (Debian; the benchmark itself installs nothing)' };
  if (!torchVersion) console.error(`PyTorch peer not found in ${PYTHON}: ${results.torch.howToGet}. Running the rest.`);

  console.error('Conv3D 16→16, 3³, 48³:');
  results.conv = {
    flopsPerForward: CONV_FLOPS,
    tfjsCpu: child(['conv-tfjs', 'cpu'], 'tfjs cpu'),
    tfjsWasm: child(['conv-tfjs', 'wasm'], 'tfjs wasm'),
    ort: child(['conv-ort'], 'ORT forward / fast path (ORT forward+backward graph)'),
    torch: torchVersion ? torch(['conv'], 'conv') : null,
  };

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pann-bench-'));
  console.error('GLARE-sized ResUNet (16-32-64, global branch):');
  results.network = { architecture: 'buildResUNet3d({ widths: [16, 32, 64], globalBranch: true, residualOutput: true })' };
  if (torchVersion) results.network.torchParity = child(['torch-parity', tmp], 'same weights in PyTorch: output parity');
  const sizes = quick ? [64] : [128, 256];
  const G = 64;
  // 144³ tiles with 16 voxels of overlap cover 256³ with 2 tiles per axis (1.4× the voxels)
  const TILE = 144;
  results.inference = {};
  for (const n of sizes) {
    const reps = n <= 128 ? 2 : 1;
    results.inference[n] = {
      ortWhole: child(['infer-ort', n, G, reps], `ORT ${n}³ whole volume`),
      ortTiled: n > 128 ? child(['infer-ort', n, G, 1, TILE], `ORT ${n}³ in ${TILE}³ tiles (overlap 16)`) : undefined,
      // the same warm-up as ours: `reps` runs in one process, the last one timed
      torch: torchVersion ? torch(['infer', tmp, String(n), String(G), String(reps)], `${n}³`) : null,
    };
  }
  const B = 2;
  const P = quick ? 32 : 48;
  const GP = 32;
  results.train = {
    setup: `batch ${B} of ${P}³ crops + ${GP}³ global input, MSE, Adam`,
    ort: child(['train-ort', B, P, GP, quick ? 2 : 4], 'ORT training graph step'),
    tfjsCpu: quick ? undefined : child(['train-tfjs', B, P, GP], 'tfjs cpu step (reference)'),
    torch: torchVersion ? torch(['train', tmp, String(B), String(P), String(GP), quick ? '2' : '4'], 'train step') : null,
  };
  fs.rmSync(tmp, { recursive: true, force: true });

  const ratio = (theirs, ours) => (theirs && ours && Number.isFinite(theirs) && Number.isFinite(ours) ? theirs / ours : null);
  const inf128 = results.inference[sizes[0]];
  results.ratios = {
    inferenceVsTorch: ratio(inf128.torch?.seconds, inf128.ortWhole?.seconds),
    inferenceVsTorchBySize: Object.fromEntries(sizes.map((n) => [n, ratio(results.inference[n].torch?.seconds, results.inference[n].ortWhole?.seconds)])),
    trainStepVsTorch: ratio(results.train.torch?.secondsPerStep, results.train.ort?.secondsPerStep),
    convForwardVsTorch: ratio(results.conv.ort?.forwardGflops, results.conv.torch?.forwardGflops),
    convForwardBackwardVsTorch: ratio(results.conv.ort?.forwardBackwardGflops, results.conv.torch?.forwardBackwardGflops),
    note: 'PyTorch time / ours (for GFLOP/s: ours / PyTorch): above 1 means we are faster. null when PyTorch is absent.',
  };
  results.targets = { inferenceVsTorch: 1.0, trainStepVsTorch: 0.5 };

  fs.mkdirSync(RESULTS, { recursive: true });
  // --quick (a smoke run) must not overwrite the real results
  const stem = quick ? 'engine.quick' : 'engine';
  fs.writeFileSync(path.join(RESULTS, `${stem}.json`), JSON.stringify(results, null, 2));
  const c = results.conv;
  const md = [
    '# Engine benchmark',
    '',
    `${results.date}, ${results.machine.cpus} cores (${results.machine.cpuModel}), Node ${results.machine.node}; PyTorch: ${torchVersion ? `${torchVersion}, 2 threads` : `absent — ${results.torch.howToGet}`}. ORT: onnxruntime-node CPU, 2 intra-op threads.`,
    '',
    '## Conv3D 16→16, 3×3×3, 48³ (GFLOP/s; forward+backward counts 3× the forward FLOPs: output, input and weight gradients)',
    '',
    '| engine | forward | forward+backward |',
    '| --- | --- | --- |',
    `| tfjs cpu | ${fmt(c.tfjsCpu.forwardGflops)} | ${fmt(c.tfjsCpu.forwardBackwardGflops)} |`,
    `| tfjs wasm | ${fmt(c.tfjsWasm.forwardGflops)} | ${fmt(c.tfjsWasm.forwardBackwardGflops)}${c.tfjsWasm.forwardBackwardError ? ` (${c.tfjsWasm.forwardBackwardError})` : ''} |`,
    `| ORT (inference path) / fast path (ORT forward+backward graph) | ${fmt(c.ort.forwardGflops)} | ${fmt(c.ort.forwardBackwardGflops)} |`,
    `| PyTorch (reference) | ${fmt(c.torch?.forwardGflops)} | ${fmt(c.torch?.forwardBackwardGflops)} |`,
    '',
    `## GLARE-sized ResUNet (${results.network.architecture})`,
    '',
    results.network.torchParity ? `Same architecture and weights in PyTorch: max |ours − torch| / max |torch| = ${results.network.torchParity.relErr?.toExponential(2) ?? results.network.torchParity.error}.` : '',
    '',
    '| case | ours (s) | ours peak RSS (MiB) | PyTorch (s) | PyTorch peak RSS (MiB) | PyTorch / ours |',
    '| --- | --- | --- | --- | --- | --- |',
    ...sizes.flatMap((n) => {
      const r = results.inference[n];
      const torchCell = r.torch?.error ? `failed: ${r.torch.error}` : fmt(r.torch?.seconds);
      const rows = [`| inference ${n}³ (ORT, whole volume, global ${G}³) | ${fmt(r.ortWhole.seconds)} | ${fmt(r.ortWhole.peakRssMiB, 0)} | ${torchCell} | ${fmt(r.torch?.peakRssMiB, 0)} | ${fmt(ratio(r.torch?.seconds, r.ortWhole.seconds))} |`];
      if (r.ortTiled) rows.push(`| inference ${n}³ (ORT, ${TILE}³ tiles, overlap 16, runTiled) | ${fmt(r.ortTiled.seconds)} | ${fmt(r.ortTiled.peakRssMiB, 0)} | | | |`);
      return rows;
    }),
    `| training step, ${results.train.setup} (ORT training graph) | ${fmt(results.train.ort.secondsPerStep)} | ${fmt(results.train.ort.peakRssMiB, 0)} | ${fmt(results.train.torch?.secondsPerStep)} | ${fmt(results.train.torch?.peakRssMiB, 0)} | ${fmt(results.ratios.trainStepVsTorch)} |`,
    results.train.tfjsCpu ? `| training step, same, tfjs cpu (reference autodiff) | ${fmt(results.train.tfjsCpu.secondsPerStep)} | | | | ${fmt(ratio(results.train.torch?.secondsPerStep, results.train.tfjsCpu.secondsPerStep))} |` : '',
    '',
    '## Ratios (PyTorch time / ours; above 1 = faster)',
    '',
    '| ratio | value | target |',
    '| --- | --- | --- |',
    `| inferenceVsTorch (${sizes[0]}³) | ${fmt(results.ratios.inferenceVsTorch)} | ≥ 1.0 |`,
    `| trainStepVsTorch | ${fmt(results.ratios.trainStepVsTorch)} | ≥ 0.5 |`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(RESULTS, `${stem}.md`), md);
  console.log(md);
  return results;
}

module.exports = { main };
if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  });
}

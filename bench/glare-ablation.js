/**
 * `npm run bench -- glare-ablation`: the physics-term ablation of GLARE, read from training logs (the logs
 * are the measurement; making them takes ~15 min each):
 *   pann train glare --steps 600 --physics-projection 0 --physics-positivity 0 --no-resume --log bench/results/glare-ablation/no-physics.log
 *   pann train glare --steps 600 --physics-projection 1 --no-resume --log bench/results/glare-ablation/physics-x10.log
 * (each with PANN_MODELS_DIR pointing at a scratch folder), beside the shipped run's first 600 steps
 * (models/glare/training.log: GLARE with the default λ = 0.1, and the plain U-Net). Same seed, so the same
 * data stream. Writes bench/results/glare-ablation.md.
 */
const fs = require('node:fs');
const path = require('node:path');

const R = path.join(__dirname, 'results');
const RE = /(glare|unet) step (\d+): validation MSE ([\d.e+-]+), re-projection residual ([\d.]+)/;

/** Validation points {step → {mse, residual}} of one net in a log, up to `maxStep`. */
function curve(file, net, maxStep = 600) {
  const out = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = RE.exec(line);
    if (m && m[1] === net && Number(m[2]) <= maxStep && !out.has(Number(m[2]))) out.set(Number(m[2]), { mse: Number(m[3]), residual: Number(m[4]) });
  }
  return out;
}

const row = (label, c, steps) => `| ${label} | ${steps.map((s) => (c.has(s) ? `${c.get(s).mse.toExponential(3)} / ${c.get(s).residual.toFixed(3)}` : '—')).join(' | ')} |`;

/** One markdown section: title, a sentence, and a table of runs × steps. */
function section(title, intro, steps, runs) {
  return [`# ${title}`, '', intro, '', `| run | ${steps.map((s) => `step ${s}`).join(' | ')} |`, `| --- | ${steps.map(() => '---').join(' | ')} |`, ...runs.map(([label, c]) => row(label, c, steps)), ''];
}

/**
 * The global-branch start (session 3): the first GLARE (He-initialised FiLM heads, models/glare/training.log),
 * the GLARE that shipped at 2,000 steps (acquisition input, zero-started heads, models/glare/training-v2.log)
 * and the U-Net, same stream and schedule to 2,000 steps; then both continued, still on one stream, to
 * 2,600 steps (lr 3e-4) and 4,000 steps (lr 3e-4, ×0.3 from step 2,800), shipped in session 5; then
 * to 5,000 steps with the light-atom weight 4 and the contrast-corrected physics term (p = 2), shipped in
 * session 6: models/glare/training-cont.log. Beside it the same 4,000 → 5,000 continuation without the
 * light-atom weight (bench/results/glare-ablation/contrast-only-5000.log).
 */
function globalBranchTable() {
  const models = path.join(__dirname, '..', 'models', 'glare');
  const cont = path.join(models, 'training-cont.log');
  const steps = [300, 600, 1000, 1400, 2000, 2600, 3000, 3300, 3800, 4000, 4300, 4600, 5000];
  const contrastOnly = path.join(R, 'glare-ablation', 'contrast-only-5000.log');
  const runs = [
    ['first GLARE (He-initialised FiLM heads)', curve(path.join(models, 'training.log'), 'glare', 2000)],
    ['GLARE (acquisition, zero-started heads; light-atom weight 4 and p = 2 after 4,000)', new Map([...curve(path.join(models, 'training-v2.log'), 'glare', 2000), ...curve(cont, 'glare', 5000)])],
    ['plain U-Net (light-atom weight 4 after 4,000)', new Map([...curve(path.join(models, 'training.log'), 'unet', 2000), ...curve(cont, 'unet', 5000)])],
    ['GLARE, 4,000 → 5,000 with p = 2 only', curve(contrastOnly, 'glare', 5000)],
    ['plain U-Net, 4,000 → 5,000 plain MSE', curve(contrastOnly, 'unet', 5000)],
  ];
  return section(
    'GLARE global-branch start and continuation (validation on 3 fixed pairs, to 5,000 steps)',
    'Same seed, data stream and learning-rate schedule for every run (logs named in bench/glare-ablation.js); the shipped weights are GLARE and the U-Net at step 5,000 (light-atom weight 4 from step 4,000; GLARE also with the contrast-corrected consistency term, p = 2). Cells: validation MSE (plain, unweighted) / relative re-projection residual — after step 4,000 the residual is measured with p = 2 (max(V, 0)² projected), before with p = 1, so the two are not comparable. The validation set is 3 pairs, so single points are noisy (note the step-500 bumps); bench/results/glare-flips.md compares weights by tracing on 8 validation particles.',
    steps,
    runs,
  );
}

exports.main = async function main() {
  const runs = [
    ['GLARE, λ_proj 0.1 (first GLARE run)', curve(path.join(__dirname, '..', 'models', 'glare', 'training.log'), 'glare')],
    ['GLARE, no physics terms', curve(path.join(R, 'glare-ablation', 'no-physics.log'), 'glare')],
    ['GLARE, λ_proj 1', curve(path.join(R, 'glare-ablation', 'physics-x10.log'), 'glare')],
    ['plain U-Net (shipped, same run)', curve(path.join(__dirname, '..', 'models', 'glare', 'training.log'), 'unet')],
  ];
  const steps = [100, 200, 300, 400, 500, 600];
  const md = [
    ...section(
      'GLARE physics-term ablation (validation on 3 fixed pairs, first 600 steps)',
      'Made by `npm run bench -- glare-ablation` from the training logs named in bench/glare-ablation.js. Cells: validation MSE / relative re-projection residual.',
      steps,
      runs,
    ),
    ...globalBranchTable(),
  ].join('\n');
  fs.writeFileSync(path.join(R, 'glare-ablation.md'), md);
  console.log(md);
};

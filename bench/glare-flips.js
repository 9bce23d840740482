/**
 * `npm run bench -- glare-flips [--particles n]`: does the test-time flip ensemble
 * (`refineVolume(…, { flipEnsemble: true })`: the network run on the 8 mirror images of the volume,
 * outputs mapped back and averaged) trace better than one pass? Measured on the VALIDATION split
 * (never the test split the glare bench reports), so that choosing the default does not tune on the
 * test split. For each particle (seeds past the 3 that training monitors) at 1e6, 1e5, 1e4 and 3e3
 * e⁻/Å²: raw, U-Net and GLARE, each net with and without the ensemble, traced with the pipeline's
 * rule, matched within 1 Å. Writes bench/results/glare-flips.json and .md. PANN_MODELS_DIR picks other weights.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { req, pct, fmt, numberArg, loadNets, traceAdaptive } = require('./_refine-bench');
const refine = req('refine');

const { evaluate } = req('metrics');

const RESULTS = path.join(__dirname, 'results');
const DOSES = [1e6, 1e5, 1e4, 3e3];
const NETS = ['unet', 'glare'];
const METHODS = ['raw', 'unet', 'unet+flips', 'glare', 'glare+flips'];
// validation seeds past the 3 that training monitors (the same particles as glare-threshold)
const FIRST_SEED = refine.VALIDATION_SEED_BASE + 10;


async function traceAndScore(volume, truth) {
  const m = evaluate(await traceAdaptive(volume), truth);
  return { recovery: m.recoveryRate, falsePositive: m.falsePositiveRate, rmsePm: m.rmsePm };
}

exports.main = async function main(args) {
  const nParticles = numberArg(args, '--particles', 8);
  const models = await loadNets(refine, NETS);
  const rows = [];
  const seconds = Object.fromEntries(METHODS.map((m) => [m, 0]));
  for (let p = 0; p < nParticles; p++) {
    for (const dose of DOSES) {
      const spec = refine.sampleSpec(FIRST_SEED + p, { totalDoseEPerA2: dose });
      const pair = await refine.makePair(spec);
      const results = { raw: await traceAndScore(pair.reconstruction, pair.truth) };
      for (const method of METHODS.slice(1)) {
        const [net, flips] = method.split('+');
        const t0 = performance.now();
        const vol = await refine.refineVolume(pair.reconstruction, { method: net, model: models[net], tiltsForPhysics: pair.tilts, flipEnsemble: flips === 'flips' });
        seconds[method] += (performance.now() - t0) / 1000;
        results[method] = await traceAndScore(vol, pair.truth);
      }
      const species = [...new Set(pair.truth.species)].join('');
      rows.push({ seed: spec.seed, morphology: spec.morphology, species, totalDose: dose, results });
      console.error(`${spec.morphology} ${species} ${dose.toExponential(0)}: ` + METHODS.map((m) => `${m} ${pct(results[m].recovery)}/${pct(results[m].falsePositive)}/${fmt(results[m].rmsePm)}`).join(', '));
    }
  }
  const agg = {};
  for (const method of METHODS)
    for (const dose of DOSES) {
      const rs = rows.filter((r) => r.totalDose === dose).map((r) => r.results[method]);
      const mean = (k) => rs.reduce((s, r) => s + r[k], 0) / rs.length;
      const rm = rs.map((r) => r.rmsePm).filter(Number.isFinite);
      agg[`${method}|${dose}`] = { recovery: mean('recovery'), falsePositive: mean('falsePositive'), rmsePm: Math.sqrt(rm.reduce((s, x) => s + x * x, 0) / Math.max(1, rm.length)) };
    }
  // per net: on how many (particle, dose) cases the ensemble raises (recovery − false-positive rate)
  const wins = Object.fromEntries(
    NETS.map((net) => {
      const d = rows.map((r) => r.results[`${net}+flips`].recovery - r.results[`${net}+flips`].falsePositive - (r.results[net].recovery - r.results[net].falsePositive));
      return [net, { better: d.filter((x) => x > 1e-9).length, worse: d.filter((x) => x < -1e-9).length, cases: d.length, meanGain: d.reduce((s, x) => s + x, 0) / d.length }];
    }),
  );
  const machine = { cpus: os.cpus().length, node: process.version, date: new Date().toISOString(), loadAvg: os.loadavg()[0] };
  const info = Object.fromEntries(NETS.map((n) => [n, { steps: models[n].info.trainedSteps, arch: models[n].arch }]));
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'glare-flips.json'), JSON.stringify({ machine, models: info, doses: DOSES, aggregate: agg, wins, refineSeconds: seconds, rows }, null, 1) + '\n');
  const head = ['method', ...DOSES.map((d) => `${d.toExponential(0)} rec. % / FP % / RMSE pm`), 'refine s (all cases)'];
  const md = [
    '# Test-time flip ensemble (validation split)',
    '',
    `${nParticles} particles of the validation split (seeds ${FIRST_SEED}…${FIRST_SEED + nParticles - 1}, drawn like the training data; never the test split), each at ${DOSES.map((d) => d.toExponential(0)).join(', ')} e⁻/Å², refined by ${NETS.map((n) => `${n} (${info[n].steps} steps)`).join(' and ')} with the series' tilt angles, in one pass or as the mean over the 8 mirror images (+flips), traced with the pipeline's rule. Means over particles; RMSE pooled. Made by \`npm run bench -- glare-flips${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, k) => (k === 0 ? '---' : '---:')).join(' | ')} |`,
    ...METHODS.map((m) => `| ${m} | ${DOSES.map((d) => { const a = agg[`${m}|${d}`]; return `${pct(a.recovery)} / ${pct(a.falsePositive)} / ${fmt(a.rmsePm)}`; }).join(' | ')} | ${fmt(seconds[m], 0)} |`),
    '',
    '## Per case: does the ensemble raise (recovery − false-positive rate)?',
    '',
    '| network | better | worse | cases | mean gain (points) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...NETS.map((n) => `| ${n} | ${wins[n].better} | ${wins[n].worse} | ${wins[n].cases} | ${(100 * wins[n].meanGain).toFixed(2)} |`),
    '',
  ];
  fs.writeFileSync(path.join(RESULTS, 'glare-flips.md'), md.join('\n'));
  console.error(md.join('\n'));
};

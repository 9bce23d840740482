/**
 * `npm run bench -- neighbour-prior [--split validation|test] [--cases 64] [--report-only]`: what the fit's
 * neighbour prior (`fitAtomsToTilts`' and `runPipeline`'s `neighbourPrior`, the default since it was chosen
 * here) does, against the fit without it (`neighbourPrior: false`).
 *   - validation (default; seeds 1000000+, drawn like the training data, where its settings were chosen):
 *     each particle's GLARE-traced atoms (the adaptive cut) fitted to its tilt series without and with the
 *     prior, then cut for support as the pipeline does; scores by dose band and per particle, heaviest
 *     species and lighter ones apart, with the prior's width (or "off": the particle did not qualify).
 *   - test (seeds 2000000+): the whole default pipeline (GLARE → fit → realign auto → support cut →
 *     k-means) without and with the prior, per dose, and issue #4's goal lines for both against the raw
 *     reconstruction traced at ten times the dose (measured in the same run, as realign.js does).
 * Writes bench/results/neighbour-prior-<split>.{json,md}; `--report-only` re-renders the markdown from the JSON.
 */
const { req, readResults, pct, fmt, loadNets, machineInfo, writeResults, mean, rms, numberArg, methodVolume, pairWithDoseLimits, positionScore, traceAdaptive, heaviestSpeciesMask, fitAndCut, VALIDATION_DOSE_BANDS: BANDS } = require('./_refine-bench');
const { score, errorPmByTruth, truthKey, rawCase, goals, pairedTable } = require('./realign');

const refine = req('refine');
const sim = req('sim');
const { DEFAULT_NEIGHBOUR_PRIOR_MAX_A } = req('trace');
const { runPipeline } = req('pipeline/run');
const { sortByZ } = req('core/elements');

// keys kept from when the prior was opt-in: 'default' is the fit without it (neighbourPrior: false)
const SETTINGS = [
  ['default', false],
  ['prior', true],
];
const LABEL = { default: 'the pipeline without the prior (--no-neighbour-prior)', prior: 'the default pipeline (with the neighbour prior)' };
const width = (a) => (Number.isFinite(a) ? `${fmt(100 * a)} pm` : 'off');

exports.main = async function main(args) {
  const i = args.indexOf('--split');
  const split = i >= 0 ? args[i + 1] : 'validation';
  if (split !== 'validation' && split !== 'test') throw new Error(`--split must be 'validation' or 'test', got '${split}'`);
  if (args.includes('--report-only')) {
    const saved = readResults(`neighbour-prior-${split}`);
    return split === 'validation' ? reportValidation(saved) : reportTest(saved);
  }
  if (split === 'validation') await validation(args);
  else await test(args);
};

async function validation(args) {
  const nets = await loadNets(refine, ['glare']);
  const rows = [];
  for (const spec of refine.validationSpecs(numberArg(args, '--cases', 64))) {
    const { pair, limits } = await pairWithDoseLimits(spec);
    const { truth } = pair;
    const traced = await traceAdaptive(await methodVolume(pair, 'glare', nets));
    const species = [...new Set(truth.species)];
    const heavy = heaviestSpeciesMask(truth);
    const row = { seed: spec.seed, morphology: spec.morphology, species: species.join(''), noise: spec.simulate.acquisition.noiseModel, dose: spec.simulate.totalDoseEPerA2, atoms: truth.species.length };
    for (const [name, on] of SETTINGS) {
      const t0 = performance.now();
      const { fit, kept } = await fitAndCut(traced, pair, species, { neighbourPrior: on });
      row[name] = { ...positionScore(kept, truth, heavy, Array.from(limits.positionBoundPm)), fitS: (performance.now() - t0) / 1000, widthA: fit.neighbourPriorA };
    }
    rows.push(row);
    console.error(`${row.seed} ${row.morphology} ${row.species} ${row.dose.toExponential(1)}: ${fmt(row.default.rmsePm)} → ${fmt(row.prior.rmsePm)} pm (prior ${width(row.prior.widthA)})`);
  }
  reportValidation({ machine: machineInfo(), args, glareSteps: nets.glare.info.trainedSteps, rows });
}

/** Better / worse: recovery − false positives higher / lower, or equal and RMSE lower / higher by > 0.3 pm. */
function verdicts(rs) {
  const merit = (x) => x.recovery - x.falsePositive;
  const cmp = (r) => {
    const d = merit(r.prior) - merit(r.default);
    if (Math.abs(d) > 1e-9) return Math.sign(d);
    const e = r.prior.rmsePm - r.default.rmsePm;
    return Math.abs(e) > 0.3 ? -Math.sign(e) : 0;
  };
  const c = rs.map(cmp);
  return `${c.filter((x) => x > 0).length} / ${c.filter((x) => x < 0).length}`;
}

function reportValidation({ machine, args, glareSteps, rows }) {
  const line = (band, rs, name) => {
    const s = rs.map((r) => r[name]);
    const m = (k) => mean(s.map((x) => x[k]));
    const r2 = (k) => fmt(rms(s.map((x) => x[k])));
    const acted = name === 'prior' ? `${rs.filter((r) => Number.isFinite(r.prior.widthA)).length}` : '—';
    return `| ${band} | ${rs.length} | ${name === 'prior' ? 'with the neighbour prior (the default)' : 'without it'} | ${acted} | ${pct(m('recovery'))} | ${pct(m('falsePositive'))} | ${r2('rmsePm')} | ${r2('heavyRmsePm')} | ${r2('lightRmsePm')} | ${r2('boundPm')} | ${name === 'prior' ? verdicts(rs) : '—'} | ${fmt(m('fitS'))} |`;
  };
  const table = BANDS.flatMap(([band, inBand]) => {
    const rs = rows.filter((r) => inBand(r.dose));
    return rs.length ? SETTINGS.map(([name]) => line(band, rs, name)) : [];
  });
  const cell = (x) => `${pct(x.recovery)} / ${pct(x.falsePositive)} / ${fmt(x.rmsePm)} (${fmt(x.heavyRmsePm)} / ${fmt(x.lightRmsePm)})`;
  const md = [
    '# The fit\'s neighbour prior (validation split)',
    '',
    `Each particle (the first ${rows.length} of the validation split, seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data): GLARE (${glareSteps} steps, given the tilt angles) → the adaptive cut → \`fitAtomsToTilts\` (defaults) → \`keepSupportedAtoms\`, as \`runPipeline\` does, without and with \`neighbourPrior\` (the prior is the default since this table chose it). With it, from half-way through the fit each atom is also pulled toward the midpoints of its opposite nearest-neighbour pairs (kernel-lib/src/trace/centrosymmetric-prior.ts), with a width equal to the brighter atoms' RMS scatter about those midpoints — and only when that scatter is at most ${100 * DEFAULT_NEIGHBOUR_PRIOR_MAX_A} pm per axis ("acted": how many particles qualified); the pixel weights are then re-estimated from the settled model. Matched within 1 Å; recovery and false positives are means over particles, RMSE the RMS over particles of each particle's RMSE ("heaviest": the particle's heaviest species, "lighter": the others); bound = the Cramér–Rao bound (\`doseLimits\`) over the same matched true atoms; "better / worse": recovery − false positives higher / lower, or equal and RMSE lower / higher by more than 0.3 pm. Bands by total dose e⁻/Å². Made by \`npm run bench -- neighbour-prior${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| dose | n | fit | acted | recovery % | false pos. % | RMSE pm | heaviest pm | lighter pm | bound pm | better / worse | fit s |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table,
    '',
    '## Per particle (recovery % / false pos. % / RMSE pm (heaviest / lighter))',
    '',
    '| seed | morphology | species | noise | dose | atoms | without the prior | with the neighbour prior (the default) | prior width |',
    '| ---: | --- | --- | --- | ---: | ---: | --- | --- | ---: |',
    ...rows.map((r) => `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${cell(r.default)} | ${cell(r.prior)} | ${width(r.prior.widthA)} |`),
    '',
  ].join('\n');
  writeResults('neighbour-prior-validation', { machine, args, glareSteps, rows }, md);
}

async function test(args) {
  const rows = [];
  for (const spec of refine.testSpecs().slice(0, numberArg(args, '--cases', Infinity))) {
    const s = await sim.simulate(spec.simulate);
    const species = sortByZ([...new Set(s.truth.species)]);
    const row = { seed: spec.seed, morphology: spec.morphology, species: species.join(''), noise: spec.simulate.acquisition.noiseModel, dose: spec.simulate.totalDoseEPerA2, atoms: s.truth.species.length, truthKey: truthKey(s.truth) };
    for (const [name, on] of SETTINGS) {
      const t0 = performance.now();
      const res = await runPipeline(s.tilts, { species, neighbourPrior: on, fillVacantSites: false }); // as measured, before the sites were the default
      row[name] = { ...score(res.atoms, s.truth), errorPmByTruth: errorPmByTruth(res.atoms, s.truth), wallS: (performance.now() - t0) / 1000, realigned: res.realignment !== null, widthA: res.positionFit?.neighbourPriorA ?? NaN };
    }
    row.raw = await rawCase(spec);
    rows.push(row);
    console.error(`${row.seed} ${row.morphology} ${row.species} ${row.dose.toExponential(0)}: ${fmt(row.default.rmsePm)} → ${fmt(row.prior.rmsePm)} pm (prior ${width(row.prior.widthA)}); raw ${fmt(row.raw.rmsePm)} pm`);
  }
  reportTest({ machine: machineInfo(), args, rows });
}

function reportTest({ machine, args, rows }) {
  const doses = [...new Set(rows.map((r) => r.dose))];
  const line = (d, rs, key) => {
    const m = (k) => mean(rs.map((r) => r[key][k]).filter(Number.isFinite));
    const acted = key === 'prior' ? `${rs.filter((r) => Number.isFinite(r.prior.widthA)).length}` : '—';
    const name = key === 'raw' ? 'raw reconstruction, traced (no network, no fit)' : key === 'prior' ? 'with the neighbour prior (default of the time)' : 'without the prior';
    return `| ${d.toExponential(0)} | ${name} | ${rs.length} | ${acted} | ${pct(m('recovery'))} | ${pct(m('falsePositive'))} | ${fmt(rms(rs.map((r) => r[key].rmsePm)))} | ${fmt(rms(rs.map((r) => r[key].rmseShiftRemovedPm)))} | ${key === 'raw' ? '—' : pct(m('speciesAccuracy'))} | ${key === 'prior' ? verdicts(rs) : '—'} | ${key === 'raw' ? '—' : fmt(m('wallS'))} |`;
  };
  const cell = (x) => `${pct(x.recovery)} / ${pct(x.falsePositive)} / ${fmt(x.rmsePm)} / ${pct(x.speciesAccuracy)}`;
  const md = [
    '# The fit\'s neighbour prior in the whole pipeline (test split)',
    '',
    `Each particle of the test split (seeds ${refine.TEST_SEED_BASE}+, one particle per morphology at every dose) simulated and run through \`runPipeline\` with its defaults of the time (GLARE → trace → fit → realign auto → support cut → k-means on the fitted brightness, species named; \`fillVacantSites: false\`, as it was then — the default pipeline's figures since are in realign-test.md), without and with \`neighbourPrior\` (the default since; see neighbour-prior-validation.md, where its settings were chosen; "acted": particles whose bright atoms sat within ${100 * DEFAULT_NEIGHBOUR_PRIOR_MAX_A} pm per axis of their neighbours' midpoints). The raw reconstruction traced (no network, no fit) is the issue's baseline, measured in the same run as in realign-test.md. Matched within 1 Å (\`evaluate\`); means over particles, RMSE pooled as in glare.md (RMS of the per-particle RMSEs); "better / worse": recovery − false positives higher / lower, or equal and RMSE lower / higher by more than 0.3 pm. Made by \`npm run bench -- neighbour-prior${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| dose e⁻/Å² | setting | n | acted | recovery % | false pos. % | RMSE pm | RMSE pm, global shift removed | species % | better / worse | pipeline s |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...doses.flatMap((d) => ['raw', 'default', 'prior'].map((k) => line(d, rows.filter((r) => r.dose === d), k))),
    '',
    '## The goals of issue #4',
    '',
    ...goals(rows, 'default', LABEL.default),
    ...goals(rows, 'prior', LABEL.prior),
    '',
    ...pairedTable(rows, 'prior').map((l) => l.replace('## Paired, per particle', '## Paired, per particle, with the neighbour prior').replace('| default at | raw at | atoms both find | default pm |', '| with prior at | raw at | atoms both find | with prior pm |')),
    '## Per particle (recovery % / false pos. % / RMSE pm / species %)',
    '',
    '| seed | morphology | species | noise | dose | atoms | without the prior | with the neighbour prior (default of the time) | prior width | raw, traced |',
    '| ---: | --- | --- | --- | ---: | ---: | --- | --- | ---: | --- |',
    ...rows.map((r) => `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${cell(r.default)} | ${cell(r.prior)} | ${width(r.prior.widthA)} | ${cell(r.raw)} |`),
    '',
  ].join('\n');
  writeResults('neighbour-prior-test', { machine, args, rows }, md, 0);
}

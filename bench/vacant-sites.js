/**
 * `npm run bench -- vacant-sites --split validation|test [--cases 32]`: does proposing the lattice sites the
 * tracing left empty (`runPipeline({ fillVacantSites: true })`: after the fit and the support cut, the
 * common midpoints of ≥ 3 pairs of opposite neighbours with nothing at them are added, fitted with the kept
 * atoms to the tilt series and cut again, faint sites dropped) recover atoms the tracing missed, at what cost in ghosts and
 * position error? Each particle goes once through the default pipeline with the option on; the same run's
 * first fit, cut and k-means (what the pipeline returns without the option) is the baseline. Means over
 * particles by dose band; RMSE the RMS over particles. Choose on the validation split (seeds 1000000+),
 * report on the test split (2000000+). Writes bench/results/vacant-sites-<split>.{json,md};
 * `--report-only` re-renders the markdown from the JSON.
 */
const { req, pct, fmt, machineInfo, writeResults, readResults, mean, rms, numberArg, evaluateScore } = require('./_refine-bench');

const refine = req('refine');
const sim = req('sim');
const { runPipeline } = req('pipeline/run');
const { keepSupportedAtoms, PROPOSED_SITE_CANDIDATE, FAINT_SITE_SIGMAS, DEFAULT_SUPPORT_FRACTION } = req('trace');
const { classifyKMeans } = req('classify');
const { matchAtoms } = req('metrics');
const { sortByZ } = req('core/elements');

/** Dose bands (total e⁻/Å²) of the tables. */
const BANDS = [
  ['all', () => true],
  ['≥ 3e4', (d) => d >= 3e4],
  ['< 3e4', (d) => d < 3e4],
];

const score = evaluateScore;

/** One particle: the pipeline with fillVacantSites, and its baseline rebuilt from the same run's first fit. */
async function runCase(spec) {
  const s = await sim.simulate(spec.simulate);
  const species = sortByZ([...new Set(s.truth.species)]);
  const t0 = performance.now();
  const res = await runPipeline(s.tilts, { species, fillVacantSites: true });
  const wallS = (performance.now() - t0) / 1000;
  const out = { seed: spec.seed, morphology: spec.morphology, species: species.join(''), noise: spec.simulate.acquisition.noiseModel, dose: spec.simulate.totalDoseEPerA2, atoms: s.truth.species.length, wallS, fillS: res.stageTimesS.fillVacantSites ?? 0 };
  out.fill = score(res.atoms, s.truth);
  if (res.positionFit) {
    // what runPipeline returns without the option: the first fit, its support cut, k-means on it
    const kept = keepSupportedAtoms(res.positionFit.model, res.positionFit.amplitude, { species, minFraction: DEFAULT_SUPPORT_FRACTION }).model;
    out.base = score(kept.species.length ? await classifyKMeans(kept, res.refined, { species, seed: 0 }) : kept, s.truth);
  } else out.base = out.fill;
  const v = res.vacantSites ?? { proposed: 0, kept: 0 };
  out.proposed = v.proposed;
  out.kept = v.kept;
  // the kept sites that landed on a true atom (within 1 Å)
  const cand = res.atoms.scores?.candidate ?? [];
  const idx = Array.from(cand).flatMap((c, i) => (c === PROPOSED_SITE_CANDIDATE ? [i] : []));
  const sites = { positionsA: Float64Array.from(idx.flatMap((i) => Array.from(res.atoms.positionsA.subarray(3 * i, 3 * i + 3)))), species: idx.map(() => 'X') };
  out.keptOnTrue = idx.length ? matchAtoms(sites, s.truth, { rMatchA: 1.0 }).truthIndex.length : 0;
  return out;
}

exports.main = async function main(args) {
  const i = args.indexOf('--split');
  const split = i >= 0 ? args[i + 1] : 'validation';
  if (split !== 'validation' && split !== 'test') throw new Error(`--split must be 'validation' or 'test', got '${split}'`);
  if (args.includes('--report-only')) return report(readResults(`vacant-sites-${split}`));
  const specs = split === 'validation' ? refine.validationSpecs(numberArg(args, '--cases', 32)) : refine.testSpecs();
  const rows = [];
  for (const spec of specs) {
    const r = await runCase(spec);
    rows.push(r);
    console.error(`${r.seed} ${r.morphology} ${r.species} ${r.dose.toExponential(1)}: proposed ${r.proposed}, kept ${r.kept} (${r.keptOnTrue} on true atoms); base ${pct(r.base.recovery)}/${pct(r.base.falsePositive)}/${fmt(r.base.rmsePm)} fill ${pct(r.fill.recovery)}/${pct(r.fill.falsePositive)}/${fmt(r.fill.rmsePm)}`);
  }
  report({ machine: machineInfo(), split, args, rows });
};

const merit = (x) => x.recovery - x.falsePositive;

/** Writes bench/results/vacant-sites-<split>.{json,md} from the measured rows (also alone: `--report-only`). */
function report({ machine, split, args, rows }) {
  const bands = split === 'test' ? [['all', () => true], ...[...new Set(rows.map((r) => r.dose))].sort((a, b) => b - a).map((d) => [d.toExponential(0), (x) => x === d])] : BANDS;
  const line = (name, rs) => {
    const m = (k, f) => mean(rs.map((r) => r[k][f]).filter(Number.isFinite));
    const better = rs.filter((r) => merit(r.fill) > merit(r.base) + 1e-9).length;
    const worse = rs.filter((r) => merit(r.fill) < merit(r.base) - 1e-9).length;
    const prop = rs.reduce((s, r) => s + r.proposed, 0),
      kept = rs.reduce((s, r) => s + r.kept, 0),
      onTrue = rs.reduce((s, r) => s + r.keptOnTrue, 0);
    return `| ${name} | ${rs.length} | ${pct(m('base', 'recovery'))} → ${pct(m('fill', 'recovery'))} | ${pct(m('base', 'falsePositive'))} → ${pct(m('fill', 'falsePositive'))} | ${fmt(rms(rs.map((r) => r.base.rmsePm)))} → ${fmt(rms(rs.map((r) => r.fill.rmsePm)))} | ${pct(m('base', 'speciesAccuracy'))} → ${pct(m('fill', 'speciesAccuracy'))} | ${better} / ${worse} | ${prop} | ${kept} | ${kept ? pct(onTrue / kept) : '—'} | ${fmt(mean(rs.map((r) => r.fillS)))} |`;
  };
  const table = bands.map(([name, inBand]) => [name, rows.filter((r) => inBand(r.dose))]).filter(([, rs]) => rs.length).map(([name, rs]) => line(name, rs));
  const all = { base: mean(rows.map((r) => merit(r.base))), fill: mean(rows.map((r) => merit(r.fill))) };
  const md = [
    `# Filling the lattice sites the tracing left empty (${split} split)`,
    '',
    `Each particle (${split === 'validation' ? `the first ${rows.length} of the validation split, seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data` : `the test split, seeds ${refine.TEST_SEED_BASE}+, one particle per morphology at every dose`}) simulated and run once through \`runPipeline\` with its defaults and \`fillVacantSites: true\` (\`pann run --fill-vacant-sites\`): after the fit and the support cut, \`vacantSites\` proposes the empty lattice sites among the kept atoms (the common midpoint of ≥ 3 pairs of opposite neighbours 2 d apart, no atom within 0.6 d), which are fitted with the kept atoms to the tilt series and cut again (the support cut, then the sites that fit more than ${FAINT_SITE_SIGMAS} standard errors below the lightest species' brightness). Baseline ("before → after"): the same run's first fit, support cut and k-means — what \`runPipeline\` returns without the option. Matched within 1 Å (\`evaluate\`); means over particles, RMSE the RMS over particles; "better / worse": recovery − false positives higher / lower; "on true atoms": the kept sites within 1 Å of a true atom; fill s: the second fit's wall time. Made by \`npm run bench -- vacant-sites${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| particles | n | recovery % | false pos. % | RMSE pm | species % | better / worse | sites proposed | kept | on true atoms % | fill s |',
    '| --- | ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...table,
    '',
    `Recovery − false positives over all particles: ${pct(all.base)} points without the option, ${pct(all.fill)} with it.`,
    '',
    '## Per particle (recovery % / false pos. % / RMSE pm / species %)',
    '',
    '| seed | morphology | species | noise | dose | atoms | proposed | kept | on true atoms | without | with |',
    '| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows.map((r) => {
      const c = (x) => `${pct(x.recovery)} / ${pct(x.falsePositive)} / ${fmt(x.rmsePm)} / ${pct(x.speciesAccuracy)}`;
      return `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${r.proposed} | ${r.kept} | ${r.keptOnTrue} | ${c(r.base)} | ${c(r.fill)} |`;
    }),
    '',
  ].join('\n');
  writeResults(`vacant-sites-${split}`, { machine, split, args, rows }, md);
}

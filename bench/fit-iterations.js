/**
 * `npm run bench -- fit-iterations [--cases 16]`: is `fitAtomsToTilts` converged at its default number of
 * iterations? On the VALIDATION split (seeds 1000000+, drawn like the training data), each particle is
 * refined with GLARE, traced with the adaptive cut and fitted to its tilt series with 12, 24 (the default)
 * and 36 Gauss–Newton iterations, then cut for support as `runPipeline` does. Reports recovery,
 * false positives, RMSE (pm; heaviest and lighter species apart), the final loss and the fit time,
 * beside the per-atom Cramér–Rao bound (`doseLimits`). Writes bench/results/fit-iterations.{json,md}.
 */
const {
  req,
  pct,
  fmt,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  numberArg,
  methodVolume,
  pairWithDoseLimits,
  positionScore,
  rms,
  traceAdaptive,
  heaviestSpeciesMask,
} = require('./_refine-bench');

const refine = req('refine');
const { fitAtomsToTilts, keepSupportedAtoms, DEFAULT_FIT_ITERATIONS } = req('trace');

const ITERATIONS = [12, 24, 36];
const iterationLabels = ITERATIONS.map((it) => `${it}${it === DEFAULT_FIT_ITERATIONS ? ' (the default)' : ''}`);

exports.main = async function main(args) {
  const n = numberArg(args, '--cases', 16);
  const nets = await loadNets(refine, ['glare']);
  const rows = [];
  for (const spec of refine.validationSpecs(n)) {
    const { pair, limits } = await pairWithDoseLimits(spec);
    const traced = await traceAdaptive(await methodVolume(pair, 'glare', nets));
    const species = [...new Set(pair.truth.species)];
    const heavy = heaviestSpeciesMask(pair.truth);
    const score = (model) => positionScore(model, pair.truth, heavy);
    const byIterations = [];
    for (const iterations of ITERATIONS) {
      const t0 = performance.now();
      const fit = await fitAtomsToTilts(traced, pair.tilts, {
        volumeShape: pair.reconstruction.shape,
        iterations,
      });
      const fitS = (performance.now() - t0) / 1000;
      const kept = keepSupportedAtoms(fit.model, fit.amplitude, { species }).model;
      byIterations.push({
        iterations,
        fitS,
        finalLoss: fit.lossHistory[fit.lossHistory.length - 1],
        ...score(kept),
      });
    }
    const row = {
      seed: spec.seed,
      morphology: spec.morphology,
      species: species.join(''),
      dose: spec.simulate.totalDoseEPerA2,
      atoms: pair.truth.species.length,
      traced: score(traced),
      boundPm: rms(Array.from(limits.positionBoundPm)),
      byIterations,
    };
    rows.push(row);
    console.error(
      `${row.morphology} ${row.species} ${row.dose.toExponential(0)}: traced ${fmt(row.traced.rmsePm)} pm; ` +
        byIterations.map((b) => `${b.iterations} it ${fmt(b.rmsePm)} pm (${fmt(b.fitS)} s)`).join(', ') +
        `; bound ${fmt(row.boundPm)} pm`,
    );
  }
  const machine = machineInfo();
  const meanOf = (get) => fmt(mean(rows.map(get).filter(Number.isFinite)));
  const summary = [
    `| traced (no fit) | ${pct(mean(rows.map((r) => r.traced.recovery)))} | ${pct(mean(rows.map((r) => r.traced.falsePositive)))} | ${meanOf((r) => r.traced.rmsePm)} | ${meanOf((r) => r.traced.heavyRmsePm)} | ${meanOf((r) => r.traced.lightRmsePm)} | — | — | — |`,
    ...ITERATIONS.map((it, i) => {
      const get = (k) => (r) => r.byIterations[i][k];
      const better = rows.filter((r) => r.byIterations[i].rmsePm < r.byIterations[0].rmsePm - 0.1).length;
      const worse = rows.filter((r) => r.byIterations[i].rmsePm > r.byIterations[0].rmsePm + 0.1).length;
      return `| fit, ${it} iterations${it === DEFAULT_FIT_ITERATIONS ? ' (default)' : ''} | ${pct(mean(rows.map(get('recovery'))))} | ${pct(mean(rows.map(get('falsePositive'))))} | ${meanOf(get('rmsePm'))} | ${meanOf(get('heavyRmsePm'))} | ${meanOf(get('lightRmsePm'))} | ${i ? `${better} / ${worse}` : '—'} | ${meanOf(get('fitS'))} | ${meanOf((r) => r.boundPm)} |`;
    }),
  ];
  const md = [
    '# Is the fit to the tilt series converged? (validation split)',
    '',
    `GLARE (${nets.glare.info.trainedSteps} steps, given the tilt angles) → adaptive cut → \`fitAtomsToTilts\` with ${iterationLabels.slice(0, -1).join(', ')} and ${iterationLabels.at(-1)} iterations → \`keepSupportedAtoms\` (0.3, species named). ${rows.length} validation particles (seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data: every morphology, composition, dose 1e3…1e6 e⁻/Å², noise model); matched within 1 Å; means over particles (species columns over particles that have them). "Bound": the RMS per-atom Cramér–Rao bound of the true atoms (\`doseLimits\`, optimistic: it knows the neighbours). Made by \`npm run bench -- fit-iterations${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| setting | recovery % | false pos. % | RMSE pm | heaviest species pm | lighter species pm | RMSE better / worse than 12 it. (±0.1 pm) | fit s | bound pm |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary,
    '',
    '## Per particle (RMSE pm; recovery % / false pos. % after the cut)',
    '',
    `| seed | morphology | species | dose | atoms | traced | ${ITERATIONS.map((it) => `${it} it.`).join(' | ')} | bound |`,
    `| ---: | --- | --- | ---: | ---: | ---: | ${ITERATIONS.map(() => '---:').join(' | ')} | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.dose.toExponential(0)} | ${r.atoms} | ${fmt(r.traced.rmsePm)} | ${r.byIterations.map((b) => `${fmt(b.rmsePm)} (${pct(b.recovery)} / ${pct(b.falsePositive)})`).join(' | ')} | ${fmt(r.boundPm)} |`,
    ),
    '',
  ].join('\n');
  writeResults('fit-iterations', { machine, iterations: ITERATIONS, rows }, md);
};

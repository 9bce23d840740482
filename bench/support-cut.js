/**
 * `npm run bench -- support-cut [--cases 24]`: chooses the default `minFraction` of `keepSupportedAtoms`
 * on the VALIDATION split (the test split is only reported, by `bench -- position-fit`). Each
 * validation particle (seeds 1000000+, drawn like the training data: every morphology, composition,
 * dose 1e3…1e6, noise model) is refined with GLARE, traced with the adaptive cut, fitted to its tilt
 * series (`fitAtomsToTilts`), and cut at each fraction of the lightest species' expected brightness;
 * then, at the default fraction, also at each least detection SNR the fit measured (`detectionSnr`: a
 * candidate cut, not in the pipeline). Writes bench/results/support-cut.{json,md}.
 */
const {
  req,
  pct,
  fmt,
  loadNets,
  machineInfo,
  writeResults,
  readResults,
  mean,
  numberArg,
  methodVolume,
  traceAndFit,
} = require('./_refine-bench');

const refine = req('refine');
const { keepSupportedAtoms, DEFAULT_SUPPORT_FRACTION, DETECTION_SNR } = req('trace');
const { atomsAt } = req('core/types');
const { matchAtoms } = req('metrics');

const FRACTIONS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
/** Least detection SNRs tried after the default fraction's cut (0 = none; 5 = Rose's criterion). */
const MIN_SNRS = [0, 1, 2, 3, 4, 5];
/** Recovery − FP differences below this (0.2 points) are ties. */
const TIE = 0.002;
/** Doses at or above this are "high" in the table (the shipped nets recover ~99 % there). */
const HIGH_DOSE = 3e4;

exports.main = async function main(args) {
  if (args.includes('--report-only')) {
    const saved = readResults('support-cut');
    return report({ args: [], ...saved });
  }
  const n = numberArg(args, '--cases', 24);
  const nets = await loadNets(refine, ['glare']);
  const rows = [];
  for (const spec of refine.validationSpecs(n)) {
    const pair = await refine.makePair(spec);
    const { fit } = await traceAndFit(pair, await methodVolume(pair, 'glare', nets));
    const species = [...new Set(pair.truth.species)];
    const scoreOf = (kept) => {
      const m = matchAtoms(kept, pair.truth, { rMatchA: 1.0 });
      const k = kept.species.length;
      return { recovery: m.truthIndex.length / pair.truth.species.length, falsePositive: k ? (k - m.truthIndex.length) / k : 0 };
    };
    const byFraction = FRACTIONS.map((minFraction) => ({
      minFraction,
      ...scoreOf(keepSupportedAtoms(fit.model, fit.amplitude, { species, minFraction }).model),
    }));
    // the fitted model carries the SNR as a score, so the support cut's subset keeps it per atom
    const supported = keepSupportedAtoms(fit.model, fit.amplitude, { species }).model;
    const bySnr = MIN_SNRS.map((minSnr) => {
      const keep = Array.from(supported.scores[DETECTION_SNR], (x, i) => (x >= minSnr ? i : -1)).filter((i) => i >= 0);
      return { minSnr, ...scoreOf(atomsAt(supported, keep)) };
    });
    const row = {
      seed: spec.seed,
      morphology: spec.morphology,
      species: species.join(''),
      dose: spec.simulate.totalDoseEPerA2,
      atoms: pair.truth.species.length,
      byFraction,
      bySnr,
    };
    rows.push(row);
    console.error(
      `${row.morphology} ${row.species} ${row.dose.toExponential(0)}: ` +
        byFraction.map((b) => `${b.minFraction}: ${pct(b.recovery)}/${pct(b.falsePositive)}`).join('  '),
    );
  }
  report({ machine: machineInfo(), args, glareSteps: nets.glare.info.trainedSteps, rows });
};

/** Writes bench/results/support-cut.{json,md} from the measured rows (also alone: `--report-only`). */
function report({ machine, args, glareSteps, rows }) {
  const groups = [
    ['all', () => true],
    [`dose ≥ ${HIGH_DOSE.toExponential(0)}`, (r) => r.dose >= HIGH_DOSE],
    [`dose < ${HIGH_DOSE.toExponential(0)}`, (r) => r.dose < HIGH_DOSE],
  ];
  /** Table rows of one sweep (`key`: 'byFraction' or 'bySnr', levels its cut values) by particle group. */
  const sweepTable = (key, levels) =>
    groups.flatMap(([name, keep]) => {
      const rs = rows.filter(keep);
      return rs.length
        ? levels.map((f, i) => {
            const rec = mean(rs.map((r) => r[key][i].recovery));
            const fp = mean(rs.map((r) => r[key][i].falsePositive));
            return `| ${name} | ${rs.length} | ${f} | ${pct(rec)} | ${pct(fp)} | ${pct(rec - fp)} |`;
          })
        : [];
    });
  /** The best level of a sweep and the rule's pick: the smallest cut within TIE of the best (a real atom lost is worse than a ghost kept, which one can inspect). */
  const pick = (key, levels) => {
    const merit = (i) => mean(rows.map((r) => r[key][i].recovery - r[key][i].falsePositive));
    const best = levels.reduce((b, _, i) => (merit(i) > merit(b) ? i : b), 0);
    return { merit, best, chosen: levels.findIndex((_, i) => merit(i) >= merit(best) - TIE) };
  };
  const table = sweepTable('byFraction', FRACTIONS);
  const { merit, best, chosen } = pick('byFraction', FRACTIONS);
  const snr = rows.every((r) => r.bySnr) ? pick('bySnr', MIN_SNRS) : null;
  const md = [
    '# The support cut after fitting to the tilt series (validation split)',
    '',
    `GLARE (${glareSteps} steps, given the tilt angles) → adaptive cut → \`fitAtomsToTilts\` → \`keepSupportedAtoms\` at each fraction of the lightest species' expected brightness ((Z_light/Z_heavy)^1.7 × the 90th-percentile fitted brightness); 0 = keep every fitted atom. ${rows.length} validation particles (seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data); matched within 1 Å; means over particles. Made by \`npm run bench -- support-cut${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| particles | n | min fraction | recovery % | false pos. % | recovery − FP |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...table,
    '',
    `Recovery − false positives over all particles: best ${pct(merit(best))} points at min fraction ${FRACTIONS[best]}, against ${pct(merit(0))} without the cut. Chosen: the smallest fraction within ${100 * TIE} points of the best, ${FRACTIONS[chosen]} (${pct(merit(chosen))} points) — a real atom lost is worse than a ghost kept, which one can inspect. \`keepSupportedAtoms\`' default is ${DEFAULT_SUPPORT_FRACTION}${defaultNote(merit, best, chosen)}.`,
    '',
    ...(snr
      ? [
          '## A further cut on the detection SNR the fit measured',
          '',
          `After the support cut at the default fraction (${DEFAULT_SUPPORT_FRACTION}), the atoms whose \`detectionSnr\` (fitted brightness over its standard error, position and neighbours held: the matched-filter SNR \`doseLimits\` predicts) is below each least SNR are dropped too; 0 = no further cut (the row equals the default fraction's above). A candidate, not in the pipeline.`,
          '',
          '| particles | n | least SNR | recovery % | false pos. % | recovery − FP |',
          '| --- | ---: | ---: | ---: | ---: | ---: |',
          ...sweepTable('bySnr', MIN_SNRS),
          '',
          `Recovery − false positives over all particles: best ${pct(snr.merit(snr.best))} points at least SNR ${MIN_SNRS[snr.best]}, against ${pct(snr.merit(0))} without this cut; the same rule picks ${MIN_SNRS[snr.chosen]} (${pct(snr.merit(snr.chosen))} points).`,
          '',
          '### Per particle (recovery % / false pos. % at each least SNR)',
          '',
          `| morphology | species | dose | atoms | ${MIN_SNRS.join(' | ')} |`,
          `| --- | --- | ---: | ---: | ${MIN_SNRS.map(() => '---').join(' | ')} |`,
          ...rows.map((r) => `| ${r.morphology} | ${r.species} | ${r.dose.toExponential(0)} | ${r.atoms} | ${r.bySnr.map((b) => `${pct(b.recovery)} / ${pct(b.falsePositive)}`).join(' | ')} |`),
          '',
        ]
      : []),
    '## Per particle (recovery % / false pos. %)',
    '',
    `| morphology | species | dose | atoms | ${FRACTIONS.join(' | ')} |`,
    `| --- | --- | ---: | ---: | ${FRACTIONS.map(() => '---').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${r.morphology} | ${r.species} | ${r.dose.toExponential(0)} | ${r.atoms} | ${r.byFraction.map((b) => `${pct(b.recovery)} / ${pct(b.falsePositive)}`).join(' | ')} |`,
    ),
    '',
  ].join('\n');
  writeResults('support-cut', { machine, args, glareSteps, fractions: FRACTIONS, minSnrs: MIN_SNRS, rows }, md);
}

/** How the shipped default stands against the rule's pick (empty when it is the pick). */
function defaultNote(merit, best, chosen) {
  if (FRACTIONS[chosen] === DEFAULT_SUPPORT_FRACTION) return '';
  const d = FRACTIONS.indexOf(DEFAULT_SUPPORT_FRACTION);
  const below = fmt(100 * (merit(best) - merit(d)), 2);
  const where = merit(d) >= merit(best) - TIE ? `within the tie, but the rule takes the smallest fraction there` : 'outside the tie';
  return ` (${pct(merit(d))} points: ${below} below the best, ${where}; the rule now picks ${FRACTIONS[chosen]}, not adopted yet)`;
}

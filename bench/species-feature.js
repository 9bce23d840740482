/**
 * `npm run bench -- species-feature [--cases 48]`: chooses what k-means labels species from once the atoms
 * are fitted to the tilt series, on the VALIDATION split (seeds 1000000+, drawn like the training data).
 * The first `--cases` particles with two or more species are refined with GLARE, traced with the adaptive
 * cut, fitted to their tilt series and cut for support (what `runPipeline` does), then labelled by
 * k-means on three features of the same atoms: the GLARE volume's integrated intensity (what the pipeline
 * did before), the reconstruction's, and the brightness the fit gave each atom (`feature: 'fitted'`);
 * beside them the shipped DAST on the GLARE volume. Writes bench/results/species-feature.{json,md}.
 */
const {
  req,
  pct,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  numberArg,
  methodVolume,
  traceAndFit,
} = require('./_refine-bench');

const refine = req('refine');
const { keepSupportedAtoms } = req('trace');
const { classifyKMeans } = req('classify');
const { classifyDast } = req('classify/dast');
const { evaluate } = req('metrics');
const { sortByZ } = req('core/elements');

const FEATURES = [
  [
    'GLARE volume',
    (atoms, v) => classifyKMeans(atoms, v.refined, { species: v.species, seed: 0, feature: 'integrated' }),
  ],
  [
    'reconstruction',
    (atoms, v) =>
      classifyKMeans(atoms, v.reconstruction, { species: v.species, seed: 0, feature: 'integrated' }),
  ],
  [
    'fitted brightness',
    (atoms, v) => classifyKMeans(atoms, v.refined, { species: v.species, seed: 0, feature: 'fitted' }),
  ],
  // not k-means: the shipped DAST on the GLARE volume (`runPipeline({ classify: 'dast' })`), for reference
  ['DAST', (atoms, v) => classifyDast(atoms, v.refined, { species: v.species })],
];
/** Doses below this are "low" in the table. */
const LOW_DOSE = 3e4;

exports.main = async function main(args) {
  const n = numberArg(args, '--cases', 48);
  const nets = await loadNets(refine, ['glare']);
  const rows = [];
  for (let seed = refine.VALIDATION_SEED_BASE; rows.length < n; seed++) {
    const spec = refine.sampleSpec(seed); // = validationSpecs(…)[seed − VALIDATION_SEED_BASE]
    if (['pure', 'amorphous'].includes(spec.compositionKind)) continue;
    const pair = await refine.makePair(spec);
    const species = sortByZ([...new Set(pair.truth.species)]);
    if (species.length < 2) continue;
    const refined = await methodVolume(pair, 'glare', nets);
    const { fit } = await traceAndFit(pair, refined);
    const atoms = keepSupportedAtoms(fit.model, fit.amplitude, { species }).model;
    const v = { refined, reconstruction: pair.reconstruction, species };
    const accuracy = [];
    for (const [, label] of FEATURES)
      accuracy.push(evaluate(await label(atoms, v), pair.truth).speciesAccuracy); // over the atoms matched within 1 Å
    const row = {
      seed: spec.seed,
      morphology: spec.morphology,
      species: species.join(''),
      dose: spec.simulate.totalDoseEPerA2,
      atoms: pair.truth.species.length,
      accuracy,
    };
    rows.push(row);
    console.error(
      `${row.seed} ${row.morphology} ${row.species} ${row.dose.toExponential(0)}: ${accuracy.map(pct).join(' / ')}`,
    );
  }
  const machine = machineInfo();
  const groups = [
    ['all', () => true],
    [`dose < ${LOW_DOSE.toExponential(0)}`, (r) => r.dose < LOW_DOSE],
    [`dose ≥ ${LOW_DOSE.toExponential(0)}`, (r) => r.dose >= LOW_DOSE],
  ];
  const fitted = FEATURES.findIndex(([name]) => name === 'fitted brightness');
  const table = groups.map(([name, keep]) => {
    const rs = rows.filter(keep);
    // against the pipeline's previous feature (the GLARE volume), differences under 0.5 points are ties
    const better = rs.filter((r) => r.accuracy[fitted] > r.accuracy[0] + 0.005).length;
    const worse = rs.filter((r) => r.accuracy[fitted] < r.accuracy[0] - 0.005).length;
    return `| ${name} | ${rs.length} | ${FEATURES.map((_, i) => pct(mean(rs.map((r) => r.accuracy[i])))).join(' | ')} | ${better} / ${worse} |`;
  });
  const md = [
    '# Which feature k-means labels species from, after the fit to the tilt series (validation split)',
    '',
    `GLARE (${nets.glare.info.trainedSteps} steps, given the tilt angles) → adaptive cut → \`fitAtomsToTilts\` → \`keepSupportedAtoms\` (0.3), as \`runPipeline\` does; then k-means (seed 0) on each feature of the same atoms, and the shipped DAST (on the GLARE volume) for reference. Species accuracy over the atoms matched within 1 Å, mean over particles. The first ${rows.length} validation particles with two or more species (seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data: every morphology, composition, dose 1e3…1e6 e⁻/Å², noise model). Made by \`npm run bench -- species-feature${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    `| particles | n | ${FEATURES.map(([name]) => `${name} %`).join(' | ')} | fitted better / worse than GLARE volume |`,
    `| --- | ---: | ${FEATURES.map(() => '---:').join(' | ')} | ---: |`,
    ...table,
    '',
    '## Per particle (species accuracy %)',
    '',
    `| seed | morphology | species | dose | atoms | ${FEATURES.map(([name]) => name).join(' | ')} |`,
    `| ---: | --- | --- | ---: | ---: | ${FEATURES.map(() => '---:').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.dose.toExponential(0)} | ${r.atoms} | ${r.accuracy.map(pct).join(' | ')} |`,
    ),
    '',
  ].join('\n');
  writeResults('species-feature', { machine, features: FEATURES.map(([name]) => name), rows }, md);
};

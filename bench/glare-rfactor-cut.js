/**
 * `npm run bench -- glare-rfactor-cut [--particles n] [--net glare|unet] [--split validation|test]`: can
 * the measurement choose the cut? On a refined volume (GLARE's by default), for a ladder of cuts, the selected atoms are labelled (k-means, the species a user names)
 * and their R-factor against the measured tilt series computed; the cut with the lowest R-factor is
 * compared with the pipeline's adaptive cut and with the best cut in hindsight (oracle, needs the
 * truth). Validation split (seeds past the 3 training monitors, as glare-threshold) or the test split,
 * 1e5 / 1e4 / 3e3 e⁻/Å². An experiment for the planner, not a pipeline option. Writes
 * bench/results/glare-rfactor-cut.{json,md} (GLARE, validation) or glare-rfactor-cut-<split>-<net>.*
 */
const {
  req,
  pct,
  numberArg,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  peakQuantiles,
} = require('./_refine-bench');

const refine = req('refine');
const { traceAtoms, selectAtoms, autoThreshold } = req('trace');
const { evaluate, rFactor } = req('metrics');
const { classifyKMeans } = req('classify');

const DOSES = [1e5, 1e4, 3e3];
const FIRST_SEED = refine.VALIDATION_SEED_BASE + 10;
const CUTS = 12;

async function oneCase(spec, model, method) {
  const pair = await refine.makePair(spec);
  const species = [...new Set(pair.truth.species)];
  const vol = await refine.refineVolume(pair.reconstruction, {
    method,
    model,
    tiltsForPhysics: pair.tilts,
  });
  const tr = await traceAtoms(vol, {});
  const auto = autoThreshold(tr);
  // the adaptive cut, then mid-quantiles of the candidates' peaks
  const cuts = [auto, ...peakQuantiles(tr, CUTS, 0.5)];
  const points = [];
  for (const t of cuts) {
    const atoms = selectAtoms(tr, { threshold: t });
    if (atoms.species.length < 2) continue;
    const labelled = classifyKMeans(atoms, vol, { species, seed: 0 });
    const r = rFactor(labelled, pair.tilts, { volumeShape: vol.shape }).rFactor;
    const m = evaluate(atoms, pair.truth);
    points.push({ threshold: t, rFactor: r, recovery: m.recoveryRate, falsePositive: m.falsePositiveRate });
  }
  const merit = (p) => p.recovery - p.falsePositive;
  const byR = points.reduce((b, p) => (p.rFactor < b.rFactor ? p : b));
  const oracle = points.reduce((b, p) => (merit(p) > merit(b) ? p : b));
  return {
    seed: spec.seed,
    morphology: spec.morphology,
    species: species.join(''),
    dose: spec.simulate.totalDoseEPerA2,
    auto: points[0],
    rMin: byR,
    oracle,
    points,
  };
}

exports.main = async function main(args) {
  const nParticles = numberArg(args, '--particles', 10);
  const at = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const method = at('--net', 'glare');
  const split = at('--split', 'validation');
  if (!['glare', 'unet'].includes(method) || !['validation', 'test'].includes(split))
    throw new Error(`--net glare|unet and --split validation|test, got ${method} / ${split}`);
  const net = (await loadNets(refine, [method]))[method];
  // validation: particles past the training monitors; test: the GLARE benchmark's split at these doses
  const specs =
    split === 'test'
      ? refine.testSpecs(DOSES)
      : Array.from({ length: nParticles }, (_, p) =>
          DOSES.map((d) => refine.sampleSpec(FIRST_SEED + p, { totalDoseEPerA2: d })),
        ).flat();
  const rows = [];
  for (const spec of specs) {
    const r = await oneCase(spec, net, method);
    rows.push(r);
    console.error(
      `${r.morphology} ${r.species} ${r.dose}: auto ${pct(r.auto.recovery)}/${pct(r.auto.falsePositive)} R ${r.auto.rFactor.toFixed(3)}; R-min ${pct(r.rMin.recovery)}/${pct(r.rMin.falsePositive)} R ${r.rMin.rFactor.toFixed(3)}; oracle ${pct(r.oracle.recovery)}/${pct(r.oracle.falsePositive)}`,
    );
  }
  const machine = machineInfo();
  const label = method === 'glare' ? 'GLARE' : 'plain U-Net';
  const line = (label, rs) =>
    `| ${label} | ${rs.length} | ${['auto', 'rMin', 'oracle'].map((k) => `${pct(mean(rs.map((r) => r[k].recovery)))} / ${pct(mean(rs.map((r) => r[k].falsePositive)))} / ${pct(mean(rs.map((r) => r[k].recovery - r[k].falsePositive)))}`).join(' | ')} |`;
  const crystalline = rows.filter((r) => r.morphology !== 'amorphous');
  const md = [
    `# Choosing the cut on a ${label} volume by the R-factor (${split} split)`,
    '',
    `${split === 'test' ? `The GLARE test split (seeds ${refine.TEST_SEED_BASE}+, one particle per morphology)` : `${nParticles} validation particles (seeds ${FIRST_SEED}…${FIRST_SEED + nParticles - 1})`}, ${label} (${net.info.trainedSteps} steps, one pass${method === 'glare' ? ', given the angles' : ''}). Per case: the adaptive cut (auto), and ${CUTS} cuts at quantiles of the candidates' peaks; at each, the atoms are labelled by k-means (the particle's species) and their R-factor against the background-subtracted tilt series computed (rFactor defaults). "R-min": the cut with the lowest R-factor (needs no truth); "oracle": the best recovery − FP among the same cuts (needs the truth). Cells: recovery % / FP % / recovery − FP (points), means over cases. Made by \`npm run bench -- glare-rfactor-cut${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    '| cases | n | auto | R-min | oracle |',
    '| --- | ---: | --- | --- | --- |',
    ...DOSES.map((d) =>
      line(
        `${d.toExponential(0)}, all`,
        rows.filter((r) => r.dose === d),
      ),
    ),
    ...DOSES.map((d) =>
      line(
        `${d.toExponential(0)}, crystalline`,
        crystalline.filter((r) => r.dose === d),
      ),
    ),
    '',
  ];
  // the default run (GLARE, validation) keeps its name; the others are named for what they ran
  const name =
    method === 'glare' && split === 'validation'
      ? 'glare-rfactor-cut'
      : `glare-rfactor-cut-${split}-${method}`;
  writeResults(name, { machine, net: method, split, steps: net.info.trainedSteps, rows }, md.join('\n'), 1);
};

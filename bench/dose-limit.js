/**
 * `npm run bench -- dose-limit [--morphologies a,b]`: how far each method is from what the dose
 * allows. On the GLARE test split, every true atom gets its detection SNR and Cramér–Rao position
 * bound from the simulator's signal model (`doseLimits`: an observer that knows where to look and
 * knows every other atom; misalignment and scan jitter ignored, so the limits are optimistic); the
 * raw reconstruction, the plain U-Net and GLARE are traced with the pipeline's rule and their
 * recovery split by the atoms' SNR. Writes bench/results/dose-limit.{json,md}.
 */
const {
  req,
  pct,
  fmt,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  pairWithDoseLimits,
  methodVolume,
  rms,
  traceAdaptive,
} = require('./_refine-bench');

const refine = req('refine');
const sim = req('sim');
const { matchAtoms } = req('metrics');

const R_MATCH_A = 1.0;
const ROSE = 5;
const WEAK = 3;
const METHODS = ['raw', 'unet', 'glare'];

/** Per-atom outcome of one method: which true atoms were recovered, and the matched distances. */
async function traceMethod(volume, truth) {
  const atoms = await traceAdaptive(volume);
  const m = matchAtoms(atoms, truth, { rMatchA: R_MATCH_A });
  const recovered = new Uint8Array(truth.species.length);
  const distanceA = new Float64Array(truth.species.length).fill(NaN);
  m.truthIndex.forEach((t, k) => {
    recovered[t] = 1;
    distanceA[t] = m.distanceA[k];
  });
  return { recovered, distanceA, nPred: atoms.species.length, nMatched: m.truthIndex.length };
}

/** Recovery among the atoms passing `keep` (NaN when none). */
function recoveryAmong(out, keep) {
  let n = 0,
    r = 0;
  out.recovered.forEach((x, a) => {
    if (keep(a)) {
      n++;
      r += x;
    }
  });
  return n ? r / n : NaN;
}

async function oneCase(spec, nets) {
  const { pair, limits } = await pairWithDoseLimits(spec);
  const snr = limits.snr;
  const surface = sim.surfaceAtoms(pair.truth.positionsA);
  const summary = sim.summarizeDoseLimits(limits, { minSnr: ROSE });
  const methods = {};
  for (const method of METHODS) {
    const volume = await methodVolume(pair, method, nets);
    const out = await traceMethod(volume, pair.truth);
    const matched = [...out.distanceA.keys()].filter((a) => out.recovered[a]);
    const perSpecies = {};
    for (const sp of new Set(pair.truth.species))
      perSpecies[sp] = recoveryAmong(out, (a) => limits.species[a] === sp);
    methods[method] = {
      recovery: out.nMatched / pair.truth.species.length,
      falsePositive: out.nPred ? (out.nPred - out.nMatched) / out.nPred : 0,
      recoveryDetectable: recoveryAmong(out, (a) => snr[a] >= ROSE),
      recoveryWeak: recoveryAmong(out, (a) => snr[a] >= WEAK && snr[a] < ROSE),
      recoveryBelowWeak: recoveryAmong(out, (a) => snr[a] < WEAK),
      recoveryDetectableSurface: recoveryAmong(out, (a) => snr[a] >= ROSE && surface[a]),
      recoveryDetectableBulk: recoveryAmong(out, (a) => snr[a] >= ROSE && !surface[a]),
      rmsePm: 100 * Math.sqrt(mean(matched.map((a) => out.distanceA[a] ** 2))),
      // the bound over the same atoms the method matched, so the two RMS values are comparable
      boundPm: Math.sqrt(mean(matched.map((a) => limits.positionBoundPm[a] ** 2))),
      perSpecies,
    };
  }
  return {
    seed: spec.seed,
    morphology: spec.morphology,
    species: Object.keys(summary.bySpecies).join(''),
    noise: spec.simulate.acquisition.noiseModel,
    dose: spec.simulate.totalDoseEPerA2,
    atoms: pair.truth.species.length,
    detectable: summary.all.detectableFraction,
    weak: mean(Array.from(snr, (x) => (x >= WEAK && x < ROSE ? 1 : 0))),
    medianSnr: summary.all.medianSnr,
    // shot noise dominates here, so SNR grows as √dose: the dose at which the 1st-percentile atom reaches Rose's 5
    doseFor99: Number.isFinite(percentile(snr, 0.01))
      ? spec.simulate.totalDoseEPerA2 * (ROSE / percentile(snr, 0.01)) ** 2
      : NaN,
    boundPm: summary.all.rmsPositionBoundPm,
    bySpecies: summary.bySpecies,
    methods,
  };
}

/** A number, '∞' for an unlimited SNR (a noise-free case). */
const snrText = (x) => (x === Infinity ? '∞' : fmt(x));
/** The q-quantile of a list of numbers. */
const percentile = (xs, q) => Array.from(xs).sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
const meanFinite = (xs) => mean(xs.filter(Number.isFinite));

exports.main = async function main(args) {
  const i = args.indexOf('--morphologies');
  const specs = refine.testSpecs(refine.TEST_DOSES, 1, i >= 0 ? args[i + 1].split(',') : undefined);
  const nets = await loadNets(refine, ['glare', 'unet']);
  const rows = [];
  for (const spec of specs) {
    const r = await oneCase(spec, nets);
    rows.push(r);
    console.error(
      `${r.morphology} ${r.species} ${r.dose.toExponential(0)}: detectable ${pct(r.detectable)} %, bound ${fmt(r.boundPm)} pm; ` +
        METHODS.map(
          (m) =>
            `${m} ${pct(r.methods[m].recovery)} % (of detectable ${pct(r.methods[m].recoveryDetectable)} %) ${fmt(r.methods[m].rmsePm)} pm`,
        ).join(', '),
    );
  }
  const machine = machineInfo();
  const doses = [...new Set(rows.map((r) => r.dose))];
  const methodCells = (rs, key) =>
    METHODS.map((m) => pct(meanFinite(rs.map((r) => r.methods[m][key])))).join(' | ');
  const perDose = doses.map((d) => {
    const rs = rows.filter((r) => r.dose === d);
    return `| ${d.toExponential(0)} | ${rs.length} | ${pct(mean(rs.map((r) => r.detectable)))} | ${pct(mean(rs.map((r) => r.weak)))} | ${rs.filter((r) => r.detectable >= 0.99).length} | ${methodCells(rs, 'recovery')} | ${methodCells(rs, 'recoveryDetectable')} | ${methodCells(rs, 'recoveryBelowWeak')} |`;
  });
  const surfaceDose = doses.map((d) => {
    const rs = rows.filter((r) => r.dose === d);
    return `| ${d.toExponential(0)} | ${methodCells(rs, 'recoveryDetectableSurface')} | ${methodCells(rs, 'recoveryDetectableBulk')} |`;
  });
  const rmseDose = doses.map((d) => {
    const rs = rows.filter((r) => r.dose === d);
    return `| ${d.toExponential(0)} | ${fmt(rms(rs.map((r) => r.boundPm)))} | ${METHODS.map((m) => `${fmt(rms(rs.map((r) => r.methods[m].rmsePm)))} / ${fmt(rms(rs.map((r) => r.methods[m].boundPm)))}`).join(' | ')} |`;
  });
  // per species at each dose: atoms pooled over the cases that contain the species
  const speciesRows = [];
  for (const d of doses)
    for (const sp of [...new Set(rows.flatMap((r) => Object.keys(r.bySpecies)))].sort()) {
      const rs = rows.filter((r) => r.dose === d && r.bySpecies[sp]);
      if (!rs.length) continue;
      const n = rs.reduce((s, r) => s + r.bySpecies[sp].atoms, 0);
      const w = (f) => rs.reduce((s, r) => s + r.bySpecies[sp].atoms * f(r), 0) / n;
      speciesRows.push(
        `| ${d.toExponential(0)} | ${sp} | ${n} | ${pct(w((r) => r.bySpecies[sp].detectableFraction))} | ${snrText(w((r) => r.bySpecies[sp].medianSnr))} | ${METHODS.map((m) => pct(w((r) => r.methods[m].perSpecies[sp]))).join(' | ')} |`,
      );
    }
  const caseRows = rows.map(
    (r) =>
      `| ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${snrText(r.medianSnr)} | ${pct(r.detectable)} | ${Number.isFinite(r.doseFor99) ? r.doseFor99.toExponential(1) : '—'} | ${fmt(r.boundPm)} | ${METHODS.map((m) => `${pct(r.methods[m].recovery)} / ${pct(r.methods[m].recoveryDetectable)} / ${fmt(r.methods[m].rmsePm)}`).join(' | ')} |`,
  );
  const md = [
    '# Dose limits beside raw, U-Net and GLARE (test split)',
    '',
    `GLARE test split (seeds ${refine.TEST_SEED_BASE}+, one particle per morphology, each at every dose). For every true atom, \`doseLimits\` (kernel-lib/src/sim/dose-limit.ts) gives its matched-filter detection SNR and the Cramér–Rao bound on its 3D position error from the simulator's signal model: shot noise of the whole particle and support, read noise; misalignment and scan jitter are NOT in it and the observer is told where to look and every other atom, so both limits are optimistic. "Detectable" = SNR ≥ ${ROSE} (Rose's criterion), "weak" = ${WEAK} ≤ SNR < ${ROSE}. Methods traced with the pipeline's adaptive cut, matched within ${R_MATCH_A} Å; GLARE given the tilt angles. Models: GLARE ${nets.glare.info.trainedSteps} steps, U-Net ${nets.unet.info.trainedSteps} steps. Made by \`npm run bench -- dose-limit${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '## Recovery against what the dose allows (means over cases, %)',
    '',
    `| dose e⁻/Å² | cases | detectable | weak | cases ≥ 99 % detectable | recovery raw | unet | glare | recovery of detectable raw | unet | glare | recovery of SNR < ${WEAK} raw | unet | glare |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...perDose,
    '',
    '## The dose each particle needs',
    '',
    `The total dose at which 99 % of a particle's atoms reach SNR ${ROSE}, scaled from its 1e4 case (SNR ∝ √dose under shot noise; the read noise makes it a slight underestimate). Noise-free particles need none.`,
    '',
    '| morphology | species | noise | dose for 99 % detectable e⁻/Å² |',
    '| --- | --- | --- | ---: |',
    ...rows
      .filter((r) => r.dose === 1e4)
      .map(
        (r) =>
          `| ${r.morphology} | ${r.species} | ${r.noise} | ${Number.isFinite(r.doseFor99) ? r.doseFor99.toExponential(1) : '— (no noise)'} |`,
      ),
    '',
    '## Where detectable atoms are missed: surface and bulk (means over cases, %)',
    '',
    'Surface = coordination below 0.8 × the particle’s 90th-percentile coordination (CN ≤ 9 in fcc), neighbours within 1.2 × the median nearest-neighbour distance.',
    '',
    '| dose e⁻/Å² | detectable surface: raw | unet | glare | detectable bulk: raw | unet | glare |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...surfaceDose,
    '',
    '## Position error against the Cramér–Rao bound (pm, RMS over cases)',
    '',
    'Bound = RMS of the bound over all detectable atoms; per method: its RMSE over the atoms it matched / the bound over those same atoms.',
    '',
    '| dose e⁻/Å² | bound | raw RMSE / bound | unet RMSE / bound | glare RMSE / bound |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rmseDose,
    '',
    '## Per species (atoms pooled over the cases holding the species)',
    '',
    '| dose e⁻/Å² | species | atoms | detectable % | median SNR | recovery raw % | unet % | glare % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...speciesRows,
    '',
    '## Per case',
    '',
    'Cells per method: recovery % / recovery of detectable atoms % / RMSE pm.',
    '',
    '| morphology | species | noise | dose | atoms | median SNR | detectable % | dose for 99 % detectable | bound pm | raw | unet | glare |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...caseRows,
    '',
  ];
  writeResults(
    'dose-limit',
    {
      machine,
      roseSnr: ROSE,
      weakSnr: WEAK,
      rMatchA: R_MATCH_A,
      models: { glare: nets.glare.info, unet: nets.unet.info },
      rows,
    },
    md.join('\n'),
    1,
  );
};

/**
 * `npm run bench -- position-fit [--morphologies a,b] [--doses 1e6,1e5]`: what fitting the traced
 * atoms to the measured tilt series (`fitAtomsToTilts`, with and without the per-projection
 * misalignment) does to position error and recovery. On the GLARE test split, the raw
 * reconstruction, the plain U-Net and GLARE are traced with the pipeline's rule (adaptive cut); each
 * traced model is then fitted to the background-subtracted tilt series it came from. Position error
 * is split into the heaviest species and the lighter ones, and set beside the Cramér–Rao bound of
 * `doseLimits` over the same atoms. For misaligned cases the fitted projection shifts are compared
 * with the ones the simulator applied. Writes bench/results/position-fit.{json,md}.
 */
const fs = require('node:fs');
const path = require('node:path');
const {
  req,
  pct,
  fmt,
  loadNets,
  machineInfo,
  writeResults,
  readResults,
  mean,
  pairWithDoseLimits,
  methodVolume,
  rms,
  positionScore,
  traceAdaptive,
  heaviestSpeciesMask,
} = require('./_refine-bench');

const refine = req('refine');
const { fitAtomsToTilts, keepSupportedAtoms, withoutTranslation, DEFAULT_FIT_ITERATIONS, DEFAULT_POSITION_PRIOR_A, DEFAULT_SUPPORT_FRACTION } = req('trace');
const { rotationZYZ } = req('core/geometry');

const VOLUMES = ['raw', 'unet', 'glare'];
/**
 * traced: the pipeline's atoms; fit-no-shift: fitted to the tilts, atoms only; fit: with each
 * projection's shift; fit+support: then the support cut (`keepSupportedAtoms`, default 0.3) — what
 * `pann run --fit-positions` does.
 */
const STEPS = ['traced', 'fit-no-shift', 'fit', 'fit+support'];

/**
 * RMS over both detector axes of shifts (Å, u/v interleaved) without the pattern a rigid move of the
 * whole model makes (the fit's gauge, \`withoutTranslation\`: no data can tell that part from a moved
 * particle), pm.
 */
function gaugeFreeRmsPm(shiftsA, anglesDeg) {
  const s = Float64Array.from(shiftsA);
  withoutTranslation(s, anglesDeg.map((e) => rotationZYZ(e)));
  return rms(Array.from(s, (x) => 100 * x));
}

async function oneCase(spec, nets) {
  const { pair, limits } = await pairWithDoseLimits(spec);
  const heavy = heaviestSpeciesMask(pair.truth);
  const angles = pair.tilts.anglesDeg;
  const trueShiftPm = gaugeFreeRmsPm(pair.shiftsA, angles);
  const methods = {};
  for (const v of VOLUMES) {
    const volume = await methodVolume(pair, v, nets);
    const traced = await traceAdaptive(volume);
    methods[v] = { traced: positionScore(traced, pair.truth, heavy, limits.positionBoundPm) };
    if (traced.species.length === 0) continue;
    for (const step of ['fit-no-shift', 'fit']) {
      const t0 = performance.now();
      const fit = await fitAtomsToTilts(traced, pair.tilts, {
        volumeShape: pair.reconstruction.shape,
        fitProjectionShifts: step === 'fit',
      });
      const out = positionScore(fit.model, pair.truth, heavy, limits.positionBoundPm);
      out.fitS = (performance.now() - t0) / 1000;
      if (step === 'fit') {
        const species = [...new Set(pair.truth.species)];
        const kept = keepSupportedAtoms(fit.model, fit.amplitude, { species }).model;
        methods[v]['fit+support'] = {
          ...positionScore(kept, pair.truth, heavy, limits.positionBoundPm),
          fitS: out.fitS,
        };
        // fitted minus applied shift, both in the fit's gauge: what misalignment is left in the model
        const d = fit.projectionShiftA.map((s, i) => s - pair.shiftsA[i]);
        out.shiftFittedPm = gaugeFreeRmsPm(fit.projectionShiftA, angles);
        out.shiftLeftPm = gaugeFreeRmsPm(d, angles);
      }
      methods[v][step] = out;
    }
  }
  return {
    seed: spec.seed,
    morphology: spec.morphology,
    species: [...new Set(pair.truth.species)].join(''),
    noise: spec.simulate.acquisition.noiseModel,
    dose: spec.simulate.totalDoseEPerA2,
    atoms: pair.truth.species.length,
    trueShiftPm,
    methods,
  };
}

/** The method's goals: GLARE at a tenth of the dose against raw at the full dose, and ≥ 99 % / ≤ 20 pm at 1e4. */
function goals(rows) {
  const at = (d, v, s, key) => {
    const xs = rows
      .filter((r) => r.dose === d)
      .map((r) => r.methods[v][s]?.[key])
      .filter(Number.isFinite);
    return xs.length ? (key.endsWith('Pm') ? rms(xs) : mean(xs)) : NaN;
  };
  const lines = [];
  for (const s of ['traced', 'fit+support'])
    for (const [lo, hi] of [
      [1e5, 1e6],
      [1e4, 1e5],
    ]) {
      if (!rows.some((r) => r.dose === lo) || !rows.some((r) => r.dose === hi)) continue;
      const [rec, rmse, rawRec, rawRmse] = [
        at(lo, 'glare', s, 'recovery'),
        at(lo, 'glare', s, 'rmsePm'),
        at(hi, 'raw', 'traced', 'recovery'),
        at(hi, 'raw', 'traced', 'rmsePm'),
      ];
      const met = rec >= rawRec && rmse <= rawRmse;
      lines.push(
        `- GLARE (${s}) at ${lo.toExponential(0)} vs raw (traced) at ${hi.toExponential(0)}: ${pct(rec)} % / ${fmt(rmse)} pm vs ${pct(rawRec)} % / ${fmt(rawRmse)} pm → ${met ? 'met' : 'NOT met'}`,
      );
    }
  for (const s of ['traced', 'fit+support'])
    if (rows.some((r) => r.dose === 1e4)) {
      const [rec, rmse] = [at(1e4, 'glare', s, 'recovery'), at(1e4, 'glare', s, 'rmsePm')];
      lines.push(
        `- GLARE (${s}) at 1e4: recovery ≥ 99 % and RMSE ≤ 20 pm: ${pct(rec)} % / ${fmt(rmse)} pm → ${rec >= 0.99 && rmse <= 20 ? 'met' : 'NOT met'}`,
      );
    }
  return lines;
}

function listArg(args, name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1].split(',') : undefined;
}

exports.main = async function main(args) {
  if (args.includes('--report-only')) {
    // the tables again from the saved rows (no new runs)
    const saved = readResults('position-fit');
    const steps = Object.fromEntries(
      ['glare', 'unet'].map((n) => [
        n,
        JSON.parse(fs.readFileSync(path.join(refine.defaultModelDir(n), 'refine.json'), 'utf8')).trainedSteps,
      ]),
    );
    return report(saved.rows, saved.machine, saved.trainedSteps ?? steps, saved.args ?? []);
  }
  const doses = listArg(args, '--doses')?.map(Number) ?? refine.TEST_DOSES;
  const specs = refine.testSpecs(doses, 1, listArg(args, '--morphologies'));
  const nets = await loadNets(refine, ['glare', 'unet']);
  const rows = [];
  for (const spec of specs) {
    const r = await oneCase(spec, nets);
    rows.push(r);
    console.error(
      `${r.morphology} ${r.species} ${r.noise} ${r.dose.toExponential(0)}: ` +
        VOLUMES.map((v) => `${v} ${STEPS.map((s) => fmt(r.methods[v][s]?.rmsePm)).join(' → ')} pm`).join(
          ', ',
        ),
    );
  }
  report(
    rows,
    machineInfo(),
    { glare: nets.glare.info.trainedSteps, unet: nets.unet.info.trainedSteps },
    args,
  );
};

/** Writes the tables of `rows` (and the rows themselves) to bench/results/position-fit.{md,json}. */
function report(rows, machine, trainedSteps, args) {
  const caseDoses = [...new Set(rows.map((r) => r.dose))];
  const cell = (rs, v, s, key, f = fmt) => {
    const xs = rs.map((r) => r.methods[v][s]?.[key]).filter(Number.isFinite);
    return xs.length ? f(key.endsWith('Pm') ? rms(xs) : mean(xs)) : '—';
  };
  const perDose = [];
  for (const d of caseDoses) {
    const rs = rows.filter((r) => r.dose === d);
    for (const v of VOLUMES)
      for (const s of STEPS)
        perDose.push(
          `| ${d.toExponential(0)} | ${v} | ${s} | ${cell(rs, v, s, 'recovery', pct)} | ${cell(rs, v, s, 'falsePositive', pct)} | ${cell(rs, v, s, 'rmsePm')} | ${cell(rs, v, s, 'heavyRmsePm')} | ${cell(rs, v, s, 'lightRmsePm')} | ${cell(rs, v, s, 'boundPm')} | ${s === 'traced' ? '—' : fmt(mean(rs.map((r) => r.methods[v][s]?.fitS ?? 0)))} |`,
        );
  }
  const perNoise = [];
  for (const noise of [...new Set(rows.map((r) => r.noise))])
    for (const d of caseDoses) {
      const rs = rows.filter((r) => r.noise === noise && r.dose === d);
      if (rs.length)
        perNoise.push(
          `| ${noise} | ${d.toExponential(0)} | ${rs.length} | ${STEPS.map((s) => cell(rs, 'glare', s, 'rmsePm')).join(' | ')} |`,
        );
    }
  const shiftRows = rows
    .filter((r) => r.trueShiftPm > 0)
    .map(
      (r) =>
        `| ${r.morphology} | ${r.species} | ${r.dose.toExponential(0)} | ${fmt(r.trueShiftPm)} | ${VOLUMES.map((v) => `${fmt(r.methods[v].fit?.shiftFittedPm)} / ${fmt(r.methods[v].fit?.shiftLeftPm)}`).join(' | ')} |`,
    );
  const caseRows = rows.map(
    (r) =>
      `| ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${VOLUMES.map((v) => STEPS.map((s) => (r.methods[v][s] ? `${pct(r.methods[v][s].recovery)} / ${fmt(r.methods[v][s].rmsePm)}` : '—')).join(' → ')).join(' | ')} |`,
  );
  const md = [
    '# Fitting traced atoms to the tilt series (test split)',
    '',
    `GLARE test split (seeds 2000000+, one particle per morphology, each at every dose). Each volume (raw reconstruction, plain U-Net, GLARE given the tilt angles) traced with the pipeline's adaptive cut ("traced"), then the traced atoms fitted to the background-subtracted tilt series by \`fitAtomsToTilts\` (kernel-lib/src/trace/fit-to-tilts.ts, defaults: ${DEFAULT_FIT_ITERATIONS} Gauss–Newton iterations, ${DEFAULT_POSITION_PRIOR_A} Å position prior, robust re-weighting) without ("fit-no-shift") and with ("fit") a rigid detector shift per projection, and ("fit+support", what \`pann run --fit-positions\` does) then cut by \`keepSupportedAtoms\` (atoms fainter in the fit than ${DEFAULT_SUPPORT_FRACTION} × the lightest species' expected brightness dropped; the fraction chosen on the validation split, support-cut.md). Matched within 1 Å; RMSE over matched atoms (no global shift removed), RMS over cases; "heavy" = the particle's heaviest species, "light" = the others; bound = the Cramér–Rao bound of \`doseLimits\` over the same matched atoms (misalignment and scan jitter not in it). Recovery and FP are means over cases; fit s = mean wall time of one fit. Models: GLARE ${trainedSteps.glare} steps, U-Net ${trainedSteps.unet} steps. Made by \`npm run bench -- position-fit${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '## Per dose',
    '',
    '| dose e⁻/Å² | volume | positions | recovery % | FP % | RMSE pm | heavy pm | light pm | bound pm | fit s |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...perDose,
    '',
    `## GLARE by noise model (RMSE pm: ${STEPS.join(' / ')})`,
    '',
    'Only the realistic preset misaligns the projections (σ 0.2 Å per axis) and jitters the scan rows (σ 0.1 Å).',
    '',
    `| noise | dose e⁻/Å² | cases | ${STEPS.join(' | ')} |`,
    `| --- | --- | ---: | ${STEPS.map(() => '---:').join(' | ')} |`,
    ...perNoise,
    '',
    '## Misalignment found (pm, RMS over projections and both axes, without the pattern a rigid move of the model makes: no data can tell that part from a moved particle)',
    '',
    'Applied = what the simulator shifted each projection by; per volume: fitted / left (fitted − applied).',
    '',
    `| morphology | species | dose e⁻/Å² | applied | ${VOLUMES.map((v) => `${v} fitted / left`).join(' | ')} |`,
    `| --- | --- | ---: | ---: | ${VOLUMES.map(() => '---').join(' | ')} |`,
    ...shiftRows,
    '',
    '## The goals of issue #4, with and without the fit (GLARE)',
    '',
    ...goals(rows),
    '',
    `## Per case (recovery % / RMSE pm: ${STEPS.join(' → ')})`,
    '',
    `| morphology | species | noise | dose | atoms | ${VOLUMES.join(' | ')} |`,
    `| --- | --- | --- | ---: | ---: | ${VOLUMES.map(() => '---').join(' | ')} |`,
    ...caseRows,
    '',
  ].join('\n');
  writeResults('position-fit', { machine, trainedSteps, args, rows }, md);
}

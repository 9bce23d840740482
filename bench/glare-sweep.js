/**
 * `npm run bench -- glare-sweep`: raw vs U-Net vs GLARE WITHOUT the automatic threshold. The glare
 * bench traces every volume with the pipeline's cut (autoThreshold), so a method whose output puts
 * its ghosts a little higher loses there even when it ranks true atoms above ghosts as well as
 * another. Here each volume of the held-out test split (the glare bench's cases) is traced once and
 * the cut swept over its candidates' peak values: per case the recovery vs false-positive curve,
 * summarised as the best recovery − FP over all cuts (an oracle cut: what a perfectly chosen
 * threshold would give), the recovery at FP ≤ 5 %, and the pipeline's cut. One pass, given the tilt
 * angles. Writes bench/results/glare-sweep.{json,md}. PANN_MODELS_DIR picks other weights.
 */
const { req, pct, loadNets, machineInfo, writeResults, mean, peakQuantiles } = require('./_refine-bench');

const refine = req('refine');
const { traceAtoms, selectAtoms, autoThreshold } = req('trace');
const { evaluate } = req('metrics');

const METHODS = ['raw', 'unet', 'glare'];
const CUTS = 48;
const FP_BUDGET = 0.05;

/** Recovery and FP rate at `CUTS` cuts spread over the candidates' peak values, plus the automatic cut. */
function sweep(trace, truth) {
  const cuts = peakQuantiles(trace, CUTS);
  const at = (threshold) => {
    const m = evaluate(selectAtoms(trace, { threshold }), truth);
    return { threshold, recovery: m.recoveryRate, falsePositive: m.falsePositiveRate };
  };
  return { curve: cuts.map(at), auto: at(autoThreshold(trace)) };
}

function summarise({ curve, auto }) {
  const best = curve.reduce((b, p) => (p.recovery - p.falsePositive > b.recovery - b.falsePositive ? p : b));
  const withinBudget = curve.filter((p) => p.falsePositive <= FP_BUDGET);
  return {
    oracle: best,
    recoveryAtFpBudget: withinBudget.length ? Math.max(...withinBudget.map((p) => p.recovery)) : 0,
    auto,
  };
}

exports.main = async function main(args) {
  const models = await loadNets(refine, ['unet', 'glare']);
  const rows = [];
  for (const spec of refine.testSpecs()) {
    const pair = await refine.makePair(spec);
    const row = { seed: spec.seed, morphology: spec.morphology, dose: spec.simulate.totalDoseEPerA2 };
    for (const m of METHODS) {
      const vol =
        m === 'raw'
          ? pair.reconstruction
          : await refine.refineVolume(pair.reconstruction, {
              method: m,
              model: models[m],
              tiltsForPhysics: pair.tilts,
            });
      row[m] = summarise(sweep(await traceAtoms(vol, {}), pair.truth));
    }
    rows.push(row);
    console.error(
      `${spec.morphology} ${spec.simulate.totalDoseEPerA2}: ` +
        METHODS.map(
          (m) => `${m} oracle ${pct(row[m].oracle.recovery)}/${pct(row[m].oracle.falsePositive)}`,
        ).join(', '),
    );
  }
  const machine = machineInfo();
  const doses = [...new Set(rows.map((r) => r.dose))];
  const merit = (p) => p.recovery - p.falsePositive;
  const table = doses.map((d) => {
    const rs = rows.filter((r) => r.dose === d);
    const cells = METHODS.map((m) => {
      const o = mean(rs.map((r) => merit(r[m].oracle)));
      const a = mean(rs.map((r) => merit(r[m].auto)));
      const b = mean(rs.map((r) => r[m].recoveryAtFpBudget));
      return `${pct(o)} | ${pct(b)} | ${pct(a)}`;
    });
    return `| ${d.toExponential(0)} | ${rs.length} | ${cells.join(' | ')} |`;
  });
  // paired: GLARE vs U-Net per case, on the oracle cut and on the pipeline's cut
  const paired = (key) => {
    let better = 0,
      worse = 0;
    const diffs = rows.map((r) => merit(r.glare[key]) - merit(r.unet[key]));
    for (const x of diffs) {
      if (x > 0.005) better++;
      else if (x < -0.005) worse++;
    }
    return `${better} | ${worse} | ${rows.length} | ${(100 * mean(diffs)).toFixed(2)}`;
  };
  const md = [
    '# Refiners compared without the automatic threshold (test split)',
    '',
    `The glare bench's held-out test split (seeds ${refine.TEST_SEED_BASE}+, one particle per morphology at 1e6, 1e5, 1e4, 3e3 e⁻/Å²), reconstructed as the pipeline does; raw, U-Net (${models.unet.info.trainedSteps ?? '?'} steps) and GLARE (${models.glare.info.trainedSteps ?? '?'} steps, one pass, given the angles), each traced once (traceAtoms defaults) and cut at ${CUTS} peak values spread over its candidates (quantiles). "oracle": the best recovery − false-positive rate over those cuts (a perfectly chosen threshold per case); "rec. at FP ≤ ${100 * FP_BUDGET} %": the highest recovery with at most ${100 * FP_BUDGET} % false positives; "auto": recovery − FP at the pipeline's cut (autoThreshold), as in the glare bench. Means over cases, in points. Matched within 1 Å. Made by \`npm run bench -- glare-sweep${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    `| dose | cases | ${METHODS.map((m) => `${m} oracle | ${m} rec. at FP ≤ ${100 * FP_BUDGET} % | ${m} auto`).join(' | ')} |`,
    `| ---: | ---: | ${METHODS.map(() => '---: | ---: | ---:').join(' | ')} |`,
    ...table,
    '',
    '## GLARE vs U-Net, case by case (recovery − FP)',
    '',
    '| cut | GLARE better | GLARE worse | cases | mean difference (points) |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| oracle | ${paired('oracle')} |`,
    `| auto | ${paired('auto')} |`,
    '',
  ];
  writeResults('glare-sweep', { machine, cuts: CUTS, fpBudget: FP_BUDGET, rows }, md.join('\n'));
};

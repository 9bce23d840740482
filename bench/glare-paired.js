/**
 * `npm run bench -- glare-paired [--per-cell n] [--flips]`: is GLARE better or worse than the plain
 * U-Net, beyond what the test particles' spread allows? Both nets refine the same reconstructions of
 * the test split (n particles per morphology, each at 1e6 / 1e5 / 1e4 / 3e3 e⁻/Å²), traced with the
 * pipeline's adaptive cut; per dose, the mean paired difference GLARE − U-Net of recovery, false
 * positives, recovery − FP and RMSE, with a 95 % bootstrap interval over particles (2,000 resamples,
 * seeded); and, independent of the cut, each net's recovery when it keeps as many atoms as the other
 * net's adaptive cut kept. `--flips` refines both with the 8-mirror ensemble. Writes
 * bench/results/glare-paired[-flips].{json,md}.
 */
const {
  req,
  pct,
  fmt,
  numberArg,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  candidatePeaks,
} = require('./_refine-bench');

const refine = req('refine');
const { traceAtoms, selectAtoms, autoThreshold } = req('trace');
const { evaluate } = req('metrics');
const { createRng } = req('core/rng');

const NETS = ['unet', 'glare'];
const RESAMPLES = 2000;

function scoreAt(tr, threshold, truth) {
  const m = evaluate(selectAtoms(tr, { threshold }), truth);
  return {
    recovery: m.recoveryRate,
    falsePositive: m.falsePositiveRate,
    merit: m.recoveryRate - m.falsePositiveRate,
    rmsePm: m.rmsePm,
    atoms: m.nPred,
  };
}

/** The cut that keeps the `n` strongest candidates not suppressed by a stronger neighbour. */
function cutForCount(tr, n) {
  const peaks = candidatePeaks(tr);
  return peaks[peaks.length - Math.min(Math.max(n, 1), peaks.length)];
}

/** Mean of `xs` and its 95 % percentile-bootstrap interval (resampling the cases). */
function meanWithInterval(xs, rng) {
  const means = [];
  for (let r = 0; r < RESAMPLES; r++) {
    let s = 0;
    for (let k = 0; k < xs.length; k++) s += xs[rng.int(xs.length)];
    means.push(s / xs.length);
  }
  means.sort((a, b) => a - b);
  return {
    mean: mean(xs),
    lo: means[Math.floor(0.025 * RESAMPLES)],
    hi: means[Math.floor(0.975 * RESAMPLES) - 1],
  };
}

exports.main = async function main(args) {
  const perCell = numberArg(args, '--per-cell', 3);
  const flips = args.includes('--flips');
  const nets = await loadNets(refine, NETS);
  const rows = [];
  for (const spec of refine.testSpecs(refine.TEST_DOSES, perCell)) {
    const pair = await refine.makePair(spec);
    const rawTrace = await traceAtoms(pair.reconstruction, {});
    const row = {
      seed: spec.seed,
      morphology: spec.morphology,
      dose: spec.simulate.totalDoseEPerA2,
      atoms: pair.truth.species.length,
      raw: scoreAt(rawTrace, autoThreshold(rawTrace), pair.truth),
    };
    const traces = {};
    for (const net of NETS) {
      const vol = await refine.refineVolume(pair.reconstruction, {
        method: net,
        model: nets[net],
        flipEnsemble: flips,
        tiltsForPhysics: pair.tilts,
      });
      traces[net] = await traceAtoms(vol, {});
      row[net] = scoreAt(traces[net], autoThreshold(traces[net]), pair.truth);
    }
    // ranking quality without the cut: each net keeping as many atoms as the other one's adaptive cut kept
    row.glareAtUnetCount = scoreAt(traces.glare, cutForCount(traces.glare, row.unet.atoms), pair.truth);
    row.unetAtGlareCount = scoreAt(traces.unet, cutForCount(traces.unet, row.glare.atoms), pair.truth);
    rows.push(row);
    console.error(
      `${row.morphology} ${row.seed} ${row.dose.toExponential(0)}: ` +
        ['raw', ...NETS]
          .map((k) => `${k} ${pct(row[k].recovery)}/${pct(row[k].falsePositive)}/${fmt(row[k].rmsePm)}`)
          .join(', '),
    );
  }
  const rng = createRng(1);
  const keys = [
    ['recovery', 'recovery', 100],
    ['falsePositive', 'false positives', 100],
    ['merit', 'recovery − FP', 100],
    ['rmsePm', 'RMSE pm', 1],
  ];
  const summary = refine.TEST_DOSES.map((dose) => {
    const rs = rows.filter((r) => r.dose === dose);
    const out = { dose, cases: rs.length };
    for (const [k, , scale] of keys) {
      const d = rs.map((r) => scale * (r.glare[k] - r.unet[k])).filter(Number.isFinite);
      out[k] = {
        ...meanWithInterval(d, rng),
        glareBetter: d.filter((x) => (k === 'falsePositive' || k === 'rmsePm' ? x < 0 : x > 0)).length,
        unetBetter: d.filter((x) => (k === 'falsePositive' || k === 'rmsePm' ? x > 0 : x < 0)).length,
      };
      out[`${k}Means`] = Object.fromEntries(
        ['raw', ...NETS].map((n) => [n, scale * mean(rs.map((r) => r[n][k]).filter(Number.isFinite))]),
      );
    }
    // equal counts: GLARE cut to the U-Net's count vs the U-Net; GLARE vs the U-Net cut to GLARE's count
    out.equalCount = {
      atUnetCount: meanWithInterval(
        rs.map((r) => 100 * (r.glareAtUnetCount.recovery - r.unet.recovery)),
        rng,
      ),
      atGlareCount: meanWithInterval(
        rs.map((r) => 100 * (r.glare.recovery - r.unetAtGlareCount.recovery)),
        rng,
      ),
    };
    return out;
  });
  const machine = machineInfo();
  const interval = (x) => `${fmt(x.mean, 2)} [${fmt(x.lo, 2)}, ${fmt(x.hi, 2)}]`;
  const cell = (x) =>
    `${fmt(x.mean, 2)} [${fmt(x.lo, 2)}, ${fmt(x.hi, 2)}] (${x.glareBetter}:${x.unetBetter})`;
  const md = [
    `# GLARE against the plain U-Net, paired over particles (test split${flips ? ', 8-mirror ensembles' : ''})`,
    '',
    `${perCell} particle(s) per morphology of the GLARE test split (seeds ${refine.TEST_SEED_BASE}+), each at every dose, reconstructed as the pipeline does; both nets refine the same reconstruction${flips ? ' (each averaged over the 8 mirror images, `--refine-flips`)' : ''} (GLARE given the tilt angles), traced with the adaptive cut, matched within 1 Å. Cells: mean paired difference GLARE − U-Net [95 % bootstrap interval over particles, ${RESAMPLES} resamples] (cases where GLARE is better : cases where the U-Net is better); points of % for rates, pm for RMSE (negative FP / RMSE differences favour GLARE). Models: GLARE ${nets.glare.info.trainedSteps} steps, U-Net ${nets.unet.info.trainedSteps} steps. Made by \`npm run bench -- glare-paired${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| dose e⁻/Å² | cases | Δ recovery | Δ false positives | Δ (recovery − FP) | Δ RMSE pm |',
    '| --- | ---: | --- | --- | --- | --- |',
    ...summary.map(
      (s) => `| ${s.dose.toExponential(0)} | ${s.cases} | ${keys.map(([k]) => cell(s[k])).join(' | ')} |`,
    ),
    '',
    'Equal numbers of atoms (ranking quality, independent of where the adaptive cut falls): Δ recovery GLARE − U-Net in points [95 % interval] when GLARE keeps as many atoms as the U-Net kept, and when the U-Net keeps as many as GLARE kept (same count, so Δ false positives follows).',
    '',
    '| dose e⁻/Å² | at the U-Net’s count | at GLARE’s count |',
    '| --- | --- | --- |',
    ...summary.map(
      (s) =>
        `| ${s.dose.toExponential(0)} | ${interval(s.equalCount.atUnetCount)} | ${interval(s.equalCount.atGlareCount)} |`,
    ),
    '',
    'Means (raw / U-Net / GLARE):',
    '',
    '| dose e⁻/Å² | recovery % | false positives % | recovery − FP | RMSE pm |',
    '| --- | --- | --- | --- | --- |',
    ...summary.map(
      (s) =>
        `| ${s.dose.toExponential(0)} | ${keys.map(([k]) => ['raw', ...NETS].map((n) => fmt(s[`${k}Means`][n])).join(' / ')).join(' | ')} |`,
    ),
    '',
  ];
  writeResults(
    flips ? 'glare-paired-flips' : 'glare-paired',
    { machine, perCell, flips, summary, rows },
    md.join('\n'),
    1,
  );
};

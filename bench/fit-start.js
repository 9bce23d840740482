/**
 * `npm run bench -- fit-start [--cases 32] [--offset-pm 20]`: where does the fitted positions' error come
 * from? On the VALIDATION split (seeds 1000000+, drawn like the training data) each particle's tilt series
 * is fitted (`fitAtomsToTilts`, defaults, then `keepSupportedAtoms` as `runPipeline` does) from four starts:
 *   - traced: GLARE → the adaptive cut (what the pipeline fits);
 *   - traced + missed: the same atoms plus every true atom the tracing missed (matched within 1 Å), each
 *     placed at the truth + a seeded random offset (Gaussian, `--offset-pm` per axis) — an oracle for a
 *     tracing that misses nothing;
 *   - truth + offset: every true atom and nothing else, each at the truth + such an offset — starting
 *     positions with random rather than the tracing's errors;
 *   - truth: every true atom at its place — the fit's own error (its prior is centred on the truth, so this
 *     is a floor, not an achievable figure).
 * Each start is also the centre of the fit's position prior, as in the pipeline. Scores as in
 * position-fit.md (matched within 1 Å; heaviest species and lighter ones apart; the Cramér–Rao bound of
 * the matched true atoms). Writes bench/results/fit-start.{json,md}.
 */
const {
  req,
  pct,
  fmt,
  loadNets,
  machineInfo,
  writeResults,
  mean,
  rms,
  numberArg,
  methodVolume,
  pairWithDoseLimits,
  positionScore,
  traceAdaptive,
  heaviestSpeciesMask,
  fitAndCut,
  VALIDATION_DOSE_BANDS: BANDS,
} = require('./_refine-bench');

const refine = req('refine');
const { DEFAULT_POSITION_PRIOR_A } = req('trace');
const { matchAtoms } = req('metrics');
const { createRng } = req('core/rng');

const STARTS = ['traced', 'traced + missed', 'truth + offset', 'truth'];

/** `model`'s atoms followed by `extra` true atoms, each at the truth + a Gaussian offset of `offsetA` per axis. */
function withTrueAtoms(model, truth, extra, offsetA, rng) {
  const add = [];
  for (const t of extra) for (let d = 0; d < 3; d++) add.push(truth.positionsA[3 * t + d] + offsetA * rng.normal());
  return {
    positionsA: Float64Array.from([...model.positionsA, ...add]),
    species: [...model.species, ...extra.map((t) => truth.species[t])],
  };
}

exports.main = async function main(args) {
  const n = numberArg(args, '--cases', 32);
  const offsetPm = numberArg(args, '--offset-pm', 20);
  const nets = await loadNets(refine, ['glare']);
  const rows = [];
  for (const spec of refine.validationSpecs(n)) {
    const { pair, limits } = await pairWithDoseLimits(spec);
    const { truth } = pair;
    const traced = await traceAdaptive(await methodVolume(pair, 'glare', nets));
    const rng = createRng(spec.seed);
    const found = new Set(Array.from(matchAtoms(traced, truth, { rMatchA: 1.0 }).truthIndex));
    const all = truth.species.map((_, t) => t);
    const empty = { positionsA: new Float64Array(0), species: [] };
    const starts = {
      traced,
      'traced + missed': withTrueAtoms(traced, truth, all.filter((t) => !found.has(t)), offsetPm / 100, rng),
      'truth + offset': withTrueAtoms(empty, truth, all, offsetPm / 100, rng),
      truth,
    };
    const species = [...new Set(truth.species)];
    const heavy = heaviestSpeciesMask(truth);
    const bound = Array.from(limits.positionBoundPm);
    const byStart = {};
    for (const name of STARTS) {
      const { kept } = await fitAndCut(starts[name], pair, species);
      byStart[name] = { start: positionScore(starts[name], truth, heavy, bound), fit: positionScore(kept, truth, heavy, bound) };
    }
    const row = { seed: spec.seed, morphology: spec.morphology, species: species.join(''), noise: spec.simulate.acquisition.noiseModel, dose: spec.simulate.totalDoseEPerA2, atoms: truth.species.length, missed: truth.species.length - found.size, byStart };
    rows.push(row);
    console.error(`${row.seed} ${row.morphology} ${row.species} ${row.dose.toExponential(1)}: ` + STARTS.map((s) => `${s} ${fmt(byStart[s].fit.rmsePm)} pm`).join(', '));
  }
  report({ machine: machineInfo(), args, offsetPm, glareSteps: nets.glare.info.trainedSteps, rows });
};

function report({ machine, args, offsetPm, glareSteps, rows }) {
  const line = (band, rs, name, what) => {
    const s = rs.map((r) => r.byStart[name][what]);
    const m = (k) => mean(s.map((x) => x[k]));
    const r2 = (k) => fmt(rms(s.map((x) => x[k])));
    return `| ${band} | ${rs.length} | ${name} | ${what === 'start' ? 'start' : 'fitted + cut'} | ${pct(m('recovery'))} | ${pct(m('falsePositive'))} | ${r2('rmsePm')} | ${r2('heavyRmsePm')} | ${r2('lightRmsePm')} | ${r2('boundPm')} |`;
  };
  const table = BANDS.flatMap(([band, inBand]) => {
    const rs = rows.filter((r) => inBand(r.dose));
    return rs.length ? STARTS.flatMap((name) => (name === 'truth' ? ['fit'] : ['start', 'fit']).map((what) => line(band, rs, name, what))) : [];
  });
  const md = [
    '# Where the fitted positions\' error comes from (validation split)',
    '',
    `Each particle (the first ${rows.length} of the validation split, seeds ${refine.VALIDATION_SEED_BASE}+, drawn like the training data) fitted to its tilt series by \`fitAtomsToTilts\` (defaults) and cut for support (\`keepSupportedAtoms\`, as \`runPipeline\` does) from four starts: **traced** — GLARE (${glareSteps} steps, given the tilt angles) → the adaptive cut, what the pipeline fits; **traced + missed** — the same atoms plus every true atom the tracing missed, at the truth + a seeded Gaussian offset of ${offsetPm} pm per axis (an oracle: a tracing that misses nothing); **truth + offset** — every true atom and no other, each at the truth + such an offset (random starting errors instead of the tracing's, no ghosts); **truth** — every true atom at its place. Each start is also the centre of the fit's position prior (${DEFAULT_POSITION_PRIOR_A} Å), as in the pipeline, so "truth" is a floor, not an achievable figure. Matched within 1 Å; recovery and false positives are means over particles, RMSE the RMS over particles of each particle's RMSE ("heaviest": the particle's heaviest species, "lighter": the others); bound = the Cramér–Rao bound (\`doseLimits\`) over the same matched true atoms. Bands by total dose e⁻/Å². Made by \`npm run bench -- fit-start${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, Node ${machine.node}, ${machine.date}.`,
    '',
    '| dose | n | start | positions | recovery % | false pos. % | RMSE pm | heaviest pm | lighter pm | bound pm |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table,
    '',
    '## Per particle (fitted + cut: recovery % / false pos. % / RMSE pm)',
    '',
    `| seed | morphology | species | noise | dose | atoms | missed by tracing | ${STARTS.join(' | ')} |`,
    `| ---: | --- | --- | --- | ---: | ---: | ---: | ${STARTS.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.seed} | ${r.morphology} | ${r.species} | ${r.noise} | ${r.dose.toExponential(0)} | ${r.atoms} | ${r.missed} | ${STARTS.map((s) => { const f = r.byStart[s].fit; return `${pct(f.recovery)} / ${pct(f.falsePositive)} / ${fmt(f.rmsePm)}`; }).join(' | ')} |`),
    '',
  ].join('\n');
  writeResults('fit-start', { machine, args, offsetPm, glareSteps, rows }, md);
}

/**
 * `npm run bench -- glare-physics [--seeds N]`: how much the projection-consistency term of GLARE's
 * loss weighs in training, and whose noise it carries. On validation particles (seeds 1,000,000+,
 * never trained on) at 1e5, 1e4 and 3e3 e⁻/Å², with the shipped GLARE:
 * - size: RMS of the term's target shift (physics.ts, λ = 0.1, contrast power 2) at GLARE's output,
 *   against the RMS voxel error of that output (the voxel MSE's own shift), and the λ at which the
 *   two would be equal;
 * - noise: the part of the shift that changes when the measured series is swapped for an independent
 *   exposure (`independentExposure`), evaluated at the ideal volume so that only the measurement
 *   differs, and its correlation with the noise of the network's input (reconstruction of the first
 *   exposure minus that of the second). A negative correlation means the shifted target t − g
 *   carries the input's own noise.
 * Writes bench/results/glare-physics.{json,md}.
 */
const { req, numberArg, fmt, machineInfo, writeResults } = require('./_refine-bench');

const refine = req('refine');
const { reconstructDetailed } = req('recon/reconstruct');
const { pearsonCorrelation: corr } = req('metrics/correlation');

const DOSES = [1e5, 1e4, 3e3];
const LAMBDA = 0.1;

const rms = (a) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
async function measure(spec, model) {
  const shape = [refine.SAMPLE_EDGE, refine.SAMPLE_EDGE, refine.SAMPLE_EDGE];
  const p = await refine.makePair(spec);
  const second = await refine.independentExposure(spec, p.truth);
  const T = p.target.data;
  const y = (
    await refine.refineVolume(p.reconstruction, { method: 'glare', model, tiltsForPhysics: p.tilts })
  ).data;
  const w = { projection: LAMBDA, positivity: 0, contrastPower: 2 };
  const same = refine.physicsContext(p.tilts, T, shape, 2);
  const ind = refine.physicsContext(second, T, shape, 2);
  const error = rms(y.map((v, i) => v - T[i]));
  const shift = rms(refine.physicsGradient(same, y, w).grad);
  const gSame = refine.physicsGradient(same, T, w).grad;
  const gInd = refine.physicsGradient(ind, T, w).grad;
  const noiseShift = gSame.map((v, i) => v - gInd[i]);
  const x2 = (await reconstructDetailed(second, { volumeShape: shape })).volume.data;
  const inputNoise = p.reconstruction.data.map((v, i) => v - x2[i]);
  return {
    seed: spec.seed,
    morphology: spec.morphology,
    noise: spec.simulate.acquisition.noiseModel,
    dose: spec.simulate.totalDoseEPerA2,
    voxelErrorRms: error,
    physicsShiftRms: shift,
    ratio: shift / error,
    lambdaForParity: (LAMBDA * error) / shift,
    noiseShiftRms: rms(noiseShift),
    noiseShiftOverError: rms(noiseShift) / error,
    noiseCorrelation: corr(noiseShift, inputNoise),
  };
}

exports.main = async function main(args) {
  const nSeeds = numberArg(args, '--seeds', 4);
  const model = await refine.loadRefineModel(refine.defaultModelDir('glare'));
  const rows = [];
  for (const dose of DOSES)
    for (let k = 0; k < nSeeds; k++) {
      const r = await measure(
        refine.sampleSpec(refine.VALIDATION_SEED_BASE + k, { totalDoseEPerA2: dose }),
        model,
      );
      rows.push(r);
      console.error(JSON.stringify(r));
    }
  const machine = machineInfo();
  const e = (x) => (Number.isFinite(x) ? x.toExponential(2) : '—');
  const md = [
    '# GLARE physics term: its weight in training, and its noise',
    '',
    `Validation particles (seeds ${refine.VALIDATION_SEED_BASE}…${refine.VALIDATION_SEED_BASE + nSeeds - 1}), shipped GLARE (one pass, given the angles). "shift": RMS over the 64³ frame of the projection-consistency term's target shift (training.ts adds it to the voxel MSE's target) at λ = ${LAMBDA}, contrast power 2, at GLARE's output; "error": RMS voxel error of that output (the voxel MSE's own shift); "λ for parity" = λ · error / shift. "noise part": the shift at the ideal volume with the measured series minus with an independent exposure of the same particle, relative to the error; "corr": its correlation with the input's noise (reconstruction of the measured series minus that of the independent one) — negative: the shifted target carries the input's own noise. Made by \`npm run bench -- glare-physics${args.length ? ' ' + args.join(' ') : ''}\` on ${machine.cpus} cores, ${machine.date}.`,
    '',
    '| dose (e⁻/Å²) | seed | morphology | noise | error | shift | shift / error | λ for parity | noise part / error | corr(noise part, input noise) |',
    '| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.dose.toExponential(0)} | ${r.seed} | ${r.morphology} | ${r.noise} | ${e(r.voxelErrorRms)} | ${e(r.physicsShiftRms)} | ${fmt(100 * r.ratio, 2)} % | ${fmt(r.lambdaForParity, 0)} | ${fmt(100 * r.noiseShiftOverError, 2)} % | ${fmt(r.noiseCorrelation, 2)} |`,
    ),
    '',
  ];
  writeResults('glare-physics', { machine, lambda: LAMBDA, rows }, md.join('\n'));
};

/** fitAtomsToTilts: traced atoms moved onto the measured projections, with each projection's misalignment. */
import { fitAtomsToTilts, misalignmentCorrectionsA, misalignmentZ2 } from '../../kernel-lib/src/trace/fit-to-tilts';
import { simulate } from '../../kernel-lib/src/sim/simulate';
import { subtractBackground } from '../../kernel-lib/src/preprocess/background';
import { shiftTiltSeries } from '../../kernel-lib/src/recon/align';
import { doseLimits } from '../../kernel-lib/src/sim/dose-limit';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import { simulateTiltSeriesSync, type AcquisitionOptions } from '../../kernel-lib/src/sim/tilt-series';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

const shape: Shape3 = [36, 36, 36];
const voxel = 0.6;
const truth = buildParticle(
  { species: 'Pt', shape: 'cuboctahedron', diameterA: 11, voxelSizeA: voxel, volumeShape: shape },
  3,
);

function acq(extra: Partial<AcquisitionOptions> = {}): AcquisitionOptions {
  return {
    totalDoseEPerA2: 1e4,
    tiltRangeDeg: [-70, 70],
    nAngles: 21,
    pixelSizeA: voxel,
    noiseModel: 'ideal',
    ...extra,
  };
}

/** The truth with every coordinate moved by a uniform draw in ±amplitudeA, traced-style species. */
function perturbed(amplitudeA: number, seed: number): AtomicModel {
  const rng = createRng(seed);
  return {
    positionsA: Float64Array.from(truth.positionsA, (x) => x + amplitudeA * (2 * rng.uniform() - 1)),
    species: truth.species.map(() => 'X'),
  };
}

const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
const rms = (xs: ArrayLike<number>): number => Math.sqrt(mean(Array.from(xs, (x) => x * x)));
/** Interleaved (u, v) shifts with each axis' mean removed (the fit's gauge). */
function centred(shifts: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(shifts);
  for (const o of [0, 1]) {
    const mu = mean(out.filter((_, i) => i % 2 === o));
    for (let i = o; i < out.length; i += 2) out[i] -= mu;
  }
  return out;
}

/** RMS distance (pm) between two position lists after removing their mean displacement. */
function translationFreeErrorPm(p: Float64Array, q: Float64Array): number {
  const n = p.length / 3;
  const mu = [0, 1, 2].map((a) => mean(Array.from({ length: n }, (_, i) => p[3 * i + a] - q[3 * i + a])));
  let s = 0;
  for (let k = 0; k < p.length; k++) s += (p[k] - q[k] - mu[k % 3]) ** 2;
  return 100 * Math.sqrt(s / n);
}

function rmsErrorPm(p: Float64Array): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) s += (p[k] - truth.positionsA[k]) ** 2;
  return 100 * Math.sqrt(s / truth.species.length);
}

describe('fitAtomsToTilts', () => {
  it('moves perturbed atoms back onto the truth on noise-free projections, and fits each atom’s counts', async () => {
    const tilts = simulateTiltSeriesSync(truth, shape, acq(), 1).tilts;
    const start = perturbed(0.25, 7);
    const fit = await fitAtomsToTilts(start, tilts, { volumeShape: shape, iterations: 15 });
    expect(rmsErrorPm(start.positionsA)).toBeGreaterThan(20);
    expect(rmsErrorPm(fit.model.positionsA)).toBeLessThan(3);
    expect(fit.model.species).toEqual(start.species);
    // no misalignment in the data: the fitted projection shifts stay at (almost) zero
    expect(rms(fit.projectionShiftA)).toBeLessThan(0.02); // Å; measured 0.012, against 0.2 applied below
    // a Pt atom gives dose/nAngles × 0.05 Å² counts per projection
    const perAtom = (1e4 / 21) * 0.05;
    for (const a of fit.amplitude) expect(Math.abs(a / perAtom - 1)).toBeLessThan(0.05);
    // …and the fitted model carries them, so later stages (the support cut's subsets, k-means' 'fitted' feature) keep them per atom
    expect(fit.model.scores!.fittedBrightness).toBe(fit.amplitude);
    // what is left is mostly the position prior (atoms moved ~0.25 Å from where they started)
    expect(fit.lossHistory[fit.lossHistory.length - 1]).toBeLessThan(0.05 * fit.lossHistory[0]);
  });

  it('under shot noise reaches close to the Cramér–Rao bound (and never beyond it by much)', async () => {
    const a = acq({ noiseModel: 'poisson', totalDoseEPerA2: 3e3 });
    const bound = doseLimits(truth, shape, a).positionBoundPm;
    const rmsBound = Math.sqrt(bound.reduce((s, x) => s + x * x, 0) / bound.length);
    let sq = 0;
    const draws = 4;
    for (let seed = 0; seed < draws; seed++) {
      const fit = await fitAtomsToTilts(
        perturbed(0.2, 100 + seed),
        simulateTiltSeriesSync(truth, shape, a, seed).tilts,
        { volumeShape: shape },
      );
      sq += rmsErrorPm(fit.model.positionsA) ** 2;
    }
    const ratio = Math.sqrt(sq / draws) / rmsBound;
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.3);
  });

  it('keeps every atom within maxShiftA of where it was traced, and is deterministic', async () => {
    const tilts = simulateTiltSeriesSync(
      truth,
      shape,
      acq({ noiseModel: 'poisson', totalDoseEPerA2: 300 }),
      2,
    ).tilts;
    const start = perturbed(0.6, 9);
    const f1 = await fitAtomsToTilts(start, tilts, { volumeShape: shape, maxShiftA: 0.2 });
    const f2 = await fitAtomsToTilts(start, tilts, { volumeShape: shape, maxShiftA: 0.2 });
    for (const d of f1.shiftA) expect(d).toBeLessThanOrEqual(0.2 + 1e-9);
    expect(Array.from(f1.model.positionsA)).toEqual(Array.from(f2.model.positionsA));
  });

  it('finds each projection’s misalignment and takes it out of the positions', async () => {
    // 0.2 Å per axis, the realistic preset's misalignment, on otherwise noise-free projections of a
    // 55-atom particle (more atoms pin each projection's shift down better)
    const big = buildParticle(
      { species: 'Pt', shape: 'cuboctahedron', diameterA: 15, voxelSizeA: voxel, volumeShape: shape },
      3,
    );
    const sim = simulateTiltSeriesSync(big, shape, acq({ noise: { misalignmentSigmaA: 0.2 } }), 4);
    const rng = createRng(11);
    const start = {
      positionsA: Float64Array.from(big.positionsA, (x) => x + 0.25 * (2 * rng.uniform() - 1)),
      species: big.species,
    };
    const withShifts = await fitAtomsToTilts(start, sim.tilts, { volumeShape: shape });
    const without = await fitAtomsToTilts(start, sim.tilts, {
      volumeShape: shape,
      fitProjectionShifts: false,
    });
    const applied = centred(sim.shiftsA);
    expect(rms(applied)).toBeGreaterThan(0.15);
    const left = centred(Float64Array.from(withShifts.projectionShiftA, (s, i) => s - sim.shiftsA[i]));
    expect(rms(left)).toBeLessThan(0.15 * rms(applied));
    // the fitted shifts keep a zero mean (a common shift would move the whole model)
    expect(Math.abs(mean(withShifts.projectionShiftA.filter((_, i) => i % 2 === 0)))).toBeLessThan(1e-9);
    // The applied shifts' own mean (σ/√21 per axis) moves the whole series, which no fit can tell from a
    // move of the particle: errors are compared with the mean displacement removed.
    const fitted = translationFreeErrorPm(withShifts.model.positionsA, big.positionsA);
    expect(fitted).toBeLessThan(3);
    expect(fitted).toBeLessThan(0.4 * translationFreeErrorPm(without.model.positionsA, big.positionsA));
  });

  it('gives corrections that realign the series, and standard errors that match the scatter of the shifts', async () => {
    const big = buildParticle(
      { species: 'Pt', shape: 'cuboctahedron', diameterA: 15, voxelSizeA: voxel, volumeShape: shape },
      3,
    );
    const rng = createRng(12);
    const start = {
      positionsA: Float64Array.from(big.positionsA, (x) => x + 0.25 * (2 * rng.uniform() - 1)),
      species: big.species,
    };
    // realigning: the series shifted by the corrections has (almost) no misalignment left to find
    const misaligned = simulateTiltSeriesSync(big, shape, acq({ noise: { misalignmentSigmaA: 0.2 } }), 4);
    const first = await fitAtomsToTilts(start, misaligned.tilts, { volumeShape: shape });
    const corrections = misalignmentCorrectionsA(first);
    expect(corrections).toHaveLength(misaligned.tilts.shape[0]);
    expect(corrections[3]).toEqual([-first.projectionShiftA[6], -first.projectionShiftA[7]]);
    const again = await fitAtomsToTilts(start, shiftTiltSeries(misaligned.tilts, corrections), { volumeShape: shape });
    const applied = rms(centred(misaligned.shiftsA));
    expect(rms(again.projectionShiftA)).toBeLessThan(0.15 * applied);
    // shot noise only, no misalignment: the fitted shifts are noise, and their standard errors say how much
    // (measured mean z² 0.63 for 40 free shifts: a little conservative, the weights come from the first residuals)
    const noisy = simulateTiltSeriesSync(big, shape, acq({ noiseModel: 'poisson', totalDoseEPerA2: 3e4 }), 5);
    const fit = await fitAtomsToTilts(start, noisy.tilts, { volumeShape: shape });
    const z2 = mean(fit.projectionShiftA.map((x, i) => (x / fit.projectionShiftErrorA[i]) ** 2));
    expect(z2).toBeGreaterThan(0.5);
    expect(z2).toBeLessThan(2);
    // without shift fitting there are no errors to give
    const held = await fitAtomsToTilts(start, noisy.tilts, { volumeShape: shape, fitProjectionShifts: false, iterations: 1 });
    expect(held.projectionShiftErrorA.every(Number.isNaN)).toBe(true);
  });

  it('finds the misalignment when most of the field of view is empty (the noise floor comes from the empty pixels)', async () => {
    // fept-lowdose at 1e5: 80 × 80 px around a 3 nm particle, realistic noise. From the true positions the
    // first residuals are the misalignment's misfit; a variance floor fitted as a free intercept went
    // negative on it, the empty pixels then outweighed the atoms and the shifts came out wrong.
    const sim = await simulate({ preset: 'fept-lowdose', totalDoseEPerA2: 1e5, seed: 3 });
    const fit = await fitAtomsToTilts(sim.truth, subtractBackground(sim.tilts).tilts, { volumeShape: sim.volumeShape });
    const applied = centred(sim.shiftsA);
    expect(rms(applied)).toBeGreaterThan(0.15);
    const left = Float64Array.from(fit.projectionShiftA, (s, i) => s - applied[i]);
    expect(rms(left)).toBeLessThan(0.08); // Å; measured 0.044 of 0.197 applied
    expect(misalignmentZ2(fit)).toBeGreaterThan(10); // measured 239
  });

  it('keeps every atom inside the volume frame, even when the data pull it out', async () => {
    // signal just outside the frame (x = −0.4 Å: a neighbour, a support feature) beside a traced atom at x = 0.1 Å
    const y = 10.8,
      z = 10.8;
    const outside: AtomicModel = { positionsA: Float64Array.from([-0.4, y, z]), species: ['Pt'] };
    const tilts = simulateTiltSeriesSync(outside, shape, acq(), 1).tilts;
    const fit = await fitAtomsToTilts({ positionsA: Float64Array.from([0.1, y, z]), species: ['X'] }, tilts, {
      volumeShape: shape,
    });
    expect(fit.model.positionsA[0]).toBeGreaterThanOrEqual(0);
    expect(fit.model.positionsA[0]).toBeLessThan(0.1); // it did move towards the signal
  });

  it('names bad input', async () => {
    const tilts = simulateTiltSeriesSync(truth, shape, acq(), 1).tilts;
    await expect(fitAtomsToTilts({ positionsA: new Float64Array(0), species: [] }, tilts)).rejects.toThrow(
      /empty/,
    );
    await expect(fitAtomsToTilts(truth, tilts, { iterations: 1.5 })).rejects.toThrow(/iterations/);
    await expect(fitAtomsToTilts(truth, tilts, { positionPriorA: 0 })).rejects.toThrow(/positionPriorA/);
    await expect(fitAtomsToTilts(truth, tilts, { maxProjectionShiftA: -1 })).rejects.toThrow(
      /maxProjectionShiftA/,
    );
    await expect(fitAtomsToTilts(truth, { ...tilts, anglesDeg: tilts.anglesDeg.slice(1) })).rejects.toThrow(
      /angle/,
    );
  });
});

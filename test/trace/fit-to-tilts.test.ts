/** fitAtomsToTilts: traced atoms moved onto the measured projections, with each projection's misalignment. */
import { fitAtomsToTilts, misalignmentCorrectionsA, misalignmentZ2, withoutTranslation } from '../../kernel-lib/src/trace/fit-to-tilts';
import { rotationZYZ } from '../../kernel-lib/src/core/geometry';
import { simulate } from '../../kernel-lib/src/sim/simulate';
import { subtractBackground } from '../../kernel-lib/src/preprocess/background';
import { shiftTiltSeries } from '../../kernel-lib/src/recon/align';
import { doseLimits } from '../../kernel-lib/src/sim/dose-limit';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import { simulateTiltSeriesSync, type AcquisitionOptions } from '../../kernel-lib/src/sim/tilt-series';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel, EulerZYZDeg, Shape3 } from '../../kernel-lib/src/core/types';

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
/**
 * Interleaved (u, v) shifts without the pattern a move of the whole model makes (the fit's gauge): the
 * applied misalignment's own share of that pattern moves the whole series, which no fit can tell from a
 * move of the particle.
 */
function gaugeFree(shifts: ArrayLike<number>, anglesDeg: EulerZYZDeg[]): Float64Array {
  const out = Float64Array.from(shifts);
  withoutTranslation(out, anglesDeg.map((e) => rotationZYZ(e)));
  return out;
}

/** The move T (Å) of the whole model whose image shifts (R₀·T, R₁·T) best match `shifts` (least squares). */
function rigidMoveOf(shifts: ArrayLike<number>, anglesDeg: EulerZYZDeg[]): number[] {
  const A = [0, 0, 0, 0, 0, 0, 0, 0, 0],
    b = [0, 0, 0];
  anglesDeg.forEach((e, t) => {
    const R = rotationZYZ(e);
    for (const [row, o] of [[0, 0], [3, 1]])
      for (let i = 0; i < 3; i++) {
        b[i] += R[row + i] * shifts[2 * t + o];
        for (let j = 0; j < 3; j++) A[3 * i + j] += R[row + i] * R[row + j];
      }
  });
  const det = (m: number[]) => m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  return [0, 1, 2].map((c) => det(A.map((x, k) => (k % 3 === c ? b[Math.floor(k / 3)] : x))) / det(A));
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

describe('withoutTranslation', () => {
  const angles = Array.from({ length: 15 }, (_, k): EulerZYZDeg => [0, -70 + 10 * k, 0]);
  const rot = angles.map((e) => rotationZYZ(e));
  it('removes the shifts a rigid move of the model makes, and keeps what no move makes', () => {
    // a move T of every atom shifts projection t's images by (R₀·T, R₁·T)
    const T = [0.3, -0.2, 0.5];
    const moved = new Float64Array(2 * angles.length);
    rot.forEach((R, t) => {
      moved[2 * t] = R[0] * T[0] + R[1] * T[1] + R[2] * T[2];
      moved[2 * t + 1] = R[3] * T[0] + R[4] * T[1] + R[5] * T[2];
    });
    const cleared = Float64Array.from(moved);
    withoutTranslation(cleared, rot);
    expect(rms(cleared)).toBeLessThan(1e-7); // Å (a 1e-9 ridge keeps the solve regular)
    // random shifts plus that move: the move goes, the rest is unchanged by a second pass
    const rng = createRng(3);
    const random = Float64Array.from(moved, () => 0.2 * rng.normal());
    const once = Float64Array.from(random, (x, i) => x + moved[i]);
    withoutTranslation(once, rot);
    const alone = Float64Array.from(random);
    withoutTranslation(alone, rot);
    for (let i = 0; i < once.length; i++) expect(once[i]).toBeCloseTo(alone[i], 7);
    const twice = Float64Array.from(once);
    withoutTranslation(twice, rot);
    for (let i = 0; i < once.length; i++) expect(twice[i]).toBeCloseTo(once[i], 7);
    // a constant u shift is not a move of the model (a move along x shifts u by cos θ): part of it stays
    const constantU = Float64Array.from(moved, (_, i) => (i % 2 === 0 ? 0.2 : 0));
    withoutTranslation(constantU, rot);
    expect(rms(constantU)).toBeGreaterThan(0.01);
  });

  it('with a single projection (no 3D move pinned down) removes the in-plane shift, as a move in the plane does', () => {
    const one = Float64Array.from([0.3, -0.1]);
    withoutTranslation(one, [rotationZYZ([0, 20, 0])]);
    expect(Math.hypot(one[0], one[1])).toBeLessThan(1e-6);
  });
});

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

  it('measures each atom’s detection SNR as doseLimits predicts it, and ghosts in empty space read near zero', async () => {
    const a = acq({ noiseModel: 'poisson', totalDoseEPerA2: 3e3 });
    const predicted = doseLimits(truth, shape, a).snr;
    const rng = createRng(50);
    const ghosts = Array.from({ length: 6 }, (_, g) => [3 + 3 * rng.uniform(), 3 + 14 * rng.uniform(), 3 + 3 * rng.uniform() + (g % 2) * 12]).flat();
    const start = { positionsA: Float64Array.from([...truth.positionsA, ...ghosts]), species: [...truth.species, ...Array(6).fill('X')] };
    const fit = await fitAtomsToTilts(start, simulateTiltSeriesSync(truth, shape, a, 0).tilts, { volumeShape: shape });
    const n = truth.species.length;
    const ratios = Array.from({ length: n }, (_, i) => fit.detectionSnr[i] / predicted[i]).sort((p, q) => p - q);
    // measured 1.08 (median of 13 Pt atoms; predicted median SNR 8.8); ghosts 0.0–0.9
    expect(ratios[Math.floor(n / 2)]).toBeGreaterThan(0.8);
    expect(ratios[Math.floor(n / 2)]).toBeLessThan(1.25);
    for (let g = n; g < n + 6; g++) expect(fit.detectionSnr[g]).toBeLessThan(2);
    // …and the fitted model carries it per atom (atoms.csv's detectionSnr column; the atom viewer's scoreName)
    expect(fit.model.scores!.detectionSnr).toBe(fit.detectionSnr);
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
    const angles = sim.tilts.anglesDeg;
    const applied = gaugeFree(sim.shiftsA, angles);
    expect(rms(applied)).toBeGreaterThan(0.15);
    const left = Float64Array.from(withShifts.projectionShiftA, (s, i) => s - applied[i]);
    expect(rms(left)).toBeLessThan(0.15 * rms(applied));
    // the fitted shifts hold nothing a move of the whole model would make
    const fitted0 = Float64Array.from(withShifts.projectionShiftA);
    expect(rms(Float64Array.from(gaugeFree(fitted0, angles), (x, i) => x - fitted0[i]))).toBeLessThan(1e-9);
    // The applied shifts' share of that pattern moves the whole series, which no fit can tell from a
    // move of the particle: errors are compared with the mean displacement removed.
    const fitted = translationFreeErrorPm(withShifts.model.positionsA, big.positionsA);
    expect(fitted).toBeLessThan(3);
    expect(fitted).toBeLessThan(0.4 * translationFreeErrorPm(without.model.positionsA, big.positionsA));
  });

  it('leaves the model where the atoms’ images put it: misalignment does not move it as a whole', async () => {
    // From the true positions with a weak prior, on a misaligned noise-free series. Shifts u ∝ sin θ look
    // exactly like a move of the model along z, u ∝ cos θ like one along x; a constant u shift like none.
    const big = buildParticle({ species: 'Pt', shape: 'cuboctahedron', diameterA: 15, voxelSizeA: voxel, volumeShape: shape }, 3);
    const sim = simulateTiltSeriesSync(big, shape, acq({ noise: { misalignmentSigmaA: 0.2 } }), 6);
    const fit = await fitAtomsToTilts(big, sim.tilts, { volumeShape: shape, positionPriorA: 3 });
    const n = big.species.length;
    const drift = [0, 1, 2].map((d) => mean(Array.from({ length: n }, (_, a) => fit.model.positionsA[3 * a + d] - big.positionsA[3 * a + d])));
    // the applied shifts' share of the rigid-move pattern (what no fit can see) IS a move T of the model:
    // the fit should land at truth + T, whatever the rest of the misalignment
    const T = rigidMoveOf(sim.shiftsA, sim.tilts.anglesDeg);
    expect(100 * Math.hypot(...T)).toBeGreaterThan(2); // pm; the case shows something
    expect(100 * Math.hypot(drift[0] - T[0], drift[1] - T[1], drift[2] - T[2])).toBeLessThan(1); // pm; measured 0.5 (holding only the mean shift at zero: 1.7)
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
    const applied = rms(gaugeFree(misaligned.shiftsA, misaligned.tilts.anglesDeg));
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
    const applied = gaugeFree(sim.shiftsA, sim.tilts.anglesDeg);
    expect(rms(applied)).toBeGreaterThan(0.15);
    const left = Float64Array.from(fit.projectionShiftA, (s, i) => s - applied[i]);
    expect(rms(left)).toBeLessThan(0.08); // Å; measured 0.017 of 0.196 applied
    expect(misalignmentZ2(fit)).toBeGreaterThan(10); // measured 250
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

  it('with the neighbour prior (the default), lends a crystal’s light atoms their heavy neighbours’ precision, and leaves an amorphous particle alone', async () => {
    const big: Shape3 = [44, 44, 44];
    const a = { totalDoseEPerA2: 3e4, tiltRangeDeg: [-70, 70] as [number, number], nAngles: 21, pixelSizeA: voxel, noiseModel: 'poisson' as const };
    const errorPm = (p: Float64Array, t: AtomicModel, keep: (s: string) => boolean): number => {
      let s = 0, k = 0;
      t.species.forEach((sp, i) => {
        if (!keep(sp)) return;
        k++;
        for (let d = 0; d < 3; d++) s += (p[3 * i + d] - t.positionsA[3 * i + d]) ** 2;
      });
      return 100 * Math.sqrt(s / k);
    };
    const startNear = (t: AtomicModel): AtomicModel => {
      const rng = createRng(5);
      return { positionsA: Float64Array.from(t.positionsA, (x) => x + 0.15 * rng.normal()), species: t.species };
    };
    // a random NiPt alloy cuboctahedron, 147 atoms, 5 pm thermal displacement
    const alloy = buildParticle({ composition: { Ni: 1, Pt: 1 }, shape: 'cuboctahedron', diameterA: 20, thermalDisplacementPm: 5, voxelSizeA: voxel, volumeShape: big }, 4);
    const tilts = simulateTiltSeriesSync(alloy, big, a, 1).tilts;
    const start = startNear(alloy);
    const plain = await fitAtomsToTilts(start, tilts, { volumeShape: big, neighbourPrior: false });
    const withPrior = await fitAtomsToTilts(start, tilts, { volumeShape: big });
    expect(Number.isNaN(plain.neighbourPriorA)).toBe(true);
    expect(withPrior.neighbourPriorA).toBeGreaterThan(0.05); // measured 0.087 Å: 5 pm thermal + the atoms' own error
    expect(withPrior.neighbourPriorA).toBeLessThanOrEqual(0.15);
    const light = (s: string) => s === 'Ni', heavy = (s: string) => s === 'Pt';
    // measured: Ni 20.9 → 14.9 pm, Pt 8.4 → 7.1 pm
    expect(errorPm(withPrior.model.positionsA, alloy, light)).toBeLessThan(0.85 * errorPm(plain.model.positionsA, alloy, light));
    expect(errorPm(withPrior.model.positionsA, alloy, heavy)).toBeLessThan(errorPm(plain.model.positionsA, alloy, heavy));
    // an amorphous Pt sphere: the bright atoms do not sit at their "pairs'" midpoints, so the prior does not act
    const glass = buildParticle({ species: 'Pt', lattice: 'amorphous', shape: 'sphere', diameterA: 18, thermalDisplacementPm: 5, voxelSizeA: voxel, volumeShape: big }, 4);
    const gTilts = simulateTiltSeriesSync(glass, big, a, 1).tilts;
    const gStart = startNear(glass);
    const g1 = await fitAtomsToTilts(gStart, gTilts, { volumeShape: big, neighbourPrior: false });
    const g2 = await fitAtomsToTilts(gStart, gTilts, { volumeShape: big });
    expect(Number.isNaN(g2.neighbourPriorA)).toBe(true);
    expect(Array.from(g2.model.positionsA)).toEqual(Array.from(g1.model.positionsA));
  }, 120000);

  it('names bad input', async () => {
    const tilts = simulateTiltSeriesSync(truth, shape, acq(), 1).tilts;
    await expect(fitAtomsToTilts({ positionsA: new Float64Array(0), species: [] }, tilts)).rejects.toThrow(
      /empty/,
    );
    await expect(fitAtomsToTilts(truth, tilts, { iterations: 1.5 })).rejects.toThrow(/iterations/);
    await expect(fitAtomsToTilts(truth, tilts, { positionPriorA: 0 })).rejects.toThrow(/positionPriorA/);
    await expect(fitAtomsToTilts(truth, tilts, { neighbourPrior: true, neighbourPriorMaxA: -0.1 })).rejects.toThrow(/neighbourPriorMaxA/);
    await expect(fitAtomsToTilts(truth, tilts, { maxProjectionShiftA: -1 })).rejects.toThrow(
      /maxProjectionShiftA/,
    );
    await expect(fitAtomsToTilts(truth, { ...tilts, anglesDeg: tilts.anglesDeg.slice(1) })).rejects.toThrow(
      /angle/,
    );
  });
});

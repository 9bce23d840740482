import {
  simulateTiltSeries,
  simulateTiltSeriesSync,
  tiltAngles,
  crossSectionsA2,
  type AcquisitionOptions,
} from '../../kernel-lib/src/sim/tilt-series';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import { atomsAroundCentre } from './helpers';
import { rotationZYZ } from '../../kernel-lib/src/core/geometry';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

const shape: Shape3 = [48, 48, 48];
const voxel = 0.6;
const particle = buildParticle(
  {
    composition: { Fe: 0.5, Pt: 0.5 },
    ordering: 'L10',
    shape: 'cuboctahedron',
    diameterA: 20,
    voxelSizeA: voxel,
    volumeShape: shape,
  },
  1,
);

function acq(extra: Partial<AcquisitionOptions>): AcquisitionOptions {
  return { totalDoseEPerA2: 1e4, tiltRangeDeg: [-60, 60], nAngles: 9, pixelSizeA: voxel, ...extra };
}

function sum(a: Float32Array, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i];
  return s;
}

/** One atom of a species, `offsetA` from the rotation centre. */
function single(sp: string, offsetA: [number, number, number] = [0, 0, 0]): AtomicModel {
  return { ...atomsAroundCentre(shape, voxel, [[sp, ...offsetA]]), cellA: [48 * voxel, 48 * voxel, 48 * voxel] };
}

describe('tilt angles', () => {
  it('range and step, or an evenly spaced count, both ends included', () => {
    expect(tiltAngles([-70, 70], 2).length).toBe(71);
    const a = tiltAngles([-70, 70], undefined, 60);
    expect(a.length).toBe(60);
    expect(a[0]).toEqual([0, -70, 0]);
    expect(a[59]).toEqual([0, 70, 0]);
  });
  it('a missing wedge is a limited range: no angle beyond the limits', () => {
    const res = simulateTiltSeriesSync(
      particle,
      shape,
      acq({ tiltRangeDeg: [-70, 70], tiltStepDeg: 3, noiseModel: 'ideal' }),
      1,
    );
    const thetas = res.tilts.anglesDeg.map((e) => e[1]);
    expect(Math.min(...thetas)).toBe(-70);
    expect(Math.max(...thetas)).toBeLessThanOrEqual(70);
    expect(Math.max(...thetas)).toBeGreaterThan(66);
    expect(res.tilts.shape).toEqual([47, 48, 48]);
  });
  it('explicit Euler triples are used as given', () => {
    const anglesDeg: [number, number, number][] = [
      [10, 20, 30],
      [0, 45, 0],
    ];
    const res = simulateTiltSeriesSync(particle, shape, acq({ anglesDeg, noiseModel: 'ideal' }), 1);
    expect(res.tilts.anglesDeg).toEqual(anglesDeg);
    expect(res.tilts.shape[0]).toBe(2);
  });
});

describe('signal model', () => {
  it('an isolated atom lands where the shared geometry puts it, with D_p·σ_s integrated counts', () => {
    const off: [number, number, number] = [2.1, -1.3, 3.7];
    const res = simulateTiltSeriesSync(
      single('Pt', off),
      shape,
      acq({
        noiseModel: 'ideal',
        anglesDeg: [
          [0, 30, 0],
          [20, -40, 10],
        ],
      }),
      1,
    );
    const dp = 1e4 / 2;
    for (let t = 0; t < 2; t++) {
      const img = res.tilts.data.subarray(t * 48 * 48, (t + 1) * 48 * 48);
      const total = sum(img);
      expect(total).toBeCloseTo(dp * 0.05, 2);
      let mu = 0,
        mv = 0;
      for (let j = 0; j < 48; j++)
        for (let i = 0; i < 48; i++) {
          mu += i * img[j * 48 + i];
          mv += j * img[j * 48 + i];
        }
      const R = rotationZYZ(res.tilts.anglesDeg[t]);
      expect(mu / total).toBeCloseTo(24 + (R[0] * off[0] + R[1] * off[1] + R[2] * off[2]) / voxel, 3);
      expect(mv / total).toBeCloseTo(24 + (R[3] * off[0] + R[4] * off[1] + R[5] * off[2]) / voxel, 3);
    }
  });
  it('Z-contrast: a Pt atom integrates (78/26)^1.7 × an Fe atom in the ideal model (and α is configurable)', () => {
    for (const alpha of [1.7, 1.6]) {
      const o = acq({ noiseModel: 'ideal', nAngles: 3, zExponent: alpha });
      const pt = sum(simulateTiltSeriesSync(single('Pt'), shape, o, 1).tilts.data);
      const fe = sum(simulateTiltSeriesSync(single('Fe'), shape, o, 1).tilts.data);
      expect(pt / fe).toBeCloseTo((78 / 26) ** alpha, 4);
    }
    // The default exponent is 1.7.
    const d = acq({ noiseModel: 'ideal', nAngles: 2 });
    const ratio =
      sum(simulateTiltSeriesSync(single('Pt'), shape, d, 1).tilts.data) /
      sum(simulateTiltSeriesSync(single('Fe'), shape, d, 1).tilts.data);
    expect(ratio).toBeCloseTo((78 / 26) ** 1.7, 4);
    const xs = crossSectionsA2(['Pt', 'Fe']);
    expect(xs.Pt).toBe(0.05);
  });
  it('mean counts are proportional to the total dose; Poisson variance equals the mean', () => {
    const ideal1 = simulateTiltSeriesSync(particle, shape, acq({ noiseModel: 'ideal' }), 1).tilts.data;
    const ideal4 = simulateTiltSeriesSync(
      particle,
      shape,
      acq({ noiseModel: 'ideal', totalDoseEPerA2: 4e4 }),
      1,
    ).tilts.data;
    expect(sum(ideal4) / sum(ideal1)).toBeCloseTo(4, 5);
    const noisy = simulateTiltSeriesSync(
      particle,
      shape,
      acq({ noiseModel: 'poisson', totalDoseEPerA2: 4e4 }),
      2,
    ).tilts.data;
    expect(sum(noisy) / sum(ideal4)).toBeCloseTo(1, 2);
    // Σ (x − λ)² / Σ λ over pixels with signal ≈ 1 for Poisson noise.
    let num = 0,
      den = 0;
    for (let q = 0; q < noisy.length; q++) {
      if (ideal4[q] < 1) continue;
      num += (noisy[q] - ideal4[q]) ** 2;
      den += ideal4[q];
      expect(Number.isInteger(noisy[q])).toBe(true);
    }
    expect(num / den).toBeGreaterThan(0.95);
    expect(num / den).toBeLessThan(1.05);
    // Per-projection totals: the dose is split evenly, so each projection holds about the same counts.
    const per = Array.from({ length: 9 }, (_, t) => sum(ideal4, t * 2304, (t + 1) * 2304));
    for (const p of per) expect(p / per[0]).toBeCloseTo(1, 1);
  });
  it('read noise adds Gaussian σ in counts; dark level shifts the mean', () => {
    const ideal = simulateTiltSeriesSync(particle, shape, acq({ noiseModel: 'ideal' }), 1).tilts.data;
    const gauss = simulateTiltSeriesSync(
      particle,
      shape,
      acq({ noiseModel: 'ideal', noise: { readNoiseCounts: 2, darkCounts: 5 } }),
      3,
    ).tilts.data;
    let m = 0,
      v = 0;
    for (let q = 0; q < ideal.length; q++) m += gauss[q] - ideal[q];
    m /= ideal.length;
    for (let q = 0; q < ideal.length; q++) v += (gauss[q] - ideal[q] - m) ** 2;
    expect(m).toBeCloseTo(5, 1);
    expect(Math.sqrt(v / ideal.length)).toBeCloseTo(2, 1);
  });
  it('support background is D_p·pixelArea·f and grows as 1/cos θ', () => {
    const empty: AtomicModel = { positionsA: new Float64Array(0), species: [], cellA: [1, 1, 1] };
    const res = simulateTiltSeriesSync(
      empty,
      shape,
      acq({
        noiseModel: 'ideal',
        noise: { supportScatterFraction: 0.01 },
        anglesDeg: [
          [0, 0, 0],
          [0, 60, 0],
        ],
      }),
      1,
    );
    const dp = 1e4 / 2;
    expect(res.tilts.data[0]).toBeCloseTo(dp * voxel * voxel * 0.01, 4);
    expect(res.tilts.data[48 * 48]).toBeCloseTo((dp * voxel * voxel * 0.01) / 0.5, 4);
  });
  it('misalignment moves each projection by the recorded shift', () => {
    const res = simulateTiltSeriesSync(
      single('Pt'),
      shape,
      acq({ noiseModel: 'ideal', noise: { misalignmentSigmaA: 1 } }),
      5,
    );
    let moved = 0;
    for (let t = 0; t < 9; t++) {
      const img = res.tilts.data.subarray(t * 2304, (t + 1) * 2304);
      const total = sum(img);
      let mu = 0,
        mv = 0;
      for (let j = 0; j < 48; j++)
        for (let i = 0; i < 48; i++) {
          mu += i * img[j * 48 + i];
          mv += j * img[j * 48 + i];
        }
      expect(mu / total).toBeCloseTo(24 + res.shiftsA[2 * t] / voxel, 3);
      expect(mv / total).toBeCloseTo(24 + res.shiftsA[2 * t + 1] / voxel, 3);
      moved += Math.abs(res.shiftsA[2 * t]);
    }
    expect(moved).toBeGreaterThan(1);
  });
  it("scan jitter shifts rows along x only, preserving each row's counts approximately", () => {
    const o = acq({ noiseModel: 'ideal', nAngles: 1, tiltRangeDeg: [0, 0] });
    const clean = simulateTiltSeriesSync(particle, shape, o, 1).tilts.data;
    const jit = simulateTiltSeriesSync(particle, shape, { ...o, noise: { scanJitterSigmaA: 0.3 } }, 1).tilts
      .data;
    let diff = 0;
    for (let j = 0; j < 48; j++) {
      const a = sum(clean, j * 48, j * 48 + 48),
        b = sum(jit, j * 48, j * 48 + 48);
      if (a > 1) expect(Math.abs(b - a) / a).toBeLessThan(0.02);
      for (let i = 0; i < 48; i++) diff += Math.abs(jit[j * 48 + i] - clean[j * 48 + i]);
    }
    expect(diff / sum(clean)).toBeGreaterThan(0.05);
  });
});

describe('determinism', () => {
  it('same seed → bit-identical counts (sync and async); another seed differs', async () => {
    const o = acq({ noiseModel: 'realistic' });
    const a = simulateTiltSeriesSync(particle, shape, o, 42).tilts.data;
    const b = (await simulateTiltSeries(particle, shape, o, 42)).tilts.data;
    const c = simulateTiltSeriesSync(particle, shape, o, 43).tilts.data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });
  it('records the total dose and reports progress per projection', async () => {
    const events: number[] = [];
    const res = await simulateTiltSeries(particle, shape, acq({ noiseModel: 'poisson' }), 1, (e) =>
      events.push(e.done),
    );
    expect(res.tilts.totalDoseEPerA2).toBe(1e4);
    expect(res.tilts.pixelSizeA).toBe(voxel);
    expect(events).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  it('rejects bad acquisition options with named fields', () => {
    expect(() => simulateTiltSeriesSync(particle, shape, acq({ totalDoseEPerA2: 0 }), 1)).toThrow(
      /totalDoseEPerA2/,
    );
    expect(() => simulateTiltSeriesSync(particle, shape, acq({ noiseModel: 'loud' as never }), 1)).toThrow(
      /unknown noise model 'loud'/,
    );
    expect(() => simulateTiltSeriesSync(particle, shape, acq({ tiltRangeDeg: [10, -10] }), 1)).toThrow(
      /tiltRangeDeg/,
    );
    expect(() => simulateTiltSeriesSync(particle, shape, acq({ noise: { readNoiseCounts: -1 } }), 1)).toThrow(
      /readNoiseCounts/,
    );
  });
});

import { doseLimits, summarizeDoseLimits } from '../../kernel-lib/src/sim/dose-limit';
import {
  simulateTiltSeriesSync,
  acquisitionAngles,
  type AcquisitionOptions,
} from '../../kernel-lib/src/sim/tilt-series';
import { projectAtoms } from '../../kernel-lib/src/sim/project-atoms';
import { atomsAroundCentre } from './helpers';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

const shape: Shape3 = [32, 32, 32];
const voxel = 0.6;
const atoms = (list: [string, number, number, number][]): AtomicModel =>
  atomsAroundCentre(shape, voxel, list);

function acq(extra: Partial<AcquisitionOptions> = {}): AcquisitionOptions {
  return {
    totalDoseEPerA2: 1e4,
    tiltRangeDeg: [-60, 60],
    nAngles: 13,
    pixelSizeA: voxel,
    noiseModel: 'poisson',
    ...extra,
  };
}

describe('doseLimits', () => {
  const pt = atoms([['Pt', 0.13, -0.21, 0.07]]);

  it('an isolated atom under shot noise: SNR² = its total counts over the series (dose × cross-section)', () => {
    for (const dose of [1e3, 1e4, 1e5]) {
      const { snr } = doseLimits(pt, shape, acq({ totalDoseEPerA2: dose }));
      // Pt cross-section 0.05 Å²: every detected electron is signal, so SNR² = counts = 0.05·dose
      expect(snr[0] ** 2 / (0.05 * dose)).toBeCloseTo(1, 2);
    }
  });

  it('an isolated atom: the position bound is σ/√N per measured direction (tilt about y)', () => {
    const a = acq();
    const lim = doseLimits(pt, shape, a);
    const angles = acquisitionAngles(a).map(([, th]) => (th * Math.PI) / 180);
    const nPerProjection = (0.05 * a.totalDoseEPerA2) / angles.length;
    const sigmaA = Math.hypot(0.35, 0.5);
    // u = x cos θ + z sin θ, v = y: information N/σ² along each detector axis of each projection
    const jx = angles.reduce((s, t) => s + Math.cos(t) ** 2, 0);
    const jz = angles.reduce((s, t) => s + Math.sin(t) ** 2, 0);
    const expectedPm = 100 * sigmaA * Math.sqrt((1 / angles.length + 1 / jx + 1 / jz) / nPerProjection);
    expect(lim.positionBoundPm[0] / expectedPm).toBeCloseTo(1, 2);
  });

  it('the SNR is what a matched filter achieves on simulated series (mean / spread of its statistic)', () => {
    // Fe next to Pt: the Fe's statistic Σ s·(observed − expected without Fe)/var over independent exposures
    const model = atoms([
      ['Fe', 0, 0, 0],
      ['Pt', 2.1, 0.3, -1.2],
    ]);
    const a = acq({ totalDoseEPerA2: 2e3, nAngles: 7 });
    const { snr } = doseLimits(model, shape, a);
    const det: [number, number] = [shape[1], shape[2]];
    const opts = { detectorShape: det, pixelSizeA: voxel, volumeShape: shape, sigmaA: Math.hypot(0.35, 0.5) };
    const perProjection = a.totalDoseEPerA2 / 7;
    const w = { Fe: perProjection * 0.05 * (26 / 78) ** 1.7, Pt: perProjection * 0.05 };
    const angles = acquisitionAngles(a);
    const all = projectAtoms(model, angles, { ...opts, weightBySpecies: w });
    const fe = projectAtoms(atoms([['Fe', 0, 0, 0]]), angles, { ...opts, weightBySpecies: w });
    const stats: number[] = [];
    for (let seed = 0; seed < 300; seed++) {
      const obs = simulateTiltSeriesSync(model, shape, a, seed).tilts.data;
      let t = 0;
      for (let q = 0; q < obs.length; q++)
        if (fe[q] > 1e-9) t += (fe[q] * (obs[q] - (all[q] - fe[q]))) / all[q];
      stats.push(t);
    }
    const mean = stats.reduce((s, x) => s + x, 0) / stats.length;
    const sd = Math.sqrt(stats.reduce((s, x) => s + (x - mean) ** 2, 0) / (stats.length - 1));
    expect(snr[0]).toBeGreaterThan(1); // a case where the answer is not trivially 0 or huge
    expect(snr[0]).toBeLessThan(10);
    expect(mean / sd / snr[0]).toBeGreaterThan(0.85);
    expect(mean / sd / snr[0]).toBeLessThan(1.15);
  });

  it('a light atom behind a heavy column loses SNR; read noise lowers it; no noise makes it unlimited', () => {
    const alone = doseLimits(atoms([['Fe', 0, 0, 0]]), shape, acq()).snr[0];
    const column = atoms([
      ['Fe', 0, 0, 0],
      ...[-6, -4, -2, 2, 4, 6].map((z) => ['Pt', 0, 0, z] as [string, number, number, number]),
    ]);
    const behind = doseLimits(column, shape, acq({ tiltRangeDeg: [-10, 10] })).snr[0];
    expect(behind).toBeLessThan(0.5 * alone);
    const read = doseLimits(atoms([['Fe', 0, 0, 0]]), shape, acq({ noiseModel: 'poisson-gaussian' })).snr[0];
    expect(read).toBeLessThan(alone);
    const ideal = doseLimits(pt, shape, acq({ noiseModel: 'ideal' }));
    expect(ideal.snr[0]).toBe(Infinity);
    expect(ideal.positionBoundPm[0]).toBe(0);
  });

  it('summarizes per species with Rose’s criterion, and names a bad criterion', () => {
    const model = atoms([
      ['Pt', 0, 0, 0],
      ['Fe', 3, 0, 0],
      ['Fe', -3, 0, 0],
    ]);
    const lim = doseLimits(model, shape, acq({ totalDoseEPerA2: 300 }));
    // at 300 e⁻/Å²: Pt ≈ √15 ≈ 3.9 σ, Fe ≈ 1.2 σ
    const s = summarizeDoseLimits(lim, { minSnr: 3 });
    expect(s.bySpecies.Pt.detectableFraction).toBe(1);
    expect(s.bySpecies.Fe.detectableFraction).toBe(0);
    expect(s.all.detectableFraction).toBeCloseTo(1 / 3, 10);
    expect(s.all.rmsPositionBoundPm).toBeCloseTo(lim.positionBoundPm[0], 10);
    expect(summarizeDoseLimits(lim).all.detectableFraction).toBe(0);
    expect(() => summarizeDoseLimits(lim, { minSnr: -1 })).toThrow(/minSnr/);
  });
});

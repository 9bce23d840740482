import { createRng } from '../../kernel-lib/src/core/rng';
import { rotationZYZ } from '../../kernel-lib/src/core/geometry';
import { projectAtoms } from '../../kernel-lib/src/sim/project-atoms';

describe('rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(42), b = createRng(42), c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
  });
  it('poisson has the right mean and variance', () => {
    const r = createRng(1);
    for (const lam of [3, 100]) {
      const xs = Array.from({ length: 20000 }, () => r.poisson(lam));
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
      expect(Math.abs(m - lam) / lam).toBeLessThan(0.03);
      expect(Math.abs(v - lam) / lam).toBeLessThan(0.06);
    }
  });
});

describe('geometry', () => {
  it('ZYZ rotation is orthonormal and a pure y tilt for [0, θ, 0]', () => {
    const R = rotationZYZ([10, 35, -70]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const d = R[3 * i] * R[3 * j] + R[3 * i + 1] * R[3 * j + 1] + R[3 * i + 2] * R[3 * j + 2];
        expect(d).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    const T = rotationZYZ([0, 30, 0]);
    expect(T[4]).toBeCloseTo(1, 12);
    expect(T[0]).toBeCloseTo(Math.cos(Math.PI / 6), 12);
  });
});

describe('projectAtoms', () => {
  it('conserves each atom weight and moves an off-centre atom with the tilt', () => {
    const model = { positionsA: Float64Array.from([16 + 3, 16, 16]), species: ['Pt'] };
    const opts = { detectorShape: [32, 32] as [number, number], pixelSizeA: 1, volumeShape: [32, 32, 32] as [number, number, number], weightBySpecies: { Pt: 5 }, sigmaA: 0.8 };
    const p = projectAtoms(model, [[0, 0, 0], [0, 90, 0]], opts);
    const sum0 = p.subarray(0, 1024).reduce((s, x) => s + x, 0);
    expect(sum0).toBeCloseTo(5, 3);
    // at 0° the atom sits at u = 19; at 90° about y, x maps onto z, so it projects onto the centre column u = 16
    const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));
    expect(argmax(p.subarray(0, 1024)) % 32).toBe(19);
    expect(argmax(p.subarray(1024)) % 32).toBe(16);
  });
});

import { subtractBackground } from '../../kernel-lib/src/preprocess/background';
describe('subtractBackground', () => {
  it('removes a per-projection offset measured on the border and keeps the particle signal', () => {
    const n = 20;
    const data = new Float32Array(2 * n * n);
    for (let a = 0; a < 2; a++) for (let p = 0; p < n * n; p++) data[a * n * n + p] = a === 0 ? 3 : 7;
    data[10 * n + 10] += 50; // a bright "atom" in the middle of projection 0
    const r = subtractBackground({ data, shape: [2, n, n], pixelSizeA: 1, anglesDeg: [[0, 0, 0], [0, 10, 0]] });
    expect(Array.from(r.offsets)).toEqual([3, 7]);
    expect(r.tilts.data[10 * n + 10]).toBe(50);
    expect(r.tilts.data[n * n + 5]).toBe(0);
    expect(data[0]).toBe(3); // input untouched
    expect(() => subtractBackground(r.tilts, { borderFraction: 0.7 })).toThrow(/borderFraction/);
  });
});

import { assertFinite } from '../../kernel-lib/src/core/errors';
describe('assertFinite', () => {
  it('accepts finite data and names the field and index of NaN or ±Infinity', () => {
    expect(() => assertFinite(Float32Array.from([0, -1.5, 3e38]), 'v')).not.toThrow();
    expect(() => assertFinite(Float32Array.from([0, NaN]), 'vol.data')).toThrow(/vol\.data.*index 1/);
    expect(() => assertFinite([1, 2, -Infinity], 'x')).toThrow(/index 2/);
  });
});

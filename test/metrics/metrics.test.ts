import { matchAtoms, evaluate, rFactor, formatMetricsTable, hungarian } from '../../kernel-lib/src/metrics';
import { projectAtoms } from '../../kernel-lib/src/sim/project-atoms';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel, EulerZYZDeg, TiltSeries } from '../../kernel-lib/src/core/types';
import { fccParticle } from '../trace/synthetic';

const model = (xyz: number[], species?: string[]): AtomicModel => ({
  positionsA: Float64Array.from(xyz),
  species: species ?? new Array(xyz.length / 3).fill('Pt'),
});
const pairs = (m: ReturnType<typeof matchAtoms>) => Array.from(m.predIndex, (p, q) => [p, m.truthIndex[q]]);

describe('hungarian', () => {
  test('finds the minimum-cost assignment of a small matrix (brute force check)', () => {
    const rng = createRng(1);
    for (let trial = 0; trial < 30; trial++) {
      const n = 5;
      const cost = Float64Array.from({ length: n * n }, () => Math.round(rng.uniform() * 20));
      const assign = hungarian(cost, n, n);
      let best = Infinity;
      const perm = (rest: number[], acc: number[]) => {
        if (!rest.length)
          best = Math.min(
            best,
            acc.reduce((s, c, r) => s + cost[r * n + c], 0),
          );
        rest.forEach((c, i) => perm([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, c]));
      };
      perm([0, 1, 2, 3, 4], []);
      expect(Array.from(assign).reduce((s, c, r) => s + cost[r * n + c], 0)).toBe(best);
      expect(new Set(assign).size).toBe(n);
    }
  });
});

describe('matchAtoms', () => {
  test('ambiguous case where greedy nearest-first matching loses a pair', () => {
    // Greedy takes P0–T0 (0.4 Å) first; then P1 (0.7 from T0) and T1 (0.6 from P0) stay unmatched.
    const pred = model([0.1, 0, 0, 1.2, 0, 0]);
    const truth = model([0.5, 0, 0, -0.5, 0, 0]);
    const m = matchAtoms(pred, truth, { rMatchA: 1.0 });
    expect(pairs(m)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(Array.from(m.distanceA)).toEqual([expect.closeTo(0.6, 12), expect.closeTo(0.7, 12)]);
  });

  test('among maximum matchings the squared-distance sum is minimal', () => {
    const pred2 = model([0, 0, 0, 0.2, 0, 0]);
    const truth2 = model([0.1, 0, 0, 0.9, 0, 0]); // P0–T0 0.1, P1–T1 0.7 (sum 0.5) beats P0–T1 0.9 + P1–T0 0.1 (0.82)
    expect(pairs(matchAtoms(pred2, truth2, { rMatchA: 1.0 }))).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  test('random dense cases: maximum number of pairs, then minimum Σd², as brute force finds', () => {
    const rng = createRng(12);
    for (let trial = 0; trial < 40; trial++) {
      const nP = 1 + rng.int(6),
        nT = 1 + rng.int(6);
      const pts = (n: number) => model(Array.from({ length: 3 * n }, () => 2 * rng.uniform()));
      const pred = pts(nP),
        truth = pts(nT);
      const r = 1.2;
      const d2 = (p: number, t: number) =>
        (pred.positionsA[3 * p] - truth.positionsA[3 * t]) ** 2 +
        (pred.positionsA[3 * p + 1] - truth.positionsA[3 * t + 1]) ** 2 +
        (pred.positionsA[3 * p + 2] - truth.positionsA[3 * t + 2]) ** 2;
      let best = { n: -1, cost: Infinity };
      const rec = (p: number, used: number, n: number, cost: number) => {
        if (p === nP) {
          if (n > best.n || (n === best.n && cost < best.cost - 1e-12)) best = { n, cost };
          return;
        }
        rec(p + 1, used, n, cost);
        for (let t = 0; t < nT; t++)
          if (!(used & (1 << t)) && d2(p, t) < r * r) rec(p + 1, used | (1 << t), n + 1, cost + d2(p, t));
      };
      rec(0, 0, 0, 0);
      const m = matchAtoms(pred, truth, { rMatchA: r });
      expect(m.predIndex.length).toBe(best.n);
      expect(Array.from(m.distanceA).reduce((s, d) => s + d * d, 0)).toBeCloseTo(best.cost, 9);
      expect(new Set(m.truthIndex).size).toBe(m.truthIndex.length);
    }
  });

  test('pairs at or beyond r_match are not matched; empty models give no pairs', () => {
    expect(matchAtoms(model([0, 0, 0]), model([1, 0, 0]), { rMatchA: 1 }).predIndex.length).toBe(0);
    expect(matchAtoms(model([0, 0, 0]), model([0.99, 0, 0]), { rMatchA: 1 }).predIndex.length).toBe(1);
    expect(matchAtoms(model([]), model([0, 0, 0]), { rMatchA: 1 }).predIndex.length).toBe(0);
    const bad: AtomicModel = { positionsA: Float64Array.from([0, 0]), species: ['Pt'] };
    expect(() => matchAtoms(bad, model([0, 0, 0]), { rMatchA: 1 })).toThrow(/3 per atom/);
    expect(() => matchAtoms(model([0, 0, 0]), model([0, 0, 0]), { rMatchA: -1 })).toThrow(/rMatchA/);
  });

  test('a large lattice matches one to one and quickly', () => {
    const truth = fccParticle(3.92, 30, [40, 40, 40]);
    const rng = createRng(2);
    const pred = model(Array.from(truth.positionsA, (v) => v + 0.1 * rng.normal()));
    const t0 = performance.now();
    const m = matchAtoms(pred, truth, { rMatchA: 1 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(m.predIndex.length).toBe(truth.species.length);
    expect(Array.from(m.predIndex)).toEqual(Array.from(m.truthIndex));
  });
});

describe('evaluate', () => {
  const truth = model([0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3], ['Fe', 'Pt', 'Pt', 'Pt']);

  test('known RMSE, false positives, recovery and species accuracy', () => {
    // Offsets of 0.1, 0.2 Å on two atoms, one atom missed, two ghosts; one species wrong.
    const pred = model([0.1, 0, 0, 3, 0.2, 0, 0, 3, 0, 10, 10, 10, 20, 0, 0], ['Fe', 'Fe', 'Pt', 'Pt', 'Fe']);
    const m = evaluate(pred, truth);
    expect(m).toMatchObject({ nTrue: 4, nPred: 5, nMatched: 3, recoveryRate: 0.75, falsePositiveRate: 0.4 });
    expect(m.rmsePm).toBeCloseTo(Math.sqrt((10 ** 2 + 20 ** 2 + 0) / 3), 9);
    expect(m.speciesAccuracy).toBeCloseTo(2 / 3, 12);
    expect(m.perSpecies.Fe).toEqual({ nTrue: 1, nMatched: 1, recoveryRate: 1, accuracy: 1 });
    expect(m.perSpecies.Pt).toMatchObject({ nTrue: 3, nMatched: 2, accuracy: 0.5 });
    expect(m.confusion.labels).toEqual(['Fe', 'Pt']);
    expect(m.confusion.counts).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });

  test('a global shift: raw RMSE equals the shift, shift-removed RMSE is the residual scatter', () => {
    const shift = [0.3, -0.2, 0.1];
    const jitter = [0.05, 0, 0, -0.05, 0, 0, 0, 0.05, 0, 0, -0.05, 0];
    const pred = model(
      Array.from(truth.positionsA, (v, t) => v + shift[t % 3] + jitter[t]),
      [...truth.species],
    );
    const m = evaluate(pred, truth);
    expect(m.nMatched).toBe(4);
    const rawExpected = Math.sqrt(jitter.reduce((s, j, t) => s + (shift[t % 3] + j) ** 2, 0) / 4) * 100;
    expect(m.rmsePm).toBeCloseTo(rawExpected, 9);
    expect(m.rmseShiftRemovedPm).toBeCloseTo(5, 9); // jitter mean is zero: 5 pm on every atom
    expect(m.meanShiftA[0]).toBeCloseTo(0.3, 12);
    expect(m.meanShiftA[1]).toBeCloseTo(-0.2, 12);
    expect(m.meanShiftA[2]).toBeCloseTo(0.1, 12);
    expect(m.shiftRemoved).toBe(false);
  });

  test('shift removal rematches: a shift near r_match loses pairs raw but not after removal', () => {
    const shift = 0.95;
    const rng = createRng(4);
    const big = fccParticle(3.92, 10, [20, 20, 20]);
    const pred = model(
      Array.from(big.positionsA, (v, t) => v + (t % 3 === 0 ? shift : 0) + 0.08 * rng.normal()),
    );
    const raw = evaluate(pred, big);
    const fixed = evaluate(pred, big, { removeGlobalShift: true });
    expect(raw.recoveryRate).toBeLessThan(0.9);
    expect(fixed.recoveryRate).toBe(1);
    expect(fixed.falsePositiveRate).toBe(0);
    expect(fixed.meanShiftA[0]).toBeCloseTo(shift, 1);
    expect(fixed.rmseShiftRemovedPm).toBeGreaterThan(8 * Math.sqrt(3) * 0.7);
    expect(fixed.rmseShiftRemovedPm).toBeLessThan(8 * Math.sqrt(3) * 1.3);
  });

  test('empty prediction: nothing recovered; empty truth is an error', () => {
    const m = evaluate(model([]), truth);
    expect(m).toMatchObject({ nMatched: 0, recoveryRate: 0, falsePositiveRate: 0 });
    expect(m.rmsePm).toBeNaN();
    expect(() => evaluate(truth, model([]))).toThrow(/true model is empty/);
  });

  test('formatMetricsTable renders a markdown table', () => {
    const pred = model([0.1, 0, 0, 3, 0.2, 0, 0, 3, 0], ['Fe', 'Pt', 'Pt']);
    const table = formatMetricsTable([
      { label: 'raw', metrics: evaluate(pred, truth), extra: { R: 0.1234567 } },
      { label: 'empty', metrics: evaluate(model([]), truth) },
    ]);
    const lines = table.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      '|  | true | pred | matched | recovery | false pos. | RMSE (pm) | RMSE, shift removed (pm) | species acc. | R |',
    );
    expect(lines[2]).toBe(
      `| raw | 4 | 3 | 3 | 75.0 % | 0.0 % | ${Math.sqrt(500 / 3).toFixed(1)} | ${evaluate(pred, truth).rmseShiftRemovedPm.toFixed(1)} | 100.0 % | 0.1235 |`,
    );
    expect(lines[3]).toBe('| empty | 4 | 0 | 0 | 0.0 % | 0.0 % | — | — | — |  |');
  });
});

describe('rFactor', () => {
  const particle = fccParticle(3.92, 6, [12.8, 12.8, 12.8], 'Pt', 5);
  const rng = createRng(8);
  particle.species = particle.species.map(() => (rng.uniform() < 0.3 ? 'Fe' : 'Pt'));
  const angles: EulerZYZDeg[] = Array.from({ length: 15 }, (_, t) => [0, -70 + 10 * t, 0]);
  const shape: [number, number, number] = [angles.length, 64, 64];
  const weights = { Fe: 2.5, Pt: 10 };
  const proj = projectAtoms(particle, angles, {
    detectorShape: [64, 64],
    pixelSizeA: 0.4,
    volumeShape: [64, 64, 64],
    weightBySpecies: weights,
    sigmaA: 0.6,
  });
  for (let t = 0; t < proj.length; t++) proj[t] += 0.05;
  const tilts: TiltSeries = { data: proj, shape, pixelSizeA: 0.4, anglesDeg: angles };

  test('is ~0 for projections rendered from the same model, recovering weights, σ and background', () => {
    const r = rFactor(particle, tilts, { returnCalculated: true });
    expect(r.rFactor).toBeLessThan(1e-4);
    expect(r.sigmaA).toBeCloseTo(0.6, 10);
    expect(r.weightBySpecies.Pt).toBeCloseTo(10, 2);
    expect(r.weightBySpecies.Fe).toBeCloseTo(2.5, 2);
    expect(r.backgroundOffset).toBeCloseTo(0.05, 4);
    expect(r.calculated!.length).toBe(proj.length);
    // σ off the grid: still small, and the nearest grid σ is chosen.
    const off = rFactor(particle, tilts, { sigmaGridA: [0.4, 0.55, 0.8], searchProjections: 4 });
    expect(off.sigmaA).toBe(0.55);
    expect(off.rFactor).toBeLessThan(0.1);
    expect(off.rFactor).toBeGreaterThan(r.rFactor);
  });

  test('grows when atoms are removed or displaced', () => {
    const base = rFactor(particle, tilts).rFactor;
    const n = particle.species.length;
    const keep = (frac: number): AtomicModel => {
      const m = Math.floor(n * frac);
      return { positionsA: particle.positionsA.slice(0, 3 * m), species: particle.species.slice(0, m) };
    };
    const r90 = rFactor(keep(0.9), tilts).rFactor;
    const r70 = rFactor(keep(0.7), tilts).rFactor;
    expect(r90).toBeGreaterThan(base + 0.02);
    expect(r70).toBeGreaterThan(r90);
    const moved = { ...particle, positionsA: particle.positionsA.map((v) => v + 0.3 * rng.normal()) };
    expect(rFactor(moved, tilts).rFactor).toBeGreaterThan(base + 0.05);
  });

  test('bad inputs', () => {
    expect(() => rFactor(model([]), tilts)).toThrow(/empty/);
    expect(() => rFactor(particle, { ...tilts, anglesDeg: angles.slice(1) })).toThrow(/angle triples/);
    expect(() => rFactor(particle, { ...tilts, shape: [15, 64, 63] })).toThrow(/tilts.data/);
    expect(() => rFactor(particle, tilts, { sigmaGridA: [0] })).toThrow(/sigmaGridA/);
    expect(() => rFactor(particle, tilts, { searchProjections: 0 })).toThrow(/searchProjections/);
    expect(() => rFactor(particle, tilts, { weightBySpecies: { Pt: 1 } })).toThrow(/'Fe'/);
  });
});

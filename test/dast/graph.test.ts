import {
  buildAtomGraph,
  edgeFeatureNames,
  edgeFeatures,
  type AtomGraph,
} from '../../kernel-lib/src/classify/dast/graph';
import { PannError } from '../../kernel-lib/src/core/errors';
import { createRng } from '../../kernel-lib/src/core/rng';

/** Lattice points of `cells`³ conventional cells with the given fractional basis, lattice constant a (Å). */
function lattice(a: number, cells: number, basis: number[][]): Float64Array {
  const out: number[] = [];
  for (let k = 0; k < cells; k++)
    for (let j = 0; j < cells; j++)
      for (let i = 0; i < cells; i++)
        for (const b of basis) out.push((i + b[0]) * a, (j + b[1]) * a, (k + b[2]) * a);
  return Float64Array.from(out);
}
const FCC = [
  [0, 0, 0],
  [0.5, 0.5, 0],
  [0.5, 0, 0.5],
  [0, 0.5, 0.5],
];
const BCC = [
  [0, 0, 0],
  [0.5, 0.5, 0.5],
];

const degreeIn = (g: AtomGraph) =>
  Array.from({ length: g.nAtoms }, (_, i) => g.dstOffsets[i + 1] - g.dstOffsets[i]);

/** Atoms at least `margin` Å from every face of the bounding box. */
function interior(pos: Float64Array, margin: number): number[] {
  const n = pos.length / 3;
  const lo = [0, 1, 2].map((a) => Math.min(...Array.from({ length: n }, (_, i) => pos[3 * i + a])));
  const hi = [0, 1, 2].map((a) => Math.max(...Array.from({ length: n }, (_, i) => pos[3 * i + a])));
  return Array.from({ length: n }, (_, i) => i).filter((i) =>
    [0, 1, 2].every((a) => pos[3 * i + a] - lo[a] >= margin && hi[a] - pos[3 * i + a] >= margin),
  );
}

function edgeSet(g: AtomGraph): Set<string> {
  return new Set(Array.from(g.src, (s, e) => `${s}>${g.dst[e]}`));
}

/** No self-loops; sorted by dst then distance; CSR offsets consistent; distances and unit directions match the positions. */
function checkStructure(g: AtomGraph, pos: Float64Array): void {
  let selfLoops = 0,
    unsorted = 0,
    maxDistRel = 0,
    maxDirErr = 0;
  for (let e = 0; e < g.src.length; e++) {
    const s = g.src[e],
      d = g.dst[e];
    if (s === d) selfLoops++;
    if (
      e > 0 &&
      (g.dst[e] < g.dst[e - 1] || (g.dst[e] === g.dst[e - 1] && g.distanceA[e] < g.distanceA[e - 1]))
    )
      unsorted++;
    const v = [0, 1, 2].map((a) => pos[3 * s + a] - pos[3 * d + a]);
    const dist = Math.hypot(v[0], v[1], v[2]);
    maxDistRel = Math.max(maxDistRel, Math.abs(g.distanceA[e] - dist) / dist);
    for (let a = 0; a < 3; a++)
      maxDirErr = Math.max(maxDirErr, Math.abs(g.direction[3 * e + a] - v[a] / dist));
  }
  expect(selfLoops).toBe(0);
  expect(unsorted).toBe(0);
  expect(maxDistRel).toBeLessThan(1e-6); // Float32 storage
  expect(maxDirErr).toBeLessThan(1e-6);
  expect(g.dstOffsets[0]).toBe(0);
  expect(g.dstOffsets[g.nAtoms]).toBe(g.src.length);
  for (let i = 0; i < g.nAtoms; i++) {
    for (let e = g.dstOffsets[i]; e < g.dstOffsets[i + 1]; e++)
      if (g.dst[e] !== i) throw new Error(`edge ${e} outside the CSR range of atom ${i}`);
  }
}

describe('buildAtomGraph, radius mode', () => {
  test('(d) fcc: interior coordination 12 for a/√2 < cutoff < a, both directions, no self-loops', () => {
    const a = 3.92;
    const pos = lattice(a, 6, FCC);
    const g = buildAtomGraph(pos, { cutoffA: 0.85 * a });
    const deg = degreeIn(g);
    const inner = interior(pos, a);
    expect(inner.length).toBeGreaterThan(100);
    for (const i of inner) expect(deg[i]).toBe(12);
    expect(Math.max(...deg)).toBe(12);
    expect(Math.min(...deg)).toBe(3); // a cube corner of the fcc block
    const set = edgeSet(g);
    const missingReverse = [...set].filter((key) => !set.has(key.split('>').reverse().join('>')));
    expect(missingReverse).toEqual([]);
    expect(Math.max(...g.distanceA.map((d) => Math.abs(d - a / Math.SQRT2)))).toBeLessThan(1e-5);
    checkStructure(g, pos);
    // Just past the second shell (a) the interior count becomes 12 + 6.
    const g2 = buildAtomGraph(pos, { cutoffA: 1.05 * a });
    for (const i of inner) expect(degreeIn(g2)[i]).toBe(18);
  });

  test('(d) bcc: interior coordination 8 for a√3/2 < cutoff < a', () => {
    const a = 3.16;
    const pos = lattice(a, 7, BCC);
    const g = buildAtomGraph(pos, { cutoffA: 0.93 * a });
    const inner = interior(pos, a);
    expect(inner.length).toBeGreaterThan(50);
    const deg = degreeIn(g);
    for (const i of inner) expect(deg[i]).toBe(8);
    const set = edgeSet(g);
    const missingReverse = [...set].filter((key) => !set.has(key.split('>').reverse().join('>')));
    expect(missingReverse).toEqual([]);
    checkStructure(g, pos);
  });

  test('matches brute force on random points (cell list is exact)', () => {
    const rng = createRng(5);
    const n = 700;
    const pos = Float64Array.from({ length: 3 * n }, () => 25 * rng.uniform());
    const cutoff = 3.1;
    const g = buildAtomGraph(pos, { cutoffA: cutoff });
    const expected = new Set<string>();
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const d = Math.hypot(
          pos[3 * i] - pos[3 * j],
          pos[3 * i + 1] - pos[3 * j + 1],
          pos[3 * i + 2] - pos[3 * j + 2],
        );
        if (d <= cutoff) expected.add(`${j}>${i}`);
      }
    expect(edgeSet(g)).toEqual(expected);
    expect(g.src.length).toBe(expected.size);
    checkStructure(g, pos);
  });
});

describe('buildAtomGraph, k-NN mode', () => {
  test('(d) exactly k incoming edges per atom, equal to the brute-force k nearest', () => {
    const rng = createRng(9);
    const n = 500;
    // A dense cluster plus a few far outliers, so rings must grow for some atoms.
    const pos = Float64Array.from({ length: 3 * n }, (_, i) =>
      i < 3 * (n - 5) ? 20 * rng.uniform() : 200 * rng.uniform(),
    );
    for (const k of [1, 6, 16]) {
      const g = buildAtomGraph(pos, { k });
      expect(degreeIn(g).every((d) => d === k)).toBe(true);
      expect(g.src.length).toBe(n * k);
      for (let i = 0; i < n; i++) {
        const order = Array.from({ length: n }, (_, j) => j)
          .filter((j) => j !== i)
          .map((j) => ({
            j,
            d: Math.hypot(
              pos[3 * i] - pos[3 * j],
              pos[3 * i + 1] - pos[3 * j + 1],
              pos[3 * i + 2] - pos[3 * j + 2],
            ),
          }))
          .sort((x, y) => x.d - y.d || x.j - y.j)
          .slice(0, k)
          .map((x) => x.j);
        expect(Array.from(g.src.subarray(g.dstOffsets[i], g.dstOffsets[i + 1]))).toEqual(order);
      }
      checkStructure(g, pos);
    }
  });

  test('fcc with k = 12 gives the nearest shell for interior atoms; k with cutoffA keeps only neighbours within it', () => {
    const a = 3.92;
    const pos = lattice(a, 5, FCC);
    const g = buildAtomGraph(pos, { k: 12 });
    const inner = interior(pos, a);
    for (const i of inner) {
      const d = g.distanceA.subarray(g.dstOffsets[i], g.dstOffsets[i + 1]);
      expect(Math.max(...d.map((x) => Math.abs(x - a / Math.SQRT2)))).toBeLessThan(1e-5);
    }
    const capped = buildAtomGraph(pos, { k: 16, cutoffA: 0.85 * a });
    const deg = degreeIn(capped);
    for (const i of inner) expect(deg[i]).toBe(12);
    expect(Math.max(...capped.distanceA)).toBeLessThanOrEqual(0.85 * a);
  });

  test('bad options are refused', () => {
    const pos = lattice(4, 2, FCC);
    expect(() => buildAtomGraph(pos, {})).toThrow(PannError);
    expect(() => buildAtomGraph(pos, { k: pos.length / 3 })).toThrow(/k/);
    expect(() => buildAtomGraph(pos, { k: 2.5 })).toThrow(/k/);
    expect(() => buildAtomGraph(pos, { cutoffA: -1 })).toThrow(/cutoffA/);
    expect(() => buildAtomGraph(new Float64Array(4), { cutoffA: 3 })).toThrow(/positionsA/);
    expect(() => buildAtomGraph(new Float64Array([0, 0, NaN]), { cutoffA: 3 })).toThrow(/non-finite/);
  });
});

describe('edgeFeatures', () => {
  test('Gaussian radial basis of the distance plus the direction', () => {
    const pos = new Float64Array([0, 0, 0, 1.2, 0, 0, 0, 2.4, 0]);
    const g = buildAtomGraph(pos, { cutoffA: 3 });
    const nRbf = 11,
      cutoffA = 6; // centres every 0.6 Å
    const f = edgeFeatures(g, { nRbf, cutoffA });
    const width = nRbf + 3;
    expect(f.length).toBe(g.src.length * width);
    expect(edgeFeatureNames(nRbf)).toHaveLength(width);
    for (let e = 0; e < g.src.length; e++) {
      const d = g.distanceA[e];
      for (let b = 0; b < nRbf; b++)
        expect(f[e * width + b]).toBeCloseTo(Math.exp(-0.5 * ((d - 0.6 * b) / 0.6) ** 2), 6);
      // The basis peaks at the centre nearest the distance (1.2 Å → 2; 2.4 Å → 4; √(1.2² + 2.4²) ≈ 2.68 Å → 4).
      const row = Array.from(f.subarray(e * width, e * width + nRbf));
      expect(row.indexOf(Math.max(...row))).toBe(Math.round(d / 0.6));
      for (let a = 0; a < 3; a++) expect(f[e * width + nRbf + a]).toBeCloseTo(g.direction[3 * e + a], 6);
    }
    expect(() => edgeFeatures(g, { nRbf: 1, cutoffA: 5 })).toThrow(/nRbf/);
  });

  test('graph of 10,000 atoms (timing printed, not asserted)', () => {
    const pos = lattice(3.92, 14, FCC).subarray(0, 30000);
    const t0 = process.hrtime.bigint();
    const g = buildAtomGraph(pos, { cutoffA: 3.3 });
    const t1 = process.hrtime.bigint();
    const gk = buildAtomGraph(pos, { k: 12 });
    const t2 = process.hrtime.bigint();
    const f = edgeFeatures(g, { cutoffA: 6 });
    const t3 = process.hrtime.bigint();
    console.log(
      `10,000 fcc atoms: radius graph (3.3 Å) ${g.src.length} edges in ${(Number(t1 - t0) / 1e6).toFixed(0)} ms; ` +
        `k-NN (k=12) ${(Number(t2 - t1) / 1e6).toFixed(0)} ms; edge features [${g.src.length}, ${f.length / g.src.length}] ${(Number(t3 - t2) / 1e6).toFixed(0)} ms`,
    );
    expect(gk.src.length).toBe(120000);
  });
});

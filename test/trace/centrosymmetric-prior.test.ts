/** The neighbour prediction behind the fit's neighbour prior: opposite pairs, their midpoints, the gate. */
import {
  brightScatterA,
  firstShellDistanceA,
  neighbourPrediction,
  oppositeNeighbourPairs,
} from '../../kernel-lib/src/trace/centrosymmetric-prior';
import { nearestNeighbourDistances } from '../../kernel-lib/src/sim/neighbours';
import { createRng } from '../../kernel-lib/src/core/rng';

const A = 3.9; // fcc lattice constant, Å (Pt)
/** An fcc block of k³ cubic cells; basis offsets in units of A. */
function lattice(k: number, basis: number[][]): Float64Array {
  const p: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < k; l++) for (const [bx, by, bz] of basis) p.push((i + bx) * A, (j + by) * A, (l + bz) * A);
  return Float64Array.from(p);
}
const FCC = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
const DIAMOND = [...FCC, ...FCC.map(([x, y, z]) => [x + 0.25, y + 0.25, z + 0.25])];
const count = (p: { start: Int32Array }, a: number): number => p.start[a + 1] - p.start[a];
/** Atoms at least one nearest-neighbour distance from every face of the block. */
function interior(pos: Float64Array, k: number): number[] {
  const lo = 0.7 * A, hi = (k - 1) * A + 0.3 * A;
  const out: number[] = [];
  for (let a = 0; a < pos.length / 3; a++) if ([0, 1, 2].every((d) => pos[3 * a + d] >= lo && pos[3 * a + d] <= hi)) out.push(a);
  return out;
}

describe('oppositeNeighbourPairs', () => {
  it('finds the six opposite pairs of every bulk fcc atom, and none on a diamond (tetrahedral) lattice', () => {
    const fcc = lattice(4, FCC);
    const p = oppositeNeighbourPairs(fcc);
    const bulk = interior(fcc, 4);
    expect(bulk.length).toBeGreaterThan(20);
    for (const a of bulk) expect(count(p, a)).toBe(6);
    const dia = oppositeNeighbourPairs(lattice(3, DIAMOND));
    expect(dia.pairs.length).toBe(0);
  });

  it('reads the first shell right when positions are off by 0.2 Å, where the nearest-neighbour median reads short', () => {
    const rng = createRng(1);
    const fcc = lattice(4, FCC).map((x) => x + 0.2 * rng.normal());
    const d = A / Math.SQRT2;
    const nn = Array.from(nearestNeighbourDistances(fcc, 6)).sort((x, y) => x - y)[Math.floor(fcc.length / 6)];
    expect(nn).toBeLessThan(0.9 * d); // the minimum over twelve noisy neighbours (measured 0.85 d)
    expect(Math.abs(firstShellDistanceA(fcc) / d - 1)).toBeLessThan(0.05);
    // …so the bulk atoms keep most of their pairs
    const p = oppositeNeighbourPairs(fcc);
    const bulk = interior(lattice(4, FCC), 4);
    expect(bulk.reduce((s, a) => s + count(p, a), 0) / bulk.length).toBeGreaterThan(4.5);
  });
});

describe('neighbourPrediction', () => {
  it('predicts every bulk atom exactly under an affine strain, with variance σ_th² + 1/Σ weights', () => {
    const fcc = lattice(4, FCC);
    const M = [1.02, 0.01, 0, -0.015, 0.99, 0.02, 0.005, 0, 1.01];
    const strained = new Float64Array(fcc.length);
    for (let a = 0; a < fcc.length / 3; a++)
      for (let i = 0; i < 3; i++) strained[3 * a + i] = M[3 * i] * fcc[3 * a] + M[3 * i + 1] * fcc[3 * a + 1] + M[3 * i + 2] * fcc[3 * a + 2];
    const p = oppositeNeighbourPairs(strained);
    const n = fcc.length / 3;
    const v = new Float64Array(n).fill(0.01 ** 2);
    const rho = new Float64Array(3 * n), rv = new Float64Array(n);
    neighbourPrediction(strained, p, v, 0.05, rho, rv);
    for (const a of interior(fcc, 4)) {
      for (let d = 0; d < 3; d++) expect(rho[3 * a + d]).toBeCloseTo(strained[3 * a + d], 10);
      // six pairs, each weighing 1 / (0.05²/2 + 2·0.01²/4)
      expect(rv[a]).toBeCloseTo(0.05 ** 2 + (0.05 ** 2 / 2 + 0.01 ** 2 / 2) / 6, 12);
    }
    // an atom without pairs gets no prediction
    const lone = oppositeNeighbourPairs(Float64Array.from([0, 0, 0, 2.7, 0, 0, 0, 2.7, 0]));
    const r3 = new Float64Array(9), v3 = new Float64Array(3);
    neighbourPrediction(Float64Array.from([0, 0, 0, 2.7, 0, 0, 0, 2.7, 0]), lone, new Float64Array(3), 0.05, r3, v3);
    expect(Array.from(v3)).toEqual([Infinity, Infinity, Infinity]);
  });

  it('weights a pair of precise neighbours above a pair of loose ones', () => {
    // atom 0 at the origin; pair (1, 2) along x with its midpoint at +0.1 Å; pair (3, 4) along y with its midpoint at the origin
    const pos = Float64Array.from([0, 0, 0, 2.8, 0, 0, -2.6, 0, 0, 0, 2.7, 0, 0, -2.7, 0]);
    const p = oppositeNeighbourPairs(pos);
    expect(count(p, 0)).toBe(2);
    const rho = new Float64Array(15), rv = new Float64Array(5);
    neighbourPrediction(pos, p, Float64Array.from([0, 1e-6, 1e-6, 0.04, 0.04]), 0.01, rho, rv);
    expect(rho[0]).toBeGreaterThan(0.09); // follows the precise pair's midpoint
    neighbourPrediction(pos, p, Float64Array.from([0, 0.04, 0.04, 1e-6, 1e-6]), 0.01, rho, rv);
    expect(rho[0]).toBeLessThan(0.01);
  });
});

describe('brightScatterA', () => {
  it('reads a crystal’s thermal displacement, and a random packing as far above the 0.15 Å gate', () => {
    const rng = createRng(3);
    const n0 = lattice(5, FCC).length / 3;
    const thermal = lattice(5, FCC).map((x) => x + 0.05 * rng.normal());
    const bright = new Float64Array(n0).fill(1);
    const v = new Float64Array(n0).fill(1e-6);
    const s = brightScatterA(thermal, bright, oppositeNeighbourPairs(thermal), v, 2);
    // σ_th = 0.05 Å per axis, plus the midpoints' own share (≈ σ_th²/12 for six pairs)
    expect(s).toBeGreaterThan(0.045);
    expect(s).toBeLessThan(0.06);
    // a random packing at about the same density (no point closer than 2.3 Å): pairs are chance alignments
    const pts: number[] = [];
    while (pts.length < 3 * 400) {
      const q = [0, 1, 2].map(() => 18 * rng.uniform());
      let ok = true;
      for (let b = 0; b < pts.length && ok; b += 3) ok = Math.hypot(pts[b] - q[0], pts[b + 1] - q[1], pts[b + 2] - q[2]) >= 2.3;
      if (ok) pts.push(...q);
    }
    const rnd = Float64Array.from(pts);
    const r = brightScatterA(rnd, new Float64Array(400).fill(1), oppositeNeighbourPairs(rnd), new Float64Array(400).fill(1e-6), 2);
    expect(r).toBeGreaterThan(0.15);
  });
});

/**
 * One-to-one matching of predicted to true atoms within a distance r_match, optimal in the sense:
 * first the largest number of matched pairs, then the smallest sum of squared distances among those.
 * Candidate pairs (d < r_match) are found with a uniform grid; the bipartite candidate graph is split
 * into connected components and each is solved exactly by the Hungarian algorithm. When r_match is
 * below half the shortest true interatomic distance (the default of `evaluate`), a predicted atom can
 * have at most one true partner, so components are small stars and matching is fast.
 */
import { PannError, assertPositive } from '../core/errors';
import type { AtomicModel } from '../core/types';
import { hungarian } from './hungarian';

/** Matched pairs, sorted by predicted index. */
export interface AtomMatch {
  predIndex: Int32Array;
  truthIndex: Int32Array;
  /** Distance of each pair in Å. */
  distanceA: Float64Array;
}

/** Largest connected component solved exactly; beyond it r_match is unreasonably large for the data. */
const MAX_COMPONENT = 2000;

/**
 * Optimal one-to-one matching of `pred` to `truth` atoms closer than `rMatchA`.
 * @param pred predicted atoms (positions in Å)
 * @param truth true atoms (positions in Å, same frame)
 * @param opts.rMatchA matching radius in Å (pairs at distance < rMatchA may match)
 * @param opts.shiftA optional (x, y, z) shift in Å subtracted from the predicted positions first
 */
export function matchAtoms(
  pred: AtomicModel,
  truth: AtomicModel,
  opts: { rMatchA: number; shiftA?: [number, number, number] },
): AtomMatch {
  assertPositive(opts?.rMatchA, 'rMatchA');
  checkModel(pred, 'pred');
  checkModel(truth, 'truth');
  return matchPositions(pred.positionsA, truth.positionsA, opts.rMatchA, opts.shiftA ?? [0, 0, 0]);
}

/** Throws a SHAPE/VALUE error when a model's positions do not fit its species list or are not finite. */
export function checkModel(m: AtomicModel, field: string): void {
  if (!m || !(m.positionsA instanceof Float64Array) || !Array.isArray(m.species)) {
    throw new PannError(
      'VALUE',
      `${field} must be an atomic model with positionsA (Float64Array) and species`,
      { field },
    );
  }
  if (m.positionsA.length !== 3 * m.species.length) {
    throw new PannError(
      'SHAPE',
      `${field}.positionsA has ${m.positionsA.length} values for ${m.species.length} atoms (expected 3 per atom)`,
      { field: `${field}.positionsA` },
    );
  }
  for (let t = 0; t < m.positionsA.length; t++) {
    if (!Number.isFinite(m.positionsA[t])) {
      throw new PannError(
        'VALUE',
        `${field}.positionsA has a non-finite value at atom ${Math.floor(t / 3)}`,
        { field: `${field}.positionsA` },
      );
    }
  }
}

/** Matching on raw position arrays (Å); see `matchAtoms`. */
export function matchPositions(
  P: Float64Array,
  T: Float64Array,
  rMatchA: number,
  shiftA: [number, number, number],
): AtomMatch {
  const nP = P.length / 3,
    nT = T.length / 3;
  const r2 = rMatchA * rMatchA;
  // Grid of true atoms, cell = rMatchA: candidates of a predicted atom lie in the 27 surrounding cells.
  const grid = new Map<string, number[]>();
  const cellOf = (x: number) => Math.floor(x / rMatchA);
  for (let t = 0; t < nT; t++) {
    const key = `${cellOf(T[3 * t])},${cellOf(T[3 * t + 1])},${cellOf(T[3 * t + 2])}`;
    const l = grid.get(key);
    if (l) l.push(t);
    else grid.set(key, [t]);
  }
  const eP: number[] = [],
    eT: number[] = [],
    eD2: number[] = [];
  for (let p = 0; p < nP; p++) {
    const x = P[3 * p] - shiftA[0],
      y = P[3 * p + 1] - shiftA[1],
      z = P[3 * p + 2] - shiftA[2];
    const gx = cellOf(x),
      gy = cellOf(y),
      gz = cellOf(z);
    for (let dz = -1; dz <= 1; dz++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const l = grid.get(`${gx + dx},${gy + dy},${gz + dz}`);
          if (!l) continue;
          for (const t of l) {
            const d2 = (T[3 * t] - x) ** 2 + (T[3 * t + 1] - y) ** 2 + (T[3 * t + 2] - z) ** 2;
            if (d2 < r2) {
              eP.push(p);
              eT.push(t);
              eD2.push(d2);
            }
          }
        }
  }
  // Connected components (union–find over pred nodes 0…nP−1 and truth nodes nP…).
  const parent = Int32Array.from({ length: nP + nT }, (_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  for (let e = 0; e < eP.length; e++) {
    const a = find(eP[e]),
      b = find(nP + eT[e]);
    if (a !== b) parent[a] = b;
  }
  const comps = new Map<number, number[]>(); // root → edge ids
  for (let e = 0; e < eP.length; e++) {
    const root = find(eP[e]);
    const l = comps.get(root);
    if (l) l.push(e);
    else comps.set(root, [e]);
  }
  const outP: number[] = [],
    outT: number[] = [],
    outD: number[] = [];
  for (const edges of comps.values()) {
    if (edges.length === 1) {
      const e = edges[0];
      outP.push(eP[e]);
      outT.push(eT[e]);
      outD.push(Math.sqrt(eD2[e]));
      continue;
    }
    const ps = [...new Set(edges.map((e) => eP[e]))],
      ts = [...new Set(edges.map((e) => eT[e]))];
    const m = Math.max(ps.length, ts.length);
    if (m > MAX_COMPONENT) {
      throw new PannError(
        'OPTION',
        `rMatchA = ${rMatchA} Å links ${m} atoms into one ambiguous group; use a radius below half the nearest-neighbour distance`,
        { field: 'rMatchA' },
      );
    }
    // Square matrix: non-edges (and padding) cost BIG > (m+1)·r², so one more matched pair always beats
    // any saving in distance; among maximum matchings the sum of squared distances is minimal.
    const BIG = (m + 1) * r2 + 1;
    const cost = new Float64Array(m * m).fill(BIG);
    const pi = new Map(ps.map((p, i) => [p, i])),
      ti = new Map(ts.map((t, i) => [t, i]));
    for (const e of edges) cost[pi.get(eP[e])! * m + ti.get(eT[e])!] = eD2[e];
    const assign = hungarian(cost, m, m);
    for (let r = 0; r < ps.length; r++) {
      const c = assign[r];
      if (c < ts.length && cost[r * m + c] < BIG) {
        outP.push(ps[r]);
        outT.push(ts[c]);
        outD.push(Math.sqrt(cost[r * m + c]));
      }
    }
  }
  const order = outP.map((_, i) => i).sort((a, b) => outP[a] - outP[b]);
  return {
    predIndex: Int32Array.from(order, (i) => outP[i]),
    truthIndex: Int32Array.from(order, (i) => outT[i]),
    distanceA: Float64Array.from(order, (i) => outD[i]),
  };
}

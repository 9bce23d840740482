/**
 * The neighbour graph over traced atoms that DAST's graph attention Transformer runs on, and its edge
 * features. Edges are directed src → dst (a message from neighbour src to receiving atom dst), sorted
 * by dst, and within one dst by distance (ties by src), so `dstOffsets` gives each atom's incoming
 * edges as one contiguous range (a CSR layout for attention softmax over neighbours).
 */
import { PannError, assertPositive } from '../../core/errors';

// Math functions bound once: a global `Math.f` lookup per call is ~10× slower under jest's sandboxed globals.
const { floor, sqrt, exp, abs, min, max } = Math;

/** A directed neighbour graph. */
export interface AtomGraph {
  nAtoms: number;
  /** Sending atom of each edge. */
  src: Int32Array;
  /** Receiving atom of each edge (non-decreasing). */
  dst: Int32Array;
  /** Edge length in Å. */
  distanceA: Float32Array;
  /** Unit vector from the receiving atom to the sending one, (pos[src] − pos[dst]) / distance; 3 per edge. */
  direction: Float32Array;
  /** Edges received by atom i are [dstOffsets[i], dstOffsets[i + 1]); length nAtoms + 1. */
  dstOffsets: Int32Array;
  /** 'radius': all pairs within cutoffA, both directions; 'knn': the k nearest atoms send to each atom (within cutoffA if given). */
  mode: 'radius' | 'knn';
  /** The cutoff used, Å (undefined for pure k-NN). */
  cutoffA?: number;
  /** k of a k-NN graph. */
  k?: number;
}

/** Options of {@link buildAtomGraph}: at least one of cutoffA and k. */
export interface AtomGraphOptions {
  /** Radius graph: connect every pair with distance ≤ cutoffA (Å), in both directions. */
  cutoffA?: number;
  /** k-NN graph: each atom receives edges from its k nearest atoms (ties by lower index); with cutoffA too, only those within cutoffA (≤ k). */
  k?: number;
}

/** Growable edge buffers (typed arrays, doubled when full). */
class EdgeBuffer {
  src: Int32Array;
  dst: Int32Array;
  d2: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.d2 = new Float64Array(capacity);
  }
  push(s: number, d: number, dist2: number): void {
    if (this.length === this.src.length) {
      const cap = 2 * this.src.length + 16;
      const s2 = new Int32Array(cap),
        t2 = new Int32Array(cap),
        q2 = new Float64Array(cap);
      s2.set(this.src);
      t2.set(this.dst);
      q2.set(this.d2);
      this.src = s2;
      this.dst = t2;
      this.d2 = q2;
    }
    this.src[this.length] = s;
    this.dst[this.length] = d;
    this.d2[this.length] = dist2;
    this.length++;
  }
}

/** A uniform cell list over the bounding box of the atoms. */
interface CellList {
  cellA: number;
  origin: [number, number, number];
  dims: [number, number, number];
  /** Atoms of cell c are cellAtoms[cellStart[c] … cellStart[c + 1]). */
  cellStart: Int32Array;
  cellAtoms: Int32Array;
  /** Cell index (x, y, z) of each atom, 3 per atom. */
  atomCell: Int32Array;
}

/** Cap on the number of cells relative to atoms, so sparse inputs cannot allocate huge grids. */
const MAX_CELLS_PER_ATOM = 8;

function buildCellList(pos: Float64Array, n: number, cellA: number): CellList {
  const lo: [number, number, number] = [Infinity, Infinity, Infinity];
  const hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      lo[a] = min(lo[a], pos[3 * i + a]);
      hi[a] = max(hi[a], pos[3 * i + a]);
    }
  }
  // Larger cells keep the search correct (every neighbour is still within ±1 cell); only cost changes.
  let cell = cellA;
  const cellsFor = (c: number): number => [0, 1, 2].reduce((p, a) => p * (floor((hi[a] - lo[a]) / c) + 1), 1);
  while (cellsFor(cell) > MAX_CELLS_PER_ATOM * n + 64) cell *= 1.25;
  const dims = [0, 1, 2].map((a) => floor((hi[a] - lo[a]) / cell) + 1) as [number, number, number];
  const nCells = dims[0] * dims[1] * dims[2];
  const atomCell = new Int32Array(3 * n);
  const flat = new Int32Array(n);
  const cellStart = new Int32Array(nCells + 1);
  for (let i = 0; i < n; i++) {
    const cx = min(dims[0] - 1, floor((pos[3 * i] - lo[0]) / cell));
    const cy = min(dims[1] - 1, floor((pos[3 * i + 1] - lo[1]) / cell));
    const cz = min(dims[2] - 1, floor((pos[3 * i + 2] - lo[2]) / cell));
    atomCell[3 * i] = cx;
    atomCell[3 * i + 1] = cy;
    atomCell[3 * i + 2] = cz;
    flat[i] = (cz * dims[1] + cy) * dims[0] + cx;
    cellStart[flat[i] + 1]++;
  }
  for (let c = 0; c < nCells; c++) cellStart[c + 1] += cellStart[c];
  const fill = cellStart.slice(0, nCells);
  const cellAtoms = new Int32Array(n);
  for (let i = 0; i < n; i++) cellAtoms[fill[flat[i]]++] = i; // ascending atom index within a cell
  return { cellA: cell, origin: lo, dims, cellStart, cellAtoms, atomCell };
}

/**
 * Builds the neighbour graph of atoms with a cell list (O(n) for bounded density).
 * @param positionsA x, y, z per atom in Å, length 3·nAtoms.
 * @param options.cutoffA radius graph cutoff in Å (pairs with distance ≤ cutoffA, both directions, no self-loops).
 * @param options.k k-NN graph: every atom receives exactly k edges from its k nearest other atoms
 *   (needs nAtoms > k); directed, so i → j does not imply j → i. With cutoffA as well, neighbours
 *   beyond cutoffA are dropped (then ≤ k per atom).
 * @returns the graph; edges sorted by dst, then distance, then src.
 */
export function buildAtomGraph(positionsA: Float64Array, options: AtomGraphOptions): AtomGraph {
  const { cutoffA, k } = options;
  if (positionsA.length % 3 !== 0) {
    throw new PannError(
      'SHAPE',
      `positionsA must hold x, y, z per atom (length divisible by 3), got length ${positionsA.length}`,
      {
        field: 'positionsA',
      },
    );
  }
  for (let i = 0; i < positionsA.length; i++) {
    if (!Number.isFinite(positionsA[i])) {
      throw new PannError('VALUE', `atom ${floor(i / 3)} has a non-finite coordinate (${positionsA[i]})`, {
        field: 'positionsA',
      });
    }
  }
  const n = positionsA.length / 3;
  if (cutoffA === undefined && k === undefined) {
    throw new PannError('OPTION', 'buildAtomGraph needs cutoffA (Å, radius graph) or k (k-NN graph)', {
      field: 'cutoffA',
    });
  }
  if (cutoffA !== undefined) assertPositive(cutoffA, 'cutoffA');
  if (k !== undefined) {
    if (!Number.isInteger(k) || k < 1)
      throw new PannError('OPTION', `k must be a positive integer, got ${k}`, { field: 'k' });
    if (k >= n) {
      throw new PannError('OPTION', `k = ${k} nearest neighbours need more than k atoms, got ${n}`, {
        field: 'k',
      });
    }
  }
  const edges =
    k !== undefined ? knnEdges(positionsA, n, k, cutoffA) : radiusEdges(positionsA, n, cutoffA as number);
  return finishGraph(positionsA, n, edges, k !== undefined ? 'knn' : 'radius', cutoffA, k);
}

function radiusEdges(pos: Float64Array, n: number, cutoffA: number): EdgeBuffer {
  const edges = new EdgeBuffer(max(16, 16 * n));
  if (n === 0) return edges;
  const cl = buildCellList(pos, n, cutoffA);
  const [dx, dy, dz] = cl.dims;
  const c2 = cutoffA * cutoffA;
  for (let i = 0; i < n; i++) {
    const xi = pos[3 * i],
      yi = pos[3 * i + 1],
      zi = pos[3 * i + 2];
    const cx = cl.atomCell[3 * i],
      cy = cl.atomCell[3 * i + 1],
      cz = cl.atomCell[3 * i + 2];
    for (let z = max(0, cz - 1); z <= min(dz - 1, cz + 1); z++) {
      for (let y = max(0, cy - 1); y <= min(dy - 1, cy + 1); y++) {
        for (let x = max(0, cx - 1); x <= min(dx - 1, cx + 1); x++) {
          const c = (z * dy + y) * dx + x;
          for (let s = cl.cellStart[c]; s < cl.cellStart[c + 1]; s++) {
            const j = cl.cellAtoms[s];
            if (j === i) continue;
            const ex = pos[3 * j] - xi,
              ey = pos[3 * j + 1] - yi,
              ez = pos[3 * j + 2] - zi;
            const d2 = ex * ex + ey * ey + ez * ez;
            if (d2 <= c2) edges.push(j, i, d2);
          }
        }
      }
    }
  }
  return edges;
}

function knnEdges(pos: Float64Array, n: number, k: number, cutoffA: number | undefined): EdgeBuffer {
  const edges = new EdgeBuffer(n * k);
  // Cells holding ~k atoms each for a space-filling particle, so a search usually ends at ring 1.
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      lo[a] = min(lo[a], pos[3 * i + a]);
      hi[a] = max(hi[a], pos[3 * i + a]);
    }
  }
  const extent = max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], 1e-6);
  const boxVolume = [0, 1, 2].reduce((p, a) => p * max(hi[a] - lo[a], extent * 1e-3), 1);
  const cl = buildCellList(pos, n, Math.cbrt((boxVolume / n) * k));
  const [dx, dy, dz] = cl.dims;
  const s = cl.cellA;
  const bestD2 = new Float64Array(k);
  const bestJ = new Int32Array(k);
  const maxRing = max(dx, dy, dz);
  const c2 = cutoffA !== undefined ? cutoffA * cutoffA : Infinity;
  for (let i = 0; i < n; i++) {
    const xi = pos[3 * i],
      yi = pos[3 * i + 1],
      zi = pos[3 * i + 2];
    const cx = cl.atomCell[3 * i],
      cy = cl.atomCell[3 * i + 1],
      cz = cl.atomCell[3 * i + 2];
    let found = 0;
    for (let ring = 0; ring <= maxRing; ring++) {
      for (let z = cz - ring; z <= cz + ring; z++) {
        if (z < 0 || z >= dz) continue;
        for (let y = cy - ring; y <= cy + ring; y++) {
          if (y < 0 || y >= dy) continue;
          const onShellZY = abs(z - cz) === ring || abs(y - cy) === ring;
          for (let x = cx - ring; x <= cx + ring; x++) {
            if (x < 0 || x >= dx) continue;
            // Only the cells at Chebyshev distance exactly `ring` are new.
            if (!onShellZY && abs(x - cx) !== ring) continue;
            const c = (z * dy + y) * dx + x;
            for (let t = cl.cellStart[c]; t < cl.cellStart[c + 1]; t++) {
              const j = cl.cellAtoms[t];
              if (j === i) continue;
              const ex = pos[3 * j] - xi,
                ey = pos[3 * j + 1] - yi,
                ez = pos[3 * j + 2] - zi;
              const d2 = ex * ex + ey * ey + ez * ez;
              if (found === k && !closer(d2, j, bestD2[k - 1], bestJ[k - 1])) continue;
              // Insertion into the sorted best list (k is small).
              let p = found < k ? found++ : k - 1;
              while (p > 0 && closer(d2, j, bestD2[p - 1], bestJ[p - 1])) {
                bestD2[p] = bestD2[p - 1];
                bestJ[p] = bestJ[p - 1];
                p--;
              }
              bestD2[p] = d2;
              bestJ[p] = j;
            }
          }
        }
      }
      if (found === k) {
        // Every atom not yet seen lies outside the block of cells [c − ring, c + ring]; its distance is
        // at least the gap from atom i to the nearest face of that block that has cells beyond it.
        let gap = Infinity;
        const p3 = [xi, yi, zi],
          c3 = [cx, cy, cz],
          d3 = [dx, dy, dz];
        for (let a = 0; a < 3; a++) {
          if (c3[a] - ring > 0) gap = min(gap, p3[a] - (cl.origin[a] + (c3[a] - ring) * s));
          if (c3[a] + ring < d3[a] - 1) gap = min(gap, cl.origin[a] + (c3[a] + ring + 1) * s - p3[a]);
        }
        if (gap === Infinity || gap * gap >= bestD2[k - 1]) break;
      }
    }
    for (let t = 0; t < found; t++) if (bestD2[t] <= c2) edges.push(bestJ[t], i, bestD2[t]);
  }
  return edges;
}

/** (d2, j) before (e2, l): nearer first, ties by lower atom index. */
function closer(d2: number, j: number, e2: number, l: number): boolean {
  return d2 < e2 || (d2 === e2 && j < l);
}

function finishGraph(
  pos: Float64Array,
  n: number,
  edges: EdgeBuffer,
  mode: 'radius' | 'knn',
  cutoffA: number | undefined,
  k: number | undefined,
): AtomGraph {
  const m = edges.length;
  // Edges were produced grouped by dst in ascending order; sort each group by (distance, src).
  const order = new Int32Array(m);
  for (let e = 0; e < m; e++) order[e] = e;
  const dstOffsets = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) dstOffsets[edges.dst[e] + 1]++;
  for (let i = 0; i < n; i++) dstOffsets[i + 1] += dstOffsets[i];
  for (let i = 0; i < n; i++) {
    const a = dstOffsets[i],
      b = dstOffsets[i + 1];
    for (let x = a + 1; x < b; x++) {
      const e = order[x];
      let y = x;
      while (y > a && closer(edges.d2[e], edges.src[e], edges.d2[order[y - 1]], edges.src[order[y - 1]])) {
        order[y] = order[y - 1];
        y--;
      }
      order[y] = e;
    }
  }
  const src = new Int32Array(m),
    dst = new Int32Array(m);
  const distanceA = new Float32Array(m),
    direction = new Float32Array(3 * m);
  for (let t = 0; t < m; t++) {
    const e = order[t];
    const s = edges.src[e],
      d = edges.dst[e];
    src[t] = s;
    dst[t] = d;
    const dist = sqrt(edges.d2[e]);
    distanceA[t] = dist;
    // Coincident atoms have no direction: leave (0, 0, 0).
    const inv = dist > 0 ? 1 / dist : 0;
    direction[3 * t] = (pos[3 * s] - pos[3 * d]) * inv;
    direction[3 * t + 1] = (pos[3 * s + 1] - pos[3 * d + 1]) * inv;
    direction[3 * t + 2] = (pos[3 * s + 2] - pos[3 * d + 2]) * inv;
  }
  return { nAtoms: n, src, dst, distanceA, direction, dstOffsets, mode, cutoffA, k };
}

/** Options of {@link edgeFeatures}. */
export interface EdgeFeatureOptions {
  /** Number of Gaussian radial basis functions (default 16, ≥ 2). */
  nRbf?: number;
  /** Largest distance the basis covers, Å (required: it must match the trained network). */
  cutoffA: number;
}

/**
 * Edge features for the graph network: a Gaussian radial basis of the edge length plus its direction.
 * Basis k (k = 0…nRbf−1) is exp(−½((d − μ_k)/Δ)²) with centres μ_k = k·Δ, Δ = cutoffA/(nRbf − 1)
 * (centres from 0 to cutoffA, width one spacing, so neighbouring basis functions overlap at e^−½).
 * @param graph the graph from {@link buildAtomGraph}.
 * @param options.nRbf number of radial basis functions; options.cutoffA the last centre, Å.
 * @returns Float32Array [nEdges, nRbf + 3]: nRbf radial values, then the unit direction x, y, z
 *   (from the receiving atom to the sender); names from {@link edgeFeatureNames}.
 */
export function edgeFeatures(graph: AtomGraph, options: EdgeFeatureOptions): Float32Array {
  const nRbf = options.nRbf ?? 16;
  if (!Number.isInteger(nRbf) || nRbf < 2)
    throw new PannError('OPTION', `nRbf must be an integer ≥ 2, got ${nRbf}`, { field: 'nRbf' });
  assertPositive(options.cutoffA, 'cutoffA');
  const m = graph.src.length;
  if (graph.distanceA.length !== m || graph.direction.length !== 3 * m) {
    throw new PannError(
      'SHAPE',
      `graph arrays disagree: ${m} edges, ${graph.distanceA.length} distances, ${graph.direction.length / 3} directions`,
      {
        field: 'graph',
      },
    );
  }
  const f = nRbf + 3;
  const out = new Float32Array(m * f);
  const spacing = options.cutoffA / (nRbf - 1);
  const inv = 1 / spacing;
  for (let e = 0; e < m; e++) {
    const u = graph.distanceA[e] * inv;
    const o = e * f;
    for (let b = 0; b < nRbf; b++) {
      const t = u - b;
      out[o + b] = exp(-0.5 * t * t);
    }
    out[o + nRbf] = graph.direction[3 * e];
    out[o + nRbf + 1] = graph.direction[3 * e + 1];
    out[o + nRbf + 2] = graph.direction[3 * e + 2];
  }
  return out;
}

/** Names of the columns of {@link edgeFeatures}: "rbf_{k}" for k < nRbf, then "dir_x", "dir_y", "dir_z". */
export function edgeFeatureNames(nRbf = 16): string[] {
  return [...Array.from({ length: nRbf }, (_, b) => `rbf_${b}`), 'dir_x', 'dir_y', 'dir_z'];
}

/**
 * Neighbour queries on point sets with a uniform cell grid (O(n) for bounded density): coordination
 * numbers, nearest-neighbour distances, and a growing grid for rejection sampling (amorphous packing).
 */

/** A cell grid over a set of points; cells are cubes of edge `cellA` (Å). */
export class CellGrid {
  private readonly cellA: number;
  private readonly origin: [number, number, number];
  private readonly dims: [number, number, number];
  /** Points stored in the grid (x, y, z), capacity grows as needed. */
  private pts: Float64Array;
  private count = 0;
  /** Linked lists: head[cell] → first point, next[point] → next point in the same cell (−1 ends). */
  private readonly head: Int32Array;
  private nextIdx: Int32Array;

  /**
   * @param minA lower corner of the region (Å)
   * @param maxA upper corner of the region (Å)
   * @param cellA cell edge (Å), at least the largest query radius
   */
  constructor(minA: [number, number, number], maxA: [number, number, number], cellA: number, capacity = 1024) {
    this.cellA = cellA;
    this.origin = [minA[0], minA[1], minA[2]];
    this.dims = [0, 1, 2].map((d) => Math.max(1, Math.ceil((maxA[d] - minA[d]) / cellA) + 1)) as [number, number, number];
    this.head = new Int32Array(this.dims[0] * this.dims[1] * this.dims[2]).fill(-1);
    this.pts = new Float64Array(3 * capacity);
    this.nextIdx = new Int32Array(capacity);
  }

  /** Grid holding all `positionsA` (x, y, z per point, Å). */
  static of(positionsA: Float64Array, cellA: number): CellGrid {
    const n = positionsA.length / 3;
    const lo: [number, number, number] = [Infinity, Infinity, Infinity];
    const hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
    for (let a = 0; a < n; a++)
      for (let d = 0; d < 3; d++) {
        lo[d] = Math.min(lo[d], positionsA[3 * a + d]);
        hi[d] = Math.max(hi[d], positionsA[3 * a + d]);
      }
    if (n === 0) return new CellGrid([0, 0, 0], [0, 0, 0], cellA, 1);
    const g = new CellGrid(lo, hi, cellA, n);
    for (let a = 0; a < n; a++) g.add(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]);
    return g;
  }

  get size(): number {
    return this.count;
  }

  private cellIndex(x: number, y: number, z: number): number {
    const [nx, ny, nz] = this.dims;
    const i = Math.min(nx - 1, Math.max(0, Math.floor((x - this.origin[0]) / this.cellA)));
    const j = Math.min(ny - 1, Math.max(0, Math.floor((y - this.origin[1]) / this.cellA)));
    const k = Math.min(nz - 1, Math.max(0, Math.floor((z - this.origin[2]) / this.cellA)));
    return (k * ny + j) * nx + i;
  }

  /** Adds a point; returns its index. */
  add(x: number, y: number, z: number): number {
    if (this.count === this.nextIdx.length) {
      const cap = this.nextIdx.length * 2;
      const p = new Float64Array(3 * cap);
      p.set(this.pts);
      this.pts = p;
      const nx = new Int32Array(cap);
      nx.set(this.nextIdx);
      this.nextIdx = nx;
    }
    const idx = this.count++;
    this.pts[3 * idx] = x;
    this.pts[3 * idx + 1] = y;
    this.pts[3 * idx + 2] = z;
    const c = this.cellIndex(x, y, z);
    this.nextIdx[idx] = this.head[c];
    this.head[c] = idx;
    return idx;
  }

  /**
   * Calls `visit(index, distanceSquared)` for every stored point within `radiusA` of (x, y, z),
   * except the point `skip`. `radiusA` must not exceed the cell edge. Stops early when visit returns true.
   */
  forEachWithin(x: number, y: number, z: number, radiusA: number, skip: number, visit: (idx: number, d2: number) => boolean | void): void {
    const [nx, ny, nz] = this.dims;
    const ci = Math.floor((x - this.origin[0]) / this.cellA);
    const cj = Math.floor((y - this.origin[1]) / this.cellA);
    const ck = Math.floor((z - this.origin[2]) / this.cellA);
    const r2 = radiusA * radiusA;
    for (let k = Math.max(0, ck - 1); k <= Math.min(nz - 1, ck + 1); k++)
      for (let j = Math.max(0, cj - 1); j <= Math.min(ny - 1, cj + 1); j++)
        for (let i = Math.max(0, ci - 1); i <= Math.min(nx - 1, ci + 1); i++) {
          for (let p = this.head[(k * ny + j) * nx + i]; p >= 0; p = this.nextIdx[p]) {
            if (p === skip) continue;
            const dx = this.pts[3 * p] - x,
              dy = this.pts[3 * p + 1] - y,
              dz = this.pts[3 * p + 2] - z;
            const d2 = dx * dx + dy * dy + dz * dz;
            if (d2 <= r2 && visit(p, d2) === true) return;
          }
        }
  }

  /** True when some stored point lies closer than `radiusA` to (x, y, z). */
  anyWithin(x: number, y: number, z: number, radiusA: number): boolean {
    let found = false;
    const r2 = radiusA * radiusA;
    this.forEachWithin(x, y, z, radiusA, -1, (_i, d2) => {
      if (d2 < r2) {
        found = true;
        return true;
      }
      return false;
    });
    return found;
  }
}

/**
 * Number of neighbours of each point within `cutoffA` (Å).
 * @param positionsA x, y, z per point (Å)
 */
export function coordinationNumbers(positionsA: Float64Array, cutoffA: number): Int32Array {
  const n = positionsA.length / 3;
  const grid = CellGrid.of(positionsA, cutoffA);
  const out = new Int32Array(n);
  for (let a = 0; a < n; a++) {
    let c = 0;
    grid.forEachWithin(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2], cutoffA, a, () => {
      c++;
    });
    out[a] = c;
  }
  return out;
}

/**
 * Distance (Å) from each point to its nearest other point, searched up to `maxA` (Infinity when none).
 * @param positionsA x, y, z per point (Å)
 */
export function nearestNeighbourDistances(positionsA: Float64Array, maxA: number): Float64Array {
  const n = positionsA.length / 3;
  const grid = CellGrid.of(positionsA, maxA);
  const out = new Float64Array(n).fill(Infinity);
  for (let a = 0; a < n; a++) {
    let best = Infinity;
    grid.forEachWithin(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2], maxA, a, (_i, d2) => {
      if (d2 < best) best = d2;
    });
    out[a] = Math.sqrt(best);
  }
  return out;
}

/** Smallest distance (Å) between any two points (Infinity when none are within `maxA`). */
export function minimumDistanceA(positionsA: Float64Array, maxA: number): number {
  const d = nearestNeighbourDistances(positionsA, maxA);
  let m = Infinity;
  for (let i = 0; i < d.length; i++) m = Math.min(m, d[i]);
  return m;
}

/**
 * The outer surface of a particle: atoms with fewer neighbours than `fraction` × the particle's
 * 90th-percentile coordination, neighbours counted within 1.2 × the median nearest-neighbour
 * distance (so any lattice constant or amorphous packing works). fcc: CN ≤ 9 of a bulk 12.
 * @param positionsA x, y, z per atom (Å)
 * @param fraction of the bulk coordination below which an atom counts as surface (default 0.8)
 */
export function surfaceAtoms(positionsA: Float64Array, fraction = 0.8): boolean[] {
  const n = positionsA.length / 3;
  if (n === 0) return [];
  const nn = Array.from(nearestNeighbourDistances(positionsA, 6)).sort((a, b) => a - b);
  const median = nn[n >> 1];
  if (!Number.isFinite(median)) return new Array<boolean>(n).fill(true);
  const cn = coordinationNumbers(positionsA, 1.2 * median);
  const sorted = Array.from(cn).sort((a, b) => a - b);
  const bulk = sorted[Math.floor(0.9 * (n - 1))];
  return Array.from(cn, (c) => c < fraction * bulk);
}

/**
 * Where an atom's neighbours say it should be. In a close-packed crystal (fcc, bcc) every atom is the
 * centre of pairs of opposite nearest neighbours, so the midpoints of those pairs predict the atom's
 * place from its neighbours alone — to about the frozen thermal displacement, and exactly under any affine
 * strain. The position fit (`fitAtomsToTilts`, option `neighbourPrior`) uses that as a second prior: a light
 * atom beside heavy ones is pinned by the projections only loosely (bench/results/fit-start.md), while its
 * heavy neighbours are pinned to a few pm. Tetrahedral sites (Si, amorphous or diamond) and most surface
 * atoms' outward side have no opposite pairs; where chance alignments make some (amorphous packings), the
 * bright atoms' scatter about their predictions (`brightScatterA`) is large and the fit leaves the prior off.
 */
import { CellGrid, nearestNeighbourDistances } from '../sim/neighbours';

/** Opposite-neighbour pairs of every atom: pairs of atom a are `pairs[2k], pairs[2k+1]` for k in [start[a], start[a+1]). */
export interface OppositePairs {
  start: Int32Array;
  pairs: Int32Array;
}

/** Options of `oppositeNeighbourPairs`; lengths as fractions of the first-shell distance d (`firstShellDistanceA`). */
export interface OppositePairsOptions {
  /** Neighbours are atoms within this × d. Default 1.2 (the first shell of fcc/bcc, not the second at √2 d). */
  shell?: number;
  /** A pair (b, c) is opposite when |r_b + r_c − 2 r_a| < this × d. Default 0.5 (the next configuration, at 120°, sits at 1.0 d). */
  tolerance?: number;
}

/**
 * The pairs of nearest neighbours that sit on opposite sides of each atom.
 * @param positionsA x, y, z per atom (Å)
 */
export function oppositeNeighbourPairs(positionsA: Float64Array, opts: OppositePairsOptions = {}): OppositePairs {
  const n = positionsA.length / 3;
  const shell = opts.shell ?? 1.2;
  const tol = opts.tolerance ?? 0.5;
  const start = new Int32Array(n + 1);
  if (n < 3) return { start, pairs: new Int32Array(0) };
  const d = firstShellDistanceA(positionsA);
  if (!(d > 0)) return { start, pairs: new Int32Array(0) };
  const cutoff = shell * d,
    tol2 = (tol * d) ** 2;
  const grid = CellGrid.of(positionsA, cutoff);
  const out: number[] = [];
  const nb: number[] = [];
  for (let a = 0; a < n; a++) {
    start[a] = out.length / 2;
    nb.length = 0;
    const [x, y, z] = [positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2]];
    grid.forEachWithin(x, y, z, cutoff, a, (b) => {
      nb.push(b);
    });
    nb.sort((p, q) => p - q);
    for (let i = 0; i < nb.length; i++)
      for (let j = i + 1; j < nb.length; j++) {
        const b = nb[i],
          c = nb[j];
        const ex = positionsA[3 * b] + positionsA[3 * c] - 2 * x,
          ey = positionsA[3 * b + 1] + positionsA[3 * c + 1] - 2 * y,
          ez = positionsA[3 * b + 2] + positionsA[3 * c + 2] - 2 * z;
        if (ex * ex + ey * ey + ez * ez < tol2) out.push(b, c);
      }
  }
  start[n] = out.length / 2;
  return { start, pairs: Int32Array.from(out) };
}

/**
 * The typical nearest-neighbour distance (Å; NaN when no atom has a neighbour within 6 Å): the median of
 * every pair distance within 1.5 × the median nearest-neighbour distance. The nearest-neighbour distance
 * alone is the minimum over a dozen neighbours and, with positions off by 0.2 Å, reads 15 % short.
 */
export function firstShellDistanceA(positionsA: Float64Array): number {
  const nn = Array.from(nearestNeighbourDistances(positionsA, 6)).filter(Number.isFinite).sort((x, y) => x - y);
  if (nn.length === 0) return NaN;
  const reach = 1.5 * nn[Math.floor(nn.length / 2)];
  const grid = CellGrid.of(positionsA, reach);
  const ds: number[] = [];
  for (let a = 0; a < positionsA.length / 3; a++)
    grid.forEachWithin(positionsA[3 * a], positionsA[3 * a + 1], positionsA[3 * a + 2], reach, a, (b, d2) => {
      if (b > a) ds.push(Math.sqrt(d2));
    });
  ds.sort((x, y) => x - y);
  return ds[Math.floor(ds.length / 2)];
}

/**
 * Each atom's predicted place and that prediction's variance: the pair midpoints averaged with weights
 * 1 / (σ_th²/2 + (v_b + v_c)/4) — the two neighbours' own thermal displacements and their position
 * variances v (Å² per axis) — and variance σ_th² + 1/Σ weights (the atom's own displacement from its
 * site, which no neighbour predicts, plus the midpoints' error). Atoms without pairs get Infinity.
 * @param varianceA2 each atom's current position variance, Å² per axis (Infinity for an unpinned atom)
 * @param thermalA σ_th, the RMS displacement of an atom from its ideal site per axis, Å
 */
export function neighbourPrediction(
  positionsA: Float64Array,
  p: OppositePairs,
  varianceA2: Float64Array,
  thermalA: number,
  out: Float64Array,
  outVarianceA2: Float64Array,
): void {
  const n = p.start.length - 1;
  const th2 = thermalA * thermalA;
  for (let a = 0; a < n; a++) {
    let sw = 0,
      sx = 0,
      sy = 0,
      sz = 0;
    for (let k = p.start[a]; k < p.start[a + 1]; k++) {
      const b = p.pairs[2 * k],
        c = p.pairs[2 * k + 1];
      const w = 1 / (th2 / 2 + (varianceA2[b] + varianceA2[c]) / 4);
      if (!(w > 0)) continue;
      sw += w;
      sx += (w * (positionsA[3 * b] + positionsA[3 * c])) / 2;
      sy += (w * (positionsA[3 * b + 1] + positionsA[3 * c + 1])) / 2;
      sz += (w * (positionsA[3 * b + 2] + positionsA[3 * c + 2])) / 2;
    }
    if (sw === 0) {
      outVarianceA2[a] = Infinity;
      continue;
    }
    out[3 * a] = sx / sw;
    out[3 * a + 1] = sy / sw;
    out[3 * a + 2] = sz / sw;
    outVarianceA2[a] = th2 + 1 / sw;
  }
}

/**
 * How far the brighter half of the atoms (fitted brightness at or above the median: the ones the data pin
 * best) sit from their neighbours' prediction: RMS per axis of |r − ρ| in Å over those with at least
 * `minPairs` opposite pairs (ρ weighted with σ_th = 0.05 Å). A centrosymmetric crystal reads its thermal
 * displacement plus the atoms' own error (4–10 pm on the validation particles at ≥ 3e4 e⁻/Å²); an
 * amorphous particle, whose "pairs" are chance alignments, 25 pm and more. Infinity below 10 such atoms.
 * @param varianceA2 each atom's position variance, Å² per axis
 */
export function brightScatterA(
  positionsA: Float64Array,
  brightness: ArrayLike<number>,
  p: OppositePairs,
  varianceA2: Float64Array,
  minPairs: number,
): number {
  const n = brightness.length;
  const median = Array.from(brightness).sort((x, y) => x - y)[Math.floor(n / 2)];
  const rho = new Float64Array(3 * n),
    rhoVar = new Float64Array(n);
  neighbourPrediction(positionsA, p, varianceA2, 0.05, rho, rhoVar);
  let s = 0,
    k = 0;
  for (let a = 0; a < n; a++) {
    if (brightness[a] < median || p.start[a + 1] - p.start[a] < minPairs || !Number.isFinite(rhoVar[a])) continue;
    for (let d = 0; d < 3; d++) s += (positionsA[3 * a + d] - rho[3 * a + d]) ** 2 / 3;
    k++;
  }
  return k >= 10 ? Math.sqrt(s / k) : Infinity;
}

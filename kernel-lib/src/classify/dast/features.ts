/**
 * DAST per-atom and per-edge input features, normalised per particle so that one network serves any
 * element set, dose and volume scale: intensities are divided by the particle's median, so the network
 * sees "how bright relative to this particle", never absolute counts.
 */
import { PannError } from '../../core/errors';
import { sampleTrilinear } from '../../core/sample';
import type { Volume } from '../../core/types';
import { integrateSpheres, volumeStatistics } from '../../trace/trace-atoms';
import { buildAtomGraph, type AtomGraph } from './graph';
import { zernikeDescriptors } from './zernike';

const { sqrt, exp, abs, max, min } = Math;

/** Feature settings; stored with the trained weights (they must match at inference). */
export interface DastFeatureConfig {
  /** Radii (Å) of the spheres summed around each atom. */
  integrationRadiiA: number[];
  /** Zernike order (0 disables the Zernike group). */
  zernikeOrder: number;
  /** Zernike ball radius (Å). */
  zernikeRadiusA: number;
  /** Neighbour graph: radius cutoff (Å) and at most k neighbours. */
  graphCutoffA: number;
  graphK: number;
  /** Gaussian radial basis of the edge length: number of centres, spread over 0…graphCutoffA. */
  nRbf: number;
}

export const DEFAULT_FEATURE_CONFIG: DastFeatureConfig = {
  integrationRadiiA: [0.7, 1.0, 1.4],
  zernikeOrder: 6,
  zernikeRadiusA: 1.3,
  graphCutoffA: 3.6,
  graphK: 14,
  nRbf: 8,
};

/** Per-atom features, per-edge features and the graph of one particle. */
export interface DastFeatures {
  nAtoms: number;
  /** [nAtoms, nodeFeatureCount] row-major. */
  nodes: Float32Array;
  nodeNames: string[];
  /** Column indices of the intensity-only group (the MLP ablation uses only these). */
  intensityColumns: number[];
  /** Edge endpoints (messages src → dst) and [nEdges, nRbf + 1] edge features (RBF of the length, |direction·z|). */
  src: Int32Array;
  dst: Int32Array;
  edges: Float32Array;
  graph: AtomGraph;
}

/** Median of a copy of the values (NaN for none). */
function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : 0.5 * (s[h - 1] + s[h]);
}

/**
 * A positive scale for ratio features: the 75th percentile (the median of the brighter half, so that
 * weak ghost candidates, often many at low dose, hardly move it), or the mean |value| if that is ≤ 0.
 */
function robustScale(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const m = s.length ? s[Math.floor(0.75 * (s.length - 1))] : NaN;
  if (m > 0) return m;
  let t = 0;
  for (let i = 0; i < values.length; i++) t += abs(values[i]);
  return t > 0 ? t / values.length : 1;
}

/** Number of node features for a config. */
export function nodeFeatureCount(cfg: DastFeatureConfig): number {
  const nZ = cfg.zernikeOrder > 0 ? zernikeInvariantCount(cfg.zernikeOrder) : 0;
  return cfg.integrationRadiiA.length + 3 + nZ + 3;
}

function zernikeInvariantCount(order: number): number {
  let c = 0;
  for (let n = 0; n <= order; n++) for (let l = 0; l <= n; l++) if ((n - l) % 2 === 0) c++;
  return c;
}

/**
 * Computes DAST's inputs for traced atoms in a volume.
 * @param volume the volume the atoms were traced in (raw or refined), [nz, ny, nx], voxelSizeA Å
 * @param positionsA atom centres x, y, z in Å (volume frame), 3 per atom; at least 2 atoms
 * @param cfg feature settings (those stored with the trained model)
 * @returns node features (intensity group, Zernike group, geometry group), graph and edge features
 */
export function computeDastFeatures(
  volume: Volume,
  positionsA: Float64Array,
  cfg: DastFeatureConfig = DEFAULT_FEATURE_CONFIG,
): DastFeatures {
  const n = positionsA.length / 3;
  if (!Number.isInteger(n) || n < 2) {
    throw new PannError(
      'SHAPE',
      `DAST needs at least 2 atoms (positionsA of length 3·n), got length ${positionsA.length}`,
      { field: 'positionsA' },
    );
  }
  const F = nodeFeatureCount(cfg);
  const nodes = new Float32Array(n * F);
  const names: string[] = [];
  let col = 0;
  const put = (name: string, values: ArrayLike<number>): void => {
    for (let a = 0; a < n; a++) nodes[a * F + col] = values[a];
    names.push(name);
    col++;
  };
  const clampRatio = (v: Float64Array, s: number): Float64Array => v.map((x) => min(max(x / s, -3), 12));

  // Intensity group: sphere sums and the peak, each relative to the particle median.
  const integrated: Float64Array[] = [];
  for (const r of cfg.integrationRadiiA) {
    const v = integrateSpheres(volume, positionsA, r);
    integrated.push(v);
    put(`integrated_${r}A_rel`, clampRatio(v, robustScale(v)));
  }
  const peak = sampleTrilinear(volume, positionsA);
  const peakScale = robustScale(peak);
  put('peak_rel', clampRatio(peak, peakScale));
  // The volume's noise relative to a typical atom: a dose / quality indicator, the same for every atom.
  const stats = volumeStatistics(volume.data);
  const noise = min(stats.noiseSigma / peakScale, 10);
  put('noise_rel', new Float64Array(n).fill(noise));
  // Percentile rank of the middle sphere sum: scale-free and robust to outliers.
  const mid = integrated[Math.min(1, integrated.length - 1)];
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => mid[p] - mid[q]);
  const rank = new Float64Array(n);
  order.forEach((a, r) => (rank[a] = n > 1 ? r / (n - 1) : 0.5));
  put('intensity_rank', rank);
  const intensityColumns = Array.from({ length: col }, (_, i) => i);

  // Zernike group: shape invariants (normalised by |Ω00|) and |Ω00| relative to its particle median.
  if (cfg.zernikeOrder > 0) {
    const z = zernikeDescriptors(volume, positionsA, {
      order: cfg.zernikeOrder,
      radiusA: cfg.zernikeRadiusA,
      normalization: 'omega00',
    });
    const d = z.names.length;
    const f00 = new Float64Array(n);
    for (let a = 0; a < n; a++) f00[a] = z.values[a * d];
    put(`${z.names[0]}_rel`, clampRatio(f00, robustScale(f00)));
    for (let c = 1; c < d; c++) {
      const v = new Float64Array(n);
      for (let a = 0; a < n; a++) v[a] = min(z.values[a * d + c], 5);
      put(z.names[c], v);
    }
  }

  // Geometry group (from the traced positions only).
  const graph = buildAtomGraph(positionsA, { cutoffA: cfg.graphCutoffA, k: min(cfg.graphK, n - 1) });
  const nnDist = new Float64Array(n).fill(cfg.graphCutoffA);
  for (let a = 0; a < n; a++)
    if (graph.dstOffsets[a + 1] > graph.dstOffsets[a]) nnDist[a] = graph.distanceA[graph.dstOffsets[a]];
  const nnMedian = median(nnDist) || 1;
  const coord = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    for (let e = graph.dstOffsets[a]; e < graph.dstOffsets[a + 1]; e++)
      if (graph.distanceA[e] <= 1.2 * nnMedian) coord[a]++;
    coord[a] /= 12;
  }
  put('coordination', coord);
  let cx = 0,
    cy = 0,
    cz = 0;
  for (let a = 0; a < n; a++) {
    cx += positionsA[3 * a];
    cy += positionsA[3 * a + 1];
    cz += positionsA[3 * a + 2];
  }
  cx /= n;
  cy /= n;
  cz /= n;
  const radial = new Float64Array(n);
  for (let a = 0; a < n; a++)
    radial[a] = sqrt(
      (positionsA[3 * a] - cx) ** 2 + (positionsA[3 * a + 1] - cy) ** 2 + (positionsA[3 * a + 2] - cz) ** 2,
    );
  const rMax = Float64Array.from(radial).sort()[Math.floor(0.95 * (n - 1))] || 1;
  put(
    'radius_rel',
    radial.map((r) => min(r / rMax, 2)),
  );
  put(
    'nn_distance_rel',
    nnDist.map((d) => d / nnMedian),
  );

  // Edges: Gaussian RBF of the length plus |cos| to the beam axis (the missing wedge elongates along z).
  const m = graph.src.length;
  const E = cfg.nRbf + 1;
  const edges = new Float32Array(m * E);
  const spacing = cfg.graphCutoffA / (cfg.nRbf - 1);
  for (let e = 0; e < m; e++) {
    const u = graph.distanceA[e] / spacing;
    for (let b = 0; b < cfg.nRbf; b++) edges[e * E + b] = exp(-0.5 * (u - b) * (u - b));
    edges[e * E + cfg.nRbf] = abs(graph.direction[3 * e + 2]);
  }
  return {
    nAtoms: n,
    nodes,
    nodeNames: names,
    intensityColumns,
    src: graph.src,
    dst: graph.dst,
    edges,
    graph,
  };
}

/** Input columns ≥ LOG_COLUMN read ln(max(x, 0.05)) of column (c − LOG_COLUMN): log intensity ratios. */
export const LOG_COLUMN = 1000;

/** Value of input column `col` of atom `a` in a [n, F] feature table (see {@link LOG_COLUMN}). */
export function featureValue(nodes: Float32Array, F: number, a: number, col: number): number {
  return col < LOG_COLUMN ? nodes[a * F + col] : Math.log(Math.max(nodes[a * F + col - LOG_COLUMN], 0.05));
}

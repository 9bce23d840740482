/**
 * Baseline species classification: 1D k-means on the intensity around each atom. In HAADF-STEM the
 * intensity grows with Z (≈ Z^1.7), so clusters ordered by mean intensity map to species ordered by Z.
 */
import { PannError, assertPositive } from '../core/errors';
import { atomicNumber, sortByZ } from '../core/elements';
import { createRng } from '../core/rng';
import { sampleTrilinear } from '../core/sample';
import type { AtomicModel, Volume } from '../core/types';
import { checkVolume, integrateSpheres } from '../trace/trace-atoms';
import { FITTED_BRIGHTNESS } from '../trace/fit-to-tilts';

/** Options of `classifyKMeans`. */
export interface KMeansClassifyOptions {
  /** Element symbols present, e.g. ['Fe', 'Pt']; k = species.length. */
  species: string[];
  /** Radius (Å) of the sphere summed around each atom for the 'integrated' feature. Default 1.0 Å. */
  radiusA?: number;
  /**
   * 'integrated' (sum of the volume within radiusA; robust to noise), 'peak' (the volume trilinearly
   * interpolated at the atom position) or 'fitted' (each atom's brightness fitted to the tilt series by
   * `fitAtomsToTilts`, read from `model.scores.fittedBrightness`: the projections' own counts, free of
   * what a reconstruction or network did to the volume). Default 'fitted' for atoms that carry it
   * (better on the validation split, bench/results/species-feature.md), else 'integrated'.
   */
  feature?: 'integrated' | 'peak' | 'fitted';
  /** Seed of the k-means++ initialisation. Default 0. */
  seed?: number;
  /** Number of k-means++ restarts; the lowest within-cluster sum of squares wins. Default 10. */
  restarts?: number;
  /**
   * Softmax temperature of the class probabilities, in units of the pooled within-cluster standard
   * deviation s: P(c) ∝ exp(−(x − μ_c)² / (2 (T·s)²)). T = 1 (default) is the posterior of a Gaussian
   * mixture with equal weights and one shared variance; larger T gives softer probabilities.
   */
  temperature?: number;
}

/** Result of a 1D k-means. */
export interface KMeans1D {
  /** Cluster centres, ascending. */
  centres: Float64Array;
  /** Cluster of each value (index into `centres`). */
  labels: Int32Array;
  /** Within-cluster sum of squares. */
  inertia: number;
}

/**
 * Assigns a species to every atom of `model` by k-means on the intensity of `volume` around it.
 * @param model atoms (positions in Å, inside the volume); species labels are replaced
 * @param volume the volume the atoms were traced in ([nz, ny, nx], voxelSizeA Å)
 * @returns a new model with `species`, `probabilities` (labels sorted by Z) and the feature in
 *   `scores.classFeature`; positions and other scores are kept.
 */
export function classifyKMeans(model: AtomicModel, volume: Volume, opts: KMeansClassifyOptions): AtomicModel {
  checkVolume(volume);
  const species = opts?.species;
  if (!Array.isArray(species) || species.length === 0) {
    throw new PannError('OPTION', 'species must list at least one element symbol, e.g. ["Pt"]', {
      field: 'species',
    });
  }
  species.forEach((s) => atomicNumber(s)); // throws a clear error for unknown symbols
  if (new Set(species).size !== species.length) {
    throw new PannError('OPTION', `species contains duplicates: ${species.join(', ')}`, { field: 'species' });
  }
  const byZ = sortByZ(species);
  const n = model.species.length;
  if (n === 0)
    throw new PannError('VALUE', 'the atomic model is empty: nothing to classify', { field: 'model' });
  const k = byZ.length;
  if (k > n) {
    throw new PannError('OPTION', `cannot split ${n} atom(s) into ${k} species (${byZ.join(', ')})`, {
      field: 'species',
    });
  }
  const radiusA = opts.radiusA ?? 1.0;
  assertPositive(radiusA, 'radiusA');
  const temperature = opts.temperature ?? 1;
  assertPositive(temperature, 'temperature');
  const restarts = opts.restarts ?? 10;
  if (!(Number.isInteger(restarts) && restarts >= 1))
    throw new PannError('OPTION', `restarts must be an integer ≥ 1, got ${restarts}`, { field: 'restarts' });
  checkInside(model, volume);

  const feature = opts.feature ?? (model.scores?.[FITTED_BRIGHTNESS] ? 'fitted' : 'integrated');
  let x: Float64Array;
  if (feature === 'integrated') x = integrateSpheres(volume, model.positionsA, radiusA);
  else if (feature === 'peak') x = sampleTrilinear(volume, model.positionsA);
  else if (feature === 'fitted') x = fittedBrightness(model);
  else
    throw new PannError('OPTION', `feature must be 'integrated', 'peak' or 'fitted', got '${feature}'`, {
      field: 'feature',
    });

  const values = new Float32Array(n * k);
  let labelsOut: string[];
  if (k === 1) {
    labelsOut = new Array<string>(n).fill(byZ[0]);
    values.fill(1);
  } else {
    const km = kmeans1D(x, k, { seed: opts.seed ?? 0, restarts });
    labelsOut = Array.from(km.labels, (c) => byZ[c]);
    softAssign(x, km, temperature, values);
  }
  return {
    ...model,
    positionsA: Float64Array.from(model.positionsA),
    species: labelsOut,
    scores: { ...(model.scores ?? {}), classFeature: x },
    probabilities: { labels: byZ, values },
  };
}

/** The brightness `fitAtomsToTilts` gave each atom (a copy), or a clear error if the atoms were not fitted. */
function fittedBrightness(model: AtomicModel): Float64Array {
  const b = model.scores?.[FITTED_BRIGHTNESS];
  if (!b)
    throw new PannError('OPTION', `feature 'fitted' needs atoms fitted to the tilt series (fitAtomsToTilts leaves scores.${FITTED_BRIGHTNESS}); these have none`, { field: 'feature' });
  if (b.length !== model.species.length)
    throw new PannError('SHAPE', `scores.${FITTED_BRIGHTNESS} has ${b.length} values for ${model.species.length} atoms`, { field: `scores.${FITTED_BRIGHTNESS}` });
  return Float64Array.from(b);
}

/**
 * k-means on scalars with k-means++ initialisation (seeded) and `restarts` restarts (Lloyd iterations
 * until no label changes, ≤ 100). Centres are returned ascending and labels renumbered to match.
 */
export function kmeans1D(
  x: Float64Array,
  k: number,
  opts: { seed?: number; restarts?: number } = {},
): KMeans1D {
  const n = x.length;
  if (k < 1 || k > n) throw new PannError('OPTION', `k must be in 1…${n}, got ${k}`, { field: 'k' });
  const rng = createRng(opts.seed ?? 0);
  let best: KMeans1D | null = null;
  const d2 = new Float64Array(n);
  for (let r = 0; r < (opts.restarts ?? 10); r++) {
    // k-means++: first centre uniform, then each next with probability ∝ squared distance to the nearest.
    const centres = new Float64Array(k);
    centres[0] = x[rng.int(n)];
    for (let c = 1; c < k; c++) {
      let total = 0;
      for (let t = 0; t < n; t++) {
        let m = Infinity;
        for (let q = 0; q < c; q++) m = Math.min(m, (x[t] - centres[q]) ** 2);
        d2[t] = m;
        total += m;
      }
      if (total === 0) {
        centres[c] = x[rng.int(n)];
        continue;
      }
      let u = rng.uniform() * total;
      let pick = n - 1;
      for (let t = 0; t < n; t++) {
        u -= d2[t];
        if (u < 0) {
          pick = t;
          break;
        }
      }
      centres[c] = x[pick];
    }
    const labels = new Int32Array(n).fill(-1);
    const sum = new Float64Array(k),
      count = new Float64Array(k);
    for (let iter = 0; iter < 100; iter++) {
      let changed = false;
      for (let t = 0; t < n; t++) {
        let bc = 0,
          bd = Infinity;
        for (let c = 0; c < k; c++) {
          const d = (x[t] - centres[c]) ** 2;
          if (d < bd) {
            bd = d;
            bc = c;
          }
        }
        if (labels[t] !== bc) {
          labels[t] = bc;
          changed = true;
        }
      }
      if (!changed) break;
      sum.fill(0);
      count.fill(0);
      for (let t = 0; t < n; t++) {
        sum[labels[t]] += x[t];
        count[labels[t]]++;
      }
      for (let c = 0; c < k; c++) if (count[c] > 0) centres[c] = sum[c] / count[c]; // empty: keep the centre
    }
    let inertia = 0;
    for (let t = 0; t < n; t++) inertia += (x[t] - centres[labels[t]]) ** 2;
    if (!best || inertia < best.inertia) best = { centres, labels, inertia };
  }
  // Renumber clusters by ascending centre.
  const b = best!;
  const order = Array.from({ length: k }, (_, c) => c).sort((p, q) => b.centres[p] - b.centres[q]);
  const rank = new Int32Array(k);
  order.forEach((c, r) => (rank[c] = r));
  return {
    centres: Float64Array.from(order, (c) => b.centres[c]),
    labels: b.labels.map((c) => rank[c]),
    inertia: b.inertia,
  };
}

/** Softmax over −(x − μ_c)²/(2(T·s)²), s = pooled within-cluster SD (floored so identical values stay finite). */
function softAssign(x: Float64Array, km: KMeans1D, temperature: number, out: Float32Array): void {
  const n = x.length,
    k = km.centres.length;
  const spread = km.centres[k - 1] - km.centres[0];
  const pooledVar = Math.max(km.inertia / Math.max(1, n - k), (1e-6 * (spread || 1)) ** 2);
  const inv = 1 / (2 * temperature * temperature * pooledVar);
  const logit = new Float64Array(k);
  for (let t = 0; t < n; t++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      logit[c] = -((x[t] - km.centres[c]) ** 2) * inv;
      if (logit[c] > max) max = logit[c];
    }
    let z = 0;
    for (let c = 0; c < k; c++) z += logit[c] = Math.exp(logit[c] - max);
    for (let c = 0; c < k; c++) out[t * k + c] = logit[c] / z;
  }
}

/** Throws a VALUE error naming the first atom whose position lies outside the volume. */
export function checkInside(model: AtomicModel, volume: Volume): void {
  const [nz, ny, nx] = volume.shape;
  const h = volume.voxelSizeA;
  const p = model.positionsA;
  if (p.length !== 3 * model.species.length) {
    throw new PannError(
      'SHAPE',
      `positionsA has ${p.length} values for ${model.species.length} atoms (expected 3 per atom)`,
      { field: 'positionsA' },
    );
  }
  const lim = [(nx - 1) * h, (ny - 1) * h, (nz - 1) * h];
  for (let a = 0; a < model.species.length; a++) {
    for (let d = 0; d < 3; d++) {
      const v = p[3 * a + d];
      if (!(v >= 0 && v <= lim[d])) {
        throw new PannError(
          'VALUE',
          `atom ${a} lies outside the volume: ${'xyz'[d]} = ${v} Å, the volume spans 0…${lim[d].toFixed(3)} Å (shape [${volume.shape.join(', ')}], voxel ${h} Å)`,
          { field: 'positionsA' },
        );
      }
    }
  }
}

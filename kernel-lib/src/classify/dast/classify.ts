/**
 * `classifyDast`: species of traced atoms from DAST — per-particle features (intensity, 3D Zernike
 * invariants, geometry) and the atom graph → the trained graph attention Transformer → a species-agnostic
 * brightness score per atom → the user's species by a 1D mixture with fixed α·ln Z spacings
 * (`assign.ts`), optionally rebalanced to a known composition. One model serves any element set.
 */
import { PannError } from '../../core/errors';
import { atomicNumber } from '../../core/elements';
import type { AtomicModel, ProgressCallback, Volume } from '../../core/types';
import { checkInside } from '../kmeans';
import { assignSpecies } from './assign';
import { computeDastFeatures } from './features';
import { loadDastModel } from './model-store';
import { predictScores } from './predict';

/** Options of {@link classifyDast}. */
export interface DastClassifyOptions {
  /** Element symbols present (2–4 typical; any order; classes map to species by atomic number). */
  species: string[];
  /** Known overall composition, e.g. { Fe: 0.5, Pt: 0.5 } (fractions or counts; normalised). */
  composition?: Record<string, number>;
  /** Directory of the trained model (default: the shipped `models/dast`). */
  modelDir?: string;
  /** Species assignment of the scores: 'free' means (default) or the fixed α·ln Z 'ladder' (see assign.ts). */
  assignment?: 'free' | 'ladder';
  /** Inference engine: 'tfjs' (default) or 'ort' (ONNX Runtime) — same weights. */
  engine?: 'tfjs' | 'ort';
  onProgress?: ProgressCallback;
}

/**
 * Classifies the species of traced atoms with DAST.
 * @param model traced atoms (positions in Å, inside the volume); species labels are replaced
 * @param volume the volume they were traced in (raw or refined), [nz, ny, nx], voxelSizeA Å
 * @param opts species, optional composition prior, model directory, engine, progress
 * @returns a new model with `species`, `probabilities` (labels by ascending Z), `scores.dastScore`
 *   (the predicted brightness score, α·ln Z units up to an offset) and `scores.dastGhostProbability`
 *   (probability that the atom is a tracing ghost); positions and other scores kept
 */
export async function classifyDast(model: AtomicModel, volume: Volume, opts: DastClassifyOptions): Promise<AtomicModel> {
  const species = opts?.species;
  if (!Array.isArray(species) || species.length === 0) {
    throw new PannError('OPTION', 'species must list at least one element symbol, e.g. ["Fe", "Pt"]', { field: 'species' });
  }
  species.forEach((s) => atomicNumber(s));
  if (new Set(species).size !== species.length) throw new PannError('OPTION', `species contains duplicates: ${species.join(', ')}`, { field: 'species' });
  const n = model.species.length;
  if (n === 0) throw new PannError('VALUE', 'the atomic model is empty: nothing to classify', { field: 'model' });
  checkInside(model, volume);
  const report = (stage: string, done: number): void => opts.onProgress?.({ stage: 'classify', done, total: 4, message: stage });
  report('loading model', 0);
  const dast = await loadDastModel(opts.modelDir);
  const labels = species.slice().sort((a, b) => atomicNumber(a) - atomicNumber(b));
  if (n < 2 || labels.length === 1) {
    // Nothing to compare: one atom, or one species.
    const values = new Float32Array(n * labels.length);
    for (let a = 0; a < n; a++) values[a * labels.length + labels.length - 1] = 1;
    return { ...model, positionsA: Float64Array.from(model.positionsA), species: new Array<string>(n).fill(labels[labels.length - 1]), probabilities: { labels, values } };
  }
  report('features', 1);
  const f = computeDastFeatures(volume, model.positionsA, dast.config.features);
  report('network', 2);
  const { score, sigma, ghostProbability } = await predictScores(dast, f, opts.engine ?? 'tfjs');
  report('assign', 3);
  const asg = assignSpecies(score, sigma, labels, { composition: opts.composition, ghostProbability, means: opts.assignment });
  report('done', 4);
  return {
    ...model,
    positionsA: Float64Array.from(model.positionsA),
    species: Array.from(asg.classes, (c) => asg.labels[c]),
    scores: { ...(model.scores ?? {}), dastScore: Float64Array.from(score), dastGhostProbability: Float64Array.from(ghostProbability) },
    probabilities: { labels: asg.labels, values: asg.probabilities },
  };
}

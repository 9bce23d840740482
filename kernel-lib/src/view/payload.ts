/**
 * Widget payloads: bounded, binary, and free of markup. Volumes travel as 8-bit quantised bytes (1 byte a
 * voxel, capped by `maxBytes` through block-mean downsampling), atoms as Float32 positions/scores.
 * Pure functions: no comms here.
 */
import { PannError } from '../core/errors';
import type { AtomicModel, Shape3, Volume } from '../core/types';

/** Default byte budget of one quantised volume: 256³ voxels at 1 byte = 16 MiB. */
export const DEFAULT_MAX_VOLUME_BYTES = 256 * 256 * 256;

/** An 8-bit quantised volume: `value = min + byte / 255 · (max − min)`. */
export interface QuantisedVolume {
  bytes: Uint8Array;
  /** [nz, ny, nx] after downsampling. */
  shape: Shape3;
  /** Voxel edge in Å after downsampling. */
  voxelSizeA: number;
  /** Physical value of byte 0. */
  min: number;
  /** Physical value of byte 255. */
  max: number;
  /** Integer block edge used for downsampling (1 = full resolution). */
  binning: number;
}

function checkVolume(volume: Volume, field: string): void {
  const [nz, ny, nx] = volume.shape ?? [];
  if (![nz, ny, nx].every((n) => Number.isInteger(n) && n > 0) || volume.data?.length !== nz * ny * nx) {
    throw new PannError('SHAPE', `${field}: shape ${JSON.stringify(volume.shape)} does not match data length ${volume.data?.length}`, { field });
  }
  if (!(volume.voxelSizeA > 0)) throw new PannError('VALUE', `${field}: voxelSizeA must be > 0 Å, got ${volume.voxelSizeA}`, { field: `${field}.voxelSizeA` });
}

/**
 * Quantise a volume to bytes over its finite min…max, block-averaging by the smallest integer factor that
 * fits `maxBytes`. Non-finite voxels become byte 0.
 * @param volume - Float32 volume [nz, ny, nx], voxel size in Å.
 * @param maxBytes - byte budget (= voxel budget at 1 byte a voxel); default 16 MiB (256³).
 */
export function quantiseVolume(volume: Volume, maxBytes = DEFAULT_MAX_VOLUME_BYTES, field = 'volume'): QuantisedVolume {
  checkVolume(volume, field);
  if (!(maxBytes >= 1)) throw new PannError('OPTION', `maxBytes must be ≥ 1, got ${maxBytes}`, { field: 'maxBytes' });
  const [nz, ny, nx] = volume.shape;
  let b = 1;
  while (Math.ceil(nz / b) * Math.ceil(ny / b) * Math.ceil(nx / b) > maxBytes) b++;
  const shape: Shape3 = [Math.ceil(nz / b), Math.ceil(ny / b), Math.ceil(nx / b)];
  let src = volume.data;
  if (b > 1) src = binVolume(volume.data, volume.shape, b, shape);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  const scale = max > min ? 255 / (max - min) : 0;
  const bytes = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const q = (src[i] - min) * scale + 0.5;
    bytes[i] = q >= 0 ? (q > 255 ? 255 : q) : 0; // NaN → 0 via the comparison
  }
  return { bytes, shape, voxelSizeA: volume.voxelSizeA * b, min, max: max > min ? max : min + 1, binning: b };
}

/** Block mean over b×b×b blocks (edge blocks average what they hold). */
function binVolume(data: Float32Array, [nz, ny, nx]: Shape3, b: number, [mz, my, mx]: Shape3): Float32Array {
  const sum = new Float64Array(mz * my * mx);
  const cnt = new Uint32Array(mz * my * mx);
  for (let k = 0; k < nz; k++) {
    const ko = ((k / b) | 0) * my;
    for (let j = 0; j < ny; j++) {
      const row = (ko + ((j / b) | 0)) * mx;
      const so = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        const v = data[so + i];
        if (Number.isFinite(v)) {
          sum[row + ((i / b) | 0)] += v;
          cnt[row + ((i / b) | 0)]++;
        }
      }
    }
  }
  const out = new Float32Array(sum.length);
  for (let i = 0; i < out.length; i++) out[i] = cnt[i] ? sum[i] / cnt[i] : NaN;
  return out;
}

/** Atoms as sent to the frontend. */
export interface AtomsPayload {
  /** x, y, z per atom (Å), Float32. */
  positions: Float32Array;
  species: string[];
  /** Score per atom (`scoreName`), or empty when the model has none. */
  scores: Float32Array;
  scoreName: string;
  /** Class probabilities, [n, labels.length], or empty. */
  probabilities: Float32Array;
  probabilityLabels: string[];
}

/**
 * Convert an atomic model to the widget payload (12 bytes a position, 4 a score, 4 a class probability).
 * @param model - atomic model, positions in Å.
 * @param scoreName - which `model.scores` entry drives the threshold (default 'peak'; the first score if absent).
 */
export function atomsPayload(model: AtomicModel | undefined, scoreName = 'peak', field = 'atoms'): AtomsPayload {
  if (!model) return { positions: new Float32Array(0), species: [], scores: new Float32Array(0), scoreName, probabilities: new Float32Array(0), probabilityLabels: [] };
  const n = model.species?.length ?? -1;
  if (n < 0 || model.positionsA?.length !== 3 * n) {
    throw new PannError('SHAPE', `${field}: ${model.positionsA?.length} position values for ${n} species labels (need 3 per atom)`, { field: `${field}.positionsA` });
  }
  const scores = model.scores ?? {};
  const name = scoreName in scores ? scoreName : (Object.keys(scores)[0] ?? scoreName);
  const s = scores[name];
  if (s && s.length !== n) throw new PannError('SHAPE', `${field}: score '${name}' has ${s.length} values for ${n} atoms`, { field: `${field}.scores.${name}` });
  const p = model.probabilities;
  if (p && p.values.length !== n * p.labels.length) {
    throw new PannError('SHAPE', `${field}: ${p.values.length} probabilities for ${n} atoms × ${p.labels.length} labels`, { field: `${field}.probabilities` });
  }
  return {
    positions: Float32Array.from(model.positionsA),
    species: model.species.map(String),
    scores: s ? Float32Array.from(s) : new Float32Array(0),
    scoreName: name,
    probabilities: p ? Float32Array.from(p.values) : new Float32Array(0),
    probabilityLabels: p ? p.labels.map(String) : [],
  };
}

/** Number of atoms whose score is ≥ threshold (all atoms when there are no scores). */
export function countSurvivors(scores: ArrayLike<number>, nAtoms: number, threshold: number): number {
  if (scores.length === 0) return nAtoms;
  let c = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) c++;
  return c;
}

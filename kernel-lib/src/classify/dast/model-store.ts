/**
 * A trained DAST model on disk: `dast.json` (feature settings, network architecture, feature
 * standardisation, training record) + `model.json`/`weights.bin` (tfjs-format weights of the IR network).
 * The shipped model lives in the repository's `models/dast/`, found relative to this package as
 * `schema/validate.ts` finds `schema/`.
 */
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { PannError } from '../../core/errors';
import type { WeightMap } from '../../nn/ir';
import { loadTfjsWeights, saveTfjsWeights } from '../../nn/weights-io';
import type { DastFeatureConfig } from './features';
import { buildDastNetwork, type DastNetConfig } from './network';

/** Everything besides the weights that inference needs. */
export interface DastModelConfig {
  format: 'pann-dast';
  version: 1;
  /** 'dast' (graph Transformer) or 'mlp' (intensity-only ablation). */
  kind: 'dast' | 'mlp';
  features: DastFeatureConfig;
  /** Columns of the full feature table the network reads, in order (≥ 1000: log of column c − 1000). */
  inputColumns: number[];
  /** Standardisation of those columns: (x − mean) / std. */
  featureMean: number[];
  featureStd: number[];
  net: DastNetConfig;
  /** Z-contrast exponent α of the brightness score α·ln Z. */
  brightnessExponent: number;
  /** Training record (data, steps, loss, command). */
  training?: Record<string, unknown>;
}

/** A loaded model. */
export interface DastModel {
  config: DastModelConfig;
  weights: WeightMap;
  dir: string;
}

/** Candidate locations of the shipped `models/dast` (source tree and built package). */
export function defaultModelDir(kind: 'dast' | 'mlp' = 'dast'): string {
  const sub = kind === 'dast' ? 'dast' : path.join('dast', 'mlp');
  const candidates = [path.resolve(__dirname, '../../../../models', sub), path.resolve(__dirname, '../../../models', sub)];
  return candidates.find((c) => fs.existsSync(path.join(c, 'dast.json'))) ?? candidates[0];
}

/** Writes config and weights into `dir` (created if needed). */
export async function saveDastModel(dir: string, config: DastModelConfig, weights: WeightMap): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await saveTfjsWeights(dir, buildDastNetwork(config.net, 2), weights);
  await fsp.writeFile(path.join(dir, 'dast.json'), JSON.stringify(config, null, 1));
}

const cache = new Map<string, DastModel>();

/** Reads a model from `dir` (default: the shipped one); cached per directory. */
export async function loadDastModel(dir?: string): Promise<DastModel> {
  const d = path.resolve(dir ?? defaultModelDir());
  const hit = cache.get(d);
  if (hit) return hit;
  const file = path.join(d, 'dast.json');
  if (!fs.existsSync(file)) throw new PannError('STATE', `no trained DAST model in ${d} (dast.json missing); train one with 'pann train dast'`, { file });
  let config: DastModelConfig;
  try {
    config = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new PannError('FORMAT', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
  if (config.format !== 'pann-dast') throw new PannError('FORMAT', `${file} is not a DAST model (format '${config.format}')`, { file, field: 'format' });
  const { weights } = await loadTfjsWeights(path.join(d, 'model.json'), buildDastNetwork(config.net, 2));
  const model = { config, weights, dir: d };
  cache.set(d, model);
  return model;
}

/** Forgets cached models (after retraining in the same process). */
export function clearDastModelCache(): void {
  cache.clear();
}

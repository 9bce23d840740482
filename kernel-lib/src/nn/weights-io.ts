/**
 * Weights in the tfjs format: a `model.json` whose `weightsManifest` lists each weight's name,
 * shape and dtype, plus one binary file of little-endian float32 values in manifest order
 * (readable by `tf.io.loadWeights`). The IR network description is stored beside it in
 * `model.json` under `pannNetwork`, so a saved model is self-describing.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { PannError } from '../core/errors';
import { checkWeights, type Network, type WeightMap } from './ir';

export interface TfjsModelJson {
  format: string;
  generatedBy: string;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  pannNetwork?: Network;
}

/** Encodes weights as a tfjs manifest plus one binary buffer. */
export function encodeTfjsWeights(net: Network, weights: WeightMap, binName = 'weights.bin'): { modelJson: TfjsModelJson; bin: Uint8Array } {
  checkWeights(net, weights);
  const total = net.weights.reduce((s, w) => s + weights[w.name].length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const w of net.weights) {
    all.set(weights[w.name], off);
    off += weights[w.name].length;
  }
  const bin = new Uint8Array(all.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new PannError('STATE', 'big-endian hosts are not supported for tfjs weights');
  return {
    modelJson: {
      format: 'pann-ir',
      generatedBy: 'pann-aet',
      weightsManifest: [{ paths: [binName], weights: net.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
      pannNetwork: net,
    },
    bin,
  };
}

/** Decodes a tfjs manifest and its binary files (in `paths` order across groups) into a weight map. */
export function decodeTfjsWeights(modelJson: TfjsModelJson, bins: Uint8Array[], file = 'model.json'): WeightMap {
  if (!modelJson || !Array.isArray(modelJson.weightsManifest)) throw new PannError('FORMAT', 'no weightsManifest', { file });
  const out: WeightMap = {};
  let bi = 0;
  for (const group of modelJson.weightsManifest) {
    const parts = group.paths.map(() => bins[bi++]);
    if (parts.some((p) => !p)) throw new PannError('FORMAT', 'fewer weight files than the manifest lists', { file });
    const len = parts.reduce((s, p) => s + p.byteLength, 0);
    const buf = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.byteLength;
    }
    let off = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new PannError('FORMAT', `weight ${w.name}: dtype ${w.dtype} is not supported (float32 only)`, { file, field: w.name });
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (off + 4 * n > len) throw new PannError('FORMAT', `weight ${w.name}: the weight files are truncated`, { file, field: w.name });
      out[w.name] = new Float32Array(buf.slice(off, off + 4 * n).buffer);
      off += 4 * n;
    }
  }
  return out;
}

/**
 * Writes `model.json` + `weights.bin` into `dir` (created if needed).
 * @returns the path of model.json
 */
export async function saveTfjsWeights(dir: string, net: Network, weights: WeightMap): Promise<string> {
  const { modelJson, bin } = encodeTfjsWeights(net, weights);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'weights.bin'), bin);
  const p = path.join(dir, 'model.json');
  await fsp.writeFile(p, JSON.stringify(modelJson, null, 1));
  return p;
}

/**
 * Reads a tfjs-format model.json and its weight files. Checks them against `net` when given,
 * else against the stored `pannNetwork`.
 * @param modelJsonPath path of model.json (weight file paths are relative to its folder)
 */
export async function loadTfjsWeights(modelJsonPath: string, net?: Network): Promise<{ net: Network | undefined; weights: WeightMap }> {
  let json: TfjsModelJson;
  try {
    json = JSON.parse(await fsp.readFile(modelJsonPath, 'utf8')) as TfjsModelJson;
  } catch (e) {
    throw new PannError('FORMAT', `cannot read model.json: ${(e as Error).message}`, { file: modelJsonPath });
  }
  const dir = path.dirname(modelJsonPath);
  const bins: Uint8Array[] = [];
  for (const g of json.weightsManifest ?? []) for (const p of g.paths) bins.push(new Uint8Array(await fsp.readFile(path.join(dir, p))));
  const weights = decodeTfjsWeights(json, bins, modelJsonPath);
  const n = net ?? json.pannNetwork;
  if (n) checkWeights(n, weights);
  return { net: n, weights };
}

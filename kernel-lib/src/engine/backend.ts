/**
 * Chooses the tfjs backend: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (both
 * optional and usually absent: their install step downloads libtensorflow), then `wasm`, then
 * `cpu`. Each candidate is tried without crashing when it is absent; `backendInfo()` says which
 * one runs and why the others were not used. ONNX Runtime's provider choice is reported beside it.
 *
 * GPU notes: tfjs-node-gpu 4.x needs CUDA 11.2 + cuDNN 8.1 and silently computes on the CPU with
 * other CUDA versions; the ORT CUDA execution provider (CUDA 12 + cuDNN 9, see `engine/ort.ts`) is
 * the practical alternative for inference and for the ORT training graph.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PannError } from '../core/errors';
import { chooseOrtProviders, type OrtProviderInfo } from './ort';

export type BackendCandidate = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
export const BACKEND_CHAIN: BackendCandidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/** What `initBackend` decided. */
export interface BackendInfo {
  /** The candidate in use. */
  chosen: BackendCandidate;
  /** tfjs's name for the active backend ('tensorflow', 'wasm', 'cpu'). */
  tfjsBackend: string;
  /** Whether the active tfjs backend is the GPU build (tfjs-node-gpu). */
  gpu: boolean;
  /** Every candidate tried, in order, with the reason it was used or skipped. */
  tried: { candidate: BackendCandidate; ok: boolean; reason: string }[];
  /** ONNX Runtime's execution providers (CUDA when available) and why. */
  ort: OrtProviderInfo;
}

/** Injection points so the chain can be tested without a GPU or the optional packages. */
export interface BackendDeps {
  /** Loads a package by name (default: `require`). */
  requireModule?: (name: string) => unknown;
  /** Resolves a package file path (default: `require.resolve`). */
  resolveModule?: (name: string) => string;
}

let current: BackendInfo | null = null;

const PACKAGE: Record<BackendCandidate, string> = {
  'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu',
  'tfjs-node': '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};
const TFJS_NAME: Record<BackendCandidate, string> = { 'tfjs-node-gpu': 'tensorflow', 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

async function tryCandidate(c: BackendCandidate, deps: Required<BackendDeps>): Promise<string | null> {
  let mod: unknown;
  try {
    mod = deps.requireModule(PACKAGE[c]);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return /Cannot find module/.test(msg) ? `${PACKAGE[c]} is not installed` : `${PACKAGE[c]} failed to load: ${msg}`;
  }
  if (c === 'wasm') {
    // in Node the .wasm binaries must be located explicitly: the package's dist folder
    const setWasmPaths = (mod as { setWasmPaths?: (p: string) => void }).setWasmPaths;
    try {
      const dir = path.dirname(deps.resolveModule('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      if (setWasmPaths) setWasmPaths(dir + path.sep);
    } catch (e) {
      return `wasm binaries not found: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const name = TFJS_NAME[c];
  if (!tf.findBackendFactory(name)) return `${PACKAGE[c]} loaded but registered no '${name}' backend with this copy of tfjs-core`;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') failed to initialise`;
    await tf.ready();
  } catch (e) {
    return `tf.setBackend('${name}') threw: ${(e as Error).message.split('\n')[0]}`;
  }
  return null;
}

/**
 * Initialises tfjs with the first working backend, starting at `preference` (default: the whole
 * chain tfjs-node-gpu → tfjs-node → wasm → cpu). Never throws for a missing optional package.
 * @param preference first candidate to try; later candidates are the fallbacks
 * @param deps module loader / resolver (tests inject fakes)
 */
export async function initBackend(preference: BackendCandidate | 'auto' = 'auto', deps: BackendDeps = {}): Promise<BackendInfo> {
  const d: Required<BackendDeps> = { requireModule: deps.requireModule ?? require, resolveModule: deps.resolveModule ?? require.resolve };
  const start = preference === 'auto' ? 0 : BACKEND_CHAIN.indexOf(preference);
  if (start < 0) throw new PannError('OPTION', `unknown backend '${preference}' (use ${BACKEND_CHAIN.join(', ')} or auto)`, { field: 'preference' });
  const tried: BackendInfo['tried'] = [];
  for (const c of BACKEND_CHAIN.slice(start)) {
    const why = await tryCandidate(c, d);
    if (why === null) {
      tried.push({ candidate: c, ok: true, reason: preference === c ? 'requested and working' : 'first working candidate' });
      current = { chosen: c, tfjsBackend: tf.getBackend(), gpu: c === 'tfjs-node-gpu', tried, ort: chooseOrtProviders('auto') };
      return current;
    }
    tried.push({ candidate: c, ok: false, reason: why });
  }
  throw new PannError('STATE', `no tfjs backend works: ${tried.map((t) => `${t.candidate}: ${t.reason}`).join('; ')}`);
}

/** The decision of the last `initBackend` call (null before the first). */
export function backendInfo(): BackendInfo | null {
  return current;
}

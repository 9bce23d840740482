/**
 * ONNX Runtime (onnxruntime-node) sessions: loading the package without crashing when it is
 * absent, choosing the execution provider (CUDA when its binaries load, else CPU), and the
 * session options this project uses (2 intra-op threads by default, full graph optimisation).
 *
 * CUDA: onnxruntime-node 1.30's CUDA EP needs CUDA 12.x + cuDNN 9.x and its provider binaries,
 * which npm does not ship: install with `npm install onnxruntime-node --onnxruntime-node-install=cuda12`
 * (or `ONNXRUNTIME_NODE_INSTALL=cuda12`). Never required: CPU is the fallback.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as OrtTypes from 'onnxruntime-node';

export type Ort = typeof OrtTypes;

/** What decided the ORT execution provider. */
export interface OrtProviderInfo {
  /** Providers in the order given to ORT, e.g. `['cuda', 'cpu']` or `['cpu']`. */
  providers: string[];
  /** One line per provider tried: why it is used or not. */
  tried: string[];
}

/** Hooks for tests: a fake module loader and file check make every branch testable without a GPU. */
export interface OrtDeps {
  requireModule?: (name: string) => unknown;
  fileExists?: (p: string) => boolean;
}

let cachedOrt: Ort | null | undefined;

/** The onnxruntime-node module, or null when it cannot be loaded (the reason is in `ortLoadError()`). */
export function loadOrt(deps: OrtDeps = {}): Ort | null {
  if (!deps.requireModule && cachedOrt !== undefined) return cachedOrt;
  let mod: Ort | null = null;
  try {
    mod = (deps.requireModule ?? require)('onnxruntime-node') as Ort;
    lastLoadError = '';
  } catch (e) {
    lastLoadError = (e as Error).message.split('\n')[0];
  }
  if (!deps.requireModule) cachedOrt = mod;
  return mod;
}
let lastLoadError = '';
/** Why the last `loadOrt` failed ('' when it did not). */
export function ortLoadError(): string {
  return lastLoadError;
}

/** Folder of the onnxruntime-node native binding for this platform (where CUDA provider libraries must sit). */
export function ortBinaryDir(requireResolve: (s: string) => string = require.resolve): string | null {
  try {
    const pkg = path.dirname(requireResolve('onnxruntime-node/package.json'));
    return path.join(pkg, 'bin', 'napi-v6', os.platform(), os.arch());
  } catch {
    return null;
  }
}

/**
 * Chooses ORT execution providers. `preference` 'cpu' forces CPU; 'cuda' or 'auto' use CUDA when
 * onnxruntime-node lists it and its provider library is present, else CPU (saying why).
 */
export function chooseOrtProviders(preference: 'auto' | 'cpu' | 'cuda' = 'auto', deps: OrtDeps = {}): OrtProviderInfo {
  const tried: string[] = [];
  if (preference === 'cpu') return { providers: ['cpu'], tried: ['cpu: requested'] };
  const ort = loadOrt(deps);
  if (!ort) return { providers: [], tried: [`onnxruntime-node: not loadable (${ortLoadError()})`] };
  const listed = typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends().map((b) => b.name) : [];
  const exists = deps.fileExists ?? fs.existsSync;
  const dir = ortBinaryDir();
  const cudaLib = dir ? path.join(dir, 'libonnxruntime_providers_cuda.so') : '';
  if (!listed.includes('cuda')) tried.push('cuda: this onnxruntime-node build has no CUDA execution provider');
  else if (os.platform() !== 'linux' && !deps.fileExists) tried.push('cuda: only the Linux x64 package supports CUDA');
  else if (!exists(cudaLib)) {
    tried.push(`cuda: provider library absent (${cudaLib || 'no binding folder'}); install with ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node (needs CUDA 12 + cuDNN 9)`);
  } else {
    tried.push('cuda: provider library present; used first, ORT falls back to CPU per node');
    return { providers: ['cuda', 'cpu'], tried: [...tried, 'cpu: fallback'] };
  }
  tried.push('cpu: used');
  return { providers: ['cpu'], tried };
}

/** Session options used everywhere: `threads` intra-op threads (default 2 = this machine's cores). */
export function ortSessionOptions(providers: string[], threads = 2): OrtTypes.InferenceSession.SessionOptions {
  return {
    executionProviders: providers.length ? providers : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
}

/**
 * Creates a session from ONNX bytes; if the CUDA provider fails at session creation (driver or
 * library missing at run time), retries on CPU and records why in `info.tried`.
 */
export async function createOrtSession(
  modelBytes: Uint8Array,
  info: OrtProviderInfo,
  threads = 2,
  deps: OrtDeps = {},
): Promise<OrtTypes.InferenceSession> {
  const ort = loadOrt(deps);
  if (!ort) throw new Error(`onnxruntime-node is not available: ${ortLoadError()}`);
  const buf = Buffer.from(modelBytes.buffer, modelBytes.byteOffset, modelBytes.byteLength);
  try {
    return await ort.InferenceSession.create(buf, ortSessionOptions(info.providers, threads));
  } catch (e) {
    if (!info.providers.includes('cuda')) throw e;
    info.tried.push(`cuda: session creation failed (${(e as Error).message.split('\n')[0]}); using cpu`);
    info.providers = ['cpu'];
    return ort.InferenceSession.create(buf, ortSessionOptions(['cpu'], threads));
  }
}

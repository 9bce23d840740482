/**
 * The notebook Session: a holder of named stage results, so intermediate volumes and models stay in memory
 * between cells. It adds no science of its own: each stage method calls the pure stage function with inputs
 * taken from earlier results (by name) and stores the output under a name. TensorFlow.js tensors kept in the
 * session are disposed when replaced or when the session is disposed.
 */
import type { AtomicModel, TiltSeries, Volume } from '../core/types';
import { PannError } from '../core/errors';

/** A tensor-like value (tf.Tensor) that must be disposed. */
interface Disposable {
  dispose(): void;
}

function isDisposable(v: unknown): v is Disposable {
  return typeof v === 'object' && v !== null && typeof (v as Disposable).dispose === 'function';
}

function isVolume(v: unknown): v is Volume {
  return typeof v === 'object' && v !== null && (v as Volume).data instanceof Float32Array && Array.isArray((v as Volume).shape) && typeof (v as Volume).voxelSizeA === 'number';
}

function isAtomicModel(v: unknown): v is AtomicModel {
  return typeof v === 'object' && v !== null && (v as AtomicModel).positionsA instanceof Float64Array && Array.isArray((v as AtomicModel).species);
}

function isTiltSeries(v: unknown): v is TiltSeries {
  return typeof v === 'object' && v !== null && (v as TiltSeries).data instanceof Float32Array && Array.isArray((v as TiltSeries).anglesDeg);
}

/** Bytes held by typed arrays inside a value (one level of nesting is enough for stage results). */
function typedBytes(v: unknown, depth = 0): number {
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (depth > 3 || typeof v !== 'object' || v === null) return 0;
  let total = 0;
  for (const x of Object.values(v as Record<string, unknown>)) total += typedBytes(x, depth + 1);
  return total;
}

export interface SessionMemory {
  /** Named results and the bytes of typed arrays each holds. */
  results: { name: string; kind: string; bytes: number }[];
  /** Sum of the above. */
  totalBytes: number;
  /** tf.memory() of the active TensorFlow.js engine, when it is loaded. */
  tf?: { numTensors: number; numBytes: number };
}

export class Session {
  private readonly results = new Map<string, unknown>();
  private disposed = false;

  /** Stores `value` under `name`, disposing tensors of the value it replaces. Returns the value. */
  set<T>(name: string, value: T): T {
    this.assertAlive();
    const old = this.results.get(name);
    if (old !== undefined && old !== value) disposeDeep(old);
    this.results.set(name, value);
    return value;
  }

  /** The result stored under `name`; a clear error lists the stored names when it is missing. */
  get<T = unknown>(name: string): T {
    this.assertAlive();
    if (!this.results.has(name)) {
      throw new PannError('STATE', `no result named '${name}' in this session (have: ${this.names().join(', ') || 'none'})`, { field: name });
    }
    return this.results.get(name) as T;
  }

  has(name: string): boolean {
    return this.results.has(name);
  }

  names(): string[] {
    return [...this.results.keys()];
  }

  /** A stored volume (default: the refined one if present, else the reconstruction). */
  volume(name?: string): Volume {
    const key = name ?? (this.has('refined') ? 'refined' : 'reconstruction');
    const v = this.get(key);
    if (!isVolume(v)) throw new PannError('STATE', `session result '${key}' is not a volume`, { field: key });
    return v;
  }

  /** A stored atomic model (default: 'classified', else 'atoms', else 'candidates'). */
  atoms(name?: string): AtomicModel {
    const key = name ?? ['classified', 'atoms', 'candidates'].find((k) => this.has(k)) ?? 'atoms';
    const v = this.get<unknown>(key);
    const model = isAtomicModel(v) ? v : isAtomicModel((v as { candidates?: unknown })?.candidates) ? (v as { candidates: AtomicModel }).candidates : undefined;
    if (!model) throw new PannError('STATE', `session result '${key}' is not an atomic model`, { field: key });
    return model;
  }

  /** A stored tilt series (default 'tilts'). */
  tilts(name = 'tilts'): TiltSeries {
    const v = this.get(name);
    if (!isTiltSeries(v)) throw new PannError('STATE', `session result '${name}' is not a tilt series`, { field: name });
    return v;
  }

  /** Removes one result, disposing its tensors. */
  delete(name: string): void {
    const v = this.results.get(name);
    if (v !== undefined) disposeDeep(v);
    this.results.delete(name);
  }

  /** What the session holds, in bytes, plus the TensorFlow.js engine's tensor count. */
  memory(): SessionMemory {
    const results = this.names().map((name) => {
      const v = this.results.get(name);
      const kind = isVolume(v) ? 'volume' : isTiltSeries(v) ? 'tilt-series' : isAtomicModel(v) ? 'atomic-model' : typeof v;
      return { name, kind, bytes: typedBytes(v) };
    });
    const mem: SessionMemory = { results, totalBytes: results.reduce((s, r) => s + r.bytes, 0) };
    const tf = loadedTf();
    if (tf) {
      const m = tf.memory();
      mem.tf = { numTensors: m.numTensors, numBytes: m.numBytes };
    }
    return mem;
  }

  /** Frees everything; the session cannot be used afterwards. */
  dispose(): void {
    for (const v of this.results.values()) disposeDeep(v);
    this.results.clear();
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new PannError('STATE', 'this session was disposed; create a new one');
  }
}

function disposeDeep(v: unknown, depth = 0): void {
  if (isDisposable(v)) {
    v.dispose();
    return;
  }
  if (depth > 3 || typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
  for (const x of Object.values(v as Record<string, unknown>)) disposeDeep(x, depth + 1);
}

/** The tfjs engine if it is already loaded (the session never loads it just to report memory). */
function loadedTf(): { memory(): { numTensors: number; numBytes: number } } | undefined {
  const id = Object.keys(require.cache).find((k) => k.includes(`${'@tensorflow'}/tfjs-core`) && k.endsWith('index.js'));
  if (!id) return undefined;
  try {
    return require('@tensorflow/tfjs-core');
  } catch {
    return undefined;
  }
}

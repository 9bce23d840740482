/**
 * Runs the projector kernels on worker threads plus the calling thread. The forward pass is split
 * by angle (disjoint projections), the adjoint by z slab (disjoint voxels), so no reduction is needed
 * and the result is bit-identical to the single-thread path. Data travel through SharedArrayBuffers.
 *
 * Workers are started from source text (`Function.prototype.toString` of the kernels), so they run
 * the same code as the main thread with no separate build step. Always call `dispose()` (terminates
 * the workers); a pool that is not disposed keeps the process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PannError } from '../core/errors';
import { adjointKernel, forwardKernel } from './projector-kernels';
import type { Projector } from './projector';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const forwardKernel = ${forwardKernel.toString()};
const adjointKernel = ${adjointKernel.toString()};
let pad = new Float64Array(0), acc = new Float64Array(0);
parentPort.on('message', (m) => {
  try {
    if (m.op === 'forward') {
      const need = (m.dny + 2) * (m.dnx + 2);
      if (pad.length !== need) pad = new Float64Array(need);
      forwardKernel(m.vol, m.nz, m.ny, m.nx, m.rot, m.dny, m.dnx, m.start, m.end, m.out, pad);
    } else {
      if (acc.length !== m.nx) acc = new Float64Array(m.nx);
      adjointKernel(m.padded, m.nAngles, m.rot, m.dny, m.dnx, m.vol, m.nz, m.ny, m.nx, m.start, m.end, acc);
    }
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
  }
});
`;

/**
 * False when the kernels' source text cannot run on its own in a worker — e.g. under coverage
 * instrumentation, which inserts references to counters of the enclosing module. Callers then stay
 * on the single-thread path.
 */
export function workersAvailable(): boolean {
  return !/\bcov_\w+|__coverage__/.test(forwardKernel.toString() + adjointKernel.toString());
}

function isShared(a: Float32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** Float32Array on a SharedArrayBuffer. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * length));
}

/** Splits [0, n) into `parts` nearly equal ranges. */
function ranges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) out.push([Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts)]);
  return out;
}

/** A pool of worker threads for the projector. */
export class ParallelProjector {
  private readonly workers: Worker[];
  private disposed = false;
  private volScratch: Float32Array | null = null;
  private projScratch: Float32Array | null = null;
  private paddedScratch: Float32Array | null = null;
  private readonly pad: Float64Array[] = [];
  private acc = new Float64Array(0);

  /** @param nWorkers worker threads in addition to the calling thread (default: cores − 1, at least 1). */
  constructor(nWorkers = Math.max(1, availableParallelism() - 1)) {
    if (!Number.isInteger(nWorkers) || nWorkers < 1) throw new PannError('OPTION', `nWorkers must be an integer ≥ 1, got ${nWorkers}`, { field: 'nWorkers' });
    this.workers = Array.from({ length: nWorkers }, () => new Worker(WORKER_SOURCE, { eval: true }));
  }

  /** Terminates the workers; the pool cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private run(worker: Worker, msg: object): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: { ok: boolean; error?: string }) => {
        worker.off('error', onError);
        if (r.ok) resolve();
        else reject(new Error(`projector worker failed: ${r.error}`));
      };
      const onError = (e: Error) => {
        worker.off('message', onMessage);
        reject(e);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(msg);
    });
  }

  private check(): void {
    if (this.disposed) throw new PannError('STATE', 'the parallel projector has been disposed');
  }

  /** A x for `projector`'s geometry; `vol`/`out` may be plain or shared arrays. */
  async forward(projector: Projector, rot: Float64Array, vol: Float32Array, out: Float32Array): Promise<Float32Array> {
    this.check();
    const [nz, ny, nx] = projector.volumeShape;
    const [dny, dnx] = projector.detectorShape;
    if (vol.length !== projector.volumeLength) throw new PannError('SHAPE', `volume has ${vol.length} values, expected ${projector.volumeLength}`, { field: 'volume' });
    let sVol = vol;
    if (!isShared(vol)) {
      if (this.volScratch?.length !== vol.length) this.volScratch = sharedFloat32(vol.length);
      sVol = this.volScratch;
      sVol.set(vol);
    }
    let sOut = out;
    if (!isShared(out)) {
      if (this.projScratch?.length !== out.length) this.projScratch = sharedFloat32(out.length);
      sOut = this.projScratch;
    }
    const parts = ranges(projector.nAngles, this.workers.length + 1);
    const jobs = this.workers.map((w, p) =>
      this.run(w, { op: 'forward', vol: sVol, nz, ny, nx, rot, dny, dnx, start: parts[p + 1][0], end: parts[p + 1][1], out: sOut }),
    );
    const need = (dny + 2) * (dnx + 2);
    if (this.pad[0]?.length !== need) this.pad[0] = new Float64Array(need);
    forwardKernel(sVol, nz, ny, nx, rot, dny, dnx, parts[0][0], parts[0][1], sOut, this.pad[0]);
    await Promise.all(jobs);
    if (sOut !== out) out.set(sOut);
    return out;
  }

  /** Aᵀ y for `projector`'s geometry; `out` may be a plain or shared array. */
  async adjoint(projector: Projector, rot: Float64Array, proj: Float32Array, out: Float32Array): Promise<Float32Array> {
    this.check();
    const [nz, ny, nx] = projector.volumeShape;
    const [dny, dnx] = projector.detectorShape;
    const paddedLength = projector.nAngles * (dny + 2) * (dnx + 2);
    if (this.paddedScratch?.length !== paddedLength) this.paddedScratch = sharedFloat32(paddedLength);
    const padded = projector.padProjections(proj, this.paddedScratch);
    let sOut = out;
    if (!isShared(out)) {
      if (this.volScratch?.length !== out.length) this.volScratch = sharedFloat32(out.length);
      sOut = this.volScratch;
    }
    const parts = ranges(nz, this.workers.length + 1);
    const jobs = this.workers.map((w, p) =>
      this.run(w, { op: 'adjoint', padded, nAngles: projector.nAngles, rot, dny, dnx, vol: sOut, nz, ny, nx, start: parts[p + 1][0], end: parts[p + 1][1] }),
    );
    if (this.acc.length !== nx) this.acc = new Float64Array(nx);
    adjointKernel(padded, projector.nAngles, rot, dny, dnx, sOut, nz, ny, nx, parts[0][0], parts[0][1], this.acc);
    await Promise.all(jobs);
    if (sOut !== out) out.set(sOut);
    return out;
  }
}

import type { Shape3, TiltSeries, Volume } from '../../kernel-lib/src/core/types';
import { forwardProject } from '../../kernel-lib/src/recon/projector';
import { reconstruct, reconstructDetailed } from '../../kernel-lib/src/recon/reconstruct';
import { randomModel, renderBlobs, tiltAngles } from './helpers';

// A noiseless phantom: 21 Gaussian atoms (σ 0.45 Å) in a 40³ box of 0.4 Å voxels, projected by the
// same projector (so the only errors are the method's), 60 projections.
const n = 40;
const vox = 0.4;
const shape: Shape3 = [n, n, n];
const model = randomModel(5, 21, n * vox * 0.3, 2.2, shape, vox);
const truth = renderBlobs(model, shape, vox, 0.45, 1);

function series(loDeg: number, hiDeg: number): TiltSeries {
  const anglesDeg = tiltAngles(loDeg, hiDeg, (hiDeg - loDeg) / 60);
  return { data: forwardProject(truth, anglesDeg, [n, n]), shape: [anglesDeg.length, n, n], pixelSizeA: vox, anglesDeg };
}
const full = series(-90, 90);
const wedge = series(-60, 60);

function relErr(v: Volume): number {
  let a = 0,
    b = 0;
  for (let i = 0; i < v.data.length; i++) {
    a += (v.data[i] - truth.data[i]) ** 2;
    b += truth.data[i] ** 2;
  }
  return Math.sqrt(a / b);
}

/** Mean over atoms of the spread along z divided by the spread along x (positive part, 7³ window). */
function elongation(v: Volume): number {
  let sum = 0;
  for (let a = 0; a < model.species.length; a++) {
    const [ci, cj, ck] = [0, 1, 2].map((d) => Math.round(model.positionsA[3 * a + d] / vox));
    let sx = 0,
      sz = 0;
    for (let k = -3; k <= 3; k++)
      for (let j = -3; j <= 3; j++)
        for (let i = -3; i <= 3; i++) {
          const w = Math.max(0, v.data[((ck + k) * n + cj + j) * n + ci + i]);
          sx += w * i * i;
          sz += w * k * k;
        }
    sum += Math.sqrt(sz / sx);
  }
  return sum / model.species.length;
}

describe('reconstruct: noiseless phantom', () => {
  let resireFull: Awaited<ReturnType<typeof reconstructDetailed>>;
  const progress: { stage: string; done: number; total: number }[] = [];
  beforeAll(async () => {
    resireFull = await reconstructDetailed(full, { onProgress: (e) => progress.push(e) });
  });

  it('RESIRE (default) recovers the full-range phantom (relative L2 error measured 0.031)', () => {
    expect(resireFull.method).toBe('resire');
    expect(resireFull.volume.shape).toEqual(shape);
    expect(resireFull.volume.voxelSizeA).toBe(vox);
    expect(relErr(resireFull.volume)).toBeLessThan(0.05);
    let min = Infinity;
    for (const v of resireFull.volume.data) min = Math.min(min, v);
    expect(min).toBeGreaterThanOrEqual(0); // positivity by default
  });

  it('reports a per-iteration projection error that falls, and progress per iteration', () => {
    const h = resireFull.errorHistory;
    expect(h).toHaveLength(resireFull.iterations);
    expect(h[h.length - 1]).toBeLessThan(0.02);
    expect(h[h.length - 1]).toBeLessThan(h[0] / 5);
    expect(progress.every((e) => e.stage === 'reconstruct' && e.total === resireFull.iterations)).toBe(true);
    expect(progress[progress.length - 1].done).toBe(resireFull.iterations);
  });

  it('SIRT and WBP reconstruct it too, WBP worst (measured 0.041 and 0.160)', async () => {
    const sirt = await reconstructDetailed(full, { method: 'sirt' });
    expect(relErr(sirt.volume)).toBeLessThan(0.06);
    const wbp = await reconstructDetailed(full, { method: 'wbp' });
    expect(wbp.errorHistory).toHaveLength(1);
    expect(relErr(wbp.volume)).toBeLessThan(0.22);
    expect(relErr(wbp.volume)).toBeGreaterThan(2 * relErr(resireFull.volume));
    // plain RESIRE from zero without momentum converges much more slowly (the defaults matter)
    const plain = await reconstructDetailed(full, { initial: 'zero', momentum: false, iterations: 10 });
    expect(relErr(plain.volume)).toBeGreaterThan(3 * relErr(resireFull.volume));
  });

  it('a ±60° missing wedge degrades the result and elongates atoms along z (beam)', async () => {
    const w = await reconstruct(wedge);
    expect(relErr(w)).toBeGreaterThan(4 * relErr(resireFull.volume));
    expect(elongation(w)).toBeGreaterThan(1.15 * elongation(resireFull.volume));
  });

  it('respects a support mask and the positivity switch', async () => {
    const inside = new Uint8Array(n * n * n);
    for (let i = 0; i < inside.length; i++) if (truth.data[i] > 1e-4) inside[i] = 1;
    const masked = await reconstruct(full, { support: inside, iterations: 5 });
    for (let i = 0; i < inside.length; i++) if (!inside[i]) expect(masked.data[i]).toBe(0);
    const maskVol = await reconstruct(full, { support: { data: Float32Array.from(inside), shape, voxelSizeA: vox }, iterations: 5 });
    expect(maskVol.data).toEqual(masked.data);
    const raw = await reconstruct(full, { method: 'wbp' });
    expect(raw.data.some((v) => v < 0)).toBe(true); // WBP is linear: no positivity unless asked
    const clamped = await reconstruct(full, { method: 'wbp', positivity: true });
    expect(clamped.data.every((v) => v >= 0)).toBe(true);
  });

  it('is deterministic, and worker threads give the same volume as one thread', async () => {
    const a = await reconstructDetailed(full, { iterations: 4, threads: 0 });
    const b = await reconstructDetailed(full, { iterations: 4, threads: 1 });
    const c = await reconstructDetailed(full, { iterations: 4, threads: 0 });
    expect(b.volume.data).toEqual(a.volume.data);
    expect(c.volume.data).toEqual(a.volume.data);
    expect(b.errorHistory).toEqual(a.errorHistory);
  });

  it('keeps the event loop responsive between iterations', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await reconstruct(full, { iterations: 6, threads: 0 });
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('honours volumeShape (a non-cubic output)', async () => {
    const v = await reconstruct(full, { volumeShape: [24, n, n], iterations: 3 });
    expect(v.shape).toEqual([24, n, n]);
    expect(v.data.length).toBe(24 * n * n);
  });
});

describe('reconstruct: bad input', () => {
  const base = series(-90, 90);
  it('names both counts when angles and projections disagree', async () => {
    await expect(reconstruct({ ...base, anglesDeg: base.anglesDeg.slice(0, 59) })).rejects.toThrow(/59 angle triples but 60 projections/);
    await expect(reconstruct({ ...base, anglesDeg: base.anglesDeg.slice(0, 59) })).rejects.toMatchObject({ code: 'SHAPE' });
  });
  it('rejects NaN projections, bad pixel sizes and data of the wrong length', async () => {
    const bad = Float32Array.from(base.data);
    bad[1234] = NaN;
    await expect(reconstruct({ ...base, data: bad })).rejects.toMatchObject({ code: 'VALUE', field: 'tilts.data' });
    await expect(reconstruct({ ...base, pixelSizeA: 0 })).rejects.toMatchObject({ code: 'VALUE', field: 'tilts.pixelSizeA' });
    await expect(reconstruct({ ...base, pixelSizeA: -0.4 })).rejects.toMatchObject({ code: 'VALUE' });
    await expect(reconstruct({ ...base, data: base.data.subarray(1) })).rejects.toMatchObject({ code: 'SHAPE' });
  });
  it('rejects bad options', async () => {
    await expect(reconstruct(base, { iterations: 0 })).rejects.toMatchObject({ code: 'OPTION', field: 'iterations' });
    await expect(reconstruct(base, { stepSize: -1 })).rejects.toMatchObject({ code: 'OPTION', field: 'stepSize' });
    await expect(reconstruct(base, { method: 'art' as never })).rejects.toMatchObject({ code: 'OPTION', field: 'method' });
    await expect(reconstruct(base, { support: new Uint8Array(10) })).rejects.toMatchObject({ code: 'SHAPE', field: 'support' });
    await expect(reconstruct(base, { method: 'wbp', filter: 'cosine' as never })).rejects.toMatchObject({ code: 'OPTION', field: 'filter' });
    await expect(reconstruct(base, { threads: -1 })).rejects.toMatchObject({ code: 'OPTION', field: 'threads' });
  });
});

/**
 * Tiled inference with a discarded halo: each tile of edge E is run whole, but only its core (the
 * tile minus `haloVoxels` on every side that is not a volume face) is kept, so every kept voxel saw
 * at least `haloVoxels` of real context, as in one pass over the whole volume. Neighbouring cores
 * overlap by `blendVoxels` and are averaged with linear ramps (no seams). Tiles never leave the
 * volume (they are clamped to it), so volume faces are treated as in one pass. Peak memory: the
 * output and weight volumes (8 bytes per voxel) plus one tile's activations.
 */
import { PannError } from '../core/errors';
import type { ProgressCallback, Shape3 } from '../core/types';

export type TileRun = (tile: Float32Array) => Promise<Float32Array>;

interface AxisTile {
  start: number;
  keep0: number;
  keep1: number;
}

function axisTiles(n: number, e: number, halo: number, blend: number): AxisTile[] {
  if (n <= e) return [{ start: 0, keep0: 0, keep1: n }];
  const step = e - 2 * halo - blend;
  if (step < 1) throw new PannError('OPTION', `tile edge ${e} is too small for a halo of ${halo} and blend ${blend}`, { field: 'tileEdge' });
  const starts: number[] = [];
  for (let s = 0; s + e < n; s += step) starts.push(s);
  starts.push(n - e);
  return starts.map((s) => ({ start: s, keep0: s === 0 ? 0 : s + halo, keep1: s + e >= n ? n : s + e - halo }));
}

function axisWeights(t: AxisTile, all: AxisTile[], idx: number, blend: number): (p: number) => number {
  // ramp down over the overlap with the next core, ramp up over the overlap with the previous one
  const prev = idx > 0 ? all[idx - 1].keep1 : -Infinity;
  const next = idx < all.length - 1 ? all[idx + 1].keep0 : Infinity;
  return (p) => {
    let w = 1;
    if (p < prev) w = Math.min(w, (p - t.keep0 + 1) / (prev - t.keep0 + 1));
    if (p >= next) w = Math.min(w, (t.keep1 - p) / (t.keep1 - next + 1));
    return Math.max(w, blend > 0 ? 1e-3 : 1);
  };
}

/**
 * Runs `run` over halo tiles of `volume` and assembles the cores.
 * @param tileEdge E, voxels (the tile is zero-padded to E³ where the volume is smaller)
 * @param haloVoxels context discarded on interior tile faces
 * @param blendVoxels overlap of neighbouring cores (linear ramps)
 */
export async function runHaloTiled(volume: Float32Array, shape: Shape3, run: TileRun, opts: { tileEdge: number; haloVoxels: number; blendVoxels: number; onProgress?: ProgressCallback }): Promise<Float32Array> {
  const [nz, ny, nx] = shape;
  const e = opts.tileEdge;
  const tz = axisTiles(nz, e, opts.haloVoxels, opts.blendVoxels);
  const ty = axisTiles(ny, e, opts.haloVoxels, opts.blendVoxels);
  const tx = axisTiles(nx, e, opts.haloVoxels, opts.blendVoxels);
  const out = new Float32Array(volume.length);
  const wsum = new Float32Array(volume.length);
  const buf = new Float32Array(e * e * e);
  const total = tz.length * ty.length * tx.length;
  let done = 0;
  for (let a = 0; a < tz.length; a++)
    for (let b = 0; b < ty.length; b++)
      for (let c = 0; c < tx.length; c++) {
        const Z = tz[a],
          Y = ty[b],
          X = tx[c];
        buf.fill(0);
        const dz = Math.min(e, nz - Z.start),
          dy = Math.min(e, ny - Y.start),
          dx = Math.min(e, nx - X.start);
        for (let k = 0; k < dz; k++)
          for (let j = 0; j < dy; j++) {
            const src = ((Z.start + k) * ny + Y.start + j) * nx + X.start;
            buf.set(volume.subarray(src, src + dx), (k * e + j) * e);
          }
        const res = await run(buf);
        if (res.length !== buf.length) throw new PannError('SHAPE', `tile runner returned ${res.length} values for a tile of ${buf.length}`);
        const wz = axisWeights(Z, tz, a, opts.blendVoxels),
          wy = axisWeights(Y, ty, b, opts.blendVoxels),
          wx = axisWeights(X, tx, c, opts.blendVoxels);
        for (let z = Z.keep0; z < Z.keep1; z++) {
          const fz = wz(z);
          for (let y = Y.keep0; y < Y.keep1; y++) {
            const fzy = fz * wy(y);
            const row = (z * ny + y) * nx;
            const trow = ((z - Z.start) * e + (y - Y.start)) * e - X.start;
            for (let x = X.keep0; x < X.keep1; x++) {
              const w = fzy * wx(x);
              out[row + x] += w * res[trow + x];
              wsum[row + x] += w;
            }
          }
        }
        done++;
        opts.onProgress?.({ stage: 'tiled-inference', done, total });
      }
  for (let i = 0; i < out.length; i++) out[i] /= wsum[i];
  return out;
}

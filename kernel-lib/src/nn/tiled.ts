/**
 * Overlapping-tile inference for volumes larger than a network's input: the volume is covered by
 * fixed-size tiles that overlap by `overlapVoxels`; each tile's output is weighted by a separable
 * ramp window (so seams fade) and the weighted outputs are averaged. Peak memory is the output and
 * weight volumes (2 × 4 bytes per voxel) plus one tile's network activations, independent of the
 * volume size.
 */
import { PannError } from '../core/errors';
import type { ProgressCallback, Shape3 } from '../core/types';

/** Runs one single-channel tile `[d, h, w]` (C order) and returns its single-channel output of the same size. */
export type TileRunner = (tile: Float32Array, tileShape: Shape3) => Promise<Float32Array>;

export interface TiledOptions {
  /** Tile edge lengths in voxels [d, h, w] (or one number for a cube). */
  tileSize: number | Shape3;
  /** Overlap between neighbouring tiles in voxels (default a quarter of the tile). */
  overlapVoxels?: number;
  onProgress?: ProgressCallback;
}

function starts(n: number, tile: number, step: number): number[] {
  if (n <= tile) return [0];
  const s: number[] = [];
  for (let p = 0; p + tile < n; p += step) s.push(p);
  s.push(n - tile);
  return s;
}

function ramp(len: number, overlap: number): Float32Array {
  const w = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    const e = Math.min(i + 1, len - i);
    w[i] = overlap > 0 ? Math.min(1, e / (overlap + 1)) : 1;
  }
  return w;
}

/**
 * Applies `run` to overlapping tiles of `volume` (`[nz, ny, nx]`, C order) and blends the results.
 * Volumes smaller than a tile along an axis are zero-padded for that tile and cropped back.
 */
export async function runTiled(volume: Float32Array, shape: Shape3, run: TileRunner, opts: TiledOptions): Promise<Float32Array> {
  const [nz, ny, nx] = shape;
  if (volume.length !== nz * ny * nx) throw new PannError('SHAPE', `runTiled: volume has ${volume.length} voxels, shape [${shape}]`, { field: 'volume' });
  const tile: Shape3 = typeof opts.tileSize === 'number' ? [opts.tileSize, opts.tileSize, opts.tileSize] : opts.tileSize;
  const overlap = opts.overlapVoxels ?? Math.floor(Math.min(...tile) / 4);
  if (tile.some((t) => t <= overlap)) throw new PannError('OPTION', `overlapVoxels ${overlap} must be smaller than the tile ${tile}`, { field: 'overlapVoxels' });
  const out = new Float32Array(volume.length);
  const wsum = new Float32Array(volume.length);
  const [td, th, tw] = tile;
  const wz = ramp(td, overlap);
  const wy = ramp(th, overlap);
  const wx = ramp(tw, overlap);
  const zs = starts(nz, td, td - overlap);
  const ys = starts(ny, th, th - overlap);
  const xs = starts(nx, tw, tw - overlap);
  const buf = new Float32Array(td * th * tw);
  const total = zs.length * ys.length * xs.length;
  let done = 0;
  for (const z0 of zs)
    for (const y0 of ys)
      for (const x0 of xs) {
        buf.fill(0);
        const dz = Math.min(td, nz - z0);
        const dy = Math.min(th, ny - y0);
        const dx = Math.min(tw, nx - x0);
        for (let k = 0; k < dz; k++)
          for (let j = 0; j < dy; j++) {
            const src = ((z0 + k) * ny + y0 + j) * nx + x0;
            buf.set(volume.subarray(src, src + dx), (k * th + j) * tw);
          }
        const res = await run(buf, tile);
        if (res.length !== buf.length) throw new PannError('SHAPE', `runTiled: the runner returned ${res.length} values for a tile of ${buf.length}`);
        for (let k = 0; k < dz; k++)
          for (let j = 0; j < dy; j++) {
            const wkj = wz[k] * wy[j];
            const dst = ((z0 + k) * ny + y0 + j) * nx + x0;
            const src = (k * th + j) * tw;
            for (let i = 0; i < dx; i++) {
              const w = wkj * wx[i];
              out[dst + i] += w * res[src + i];
              wsum[dst + i] += w;
            }
          }
        done++;
        opts.onProgress?.({ stage: 'tiled-inference', done, total });
      }
  for (let i = 0; i < out.length; i++) out[i] /= wsum[i];
  return out;
}

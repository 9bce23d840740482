/**
 * Overlapping-tile inference for volumes larger than a network's input, in terms of the overlap
 * between neighbouring tiles: a front end of the halo tiler (`tiling.ts`) with the overlap split into
 * a halo of ⌊overlap / 2⌋ voxels discarded on each interior face (an odd voxel left is blended), so the
 * result matches one pass wherever the network's reach is within that halo. Tile positions are those
 * of a step of tile − overlap. Peak memory is the output and weight volumes (2 × 4 bytes per voxel)
 * plus one tile's network activations, independent of the volume size.
 */
import { PannError } from '../core/errors';
import type { ProgressCallback, Shape3 } from '../core/types';
import { runHaloTiled, type TileRunner } from './tiling';

export type { TileRunner } from './tiling';

export interface TiledOptions {
  /** Tile edge lengths in voxels [d, h, w] (or one number for a cube). */
  tileSize: number | Shape3;
  /** Overlap between neighbouring tiles in voxels (default a quarter of the tile). */
  overlapVoxels?: number;
  onProgress?: ProgressCallback;
}

/**
 * Applies `run` to overlapping tiles of `volume` (`[nz, ny, nx]`, C order) and assembles their cores.
 * Volumes smaller than a tile along an axis are zero-padded for that tile and cropped back.
 */
export async function runTiled(
  volume: Float32Array,
  shape: Shape3,
  run: TileRunner,
  opts: TiledOptions,
): Promise<Float32Array> {
  const tile: Shape3 =
    typeof opts.tileSize === 'number' ? [opts.tileSize, opts.tileSize, opts.tileSize] : opts.tileSize;
  const overlap = opts.overlapVoxels ?? Math.floor(Math.min(...tile) / 4);
  if (!(overlap >= 0) || tile.some((t) => t <= overlap))
    throw new PannError('OPTION', `overlapVoxels ${overlap} must be ≥ 0 and smaller than the tile ${tile}`, {
      field: 'overlapVoxels',
    });
  const halo = Math.floor(overlap / 2);
  return runHaloTiled(volume, shape, run, {
    tileEdge: tile,
    haloVoxels: halo,
    blendVoxels: overlap - 2 * halo,
    onProgress: opts.onProgress,
  });
}

/**
 * Volumes from and to files, dispatched on the extension. Every volume comes back as float32,
 * C order [nz, ny, nx], with its voxel size in Å, and is checked for NaN/±Inf.
 * - `.mrc` / `.map` / `.rec`: voxel size from the header (cella.x / mx) unless `voxelSizeA` is given;
 * - `.npy`: [nz, ny, nx] (Fortran order converted);
 * - `.mat`: MATLAB (d1, d2, d3) → [nz = d3, ny = d2, nx = d1], i.e. MATLAB dim 1 is x, dim 2 is y,
 *   dim 3 is z — the same mapping as tilt series (tilt-series.ts), with no data movement;
 * - `.tif` / `.tiff`: one page per z slice.
 * Formats without a voxel size use `voxelSizeA`, or 1 Å with a warning.
 */
import { PannError, assertPositive } from '../core/errors';
import type { Shape3, Volume } from '../core/types';
import { assertFiniteArray } from './checks';
import { extensionOf, readBytes, writeFile } from './files';
import { parseMatVariable } from './mat';
import { parseMrc, serializeMrc } from './mrc';
import { parseNpy, serializeNpy } from './npy';
import { parseTiffStack } from './tiff';
import { matlabDimsToShape3 } from './tilt-series';

/** A volume read from disk, with notes that did not stop the read. */
export type VolumeReadResult = Volume & { warnings: string[] };

/** Options for {@link readVolume}. */
export interface ReadVolumeOptions {
  /** Variable name in a .mat file (default: the only or first numeric variable). */
  varName?: string;
  /** Voxel edge in Å; overrides an MRC header, required in practice for the other formats. */
  voxelSizeA?: number;
}

/**
 * Reads a volume from .mrc, .npy, .mat or .tif/.tiff.
 * @param filePath path of the file
 * @param opts variable name for .mat; voxel size in Å
 * @returns float32 C-order [nz, ny, nx] volume, voxel size in Å, warnings
 */
export function readVolume(filePath: string, opts: ReadVolumeOptions = {}): VolumeReadResult {
  const ext = extensionOf(filePath);
  if (opts.voxelSizeA !== undefined) assertPositive(opts.voxelSizeA, 'voxelSizeA');
  const warnings: string[] = [];
  let data: Float32Array, shape: Shape3, voxelSizeA = opts.voxelSizeA;
  if (ext === '.mrc' || ext === '.map' || ext === '.rec') {
    const r = parseMrc(readBytes(filePath), filePath);
    ({ data, shape } = r.volume);
    if (voxelSizeA === undefined) {
      voxelSizeA = r.volume.voxelSizeA;
      warnings.push(...r.warnings);
    } else warnings.push(...r.warnings.filter((w) => !w.startsWith('no voxel size')));
  } else if (ext === '.npy') {
    const a = parseNpy(readBytes(filePath), filePath);
    if (a.shape.length !== 3)
      throw new PannError('SHAPE', `a volume .npy must be 3D [nz, ny, nx], got shape (${a.shape.join(', ')})`, { file: filePath, field: 'shape' });
    shape = [a.shape[0], a.shape[1], a.shape[2]];
    data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
  } else if (ext === '.mat') {
    const v = parseMatVariable(readBytes(filePath), filePath, opts.varName);
    shape = matlabDimsToShape3(v.dims, filePath);
    data = Float32Array.from(v.data);
  } else if (ext === '.tif' || ext === '.tiff') {
    ({ data, shape } = parseTiffStack(readBytes(filePath), filePath));
  } else {
    throw new PannError('FORMAT', `unsupported volume file type '${ext || '(none)'}'; use .mrc, .npy, .mat or .tif`, { file: filePath });
  }
  if (voxelSizeA === undefined) {
    warnings.push(`${ext} files carry no voxel size and none was given (voxelSizeA); using 1 Å`);
    voxelSizeA = 1;
  }
  assertFiniteArray(data, shape, filePath);
  return { data, shape, voxelSizeA, warnings };
}

/**
 * Writes a volume as .mrc (MRC2014 float32) or .npy ('<f4', C order [nz, ny, nx]).
 * @param filePath destination path; the extension chooses the format
 * @param volume data [nz, ny, nx], voxel size in Å; NaN/Inf is a VALUE error naming the index
 */
export function writeVolume(filePath: string, volume: Volume): void {
  const ext = extensionOf(filePath);
  const [nz, ny, nx] = volume.shape;
  if (volume.data.length !== nz * ny * nx)
    throw new PannError('SHAPE', `volume data length ${volume.data.length} does not match shape [${volume.shape.join(', ')}]`, { file: filePath, field: 'shape' });
  assertFiniteArray(volume.data, volume.shape, filePath);
  if (ext === '.mrc' || ext === '.map' || ext === '.rec') writeFile(filePath, serializeMrc(volume, { fileName: filePath }));
  else if (ext === '.npy') writeFile(filePath, serializeNpy(volume.data, [nz, ny, nx]));
  else throw new PannError('FORMAT', `cannot write a volume as '${ext || '(none)'}'; use .mrc or .npy`, { file: filePath });
}

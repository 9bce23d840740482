/**
 * Tilt series and tilt angles from files, dispatched on the file extension.
 *
 * Projections come back as [nAngles, ny, nx] (C order, x fastest), the tilt axis along y (detector
 * rows index y; a single-axis tilt series rotates about y):
 * - `.mrc` / `.st` / `.ali` / `.mrcs`: an image stack, section = projection ([nz = nAngles, ny, nx]);
 * - `.npy`: [nAngles, ny, nx] (a 2D array is one projection); Fortran order is converted;
 * - `.tif` / `.tiff`: one page per projection;
 * - `.mat`: a MATLAB array (rows, cols, nAngles) is read as [nAngles, ny = cols, nx = rows]:
 *   MATLAB dim 1 (the row index, which runs down a column) → x, MATLAB dim 2 (the column index) → y,
 *   dim 3 → projection. In memory this is no reordering at all: MATLAB's column-major (R, C, N) is
 *   exactly C-order [N, C, R]. Evidence (test/io/tilt-series.test.ts, the published aSi case in
 *   test/fixtures/asi-2nm-lowdose): its README says the angle-invariant projection profile is
 *   `sum(P, 1)` — summing over MATLAB dim 1 leaves a profile along the columns, i.e. indexed by MATLAB
 *   dim 2 — so dim 2 is the tilt axis, which is our y: in the data, Σ_x p(y, x) is the same for all
 *   60 angles (θ = 0…177°) to within shot noise, while Σ_y p(y, x) changes with angle.
 *   The ground-truth atoms of that case, moved into our frame by pipeline/truth-frame.ts
 *   ('matlab-centred': (x, y, z) → (y, x, −z) + rotation centre),
 *   projected with sim/project-atoms at the file's angles, correlate 0.90 with every projection at
 *   zero shift, which fixes the handedness too (the angles are used exactly as given).
 *   The same mapping is used for .mat volumes (dim 1 → x, dim 2 → y, dim 3 → z; see volume-io.ts),
 *   so a volume and its projections at θ = 0 agree.
 *
 * Angles: one ZYZ Euler triple (φ, θ, ψ) in degrees per projection. A single number per row is a
 * tilt θ about y, i.e. [0, θ, 0].
 */
import { PannError, assertPositive } from '../core/errors';
import type { EulerZYZDeg, Shape3, TiltSeries } from '../core/types';
import { assertFiniteArray } from './checks';
import { extensionOf, readBytes, readText } from './files';
import { parseMatVariable } from './mat';
import { parseMrc } from './mrc';
import { NpyData, parseNpy } from './npy';
import { parseTiffStack } from './tiff';

/** A tilt series read from disk, before angles are attached. */
export type TiltSeriesData = Omit<TiltSeries, 'anglesDeg'> & {
  /** Notes that did not stop the read (e.g. MRC header oddities). */
  warnings: string[];
};

/** Options for {@link readTiltSeries}. */
export interface ReadTiltSeriesOptions {
  /** Variable name in a .mat file (default: the only or first numeric variable). */
  varName?: string;
  /**
   * Detector pixel edge in Å. Required for .npy, .tif and .mat (they carry no pixel size); for .mrc
   * it overrides the header value.
   */
  pixelSizeA?: number;
}

const MRC_EXT = ['.mrc', '.mrcs', '.st', '.ali', '.map', '.rec'];

/**
 * Maps MATLAB dims (d1, d2[, d3]) to our C-order shape [d3, d2, d1] (no data movement), dropping
 * trailing singleton dims; more than three non-singleton dims is a SHAPE error.
 * @param dims MATLAB dims
 * @param file file name for the error message
 */
export function matlabDimsToShape3(dims: number[], file: string): Shape3 {
  const d = [...dims];
  while (d.length > 3 && d[d.length - 1] === 1) d.pop();
  if (d.length > 3)
    throw new PannError('SHAPE', `MATLAB array of dims [${dims.join(', ')}] has more than 3 dimensions`, { file, field: 'dims' });
  return [d[2] ?? 1, d[1], d[0]];
}

/** Converts an npy array of 2 or 3 dims to a float32 C-order stack. */
function npyToStack(data: NpyData, shape: number[], file: string, what: string): { data: Float32Array; shape: Shape3 } {
  let s: Shape3;
  if (shape.length === 3) s = [shape[0], shape[1], shape[2]];
  else if (shape.length === 2) s = [1, shape[0], shape[1]];
  else throw new PannError('SHAPE', `${what} .npy must have 2 or 3 dimensions, got shape (${shape.join(', ')})`, { file, field: 'shape' });
  return { data: data instanceof Float32Array ? data : Float32Array.from(data), shape: s };
}

/**
 * Reads a tilt series (projections only) from .mrc, .npy, .tif/.tiff or .mat.
 * @param filePath path of the file
 * @param opts variable name for .mat; pixel size in Å (see {@link ReadTiltSeriesOptions})
 * @returns data [nAngles, ny, nx] (float32, C order), pixel size in Å, warnings
 */
export function readTiltSeries(filePath: string, opts: ReadTiltSeriesOptions = {}): TiltSeriesData {
  const ext = extensionOf(filePath);
  const warnings: string[] = [];
  let data: Float32Array, shape: Shape3, pixelSizeA: number | undefined = opts.pixelSizeA;
  if (pixelSizeA !== undefined) assertPositive(pixelSizeA, 'pixelSizeA');
  const needPixel = () => {
    if (pixelSizeA === undefined)
      throw new PannError('OPTION', `pixelSizeA (Å) is required for a ${ext} tilt series: the format stores no pixel size`, {
        file: filePath,
        field: 'pixelSizeA',
      });
    return pixelSizeA;
  };
  if (MRC_EXT.includes(ext)) {
    const r = parseMrc(readBytes(filePath), filePath);
    ({ data, shape } = r.volume);
    if (pixelSizeA === undefined) {
      if (!r.voxelSizeKnown)
        throw new PannError('OPTION', 'the MRC header holds no pixel size (cella/mx); give pixelSizeA (Å)', { file: filePath, field: 'pixelSizeA' });
      pixelSizeA = r.volume.voxelSizeA;
    }
    warnings.push(...r.warnings);
  } else if (ext === '.npy') {
    const a = parseNpy(readBytes(filePath), filePath);
    ({ data, shape } = npyToStack(a.data, a.shape, filePath, 'a tilt-series'));
  } else if (ext === '.tif' || ext === '.tiff') {
    ({ data, shape } = parseTiffStack(readBytes(filePath), filePath));
  } else if (ext === '.mat') {
    const v = parseMatVariable(readBytes(filePath), filePath, opts.varName);
    shape = matlabDimsToShape3(v.dims, filePath);
    data = Float32Array.from(v.data); // column-major (rows, cols, n) is already C-order [n, cols, rows]
  } else {
    throw new PannError('FORMAT', `unsupported tilt-series file type '${ext || '(none)'}'; use .mrc, .npy, .tif/.tiff or .mat`, { file: filePath });
  }
  assertFiniteArray(data, shape, filePath, 'tilt series');
  return { data, shape, pixelSizeA: needPixel(), warnings };
}

/** Options for {@link readAngles}. */
export interface ReadAnglesOptions {
  /** Variable name in a .mat file (default: the only or first numeric variable). */
  varName?: string;
}

/**
 * Turns a row-major table of angles into Euler triples: 1 column → [0, θ, 0]; 3 columns → (φ, θ, ψ).
 * @param values row-major values
 * @param nRows number of angle rows
 * @param nCols 1 or 3
 * @param file file name for the error message
 */
function tableToEuler(values: ArrayLike<number>, nRows: number, nCols: number, file: string): EulerZYZDeg[] {
  if (nCols !== 1 && nCols !== 3)
    throw new PannError('SHAPE', `angles must be one tilt per row or 3 Euler angles (φ, θ, ψ) per row, got ${nCols} columns`, { file, field: 'angles' });
  const out: EulerZYZDeg[] = [];
  for (let r = 0; r < nRows; r++) {
    const row: EulerZYZDeg = nCols === 1 ? [0, values[r], 0] : [values[3 * r], values[3 * r + 1], values[3 * r + 2]];
    if (!row.every(Number.isFinite)) throw new PannError('VALUE', `angle row ${r + 1} is not finite: ${row.join(', ')}`, { file, field: 'angles' });
    out.push(row);
  }
  if (out.length === 0) throw new PannError('FORMAT', 'no angles in the file', { file });
  return out;
}

/** Parses angle text: one tilt or three Euler angles per line, separated by spaces/commas/tabs. */
export function parseAnglesText(text: string, fileName: string): EulerZYZDeg[] {
  const rows: number[][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/[#%].*$/, '').trim();
    if (line === '') return;
    const tok = line.split(/[\s,;]+/).filter((t) => t !== '');
    const nums = tok.map(Number);
    if (nums.some((v) => !Number.isFinite(v))) {
      if (rows.length === 0 && /[A-Za-z]/.test(line)) return; // a CSV header row such as "phi,theta,psi"
      throw new PannError('FORMAT', `line ${i + 1}: '${line.slice(0, 60)}' is not a list of angles in degrees`, { file: fileName });
    }
    if (rows.length && nums.length !== rows[0].length)
      throw new PannError('FORMAT', `line ${i + 1} has ${nums.length} values but earlier lines have ${rows[0].length}`, { file: fileName });
    rows.push(nums);
  });
  if (rows.length === 0) throw new PannError('FORMAT', 'no angles in the file', { file: fileName });
  return tableToEuler(rows.flat(), rows.length, rows[0].length, fileName);
}

/**
 * Reads tilt angles (degrees). Text (.txt, .csv, .tlt, .rawtlt, …): one tilt per line → [0, θ, 0],
 * or φ θ ψ per line; `#`/`%` start comments; a header row of names is skipped. `.npy`: shape [n]
 * or [n, 3]. `.mat`: [n, 3], [3, n] (n ≠ 3), [n, 1] or [1, n] (a 3×3 array is read as rows).
 * @param filePath path of the file
 * @param opts variable name for .mat
 * @returns one ZYZ Euler triple in degrees per projection
 */
export function readAngles(filePath: string, opts: ReadAnglesOptions = {}): EulerZYZDeg[] {
  const ext = extensionOf(filePath);
  if (ext === '.npy') {
    const a = parseNpy(readBytes(filePath), filePath);
    if (a.shape.length === 1) return tableToEuler(a.data, a.shape[0], 1, filePath);
    if (a.shape.length === 2) return tableToEuler(a.data, a.shape[0], a.shape[1], filePath);
    throw new PannError('SHAPE', `angles .npy must be [n] or [n, 3], got (${a.shape.join(', ')})`, { file: filePath, field: 'angles' });
  }
  if (ext === '.mat') {
    const v = parseMatVariable(readBytes(filePath), filePath, opts.varName);
    const [d1, d2] = v.dims;
    if (v.dims.length !== 2)
      throw new PannError('SHAPE', `angles in .mat must be a 2D array [n, 3] or [n, 1], got dims [${v.dims.join(', ')}]`, { file: filePath, field: 'angles' });
    const at = (r: number, c: number) => v.data[r + d1 * c]; // column-major element (r, c)
    if (d2 === 1 || d1 === 1) return tableToEuler(v.data, d1 * d2, 1, filePath);
    const rowsAreAngles = d2 === 3; // [n, 3] (also 3×3) ...
    const colsAreAngles = d1 === 3 && !rowsAreAngles; // ... or [3, n]
    if (!rowsAreAngles && !colsAreAngles)
      throw new PannError('SHAPE', `angles in .mat must be [n, 3], [3, n], [n, 1] or [1, n], got [${d1}, ${d2}]`, { file: filePath, field: 'angles' });
    const n = rowsAreAngles ? d1 : d2;
    const flat = new Float64Array(3 * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < 3; c++) flat[3 * r + c] = rowsAreAngles ? at(r, c) : at(c, r);
    return tableToEuler(flat, n, 3, filePath);
  }
  return parseAnglesText(readText(filePath), filePath);
}

/**
 * Throws a SHAPE error unless there is one angle set per projection.
 * @param angles the angles read
 * @param nAngles number of projections in the tilt series
 * @param files the angle and projection file names, for the message
 */
export function checkAngleCount(angles: readonly EulerZYZDeg[], nAngles: number, files: { angles: string; projections: string }): void {
  if (angles.length !== nAngles)
    throw new PannError(
      'SHAPE',
      `${files.angles} has ${angles.length} angle sets but ${files.projections} has ${nAngles} projections; they must match one to one`,
      { file: files.angles, field: 'anglesDeg' },
    );
}

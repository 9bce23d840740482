/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0,
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * Supported dtypes: float32, float64, int16, uint16, uint8 (the core set), plus int8, int32, uint32,
 * bool (read as uint8) and int64/uint64 (read into a Float64Array — NumPy's default integer type, e.g.
 * angles saved from np.arange; exact up to 2^53), in either byte order (big-endian data are converted
 * to the host's little-endian order). Fortran-order arrays are transposed to C order on
 * read, so callers always get C order (last axis fastest). The data length is checked against the
 * header shape before anything is read.
 */
import { PannError } from '../core/errors';
import { readBytes, writeFile } from './files';

/** Arrays a .npy file can hold here. */
export type NpyData = Float32Array | Float64Array | Int16Array | Uint16Array | Uint8Array | Int8Array | Int32Array | Uint32Array;

/** Canonical (little-endian) dtype names written by {@link serializeNpy}. */
export type NpyDtype = '<f4' | '<f8' | '<i2' | '<u2' | '|u1' | '|i1' | '<i4' | '<u4';

/** A parsed .npy array, always in C order. */
export interface NpyArray {
  data: NpyData;
  shape: number[];
  /** The dtype as the file declared it (e.g. '>f4' for big-endian float32). */
  dtype: string;
  /** True when the file stored the array in Fortran order (the returned data are C order regardless). */
  fortranOrder: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const KINDS: Record<string, { bytes: number; make: (n: number) => NpyData; get: (dv: DataView, o: number, le: boolean) => number; noBulk?: boolean }> = {
  f4: { bytes: 4, make: (n) => new Float32Array(n), get: (dv, o, le) => dv.getFloat32(o, le) },
  f8: { bytes: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => dv.getFloat64(o, le) },
  i2: { bytes: 2, make: (n) => new Int16Array(n), get: (dv, o, le) => dv.getInt16(o, le) },
  u2: { bytes: 2, make: (n) => new Uint16Array(n), get: (dv, o, le) => dv.getUint16(o, le) },
  u1: { bytes: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  b1: { bytes: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o) },
  i1: { bytes: 1, make: (n) => new Int8Array(n), get: (dv, o) => dv.getInt8(o) },
  i4: { bytes: 4, make: (n) => new Int32Array(n), get: (dv, o, le) => dv.getInt32(o, le) },
  u4: { bytes: 4, make: (n) => new Uint32Array(n), get: (dv, o, le) => dv.getUint32(o, le) },
  // 64-bit integers have no exact typed array that arithmetic code can use; widen to double.
  i8: { bytes: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => Number(dv.getBigInt64(o, le)), noBulk: true },
  u8: { bytes: 8, make: (n) => new Float64Array(n), get: (dv, o, le) => Number(dv.getBigUint64(o, le)), noBulk: true },
};
const SUPPORTED =
  "'<f4' (float32), '<f8' (float64), '<i2' (int16), '<u2' (uint16), '|u1' (uint8), '|i1' (int8), '<i4' (int32), " +
  "'<u4' (uint32), '<i8'/'<u8' (int64/uint64, read as float64), '|b1' (bool), or their big-endian '>' forms";

/**
 * Parses a .npy file held in memory.
 * @param buf the whole file
 * @param fileName name used in error messages
 * @returns the array in C order with its shape and declared dtype
 */
export function parseNpy(buf: Uint8Array, fileName: string): NpyArray {
  const fail = (problem: string): never => {
    throw new PannError('FORMAT', `not a readable .npy file: ${problem}`, { file: fileName });
  };
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) fail('missing the \\x93NUMPY magic string');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6];
  let headerLen: number, headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated header');
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}.${buf[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  const dataStart = headerStart + headerLen;
  if (buf.length < dataStart) fail(`truncated: the header says it is ${headerLen} bytes but the file has only ${buf.length} bytes`);
  const header = Buffer.from(buf.subarray(headerStart, dataStart)).toString(major === 3 ? 'utf8' : 'latin1');

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail(`header dictionary lacks 'descr', 'fortran_order' or 'shape': ${header.trim()}`);
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad shape entry '${s}' in header`)));

  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr!);
  const key = m ? `${m[2]}${m[3]}` : '';
  const kind = KINDS[key];
  if (!m || !kind || (m[1] === '|' && kind.bytes !== 1))
    throw new PannError('FORMAT', `unsupported .npy dtype '${descr}'; supported: ${SUPPORTED}`, { file: fileName, field: 'dtype' });
  const le = m[1] !== '>';

  const n = shape.reduce((a, b) => a * b, 1);
  const need = n * kind.bytes;
  if (!Number.isSafeInteger(need)) fail(`shape (${shape.join(', ')}) is implausibly large`);
  if (buf.length - dataStart < need)
    fail(`truncated: shape (${shape.join(', ')}) of '${descr}' needs ${need} data bytes but the file has ${buf.length - dataStart}`);

  let data = kind.make(n);
  if (le && !kind.noBulk && (buf.byteOffset + dataStart) % kind.bytes === 0) {
    // Fast path: aligned little-endian data are copied in one go.
    const src = new (data.constructor as new (b: ArrayBuffer, o: number, n: number) => NpyData)(buf.buffer as ArrayBuffer, buf.byteOffset + dataStart, n);
    data.set(src);
  } else {
    for (let i = 0; i < n; i++) data[i] = kind.get(dv, dataStart + i * kind.bytes, le);
  }
  const fortranOrder = fortran === 'True';
  if (fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { data, shape, dtype: descr!, fortranOrder };
}

/**
 * Reorders an array stored in Fortran order (first axis fastest) into C order (last axis fastest).
 * @param src values in Fortran order
 * @param shape the array shape (same for both orders)
 */
export function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const nd = shape.length;
  // Fortran stride of each axis; walk the output in C order with an odometer over the indices.
  const fstride = new Array<number>(nd);
  let s = 1;
  for (let a = 0; a < nd; a++) {
    fstride[a] = s;
    s *= shape[a];
  }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const inner = shape[last], innerStride = fstride[last];
  let o = 0;
  while (o < out.length) {
    let base = 0;
    for (let a = 0; a < last; a++) base += idx[a] * fstride[a];
    for (let t = 0; t < inner; t++) out[o++] = src[base + t * innerStride];
    for (let a = last - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Inverse of {@link fortranToC}: C-order values to Fortran order. */
export function cToFortran<T extends NpyData>(src: T, shape: number[]): T {
  // Fortran order of shape s is C order of the reversed shape with the axes reversed.
  const rev = [...shape].reverse();
  return fortranToC(src, rev);
}

/**
 * Reads a .npy file.
 * @param filePath path of the file
 */
export function readNpy(filePath: string): NpyArray {
  return parseNpy(readBytes(filePath), filePath);
}

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  throw new PannError('VALUE', 'serializeNpy needs a Float32Array, Float64Array, Int16Array, Uint16Array, Uint8Array, Int8Array, Int32Array or Uint32Array', { field: 'data' });
}

/** Options for writing .npy files. */
export interface NpyWriteOptions {
  /** Store in Fortran order (the input is still C order; it is transposed on write). Default false. */
  fortranOrder?: boolean;
}

/**
 * Serialises a C-order array as a .npy file (format 1.0, or 2.0 when the header needs it); the dtype
 * follows the array type (Float32Array → '<f4', Float64Array → '<f8', Int16Array → '<i2',
 * Uint16Array → '<u2', Uint8Array → '|u1', Int8Array → '|i1', Int32Array → '<i4', Uint32Array → '<u4').
 * @param data values in C order
 * @param shape array shape; its product must equal data.length
 * @param opts see {@link NpyWriteOptions}
 */
export function serializeNpy(data: NpyData, shape: number[], opts: NpyWriteOptions = {}): Buffer {
  const dtype = dtypeOf(data);
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.some((s) => !Number.isInteger(s) || s < 0) || n !== data.length)
    throw new PannError('SHAPE', `shape (${shape.join(', ')}) does not match ${data.length} values`, { field: 'shape' });
  const fortran = !!opts.fortranOrder && shape.length > 1;
  const body = fortran ? cToFortran(data, shape) : data;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${dtype}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  // Pad with spaces so that the data start on a 64-byte boundary, as NumPy does.
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = Buffer.alloc(total + body.byteLength);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  if (prefix === 10) out.writeUInt16LE(dict.length, 8);
  else out.writeUInt32LE(dict.length, 8);
  out.write(dict, prefix, 'latin1');
  out.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), total);
  return out;
}

/**
 * Writes a C-order array as a .npy file.
 * @param filePath destination path
 * @param data values in C order
 * @param shape array shape
 * @param opts see {@link NpyWriteOptions}
 */
export function writeNpy(filePath: string, data: NpyData, shape: number[], opts: NpyWriteOptions = {}): void {
  writeFile(filePath, serializeNpy(data, shape, opts));
}

/**
 * MATLAB level-5 .mat files (MATLAB "-v6"/"-v7" format; "MAT-File Format", MathWorks, 2023).
 *
 * Handles the 128-byte header (either byte order), data-element tags including the small data
 * element format, miCOMPRESSED (zlib) elements, and miMATRIX arrays of the numeric classes double,
 * single, int8 … uint64 (and logical), whatever storage type MATLAB chose for the values (it stores
 * integer-valued doubles as uint8, for example). Values come back as Float64Array in MATLAB's own
 * column-major order with MATLAB's dims: element (i1, i2, i3) (0-based) is at i1 + d1·(i2 + d2·i3).
 * Cell, struct, char, sparse and object arrays are listed but not read. HDF5-based v7.3 files are
 * refused with a message saying how to re-save them.
 */
import { inflateSync } from 'node:zlib';
import { PannError } from '../core/errors';
import { readBytes } from './files';

/** A variable found in a .mat file. */
export interface MatVariableInfo {
  name: string;
  /** MATLAB dims, e.g. [128, 128, 60]. */
  dims: number[];
  /** MATLAB class name: 'double', 'single', 'uint8', 'logical', 'char', 'cell', 'struct', ... */
  matlabClass: string;
  /** True for numeric and logical arrays (the ones {@link readMatVariable} can return). */
  numeric: boolean;
  /** True when the array is complex (not readable here). */
  complex: boolean;
}

/** A numeric variable read from a .mat file. */
export interface MatVariable {
  name: string;
  /** Values in MATLAB's column-major order (first index fastest). */
  data: Float64Array;
  /** MATLAB dims (at least 2). */
  dims: number[];
  matlabClass: string;
}

// Data types (MAT-File Format, table 1-1).
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16 };
const MI_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1 };
// Array classes (table 1-3).
const CLASS_NAMES: Record<number, string> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8',
  10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64', 16: 'function',
};
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

interface Element {
  type: number;
  /** Data bytes of the element (after the tag). */
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

class MatReader {
  constructor(
    readonly file: string,
    readonly le: boolean,
  ) {}

  fail(problem: string): never {
    throw new PannError('FORMAT', `not a readable MATLAB .mat file: ${problem}`, { file: this.file });
  }

  /** Reads the data element whose tag starts at `pos` in `buf`, checking it fits. */
  element(buf: Uint8Array, pos: number, what: string): Element {
    if (pos + 8 > buf.length) this.fail(`truncated ${what}: tag at byte ${pos} runs past the end (${buf.length} bytes)`);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const first = dv.getUint32(pos, this.le);
    const small = first >>> 16;
    if (small !== 0) {
      // Small data element: 2-byte size, 2-byte type, up to 4 data bytes in the tag itself.
      const type = first & 0xffff;
      if (small > 4) this.fail(`${what}: small data element claims ${small} bytes (at most 4)`);
      return { type, data: buf.subarray(pos + 4, pos + 4 + small), next: pos + 8 };
    }
    const type = first;
    const nbytes = dv.getUint32(pos + 4, this.le);
    const end = pos + 8 + nbytes;
    if (end > buf.length)
      this.fail(`truncated ${what}: element at byte ${pos} declares ${nbytes} bytes but only ${buf.length - pos - 8} remain`);
    // Elements are padded to 8 bytes, except compressed ones, whose size is exact.
    const next = type === MI.COMPRESSED ? end : Math.min(buf.length, pos + 8 + Math.ceil(nbytes / 8) * 8);
    return { type, data: buf.subarray(pos + 8, end), next };
  }

  /** Decodes numeric element data of any storage type into `out` (length checked). */
  numbers(el: Element, count: number, what: string): Float64Array {
    const size = MI_BYTES[el.type];
    if (size === undefined || el.type === MI.UTF8) this.fail(`${what}: unsupported storage type ${el.type}`);
    if (el.data.length !== count * size)
      this.fail(`${what}: ${el.data.length} data bytes for ${count} values of ${size} bytes each (expected ${count * size})`);
    const dv = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    const out = new Float64Array(count);
    const le = this.le;
    switch (el.type) {
      case MI.INT8: for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); break;
      case MI.UINT8: for (let i = 0; i < count; i++) out[i] = el.data[i]; break;
      case MI.INT16: for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, le); break;
      case MI.UINT16: for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, le); break;
      case MI.INT32: for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, le); break;
      case MI.UINT32: for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, le); break;
      case MI.SINGLE: for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, le); break;
      case MI.DOUBLE: for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, le); break;
      // 64-bit integers beyond 2^53 lose precision in a double, as in MATLAB's double().
      case MI.INT64: for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(8 * i, le)); break;
      case MI.UINT64: for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(8 * i, le)); break;
    }
    return out;
  }

  int32s(el: Element, what: string): number[] {
    if (el.type !== MI.INT32 || el.data.length % 4 !== 0) this.fail(`${what}: expected miINT32 data, got type ${el.type} with ${el.data.length} bytes`);
    const dv = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
    return Array.from({ length: el.data.length / 4 }, (_, i) => dv.getInt32(4 * i, this.le));
  }
}

interface ParsedMatrix {
  info: MatVariableInfo;
  /** Reads the real part; only for numeric classes. */
  read: () => Float64Array;
}

/** Parses the body of an miMATRIX element (flags, dims, name, data). */
function parseMatrix(r: MatReader, body: Uint8Array, where: string): ParsedMatrix {
  const flagsEl = r.element(body, 0, `array flags of ${where}`);
  if (flagsEl.type !== MI.UINT32 || flagsEl.data.length < 8) r.fail(`${where}: malformed array flags`);
  const fdv = new DataView(flagsEl.data.buffer, flagsEl.data.byteOffset, 8);
  const flagWord = fdv.getUint32(0, r.le);
  const cls = flagWord & 0xff;
  const complex = (flagWord & 0x0800) !== 0;
  const logical = (flagWord & 0x0200) !== 0;
  const dimsEl = r.element(body, flagsEl.next, `dimensions of ${where}`);
  const dims = r.int32s(dimsEl, `dimensions of ${where}`);
  if (dims.length < 2 || dims.some((d) => d < 0)) r.fail(`${where}: invalid dimensions [${dims.join(', ')}]`);
  const nameEl = r.element(body, dimsEl.next, `name of ${where}`);
  if (nameEl.type !== MI.INT8 && nameEl.type !== MI.UINT8 && nameEl.type !== MI.UTF8) r.fail(`${where}: malformed array name`);
  const name = Buffer.from(nameEl.data).toString('utf8');
  const className = logical ? 'logical' : (CLASS_NAMES[cls] ?? `class ${cls}`);
  const numeric = NUMERIC_CLASSES.has(cls);
  const info: MatVariableInfo = { name, dims, matlabClass: className, numeric, complex };
  const count = dims.reduce((a, b) => a * b, 1);
  return {
    info,
    read: () => {
      const label = `variable '${name || where}'`;
      if (!numeric) r.fail(`${label} is a MATLAB ${className} array, not a numeric one`);
      if (complex) r.fail(`${label} is complex; only real arrays are supported`);
      const realEl = r.element(body, nameEl.next, `data of ${label}`);
      return r.numbers(realEl, count, `data of ${label} (dims [${dims.join(', ')}])`);
    },
  };
}

/** Walks the top-level elements of a v5 file; returns every matrix with a lazy reader. */
function scanMat(buf: Uint8Array, fileName: string): ParsedMatrix[] {
  const head = Buffer.from(buf.subarray(0, Math.min(116, buf.length))).toString('latin1');
  const hdf5 = buf.length >= 520 && Buffer.from(buf.subarray(512, 520)).toString('latin1') === '\x89HDF\r\n\x1a\n';
  if (hdf5 || /^MATLAB 7\.3 MAT-file/.test(head))
    throw new PannError(
      'FORMAT',
      "MATLAB v7.3 (HDF5) .mat files are not supported; re-save in MATLAB with save(filename, varname, '-v7')",
      { file: fileName },
    );
  if (buf.length < 128) throw new PannError('FORMAT', `not a MATLAB v5 .mat file: only ${buf.length} bytes, less than the 128-byte header`, { file: fileName });
  const endian = Buffer.from(buf.subarray(126, 128)).toString('latin1');
  if (!head.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI'))
    throw new PannError(
      'FORMAT',
      `not a MATLAB v5 .mat file: the header does not start with 'MATLAB' and an 'IM'/'MI' byte-order mark (MATLAB v4 files are not supported; re-save with -v7)`,
      { file: fileName },
    );
  const r = new MatReader(fileName, endian === 'IM');
  const out: ParsedMatrix[] = [];
  let pos = 128;
  let index = 0;
  while (pos + 8 <= buf.length) {
    const where = `element ${index + 1}`;
    let el = r.element(buf, pos, where);
    pos = el.next;
    index++;
    if (el.type === MI.COMPRESSED) {
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(el.data);
      } catch (e) {
        return r.fail(`${where}: compressed data do not inflate (${(e as Error).message})`);
      }
      el = r.element(inflated, 0, `${where} (decompressed)`);
    }
    if (el.type !== MI.MATRIX) continue; // other top-level elements carry no variables
    if (el.data.length === 0) continue; // an empty matrix placeholder
    out.push(parseMatrix(r, el.data, where));
  }
  // Elements always end on the file's end; a few leftover bytes are a cut-off tag.
  if (pos < buf.length) r.fail(`truncated: ${buf.length - pos} stray bytes after element ${index} (a cut-off element tag)`);
  return out;
}

/**
 * Lists the variables of a .mat file held in memory.
 * @param buf the whole file
 * @param fileName name used in error messages
 */
export function listMatVariables(buf: Uint8Array, fileName = '<buffer>'): MatVariableInfo[] {
  return scanMat(buf, fileName).map((m) => m.info);
}

/**
 * Reads one numeric variable from a .mat file held in memory.
 * @param buf the whole file
 * @param fileName name used in error messages
 * @param name variable name; omitted → the only numeric variable, or the first one when there are several
 * @returns values as Float64Array in MATLAB column-major order, with MATLAB dims and class
 */
export function parseMatVariable(buf: Uint8Array, fileName: string, name?: string): MatVariable {
  const all = scanMat(buf, fileName);
  const describe = () =>
    all.length ? all.map((m) => `${m.info.name} (${m.info.matlabClass} ${m.info.dims.join('×')})`).join(', ') : 'none';
  let pick: ParsedMatrix | undefined;
  if (name !== undefined) {
    pick = all.find((m) => m.info.name === name);
    if (!pick)
      throw new PannError('FORMAT', `no variable '${name}' in the .mat file; variables: ${describe()}`, { file: fileName, field: 'varName' });
  } else {
    pick = all.find((m) => m.info.numeric && !m.info.complex);
    if (!pick) throw new PannError('FORMAT', `no real numeric variable in the .mat file; variables: ${describe()}`, { file: fileName });
  }
  const data = pick.read();
  return { name: pick.info.name, data, dims: pick.info.dims, matlabClass: pick.info.matlabClass };
}

/**
 * Reads one numeric variable from a .mat file.
 * @param filePath path of the .mat file
 * @param name variable name; omitted → the only (or first) numeric variable
 */
export function readMatVariable(filePath: string, name?: string): MatVariable {
  return parseMatVariable(readBytes(filePath), filePath, name);
}

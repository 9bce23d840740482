/**
 * Minimal MATLAB v5 reader for the reconstruction tests (numeric, real, non-sparse arrays, optionally
 * zlib-compressed). The project's io/ module owns real file reading; this only feeds the external check.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

export interface MatArray {
  /** MATLAB dimensions (column-major: the first index runs fastest in `data`). */
  dims: number[];
  data: Float64Array;
}

function element(b: Buffer, o: number): { type: number; data: Buffer; next: number } {
  const w = b.readUInt32LE(o);
  if (w >>> 16) return { type: w & 0xffff, data: b.subarray(o + 4, o + 4 + (w >>> 16)), next: o + 8 };
  const nb = b.readUInt32LE(o + 4);
  return { type: w, data: b.subarray(o + 8, o + 8 + nb), next: o + 8 + nb + ((8 - (nb % 8)) % 8) };
}

function numbers(type: number, d: Buffer): Float64Array {
  const ab = d.buffer.slice(d.byteOffset, d.byteOffset + d.length);
  const views: Record<number, new (b: ArrayBuffer) => ArrayLike<number>> = {
    1: Int8Array, 2: Uint8Array, 3: Int16Array, 4: Uint16Array, 5: Int32Array, 6: Uint32Array, 7: Float32Array, 9: Float64Array,
  };
  const View = views[type];
  if (!View) throw new Error(`unsupported MAT data type ${type}`);
  return Float64Array.from(new View(ab));
}

/** Reads every numeric matrix of a MAT v5 file, by variable name. */
export function readMat5(path: string): Record<string, MatArray> {
  const buf = readFileSync(path);
  const out: Record<string, MatArray> = {};
  let off = 128;
  while (off + 8 <= buf.length) {
    const type = buf.readUInt32LE(off),
      nb = buf.readUInt32LE(off + 4);
    let body = buf.subarray(off + 8, off + 8 + nb);
    off += 8 + nb + (type === 15 ? 0 : (8 - (nb % 8)) % 8);
    if (type === 15) {
      body = inflateSync(body);
      if (body.readUInt32LE(0) !== 14) continue;
      body = body.subarray(8, 8 + body.readUInt32LE(4));
    } else if (type !== 14) continue;
    let e = element(body, 0); // array flags
    e = element(body, e.next);
    const dims = Array.from(new Int32Array(e.data.buffer.slice(e.data.byteOffset, e.data.byteOffset + e.data.length)));
    e = element(body, e.next);
    const name = e.data.toString('latin1');
    e = element(body, e.next);
    out[name] = { dims, data: numbers(e.type, e.data) };
  }
  return out;
}

/** Test helpers: temporary folders and minimal independent writers for TIFF and MAT v5 buffers. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { PannError } from '../../kernel-lib/src/core/errors';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pann-io-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type TiffKind = 'uint8' | 'uint16' | 'float32';

/**
 * A baseline TIFF (uncompressed, one strip per page, greyscale) with one page per [ny, nx] slice.
 * Written by hand, independent of utif, in either byte order.
 */
export function buildTiff(pages: Float32Array[], ny: number, nx: number, kind: TiffKind, littleEndian = true): Buffer {
  const bps = kind === 'uint8' ? 8 : kind === 'uint16' ? 16 : 32;
  const bpp = bps / 8;
  const fmt = kind === 'float32' ? 3 : 1;
  const nTags = 10;
  const ifdBytes = 2 + 12 * nTags + 4;
  const pageBytes = ny * nx * bpp;
  const total = 8 + pages.length * (pageBytes + ifdBytes + 1); // +1 keeps IFDs on even offsets
  const buf = Buffer.alloc(total + 16);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = littleEndian;
  buf.write(le ? 'II' : 'MM', 0, 'latin1');
  dv.setUint16(2, 42, le);
  let pos = 8;
  let prevNextPtr = 4;
  for (const page of pages) {
    const dataAt = pos;
    for (let i = 0; i < ny * nx; i++) {
      const v = page[i];
      if (kind === 'uint8') dv.setUint8(dataAt + i, v);
      else if (kind === 'uint16') dv.setUint16(dataAt + 2 * i, v, le);
      else dv.setFloat32(dataAt + 4 * i, v, le);
    }
    pos += pageBytes;
    if (pos % 2) pos++;
    const ifd = pos;
    dv.setUint32(prevNextPtr, ifd, le);
    dv.setUint16(ifd, nTags, le);
    const tags: [number, number, number][] = [
      [256, 4, nx], [257, 4, ny], [258, 3, bps], [259, 3, 1], [262, 3, 1],
      [273, 4, dataAt], [277, 3, 1], [278, 4, ny], [279, 4, pageBytes], [339, 3, fmt],
    ];
    tags.forEach(([tag, type, value], t) => {
      const p = ifd + 2 + 12 * t;
      dv.setUint16(p, tag, le);
      dv.setUint16(p + 2, type, le);
      dv.setUint32(p + 4, 1, le);
      if (type === 3) dv.setUint16(p + 8, value, le);
      else dv.setUint32(p + 8, value, le);
    });
    prevNextPtr = ifd + 2 + 12 * nTags;
    dv.setUint32(prevNextPtr, 0, le);
    pos = prevNextPtr + 4;
  }
  return buf.subarray(0, pos);
}

// ---- MAT v5 (hand-built; element layout from the MathWorks "MAT-File Format" document) ----

/** One data element: tag + data padded to 8 bytes (or the small format when ≤ 4 bytes and allowed). */
export function matElement(type: number, data: Uint8Array, le = true, allowSmall = true): Buffer {
  if (allowSmall && data.length <= 4 && data.length > 0) {
    const b = Buffer.alloc(8);
    const dv = new DataView(b.buffer, b.byteOffset, 8);
    dv.setUint32(0, (data.length << 16) | type, le);
    b.set(data, 4);
    return b;
  }
  const padded = Math.ceil(data.length / 8) * 8;
  const b = Buffer.alloc(8 + padded);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setUint32(0, type, le);
  dv.setUint32(4, data.length, le);
  b.set(data, 8);
  return b;
}

/** An miMATRIX element of class double holding `values` (column-major) with `dims`. */
export function matDoubleMatrix(name: string, dims: number[], values: number[], opts: { le?: boolean; complex?: boolean } = {}): Buffer {
  const le = opts.le ?? true;
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, 6 | (opts.complex ? 0x0800 : 0), le);
  const dimBytes = new Uint8Array(4 * dims.length);
  dims.forEach((d, i) => new DataView(dimBytes.buffer).setInt32(4 * i, d, le));
  const vals = new Uint8Array(8 * values.length);
  values.forEach((v, i) => new DataView(vals.buffer).setFloat64(8 * i, v, le));
  const parts = [matElement(6, flags, le), matElement(5, dimBytes, le), matElement(1, Buffer.from(name, 'latin1'), le), matElement(9, vals, le)];
  if (opts.complex) parts.push(matElement(9, vals, le));
  return matElement(14, Buffer.concat(parts), le, false);
}

/** A whole MAT v5 file of the given top-level elements (optionally each wrapped in miCOMPRESSED). */
export function matFile(elements: Buffer[], opts: { le?: boolean; compress?: boolean } = {}): Buffer {
  const le = opts.le ?? true;
  const head = Buffer.alloc(128, 0x20);
  head.write('MATLAB 5.0 MAT-file, written by pann-aet tests', 0, 'latin1');
  head.fill(0, 116, 124);
  const dv = new DataView(head.buffer, head.byteOffset, 128);
  dv.setUint16(124, 0x0100, le);
  head.write(le ? 'IM' : 'MI', 126, 'latin1');
  const body = elements.map((e) => {
    if (!opts.compress) return e;
    const z = deflateSync(e);
    const tag = Buffer.alloc(8);
    const tv = new DataView(tag.buffer, tag.byteOffset, 8);
    tv.setUint32(0, 15, le);
    tv.setUint32(4, z.length, le);
    return Buffer.concat([tag, z]);
  });
  return Buffer.concat([head, ...body]);
}

/** Pearson correlation of two equal-length arrays. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Runs `fn`, expects a PannError of `code` whose message matches every part; returns it. */
export function expectPannError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): PannError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PannError);
  const pe = err as PannError;
  expect(pe.code).toBe(code);
  for (const p of parts) expect(pe.message).toMatch(p);
  return pe;
}


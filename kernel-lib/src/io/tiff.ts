/**
 * Multi-page greyscale TIFF stacks (one page per projection or per z slice), decoded with `utif`.
 *
 * Supported pages: one sample per pixel, 8 or 16 bit unsigned or signed integer, or 32-bit float;
 * every page the same size. The IFD chain is read here with every offset and count checked against
 * the file size, and utif (which does no bounds checks) is used only to decompress pixel data, so a
 * truncated, looping or otherwise damaged file gives a FORMAT error instead of garbage or a hang.
 * Compression: none, Deflate (8/32946, inflated with node:zlib, horizontal predictor undone) and
 * whatever utif decodes (LZW, PackBits, …; these paths are not covered by this project's tests).
 */
import { inflateSync } from 'node:zlib';
import { PannError } from '../core/errors';
import { readBytes } from './files';
// utif ships no type declarations; the little we use is typed here.
const UTIF: {
  decodeImage(buf: ArrayBuffer | Uint8Array, ifd: UtifIfd, ifds?: UtifIfd[]): void;
} = require('utif');

interface UtifIfd {
  [tag: string]: unknown;
  width?: number;
  height?: number;
  isLE?: boolean;
  data?: Uint8Array;
}

/** A decoded stack: pages × rows × columns, C order. */
export interface TiffStack {
  data: Float32Array;
  /** [nPages, ny, nx] */
  shape: [number, number, number];
}

const MAX_PAGES = 1 << 20;
/** Bytes per value of each TIFF field type (1 BYTE … 12 DOUBLE). */
const TYPE_BYTES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
};

/**
 * Reads the IFD chain itself, checking every offset and every value extent against the file size
 * (so no loop can run past the data), and returns the tags in utif's form (`t256: [width]`, …).
 * utif's own IFD reader is not used: it trusts counts and follows sub-IFD pointers recursively,
 * which hangs or recurses forever on damaged files. utif then only decompresses pixel data.
 */
function readIfds(buf: Uint8Array, fileName: string): UtifIfd[] {
  const fail = (problem: string): never => {
    throw new PannError('FORMAT', `not a readable TIFF file: ${problem}`, { file: fileName });
  };
  if (buf.length < 8) fail(`only ${buf.length} bytes`);
  const order = String.fromCharCode(buf[0], buf[1]);
  if (order !== 'II' && order !== 'MM') fail("missing the 'II'/'MM' byte-order mark");
  const le = order === 'II';
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint16(2, le);
  if (magic === 43) fail('BigTIFF files are not supported');
  if (magic !== 42) fail(`bad magic number ${magic} (expected 42)`);
  let at = dv.getUint32(4, le);
  const seen = new Set<number>();
  const ifds: UtifIfd[] = [];
  while (at !== 0) {
    const page = ifds.length + 1;
    if (seen.has(at)) fail(`the IFD chain loops back to byte ${at}`);
    seen.add(at);
    if (at + 2 > buf.length)
      fail(`truncated: IFD ${page} at byte ${at} lies beyond the end (${buf.length} bytes)`);
    const count = dv.getUint16(at, le);
    const end = at + 2 + 12 * count + 4;
    if (end > buf.length) fail(`truncated: IFD ${page} with ${count} entries runs past the end of the file`);
    const ifd: UtifIfd = {};
    for (let e = 0; e < count; e++) {
      const p = at + 2 + 12 * e;
      const tagId = dv.getUint16(p, le),
        type = dv.getUint16(p + 2, le),
        n = dv.getUint32(p + 4, le);
      const size = TYPE_BYTES[type];
      if (size === undefined) continue; // unknown field types are skipped, as the TIFF spec asks
      const inline = n * size <= 4;
      const v = inline ? p + 8 : dv.getUint32(p + 8, le);
      if (v + n * size > buf.length)
        fail(`truncated: IFD ${page} tag ${tagId} (${n} values) lies beyond the end of the file`);
      let values: unknown;
      if (type === 2) values = [Buffer.from(buf.subarray(v, v + Math.max(0, n - 1))).toString('latin1')];
      else if (type === 7 || type === 1) values = buf.slice(v, v + n);
      else {
        const arr: number[] = new Array(n);
        for (let j = 0; j < n; j++) {
          const o = v + j * size;
          arr[j] =
            type === 3
              ? dv.getUint16(o, le)
              : type === 4
                ? dv.getUint32(o, le)
                : type === 6
                  ? dv.getInt8(o)
                  : type === 8
                    ? dv.getInt16(o, le)
                    : type === 9
                      ? dv.getInt32(o, le)
                      : type === 11
                        ? dv.getFloat32(o, le)
                        : type === 12
                          ? dv.getFloat64(o, le)
                          : type === 5
                            ? dv.getUint32(o, le) / dv.getUint32(o + 4, le)
                            : dv.getInt32(o, le) / dv.getInt32(o + 4, le);
        }
        values = arr;
      }
      ifd[`t${tagId}`] = values;
    }
    // Strip/tile extents (offsets 273/324, byte counts 279/325) must lie inside the file.
    const offs = (ifd.t273 ?? ifd.t324) as number[] | undefined;
    const counts = (ifd.t279 ?? ifd.t325) as number[] | undefined;
    if (ifd.t256 !== undefined) {
      if (!offs) fail(`IFD ${page} has no strip or tile offsets`);
      if (counts) {
        if (counts.length !== offs!.length)
          fail(`IFD ${page}: ${offs!.length} strip offsets but ${counts.length} byte counts`);
        for (let k = 0; k < offs!.length; k++)
          if (offs![k] + counts[k] > buf.length)
            fail(
              `truncated: page ${page} strip ${k} needs bytes ${offs![k]}…${offs![k] + counts[k]} but the file has ${buf.length}`,
            );
      }
    }
    ifds.push(ifd);
    if (ifds.length > MAX_PAGES) fail('too many pages');
    at = dv.getUint32(end - 4, le);
  }
  if (ifds.length === 0) fail('no image pages');
  return ifds;
}

function tag(ifd: UtifIfd, t: number, dflt: number): number {
  const v = ifd[`t${t}`] as number[] | undefined;
  return v && v.length ? v[0] : dflt;
}

/**
 * Inflates a Deflate-compressed (8 / 32946) stripped page and undoes a horizontal predictor
 * (317 = 2) for 8/16-bit samples. Returns the page bytes in the file's byte order.
 */
function inflatePage(
  buf: Uint8Array,
  ifd: UtifIfd,
  w: number,
  h: number,
  bits: number,
  page: number,
  fail: (p: string) => never,
): { w: number; h: number; bytes: Uint8Array } {
  if (ifd.t322 !== undefined) fail(`page ${page + 1}: tiled Deflate pages are not supported`);
  const offs = ifd.t273 as number[] | undefined,
    counts = ifd.t279 as number[] | undefined;
  if (!offs || !counts) fail(`page ${page + 1}: Deflate page without strip offsets and byte counts`);
  const need = w * h * (bits / 8);
  const bytes = new Uint8Array(need);
  let filled = 0;
  for (let s = 0; s < offs!.length && filled < need; s++) {
    let strip: Uint8Array;
    try {
      strip = inflateSync(buf.subarray(offs![s], offs![s] + counts![s]));
    } catch (e) {
      return fail(`page ${page + 1} strip ${s}: Deflate data do not inflate (${(e as Error).message})`);
    }
    const take = Math.min(strip.length, need - filled);
    bytes.set(strip.subarray(0, take), filled);
    filled += take;
  }
  if (filled < need) fail(`truncated: page ${page + 1} inflates to ${filled} bytes, expected ${need}`);
  const predictor = tag(ifd, 317, 1);
  if (predictor === 2) {
    const le = buf[0] === 0x49;
    if (bits === 8) {
      for (let y = 0; y < h; y++)
        for (let x = 1; x < w; x++) bytes[y * w + x] = (bytes[y * w + x] + bytes[y * w + x - 1]) & 0xff;
    } else if (bits === 16) {
      const dv = new DataView(bytes.buffer);
      for (let y = 0; y < h; y++)
        for (let x = 1; x < w; x++) {
          const o = 2 * (y * w + x);
          dv.setUint16(o, (dv.getUint16(o, le) + dv.getUint16(o - 2, le)) & 0xffff, le);
        }
    } else fail(`page ${page + 1}: horizontal predictor on ${bits}-bit samples is not supported`);
  } else if (predictor !== 1) {
    fail(`page ${page + 1}: TIFF predictor ${predictor} is not supported (1 none, 2 horizontal)`);
  }
  return { w, h, bytes };
}

/**
 * Decodes a multi-page greyscale TIFF held in memory into a float32 stack.
 * @param buf the whole file
 * @param fileName name used in error messages
 * @returns pages stacked as [nPages, ny, nx], row 0 = the first row stored in the file
 */
export function parseTiffStack(buf: Uint8Array, fileName: string): TiffStack {
  const fail = (problem: string): never => {
    throw new PannError('FORMAT', `not a readable TIFF stack: ${problem}`, { file: fileName });
  };
  const ifds = readIfds(buf, fileName).filter((d) => d.t256 !== undefined); // image IFDs only
  if (ifds.length === 0) fail('no image pages');
  // utif indexes from the start of the ArrayBuffer, so give it an exact copy.
  const ab = Uint8Array.from(buf);
  const fileLE = buf[0] === 0x49; // 'II'
  let nx = 0,
    ny = 0;
  let data = new Float32Array(0);
  ifds.forEach((ifd, page) => {
    const bits = tag(ifd, 258, 1),
      spp = tag(ifd, 277, 1),
      fmt = tag(ifd, 339, 1),
      compression = tag(ifd, 259, 1);
    if (spp !== 1)
      fail(`page ${page + 1} has ${spp} samples per pixel; only greyscale (1 sample) is supported`);
    const kind = `${fmt === 3 ? 'float' : fmt === 2 ? 'int' : 'uint'}${bits}`;
    if (!['uint8', 'int8', 'uint16', 'int16', 'float32'].includes(kind))
      fail(
        `page ${page + 1} has ${bits}-bit ${kind.replace(/\d+$/, '')} samples; supported: 8/16-bit integer or 32-bit float`,
      );
    // utif trusts width × height; check them against the strips before it allocates and copies.
    const w0 = tag(ifd, 256, 0),
      h0 = tag(ifd, 257, 0),
      need = w0 * h0 * (bits / 8);
    if (!(w0 > 0 && h0 > 0) || need > 2 ** 31) fail(`page ${page + 1} has an implausible size ${w0}×${h0}`);
    if (compression === 1) {
      const offs = (ifd.t273 ?? ifd.t324) as number[] | undefined;
      const counts = (ifd.t279 ?? ifd.t325) as number[] | undefined;
      const have = counts
        ? counts.reduce((a, b) => a + b, 0)
        : offs && offs.length === 1
          ? buf.length - offs[0]
          : 0;
      if (have < need)
        fail(
          `truncated: page ${page + 1} (${w0}×${h0}, ${bits}-bit) needs ${need} bytes of pixel data but its strips hold ${have}`,
        );
    }
    let w: number, h: number, bytes: Uint8Array, le: boolean;
    if (compression === 8 || compression === 32946) {
      // Deflate: inflated here with node:zlib (utif expects a global `pako`, absent in Node).
      ({ w, h, bytes } = inflatePage(buf, ifd, w0, h0, bits, page, fail));
      le = fileLE;
    } else {
      try {
        UTIF.decodeImage(ab.buffer, ifd, ifds);
      } catch (e) {
        fail(`page ${page + 1} (compression ${compression}) could not be decoded: ${(e as Error).message}`);
      }
      w = ifd.width!;
      h = ifd.height!;
      bytes = ifd.data!;
      // utif swaps 16-bit big-endian samples to little-endian itself, but not 32-bit ones.
      le = bits === 16 ? true : fileLE;
    }
    if (page === 0) {
      nx = w;
      ny = h;
      data = new Float32Array(ifds.length * nx * ny);
    } else if (w !== nx || h !== ny) {
      fail(`page ${page + 1} is ${w}×${h} but page 1 is ${nx}×${ny}; all pages must be the same size`);
    }
    const n = w * h,
      bpp = bits / 8;
    if (!bytes || bytes.length < n * bpp)
      fail(`page ${page + 1} decoded to ${bytes?.length ?? 0} bytes, expected ${n * bpp}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = page * n;
    for (let i = 0; i < n; i++) {
      switch (kind) {
        case 'uint8':
          data[base + i] = bytes[i];
          break;
        case 'int8':
          data[base + i] = dv.getInt8(i);
          break;
        case 'uint16':
          data[base + i] = dv.getUint16(2 * i, le);
          break;
        case 'int16':
          data[base + i] = dv.getInt16(2 * i, le);
          break;
        default:
          data[base + i] = dv.getFloat32(4 * i, le);
      }
    }
  });
  return { data, shape: [ifds.length, ny, nx] };
}

/**
 * Reads a multi-page greyscale TIFF file.
 * @param filePath path of the .tif/.tiff file
 */
export function readTiffStack(filePath: string): TiffStack {
  return parseTiffStack(readBytes(filePath), filePath);
}

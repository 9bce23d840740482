/**
 * Multi-page greyscale TIFF stacks (one page per projection or per z slice), decoded with `utif`.
 *
 * Supported pages: one sample per pixel, 8 or 16 bit unsigned or signed integer, or 32-bit float;
 * every page the same size. Before handing the file to utif (which does no bounds checks), the IFD
 * chain and the uncompressed strip extents are checked here, so a truncated or looping file gives a
 * FORMAT error instead of garbage or a hang.
 */
import { PannError } from '../core/errors';
import { readBytes } from './files';
// utif ships no type declarations; the little we use is typed here.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const UTIF: {
  decode(buf: ArrayBuffer | Uint8Array): UtifIfd[];
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

/** Walks the IFD chain, checking every offset; returns the page count. */
function checkStructure(buf: Uint8Array, fileName: string): number {
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
  let ifd = dv.getUint32(4, le);
  const seen = new Set<number>();
  let pages = 0;
  while (ifd !== 0) {
    if (seen.has(ifd)) fail(`the IFD chain loops back to byte ${ifd}`);
    seen.add(ifd);
    if (ifd + 2 > buf.length) fail(`truncated: IFD ${pages + 1} at byte ${ifd} lies beyond the end (${buf.length} bytes)`);
    const count = dv.getUint16(ifd, le);
    const end = ifd + 2 + 12 * count + 4;
    if (end > buf.length) fail(`truncated: IFD ${pages + 1} with ${count} entries runs past the end of the file`);
    // Check strip/tile extents (offsets 273/324, byte counts 279/325) against the file size.
    const values = (tag: number): number[] | undefined => {
      for (let e = 0; e < count; e++) {
        const p = ifd + 2 + 12 * e;
        if (dv.getUint16(p, le) !== tag) continue;
        const type = dv.getUint16(p + 2, le), n = dv.getUint32(p + 4, le);
        const size = type === 3 ? 2 : type === 4 ? 4 : 0;
        if (!size) fail(`IFD ${pages + 1}: tag ${tag} has unexpected type ${type}`);
        const at = n * size <= 4 ? p + 8 : dv.getUint32(p + 8, le);
        if (at + n * size > buf.length) fail(`truncated: IFD ${pages + 1} tag ${tag} values lie beyond the end of the file`);
        return Array.from({ length: n }, (_, i) => (size === 2 ? dv.getUint16(at + 2 * i, le) : dv.getUint32(at + 4 * i, le)));
      }
      return undefined;
    };
    const offs = values(273) ?? values(324);
    const counts = values(279) ?? values(325);
    if (!offs) fail(`IFD ${pages + 1} has no strip or tile offsets`);
    if (counts) {
      if (counts.length !== offs!.length) fail(`IFD ${pages + 1}: ${offs!.length} strip offsets but ${counts.length} byte counts`);
      for (let s = 0; s < offs!.length; s++)
        if (offs![s] + counts[s] > buf.length)
          fail(`truncated: page ${pages + 1} strip ${s} needs bytes ${offs![s]}…${offs![s] + counts[s]} but the file has ${buf.length}`);
    }
    pages++;
    if (pages > MAX_PAGES) fail('too many pages');
    ifd = dv.getUint32(end - 4, le);
  }
  if (pages === 0) fail('no image pages');
  return pages;
}

function tag(ifd: UtifIfd, t: number, dflt: number): number {
  const v = ifd[`t${t}`] as number[] | undefined;
  return v && v.length ? v[0] : dflt;
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
  checkStructure(buf, fileName);
  // utif indexes from the start of the ArrayBuffer, so give it an exact copy.
  const ab = Uint8Array.from(buf);
  let ifds: UtifIfd[];
  try {
    ifds = UTIF.decode(ab.buffer);
  } catch (e) {
    return fail(`utif could not parse it (${(e as Error).message})`);
  }
  ifds = ifds.filter((d) => d.t256 !== undefined); // skip non-image IFDs (e.g. thumbnails' EXIF)
  let nx = 0, ny = 0;
  let data = new Float32Array(0);
  ifds.forEach((ifd, page) => {
    const bits = tag(ifd, 258, 1), spp = tag(ifd, 277, 1), fmt = tag(ifd, 339, 1), compression = tag(ifd, 259, 1);
    if (spp !== 1) fail(`page ${page + 1} has ${spp} samples per pixel; only greyscale (1 sample) is supported`);
    const kind = `${fmt === 3 ? 'float' : fmt === 2 ? 'int' : 'uint'}${bits}`;
    if (!['uint8', 'int8', 'uint16', 'int16', 'float32'].includes(kind))
      fail(`page ${page + 1} has ${bits}-bit ${kind.replace(/\d+$/, '')} samples; supported: 8/16-bit integer or 32-bit float`);
    try {
      UTIF.decodeImage(ab.buffer, ifd, ifds);
    } catch (e) {
      fail(`page ${page + 1} (compression ${compression}) could not be decoded: ${(e as Error).message}`);
    }
    const w = ifd.width!, h = ifd.height!, bytes = ifd.data!;
    if (page === 0) {
      nx = w;
      ny = h;
      data = new Float32Array(ifds.length * nx * ny);
    } else if (w !== nx || h !== ny) {
      fail(`page ${page + 1} is ${w}×${h} but page 1 is ${nx}×${ny}; all pages must be the same size`);
    }
    const n = w * h, bpp = bits / 8;
    if (!bytes || bytes.length < n * bpp) fail(`page ${page + 1} decoded to ${bytes?.length ?? 0} bytes, expected ${n * bpp}`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // utif swaps 16-bit big-endian samples to little-endian itself, but not 32-bit ones.
    const le = bits === 16 ? true : ifd.isLE !== false;
    const base = page * n;
    for (let i = 0; i < n; i++) {
      switch (kind) {
        case 'uint8': data[base + i] = bytes[i]; break;
        case 'int8': data[base + i] = dv.getInt8(i); break;
        case 'uint16': data[base + i] = dv.getUint16(2 * i, le); break;
        case 'int16': data[base + i] = dv.getInt16(2 * i, le); break;
        default: data[base + i] = dv.getFloat32(4 * i, le);
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

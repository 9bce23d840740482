/**
 * MRC / CCP4 map files (MRC2014, https://www.ccpem.ac.uk/mrc_format/mrc2014.php).
 *
 * Reading: modes 0 (int8), 1 (int16), 2 (float32) and 6 (uint16), either byte order (from the
 * machine stamp), an extended header of `nsymbt` bytes, and any mapc/mapr/maps axis order (the data
 * are permuted to x fastest). Every size is checked against the header before any data are read.
 * Writing: mode 2 (float32), little-endian, mapc/mapr/maps = 1, 2, 3, cell = shape · voxelSize.
 *
 * Volume shape is [nz, ny, nx] (C order, x fastest), the same memory order as MRC with the standard
 * axis order, so a standard file is read without any reordering. For an image stack (a tilt series)
 * nz is the number of images.
 */
import { PannError } from '../core/errors';
import type { Volume } from '../core/types';
import { readBytes, writeFile } from './files';
import { nonFiniteError } from './checks';

/** The fields of an MRC header a user may want to inspect. */
export interface MrcHeader {
  /** Columns, rows, sections as stored in the file. */
  nc: number;
  nr: number;
  ns: number;
  /** Data mode: 0 int8, 1 int16, 2 float32, 6 uint16. */
  mode: number;
  /** Grid sampling along x, y, z. */
  mx: number;
  my: number;
  mz: number;
  /** Cell edge lengths in Å along x, y, z. */
  cellA: [number, number, number];
  /** Which axis (1 = x, 2 = y, 3 = z) runs along columns, rows, sections. */
  mapc: number;
  mapr: number;
  maps: number;
  dmin: number;
  dmax: number;
  dmean: number;
  rms: number;
  /** Space group: 0 for an image stack, 1 for a volume. */
  ispg: number;
  /** Extended header length in bytes. */
  nsymbt: number;
  /** Extended header type, e.g. "FEI1" ("" when absent). */
  exttyp: string;
  /** MRC format version (20140 for MRC2014; 0 in older files). */
  nversion: number;
  /** Origin in Å (x, y, z). */
  originA: [number, number, number];
  /** True when the data are little-endian. */
  littleEndian: boolean;
  /** Text labels. */
  labels: string[];
}

/** Result of reading an MRC file. */
export interface MrcReadResult {
  volume: Volume;
  header: MrcHeader;
  /** Things a user should know but that do not stop the read (e.g. a missing voxel size → 1 Å). */
  warnings: string[];
  /** False when the header held no usable voxel size and 1 Å was assumed. */
  voxelSizeKnown: boolean;
}

const HEADER_BYTES = 1024;
const BYTES_PER_MODE: Record<number, number> = { 0: 1, 1: 2, 2: 4, 6: 2 };
const MODE_NAMES: Record<number, string> = { 0: 'int8', 1: 'int16', 2: 'float32', 6: 'uint16' };
const SUPPORTED_MODES = 'mode 0 (int8), 1 (int16), 2 (float32) or 6 (uint16)';
/** IMOD's stamp: when present, bit 0 of imodFlags says whether mode-0 bytes are signed. */
const IMOD_STAMP = 1146047817;

/**
 * Parses an MRC file held in memory.
 * @param buf the whole file
 * @param fileName name used in error messages
 * @returns the volume [nz, ny, nx] (voxel size in Å from cella.x / mx), the header and any warnings
 */
export function parseMrc(buf: Uint8Array, fileName: string): MrcReadResult {
  const fail = (problem: string): never => {
    throw new PannError('FORMAT', `not a readable MRC file: ${problem}`, { file: fileName });
  };
  if (buf.length < HEADER_BYTES) fail(`the file has ${buf.length} bytes, fewer than the 1024-byte MRC header (truncated?)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

  // Byte order: the machine stamp says it (0x44 little, 0x11 big); old files without a stamp are
  // recognised by which order gives a plausible mode.
  const stamp = buf[212];
  let le = stamp === 0x44 ? true : stamp === 0x11 ? false : undefined;
  if (le === undefined) {
    const modeLE = dv.getInt32(12, true);
    le = modeLE >= 0 && modeLE < 32;
  }
  const i32 = (o: number) => dv.getInt32(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);

  const nc = i32(0), nr = i32(4), ns = i32(8), mode = i32(12);
  if (!(nc > 0 && nr > 0 && ns > 0)) fail(`dimensions nx, ny, nz = ${nc}, ${nr}, ${ns} must all be positive`);
  const bpv = BYTES_PER_MODE[mode];
  if (bpv === undefined) fail(`unsupported data mode ${mode}; supported: ${SUPPORTED_MODES}`);
  let mapc = i32(64), mapr = i32(68), maps = i32(72);
  if (mapc === 0 && mapr === 0 && maps === 0) [mapc, mapr, maps] = [1, 2, 3]; // some writers leave them 0
  if ([mapc, mapr, maps].sort().join() !== '1,2,3')
    fail(`axis order mapc, mapr, maps = ${mapc}, ${mapr}, ${maps} is not a permutation of 1, 2, 3`);
  const nsymbt = i32(92);
  if (nsymbt < 0) fail(`negative extended header length nsymbt = ${nsymbt}`);
  const nVox = nc * nr * ns;
  const need = HEADER_BYTES + nsymbt + nVox * bpv;
  if (!Number.isSafeInteger(need)) fail(`dimensions ${nc}×${nr}×${ns} are implausibly large`);
  if (buf.length < need)
    fail(
      `truncated: the header (${nc}×${nr}×${ns} voxels, mode ${mode} = ${MODE_NAMES[mode]}, ${nsymbt}-byte extended header) ` +
        `needs ${need} bytes but the file has ${buf.length}`,
    );
  const warnings: string[] = [];
  if (buf.length > need) warnings.push(`${buf.length - need} bytes after the data were ignored`);

  const mx = i32(28), my = i32(32), mz = i32(36);
  const cellA: [number, number, number] = [f32(40), f32(44), f32(48)];
  const nlabl = Math.max(0, Math.min(10, i32(220)));
  const labels: string[] = [];
  for (let l = 0; l < nlabl; l++) labels.push(Buffer.from(buf.subarray(224 + 80 * l, 304 + 80 * l)).toString('latin1').trimEnd());
  const header: MrcHeader = {
    nc, nr, ns, mode, mx, my, mz, cellA, mapc, mapr, maps,
    dmin: f32(76), dmax: f32(80), dmean: f32(84), rms: f32(216),
    ispg: i32(88), nsymbt,
    exttyp: Buffer.from(buf.subarray(104, 108)).toString('latin1').replace(/\0/g, '').trim(),
    nversion: i32(108),
    originA: [f32(196), f32(200), f32(204)],
    littleEndian: le, labels,
  };

  // Mode 0 is signed in MRC2014; IMOD files without the "signed" flag hold unsigned bytes.
  const unsignedBytes = mode === 0 && i32(152) === IMOD_STAMP && (buf[156] & 1) === 0;

  // Decode into file order (sections, rows, columns), then permute to (z, y, x) if needed.
  const raw = new Float32Array(nVox);
  const off = HEADER_BYTES + nsymbt;
  if (mode === 0) {
    for (let i = 0; i < nVox; i++) raw[i] = unsignedBytes ? buf[off + i] : (buf[off + i] << 24) >> 24;
  } else if (mode === 1) {
    for (let i = 0; i < nVox; i++) raw[i] = dv.getInt16(off + 2 * i, le);
  } else if (mode === 6) {
    for (let i = 0; i < nVox; i++) raw[i] = dv.getUint16(off + 2 * i, le);
  } else if (le) {
    // Little-endian float32 (the common case): one bulk copy instead of a DataView loop.
    new Uint8Array(raw.buffer).set(buf.subarray(off, off + 4 * nVox));
  } else {
    for (let i = 0; i < nVox; i++) raw[i] = dv.getFloat32(off + 4 * i, le);
  }

  // Size along x, y, z (axis a = 1, 2, 3) of the file's columns/rows/sections.
  const size = [0, 0, 0];
  size[mapc - 1] = nc;
  size[mapr - 1] = nr;
  size[maps - 1] = ns;
  const [nx, ny, nz] = size;
  let data = raw;
  if (!(mapc === 1 && mapr === 2 && maps === 3)) {
    data = new Float32Array(nVox);
    const stride = [1, nx, nx * ny]; // C-order stride of x, y, z in the output
    const sc = stride[mapc - 1], sr = stride[mapr - 1], ss = stride[maps - 1];
    let i = 0;
    for (let s = 0; s < ns; s++)
      for (let r = 0; r < nr; r++) {
        const base = s * ss + r * sr;
        for (let c = 0; c < nc; c++) data[base + c * sc] = raw[i++];
      }
  }

  let voxelSizeA = mx > 0 && cellA[0] > 0 ? cellA[0] / mx : NaN;
  const voxelSizeKnown = Number.isFinite(voxelSizeA) && voxelSizeA > 0;
  if (!voxelSizeKnown) {
    warnings.push(`no voxel size in the header (cella.x = ${cellA[0]}, mx = ${mx}); using 1 Å`);
    voxelSizeA = 1;
  } else {
    const vy = my > 0 ? cellA[1] / my : NaN, vz = mz > 0 ? cellA[2] / mz : NaN;
    for (const [name, v] of [['y', vy], ['z', vz]] as const)
      if (Number.isFinite(v) && v > 0 && Math.abs(v - voxelSizeA) > 1e-4 * voxelSizeA)
        warnings.push(`anisotropic voxels: ${name} voxel ${v} Å differs from x voxel ${voxelSizeA} Å; using the x value`);
  }
  return { volume: { data, shape: [nz, ny, nx], voxelSizeA }, header, warnings, voxelSizeKnown };
}

/**
 * Reads an MRC file.
 * @param filePath path of the .mrc/.map/.st/.rec file
 */
export function readMrc(filePath: string): MrcReadResult {
  return parseMrc(readBytes(filePath), filePath);
}

/** Options for writing MRC files. */
export interface MrcWriteOptions {
  /** Mark the file as an image stack (ispg = 0, e.g. a tilt series) instead of a volume (ispg = 1). */
  imageStack?: boolean;
  /** A text label (≤ 80 ASCII characters) stored in the header. */
  label?: string;
  /** Name used in error messages. */
  fileName?: string;
}

/**
 * Serialises a volume as an MRC2014 file: mode 2 (float32), little-endian, cell = shape · voxelSizeA,
 * 'MAP ' stamp, machine stamp, min/max/mean/rms.
 * @param volume data [nz, ny, nx], voxel size in Å; every value must be finite
 * @param opts see {@link MrcWriteOptions}
 */
export function serializeMrc(volume: Volume, opts: MrcWriteOptions = {}): Buffer {
  const [nz, ny, nx] = volume.shape;
  const n = nz * ny * nx;
  if (!(nz > 0 && ny > 0 && nx > 0) || volume.data.length !== n)
    throw new PannError('SHAPE', `volume data length ${volume.data.length} does not match shape [${volume.shape.join(', ')}]`, {
      file: opts.fileName, field: 'shape',
    });
  if (!(volume.voxelSizeA > 0 && Number.isFinite(volume.voxelSizeA)))
    throw new PannError('VALUE', `voxelSizeA must be a positive number of Å, got ${volume.voxelSizeA}`, { file: opts.fileName, field: 'voxelSizeA' });
  const d = volume.data;
  let min = Infinity, max = -Infinity, sum = 0, sum2 = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    if (v - v !== 0) throw nonFiniteError(v, i, volume.shape, opts.fileName); // NaN or ±Inf (see checks.ts)
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / n;
  for (let i = 0; i < n; i++) sum2 += (d[i] - mean) ** 2;
  const rms = Math.sqrt(sum2 / n);

  const buf = Buffer.alloc(HEADER_BYTES + 4 * n);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const i32 = (o: number, v: number) => dv.setInt32(o, v, true);
  const f32 = (o: number, v: number) => dv.setFloat32(o, v, true);
  i32(0, nx); i32(4, ny); i32(8, nz); i32(12, 2);
  i32(28, nx); i32(32, ny); i32(36, nz);
  f32(40, nx * volume.voxelSizeA); f32(44, ny * volume.voxelSizeA); f32(48, nz * volume.voxelSizeA);
  f32(52, 90); f32(56, 90); f32(60, 90);
  i32(64, 1); i32(68, 2); i32(72, 3);
  f32(76, min); f32(80, max); f32(84, mean);
  i32(88, opts.imageStack ? 0 : 1);
  i32(92, 0);
  i32(108, 20140);
  buf.write('MAP ', 208, 'latin1');
  buf[212] = 0x44; buf[213] = 0x44; // little-endian machine stamp
  f32(216, rms);
  const label = (opts.label ?? 'pann-aet').replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
  i32(220, 1);
  buf.write(label.padEnd(80, ' '), 224, 'latin1');
  // Bulk copy: Buffer.alloc memory is unpooled (offset 0) and every supported Node host is little-endian.
  new Float32Array(buf.buffer, buf.byteOffset + HEADER_BYTES, n).set(d);
  return buf;
}

/**
 * Writes a volume as an MRC2014 float32 file.
 * @param filePath destination path
 * @param volume data [nz, ny, nx], voxel size in Å
 * @param opts see {@link MrcWriteOptions}
 */
export function writeMrc(filePath: string, volume: Volume, opts: MrcWriteOptions = {}): void {
  writeFile(filePath, serializeMrc(volume, { ...opts, fileName: filePath }));
}

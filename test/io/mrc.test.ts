import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import { parseMrc, readMrc, serializeMrc, writeMrc } from '../../kernel-lib/src/io/mrc';
import type { Volume } from '../../kernel-lib/src/core/types';
import { expectPannError, tempDir } from './helpers';

function randomVolume(shape: [number, number, number], seed: number, voxelSizeA = 0.35): Volume {
  const rng = createRng(seed);
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 3 + 1;
  return { data, shape, voxelSizeA };
}

/** An MRC file built field by field (independent of serializeMrc) for the reader's other modes. */
function mrcBuffer(
  mode: number,
  values: number[],
  dims: [number, number, number], // nc, nr, ns
  opts: { nsymbt?: number; map?: [number, number, number]; le?: boolean; cellA?: number[]; m?: number[] } = {},
): Buffer {
  const le = opts.le ?? true;
  const bpv = { 0: 1, 1: 2, 2: 4, 6: 2 }[mode] ?? 4;
  const nsymbt = opts.nsymbt ?? 0;
  const buf = Buffer.alloc(1024 + nsymbt + values.length * bpv);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dims.forEach((d, i) => dv.setInt32(4 * i, d, le));
  dv.setInt32(12, mode, le);
  (opts.m ?? [1, 1, 1]).forEach((d, i) => dv.setInt32(28 + 4 * i, d, le));
  (opts.cellA ?? [0.5, 0.5, 0.5]).forEach((c, i) => dv.setFloat32(40 + 4 * i, c, le));
  (opts.map ?? [1, 2, 3]).forEach((m, i) => dv.setInt32(64 + 4 * i, m, le));
  dv.setInt32(92, nsymbt, le);
  buf.write('MAP ', 208, 'latin1');
  buf[212] = le ? 0x44 : 0x11;
  buf[213] = le ? 0x44 : 0x11;
  buf.fill(0xab, 1024, 1024 + nsymbt); // extended header junk that must be skipped
  const off = 1024 + nsymbt;
  values.forEach((v, i) => {
    if (mode === 0) dv.setInt8(off + i, v);
    else if (mode === 1) dv.setInt16(off + 2 * i, v, le);
    else if (mode === 6) dv.setUint16(off + 2 * i, v, le);
    else dv.setFloat32(off + 4 * i, v, le);
  });
  return buf;
}

describe('MRC', () => {
  it('round-trips a float32 volume with a correct MRC2014 header', () => {
    const { dir, cleanup } = tempDir();
    try {
      const vol = randomVolume([5, 7, 9], 1);
      const file = path.join(dir, 'v.mrc');
      writeMrc(file, vol);
      const raw = fs.readFileSync(file);
      expect(raw.length).toBe(1024 + 4 * 5 * 7 * 9);
      expect(raw.toString('latin1', 208, 212)).toBe('MAP ');
      expect([raw[212], raw[213]]).toEqual([0x44, 0x44]);
      const { volume, header, warnings } = readMrc(file);
      expect(warnings).toEqual([]);
      expect(volume.shape).toEqual([5, 7, 9]);
      expect(Array.from(volume.data)).toEqual(Array.from(vol.data));
      expect(volume.voxelSizeA).toBeCloseTo(0.35, 6);
      expect(header.mode).toBe(2);
      expect([header.nc, header.nr, header.ns]).toEqual([9, 7, 5]);
      expect(header.cellA[0]).toBeCloseTo(9 * 0.35, 5);
      expect(header.cellA[1]).toBeCloseTo(7 * 0.35, 5);
      expect(header.cellA[2]).toBeCloseTo(5 * 0.35, 5);
      expect(header.nversion).toBe(20140);
      const d = Array.from(vol.data);
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      const rms = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
      expect(header.dmin).toBe(Math.min(...vol.data));
      expect(header.dmax).toBe(Math.max(...vol.data));
      expect(header.dmean).toBeCloseTo(mean, 4);
      expect(header.rms).toBeCloseTo(rms, 4);
    } finally {
      cleanup();
    }
  });

  it.each([
    [0, [-128, -1, 0, 5, 127, 3]],
    [1, [-32768, -2, 0, 300, 32767, 7]],
    [2, [-1.5, 0.25, 1e-3, 7, 8, 9]],
    [6, [0, 1, 40000, 65535, 2, 3]],
  ])('reads mode %i', (mode, values) => {
    const { volume } = parseMrc(mrcBuffer(mode, values, [3, 2, 1]), 'm.mrc');
    expect(volume.shape).toEqual([1, 2, 3]);
    expect(Array.from(volume.data)).toEqual(values.map((v) => Math.fround(v)));
  });

  it('reads big-endian files and skips the extended header', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8];
    const { volume, header } = parseMrc(mrcBuffer(1, values, [2, 2, 2], { le: false, nsymbt: 96 }), 'be.mrc');
    expect(header.littleEndian).toBe(false);
    expect(header.nsymbt).toBe(96);
    expect(Array.from(volume.data)).toEqual(values);
  });

  it('takes the voxel size from cella.x / mx and warns (1 Å) when it is missing', () => {
    const a = parseMrc(mrcBuffer(2, [0, 0, 0, 0], [2, 2, 1], { m: [2, 2, 1], cellA: [1.2, 1.2, 0.6] }), 'a.mrc');
    expect(a.volume.voxelSizeA).toBeCloseTo(0.6, 6);
    expect(a.warnings).toEqual([]);
    const b = parseMrc(mrcBuffer(2, [0, 0, 0, 0], [2, 2, 1], { m: [0, 0, 0], cellA: [0, 0, 0] }), 'b.mrc');
    expect(b.volume.voxelSizeA).toBe(1);
    expect(b.warnings.join()).toMatch(/no voxel size.*1 Å/);
  });

  it('permutes a non-standard axis order (mapc, mapr, maps) = (3, 1, 2) into [nz, ny, nx]', () => {
    const [nx, ny, nz] = [4, 3, 2];
    // columns run along z, rows along x, sections along y: value = 100 z + 10 y + x
    const values: number[] = [];
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) for (let z = 0; z < nz; z++) values.push(100 * z + 10 * y + x);
    const { volume } = parseMrc(mrcBuffer(2, values, [nz, nx, ny], { map: [3, 1, 2] }), 'p.mrc');
    expect(volume.shape).toEqual([nz, ny, nx]);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) expect(volume.data[(k * ny + j) * nx + i]).toBe(100 * k + 10 * j + i);
  });

  it('rejects a truncated file, naming the file and the byte counts', () => {
    const full = serializeMrc(randomVolume([4, 4, 4], 2));
    expectPannError(() => parseMrc(full.subarray(0, full.length - 10), 'cut.mrc'), 'FORMAT', /truncated/, /needs 1280 bytes/, /1270/, /cut\.mrc/);
    expectPannError(() => parseMrc(full.subarray(0, 500), 'tiny.mrc'), 'FORMAT', /1024-byte MRC header/, /tiny\.mrc/);
  });

  it('rejects an unsupported mode and a bad axis order', () => {
    const bad = mrcBuffer(2, [1, 2], [2, 1, 1]);
    bad.writeInt32LE(4, 12); // complex float32
    expectPannError(() => parseMrc(bad, 'mode4.mrc'), 'FORMAT', /unsupported data mode 4/, /float32/, /mode4\.mrc/);
    expectPannError(() => parseMrc(mrcBuffer(2, [1, 2], [2, 1, 1], { map: [1, 1, 3] }), 'ax.mrc'), 'FORMAT', /mapc, mapr, maps = 1, 1, 3/);
  });

  it('refuses to write NaN, naming the voxel', () => {
    const vol = randomVolume([2, 3, 4], 3);
    vol.data[(1 * 3 + 2) * 4 + 1] = NaN;
    expectPannError(() => serializeMrc(vol, { fileName: 'nan.mrc' }), 'VALUE', /NaN/, /\(k, j, i\) = \(1, 2, 1\)/, /nan\.mrc/);
  });
});


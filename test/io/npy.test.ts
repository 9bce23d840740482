import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import { NpyData, parseNpy, readNpy, serializeNpy, writeNpy } from '../../kernel-lib/src/io/npy';
import { FIXTURES, expectPannError, tempDir } from './helpers';

const SHAPE = [2, 3, 4];

/** Distinct values that fit every dtype (0…23 scaled into range). */
function sample(make: (n: number) => NpyData, scale: number): NpyData {
  const a = make(24);
  for (let i = 0; i < 24; i++) a[i] = i * scale;
  return a;
}

const CASES: [string, () => NpyData][] = [
  ['<f4', () => sample((n) => new Float32Array(n), -0.75)],
  ['<f8', () => sample((n) => new Float64Array(n), 1e-3)],
  ['<i2', () => sample((n) => new Int16Array(n), -1000)],
  ['<u2', () => sample((n) => new Uint16Array(n), 2500)],
  ['|u1', () => sample((n) => new Uint8Array(n), 10)],
  ['|i1', () => sample((n) => new Int8Array(n), -5)],
  ['<i4', () => sample((n) => new Int32Array(n), -90000000)],
  ['<u4', () => sample((n) => new Uint32Array(n), 180000000)],
];

/** A .npy buffer written by hand (independent of serializeNpy) with the given header and data. */
function npyBuffer(dict: string, data: Uint8Array, version = 1): Buffer {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 16) * 16;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = Buffer.alloc(total + data.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out);
  if (version === 1) out.writeUInt16LE(header.length, 8);
  else out.writeUInt32LE(header.length, 8);
  out.write(header, pre, 'latin1');
  out.set(data, total);
  return out;
}

describe('NPY', () => {
  it.each(CASES)('round-trips %s in C and Fortran order', (dtype, make) => {
    const data = make();
    for (const fortranOrder of [false, true]) {
      const buf = serializeNpy(data, SHAPE, { fortranOrder });
      // NumPy aligns the data to 64 bytes and ends the header with a newline.
      const hlen = buf.readUInt16LE(8);
      expect((10 + hlen) % 64).toBe(0);
      expect(buf[10 + hlen - 1]).toBe(0x0a);
      const back = parseNpy(buf, 'x.npy');
      expect(back.dtype).toBe(dtype);
      expect(back.fortranOrder).toBe(fortranOrder);
      expect(back.shape).toEqual(SHAPE);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
  });

  it('stores Fortran order with the first axis fastest', () => {
    // C-order [2, 3] = [[0, 1, 2], [3, 4, 5]] → Fortran bytes 0, 3, 1, 4, 2, 5
    const buf = serializeNpy(Uint8Array.from([0, 1, 2, 3, 4, 5]), [2, 3], { fortranOrder: true });
    expect(Array.from(buf.subarray(buf.length - 6))).toEqual([0, 3, 1, 4, 2, 5]);
    const hand = npyBuffer("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", Uint8Array.from([0, 3, 1, 4, 2, 5]));
    expect(Array.from(parseNpy(hand, 'f.npy').data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads big-endian data, version 2.0 headers and 1-D shapes', () => {
    const be = Buffer.alloc(8);
    be.writeFloatBE(1.5, 0);
    be.writeFloatBE(-2.25, 4);
    const a = parseNpy(npyBuffer("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", be, 2), 'be.npy');
    expect(a.dtype).toBe('>f4');
    expect(a.shape).toEqual([2]);
    expect(Array.from(a.data)).toEqual([1.5, -2.25]);
    const be16 = Buffer.from([0x01, 0x02, 0xff, 0xfe]);
    expect(Array.from(parseNpy(npyBuffer("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", be16), 'b.npy').data)).toEqual([
      0x0102, -2,
    ]);
  });

  it('reads int64/uint64 (NumPy default integers) into Float64Array and bool as uint8', () => {
    const b = Buffer.alloc(24);
    b.writeBigInt64LE(-(2n ** 53n), 0);
    b.writeBigInt64LE(3n, 8);
    b.writeBigInt64LE(177n, 16);
    const a = parseNpy(npyBuffer("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", b), 'i8.npy');
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(Array.from(a.data)).toEqual([-(2 ** 53), 3, 177]);
    const be = Buffer.alloc(8);
    be.writeBigUInt64BE(2n ** 40n, 0);
    expect(Array.from(parseNpy(npyBuffer("{'descr': '>u8', 'fortran_order': False, 'shape': (1,), }", be), 'u8.npy').data)).toEqual([2 ** 40]);
    const bool = parseNpy(npyBuffer("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.from([1, 0])), 'b.npy');
    expect(Array.from(bool.data)).toEqual([1, 0]);
  });

  it('handles a larger random float32 volume through the file wrappers', () => {
    const { dir, cleanup } = tempDir();
    try {
      const rng = createRng(7);
      const d = new Float32Array(17 * 19 * 23).map(() => rng.normal());
      const file = path.join(dir, 'v.npy');
      writeNpy(file, d, [17, 19, 23], { fortranOrder: true });
      const back = readNpy(file);
      expect(back.shape).toEqual([17, 19, 23]);
      expect(back.data).toEqual(d);
    } finally {
      cleanup();
    }
  });

  it('rejects an unsupported dtype, naming it and the supported list', () => {
    const buf = npyBuffer("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16));
    const e = expectPannError(() => parseNpy(buf, 'complex.npy'), 'FORMAT', /'<c8'/, /'<f4'/, /'\|u1'/, /complex\.npy/);
    expect(e.field).toBe('dtype');
    expectPannError(() => parseNpy(npyBuffer("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'o.npy'), 'FORMAT', /'\|O'/);
  });

  it('rejects truncated data and a truncated header', () => {
    const good = serializeNpy(new Float32Array(24), SHAPE);
    expectPannError(() => parseNpy(good.subarray(0, good.length - 4), 'cut.npy'), 'FORMAT', /truncated/, /needs 96 data bytes/, /has 92/, /cut\.npy/);
    expectPannError(() => parseNpy(good.subarray(0, 40), 'head.npy'), 'FORMAT', /truncated/, /head\.npy/);
    expectPannError(() => parseNpy(Buffer.from('hello world, not numpy'), 'txt.npy'), 'FORMAT', /NUMPY magic/);
  });
});

describe('NPY files written by NumPy (test/fixtures/npy/make_fixtures.py)', () => {
  const dir = path.join(FIXTURES, 'npy');
  const expected = Array.from({ length: 24 }, (_, f) => 100 * Math.floor(f / 12) + 10 * (Math.floor(f / 4) % 3) + (f % 4));

  it.each([
    ['c_f4.npy', '<f4', false, Float32Array],
    ['fortran_f8.npy', '<f8', true, Float64Array],
    ['big_i2.npy', '>i2', false, Int16Array],
    ['fortran_u2.npy', '<u2', true, Uint16Array],
  ] as const)('%s reads as C order [2, 3, 4]', (name, dtype, fortran, type) => {
    const a = readNpy(path.join(dir, name));
    expect(a.dtype).toBe(dtype);
    expect(a.fortranOrder).toBe(fortran);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.data).toBeInstanceOf(type);
    expect(Array.from(a.data)).toEqual(expected);
  });

  it('reads int64 angles and rejects complex64 by name', () => {
    const a = readNpy(path.join(dir, 'angles_i8.npy'));
    expect(a.shape).toEqual([60]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 60 }, (_, i) => 3 * i));
    expectPannError(() => readNpy(path.join(dir, 'complex_c8.npy')), 'FORMAT', /unsupported \.npy dtype '<c8'/, /supported: '<f4'/, /complex_c8\.npy/);
  });
});

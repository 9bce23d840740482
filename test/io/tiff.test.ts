import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import { parseTiffStack, readTiffStack } from '../../kernel-lib/src/io/tiff';
import { FIXTURES, TiffKind, buildTiff, expectPannError, tempDir } from './helpers';

const [NY, NX, NP] = [5, 7, 3];

function pages(kind: TiffKind, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: NP }, () =>
    Float32Array.from({ length: NY * NX }, () =>
      kind === 'uint8' ? rng.int(256) : kind === 'uint16' ? rng.int(65536) : Math.fround(rng.normal() * 100),
    ),
  );
}

describe('TIFF stacks', () => {
  it.each([
    ['uint8', true],
    ['uint16', true],
    ['float32', true],
    ['uint16', false],
    ['float32', false],
  ] as [TiffKind, boolean][])('reads %s pages (little-endian %s)', (kind, le) => {
    const src = pages(kind, kind.length + (le ? 1 : 2));
    const stack = parseTiffStack(buildTiff(src, NY, NX, kind, le), 's.tif');
    expect(stack.shape).toEqual([NP, NY, NX]);
    for (let p = 0; p < NP; p++) expect(Array.from(stack.data.subarray(p * NY * NX, (p + 1) * NY * NX))).toEqual(Array.from(src[p]));
  });

  it('reads from a path', () => {
    const { dir, cleanup } = tempDir();
    try {
      const src = pages('uint16', 9);
      const file = path.join(dir, 'stack.tiff');
      fs.writeFileSync(file, buildTiff(src, NY, NX, 'uint16'));
      const stack = readTiffStack(file);
      expect(stack.shape).toEqual([NP, NY, NX]);
      expect(stack.data[NY * NX + 3]).toBe(src[1][3]);
    } finally {
      cleanup();
    }
  });

  it('rejects truncated files, loops and non-TIFF data clearly', () => {
    const full = buildTiff(pages('float32', 4), NY, NX, 'float32');
    // cutting into the last page's strip or IFD
    expectPannError(() => parseTiffStack(full.subarray(0, full.length - 20), 'cut.tif'), 'FORMAT', /truncated/, /cut\.tif/);
    const cutData = buildTiff(pages('uint8', 4), NY, NX, 'uint8');
    // first IFD points past the end
    const bad = Buffer.from(cutData);
    bad.writeUInt32LE(cutData.length + 100, 4);
    expectPannError(() => parseTiffStack(bad, 'off.tif'), 'FORMAT', /beyond the end/);
    // last IFD's "next" pointer loops back to the first IFD
    const loop = Buffer.from(cutData);
    loop.writeUInt32LE(loop.readUInt32LE(4), loop.length - 4);
    expectPannError(() => parseTiffStack(loop, 'loop.tif'), 'FORMAT', /loops/);
    expectPannError(() => parseTiffStack(Buffer.from('GIF89a not a tiff'), 'x.tif'), 'FORMAT', /byte-order mark/);
    // a header that claims more rows than the strip holds
    const tall = Buffer.from(cutData);
    const ifd0 = tall.readUInt32LE(4);
    tall.writeUInt32LE(NY * 1000, ifd0 + 2 + 12 + 8); // tag 257 (ImageLength)
    expectPannError(() => parseTiffStack(tall, 'tall.tif'), 'FORMAT', /needs 35000 bytes of pixel data but its strips hold 35/, /tall\.tif/);
  });

  it('rejects RGB pages and pages of different sizes', () => {
    const a = buildTiff(pages('uint8', 5), NY, NX, 'uint8');
    // patch tag 277 (SamplesPerPixel, the 7th entry of the first IFD) to 3
    const ifd = a.readUInt32LE(4);
    expect(a.readUInt16LE(ifd + 2 + 12 * 6)).toBe(277);
    const rgb = Buffer.from(a);
    rgb.writeUInt16LE(3, ifd + 2 + 12 * 6 + 8);
    expectPannError(() => parseTiffStack(rgb, 'rgb.tif'), 'FORMAT', /3 samples per pixel/);
    // a two-page file whose second page is one column narrower (tag 256 of IFD 2 patched)
    const mixed = Buffer.from(buildTiff(pages('uint8', 6).slice(0, 2), NY, NX, 'uint8'));
    const ifd2 = mixed.readUInt32LE(ifd + 2 + 12 * 10);
    mixed.writeUInt32LE(NX - 1, ifd2 + 2 + 8); // tag 256 value
    expectPannError(() => parseTiffStack(mixed, 'mixed.tif'), 'FORMAT', /page 2 is 6×5 but page 1 is 7×5/);
  });
});

describe('TIFF stacks written by tifffile (test/fixtures/tiff/make_fixtures.py)', () => {
  // a[p, y, x] = 100 p + 10 y + x, shape [3, 4, 5]
  const expected = Array.from({ length: 60 }, (_, f) => 100 * Math.floor(f / 20) + 10 * (Math.floor(f / 5) % 4) + (f % 5));
  it.each(['stack_u16.tif', 'stack_f32_be.tif', 'stack_u8_zlib.tif', 'stack_u16_zlib_pred.tif'])('reads %s', (name) => {
    const s = readTiffStack(path.join(FIXTURES, 'tiff', name));
    expect(s.shape).toEqual([3, 4, 5]);
    expect(Array.from(s.data)).toEqual(expected);
  });
  it('rejects damaged Deflate data clearly', () => {
    const b = Buffer.from(fs.readFileSync(path.join(FIXTURES, 'tiff', 'stack_u8_zlib.tif')));
    const ifd = b.readUInt32LE(4);
    // find strip offset (tag 273) of page 1 and scribble over its zlib stream
    let off = -1;
    for (let e = 0; e < b.readUInt16LE(ifd); e++) if (b.readUInt16LE(ifd + 2 + 12 * e) === 273) off = b.readUInt32LE(ifd + 2 + 12 * e + 8);
    expect(off).toBeGreaterThan(0);
    b.fill(0xff, off, off + 4);
    expectPannError(() => parseTiffStack(b, 'bad-zlib.tif'), 'FORMAT', /do not inflate/, /bad-zlib\.tif/);
  });
});

/**
 * Damaged files must give a PannError (or parse), never another exception or a hang: every reader
 * is fed seeded random truncations and header corruptions of a valid file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import { PannError } from '../../kernel-lib/src/core/errors';
import { parseMrc, serializeMrc } from '../../kernel-lib/src/io/mrc';
import { parseNpy, serializeNpy } from '../../kernel-lib/src/io/npy';
import { parseTiffStack } from '../../kernel-lib/src/io/tiff';
import { listMatVariables, parseMatVariable } from '../../kernel-lib/src/io/mat';
import { formatXyz, parseXyz } from '../../kernel-lib/src/io/xyz';
import { formatAtomCsv, parseAtomCsv } from '../../kernel-lib/src/io/csv';
import { FIXTURES, buildTiff } from './helpers';

const rng = createRng(2024);
const vol = { data: Float32Array.from({ length: 60 }, (_, i) => i), shape: [3, 4, 5] as [number, number, number], voxelSizeA: 1 };
const model = { species: ['Au', 'Pt'], positionsA: Float64Array.from([1, 2, 3, 4, 5, 6]), scores: { peak: Float64Array.from([1, 2]) } };

const CASES: [string, Uint8Array, (b: Uint8Array) => unknown, number][] = [
  ['MRC', serializeMrc(vol), (b) => parseMrc(b, 'f.mrc'), 1024],
  ['NPY', serializeNpy(vol.data, [3, 4, 5], { fortranOrder: true }), (b) => parseNpy(b, 'f.npy'), 128],
  ['TIFF', buildTiff([vol.data.subarray(0, 20), vol.data.subarray(20, 40)], 4, 5, 'float32'), (b) => parseTiffStack(b, 'f.tif'), 400],
  ['TIFF deflate + predictor', fs.readFileSync(path.join(FIXTURES, 'tiff', 'stack_u16_zlib_pred.tif')), (b) => parseTiffStack(b, 'f.tif'), 365],
  ['MAT', fs.readFileSync(path.join(FIXTURES, 'mat', 'classes.mat')), (b) => listMatVariables(b, 'f.mat').length + parseMatVariable(b, 'f.mat').data.length, 1448],
  ['MAT compressed', fs.readFileSync(path.join(FIXTURES, 'mat', 'classes_compressed.mat')), (b) => parseMatVariable(b, 'f.mat', 'v_uint64'), 1014],
  ['XYZ', Buffer.from(formatXyz(model)), (b) => parseXyz(Buffer.from(b).toString('latin1'), 'f.xyz'), 200],
  ['CSV', Buffer.from(formatAtomCsv(model)), (b) => parseAtomCsv(Buffer.from(b).toString('latin1'), 'f.csv'), 200],
];

describe.each(CASES)('%s readers survive damage', (_name, good, parse, headerBytes) => {
  const check = (b: Uint8Array) => {
    try {
      parse(b);
    } catch (e) {
      if (!(e instanceof PannError)) throw new Error(`non-PannError ${(e as Error)?.name}: ${(e as Error)?.message}`);
      expect(e.message.length).toBeGreaterThan(10);
    }
  };
  it('parses the undamaged file', () => {
    expect(() => parse(good)).not.toThrow();
  });
  it('truncations at every length give PannError or a valid parse', () => {
    for (let len = 0; len < good.length; len += Math.max(1, Math.floor(good.length / 300))) check(good.subarray(0, len));
  });
  it('random header corruptions give PannError or a valid parse', () => {
    for (let t = 0; t < 400; t++) {
      const b = Uint8Array.from(good);
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) b[rng.int(Math.min(headerBytes, b.length))] = rng.int(256);
      check(b);
    }
  });
});

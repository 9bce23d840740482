/** Pure parts of the kernel tooling: wire signing with buffers, volume/atom payloads, PNG fallback, local widget state. */
import { inflateSync } from 'zlib';
import { encodeWire, parseWire, signParts, newHeader } from '../../kernel-lib/src/kernel/wire';
import { quantiseVolume, atomsPayload, countSurvivors } from '../../kernel-lib/src/view/payload';
import { encodePng } from '../../kernel-lib/src/view/png';
import { slicer } from '../../kernel-lib/src/view/slicer';
import { commManager } from '../../kernel-lib/src/kernel/comm';

test('wire: buffers travel raw and are not signed; a wrong key is rejected', () => {
  const header = newHeader('comm_msg', 's1');
  const frames = encodeWire('k3y', { identities: [Buffer.from('id')], header, parentHeader: {}, metadata: {}, content: { comm_id: 'c', data: { a: 1 } }, buffers: [new Uint8Array([9, 8, 7])] });
  expect(frames[1].toString()).toBe('<IDS|MSG>');
  expect(frames[2].toString()).toBe(signParts('k3y', frames.slice(3, 7)));
  expect([...frames[7]]).toEqual([9, 8, 7]);
  const m = parseWire('k3y', frames);
  expect(m.content).toEqual({ comm_id: 'c', data: { a: 1 } });
  expect([...m.buffers[0]]).toEqual([9, 8, 7]);
  expect(() => parseWire('other', frames)).toThrow(/signature/);
  // Changing a buffer does not invalidate the signature (the spec signs the 4 JSON parts only).
  frames[7] = Buffer.from([1]);
  expect(parseWire('k3y', frames).buffers[0][0]).toBe(1);
});

test('quantiseVolume: bytes over min…max, 1 byte a voxel, block-mean binning above the budget', () => {
  const n = 10;
  const data = new Float32Array(n * n * n).map((_, i) => i);
  const q = quantiseVolume({ data, shape: [n, n, n], voxelSizeA: 0.5 });
  expect(q.bytes.length).toBe(1000);
  expect(q.binning).toBe(1);
  expect([q.bytes[0], q.bytes[999]]).toEqual([0, 255]);
  expect([q.min, q.max]).toEqual([0, 999]);
  const b = quantiseVolume({ data, shape: [n, n, n], voxelSizeA: 0.5 }, 125);
  expect(b.binning).toBe(2);
  expect(b.shape).toEqual([5, 5, 5]);
  expect(b.voxelSizeA).toBe(1);
  // first block mean: voxels (k,j,i) in {0,1}³ → mean index 55.5
  expect(b.min).toBeCloseTo(55.5, 5);
  const withNaN = Float32Array.from([NaN, 1, 2, 3]);
  expect([...quantiseVolume({ data: withNaN, shape: [1, 2, 2], voxelSizeA: 1 }).bytes]).toEqual([0, 0, 128, 255]);
  expect(() => quantiseVolume({ data, shape: [n, n, 9], voxelSizeA: 1 })).toThrow(/shape/);
});

test('atomsPayload and countSurvivors', () => {
  const p = atomsPayload({ positionsA: Float64Array.from([1, 2, 3, 4, 5, 6]), species: ['Pt', 'Au'], scores: { peak: Float64Array.from([0.2, 0.8]) } });
  expect([...p.positions]).toEqual([1, 2, 3, 4, 5, 6]);
  expect(p.scoreName).toBe('peak');
  expect(countSurvivors(p.scores, 2, 0.5)).toBe(1);
  expect(countSurvivors(new Float32Array(0), 7, 0.5)).toBe(7);
  expect(() => atomsPayload({ positionsA: new Float64Array(5), species: ['Pt', 'Au'] })).toThrow(/3 per atom/);
});

test('encodePng writes a valid PNG (signature, IHDR, inflatable IDAT with filter bytes)', () => {
  const png = encodePng(Uint8Array.from([0, 255, 128, 64]), 2, 2, 1);
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(png.readUInt32BE(16)).toBe(2);
  const idatLen = png.readUInt32BE(33);
  expect(png.subarray(37, 41).toString()).toBe('IDAT');
  expect([...inflateSync(png.subarray(41, 41 + idatLen))]).toEqual([0, 0, 255, 0, 128, 64]);
});

test('slicer works without a kernel: local state, threshold, survivors, observers', () => {
  expect(commManager().attached).toBe(false);
  const v = slicer(
    { data: new Float32Array(8).fill(1), shape: [2, 2, 2], voxelSizeA: 1 },
    { positionsA: Float64Array.from([0, 0, 0, 1, 1, 1, 1, 0, 1]), species: ['Pt', 'Pd', 'Pt'], scores: { peak: Float64Array.from([0.1, 0.5, 0.9]) } },
    { display: false },
  );
  expect(v.threshold).toBeCloseTo(0.1, 6);
  expect(v.visibleCount).toBe(3);
  const seen: number[] = [];
  v.observe('threshold', (t: number) => seen.push(t));
  v.threshold = 0.5;
  expect(seen).toEqual([0.5]);
  expect(v.visibleCount).toBe(2);
  const s = v.survivors()!;
  expect(s.species).toEqual(['Pd', 'Pt']);
  expect([...s.positionsA]).toEqual([1, 1, 1, 1, 0, 1]);
  expect([...s.scores!.peak]).toEqual([0.5, 0.9]);
  v.atoms = s;
  expect(v.visibleCount).toBe(2);
  expect(String(v.describe())).toMatch(/2 atoms/);
});

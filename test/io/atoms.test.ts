import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { AtomicModel } from '../../kernel-lib/src/core/types';
import { formatAtomCsv, parseAtomCsv } from '../../kernel-lib/src/io/csv';
import { formatXyz, parseAtomTable, parseXyz, readAtomTable, readXyz } from '../../kernel-lib/src/io/xyz';
import { readAtomicModel, writeAtomicModel } from '../../kernel-lib/src/io/atoms-io';
import { FIXTURES, expectPannError, tempDir } from './helpers';

function randomModel(n: number, seed: number): AtomicModel {
  const rng = createRng(seed);
  const labels = ['Fe', 'Pt'];
  const positionsA = Float64Array.from({ length: 3 * n }, () => (rng.uniform() - 0.5) * 40);
  const species = Array.from({ length: n }, () => labels[rng.int(2)]);
  const peak = Float64Array.from({ length: n }, () => rng.uniform() * 1e3);
  const integrated = Float64Array.from({ length: n }, () => rng.normal() * 1e-4);
  const values = new Float32Array(2 * n);
  for (let a = 0; a < n; a++) {
    const p = rng.uniform();
    values[2 * a] = p;
    values[2 * a + 1] = 1 - p;
  }
  return { species, positionsA, scores: { peak, integrated }, probabilities: { labels, values }, cellA: [40, 41, 42] };
}

function expectSameModel(back: AtomicModel, m: AtomicModel, opts: { cell: boolean }) {
  expect(back.species).toEqual(m.species);
  expect(back.positionsA.length).toBe(m.positionsA.length);
  for (let i = 0; i < m.positionsA.length; i++) expect(Math.abs(back.positionsA[i] - m.positionsA[i])).toBeLessThanOrEqual(5e-9);
  expect(Object.keys(back.scores ?? {})).toEqual(Object.keys(m.scores ?? {}));
  for (const [k, v] of Object.entries(m.scores ?? {}))
    for (let a = 0; a < v.length; a++) expect(Math.abs(back.scores![k][a] - v[a])).toBeLessThanOrEqual(1e-11 * Math.abs(v[a]));
  expect(back.probabilities?.labels).toEqual(m.probabilities?.labels);
  expect(Array.from(back.probabilities!.values)).toEqual(Array.from(m.probabilities!.values));
  if (opts.cell) expect(back.cellA).toEqual(m.cellA);
}

describe('extended XYZ', () => {
  it('round-trips positions, species, scores, probabilities and the lattice', () => {
    const m = randomModel(50, 1);
    const text = formatXyz(m, 'test "model"');
    const lines = text.split('\n');
    expect(lines[0]).toBe('50');
    expect(lines[1]).toContain('Lattice="40 0 0 0 41 0 0 0 42"');
    expect(lines[1]).toContain('Properties=species:S:1:pos:R:3:peak:R:1:integrated:R:1:prob_Fe:R:1:prob_Pt:R:1');
    expectSameModel(parseXyz(text, 'm.xyz'), m, { cell: true });
  });

  it('reads plain XYZ, atomic numbers and vector properties', () => {
    const plain = parseXyz('2\nplain comment\nPt 0 1 2\n78 3 4 5.5\n', 'p.xyz');
    expect(plain.species).toEqual(['Pt', 'Pt']);
    expect(Array.from(plain.positionsA)).toEqual([0, 1, 2, 3, 4, 5.5]);
    expect(plain.scores).toBeUndefined();
    const ext = parseXyz('1\nProperties=species:S:1:pos:R:3:forces:R:3:id:I:1\nAu 1 2 3 0.1 0.2 0.3 7\n', 'e.xyz');
    expect(Object.fromEntries(Object.entries(ext.scores!).map(([k, v]) => [k, Array.from(v)]))).toEqual({
      forces_0: [0.1], forces_1: [0.2], forces_2: [0.3], id: [7],
    });
  });

  it('reads the Au nanoparticle fixture (6679 atoms, 70 Å cell)', () => {
    const m = readXyz(path.join(FIXTURES, 'au-np', 'Au_NP.xyz'));
    expect(m.species.length).toBe(6679);
    expect(new Set(m.species)).toEqual(new Set(['Au']));
    expect(m.cellA).toEqual([70, 70, 70]);
    expect(Array.from(m.positionsA.subarray(0, 3))).toEqual([7.30968093, 35.23352392, 37.56620709]);
    const p = Array.from(m.positionsA);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...p)).toBeLessThanOrEqual(70);
  });

  it('rejects truncated files, bad numbers and unknown species, naming file and line', () => {
    expectPannError(() => parseXyz('3\ncomment\nAu 0 0 0\nAu 1 1 1\n', 'cut.xyz'), 'FORMAT', /announces 3 atoms/, /cut\.xyz/);
    expectPannError(() => parseXyz('1\n\nAu 0 zero 0\n', 'n.xyz'), 'FORMAT', /line 3/, /'zero'/, /n\.xyz/);
    expectPannError(() => parseXyz('1\n\nQq 0 0 0\n', 's.xyz'), 'FORMAT', /'Qq' is not an element/);
    expectPannError(() => parseXyz('many\n', 'h.xyz'), 'FORMAT', /atom count/);
    expectPannError(() => parseXyz('1\nProperties=species:S:1:pos:R:3:q:R:1\nAu 0 0 0\n', 'w.xyz'), 'FORMAT', /line 3 has 4 columns, Properties needs 5/);
  });
});

describe('CSV', () => {
  it('round-trips with score and probability columns', () => {
    const m = randomModel(40, 2);
    const text = formatAtomCsv(m);
    expect(text.split('\n')[0]).toBe('species,x_A,y_A,z_A,peak,integrated,prob_Fe,prob_Pt');
    expectSameModel(parseAtomCsv(text, 'm.csv'), m, { cell: false });
  });

  it('rejects a wrong header and ragged rows', () => {
    expectPannError(() => parseAtomCsv('el,x,y,z\nAu,0,0,0\n', 'h.csv'), 'FORMAT', /header must start with 'species,x_A,y_A,z_A'/, /h\.csv/);
    expectPannError(() => parseAtomCsv('species,x_A,y_A,z_A,peak\nAu,0,0,0\n', 'r.csv'), 'FORMAT', /line 2 has 4 fields, the header has 5/);
  });
});

describe('atom tables (Miao-group ground truth)', () => {
  it('reads the aSi ground truth: 208 atoms, type 1 = Si', () => {
    const m = readAtomTable(path.join(FIXTURES, 'asi-2nm-lowdose', 'aSi_208atoms_GT.txt'), { speciesByType: { 1: 'Si' } });
    expect(m.species.length).toBe(208);
    expect(new Set(m.species)).toEqual(new Set(['Si']));
    expect(Array.from(m.positionsA.subarray(0, 3))).toEqual([0.18172587, 3.74419136, -4.804749]);
    // without a mapping the numeric type is an atomic number (1 = H): the caller must say what 1 is
    expect(parseAtomTable('% 1\n1 0 0 0\n', 't.txt').species).toEqual(['H']);
    expect(parseAtomTable('Pt 1 2 3\n', 't.txt').species).toEqual(['Pt']);
  });

  it('checks the announced count', () => {
    expectPannError(() => parseAtomTable('% 3\n1 0 0 0\n1 1 1 1\n', 'c.txt', { speciesByType: { 1: 'Si' } }), 'FORMAT', /announces 3 atoms but 2/);
  });
});

describe('readAtomicModel / writeAtomicModel', () => {
  it.each(['.xyz', '.csv', '.json'])('round-trips through %s', (ext) => {
    const { dir, cleanup } = tempDir();
    try {
      const m = randomModel(25, 3);
      const file = path.join(dir, 'model' + ext);
      writeAtomicModel(file, m);
      const back = readAtomicModel(file);
      expectSameModel(back, m, { cell: ext !== '.csv' });
      if (ext === '.json') {
        const obj = JSON.parse(fs.readFileSync(file, 'utf8'));
        expect(obj.positionsA[0]).toEqual(Array.from(m.positionsA.subarray(0, 3)));
        expect(obj.probabilities.values[0]).toHaveLength(2);
      }
    } finally {
      cleanup();
    }
  });

  it('refuses unknown extensions and non-finite positions, naming the file', () => {
    const m = randomModel(2, 4);
    expectPannError(() => writeAtomicModel('/tmp/x.pdb', m), 'FORMAT', /'\.pdb'/);
    m.positionsA[4] = NaN;
    expectPannError(() => writeAtomicModel('/tmp/bad.xyz', m), 'VALUE', /atom 1 has a non-finite position/, /bad\.xyz/);
    expectPannError(() => readAtomicModel('/nonexistent/m.json'), 'FORMAT', /cannot read file/, /m\.json/);
  });
});

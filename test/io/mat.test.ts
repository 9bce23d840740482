import * as fs from 'node:fs';
import * as path from 'node:path';
import { listMatVariables, parseMatVariable, readMatVariable } from '../../kernel-lib/src/io/mat';
import { FIXTURES, expectPannError, matDoubleMatrix, matFile } from './helpers';

const MAT = path.join(FIXTURES, 'mat');
const ASI = path.join(FIXTURES, 'asi-2nm-lowdose');

// Expected contents of the SciPy-written fixtures (see test/fixtures/mat/make_fixtures.py).
const VECTORS: Record<string, number[]> = {
  v_int8: [-128, -1, 0, 127],
  v_uint8: [0, 1, 200, 255],
  v_int16: [-32768, -2, 3, 32767],
  v_uint16: [0, 7, 40000, 65535],
  v_int32: [-2147483648, -5, 6, 2147483647],
  v_uint32: [0, 9, 3000000000, 4294967295],
  v_int64: [-(2 ** 53), -7, 8, 2 ** 53],
  v_uint64: [0, 11, 2 ** 40, 2 ** 53],
};

describe.each(['classes.mat', 'classes_compressed.mat'])('MAT v5 fixture %s (written by SciPy)', (name) => {
  const file = path.join(MAT, name);
  const buf = fs.readFileSync(file);

  it('lists every variable with class and dims', () => {
    const vars = listMatVariables(buf, file);
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    expect(Object.keys(byName).sort()).toEqual(
      ['vol_double', 'img_single', ...Object.keys(VECTORS), 'scalar', 'label', 'cellvar'].sort(),
    );
    expect(byName.vol_double).toMatchObject({ dims: [2, 3, 4], matlabClass: 'double', numeric: true });
    expect(byName.img_single).toMatchObject({ dims: [2, 3], matlabClass: 'single', numeric: true });
    expect(byName.label).toMatchObject({ matlabClass: 'char', numeric: false });
    expect(byName.cellvar).toMatchObject({ matlabClass: 'cell', numeric: false, dims: [2, 1] });
    expect(byName.v_uint64.matlabClass).toBe('uint64');
  });

  it('reads every numeric class with exact values', () => {
    for (const [v, expected] of Object.entries(VECTORS)) {
      const r = parseMatVariable(buf, file, v);
      expect(r.dims).toEqual([1, 4]);
      expect(r.matlabClass).toBe(v.slice(2));
      expect(Array.from(r.data)).toEqual(expected);
    }
    expect(Array.from(parseMatVariable(buf, file, 'scalar').data)).toEqual([42]);
  });

  it('returns column-major data with MATLAB dims', () => {
    // NumPy a[i, j, k] = (i·12 + j·4 + k)·0.5 − 3; MATLAB column-major index i + 2·(j + 3·k)
    const r = parseMatVariable(buf, file, 'vol_double');
    expect(r.dims).toEqual([2, 3, 4]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(r.data[i + 2 * (j + 3 * k)]).toBe((i * 12 + j * 4 + k) * 0.5 - 3);
    const s = parseMatVariable(buf, file, 'img_single');
    expect(Array.from(s.data)).toEqual([1.5, 4.0, -2.25, 5.5, 3.0, -6.75]);
  });

  it('picks the first numeric variable when no name is given', () => {
    expect(parseMatVariable(buf, file).name).toBe('vol_double');
  });

  it('rejects a missing variable name, listing the variables', () => {
    const e = expectPannError(() => parseMatVariable(buf, file, 'Projections'), 'FORMAT', /no variable 'Projections'/, /vol_double \(double 2×3×4\)/, /label \(char/);
    expect(e.field).toBe('varName');
    expectPannError(() => parseMatVariable(buf, file, 'label'), 'FORMAT', /'label' is a MATLAB char array, not a numeric one/);
  });
});

describe('MAT v5 edge cases', () => {
  it('reads the published aSi files (compressed; class double stored as uint8 or double) and angles', () => {
    // MATLAB class double in both (scipy.io.loadmat(..., mat_dtype=True) gives float64); the
    // low-dose file stores its integer counts as miUINT8, which the reader must widen.
    const low = readMatVariable(path.join(ASI, 'aSi_2nmFosCetr_Dose8p0e3_cov35pm_ForBM3D.mat'));
    expect(low).toMatchObject({ name: 'Trunc_projections_forBM3D', dims: [128, 128, 60], matlabClass: 'double' });
    expect(low.data.length).toBe(128 * 128 * 60);
    // reference values read independently with SciPy 1.17 (scipy.io.loadmat): P[0:5, 0, 0],
    // P[70, 40, 30], P[40, 70, 30] (0-based) and the sum over everything
    const at = (d: Float64Array, i: number, j: number, k: number) => d[i + 128 * (j + 128 * k)];
    const sum = (d: Float64Array) => d.reduce((s, v) => s + v, 0);
    expect(Array.from(low.data.subarray(0, 5))).toEqual([1, 2, 0, 2, 3]);
    expect([at(low.data, 70, 40, 30), at(low.data, 40, 70, 30), sum(low.data)]).toEqual([3, 1, 1161458]);
    const high = readMatVariable(path.join(ASI, 'aSi_2nmFosCetr_Dose1p6e5_cov35pm_ForBM3D.mat'), 'Trunc_projections_forBM3D');
    expect(high.matlabClass).toBe('double');
    expect(Array.from(high.data.subarray(0, 5))).toEqual([1, 0, 0, 1, 1]);
    expect([at(high.data, 70, 40, 30), at(high.data, 40, 70, 30), sum(high.data)]).toEqual([6, 4, 4528786]);
    const ang = readMatVariable(path.join(ASI, 'Si_Angle.mat'));
    expect(ang).toMatchObject({ name: 'Angle', dims: [60, 3], matlabClass: 'double' });
    expect(Array.from(ang.data.subarray(60, 64))).toEqual([0, 3, 6, 9]); // column 2 = θ
  });

  it('reads big-endian files and small data elements', () => {
    for (const le of [true, false])
      for (const compress of [false, true]) {
        const buf = matFile([matDoubleMatrix('ab', [2, 2], [1, -2, 3.5, 4e10], { le })], { le, compress });
        const r = parseMatVariable(buf, 'x.mat', 'ab'); // the 2-byte name uses the small element format
        expect(r.dims).toEqual([2, 2]);
        expect(Array.from(r.data)).toEqual([1, -2, 3.5, 4e10]);
      }
  });

  it('rejects complex arrays and data sizes that disagree with dims', () => {
    const c = matFile([matDoubleMatrix('z', [1, 2], [1, 2], { complex: true })]);
    expect(listMatVariables(c)[0]).toMatchObject({ name: 'z', complex: true });
    expectPannError(() => parseMatVariable(c, 'c.mat', 'z'), 'FORMAT', /complex/);
    const wrong = matFile([matDoubleMatrix('w', [3, 3], [1, 2, 3])]);
    expectPannError(() => parseMatVariable(wrong, 'w.mat', 'w'), 'FORMAT', /24 data bytes for 9 values/, /w\.mat/);
  });

  it('rejects garbage, truncated, v4-style and v7.3 files clearly', () => {
    expectPannError(() => parseMatVariable(Buffer.from('just some text that is not a MAT file at all'), 'g.mat'), 'FORMAT', /128-byte header/, /g\.mat/);
    expectPannError(() => parseMatVariable(Buffer.alloc(300, 7), 'junk.mat'), 'FORMAT', /not a MATLAB v5 \.mat file/, /junk\.mat/);
    const good = fs.readFileSync(path.join(MAT, 'classes.mat'));
    expectPannError(() => parseMatVariable(good.subarray(0, 700), 'cut.mat', 'v_uint64'), 'FORMAT', /truncated/, /cut\.mat/);
    const gz = fs.readFileSync(path.join(MAT, 'classes_compressed.mat'));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 140, 200); // inside the first zlib stream
    expectPannError(() => listMatVariables(corrupt, 'z.mat'), 'FORMAT', /do not inflate|truncated|malformed/, /z\.mat/);
    const v73 = Buffer.alloc(1024);
    v73.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .', 0, 'latin1');
    v73.write('\x89HDF\r\n\x1a\n', 512, 'latin1');
    expectPannError(() => parseMatVariable(v73, 'new.mat'), 'FORMAT', /v7\.3 \(HDF5\)/, /-v7/, /new\.mat/);
  });
});

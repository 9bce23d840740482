import { solveGaussJordan } from '../../kernel-lib/src/core/linear-solve';

describe('solveGaussJordan', () => {
  test('solves a system that needs a row swap (zero first pivot)', () => {
    const A = [
      [0, 2, 1],
      [1, 1, 0],
      [3, 0, 1],
    ];
    const x = [1, -2, 4];
    const b = A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));
    const got = solveGaussJordan(A, b)!;
    got.forEach((v, i) => expect(v).toBeCloseTo(x[i], 12));
    expect(A[0]).toEqual([0, 2, 1]); // input untouched
  });

  test('returns null for a singular system, and below a relative pivot tolerance', () => {
    expect(solveGaussJordan([[1, 2], [2, 4]], [1, 2])).toBeNull();
    const nearlySingular = [
      [1, 1],
      [1, 1 + 1e-14],
    ];
    expect(solveGaussJordan(nearlySingular, [2, 2])).not.toBeNull();
    expect(solveGaussJordan(nearlySingular, [2, 2], 1e-12)).toBeNull();
  });
});

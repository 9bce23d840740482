/**
 * Small dense linear systems (a handful of unknowns: a Gauss–Newton block, a species least-squares fit).
 * Gauss–Jordan elimination with partial pivoting: no factorisation is reused, so nothing is gained by LU.
 */

/**
 * x of A x = b, or null when a pivot's magnitude is not above `minPivot` (singular to that tolerance).
 * @param rows A, one array per row (not modified)
 * @param b right-hand side, same length as rows
 * @param minPivot smallest usable pivot magnitude (same units as A). Default 1e-30.
 */
export function solveGaussJordan(rows: ArrayLike<number>[], b: ArrayLike<number>, minPivot = 1e-30): number[] | null {
  const n = b.length;
  const A = rows.map((row, i) => [...Array.from(row), b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (!(Math.abs(A[p][c]) > minPivot)) return null;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      if (f === 0) continue;
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, i) => row[n] / row[i]);
}

/** tr(M⁻¹) of a symmetric 3×3 matrix [[xx xy xz] [xy yy yz] [xz yz zz]]; Infinity when not positive definite. */
export function traceOfInverseSym3(xx: number, yy: number, zz: number, xy: number, xz: number, yz: number): number {
  const det = xx * (yy * zz - yz * yz) - xy * (xy * zz - xz * yz) + xz * (xy * yz - xz * yy);
  if (!(det > 0)) return Infinity;
  return (yy * zz - yz * yz + xx * zz - xz * xz + xx * yy - xy * xy) / det;
}

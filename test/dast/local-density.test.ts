import {
  ballGrid,
  gaussLegendre,
  sampleLocalDensity,
} from '../../kernel-lib/src/classify/dast/local-density';
import { PannError } from '../../kernel-lib/src/core/errors';
import type { Volume } from '../../kernel-lib/src/core/types';

/** A volume whose value is a given function of the voxel-centre position (Å). */
function volumeOf(
  shape: [number, number, number],
  voxelSizeA: number,
  f: (x: number, y: number, z: number) => number,
): Volume {
  const [nz, ny, nx] = shape;
  const data = new Float32Array(nz * ny * nx);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        data[(k * ny + j) * nx + i] = f(i * voxelSizeA, j * voxelSizeA, k * voxelSizeA);
  return { data, shape, voxelSizeA };
}

describe('ballGrid', () => {
  test('Gauss–Legendre nodes integrate polynomials of degree 2n−1 exactly and not 2n', () => {
    const { nodes, weights } = gaussLegendre(6);
    const integral = (d: number) => nodes.reduce((s, x, i) => s + weights[i] * x ** d, 0);
    for (let d = 0; d <= 11; d++) expect(integral(d)).toBeCloseTo(d % 2 ? 0 : 2 / (d + 1), 13);
    expect(Math.abs(integral(12) - 2 / 13)).toBeGreaterThan(1e-6);
  });

  test('weights sum to the ball volume, points lie inside the unit ball and the grid is mirror-symmetric', () => {
    const grid = ballGrid(12);
    expect(grid.count).toBe(2 * 12 ** 3);
    const volume = grid.weights.reduce((a, b) => a + b, 0);
    expect(Math.abs(volume - (4 * Math.PI) / 3)).toBeLessThan(1e-12);
    let maxR = 0;
    const key = (x: number, y: number, z: number) => [x, y, z].map((v) => v.toFixed(9)).join(',');
    const set = new Set<string>();
    for (let p = 0; p < grid.count; p++) {
      maxR = Math.max(maxR, Math.hypot(grid.x[p], grid.y[p], grid.z[p]));
      set.add(key(grid.x[p], grid.y[p], grid.z[p]));
      expect(Math.min(Math.abs(grid.x[p]), Math.abs(grid.y[p]), Math.abs(grid.z[p]))).toBeGreaterThan(1e-6);
    }
    expect(maxR).toBeLessThan(1);
    for (let p = 0; p < grid.count; p += 7) {
      expect(set.has(key(-grid.x[p], grid.y[p], grid.z[p]))).toBe(true);
      expect(set.has(key(grid.x[p], -grid.y[p], -grid.z[p]))).toBe(true);
    }
  });

  test('odd or out-of-range grid sizes are rejected', () => {
    expect(() => ballGrid(7)).toThrow(PannError);
    expect(() => ballGrid(0)).toThrow(/gridSize/);
  });
});

describe('sampleLocalDensity', () => {
  test('trilinear sampling reproduces a linear density exactly (voxel (k,j,i) centred at (i,j,k)·voxelSize)', () => {
    const voxel = 0.4;
    const f = (x: number, y: number, z: number) => 1 + 0.5 * x - 0.25 * y + 0.75 * z;
    const vol = volumeOf([20, 22, 24], voxel, f);
    const centres = new Float64Array([4.13, 4.37, 3.91, 5.02, 3.3, 4.4]);
    const radiusA = 1.3;
    const samples = sampleLocalDensity(vol, centres, { radiusA, gridSize: 8 });
    const grid = ballGrid(8);
    expect(samples.length).toBe(2 * grid.count);
    let maxErr = 0;
    for (let a = 0; a < 2; a++) {
      for (let p = 0; p < grid.count; p++) {
        const x = centres[3 * a] + grid.x[p] * radiusA,
          y = centres[3 * a + 1] + grid.y[p] * radiusA,
          z = centres[3 * a + 2] + grid.z[p] * radiusA;
        maxErr = Math.max(maxErr, Math.abs(samples[a * grid.count + p] - f(x, y, z)));
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  test('points outside the volume read 0; one voxel beyond the edge fades linearly (zero padding)', () => {
    const vol = volumeOf([8, 8, 8], 0.5, () => 2);
    const far = sampleLocalDensity(vol, new Float64Array([-10, 1.5, 1.5]), { radiusA: 1, gridSize: 4 });
    expect(far.every((v) => v === 0)).toBe(true);
    // Centre on the last voxel along x: points at x beyond 3.5 Å read 2·(1 − (x − 3.5)/0.5) until 4 Å, then 0.
    const edge = sampleLocalDensity(vol, new Float64Array([3.5, 1.75, 1.75]), { radiusA: 1, gridSize: 8 });
    const grid = ballGrid(8);
    for (let p = 0; p < grid.count; p++) {
      const x = 3.5 + grid.x[p];
      const expected = x <= 3.5 ? 2 : x >= 4 ? 0 : 2 * (1 - (x - 3.5) / 0.5);
      expect(edge[p]).toBeCloseTo(expected, 5);
    }
  });

  test('bad input names the problem', () => {
    const vol = volumeOf([4, 4, 4], 1, () => 0);
    expect(() => sampleLocalDensity(vol, new Float64Array(4), { radiusA: 1, gridSize: 4 })).toThrow(
      /centresA/,
    );
    expect(() => sampleLocalDensity(vol, new Float64Array(3), { radiusA: -1, gridSize: 4 })).toThrow(
      /radiusA/,
    );
    expect(() =>
      sampleLocalDensity({ ...vol, shape: [4, 4, 5] }, new Float64Array(3), { radiusA: 1, gridSize: 4 }),
    ).toThrow(/shape/);
  });
});

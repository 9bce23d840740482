/** sampleTrilinear: exact at voxel centres, linear between them, clamped at the faces. */
import { createRng } from '../../kernel-lib/src/core/rng';
import { sampleTrilinear } from '../../kernel-lib/src/core/sample';
import type { Shape3, Volume } from '../../kernel-lib/src/core/types';

const h = 0.4; // Å

function volumeOf(shape: Shape3, f: (i: number, j: number, k: number) => number): Volume {
  const [nz, ny, nx] = shape;
  const data = new Float32Array(nz * ny * nx);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[(k * ny + j) * nx + i] = f(i, j, k);
  return { data, shape, voxelSizeA: h };
}

const rng = createRng(3);
const noisy = volumeOf([4, 5, 6], () => rng.normal());
const at = (v: Volume, i: number, j: number, k: number): number =>
  v.data[(k * v.shape[1] + j) * v.shape[2] + i];
const sample1 = (v: Volume, x: number, y: number, z: number): number =>
  sampleTrilinear(v, Float64Array.of(x, y, z))[0];

describe('sampleTrilinear', () => {
  it('is exact at every voxel centre, including the faces', () => {
    const [nz, ny, nx] = noisy.shape;
    const p: number[] = [];
    const want: number[] = [];
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          p.push(i * h, j * h, k * h);
          want.push(at(noisy, i, j, k));
        }
    const got = sampleTrilinear(noisy, Float64Array.from(p));
    // (i·h)/h may miss i by an ulp: a weight of ~1e-16 on the neighbour
    expect(Math.max(...got.map((g, t) => Math.abs(g - want[t])))).toBeLessThan(1e-12);
  });

  it('is linear between centres: reproduces an affine field anywhere inside', () => {
    const affine = (x: number, y: number, z: number): number => 1.5 + 2 * x - 0.75 * y + 0.25 * z;
    const v = volumeOf([4, 5, 6], affine);
    const r = createRng(5);
    for (let t = 0; t < 50; t++) {
      const x = r.uniform() * 5,
        y = r.uniform() * 4,
        z = r.uniform() * 3;
      expect(sample1(v, x * h, y * h, z * h)).toBeCloseTo(affine(x, y, z), 5);
    }
    // the midpoint of two neighbours is their mean, on any data
    const mid = sample1(noisy, 2.5 * h, 1 * h, 3 * h);
    expect(mid).toBeCloseTo(0.5 * (at(noisy, 2, 1, 3) + at(noisy, 3, 1, 3)), 6);
  });

  it('clamps points beyond a face to the face and stays finite on one-voxel axes', () => {
    // beyond the far x face and below the near z face: the value at the nearest face point
    expect(sample1(noisy, 9 * h, 2 * h, -1)).toBeCloseTo(at(noisy, 5, 2, 0), 12);
    expect(sample1(noisy, 7.3 * h, 1.5 * h, 0)).toBeCloseTo(sample1(noisy, 5 * h, 1.5 * h, 0), 12);
    // a single z slice: constant along z, linear in x
    const slab = volumeOf([1, 2, 3], (i, j) => i + 10 * j);
    for (const z of [-0.3, 0, 0.2]) expect(sample1(slab, 1.5 * h, 1 * h, z)).toBeCloseTo(11.5, 6);
  });
});

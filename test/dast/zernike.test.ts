import { ballGrid, sampleLocalDensity } from '../../kernel-lib/src/classify/dast/local-density';
import {
  evaluateZernike,
  minimumGridSize,
  zernikeIndex,
  zernikeMomentIndex,
} from '../../kernel-lib/src/classify/dast/zernike-basis';
import {
  zernikeDescriptorLength,
  zernikeDescriptorNames,
  zernikeDescriptors,
  zernikeDescriptorsAsync,
  zernikeInvariants,
  zernikeMoments,
} from '../../kernel-lib/src/classify/dast/zernike';
import { PannError } from '../../kernel-lib/src/core/errors';
import { rotationZYZ } from '../../kernel-lib/src/core/geometry';
import { createRng } from '../../kernel-lib/src/core/rng';
import type { Volume } from '../../kernel-lib/src/core/types';

const ORDER = 10;
const GRID = minimumGridSize(ORDER); // 12

/** Samples f (a function of unit-ball coordinates) on the ball grid, one atom. */
function sampleFunction(gridSize: number, f: (x: number, y: number, z: number) => number): Float32Array {
  const grid = ballGrid(gridSize);
  const out = new Float32Array(grid.count);
  for (let p = 0; p < grid.count; p++) out[p] = f(grid.x[p], grid.y[p], grid.z[p]);
  return out;
}

/** A volume that is a sum of isotropic Gaussians (centres Å, amplitude, sigma Å), evaluated analytically per voxel. */
function gaussianVolume(
  shape: [number, number, number],
  voxelSizeA: number,
  blobs: Array<{ c: number[]; amp: number; sigmaA: number }>,
): Volume {
  const [nz, ny, nx] = shape;
  const data = new Float32Array(nz * ny * nx);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let v = 0;
        for (const b of blobs) {
          const d2 =
            (i * voxelSizeA - b.c[0]) ** 2 + (j * voxelSizeA - b.c[1]) ** 2 + (k * voxelSizeA - b.c[2]) ** 2;
          v += b.amp * Math.exp(-d2 / (2 * b.sigmaA ** 2));
        }
        data[(k * ny + j) * nx + i] = v;
      }
  return { data, shape, voxelSizeA };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const relL2 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

describe('Zernike basis', () => {
  test('descriptor length per order: (⌊N/2⌋+1)(⌈N/2⌉+1), 36 for N = 10; moments C(N+3, 3)', () => {
    const expected = [1, 2, 4, 6, 9, 12, 16, 20, 25, 30, 36];
    expected.forEach((len, n) => expect(zernikeDescriptorLength(n)).toBe(len));
    expect(zernikeIndex(10).count).toBe(286); // = C(13, 3): the basis spans all polynomials of degree ≤ 10
    expect(zernikeDescriptorNames(4)).toEqual([
      'zernike_n0_l0',
      'zernike_n1_l1',
      'zernike_n2_l0',
      'zernike_n2_l2',
      'zernike_n3_l1',
      'zernike_n3_l3',
      'zernike_n4_l0',
      'zernike_n4_l2',
      'zernike_n4_l4',
    ]);
  });

  test('matches closed forms of a few Z_nl^m (normalisation and real-harmonic convention)', () => {
    const rng = createRng(11);
    const v = new Float64Array(zernikeIndex(ORDER).count);
    const closed: Array<[number, number, number, (x: number, y: number, z: number) => number]> = [
      [0, 0, 0, () => Math.sqrt(3 / (4 * Math.PI))],
      [1, 1, 0, (x, y, z) => Math.sqrt(5) * Math.sqrt(3 / (4 * Math.PI)) * z],
      [
        2,
        0,
        0,
        (x, y, z) => ((Math.sqrt(7) * (5 * (x * x + y * y + z * z) - 3)) / 2) * Math.sqrt(1 / (4 * Math.PI)),
      ],
      [
        3,
        1,
        0,
        (x, y, z) => ((3 * (7 * (x * x + y * y + z * z) - 5)) / 2) * Math.sqrt(3 / (4 * Math.PI)) * z,
      ],
      [2, 2, 2, (x, y) => Math.sqrt(7) * 0.25 * Math.sqrt(15 / Math.PI) * (x * x - y * y)],
      [2, 2, -2, (x, y) => Math.sqrt(7) * 0.5 * Math.sqrt(15 / Math.PI) * x * y],
      [3, 3, 3, (x, y) => Math.sqrt(9) * 0.25 * Math.sqrt(35 / (2 * Math.PI)) * x * (x * x - 3 * y * y)],
    ];
    for (let t = 0; t < 20; t++) {
      const x = 2 * rng.uniform() - 1,
        y = 2 * rng.uniform() - 1,
        z = 2 * rng.uniform() - 1;
      if (x * x + y * y + z * z > 1) continue;
      evaluateZernike(ORDER, x, y, z, v);
      for (const [n, l, m, f] of closed)
        expect(v[zernikeMomentIndex(ORDER, n, l, m)]).toBeCloseTo(f(x, y, z), 12);
    }
  });

  test('(a) the sampled basis is orthonormal: Gram matrix over the ball grid = I within 1e-12 (measured ~6e-14)', () => {
    const grid = ballGrid(GRID);
    const M = zernikeIndex(ORDER).count;
    const gram = new Float64Array(M * M);
    const v = new Float64Array(M);
    for (let p = 0; p < grid.count; p++) {
      evaluateZernike(ORDER, grid.x[p], grid.y[p], grid.z[p], v);
      const w = grid.weights[p];
      for (let i = 0; i < M; i++) {
        const wi = w * v[i];
        for (let j = 0; j <= i; j++) gram[i * M + j] += wi * v[j];
      }
    }
    let err = 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j <= i; j++) err = Math.max(err, Math.abs(gram[i * M + j] - (i === j ? 1 : 0)));
    console.log(
      `Gram matrix of Z_nl^m up to N=${ORDER} on the ${GRID}-node ball grid (${grid.count} points): max |G − I| = ${err.toExponential(2)}`,
    );
    expect(err).toBeLessThan(1e-12);
  });

  test('(a) the moment pipeline (octant fold, Float32 samples) maps each sampled basis function to a unit vector: |M − I| < 1e-6', () => {
    const grid = ballGrid(GRID);
    const M = zernikeIndex(ORDER).count;
    const samples = new Float32Array(M * grid.count);
    const v = new Float64Array(M);
    for (let p = 0; p < grid.count; p++) {
      evaluateZernike(ORDER, grid.x[p], grid.y[p], grid.z[p], v);
      for (let j = 0; j < M; j++) samples[j * grid.count + p] = v[j];
    }
    const moments = zernikeMoments(samples, M, { order: ORDER, gridSize: GRID });
    let err = 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < M; j++) err = Math.max(err, Math.abs(moments[i * M + j] - (i === j ? 1 : 0)));
    console.log(
      `moments of the sampled basis functions: max |M − I| = ${err.toExponential(2)} (Float32 samples)`,
    );
    expect(err).toBeLessThan(1e-6);
  });

  test('a grid too coarse for the order is refused', () => {
    expect(() => zernikeMoments(new Float32Array(2 * 8 ** 3), 1, { order: 10, gridSize: 8 })).toThrow(
      PannError,
    );
  });
});

describe('(b) moments of known functions', () => {
  test('constant density in the ball (a constant volume): only Ω_00 = √(4π/3)', () => {
    const vol: Volume = { data: new Float32Array(30 ** 3).fill(1), shape: [30, 30, 30], voxelSizeA: 0.3 };
    const samples = sampleLocalDensity(vol, new Float64Array([4.41, 4.57, 4.33]), {
      radiusA: 1.3,
      gridSize: GRID,
    });
    const om = zernikeMoments(samples, 1, { order: ORDER, gridSize: GRID });
    expect(om[0]).toBeCloseTo(Math.sqrt((4 * Math.PI) / 3), 6);
    expect(maxAbs(om.subarray(1))).toBeLessThan(1e-6);
  });

  test('f = r²: Ω_00 = √(12π)/5, Ω_200 = √(4π)·√7·2/35, everything else 0', () => {
    const om = zernikeMoments(
      sampleFunction(GRID, (x, y, z) => x * x + y * y + z * z),
      1,
      { order: ORDER, gridSize: GRID },
    );
    const i200 = zernikeMomentIndex(ORDER, 2, 0, 0);
    expect(om[0]).toBeCloseTo(Math.sqrt(12 * Math.PI) / 5, 6);
    expect(om[i200]).toBeCloseTo((Math.sqrt(4 * Math.PI) * Math.sqrt(7) * 2) / 35, 6);
    const rest = Array.from(om).filter((_, j) => j !== 0 && j !== i200);
    expect(maxAbs(rest)).toBeLessThan(1e-6);
  });

  test('f = a single basis function (closed form) returns that moment ≈ 1 and the others ≈ 0', () => {
    const cases: Array<[number, number, number, (x: number, y: number, z: number) => number]> = [
      [2, 2, 2, (x, y) => Math.sqrt(7) * 0.25 * Math.sqrt(15 / Math.PI) * (x * x - y * y)],
      [
        3,
        1,
        0,
        (x, y, z) => ((3 * (7 * (x * x + y * y + z * z) - 5)) / 2) * Math.sqrt(3 / (4 * Math.PI)) * z,
      ],
    ];
    for (const [n, l, m, f] of cases) {
      const om = zernikeMoments(sampleFunction(GRID, f), 1, { order: ORDER, gridSize: GRID });
      const j = zernikeMomentIndex(ORDER, n, l, m);
      expect(om[j]).toBeCloseTo(1, 6);
      expect(maxAbs(Array.from(om).filter((_, i) => i !== j))).toBeLessThan(1e-6);
      // Its invariant vector is the unit vector of its (n, l) pair.
      const inv = zernikeInvariants(om, ORDER);
      const pair = zernikeIndex(ORDER).pairOf[j];
      expect(inv[pair]).toBeCloseTo(1, 6);
    }
  });

  test('isotropic Gaussian atom in a volume: Ω_00 matches the radial integral; all l > 0 invariants vanish (sampling is centred)', () => {
    const voxel = 0.15,
      sigmaA = 0.5,
      radiusA = 1.3;
    const centre = [4.07, 3.93, 4.11];
    const vol = gaussianVolume([56, 56, 56], voxel, [{ c: centre, amp: 1, sigmaA }]);
    const { values } = zernikeDescriptors(vol, new Float64Array(centre), { radiusA, order: ORDER });
    // Ω_00 = √(3/4π) ∫_B exp(−u²R²/2σ²) d³u = √(3/4π)·4π ∫₀¹ u² exp(−u²R²/2σ²) du (fine midpoint rule).
    let radial = 0;
    const S = 100000;
    for (let s = 0; s < S; s++) {
      const u = (s + 0.5) / S;
      radial += (u * u * Math.exp(-((u * radiusA) ** 2) / (2 * sigmaA ** 2))) / S;
    }
    const omega00 = Math.sqrt(3 / (4 * Math.PI)) * 4 * Math.PI * radial;
    const relErr00 = Math.abs(values[0] - omega00) / omega00;
    const pairs = zernikeIndex(ORDER).pairs;
    const lPositive = Math.max(...pairs.map((p, i) => (p.l > 0 ? values[i] : 0)));
    console.log(
      `Gaussian atom (σ ${sigmaA} Å, voxel ${voxel} Å): Ω_00 relative error ${relErr00.toExponential(2)}, max l>0 invariant / Ω_00 = ${(lPositive / omega00).toExponential(2)}`,
    );
    expect(relErr00).toBeLessThan(0.01);
    expect(lPositive / omega00).toBeLessThan(0.01);
    // Sampling half a voxel off centre must show up as an l = 1 moment far above that level.
    const off = zernikeDescriptors(vol, new Float64Array([centre[0] + voxel / 2, centre[1], centre[2]]), {
      radiusA,
      order: ORDER,
    });
    expect(off.values[zernikeDescriptorNames(ORDER).indexOf('zernike_n1_l1')] / omega00).toBeGreaterThan(
      0.05,
    );
  });
});

describe('(c) rotation invariance', () => {
  test('descriptors of an anisotropic density and of its analytic ZYZ rotation agree; raw moments do not', () => {
    const voxel = 0.3,
      radiusA = 1.3;
    const centre = [4.5, 4.5, 4.5];
    const offsets = [
      { o: [0, 0, 0], amp: 1, sigmaA: 0.45 },
      { o: [0.75, 0.15, -0.25], amp: 0.6, sigmaA: 0.4 },
      { o: [-0.3, 0.8, 0.35], amp: 0.4, sigmaA: 0.45 },
      { o: [0.1, -0.4, 0.9], amp: 0.3, sigmaA: 0.35 },
    ];
    const volumeFor = (R: number[] | null) =>
      gaussianVolume(
        [30, 30, 30],
        voxel,
        offsets.map(({ o, amp, sigmaA }) => {
          const r = R
            ? [
                R[0] * o[0] + R[1] * o[1] + R[2] * o[2],
                R[3] * o[0] + R[4] * o[1] + R[5] * o[2],
                R[6] * o[0] + R[7] * o[1] + R[8] * o[2],
              ]
            : o;
          return { c: [centre[0] + r[0], centre[1] + r[1], centre[2] + r[2]], amp, sigmaA };
        }),
      );
    const pos = new Float64Array(centre);
    const opts = { radiusA, order: ORDER, gridSize: GRID };
    const base = volumeFor(null);
    const f0 = zernikeDescriptors(base, pos, opts).values;
    const m0 = zernikeMoments(sampleLocalDensity(base, pos, opts), 1, opts);
    const rng = createRng(2026);
    let worstInvariant = 0,
      smallestRaw = Infinity;
    for (let t = 0; t < 3; t++) {
      const angles: [number, number, number] = [
        360 * rng.uniform(),
        (Math.acos(2 * rng.uniform() - 1) * 180) / Math.PI,
        360 * rng.uniform(),
      ];
      const rotated = volumeFor(rotationZYZ(angles));
      const f1 = zernikeDescriptors(rotated, pos, opts).values;
      const m1 = zernikeMoments(sampleLocalDensity(rotated, pos, opts), 1, opts);
      worstInvariant = Math.max(worstInvariant, relL2(f1, f0));
      smallestRaw = Math.min(smallestRaw, relL2(m1, m0));
    }
    console.log(
      `rotation invariance (voxel ${voxel} Å, radius ${radiusA} Å, N=${ORDER}): invariants ‖ΔF‖/‖F‖ ≤ ${worstInvariant.toExponential(2)}; raw moments ‖ΔΩ‖/‖Ω‖ ≥ ${smallestRaw.toExponential(2)}`,
    );
    expect(worstInvariant).toBeLessThan(0.01);
    expect(smallestRaw).toBeGreaterThan(0.2);
  });

  test("'omega00' normalisation removes the brightness but keeps F_00", () => {
    const blobs = [
      { c: [3, 3, 3], amp: 1, sigmaA: 0.45 },
      { c: [3.7, 3.2, 2.8], amp: 0.5, sigmaA: 0.4 },
    ];
    const a = gaussianVolume([22, 22, 22], 0.3, blobs);
    const b = gaussianVolume(
      [22, 22, 22],
      0.3,
      blobs.map((x) => ({ ...x, amp: 3 * x.amp })),
    );
    const pos = new Float64Array([3, 3, 3]);
    const da = zernikeDescriptors(a, pos, { normalization: 'omega00' }).values;
    const db = zernikeDescriptors(b, pos, { normalization: 'omega00' }).values;
    expect(db[0] / da[0]).toBeCloseTo(3, 5);
    for (let i = 1; i < da.length; i++) expect(db[i]).toBeCloseTo(da[i], 5);
    const raw = zernikeDescriptors(a, pos).values;
    expect(da[3] * raw[0]).toBeCloseTo(raw[3], 5);
  });
});

describe('zernikeDescriptorsAsync', () => {
  test('gives the sync result and reports progress up to nAtoms', async () => {
    const vol = gaussianVolume([30, 30, 30], 0.4, [
      { c: [5, 5, 5], amp: 1, sigmaA: 0.5 },
      { c: [6.2, 5.3, 4.4], amp: 0.7, sigmaA: 0.5 },
    ]);
    const rng = createRng(3);
    const pos = Float64Array.from({ length: 3 * 2500 }, () => 3 + 6 * rng.uniform());
    const events: number[] = [];
    const a = await zernikeDescriptorsAsync(vol, pos, { order: 6, onProgress: (e) => events.push(e.done) });
    const b = zernikeDescriptors(vol, pos, { order: 6 });
    expect(a.names).toEqual(b.names);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(events[events.length - 1]).toBe(2500);
    expect(events.length).toBeGreaterThan(1);
  });
});

describe('(e) speed', () => {
  test('descriptors of a 10,000-atom particle (timing printed, not asserted)', () => {
    // fcc Pt (a = 3.92 Å) block of 14³ cells minus a few atoms: 10,000 atoms in a 0.4 Å-voxel volume.
    const a = 3.92,
      voxel = 0.4,
      cells = 14,
      margin = 3;
    const positions: number[] = [];
    const basis = [
      [0, 0, 0],
      [0.5, 0.5, 0],
      [0.5, 0, 0.5],
      [0, 0.5, 0.5],
    ];
    for (let k = 0; k < cells; k++)
      for (let j = 0; j < cells; j++)
        for (let i = 0; i < cells; i++)
          for (const b of basis) {
            if (positions.length < 30000)
              positions.push(margin + (i + b[0]) * a, margin + (j + b[1]) * a, margin + (k + b[2]) * a);
          }
    const n = Math.ceil((2 * margin + cells * a) / voxel);
    const data = new Float32Array(n * n * n);
    for (let i = 0; i < data.length; i++) data[i] = 1 + Math.sin(i * 0.731) * Math.cos(i * 0.0173);
    const vol: Volume = { data, shape: [n, n, n], voxelSizeA: voxel };
    const pos = Float64Array.from(positions);
    zernikeDescriptors(vol, pos.subarray(0, 300)); // warm the basis cache and the JIT
    const t0 = process.hrtime.bigint();
    const { values, names } = zernikeDescriptors(vol, pos);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(
      `zernikeDescriptors: ${pos.length / 3} atoms, N=${ORDER}, grid ${GRID} (${ballGrid(GRID).count} points/atom), volume ${n}³: ${ms.toFixed(0)} ms (${((1000 * ms) / (pos.length / 3)).toFixed(0)} µs/atom)`,
    );
    expect(values.length).toBe((pos.length / 3) * names.length);
    expect(values.every(Number.isFinite)).toBe(true);
  });
});

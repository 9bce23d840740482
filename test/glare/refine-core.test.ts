/** @jest-environment ./test/engine/ort-env.js */
/**
 * GLARE building blocks without trained weights: odd volume sizes, tiling vs one pass, exact
 * reproducibility, the physics gradient (finite differences), the data generator's splits.
 */
import { initWeights } from '../../kernel-lib/src/nn/init';
import { buildRefineNetwork, DEFAULT_ARCH, type RefineArch } from '../../kernel-lib/src/refine/model';
import { refineVolume, type RefineModel } from '../../kernel-lib/src/refine/infer';
import { physicsContext, physicsGradient } from '../../kernel-lib/src/refine/physics';
import { addLightAtomGradient, lightAtomMap } from '../../kernel-lib/src/refine/light-atoms';
import {
  independentExposure,
  sampleSpec,
  testSpecs,
  validationSpecs,
  VALIDATION_SEED_BASE,
} from '../../kernel-lib/src/refine/data';
import { createRng } from '../../kernel-lib/src/core/rng';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import { surfaceAtoms } from '../../kernel-lib/src/sim/neighbours';
import type { Shape3, TiltSeries } from '../../kernel-lib/src/core/types';
import { Projector } from '../../kernel-lib/src/recon/projector';
import { resampleAreaAverage, resampleTrilinear } from '../../kernel-lib/src/refine/volume-ops';
import { runHaloTiled } from '../../kernel-lib/src/nn/tiling';
import { simulate } from '../../kernel-lib/src/sim/simulate';
import { trainCommand } from '../../kernel-lib/src/refine/cli';
import { pearsonCorrelation } from '../../kernel-lib/src/metrics/correlation';
import { subtractBackground } from '../../kernel-lib/src/preprocess/background';

jest.setTimeout(60_000);

function smallModel(kind: 'glare' | 'unet'): RefineModel {
  const arch: RefineArch = { kind, widths: [4, 8, 16], patchEdge: 16 };
  const net = buildRefineNetwork(arch);
  return { arch, net, weights: initWeights(net, 3), info: {} };
}

function noiseVolume(shape: Shape3, seed: number): Float32Array {
  const rng = createRng(seed);
  const v = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < v.length; i++) v[i] = Math.max(0, rng.normal());
  return v;
}

describe('refine networks', () => {
  test('run on odd volume sizes, keep the shape and voxel size, give finite non-negative output', async () => {
    for (const kind of ['glare', 'unet'] as const) {
      const shape: Shape3 = [19, 26, 33];
      const out = await refineVolume(
        { data: noiseVolume(shape, 1), shape, voxelSizeA: 0.6 },
        { model: smallModel(kind), tileEdge: 16 },
      );
      expect(out.shape).toEqual(shape);
      expect(out.voxelSizeA).toBe(0.6);
      expect(out.data.length).toBe(19 * 26 * 33);
      expect(out.data.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
      expect(out.data.some((x) => x > 0)).toBe(true);
    }
  });

  test('exactly reproducible', async () => {
    const shape: Shape3 = [24, 24, 24];
    const vol = { data: noiseVolume(shape, 2), shape, voxelSizeA: 0.6 };
    const m = smallModel('glare');
    const a = await refineVolume(vol, { model: m, tileEdge: 16 });
    const b = await refineVolume(vol, { model: m, tileEdge: 16 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
  });

  test('halo tiling equals one pass exactly for an operator whose reach is within the halo', async () => {
    // 3×3×3 box sum with zero padding: reach 1 voxel. With a halo ≥ 1 every kept voxel sees its full
    // neighbourhood, so tiles must reproduce the one-pass result (up to float rounding of the blend).
    const box = (v: Float32Array, [nz, ny, nx]: Shape3): Float32Array => {
      const o = new Float32Array(v.length);
      for (let k = 0; k < nz; k++)
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            let s = 0;
            for (let c = -1; c <= 1; c++)
              for (let b = -1; b <= 1; b++)
                for (let a = -1; a <= 1; a++) {
                  const z = k + c,
                    y = j + b,
                    x = i + a;
                  if (z >= 0 && z < nz && y >= 0 && y < ny && x >= 0 && x < nx) s += v[(z * ny + y) * nx + x];
                }
            o[(k * ny + j) * nx + i] = s;
          }
      return o;
    };
    const shape: Shape3 = [29, 40, 23];
    const x = noiseVolume(shape, 4);
    const one = box(x, shape);
    const e = 12;
    const tiled = await runHaloTiled(x, shape, async (t) => box(t, [e, e, e]), {
      tileEdge: e,
      haloVoxels: 2,
      blendVoxels: 3,
    });
    let maxErr = 0;
    for (let i = 0; i < one.length; i++) maxErr = Math.max(maxErr, Math.abs(one[i] - tiled[i]));
    expect(maxErr).toBeLessThan(1e-4);
    // without a halo the tile faces cut the neighbourhood: the check above can fail
    const cut = await runHaloTiled(x, shape, async (t) => box(t, [e, e, e]), {
      tileEdge: e,
      haloVoxels: 0,
      blendVoxels: 0,
    });
    expect(one.some((v, i) => Math.abs(v - cut[i]) > 0.1)).toBe(true);
  });

  test('the shipped default architecture builds for both kinds', () => {
    expect(buildRefineNetwork({ ...DEFAULT_ARCH.glare, acquisition: false }).inputs).toEqual(['volume', 'global']);
    expect(buildRefineNetwork(DEFAULT_ARCH.unet).inputs).toEqual(['volume']);
  });
});

describe('physics terms', () => {
  /**
   * The physics loss written out — λ_proj/(2·nAngles·L)·‖P f(v) − b/s‖² + λ_pos/2·Σ min(v, 0)² on the
   * 12³ test frame with 4 angles — and its central differences at voxels `idxs` against physicsGradient.
   */
  function expectFiniteDifferences(P: Projector, ctx: ReturnType<typeof physicsContext>, w: { projection: number; positivity: number; contrastPower?: number }, f: (x: number) => number, v: Float32Array, idxs: number[]): void {
    const L = (vol: Float32Array): number => {
      const r = P.forward(vol.map(f));
      let s = 0;
      for (let i = 0; i < r.length; i++) s += (r[i] - ctx.scaledTilts[i]) ** 2;
      let neg = 0;
      for (const x of vol) if (x < 0) neg += x * x;
      return (w.projection / (2 * 4 * 12)) * s + (w.positivity / 2) * neg;
    };
    const { grad } = physicsGradient(ctx, v, w);
    for (const idx of idxs) {
      const h = 1e-2;
      const vp = v.slice(),
        vm = v.slice();
      vp[idx] += h;
      vm[idx] -= h;
      const fd = (L(vp) - L(vm)) / (2 * h);
      expect(Math.abs(fd - grad[idx])).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    }
  }

  test('gradient matches finite differences of the projection + positivity loss', () => {
    const shape: Shape3 = [12, 12, 12];
    const angles = [-60, -20, 20, 60].map((t) => [0, t, 0] as [number, number, number]);
    const truth = noiseVolume(shape, 5);
    const P = new Projector(shape, angles, [12, 12]);
    const b = P.forward(truth);
    for (let i = 0; i < b.length; i++) b[i] *= 3; // counts = 3 × network units
    const tilts: TiltSeries = { data: b, shape: [4, 12, 12], pixelSizeA: 0.5, anglesDeg: angles };
    const ctx = physicsContext(tilts, truth, shape);
    const w = { projection: 0.7, positivity: 0.3 };
    const rng = createRng(6);
    const v = new Float32Array(truth.length).map(() => rng.normal());
    expectFiniteDifferences(P, ctx, w, (x) => x, v, [0, 100, 777, 1500]);
    // the fitted scale recovers the factor 3, so the truth is consistent
    expect(physicsGradient(ctx, truth, { projection: 1, positivity: 0 }).relResidual).toBeLessThan(1e-6);
  });
  test('contrast power 2: gradient of the projection of max(V, 0)² matches finite differences, and the truth stays consistent', () => {
    const shape: Shape3 = [12, 12, 12];
    const angles = [-60, -20, 20, 60].map((t) => [0, t, 0] as [number, number, number]);
    // a positive "atomic" truth; the measurement sees it squared (HAADF ∝ Z^1.7 = height²)
    const truth = noiseVolume(shape, 5).map((x) => Math.abs(x));
    const P = new Projector(shape, angles, [12, 12]);
    const b = P.forward(truth.map((x) => x * x));
    for (let i = 0; i < b.length; i++) b[i] *= 3;
    const tilts: TiltSeries = { data: b, shape: [4, 12, 12], pixelSizeA: 0.5, anglesDeg: angles };
    const w = { projection: 0.7, positivity: 0.3, contrastPower: 2 };
    const ctx = physicsContext(tilts, truth, shape, 2);
    const rng = createRng(7);
    const v = new Float32Array(truth.length).map(() => rng.normal());
    // voxels away from the kink at 0 (finite differences straddling it are not the derivative)
    const idxs = [0, 100, 777, 1500, 1600].filter((i) => Math.abs(v[i]) > 0.05);
    expect(idxs.length).toBeGreaterThan(2);
    expectFiniteDifferences(P, ctx, w, (x) => (x > 0 ? x * x : 0), v, idxs);
    expect(physicsGradient(ctx, truth, w).relResidual).toBeLessThan(1e-6);
    // projected linearly (p = 1) the same truth is NOT consistent with squared-contrast counts
    expect(physicsGradient(physicsContext(tilts, truth, shape, 1), truth, { projection: 1, positivity: 0 }).relResidual).toBeGreaterThan(1e-3);
    // settings that disagree with the fitted context are refused
    expect(() => physicsGradient(ctx, truth, { projection: 1, positivity: 0 })).toThrow(/contrastPower/);
  });
});

describe('light-atom weighting', () => {
  const shape: Shape3 = [16, 16, 16];
  const model = (species: string[]) => ({ species, positionsA: new Float32Array([2, 2, 2, 5, 5, 5]) }); // voxels (4,4,4), (10,10,10) at 0.5 Å

  test('peaks on the lighter species only; none for one species', () => {
    expect(lightAtomMap(model(['Pt', 'Pt']), shape, 0.5)).toBeUndefined();
    const m = lightAtomMap(model(['Fe', 'Pt']), shape, 0.5)!;
    const at = (i: number) => m[(i * 16 + i) * 16 + i];
    expect(at(4)).toBeCloseTo(1, 5); // Fe
    expect(at(10)).toBeCloseTo(0, 5); // Pt
  });

  test('surfaceWeight raises the peaks of outer light atoms only', () => {
    // an fcc FePt cuboctahedron: outer Fe get 1 + s, inner Fe 1, Pt 0
    const p = buildParticle({ composition: { Fe: 0.5, Pt: 0.5 }, ordering: 'L10', shape: 'cuboctahedron', diameterA: 14, voxelSizeA: 0.5, volumeShape: [48, 48, 48] }, 2);
    const outer = surfaceAtoms(p.positionsA);
    const base = lightAtomMap(p, [48, 48, 48], 0.5)!;
    const raised = lightAtomMap(p, [48, 48, 48], 0.5, 2)!;
    const at = (m: Float32Array, a: number) => m[(Math.round(p.positionsA[3 * a + 2] / 0.5) * 48 + Math.round(p.positionsA[3 * a + 1] / 0.5)) * 48 + Math.round(p.positionsA[3 * a] / 0.5)];
    let outerFe = 0,
      innerFe = 0;
    p.species.forEach((sp, a) => {
      if (sp !== 'Fe') return expect(at(raised, a)).toBeCloseTo(at(base, a), 5);
      if (outer[a]) {
        outerFe++;
        expect(at(raised, a) - at(base, a)).toBeGreaterThan(1.5); // + 2 × a unit peak sampled near its centre
      } else {
        innerFe++;
        expect(at(raised, a)).toBeCloseTo(at(base, a), 5);
      }
    });
    expect(outerFe).toBeGreaterThan(10);
    expect(innerFe).toBeGreaterThan(0);
  });

  test('a target shifted by the added gradient gives the MSE gradient of the weighted loss', () => {
    const light = lightAtomMap(model(['Fe', 'Pt']), shape, 0.5)!;
    const rng = createRng(3);
    const y = new Float32Array(light.length).map(() => rng.normal());
    const t = new Float32Array(light.length).map(() => rng.normal());
    const g = new Float32Array(light.length);
    addLightAtomGradient(g, light, y, t, 4);
    for (const i of [0, (4 * 16 + 4) * 16 + 4, (10 * 16 + 10) * 16 + 10, 1234]) {
      // d/dy of (1 + 4ℓ)(y − t)² is 2(1 + 4ℓ)(y − t); the MSE to t − g gives 2(y − t + g)
      expect(2 * (y[i] - t[i] + g[i])).toBeCloseTo(2 * (1 + 4 * light[i]) * (y[i] - t[i]), 4);
    }
  });
});

describe('data generator', () => {
  test('a seed always draws the same set-up; splits are disjoint from training seeds', () => {
    expect(sampleSpec(42)).toEqual(sampleSpec(42));
    expect(sampleSpec(42)).not.toEqual(sampleSpec(43));
    expect(validationSpecs(3).every((s) => s.seed >= VALIDATION_SEED_BASE)).toBe(true);
    const t = testSpecs([1e4, 1e3], 1, ['icosahedron']);
    expect(t.map((s) => s.simulate.totalDoseEPerA2)).toEqual([1e4, 1e3]);
    expect(t[0].simulate.particle).toEqual(t[1].simulate.particle);
    expect(t.every((s) => s.seed > validationSpecs(1)[0].seed)).toBe(true);
    // a subset of morphologies draws the same particles as the full split
    const full = testSpecs([1e4]);
    for (const m of ['amorphous', 'cuboctahedron', 'sphere'])
      expect(testSpecs([1e4], 1, [m])[0]).toEqual(full.find((s) => s.morphology === m));
    expect(() => testSpecs([1e4], 1, ['cylinder'])).toThrow(/unknown test morphology 'cylinder'/);
  });

  test('draws cover every morphology, composition kind, noise preset and the dose range', () => {
    const specs = Array.from({ length: 400 }, (_, i) => sampleSpec(i));
    const m = new Set(specs.map((s) => s.morphology));
    expect(m.size).toBe(8);
    expect(new Set(specs.map((s) => s.compositionKind))).toEqual(
      new Set(['pure', 'L10', 'L12', 'random', 'core-shell', 'amorphous']),
    );
    expect(new Set(specs.map((s) => s.simulate.acquisition!.noiseModel)).size).toBe(4);
    const d = specs.map((s) => s.simulate.totalDoseEPerA2!);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(1e3);
    expect(Math.max(...d)).toBeLessThanOrEqual(1e6);
    expect(Math.min(...d)).toBeLessThan(2e3);
    expect(Math.max(...d)).toBeGreaterThan(5e5);
  });
});

test('trilinear resampling keeps a smooth field', () => {
  const shape: Shape3 = [20, 20, 20];
  const f = (x: number, y: number, z: number): number => 0.3 * x + 0.2 * y - 0.1 * z;
  const v = new Float32Array(8000);
  for (let k = 0; k < 20; k++)
    for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) v[(k * 20 + j) * 20 + i] = f(i, j, k);
  const out = resampleTrilinear(v, shape, [8, 8, 8], 2.5);
  for (let k = 0; k < 8; k++)
    for (let j = 0; j < 8; j++)
      for (let i = 0; i < 8; i++)
        expect(out[(k * 8 + j) * 8 + i]).toBeCloseTo(f(2.5 * i, 2.5 * j, 2.5 * k), 4);
});

describe('independent exposure (the measurement of the consistency term with physicsExposure "independent")', () => {
  test('same particle, angles and dose; reproducible; its shot noise is independent of the first exposure', async () => {
    // a training set-up with plain Poisson noise, so that its noise-free series is the 'ideal' preset
    let seed = 0;
    while (sampleSpec(seed).simulate.acquisition?.noiseModel !== 'poisson') seed++;
    const spec = sampleSpec(seed, { totalDoseEPerA2: 1e4 });
    const first = await simulate(spec.simulate);
    const measured = subtractBackground(first.tilts).tilts;
    const ideal = subtractBackground((await simulate({ ...spec.simulate, acquisition: { ...spec.simulate.acquisition, noiseModel: 'ideal' } })).tilts).tilts;
    const second = await independentExposure(spec, first.truth);
    expect(second.shape).toEqual(measured.shape);
    expect(second.anglesDeg).toEqual(measured.anglesDeg);
    expect(second.totalDoseEPerA2).toBe(measured.totalDoseEPerA2);
    expect((await independentExposure(spec, first.truth)).data).toEqual(second.data);
    const noise = (t: TiltSeries) => t.data.map((x, i) => x - ideal.data[i]);
    const n1 = noise(measured),
      n2 = noise(second);
    // the signal is the same: both correlate strongly with the noise-free series
    expect(pearsonCorrelation(second.data, ideal.data)).toBeGreaterThan(0.5);
    expect(pearsonCorrelation(measured.data, second.data)).toBeGreaterThan(0.5);
    // and the noise is not shared (a re-reconstruction of the same series would give exactly 1)
    expect(Math.abs(pearsonCorrelation(n1, n2))).toBeLessThan(0.05);
  });

  test('pann train names a bad --surface-light-weight before any training starts', async () => {
    await expect(trainCommand(['glare', '--surface-light-weight=-1', '--steps=1'])).rejects.toThrow(/--surface-light-weight must be a number ≥ 0, got '-1'/);
  });

  test('pann train names a bad --physics-exposure before any training starts', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await expect(trainCommand(['glare', '--physics-exposure=twice', '--steps=1'])).rejects.toThrow(/--physics-exposure must be 'same' or 'independent', got 'twice'/);
    log.mockRestore();
  });
});

describe('area-average down-sampling (refineVolume on voxels finer than trained)', () => {
  test('keeps a linear field at interior voxels on the same grid as the trilinear resampler', () => {
    const shape: Shape3 = [21, 18, 24];
    const f = (x: number, y: number, z: number): number => 0.3 * x + 0.2 * y - 0.1 * z + 2;
    const v = new Float32Array(21 * 18 * 24);
    for (let k = 0; k < 21; k++)
      for (let j = 0; j < 18; j++) for (let i = 0; i < 24; i++) v[(k * 18 + j) * 24 + i] = f(i, j, k);
    const factor = 2.05;
    const outShape: Shape3 = [10, 9, 12];
    const out = resampleAreaAverage(v, shape, outShape, factor);
    // interior output cells lie wholly inside the volume: the overlap-weighted mean of a linear field is
    // its value at the cell centre, up to the voxel quantisation of the cell's partly covered ends —
    // a shift of at most 0.05 input voxel (measured ≤ 0.02), i.e. ≤ 0.05 · (0.3 + 0.2 + 0.1) here
    for (let k = 1; k < 9; k++)
      for (let j = 1; j < 8; j++)
        for (let i = 1; i < 11; i++)
          expect(Math.abs(out[(k * 9 + j) * 12 + i] - f(factor * i, factor * j, factor * k))).toBeLessThan(0.05 * 0.6);
    const tri = resampleTrilinear(v, shape, outShape, factor);
    expect(Math.abs(out[(4 * 9 + 4) * 12 + 5] - tri[(4 * 9 + 4) * 12 + 5])).toBeLessThan(0.05 * 0.6);
  });

  test('averages noise that point sampling keeps', () => {
    const shape: Shape3 = [40, 40, 40];
    const rng = createRng(3);
    const v = new Float32Array(40 ** 3).map(() => 1 + rng.normal());
    const outShape: Shape3 = [20, 20, 20];
    const sd = (a: Float32Array) => {
      const m = a.reduce((s, x) => s + x, 0) / a.length;
      return { m, s: Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length) };
    };
    const area = sd(resampleAreaAverage(v, shape, outShape, 2));
    const point = sd(resampleTrilinear(v, shape, outShape, 2));
    expect(area.m).toBeCloseTo(1, 1);
    expect(point.s).toBeGreaterThan(0.95); // integer positions: the input voxels themselves
    // weights ¼, ½, ¼ per axis: σ · (3/8)^(3/2) ≈ 0.23 σ inside, a little more at the faces
    expect(area.s).toBeLessThan(0.3);
    expect(area.s).toBeGreaterThan(0.2);
  });

  test('constant volume stays constant, also at the faces and past the end', () => {
    const out = resampleAreaAverage(new Float32Array(7 * 5 * 9).fill(3), [7, 5, 9], [4, 3, 5], 2.5);
    for (const x of out) expect(x).toBeCloseTo(3, 5);
  });
});

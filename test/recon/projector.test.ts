import { createRng } from '../../kernel-lib/src/core/rng';
import type { EulerZYZDeg, Shape3 } from '../../kernel-lib/src/core/types';
import { projectAtoms } from '../../kernel-lib/src/sim/project-atoms';
import { Projector, backProject, forwardProject } from '../../kernel-lib/src/recon/projector';
import { adjointKernel, forwardKernel } from '../../kernel-lib/src/recon/projector-kernels';
import { ParallelProjector } from '../../kernel-lib/src/recon/projector-workers';
import { dot, randomModel, renderBlobs, tiltAngles } from './helpers';

function randomArray(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

function randomAngles(seed: number, n: number): EulerZYZDeg[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => [360 * rng.uniform() - 180, 180 * rng.uniform(), 360 * rng.uniform() - 180] as EulerZYZDeg);
}

describe('projector adjointness ⟨A x, y⟩ = ⟨x, Aᵀ y⟩', () => {
  const cases: { name: string; vol: Shape3; det: [number, number]; angles: EulerZYZDeg[] }[] = [
    { name: 'random Euler, odd non-cubic volume, larger detector', vol: [9, 13, 11], det: [17, 15], angles: randomAngles(1, 7) },
    { name: 'random Euler, detector smaller than the volume (taps fall off)', vol: [15, 11, 13], det: [8, 9], angles: randomAngles(2, 5) },
    { name: 'single-axis tilt (2-tap fast path), even/odd mix', vol: [12, 7, 15], det: [7, 16], angles: tiltAngles(-90, 90, 13) },
    { name: 'tilt with non-integer v (psi ≠ 0 and phi=psi=90)', vol: [10, 9, 8], det: [9, 9], angles: [[0, 30, 17], [90, 20, 90], [90, 40, -90], [0, 0, 0]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = new Projector(c.vol, c.angles, c.det);
      const x = randomArray(10, p.volumeLength);
      const y = randomArray(11, p.projectionLength);
      const ax = p.forward(x);
      const aty = p.adjoint(y);
      const lhs = dot(ax, y),
        rhs = dot(x, aty);
      const scale = Math.sqrt(dot(ax, ax) * dot(y, y));
      expect(scale).toBeGreaterThan(0);
      expect(Math.abs(lhs - rhs) / scale).toBeLessThan(1e-5);
      // the public one-shot functions are the same operators
      expect(forwardProject({ data: x, shape: c.vol, voxelSizeA: 0.5 }, c.angles, c.det)).toEqual(ax);
      const bp = backProject(y, c.angles, c.det, c.vol, 0.5);
      expect(bp.shape).toEqual(c.vol);
      expect(bp.voxelSizeA).toBe(0.5);
      expect(bp.data).toEqual(aty);
    });
  }

  it('kernel pair with an exact r3 = 0 rotation about x (constant, non-integer v along rows)', () => {
    const [nz, ny, nx, dny, dnx] = [7, 9, 11, 10, 12];
    const c = Math.cos(0.4),
      s = Math.sin(0.4);
    const rot = Float64Array.from([1, 0, 0, 0, c, -s, 0, s, c, 1, 0, 0, 0, -c, s, 0, s, c]);
    const x = randomArray(12, nz * ny * nx),
      y = randomArray(13, 2 * dny * dnx);
    const ax = new Float32Array(2 * dny * dnx);
    forwardKernel(x, nz, ny, nx, rot, dny, dnx, 0, 2, ax, new Float64Array((dny + 2) * (dnx + 2)));
    const padded = new Projector([nz, ny, nx], [[0, 0, 0], [0, 0, 0]], [dny, dnx]).padProjections(y);
    const aty = new Float32Array(nz * ny * nx);
    adjointKernel(padded, 2, rot, dny, dnx, aty, nz, ny, nx, 0, nz, new Float64Array(nx));
    const scale = Math.sqrt(dot(ax, ax) * dot(y, y));
    expect(Math.abs(dot(ax, y) - dot(x, aty)) / scale).toBeLessThan(1e-5);
  });

  it('conserves the integrated weight of voxels that land inside the detector', () => {
    const p = new Projector([11, 11, 11], randomAngles(3, 4), [31, 31]);
    const x = randomArray(4, p.volumeLength).map(Math.abs);
    const ax = p.forward(x);
    const total = x.reduce((s, v) => s + v, 0);
    for (let a = 0; a < 4; a++) {
      const s = ax.subarray(a * 31 * 31, (a + 1) * 31 * 31).reduce((t, v) => t + v, 0);
      expect(Math.abs(s - total) / total).toBeLessThan(1e-5);
    }
  });
});

describe('worker-thread projector', () => {
  let par: ParallelProjector;
  beforeAll(() => {
    par = new ParallelProjector(2);
  });
  afterAll(async () => {
    await par.dispose();
  });
  it('gives bit-identical results to the single-thread path', async () => {
    const angles = [...randomAngles(5, 5), ...tiltAngles(-60, 60, 20)];
    const p = new Projector([13, 10, 12], angles, [11, 14]);
    const x = randomArray(6, p.volumeLength),
      y = randomArray(7, p.projectionLength);
    const ax = p.forward(x),
      aty = p.adjoint(y);
    p.useParallel(par);
    expect(await p.forwardAsync(x)).toEqual(ax);
    expect(await p.adjointAsync(y)).toEqual(aty);
    p.useParallel(null);
    expect(await p.forwardAsync(x)).toEqual(ax);
  });
  it('refuses work after dispose', async () => {
    const extra = new ParallelProjector(1);
    await extra.dispose();
    const p = new Projector([4, 4, 4], [[0, 0, 0]], [4, 4]);
    p.useParallel(extra);
    await expect(p.forwardAsync(new Float32Array(64))).rejects.toMatchObject({ code: 'STATE' });
  });
});

describe('volume projector and analytic atom projector share one geometry', () => {
  const shape: Shape3 = [40, 36, 44];
  const voxelA = 0.4;
  const sigmaA = 0.6;
  const model = randomModel(21, 6, 5, 3.5, shape, voxelA);
  const vol = renderBlobs(model, shape, voxelA, sigmaA, 1);
  const angles: EulerZYZDeg[] = [[0, 0, 0], [0, 37, 0], [0, -71, 0], ...randomAngles(22, 4)];
  const det: [number, number] = [38, 46];
  const fwd = forwardProject(vol, angles, det);
  const ana = projectAtoms(model, angles, { detectorShape: det, pixelSizeA: voxelA, volumeShape: shape, weightBySpecies: { Si: 1 }, sigmaA });

  it('conserves the integrated weight (one per atom)', () => {
    for (let a = 0; a < angles.length; a++) {
      const s = (arr: Float32Array) => arr.subarray(a * det[0] * det[1], (a + 1) * det[0] * det[1]).reduce((t, v) => t + v, 0);
      expect(s(fwd)).toBeCloseTo(model.species.length, 3);
      expect(s(ana)).toBeCloseTo(model.species.length, 2);
    }
  });

  it('puts every atom at the same detector position (< 0.1 px)', () => {
    // the centroid of each atom's spot, in a window around the analytic maximum, from both projectors
    const [ny, nx] = det;
    let worst = 0;
    for (let a = 0; a < angles.length; a++) {
      // expected positions: project the single atoms analytically
      for (let t = 0; t < model.species.length; t++) {
        const one = { positionsA: model.positionsA.slice(3 * t, 3 * t + 3), species: ['Si'] };
        const oneVol = renderBlobs(one, shape, voxelA, sigmaA, 1);
        const f = forwardProject(oneVol, [angles[a]], det);
        const g = projectAtoms(one, [angles[a]], { detectorShape: det, pixelSizeA: voxelA, volumeShape: shape, weightBySpecies: { Si: 1 }, sigmaA });
        const centroid = (img: Float32Array) => {
          let s = 0,
            su = 0,
            sv = 0;
          for (let y = 0; y < ny; y++)
            for (let x = 0; x < nx; x++) {
              s += img[y * nx + x];
              su += x * img[y * nx + x];
              sv += y * img[y * nx + x];
            }
          return [su / s, sv / s];
        };
        const [fu, fv] = centroid(f);
        const [gu, gv] = centroid(g);
        worst = Math.max(worst, Math.hypot(fu - gu, fv - gv));
      }
    }
    expect(worst).toBeLessThan(0.1);
    // and the whole images agree closely (same blobs, same places)
    let num = 0,
      den = 0;
    for (let i = 0; i < fwd.length; i++) {
      num += (fwd[i] - ana[i]) ** 2;
      den += ana[i] ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(0.1);
  });
});

describe('projector input validation', () => {
  it('rejects bad shapes, angles and sizes', () => {
    expect(() => new Projector([0, 4, 4], [[0, 0, 0]], [4, 4])).toThrow(expect.objectContaining({ code: 'SHAPE' }));
    expect(() => new Projector([4, 4, 4], [], [4, 4])).toThrow(expect.objectContaining({ code: 'SHAPE' }));
    expect(() => new Projector([4, 4, 4], [[0, NaN, 0]], [4, 4])).toThrow(expect.objectContaining({ code: 'VALUE' }));
    expect(() => new Projector([4, 4, 4], [[0, 0, 0]], [4, 4]).forward(new Float32Array(10))).toThrow(/10 values, expected 64/);
    expect(() => backProject(new Float32Array(16), [[0, 0, 0]], [4, 4], [4, 4, 4], 0)).toThrow(/voxelSizeA/);
  });
});

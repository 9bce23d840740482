import { renderAtomicVolume } from '../../kernel-lib/src/sim/atomic-volume';
import { buildParticle } from '../../kernel-lib/src/sim/particle';
import type { AtomicModel, Shape3 } from '../../kernel-lib/src/core/types';

describe('renderAtomicVolume', () => {
  const shape: Shape3 = [40, 44, 48];
  const v = 0.5;

  it('peaks sit at the atom positions (sub-voxel), with the given peak height and Gaussian integral', () => {
    const pos = [7.13, 9.41, 6.07, 14.9, 12.26, 11.55, 20.02, 17.9, 15.3]; // ≥ 8 voxels apart
    const model: AtomicModel = { positionsA: Float64Array.from(pos), species: ['Pt', 'Fe', 'Pt'] };
    const sigmaA = 0.45;
    const vol = renderAtomicVolume(model, {
      volumeShape: shape,
      voxelSizeA: v,
      sigmaA,
      weightBySpecies: { Pt: 2, Fe: 1 },
    });
    expect(vol.shape).toEqual(shape);
    const [, ny, nx] = shape;
    for (let a = 0; a < 3; a++) {
      const x = pos[3 * a] / v,
        y = pos[3 * a + 1] / v,
        z = pos[3 * a + 2] / v;
      // Centroid over a ±6-voxel box (wider than the 4σ cut on every side) equals the position.
      let s = 0,
        sx = 0,
        sy = 0,
        sz = 0,
        max = 0,
        arg = [0, 0, 0];
      for (let k = Math.round(z) - 6; k <= Math.round(z) + 6; k++)
        for (let j = Math.round(y) - 6; j <= Math.round(y) + 6; j++)
          for (let i = Math.round(x) - 6; i <= Math.round(x) + 6; i++) {
            const val = vol.data[(k * ny + j) * nx + i];
            s += val;
            sx += val * i;
            sy += val * j;
            sz += val * k;
            if (val > max) {
              max = val;
              arg = [i, j, k];
            }
          }
      expect(sx / s).toBeCloseTo(x, 2);
      expect(sy / s).toBeCloseTo(y, 2);
      expect(sz / s).toBeCloseTo(z, 2);
      expect(arg).toEqual([Math.round(x), Math.round(y), Math.round(z)]);
      const w = model.species[a] === 'Pt' ? 2 : 1;
      const sg = sigmaA / v;
      expect(s).toBeCloseTo(w * (2 * Math.PI) ** 1.5 * sg ** 3, 1);
    }
  });

  it('renders a whole particle fast, every atom a local maximum at its voxel, nothing beyond 4σ', () => {
    const m = buildParticle(
      { species: 'Pt', shape: 'sphere', diameterA: 40, voxelSizeA: 0.4, volumeShape: [128, 128, 128] },
      1,
    );
    const t0 = performance.now();
    const vol = renderAtomicVolume(m, { volumeShape: [128, 128, 128], voxelSizeA: 0.4, sigmaA: 0.4 });
    const ms = performance.now() - t0;
    expect(m.species.length).toBeGreaterThan(2000);
    // Guard against accidental whole-volume work per atom (that would take minutes); unloaded it takes ~50 ms.
    expect(ms).toBeLessThan(10000);
    const n = 128;
    for (let a = 0; a < m.species.length; a += 7) {
      const i = Math.round(m.positionsA[3 * a] / 0.4),
        j = Math.round(m.positionsA[3 * a + 1] / 0.4),
        k = Math.round(m.positionsA[3 * a + 2] / 0.4);
      const c = vol.data[(k * n + j) * n + i];
      expect(c).toBeGreaterThan(0.5);
      for (const [di, dj, dk] of [
        [1, 0, 0],
        [-1, 0, 0],
        [0, 1, 0],
        [0, -1, 0],
        [0, 0, 1],
        [0, 0, -1],
      ]) {
        expect(c).toBeGreaterThanOrEqual(vol.data[((k + dk) * n + j + dj) * n + i + di]);
      }
    }
    // Corners of the volume are far from every atom: exactly zero.
    expect(vol.data[0]).toBe(0);
    expect(vol.data[vol.data.length - 1]).toBe(0);
  });

  it('rejects missing species weights and bad shapes', () => {
    const model: AtomicModel = { positionsA: Float64Array.from([5, 5, 5]), species: ['Au'] };
    expect(() =>
      renderAtomicVolume(model, {
        volumeShape: shape,
        voxelSizeA: v,
        sigmaA: 0.4,
        weightBySpecies: { Pt: 1 },
      }),
    ).toThrow(/species 'Au'/);
    expect(() => renderAtomicVolume(model, { volumeShape: [0, 4, 4], voxelSizeA: v, sigmaA: 0.4 })).toThrow(
      /volumeShape/,
    );
    expect(() => renderAtomicVolume(model, { volumeShape: shape, voxelSizeA: v, sigmaA: 0 })).toThrow(
      /sigmaA/,
    );
  });
});

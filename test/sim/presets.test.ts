import { simulate, resolveSimulation } from '../../kernel-lib/src/sim/simulate';
import { listPresets, PRESETS } from '../../kernel-lib/src/sim/presets';
import { listNoiseModels } from '../../kernel-lib/src/sim/noise-models';
import { minimumDistanceA } from '../../kernel-lib/src/sim/neighbours';
import { acquisitionAngles } from '../../kernel-lib/src/sim/tilt-series';

describe('presets', () => {
  it('lists the required presets and noise models with descriptions', () => {
    const names = listPresets().map((p) => p.name);
    for (const n of ['fept-lowdose', 'pt-highdose', 'pt-wedge', 'asi-like', 'hea']) expect(names).toContain(n);
    for (const p of listPresets()) expect(p.description.length).toBeGreaterThan(20);
    expect(listNoiseModels().map((m) => m.name)).toEqual(['ideal', 'poisson', 'poisson-gaussian', 'realistic']);
  });

  it.each(Object.keys(PRESETS))('%s: runs, atoms inside the volume with physical spacing, atoms ≥ 3.5 voxels apart', async (name) => {
    // The full angle set is checked through resolveSimulation; 6 projections keep this test fast.
    const nominal = acquisitionAngles(resolveSimulation({ preset: name }).acquisition);
    expect(nominal.length).toBeGreaterThanOrEqual(40);
    const r = await simulate({ preset: name, seed: 1, acquisition: { nAngles: 6 } });
    expect(r.tilts.shape[0]).toBe(6);
    const [nz, ny, nx] = r.volumeShape;
    const v = r.tilts.pixelSizeA;
    expect(r.tilts.shape.slice(1)).toEqual([ny, nx]);
    expect(nx * ny * nz).toBeLessThanOrEqual(128 ** 3);
    const p = r.truth.positionsA;
    for (let a = 0; a < r.truth.species.length; a++) {
      expect(Math.min(p[3 * a], p[3 * a + 1], p[3 * a + 2])).toBeGreaterThan(2);
      expect(p[3 * a]).toBeLessThan((nx - 1) * v - 2);
      expect(p[3 * a + 1]).toBeLessThan((ny - 1) * v - 2);
      expect(p[3 * a + 2]).toBeLessThan((nz - 1) * v - 2);
    }
    expect(r.particleInfo.nearestNeighbourA / v).toBeGreaterThanOrEqual(3.5);
    expect(minimumDistanceA(p, 4)).toBeGreaterThan(2.0);
    expect(r.tilts.totalDoseEPerA2).toBe(PRESETS[name].acquisition.totalDoseEPerA2);
  });

  it('the wedge preset differs from the high-dose one only in the tilt range', async () => {
    const full = await simulate({ preset: 'pt-highdose', seed: 3 });
    const wedge = await simulate({ preset: 'pt-wedge', seed: 3 });
    expect(wedge.truth.positionsA).toEqual(full.truth.positionsA);
    const th = (r: typeof full) => r.tilts.anglesDeg.map((e) => e[1]);
    expect(Math.min(...th(full))).toBe(-90);
    expect(Math.max(...th(full))).toBe(87);
    expect(Math.max(...th(wedge))).toBeLessThanOrEqual(70);
    expect(Math.min(...th(wedge))).toBe(-70);
  });
});

describe('simulate', () => {
  it('same options and seed → bit-identical result; another seed → another particle', async () => {
    const few = { nAngles: 12 };
    const a = await simulate({ seed: 7, acquisition: few });
    const b = await simulate({ seed: 7, acquisition: few });
    const c = await simulate({ seed: 8, acquisition: few });
    expect(Buffer.from(a.tilts.data.buffer).equals(Buffer.from(b.tilts.data.buffer))).toBe(true);
    expect(a.truth.positionsA).toEqual(b.truth.positionsA);
    expect(Buffer.from(a.truth.positionsA.buffer).equals(Buffer.from(c.truth.positionsA.buffer))).toBe(false);
  });
  it('overrides: dose and noise change the tilts but not the particle; species replaces the preset composition', async () => {
    const a = await simulate({ seed: 2, acquisition: { nAngles: 6 } });
    const b = await simulate({ seed: 2, totalDoseEPerA2: 1e5, noiseModel: 'poisson', acquisition: { nAngles: 6 } });
    expect(b.truth.positionsA).toEqual(a.truth.positionsA);
    expect(b.tilts.totalDoseEPerA2).toBe(1e5);
    expect(b.options.acquisition.noiseModel).toBe('poisson');
    const pt = await simulate({ seed: 2, particle: { species: 'Pt' }, acquisition: { nAngles: 2 } });
    expect(new Set(pt.truth.species)).toEqual(new Set(['Pt']));
    const fewer = await simulate({ seed: 2, acquisition: { nAngles: 10 } });
    expect(fewer.tilts.shape[0]).toBe(10);
    const resolved = resolveSimulation({ preset: 'pt-highdose', acquisition: { nAngles: 30 } });
    expect(resolved.acquisition.tiltStepDeg).toBeUndefined();
    expect(() => resolveSimulation({ preset: 'nope' })).toThrow(/unknown simulation preset 'nope'/);
  });
  it('optionally renders the ideal atomic volume (GLARE target) in the same frame', async () => {
    const r = await simulate({ preset: 'asi-like', atomicVolume: { sigmaA: 0.4 } });
    expect(r.atomicVolume!.shape).toEqual(r.volumeShape);
    const [, ny, nx] = r.volumeShape;
    const v = r.atomicVolume!.voxelSizeA;
    const i = Math.round(r.truth.positionsA[0] / v),
      j = Math.round(r.truth.positionsA[1] / v),
      k = Math.round(r.truth.positionsA[2] / v);
    expect(r.atomicVolume!.data[(k * ny + j) * nx + i]).toBeGreaterThan(0.5);
  });
});

import { buildParticle, buildParticleWithInfo, type ParticleOptions } from '../../kernel-lib/src/sim/particle';
import { exactCounts } from '../../kernel-lib/src/sim/ordering';
import { coordinationNumbers, minimumDistanceA } from '../../kernel-lib/src/sim/neighbours';
import { rotationCentreA } from '../../kernel-lib/src/core/frame';
import { PannError } from '../../kernel-lib/src/core/errors';
import { centred } from './helpers';

const base: ParticleOptions = { species: 'Pt', shape: 'truncated-octahedron', diameterA: 26, voxelSizeA: 0.6, orientation: 'zone-axis' };

function count(species: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const s of species) c[s] = (c[s] ?? 0) + 1;
  return c;
}

describe('chemical ordering', () => {
  it('L1₀ FePt: 1:1 and layered along c (Fe on z = 0 planes, Pt on z = c/2)', () => {
    const { model, info } = buildParticleWithInfo({ ...base, species: undefined, composition: { Fe: 0.5, Pt: 0.5 }, ordering: 'L10' }, 2);
    const c = count(model.species);
    const n = model.species.length;
    expect(Math.abs(c.Fe / n - 0.5)).toBeLessThan(0.03);
    expect(c.Fe + c.Pt).toBe(n);
    const lc = info.lattice as { aA: number; cA: number };
    expect(lc.cA).toBeCloseTo(3.71, 6);
    for (let a = 0; a < n; a++) {
      const zc = (model.positionsA[3 * a + 2] - info.centreA[2]) / lc.cA; // in units of c
      const frac = zc - Math.floor(zc + 1e-9);
      if (model.species[a] === 'Fe') expect(Math.min(frac, 1 - frac)).toBeLessThan(1e-6);
      else expect(Math.abs(frac - 0.5)).toBeLessThan(1e-6);
    }
  });
  it('an overridden lattice constant keeps the tabulated c/a', () => {
    const { info } = buildParticleWithInfo({ ...base, species: undefined, composition: { Fe: 0.5, Pt: 0.5 }, ordering: 'L10', latticeConstantA: 4.0 }, 2);
    const lc = info.lattice as { aA: number; cA: number };
    expect(lc.aA).toBe(4.0);
    expect(lc.cA).toBeCloseTo(4.0 * (3.71 / 3.85), 12);
    const cubic = buildParticleWithInfo({ ...base, latticeConstantA: 4.0 }, 2).info.lattice as { aA: number; cA: number };
    expect(cubic.cA).toBe(4.0);
  });
  it('L1₂: minority species only on cube corners, ≈ 1:3', () => {
    const { model, info } = buildParticleWithInfo({ ...base, species: undefined, composition: { Cu: 0.75, Au: 0.25 }, ordering: 'L12', shape: 'cube', diameterA: 30 }, 2);
    const a = (info.lattice as { aA: number }).aA;
    // Away from the facets (which may be corner planes) the ratio is the bulk 1:3.
    const inner = model.species.filter((_, q) =>
      [0, 1, 2].every((d) => {
        const u = model.positionsA[3 * q + d] - info.centreA[d];
        return u > -2 * a - 1e-6 && u < 2 * a - 1e-6; // a half-open block of whole cells
      }),
    );
    expect(inner.length).toBe(4 ** 3 * 4); // 4×4×4 conventional cells
    expect(count(inner).Au).toBe(4 ** 3);
    for (let q = 0; q < model.species.length; q++) {
      const onCorner = [0, 1, 2].every((d) => {
        const u = (model.positionsA[3 * q + d] - info.centreA[d]) / a;
        return Math.abs(u - Math.round(u)) < 1e-6;
      });
      expect(onCorner).toBe(model.species[q] === 'Au');
    }
  });
  it('core–shell: every core atom is closer to the centre than every shell atom', () => {
    const { model, info } = buildParticleWithInfo({ ...base, species: undefined, ordering: 'core-shell', coreSpecies: 'Ni', shellSpecies: 'Pt', coreRadiusFraction: 0.6, shape: 'sphere', diameterA: 30, lattice: 'fcc' }, 2);
    let maxCore = 0,
      minShell = Infinity;
    for (let a = 0; a < model.species.length; a++) {
      const r = Math.hypot(...[0, 1, 2].map((d) => model.positionsA[3 * a + d] - info.centreA[d]));
      if (model.species[a] === 'Ni') maxCore = Math.max(maxCore, r);
      else minShell = Math.min(minShell, r);
    }
    expect(maxCore).toBeGreaterThan(0);
    expect(maxCore).toBeLessThanOrEqual(0.6 * info.circumradiusA + 1e-6);
    expect(minShell).toBeGreaterThan(maxCore);
  });
  it('random alloy: exact counts per species, positions unchanged by the chemistry', () => {
    const comp = { Pt: 0.25, Pd: 0.25, Ni: 0.25, Fe: 0.25 };
    const { model } = buildParticleWithInfo({ ...base, species: undefined, composition: comp, lattice: 'fcc' }, 5);
    expect(count(model.species)).toEqual(exactCounts(comp, model.species.length));
    expect(exactCounts({ A: 1, B: 2 }, 10)).toEqual({ A: 3, B: 7 });
  });
  it('amorphous Si: minimum distance held, density as asked', () => {
    const { model } = buildParticleWithInfo({ species: 'Si', lattice: 'amorphous', shape: 'sphere', diameterA: 24, voxelSizeA: 0.5 }, 4);
    expect(minimumDistanceA(model.positionsA, 4)).toBeGreaterThanOrEqual(2.25);
    const n = model.species.length;
    expect(n).toBe(Math.round(0.049 * (4 / 3) * Math.PI * 12 ** 3));
    // No crystalline order: coordination numbers spread over several values.
    expect(new Set(coordinationNumbers(model.positionsA, 3.2)).size).toBeGreaterThan(4);
  });
});

describe('particle builder', () => {
  it('same seed → identical model; different seed → different model', () => {
    const opts: ParticleOptions = { ...base, orientation: 'random', thermalDisplacementPm: 5, vacancyFraction: 0.02, surfaceRoughness: 0.1 };
    const a = buildParticle(opts, 11),
      b = buildParticle(opts, 11),
      c = buildParticle(opts, 12);
    expect(Buffer.from(a.positionsA.buffer).equals(Buffer.from(b.positionsA.buffer))).toBe(true);
    expect(a.species).toEqual(b.species);
    expect(a.positionsA.length === c.positionsA.length && a.positionsA.every((v, i) => v === c.positionsA[i])).toBe(false);
  });
  it('is centred on the rotation centre of its volume frame', () => {
    const shape: [number, number, number] = [56, 58, 60];
    const m = buildParticle({ ...base, shape: 'cuboctahedron', volumeShape: shape, orientation: 'random' }, 1);
    const rc = rotationCentreA(shape, base.voxelSizeA);
    const n = m.species.length;
    for (let d = 0; d < 3; d++) {
      let s = 0;
      for (let a = 0; a < n; a++) s += m.positionsA[3 * a + d];
      expect(s / n).toBeCloseTo(rc[d], 6); // a full cuboctahedron is centrosymmetric about its centre atom
    }
    expect(m.cellA).toEqual([60 * 0.6, 58 * 0.6, 56 * 0.6]);
  });
  it('vacancies remove exactly the requested fraction', () => {
    const full = buildParticle(base, 3).species.length;
    const holed = buildParticle({ ...base, vacancyFraction: 0.1 }, 3).species.length;
    expect(holed).toBe(full - Math.round(0.1 * full));
  });
  it('surface roughness removes surface atoms only', () => {
    const full = buildParticle(base, 3);
    const rough = buildParticle({ ...base, surfaceRoughness: 0.5 }, 3);
    const cn = coordinationNumbers(full.positionsA, 1.2 * 2.772);
    let surface = 0;
    const key = (p: Float64Array, a: number) => [0, 1, 2].map((d) => p[3 * a + d].toFixed(4)).join(',');
    const kept = new Set(Array.from({ length: rough.species.length }, (_, a) => key(rough.positionsA, a)));
    for (let a = 0; a < full.species.length; a++) {
      if (cn[a] < 12) surface++;
      else expect(kept.has(key(full.positionsA, a))).toBe(true);
    }
    expect(full.species.length - rough.species.length).toBe(Math.round(0.5 * surface));
  });
  it('amorphous surface roughness removes atoms of the outer shell only', () => {
    const opts: ParticleOptions = { species: 'Si', lattice: 'amorphous', shape: 'sphere', diameterA: 24, voxelSizeA: 0.5, orientation: 'zone-axis' };
    const { model: full, info } = buildParticleWithInfo(opts, 1);
    const rough = buildParticle({ ...opts, surfaceRoughness: 0.5 }, 1);
    const key = (p: Float64Array, a: number) => [0, 1, 2].map((d) => p[3 * a + d].toFixed(4)).join(',');
    const kept = new Set(Array.from({ length: rough.species.length }, (_, a) => key(rough.positionsA, a)));
    let shell = 0;
    for (let a = 0; a < full.species.length; a++) {
      const r = Math.hypot(...[0, 1, 2].map((d) => full.positionsA[3 * a + d] - info.centreA[d]));
      if (r > 12 - 1.1 * 2.25) shell++;
      else expect(kept.has(key(full.positionsA, a))).toBe(true);
    }
    expect(shell).toBeGreaterThan(0.3 * full.species.length);
    expect(full.species.length - rough.species.length).toBe(Math.round(0.5 * shell));
  });
  it('thermal displacement has the requested one-axis RMS', () => {
    const frame = { volumeShape: [80, 80, 80] as [number, number, number] };
    const ref = buildParticle({ ...base, ...frame, diameterA: 36 }, 3);
    const hot = buildParticle({ ...base, ...frame, diameterA: 36, thermalDisplacementPm: 8 }, 3);
    let s2 = 0;
    for (let i = 0; i < ref.positionsA.length; i++) s2 += (hot.positionsA[i] - ref.positionsA[i]) ** 2;
    const rmsPm = 100 * Math.sqrt(s2 / ref.positionsA.length);
    expect(Math.abs(rmsPm - 8)).toBeLessThan(0.4);
  });
  it('radial strain stretches the surface by the given percent and leaves the centre', () => {
    const ref = centred(buildParticle({ ...base, shape: 'sphere', diameterA: 30 }, 3).positionsA);
    const strained = centred(buildParticle({ ...base, shape: 'sphere', diameterA: 30, strainPercent: 2 }, 3).positionsA);
    let rMaxRef = 0,
      rMaxS = 0;
    for (let a = 0; a < ref.length / 3; a++) {
      rMaxRef = Math.max(rMaxRef, Math.hypot(ref[3 * a], ref[3 * a + 1], ref[3 * a + 2]));
      rMaxS = Math.max(rMaxS, Math.hypot(strained[3 * a], strained[3 * a + 1], strained[3 * a + 2]));
    }
    expect(rMaxS / rMaxRef).toBeCloseTo(1.01, 6); // r·(1 + ε/2) at the surface
  });
  it('random orientation keeps interatomic distances', () => {
    const z = buildParticle({ ...base, orientation: 'zone-axis' }, 7);
    const r = buildParticle({ ...base, orientation: 'random' }, 7);
    expect(minimumDistanceA(r.positionsA, 4)).toBeCloseTo(minimumDistanceA(z.positionsA, 4), 9);
    const d = (p: Float64Array, a: number, b: number) => Math.hypot(p[3 * a] - p[3 * b], p[3 * a + 1] - p[3 * b + 1], p[3 * a + 2] - p[3 * b + 2]);
    expect(d(r.positionsA, 0, 100)).toBeCloseTo(d(z.positionsA, 0, 100), 9);
    expect(r.positionsA[0]).not.toBeCloseTo(z.positionsA[0], 3);
  });
  it('atoms stay inside the volume with the margin, in every preset-like case', () => {
    for (const shape of ['sphere', 'decahedron', 'icosahedron', 'truncated-octahedron'] as const) {
      const { model, info } = buildParticleWithInfo({ ...base, shape, diameterA: 34, orientation: 'random', thermalDisplacementPm: 10 }, 9);
      const [nz, ny, nx] = info.volumeShape;
      const hi = [(nx - 1) * 0.6, (ny - 1) * 0.6, (nz - 1) * 0.6];
      for (let a = 0; a < model.species.length; a++)
        for (let d = 0; d < 3; d++) {
          expect(model.positionsA[3 * a + d]).toBeGreaterThanOrEqual(3);
          expect(model.positionsA[3 * a + d]).toBeLessThanOrEqual(hi[d] - 3);
        }
    }
  });
  it('a particle too large for the volume is a clear SHAPE error', () => {
    const make = () => buildParticle({ ...base, diameterA: 40, volumeShape: [48, 48, 48] }, 1);
    expect(make).toThrow(PannError);
    expect(make).toThrow(/does not fit.*circumscribed radius.*at least 80 voxels/);
  });
  it('rejects bad options with named fields', () => {
    expect(() => buildParticle({ ...base, shape: 'blob' as never }, 1)).toThrow(/unknown shape 'blob'/);
    expect(() => buildParticle({ ...base, species: 'Xx' }, 1)).toThrow(/species 'Xx' is not an element symbol/);
    expect(() => buildParticle({ ...base, vacancyFraction: 2 }, 1)).toThrow(/vacancyFraction must be in \[0, 1\]/);
    expect(() => buildParticle({ ...base, species: undefined, composition: { Fe: 0.5, Pt: 0.5 }, ordering: 'L10', shape: 'icosahedron' }, 1)).toThrow(/single-crystal shape/);
    expect(() => buildParticle({ ...base, diameterA: -1 }, 1)).toThrow(/diameterA/);
  });
});

import { latticeSitesInSphere, nearestNeighbourA, ELEMENT_LATTICE, defaultLatticeConstants } from '../../kernel-lib/src/sim/lattice';
import { coordinationNumbers, minimumDistanceA, nearestNeighbourDistances } from '../../kernel-lib/src/sim/neighbours';
import { buildParticle, buildParticleWithInfo } from '../../kernel-lib/src/sim/particle';
import { mackayIcosahedron, inoDecahedron } from '../../kernel-lib/src/sim/shapes';
import type { ShapeKind } from '../../kernel-lib/src/sim/shapes';
import { neighboursOf, nearestAtom } from './helpers';

/** Coordination of the atoms well inside a sphere of lattice sites. */
function interiorCoordination(kind: 'fcc' | 'bcc' | 'hcp', a: number, c: number, cutoffFactor: number) {
  const lc = { lattice: kind, aA: a, cA: c };
  const nn = nearestNeighbourA(lc);
  const sites = latticeSitesInSphere(lc, 12);
  const cn = coordinationNumbers(sites.positionsA, cutoffFactor * nn);
  const dists = nearestNeighbourDistances(sites.positionsA, 2 * nn);
  const interior: number[] = [];
  const nnOfInterior: number[] = [];
  for (let s = 0; s < cn.length; s++) {
    const r = Math.hypot(sites.positionsA[3 * s], sites.positionsA[3 * s + 1], sites.positionsA[3 * s + 2]);
    if (r < 12 - 2 * nn) {
      interior.push(cn[s]);
      nnOfInterior.push(dists[s]);
    }
  }
  return { interior, nnOfInterior, nn };
}

describe('lattices', () => {
  it('fcc Pt: nearest neighbour 2.77 Å, coordination 12', () => {
    const { interior, nnOfInterior, nn } = interiorCoordination('fcc', 3.92, 3.92, 1.2);
    expect(nn).toBeCloseTo(2.772, 3);
    expect(interior.length).toBeGreaterThan(50);
    expect(new Set(interior)).toEqual(new Set([12]));
    for (const d of nnOfInterior) expect(d).toBeCloseTo(2.772, 3);
  });
  it('bcc Fe: nearest neighbour √3/2·a = 2.485 Å, coordination 8 (14 with the second shell)', () => {
    const first = interiorCoordination('bcc', 2.87, 2.87, 1.08);
    expect(first.nn).toBeCloseTo(2.4855, 3);
    expect(new Set(first.interior)).toEqual(new Set([8]));
    const second = interiorCoordination('bcc', 2.87, 2.87, 1.2);
    expect(new Set(second.interior)).toEqual(new Set([14]));
  });
  it('hcp Co: coordination 12 with 6 in-plane neighbours at a', () => {
    const co = ELEMENT_LATTICE.Co;
    const { interior, nn } = interiorCoordination('hcp', co.aA, co.cA, 1.1);
    expect(nn).toBeCloseTo(Math.min(co.aA, Math.sqrt(co.aA ** 2 / 3 + co.cA ** 2 / 4)), 6);
    expect(new Set(interior)).toEqual(new Set([12]));
  });
  it('Vegard lattice constant of a random alloy lies between the components', () => {
    const lc = defaultLatticeConstants('fcc', { Pt: 0.5, Ni: 0.5 });
    expect(lc.aA).toBeGreaterThan(3.52);
    expect(lc.aA).toBeLessThan(3.92);
    expect(defaultLatticeConstants('fcc', { Fe: 0.5, Pt: 0.5 }, 'L10')).toEqual({ lattice: 'fcc', aA: 3.85, cA: 3.71 });
  });
});

describe('shapes', () => {
  const shapes: ShapeKind[] = ['sphere', 'cube', 'octahedron', 'cuboctahedron', 'truncated-octahedron', 'decahedron', 'icosahedron'];
  it.each(shapes)('%s: atom count grows with diameter, minimum distance physical, circumradius respected', (shape) => {
    let last = 0;
    for (const d of [12, 18, 24, 30, 36]) {
      const { model, info } = buildParticleWithInfo({ species: 'Pt', shape, diameterA: d, voxelSizeA: 0.5, orientation: 'zone-axis' }, 1);
      const n = model.species.length;
      expect(n).toBeGreaterThanOrEqual(last);
      last = n;
      expect(info.circumradiusA).toBeLessThanOrEqual(d / 2 + 1e-6);
      const dmin = minimumDistanceA(model.positionsA, 4);
      if (shape === 'icosahedron') expect(dmin).toBeGreaterThan(0.97 * 2.772); // radial compression 2.5 %
      else if (shape === 'decahedron') expect(dmin).toBeGreaterThan(0.99 * 2.772);
      else expect(dmin).toBeCloseTo(2.772, 3);
    }
    expect(last).toBeGreaterThan(200);
  });
  it('fcc Pt sphere: minimum interatomic distance is 2.77 Å', () => {
    const m = buildParticle({ species: 'Pt', shape: 'sphere', diameterA: 25, voxelSizeA: 0.5, orientation: 'random' }, 3);
    expect(minimumDistanceA(m.positionsA, 4)).toBeCloseTo(2.772, 3);
  });
  it('cuboctahedra and Mackay icosahedra have the magic numbers 13, 55, 147, 309', () => {
    expect([1, 2, 3, 4].map((k) => mackayIcosahedron(k, 2.8).length / 3)).toEqual([13, 55, 147, 309]);
    const nn = 3.92 / Math.SQRT2;
    const cubo = [1, 2, 3, 4].map((k) => buildParticle({ species: 'Pt', shape: 'cuboctahedron', diameterA: 2 * k * nn + 0.01, voxelSizeA: 0.5, orientation: 'zone-axis' }, 0).species.length);
    expect(cubo).toEqual([13, 55, 147, 309]);
  });
  it('icosahedron is five-fold twinned: the centre\'s 12 neighbours each touch 5 of the others (4 in fcc)', () => {
    const ico = mackayIcosahedron(3, 2.8);
    const shell = neighboursOf(ico, 0, 3.2);
    expect(shell.length).toBe(12);
    for (const s of shell) expect(neighboursOf(ico, s, 3.2).filter((q) => shell.includes(q)).length).toBe(5);
    // Same test on fcc: the cuboctahedral shell gives 4, so the test can tell the two apart.
    const { model: fcc, info } = buildParticleWithInfo({ species: 'Pt', shape: 'sphere', diameterA: 14, voxelSizeA: 0.5, orientation: 'zone-axis' }, 0);
    const c = nearestAtom(fcc.positionsA, info.centreA);
    const fshell = neighboursOf(fcc.positionsA, c, 3.2);
    expect(fshell.length).toBe(12);
    for (const s of fshell) expect(neighboursOf(fcc.positionsA, s, 3.2).filter((q) => fshell.includes(q)).length).toBe(4);
  });
  it('untruncated decahedra are pentagonal bipyramids: 7, 23, 54, 105 atoms', () => {
    expect([1, 2, 3, 4].map((n) => inoDecahedron(n, 2.8, 1).length / 3)).toEqual([7, 23, 54, 105]);
    expect(inoDecahedron(4, 2.8, 0.8).length / 3).toBeLessThan(105);
  });
  it('decahedron is five-fold twinned about z: axial atoms have 12 neighbours, 10 of them in two pentagons', () => {
    const dec = inoDecahedron(6, 2.8, 0.8);
    const grid: number[] = [];
    for (let a = 0; a < dec.length / 3; a++) if (Math.hypot(dec[3 * a], dec[3 * a + 1]) < 1e-6 && Math.abs(dec[3 * a + 2]) < 6) grid.push(a);
    expect(grid.length).toBeGreaterThanOrEqual(3); // interior atoms of the 5-fold axis
    for (const a of grid) {
      const nb = neighboursOf(dec, a, 3.2);
      expect(nb.length).toBe(12);
      const off = nb.filter((q) => Math.hypot(dec[3 * q], dec[3 * q + 1]) > 1);
      expect(off.length).toBe(10);
      // Azimuths fall on 5 directions 72° apart (two atoms, above and below, on each).
      const az = off.map((q) => Math.atan2(dec[3 * q + 1], dec[3 * q]) * (180 / Math.PI));
      const classes = new Map<number, number>();
      for (const t of az) {
        const k = Math.round(((t % 360) + 360) / 72) % 5;
        expect(Math.abs((((t - 72 * k) % 360) + 540) % 360 - 180)).toBeLessThan(0.5);
        classes.set(k, (classes.get(k) ?? 0) + 1);
      }
      expect([...classes.values()]).toEqual([2, 2, 2, 2, 2]);
    }
  });
});

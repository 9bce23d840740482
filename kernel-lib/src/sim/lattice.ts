/**
 * Crystal lattices for nanoparticle models: bulk lattice constants per element (and per ordered alloy),
 * and the lattice sites of fcc / bcc / hcp crystals inside a sphere, with a sublattice label per site
 * so that chemical orderings (L1₀, L1₂) can be assigned afterwards.
 *
 * The conventional cubic (or tetragonal) cell has edges a, a, c along x, y, z; the origin is a lattice
 * site, so site-centred shapes (cuboctahedra, octahedra) come out with their magic atom counts.
 */
import { PannError } from '../core/errors';
import { isElement } from '../core/elements';

/** Lattice kinds the builder knows. */
export type LatticeKind = 'fcc' | 'bcc' | 'hcp';

/** Bulk structure of an element or ordered alloy: lattice and constants in Å. */
export interface LatticeConstants {
  lattice: LatticeKind;
  /** a in Å. */
  aA: number;
  /** c in Å (tetragonal L1₀ or hcp); equals a for cubic lattices. */
  cA: number;
}

/**
 * Room-temperature bulk lattice constants (Å) of common elements (CRC Handbook values, rounded).
 * hcp entries give a and c; bcc and fcc give the cubic edge.
 */
export const ELEMENT_LATTICE: Readonly<Record<string, LatticeConstants>> = {
  Pt: { lattice: 'fcc', aA: 3.92, cA: 3.92 },
  Au: { lattice: 'fcc', aA: 4.08, cA: 4.08 },
  Ag: { lattice: 'fcc', aA: 4.09, cA: 4.09 },
  Pd: { lattice: 'fcc', aA: 3.89, cA: 3.89 },
  Ni: { lattice: 'fcc', aA: 3.52, cA: 3.52 },
  Cu: { lattice: 'fcc', aA: 3.61, cA: 3.61 },
  Al: { lattice: 'fcc', aA: 4.05, cA: 4.05 },
  Ir: { lattice: 'fcc', aA: 3.84, cA: 3.84 },
  Rh: { lattice: 'fcc', aA: 3.8, cA: 3.8 },
  Pb: { lattice: 'fcc', aA: 4.95, cA: 4.95 },
  Fe: { lattice: 'bcc', aA: 2.87, cA: 2.87 },
  Cr: { lattice: 'bcc', aA: 2.91, cA: 2.91 },
  Mo: { lattice: 'bcc', aA: 3.147, cA: 3.147 },
  W: { lattice: 'bcc', aA: 3.165, cA: 3.165 },
  V: { lattice: 'bcc', aA: 3.03, cA: 3.03 },
  Nb: { lattice: 'bcc', aA: 3.3, cA: 3.3 },
  Ta: { lattice: 'bcc', aA: 3.306, cA: 3.306 },
  Co: { lattice: 'hcp', aA: 2.507, cA: 4.07 },
  Ti: { lattice: 'hcp', aA: 2.951, cA: 4.686 },
  Mg: { lattice: 'hcp', aA: 3.209, cA: 5.211 },
  Zn: { lattice: 'hcp', aA: 2.665, cA: 4.947 },
  Ru: { lattice: 'hcp', aA: 2.706, cA: 4.282 },
  Zr: { lattice: 'hcp', aA: 3.232, cA: 5.147 },
};

/** Ordered alloys: key is the species pair / formula in the order of the ordering (A first). */
export const ORDERED_ALLOY_LATTICE: Readonly<Record<string, LatticeConstants>> = {
  // L1₀ (tetragonal, A on z = 0 planes, B on z = c/2 planes)
  'L10:Fe,Pt': { lattice: 'fcc', aA: 3.85, cA: 3.71 },
  'L10:Co,Pt': { lattice: 'fcc', aA: 3.8, cA: 3.7 },
  'L10:Fe,Pd': { lattice: 'fcc', aA: 3.85, cA: 3.72 },
  'L10:Cu,Au': { lattice: 'fcc', aA: 3.96, cA: 3.67 },
  // L1₂ (cubic A₃B: A on face centres, B on corners)
  'L12:Cu,Au': { lattice: 'fcc', aA: 3.75, cA: 3.75 },
  'L12:Pt,Fe': { lattice: 'fcc', aA: 3.87, cA: 3.87 },
  'L12:Ni,Al': { lattice: 'fcc', aA: 3.57, cA: 3.57 },
  'L12:Pt,Co': { lattice: 'fcc', aA: 3.85, cA: 3.85 },
};

/** Atoms per conventional cell. */
const ATOMS_PER_CELL: Record<LatticeKind, number> = { fcc: 4, bcc: 2, hcp: 2 };

/** Volume per atom (Å³) of a lattice with constants a, c. */
export function atomicVolumeA3(lc: LatticeConstants): number {
  if (lc.lattice === 'hcp') return ((Math.sqrt(3) / 2) * lc.aA * lc.aA * lc.cA) / 2;
  return (lc.aA * lc.aA * lc.cA) / ATOMS_PER_CELL[lc.lattice];
}

/** Cubic lattice constant (Å) of `lattice` with the given volume per atom (hcp: ideal c/a = √(8/3)). */
export function latticeFromAtomicVolume(lattice: LatticeKind, volumeA3: number): LatticeConstants {
  if (lattice === 'hcp') {
    const ratio = Math.sqrt(8 / 3);
    const a = Math.cbrt((4 * volumeA3) / (Math.sqrt(3) * ratio));
    return { lattice, aA: a, cA: a * ratio };
  }
  const a = Math.cbrt(volumeA3 * ATOMS_PER_CELL[lattice]);
  return { lattice, aA: a, cA: a };
}

/**
 * Default lattice constants for a composition.
 * @param lattice  lattice wanted (fcc / bcc / hcp)
 * @param composition species → fraction (one species = pure element)
 * @param ordering 'L10' / 'L12' use the ordered-alloy table when the pair is known
 * @returns constants in Å: the element's own value when the lattice matches; otherwise (and for
 *   alloys) Vegard's law on the volume per atom, converted to the requested lattice.
 */
export function defaultLatticeConstants(
  lattice: LatticeKind,
  composition: Record<string, number>,
  ordering?: string,
): LatticeConstants {
  const species = Object.keys(composition);
  if (ordering === 'L10' || ordering === 'L12') {
    const known = ORDERED_ALLOY_LATTICE[`${ordering}:${species.join(',')}`];
    if (known && known.lattice === lattice) return { ...known };
  }
  if (species.length === 1 && ELEMENT_LATTICE[species[0]]?.lattice === lattice) return { ...ELEMENT_LATTICE[species[0]] };
  let total = 0;
  let volume = 0;
  for (const sp of species) {
    const lc = ELEMENT_LATTICE[sp];
    if (!lc) {
      const why = isElement(sp) ? 'has no tabulated lattice constant' : 'is not an element symbol';
      throw new PannError('OPTION', `species '${sp}' ${why}; give latticeConstantA explicitly`, { field: 'latticeConstantA' });
    }
    total += composition[sp];
    volume += composition[sp] * atomicVolumeA3(lc);
  }
  return latticeFromAtomicVolume(lattice, volume / total);
}

/** Nearest-neighbour distance (Å) of a lattice (for L1₀ the shorter of the in-plane and inter-plane ones). */
export function nearestNeighbourA(lc: LatticeConstants): number {
  switch (lc.lattice) {
    case 'fcc':
      return Math.min(lc.aA / Math.SQRT2, Math.hypot(lc.aA, lc.cA) / 2);
    case 'bcc':
      return (Math.sqrt(3) / 2) * lc.aA;
    case 'hcp':
      return Math.min(lc.aA, Math.sqrt((lc.aA * lc.aA) / 3 + (lc.cA * lc.cA) / 4));
  }
}

/** Lattice sites inside a sphere, with a sublattice label per site. */
export interface LatticeSites {
  /** x, y, z per site in Å, origin at a lattice site. */
  positionsA: Float64Array;
  /**
   * Sublattice (basis) index per site. fcc: 0 corner (0,0,0), 1 (½,½,0), 2 (½,0,½), 3 (0,½,½);
   * bcc: 0 corner, 1 body centre; hcp: 0 A layer, 1 B layer.
   */
  sublattice: Uint8Array;
}

const BASIS: Record<LatticeKind, number[][]> = {
  fcc: [
    [0, 0, 0],
    [0.5, 0.5, 0],
    [0.5, 0, 0.5],
    [0, 0.5, 0.5],
  ],
  bcc: [
    [0, 0, 0],
    [0.5, 0.5, 0.5],
  ],
  // With a2 at 60° to a1, the B-layer site sits at (a1 + a2)/3 (a/√3 from the A site in projection).
  hcp: [
    [0, 0, 0],
    [1 / 3, 1 / 3, 0.5],
  ],
};

/**
 * All sites of the lattice within `radiusA` of the origin.
 * @param lc lattice and constants (Å)
 * @param radiusA sphere radius in Å
 */
export function latticeSitesInSphere(lc: LatticeConstants, radiusA: number): LatticeSites {
  const { aA: a, cA: c } = lc;
  // Cell vectors (columns): cubic/tetragonal, or hexagonal a1 = (a,0,0), a2 = (a/2, a√3/2, 0), a3 = (0,0,c).
  const hex = lc.lattice === 'hcp';
  const v1 = [a, 0, 0];
  const v2 = hex ? [a / 2, (a * Math.sqrt(3)) / 2, 0] : [0, a, 0];
  const v3 = [0, 0, c];
  const basis = BASIS[lc.lattice];
  // Hexagonal: |u| can reach R/a + |v|/2 ≤ 1.58·R/a, so bound both indices by 2R/a.
  const nxy = Math.ceil((hex ? 2 : 1) * (radiusA / a)) + 2;
  const nz = Math.ceil(radiusA / c) + 2;
  const r2 = radiusA * radiusA * (1 + 1e-9) + 1e-9;
  const pos: number[] = [];
  const sub: number[] = [];
  for (let k = -nz; k <= nz; k++)
    for (let j = -nxy; j <= nxy; j++)
      for (let i = -nxy; i <= nxy; i++)
        for (let b = 0; b < basis.length; b++) {
          const f = basis[b];
          const u = i + f[0],
            v = j + f[1],
            w = k + f[2];
          const x = u * v1[0] + v * v2[0] + w * v3[0];
          const y = u * v1[1] + v * v2[1] + w * v3[1];
          const z = u * v1[2] + v * v2[2] + w * v3[2];
          if (x * x + y * y + z * z <= r2) {
            pos.push(x, y, z);
            sub.push(b);
          }
        }
  return { positionsA: Float64Array.from(pos), sublattice: Uint8Array.from(sub) };
}

/** Atomic numbers by element symbol (H–U); used for Z-contrast (intensity ∝ Z^α) and for ordering species. */
const SYMBOLS =
  'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U'.split(
    ' ',
  );

import { PannError } from './errors';

/** Atomic number of an element symbol ("Pt" → 78); throws a clear error for an unknown symbol. */
export function atomicNumber(symbol: string): number {
  const z = SYMBOLS.indexOf(symbol);
  if (z < 0) throw new PannError('VALUE', `unknown element symbol '${symbol}' (expected e.g. Fe, Pt, Au)`, { field: 'species' });
  return z + 1;
}

/** Element symbol of an atomic number (78 → "Pt"). */
export function elementSymbol(z: number): string {
  const s = SYMBOLS[z - 1];
  if (!s) throw new PannError('VALUE', `no element with atomic number ${z}`, { field: 'species' });
  return s;
}

/** True when `symbol` is a known element symbol. */
export function isElement(symbol: string): boolean {
  return SYMBOLS.includes(symbol);
}

/** Species sorted by atomic number, lightest first (= dimmest first in HAADF). */
export function sortByZ(species: readonly string[]): string[] {
  return [...species].sort((a, b) => atomicNumber(a) - atomicNumber(b));
}

/**
 * Per-atom columns shared by the XYZ and CSV formats: extra real columns are scores, except columns
 * named `prob_<El>`, which are the class probabilities for species <El>.
 */
import { PannError } from '../core/errors';
import { elementSymbol, isElement } from '../core/elements';
import type { AtomicModel } from '../core/types';

/** A named per-atom real column. */
export interface AtomColumn {
  name: string;
  values: Float64Array;
}

const PROB_PREFIX = 'prob_';

/**
 * Turns a species token into an element symbol: a symbol is kept ("Pt"), an atomic number is
 * converted ("78" → "Pt"); "X" (unknown) is allowed.
 * @param token the text of the species field
 * @param where file name and line, for the error message
 */
export function speciesFromToken(token: string, file: string, where: string): string {
  if (/^\d+$/.test(token)) {
    const z = Number(token);
    if (z >= 1 && z <= 92) return elementSymbol(z);
    throw new PannError('FORMAT', `${where}: atomic number ${token} is outside 1…92`, { file, field: 'species' });
  }
  if (isElement(token) || token === 'X') return token;
  throw new PannError('FORMAT', `${where}: '${token}' is not an element symbol or atomic number`, { file, field: 'species' });
}

/**
 * Parses a finite number or throws a FORMAT error naming file, line and column.
 */
export function numberFromToken(token: string | undefined, file: string, where: string, column: string): number {
  const v = token === undefined || token.trim() === '' ? NaN : Number(token);
  if (!Number.isFinite(v))
    throw new PannError('FORMAT', `${where}: column '${column}' holds '${token ?? ''}', not a finite number`, { file, field: column });
  return v;
}

/**
 * Assembles an AtomicModel; extra columns named prob_<El> become probabilities, the rest scores.
 * @param species one symbol per atom
 * @param positionsA x, y, z per atom in Å
 * @param extra named per-atom columns
 * @param cellA optional box edges in Å
 */
export function buildModel(species: string[], positionsA: Float64Array, extra: AtomColumn[], cellA?: [number, number, number]): AtomicModel {
  const model: AtomicModel = { species, positionsA };
  const probs = extra.filter((c) => c.name.startsWith(PROB_PREFIX));
  const scores = extra.filter((c) => !c.name.startsWith(PROB_PREFIX));
  if (scores.length) model.scores = Object.fromEntries(scores.map((c) => [c.name, c.values]));
  if (probs.length) {
    const n = species.length, L = probs.length;
    const values = new Float32Array(n * L);
    probs.forEach((c, l) => {
      for (let a = 0; a < n; a++) values[a * L + l] = c.values[a];
    });
    model.probabilities = { labels: probs.map((c) => c.name.slice(PROB_PREFIX.length)), values };
  }
  if (cellA) model.cellA = cellA;
  return model;
}

/**
 * The extra columns of a model for writing: scores (in insertion order), then prob_<El> columns.
 * Checks every column has one value per atom and a name usable as a column header.
 * @param model the atomic model
 * @param file destination file, for error messages
 */
export function extraColumns(model: AtomicModel, file?: string): AtomColumn[] {
  const n = model.species.length;
  if (model.positionsA.length !== 3 * n)
    throw new PannError('SHAPE', `positionsA has ${model.positionsA.length} values for ${n} atoms (expected ${3 * n})`, { file, field: 'positionsA' });
  for (let i = 0; i < 3 * n; i++)
    if (!Number.isFinite(model.positionsA[i]))
      throw new PannError('VALUE', `atom ${Math.floor(i / 3)} has a non-finite position (${model.positionsA[i]})`, { file, field: 'positionsA' });
  const cols: AtomColumn[] = [];
  const checkFinite = (name: string, col: ArrayLike<number>) => {
    for (let a = 0; a < col.length; a++)
      if (!Number.isFinite(col[a])) throw new PannError('VALUE', `column '${name}' of atom ${a} is ${col[a]}`, { file, field: name });
  };
  const checkName = (name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name))
      throw new PannError('VALUE', `score name '${name}' cannot be a column name (letters, digits, _ . - only)`, { file, field: 'scores' });
  };
  for (const [name, values] of Object.entries(model.scores ?? {})) {
    checkName(name);
    if (name.startsWith(PROB_PREFIX)) throw new PannError('VALUE', `score name '${name}' clashes with the prob_<El> probability columns`, { file, field: 'scores' });
    if (values.length !== n) throw new PannError('SHAPE', `score '${name}' has ${values.length} values for ${n} atoms`, { file, field: 'scores' });
    checkFinite(name, values);
    cols.push({ name, values: Float64Array.from(values) });
  }
  if (model.probabilities) {
    const { labels, values } = model.probabilities;
    const L = labels.length;
    if (values.length !== n * L)
      throw new PannError('SHAPE', `probabilities have ${values.length} values for ${n} atoms × ${L} labels`, { file, field: 'probabilities' });
    labels.forEach((label, l) => {
      checkName(PROB_PREFIX + label);
      const col = new Float64Array(n);
      for (let a = 0; a < n; a++) col[a] = values[a * L + l];
      checkFinite(PROB_PREFIX + label, col);
      cols.push({ name: PROB_PREFIX + label, values: col });
    });
  }
  return cols;
}

/** Formats a score value compactly but exactly enough to survive a round trip (12 significant digits). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(12)).toString();
}

/**
 * Atomic models from and to files, dispatched on the extension: `.xyz` (plain/extended XYZ),
 * `.csv` (species,x_A,y_A,z_A[,scores][,prob_<El>]), `.json` (schema/atomic-model.schema.json:
 * `{species, positionsA: [[x, y, z], …], scores?: {name: number[]}, probabilities?: {labels,
 * values: number[][]}, cellA?}`), and for reading also `.txt` atom tables (`type x y z`).
 */
import { PannError } from '../core/errors';
import type { AtomicModel } from '../core/types';
import { extraColumns, speciesFromToken } from './atom-columns';
import { formatAtomCsv, parseAtomCsv } from './csv';
import { extensionOf, readText, writeFile } from './files';
import { AtomTableOptions, formatXyz, parseAtomTable, parseXyz } from './xyz';

/** Options for {@link readAtomicModel}. */
export type ReadAtomicModelOptions = AtomTableOptions;

/**
 * Parses the JSON form of an atomic model.
 * @param text JSON text
 * @param fileName name used in error messages
 */
export function parseAtomJson(text: string, fileName: string): AtomicModel {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new PannError('FORMAT', `invalid JSON: ${(e as Error).message}`, { file: fileName });
  }
  const fail = (problem: string, field?: string): never => {
    throw new PannError('FORMAT', `not an atomic model: ${problem}`, { file: fileName, field });
  };
  const o = obj as Record<string, unknown>;
  if (!o || typeof o !== 'object' || !Array.isArray(o.species) || !Array.isArray(o.positionsA))
    fail("expected an object with arrays 'species' and 'positionsA'");
  const species = (o.species as unknown[]).map((s, a) =>
    typeof s === 'string' ? speciesFromToken(s, fileName, `atom ${a}`) : fail(`species[${a}] is not a string`, 'species'),
  );
  const n = species.length;
  const pos = o.positionsA as unknown[];
  if (pos.length !== n) fail(`${pos.length} positions for ${n} species`, 'positionsA');
  const positionsA = new Float64Array(3 * n);
  pos.forEach((p, a) => {
    if (!Array.isArray(p) || p.length !== 3 || !p.every((v) => typeof v === 'number' && Number.isFinite(v)))
      fail(`positionsA[${a}] is not [x, y, z] in Å`, 'positionsA');
    for (let d = 0; d < 3; d++) positionsA[3 * a + d] = (p as number[])[d];
  });
  const model: AtomicModel = { species, positionsA };
  if (o.scores !== undefined) {
    if (typeof o.scores !== 'object' || o.scores === null) fail("'scores' must be an object of arrays", 'scores');
    model.scores = {};
    for (const [name, v] of Object.entries(o.scores as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number'))
        fail(`scores.${name} must be ${n} numbers`, 'scores');
      model.scores[name] = Float64Array.from(v as number[]);
    }
  }
  if (o.probabilities !== undefined) {
    const pr = o.probabilities as { labels?: unknown; values?: unknown };
    if (!Array.isArray(pr.labels) || !Array.isArray(pr.values) || pr.values.length !== n) fail(`'probabilities' must be {labels, values: ${n} rows}`, 'probabilities');
    const labels = pr.labels as string[];
    const values = new Float32Array(n * labels.length);
    (pr.values as unknown[]).forEach((row, a) => {
      if (!Array.isArray(row) || row.length !== labels.length) fail(`probabilities.values[${a}] must have ${labels.length} entries`, 'probabilities');
      values.set(row as number[], a * labels.length);
    });
    model.probabilities = { labels, values };
  }
  if (o.cellA !== undefined) {
    const c = o.cellA as unknown[];
    if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && v > 0)) fail("'cellA' must be 3 positive numbers (Å)", 'cellA');
    model.cellA = [c[0], c[1], c[2]] as [number, number, number];
  }
  return model;
}

/**
 * Formats a model in the JSON form.
 * @param model the atomic model
 */
export function formatAtomJson(model: AtomicModel): string {
  extraColumns(model); // validates lengths and finiteness
  const n = model.species.length, p = model.positionsA;
  const out: Record<string, unknown> = {
    species: model.species,
    positionsA: Array.from({ length: n }, (_, a) => [p[3 * a], p[3 * a + 1], p[3 * a + 2]]),
  };
  if (model.scores) out.scores = Object.fromEntries(Object.entries(model.scores).map(([k, v]) => [k, Array.from(v)]));
  if (model.probabilities) {
    const { labels, values } = model.probabilities, L = labels.length;
    out.probabilities = { labels, values: Array.from({ length: n }, (_, a) => Array.from(values.subarray(a * L, (a + 1) * L))) };
  }
  if (model.cellA) out.cellA = model.cellA;
  return JSON.stringify(out) + '\n';
}

/**
 * Reads an atomic model from .xyz, .csv, .json or a .txt atom table.
 * @param filePath path of the file
 * @param opts for .txt tables: species of numeric type labels (e.g. `{ speciesByType: { 1: 'Si' } }`)
 */
export function readAtomicModel(filePath: string, opts: ReadAtomicModelOptions = {}): AtomicModel {
  const ext = extensionOf(filePath);
  const text = () => readText(filePath);
  switch (ext) {
    case '.xyz':
    case '.extxyz':
      return parseXyz(text(), filePath);
    case '.csv':
      return parseAtomCsv(text(), filePath);
    case '.json':
      return parseAtomJson(text(), filePath);
    case '.txt':
      return parseAtomTable(text(), filePath, opts);
    default:
      throw new PannError('FORMAT', `unsupported atomic-model file type '${ext || '(none)'}'; use .xyz, .csv, .json or .txt`, { file: filePath });
  }
}

/**
 * Writes an atomic model as .xyz (extended), .csv or .json, chosen by the extension.
 * @param filePath destination path
 * @param model the atomic model (positions in Å)
 */
export function writeAtomicModel(filePath: string, model: AtomicModel): void {
  const ext = extensionOf(filePath);
  let content: string;
  try {
    if (ext === '.xyz' || ext === '.extxyz') content = formatXyz(model);
    else if (ext === '.csv') content = formatAtomCsv(model);
    else if (ext === '.json') content = formatAtomJson(model);
    else throw new PannError('FORMAT', `cannot write an atomic model as '${ext || '(none)'}'; use .xyz, .csv or .json`, { file: filePath });
  } catch (e) {
    // Name the destination in validation errors raised before the file existed.
    if (e instanceof PannError && !e.file) throw new PannError(e.code, e.message, { file: filePath, field: e.field });
    throw e;
  }
  writeFile(filePath, content);
}

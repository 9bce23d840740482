/**
 * Atomic models as CSV: header `species,x_A,y_A,z_A[,<score> …][,prob_<El> …]`, one atom per row,
 * positions in Å. Extra columns are per-atom scores, except `prob_<El>`, the class probabilities.
 * Spreadsheet-friendly: no quoting is needed because names and numbers never contain commas.
 */
import { PannError } from '../core/errors';
import type { AtomicModel } from '../core/types';
import { AtomColumn, buildModel, extraColumns, formatValue, numberFromToken, speciesFromToken } from './atom-columns';
import { readText, writeFile } from './files';

const REQUIRED = ['species', 'x_A', 'y_A', 'z_A'];

/**
 * Parses atomic-model CSV text.
 * @param text file content
 * @param fileName name used in error messages
 */
export function parseAtomCsv(text: string, fileName: string): AtomicModel {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new PannError('FORMAT', 'empty CSV file', { file: fileName });
  const header = lines[0].split(',').map((s) => s.trim().replace(/^\uFEFF/, ''));
  if (REQUIRED.some((h, i) => header[i] !== h))
    throw new PannError('FORMAT', `CSV header must start with '${REQUIRED.join(',')}', got '${header.slice(0, 4).join(',')}'`, {
      file: fileName,
      field: 'header',
    });
  const names = header.slice(4);
  const dup = names.find((h, i) => names.indexOf(h) !== i);
  if (dup !== undefined) throw new PannError('FORMAT', `CSV header repeats column '${dup}'`, { file: fileName, field: 'header' });
  const n = lines.length - 1;
  const species: string[] = new Array(n);
  const positionsA = new Float64Array(3 * n);
  const extra: AtomColumn[] = names.map((name) => ({ name, values: new Float64Array(n) }));
  for (let a = 0; a < n; a++) {
    const where = `line ${a + 2}`;
    const tok = lines[a + 1].split(',').map((s) => s.trim());
    if (tok.length !== header.length)
      throw new PannError('FORMAT', `${where} has ${tok.length} fields, the header has ${header.length}`, { file: fileName });
    species[a] = speciesFromToken(tok[0], fileName, where);
    for (let d = 0; d < 3; d++) positionsA[3 * a + d] = numberFromToken(tok[1 + d], fileName, where, REQUIRED[1 + d]);
    for (let c = 0; c < names.length; c++) extra[c].values[a] = numberFromToken(tok[4 + c], fileName, where, names[c]);
  }
  return buildModel(species, positionsA, extra);
}

/**
 * Formats a model as CSV (positions with 8 decimals in Å, scores/probabilities with 12 significant digits).
 * @param model the atomic model
 */
export function formatAtomCsv(model: AtomicModel): string {
  const cols = extraColumns(model);
  const out = [[...REQUIRED, ...cols.map((c) => c.name)].join(',')];
  const p = model.positionsA;
  for (let a = 0; a < model.species.length; a++) {
    const row = [model.species[a], p[3 * a].toFixed(8), p[3 * a + 1].toFixed(8), p[3 * a + 2].toFixed(8)];
    for (const c of cols) row.push(formatValue(c.values[a]));
    out.push(row.join(','));
  }
  return out.join('\n') + '\n';
}

/**
 * Reads an atomic-model CSV file.
 * @param filePath path of the .csv file
 */
export function readAtomCsv(filePath: string): AtomicModel {
  return parseAtomCsv(readText(filePath), filePath);
}

/**
 * Writes an atomic model as CSV.
 * @param filePath destination path
 * @param model the atomic model (positions in Å)
 */
export function writeAtomCsv(filePath: string, model: AtomicModel): void {
  writeFile(filePath, formatAtomCsv(model));
}

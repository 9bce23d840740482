/**
 * XYZ atomic models: plain XYZ, extended XYZ (ASE/extxyz conventions: `Lattice="…"`,
 * `Properties=species:S:1:pos:R:3[:name:R:1 …]`), and the whitespace atom tables of the Miao group
 * (`%` comment lines, then `type x y z` per atom). Positions are in Å.
 *
 * Extended XYZ extra columns: real/integer columns become `scores` (a column with k > 1 components
 * becomes scores `name_0` … `name_{k-1}`); columns named `prob_<El>` become `probabilities`.
 */
import { PannError } from '../core/errors';
import type { AtomicModel } from '../core/types';
import { AtomColumn, buildModel, extraColumns, formatValue, numberFromToken, speciesFromToken } from './atom-columns';
import { readText, writeFile } from './files';

interface Property {
  name: string;
  type: string;
  count: number;
}

/** Splits the comment line into key=value pairs (values may be "quoted" or {braced}). */
function parseKeyValues(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z_][\w-]*)\s*=\s*("([^"]*)"|'([^']*)'|\{([^}]*)\}|(\S+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.set(m[1].toLowerCase(), m[3] ?? m[4] ?? m[5] ?? m[6] ?? '');
  return out;
}

function parseProperties(text: string, file: string): Property[] {
  const parts = text.split(':');
  if (parts.length % 3 !== 0) throw new PannError('FORMAT', `Properties '${text}' is not a list of name:type:count triples`, { file, field: 'Properties' });
  const props: Property[] = [];
  for (let i = 0; i < parts.length; i += 3) {
    const count = Number(parts[i + 2]);
    const type = parts[i + 1].toUpperCase();
    if (!['S', 'R', 'I', 'L'].includes(type) || !(Number.isInteger(count) && count >= 1))
      throw new PannError('FORMAT', `Properties entry '${parts.slice(i, i + 3).join(':')}' has a bad type or count`, { file, field: 'Properties' });
    props.push({ name: parts[i], type, count });
  }
  return props;
}

/**
 * Parses plain or extended XYZ text.
 * @param text file content
 * @param fileName name used in error messages
 * @returns the model; `cellA` is set from an orthogonal `Lattice` (a non-orthogonal lattice is ignored)
 */
export function parseXyz(text: string, fileName: string): AtomicModel {
  const lines = text.split(/\r?\n/);
  const fail = (problem: string): never => {
    throw new PannError('FORMAT', `not a readable XYZ file: ${problem}`, { file: fileName });
  };
  const n = Number(lines[0]?.trim());
  if (!Number.isInteger(n) || n < 0) fail(`line 1 should be the atom count, got '${(lines[0] ?? '').slice(0, 40)}'`);
  if (lines.length < n + 2 || lines.slice(2, n + 2).some((l) => l.trim() === ''))
    fail(`truncated: line 1 announces ${n} atoms but fewer atom lines follow`);
  const kv = parseKeyValues(lines[1] ?? '');

  let props: Property[] = [
    { name: 'species', type: 'S', count: 1 },
    { name: 'pos', type: 'R', count: 3 },
  ];
  const propText = kv.get('properties');
  if (propText !== undefined) props = parseProperties(propText, fileName);
  const speciesProp = props.find((p) => /^(species|element|symbol)$/i.test(p.name));
  const posProp = props.find((p) => /^(pos|positions?)$/i.test(p.name));
  if (!speciesProp || !posProp || posProp.count !== 3 || speciesProp.count !== 1)
    fail(`Properties must include species:S:1 and pos:R:3, got '${propText}'`);

  let cellA: [number, number, number] | undefined;
  const lattice = kv.get('lattice');
  if (lattice !== undefined) {
    const v = lattice.trim().split(/\s+/).map(Number);
    if (v.length !== 9 || v.some((x) => !Number.isFinite(x))) fail(`Lattice="${lattice}" is not 9 numbers`);
    const offDiagonal = [v[1], v[2], v[3], v[5], v[6], v[7]];
    if (offDiagonal.every((x) => x === 0)) cellA = [v[0], v[4], v[8]];
  }

  // Column layout: where each property starts in a line's tokens.
  const extraProps = props.filter((p) => p !== speciesProp && p !== posProp && (p.type === 'R' || p.type === 'I'));
  const start = new Map<Property, number>();
  let width = 0;
  for (const p of props) {
    start.set(p, width);
    width += p.count;
  }
  const species: string[] = new Array(n);
  const positionsA = new Float64Array(3 * n);
  const extra: AtomColumn[] = [];
  for (const p of extraProps)
    for (let c = 0; c < p.count; c++) extra.push({ name: p.count === 1 ? p.name : `${p.name}_${c}`, values: new Float64Array(n) });
  const sCol = start.get(speciesProp!)!, pCol = start.get(posProp!)!;
  for (let a = 0; a < n; a++) {
    const where = `line ${a + 3}`;
    const tok = lines[a + 2].trim().split(/\s+/);
    if (tok.length < width) fail(`${where} has ${tok.length} columns, Properties needs ${width}`);
    species[a] = speciesFromToken(tok[sCol], fileName, where);
    for (let d = 0; d < 3; d++) positionsA[3 * a + d] = numberFromToken(tok[pCol + d], fileName, where, 'xyz'[d]);
    let e = 0;
    for (const p of extraProps)
      for (let c = 0; c < p.count; c++) extra[e++].values[a] = numberFromToken(tok[start.get(p)! + c], fileName, where, p.name);
  }
  return buildModel(species, positionsA, extra, cellA);
}

/**
 * Formats a model as extended XYZ (positions with 8 decimals in Å, scores and probabilities with 12
 * significant digits), readable by ASE, OVITO and {@link parseXyz}.
 * @param model the atomic model
 * @param comment optional free text stored as `comment="…"` (double quotes are replaced by ')
 */
export function formatXyz(model: AtomicModel, comment?: string): string {
  const cols = extraColumns(model);
  const n = model.species.length;
  const props = ['species:S:1', 'pos:R:3', ...cols.map((c) => `${c.name}:R:1`)].join(':');
  const head: string[] = [];
  if (model.cellA) {
    const [a, b, c] = model.cellA;
    head.push(`Lattice="${a} 0 0 0 ${b} 0 0 0 ${c}"`);
  }
  head.push(`Properties=${props}`);
  if (comment) head.push(`comment="${comment.replace(/["\r\n]/g, "'")}"`);
  head.push('pbc="F F F"');
  const out: string[] = [String(n), head.join(' ')];
  const p = model.positionsA;
  for (let a = 0; a < n; a++) {
    let line = `${model.species[a].padEnd(2)} ${p[3 * a].toFixed(8)} ${p[3 * a + 1].toFixed(8)} ${p[3 * a + 2].toFixed(8)}`;
    for (const c of cols) line += ' ' + formatValue(c.values[a]);
    out.push(line);
  }
  return out.join('\n') + '\n';
}

/**
 * Reads a plain or extended XYZ file.
 * @param filePath path of the .xyz file
 */
export function readXyz(filePath: string): AtomicModel {
  return parseXyz(readText(filePath), filePath);
}

/**
 * Writes a model as extended XYZ.
 * @param filePath destination path
 * @param model the atomic model (positions in Å)
 * @param comment optional free text for the comment line
 */
export function writeXyz(filePath: string, model: AtomicModel, comment?: string): void {
  writeFile(filePath, formatXyz(model, comment));
}

/** Options for {@link parseAtomTable}. */
export interface AtomTableOptions {
  /**
   * Species of each numeric type label. The Miao-group tables number species 1, 2, 3 … (the aSi
   * ground truth uses 1 for Si), which is NOT the atomic number, so pass e.g. `{ 1: 'Si' }`.
   * Without it, a numeric type is read as an atomic number.
   */
  speciesByType?: Record<number, string>;
}

/**
 * Parses a whitespace atom table: `%` or `#` comment lines, then `type x y z` per atom (Å), type an
 * element symbol or a number (see {@link AtomTableOptions.speciesByType}).
 * @param text file content
 * @param fileName name used in error messages
 * @param opts see {@link AtomTableOptions}
 */
export function parseAtomTable(text: string, fileName: string, opts: AtomTableOptions = {}): AtomicModel {
  const species: string[] = [];
  const pos: number[] = [];
  let declared: number | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1}`;
    if (line === '') return;
    if (line.startsWith('%') || line.startsWith('#')) {
      // A first comment that is a bare count ("% 208") is checked against the rows read.
      const m = /^[%#]\s*(\d+)\s*$/.exec(line);
      if (m && declared === undefined && species.length === 0) declared = Number(m[1]);
      return;
    }
    const tok = line.split(/[\s,]+/);
    if (tok.length < 4) throw new PannError('FORMAT', `${where}: expected 'type x y z', got '${line.slice(0, 60)}'`, { file: fileName });
    const mapped = /^\d+$/.test(tok[0]) ? opts.speciesByType?.[Number(tok[0])] : undefined;
    species.push(mapped ?? speciesFromToken(tok[0], fileName, where));
    for (let d = 0; d < 3; d++) pos.push(numberFromToken(tok[1 + d], fileName, where, 'xyz'[d]));
  });
  if (species.length === 0) throw new PannError('FORMAT', 'no atom rows found', { file: fileName });
  if (declared !== undefined && declared !== species.length)
    throw new PannError('FORMAT', `the header announces ${declared} atoms but ${species.length} rows were read (truncated?)`, { file: fileName });
  return { species, positionsA: Float64Array.from(pos) };
}

/**
 * Reads a whitespace atom table (see {@link parseAtomTable}).
 * @param filePath path of the file
 * @param opts see {@link AtomTableOptions}
 */
export function readAtomTable(filePath: string, opts: AtomTableOptions = {}): AtomicModel {
  return parseAtomTable(readText(filePath), filePath, opts);
}

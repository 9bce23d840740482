/**
 * JSON Schema validation (ajv) of the project's JSON documents: pipeline configuration, summary.json and the
 * atomic model in JSON form. The schemas live in the repository's `schema/` folder; a copy is resolved from
 * the package so the library also works when installed elsewhere.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PannError } from '../core/errors';

export type SchemaName = 'pipeline-config' | 'summary' | 'atomic-model';

const cache = new Map<SchemaName, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false });

/** Folder holding the JSON Schemas (the repository's `schema/`). */
export function schemaDir(): string {
  const candidates = [path.resolve(__dirname, '../../../schema'), path.resolve(__dirname, '../../schema')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'pipeline-config.schema.json')));
  if (!found) throw new PannError('STATE', `cannot find the schema folder (looked in ${candidates.join(', ')})`);
  return found;
}

function validator(name: SchemaName): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    const file = path.join(schemaDir(), `${name}.schema.json`);
    v = ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')));
    cache.set(name, v);
  }
  return v;
}

/** Throws a PannError listing every violation (JSON pointer + message) when `doc` does not match the schema. */
export function validateDocument(name: SchemaName, doc: unknown, source: string = name): void {
  const v = validator(name);
  if (!v(doc)) {
    const problems = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` ('${(e.params as { additionalProperty: string }).additionalProperty}')` : ''}`);
    throw new PannError('OPTION', `${source} does not match the ${name} schema: ${problems.join('; ')}`, { file: source });
  }
}

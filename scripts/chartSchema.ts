// helm/alert-agent/values.schema.json, made from values.yaml so the two never drift (a unit test checks
// the committed file is what this makes): `npm run chart:schema` after adding a value.
// Unknown top-level keys are refused (a typo in --set or a values file fails the install, not silently
// nothing). Leaves are typed only where a value can never mean something else (booleans, integers):
// strings stay open, since a duration may be given in plain milliseconds, and objects below the top stay
// open (maps of labels, annotations, selectors).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const CHART = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helm', 'alert-agent');

type Schema = Record<string, unknown>;

function schemaOf(v: unknown, top = false): Schema {
  if (typeof v === 'boolean') return { type: 'boolean' };
  if (typeof v === 'number') return { type: Number.isInteger(v) ? 'integer' : 'number' };
  if (Array.isArray(v)) return { type: 'array' };
  if (v && typeof v === 'object') {
    const properties = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, schemaOf(x)]));
    return top ? { type: 'object', properties, additionalProperties: false } : { type: 'object', properties };
  }
  return {};
}

export function valuesSchemaText(): string {
  const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
  const schema = { $schema: 'https://json-schema.org/draft-07/schema#', title: 'alert-agent chart values', ...schemaOf(values, true) };
  return JSON.stringify(schema, null, 2) + '\n';
}

export const SCHEMA_FILE = path.join(CHART, 'values.schema.json');

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(SCHEMA_FILE, valuesSchemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

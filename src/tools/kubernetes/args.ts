// Tolerant arguments: what a weaker model sends is read the way it meant, and what cannot be read is
// answered with what to send instead. In order: argument names (any case, snake_case, `ns`, `pod` or
// `podName` for `name`), values (null as absent, numbers and booleans sent as strings, enums in any case,
// names in upper case, "all" namespaces), the tool's own rules (kinds in any spelling), then the schema.
// Unknown arguments are dropped with a note that lists what the tool takes.
import { z } from 'zod';
import type { ToolDef } from './context.js';
import { lookupKind } from './kinds.js';

export interface PreparedArgs {
  args: Record<string, unknown>;
  /** What was read differently from what was sent, for the note in the output. */
  notes: string[];
}

const ALL_NAMESPACES = new Set(['', '*', 'all', 'all-namespaces', 'allnamespaces', '_all', 'any']);
/** Argument names that mean "the object's name" for a tool with a `name` argument. */
const NAME_WORDS = new Set(['resource', 'object', 'workload', 'target', 'claim', 'objectname', 'resourcename', 'workloadname', 'targetname', 'claimname']);

function normKey(k: string): string {
  return k.toLowerCase().replace(/[\s_-]/g, '');
}

/** The schema under optional/default/nullable/effects wrappers, with what they add. */
export function unwrap(t: z.ZodTypeAny): { base: z.ZodTypeAny; optional: boolean; defaultValue?: unknown } {
  let optional = false;
  let defaultValue: unknown;
  let cur = t;
  for (;;) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable) {
      optional = true;
      cur = cur._def.innerType;
    } else if (cur instanceof z.ZodDefault) {
      optional = true;
      defaultValue = cur._def.defaultValue();
      cur = cur._def.innerType;
    } else if (cur instanceof z.ZodEffects) {
      cur = cur._def.schema;
    } else return { base: cur, optional, defaultValue };
  }
}

function coerce(value: unknown, t: z.ZodTypeAny, key: string, notes: string[]): unknown {
  const { base } = unwrap(t);
  if (base instanceof z.ZodNumber && typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  if (base instanceof z.ZodBoolean) {
    if (typeof value === 'string') {
      const v = value.trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(v)) return true;
      if (['false', 'no', '0', 'off'].includes(v)) return false;
    }
    if (value === 1 || value === 0) return value === 1;
  }
  if (base instanceof z.ZodEnum && typeof value === 'string') {
    const options = base.options as string[];
    const hit = options.find((o) => o.toLowerCase() === value.trim().toLowerCase());
    if (hit) return hit;
  }
  if (base instanceof z.ZodString) {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value === 'string') {
      const trimmed = value.trim();
      // A name sent in upper case ("Web-1") where only lower-case DNS names are valid.
      if (!t.safeParse(trimmed).success && trimmed !== trimmed.toLowerCase() && t.safeParse(trimmed.toLowerCase()).success) {
        notes.push(`${key} "${trimmed}" read as ${trimmed.toLowerCase()}`);
        return trimmed.toLowerCase();
      }
      return trimmed;
    }
  }
  if (base instanceof z.ZodObject && value && typeof value === 'object' && !Array.isArray(value)) {
    const shape = base.shape as z.ZodRawShape;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const target = shape[k] ? k : Object.keys(shape).find((s) => normKey(s) === normKey(k)) ?? k;
      out[target] = shape[target] ? coerce(v, shape[target], `${key}.${target}`, notes) : v;
    }
    return out;
  }
  return value;
}

/**
 * The arguments a tool will run with, or an error that says what to send instead. Never throws.
 */
export function prepareArgs(def: ToolDef, raw: unknown): PreparedArgs | { error: string } {
  const shape = def.inputSchema;
  const keys = Object.keys(shape);
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    return { error: invalidText(def, [`the arguments must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`], []) };
  }
  const notes: string[] = [];
  const args: Record<string, unknown> = {};
  const unknown: string[] = [];
  const nameKey = keys.includes('name') ? 'name' : keys.includes('involvedObjectName') ? 'involvedObjectName' : undefined;
  const kindKey = keys.includes('kind') ? 'kind' : keys.includes('involvedObjectKind') ? 'involvedObjectKind' : undefined;
  const given = Object.entries((raw ?? {}) as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  // Exact names first, so that an alias never overrides what was sent under the real name.
  for (const [k, v] of given) if (keys.includes(k)) args[k] = v;
  for (const [k, v] of given) {
    if (keys.includes(k)) continue;
    const nk = normKey(k);
    let target = keys.find((s) => normKey(s) === nk) ?? def.aliases?.[nk] ?? keys.find((s) => nk.endsWith('name') && normKey(s) === nk.slice(0, -4));
    if (!target && nk === 'ns' && keys.includes('namespace')) target = 'namespace';
    let kindFromKey: string | undefined;
    if (!target && nameKey && typeof v === 'string') {
      // {"pod": "web-1"} or {"deploymentName": "web"}: the object's name, and its kind where the tool takes one.
      const word = nk.endsWith('name') ? nk.slice(0, -4) : nk;
      const known = lookupKind(word);
      if (known || NAME_WORDS.has(nk)) {
        target = nameKey;
        kindFromKey = known?.kind;
      }
    }
    if (!target) {
      unknown.push(k);
      continue;
    }
    if (target in args) {
      notes.push(`ignored ${k} (${target} was given)`);
      continue;
    }
    args[target] = v;
    notes.push(`read ${k} as ${target}`);
    if (kindFromKey && kindKey && !(kindKey in args)) args[kindKey] = kindFromKey;
  }
  for (const k of Object.keys(args)) args[k] = coerce(args[k], shape[k], k, notes);
  if (keys.includes('namespace') && typeof args.namespace === 'string' && ALL_NAMESPACES.has(args.namespace.toLowerCase()) && unwrap(shape.namespace).optional) {
    if (args.namespace !== '') notes.push(`namespace "${args.namespace}" read as all namespaces`);
    delete args.namespace;
  }
  if (unknown.length) notes.push(`ignored unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; this tool takes: ${keys.join(', ')}`);
  const problem = def.normalize?.(args, notes);
  if (problem) return { error: invalidText(def, [problem], notes) };
  const parsed = z.object(shape).safeParse(args);
  if (!parsed.success) return { error: invalidText(def, parsed.error.issues.map((i) => issueText(i, shape, args)), notes) };
  return { args: parsed.data as Record<string, unknown>, notes };
}

function issueText(i: z.ZodIssue, shape: z.ZodRawShape, args: Record<string, unknown>): string {
  const path = i.path.join('.');
  const field = shape[String(i.path[0])];
  const got = i.path.reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[p] : undefined), args);
  if (i.code === 'invalid_type' && i.received === 'undefined') return `${path} is required: ${(field?.description ?? describeType(field)).replace(/\.$/, '')}`;
  if (i.code === 'invalid_type') return `${path} must be ${describeType(field && i.path.length === 1 ? field : undefined) || i.expected}, got ${JSON.stringify(got)}`;
  if (i.code === 'invalid_enum_value') return `${path} must be one of ${i.options.join(', ')}; got ${JSON.stringify(got)}`;
  if (i.code === 'unrecognized_keys') return `${path || 'arguments'}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
  return `${path}: ${i.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`;
}

/** "integer 1-500", "Deployment|StatefulSet|DaemonSet", "string" for the usage line. */
export function describeType(t: z.ZodTypeAny | undefined): string {
  if (!t) return '';
  const { base } = unwrap(t);
  if (base instanceof z.ZodString) return 'string';
  if (base instanceof z.ZodBoolean) return 'true or false';
  if (base instanceof z.ZodEnum) return (base.options as string[]).join('|');
  if (base instanceof z.ZodLiteral) return JSON.stringify(base.value);
  if (base instanceof z.ZodNumber) {
    const checks = base._def.checks;
    const min = checks.find((c) => c.kind === 'min')?.value;
    const max = checks.find((c) => c.kind === 'max')?.value;
    const isInt = checks.some((c) => c.kind === 'int');
    return `${isInt ? 'integer' : 'number'}${min !== undefined || max !== undefined ? ` ${min ?? ''}-${max ?? ''}` : ''}`;
  }
  if (base instanceof z.ZodObject) return `object {${Object.keys(base.shape as z.ZodRawShape).join(', ')}}`;
  if (base instanceof z.ZodArray) return 'list';
  return 'value';
}

/** "name (string, required), namespace (string, required), previous (true or false, default false)". */
export function usage(def: ToolDef): string {
  return Object.entries(def.inputSchema)
    .map(([k, t]) => {
      const u = unwrap(t);
      const extra = u.optional ? (u.defaultValue !== undefined ? `default ${JSON.stringify(u.defaultValue)}` : 'optional') : 'required';
      return `${k} (${describeType(t)}, ${extra})`;
    })
    .join(', ');
}

/** The first line is the whole problem (it becomes the step's error); then an example call and the arguments. */
function invalidText(def: ToolDef, problems: string[], notes: string[]): string {
  return [
    `invalid arguments for ${def.name}: ${problems.join('; ')}`,
    `Send instead, e.g.: ${JSON.stringify(def.example)}`,
    `${def.name} takes: ${usage(def)}.`,
    ...notes.map((n) => `[note: ${n}]`),
  ].join('\n');
}

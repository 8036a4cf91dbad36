// "before → after" lists of what a change did to an object, for mutating tool outputs.
import type { FieldChange, PathSegment } from '../../contracts/gitChange.js';
import { clip, envValue, sanitizeValue, toPlain } from './format.js';

type Plain = Record<string, unknown>;
const isObj = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return '<unset>';
  if (typeof v === 'string') return v;
  return clip(JSON.stringify(v), 200);
}

/** Arrays of named items (containers, env, ports with names) are compared by name, conditions by type. */
function byName(a: unknown[]): Map<string, unknown> | undefined {
  if (a.every((x) => isObj(x) && typeof x.name === 'string')) return new Map(a.map((x) => [(x as Plain).name as string, x]));
  if (a.every((x) => isObj(x) && typeof x.type === 'string' && typeof x.status === 'string')) return new Map(a.map((x) => [(x as Plain).type as string, x]));
  return undefined;
}

function walk(a: unknown, b: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit) return;
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ma = byName(a);
    const mb = byName(b);
    if (ma && mb) {
      const names = new Set([...ma.keys(), ...mb.keys()]);
      for (const n of names) walk(ma.get(n), mb.get(n), `${path}[${n}]`, out, limit);
      return;
    }
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  // Env values are shown under the same redaction rule as everywhere else.
  const envMatch = /\.env\[([^\]]+)\](\.value)?$/.exec(path);
  if (envMatch) {
    const name = envMatch[1];
    const red = (v: unknown) => {
      if (isObj(v) && typeof v.value === 'string') return { ...v, value: envValue(name, v.value) };
      if (typeof v === 'string') return envValue(name, v);
      return v;
    };
    out.push(`${path}: ${show(red(a))} → ${show(red(b))}`);
    return;
  }
  // Whole sub-objects (a container, an env list) get the usual redaction before they are shown.
  const key = /([A-Za-z0-9_]+)(\[[^\]]*\])?$/.exec(path)?.[1] ?? '';
  out.push(`${path}: ${show(sanitizeValue(key, a))} → ${show(sanitizeValue(key, b))}`);
}

/** Leaf differences between two versions of an object, at most `limit` lines. */
export function diffObjects(before: unknown, after: unknown, limit = 30): string[] {
  const out: string[] = [];
  walk(toPlain(before), toPlain(after), '', out, limit + 1);
  if (out.length > limit) return [...out.slice(0, limit), '... more differences not shown'];
  return out;
}

type Leaf = string | number | boolean | null;
const isLeaf = (v: unknown): v is Leaf | undefined => v === undefined || v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * The same differences as data, for a change to make in Git: each leaf's path (named list items by name)
 * with its value before and after; undefined when a difference is not between leaves (a whole list or
 * object added or replaced) or touches an env value (never copied out of the cluster), since such a change
 * is not one a file can be patched with safely.
 */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] | undefined {
  const out: FieldChange[] = [];
  const go = (a: unknown, b: unknown, path: PathSegment[]): boolean => {
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!go(a[k], b[k], [...path, k])) return false;
      return true;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const ma = byName(a);
      const mb = byName(b);
      if (ma && mb && a.every((x) => typeof (x as Plain).name === 'string')) {
        for (const n of new Set([...ma.keys(), ...mb.keys()])) if (!go(ma.get(n), mb.get(n), [...path, { name: n }])) return false;
        return true;
      }
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return true;
    if (!isLeaf(a) || !isLeaf(b) || path.some((s) => s === 'env')) return false;
    out.push({ path, ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
    return true;
  };
  return go(toPlain(before), toPlain(after), []) ? out : undefined;
}

// "before → after" lists of what a change did to an object, for mutating tool outputs.
import { clip, envValue, sanitizeValue, toPlain } from './format.js';

type Plain = Record<string, unknown>;
const isObj = (v: unknown): v is Plain => !!v && typeof v === 'object' && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return '<unset>';
  if (typeof v === 'string') return v;
  return clip(JSON.stringify(v), 200);
}

/** Arrays of named items (containers, env, ports with names) are compared by name. */
function byName(a: unknown[]): Map<string, unknown> | undefined {
  if (!a.every((x) => isObj(x) && typeof x.name === 'string')) return undefined;
  return new Map(a.map((x) => [(x as Plain).name as string, x]));
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

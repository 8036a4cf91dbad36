// Turning Kubernetes objects into bounded, LLM-readable text: YAML dumps (by the `yaml` package) without the
// noise (managedFields, last-applied annotations), tables, ages; and bounded structured data.
//
// Redaction: every tool result passes redact() once, in ToolManager.call(). What happens here is what that
// pass cannot do: mask what only the structure of an API object tells (Secret values shown as their size,
// an env value hidden by its variable's name, which stands in another field; ConfigMap keys named like
// secrets), and redact configuration values (objects as read, env values, command lines, template
// differences) before they are clipped, because a secret cut in half is no longer recognisable by the pass.
// The rules themselves are in src/redaction/redact.ts.
import { stringify as yamlStringify } from 'yaml';
import { isPlaceholder, isSecretName, isSensitiveEnvValue, REDACTED, redact } from '../../redaction/redact.js';

export { REDACTED };

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The value to show for an env var with a literal value: hidden whole under a sensitive name, else redacted. */
export function envValue(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (isSensitiveEnvValue(name, value)) return REDACTED;
  return redact(value);
}

/**
 * Cuts text to at most maxBytes (UTF-8) including a final line
 * `[output truncated: N of M bytes shown]`, preferring to cut at a line end.
 */
export function truncateOutput(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  const total = buf.length;
  if (total <= maxBytes) return text;
  const markerFor = (n: number) => `\n[output truncated: ${n} of ${total} bytes shown]`;
  let budget = Math.max(0, maxBytes - Buffer.byteLength(markerFor(total)));
  // Never split a UTF-8 sequence.
  while (budget > 0 && (buf[budget] & 0xc0) === 0x80) budget--;
  let shown = buf.subarray(0, budget).toString('utf8');
  const nl = shown.lastIndexOf('\n');
  if (nl > 0 && nl >= shown.length * 0.8) shown = shown.slice(0, nl);
  const n = Buffer.byteLength(shown);
  return shown + markerFor(n);
}

/** Keeps the last maxBytes of text (for logs, where the end matters), starting at a line boundary. */
export function tailBytes(text: string, maxBytes: number): { text: string; cut: boolean; total: number } {
  const buf = Buffer.from(text, 'utf8');
  const total = buf.length;
  if (total <= maxBytes) return { text, cut: false, total };
  let start = total - maxBytes;
  while (start < total && (buf[start] & 0xc0) === 0x80) start++;
  let shown = buf.subarray(start).toString('utf8');
  const nl = shown.indexOf('\n');
  if (nl >= 0 && nl < shown.length * 0.2) shown = shown.slice(nl + 1);
  return { text: shown, cut: true, total };
}

/** Shortens a string to max characters, saying how much was left out. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… [+${s.length - max} chars]`;
}

/**
 * Shortens a string to about max characters keeping its head and its tail ("… [N chars] …" between):
 * wrapped errors put the innermost cause last, so the end of a message matters as much as its start.
 */
export function clipMiddle(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.floor(max * 0.4);
  const tail = max - head;
  return `${s.slice(0, head)} …[${s.length - head - tail} chars]… ${s.slice(s.length - tail)}`;
}

/** Milliseconds since epoch of a Date or timestamp string. */
export function toMillis(x: unknown): number | undefined {
  if (x instanceof Date) return isNaN(x.getTime()) ? undefined : x.getTime();
  if (typeof x === 'number') return Number.isFinite(x) && x > 0 ? x : undefined;
  if (typeof x === 'string' && x) {
    const t = Date.parse(x);
    return isNaN(t) ? undefined : t;
  }
  return undefined;
}

export function isoTime(x: unknown): string {
  const t = toMillis(x);
  return t === undefined ? '' : new Date(t).toISOString().replace('.000Z', 'Z');
}

/** Human duration like kubectl: 45s, 4m30s, 3h12m, 2d5h, 40d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Age of a timestamp ("5m"), or "<unknown>". */
export function age(ts: unknown, now: number = Date.now()): string {
  const t = toMillis(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now - t);
}

/** "3m ago (2024-05-01T10:00:00Z)" */
export function when(ts: unknown, now: number = Date.now()): string {
  const t = toMillis(ts);
  if (t === undefined) return '<unknown>';
  return `${humanDuration(now - t)} ago (${isoTime(t)})`;
}

/** A fixed-width text table. Cells are clipped (the last column gets more room). */
export function table(headers: string[], rows: string[][], opts: { maxCell?: number; maxLast?: number } = {}): string {
  const maxCell = opts.maxCell ?? 64;
  const maxLast = opts.maxLast ?? 300;
  const last = headers.length - 1;
  const cells = rows.map((r) => r.map((c, i) => clip(oneLine(c ?? ''), i === last ? maxLast : maxCell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === last ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ⏎ ').trim();
}

/** "a=1, b=2" (or "<none>"). */
export function kv(map: Record<string, string | number | undefined> | undefined | null, sep = '='): string {
  if (!map) return '<none>';
  const parts = Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}${sep}${v}`);
  return parts.length ? parts.join(', ') : '<none>';
}

export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

// ------------------------------------------------------------------------------------------------
// Plain objects and YAML

// The generated client models rename a few wire fields that clash with JS words.
const RENAMED_FIELDS: Record<string, string> = { _default: 'default', _enum: 'enum', _continue: 'continue', _from: 'from', _int: 'int' };

/**
 * Nesting kept of an object read from the cluster. A custom resource with unknown fields preserved can be
 * nested as deep as the API server decodes (thousands of levels): every walk below (redaction, fitting,
 * diff, YAML) recurses, so the copy is cut here, once, where it is made.
 */
export const MAX_OBJECT_DEPTH = 64;

/** A JSON-like deep copy of an API object: Dates as ISO strings, no undefined, wire field names; "[too deep]" below MAX_OBJECT_DEPTH. */
export function toPlain(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return isoTime(value);
  if (typeof value === 'object' && depth >= MAX_OBJECT_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function') continue;
      out[RENAMED_FIELDS[k] ?? k] = toPlain(v, depth + 1);
    }
    return out;
  }
  return value;
}

type Plain = Record<string, unknown>;

function isObj(v: unknown): v is Plain {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function byteSizeOfBase64(s: string): number {
  try {
    return Buffer.from(s, 'base64').length;
  } catch {
    return s.length;
  }
}

/**
 * What an object looks like in tool output: managedFields and last-applied annotations gone,
 * Secret values replaced by their size, sensitive env and ConfigMap values redacted, long strings clipped.
 */
export function sanitizeObject(obj: unknown, opts: { maxString?: number } = {}): Plain {
  const plain = toPlain(obj);
  if (!isObj(plain)) return {};
  const maxString = opts.maxString ?? 2000;
  const kind = typeof plain.kind === 'string' ? plain.kind : '';

  const meta = plain.metadata;
  if (isObj(meta)) {
    delete meta.managedFields;
    if (isObj(meta.annotations)) {
      delete meta.annotations[LAST_APPLIED];
      if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
    }
  }

  if (kind === 'Secret') {
    for (const field of ['data', 'stringData'] as const) {
      const data = plain[field];
      if (isObj(data)) {
        const keys: Plain = {};
        for (const [k, v] of Object.entries(data)) {
          const size = typeof v === 'string' ? (field === 'data' ? byteSizeOfBase64(v) : Buffer.byteLength(v)) : 0;
          keys[k] = `<secret value hidden, ${size} bytes>`;
        }
        plain[field] = keys;
      } else {
        delete plain[field];
      }
    }
  }

  if (kind === 'ConfigMap') {
    if (isObj(plain.data)) {
      for (const k of Object.keys(plain.data)) {
        const v = plain.data[k];
        if (isSecretName(k) && !(typeof v === 'string' && isPlaceholder(v))) plain.data[k] = REDACTED;
      }
    }
    if (isObj(plain.binaryData)) {
      for (const [k, v] of Object.entries(plain.binaryData)) {
        plain.binaryData[k] = `<binary, ${typeof v === 'string' ? byteSizeOfBase64(v) : 0} bytes>`;
      }
    }
  }

  maskAndClip(plain, maxString);
  return plain;
}

/** A value found under `key` as sanitizeObject shows it (env values by name, configuration values redacted, long strings clipped). */
export function sanitizeValue(key: string, value: unknown, maxString = 2000): unknown {
  const holder: Plain = { [key]: toPlain(value) };
  maskAndClip(holder, maxString);
  return holder[key];
}

/**
 * Env values by sensitive name, fields named like secrets, secret-shaped values in any string (command
 * arguments, ConfigMap files such as app.properties), then long strings clipped: redaction comes first, so
 * that clipping never leaves a cut key or token in a shape the redaction no longer recognises.
 */
function maskAndClip(node: unknown, maxString: number): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      if (typeof v === 'string') node[i] = clip(redact(v), maxString);
      else maskAndClip(v, maxString);
    });
    return;
  }
  if (!isObj(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'env' && Array.isArray(v)) {
      for (const e of v) {
        if (isObj(e) && typeof e.name === 'string' && typeof e.value === 'string') e.value = envValue(e.name, e.value);
      }
    }
    if (typeof v === 'string') node[k] = clip(redact(v, { key: k }), maxString);
    else maskAndClip(v, maxString);
  }
}

/**
 * YAML of a value (block style, keys in their order, long strings never folded), by the `yaml` package:
 * a real, symmetric format, so that anything that must read it back can use `YAML.parse`.
 */
export function toYaml(value: unknown): string {
  const plain = toPlain(value);
  if (plain === undefined) return '';
  return yamlStringify(plain, { lineWidth: 0, minContentWidth: 0, indentSeq: false, aliasDuplicateObjects: false }).replace(/\n$/, '');
}

// ------------------------------------------------------------------------------------------------
// Bounded structured data

function bytesOf(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v) ?? '');
}

function clipStrings(node: unknown, max: number): boolean {
  let cut = false;
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      if (typeof v === 'string' && v.length > max) {
        node[i] = `${v.slice(0, max)}…`;
        cut = true;
      } else if (clipStrings(v, max)) cut = true;
    });
  } else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && v.length > max) {
        node[k] = `${v.slice(0, max)}…`;
        cut = true;
      } else if (clipStrings(v, max)) cut = true;
    }
  }
  return cut;
}

function arraysIn(node: unknown, out: unknown[][] = []): unknown[][] {
  if (Array.isArray(node)) {
    if (node.length) out.push(node);
    node.forEach((v) => arraysIn(v, out));
  } else if (isObj(node)) Object.values(node).forEach((v) => arraysIn(v, out));
  return out;
}

/**
 * Structured data within maxBytes of JSON, its shape kept (so it still matches its schema): long strings
 * are clipped, then the largest lists halved (their first items kept: lists are ordered most relevant
 * first) until it fits. `cut` says whether anything was left out. Data that cannot fit is returned as
 * small as it got.
 */
export function fitData<T>(data: T, maxBytes: number): { data: T; cut: boolean } {
  if (bytesOf(data) <= maxBytes) return { data, cut: false };
  const copy = structuredClone(data);
  clipStrings(copy, 400);
  for (let i = 0; i < 400 && bytesOf(copy) > maxBytes; i++) {
    const lists = arraysIn(copy);
    if (!lists.length) break;
    const biggest = lists.reduce((a, b) => (bytesOf(b) > bytesOf(a) ? b : a));
    biggest.splice(Math.floor(biggest.length / 2));
  }
  if (bytesOf(copy) > maxBytes) clipStrings(copy, 80);
  return { data: copy, cut: true };
}

/**
 * An arbitrary object (a resource as read) within maxBytes of JSON: like fitData, and then its largest
 * fields are dropped (never apiVersion, kind or the metadata name and namespace).
 */
export function fitObject(obj: Plain, maxBytes: number): { data: Plain; cut: boolean } {
  const fitted = fitData(obj, maxBytes);
  const copy = fitted.data;
  const keep = (path: string) => ['apiVersion', 'kind', 'metadata', 'metadata.name', 'metadata.namespace'].includes(path);
  for (let i = 0; i < 200 && bytesOf(copy) > maxBytes; i++) {
    let best: { parent: Plain; key: string; size: number } | undefined;
    const walk = (node: Plain, path: string) => {
      for (const [k, v] of Object.entries(node)) {
        const p = path ? `${path}.${k}` : k;
        if (!keep(p)) {
          const size = bytesOf(v);
          if (!best || size > best.size) best = { parent: node, key: k, size };
        }
        if (isObj(v)) walk(v, p);
      }
    };
    walk(copy, '');
    if (!best) break;
    delete best.parent[best.key];
  }
  return { data: copy, cut: fitted.cut || bytesOf(copy) < bytesOf(obj) };
}

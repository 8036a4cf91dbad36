// Turning Kubernetes objects into bounded, LLM-readable text: YAML-ish dumps without the noise
// (managedFields, last-applied annotations), tables, ages, and the redaction rules (Secret values,
// sensitive env values, credentials) that every tool output passes through.

/** Env var names whose literal values are never shown. */
export const SENSITIVE_ENV_NAME = /(password|secret|token|key)/i;
/** ConfigMap keys whose values are never shown (narrower than env: "key" alone is too common in config). */
export const SENSITIVE_CONFIG_KEY = /(password|passwd|secret|token|api[-_]?key|private[-_]?key|credential)/i;
export const REDACTED = '[redacted]';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Removes anything that looks like a bearer token or a JWT from free text. */
export function scrubCredentials(text: string): string {
  return text
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]')
    .replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, '[redacted-token]');
}

/** Masks `--password=x`, `token: x` style values inside command lines. */
export function redactArg(arg: string): string {
  return arg.replace(/((?:password|passwd|secret|token|api[-_]?key)[A-Za-z0-9_-]*\s*[=:]\s*)\S+/gi, `$1${REDACTED}`);
}

/** The value to show for an env var with a literal value. */
export function envValue(name: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (SENSITIVE_ENV_NAME.test(name)) return REDACTED;
  return value;
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

/** A JSON-like deep copy of an API object: Dates as ISO strings, no undefined, wire field names. */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return isoTime(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function') continue;
      out[RENAMED_FIELDS[k] ?? k] = toPlain(v);
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
        if (SENSITIVE_CONFIG_KEY.test(k)) plain.data[k] = REDACTED;
      }
    }
    if (isObj(plain.binaryData)) {
      for (const [k, v] of Object.entries(plain.binaryData)) {
        plain.binaryData[k] = `<binary, ${typeof v === 'string' ? byteSizeOfBase64(v) : 0} bytes>`;
      }
    }
  }

  redactDeep(plain, maxString);
  return plain;
}

/** A value found under `key` with the same redaction as sanitizeObject (env values, arguments). */
export function redactValue(key: string, value: unknown, maxString = 2000): unknown {
  const holder: Plain = { [key]: toPlain(value) };
  redactDeep(holder, maxString);
  return holder[key];
}

/** Env values by sensitive name, secret-looking command arguments, long strings. */
function redactDeep(node: unknown, maxString: number): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      if (typeof v === 'string') node[i] = clip(v, maxString);
      else redactDeep(v, maxString);
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
    if ((k === 'args' || k === 'command') && Array.isArray(v)) {
      node[k] = v.map((a) => (typeof a === 'string' ? clip(redactArg(a), maxString) : a));
      continue;
    }
    if (typeof v === 'string') node[k] = clip(v, maxString);
    else redactDeep(v, maxString);
  }
}

const PLAIN_SCALAR = /^(?:[A-Za-z0-9_/.]|-[A-Za-z0-9_/.-])[A-Za-z0-9 _./:@+=,()<>\-]*$/;
const LOOKS_TYPED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function yamlString(s: string, level: number): string {
  if (s.includes('\n')) {
    const pad = '  '.repeat(level + 1);
    const body = s
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => (l ? pad + l : ''))
      .join('\n');
    return `|${s.endsWith('\n') ? '' : '-'}\n${body}`;
  }
  const numeric = s.trim() !== '' && !isNaN(Number(s));
  if (s && PLAIN_SCALAR.test(s) && !numeric && !LOOKS_TYPED.test(s) && !s.endsWith(' ') && !s.includes(': ') && !s.includes(' #')) return s;
  return JSON.stringify(s);
}

function yamlKey(k: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(k) && !LOOKS_TYPED.test(k) ? k : JSON.stringify(k);
}

function yamlScalar(v: unknown, level: number): string | undefined {
  if (v === null) return 'null';
  if (v instanceof Date) return isoTime(v);
  if (typeof v === 'string') return yamlString(v, level);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (isObj(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

function yamlLines(v: unknown, level: number): string[] {
  const pad = '  '.repeat(level);
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      const scalar = yamlScalar(item, level);
      if (scalar !== undefined) {
        out.push(`${pad}- ${scalar}`);
        continue;
      }
      const inner = yamlLines(item, level + 1);
      // "- " takes the place of the first line's indentation.
      out.push(`${pad}- ${inner[0].trimStart()}`, ...inner.slice(1));
    }
    return out;
  }
  if (isObj(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const scalar = yamlScalar(val, level);
      if (scalar !== undefined) out.push(`${pad}${yamlKey(k)}: ${scalar}`);
      else {
        out.push(`${pad}${yamlKey(k)}:`);
        out.push(...yamlLines(val, Array.isArray(val) ? level : level + 1));
      }
    }
    return out;
  }
  return [`${pad}${yamlScalar(v, level) ?? String(v)}`];
}

/** A small YAML emitter (block style), good enough for reading objects. */
export function toYaml(value: unknown): string {
  const scalar = yamlScalar(toPlain(value), 0);
  if (scalar !== undefined) return scalar;
  return yamlLines(toPlain(value), 0).join('\n');
}

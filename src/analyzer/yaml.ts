// Just enough reading of the block YAML that get_resource prints (kubectl -o yaml style) to pick scalar
// values and list items. Not a YAML parser: tolerant, line based, good for finding fields.

function indentOf(l: string): number {
  return l.length - l.trimStart().length;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.startsWith('"') && t.endsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t.slice(1, -1);
    }
  }
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  return t;
}

/** The first scalar `key: value` in text (at any depth), unquoted. */
export function yamlValue(text: string | undefined, key: string): string | undefined {
  const re = new RegExp(`^\\s*(?:-\\s+)?"?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?:\\s+(.+?)\\s*$`);
  for (const l of (text ?? '').split('\n')) {
    const m = re.exec(l);
    if (m && !/^[|>]-?$/.test(m[1])) return unquote(m[1]);
  }
  return undefined;
}

/** The text under a top-level (or any-level) mapping key, e.g. section(text, 'status'). */
export function yamlSection(text: string | undefined, key: string): string | undefined {
  const ls = (text ?? '').split('\n');
  const i = ls.findIndex((l) => new RegExp(`^\\s*(?:-\\s+)?${key}:\\s*$`).test(l));
  if (i < 0) return undefined;
  const base = indentOf(ls[i]) + (/^\s*-\s+/.test(ls[i]) ? 2 : 0);
  const out: string[] = [];
  for (const l of ls.slice(i + 1)) {
    if (!l.trim()) continue;
    const ind = indentOf(l);
    // A list under the key may sit at the key's own indentation ("key:\n- item").
    if (ind < base || (ind === base && !/^\s*-\s/.test(l))) break;
    out.push(l);
  }
  return out.join('\n');
}

/** The items of a list under `key` as text blocks (each block without its leading "- "). */
export function yamlList(text: string | undefined, key: string): string[] {
  const body = yamlSection(text, key);
  if (!body) return [];
  const ls = body.split('\n');
  const first = ls.find((l) => /^\s*-\s/.test(l));
  if (!first) return [];
  const dash = indentOf(first);
  const items: string[][] = [];
  for (const l of ls) {
    if (indentOf(l) === dash && /^\s*-\s/.test(l)) items.push([l.replace(/^(\s*)-\s/, '$1  ')]);
    else if (items.length && indentOf(l) > dash) items[items.length - 1].push(l);
    else if (indentOf(l) <= dash) break;
  }
  return items.map((b) => b.join('\n'));
}

/** A flat `key: value` map under `key` (e.g. a Service's selector). */
export function yamlMap(text: string | undefined, key: string): Record<string, string> {
  const body = yamlSection(text, key);
  const out: Record<string, string> = {};
  if (!body) return out;
  const ls = body.split('\n');
  const ind = Math.min(...ls.map(indentOf));
  for (const l of ls) {
    if (indentOf(l) !== ind) continue;
    const m = /^\s*("[^"]+"|[^:\s]+):\s+(.+)$/.exec(l);
    if (m) out[unquote(m[1])] = unquote(m[2]);
  }
  return out;
}

import { parse } from 'yaml';

// Scalars written back into a YAML file by a change proposed in Git (manifest.ts, helmValues.ts): one rule,
// so that what is written reads back as exactly the value meant.

/**
 * Whether a string starting with a digit reads back as a string both in YAML 1.2 and in the YAML 1.1 of
 * Go's parsers (Flux, Argo CD, Helm): a version with two dots (`1.3.2`, `1.3.2-rc1`) does; `1.3`, `0755`,
 * `1_000` or `1:20` are numbers to one of them.
 */
const versionLike = (v: string) => /^\d+(\.\d+){2,}([-+][A-Za-z0-9.-]+)?$/.test(v) && parse(v) === v;

/** A value as YAML text: plain where YAML reads it back as the same string, else double-quoted (JSON). */
export function yamlScalar(v: string | number | boolean, quoted: boolean): string {
  if (typeof v !== 'string') return String(v);
  const plainSafe = /^[A-Za-z0-9_./@-][A-Za-z0-9_./:@-]*$/.test(v) && (versionLike(v) || !/^(true|false|yes|no|on|off|null|~|[-+]?(\d|\.\d))/i.test(v));
  return plainSafe && !quoted ? v : JSON.stringify(v);
}

/** One replacement in a file's text: [from, to) becomes `text`. */
export interface TextEdit {
  from: number;
  to: number;
  text: string;
}

/** `content` with the edits made (they do not overlap), the last first so earlier offsets hold. */
export function applyEdits(content: string, edits: readonly TextEdit[]): string {
  let out = content;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

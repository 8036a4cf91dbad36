// Command lines and argument lists, read the way kubectl reads them. A command given as one string is
// split into words the way a shell splits it (quotes and backslashes), because a tool that runs it
// through a shell hands kubectl those words. The words are then read as spf13/pflag reads flags
// (flag.go, parseLongArg / parseSingleShortArg):
//   --name=value; --name value (a flag that takes a value); --name (a boolean, or a flag with a default);
//   -abc: booleans stack; the first shorthand that takes a value takes the rest of the group (-nx),
//   what follows `=` (-n=x), or else the next word (-n x); -A=false sets a boolean from its value.
// kubectl normalises `_` to `-` in long names (WordSepNormalizeFunc), so --all_namespaces is -A.
// Booleans are Go's strconv.ParseBool spellings. What cannot be read is said, never guessed.

/** kubectl's boolean shorthands: they stack in a group (`-wA`, `-Rn x`). */
const BOOL_SHORT = new Set(['A', 'R', 'w', 'i', 't', 'q', 'h']);
/** Shorthands kubectl knows to take a value: the rest of the group is that value (`-ojsonpath={.n}`). */
const VALUE_SHORT = new Set(['o', 'l', 'f', 'c', 'k', 'L', 's', 'v', 'n']);
/** Long flags that take no value unless written with `=` (booleans, and flags with a default like --dry-run). */
const NO_VALUE_LONG = new Set(['all', 'all-namespaces', 'force', 'now', 'wait', 'overwrite', 'ignore-not-found', 'recursive', 'watch', 'local', 'record', 'show-labels', 'no-headers', 'dry-run', 'cascade', 'help']);

const PFLAG_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const PFLAG_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** A boolean as pflag (Go's ParseBool) reads it; JSON booleans and 0/1 too. Undefined: not a boolean. */
export function pflagBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== 'string') return undefined;
  return PFLAG_TRUE.has(v) ? true : PFLAG_FALSE.has(v) ? false : undefined;
}

export interface ArgvReading {
  /** Values of -n / --namespace, as given (possibly empty or not a valid name: the caller judges). */
  namespaces: Array<string | undefined>;
  /** -A / --all-namespaces set to true, or to a value that is not a boolean. */
  allNamespaces: boolean;
  /** Values of --replicas, as given. */
  replicas: Array<string | undefined>;
  /** Words that are neither flags nor flag values: `delete pod web-1` → delete, pod, web-1. */
  positionals: string[];
  /** Selectors, --all, -f: the command acts on objects it does not name. */
  selects: boolean;
  /** Why part of it cannot be read. */
  unknown?: string;
}

/** Splits a command line into words as a POSIX shell does (no expansion); undefined when a quote is open. */
export function shellWords(s: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`'.includes(s[j + 1])) j++;
        cur += s[j];
      }
      if (j >= s.length) return undefined;
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function readArgv(words: readonly unknown[]): ArgvReading {
  const r: ArgvReading = { namespaces: [], allNamespaces: false, replicas: [], positionals: [], selects: false };
  const next = (i: number) => (typeof words[i + 1] === 'string' ? (words[i + 1] as string) : undefined);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (typeof w !== 'string') continue;
    if (w.startsWith('--') && w.length > 2) i += longFlag(w, next(i), r);
    else if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) i += shortGroup(w.slice(1), next(i), r);
    else r.positionals.push(w);
  }
  return r;
}

/** One `--name[=value]`; returns how many following words it consumed. */
function longFlag(w: string, following: string | undefined, r: ArgvReading): number {
  const eq = w.indexOf('=');
  const name = (eq < 0 ? w.slice(2) : w.slice(2, eq)).replace(/_/g, '-');
  const given = eq < 0 ? undefined : w.slice(eq + 1);
  const takesNext = given === undefined && !NO_VALUE_LONG.has(name);
  const value = given ?? (takesNext ? following : undefined);
  if (name === 'namespace') r.namespaces.push(value);
  else if (name === 'all-namespaces') {
    if (given === undefined || pflagBool(given) !== false) r.allNamespaces = true;
    if (given !== undefined && pflagBool(given) === undefined) r.unknown ??= `"${w}" is not a boolean`;
  } else if (name === 'replicas') r.replicas.push(value);
  else if (name === 'selector' || name === 'field-selector' || name === 'filename' || name === 'kustomize' || (name === 'all' && pflagBool(given ?? 'true') !== false)) r.selects = true;
  return takesNext && following !== undefined ? 1 : 0;
}

/** One group of shorthands (`wn`, `n=x`, `A=false`); returns how many following words it consumed. */
function shortGroup(group: string, following: string | undefined, r: ArgvReading): number {
  for (let j = 0; j < group.length; j++) {
    const c = group[j];
    const rest = group.slice(j + 1);
    const given = rest.startsWith('=') ? rest.slice(1) : undefined;
    if (c === 'A') {
      if (given === undefined || pflagBool(given) !== false) r.allNamespaces = true;
      if (given !== undefined) return 0;
      continue;
    }
    if (BOOL_SHORT.has(c)) {
      if (given !== undefined) return 0;
      continue;
    }
    if (!VALUE_SHORT.has(c)) {
      // A shorthand kubectl does not know, or one that is a boolean in some commands and takes a value in
      // others (-p): what follows cannot be told apart from a namespace flag, so say so if it could be one.
      if (/[nA]/.test(rest)) r.unknown ??= `the flag group "-${group}" cannot be read`;
      return 0;
    }
    const value = given ?? (rest !== '' ? rest : following);
    if (c === 'n') r.namespaces.push(value);
    if (c === 'l' || c === 'f' || c === 'k') r.selects = true;
    return given === undefined && rest === '' && following !== undefined ? 1 : 0;
  }
  return 0;
}

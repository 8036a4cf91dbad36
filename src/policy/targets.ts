// Where would a tool call act? Read from its arguments alone, the way the tools themselves read them:
// namespace-like keys at any depth, kubectl-style flags (`-n x`, `--namespace=x`, `-A`), and manifests
// (YAML or JSON, one or many documents, as strings or objects) for apply-like tools. The policy only
// trusts what it can tell: anything it cannot read becomes a reason the target is unknown.
import { parseAllDocuments } from 'yaml';

export interface Targets {
  /** Every namespace the call names, anywhere in its arguments. */
  namespaces: string[];
  /** The call asks for every namespace at once (`-A`, `allNamespaces: true`). */
  allNamespaces: boolean;
  /** Why the namespace of (part of) the call cannot be told; undefined when it can. */
  unknown?: string;
}

const NAMESPACE_KEY = /^(namespace|ns|namespace_?name|target_?namespace)$/i;
const ALL_NAMESPACES_KEY = /^all_?namespaces$/i;
const MANIFEST_TEXT = /(^|\n)\s*(apiVersion|kind)\s*:|"(apiVersion|kind)"\s*:/;
const MAX_DEPTH = 10;

export function callTargets(args: Record<string, unknown>): Targets {
  const found = new Set<string>();
  const t: Targets = { namespaces: [], allNamespaces: false };
  const because = (why: string) => (t.unknown ??= why);
  // Documents of a manifest that name no namespace land in the call's own namespace argument.
  let docsWithoutNamespace = 0;

  const manifestDoc = (doc: unknown, depth: number) => {
    if (!isObject(doc)) return;
    if (Array.isArray(doc.items)) {
      for (const item of doc.items) manifestDoc(item, depth + 1);
      return;
    }
    const ns = isObject(doc.metadata) ? doc.metadata.namespace : undefined;
    if (typeof ns === 'string' && ns) found.add(ns);
    else docsWithoutNamespace++;
    walk(doc, depth + 1, true);
  };

  const text = (s: string, depth: number) => {
    flags(s.split(/\s+/));
    if (!MANIFEST_TEXT.test(s)) return;
    let docs: unknown[];
    try {
      const parsed = parseAllDocuments(s);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      if (list.some((d) => d.errors.length)) throw new Error('invalid');
      // Bounded aliases: a manifest is data from the model, and YAML aliases can multiply it.
      docs = list.map((d) => d.toJS({ maxAliasCount: 50 }));
    } catch {
      because('a manifest in the arguments cannot be read');
      return;
    }
    for (const d of docs) manifestDoc(d, depth);
  };

  const flags = (tokens: readonly unknown[]) => {
    for (let i = 0; i < tokens.length; i++) {
      const a = tokens[i];
      if (typeof a !== 'string') continue;
      if (a === '-A' || a === '--all-namespaces' || a === '--all-namespaces=true') t.allNamespaces = true;
      else if (a === '-n' || a === '--namespace') {
        const v = tokens[i + 1];
        if (typeof v === 'string' && v) found.add(v);
        else because(`"${a}" without a namespace`);
      } else if (a.startsWith('--namespace=')) found.add(a.slice('--namespace='.length));
      else if (/^-n[^-\s]/.test(a)) found.add(a.slice(2));
    }
  };

  const walk = (v: unknown, depth: number, insideManifest = false): void => {
    if (depth > MAX_DEPTH) {
      because('the arguments are nested too deeply to read');
      return;
    }
    if (typeof v === 'string') return text(v, depth);
    if (Array.isArray(v)) {
      flags(v);
      for (const x of v) walk(x, depth + 1, insideManifest);
      return;
    }
    if (!isObject(v)) return;
    // An object that is itself a manifest (apply-like tools that take JSON objects).
    if (!insideManifest && typeof v.kind === 'string' && isObject(v.metadata)) return manifestDoc(v, depth);
    for (const [k, x] of Object.entries(v)) {
      if (NAMESPACE_KEY.test(k)) {
        if (typeof x === 'string') {
          if (x) found.add(x);
        } else if (Array.isArray(x) && x.every((n) => typeof n === 'string')) {
          for (const n of x) if (n) found.add(n);
        } else if (x !== undefined && x !== null) {
          because(`argument "${k}" is not a namespace name`);
        }
        continue;
      }
      if (ALL_NAMESPACES_KEY.test(k) && x !== false && x !== undefined && x !== null && x !== 'false') t.allNamespaces = true;
      walk(x, depth + 1, insideManifest);
    }
  };

  walk(args, 0);
  // Documents without a namespace take the call's own (top-level) namespace argument, if it has one.
  if (docsWithoutNamespace && !topLevelNamespace(args)) because('a manifest names no namespace and the call gives none');
  t.namespaces = [...found];
  return t;
}

function topLevelNamespace(args: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(args)) if (NAMESPACE_KEY.test(k) && typeof v === 'string' && v) return v;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

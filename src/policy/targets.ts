// Where would a tool call act? Read from its arguments alone, the way the tools themselves read them:
// namespace-like keys at any depth (any case, with or without - and _), kubectl-style flags read as
// kubectl reads them (argv.ts), and manifests: any JSON or YAML with a `kind`, as a string (flow or block
// style, several documents, a top-level list, the items of a List) or as an object. The policy only
// trusts what it can tell: anything it cannot read becomes a reason the target is unknown.
import { parseAllDocuments } from 'yaml';
import { pflagBool, readArgv, shellWords } from './argv.js';

export interface Manifest {
  kind: string;
  name?: string;
  namespace?: string;
  /** spec.replicas, when the manifest sets it. */
  replicas?: unknown;
}

export interface Targets {
  /** Every namespace the call names, anywhere in its arguments. */
  namespaces: string[];
  /** The call asks for every namespace at once (`-A`, `allNamespaces: true`), or says so unreadably. */
  allNamespaces: boolean;
  /** Why the namespace of (part of) the call cannot be told; undefined when it can. */
  unknown?: string;
  /** The manifests found in the arguments (namespace as the manifest gives it). */
  manifests: Manifest[];
}

/** Namespace-like keys, compared without case, `-` and `_`. */
const NAMESPACE_KEYS = new Set(['namespace', 'namespaces', 'ns', 'namespacename', 'targetnamespace']);
/** A string worth reading as JSON or YAML: it has a key the policy looks for. */
const STRUCTURED_TEXT = /\b(kind|namespaces?|ns|all[-_]?namespaces|target[-_]?namespace|namespace[-_]?name)\b["']?\s*:/i;
/** Words that could set a namespace in a command line whose quoting cannot be read. */
const NAMESPACE_FLAG_TEXT = /(^|\s)(-[a-zA-Z]*[nA]|--namespace|--all[-_]namespaces)/;
/** What Kubernetes accepts as a namespace name (a DNS-1123 label). */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_DEPTH = 10;

export function keyOf(k: string): string {
  return k.replace(/[-_]/g, '').toLowerCase();
}

export function callTargets(args: Record<string, unknown>): Targets {
  const found = new Set<string>();
  const t: Targets = { namespaces: [], allNamespaces: false, manifests: [] };
  const because = (why: string) => (t.unknown ??= why);
  // Documents of a manifest that name no namespace land in the call's own namespace argument.
  let docsWithoutNamespace = 0;

  const namespace = (v: unknown, where: string) => {
    if (typeof v !== 'string' || v === '') return void because(`${where} gives no namespace`);
    found.add(v);
    if (!NAMESPACE_NAME.test(v)) because(`${where} "${v.slice(0, 80)}" is not a namespace name`);
  };

  const flags = (words: readonly unknown[]) => {
    const r = readArgv(words);
    for (const ns of r.namespaces) namespace(ns, 'the namespace flag');
    if (r.allNamespaces) t.allNamespaces = true;
    if (r.unknown) because(r.unknown);
  };

  const manifestDoc = (doc: Record<string, unknown>, depth: number) => {
    if (Array.isArray(doc.items)) {
      for (const item of doc.items) if (isObject(item)) manifestDoc(item, depth + 1);
    }
    // A manifest names itself in metadata; a reference to an object ({kind, name, namespace}) at its top.
    const meta = isObject(doc.metadata) ? doc.metadata : doc;
    const ns = meta.namespace;
    if (ns !== undefined && ns !== null) namespace(ns, 'metadata.namespace');
    else if (!Array.isArray(doc.items)) docsWithoutNamespace++;
    const spec = isObject(doc.spec) ? doc.spec : {};
    if (!Array.isArray(doc.items)) t.manifests.push({ kind: String(doc.kind), name: typeof meta.name === 'string' ? meta.name : undefined, namespace: typeof ns === 'string' ? ns : undefined, replicas: spec.replicas });
    walk(doc, depth + 1, true);
  };

  const text = (s: string, depth: number) => {
    const words = shellWords(s);
    if (words) flags(words);
    else {
      // An open quote: read the words as they stand, and distrust a namespace flag among them.
      flags(s.split(/\s+/));
      if (NAMESPACE_FLAG_TEXT.test(s)) because('a command line with an open quote cannot be read');
    }
    if (!STRUCTURED_TEXT.test(s)) return;
    let docs: unknown[];
    try {
      const list = parseAllDocuments(s);
      const parsed = Array.isArray(list) ? list : [list];
      if (parsed.some((d) => d.errors.length)) throw new Error('invalid');
      // Bounded aliases: a manifest is data from the model, and YAML aliases can multiply it.
      docs = parsed.map((d) => d.toJS({ maxAliasCount: 50 }));
    } catch {
      because('a manifest in the arguments cannot be read');
      return;
    }
    // A document that is only a string was read above already (and would be read again forever).
    for (const d of docs) if (typeof d === 'object' && d !== null) walk(d, depth + 1);
  };

  const walk = (v: unknown, depth: number, insideManifest = false): void => {
    if (depth > MAX_DEPTH) return void because('the arguments are nested too deeply to read');
    if (typeof v === 'string') return text(v, depth);
    if (Array.isArray(v)) {
      flags(v);
      for (const x of v) walk(x, depth + 1, insideManifest);
      return;
    }
    if (!isObject(v)) return;
    // An object with a kind is a manifest (apply-like tools take them as objects, in lists, in Lists);
    // the call's own arguments are not one, even when they carry a `kind` (the scale tool's do).
    if (!insideManifest && depth > 0 && typeof v.kind === 'string') return manifestDoc(v, depth);
    for (const [k, x] of Object.entries(v)) {
      const key = keyOf(k);
      if (NAMESPACE_KEYS.has(key)) {
        if (Array.isArray(x)) for (const n of x) namespace(n, `argument "${k}"`);
        else if (x !== undefined && x !== null) namespace(x, `argument "${k}"`);
        continue;
      }
      // Anything but a readable "false" asks for every namespace.
      if (key === 'allnamespaces' && x !== undefined && x !== null && pflagBool(x) !== false) t.allNamespaces = true;
      walk(x, depth + 1, insideManifest);
    }
  };

  walk(args, 0);
  // Documents without a namespace take the call's own (top-level) namespace argument, if it has one.
  if (docsWithoutNamespace && !topLevelNamespace(args)) because('a manifest names no namespace and the call gives none');
  t.namespaces = [...found];
  return t;
}

export function topLevelNamespace(args: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(args)) if (NAMESPACE_KEYS.has(keyOf(k)) && typeof v === 'string' && v) return v;
  return undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

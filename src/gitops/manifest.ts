// A change proposed in Git, applied to the manifest that holds the object (issue 25). Pure: files in,
// one patched file out, or the reason it cannot be done safely. The rules:
// - the object is found by kind, name and (when the manifest sets one) namespace, among the YAML files
//   under the source's path; exactly one document must match;
// - each field is changed only where the manifest holds the value the cluster had before the fix: when it
//   holds another (an overlay, a kustomize `images:` entry or Helm values set it) the file is not touched
//   and the reason says so, since patching it would change what it does not say;
// - only the values' own text is replaced (comments and formatting stay byte for byte), and only values the
//   manifest sets: adding or removing a field is left to a person;
// - the result is parsed again and compared with the original: every other document equal, the patched
//   one equal to the original with exactly these changes;
// - an object a Helm chart renders is patched in the values of its HelmRelease or Application instead
//   (helmValues.ts), found the same way, spliced and checked the same way.
import { isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { pathText, type FieldChange, type GitChange, type PathSegment } from '../contracts/gitChange.js';
import { valuesEdits, type ValuesPlan } from './helmValues.js';
import { applyEdits, yamlScalar, type TextEdit } from './yamlText.js';

export interface RepoFile {
  path: string;
  content: string;
}

export type PatchResult = { ok: true; path: string; content: string; changed: string[] } | { ok: false; reason: string };

/** Whether a file under the source's path may hold manifests (kustomization.yaml lists them; it is no object). */
export function isManifestPath(path: string): boolean {
  return /\.ya?ml$/i.test(path) && !/(^|\/)kustomization\.ya?ml$/i.test(path);
}

type Obj = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };

function matches(js: unknown, o: GitChange['object']): boolean {
  const d = js as Obj | null;
  if (!d || typeof d !== 'object' || d.kind !== o.kind || d.metadata?.name !== o.name) return false;
  const group = (v: unknown) => (typeof v === 'string' && v.includes('/') ? v.split('/')[0] : '');
  if (group(d.apiVersion) !== group(o.apiVersion)) return false;
  return d.metadata?.namespace === undefined || d.metadata.namespace === o.namespace;
}

/** The path as the YAML document's keys and indexes (a named item by its index), or why not. */
function resolve(doc: Document, path: readonly PathSegment[]): Array<string | number> | string {
  const out: Array<string | number> = [];
  for (const seg of path) {
    if (typeof seg === 'string') {
      out.push(seg);
      continue;
    }
    const list = doc.getIn(out, true);
    if (!isSeq(list)) return `${pathText(path)}: the manifest has no list there`;
    const i = list.items.findIndex((it) => isMap(it) && it.get('name') === seg.name);
    if (i < 0) return `${pathText(path)}: the manifest has no item named ${seg.name}`;
    out.push(i);
  }
  return out;
}

/**
 * Where each change's value sits in the file's text and what replaces it; the reason when a field does not
 * hold what the cluster had (or is not a value the file sets: adding or removing a field is left to a person).
 */
function edits(doc: Document, changes: readonly FieldChange[]): TextEdit[] | string {
  const out: TextEdit[] = [];
  for (const c of changes) {
    const at = resolve(doc, c.path);
    if (typeof at === 'string') return at;
    const node = doc.getIn(at, true);
    if (!isScalar(node) || !node.range) return `${pathText(c.path)} is not set in the manifest: something else (an overlay, a kustomize patch, Helm values) sets it, so the file is not patched`;
    const now = node.value;
    // Numbers written as strings ("3") and numbers compare as the API server would read them.
    if (String(now ?? '') !== String(c.before ?? '')) {
      return `${pathText(c.path)} is "${String(now)}" in the manifest but "${String(c.before ?? 'unset')}" in the cluster: something else (an overlay, a kustomize images entry, Helm values) sets it, so the file is not patched`;
    }
    if (c.after === undefined || c.after === null) return `${pathText(c.path)} would be removed: a removal is left to a person`;
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    out.push({ from: node.range[0], to: node.range[1], text: yamlScalar(c.after, quoted) });
  }
  return out;
}

/** The JSON of what a document should be after the changes (the check of the patched text). */
function expected(js: unknown, changes: readonly FieldChange[]): unknown {
  const copy = JSON.parse(JSON.stringify(js)) as Record<string, unknown>;
  for (const c of changes) {
    let node: unknown = copy;
    for (let i = 0; i < c.path.length; i++) {
      const seg = c.path[i];
      const last = i === c.path.length - 1;
      const parent = node as Record<string, unknown> | unknown[];
      const key: string | number = typeof seg === 'string' ? seg : (parent as Array<{ name?: unknown }>).findIndex((x) => x?.name === seg.name);
      if (last) {
        if (c.after === undefined || c.after === null) delete (parent as Record<string | number, unknown>)[key];
        else (parent as Record<string | number, unknown>)[key] = c.after;
      } else {
        (parent as Record<string | number, unknown>)[key] ??= {};
        node = (parent as Record<string | number, unknown>)[key];
      }
    }
  }
  return copy;
}

/** The plain manifest's plan: each field's own value replaced (see the top of this file). */
function manifestEdits(doc: Document, changes: readonly FieldChange[]): ValuesPlan | string {
  const spliced = edits(doc, changes);
  if (typeof spliced === 'string') return spliced;
  return { edits: spliced, expected: expected(doc.toJS(), changes), changed: changes.map((c) => `${pathText(c.path)}: ${String(c.before ?? '<unset>')} → ${String(c.after ?? '<unset>')}`) };
}

/** Why no file can be patched, known before any is read: a Helm values holder that nothing traceable keeps in Git. */
export function unpatchable(change: GitChange): string | undefined {
  const v = change.source.values;
  return v?.untraced ? `${change.object.kind} ${change.object.name} is rendered by a Helm chart from the values of ${v.kind} ${v.namespace}/${v.name}, but ${v.untraced}` : undefined;
}

/**
 * Patches the one manifest that holds `change.object` among `files`; for an object a Helm chart renders
 * (`change.source.values`), the one that holds its HelmRelease or Application, in its values (helmValues.ts).
 */
export function patchManifest(files: readonly RepoFile[], change: GitChange): PatchResult {
  const holder = change.source.values;
  const rendered = `${change.object.kind} ${change.object.name}`;
  const untraced = unpatchable(change);
  if (untraced) return { ok: false, reason: untraced };
  const target = holder ? { apiVersion: holder.apiVersion, kind: holder.kind, name: holder.name, namespace: holder.namespace } : change.object;
  const hits: Array<{ file: RepoFile; index: number }> = [];
  for (const file of files.filter((f) => isManifestPath(f.path))) {
    const docs = parseAllDocuments(file.content);
    if (!Array.isArray(docs)) continue;
    docs.forEach((d, index) => {
      if (!d.errors.length && matches(d.toJS(), target)) hits.push({ file, index });
    });
  }
  const what = `${target.kind} ${target.name}${holder ? ` (whose Helm values render ${rendered})` : ''}`;
  const under = change.source.path ?? 'the source path';
  if (!hits.length) return { ok: false, reason: holder ? `no manifest under ${under} defines ${what}` : `no manifest under ${under} defines ${what} (it may be generated: a Helm chart or a kustomize base elsewhere)` };
  if (hits.length > 1) return { ok: false, reason: `${hits.length} manifests define ${what} (${hits.map((h) => h.file.path).join(', ')}): which one is applied depends on the overlay` };
  const { file, index } = hits[0];
  const docs = parseAllDocuments(file.content) as Document[];
  const plan = holder ? valuesEdits(docs[index], file.content, holder, change.changes) : manifestEdits(docs[index], change.changes);
  if (typeof plan === 'string') return { ok: false, reason: plan };
  // Only the values' own text is replaced: comments and formatting stay byte for byte.
  const content = applyEdits(file.content, plan.edits);
  const check = parseAllDocuments(content);
  if (!Array.isArray(check) || check.length !== docs.length || check.some((d) => d.errors.length)) return { ok: false, reason: `the patched ${file.path} does not parse as the same documents` };
  for (let i = 0; i < check.length; i++) {
    const want = i === index ? plan.expected : docs[i].toJS();
    if (JSON.stringify(check[i].toJS()) !== JSON.stringify(want)) return { ok: false, reason: `the patched ${file.path} would change more than the proposal says (document ${i + 1})` };
  }
  return { ok: true, path: file.path, content, changed: plan.changed };
}

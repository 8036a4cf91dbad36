// A change proposed in Git for an object a Helm chart renders (issue 25): not the rendered object (no file
// holds it) but the values of the HelmRelease (Flux, `spec.values`) or the Application (Argo CD,
// `spec.source.helm.valuesObject`, or `spec.source.helm.values`, a YAML text) that renders it. Pure: the
// holder's document in, the text edits and the document it must parse to out, or the reason it cannot be
// done safely (manifest.ts finds the document, splices the text and checks it). The rules:
// - a field's new value goes where the values hold the cluster's value before the fix: the whole value
//   (`image: registry/app:1.2.3`), or for a container image the usual split, a `tag` (or `…Tag`) equal to
//   the image's tag beside a repository that matches it (`image.repository` + `image.tag`, with or without
//   `image.registry`), or without a repository beside it under a key that names an image;
// - exactly one place may hold it: in none (the chart's defaults or valuesFrom set it) or in several (which
//   one renders the field is the chart's business) nothing is patched, and the reason names the places;
// - only that scalar's text is replaced, inside a `values: |` text too (comments and formatting kept).
import { isMap, isScalar, isSeq, parseDocument, type Document, type Scalar } from 'yaml';
import { pathText, type FieldChange, type ValuesHolder } from '../contracts/gitChange.js';
import { applyEdits, yamlScalar, type TextEdit } from './yamlText.js';

export interface ValuesPlan {
  edits: TextEdit[];
  /** The holder's document as it must parse after the edits. */
  expected: unknown;
  /** What changed, for the pull request: `spec.values.image.tag: 1.2.3 → 1.2.2 (renders spec.template.spec.containers[web].image)`. */
  changed: string[];
}

type Key = string | number;

/** Where values sit in the holder: a map in the document, or a YAML text (`values: |`) whose offsets map into the file. */
interface Root {
  path: Key[];
  label: string;
  /** The values' own document: the holder's (a map) or the one parsed from the text. */
  doc: Document;
  base: Key[];
  /** File offset of an offset in the values' text (identity for a map); undefined when it cannot be told. */
  at: (offset: number) => number | undefined;
  text?: string;
}

interface Leaf {
  root: Root;
  keys: Key[];
  node: Scalar;
  parent: Record<string, unknown>;
}

const keyText = (keys: readonly Key[]) => keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${k}`)).join('');

/** The offsets of a literal block scalar's text in the file: each line of the text is a line of the block less its indent. */
function blockOffsets(content: string, node: Scalar): ((offset: number) => number | undefined) | string {
  if (node.type !== 'BLOCK_LITERAL' || !node.range) return 'is not a literal block (`values: |`)';
  const header = content.indexOf('\n', node.range[0]);
  if (header < 0 || /\d/.test(content.slice(node.range[0], header))) return 'has an explicit indentation indicator';
  const starts: number[] = [];
  for (let i = header + 1; i < node.range[1]; i = content.indexOf('\n', i) + 1 || node.range[1]) starts.push(i);
  const firstText = starts.find((s) => content[s] !== '\n' && content.slice(s, content.indexOf('\n', s)).trim());
  const indent = firstText === undefined ? 0 : /^ */.exec(content.slice(firstText))![0].length;
  const text = node.value as string;
  return (offset) => {
    const line = text.slice(0, offset).split('\n').length - 1;
    const col = offset - (text.lastIndexOf('\n', offset - 1) + 1);
    return starts[line] === undefined ? undefined : starts[line] + indent + col;
  };
}

/** The places the holder keeps Helm values, or why none can be read. */
function rootsOf(doc: Document, content: string, holder: ValuesHolder): Root[] | string {
  const what = `${holder.kind} ${holder.namespace}/${holder.name}`;
  const places: Key[][] = [];
  if (holder.kind === 'HelmRelease') places.push(['spec', 'values']);
  else {
    places.push(['spec', 'source', 'helm', 'valuesObject'], ['spec', 'source', 'helm', 'values']);
    const sources = doc.getIn(['spec', 'sources'], true);
    if (isSeq(sources)) sources.items.forEach((_, i) => places.push(['spec', 'sources', i, 'helm', 'valuesObject'], ['spec', 'sources', i, 'helm', 'values']));
  }
  const roots: Root[] = [];
  for (const path of places) {
    const node = doc.getIn(path, true);
    if (!node) continue;
    const label = keyText(path);
    if (isMap(node)) roots.push({ path, label, doc, base: path, at: (o) => o });
    else if (isScalar(node) && typeof node.value === 'string') {
      const at = blockOffsets(content, node);
      if (typeof at === 'string') return `${what}'s ${label} ${at}: it is not patched`;
      const inner = parseDocument(node.value);
      if (inner.errors.length) return `${what}'s ${label} does not parse as YAML: it is not patched`;
      roots.push({ path, label, doc: inner, base: [], at, text: node.value });
    } else return `${what}'s ${label} is not a map of values: it is not patched`;
  }
  if (!roots.length) return `${what} in Git sets no Helm values (${places.slice(0, 2).map(keyText).join(' or ')}): the chart's defaults${holder.kind === 'HelmRelease' ? ' or valuesFrom' : ''} render the object, so nothing is patched`;
  return roots;
}

function leavesOf(root: Root): Leaf[] {
  const out: Leaf[] = [];
  const walk = (node: unknown, keys: Key[], parent: Record<string, unknown>) => {
    if (isScalar(node)) out.push({ root, keys, node, parent });
    else if (isMap(node)) {
      const js = node.toJSON() as Record<string, unknown>;
      for (const item of node.items) if (isScalar(item.key)) walk(item.value, [...keys, String(item.key.value)], js);
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...keys, i], {}));
  };
  walk(root.doc.getIn(root.base, true), [], {});
  return out;
}

/** `registry.example.com:5000/shop/web:1.2.3` → repository and tag (no tag, or a digest: undefined). */
function splitImage(image: string): { repository: string; tag: string } | undefined {
  if (image.includes('@')) return undefined;
  const colon = image.lastIndexOf(':');
  if (colon < 0 || colon < image.lastIndexOf('/')) return undefined;
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

/** A `tag` leaf that holds the image's tag, beside a repository that matches it (or under a key naming an image). */
function holdsTag(leaf: Leaf, image: { repository: string; tag: string }): boolean {
  const key = leaf.keys[leaf.keys.length - 1];
  if (typeof key !== 'string' || !/^(tag|\w*Tag)$/.test(key) || String(leaf.node.value) !== image.tag) return false;
  const p = leaf.parent;
  const repo = [p.repository, p.repo, p.imageRepository, key === 'tag' ? p.image : undefined, p.name].find((v): v is string => typeof v === 'string');
  if (repo === undefined) return leaf.keys.some((k) => typeof k === 'string' && /image/i.test(k));
  return repo === image.repository || (typeof p.registry === 'string' && `${p.registry}/${repo}` === image.repository) || image.repository.endsWith(`/${repo}`);
}

/** The one place holding a field's value before the fix, with the text that replaces it; or why not. */
function placeOf(leaves: readonly Leaf[], c: FieldChange, what: string): { leaf: Leaf; value: string | number | boolean } | string {
  const field = pathText(c.path);
  if (c.before === undefined || c.before === null || c.after === undefined || c.after === null) return `${field} would be added or removed: a change of the values' shape is left to a person`;
  const before = c.before;
  const after = c.after;
  const whole = leaves.filter((l) => l.node.value !== null && String(l.node.value) === String(before)).map((leaf) => ({ leaf, value: after }));
  const img = c.path[c.path.length - 1] === 'image' && typeof before === 'string' && typeof after === 'string' ? [splitImage(before), splitImage(after)] : [];
  const split = img[0] && img[1] && img[0].repository === img[1].repository ? { from: img[0], to: img[1].tag } : undefined;
  const tags = split ? leaves.filter((l) => holdsTag(l, split.from)).map((leaf) => ({ leaf, value: split.to })) : [];
  const found = [...whole, ...tags];
  const held = `${String(before)}${split ? ` (or its tag ${split.from.tag})` : ''}`;
  if (!found.length) return `the values of ${what} do not hold ${held}, which the cluster has at ${field}: the chart's defaults or values from elsewhere set it, so nothing is patched`;
  if (found.length > 1) {
    const places = found.map((f) => `${f.leaf.root.label}.${keyText(f.leaf.keys)}`);
    return `the values of ${what} hold ${held} in ${found.length} places: ${places.slice(0, -1).join(', ')} and ${places[places.length - 1]}; which one renders ${field} is not known, so nothing is patched`;
  }
  return found[0];
}

/** Sets a value at a path of a plain copy (the check of the patched text). */
function setIn(obj: unknown, path: readonly Key[], value: unknown): void {
  let node = obj as Record<Key, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  node[path[path.length - 1]] = value;
}

/** The edits of the holder's document `doc` (in `content`, the whole file) that make `changes` through its Helm values. */
export function valuesEdits(doc: Document, content: string, holder: ValuesHolder, changes: readonly FieldChange[]): ValuesPlan | string {
  const roots = rootsOf(doc, content, holder);
  if (typeof roots === 'string') return roots;
  const leaves = roots.flatMap(leavesOf);
  const what = `${holder.kind} ${holder.namespace}/${holder.name}`;
  const expected = doc.toJS() as unknown;
  const edits: TextEdit[] = [];
  const inner = new Map<Root, TextEdit[]>();
  const changed: string[] = [];
  for (const c of changes) {
    const place = placeOf(leaves, c, what);
    if (typeof place === 'string') return place;
    const { leaf, value } = place;
    const range = leaf.node.range;
    const from = range ? leaf.root.at(range[0]) : undefined;
    const to = range ? leaf.root.at(range[1]) : undefined;
    if (!range || from === undefined || to === undefined) return `${leaf.root.label}.${keyText(leaf.keys)} could not be located in the file: it is not patched`;
    const text = yamlScalar(value, leaf.node.type === 'QUOTE_DOUBLE' || leaf.node.type === 'QUOTE_SINGLE');
    edits.push({ from, to, text });
    if (leaf.root.text === undefined) setIn(expected, [...leaf.root.path, ...leaf.keys], value);
    else inner.set(leaf.root, [...(inner.get(leaf.root) ?? []), { from: range[0], to: range[1], text }]);
    changed.push(`${leaf.root.label}.${keyText(leaf.keys)}: ${String(leaf.node.value)} → ${String(value)} (renders ${pathText(c.path)})`);
  }
  // A `values: |` text must read as the same text with the same edits.
  for (const [root, list] of inner) setIn(expected, root.path, applyEdits(root.text ?? '', list));
  return { edits, expected, changed };
}

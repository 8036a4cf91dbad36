// The one-way rule of ARCHITECTURE.md: no module of src/ imports from a higher layer.
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(process.cwd(), 'src');
const LAYERS: string[][] = [
  ['contracts'],
  ['util'],
  ['redaction'],
  ['config'],
  ['observability'],
  ['incident'],
  ['runtime'],
  ['clusters'],
  ['policy', 'llm'],
  ['tools'],
  ['analyzer'],
  ['context'],
  ['investigation'],
  ['controller'],
  ['webhook', 'web', 'notify', 'tickets', 'gitops'],
  ['operator', 'main'], // `operator` is both src/operator.ts and the src/operator/ it builds from
];
const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

/** Imports that still point up, with the issue that removes them; the list must only shrink. */
const KNOWN: string[] = [
];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const layerOf = (rel: string) => {
  const first = rel.split('/')[0];
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
};

describe('layers', () => {
  it('every layer of src/ is named in ARCHITECTURE.md and here', () => {
    const unknown = fs.readdirSync(SRC).map(layerOf).filter((l) => !rank.has(l));
    expect(unknown).toEqual([]);
  });

  it('no import points to a higher layer (other than the known ones, which must only go)', () => {
    const up: string[] = [];
    for (const file of files(SRC)) {
      const rel = path.relative(SRC, file).split(path.sep).join('/');
      const from = layerOf(rel);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1])).split(path.sep).join('/').replace(/\.js$/, '.ts');
        const to = layerOf(target);
        if (to !== from && rank.get(to)! > rank.get(from)!) up.push(`${rel} -> ${target}`);
      }
    }
    expect(up.filter((u) => !KNOWN.includes(u)).sort()).toEqual([]);
    // A known exception that is gone must leave the list too.
    expect(KNOWN.filter((k) => !up.includes(k))).toEqual([]);
  });
});

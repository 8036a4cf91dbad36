/**
 * A change proposed in Git for an object a Helm chart renders (issue 25): patchManifest with
 * `source.values` patches the HelmRelease's or Application's values, in exactly one place, text kept.
 */
import { parseAllDocuments } from 'yaml';
import type { FieldChange, GitChange, ValuesHolder } from '../../src/contracts/gitChange.js';
import { patchManifest } from '../../src/gitops/manifest.js';
import type { Step } from '../../src/incident/types.js';
import { composeReport } from '../../src/investigation/report.js';
import { describeOwner } from '../../src/tools/kubernetes/gitops.js';
import { incident } from './fakeIncidents.js';

const BAD = 'registry.example.com/shop/web:1.4.0';
const GOOD = 'registry.example.com/shop/web:1.3.2';
const IMAGE: FieldChange = { path: ['spec', 'template', 'spec', 'containers', { name: 'web' }, 'image'], before: BAD, after: GOOD };
const HR: ValuesHolder = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'web', namespace: 'apps' };

function change(changes: FieldChange[] = [IMAGE], values: ValuesHolder = HR): GitChange {
  return {
    owner: 'Deployment apps/web is managed by Flux HelmRelease apps/web',
    tool: values.kind === 'HelmRelease' ? 'Flux' : 'Argo CD',
    manager: { kind: values.kind, name: values.name, namespace: values.namespace },
    source: { url: 'https://git.example.com/fleet.git', path: './apps', revision: 'main', values },
    object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' },
    changes,
  };
}

const release = (values: string, extra = '') => `# web: the shop's front
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: apps
spec:
  interval: 5m
  chart:
    spec: { chart: web, sourceRef: { kind: HelmRepository, name: charts } }
  values:
${values}${extra}`;

/** The lines that differ between two texts, as `-old` / `+new`. */
function changedLines(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  expect(y).toHaveLength(x.length);
  return x.flatMap((l, i) => (l === y[i] ? [] : [`-${l}`, `+${y[i]}`]));
}

const patch = (content: string, c = change()) => patchManifest([{ path: 'apps/web/release.yaml', content }], c);

describe('Helm values: one place holds the value', () => {
  it('the image split into repository and tag: only the tag changes, its comment kept', () => {
    const file = release('    replicaCount: 2\n    image:\n      repository: registry.example.com/shop/web\n      tag: 1.4.0 # bumped by CI\n      pullPolicy: IfNotPresent\n');
    const r = patch(file);
    expect(r).toMatchObject({ ok: true, path: 'apps/web/release.yaml', changed: ['spec.values.image.tag: 1.4.0 → 1.3.2 (renders spec.template.spec.containers[web].image)'] });
    if (!r.ok) return;
    expect(changedLines(file, r.content)).toEqual(['-      tag: 1.4.0 # bumped by CI', '+      tag: 1.3.2 # bumped by CI']);
  });

  it('the split with a registry key, and a quoted tag stays quoted', () => {
    const file = release("    image:\n      registry: registry.example.com\n      repository: shop/web\n      tag: '1.4.0'\n");
    const r = patch(file);
    expect(r.ok && changedLines(file, r.content)).toEqual(["-      tag: '1.4.0'", '+      tag: "1.3.2"']);
  });

  it('the whole image in one value', () => {
    const file = release(`    image: ${BAD}   # the release\n    sidecar: { image: registry.example.com/shop/proxy:1.4.0 }\n`);
    const r = patch(file);
    expect(r.ok && changedLines(file, r.content)).toEqual([`-    image: ${BAD}   # the release`, `+    image: ${GOOD}   # the release`]);
  });

  it('a plain field (replicas) held once', () => {
    const file = release('    replicaCount: 3\n    image: { repository: registry.example.com/shop/web, tag: 1.4.0 }\n');
    const r = patch(file, change([{ path: ['spec', 'replicas'], before: 3, after: 5 }]));
    expect(r.ok && changedLines(file, r.content)).toEqual(['-    replicaCount: 3', '+    replicaCount: 5']);
  });

  it('a values block in a multi-document file: the other documents untouched', () => {
    const other = '---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: web, namespace: apps }\ndata: { tag: 1.4.0 }\n';
    const file = `${other}---\n${release('    image:\n      repository: registry.example.com/shop/web\n      tag: "1.4.0"\n')}`;
    const r = patch(file);
    expect(r.ok && changedLines(file, r.content)).toEqual(['-      tag: "1.4.0"', '+      tag: "1.3.2"']);
    if (!r.ok) return;
    const docs = parseAllDocuments(r.content) as Array<{ toJS(): unknown }>;
    expect(docs[0].toJS()).toEqual(parseAllDocuments(file)[0].toJS());
  });
});

describe('Helm values: none or several hold it', () => {
  it('zero: the chart defaults set it', () => {
    const r = patch(release('    replicaCount: 2\n'));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/values of HelmRelease apps\/web do not hold registry\.example\.com\/shop\/web:1\.4\.0 \(or its tag 1\.4\.0\)/) });
  });

  it('two: the places are named, nothing is patched', () => {
    const r = patch(release('    image: { repository: registry.example.com/shop/web, tag: 1.4.0 }\n    sidecar:\n      image: { repository: registry.example.com/shop/web, tag: 1.4.0 }\n'));
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('hold registry.example.com/shop/web:1.4.0 (or its tag 1.4.0) in 2 places: spec.values.image.tag and spec.values.sidecar.image.tag') });
  });

  it('a tag beside another repository is not it', () => {
    const r = patch(release('    image: { repository: registry.example.com/shop/other, tag: 1.4.0 }\n'));
    expect(r.ok).toBe(false);
  });

  it('no values at all, no HelmRelease document, or a holder not traced to Git', () => {
    expect(patch(release('    {}\n'))).toMatchObject({ ok: false, reason: expect.stringMatching(/do not hold/) });
    expect(patch(release('    image: { tag: 1.4.0 }\n').replace('name: web\n', 'name: api\n'))).toMatchObject({ ok: false, reason: expect.stringMatching(/^no manifest under \.\/apps defines HelmRelease web \(whose Helm values render Deployment web\)/) });
    const untraced = change([IMAGE], { ...HR, untraced: 'where HelmRelease apps/web is kept in Git is not known: it carries no label' });
    expect(patch(release('    image: { tag: 1.4.0 }\n'), untraced)).toMatchObject({ ok: false, reason: expect.stringMatching(/rendered by a Helm chart from the values of HelmRelease apps\/web, but where/) });
  });
});

describe('Argo CD Application values', () => {
  const APP: ValuesHolder = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'web', namespace: 'argocd' };
  const app = (helm: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: web, namespace: argocd }
spec:
  source:
    repoURL: https://charts.example.com
    chart: web
    targetRevision: 2.1.0
    helm:
${helm}`;

  it('valuesObject', () => {
    const file = app('      valuesObject:\n        image:\n          repository: registry.example.com/shop/web\n          tag: 1.4.0\n');
    const r = patch(file, change([IMAGE], APP));
    expect(r).toMatchObject({ ok: true, changed: [expect.stringMatching(/^spec\.source\.helm\.valuesObject\.image\.tag: 1\.4\.0 → 1\.3\.2/)] });
    expect(r.ok && changedLines(file, r.content)).toEqual(['-          tag: 1.4.0', '+          tag: 1.3.2']);
  });

  it('values as a YAML text: the line inside the block changes, comments kept', () => {
    const file = app('      values: |\n        # prod\n        image:\n          repository: registry.example.com/shop/web\n          tag: 1.4.0  # pinned\n\n        replicaCount: 2\n');
    const r = patch(file, change([IMAGE], APP));
    expect(r).toMatchObject({ ok: true, changed: [expect.stringMatching(/^spec\.source\.helm\.values\.image\.tag: 1\.4\.0 → 1\.3\.2/)] });
    expect(r.ok && changedLines(file, r.content)).toEqual(['-          tag: 1.4.0  # pinned', '+          tag: 1.3.2  # pinned']);
  });
});

describe('who renders it, in words: the owner sentence and the report', () => {
  const owner = {
    tool: 'Flux' as const,
    manager: { kind: 'HelmRelease' as const, name: 'web', namespace: 'apps' },
    via: 'Deployment apps/web',
    source: { kind: 'GitRepository', name: 'fleet', url: 'https://git.example.com/fleet.git', path: './apps', revision: 'main', chart: 'web', values: HR },
    reverts: 'at its next reconcile (every 5m)',
    paused: false,
  };

  it('names where the values are kept, or that it is not known', () => {
    expect(describeOwner(owner)).toBe('Deployment apps/web is managed by Flux HelmRelease apps/web (chart web; its values in HelmRelease apps/web, kept in repository https://git.example.com/fleet.git, path ./apps, revision main); a direct change is reverted at its next reconcile (every 5m)');
    const untraced = { ...owner, source: { kind: 'HelmRepository', name: 'charts', chart: 'web', values: { ...HR, untraced: 'where HelmRelease apps/web is kept in Git is not known: it carries no label' } } };
    expect(describeOwner(untraced)).toBe('Deployment apps/web is managed by Flux HelmRelease apps/web (HelmRepository charts, chart web; where HelmRelease apps/web is kept in Git is not known: it carries no label); a direct change is reverted at its next reconcile (every 5m)');
  });

  it("the report's proposed change names the HelmRelease's values, not the Deployment's manifest", () => {
    const step = {
      index: 3,
      time: '2026-12-07T06:00:00Z',
      action: 'invalid',
      state: 'Done',
      server: 'kubernetes',
      tool: 'rollback_deployment',
      arguments: '{"name":"web","namespace":"apps"}',
      dryRun: { ok: false, gitops: describeOwner(owner), gitChange: JSON.stringify(change()), diff: `Deployment apps/web:\n  spec.template.spec.containers[web].image: ${BAD} → ${GOOD}`, note: 'refused' },
      result: { ok: false, error: 'refused' },
    } as Step;
    const report = composeReport(incident('web', 1, { phase: 'Analyzing' }), [step], '## Summary\n\nx', 'NeedsManualIntervention', 'fix it in Git', '2026-12-07T06:01:00Z');
    expect(report).toContain('make it in the Helm values of HelmRelease apps/web (spec.values), at the one key that holds the value the field has now (for an image: the image, or its tag such as image.tag), not in the Deployment the chart renders');
    expect(report).not.toContain('make the same in the manifest');
  });
});

/**
 * A change proposed in Git for a Deployment a Flux HelmRelease renders (issue 25), end to end on the bed's
 * API server (Flux's CRDs, no controllers; the kube-controller-manager makes the Deployment's ReplicaSets)
 * and a GitHub stand-in over a bare Git repository (test/fixtures/gitHosts.ts): the dry run of a rollback
 * finds the HelmRelease, and where it is kept in Git from its Kustomization labels; the pull request
 * patches the HelmRelease's `spec.values.image.tag` and nothing else (checked with git itself). A
 * HelmRelease that nothing traceable applies gets no pull request, and the reason says why.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { AppsV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import type { GitChange } from '../../src/contracts/gitChange.js';
import { GitHubProvider } from '../../src/gitops/github.js';
import { GitProposer, objectReader } from '../../src/gitops/proposer.js';
import { FIELD_MANAGERS } from '../../src/incident/owners.js';
import { API_VERSION, KIND, type AlertIncident } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { makeContext } from '../../src/tools/kubernetes/context.js';
import { createDryRunner } from '../../src/tools/kubernetes/dryRun.js';
import { TOOL_DEFS } from '../../src/tools/kubernetes/server.js';
import { bareRepository, removeRepository, startGitHost } from '../fixtures/gitHosts.js';
import { applyCrd, createNamespace, eventually, kubeConfig, kubectl, store } from './harness.js';

const TOKEN = 'helm-values-test-token-1234';
const REPO = 'registry.example.com/shop/web';
const GOOD = `${REPO}:1.3.2`;
const BAD = `${REPO}:1.4.0`;

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ctx = makeContext(kc);
const s = store();
let ns: string;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** The fleet repository: the HelmRelease web with its values, and another release holding the same tag. */
const release = (name: string, comment: string) => `# ${name}: ${comment}
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: ${name}
      sourceRef: { kind: HelmRepository, name: charts }
  values:
    replicaCount: 2
    image:
      repository: ${REPO}
      tag: 1.4.0 # bumped by CI
    resources: { limits: { memory: 256Mi } }
`;

function deployment(name: string, image: string, labels: Record<string, string>, annotations: Record<string, string>): V1Deployment {
  return {
    metadata: { name, labels: { app: name, ...labels }, annotations },
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } } },
  };
}

/** A Deployment at revision 2 (the bad image) over revision 1 (the good one), as a release leaves it. */
async function released(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, GOOD, labels, annotations) });
  await eventually(async () => ((await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items.length === 1 ? true : undefined), 30_000);
  await apps.patchNamespacedDeployment({ name, namespace: ns, body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: BAD }] }, { headers: { 'Content-Type': 'application/json-patch+json' } } as never);
  await eventually(async () => ((await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items.length === 2 ? true : undefined), 30_000);
}

/** The dry run of a rollback of `name`: refused (Git keeps it), with the change to make in Git. */
async function proposedChange(name: string): Promise<GitChange> {
  const judge = createDryRunner(ctx, { builtinServer: 'kubernetes', defs: TOOL_DEFS, gitops: { managedWrites: 'propose', argoNamespace: 'argocd' } });
  const v = await judge({ server: 'kubernetes', tool: 'rollback_deployment', arguments: { name, namespace: ns } }, { timeoutMs: 10_000 });
  if (v.kind !== 'rejected' || !v.gitChange) throw new Error(`expected a change proposed in Git, got ${JSON.stringify(v)}`);
  return v.gitChange;
}

async function reportedIncident(name: string, gc: GitChange): Promise<AlertIncident> {
  await s.create({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns }, spec: { alertname: 'KubeDeploymentRolloutStuck', fingerprint: name, status: 'firing', labels: {}, annotations: {}, startsAt: new Date().toISOString() } } as AlertIncident);
  const t = new Date().toISOString();
  return s.applyStatus(
    ns,
    name,
    {
      phase: 'Reported',
      outcome: 'NeedsManualIntervention',
      summary: 'the new image cannot be pulled',
      steps: [{ index: 4, time: t, action: 'invalid', state: 'Done', server: 'kubernetes', tool: 'rollback_deployment', arguments: JSON.stringify({ name: gc.object.name, namespace: ns }), dryRun: { ok: false, note: 'kept in Git', gitops: gc.owner, gitChange: JSON.stringify(gc), time: t }, result: { ok: false, error: 'refused' } }],
    },
    { fieldManager: FIELD_MANAGERS.controller },
  );
}

const gitChanges = async (name: string) => (await s.get(ns, name))?.status?.gitChanges ?? [];

beforeAll(async () => {
  await applyCrd();
  const r = await kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'eval', 'bed', 'gitops-crds.yaml')]);
  if (r.code !== 0) throw new Error(`kubectl apply gitops CRDs: ${r.stderr}`);
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/kustomizations.kustomize.toolkit.fluxcd.io', 'crd/gitrepositories.source.toolkit.fluxcd.io', 'crd/helmreleases.helm.toolkit.fluxcd.io']);
  if (w.code !== 0) throw new Error(`gitops CRDs not established: ${w.stderr}`);
  ns = await createNamespace('helmvals');
  const body = (group: string, version: string, plural: string, obj: Record<string, unknown>) => custom.createNamespacedCustomObject({ group, version, plural, namespace: ns, body: obj });
  await body('source.toolkit.fluxcd.io', 'v1', 'gitrepositories', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet' }, spec: { url: 'https://git.example.com/shop/fleet.git', ref: { branch: 'main' }, interval: '1m' } });
  await body('kustomize.toolkit.fluxcd.io', 'v1', 'kustomizations', { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, spec: { interval: '10m', path: './apps', sourceRef: { kind: 'GitRepository', name: 'fleet' } } });
  const hr = (name: string, labels: Record<string, string>) =>
    body('helm.toolkit.fluxcd.io', 'v2', 'helmreleases', { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name, labels }, spec: { interval: '5m', chart: { spec: { chart: name, sourceRef: { kind: 'HelmRepository', name: 'charts' } } }, values: { image: { repository: REPO, tag: '1.4.0' } } } });
  // The HelmRelease as the Kustomization applied it: Flux labels what it applies.
  await hr('web', { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': ns });
  await hr('lost', {});
  const byRelease = (n: string) => ({ 'helm.toolkit.fluxcd.io/name': n, 'helm.toolkit.fluxcd.io/namespace': ns });
  await released('web', byRelease('web'));
  await released('lost', byRelease('lost'));
  // Argo CD, app of apps: the Application `root` applies the Application `shop` (kept in Git under
  // argo/), whose Helm source renders the Deployment `shop`.
  const app = (name: string, annotations: Record<string, string>, source: Record<string, unknown>) =>
    body('argoproj.io', 'v1alpha1', 'applications', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, annotations }, spec: { source, syncPolicy: { automated: { selfHeal: true } } } });
  await app('root', {}, { repoURL: 'https://git.example.com/shop/fleet.git', path: 'argo', targetRevision: 'main' });
  await app('shop', { 'argocd.argoproj.io/tracking-id': `${ns}_root:argoproj.io/Application:${ns}/shop` }, { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '2.1.0', helm: { valuesObject: { image: { repository: REPO, tag: '1.4.0' } } } });
  await released('shop', {}, { 'argocd.argoproj.io/tracking-id': `${ns}_shop:apps/Deployment:${ns}/shop` });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

it('a Deployment a HelmRelease renders: the pull request patches spec.values.image.tag in the HelmRelease manifest, and only that', async () => {
  const gc = await proposedChange('web');
  expect(gc.source).toMatchObject({ url: 'https://git.example.com/shop/fleet.git', path: './apps', revision: 'main', values: { kind: 'HelmRelease', name: 'web', namespace: ns } });
  expect(gc.source.values?.untraced).toBeUndefined();
  expect(gc.owner).toContain(`its values in HelmRelease ${ns}/web, kept in repository https://git.example.com/shop/fleet.git, path ./apps, revision main`);
  expect(gc.changes).toEqual([{ path: ['spec', 'template', 'spec', 'containers', { name: 'web' }, 'image'], before: BAD, after: GOOD }]);

  const files = { 'apps/kustomization.yaml': 'resources: [web.yaml, api.yaml]\n', 'apps/web.yaml': release('web', 'the shop front'), 'apps/api.yaml': release('api', 'the shop API') };
  const bare = bareRepository(files);
  const h = await startGitHost('github', { bare, repo: 'shop/fleet', token: TOKEN });
  cleanups.push(() => h.close(), () => removeRepository(bare));
  const p = new GitProposer({ provider: new GitHubProvider({ apiURL: h.url, token: TOKEN, timeoutMs: 5_000 }), host: 'git.example.com', baseBranch: 'main', store: s, log: silentLogger(), policyMode: 'auto', syncTimeoutMs: 60_000, pollMs: 200, readObject: objectReader(() => kc) });
  p.start();
  cleanups.push(() => p.stop());

  p.observe('ADDED', await reportedIncident('helm-1', gc));
  const [open] = await eventually(async () => {
    const r = await gitChanges('helm-1');
    return r[0] && r[0].state !== 'Open' && r[0].state !== 'Failed' ? undefined : r[0] ? r : undefined;
  }, 30_000);
  expect(open).toMatchObject({ step: 4, state: 'Open', provider: 'github', repository: 'shop/fleet', number: 1 });
  expect(h.pulls).toHaveLength(1);
  expect(h.pulls[0].title).toContain('(values of HelmRelease web)');
  expect(h.pulls[0].body).toContain(`the Helm values of HelmRelease ${ns}/web, which render Deployment web`);
  expect(h.pulls[0].body).toContain('spec.values.image.tag: 1.4.0 → 1.3.2 (renders spec.template.spec.containers[web].image)');
  // git says: one file, one line, the tag (its comment kept), and not the other release holding the same tag.
  const diff = execFileSync('git', ['diff', '--unified=0', 'main', h.pulls[0].head], { cwd: bare, encoding: 'utf8' });
  expect(diff.match(/^diff --git/gm)).toHaveLength(1);
  expect(diff).toContain('apps/web.yaml');
  expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-      tag: 1.4.0 # bumped by CI', '+      tag: 1.3.2 # bumped by CI']);

  // A HelmRelease nothing traceable applies: where its values are kept is not known, so no pull request.
  const lost = await proposedChange('lost');
  expect(lost.source.values?.untraced).toMatch(/where HelmRelease .*\/lost is kept in Git is not known: it carries no label or tracking/);
  p.observe('ADDED', await reportedIncident('helm-2', lost));
  const [failed] = await eventually(async () => {
    const r = await gitChanges('helm-2');
    return r[0]?.state === 'Failed' ? r : undefined;
  }, 30_000);
  expect(failed.message).toMatch(/rendered by a Helm chart from the values of HelmRelease .*\/lost, but where/);
  expect(h.pulls).toHaveLength(1);
});

it('Argo CD, app of apps: the Application kept in Git by its parent gets the values patch', async () => {
  const gc = await proposedChange('shop');
  expect(gc.source).toMatchObject({ url: 'https://git.example.com/shop/fleet.git', path: 'argo', revision: 'main', chart: 'web', values: { kind: 'Application', name: 'shop', namespace: ns } });
  const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: ${ns}
spec:
  source:
    repoURL: https://charts.example.com
    chart: web
    targetRevision: 2.1.0
    helm:
      valuesObject:
        image:
          repository: ${REPO}
          tag: 1.4.0   # release train 14
`;
  const bare = bareRepository({ 'argo/shop.yaml': application, 'argo/root.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: root }\nspec: { source: { path: argo } }\n' });
  const h = await startGitHost('github', { bare, repo: 'shop/fleet', token: TOKEN });
  cleanups.push(() => h.close(), () => removeRepository(bare));
  const p = new GitProposer({ provider: new GitHubProvider({ apiURL: h.url, token: TOKEN, timeoutMs: 5_000 }), host: 'git.example.com', baseBranch: 'main', store: s, log: silentLogger(), policyMode: 'auto', syncTimeoutMs: 60_000, pollMs: 200, readObject: objectReader(() => kc) });
  p.start();
  cleanups.push(() => p.stop());
  p.observe('ADDED', await reportedIncident('argo-1', gc));
  const [rec] = await eventually(async () => {
    const r = await gitChanges('argo-1');
    return r[0] ? r : undefined;
  }, 30_000);
  expect(rec).toMatchObject({ state: 'Open', number: 1 });
  const diff = execFileSync('git', ['diff', '--unified=0', 'main', h.pulls[0].head], { cwd: bare, encoding: 'utf8' });
  expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-          tag: 1.4.0   # release train 14', '+          tag: 1.3.2   # release train 14']);
});

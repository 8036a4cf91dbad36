/**
 * Who keeps an object from Git (issue 25), on the bed's API server with Flux's and Argo CD's CRDs installed
 * (eval/bed/gitops-crds.yaml; no controllers): the ownership read from labels, the tracking annotation and
 * the owner chain, with the repository from the Kustomization's GitRepository or the Application; and the
 * dry run, which refuses a direct write to a managed object and hands back the change to make in Git.
 */
import * as path from 'node:path';
import { AppsV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { makeContext } from '../../src/tools/kubernetes/context.js';
import { createDryRunner } from '../../src/tools/kubernetes/dryRun.js';
import { describeOwner, gitopsOwner } from '../../src/tools/kubernetes/gitops.js';
import { TOOL_DEFS } from '../../src/tools/kubernetes/server.js';
import { describeDeployment } from '../../src/tools/kubernetes/read/describeDeployment.js';
import { createNamespace, kubeConfig, kubectl } from './harness.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ctx = makeContext(kc);
let ns: string;

function deployment(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): V1Deployment {
  return {
    metadata: { name, labels: { app: name, ...labels }, annotations },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } },
    },
  };
}

const judge = (managedWrites: 'propose' | 'allow') => createDryRunner(ctx, { builtinServer: 'kubernetes', defs: TOOL_DEFS, gitops: { managedWrites, argoNamespace: 'argocd' } });
const scaleCall = (name: string) => ({ server: 'kubernetes', tool: 'scale', arguments: { kind: 'Deployment', name, namespace: ns, replicas: 4 } });

beforeAll(async () => {
  const r = await kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'eval', 'bed', 'gitops-crds.yaml')]);
  if (r.code !== 0) throw new Error(`kubectl apply gitops CRDs: ${r.stderr}`);
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/kustomizations.kustomize.toolkit.fluxcd.io', 'crd/applications.argoproj.io', 'crd/gitrepositories.source.toolkit.fluxcd.io', 'crd/helmreleases.helm.toolkit.fluxcd.io']);
  if (w.code !== 0) throw new Error(`gitops CRDs not established: ${w.stderr}`);
  ns = await createNamespace('gitops');
  const body = (group: string, version: string, plural: string, obj: Record<string, unknown>) => custom.createNamespacedCustomObject({ group, version, plural, namespace: ns, body: obj });
  await body('source.toolkit.fluxcd.io', 'v1', 'gitrepositories', { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet' }, spec: { url: 'https://git.example.com/fleet.git', ref: { branch: 'main' }, interval: '1m' } });
  await body('kustomize.toolkit.fluxcd.io', 'v1', 'kustomizations', { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, spec: { interval: '10m', path: './apps/web', sourceRef: { kind: 'GitRepository', name: 'fleet' } } });
  await body('helm.toolkit.fluxcd.io', 'v2', 'helmreleases', { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'cache' }, spec: { interval: '5m', suspend: true, chart: { spec: { chart: 'redis', sourceRef: { kind: 'HelmRepository', name: 'bitnami' } } } } });
  await body('argoproj.io', 'v1alpha1', 'applications', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'api-prod' }, spec: { source: { repoURL: 'https://github.com/acme/deploy.git', path: 'envs/prod/api', targetRevision: 'v2' }, syncPolicy: { automated: { selfHeal: true } } } });
  const create = (d: V1Deployment) => apps.createNamespacedDeployment({ namespace: ns, body: d });
  await create(deployment('web', { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': ns }));
  await create(deployment('cache', { 'helm.toolkit.fluxcd.io/name': 'cache', 'helm.toolkit.fluxcd.io/namespace': ns }));
  await create(deployment('api', {}, { 'argocd.argoproj.io/tracking-id': `${ns}_api-prod:apps/Deployment:${ns}/api` }));
  // A manifest copied from another app keeps its tracking id: it names another object, so it proves nothing.
  await create(deployment('copied', {}, { 'argocd.argoproj.io/tracking-id': `${ns}_api-prod:apps/Deployment:${ns}/api` }));
  // Helm sets app.kubernetes.io/instance too: without an Application of that name it is no Argo CD tracking.
  await create(deployment('helmed', { 'app.kubernetes.io/instance': 'helmed' }));
  await create(deployment('plain'));
  // A ReplicaSet owned by the Flux-managed Deployment: the chain leads to Flux.
  const web = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  await apps.createNamespacedReplicaSet({
    namespace: ns,
    body: {
      metadata: { name: 'web-1a2b3c', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: web.metadata!.uid!, controller: true }] },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } } },
    },
  });
});

describe('who keeps an object from Git', () => {
  it('Flux Kustomization: from its labels, with the GitRepository, path and branch', async () => {
    const o = await gitopsOwner(ctx, { kind: 'Deployment', name: 'web', namespace: ns });
    expect(o).toMatchObject({ tool: 'Flux', manager: { kind: 'Kustomization', name: 'apps', namespace: ns }, source: { url: 'https://git.example.com/fleet.git', path: './apps/web', revision: 'main' }, paused: false });
    expect(describeOwner(o!)).toBe(`Deployment ${ns}/web is managed by Flux Kustomization ${ns}/apps (repository https://git.example.com/fleet.git, path ./apps/web, revision main); a direct change is reverted at its next reconcile (every 10m)`);
  });

  it('up the controller chain: a ReplicaSet of a Flux-managed Deployment', async () => {
    const o = await gitopsOwner(ctx, { kind: 'ReplicaSet', name: 'web-1a2b3c', namespace: ns });
    expect(o?.via).toBe(`Deployment ${ns}/web`);
  });

  it('a suspended Flux HelmRelease says it does not revert now', async () => {
    const o = await gitopsOwner(ctx, { kind: 'Deployment', name: 'cache', namespace: ns });
    expect(o).toMatchObject({ tool: 'Flux', manager: { kind: 'HelmRelease', name: 'cache' }, paused: true, source: { chart: 'redis' } });
    expect(o?.reverts).toMatch(/suspended/);
  });

  it('Argo CD: the tracking annotation, the Application in any namespace, self-heal', async () => {
    const o = await gitopsOwner(ctx, { kind: 'Deployment', name: 'api', namespace: ns });
    expect(o).toMatchObject({ tool: 'Argo CD', manager: { kind: 'Application', name: 'api-prod', namespace: ns }, source: { url: 'https://github.com/acme/deploy.git', path: 'envs/prod/api', revision: 'v2' } });
    expect(o?.reverts).toMatch(/within seconds \(self-heal is on\)/);
  });

  it('a tracking id naming another object, a Helm instance label, and no labels: not managed', async () => {
    for (const name of ['copied', 'helmed', 'plain']) expect([name, await gitopsOwner(ctx, { kind: 'Deployment', name, namespace: ns })]).toEqual([name, undefined]);
  });

  it('describe_deployment shows it in the evidence', async () => {
    const out = await describeDeployment.run({ name: 'web', namespace: ns } as never, ctx);
    expect(out.text).toContain(`Managed by: Deployment ${ns}/web is managed by Flux Kustomization ${ns}/apps`);
    expect((out.data as { managedBy?: string }).managedBy).toMatch(/^Deployment .* is managed by Flux/);
    const plain = await describeDeployment.run({ name: 'plain', namespace: ns } as never, ctx);
    expect(plain.text).not.toContain('Managed by');
  });
});

describe('the dry run does not write to what Git keeps', () => {
  it('propose: a scale of a Flux- or Argo-managed Deployment is refused, with who keeps it and the change to make in Git', async () => {
    for (const name of ['web', 'api']) {
      const v = await judge('propose')(scaleCall(name), { timeoutMs: 10_000 });
      expect(v.kind).toBe('rejected');
      if (v.kind !== 'rejected') return;
      expect(v.gitops).toMatch(name === 'web' ? /Flux Kustomization/ : /Argo CD Application/);
      expect(v.reason).toMatch(/make this change in Git instead/);
      expect(v.diff?.join('\n')).toMatch(/spec\.replicas: 2 → 4/);
    }
    // Nothing was written: the dry run stores nothing, and the refusal comes before any real call.
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(2);
  });

  it('an unmanaged Deployment is accepted as before; a restart (done once it ran) is accepted on a managed one', async () => {
    expect((await judge('propose')(scaleCall('plain'), { timeoutMs: 10_000 })).kind).toBe('accepted');
    const restart = await judge('propose')({ server: 'kubernetes', tool: 'rollout_restart', arguments: { kind: 'Deployment', name: 'web', namespace: ns } }, { timeoutMs: 10_000 });
    expect(restart.kind).toBe('accepted');
  });

  it('allow: accepted, with a warning that the next sync reverts it', async () => {
    const v = await judge('allow')(scaleCall('web'), { timeoutMs: 10_000 });
    expect(v.kind).toBe('accepted');
    if (v.kind === 'accepted') expect(v.note).toMatch(/Warning: Deployment .*\/web is managed by Flux/);
  });
});

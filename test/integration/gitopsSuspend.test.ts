/**
 * Suspend-and-fix (issue 25, GITOPS_MANAGED_WRITES=suspend), on the bed's API server with Flux's and Argo CD's
 * CRDs installed (eval/bed/gitops-crds.yaml; no controllers): the dry run shows the suspension first and still
 * proposes the change in Git; the run suspends the manager (annotated with the incident and step) before it
 * writes; the resume restores exactly what was there; a manager a person suspended is never touched; and with
 * the GitHub stand-in (test/fixtures/gitHosts.ts), the merged pull request resumes the Kustomization, then Synced.
 */
import * as path from 'node:path';
import { AppsV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import type { GitChange } from '../../src/contracts/gitChange.js';
import { GitHubProvider } from '../../src/gitops/github.js';
import { GitProposer, managerResumer, objectReader } from '../../src/gitops/proposer.js';
import { FIELD_MANAGERS } from '../../src/incident/owners.js';
import { API_VERSION, KIND, type AlertIncident } from '../../src/incident/types.js';
import { composeReport } from '../../src/investigation/report.js';
import { silentLogger } from '../../src/observability/logger.js';
import { makeContext, type ToolContext } from '../../src/tools/kubernetes/context.js';
import { createDryRunner } from '../../src/tools/kubernetes/dryRun.js';
import { rollbackDeployment } from '../../src/tools/kubernetes/mutate/rollbackDeployment.js';
import { scale } from '../../src/tools/kubernetes/mutate/scale.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, TOOL_DEFS, createKubernetesToolServer, runTool } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { SUSPENDED_AT, SUSPENDED_BY, SUSPENDED_SYNC, resumeManager, suspendManager } from '../../src/tools/kubernetes/suspend.js';
import type { Operator } from '../../src/operator.js';
import { startScriptedLlm, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { bareRepository, removeRepository, startGitHost } from '../fixtures/gitHosts.js';
import { alert, applyCrd, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

const GOOD = 'registry.example.com/shop/web:1.0';
const BAD = 'registy.example.com/shop/web:1.1';
const TOKEN = 'gitops-suspend-token-1234';
const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const s = store();
let ns: string;
let ctx: ToolContext;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

const FLUX_K = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' };
const FLUX_H = { group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' };
const ARGO = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' };
type Obj = { metadata: { annotations?: Record<string, string> }; spec: Record<string, any> };
const get = async (api: typeof FLUX_K, name: string) => (await custom.getNamespacedCustomObject({ ...api, namespace: ns, name })) as Obj;

function deployment(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): V1Deployment {
  return {
    metadata: { name, labels: { app: name, ...labels }, annotations },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: GOOD }] } } },
  };
}

/** A Deployment at revision 2 with the bad image, revision 1 (the good one) kept in its ReplicaSets. */
async function badRelease(d: V1Deployment): Promise<void> {
  const name = d.metadata!.name!;
  await apps.createNamespacedDeployment({ namespace: ns, body: d });
  await eventually(async () => ((await apps.readNamespacedDeployment({ name, namespace: ns })).metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1' ? true : undefined), 20_000);
  await apps.patchNamespacedDeployment({ name, namespace: ns, body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: BAD }] }, { headers: { 'Content-Type': 'application/json-patch+json' } } as never);
  await eventually(async () => ((await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` })).items.length >= 2 ? true : undefined), 20_000);
}

const image = async (name: string) => (await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.template.spec?.containers[0].image;
const judge = () => createDryRunner(ctx, { builtinServer: 'kubernetes', defs: TOOL_DEFS, gitops: { managedWrites: 'suspend', argoNamespace: 'argocd' } });

beforeAll(async () => {
  await applyCrd();
  const r = await kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'eval', 'bed', 'gitops-crds.yaml')]);
  if (r.code !== 0) throw new Error(`kubectl apply gitops CRDs: ${r.stderr}`);
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/kustomizations.kustomize.toolkit.fluxcd.io', 'crd/applications.argoproj.io', 'crd/gitrepositories.source.toolkit.fluxcd.io', 'crd/helmreleases.helm.toolkit.fluxcd.io']);
  if (w.code !== 0) throw new Error(`gitops CRDs not established: ${w.stderr}`);
  ns = await createNamespace('gsusp');
  ctx = { ...makeContext(kc), gitopsWrites: 'suspend', argoNamespace: 'argocd' };
  const body = (api: typeof FLUX_K, obj: Record<string, unknown>) => custom.createNamespacedCustomObject({ ...api, namespace: ns, body: obj });
  await body({ group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories' }, { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'fleet' }, spec: { url: 'https://git.example.com/shop/fleet.git', ref: { branch: 'main' }, interval: '1m' } });
  await body(FLUX_K, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps' }, spec: { interval: '10m', path: './apps/web', sourceRef: { kind: 'GitRepository', name: 'fleet' } } });
  // Suspended by a person: theirs, never touched.
  await body(FLUX_H, { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'cache' }, spec: { interval: '5m', suspend: true, chart: { spec: { chart: 'redis', sourceRef: { kind: 'HelmRepository', name: 'bitnami' } } } } });
  await body(ARGO, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'api-prod' }, spec: { source: { repoURL: 'https://github.com/acme/deploy.git', path: 'envs/prod/api', targetRevision: 'main' }, syncPolicy: { automated: { selfHeal: true, prune: true }, syncOptions: ['CreateNamespace=true'] } } });
  await badRelease(deployment('web', { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': ns }));
  await badRelease(deployment('api', {}, { 'argocd.argoproj.io/tracking-id': `${ns}_api-prod:apps/Deployment:${ns}/api` }));
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('cache', { 'helm.toolkit.fluxcd.io/name': 'cache', 'helm.toolkit.fluxcd.io/namespace': ns }) });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('GITOPS_MANAGED_WRITES=suspend', () => {
  it('the dry run accepts a rollback of a Flux-managed Deployment: the suspension first in the diff, the change still proposed in Git', async () => {
    const v = await judge()({ server: 'kubernetes', tool: 'rollback_deployment', arguments: { name: 'web', namespace: ns } }, { timeoutMs: 10_000 });
    expect(v.kind).toBe('accepted');
    if (v.kind !== 'accepted') return;
    expect(v.diff[0]).toBe(`Kustomization ${ns}/apps:`);
    expect(v.diff.join('\n')).toMatch(/spec\.suspend: <unset> → true/);
    expect(v.diff.findIndex((l) => l.startsWith(`Deployment ${ns}/web`))).toBeGreaterThan(0);
    expect(v.note).toContain(`Flux Kustomization ${ns}/apps is suspended before the change so its next sync does not revert it; it is resumed when the change is in Git`);
    expect(v.suspend).toEqual({ tool: 'Flux', kind: 'Kustomization', name: 'apps', namespace: ns });
    expect(v.gitChange?.changes.some((c) => c.after === GOOD)).toBe(true);
    expect(v.gitops).toMatch(/managed by Flux Kustomization/);
    // Nothing stored: neither the suspension nor the rollback.
    expect((await get(FLUX_K, 'apps')).spec.suspend).toBeUndefined();
    expect(await image('web')).toBe(BAD);
  });

  it('the run suspends the Kustomization (annotated with the incident and step) before it writes; the rollback is written', async () => {
    const by = `${ns}/inc-web step 3`;
    const r = await runTool(rollbackDeployment, { name: 'web', namespace: ns }, ctx, 16_000, by);
    expect(r.isError).toBeFalsy();
    expect(JSON.stringify(r.content)).toMatch(/Flux Kustomization .*\/apps was suspended before the change/);
    const k = await get(FLUX_K, 'apps');
    expect(k.spec.suspend).toBe(true);
    expect(k.metadata.annotations?.[SUSPENDED_BY]).toBe(by);
    expect(Date.parse(k.metadata.annotations?.[SUSPENDED_AT] ?? '')).toBeGreaterThan(0);
    expect(await image('web')).toBe(GOOD);
    // Another step's resume does not undo this one's suspension; this step's does.
    expect(await resumeManager(ctx, { kind: 'Kustomization', name: 'apps', namespace: ns }, `${ns}/other step 1`)).toBe('notOurs');
    expect(await resumeManager(ctx, { kind: 'Kustomization', name: 'apps', namespace: ns }, by)).toBe('resumed');
    const after = await get(FLUX_K, 'apps');
    expect(after.spec.suspend).toBe(false);
    expect(after.metadata.annotations?.[SUSPENDED_BY]).toBeUndefined();
  });

  it('Argo CD: automated sync with self-heal removed for the write, then restored exactly by the resume', async () => {
    const by = `${ns}/inc-api step 2`;
    const r = await runTool(rollbackDeployment, { name: 'api', namespace: ns }, ctx, 16_000, by);
    expect(r.isError).toBeFalsy();
    const app = await get(ARGO, 'api-prod');
    expect(app.spec.syncPolicy.automated).toBeUndefined();
    expect(app.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true']);
    expect(JSON.parse(app.metadata.annotations?.[SUSPENDED_SYNC] ?? '')).toEqual({ selfHeal: true, prune: true });
    expect(await image('api')).toBe(GOOD);
    expect(await resumeManager(ctx, { kind: 'Application', name: 'api-prod', namespace: ns }, by)).toBe('resumed');
    const back = await get(ARGO, 'api-prod');
    expect(back.spec.syncPolicy).toEqual({ automated: { selfHeal: true, prune: true }, syncOptions: ['CreateNamespace=true'] });
    expect(Object.keys(back.metadata.annotations ?? {}).filter((k) => k.startsWith('alertagent.io/'))).toEqual([]);
  });

  it('through the tool manager (as execute.ts calls it): the incident and step reach the tool as the call\'s _meta', async () => {
    const m = new ToolManager({ mcpServers: {} }, { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc, { context: { gitopsWrites: 'suspend', argoNamespace: 'argocd' } }), classes: BUILTIN_TOOLS, clusterScoped: CLUSTER_SCOPED_TOOLS } });
    cleanups.push(() => m.close());
    await m.start();
    const by = `${ns}/inc-scale step 5`;
    const r = await m.call('kubernetes', 'scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 2 }, { timeoutMs: 20_000, step: by });
    expect(r.ok).toBe(true);
    expect((await get(FLUX_K, 'apps')).metadata.annotations?.[SUSPENDED_BY]).toBe(by);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(2);
    expect(await resumeManager(ctx, { kind: 'Kustomization', name: 'apps', namespace: ns }, by)).toBe('resumed');
  });

  it('a HelmRelease a person suspended is left alone: the dry run refuses (the change goes to Git), and so does the run', async () => {
    const call = { server: 'kubernetes', tool: 'scale', arguments: { kind: 'Deployment', name: 'cache', namespace: ns, replicas: 3 } };
    const v = await judge()(call, { timeoutMs: 10_000 });
    expect(v.kind).toBe('rejected');
    if (v.kind === 'rejected') {
      expect(v.reason).toMatch(/suspended by a person, not by the operator/);
      expect(v.gitops).toMatch(/HelmRelease/);
    }
    const r = await runTool(scale, call.arguments, ctx, 16_000, `${ns}/inc-cache step 1`);
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/suspended by a person/);
    expect((await apps.readNamespacedDeployment({ name: 'cache', namespace: ns })).spec?.replicas).toBe(1);
    const h = await get(FLUX_H, 'cache');
    expect(h.spec.suspend).toBe(true);
    expect(h.metadata.annotations?.[SUSPENDED_BY]).toBeUndefined();
  });
});

describe('through the operator (auto, GITOPS_MANAGED_WRITES=suspend)', () => {
  let llm: ScriptedLlm;
  let op: Operator | undefined;
  afterAll(async () => {
    await op?.stop();
    await llm?.stop();
  });

  it('a Flux-managed Deployment with a bad image: the Kustomization is suspended (annotated) and the rollback written and verified', async () => {
    await custom.createNamespacedCustomObject({ ...FLUX_K, namespace: ns, body: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'front' }, spec: { interval: '10m', path: './apps/front', sourceRef: { kind: 'GitRepository', name: 'fleet' } } } });
    await badRelease(deployment('front', { 'kustomize.toolkit.fluxcd.io/name': 'front', 'kustomize.toolkit.fluxcd.io/namespace': ns }));
    llm = await startScriptedLlm();
    llm.setResponder(
      byPosition({
        FrontBadImage: [
          { content: 'Rolling back.', toolCalls: [{ name: 'kubernetes__rollback_deployment', arguments: { name: 'front', namespace: ns } }] },
          { toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'not reached', root_cause: 'see the steps' } }] },
        ],
      }),
    );
    op = await startTestOperator({
      namespace: ns,
      env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__rollback_deployment', POLICY_ALLOWED_NAMESPACES: ns, GITOPS_MANAGED_WRITES: 'suspend', VERIFY_TIMEOUT: '60s' },
    });
    await post(op.webhookUrl, payload([alert({ alertname: 'FrontBadImage', namespace: ns, deployment: 'front' })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'FrontBadImage' && finished(i), 120_000);
    const steps = inc.status!.steps!;
    expect(steps.map((x) => [x.action, x.tool, x.state])).toEqual([
      ['callTool', 'rollback_deployment', 'Succeeded'],
      ['verify', undefined, 'Succeeded'],
    ]);
    expect(steps[0].dryRun).toMatchObject({ ok: true, suspend: { tool: 'Flux', kind: 'Kustomization', name: 'front', namespace: ns }, gitops: expect.stringMatching(/Flux Kustomization/) });
    expect(steps[0].dryRun?.diff?.split('\n')[0]).toBe(`Kustomization ${ns}/front:`);
    const k = await get(FLUX_K, 'front');
    expect(k.spec.suspend).toBe(true);
    expect(k.metadata.annotations?.[SUSPENDED_BY]).toBe(`${ns}/${inc.metadata.name} step ${steps[0].index}`);
    expect(await image('front')).toBe(GOOD);
    expect(inc.status?.report).toContain(`was written to the cluster after Flux Kustomization ${ns}/front was suspended`);
    expect(inc.status?.report).toContain(`\`flux resume kustomization -n ${ns} front\``);
  }, 180_000);
});

describe('the GitOps queue resumes what a step suspended once its change is merged', () => {
  const MANIFEST = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: shop } }\n  template:\n    metadata: { labels: { app: shop } }\n    spec:\n      containers:\n        - name: app\n          image: ${BAD}\n`;

  it('GitHub: the pull request opens without another ask, and on merge the Kustomization is resumed, then Synced', async () => {
    await custom.createNamespacedCustomObject({ ...FLUX_K, namespace: ns, body: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'shop' }, spec: { interval: '10m', path: './apps/shop', sourceRef: { kind: 'GitRepository', name: 'fleet' } } } });
    await apps.createNamespacedDeployment({ namespace: ns, body: { ...deployment('shop', { 'kustomize.toolkit.fluxcd.io/name': 'shop', 'kustomize.toolkit.fluxcd.io/namespace': ns }), spec: { ...deployment('shop', {}).spec!, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'app', image: BAD }] } } } } });
    const bare = bareRepository({ 'apps/shop/deploy.yaml': MANIFEST });
    const h = await startGitHost('github', { bare, repo: 'shop/fleet', token: TOKEN });
    cleanups.push(() => h.close(), () => removeRepository(bare));
    const manager = { kind: 'Kustomization' as const, name: 'shop', namespace: ns };
    // What the step did when it ran: the suspension for it, then the rollback to the good image.
    const name = 'inc-shop';
    await suspendManager(ctx, manager, `${ns}/${name} step 4`, new Date().toISOString());
    await apps.patchNamespacedDeployment({ name: 'shop', namespace: ns, body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: GOOD }] }, { headers: { 'Content-Type': 'application/json-patch+json' } } as never);
    const change: GitChange = {
      owner: `Deployment ${ns}/shop is managed by Flux Kustomization ${ns}/shop`,
      tool: 'Flux',
      manager,
      source: { url: 'https://git.example.com/shop/fleet.git', path: './apps/shop', revision: 'main' },
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'shop', namespace: ns },
      changes: [{ path: ['spec', 'template', 'spec', 'containers', { name: 'app' }, 'image'], before: BAD, after: GOOD }],
    };
    await s.create({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns }, spec: { alertname: 'KubeDeploymentRolloutStuck', fingerprint: name, status: 'firing', labels: {}, annotations: {}, startsAt: new Date().toISOString() } } as AlertIncident);
    const t = new Date().toISOString();
    const suspend = { tool: 'Flux' as const, ...manager };
    const inc = await s.applyStatus(
      ns,
      name,
      {
        phase: 'Reported',
        outcome: 'Resolved',
        steps: [{ index: 4, time: t, action: 'callTool', state: 'Succeeded', mutating: true, server: 'kubernetes', tool: 'rollback_deployment', arguments: JSON.stringify({ name: 'shop', namespace: ns }), dryRun: { ok: true, note: 'suspended first', gitops: change.owner, gitChange: JSON.stringify(change), suspend, time: t }, result: { ok: true, output: 'rolled back' } }],
      },
      { fieldManager: FIELD_MANAGERS.controller },
    );
    expect(inc.status?.steps?.[0].dryRun?.suspend).toEqual(suspend); // kept by the CRD's schema
    // The report, before anything is merged: suspended, and how to resume it by hand.
    const report = composeReport(inc, inc.status!.steps!, 'narrative', 'Resolved', 'rolled back', t);
    expect(report).toContain(`after Flux Kustomization ${ns}/shop was suspended (annotation alertagent.io/suspended-by: ${ns}/${name} step 4)`);
    expect(report).toContain(`\`flux resume kustomization -n ${ns} shop\``);

    const p = new GitProposer({ provider: new GitHubProvider({ apiURL: h.url, token: TOKEN, timeoutMs: 5_000 }), host: 'git.example.com', baseBranch: 'main', store: s, log: silentLogger(), policyMode: 'approve', syncTimeoutMs: 60_000, pollMs: 200, readObject: objectReader(() => kc), resumeManager: managerResumer(() => kc) });
    p.start();
    cleanups.push(() => p.stop());
    p.observe('MODIFIED', inc);
    await eventually(async () => ((await s.get(ns, name))?.status?.gitChanges?.[0]?.state === 'Open' ? true : undefined), 30_000);
    expect(h.pulls).toHaveLength(1);
    expect((await get(FLUX_K, 'shop')).spec.suspend).toBe(true); // not before the merge
    h.merge(1);
    const synced = await eventually(async () => {
      const r = (await s.get(ns, name))?.status?.gitChanges?.[0];
      return r?.state === 'Synced' ? r : undefined;
    }, 30_000);
    expect(synced.message).toMatch(/merged, and the cluster shows the change/);
    const k = await get(FLUX_K, 'shop');
    expect(k.spec.suspend).toBe(false);
    expect(k.metadata.annotations?.[SUSPENDED_BY]).toBeUndefined();
  });
});

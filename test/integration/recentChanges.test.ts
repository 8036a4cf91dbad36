// recent_changes on the test bed (real apiserver + controller-manager + kwok): a Deployment updated with a
// bad image gets a new ReplicaSet revision whose pods cannot pull it; the change list names the revision
// and its image/env differences, the ConfigMap the pods use and when it was updated (never its values),
// the Secret it uses as "not readable"; and the rule-based analyzer's report names the rollout.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { silentLogger } from '../../src/observability/logger.js';
import { alert, createNamespace, eventually, finished, kubeConfig, payload, post, startTestOperator, waitForIncident } from './harness.js';

const core = kubeConfig().makeApiClient(CoreV1Api);
const apps = kubeConfig().makeApiClient(AppsV1Api);
const ops: Operator[] = [];
afterAll(async () => {
  await Promise.all(ops.map((o) => o.stop()));
});

const T = { timeoutMs: 30_000 };

/** A Deployment at revision 1 (good), then updated to a bad image (revision 2), and the new revision's pod stuck pulling it. */
async function badRollout(): Promise<{ ns: string; badPod: string; rs2: string }> {
  const ns = await createNamespace('changes');
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'web-config' }, data: { 'app.properties': 'threads=4' } } });
  const template = (image: string, extra: Record<string, string>, level: string) => ({
    metadata: { labels: { app: 'web', ...extra } },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          env: [
            { name: 'LOG_LEVEL', value: level },
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-db', key: 'password' } } },
          ],
          envFrom: [{ configMapRef: { name: 'web-config' } }],
        },
      ],
    },
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template('registry.example/web:1.4.2', {}, 'info') } },
  });
  await eventually(async () => (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).status?.readyReplicas === 1, 60_000);
  // managedFields times have a resolution of one second, and a write within a second of the creation reads
  // as the creation itself: let the update come later, as it would in a cluster.
  await new Promise((r) => setTimeout(r, 1500));
  // A ConfigMap update, then the bad rollout (the scenario label makes kwok answer ImagePullBackOff for the new pods).
  await core.replaceNamespacedConfigMap({ name: 'web-config', namespace: ns, body: { metadata: { name: 'web-config' }, data: { 'app.properties': 'threads=8', 'feature.flags': 'new-checkout' } } });
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  d.spec!.template = template('registry.example/web:1.5.0-bad', { 'alertagent.test/scenario': 'imagepull' }, 'debug');
  await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: d });
  const rs2 = await eventually(async () => {
    const rss = await apps.listNamespacedReplicaSet({ namespace: ns });
    return rss.items.find((r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2')?.metadata?.name;
  }, 60_000);
  const badPod = await eventually(async () => {
    const pods = await core.listNamespacedPod({ namespace: ns });
    const p = pods.items.find((x) => x.metadata?.ownerReferences?.[0]?.name === rs2 && x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    return p?.metadata?.name;
  }, 60_000);
  return { ns, badPod, rs2 };
}

let scenario: Awaited<ReturnType<typeof badRollout>>;
beforeAll(async () => {
  scenario = await badRollout();
}, 180_000);

it('recent_changes lists the new revision with its image and env differences, the ConfigMap update (keys, no values), and the Secret as not readable', async () => {
  const { ns, badPod, rs2 } = scenario;
  const m = new ToolManager({ mcpServers: {} }, { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kubeConfig()), classes: BUILTIN_TOOLS, clusterScoped: CLUSTER_SCOPED_TOOLS } });
  await m.start();
  try {
    const r = await m.call('kubernetes', 'recent_changes', { kind: 'po', name: badPod, namespace: ns, before: new Date().toISOString(), windowMinutes: 60 }, T);
    expect(r.ok).toBe(true);
    const d = r.structured as { workload: { kind: string; name: string }; changes: Array<Record<string, unknown>>; unreadable: Array<{ object: string; why: string }>; objects: string[] };
    expect(d.workload).toEqual({ kind: 'Deployment', name: 'web' });
    const rollout = d.changes.find((c) => c.type === 'rollout' && c.revision === 2) as { summary: string; details: string[]; replicaSet: string; previousRevision: number };
    expect(rollout).toBeDefined();
    expect(rollout.replicaSet).toBe(rs2);
    expect(rollout.previousRevision).toBe(1);
    expect(rollout.details).toContain('containers[app].image: registry.example/web:1.4.2 → registry.example/web:1.5.0-bad');
    expect(rollout.details).toContain('containers[app].env[LOG_LEVEL].value: info → debug');
    expect(rollout.summary).toMatch(/Deployment\/web rolled out revision 2 \(ReplicaSet .*\); from revision 1: .*image: registry\.example\/web:1\.4\.2 → registry\.example\/web:1\.5\.0-bad/);
    const cm = d.changes.find((c) => c.type === 'config' && String(c.summary).includes('updated')) as { summary: string };
    expect(cm.summary).toMatch(/ConfigMap\/web-config updated by .*keys written: .*feature\.flags/);
    expect(d.unreadable).toContainEqual({ object: 'Secret/web-db', why: expect.stringMatching(/not readable: .*no access to Secrets by design/) });
    // Never a ConfigMap value.
    expect(JSON.stringify(r)).not.toMatch(/threads=8|new-checkout/);
    expect(r.output).toMatch(/\[rollout\] Deployment\/web rolled out revision 2/);
    // A window that ends before the rollout shows it as after the alert started.
    const early = await m.call('kubernetes', 'recent_changes', { kind: 'Deployment', name: 'web', namespace: ns, before: new Date(Date.now() - 3_600_000).toISOString(), windowMinutes: 5 }, T);
    expect((early.structured as { changes: Array<{ afterStart?: boolean }> }).changes.every((c) => c.afterStart === true)).toBe(true);
  } finally {
    await m.close();
  }
});

it('the analyzer names the bad rollout behind a pod that cannot pull its image', async () => {
  const { ns, badPod, rs2 } = scenario;
  const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', POLICY_MODE: 'observe' } });
  ops.push(op);
  const startsAt = new Date().toISOString();
  expect((await post(op.webhookUrl, payload([alert({ alertname: 'KubeContainerWaiting', namespace: ns, pod: badPod, container: 'app' }, { startsAt })]))).status).toBe(200);
  const inc = await waitForIncident(ns, finished, 90_000);
  const step = inc.status!.steps!.find((s) => s.tool === 'recent_changes');
  expect(step).toMatchObject({ state: 'Succeeded', mutating: false });
  const root = inc.status!.rootCause!;
  expect(root).toMatch(/image cannot be pulled|cannot be pulled/);
  expect(root).toContain(`It follows a change: Deployment/web rolled out revision 2 (ReplicaSet ${rs2})`);
  expect(root).toContain('and the failing pod belongs to that new revision');
  expect(root).toContain('containers[app].image: registry.example/web:1.4.2 → registry.example/web:1.5.0-bad');
  expect(inc.status!.report).toContain(`kubectl rollout undo deployment/web -n ${ns} --to-revision=1`);
  console.log(`Bad rollout report excerpt:\n${inc.status!.report!.split('\n').slice(0, 45).join('\n')}`);
}, 180_000);

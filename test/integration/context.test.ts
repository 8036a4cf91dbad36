// Recall and correlation on the real test bed, with the rule-based analyzer: a repeated OOM of one
// Deployment (a new pod) recalls the earlier incident, also after retention deleted it; pod alerts on a
// NotReady node end linked to the node's incident; an annotation breaks a link.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { LABELS, type AlertIncident } from '../../src/incident/types.js';
import { ConfigMapHistory } from '../../src/context/history.js';
import { nodeKey } from '../../src/incident/identity.js';
import type { Operator } from '../../src/operator.js';
import { alert, createNamespace, eventually, finished, kubeConfig, kubectl, listIncidents, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
let ns: string;
let op: Operator;
const badNode = `ctx-bad-node-${Date.now().toString(36)}`;
const node2 = `ctx-node2-${Date.now().toString(36)}`;

async function fire(labels: Record<string, string>, over: Record<string, unknown> = {}, env: Record<string, unknown> = {}): Promise<void> {
  const r = await post(op.webhookUrl, payload([alert(labels, over)], env));
  expect(r.status).toBeLessThan(300);
}

async function oomPod(except?: string): Promise<string> {
  return eventually(async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' });
    const p = list.items.find((x) => x.metadata?.name !== except && !x.metadata?.deletionTimestamp && x.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
    return p?.metadata?.name;
  }, 90_000);
}

beforeAll(async () => {
  ns = await createNamespace('ctx');
  op = await startTestOperator({ namespace: ns, investigator: new RulesInvestigator({}), env: { POLICY_MODE: 'observe', CORRELATION_TIMEOUT: '60s', RETENTION_TTL: '1ms' } });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'api' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api', 'alertagent.test/scenario': 'oomkilled' } },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
        },
      },
    },
  });
  await core.createNode({ body: { metadata: { name: badNode, labels: { 'kubernetes.io/hostname': badNode } }, spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] } } });
  const now = new Date().toISOString();
  const r = await kubectl(['patch', 'node', badNode, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'PLEG is not healthy', lastHeartbeatTime: now, lastTransitionTime: now }] } })]);
  if (r.code !== 0) throw new Error(`patch node status: ${r.stderr}`);
  for (const name of ['cart-5d8f7c9b6-x7k2p', 'cart-5d8f7c9b6-q2w5z', 'solo-7b9c4d6f8-m4n2q']) {
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name, labels: { app: name.split('-')[0] } }, spec: { nodeName: badNode, containers: [{ name: 'app', image: 'registry.example/app:1.0' }] } } });
  }
}, 180_000);

afterAll(async () => {
  await op?.stop();
  await core.deleteNode({ name: badNode }).catch(() => undefined);
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('recall', () => {
  it('a repeated OOM of one Deployment (a new pod) recalls the earlier incident, after retention deleted it', async () => {
    const first = await oomPod();
    await fire({ alertname: 'KubeContainerOOMKilled', namespace: ns, pod: first, container: 'app' }, { startsAt: new Date(Date.now() - 3_600_000).toISOString() });
    const one = await waitForIncident(ns, (i) => i.spec.alertname === 'KubeContainerOOMKilled' && finished(i), 90_000);
    expect(one.status?.recall).toBeUndefined();
    expect(one.status?.report).not.toContain('## Seen before');
    // Retention (TTL 1ms here) deletes it; the history ConfigMap keeps what recall needs.
    await eventually(async () => (await listIncidents(ns)).find((i) => i.metadata.name === one.metadata.name)?.metadata.labels?.['alertagent.io/finished'] === 'true' || undefined, 30_000);
    await eventually(async () => ((await op.retention.sweep()) >= 0 && !(await listIncidents(ns)).some((i) => i.metadata.name === one.metadata.name)) || undefined, 30_000);
    const cm = await core.readNamespacedConfigMap({ name: 'alert-agent-history', namespace: ns });
    expect(Object.values(cm.data ?? {}).join('')).toContain(one.metadata.name);

    // A new pod of the same Deployment OOMs.
    await core.deleteNamespacedPod({ name: first, namespace: ns });
    const second = await oomPod(first);
    expect(second).not.toBe(first);
    await fire({ alertname: 'KubeContainerOOMKilled', namespace: ns, pod: second, container: 'app' });
    const two = await waitForIncident(ns, (i) => i.spec.alertname === 'KubeContainerOOMKilled' && finished(i), 90_000);
    expect(two.metadata.name).not.toBe(one.metadata.name);
    expect(two.status?.recall).toMatchObject({ identity: `KubeContainerOOMKilled|${ns}|workload/api`, count: 1, occurrences: [{ incident: one.metadata.name, outcome: one.status?.outcome }] });
    const md = two.status!.report!;
    expect(md).toContain('## Seen before');
    expect(md).toContain('This is the 2nd time in 1 hour that KubeContainerOOMKilled fired for workload');
    expect(md).toContain(one.metadata.name);
    expect(md).toContain('memory limit of 128Mi');
    expect(md).toContain('kubernetes__set_resources');
    if (process.env.CONTEXT_REPORT_DIR) (await import('node:fs')).writeFileSync(`${process.env.CONTEXT_REPORT_DIR}/recall.md`, md);
  });

  it('records from two replicas at once, in bursts, all land (batched writes, conditional on the version read)', async () => {
    const requests: string[] = [];
    // A KubeConfig per replica, counting the requests each sends to the ConfigMap.
    const counting = () => {
      const k = kubeConfig();
      const apply = k.applySecurityAuthentication.bind(k);
      k.applySecurityAuthentication = async (ctx) => {
        requests.push(`${ctx.getHttpMethod()} ${ctx.getUrl()}`);
        await apply(ctx);
      };
      return k;
    };
    const name = 'history-burst';
    const replicas = [0, 1].map(() => new ConfigMapHistory(counting(), { namespace: ns, name, maxEntries: 500 }));
    const n = 40;
    const time = (i: number) => new Date(Date.UTC(2026, 10, 30, 8, 0, i)).toISOString();
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        replicas[i % 2].record(`h${i % 10}`, `KubePodCrashLooping|shop|web-${i % 10}`, `workload shop/web-${i % 10}`, { incident: `inc-${i}`, namespace: ns, time: time(i), outcome: 'Resolved' }),
      ),
    );
    const cm = await core.readNamespacedConfigMap({ name, namespace: ns });
    const entries = Object.values(cm.data ?? {}).map((v) => JSON.parse(v));
    expect(entries).toHaveLength(10);
    expect(entries.reduce((sum, e) => sum + e.count, 0)).toBe(n);
    // one write per incident would be 40 PUTs and as many GETs
    expect(requests.length).toBeLessThan(n);
    // lookups close together share one read (another replica's view may lag by up to 2 s)
    const reader = new ConfigMapHistory(counting(), { namespace: ns, name, maxEntries: 500 });
    const before = requests.length;
    expect((await reader.lookup('h3'))?.count).toBe(4);
    expect((await reader.lookup('h4'))?.count).toBe(4);
    expect(requests.length - before).toBeLessThanOrEqual(1);
  });
});

describe('correlation', () => {
  it('the webhook creates an incident with its correlation labels: no label write when it starts', async () => {
    const webhookOnly = await startTestOperator({ namespace: ns, investigator: new RulesInvestigator({}), env: { POLICY_MODE: 'observe' }, controller: false });
    try {
      const r = await post(webhookOnly.webhookUrl, payload([alert({ alertname: 'CorrelationLabelProbe', namespace: 'shop', pod: 'web-5d8f7b9c4-x7k2p' })]));
      expect(r.status).toBe(200);
      const inc = (await listIncidents(ns)).find((i) => i.spec.alertname === 'CorrelationLabelProbe')!;
      expect(inc.metadata.labels?.[LABELS.workload]).toMatch(/^[0-9a-f]{16}$/);
      expect(inc.metadata.labels?.[LABELS.group]).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await webhookOnly.stop();
    }
  });


  it('pod alerts on a NotReady node end linked to the node incident; kubectl get shows the link; unlink by annotation', async () => {
    // The node's alert and its pods' alerts come in one notification: they start together.
    const r = await post(
      op.webhookUrl,
      payload([
        alert({ alertname: 'KubeNodeNotReady', node: badNode }),
        alert({ alertname: 'KubePodNotReady', namespace: ns, pod: 'cart-5d8f7c9b6-x7k2p' }),
        alert({ alertname: 'KubePodNotReady', namespace: ns, pod: 'cart-5d8f7c9b6-q2w5z' }),
      ]),
    );
    expect(r.status).toBeLessThan(300);
    const node = await waitForIncident(ns, (i) => i.spec.alertname === 'KubeNodeNotReady' && finished(i), 90_000);
    expect(node.status?.relatedTo).toBeUndefined();
    const pods = await eventually(async () => {
      const l = (await listIncidents(ns)).filter((i) => i.spec.alertname === 'KubePodNotReady');
      return l.length === 2 && l.every(finished) ? l : undefined;
    }, 90_000);
    for (const p of pods) {
      expect(p.status).toMatchObject({ phase: 'Reported', relatedTo: { name: node.metadata.name, namespace: ns, rule: 'node' } });
      expect(p.status!.report).toContain(`## Linked to \`${ns}/${node.metadata.name}\``);
      expect(p.status!.report).toContain(`runs on node ${badNode}`);
      expect(p.status!.steps ?? []).toEqual([]);
    }
    const primary = (await store().get(ns, node.metadata.name)) as AlertIncident;
    expect((primary.status?.related ?? []).map((x) => x.name).sort()).toEqual(pods.map((p) => p.metadata.name).sort());
    const get = await kubectl(['get', 'alertincidents', '-n', ns]);
    expect(get.stdout).toMatch(/RELATED-TO/);
    expect(get.stdout).toContain(node.metadata.name);
    if (process.env.CONTEXT_REPORT_DIR) (await import('node:fs')).writeFileSync(`${process.env.CONTEXT_REPORT_DIR}/linked.md`, `${get.stdout}\n\n${pods[0].status!.report}`);

    // The node's alert is still firing: a later pod alert there links at once (the primary has reported).
    await fire({ alertname: 'KubePodCrashLooping', namespace: ns, pod: 'solo-7b9c4d6f8-m4n2q' });
    const solo = await waitForIncident(ns, (i) => i.spec.alertname === 'KubePodCrashLooping' && finished(i), 90_000);
    expect(solo.status?.relatedTo?.name).toBe(node.metadata.name);
  });

  it('an annotation breaks a link while it waits: the incident investigates on its own', async () => {
    // A primary that stays in progress: an incident about node2 that this operator does not reconcile
    // (labelled finished, so outside the controller's watch), still Analyzing and firing.
    await core.createNode({ body: { metadata: { name: node2, labels: { 'kubernetes.io/hostname': node2 } } } });
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'lone-7b9c4d6f8-m4n2q', labels: { app: 'lone' } }, spec: { nodeName: node2, containers: [{ name: 'app', image: 'registry.example/app:1.0' }] } } });
    const s = store();
    const created = await s.create({
      apiVersion: 'alertagent.io/v1alpha1',
      kind: 'AlertIncident',
      metadata: { name: 'node2-primary', namespace: ns, labels: { [LABELS.finished]: 'true', [LABELS.nodeIncident]: 'true', [LABELS.node]: nodeKey(node2) } },
      spec: { alertname: 'KubeNodeNotReady', fingerprint: 'node2fp', status: 'firing', labels: { node: node2 }, annotations: {}, startsAt: new Date().toISOString() },
    });
    await s.patchStatus(ns, created.metadata.name, created.metadata.resourceVersion!, { phase: 'Analyzing', startedAt: new Date().toISOString(), steps: [] });

    await fire({ alertname: 'KubePodNotReady', namespace: ns, pod: 'lone-7b9c4d6f8-m4n2q' });
    const linked = await waitForIncident(ns, (i) => i.spec.labels.pod === 'lone-7b9c4d6f8-m4n2q' && i.status?.phase === 'Linked', 60_000);
    expect(linked.status?.relatedTo).toMatchObject({ name: 'node2-primary', rule: 'node' });
    expect(linked.metadata.labels?.[LABELS.relatedTo]).toBe('node2-primary');
    const a = await kubectl(['annotate', 'alertincident', linked.metadata.name, '-n', ns, 'alertagent.io/unlink=true']);
    expect(a.code).toBe(0);
    const own = await eventually(async () => {
      const i = await s.get(ns, linked.metadata.name);
      return i && finished(i) ? i : undefined;
    }, 90_000);
    expect(own.status?.phase).toBe('Reported');
    expect(own.status?.relatedTo).toBeUndefined();
    expect(own.metadata.labels?.[LABELS.relatedTo]).toBeUndefined();
    expect(own.status?.steps?.[0]?.reasoning).toContain('a person broke the link');
    expect((own.status?.steps ?? []).some((x) => x.action === 'callTool' && x.tool === 'describe_pod')).toBe(true);
    expect(own.status?.report).not.toContain('## Linked to');
    await core.deleteNode({ name: node2 }).catch(() => undefined);
  });
});

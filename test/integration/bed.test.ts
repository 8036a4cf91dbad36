/**
 * Proves the integration test bed: real kube-apiserver/etcd/controller-manager/scheduler + kwok,
 * the kwok failure scenarios, ServiceAccount RBAC, and a real AlertManager delivering webhooks.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import { startAlertmanager } from '../../scripts/local/alertmanager.js';
import { bed, eventually, kubeConfig, serviceAccountKubeConfig } from '../bed/shared.js';

const ns = `bed-test-${Date.now().toString(36)}`;
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

function scenarioPod(name: string, scenario: string, extraAnnotations: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, 'alertagent.test/scenario': scenario }, annotations: extraAnnotations },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] },
  };
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => {});
});

test('bed info points at a live kube-apiserver', async () => {
  const b = bed();
  expect(b.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const nodes = await core.listNode();
  const fake = nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake');
  expect(fake.length).toBeGreaterThanOrEqual(1);
  for (const n of fake) {
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n.status?.capacity?.cpu).toBe('4');
    expect(n.spec?.taints ?? []).toEqual([]);
  }
});

test('a Deployment gets Running pods on the fake nodes (controller-manager + scheduler + kwok)', async () => {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
        },
      },
    },
  });
  const pods = await eventually(async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    const running = list.items.filter(
      (p) => p.status?.phase === 'Running' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    return running.length === 2 ? running : undefined;
  }, 60000);
  for (const p of pods) expect(p.spec?.nodeName).toMatch(/^kwok-node-/);
  const dep = await eventually(async () => {
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    return d.status?.readyReplicas === 2 ? d : undefined;
  }, 30000);
  expect(dep.status?.availableReplicas).toBe(2);
});

test('scenario crashloop: CrashLoopBackOff with restartCount > 0 and lastState Error', async () => {
  await core.createNamespacedPod({ namespace: ns, body: scenarioPod('crashy', 'crashloop') });
  const pod = await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'crashy', namespace: ns });
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  }, 60000);
  const cs = pod.status!.containerStatuses![0];
  expect(pod.status?.phase).toBe('Running');
  expect(cs.ready).toBe(false);
  expect(cs.restartCount).toBeGreaterThan(0);
  expect(cs.lastState?.terminated?.reason).toBe('Error');
  expect(cs.lastState?.terminated?.exitCode).toBe(1);
  expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
});

test('scenario oomkilled: lastState.terminated.reason OOMKilled (exit 137)', async () => {
  await core.createNamespacedPod({ namespace: ns, body: scenarioPod('oomy', 'oomkilled') });
  const pod = await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'oomy', namespace: ns });
    return p.status?.containerStatuses?.[0]?.lastState?.terminated ? p : undefined;
  }, 60000);
  const cs = pod.status!.containerStatuses![0];
  expect(cs.lastState?.terminated?.reason).toBe('OOMKilled');
  expect(cs.lastState?.terminated?.exitCode).toBe(137);
  expect(cs.state?.waiting?.reason).toBe('CrashLoopBackOff');
  expect(cs.restartCount).toBeGreaterThan(0);
});

test('scenarios notready and imagepull, and an unschedulable pod stays Pending', async () => {
  await core.createNamespacedPod({ namespace: ns, body: scenarioPod('unready', 'notready') });
  await core.createNamespacedPod({ namespace: ns, body: scenarioPod('nopull', 'imagepull') });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'toobig' },
      spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '64', memory: '1Ti' } } }] },
    },
  });
  const unready = await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'unready', namespace: ns });
    return p.status?.phase === 'Running' ? p : undefined;
  }, 60000);
  expect(unready.status?.containerStatuses?.[0]?.state?.running).toBeTruthy();
  expect(unready.status?.containerStatuses?.[0]?.ready).toBe(false);
  expect(unready.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

  const nopull = await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'nopull', namespace: ns });
    return p.status?.containerStatuses?.[0]?.state?.waiting ? p : undefined;
  }, 60000);
  expect(nopull.status?.phase).toBe('Pending');
  expect(nopull.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');

  const toobig = await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'toobig', namespace: ns });
    return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False') ? p : undefined;
  }, 60000);
  expect(toobig.status?.phase).toBe('Pending');
  expect(toobig.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason).toBe('Unschedulable');
});

test('a ServiceAccount kubeconfig is forbidden to list secrets until a Role grants it', async () => {
  const saKc = await serviceAccountKubeConfig(ns, 'reader');
  const saCore = saKc.makeApiClient(CoreV1Api);
  await expect(saCore.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 403 });

  await rbac.createNamespacedRole({
    namespace: ns,
    body: { metadata: { name: 'secret-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'reader-secrets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
  });
  const list = await eventually(() => saCore.listNamespacedSecret({ namespace: ns }), 20000);
  expect(Array.isArray(list.items)).toBe(true);
  // still forbidden cluster-wide
  await expect(saCore.listSecretForAllNamespaces()).rejects.toMatchObject({ code: 403 });
});

test('AlertManager delivers a posted alert to a local webhook receiver', async () => {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: any }> = [];
  const receiver = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as AddressInfo).port;
  const am = await startAlertmanager({ webhookUrl: `http://127.0.0.1:${port}/alerts`, bearerToken: 's3cret' });
  try {
    await am.postAlerts([
      {
        labels: { alertname: 'KubePodCrashLooping', namespace: ns, pod: 'crashy', severity: 'warning' },
        annotations: { summary: 'Pod is crash looping' },
        generatorURL: 'http://prometheus.example/graph',
      },
    ]);
    const msg = await eventually(async () => received.find((r) => r.body.status === 'firing'), 30000);
    expect(msg.headers.authorization).toBe('Bearer s3cret');
    expect(msg.body.version).toBe('4');
    expect(msg.body.receiver).toBe('webhook');
    expect(msg.body.alerts).toHaveLength(1);
    expect(msg.body.alerts[0].labels).toMatchObject({ alertname: 'KubePodCrashLooping', namespace: ns, pod: 'crashy' });
    expect(msg.body.alerts[0].annotations.summary).toBe('Pod is crash looping');
    expect(msg.body.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(typeof msg.body.groupKey).toBe('string');
  } finally {
    await am.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  }
});

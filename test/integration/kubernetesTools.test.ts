/**
 * The built-in Kubernetes tool server against the real test bed (kube-apiserver, controllers,
 * scheduler, kwok fake nodes), through a real MCP client over an in-memory transport.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { BUILTIN_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { eventually, kubeConfig, kubectl, serviceAccountKubeConfig } from '../bed/shared.js';

const suffix = Date.now().toString(36);
const ns = `kt-${suffix}`;
const testNode = `kt-node-${suffix}`;
const SECRET_VALUE = 'Sup3r-S3cret-Value-42';
const APPLIED_SECRET_VALUE = 'Applied-S3cret-Value-77';
const LITERAL_PASSWORD = 'literal-env-password-9';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

interface Result {
  text: string;
  isError: boolean;
  /** structuredContent (the client has checked it against the tool's outputSchema). */
  data?: Record<string, unknown>;
}
type Call = (name: string, args: Record<string, unknown>) => Promise<Result>;

/** Everything any tool returned, checked at the end for secrets and credentials. */
const outputs: string[] = [];
const closers: Array<() => Promise<unknown>> = [];

async function connect(config: KubeConfig): Promise<{ client: Client; call: Call }> {
  const server = createKubernetesToolServer(config);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'kubernetes-tools-test', version: '1.0.0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  closers.push(() => client.close(), () => server.close());
  // Listing the tools makes the client check every structuredContent against its tool's outputSchema.
  await client.listTools();
  const call: Call = async (name, args) => {
    const r = await client.callTool({ name, arguments: args });
    const text = (r.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
    outputs.push(text);
    if (r.structuredContent) outputs.push(JSON.stringify(r.structuredContent));
    // Every successful call carries its result as data too; failures are text only.
    expect([name, r.isError === true || r.structuredContent !== undefined]).toEqual([name, true]);
    return { text, isError: r.isError === true, ...(r.structuredContent ? { data: r.structuredContent as Record<string, unknown> } : {}) };
  };
  return { client, call };
}

let admin: { client: Client; call: Call };
const call: Call = (name, args) => admin.call(name, args);

function deployment(name: string, image: string, replicas = 2, annotations: Record<string, string> = {}): V1Deployment {
  return {
    metadata: { name, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image,
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              readinessProbe: { httpGet: { path: '/ready', port: 8080 as unknown as object } } as never,
              env: [
                { name: 'LOG_LEVEL', value: 'debug' },
                { name: 'DB_PASSWORD', value: LITERAL_PASSWORD },
                { name: 'DB_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              ],
              envFrom: [{ secretRef: { name: 'db' } }],
            },
          ],
        },
      },
    },
  };
}

async function readyDeployment(name: string, replicas: number): Promise<V1Deployment> {
  return eventually(async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    return d.status?.readyReplicas === replicas && d.status?.updatedReplicas === replicas && (d.status?.replicas ?? 0) === replicas ? d : undefined;
  }, 60000);
}

async function podsOf(app: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'db' }, type: 'Opaque', stringData: { password: SECRET_VALUE, username: 'app' } },
  });
  // A Secret applied with kubectl carries its values in the last-applied-configuration annotation too.
  const applied = await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'applied', namespace: ns }, stringData: { token: APPLIED_SECRET_VALUE } }),
  );
  expect(applied.code).toBe(0);
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'registry.example/web:1.0') });
  admin = await connect(kc);
});

afterAll(async () => {
  for (const c of closers) await c().catch(() => {});
  await core.deleteNamespace({ name: ns }).catch(() => {});
  await core.deleteNode({ name: testNode }).catch(() => {});
});

test('lists every built-in tool with its annotations', async () => {
  const { tools } = await admin.client.listTools();
  // query_prometheus is offered only with a Prometheus configured (test/integration/prometheus.test.ts).
  expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(BUILTIN_TOOLS).filter((n) => n !== 'query_prometheus').sort());
  for (const t of tools) expect(t.annotations?.readOnlyHint).toBe(BUILTIN_TOOLS[t.name] === 'read');
});

test('deployment: describe_deployment, list_resources, get_resource, rollout_status', async () => {
  await readyDeployment('web', 2);

  const d = await call('describe_deployment', { name: 'web', namespace: ns });
  expect(d.isError).toBe(false);
  expect(d.text).toContain(`Deployment: ${ns}/web`);
  expect(d.text).toContain('Replicas: desired 2 | updated 2 | ready 2 | available 2');
  expect(d.text).toMatch(/Available=True/);
  expect(d.text).toContain('Image: registry.example/web:1.0');
  expect(d.text).toContain('Resources: requests: cpu=50m, memory=64Mi; limits: memory=128Mi');
  expect(d.text).toContain('Readiness: http-get /ready port 8080');
  expect(d.text).toContain('LOG_LEVEL: debug');
  expect(d.text).toContain('DB_PASSWORD: [redacted]');
  expect(d.text).toContain('DB_SECRET: <from secret db key password>');
  expect(d.text).toContain('Env from: all keys of secret db');
  expect(d.text).toMatch(/ReplicaSets \(newest revision first\):\n {2}web-\S+ {2}revision=1 \(current\)/);
  expect(d.text).toMatch(/Pods \(2\):\n {2}web-\S+ {2}status=Running {2}ready=1\/1/);
  expect(d.text).toMatch(/Events \(newest first, \d+ of \d+\):\n.*ScalingReplicaSet/);

  const list = await call('list_resources', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns });
  expect(list.text).toMatch(/^NAME +READY +UP-TO-DATE +AVAILABLE +AGE +IMAGES$/m);
  expect(list.text).toMatch(/^web +2\/2 +2 +2 +\S+ +registry.example\/web:1.0$/m);

  const pods = await call('list_resources', { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=web' });
  expect(pods.text).toContain('2 shown');
  expect(pods.text.match(/ 1\/1 +Running +0 +kwok-node-/g)).toHaveLength(2);

  const limited = await call('list_resources', { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=web', limit: 1 });
  expect(limited.text).toContain('1 shown');
  expect(limited.text).toContain('[more objects exist');

  const yaml = await call('get_resource', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: ns });
  expect(yaml.isError).toBe(false);
  expect(yaml.text).toContain('kind: Deployment');
  expect(yaml.text).toContain('  name: web');
  expect(yaml.text).toContain('image: registry.example/web:1.0');
  expect(yaml.text).not.toContain('managedFields');
  expect(yaml.text).toContain('value: "[redacted]"');

  const status = await call('rollout_status', { kind: 'Deployment', name: 'web', namespace: ns });
  expect(status.text).toContain(`Deployment ${ns}/web: rollout complete`);
  expect(status.text).toContain('Pods: all 2 running and ready');

  // The same findings as data.
  expect(d.data).toMatchObject({ kind: 'Deployment', name: 'web', namespace: ns, replicas: { desired: 2, updated: 2, ready: 2, available: 2 }, revision: '1', paused: false, podsTotal: 2 });
  expect(d.data!.containers).toEqual([{ name: 'app', image: 'registry.example/web:1.0', requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } }]);
  expect((d.data!.replicaSets as Array<{ current: boolean; revision: number }>)[0]).toMatchObject({ current: true, revision: 1 });
  expect((d.data!.pods as Array<{ status: string; ready: number; total: number }>).map((p) => [p.status, p.ready, p.total])).toEqual([['Running', 1, 1], ['Running', 1, 1]]);
  expect((d.data!.conditions as Array<{ type: string; status: string }>).find((c) => c.type === 'Available')?.status).toBe('True');
  expect(JSON.stringify(d.data)).not.toContain(LITERAL_PASSWORD);
  expect((pods.data!.items as Array<{ pod?: { status: string } }>).map((i) => i.pod?.status)).toEqual(['Running', 'Running']);
  expect(limited.data).toMatchObject({ more: true });
  expect(yaml.data).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: ns, object: { kind: 'Deployment', metadata: { name: 'web' } } });
  expect(status.data).toMatchObject({ kind: 'Deployment', state: 'complete', replicas: { desired: 2, available: 2 }, podsNotReady: [], podsTotal: 2 });
});

test('tolerant arguments: kinds as kubectl spells them, no apiVersion for built-in kinds, unknown arguments noted', async () => {
  // A weak model's first call: kind "node" (lower case), no apiVersion.
  const node = await call('get_resource', { kind: 'node', name: 'kwok-node-0' });
  expect(node.isError).toBe(false);
  expect(node.text).toContain('# Node kwok-node-0 (v1)');
  expect(node.text).toContain('[note: kind "node" read as Node]');
  expect(node.data).toMatchObject({ apiVersion: 'v1', kind: 'Node', name: 'kwok-node-0' });

  const nodes = await call('list_resources', { kind: 'no' });
  expect(nodes.text).toMatch(/^Node \(v1\) in all namespaces: \d+ shown$/m);
  expect((nodes.data!.items as Array<{ node?: { status: string } }>).some((i) => i.node?.status === 'Ready')).toBe(true);

  const po = await call('list_resources', { kind: 'po', namespace: ns, labelSelector: 'app=web' });
  expect(po.isError).toBe(false);
  expect(po.text).toMatch(/^Pod \(v1\) in namespace \S+ matching labels app=web: \d+ shown$/m);
  expect(po.data).toMatchObject({ apiVersion: 'v1', kind: 'Pod', namespace: ns });

  for (const kind of ['deploy', 'deployments', 'Deployments', 'DEPLOYMENT', 'deployments.apps']) {
    const r = await call('get_resource', { kind, name: 'web', namespace: ns });
    expect([kind, r.isError, r.data?.kind, r.data?.apiVersion]).toEqual([kind, false, 'Deployment', 'apps/v1']);
  }
  // apiVersion v1 does not serve Deployment: the right one is used, and the caller is told.
  const wrongVersion = await call('get_resource', { apiVersion: 'v1', kind: 'deploy', name: 'web', namespace: ns });
  expect(wrongVersion.text).toContain('[note: apiVersion v1 does not serve Deployment; used apps/v1]');
  expect(wrongVersion.isError).toBe(false);

  const rollout = await call('rollout_status', { kind: 'deployment', name: 'web', namespace: ns });
  expect(rollout.isError).toBe(false);
  expect(rollout.text).toContain(`Deployment ${ns}/web: rollout`);
  expect(rollout.data).toMatchObject({ kind: 'Deployment' });

  const events = await call('get_events', { namespace: ns, involvedObjectKind: 'deploy', involvedObjectName: 'web' });
  expect(events.text).toContain('[note: involvedObjectKind "deploy" read as Deployment]');
  expect(events.text).toContain('object Deployment/web');

  // Unknown arguments are ignored, and the result says so and what the tool takes.
  const extra = await call('describe_deployment', { name: 'web', namespace: ns, verbose: true, output: 'yaml' });
  expect(extra.isError).toBe(false);
  expect(extra.text.split('\n')[0]).toBe('[note: ignored unknown arguments verbose, output; this tool takes: name, namespace]');
  expect(extra.text).toContain(`Deployment: ${ns}/web`);
  expect(extra.data!.notes).toEqual(['ignored unknown arguments verbose, output; this tool takes: name, namespace']);

  // Argument names as a model may write them.
  const aliased = await call('describe_pod', { pod: (await podsOf('web'))[0].metadata!.name!, Namespace: ns });
  expect(aliased.isError).toBe(false);
  expect(aliased.text).toContain('[note: read pod as name]');
  const logs = await call('get_pod_logs', { name: 'no-such-pod', namespace: ns, tail_lines: '20', previous: 'false' });
  expect(logs.text).toMatch(/^not found: pod no-such-pod/);
  expect(logs.text).toContain('[note: read tail_lines as tailLines]');

  // What cannot be read is answered with what to send instead.
  const frob = await call('get_resource', { kind: 'Frobnicator', name: 'x', namespace: ns });
  expect(frob.isError).toBe(true);
  expect(frob.text).toMatch(/^invalid arguments for get_resource: unknown kind "Frobnicator": without apiVersion, kind must be one of the built-in kinds/);
  expect(frob.text).toContain('Pod (po)');
  expect(frob.text).toContain('Deployment (deploy)');
  expect(frob.text).toContain('For a custom resource (CRD) give its apiVersion and Kind');
  expect(frob.text).toContain('Send instead, e.g.: {"kind":"HorizontalPodAutoscaler","name":"web","namespace":"shop"}');
  const badKind = await call('rollout_status', { kind: 'Pod', name: 'web', namespace: ns });
  expect(badKind.isError).toBe(true);
  expect(badKind.text).toMatch(/^invalid arguments for rollout_status: kind must be one of Deployment, StatefulSet, DaemonSet/);
  const missing = await call('describe_pod', { namespace: ns });
  expect(missing.text).toMatch(/^invalid arguments for describe_pod: name is required: Name of the pod\n/);
  expect(missing.text).toContain('describe_pod takes: name (string, required), namespace (string, required).');
});

test('crashloop pod: describe_pod with last termination and events, get_events, get_pod_logs', async () => {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'crashy', labels: { app: 'crashy', 'alertagent.test/scenario': 'oomkilled' } },
      spec: { containers: [{ name: 'app', image: 'registry.example/crashy:2.0', resources: { limits: { memory: '64Mi' } } }] },
    },
  });
  await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'crashy', namespace: ns });
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  }, 60000);

  const d = await eventually(async () => {
    const r = await call('describe_pod', { name: 'crashy', namespace: ns });
    return r.text.includes('BackOff') ? r : undefined;
  }, 30000);
  expect(d.isError).toBe(false);
  expect(d.text).toContain(`Pod: ${ns}/crashy`);
  expect(d.text).toMatch(/Status: CrashLoopBackOff {3}Phase: Running {3}Ready: 0\/1 {3}Restarts: [1-9]/);
  expect(d.text).toMatch(/Node: kwok-node-\d/);
  expect(d.text).toContain('State: Waiting: CrashLoopBackOff');
  expect(d.text).toMatch(/Last state: Terminated: OOMKilled, exit code 137/);
  // The API server defaults requests to the limits when only limits are given.
  expect(d.text).toContain('Resources: requests: memory=64Mi; limits: memory=64Mi');
  expect(d.text).toMatch(/Ready=False — ContainersNotReady/);
  expect(d.text).toMatch(/Events \(newest first, \d+ of \d+\):\n(.*\n)* {2}\S+ ago {2}Warning {2}BackOff( \(x\d+\))?: Back-off restarting failed container/);

  const ev = await call('get_events', { namespace: ns, involvedObjectName: 'crashy', involvedObjectKind: 'Pod' });
  expect(ev.isError).toBe(false);
  expect(ev.text).toMatch(/^AGE +TYPE +REASON +COUNT +OBJECT +MESSAGE$/m);
  expect(ev.text).toMatch(/Warning +BackOff +\d+ +Pod\/crashy +Back-off restarting failed container/);
  expect(ev.text).not.toContain('Pod/web-');
  const warnings = await call('get_events', { namespace: ns, type: 'Warning', limit: 5 });
  expect(warnings.text).not.toMatch(/ Normal /);

  // kwok pods have no kubelet behind them: whatever the API server answers, the tool says so clearly.
  for (const previous of [true, false]) {
    const logs = await call('get_pod_logs', { name: 'crashy', namespace: ns, previous, tailLines: 20 });
    if (logs.isError) expect(logs.text).toMatch(/^(logs unavailable: the API server could not fetch logs for app from the kubelet on node kwok-node-\d|invalid argument: |no logs: )/);
    else expect(logs.text).toMatch(/^Logs of pod /);
  }

  // A container that never restarted has no previous logs; we say so without asking the kubelet.
  const [webPod] = await podsOf('web');
  const noPrev = await call('get_pod_logs', { name: webPod.metadata!.name!, namespace: ns, previous: true });
  expect(noPrev.isError).toBe(true);
  expect(noPrev.text).toMatch(/^no previous container: container app in pod web-\S+ has not restarted \(restart count 0\)/);

  const noContainer = await call('get_pod_logs', { name: 'crashy', namespace: ns, container: 'sidecar' });
  expect(noContainer).toEqual({ isError: true, text: 'not found: container sidecar in pod crashy (containers: app)' });
  // The same findings as data.
  expect(d.data).toMatchObject({ name: 'crashy', namespace: ns, status: 'CrashLoopBackOff', phase: 'Running', ready: 0, total: 1 });
  expect(d.data!.owner).toBeUndefined();
  const app = (d.data!.containers as Array<Record<string, unknown>>)[0];
  expect(app).toMatchObject({ name: 'app', init: false, ready: false, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137 }, limits: { memory: '64Mi' } });
  expect((d.data!.events as Array<{ reason: string; type: string }>).some((e) => e.reason === 'BackOff' && e.type === 'Warning')).toBe(true);
  expect((ev.data!.events as Array<{ object?: string }>).every((e) => e.object === 'Pod/crashy')).toBe(true);
});

test('describe_statefulset, describe_daemonset, describe_job, describe_pvc, describe_node', async () => {
  const podSpec = (app: string) => ({
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'main', image: `registry.example/${app}:1` }] },
  });
  await apps.createNamespacedStatefulSet({
    namespace: ns,
    body: { metadata: { name: 'db' }, spec: { serviceName: 'db', replicas: 1, selector: { matchLabels: { app: 'db' } }, template: podSpec('db') } },
  });
  await apps.createNamespacedDaemonSet({
    namespace: ns,
    body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: podSpec('agent') } },
  });
  await batch.createNamespacedJob({
    namespace: ns,
    body: { metadata: { name: 'migrate' }, spec: { backoffLimit: 2, template: { ...podSpec('migrate'), spec: { ...podSpec('migrate').spec, restartPolicy: 'Never' } } } },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace: ns,
    body: {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'no-such-class', resources: { requests: { storage: '1Gi' } } },
    },
  });

  const sts = await eventually(async () => {
    const r = await call('describe_statefulset', { name: 'db', namespace: ns });
    return r.text.includes('ready 1') ? r : undefined;
  }, 60000);
  expect(sts.text).toContain(`StatefulSet: ${ns}/db`);
  expect(sts.text).toMatch(/Replicas: desired 1 \| current \d \| updated \d \| ready 1/);
  expect(sts.text).toMatch(/Pods \(1\):\n {2}db-0 {2}status=Running/);

  const ds = await eventually(async () => {
    const r = await call('describe_daemonset', { name: 'agent', namespace: ns });
    return /Nodes: desired [1-9]\d* \| current \d+ \| updated \d+ \| ready [1-9]/.test(r.text) ? r : undefined;
  }, 60000);
  expect(ds.text).toContain(`DaemonSet: ${ns}/agent`);
  expect(ds.text).toMatch(/Pods \(\d+\):\n {2}agent-/);

  const job = await eventually(async () => {
    const r = await call('describe_job', { name: 'migrate', namespace: ns });
    return r.text.includes('Complete=True') ? r : undefined;
  }, 60000);
  expect(job.text).toContain(`Job: ${ns}/migrate`);
  expect(job.text).toContain('Completions: 1/1 succeeded');
  expect(job.text).toContain('Backoff limit: 2');
  expect(job.text).toMatch(/Pods \(1\):\n {2}migrate-\S+ {2}status=Completed/);

  const pvc = await call('describe_pvc', { name: 'data', namespace: ns });
  expect(pvc.isError).toBe(false);
  expect(pvc.text).toContain(`PersistentVolumeClaim: ${ns}/data`);
  expect(pvc.text).toContain('Status: Pending   Volume: <none>   StorageClass: no-such-class');
  expect(pvc.text).toContain('Requested: 1Gi   Capacity: <none>   Access modes: ReadWriteOnce');
  expect(pvc.text).toContain('Used by: <no pods>');

  const node = await call('describe_node', { name: 'kwok-node-0' });
  expect(node.isError).toBe(false);
  expect(node.text).toContain('Node: kwok-node-0');
  expect(node.text).toMatch(/Status: Ready(,SchedulingDisabled)? {3}Unschedulable: (false|true)/);
  expect(node.text).toContain('Allocatable: cpu=4');
  expect(node.text).toMatch(/Ready=True/);
  expect(node.text).toMatch(/Pods: \d+ non-terminated \(allocatable 110\)/);
  expect(node.text).toMatch(/Allocated: cpu requests \d+m \(\d+%\)/);
});

test('top_pods and top_nodes say that the metrics API is not installed', async () => {
  for (const tool of ['top_pods', 'top_nodes']) {
    const r = await call(tool, tool === 'top_pods' ? { namespace: ns } : {});
    expect(r.isError).toBe(true);
    expect(r.text).toContain('metrics API (metrics-server) is not installed in this cluster');
  }
});

test('Secrets: only names, type and key names', async () => {
  const one = await call('get_resource', { apiVersion: 'v1', kind: 'Secret', name: 'db', namespace: ns });
  expect(one.isError).toBe(false);
  expect(one.text).toContain('password: <secret value hidden, 21 bytes>');
  expect((one.data?.object as { data?: Record<string, string> }).data).toEqual({ password: '<secret value hidden, 21 bytes>', username: '<secret value hidden, 3 bytes>' });
  expect(one.text).toContain('username:');
  expect(one.text).toContain('type: Opaque');

  const applied = await call('get_resource', { apiVersion: 'v1', kind: 'Secret', name: 'applied', namespace: ns });
  expect(applied.text).toContain('token:');
  expect(applied.text).not.toContain('last-applied-configuration');

  const list = await call('list_resources', { apiVersion: 'v1', kind: 'Secret', namespace: ns });
  expect(list.text).toMatch(/^db +Opaque +password,username +\S+$/m);
  expect(list.text).toMatch(/^applied +Opaque +token +\S+$/m);
});

test('errors: not found, invalid arguments, unknown kinds', async () => {
  expect(await call('describe_pod', { name: 'nope', namespace: ns })).toEqual({ isError: true, text: `not found: pod nope in namespace ${ns}` });
  expect(await call('describe_deployment', { name: 'nope', namespace: ns })).toEqual({ isError: true, text: `not found: deployment nope in namespace ${ns}` });
  expect(await call('describe_node', { name: 'no-such-node' })).toEqual({ isError: true, text: 'not found: node no-such-node' });
  const kind = await call('get_resource', { apiVersion: 'v1', kind: 'Deploymnt', name: 'web', namespace: ns });
  expect(kind.isError).toBe(true);
  expect(kind.text).toMatch(/^invalid argument: kind Deploymnt is not served under apiVersion v1; did you mean Deployment \(apps\/v1\)\?/);
  expect(kind.text).toContain('Built-in kinds need no apiVersion');
  const group = await call('get_resource', { apiVersion: 'nothing.example.com/v1', kind: 'Thing', name: 'x', namespace: ns });
  expect(group.isError).toBe(true);
  expect(group.text).toMatch(/^invalid argument: /);
  const schema = await call('scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: -1 });
  expect(schema.isError).toBe(true);
  const quantity = await call('set_resources', { kind: 'Deployment', name: 'web', namespace: ns, container: 'app', limits: { memory: '512m' } });
  expect(quantity.isError).toBe(true);
  expect(quantity.text).toMatch(/^invalid argument: limits.memory "512m" is not a memory quantity/);
  const container = await call('set_resources', { kind: 'Deployment', name: 'web', namespace: ns, container: 'nope', limits: { memory: '1Gi' } });
  expect(container).toEqual({ isError: true, text: `not found: container nope in Deployment web in namespace ${ns} (containers: app)` });
});

test('scale changes replicas', async () => {
  await readyDeployment('web', 2);
  const r = await call('scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 3 });
  expect(r).toEqual({ isError: false, text: expect.stringMatching(new RegExp(`^scaled Deployment ${ns}/web: spec.replicas 2 → 3\n`)), data: { kind: 'Deployment', name: 'web', namespace: ns, changed: true, replicas: { before: 2, after: 3 } } });
  expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(3);
  const again = await call('scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 3 });
  expect(again.text).toMatch(/^no change: Deployment .* already has spec.replicas 3/);
  await readyDeployment('web', 3);
  const sts = await call('scale', { kind: 'StatefulSet', name: 'db', namespace: ns, replicas: 0 });
  expect(sts.text).toMatch(/^scaled StatefulSet .*\/db: spec.replicas 1 → 0/);
  expect((await apps.readNamespacedStatefulSet({ name: 'db', namespace: ns })).spec?.replicas).toBe(0);
  const [rs] = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items;
  const owned = await call('scale', { kind: 'ReplicaSet', name: rs.metadata!.name!, namespace: ns, replicas: 5 });
  expect(owned.isError).toBe(true);
  expect(owned.text).toContain('is managed by Deployment web');
});

test('rollout_restart sets the restartedAt annotation', async () => {
  const r = await call('rollout_restart', { kind: 'Deployment', name: 'web', namespace: ns });
  expect(r.isError).toBe(false);
  expect(r.text).toMatch(/spec.template.metadata.annotations\["kubectl.kubernetes.io\/restartedAt"\]: <unset> → \d{4}-\d\d-\d\dT/);
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  const stamp = d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
  expect(stamp).toBeDefined();
  expect(r.text).toContain(stamp);
  const ds = await call('rollout_restart', { kind: 'DaemonSet', name: 'agent', namespace: ns });
  expect(ds.text).toMatch(/^restarted DaemonSet /);
});

test('set_resources changes limits and requests', async () => {
  const r = await call('set_resources', {
    kind: 'Deployment',
    name: 'web',
    namespace: ns,
    container: 'app',
    limits: { memory: '256Mi', cpu: '500m' },
    requests: { memory: '128Mi' },
  });
  expect(r.isError).toBe(false);
  expect(r.text).toContain('limits.memory: 128Mi → 256Mi');
  expect(r.text).toContain('limits.cpu: <unset> → 500m');
  expect(r.text).toContain('requests.memory: 64Mi → 128Mi');
  const c = (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec!.template.spec!.containers[0];
  expect(c.resources?.limits).toEqual({ memory: '256Mi', cpu: '500m' });
  expect(c.resources?.requests).toEqual({ memory: '128Mi', cpu: '50m' });
  const tooBig = await call('set_resources', { kind: 'Deployment', name: 'web', namespace: ns, container: 'app', requests: { memory: '1Gi' } });
  expect(tooBig.isError).toBe(true);
  expect(tooBig.text).toMatch(/would exceed its limit 256Mi/);
});

test('rollback_deployment restores the previous image; rollout_history shows the revisions', async () => {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: deployment('shop', 'registry.example/shop:1.0', 1, { 'kubernetes.io/change-cause': 'initial release' }),
  });
  await readyDeployment('shop', 1);
  await apps.patchNamespacedDeployment(
    {
      name: 'shop',
      namespace: ns,
      body: {
        metadata: { annotations: { 'kubernetes.io/change-cause': 'bump to 2.0' } },
        spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.example/shop:2.0' }] } } },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await eventually(async () => {
    const d = await apps.readNamespacedDeployment({ name: 'shop', namespace: ns });
    return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2' ? d : undefined;
  }, 30000);

  const history = await call('rollout_history', { name: 'shop', namespace: ns });
  expect(history.text).toMatch(/^2 \(current\) +shop-\S+ +\S+ +\S+ +app=registry.example\/shop:2.0 +bump to 2.0$/m);
  expect(history.text).toMatch(/^1 +shop-\S+ +\S+ +\S+ +app=registry.example\/shop:1.0 +initial release$/m);

  const r = await call('rollback_deployment', { name: 'shop', namespace: ns });
  expect(r.isError).toBe(false);
  expect(r.text).toMatch(/^rolled back deployment \S+\/shop from revision 2 to the pod template of revision 1/);
  expect(r.text).toContain('spec.template.spec.containers[app].image: registry.example/shop:2.0 → registry.example/shop:1.0');
  const d = await apps.readNamespacedDeployment({ name: 'shop', namespace: ns });
  expect(d.spec?.template?.spec?.containers[0].image).toBe('registry.example/shop:1.0');
  expect(d.spec?.template?.metadata?.labels?.['pod-template-hash']).toBeUndefined();
  expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toBe('initial release');

  const missing = await call('rollback_deployment', { name: 'shop', namespace: ns, toRevision: 42 });
  expect(missing.isError).toBe(true);
  expect(missing.text).toMatch(/^not found: revision 42 \(available revisions: /);
});

test('delete_pod deletes the pod and says it will be replaced', async () => {
  const [pod] = await podsOf('web');
  const name = pod.metadata!.name!;
  const r = await call('delete_pod', { name, namespace: ns, gracePeriodSeconds: 0 });
  expect(r.isError).toBe(false);
  expect(r.text).toMatch(new RegExp(`^deleted pod ${ns}/${name} \\(grace period 0s\\)`));
  expect(r.text).toMatch(/controlled by ReplicaSet web-\S+, which will create a replacement/);
  await eventually(async () => {
    try {
      const p = await core.readNamespacedPod({ name, namespace: ns });
      return p.metadata?.uid !== pod.metadata?.uid || !!p.metadata?.deletionTimestamp;
    } catch (e) {
      return (e as { code?: number }).code === 404;
    }
  }, 30000);
  const gone = await call('delete_pod', { name: 'no-such-pod', namespace: ns });
  expect(gone).toEqual({ isError: true, text: `not found: pod no-such-pod in namespace ${ns}` });
});

test('cordon_node and uncordon_node toggle unschedulable', async () => {
  // Our own Node object (tainted so that nothing is scheduled onto it), so other tests keep their nodes.
  await core.createNode({
    body: {
      metadata: { name: testNode, labels: { 'alertagent.test/owner': ns } },
      spec: { taints: [{ key: 'alertagent.test/dedicated', value: 'kubernetes-tools-test', effect: 'NoSchedule' }] },
    },
  });
  const c = await call('cordon_node', { name: testNode });
  expect(c).toEqual({ isError: false, text: expect.stringMatching(new RegExp(`^cordoned node ${testNode}: spec.unschedulable false → true`)), data: { name: testNode, changed: true, unschedulable: { before: false, after: true } } });
  expect((await core.readNode({ name: testNode })).spec?.unschedulable).toBe(true);
  expect((await call('cordon_node', { name: testNode })).text).toMatch(/^no change: node .* is already cordoned/);
  const described = await call('describe_node', { name: testNode });
  expect(described.text).toContain('Unschedulable: true');
  expect(described.text).toContain('Taints: alertagent.test/dedicated=kubernetes-tools-test:NoSchedule');
  const u = await call('uncordon_node', { name: testNode });
  expect(u.text).toMatch(new RegExp(`^uncordoned node ${testNode}: spec.unschedulable true → false`));
  expect((await core.readNode({ name: testNode })).spec?.unschedulable ?? false).toBe(false);
});

test('a ServiceAccount with read-only rights can read but gets forbidden errors for changes', async () => {
  const saName = 'reader';
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'kt-read' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets'], verbs: ['get', 'list', 'watch'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'kt-read' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kt-read' },
      subjects: [{ kind: 'ServiceAccount', name: saName, namespace: ns }],
    },
  });
  const saKc = await serviceAccountKubeConfig(ns, saName);
  const sa = await connect(saKc);

  const read = await eventually(async () => {
    const r = await sa.call('describe_deployment', { name: 'web', namespace: ns });
    return r.isError ? undefined : r;
  }, 20000);
  expect(read.text).toContain(`Deployment: ${ns}/web`);

  const scaleRes = await sa.call('scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 1 });
  expect(scaleRes.isError).toBe(true);
  expect(scaleRes.text).toMatch(new RegExp(`^forbidden: the operator's ServiceAccount may not patch deployments/scale in ${ns} \\(RBAC\\)`));
  expect(scaleRes.text).toContain('Needed rule: apiGroups ["apps"], resources ["deployments/scale"], verbs ["patch"]');

  const [pod] = await podsOf('web');
  const del = await sa.call('delete_pod', { name: pod.metadata!.name!, namespace: ns });
  expect(del.text).toMatch(new RegExp(`^forbidden: the operator's ServiceAccount may not delete pods in ${ns} \\(RBAC\\)`));

  const secret = await sa.call('get_resource', { apiVersion: 'v1', kind: 'Secret', name: 'db', namespace: ns });
  expect(secret.text).toMatch(new RegExp(`^forbidden: the operator's ServiceAccount may not get secrets in ${ns} \\(RBAC\\)`));

  const node = await sa.call('describe_node', { name: 'kwok-node-0' });
  expect(node.text).toMatch(/^forbidden: the operator's ServiceAccount may not get nodes in the cluster scope \(RBAC\)/);

  const token = saKc.getCurrentUser()?.token;
  expect(token).toBeTruthy();
  expect(outputs.join('\n')).not.toContain(token!);
});

test('no output ever contained a Secret value or a credential', () => {
  const all = outputs.join('\n');
  expect(outputs.length).toBeGreaterThan(30);
  for (const forbidden of [
    SECRET_VALUE,
    Buffer.from(SECRET_VALUE).toString('base64'),
    APPLIED_SECRET_VALUE,
    Buffer.from(APPLIED_SECRET_VALUE).toString('base64'),
    LITERAL_PASSWORD,
  ]) {
    expect(all).not.toContain(forbidden);
  }
  const user = kc.getCurrentUser();
  for (const cred of [user?.token, user?.certData, user?.keyData].filter(Boolean)) expect(all).not.toContain(cred!);
  expect(all).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY|client-key-data|certificate-authority-data/);
});

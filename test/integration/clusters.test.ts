// Many clusters (issue 24): one operator, in the shared bed (the management cluster, "mgmt"), and two
// more bare control planes it reaches through Secrets of its namespace: "b" as a Cluster API kubeconfig
// Secret (admin client certificate), "c" as an Argo CD cluster Secret (the token of the ServiceAccount
// that deploy/member-cluster-rbac.yaml creates there, read-only). A pod `web` exists only in b and c,
// each with its own missing Secret: each report must show its own cluster's pod and nothing of another.
// Then: an unknown cluster, a rotated credential, a cluster down; a cluster's own webhook token (and
// its rotation), and the metrics by cluster.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { Operator } from '../../src/operator.js';
import type { AlertIncident } from '../../src/incident/types.js';
import { PROJECT_ROOT, startControlPlane, type ControlPlane } from '../../scripts/local/controlPlane.js';
import { runBedBinary } from '../bed/shared.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, createNamespace, eventually, finished, kubeConfig, listIncidents, payload, post, startTestOperator, waitForIncident } from './harness.js';

const LONG = 240_000;

const SELECTOR_LABEL = 'alertagent.io/test-clusters';
const b64 = (s: string) => Buffer.from(s).toString('base64');

let b: ControlPlane;
let c: ControlPlane;
let NS: string;
let op: Operator;
const SHOP = `shop-${Date.now().toString(36)}`;
/** The global WEBHOOK_BEARER_TOKEN: it speaks for any cluster. */
const GLOBAL = { authorization: 'Bearer global-webhook-token-of-the-test' };
const C_TOKEN = 'c-webhook-token-0123456789abcdef';
/** Cluster c's Argo CD Secret, as first written (the token tests add a webhook-token to it). */
let cArgo: Record<string, string>;
const mgmtCore = () => kubeConfig().makeApiClient(CoreV1Api);

function coreOf(cp: ControlPlane): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

/** A pod `web` whose container waits for the Secret `secretName`, as a kubelet would report it. */
async function brokenPod(cp: ControlPlane, secretName: string): Promise<void> {
  const core = coreOf(cp);
  await core.createNamespace({ body: { metadata: { name: SHOP } } });
  await core.createNamespacedPod({
    namespace: SHOP,
    body: {
      metadata: { name: 'web' },
      spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'registry.example/app:1.0', env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: secretName, key: 'url' } } }] }] },
    },
  });
  const status = {
    status: {
      phase: 'Pending',
      containerStatuses: [{ name: 'app', image: 'registry.example/app:1.0', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: `secret "${secretName}" not found` } } }],
    },
  };
  const r = await runBedBinary('kubectl', ['--kubeconfig', cp.kubeconfigPath, 'patch', 'pod', 'web', '-n', SHOP, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  expect(r.stderr).toBe('');
}

async function putSecret(name: string, labels: Record<string, string>, stringData: Record<string, string>, namespace = NS): Promise<void> {
  const body = { metadata: { name, namespace, labels: { [SELECTOR_LABEL]: 'yes', ...labels } }, stringData };
  try {
    await mgmtCore().createNamespacedSecret({ namespace, body });
  } catch {
    await mgmtCore().replaceNamespacedSecret({ namespace, name, body });
  }
}

/** Cluster b, Cluster API style: `<cluster>-kubeconfig`, key `value`. */
const capiSecret = (kubeconfig: string) => putSecret('b-kubeconfig', { 'cluster.x-k8s.io/cluster-name': 'b' }, { value: kubeconfig });

/** The read-only member RBAC applied in a cluster, and a token of its ServiceAccount. */
async function memberToken(cp: ControlPlane): Promise<{ token: string; caData: string }> {
  const r = await runBedBinary('kubectl', ['--kubeconfig', cp.kubeconfigPath, 'apply', '-f', path.join(PROJECT_ROOT, 'deploy', 'member-cluster-rbac.yaml')]);
  expect(r.code).toBe(0);
  const kc = new KubeConfig();
  kc.loadFromFile(await cp.serviceAccountKubeconfig('alert-agent', 'alert-agent'));
  return { token: kc.getCurrentUser()!.token!, caData: kc.getCurrentCluster()!.caData! };
}

const waitingAlert = (labels: Record<string, string>) => alert({ alertname: 'KubeContainerWaiting', namespace: SHOP, pod: 'web', container: 'app', reason: 'CreateContainerConfigError', ...labels });
const fire = (cluster: string | undefined, over: Record<string, string> = {}, headers: Record<string, string> = GLOBAL) =>
  post(op.webhookUrl, payload([waitingAlert({ ...(cluster && { cluster }), ...over })]), headers);
const ofCluster = (cluster: string, marker?: string) => (i: AlertIncident) => i.spec.cluster === cluster && (marker === undefined || i.spec.labels.marker === marker);
const describeOutput = (inc: AlertIncident) => (inc.status?.steps ?? []).filter((s) => s.tool === 'describe_pod').map((s) => `${s.result?.output ?? ''}${s.result?.error ?? ''}`).join('\n');

beforeAll(async () => {
  const bare = { controllerManager: false, scheduler: false, kwok: false, handleSignals: false };
  [b, c] = await Promise.all([startControlPlane(bare), startControlPlane(bare)]);
  NS = await createNamespace('clusters');
  await Promise.all([brokenPod(b, 'b-db'), brokenPod(c, 'c-db')]);
  await capiSecret(fs.readFileSync(b.kubeconfigPath, 'utf8'));
  const { token, caData } = await memberToken(c);
  cArgo = { name: 'c', server: c.server, config: JSON.stringify({ bearerToken: token, tlsClientConfig: { caData, insecure: false } }) };
  await putSecret('cluster-c', { 'argocd.argoproj.io/secret-type': 'cluster' }, cArgo);
  op = await startTestOperator({
    namespace: NS,
    investigator: new RulesInvestigator(),
    env: { CLUSTER_SECRET_SELECTOR: `${SELECTOR_LABEL}=yes`, LOCAL_CLUSTER_NAME: 'mgmt', POLICY_MODE: 'observe', CORRELATION: 'none', WEBHOOK_BEARER_TOKEN: GLOBAL.authorization.slice(7) },
  });
}, LONG);

afterAll(async () => {
  await op?.stop();
  await Promise.all([b?.stop(), c?.stop()]);
}, LONG);

describe('one operator, three clusters', () => {
  it("investigates each alert in its own cluster and reads nothing of another's", async () => {
    for (const cluster of ['b', 'c', undefined]) expect((await fire(cluster)).status).toBe(200);
    const [incB, incC, incLocal] = await Promise.all([
      waitForIncident(NS, (i) => ofCluster('b')(i) && finished(i), 90_000),
      waitForIncident(NS, (i) => ofCluster('c')(i) && finished(i), 90_000),
      waitForIncident(NS, (i) => ofCluster('mgmt')(i) && finished(i), 90_000),
    ]);
    expect(describeOutput(incB)).toContain('b-db');
    expect(describeOutput(incB)).not.toContain('c-db');
    expect(incB.status?.rootCause).toContain('secret "b-db" not found');
    expect(describeOutput(incC)).toContain('c-db');
    expect(describeOutput(incC)).not.toContain('b-db');
    expect(incC.status?.rootCause).toContain('secret "c-db" not found');
    // The pod exists in neither cluster's namespace of the management cluster: its incident found nothing there.
    await expect(mgmtCore().readNamespacedPod({ namespace: SHOP, name: 'web' })).rejects.toMatchObject({ code: 404 });
    expect(describeOutput(incLocal)).not.toMatch(/b-db|c-db/);
    for (const inc of [incB, incC]) {
      expect(inc.status?.report).toContain(`cluster ${inc.spec.cluster}`);
      expect(inc.status?.conditions?.find((x) => x.type === 'ClusterReachable')?.status).toBe('True');
    }
    // observe mode: nothing was changed anywhere
    expect([incB, incC, incLocal].flatMap((i) => i.status?.steps ?? []).filter((s) => s.mutating)).toEqual([]);
  }, LONG);

  it("takes an unlabelled alert's cluster from the sender's per-cluster path", async () => {
    const url = op.webhookUrl.replace(/\/api\/v1\/alerts$/, '/api/v1/alerts/clusters/b');
    expect((await post(url, payload([waitingAlert({ marker: 'by-path' })]), GLOBAL)).status).toBe(200);
    const inc = await waitForIncident(NS, (i) => ofCluster('b', 'by-path')(i) && finished(i), 60_000);
    expect(inc.spec.labels.cluster).toBeUndefined();
    expect(inc.status?.rootCause).toContain('secret "b-db" not found');
  }, LONG);

  it('ends the incident of a cluster it has no credentials for, with nothing called', async () => {
    expect((await fire('nowhere')).status).toBe(200);
    const inc = await waitForIncident(NS, (i) => ofCluster('nowhere')(i) && finished(i), 30_000);
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', clusterProblem: { reason: 'UnknownCluster' } });
    expect(inc.status?.steps ?? []).toEqual([]);
    expect(inc.status?.conditions?.find((x) => x.type === 'ClusterKnown')).toMatchObject({ status: 'False', reason: 'UnknownCluster' });
    expect(inc.status?.report).toContain('nowhere-kubeconfig');
  }, LONG);

  it('picks up a rotated credential without a restart', async () => {
    // Rotated to a credential the API server refuses: the incident waits, saying so.
    const bad = fs.readFileSync(b.kubeconfigPath, 'utf8').replace(/client-certificate-data: .*\n\s*client-key-data: .*/, 'token: not-a-valid-token');
    expect(bad).toContain('not-a-valid-token');
    await capiSecret(bad);
    await new Promise((r) => setTimeout(r, 1500)); // the watch delivers the new Secret
    expect((await fire('b', { marker: 'rotated' })).status).toBe(200);
    const waiting = await waitForIncident(NS, (i) => ofCluster('b', 'rotated')(i) && i.status?.clusterProblem?.reason === 'ClusterUnreachable', 30_000);
    expect(waiting.status?.clusterProblem?.message).toContain('401');
    expect(waiting.status?.conditions?.find((x) => x.type === 'ClusterReachable')?.status).toBe('False');
    // Rotated again, to the read-only member credential: the same incident goes on and finishes.
    const { token } = await memberToken(b);
    const good = fs.readFileSync(b.kubeconfigPath, 'utf8').replace(/client-certificate-data: .*\n\s*client-key-data: .*/, `token: ${token}`);
    await capiSecret(good);
    const done = await waitForIncident(NS, (i) => ofCluster('b', 'rotated')(i) && finished(i), 90_000);
    expect(done.status?.clusterProblem).toBeUndefined();
    expect(describeOutput(done)).toContain('b-db');
    expect(done.status?.conditions?.find((x) => x.type === 'ClusterReachable')?.status).toBe('True');
  }, LONG);

  it('lets the incidents of a cluster that is down wait, and the others go on', async () => {
    await c.stopApiserver();
    try {
      expect((await fire('c', { marker: 'down' })).status).toBe(200);
      expect((await fire('b', { marker: 'while-c-down' })).status).toBe(200);
      const waiting = await waitForIncident(NS, (i) => ofCluster('c', 'down')(i) && i.status?.clusterProblem?.reason === 'ClusterUnreachable', 30_000);
      expect(finished(waiting)).toBe(false);
      await waitForIncident(NS, (i) => ofCluster('b', 'while-c-down')(i) && finished(i), 60_000);
      expect((await listIncidents(NS)).find(ofCluster('c', 'down'))?.status?.phase).not.toBe('Reported');
    } finally {
      await c.startApiserver();
    }
    const done = await waitForIncident(NS, (i) => ofCluster('c', 'down')(i) && finished(i), 120_000);
    expect(describeOutput(done)).toContain('c-db');
  }, LONG);
});

describe("a cluster's own webhook token, and the metrics by cluster", () => {
  const asC = { authorization: `Bearer ${C_TOKEN}` };
  const withMarker = async (marker: string) => (await listIncidents(NS)).filter((i) => i.spec.labels.marker === marker);
  beforeAll(async () => {
    await putSecret('cluster-c', { 'argocd.argoproj.io/secret-type': 'cluster' }, { ...cArgo, 'webhook-token': C_TOKEN });
  }, LONG);

  it("makes its AlertManager that cluster's, and refuses its alerts for another cluster", async () => {
    // The watch delivers the Secret: until then the token is no one's (401).
    await eventually(async () => (await fire(undefined, { marker: 'token-c' }, asC)).status === 200 || undefined, 15_000, 250);
    const inc = await waitForIncident(NS, (i) => i.spec.labels.marker === 'token-c', 10_000);
    expect(inc.spec.cluster).toBe('c');
    expect((await fire('c', { marker: 'token-c-labelled' }, asC)).status).toBe(200);
    // Labelled for b: refused whole, the alert for c beside it too; the same on b's path.
    const mixed = await post(op.webhookUrl, payload([waitingAlert({ cluster: 'c', marker: 'token-c-mixed' }), waitingAlert({ cluster: 'b', marker: 'token-c-mixed' })]), asC);
    expect(mixed).toEqual({ status: 403, body: { error: expect.stringMatching(/alert 1 names cluster "b" but the bearer token is cluster "c"'s/) } });
    const byPath = await post(op.webhookUrl.replace(/\/api\/v1\/alerts$/, '/api/v1/alerts/clusters/b'), payload([waitingAlert({ marker: 'token-c-path-b' })]), asC);
    expect(byPath.status).toBe(403);
    expect(byPath.body.error).toContain('cluster "c"\'s, not "b"\'s');
    // The global token still speaks for any cluster; a wrong token is refused.
    expect((await fire('b', { marker: 'global-b' })).status).toBe(200);
    expect((await fire('b', { marker: 'wrong-token' }, { authorization: 'Bearer not-a-token-anyone-has' })).status).toBe(401);
    await waitForIncident(NS, (i) => i.spec.labels.marker === 'global-b', 10_000);
    expect(await withMarker('token-c-mixed')).toEqual([]);
    expect(await withMarker('token-c-path-b')).toEqual([]);
    expect(await withMarker('wrong-token')).toEqual([]);
  }, LONG);

  it('takes a rotated token without a restart, and no longer the old one', async () => {
    await putSecret('cluster-c', { 'argocd.argoproj.io/secret-type': 'cluster' }, { ...cArgo, 'webhook-token': `${C_TOKEN}-rotated` });
    await eventually(async () => (await fire(undefined, { marker: 'rotated-token' }, { authorization: `Bearer ${C_TOKEN}-rotated` })).status === 200 || undefined, 15_000, 250);
    expect((await waitForIncident(NS, (i) => i.spec.labels.marker === 'rotated-token', 10_000)).spec.cluster).toBe('c');
    expect((await fire(undefined, { marker: 'old-token' }, asC)).status).toBe(401);
  }, LONG);

  it('labels the incident metrics with known clusters only', async () => {
    const text = await (await fetch(op.metricsUrl)).text();
    for (const cluster of ['b', 'c', 'mgmt', 'unknown']) expect(text).toContain(`alertagent_alerts_stored_total{result="created",cluster="${cluster}"}`);
    expect(text).toMatch(/alertagent_reconcile_total\{result="step",cluster="b"\} [1-9]/);
    expect(text).toMatch(/alertagent_reconcile_duration_seconds_count\{cluster="c"\} [1-9]/);
    expect(text).not.toContain('cluster="nowhere"'); // the alert's own cluster name, not a known one
  }, LONG);
});

// Runs last: it deletes c's pod. Both b and c are reached with admin credentials here, so only the
// incident's cluster stops the action from landing in the other.
describe('a model that asks to act in another cluster', () => {
  let llm: ScriptedLlm;
  let op2: Operator;
  let NS2: string;
  beforeAll(async () => {
    NS2 = await createNamespace('clusters-hostile');
    for (const [name, cp] of [['b', b], ['c', c]] as const) await putSecret(`${name}-kubeconfig`, { 'cluster.x-k8s.io/cluster-name': name }, { value: fs.readFileSync(cp.kubeconfigPath, 'utf8') }, NS2);
    llm = await startScriptedLlm();
    const hostile: Reply[] = [
      { toolCalls: [{ name: 'kubernetes__delete_pod', arguments: { name: 'web', namespace: SHOP, cluster: 'b', context: 'b', kubeconfig: '/var/run/secrets/b' } }] },
      { toolCalls: [{ name: 'resolve_incident', arguments: { summary: 'deleted the pod', root_cause: 'missing secret' } }] },
    ];
    llm.setResponder((body) => {
      if (String(body.messages?.at(-1)?.content ?? '').includes('The investigation is over')) return { content: '## Summary\n\nScripted.' };
      const tools = (body.messages ?? []).filter((m: { role: string }) => m.role === 'tool').length;
      return hostile[Math.min(tools, hostile.length - 1)];
    });
    op2 = await startTestOperator({
      namespace: NS2,
      env: {
        CLUSTER_SECRET_SELECTOR: `${SELECTOR_LABEL}=yes`,
        LOCAL_CLUSTER_NAME: 'mgmt',
        OPENAI_BASE_URL: llm.baseURL,
        OPENAI_API_KEY: 'test-key',
        POLICY_MODE: 'auto',
        POLICY_ALLOWED_TOOLS: 'kubernetes__delete_pod',
        POLICY_AUTO_DELETE_UNOWNED_PODS: 'true',
        CORRELATION: 'none',
        MAX_STEPS: '6',
        VERIFY_TIMEOUT: '0', // the pod never goes: no kubelet finishes its deletion
      },
    });
  }, LONG);
  afterAll(async () => {
    await op2?.stop();
    await llm?.stop();
  }, LONG);

  it("acts only in the incident's cluster, whatever cluster the model names", async () => {
    expect((await post(op2.webhookUrl, payload([alert({ alertname: 'KubeContainerWaiting', namespace: SHOP, pod: 'web', container: 'app', cluster: 'c' })]))).status).toBe(200);
    const inc = await waitForIncident(NS2, (i) => i.spec.cluster === 'c' && finished(i), 120_000);
    const del = (inc.status?.steps ?? []).find((s) => s.tool === 'delete_pod');
    expect(del?.state).toBe('Succeeded');
    // c's pod is being deleted (no kubelet on a bare control plane finishes it); b's, named by the model, is untouched.
    expect((await coreOf(c).readNamespacedPod({ namespace: SHOP, name: 'web' })).metadata?.deletionTimestamp).toBeDefined();
    expect((await coreOf(b).readNamespacedPod({ namespace: SHOP, name: 'web' })).metadata?.deletionTimestamp).toBeUndefined();
    await expect(mgmtCore().readNamespacedPod({ namespace: SHOP, name: 'web' })).rejects.toMatchObject({ code: 404 });
  }, LONG);
});

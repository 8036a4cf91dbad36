// The rule-based analyzer on the real test bed: broken states made by kwok stages, the scheduler and a
// hand-made NotReady node; alerts posted to the operator's webhook; the operator (with the built-in
// Kubernetes tools) investigates with RulesInvestigator; the report must name the cause and the evidence.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StepResult } from '../../src/analyzer/evidence.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { readOutput, type ToolName } from '../../src/contracts/toolData.js';
import type { AlertIncident } from '../../src/incident/types.js';
import type { Operator } from '../../src/operator.js';
import { alert, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
let ns: string;
let op: Operator;
const badNode = `anz-bad-node-${Date.now().toString(36)}`;
const NOT_READY_MESSAGE = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

const pod = (name: string, scenario: string | undefined, spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name, labels: { app: name, ...(scenario ? { 'alertagent.test/scenario': scenario } : {}) } },
  spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } }], ...spec },
});

async function waitPod(name: string, pred: (p: V1Pod) => boolean): Promise<V1Pod> {
  return eventually(async () => {
    const p = await core.readNamespacedPod({ name, namespace: ns });
    return pred(p) ? p : undefined;
  }, 60_000);
}

async function fire(labels: Record<string, string>, annotations: Record<string, string> = { summary: 'test alert' }): Promise<void> {
  const r = await post(op.webhookUrl, payload([alert(labels, { annotations })]));
  expect(r.status).toBeLessThan(300);
}

async function reported(alertname: string): Promise<AlertIncident> {
  const inc = await waitForIncident(ns, (i) => i.spec.alertname === alertname && finished(i), 90_000);
  expect(inc.status?.phase).toBe('Reported');
  expect(inc.status?.investigator).toBe('rules');
  // The analyzer reads the built-in tools' structured results, which each step keeps as data (JSON).
  for (const s of inc.status?.steps ?? []) {
    if (s.action !== 'callTool' || s.state !== 'Succeeded' || s.server !== 'kubernetes') continue;
    const data = (s.result as StepResult | undefined)?.data;
    expect([s.tool, typeof data]).toEqual([s.tool, 'string']);
    expect([s.tool, readOutput(s.tool as ToolName, JSON.parse(data as string)) !== undefined]).toEqual([s.tool, true]);
  }
  const dir = process.env.ANALYZER_REPORT_DIR;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${alertname}.md`), inc.status?.report ?? '');
  }
  return inc;
}

const tools = (inc: AlertIncident) => (inc.status?.steps ?? []).filter((s) => s.action === 'callTool').map((s) => `${s.tool}:${s.state}`);

beforeAll(async () => {
  ns = await createNamespace('anz');
  op = await startTestOperator({
    namespace: ns,
    investigator: new RulesInvestigator({ runbooks: { KubePodCrashLooping: 'Read the previous log first; roll back if the crash started with a release.' } }),
    env: { POLICY_MODE: 'observe' },
  });

  // Broken states, all at once: kwok plays the kubelet, the real scheduler refuses the big pod.
  await core.createNamespacedPod({ namespace: ns, body: pod('web-crash', 'crashloop') });
  await core.createNamespacedPod({ namespace: ns, body: pod('web-unready', 'notready', { containers: [{ name: 'app', image: 'registry.example/app:1.0', readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }] }) });
  await core.createNamespacedPod({ namespace: ns, body: pod('web-nopull', 'imagepull', { containers: [{ name: 'app', image: 'registry.example/app:9.9-missing' }] }) });
  await core.createNamespacedPod({ namespace: ns, body: pod('web-toobig', undefined, { containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { cpu: '64', memory: '1Ti' } } }] }) });
  const deployment = (name: string, scenario: string, replicas: number) => ({
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, 'alertagent.test/scenario': scenario } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
      },
    },
  });
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('api', 'oomkilled', 1) });
  await apps.createNamespacedDeployment({ namespace: ns, body: deployment('shop', 'crashloop', 2) });

  // A node no kwok manages, reporting NotReady through its status subresource.
  await core.createNode({
    body: {
      metadata: { name: badNode, labels: { 'kubernetes.io/hostname': badNode, 'alertagent.test/analyzer': 'true' } },
      spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
    },
  });
  const now = new Date().toISOString();
  const patch = {
    status: {
      conditions: [
        { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: NOT_READY_MESSAGE, lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
    },
  };
  const r = await kubectl(['patch', 'node', badNode, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch)]);
  if (r.code !== 0) throw new Error(`patch node status: ${r.stderr}`);

  await waitPod('web-crash', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
  await waitPod('web-unready', (p) => p.status?.phase === 'Running' && p.status?.containerStatuses?.[0]?.ready === false);
  await waitPod('web-nopull', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
  await waitPod('web-toobig', (p) => !!p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'));
  await eventually(async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' });
    return list.items.find((p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
  }, 60_000);
  await eventually(async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=shop' });
    return list.items.filter((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff').length === 2;
  }, 60_000);
}, 180_000);

afterAll(async () => {
  await op?.stop();
  await core.deleteNode({ name: badNode }).catch(() => undefined);
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('the rule-based analyzer on the test bed', () => {
  it('KubePodCrashLooping: names CrashLoopBackOff and the exit code, quotes the pod status and the runbook', async () => {
    await fire({ alertname: 'KubePodCrashLooping', namespace: ns, pod: 'web-crash', container: 'app' }, { summary: 'crash looping', runbook_url: 'https://runbooks.example/KubePodCrashLooping' });
    const inc = await reported('KubePodCrashLooping');
    expect(inc.status?.outcome).toBe('NeedsManualIntervention');
    expect(tools(inc).slice(0, 2)).toEqual(['describe_pod:Succeeded', 'get_events:Succeeded']);
    expect(tools(inc)).toContain('get_pod_logs:Failed'); // kwok has no kubelet to serve logs
    expect(inc.status?.rootCause).toContain('CrashLoopBackOff');
    expect(inc.status?.rootCause).toContain('exit code 1');
    const md = inc.status!.report!;
    for (const s of ['## Summary', '## Root cause', '## Evidence', '## Recommendations', '## Runbook', '## Timeline']) expect(md).toContain(s);
    expect(md).toContain('Last state: Terminated: Error, exit code 1');
    expect(md).toContain('https://runbooks.example/KubePodCrashLooping');
    expect(md).toContain('> Read the previous log first');
    expect(md).toMatch(/could not be read: .*logs/);
  });

  it('OOMKilled container: names OOMKilled, exit code 137 and the 128Mi limit; the set_resources fix is recorded as not run (observe)', async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' });
    const name = list.items[0].metadata!.name!;
    await fire({ alertname: 'KubeContainerOOMKilled', namespace: ns, pod: name, container: 'app' });
    const inc = await reported('KubeContainerOOMKilled');
    expect(inc.status?.rootCause).toContain('OOMKilled (exit code 137)');
    expect(inc.status?.rootCause).toContain('memory limit of 128Mi');
    const fix = inc.status!.steps!.find((s) => s.tool === 'set_resources')!;
    expect(fix).toMatchObject({ state: 'Blocked', mutating: true });
    expect(JSON.parse(fix.arguments!)).toEqual({ kind: 'Deployment', name: 'api', namespace: ns, container: 'app', limits: { memory: '256Mi' } });
    const md = inc.status!.report!;
    expect(md).toContain('limits: memory=128Mi');
    expect(md).toContain('## Recommended actions not taken');
    expect(md).toContain(`kubectl set resources deployment/api -n ${ns} -c app --limits=memory=256Mi`);
  });

  it('KubePodNotReady: names the failing readiness probe, its endpoint and the Unhealthy message', async () => {
    await fire({ alertname: 'KubePodNotReady', namespace: ns, pod: 'web-unready' });
    const inc = await reported('KubePodNotReady');
    expect(inc.status?.rootCause).toContain('readiness probe');
    expect(inc.status?.rootCause).toContain('http-get /ready port 8080');
    expect(inc.status?.rootCause).toContain('statuscode: 503');
    expect(inc.status!.report).toContain('Readiness probe failed: HTTP probe failed with statuscode: 503');
  });

  it('KubeContainerWaiting: ImagePullBackOff with the image that does not exist', async () => {
    await fire({ alertname: 'KubeContainerWaiting', namespace: ns, pod: 'web-nopull', container: 'app', reason: 'ImagePullBackOff' });
    const inc = await reported('KubeContainerWaiting');
    expect(inc.status?.rootCause).toContain('ImagePullBackOff');
    expect(inc.status?.rootCause).toContain('registry.example/app:9.9-missing');
    expect(inc.status?.rootCause).toContain('does not exist in its registry');
    expect(tools(inc)).not.toContain('get_pod_logs:Failed');
  });

  it('a Pending pod (KubePodPending): quotes FailedScheduling and the Insufficient resources', async () => {
    await fire({ alertname: 'KubePodPending', namespace: ns, pod: 'web-toobig' });
    const inc = await reported('KubePodPending');
    expect(inc.status?.rootCause).toContain('FailedScheduling');
    expect(inc.status?.rootCause).toMatch(/Insufficient (cpu|memory)/);
    expect(inc.status!.report).toContain('cpu=64, memory=1Ti');
  });

  it('KubeDeploymentReplicasMismatch: 0 of 2 available, the worst pod crash-loops', async () => {
    await fire({ alertname: 'KubeDeploymentReplicasMismatch', namespace: ns, deployment: 'shop' });
    const inc = await reported('KubeDeploymentReplicasMismatch');
    expect(tools(inc).slice(0, 4)).toEqual(['describe_deployment:Succeeded', 'rollout_status:Succeeded', 'get_events:Succeeded', 'describe_pod:Succeeded']);
    expect(inc.status?.rootCause).toContain(`deployment ${ns}/shop has 0 of 2 replicas available`);
    expect(inc.status?.rootCause).toContain('CrashLoopBackOff');
    expect(inc.status!.report).toMatch(/Replicas: desired 2 \| updated 2 \| ready 0/);
  });

  it('KubeNodeNotReady: quotes the Ready condition of a NotReady node', async () => {
    await fire({ alertname: 'KubeNodeNotReady', node: badNode });
    const inc = await reported('KubeNodeNotReady');
    expect(inc.status?.outcome).toBe('NeedsManualIntervention');
    // The node lifecycle controller may turn a silent node's Ready=False into Unknown after its grace period.
    expect(inc.status?.rootCause).toMatch(new RegExp(`Node ${badNode} is NotReady: Ready=(False \\(KubeletNotReady: container runtime network not ready|Unknown)`));
    expect(inc.status!.report).toContain(`kubectl drain ${badNode}`);
    expect(inc.status!.report).toMatch(/Ready=(False|Unknown)/);
  });

  it('an unknown alert: describes the labelled pod, then "no rule for alert X: needs manual intervention"', async () => {
    await fire({ alertname: 'AnalyzerTestCustomAlert', namespace: ns, pod: 'web-crash' });
    const inc = await reported('AnalyzerTestCustomAlert');
    expect(inc.status?.outcome).toBe('NeedsManualIntervention');
    expect(inc.status?.summary).toBe('No rule for alert AnalyzerTestCustomAlert: needs manual intervention');
    expect(tools(inc)[0]).toBe('describe_pod:Succeeded');
    expect(inc.status?.rootCause).toContain('CrashLoopBackOff');
  });

  it('TargetDown: the service has no ready endpoints because its pod crash-loops', async () => {
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web-metrics' }, spec: { selector: { app: 'web-crash' }, ports: [{ name: 'metrics', port: 9090 }] } } });
    await eventually(async () => {
      const r = await kubectl(['get', 'endpoints', 'web-metrics', '-n', ns, '-o', 'jsonpath={.subsets[0].notReadyAddresses[0].ip}']);
      return r.code === 0 && r.stdout.trim() !== '';
    }, 30_000);
    await fire({ alertname: 'TargetDown', namespace: ns, job: 'web-metrics', service: 'web-metrics' }, { description: `100% of the web-metrics/web-metrics targets in ${ns} namespace are down.` });
    const inc = await reported('TargetDown');
    expect(tools(inc).slice(0, 4)).toEqual(['get_resource:Succeeded', 'get_resource:Succeeded', 'list_resources:Succeeded', 'describe_pod:Succeeded']);
    expect(inc.status?.rootCause).toContain(`Service ${ns}/web-metrics are down because its pods are not ready (0 ready, 1 not ready)`);
    expect(inc.status?.rootCause).toContain('CrashLoopBackOff');
    expect(inc.status!.report).toContain('selector: app=web-crash');
  });

  it('KubePersistentVolumeFillingUp on a claim that is not even bound: names the Pending phase', async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: { metadata: { name: 'data-db-0' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'no-such-class', resources: { requests: { storage: '10Gi' } } } },
    });
    await fire({ alertname: 'KubePersistentVolumeFillingUp', namespace: ns, persistentvolumeclaim: 'data-db-0' }, { description: `The PersistentVolume claimed by data-db-0 in Namespace ${ns} is only 3% free.` });
    const inc = await reported('KubePersistentVolumeFillingUp');
    expect(tools(inc)).toEqual(['describe_pvc:Succeeded', 'get_events:Succeeded', 'get_resource:Failed']);
    expect(inc.status?.rootCause).toContain(`PersistentVolumeClaim ${ns}/data-db-0 is Pending, not Bound`);
    expect(inc.status!.report).toContain('StorageClass: no-such-class');
  });

  it('a crash-loop alert for a pod that no longer exists resolves', async () => {
    await fire({ alertname: 'KubePodCrashLooping', namespace: ns, pod: 'web-gone-123' });
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'KubePodCrashLooping' && i.spec.labels.pod === 'web-gone-123' && finished(i), 90_000);
    expect(inc.status?.outcome).toBe('Resolved');
    expect(inc.status?.rootCause).toContain('no longer exists');
  });
});

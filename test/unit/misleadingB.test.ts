// The rule-based analyzer on misleading alerts whose cause is in another object (part B): a quota another
// Deployment uses up, a node's pressure from one pod, an OOMKill from a size set in a ConfigMap, an HPA on
// memory held by a fixed JVM heap, a probe timing out under a LimitRange's CPU default, a pod Pending on its
// volume's zone. Each scenario answers the analyzer's calls with the built-in tools' structured results and
// checks that the conclusion names the cause (and proposes no fix that would only hide it).
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { StepResult } from '../../src/analyzer/evidence.js';
import { dominantHolder } from '../../src/analyzer/rules/quota.js';
import type { Container, Event, OutputOf, PodData, ToolName, WorkloadData } from '../../src/contracts/toolData.js';
import { readOutput } from '../../src/contracts/toolData.js';
import type { Decision, ToolInfo } from '../../src/contracts/investigation.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';

// ── harness ─────────────────────────────────────────────────────────────────────────────────────

const READ = ['get_resource', 'list_resources', 'describe_pod', 'describe_deployment', 'describe_statefulset', 'describe_node', 'describe_pvc', 'get_events', 'get_pod_logs', 'rollout_status', 'top_pods', 'recent_changes'];
const MUTATING = ['set_quota_hard', 'set_probe_timing', 'set_hpa_max_replicas', 'set_resources'];
// A proposal is checked against the tool's arguments: the mutating tools publish theirs.
const SCHEMAS: Record<string, { properties: Record<string, unknown>; required: string[] }> = {
  set_quota_hard: { properties: { name: {}, namespace: {}, resource: {}, value: {} }, required: ['name', 'namespace', 'resource', 'value'] },
  set_probe_timing: { properties: { kind: {}, name: {}, namespace: {}, container: {}, probe: {}, timeoutSeconds: {} }, required: ['kind', 'name', 'namespace', 'container', 'probe'] },
  set_hpa_max_replicas: { properties: { name: {}, namespace: {}, maxReplicas: {} }, required: ['name', 'namespace', 'maxReplicas'] },
  set_resources: { properties: { kind: {}, name: {}, namespace: {}, container: {}, requests: {}, limits: {} }, required: ['kind', 'name', 'namespace', 'container'] },
};
const tool = (name: string, mutating: boolean): ToolInfo => ({ name: `kubernetes__${name}`, server: 'kubernetes', tool: name, description: name, inputSchema: { type: 'object', ...(SCHEMAS[name] ?? {}) }, mutating, classifiedBy: 'test' });
const TOOLS: ToolInfo[] = [...READ.map((t) => tool(t, false)), ...MUTATING.map((t) => tool(t, true))];
const NS = 'shop';

type Answer = { data: Record<string, unknown> } | { error: string };
type Fixture = (args: Record<string, unknown>) => Answer | undefined;

const ok = <T extends ToolName>(_tool: T, data: OutputOf<T>): Answer => ({ data: data as Record<string, unknown> });

function incident(labels: Record<string, string>): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc-1', namespace: 'ops' },
    spec: { alertname: labels.alertname, fingerprint: 'fp', status: 'firing', labels, annotations: {}, startsAt: '2026-11-26T07:00:00Z' },
  } as AlertIncident;
}

/** Plays the engine until the analyzer concludes (mutations blocked, as in observe); the conclusion and the calls. */
async function run(labels: Record<string, string>, fx: Record<string, Fixture>): Promise<{ decision: Decision; calls: string[] }> {
  const inv = new RulesInvestigator({});
  const steps: Step[] = [];
  const calls: string[] = [];
  for (let i = 0; i < 30; i++) {
    const { decision } = await inv.decide({ incident: incident(labels), steps, tools: TOOLS, policyMode: 'observe' });
    if (decision.kind !== 'callTool') return { decision, calls };
    const t = TOOLS.find((x) => x.name === decision.tool)!;
    calls.push(`${t.tool} ${JSON.stringify(decision.arguments)}`);
    const base: Step = { index: steps.length + 1, time: 't', action: 'callTool', server: t.server, tool: t.tool, arguments: JSON.stringify(decision.arguments), reasoning: decision.reasoning, mutating: t.mutating };
    if (t.mutating) {
      steps.push({ ...base, state: 'Blocked', policy: { verdict: 'block', reason: 'observe' } });
      continue;
    }
    const answer = fx[t.tool]?.(decision.arguments);
    if (!answer || 'error' in answer) {
      const error = answer?.error ?? `no fixture for ${t.tool}`;
      steps.push({ ...base, state: 'Failed', result: { ok: false, output: error, error } });
      continue;
    }
    expect([t.tool, readOutput(t.tool as ToolName, answer.data) !== undefined]).toEqual([t.tool, true]);
    steps.push({ ...base, state: 'Succeeded', result: { ok: true, output: '', data: JSON.stringify(answer.data) } as StepResult });
  }
  throw new Error('no conclusion within 30 decisions');
}

function conclusion(d: Decision): string {
  if (d.kind !== 'resolve' && d.kind !== 'escalate') throw new Error(`expected a conclusion, got ${d.kind}`);
  return `${d.summary}\n${d.rootCause}`;
}

const ev = (type: string, reason: string, message: string, object?: string): Event => ({ type, reason, count: 1, message, ...(object ? { object } : {}) });
const ctr = (o: Partial<Container> & { name: string }): Container => ({ init: false, requests: {}, limits: {}, probes: {}, ...o });
const pod = (o: Partial<PodData> & { name: string; containers: Container[] }): PodData => ({
  namespace: NS,
  status: 'Running',
  phase: 'Running',
  ready: 0,
  total: o.containers.length,
  restarts: 0,
  node: 'node-1',
  conditions: [],
  volumes: [],
  secretRefs: [],
  events: [],
  eventsTotal: 0,
  ...o,
});
const events = (list: Event[]): Answer => ok('get_events', { namespace: NS, events: list, total: list.length, capped: false });
const resource = (kind: string, name: string, object: Record<string, unknown>, namespace: string | undefined = NS): Answer => ok('get_resource', { apiVersion: 'v1', kind, name, ...(namespace ? { namespace } : {}), object });
const deploy = (name: string, replicas: number, cpu: string, o: Partial<WorkloadData> = {}): WorkloadData => ({
  kind: 'Deployment',
  name,
  namespace: NS,
  replicas: { desired: replicas, updated: replicas, ready: replicas, available: replicas, total: replicas },
  conditions: [],
  containers: [{ name: 'main', requests: { cpu }, limits: {} }],
  pods: [],
  podsTotal: 0,
  events: [],
  eventsTotal: 0,
  ...o,
});

// ── scenarios ───────────────────────────────────────────────────────────────────────────────────

describe('misleading alerts, part B: the cause in another object', () => {
  const REFUSAL = 'pods "web-6c8d7f9b5-x2x9q" is forbidden: exceeded quota: compute-quota, requested: requests.cpu=500m, used: requests.cpu=7800m, limited: requests.cpu=8';
  const quotaFixtures = (others: WorkloadData[]): Record<string, Fixture> => ({
    describe_deployment: (a) =>
      a.name === 'web'
        ? ok('describe_deployment', deploy('web', 4, '500m', { replicas: { desired: 4, updated: 2, ready: 2, available: 2, unavailable: 2, total: 2 }, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: REFUSAL }] }))
        : (() => {
            const d = others.find((x) => x.name === a.name);
            return d ? ok('describe_deployment', d) : undefined;
          })(),
    get_events: () => events([ev('Warning', 'FailedCreate', `Error creating: ${REFUSAL}`, 'ReplicaSet/web-6c8d7f9b5')]),
    get_resource: (a) => (a.kind === 'ResourceQuota' ? resource('ResourceQuota', 'compute-quota', { spec: { hard: { 'requests.cpu': '8' } }, status: { hard: { 'requests.cpu': '8' }, used: { 'requests.cpu': '7800m' } } }) : undefined),
    list_resources: (a) =>
      a.kind === 'Deployment'
        ? ok('list_resources', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, more: false, items: [{ name: 'web', columns: { READY: '2/4' } }, ...others.map((d) => ({ name: d.name, columns: { READY: `${d.replicas.ready}/${d.replicas.desired}` } }))] })
        : undefined,
  });
  const MISMATCH = { alertname: 'KubeDeploymentReplicasMismatch', namespace: NS, deployment: 'web' };

  it('a quota another Deployment uses up: names it and does not propose raising the quota', async () => {
    const r = await run(MISMATCH, quotaFixtures([deploy('catalog-sync', 6, '1'), deploy('search-proxy', 2, '400m')]));
    const text = conclusion(r.decision);
    expect(text).toMatch(/exceeded quota: compute-quota/);
    expect(text).toMatch(/deployment catalog-sync holds 6 of the 8 requests\.cpu the quota allows \(75%\)/);
    expect(r.calls.some((c) => c.startsWith('describe_deployment {"name":"catalog-sync"'))).toBe(true);
    expect(r.calls.some((c) => c.startsWith('set_quota_hard'))).toBe(false);
  });

  it('a quota no single other workload dominates: the raise is still proposed', async () => {
    const r = await run(MISMATCH, quotaFixtures([deploy('catalog-sync', 3, '1'), deploy('search-proxy', 2, '400m')]));
    expect(conclusion(r.decision)).not.toMatch(/holds .* the quota allows/);
    expect(r.calls.some((c) => c.startsWith('set_quota_hard'))).toBe(true);
  });

  it('a KubeQuotaFullyUsed whose room another Deployment holds: names it and does not propose raising the quota', async () => {
    const fx = quotaFixtures([deploy('catalog-sync', 6, '1')]);
    const r = await run({ alertname: 'KubeQuotaFullyUsed', namespace: NS, resourcequota: 'compute-quota', resource: 'requests.cpu' }, { ...fx, get_resource: (a) => (a.kind === 'ResourceQuota' ? resource('ResourceQuota', 'compute-quota', { spec: { hard: { 'requests.cpu': '8' } }, status: { hard: { 'requests.cpu': '8' }, used: { 'requests.cpu': '8' } } }) : undefined) });
    expect(conclusion(r.decision)).toMatch(/Its room is taken by another workload: deployment catalog-sync holds 6 of the 8 requests\.cpu/);
    expect(r.calls.some((c) => c.startsWith('describe_deployment {"name":"web"'))).toBe(false);
    expect(r.calls.some((c) => c.startsWith('set_quota_hard'))).toBe(false);
  });

  it('dominantHolder: only another workload over half of the hard limit', () => {
    const holders = [{ kind: 'Deployment' as const, name: 'web', pods: 10, perPod: 0.5, amount: 5 }];
    expect(dominantHolder(holders, 'requests.cpu', 8, 'web')).toBeUndefined();
    expect(dominantHolder(holders, 'requests.cpu', 8, 'api')?.text).toMatch(/deployment web holds 5 of the 8 requests\.cpu .*\(63%\): 10 pods × 500m/);
  });

  const node = (condition: string, reason: string) =>
    ok('describe_node', { name: 'node-5', status: 'Ready', unschedulable: false, roles: ['worker'], taints: [], conditions: [{ type: 'Ready', status: 'True' }, { type: condition, status: 'True', reason }], capacity: {}, allocatable: {}, events: [], eventsTotal: 0 });
  const nodePods = (items: Array<{ name: string; status: string; restarts?: number; last?: string }>): Answer =>
    ok('list_resources', {
      apiVersion: 'v1',
      kind: 'Pod',
      fieldSelector: 'spec.nodeName=node-5',
      more: false,
      items: items.map((p) => ({ name: p.name, namespace: NS, columns: {}, pod: { status: p.status, ready: 1, total: 1, restarts: p.restarts ?? 0, node: 'node-5', ...(p.last ? { lastTermination: { container: 'main', reason: p.last } } : {}) } })),
    });
  const PRESSURE = (condition: string) => ({ alertname: 'KubeNodePressure', node: 'node-5', condition });

  it('DiskPressure from one pod: names the pod the kubelet evicted and what its container used', async () => {
    const message = 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 7651224Ki. Container relay was using 74Gi, request is 0, has larger consumption of ephemeral-storage. ';
    const r = await run(PRESSURE('DiskPressure'), {
      describe_node: () => node('DiskPressure', 'KubeletHasDiskPressure'),
      get_events: () => events([]),
      list_resources: (a) => (a.kind === 'Pod' ? nodePods([{ name: 'agent-x7k2p', status: 'Running' }, { name: 'relay-5f7c9-l9vzt', status: 'Error', last: 'Error' }]) : undefined),
      describe_pod: (a) => (a.name === 'relay-5f7c9-l9vzt' ? ok('describe_pod', pod({ name: 'relay-5f7c9-l9vzt', status: 'Evicted', phase: 'Failed', reason: 'Evicted', message, node: 'node-5', containers: [ctr({ name: 'relay' })] })) : undefined),
    });
    const text = conclusion(r.decision);
    expect(text).toMatch(/DiskPressure caused by pod shop\/relay-5f7c9-l9vzt \(container relay used 74Gi of ephemeral-storage\)/);
    expect(r.calls.some((c) => c.startsWith('describe_pod {"name":"agent-x7k2p"'))).toBe(false);
  });

  it('MemoryPressure from one pod: names the container with no memory limit the OOM killer keeps killing', async () => {
    const r = await run(PRESSURE('MemoryPressure'), {
      describe_node: () => node('MemoryPressure', 'KubeletHasInsufficientMemory'),
      get_events: () => events([ev('Warning', 'SystemOOM', 'System OOM encountered, victim process: python3, pid: 40512', 'Node/node-5')]),
      list_resources: (a) => (a.kind === 'Pod' ? nodePods([{ name: 'consumer-6d7c8', status: 'Running' }, { name: 'etl-29004300-k2j8d', status: 'Running', restarts: 3, last: 'OOMKilled' }]) : undefined),
      describe_pod: (a) =>
        a.name === 'etl-29004300-k2j8d'
          ? ok('describe_pod', pod({ name: 'etl-29004300-k2j8d', node: 'node-5', owner: { kind: 'Job', name: 'etl-29004300' }, containers: [ctr({ name: 'transform', restarts: 3, requests: { memory: '2Gi' }, state: { state: 'running' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137 } })] }))
          : undefined,
    });
    const text = conclusion(r.decision);
    expect(text).toMatch(/container transform of pod shop\/etl-29004300-k2j8d \(of job etl-29004300\) has no memory limit/);
    expect(text).toMatch(/SystemOOM/);
  });

  const crashLooping = (name: string, c: Container, o: Partial<PodData> = {}) => ok('describe_pod', pod({ name, status: 'CrashLoopBackOff', owner: { kind: 'ReplicaSet', name: 'api-7c8f9b6d5' }, containers: [c], ...o }));
  const CRASHLOOP = (p: string, container: string) => ({ alertname: 'KubePodCrashLooping', namespace: NS, pod: p, container });

  it('an OOMKill since a ConfigMap set a cache above the memory limit: names the ConfigMap and the size', async () => {
    const c = ctr({ name: 'search', restarts: 9, limits: { memory: '1Gi' }, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137 } });
    const r = await run(CRASHLOOP('search-6d9f-hx2vq', 'search'), {
      describe_pod: () => crashLooping('search-6d9f-hx2vq', c, { volumes: [{ name: 'config', type: 'configMap', source: 'search-config' }] }),
      get_resource: (a) => (a.kind === 'ConfigMap' ? resource('ConfigMap', 'search-config', { data: { 'application.yaml': 'search:\n  cache:\n    max-size: 1536Mi\n    ttl: 10m\n' } }) : undefined),
    });
    const text = conclusion(r.decision);
    expect(text).toMatch(/OOMKilled/);
    expect(text).toMatch(/ConfigMap search-config .* sets max-size: 1536Mi in application\.yaml, above the container's 1Gi memory limit/);
    expect(text).not.toMatch(/ttl/);
  });

  it('an OOMKill with a mounted ConfigMap named for users or credentials: it is not opened (its passwords could reach the incident)', async () => {
    const c = ctr({ name: 'query', restarts: 7, limits: { memory: '4Gi' }, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137 } });
    const r = await run(CRASHLOOP('clickhouse-query-0', 'query'), { describe_pod: () => crashLooping('clickhouse-query-0', c, { volumes: [{ name: 'users', type: 'configMap', source: 'clickhouse-users' }] }) });
    expect(conclusion(r.decision)).toMatch(/OOMKilled/);
    expect(r.calls.some((x) => x.includes('"kind":"ConfigMap"'))).toBe(false);
  });

  it('a liveness probe timing out under a LimitRange default CPU limit: names the LimitRange and the limit', async () => {
    const c = ctr({ name: 'api', restarts: 9, requests: { cpu: '50m' }, limits: { cpu: '100m', memory: '512Mi' }, probes: { liveness: 'http-get /healthz port 8080 delay=20s timeout=1s period=10s success=1 failure=3' }, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 143 } });
    const probe = ev('Warning', 'Unhealthy', 'Liveness probe failed: Get "http://10.244.2.18:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 'Pod/api-7c8f9b6d5-zq4lw');
    const r = await run(CRASHLOOP('api-7c8f9b6d5-zq4lw', 'api'), {
      describe_pod: () => crashLooping('api-7c8f9b6d5-zq4lw', c, { events: [probe], eventsTotal: 1 }),
      get_events: () => events([probe]),
      get_resource: (a) =>
        a.kind === 'Pod'
          ? resource('Pod', 'api-7c8f9b6d5-zq4lw', { metadata: { annotations: { 'kubernetes.io/limit-ranger': 'LimitRanger plugin set: cpu, memory request for container api; cpu, memory limit for container api' } } })
          : a.kind === 'LimitRange'
            ? resource('LimitRange', 'container-defaults', { spec: { limits: [{ type: 'Container', default: { cpu: '100m', memory: '512Mi' } }] } })
            : undefined,
      list_resources: (a) => (a.kind === 'LimitRange' ? ok('list_resources', { apiVersion: 'v1', kind: 'LimitRange', namespace: NS, more: false, items: [{ name: 'container-defaults', columns: {} }] }) : undefined),
    });
    const text = conclusion(r.decision);
    expect(text).toMatch(/its 100m CPU limit is LimitRange container-defaults's default CPU limit of 100m, set by the LimitRanger admission plugin/);
    expect(r.calls.some((x) => x.startsWith('set_probe_timing'))).toBe(false);
  });

  const ZONE_MSG = '0/3 nodes are available: 3 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
  const zoneFixtures = (msg: string): Record<string, Fixture> => ({
    describe_pod: () =>
      ok('describe_pod', pod({ name: 'timeseries-0', status: 'Pending', phase: 'Pending', node: undefined, owner: { kind: 'StatefulSet', name: 'timeseries' }, conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }], volumes: [{ name: 'data', type: 'persistentVolumeClaim', source: 'data-timeseries-0' }], containers: [ctr({ name: 'db', state: { state: 'waiting' } })] })),
    get_events: () => events([ev('Warning', 'FailedScheduling', msg, 'Pod/timeseries-0')]),
    describe_pvc: () => ok('describe_pvc', { name: 'data-timeseries-0', namespace: NS, phase: 'Bound', volumeName: 'pv-7c1e', volumeMode: 'Filesystem', accessModes: ['ReadWriteOnce'], conditions: [], events: [], eventsTotal: 0 }),
    get_resource: (a) =>
      a.kind === 'PersistentVolume' ? resource('PersistentVolume', 'pv-7c1e', { spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a'] }] }] } } } }, undefined) : undefined,
  });
  const ZONE = /PersistentVolume pv-7c1e, which can only be attached on nodes with topology\.kubernetes\.io\/zone In \(eu-west-1a\)/;

  it('a pod Pending on a volume node affinity conflict: names the zone its volume is pinned to', async () => {
    const r = await run({ alertname: 'KubePodNotReady', namespace: NS, pod: 'timeseries-0' }, zoneFixtures(ZONE_MSG));
    expect(conclusion(r.decision)).toMatch(ZONE);
  });

  it('the same pod behind a StatefulSet alert: its worst pod is followed to its volume too', async () => {
    const sts = { ...deploy('timeseries', 1, '2'), kind: 'StatefulSet' as const, replicas: { desired: 1, ready: 0, available: 0, total: 1 }, pods: [{ name: 'timeseries-0', status: 'Pending', ready: 0, total: 1, restarts: 0 }], podsTotal: 1 };
    const r = await run({ alertname: 'KubeStatefulSetReplicasMismatch', namespace: NS, statefulset: 'timeseries' }, { ...zoneFixtures(ZONE_MSG), describe_statefulset: () => ok('describe_statefulset', sts) });
    expect(conclusion(r.decision)).toMatch(ZONE);
  });

  it('an HPA on memory pinned by a fixed JVM heap: names the heap options, not the load', async () => {
    const hpa = {
      metadata: { name: 'resizer' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'resizer' }, minReplicas: 4, maxReplicas: 12, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 70 } } }] },
      status: { currentReplicas: 12, desiredReplicas: 12, currentMetrics: [{ type: 'Resource', resource: { name: 'memory', current: { averageUtilization: 96 } } }], conditions: [{ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas' }] },
    };
    const target = { spec: { template: { spec: { containers: [{ name: 'resizer', env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xms900m -Xmx900m -XX:+AlwaysPreTouch -XX:+UseG1GC' }], resources: { requests: { memory: '1Gi' } } }] } } } };
    const r = await run({ alertname: 'KubeHpaMaxedOut', namespace: NS, horizontalpodautoscaler: 'resizer' }, {
      get_resource: (a) => (a.kind === 'HorizontalPodAutoscaler' ? ok('get_resource', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'resizer', namespace: NS, object: hpa }) : a.kind === 'Deployment' ? ok('get_resource', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'resizer', namespace: NS, object: target }) : undefined),
      get_events: () => events([]),
      describe_deployment: () => ok('describe_deployment', deploy('resizer', 12, '500m')),
    });
    const text = conclusion(r.decision);
    expect(text).toMatch(/fixed heap \(-Xms900m -Xmx900m -XX:\+AlwaysPreTouch in its env JAVA_TOOL_OPTIONS\): 88% of its 1Gi memory request/);
    expect(text).not.toMatch(/traffic (spike|surge|increase)|more (traffic|load)|load (spike|surge|increase)/);
    expect(r.calls.some((x) => x.startsWith('set_hpa_max_replicas'))).toBe(false);
  });
});

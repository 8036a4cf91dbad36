// Alerts that name only a scrape job, or nothing (kube-prometheus's `*Down` alerts): the analyzer finds the
// job's Service across namespaces, follows its endpoints to the pods (or, for the kubelet, the nodes) and
// hands them to the pod and node rules. Driven step by step as in analyzer.test.ts: each tool call is
// answered with the built-in tools' structured results, checked against their output schemas.
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { StepResult } from '../../src/analyzer/evidence.js';
import { ruleFor } from '../../src/analyzer/rules/index.js';
import { alertInfo } from '../../src/analyzer/rules/types.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import type { Decision, ToolInfo } from '../../src/contracts/investigation.js';
import { readOutput, type Condition, type Container, type ListItem, type NodeData, type OutputOf, type PodData, type ToolName } from '../../src/contracts/toolData.js';

// ── harness ─────────────────────────────────────────────────────────────────────────────────────

const READ = ['get_resource', 'list_resources', 'describe_pod', 'describe_node', 'describe_deployment', 'get_events', 'get_pod_logs', 'top_pods'];
const tools: ToolInfo[] = READ.map((name) => ({ name: `kubernetes__${name}`, server: 'kubernetes', tool: name, description: name, inputSchema: { type: 'object' }, mutating: false, classifiedBy: 'test' }));

type Answer = { data: Record<string, unknown> } | { error: string };
type Fixture = Answer | ((args: Record<string, unknown>) => Answer | undefined);

const ok = <T extends ToolName>(_tool: T, data: OutputOf<T>): Answer => ({ data: data as Record<string, unknown> });
const notFound = (what: string): Answer => ({ error: `${what} not found` });

function incident(alertname: string, labels: Record<string, string>, annotations: Record<string, string> = {}, home = 'alert-agent'): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc-1', namespace: home },
    spec: { alertname, fingerprint: 'fp', status: 'firing', labels: { alertname, ...labels }, annotations, startsAt: '2026-11-26T07:00:00Z' },
  };
}

interface Run {
  calls: string[];
  decision: Decision;
  /** The report the analyzer writes at the end (its evidence section quotes the search). */
  report: () => Promise<string>;
}

async function run(inc: AlertIncident, fx: Record<string, Fixture>): Promise<Run> {
  const inv = new RulesInvestigator();
  const steps: Step[] = [];
  const calls: string[] = [];
  for (let i = 0; i < 30; i++) {
    const { decision } = await inv.decide({ incident: inc, steps, tools, policyMode: 'observe' });
    if (decision.kind !== 'callTool') {
      const report = async () => (await inv.writeReport({ incident: inc, steps, tools, policyMode: 'observe', outcome: 'NeedsManualIntervention', reason: 'test' })).report.markdown;
      return { calls, decision, report };
    }
    const t = tools.find((x) => x.name === decision.tool)!;
    calls.push(`${t.tool} ${JSON.stringify(decision.arguments)}`);
    const f = fx[t.tool];
    const answer = typeof f === 'function' ? f(decision.arguments) : f;
    const base: Step = { index: steps.length + 1, time: 't', action: 'callTool', server: t.server, tool: t.tool, arguments: JSON.stringify(decision.arguments), mutating: false };
    if (!answer || 'error' in answer) {
      const error = answer && 'error' in answer ? answer.error : `no fixture for ${t.tool}`;
      steps.push({ ...base, state: 'Failed', result: { ok: false, output: error, error } });
      continue;
    }
    expect([t.tool, readOutput(t.tool as ToolName, answer.data) !== undefined]).toEqual([t.tool, true]);
    const result: StepResult = { ok: true, output: '(text)', data: JSON.stringify(answer.data) };
    steps.push({ ...base, state: 'Succeeded', result });
  }
  throw new Error('no conclusion within 30 decisions');
}

function conclusion(d: Decision): { kind: string; summary: string; rootCause: string } {
  if (d.kind !== 'resolve' && d.kind !== 'escalate') throw new Error(`expected a conclusion, got ${d.kind}`);
  return { kind: d.kind, summary: d.summary, rootCause: d.rootCause };
}

// ── fixtures ────────────────────────────────────────────────────────────────────────────────────

const cond = (type: string, status: string, reason?: string, message?: string): Condition => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
const ctr = (o: Partial<Container> & { name: string }): Container => ({ init: false, requests: {}, limits: {}, probes: {}, ...o });

const serviceList = (selector: { fieldSelector?: string; labelSelector?: string }, items: Array<{ namespace: string; name: string }>): Answer =>
  ok('list_resources', {
    apiVersion: 'v1',
    kind: 'Service',
    ...selector,
    items: items.map((i): ListItem => ({ name: i.name, namespace: i.namespace, columns: { TYPE: 'ClusterIP', 'CLUSTER-IP': '10.96.0.10', PORTS: '53/UDP,53/TCP,9153/TCP' } })),
    more: false,
  });

const resource = (kind: string, namespace: string, name: string, object: Record<string, unknown>): Answer => ok('get_resource', { apiVersion: 'v1', kind, name, namespace, object: { apiVersion: 'v1', kind, metadata: { name, namespace }, ...object } });

/** list_resources answered by kind and selector: Services by the given table, Pods by `pods`, Nodes by `nodes`. */
function lister(services: Record<string, Array<{ namespace: string; name: string }>>, pods?: Answer, nodes?: Answer): Fixture {
  return (a) => {
    if (a.kind === 'Service') {
      if (a.namespace) return { error: 'unexpected namespaced search' };
      const key = String(a.fieldSelector ?? a.labelSelector);
      return serviceList(a.fieldSelector ? { fieldSelector: String(a.fieldSelector) } : { labelSelector: String(a.labelSelector) }, services[key] ?? []);
    }
    if (a.kind === 'Pod') return pods;
    if (a.kind === 'Node') return nodes;
    return undefined;
  };
}

const COREDNS_POD: PodData = {
  name: 'coredns-76f75df574-hx8qz',
  namespace: 'kube-system',
  status: 'CrashLoopBackOff',
  phase: 'Running',
  ready: 0,
  total: 1,
  restarts: 9,
  node: 'node-1',
  owner: { kind: 'ReplicaSet', name: 'coredns-76f75df574' },
  conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [coredns]')],
  containers: [
    ctr({
      name: 'coredns',
      image: 'registry.k8s.io/coredns/coredns:v1.11.3',
      ready: false,
      restarts: 9,
      state: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=coredns' },
      lastState: { state: 'terminated', reason: 'Error', exitCode: 1, message: "/etc/coredns/Corefile:12 - Error during parsing: Unknown directive 'k8s_gateway'" },
    }),
  ],
  volumes: [],
  secretRefs: [],
  events: [],
  eventsTotal: 0,
};

const podRows = (namespace: string, selector: string, rows: Array<{ name: string; status: string; node?: string }>): Answer =>
  ok('list_resources', {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace,
    labelSelector: selector,
    items: rows.map((r) => ({ name: r.name, namespace, columns: {}, pod: { status: r.status, ready: 0, total: 1, restarts: r.status === 'CrashLoopBackOff' ? 9 : 0, ...(r.node ? { node: r.node } : {}) } })),
    more: false,
  });

const node = (name: string, ready: Condition): NodeData => ({
  name,
  status: ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown',
  unschedulable: false,
  roles: [],
  taints: ready.status === 'True' ? [] : [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }],
  conditions: [ready],
  capacity: {},
  allocatable: {},
  events: [],
  eventsTotal: 0,
});
const UNKNOWN = cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.');
const READY = cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status');

const kubeletEndpoints = (namespace: string, nodes: string[]): Answer =>
  resource('Endpoints', namespace, 'kubelet', {
    subsets: [{ addresses: nodes.map((n, i) => ({ ip: `10.240.0.${31 + i}`, targetRef: { kind: 'Node', name: n } })), ports: [{ name: 'https-metrics', port: 10250, protocol: 'TCP' }] }],
  });
const KUBELET_SERVICE = resource('Service', 'kube-system', 'kubelet', { metadata: { name: 'kubelet', namespace: 'kube-system', labels: { 'k8s-app': 'kubelet' } }, spec: { clusterIP: 'None', ports: [{ name: 'https-metrics', port: 10250 }] } });

// ── scenarios ───────────────────────────────────────────────────────────────────────────────────

describe('alerts that name only a scrape job', () => {
  it('routes kube-prometheus *Down alerts and namespace-less TargetDown to the scrape-job rule; other alerts keep theirs', () => {
    const rule = (name: string, labels: Record<string, string> = {}) => ruleFor(alertInfo({ alertname: name, fingerprint: 'f', status: 'firing', labels: { alertname: name, ...labels }, annotations: {}, startsAt: '2026-11-26T07:00:00Z' })).id;
    for (const name of ['CoreDNSDown', 'KubeStateMetricsDown', 'KubeletDown', 'KubeAPIDown', 'KubeSchedulerDown']) expect([name, rule(name, { severity: 'critical' })]).toEqual([name, 'scrape-job']);
    expect(rule('TargetDown', { job: 'web' })).toBe('scrape-job');
    expect(rule('TargetDown', { job: 'web', namespace: 'shop', service: 'web' })).toBe('target-down');
    expect(rule('TargetDown', { job: 'kubelet', namespace: 'kube-system', service: 'kubelet' })).toBe('scrape-job');
    expect(rule('FooExporterDown', { job: 'foo-exporter' })).toBe('scrape-job');
    expect(rule('KubeAggregatedAPIDown', { name: 'v1beta1.metrics.k8s.io', namespace: 'default' })).toBe('unknown');
    expect(rule('KubeNodeNotReady', { node: 'n1' })).toBe('node');
  });

  it('CoreDNSDown without labels: finds Service kube-dns by name (kube-system first), follows its endpoints to the crash-looping pods', async () => {
    const r = await run(incident('CoreDNSDown', { severity: 'critical' }, { message: 'CoreDNS has disappeared from Prometheus target discovery.' }), {
      list_resources: lister(
        {
          'metadata.name=kube-dns': [
            { namespace: 'dns-test', name: 'kube-dns' },
            { namespace: 'kube-system', name: 'kube-dns' },
          ],
        },
        podRows('kube-system', 'k8s-app=kube-dns', [
          { name: 'coredns-76f75df574-hx8qz', status: 'CrashLoopBackOff', node: 'node-1' },
          { name: 'coredns-76f75df574-t4wpn', status: 'CrashLoopBackOff', node: 'node-2' },
        ]),
      ),
      get_resource: (a) =>
        a.namespace !== 'kube-system'
          ? undefined
          : a.kind === 'Service'
            ? resource('Service', 'kube-system', 'kube-dns', { spec: { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'metrics', port: 9153 }] } })
            : resource('Endpoints', 'kube-system', 'kube-dns', {
                subsets: [{ notReadyAddresses: [{ ip: '10.244.1.23', targetRef: { kind: 'Pod', name: 'coredns-76f75df574-hx8qz' } }, { ip: '10.244.2.17', targetRef: { kind: 'Pod', name: 'coredns-76f75df574-t4wpn' } }], ports: [{ name: 'metrics', port: 9153 }] }],
              }),
      describe_pod: (a) => (a.name === COREDNS_POD.name ? ok('describe_pod', COREDNS_POD) : undefined),
      get_events: ok('get_events', { namespace: 'kube-system', events: [], total: 0, capped: false }),
      get_pod_logs: { error: 'the kubelet cannot be reached' },
    });
    expect(r.calls.slice(0, 5)).toEqual([
      'list_resources {"apiVersion":"v1","kind":"Service","fieldSelector":"metadata.name=kube-dns","limit":20}',
      'get_resource {"apiVersion":"v1","kind":"Service","name":"kube-dns","namespace":"kube-system"}',
      'get_resource {"apiVersion":"v1","kind":"Endpoints","name":"kube-dns","namespace":"kube-system"}',
      'list_resources {"apiVersion":"v1","kind":"Pod","namespace":"kube-system","labelSelector":"k8s-app=kube-dns"}',
      'describe_pod {"name":"coredns-76f75df574-hx8qz","namespace":"kube-system"}',
    ]);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.summary).toContain('Service kube-system/kube-dns has 0 ready endpoint(s)');
    expect(c.summary).toContain('crash-looping');
    expect(c.rootCause).toContain('it carries no job label');
    expect(c.rootCause).toContain('Service kube-system/kube-dns (found by its name, listing Services in all namespaces; also matching: dns-test/kube-dns)');
    expect(c.rootCause).toContain('(0 ready, 2 not ready): 2 of the 2 pod(s) its selector k8s-app=kube-dns matches are unhealthy');
    expect(c.rootCause).toContain("Unknown directive 'k8s_gateway'");
    expect(c.rootCause).toContain('Also unhealthy: coredns-76f75df574-t4wpn');
    const md = await r.report();
    expect(md).toContain('From `list_resources Service (all namespaces) metadata.name=kube-dns`');
    expect(md).toContain('kube-system/kube-dns  ports 53/UDP,53/TCP,9153/TCP');
    expect(md).toContain('notReadyAddresses: 2');
    expect(md).toContain('CoreDNS has disappeared from Prometheus target discovery.');
  });

  it('KubeStateMetricsDown: no Service has the job\'s name; its app.kubernetes.io/name label finds the Helm-named one, whose pod cannot be scheduled', async () => {
    const pending: PodData = {
      ...COREDNS_POD,
      name: 'kps-kube-state-metrics-5f8d9c7b64-w9ztr',
      namespace: 'monitoring',
      status: 'Pending',
      phase: 'Pending',
      restarts: 0,
      node: undefined,
      owner: { kind: 'ReplicaSet', name: 'kps-kube-state-metrics-5f8d9c7b64' },
      conditions: [cond('PodScheduled', 'False', 'Unschedulable', '0/3 nodes are available: 3 Insufficient memory.')],
      containers: [ctr({ name: 'kube-state-metrics', requests: { memory: '6Gi' }, limits: { memory: '6Gi' } })],
      events: [{ type: 'Warning', reason: 'FailedScheduling', count: 19, message: '0/3 nodes are available: 3 Insufficient memory.' }],
      eventsTotal: 1,
    };
    const r = await run(incident('KubeStateMetricsDown', { severity: 'critical' }), {
      list_resources: lister(
        { 'app.kubernetes.io/name=kube-state-metrics': [{ namespace: 'monitoring', name: 'kps-kube-state-metrics' }] },
        podRows('monitoring', 'app.kubernetes.io/name=kube-state-metrics', [{ name: pending.name, status: 'Pending' }]),
      ),
      get_resource: (a) =>
        a.kind === 'Service'
          ? resource('Service', 'monitoring', 'kps-kube-state-metrics', { spec: { selector: { 'app.kubernetes.io/name': 'kube-state-metrics' } } })
          : resource('Endpoints', 'monitoring', 'kps-kube-state-metrics', { subsets: [] }),
      describe_pod: ok('describe_pod', pending),
      get_events: ok('get_events', { namespace: 'monitoring', events: [], total: 0, capped: false }),
    });
    expect(r.calls.slice(0, 3).map((c) => JSON.parse(c.slice(c.indexOf(' ') + 1)).fieldSelector ?? JSON.parse(c.slice(c.indexOf(' ') + 1)).labelSelector)).toEqual([
      'metadata.name=kube-state-metrics',
      'k8s-app=kube-state-metrics',
      'app.kubernetes.io/name=kube-state-metrics',
    ]);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('found by its label app.kubernetes.io/name=kube-state-metrics');
    expect(c.summary).toContain('cannot be scheduled');
    expect(c.rootCause).toContain('Insufficient memory');
  });

  it('prefers the operator\'s own namespace over an unrelated one', async () => {
    const r = await run(incident('CoreDNSDown', {}, {}, 'platform'), {
      list_resources: lister({ 'metadata.name=kube-dns': [{ namespace: 'aaa-team', name: 'kube-dns' }, { namespace: 'platform', name: 'kube-dns' }] }, podRows('platform', 'k8s-app=kube-dns', [])),
      get_resource: (a) => (a.kind === 'Service' ? resource('Service', String(a.namespace), 'kube-dns', { spec: { selector: { 'k8s-app': 'kube-dns' } } }) : resource('Endpoints', String(a.namespace), 'kube-dns', { subsets: [] })),
    });
    expect(r.calls[1]).toBe('get_resource {"apiVersion":"v1","kind":"Service","name":"kube-dns","namespace":"platform"}');
    expect(conclusion(r.decision).summary).toBe('CoreDNSDown: no pods match Service platform/kube-dns (selector k8s-app=kube-dns)');
  });

  it('where Services cannot be listed in all namespaces, gets the job\'s Service in the likely namespaces one by one', async () => {
    const r = await run(incident('KubeStateMetricsDown', {}), {
      list_resources: (a) => (a.kind === 'Service' ? { error: 'services is forbidden: User "system:serviceaccount:x:y" cannot list resource "services" in API group "" at the cluster scope' } : podRows('monitoring', 'app=ksm', [])),
      get_resource: (a) =>
        a.namespace === 'monitoring'
          ? a.kind === 'Service'
            ? resource('Service', 'monitoring', 'kube-state-metrics', { spec: { selector: { app: 'ksm' } } })
            : resource('Endpoints', 'monitoring', 'kube-state-metrics', { subsets: [] })
          : notFound(`services "kube-state-metrics"`),
    });
    expect(r.calls.slice(0, 4)).toEqual([
      'list_resources {"apiVersion":"v1","kind":"Service","fieldSelector":"metadata.name=kube-state-metrics","limit":20}',
      'get_resource {"apiVersion":"v1","kind":"Service","name":"kube-state-metrics","namespace":"kube-system"}',
      'get_resource {"apiVersion":"v1","kind":"Service","name":"kube-state-metrics","namespace":"monitoring"}',
      'get_resource {"apiVersion":"v1","kind":"Endpoints","name":"kube-state-metrics","namespace":"monitoring"}',
    ]);
    expect(conclusion(r.decision).rootCause).toContain('found by a get in namespace monitoring');
  });

  it('says so when no Service backs the job anywhere', async () => {
    const r = await run(incident('KubeSchedulerDown', {}), { list_resources: lister({}) });
    expect(r.calls).toHaveLength(3);
    const c = conclusion(r.decision);
    expect(c.summary).toBe('KubeSchedulerDown: no Service for scrape job "kube-scheduler" was found in any namespace');
    expect(c.rootCause).toContain('no Service is named kube-scheduler or labelled k8s-app=kube-scheduler or app.kubernetes.io/name=kube-scheduler in any namespace');
  });

  it('TargetDown without a namespace is traced the same way', async () => {
    const r = await run(incident('TargetDown', { job: 'payments-api' }), {
      list_resources: lister({ 'metadata.name=payments-api': [{ namespace: 'payments', name: 'payments-api' }] }, podRows('payments', 'app=payments-api', [])),
      get_resource: (a) => (a.kind === 'Service' ? resource('Service', 'payments', 'payments-api', { spec: { selector: { app: 'payments-api' } } }) : resource('Endpoints', 'payments', 'payments-api', { subsets: [] })),
    });
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('its job label is "payments-api"');
    expect(c.summary).toBe('TargetDown: no pods match Service payments/payments-api (selector app=payments-api)');
  });

  it('KubeletDown: the kubelet Service lists the nodes, which are NotReady: the node rule names the cause', async () => {
    const r = await run(incident('KubeletDown', { severity: 'critical' }), {
      list_resources: lister({ 'metadata.name=kubelet': [{ namespace: 'kube-system', name: 'kubelet' }] }),
      get_resource: (a) => (a.kind === 'Service' ? KUBELET_SERVICE : kubeletEndpoints('kube-system', ['worker-1', 'worker-2'])),
      describe_node: (a) => ok('describe_node', node(String(a.name), UNKNOWN)),
    });
    expect(r.calls).toEqual([
      'list_resources {"apiVersion":"v1","kind":"Service","fieldSelector":"metadata.name=kubelet","limit":20}',
      'get_resource {"apiVersion":"v1","kind":"Service","name":"kubelet","namespace":"kube-system"}',
      'get_resource {"apiVersion":"v1","kind":"Endpoints","name":"kubelet","namespace":"kube-system"}',
      'describe_node {"name":"worker-1"}',
      'describe_node {"name":"worker-2"}',
    ]);
    const c = conclusion(r.decision);
    expect(c.summary).toBe('KubeletDown: all 2 kubelet target node(s) behind Service kube-system/kubelet are NotReady — the kubelet stopped reporting (Ready=Unknown)');
    expect(c.rootCause).toContain('Kubelet stopped posting node status.');
    expect(c.rootCause).toContain('Also NotReady: worker-2 (Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.))');
  });

  it('KubeletDown: endpoints naming nodes that no longer exist are stale', async () => {
    const r = await run(incident('KubeletDown', {}), {
      list_resources: lister({ 'metadata.name=kubelet': [{ namespace: 'kube-system', name: 'kubelet' }] }),
      get_resource: (a) => (a.kind === 'Service' ? KUBELET_SERVICE : kubeletEndpoints('kube-system', ['old-1', 'old-2'])),
      describe_node: (a) => notFound(`nodes "${String(a.name)}"`),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toContain('nodes that no longer exist (old-1, old-2)');
    expect(c.rootCause).toContain('none of those nodes exists any more');
    expect(c.rootCause).toContain('stale');
  });

  it('KubeletDown: all nodes Ready behind the Service points to the scrape path', async () => {
    const r = await run(incident('KubeletDown', {}), {
      list_resources: lister({ 'metadata.name=kubelet': [{ namespace: 'kube-system', name: 'kubelet' }] }),
      get_resource: (a) => (a.kind === 'Service' ? KUBELET_SERVICE : kubeletEndpoints('kube-system', ['worker-1'])),
      describe_node: (a) => ok('describe_node', node(String(a.name), READY)),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toContain('are on Ready nodes — Prometheus cannot scrape them');
    expect(c.rootCause).toContain('nodes/metrics');
  });

  it('KubeletDown without a kubelet Service: the NotReady nodes of the node list, and the missing Service', async () => {
    const nodes = ok('list_resources', {
      apiVersion: 'v1',
      kind: 'Node',
      items: [
        { name: 'worker-1', columns: {}, node: { status: 'Ready', unschedulable: false, roles: [] } },
        { name: 'worker-2', columns: {}, node: { status: 'Unknown', unschedulable: false, roles: [] } },
      ],
      more: false,
    });
    const r = await run(incident('KubeletDown', {}), { list_resources: lister({}, undefined, nodes), describe_node: (a) => ok('describe_node', node(String(a.name), UNKNOWN)) });
    expect(r.calls.slice(3)).toEqual(['list_resources {"apiVersion":"v1","kind":"Node","limit":500}', 'describe_node {"name":"worker-2"}']);
    const c = conclusion(r.decision);
    expect(c.summary).toContain('1 of 2 node(s) are NotReady');
    expect(c.summary).toContain('no kubelet Service was found either');
    expect(c.rootCause).toContain('--kubelet-service');
  });

  it('KubeAPIDown: the API server answers and default/kubernetes has endpoints, so the scrape path fails', async () => {
    const r = await run(incident('KubeAPIDown', { job: 'apiserver', severity: 'critical' }), {
      get_resource: (a) =>
        a.kind === 'Service'
          ? resource('Service', 'default', 'kubernetes', { metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { ports: [{ name: 'https', port: 443 }] } })
          : resource('Endpoints', 'default', 'kubernetes', { subsets: [{ addresses: [{ ip: '192.0.2.2' }], ports: [{ name: 'https', port: 6443 }] }] }),
    });
    expect(r.calls).toEqual([
      'get_resource {"apiVersion":"v1","kind":"Service","name":"kubernetes","namespace":"default"}',
      'get_resource {"apiVersion":"v1","kind":"Endpoints","name":"kubernetes","namespace":"default"}',
    ]);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.summary).toBe("KubeAPIDown: the API server is up (Service default/kubernetes has 1 ready endpoint(s)) — Prometheus's path to it fails, not the API server");
    expect(c.rootCause).toContain('192.0.2.2:6443');
    expect(c.rootCause).toContain('with the labels component=apiserver and provider=kubernetes');
  });
});

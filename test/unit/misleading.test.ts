// The rule-based analyzer on misleading pod alerts: the symptom is in the alert's pod, the cause in an
// object the alert does not name (a missing or empty Service, a NetworkPolicy, a ConfigMap's key, a
// missing pull Secret, a Service's targetPort). Each scenario answers the analyzer's calls with the
// built-in tools' structured results and checks that the conclusion leads with the real cause.
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { StepResult } from '../../src/analyzer/evidence.js';
import { hostsIn } from '../../src/analyzer/rules/dependencies.js';
import { egressVerdict } from '../../src/analyzer/rules/network.js';
import { portMismatches } from '../../src/analyzer/rules/targets.js';
import type { Container, Event, ListItem, OutputOf, PodData, ToolName } from '../../src/contracts/toolData.js';
import { readOutput } from '../../src/contracts/toolData.js';
import type { Decision, ToolInfo } from '../../src/contracts/investigation.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import { logHighlights } from '../../src/tools/kubernetes/read/getPodLogs.js';

// ── harness ─────────────────────────────────────────────────────────────────────────────────────

const READ = ['get_resource', 'list_resources', 'describe_pod', 'get_events', 'get_pod_logs', 'recent_changes'];
const TOOLS: ToolInfo[] = READ.map((name) => ({ name: `kubernetes__${name}`, server: 'kubernetes', tool: name, description: name, inputSchema: { type: 'object' }, mutating: false, classifiedBy: 'test' }));
const NS = 'shop';

type Answer = { data: Record<string, unknown> } | { error: string };
type Fixture = (args: Record<string, unknown>) => Answer | undefined;

const ok = <T extends ToolName>(_tool: T, data: OutputOf<T>): Answer => ({ data: data as Record<string, unknown> });
const notFound = (what: string): Answer => ({ error: `${what} not found (NotFound)` });

function incident(alertname: string, pod: string, container?: string): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc-1', namespace: 'ops' },
    spec: { alertname, fingerprint: 'fp', status: 'firing', labels: { alertname, namespace: NS, pod, ...(container ? { container } : {}) }, annotations: {}, startsAt: '2026-11-26T07:00:00Z' },
  } as AlertIncident;
}

/** Plays the engine until the analyzer concludes; returns the conclusion and the calls it made. */
async function run(alertname: string, pod: string, fx: Record<string, Fixture>, container?: string): Promise<{ decision: Decision; calls: string[] }> {
  const inv = new RulesInvestigator({});
  const steps: Step[] = [];
  const calls: string[] = [];
  for (let i = 0; i < 30; i++) {
    const { decision } = await inv.decide({ incident: incident(alertname, pod, container), steps, tools: TOOLS, policyMode: 'observe' });
    if (decision.kind !== 'callTool') return { decision, calls };
    const t = TOOLS.find((x) => x.name === decision.tool)!;
    calls.push(`${t.tool} ${JSON.stringify(decision.arguments)}`);
    const base: Step = { index: steps.length + 1, time: 't', action: 'callTool', server: t.server, tool: t.tool, arguments: JSON.stringify(decision.arguments), reasoning: decision.reasoning, mutating: false };
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

function conclusion(d: Decision): { summary: string; rootCause: string } {
  if (d.kind !== 'resolve' && d.kind !== 'escalate') throw new Error(`expected a conclusion, got ${d.kind}`);
  return { summary: d.summary, rootCause: d.rootCause };
}

// ── fixtures ────────────────────────────────────────────────────────────────────────────────────

const ctr = (o: Partial<Container> & { name: string }): Container => ({ init: false, requests: {}, limits: {}, probes: {}, ...o });

const describedPod = (o: Partial<PodData> & { name: string; status: string; containers: Container[] }): PodData => ({
  namespace: NS,
  phase: 'Running',
  ready: 0,
  total: o.containers.filter((c) => !c.init).length,
  restarts: 0,
  node: 'node-1',
  owner: { kind: 'ReplicaSet', name: 'api-7d9f8c6b5' },
  conditions: [],
  volumes: [],
  secretRefs: [],
  events: [],
  eventsTotal: o.events?.length ?? 0,
  ...o,
});

const crashing = (name: string, container: string, message: string): PodData =>
  describedPod({
    name,
    status: 'CrashLoopBackOff',
    containers: [ctr({ name: container, ready: false, restarts: 9, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 1, message } })],
  });

const resource = (kind: string, name: string, object: Record<string, unknown>, apiVersion = 'v1'): Answer => ok('get_resource', { apiVersion, kind, name, namespace: NS, object: { apiVersion, kind, metadata: { name, namespace: NS }, ...object } });
const listed = (kind: string, items: ListItem[], apiVersion = 'v1', labelSelector?: string): Answer => ok('list_resources', { apiVersion, kind, namespace: NS, ...(labelSelector ? { labelSelector } : {}), items, more: false });
const events = (evs: Event[]): Answer => ok('get_events', { namespace: NS, events: evs, total: evs.length, capped: false });

/** get_resource answered from a table of kind/name → object (NotFound otherwise). */
const objects =
  (table: Record<string, Record<string, unknown>>, apiVersions: Record<string, string> = {}): Fixture =>
  (args) => {
    const key = `${String(args.kind)}/${String(args.name)}`;
    return table[key] ? resource(String(args.kind), String(args.name), table[key], apiVersions[String(args.kind)]) : notFound(key);
  };

const podSpec = (labels: Record<string, string>, spec: Record<string, unknown>) => ({ metadata: { name: 'x', namespace: NS, labels }, spec });

// ── pure helpers ────────────────────────────────────────────────────────────────────────────────

describe('hostsIn', () => {
  it('reads in-cluster hosts from errors, URLs and wait commands, not other namespaces or external hosts', () => {
    expect(hostsIn('dial tcp: lookup ledger-db.shop.svc.cluster.local on 10.96.0.10:53: no such host', NS)).toEqual([{ name: 'ledger-db', port: undefined }]);
    expect(hostsIn('addr=cart-cache.shop.svc:6379 error="i/o timeout"', NS)).toEqual([{ name: 'cart-cache', port: 6379 }]);
    expect(hostsIn('until nc -z billing-db 5432; do sleep 2; done', NS)).toEqual([{ name: 'billing-db', port: 5432 }]);
    expect(hostsIn('postgres://app@orders-db:5432/orders', NS)).toEqual([{ name: 'orders-db', port: 5432 }]);
    expect(hostsIn('redis.other.svc:6379 https://registry.example.com/v2 localhost:8080', NS)).toEqual([]);
  });
});

describe('egressVerdict', () => {
  const policy = {
    metadata: { name: 'egress-baseline' },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }] },
        { to: [{ podSelector: { matchLabels: { app: 'payments' } } }], ports: [{ port: 8443 }] },
      ],
    },
  };
  const src = { labels: { app: 'api' }, complete: true };
  it('denies a port and pods no rule allows', () => {
    expect(egressVerdict([policy], src, NS, { namespace: NS, labels: { labels: { app: 'cache' }, complete: false }, port: 6379 })).toEqual({ verdict: 'denied', governing: ['egress-baseline'] });
  });
  it('allows what a rule allows, and everything when no policy selects the pod', () => {
    expect(egressVerdict([policy], src, NS, { namespace: NS, labels: { labels: { app: 'payments' }, complete: false }, port: 8443 }).verdict).toBe('allowed');
    const other = { ...policy, spec: { ...policy.spec, podSelector: { matchLabels: { app: 'web' } } } };
    expect(egressVerdict([other], src, NS, { namespace: NS, labels: { labels: { app: 'cache' }, complete: false }, port: 6379 }).verdict).toBe('allowed');
  });
  it('does not claim a denial it cannot be sure of (an ipBlock)', () => {
    const cidr = { ...policy, spec: { ...policy.spec, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] } };
    expect(egressVerdict([cidr], src, NS, { namespace: NS, labels: { labels: { app: 'cache' }, complete: false }, port: 6379 }).verdict).toBe('unknown');
  });
});

describe('portMismatches', () => {
  const svc = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090, targetPort: 9090 }] } };
  it('names the Service port whose targetPort the pods no longer declare, and where it moved', () => {
    const pod = { spec: { containers: [{ name: 'api', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9102 }] }] } };
    const m = portMismatches(svc, pod);
    expect(m.map((x) => [x.name, x.targetPort, x.servedOn])).toEqual([['metrics', '9090', '9102']]);
  });
  it('says nothing when the pods declare no ports', () => {
    expect(portMismatches(svc, { spec: { containers: [{ name: 'api' }] } })).toEqual([]);
  });
});

// ── scenarios ───────────────────────────────────────────────────────────────────────────────────

describe('pod alerts follow the failure to the object that causes it', () => {
  it('a lookup of a Service that does not exist names it and the Services that do', async () => {
    const pod = 'worker-7d5c8b9f6-t4wqn';
    const r = await run('KubePodCrashLooping', pod, {
      describe_pod: () => ok('describe_pod', crashing(pod, 'worker', 'panic: dial tcp: lookup ledger-db.shop.svc.cluster.local on 10.96.0.10:53: no such host')),
      get_events: () => events([]),
      get_resource: objects({ [`Pod/${pod}`]: podSpec({ app: 'worker' }, { containers: [{ name: 'worker', env: [{ name: 'DB_HOST', value: 'ledger-db.shop.svc.cluster.local' }] }] }) }),
      list_resources: (a) => (a.kind === 'Service' ? listed('Service', [{ name: 'ledger-postgres', columns: {} }]) : undefined),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/Service ledger-db does not exist/);
    expect(c.rootCause).toMatch(/Services that do exist in shop: ledger-postgres/);
    expect(c.rootCause).not.toMatch(/CoreDNS|kube-dns/);
  });

  it('a connect timeout to a healthy Service blames the NetworkPolicy that drops it', async () => {
    const pod = 'api-6f8b9d7c5-r7kzp';
    const r = await run('KubePodCrashLooping', pod, {
      describe_pod: () => ok('describe_pod', crashing(pod, 'api', 'level=fatal msg="cache unreachable" addr=cache.shop.svc:6379 error="i/o timeout"')),
      get_events: () => events([]),
      get_resource: objects(
        {
          [`Pod/${pod}`]: podSpec({ app: 'api' }, { containers: [{ name: 'api' }] }),
          'Service/cache': { spec: { selector: { app: 'cache' }, ports: [{ port: 6379, targetPort: 6379 }] } },
          'Endpoints/cache': { subsets: [{ addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 6379 }] }] },
          'NetworkPolicy/egress-baseline': { spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'payments' } } }], ports: [{ port: 8443 }] }] } },
        },
        { NetworkPolicy: 'networking.k8s.io/v1' },
      ),
      list_resources: (a) => (a.kind === 'NetworkPolicy' ? listed('NetworkPolicy', [{ name: 'egress-baseline', columns: {} }], 'networking.k8s.io/v1') : undefined),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/NetworkPolicy egress-baseline blocks egress .* to Service cache on port 6379/);
    expect(c.rootCause).toMatch(/1 ready endpoint\(s\), so the service itself is up/);
    expect(c.rootCause).not.toMatch(/cache[^.\n]{0,40}\b(down|unavailable|crash)/);
  });

  it('a pod not ready while a Service its env names has no ready endpoint: that pod and its cause', async () => {
    const pod = 'web-7b9c6d8f5-p4kmz';
    const web = describedPod({ name: pod, status: 'Running', containers: [ctr({ name: 'web', ready: false, state: { state: 'running' }, probes: { readiness: 'http-get /ready port 8080' } })] });
    const store = crashing('session-store-0', 'redis', 'Bad file format reading the append only file appendonly.aof.3.incr.aof');
    const r = await run('KubePodNotReady', pod, {
      describe_pod: (a) => ok('describe_pod', a.name === pod ? web : store),
      get_events: () => events([{ type: 'Warning', reason: 'Unhealthy', count: 9, message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' }]),
      get_resource: objects({
        [`Pod/${pod}`]: podSpec({ app: 'web' }, { containers: [{ name: 'web', env: [{ name: 'SESSION_STORE_ADDR', value: 'session-store.shop.svc:6379' }] }] }),
        'Service/session-store': { spec: { selector: { app: 'session-store' }, ports: [{ port: 6379 }] } },
        'Endpoints/session-store': { subsets: [{ notReadyAddresses: [{ ip: '10.0.0.7', targetRef: { kind: 'Pod', name: 'session-store-0' } }] }] },
      }),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/Service session-store, whose pod session-store-0 is not ready/);
    expect(c.rootCause).toMatch(/append only file/);
  });

  it('a not-ready pod whose log names an unreachable Service follows that Service first', async () => {
    const pod = 'web-7b9c6d8f5-p4kmz';
    const web = describedPod({ name: pod, status: 'Running', containers: [ctr({ name: 'web', ready: false, state: { state: 'running' } })] });
    const log = 'WARN readiness: cache backend redis.shop.svc:6379 unreachable';
    const r = await run('KubePodNotReady', pod, {
      describe_pod: (a) => ok('describe_pod', a.name === pod ? web : crashing('redis-0', 'redis', 'Fatal error loading the DB: Permission denied')),
      get_events: () => events([{ type: 'Warning', reason: 'Unhealthy', count: 9, message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' }]),
      get_pod_logs: () => ok('get_pod_logs', { name: pod, namespace: NS, container: 'web', previous: false, bytes: log.length, cut: false, empty: false, ...logHighlights(log) }),
      get_resource: objects({
        [`Pod/${pod}`]: podSpec({ app: 'web' }, { containers: [{ name: 'web', env: [{ name: 'DB', value: 'postgres://app@orders-db:5432/orders' }] }] }),
        'Service/redis': { spec: { selector: { app: 'redis' }, ports: [{ port: 6379 }] } },
        'Endpoints/redis': { subsets: [{ notReadyAddresses: [{ ip: '10.0.0.8', targetRef: { kind: 'Pod', name: 'redis-0' } }] }] },
      }),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/Service redis, whose pod redis-0 is not ready/);
    expect(c.rootCause).toMatch(/Permission denied/);
    expect(r.calls.some((x) => x.includes('orders-db'))).toBe(false);
  });

  it('does not blame the pod\u2019s own Service, empty because the pod itself is not ready', async () => {
    const pod = 'web-7b9c6d8f5-p4kmz';
    const web = describedPod({ name: pod, status: 'Running', containers: [ctr({ name: 'web', ready: false, state: { state: 'running' } })] });
    const r = await run('KubePodNotReady', pod, {
      describe_pod: () => ok('describe_pod', web),
      get_events: () => events([]),
      get_resource: objects({
        [`Pod/${pod}`]: podSpec({ app: 'web' }, { containers: [{ name: 'web', env: [{ name: 'PUBLIC_URL', value: 'http://web.shop.svc:8080' }] }] }),
        'Service/web': { spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } },
      }),
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/fails its readiness probe/);
    expect(r.calls.some((x) => x.includes('"Endpoints"'))).toBe(false);
  });

  it('an init container waiting for a Service whose StatefulSet is scaled to zero', async () => {
    const pod = 'billing-api-5f6c7d8b9-n8r2t';
    const described = describedPod({
      name: pod,
      status: 'Init:0/1',
      phase: 'Pending',
      containers: [ctr({ name: 'wait-for-db', init: true, ready: false, state: { state: 'running' } }), ctr({ name: 'api', ready: false, state: { state: 'waiting', reason: 'PodInitializing' } })],
    });
    const r = await run('KubePodNotReady', pod, {
      describe_pod: () => ok('describe_pod', described),
      get_events: () => events([]),
      get_resource: objects({
        [`Pod/${pod}`]: podSpec({ app: 'billing-api' }, { initContainers: [{ name: 'wait-for-db', command: ['sh', '-c', 'until nc -z billing-db 5432; do sleep 2; done'] }], containers: [{ name: 'api' }] }),
        'Service/billing-db': { spec: { clusterIP: 'None', selector: { app: 'billing-db' }, ports: [{ port: 5432 }] } },
        'Endpoints/billing-db': { subsets: [] },
      }),
      list_resources: (a) =>
        a.kind === 'StatefulSet' ? listed('StatefulSet', [{ name: 'billing-db', columns: { READY: '0/0' } }], 'apps/v1', 'app=billing-db') : a.kind === 'Deployment' ? listed('Deployment', [], 'apps/v1', 'app=billing-db') : undefined,
    });
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/waits for Service billing-db/);
    expect(c.rootCause).toMatch(/StatefulSet billing-db is scaled to 0 replicas/);
  });

  it('a file missing under a ConfigMap mount names the ConfigMap and the keys it has', async () => {
    const pod = 'rules-engine-5d7b8c9f6-jx8vn';
    const r = await run(
      'KubePodCrashLooping',
      pod,
      {
        describe_pod: () => ok('describe_pod', crashing(pod, 'engine', 'level=fatal error="open /etc/rules-engine/rules.yaml: no such file or directory"')),
        get_events: () => events([]),
        get_resource: objects({
          [`Pod/${pod}`]: podSpec({ app: 'rules-engine' }, { containers: [{ name: 'engine', volumeMounts: [{ name: 'rules', mountPath: '/etc/rules-engine' }] }], volumes: [{ name: 'rules', configMap: { name: 'engine-rules' } }] }),
          'ConfigMap/engine-rules': { data: { 'rules.yml': 'version: 14' } },
        }),
      },
      'engine',
    );
    const c = conclusion(r.decision);
    expect(c.summary).toMatch(/ConfigMap engine-rules has no key "rules.yaml"/);
    expect(c.rootCause).toMatch(/its keys are rules\.yml/);
  });

  it('an image pull refused for lack of credentials names the pull Secret that does not exist', async () => {
    const pod = 'model-server-0';
    const described = describedPod({
      name: pod,
      status: 'ImagePullBackOff',
      phase: 'Pending',
      owner: { kind: 'StatefulSet', name: 'model-server' },
      containers: [ctr({ name: 'server', image: 'registry.example.com/ml/model-server:4.2.0', ready: false, state: { state: 'waiting', reason: 'ImagePullBackOff', message: 'Back-off pulling image' } })],
    });
    const r = await run('KubePodNotReady', pod, {
      describe_pod: () => ok('describe_pod', described),
      get_events: () =>
        events([
          { type: 'Warning', reason: 'FailedToRetrieveImagePullSecret', count: 3, message: 'Unable to retrieve some image pull secrets (registry-credentials); attempting to pull the image may not succeed.' },
          { type: 'Warning', reason: 'Failed', count: 3, message: 'Failed to pull image "registry.example.com/ml/model-server:4.2.0": pull access denied, repository does not exist or may require authorization: no basic auth credentials' },
        ]),
    });
    const c = conclusion(r.decision);
    expect(c.rootCause).toMatch(/image pull Secret the pod names \(registry-credentials\) does not exist/);
    expect(c.rootCause).not.toMatch(/image (or its tag )?does not exist|wrong (name or )?tag/);
  });
});

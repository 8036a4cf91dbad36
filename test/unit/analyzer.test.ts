// The rule-based analyzer driven step by step with hand-built contexts: each scenario answers the
// analyzer's tool calls with the built-in Kubernetes tools' structured results (their MCP structuredContent,
// stored in the step as `data`), and checks the plan, the conclusion (cause named, evidence cited) and the
// report. The analyzer reads only that data: the text of a result is a placeholder here, never parsed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { Evidence, type StepResult } from '../../src/analyzer/evidence.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import type { Decision, ToolInfo } from '../../src/contracts/investigation.js';
import type { InvestigationContext } from '../../src/incident/contracts.js';
import {
  readOutput,
  type Condition,
  type Container,
  type Event,
  type EventsData,
  type JobData,
  type ListData,
  type LogsData,
  type NodeData,
  type OutputOf,
  type PodData,
  type PodSummary,
  type PvcData,
  type ResourceData,
  type ToolName,
  type WorkloadData,
} from '../../src/contracts/toolData.js';
import { logHighlights } from '../../src/tools/kubernetes/read/getPodLogs.js';

// ── harness ─────────────────────────────────────────────────────────────────────────────────────

const READ = ['get_resource', 'list_resources', 'describe_pod', 'describe_deployment', 'describe_statefulset', 'describe_daemonset', 'describe_node', 'describe_pvc', 'describe_job', 'get_events', 'get_pod_logs', 'rollout_status', 'rollout_history', 'top_pods', 'top_nodes'];
const MUTATING = ['rollout_restart', 'scale', 'delete_pod', 'cordon_node', 'uncordon_node', 'set_resources', 'rollback_deployment', 'set_probe_timing', 'set_hpa_max_replicas', 'set_quota_hard', 'renew_certificate', 'expand_pvc'];
const SCHEMAS: Record<string, { properties: Record<string, unknown>; required: string[] }> = {
  set_resources: { properties: { kind: {}, name: {}, namespace: {}, container: {}, requests: {}, limits: {} }, required: ['kind', 'name', 'namespace', 'container'] },
  rollback_deployment: { properties: { name: {}, namespace: {}, toRevision: {} }, required: ['name', 'namespace'] },
  set_probe_timing: { properties: { kind: {}, name: {}, namespace: {}, container: {}, probe: {}, initialDelaySeconds: {}, periodSeconds: {}, timeoutSeconds: {}, failureThreshold: {} }, required: ['kind', 'name', 'namespace', 'container', 'probe'] },
  set_hpa_max_replicas: { properties: { name: {}, namespace: {}, maxReplicas: {} }, required: ['name', 'namespace', 'maxReplicas'] },
  set_quota_hard: { properties: { name: {}, namespace: {}, resource: {}, value: {} }, required: ['name', 'namespace', 'resource', 'value'] },
  renew_certificate: { properties: { name: {}, namespace: {} }, required: ['name', 'namespace'] },
  expand_pvc: { properties: { name: {}, namespace: {}, size: {} }, required: ['name', 'namespace', 'size'] },
};
const tool = (name: string, mutating: boolean): ToolInfo => ({
  name: `kubernetes__${name}`,
  server: 'kubernetes',
  tool: name,
  description: name,
  inputSchema: { type: 'object', ...(SCHEMAS[name] ?? {}) },
  mutating,
  classifiedBy: 'test',
});
const ALL_TOOLS = [...READ.map((t) => tool(t, false)), ...MUTATING.map((t) => tool(t, true))];

/** A tool's answer: its structured result (with an optional text), an error, or nothing (→ error). */
type Answer = { data: Record<string, unknown>; text?: string } | { error: string };
type Fixtures = Record<string, Answer | ((args: Record<string, unknown>) => Answer | undefined)>;

const ok = <T extends ToolName>(_tool: T, data: OutputOf<T>, text = `(${_tool} text, not read by the analyzer)`): Answer => ({ data: data as Record<string, unknown>, text });

interface AlertSpec {
  alertname: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
}

function incident(a: AlertSpec): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc-1', namespace: 'ops' },
    spec: {
      alertname: a.alertname,
      fingerprint: 'fp',
      status: a.status ?? 'firing',
      labels: { alertname: a.alertname, ...(a.labels ?? {}) },
      annotations: a.annotations ?? {},
      startsAt: '2026-11-26T07:00:00Z',
    },
  };
}

function ctx(a: AlertSpec, steps: Step[], tools = ALL_TOOLS, runbook?: string): InvestigationContext {
  return { incident: incident(a), steps, tools, policyMode: 'observe', runbook };
}

interface Run {
  decision: Decision;
  steps: Step[];
  calls: string[];
  inv: RulesInvestigator;
  alert: AlertSpec;
}

/** Plays the engine: decide, run the tool against the fixtures (mutations are blocked, as in observe), repeat. */
async function run(a: AlertSpec, fx: Fixtures, opts: { tools?: ToolInfo[]; runbooks?: Record<string, string>; maxCalls?: number; mutations?: 'block' | 'run' } = {}): Promise<Run> {
  const inv = new RulesInvestigator({ runbooks: opts.runbooks, maxCalls: opts.maxCalls });
  const steps: Step[] = [];
  const calls: string[] = [];
  const tools = opts.tools ?? ALL_TOOLS;
  for (let i = 0; i < 40; i++) {
    const { decision } = await inv.decide(ctx(a, steps, tools));
    if (decision.kind !== 'callTool') {
      if (decision.kind === 'resolve' || decision.kind === 'escalate') {
        steps.push({ index: steps.length + 1, time: 't', action: decision.kind, state: 'Done', reasoning: decision.reasoning, arguments: JSON.stringify({ summary: decision.summary, root_cause: decision.rootCause }) });
      }
      return { decision, steps, calls, inv, alert: a };
    }
    const t = tools.find((x) => x.name === decision.tool)!;
    expect(t).toBeDefined();
    calls.push(`${t.tool} ${JSON.stringify(decision.arguments)}`);
    const base: Step = { index: steps.length + 1, time: 't', action: 'callTool', server: t.server, tool: t.tool, arguments: JSON.stringify(decision.arguments), reasoning: decision.reasoning, mutating: t.mutating };
    if (t.mutating && opts.mutations !== 'run') {
      steps.push({ ...base, state: 'Blocked', policy: { verdict: 'block', reason: 'policy is observe: tools that change the cluster never run' } });
      continue;
    }
    const f = fx[t.tool];
    const answer = typeof f === 'function' ? f(decision.arguments) : f;
    if (answer === undefined || 'error' in answer) {
      const error = answer?.error ?? `no fixture for ${t.tool}`;
      steps.push({ ...base, state: 'Failed', result: { ok: false, output: error, error } });
    } else {
      // A fixture must be what the tool could really return: valid against its published output schema.
      if (READ.includes(t.tool)) expect([t.tool, readOutput(t.tool as ToolName, answer.data) !== undefined]).toEqual([t.tool, true]);
      const result: StepResult = { ok: true, output: answer.text ?? '', data: JSON.stringify(answer.data) };
      steps.push({ ...base, state: 'Succeeded', result });
    }
  }
  throw new Error('the analyzer did not conclude within 40 decisions');
}

async function report(r: Run, outcome: 'Resolved' | 'NeedsManualIntervention' = r.decision.kind === 'resolve' ? 'Resolved' : 'NeedsManualIntervention', runbook?: string): Promise<string> {
  const { report } = await r.inv.writeReport({ ...ctx(r.alert, r.steps, ALL_TOOLS, runbook), outcome, reason: 'test' });
  return report.markdown;
}

function conclusion(d: Decision): { kind: string; summary: string; rootCause: string } {
  if (d.kind !== 'resolve' && d.kind !== 'escalate') throw new Error(`expected a conclusion, got ${d.kind}`);
  return { kind: d.kind, summary: d.summary, rootCause: d.rootCause };
}

const NOT_FOUND = (what: string) => ({ error: `not found: ${what}` });

// ── fixtures: the built-in tools' structured results ─────────────────────────────────────────────

const cond = (type: string, status: string, reason?: string, message?: string): Condition => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
const event = (type: string, reason: string, message: string, count = 1, object?: string): Event => ({ type, reason, count, message, ...(object ? { object } : {}) });

const ctr = (o: Partial<Container> & { name: string }): Container => ({ init: false, requests: {}, limits: {}, probes: {}, ...o });

const pod = (o: Partial<PodData> & { name: string; status: string; containers: Container[] }): PodData => ({
  namespace: 'shop',
  phase: 'Running',
  ready: 0,
  total: o.containers.filter((c) => !c.init).length,
  restarts: o.containers.reduce((n, c) => n + (c.restarts ?? 0), 0),
  node: 'node-1',
  owner: { kind: 'ReplicaSet', name: 'web-7d9f8c6b5' },
  conditions: [],
  volumes: [],
  secretRefs: [],
  events: [],
  eventsTotal: o.events?.length ?? 0,
  ...o,
});

const podEvents = (events: Event[], namespace = 'shop'): Answer => ok('get_events', { namespace, events, total: events.length, capped: false } satisfies EventsData);
const NO_EVENTS = podEvents([]);

const logs = (name: string, text: string, o: Partial<LogsData> = {}): Answer =>
  ok('get_pod_logs', { name, namespace: 'shop', container: 'web', previous: false, bytes: text.length, cut: false, empty: !text.trim(), ...logHighlights(text), ...o } satisfies LogsData);

const CRASHLOOP_POD = pod({
  name: 'web-7d9f8c6b5-x2x9k',
  status: 'CrashLoopBackOff',
  conditions: [
    cond('PodReadyToStartContainers', 'True'),
    cond('Initialized', 'True'),
    cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [web]'),
    cond('ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [web]'),
    cond('PodScheduled', 'True'),
  ],
  containers: [
    ctr({
      name: 'web',
      image: 'registry.example/web:2.4.1',
      ready: false,
      started: false,
      restarts: 7,
      state: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=web pod=web-7d9f8c6b5-x2x9k_shop(6c1d2a)' },
      lastState: { state: 'terminated', reason: 'Error', exitCode: 1, finishedAt: '2026-11-26T06:58:00Z' },
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '256Mi' },
      probes: { liveness: 'http-get /healthz port 8080 delay=0s timeout=1s period=10s success=1 failure=3' },
    }),
  ],
  secretRefs: [{ name: 'web-db', uses: ['env DATABASE_URL of web'] }],
  events: [event('Warning', 'BackOff', 'Back-off restarting failed container web in pod web-7d9f8c6b5-x2x9k_shop(6c1d2a)', 31), event('Normal', 'Pulled', 'Container image "registry.example/web:2.4.1" already present on machine')],
});

const CRASHLOOP_LOGS = logs(
  'web-7d9f8c6b5-x2x9k',
  [
    '2026-11-26T06:57:59Z INFO starting web 2.4.1',
    '2026-11-26T06:58:00Z INFO connecting to database postgres.shop.svc:5432',
    '2026-11-26T06:58:00Z ERROR failed to connect to database: dial tcp 10.96.0.15:5432: connect: connection refused',
    '2026-11-26T06:58:00Z FATAL exiting: database unavailable',
  ].join('\n'),
  { previous: true },
);

const podSummary = (name: string, status: string, o: Partial<PodSummary> = {}): PodSummary => ({ name, status, ready: status === 'Running' ? 1 : 0, total: 1, restarts: 0, node: 'node-1', ...o });

const deployment = (o: { replicas: WorkloadData['replicas']; conditions: Condition[]; pods: PodSummary[]; revision?: number; replicaSets?: WorkloadData['replicaSets'] }): WorkloadData => ({
  kind: 'Deployment',
  name: 'web',
  namespace: 'shop',
  replicas: o.replicas,
  generation: 3,
  observedGeneration: 3,
  revision: String(o.revision ?? 1),
  paused: false,
  strategy: 'RollingUpdate',
  selector: 'app=web',
  conditions: o.conditions,
  containers: [{ name: 'web', image: 'registry.example/web:2.5.0', requests: { cpu: '100m', memory: '2Gi' }, limits: { memory: '2Gi' } }],
  ...(o.replicaSets ? { replicaSets: o.replicaSets } : {}),
  pods: o.pods,
  podsTotal: o.pods.length,
  events: [],
  eventsTotal: 0,
});
const replicas = (desired: number, updated: number, ready: number, available: number, unavailable: number, total: number) => ({ desired, updated, ready, available, unavailable, total });

// ── scenarios ───────────────────────────────────────────────────────────────────────────────────

describe('RulesInvestigator', () => {
  it('KubePodCrashLooping: describe, events, previous logs → escalate naming CrashLoopBackOff, the exit code and the last log lines', async () => {
    const name = 'web-7d9f8c6b5-x2x9k';
    const r = await run(
      { alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: name, container: 'web' }, annotations: { runbook_url: 'https://runbooks.example/KubePodCrashLooping' } },
      {
        describe_pod: ok('describe_pod', CRASHLOOP_POD),
        get_events: podEvents([event('Warning', 'BackOff', 'Back-off restarting failed container web in pod', 31, `Pod/${name}`)]),
        get_pod_logs: (a) => (a.previous ? CRASHLOOP_LOGS : undefined),
      },
    );
    expect(r.calls).toEqual([
      `describe_pod {"name":"${name}","namespace":"shop"}`,
      `get_events {"namespace":"shop","involvedObjectName":"${name}","limit":20}`,
      `get_pod_logs {"name":"${name}","namespace":"shop","container":"web","previous":true,"tailLines":50}`,
      // The log names a host it cannot connect to: the pod's spec is read to follow it (dependencies.ts).
      `get_resource {"apiVersion":"v1","kind":"Pod","name":"${name}","namespace":"shop"}`,
    ]);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('CrashLoopBackOff');
    expect(c.rootCause).toContain('exit code 1');
    expect(c.rootCause).toContain('connection refused');
    expect(c.summary).toContain('crash-looping');
    const md = await report(r, 'NeedsManualIntervention', 'Check the database first.');
    for (const section of ['## Summary', '## Root cause', '## Evidence', '## Recommendations', '## Runbook']) expect(md).toContain(section);
    expect(md).toContain('Last state: Terminated: Error, exit code 1');
    expect(md).toContain('FATAL exiting: database unavailable');
    expect(md).toContain('kubectl logs -n shop web-7d9f8c6b5-x2x9k -c web --previous');
    expect(md).toContain('https://runbooks.example/KubePodCrashLooping');
    expect(md).toContain('> Check the database first.');
  });

  it('is deterministic and never repeats a call', async () => {
    const a = { alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } };
    const inv = new RulesInvestigator();
    const d1 = await inv.decide(ctx(a, []));
    const d2 = await new RulesInvestigator().decide(ctx(a, []));
    expect(d1).toEqual(d2);
    const r = await run(a, { describe_pod: ok('describe_pod', CRASHLOOP_POD), get_events: NO_EVENTS, get_pod_logs: CRASHLOOP_LOGS });
    expect(new Set(r.calls).size).toBe(r.calls.length);
  });

  it('OOMKilled container: memory limit vs usage, proposes raising the limit (blocked in observe) and says so', async () => {
    const name = 'api-6c9d7f8b4-qq7zt';
    const describe = pod({
      name,
      status: 'CrashLoopBackOff',
      owner: { kind: 'ReplicaSet', name: 'api-6c9d7f8b4' },
      conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [api]'), cond('PodScheduled', 'True')],
      containers: [
        ctr({
          name: 'api',
          image: 'registry.example/api:1.9.0',
          ready: false,
          restarts: 4,
          state: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=api' },
          lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-11-26T06:59:20Z' },
          requests: { cpu: '50m', memory: '64Mi' },
          limits: { memory: '128Mi' },
        }),
      ],
      events: [event('Warning', 'BackOff', 'Back-off restarting failed container api', 9)],
    });
    const top = ok('top_pods', {
      namespace: 'shop',
      sortBy: 'memory',
      perContainer: true,
      rows: [{ namespace: 'shop', pod: name, container: 'api', cpu: 0.012, memory: 121 * 2 ** 20, cpuRequest: 0.05, memoryRequest: 64 * 2 ** 20, memoryLimit: 128 * 2 ** 20 }],
      total: 1,
    });
    const r = await run(
      { alertname: 'KubeContainerOOMKilled', labels: { namespace: 'shop', pod: name, container: 'api' } },
      { describe_pod: ok('describe_pod', describe), get_events: NO_EVENTS, get_pod_logs: logs(name, 'allocating cache: 512MiB', { previous: true }), top_pods: top },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events', 'get_pod_logs', 'top_pods', 'set_resources']);
    expect(r.calls[4]).toBe('set_resources {"kind":"Deployment","name":"api","namespace":"shop","container":"api","limits":{"memory":"256Mi"}}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('OOMKilled (exit code 137)');
    expect(c.rootCause).toContain('memory limit of 128Mi');
    expect(c.rootCause).toContain('current usage 121Mi (95% of its limit 128Mi)');
    expect(c.rootCause).toContain('not run: policy is observe');
    const md = await report(r);
    expect(md).toContain('Resources: requests: cpu=50m, memory=64Mi; limits: memory=128Mi');
    expect(md).toContain('kubectl set resources deployment/api -n shop -c api --limits=memory=256Mi');
  });

  it('a liveness probe that times out: proposes more time for that probe only (not for a 503, nor for a container starved by a tiny CPU limit)', async () => {
    const name = 'web-7d9f8c6b5-x2x9k';
    const timeout = 'Liveness probe failed: Get "http://10.244.2.18:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
    const probed = (message: string, limits: Record<string, string> = { memory: '256Mi' }) =>
      pod({
        ...CRASHLOOP_POD,
        containers: [{ ...CRASHLOOP_POD.containers[0], lastState: { state: 'terminated', reason: 'Error', exitCode: 143, finishedAt: '2026-11-26T06:58:00Z' }, limits }],
        events: [event('Warning', 'Unhealthy', message, 27), event('Normal', 'Killing', 'Container web failed liveness probe, will be restarted', 9)],
      });
    const alertSpec = { alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: name, container: 'web' } };
    const fx = (d: PodData) => ({ describe_pod: ok('describe_pod', d), get_events: NO_EVENTS, get_pod_logs: logs(name, 'GET /healthz took 2.4s', { previous: true }) });
    const r = await run(alertSpec, fx(probed(timeout)));
    expect(r.calls.at(-1)).toBe('set_probe_timing {"kind":"Deployment","name":"web","namespace":"shop","container":"web","probe":"liveness","timeoutSeconds":5}');
    expect(r.steps.at(-2)?.reasoning).toMatch(/Proposed fix: The liveness probe of container web times out after 1s .*give it 5s in deployment\/web/);
    expect(conclusion(r.decision).rootCause).toContain('liveness probe');
    for (const d of [probed('Liveness probe failed: HTTP probe failed with statuscode: 503'), probed(timeout, { cpu: '100m', memory: '256Mi' })]) {
      const other = await run(alertSpec, fx(d));
      expect(other.calls.some((c) => c.startsWith('set_probe_timing'))).toBe(false);
    }
  });

  it('OOMKilled remediation that runs: checks the rollout, resolves when it completes', async () => {
    const name = 'api-6c9d7f8b4-qq7zt';
    const describe = pod({
      name,
      status: 'CrashLoopBackOff',
      owner: { kind: 'ReplicaSet', name: 'api-6c9d7f8b4' },
      conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [api]')],
      containers: [ctr({ name: 'api', ready: false, restarts: 4, state: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off' }, lastState: { state: 'terminated', reason: 'OOMKilled', exitCode: 137 }, requests: { memory: '64Mi' }, limits: { memory: '1Gi' } })],
    });
    const r = await run(
      { alertname: 'KubePodOOMKilled', labels: { namespace: 'shop', pod: name } },
      {
        describe_pod: ok('describe_pod', describe),
        set_resources: { text: 'set resources of container api in Deployment shop/api:\n  limits.memory: 1Gi → 2Gi', data: { kind: 'Deployment', name: 'api', namespace: 'shop', container: 'api', changes: [{ field: 'limits.memory', before: '1Gi', after: '2Gi' }], requests: { memory: '64Mi' }, limits: { memory: '2Gi' }, generation: { before: 1, after: 2 } } },
        rollout_status: ok('rollout_status', {
          kind: 'Deployment',
          name: 'api',
          namespace: 'shop',
          state: 'complete',
          message: 'deployment api successfully rolled out (2 replicas updated and available)',
          replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
          images: ['api=registry.example/api:1.9.0'],
          conditions: [],
          podsNotReady: [],
          podsTotal: 2,
        }),
      },
      { mutations: 'run' },
    );
    expect(r.calls.filter((c) => c.startsWith('set_resources'))).toEqual(['set_resources {"kind":"Deployment","name":"api","namespace":"shop","container":"api","limits":{"memory":"2Gi"}}']);
    expect(r.calls.at(-1)).toBe('rollout_status {"kind":"Deployment","name":"api","namespace":"shop"}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('resolve');
    expect(c.summary).toContain('fixed by set_resources');
  });

  it('KubePodNotReady (readiness probe): names the probe, its endpoint and the Unhealthy message', async () => {
    const name = 'web-7d9f8c6b5-r4nd0';
    const describe = pod({
      name,
      status: 'Running',
      conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [web]')],
      containers: [
        ctr({
          name: 'web',
          image: 'registry.example/web:2.4.1',
          ready: false,
          started: true,
          restarts: 0,
          state: { state: 'running', startedAt: '2026-11-26T06:48:00Z' },
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { memory: '256Mi' },
          probes: { readiness: 'http-get /ready port 8080 delay=0s timeout=1s period=10s success=1 failure=3' },
        }),
      ],
      events: [event('Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 72)],
    });
    const r = await run(
      { alertname: 'KubePodNotReady', labels: { namespace: 'shop', pod: name } },
      {
        describe_pod: ok('describe_pod', describe),
        get_events: podEvents([event('Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 72, `Pod/${name}`)]),
        get_pod_logs: logs(name, 'WARN readiness: cache backend redis.shop.svc unreachable'),
      },
    );
    // Then the pod's spec, for the Services it depends on (dependencies.ts; not answered here).
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events', 'get_pod_logs', 'get_resource']);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('readiness probe');
    expect(c.rootCause).toContain('http-get /ready port 8080');
    expect(c.rootCause).toContain('statuscode: 503');
  });

  it('KubeContainerWaiting (ImagePullBackOff): names the image and that the tag does not exist', async () => {
    const name = 'web-5b8d9c7f6-kk2lm';
    const image = 'registry.example/web:2.5.0-rc1';
    const describe = pod({
      name,
      status: 'ImagePullBackOff',
      phase: 'Pending',
      owner: { kind: 'ReplicaSet', name: 'web-5b8d9c7f6' },
      conditions: [cond('Ready', 'False', 'ContainersNotReady', 'containers with unready status: [web]'), cond('PodScheduled', 'True')],
      containers: [
        ctr({
          name: 'web',
          image,
          ready: false,
          restarts: 0,
          state: { state: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found` },
        }),
      ],
      events: [event('Warning', 'Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`, 5), event('Warning', 'Failed', 'Error: ImagePullBackOff', 5)],
    });
    const r = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: name, container: 'web', reason: 'ImagePullBackOff' } }, { describe_pod: ok('describe_pod', describe), get_events: NO_EVENTS });
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events']); // no logs: it never started
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('ImagePullBackOff');
    expect(c.rootCause).toContain(image);
    expect(c.rootCause).toContain('does not exist in its registry');
    const md = await report(r);
    expect(md).toContain('kubectl set image deployment/web -n shop web=');
    expect(md).toContain('kubectl rollout undo deployment/web -n shop');
  });

  it('ImagePullBackOff from a private registry points at the pull secret', async () => {
    const describe = pod({
      name: 'p',
      status: 'ErrImagePull',
      phase: 'Pending',
      conditions: [cond('PodScheduled', 'True')],
      containers: [ctr({ name: 'app', image: 'private.example/app:1.0', ready: false, restarts: 0, state: { state: 'waiting', reason: 'ErrImagePull', message: "pull access denied for private.example/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied" } })],
    });
    const r = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'p' } }, { describe_pod: ok('describe_pod', describe) });
    expect(conclusion(r.decision).rootCause).toContain('without valid credentials');
    expect(await report(r)).toContain('imagePullSecrets');
  });

  it('KubeContainerWaiting: a missing Secret (CreateContainerConfigError) and a volume that cannot be mounted', async () => {
    const waiting = (state: Container['state'], events: Event[] = []) =>
      ok('describe_pod', pod({ name: 'w', status: 'CreateContainerConfigError', phase: 'Pending', conditions: [cond('PodScheduled', 'True')], containers: [ctr({ name: 'app', image: 'registry.example/app:1', ready: false, restarts: 0, state })], events }));
    const cfg = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'w' } }, { describe_pod: waiting({ state: 'waiting', reason: 'CreateContainerConfigError', message: 'secret "web-db" not found' }) });
    expect(conclusion(cfg.decision).rootCause).toContain('CreateContainerConfigError): secret "web-db" not found');
    expect(await report(cfg)).toContain('Create the missing secret "web-db" in namespace shop');

    const mount = await run(
      { alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'w' } },
      { describe_pod: waiting({ state: 'waiting', reason: 'ContainerCreating' }, [event('Warning', 'FailedMount', 'MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found', 6)]) },
    );
    expect(conclusion(mount.decision).rootCause).toContain('a volume cannot be mounted (FailedMount): MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found');
  });

  it('Pending pod (FailedScheduling): quotes the scheduler message and what to change', async () => {
    const name = 'big-6f7d8c9b5-abcde';
    const msg = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const describe = pod({
      name,
      status: 'Pending',
      phase: 'Pending',
      node: undefined,
      conditions: [cond('PodScheduled', 'False', 'Unschedulable', msg)],
      containers: [ctr({ name: 'big', image: 'registry.example/big:1', requests: { cpu: '100m', memory: '64Gi' }, limits: { memory: '64Gi' } })],
      events: [event('Warning', 'FailedScheduling', msg)],
    });
    const r = await run({ alertname: 'KubePodNotReady', labels: { namespace: 'shop', pod: name } }, { describe_pod: ok('describe_pod', describe), get_events: podEvents([event('Warning', 'FailedScheduling', msg, 1, `Pod/${name}`)]) });
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('FailedScheduling');
    expect(c.rootCause).toContain('3 Insufficient memory');
    const md = await report(r);
    expect(md).toContain('memory=64Gi');
    expect(md).toMatch(/enough allocatable memory/);
  });

  it('KubeDeploymentReplicasMismatch (quota): FailedCreate exceeded quota is the cause', async () => {
    const quotaMsg = 'pods "web-5b8d9c7f6-zz9x8" is forbidden: exceeded quota: compute, requested: requests.memory=2Gi, used: requests.memory=9Gi, limited: requests.memory=10Gi';
    const r = await run(
      { alertname: 'KubeDeploymentReplicasMismatch', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: ok(
          'describe_deployment',
          deployment({
            replicas: replicas(3, 3, 2, 2, 1, 2),
            conditions: [cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), cond('ReplicaFailure', 'True', 'FailedCreate', quotaMsg), cond('Progressing', 'True', 'ReplicaSetUpdated', 'ReplicaSet "web-5b8d9c7f6" is progressing.')],
            pods: [podSummary('web-5b8d9c7f6-aaaaa', 'Running'), podSummary('web-5b8d9c7f6-bbbbb', 'Running', { node: 'node-2' })],
          }),
        ),
        rollout_status: ok('rollout_status', { kind: 'Deployment', name: 'web', namespace: 'shop', state: 'progressing', message: '2 of 3 updated replicas are available', replicas: { desired: 3, updated: 3, ready: 2, available: 2 }, images: [], conditions: [], podsNotReady: [], podsTotal: 2 }),
        get_events: podEvents([event('Warning', 'FailedCreate', `Error creating: ${quotaMsg}`, 12, 'ReplicaSet/web-5b8d9c7f6')]),
      },
    );
    // The quota is read (the evidence names it), then who else uses it (the Deployments listed: none read here),
    // and room for the one missing pod proposed: 9Gi used + 2Gi.
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_deployment', 'rollout_status', 'get_events', 'get_resource', 'list_resources', 'set_quota_hard']);
    expect(r.calls[3]).toBe('get_resource {"apiVersion":"v1","kind":"ResourceQuota","name":"compute","namespace":"shop"}');
    expect(r.calls[4]).toBe('list_resources {"apiVersion":"apps/v1","kind":"Deployment","namespace":"shop"}');
    expect(r.calls[5]).toBe('set_quota_hard {"name":"compute","namespace":"shop","resource":"requests.memory","value":"11264Mi"}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('2 of 3 replicas available');
    expect(c.rootCause).toContain('exceeded quota: compute');
    expect(await report(r)).toContain('kubectl describe resourcequota -n shop');
  });

  it('KubeQuotaFullyUsed that refuses pods: proposes room for them within the bound; not for a quota that only fills up', async () => {
    const quota: ResourceData = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      name: 'sandbox-quota',
      namespace: 'shop',
      object: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'sandbox-quota', namespace: 'shop' }, spec: { hard: { pods: '10' } }, status: { hard: { pods: '10' }, used: { pods: '10' } } },
    };
    const refusal = 'Error creating: pods "preview-6f7d8c9b5-7nmx2" is forbidden: exceeded quota: sandbox-quota, requested: pods=1, used: pods=10, limited: pods=10';
    const labels = { namespace: 'shop', resourcequota: 'sandbox-quota', resource: 'pods' };
    const fx = (events: Event[]) => ({ get_resource: ok('get_resource', quota), get_events: podEvents(events) });
    const r = await run({ alertname: 'KubeQuotaFullyUsed', labels }, fx([event('Warning', 'FailedCreate', refusal, 14, 'ReplicaSet/preview-6f7d8c9b5')]));
    expect(r.calls.at(-1)).toBe('set_quota_hard {"name":"sandbox-quota","namespace":"shop","resource":"pods","value":"11"}');
    expect(conclusion(r.decision).rootCause).toContain('It refuses new objects');
    const quiet = await run({ alertname: 'KubeQuotaFullyUsed', labels }, fx([]));
    expect(quiet.calls.some((c) => c.startsWith('set_quota_hard'))).toBe(false);
    const almost = await run({ alertname: 'KubeQuotaAlmostFull', labels }, fx([event('Warning', 'FailedCreate', refusal, 14, 'ReplicaSet/preview-6f7d8c9b5')]));
    expect(almost.calls.some((c) => c.startsWith('set_quota_hard'))).toBe(false);
  });

  it('KubeDeploymentRolloutStuck: ProgressDeadlineExceeded, the new pods cannot pull their image → proposes a rollback', async () => {
    const name = 'web-5b8d9c7f6-kk2lm';
    const image = 'registry.example/web:2.5.0';
    const r = await run(
      { alertname: 'KubeDeploymentRolloutStuck', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: ok(
          'describe_deployment',
          deployment({
            replicas: replicas(2, 1, 2, 2, 1, 3),
            revision: 2,
            conditions: [cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'), cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-5b8d9c7f6" has timed out progressing.')],
            replicaSets: [
              { name: 'web-5b8d9c7f6', revision: 2, current: true, desired: 1, ready: 0, available: 0, images: ['web=registry.example/web:2.5.0'] },
              { name: 'web-7d9f8c6b5', revision: 1, current: false, desired: 2, ready: 2, available: 2, images: ['web=registry.example/web:2.4.1'] },
            ],
            pods: [podSummary(name, 'ImagePullBackOff'), podSummary('web-7d9f8c6b5-aaaaa', 'Running'), podSummary('web-7d9f8c6b5-bbbbb', 'Running', { node: 'node-2' })],
          }),
        ),
        rollout_status: ok('rollout_status', { kind: 'Deployment', name: 'web', namespace: 'shop', state: 'failed', message: 'deployment web exceeded its progress deadline: ReplicaSet "web-5b8d9c7f6" has timed out progressing.', replicas: { desired: 2, updated: 1, ready: 2, available: 2 }, images: [], conditions: [], podsNotReady: [], podsTotal: 3 }),
        get_events: NO_EVENTS,
        describe_pod: ok(
          'describe_pod',
          pod({
            name,
            status: 'ImagePullBackOff',
            phase: 'Pending',
            owner: { kind: 'ReplicaSet', name: 'web-5b8d9c7f6' },
            conditions: [cond('PodScheduled', 'True')],
            containers: [ctr({ name: 'web', image, ready: false, restarts: 0, state: { state: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: manifest unknown` } })],
          }),
        ),
        rollout_history: ok('rollout_history', {
          name: 'web',
          namespace: 'shop',
          currentRevision: '2',
          revisions: [
            { revision: 2, current: true, replicaSet: 'web-5b8d9c7f6', ready: 0, desired: 1, images: ['web=registry.example/web:2.5.0'] },
            { revision: 1, current: false, replicaSet: 'web-7d9f8c6b5', ready: 2, desired: 2, images: ['web=registry.example/web:2.4.1'] },
          ],
        }),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_deployment', 'rollout_status', 'get_events', 'describe_pod', 'rollout_history', 'rollback_deployment']);
    expect(r.calls.at(-1)).toBe('rollback_deployment {"name":"web","namespace":"shop"}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('ProgressDeadlineExceeded');
    expect(c.rootCause).toContain('image');
    expect(c.rootCause).toContain(image);
    const md = await report(r);
    expect(md).toContain('2 (current)  web-5b8d9c7f6  ready 0/1  web=registry.example/web:2.5.0');
  });

  it('KubeDeploymentReplicasMismatch resolves when the replicas match again', async () => {
    const r = await run(
      { alertname: 'KubeDeploymentReplicasMismatch', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: ok('describe_deployment', deployment({ replicas: replicas(2, 2, 2, 2, 0, 2), conditions: [cond('Available', 'True', 'MinimumReplicasAvailable', 'ok')], pods: [podSummary('web-1', 'Running'), podSummary('web-2', 'Running')] })),
        rollout_status: ok('rollout_status', { kind: 'Deployment', name: 'web', namespace: 'shop', state: 'complete', message: 'deployment web successfully rolled out (2 replicas updated and available)', replicas: { desired: 2, updated: 2, ready: 2, available: 2 }, images: [], conditions: [], podsNotReady: [], podsTotal: 2 }),
        get_events: NO_EVENTS,
      },
    );
    const c = conclusion(r.decision);
    expect(c.kind).toBe('resolve');
    expect(c.rootCause).toContain('desired 2 | updated 2 | ready 2');
  });

  it('KubeStatefulSetReplicasMismatch: the pod waits for a PVC that cannot be provisioned', async () => {
    const unbound = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const pvc: PvcData = {
      name: 'data-db-2',
      namespace: 'db',
      phase: 'Pending',
      storageClass: 'fast-ssd',
      volumeMode: 'Filesystem',
      requested: '100Gi',
      accessModes: ['ReadWriteOnce'],
      conditions: [],
      usedBy: [{ name: 'db-2', status: 'Pending' }],
      events: [event('Warning', 'ProvisioningFailed', 'storageclass.storage.k8s.io "fast-ssd" not found', 14)],
      eventsTotal: 1,
    };
    const r = await run(
      { alertname: 'KubeStatefulSetReplicasMismatch', labels: { namespace: 'db', statefulset: 'db' } },
      {
        describe_statefulset: ok('describe_statefulset', {
          kind: 'StatefulSet',
          name: 'db',
          namespace: 'db',
          replicas: { desired: 3, current: 3, updated: 3, ready: 2, available: 2, total: 3 },
          conditions: [],
          containers: [{ name: 'postgres', image: 'postgres:16', requests: {}, limits: {} }],
          pods: [podSummary('db-0', 'Running'), podSummary('db-1', 'Running', { node: 'node-2' }), podSummary('db-2', 'Pending', { node: undefined })],
          podsTotal: 3,
          events: [],
          eventsTotal: 0,
        }),
        rollout_status: ok('rollout_status', { kind: 'StatefulSet', name: 'db', namespace: 'db', state: 'progressing', message: 'waiting for 1 pods to be ready (2/3 ready)', replicas: { desired: 3, ready: 2, updated: 3 }, images: [], conditions: [], podsNotReady: [], podsTotal: 3 }),
        get_events: podEvents([], 'db'),
        describe_pod: ok(
          'describe_pod',
          pod({
            name: 'db-2',
            namespace: 'db',
            status: 'Pending',
            phase: 'Pending',
            node: undefined,
            owner: { kind: 'StatefulSet', name: 'db' },
            conditions: [cond('PodScheduled', 'False', 'Unschedulable', unbound)],
            containers: [ctr({ name: 'postgres', image: 'postgres:16' })],
            volumes: [{ name: 'data', type: 'persistentVolumeClaim', source: 'data-db-2' }],
            events: [event('Warning', 'FailedScheduling', unbound)],
          }),
        ),
        describe_pvc: ok('describe_pvc', pvc),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_statefulset', 'rollout_status', 'get_events', 'describe_pod', 'describe_pvc']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('2 of 3 replicas available');
    expect(c.rootCause).toContain('unbound immediate PersistentVolumeClaims');
    expect(c.rootCause).toContain('ProvisioningFailed');
    expect(c.rootCause).toContain('"fast-ssd" not found');
  });

  it('KubeJobFailed: BackoffLimitExceeded, the failed pod’s exit code and its log', async () => {
    const job: JobData = {
      kind: 'Job',
      name: 'migrate-29011',
      namespace: 'shop',
      owner: { kind: 'CronJob', name: 'migrate' },
      completions: 1,
      succeeded: 0,
      active: 0,
      failed: 4,
      parallelism: 1,
      backoffLimit: 3,
      completionMode: 'NonIndexed',
      conditions: [cond('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'), cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')],
      containers: [{ name: 'migrate', image: 'registry.example/migrate:7', requests: {}, limits: {} }],
      pods: [podSummary('migrate-29011-4xk2p', 'Error'), podSummary('migrate-29011-9bq7d', 'Error', { node: 'node-2' })],
      podsTotal: 2,
      events: [],
      eventsTotal: 0,
    };
    const r = await run(
      { alertname: 'KubeJobFailed', labels: { namespace: 'shop', job_name: 'migrate-29011' } },
      {
        describe_job: ok('describe_job', job),
        get_events: NO_EVENTS,
        describe_pod: ok(
          'describe_pod',
          pod({
            name: 'migrate-29011-4xk2p',
            status: 'Error',
            phase: 'Failed',
            owner: { kind: 'Job', name: 'migrate-29011' },
            conditions: [cond('Ready', 'False', 'PodFailed')],
            containers: [ctr({ name: 'migrate', image: 'registry.example/migrate:7', ready: false, restarts: 0, state: { state: 'terminated', reason: 'Error', exitCode: 2, finishedAt: '2026-11-26T06:39:00Z' } })],
          }),
        ),
        get_pod_logs: (a) => (a.previous ? undefined : logs('migrate-29011-4xk2p', 'applying migration 0042_users\nERROR: relation "users" already exists\nmigration failed')),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_job', 'get_events', 'describe_pod', 'get_pod_logs']);
    expect(r.calls[3]).toBe('get_pod_logs {"name":"migrate-29011-4xk2p","namespace":"shop","container":"migrate","tailLines":50}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('BackoffLimitExceeded');
    expect(c.rootCause).toContain('exit code 2');
    expect(c.rootCause).toContain('relation "users" already exists');
  });

  it('KubeHpaMaxedOut: at maxReplicas with the metric above target', async () => {
    const hpa: ResourceData = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'web',
      namespace: 'shop',
      object: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { maxReplicas: 10, minReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }], scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
        status: {
          conditions: [{ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count', lastTransitionTime: '2026-11-26T06:00:00Z' }],
          currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 97, averageValue: '485m' } } }],
          currentReplicas: 10,
          desiredReplicas: 10,
        },
      },
    };
    const r = await run(
      { alertname: 'KubeHpaMaxedOut', labels: { namespace: 'shop', horizontalpodautoscaler: 'web' } },
      {
        get_resource: ok('get_resource', hpa),
        get_events: NO_EVENTS,
        describe_deployment: ok('describe_deployment', deployment({ replicas: replicas(10, 10, 10, 10, 0, 10), conditions: [], pods: [] })),
        top_pods: { error: 'metrics API (metrics-server) is not installed in this cluster (no metrics.k8s.io API)' },
      },
    );
    // Held at its ceiling by CPU: half as much again is proposed (blocked in observe).
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['get_resource', 'get_events', 'describe_deployment', 'top_pods', 'set_hpa_max_replicas']);
    expect(r.calls[4]).toBe('set_hpa_max_replicas {"name":"web","namespace":"shop","maxReplicas":15}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('maxReplicas (10/10');
    expect(c.rootCause).toContain('cpu at 97% against a target of 60%');
    expect(c.rootCause).toContain('ScalingLimited=True (TooManyReplicas)');
    const md = await report(r);
    expect(md).toContain('"maxReplicas":15');
    expect(md).toContain('top_pods namespace shop` could not be read: metrics API');
  });

  it('CPUThrottlingHigh: the CPU limit and how much of it is used', async () => {
    const name = 'web-7d9f8c6b5-x2x9k';
    const r = await run(
      { alertname: 'CPUThrottlingHigh', labels: { namespace: 'shop', pod: name, container: 'web' }, annotations: { description: '65.2% throttling of CPU in namespace shop for container web in pod web-7d9f8c6b5-x2x9k.' } },
      {
        describe_pod: ok(
          'describe_pod',
          pod({
            name,
            status: 'Running',
            ready: 1,
            conditions: [cond('Ready', 'True')],
            containers: [ctr({ name: 'web', ready: true, started: true, restarts: 0, state: { state: 'running' }, requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } })],
          }),
        ),
        top_pods: ok('top_pods', {
          namespace: 'shop',
          sortBy: 'cpu',
          perContainer: true,
          rows: [{ namespace: 'shop', pod: name, container: 'web', cpu: 0.49, memory: 200 * 2 ** 20, cpuRequest: 0.25, cpuLimit: 0.5, memoryRequest: 256 * 2 ** 20, memoryLimit: 512 * 2 ** 20 }],
          total: 1,
        }),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'top_pods']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('CPU limit of 500m');
    expect(c.rootCause).toContain('65.2%');
    expect(c.rootCause).toContain('490m (98% of the limit)');
    expect(await report(r)).toContain('--limits=cpu=1000m');
  });

  it('KubeMemoryOvercommit (cluster): requests vs allocatable without the largest node', async () => {
    const node = (name: string, memRequests: number): NodeData => ({
      name,
      status: 'Ready',
      unschedulable: false,
      roles: ['worker'],
      taints: [],
      conditions: [cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')],
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
      pods: { count: 20, cpuRequests: 3.2, cpuLimits: 6, memoryRequests: memRequests * 2 ** 30, memoryLimits: 20 * 2 ** 30, items: [] },
      events: [],
      eventsTotal: 0,
    });
    const nodes: ListData = {
      apiVersion: 'v1',
      kind: 'Node',
      items: ['node-1', 'node-2'].map((n) => ({ name: n, columns: { STATUS: 'Ready', ROLES: 'worker', VERSION: 'v1.31.0' }, node: { status: 'Ready' as const, unschedulable: false, roles: ['worker'], version: 'v1.31.0' } })),
      more: false,
    };
    const pods: ListData = {
      apiVersion: 'v1',
      kind: 'Pod',
      items: [
        { name: 'api-1', namespace: 'shop', columns: {}, pod: { status: 'Running', ready: 1, total: 1, restarts: 3, node: 'node-1', lastTermination: { container: 'api', reason: 'OOMKilled', exitCode: 137 } } },
        { name: 'web-1', namespace: 'shop', columns: {}, pod: { status: 'Running', ready: 1, total: 1, restarts: 0, node: 'node-2' } },
      ],
      more: false,
    };
    const r = await run(
      { alertname: 'KubeMemoryOvercommit', annotations: { description: 'Cluster has overcommitted memory resource requests for Pods by 4Gi bytes and cannot tolerate node failure.' } },
      {
        list_resources: (a) => (a.kind === 'Node' ? ok('list_resources', nodes) : ok('list_resources', pods)),
        top_nodes: { error: 'metrics API (metrics-server) is not installed in this cluster' },
        describe_node: (a) => ok('describe_node', node(String(a.name), a.name === 'node-1' ? 14 : 12)),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['list_resources', 'top_nodes', 'describe_node', 'describe_node', 'list_resources']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('Pods request 26Gi memory');
    expect(c.rootCause).toContain('only 16Gi would remain');
    expect(c.rootCause).toContain('cannot reschedule');
    expect(c.rootCause).toContain('shop/api-1');
  });

  it('KubePersistentVolumeFillingUp: capacity, free space from the alert, expansion allowed', async () => {
    const r = await run(
      { alertname: 'KubePersistentVolumeFillingUp', labels: { namespace: 'db', persistentvolumeclaim: 'data-db-0' }, annotations: { description: 'The PersistentVolume claimed by data-db-0 in Namespace db is only 3.2% free.', runbook_url: 'https://runbooks.example/pv' } },
      {
        describe_pvc: ok('describe_pvc', {
          name: 'data-db-0',
          namespace: 'db',
          phase: 'Bound',
          volumeName: 'pvc-0a1b2c',
          storageClass: 'standard',
          volumeMode: 'Filesystem',
          requested: '10Gi',
          capacity: '10Gi',
          accessModes: ['ReadWriteOnce'],
          conditions: [],
          volume: { name: 'pvc-0a1b2c', phase: 'Bound', capacity: '10Gi', reclaimPolicy: 'Delete', source: 'csi ebs.csi.aws.com' },
          usedBy: [{ name: 'db-0', status: 'Running', node: 'node-1' }],
          events: [],
          eventsTotal: 0,
        }),
        get_events: podEvents([], 'db'),
        get_resource: ok('get_resource', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: 'standard', object: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' }, allowVolumeExpansion: true, provisioner: 'ebs.csi.aws.com' } }),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pvc', 'get_events', 'get_resource', 'expand_pvc']);
    expect(r.calls[2]).toBe('get_resource {"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","name":"standard"}');
    // The storage class allows expansion: the fix is proposed (twice the size, within expand_pvc's bounds); observe blocks it here.
    expect(r.calls[3]).toBe('expand_pvc {"name":"data-db-0","namespace":"db","size":"20Gi"}');
    expect(r.steps[3].reasoning).toContain('Storage class standard allows volume expansion: grow PVC db/data-db-0 from 10Gi to 20Gi');
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('Proposed expand_pvc');
    expect(c.rootCause).toContain('capacity 10Gi');
    expect(c.rootCause).toContain('3.2%');
    expect(c.rootCause).toContain('allows volume expansion');
    const md = await report(r);
    expect(md).toContain(`Grow the claim in place to 20Gi (the built-in fix \`expand_pvc\`, proposed under the policy; a volume cannot shrink back): \`kubectl patch pvc data-db-0 -n db -p '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}'\``);
    expect(md).toContain('Runbook: https://runbooks.example/pv');
  });

  it('KubePersistentVolumeFillingUp: no expansion proposed where the storage class does not allow it', async () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: 'local', object: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner' } };
    const r = await run(
      { alertname: 'KubePersistentVolumeFillingUp', labels: { namespace: 'db', persistentvolumeclaim: 'data-db-0' } },
      {
        describe_pvc: ok('describe_pvc', { name: 'data-db-0', namespace: 'db', phase: 'Bound', volumeName: 'pv-1', storageClass: 'local', volumeMode: 'Filesystem', requested: '10Gi', capacity: '10Gi', accessModes: ['ReadWriteOnce'], conditions: [], events: [], eventsTotal: 0 }),
        get_events: podEvents([], 'db'),
        get_resource: ok('get_resource', sc),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pvc', 'get_events', 'get_resource']);
    expect(conclusion(r.decision).rootCause).toContain('Storage class local does not allow expansion');
  });

  describe('cert-manager: renew_certificate is proposed only where a renewal can help', () => {
    const certificate = (conditions: Array<Record<string, string>>, issuer = 'letsencrypt') => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      name: 'api-tls',
      namespace: 'shop',
      object: { metadata: { name: 'api-tls', namespace: 'shop' }, spec: { secretName: 'api-tls', issuerRef: { name: issuer, kind: 'Issuer' } }, status: { notAfter: new Date(Date.now() + 5 * 86400e3).toISOString(), renewalTime: new Date(Date.now() - 86400e3).toISOString(), conditions } },
    });
    const issuer = (ready: boolean) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      name: 'letsencrypt',
      namespace: 'shop',
      object: { metadata: { name: 'letsencrypt' }, status: { conditions: [ready ? { type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered' } : { type: 'Ready', status: 'False', reason: 'ErrInitIssuer', message: 'secret "acme-key" not found' }] } },
    });
    const alert = { alertname: 'CertManagerCertExpirySoon', labels: { name: 'api-tls', exported_namespace: 'shop', namespace: 'cert-manager' } };
    const fixtures = (cert: ReturnType<typeof certificate>, ready: boolean): Fixtures => ({
      get_resource: (a) => ok('get_resource', a.kind === 'Certificate' ? cert : issuer(ready)),
      get_events: podEvents([], 'shop'),
    });
    const readyCond = { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' };

    it('near expiry, issuer Ready, no issuance under way: proposed', async () => {
      const r = await run(alert, fixtures(certificate([readyCond]), true));
      expect(r.calls.at(-1)).toBe('renew_certificate {"name":"api-tls","namespace":"shop"}');
      expect(r.steps.find((x) => x.tool === 'renew_certificate')!.reasoning).toMatch(/Issuer letsencrypt is Ready and Certificate shop\/api-tls expires in 5 days: ask cert-manager to renew it now/);
    });

    it('the issuer is not Ready: not proposed, and the report says why not', async () => {
      const r = await run(alert, fixtures(certificate([readyCond]), false));
      expect(r.calls.map((c) => c.split(' ')[0])).not.toContain('renew_certificate');
      expect(await report(r)).toContain('Do not renew Certificate shop/api-tls (cmctl renew) before Issuer letsencrypt is Ready: a renewal now fails the same way');
    });

    it('an issuance already under way: not proposed', async () => {
      const r = await run(alert, fixtures(certificate([readyCond, { type: 'Issuing', status: 'True', reason: 'Renewing', message: 'Renewing certificate' }]), true));
      expect(r.calls.map((c) => c.split(' ')[0])).not.toContain('renew_certificate');
      expect(await report(r)).toContain('An issuance is already under way (Issuing=True (Renewing)');
    });
  });

  it('KubeNodeNotReady: the Ready condition message, taints and the other nodes', async () => {
    const stopped = 'Kubelet stopped posting node status.';
    const r = await run(
      { alertname: 'KubeNodeNotReady', labels: { node: 'node-3' } },
      {
        describe_node: ok('describe_node', {
          name: 'node-3',
          status: 'NotReady',
          unschedulable: false,
          roles: ['worker'],
          taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }],
          conditions: [cond('MemoryPressure', 'Unknown', 'NodeStatusUnknown', stopped), cond('DiskPressure', 'Unknown', 'NodeStatusUnknown', stopped), cond('Ready', 'Unknown', 'NodeStatusUnknown', stopped)],
          capacity: { cpu: '4', memory: '16Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
          pods: { count: 14, cpuRequests: 1, cpuLimits: 2, memoryRequests: 2 ** 30, memoryLimits: 2 ** 31, items: [] },
          events: [event('Normal', 'NodeNotReady', 'Node node-3 status is now: NodeNotReady')],
          eventsTotal: 1,
        }),
        get_events: podEvents([]),
        list_resources: ok('list_resources', {
          apiVersion: 'v1',
          kind: 'Node',
          items: (['node-1', 'node-2', 'node-3'] as const).map((n) => ({ name: n, columns: {}, node: { status: n === 'node-3' ? ('NotReady' as const) : ('Ready' as const), unschedulable: false, roles: ['worker'], version: 'v1.31.0' } })),
          more: false,
        }),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_node', 'get_events', 'list_resources']);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)');
    expect(c.rootCause).toContain('specific to node-3');
    expect(c.rootCause).toContain('Taints: node.kubernetes.io/unreachable:NoExecute');
    const md = await report(r);
    expect(md).toContain('kubectl drain node-3 --ignore-daemonsets');
    expect(md).toContain('node-3  NotReady');
  });

  it('KubeNodeNotReady resolves when the node is Ready again', async () => {
    const r = await run(
      { alertname: 'KubeNodeNotReady', labels: { node: 'node-3' } },
      {
        describe_node: ok('describe_node', { name: 'node-3', status: 'Ready', unschedulable: false, roles: [], taints: [], conditions: [cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')], capacity: {}, allocatable: {}, events: [], eventsTotal: 0 }),
        get_events: podEvents([]),
        list_resources: { data: { something: 'that is not a list_resources result' } },
      },
    ).catch((e: Error) => e);
    // A fixture that is not valid data is refused by the harness (the analyzer would ignore it).
    expect(r).toBeInstanceOf(Error);
    const fine = await run(
      { alertname: 'KubeNodeNotReady', labels: { node: 'node-3' } },
      {
        describe_node: ok('describe_node', { name: 'node-3', status: 'Ready', unschedulable: false, roles: [], taints: [], conditions: [cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')], capacity: {}, allocatable: {}, events: [], eventsTotal: 0 }),
        get_events: podEvents([]),
      },
    );
    expect(conclusion(fine.decision).kind).toBe('resolve');
  });

  it('TargetDown: the service has no ready endpoints because its pod crash-loops', async () => {
    const r = await run(
      { alertname: 'TargetDown', labels: { namespace: 'shop', job: 'web', service: 'web' }, annotations: { description: '100% of the web/web targets in shop namespace are down.' } },
      {
        get_resource: (a) =>
          a.kind === 'Service'
            ? ok('get_resource', { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'shop', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: '10.96.3.4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], selector: { app: 'web' }, type: 'ClusterIP' } } })
            : ok('get_resource', {
                apiVersion: 'v1',
                kind: 'Endpoints',
                name: 'web',
                namespace: 'shop',
                object: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' }, subsets: [{ notReadyAddresses: [{ ip: '10.244.1.17', targetRef: { kind: 'Pod', name: 'web-7d9f8c6b5-x2x9k' } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] },
              }),
        list_resources: ok('list_resources', {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: 'shop',
          labelSelector: 'app=web',
          items: [{ name: 'web-7d9f8c6b5-x2x9k', namespace: 'shop', columns: {}, pod: { status: 'CrashLoopBackOff', ready: 0, total: 1, restarts: 7, node: 'node-1', lastTermination: { container: 'web', reason: 'Error', exitCode: 1 } } }],
          more: false,
        }),
        describe_pod: ok('describe_pod', CRASHLOOP_POD),
        get_events: NO_EVENTS,
        get_pod_logs: CRASHLOOP_LOGS,
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['get_resource', 'get_resource', 'list_resources', 'describe_pod', 'get_events', 'get_pod_logs']);
    expect(r.calls[2]).toBe('list_resources {"apiVersion":"v1","kind":"Pod","namespace":"shop","labelSelector":"app=web"}');
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('0 ready, 1 not ready');
    expect(c.rootCause).toContain('CrashLoopBackOff');
    expect(c.rootCause).toContain('connection refused');
  });

  it('an unknown alert: evidence for its labelled objects, then "no rule for alert X"', async () => {
    const r = await run(
      { alertname: 'PaymentsLatencyHigh', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k', deployment: 'web' } },
      {
        describe_pod: ok('describe_pod', CRASHLOOP_POD),
        get_pod_logs: CRASHLOOP_LOGS,
        describe_deployment: ok('describe_deployment', deployment({ replicas: replicas(2, 2, 1, 1, 1, 2), conditions: [cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.')], pods: [] })),
        get_events: podEvents([event('Warning', 'BackOff', 'Back-off restarting failed container web', 31, 'Pod/web-7d9f8c6b5-x2x9k')]),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_pod_logs', 'describe_deployment', 'get_events']);
    expect(r.calls[3]).toBe('get_events {"namespace":"shop","type":"Warning","limit":40}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.summary).toBe('No rule for alert PaymentsLatencyHigh: needs manual intervention');
    expect(c.rootCause).toContain('CrashLoopBackOff');
    expect(c.rootCause).toContain('Available=False (MinimumReplicasUnavailable)');
    expect(c.rootCause).toContain('BackOff on Pod/web-7d9f8c6b5-x2x9k');
  });

  it('an unknown alert without object labels escalates at once', async () => {
    const r = await run({ alertname: 'Watchdog2', labels: {} }, {});
    expect(r.calls).toEqual([]);
    expect(conclusion(r.decision).summary).toBe('No rule for alert Watchdog2: needs manual intervention');
    expect(await report(r)).toContain('no evidence could be gathered');
  });

  it('resolves when the pod is gone, and when AlertManager resolved the alert', async () => {
    const gone = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'old-1' } }, { describe_pod: NOT_FOUND('pod old-1 in namespace shop'), get_events: NO_EVENTS });
    expect(conclusion(gone.decision)).toMatchObject({ kind: 'resolve' });
    expect(conclusion(gone.decision).rootCause).toContain('no longer exists');

    const inv = new RulesInvestigator();
    const { decision } = await inv.decide(ctx({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' }, status: 'resolved' }, []));
    expect(decision.kind).toBe('resolve');
    if (decision.kind === 'resolve') expect(decision.summary).toMatch(/^AlertManager resolved KubePodCrashLooping/);
  });

  it('skips tools that are not offered and concludes with what it has', async () => {
    const tools = ALL_TOOLS.filter((t) => t.tool === 'describe_pod');
    const r = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } }, { describe_pod: ok('describe_pod', CRASHLOOP_POD) }, { tools });
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod']);
    expect(conclusion(r.decision).rootCause).toContain('exit code 1');

    const none = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'x' } }, {}, { tools: [] });
    expect(none.calls).toEqual([]);
    expect(conclusion(none.decision).kind).toBe('escalate');
  });

  it('caps the number of evidence calls', async () => {
    const r = await run({ alertname: 'KubeDeploymentRolloutStuck', labels: { namespace: 'shop', deployment: 'web' } }, {}, { maxCalls: 2 });
    expect(r.calls).toHaveLength(2);
    expect(conclusion(r.decision).kind).toBe('escalate');
  });

  it('writes a report even when the step budget ended the investigation before a conclusion', async () => {
    const r = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } }, { describe_pod: ok('describe_pod', CRASHLOOP_POD) }, { maxCalls: 1 });
    const steps = r.steps.filter((s) => s.action === 'callTool');
    const { report: rep } = await r.inv.writeReport({ ...ctx(r.alert, steps), outcome: 'NeedsManualIntervention', reason: 'the step budget (1 steps) is spent' });
    expect(rep.markdown).toContain('stopped before concluding: the step budget');
    expect(rep.rootCause).toContain('exit code 1');
  });
});

// ── structured data only ─────────────────────────────────────────────────────────────────────────

describe('the analyzer reads data, not text', () => {
  const CRASH_TEXT = [
    'Pod: shop/web-7d9f8c6b5-x2x9k',
    'Status: CrashLoopBackOff   Phase: Running   Ready: 0/1   Restarts: 7',
    'Containers:',
    '  web:',
    '    State: Waiting: CrashLoopBackOff — back-off',
    '    Last state: Terminated: Error, exit code 1',
  ].join('\n');

  it('a result without data (an external server, an older status) is "nothing found", never an exception', async () => {
    const a = { alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } };
    const step = (tool: string, result: StepResult, index = 1): Step => ({ index, time: 't', action: 'callTool', server: 'other', tool, arguments: JSON.stringify({ name: 'web-7d9f8c6b5-x2x9k', namespace: 'shop' }), state: 'Succeeded', result });
    for (const result of [
      { ok: true, output: CRASH_TEXT },
      { ok: true, output: CRASH_TEXT, data: '{"not": "json' },
      { ok: true, output: CRASH_TEXT, data: JSON.stringify({ name: 42 }) },
      { ok: true, output: '', data: 'null' },
    ] as StepResult[]) {
      const steps = [step('describe_pod', result)];
      const ev = new Evidence(steps);
      expect(ev.data('describe_pod', { name: 'web-7d9f8c6b5-x2x9k' })).toBeUndefined();
      const inv = new RulesInvestigator({ maxCalls: 1 });
      const d = await inv.decide(ctx(a, steps, [tool('describe_pod', false)]));
      expect(d.decision.kind).toBe('escalate');
      if (d.decision.kind === 'escalate') expect(d.decision.rootCause).not.toContain('exit code 1');
      const { report: rep } = await inv.writeReport({ ...ctx(a, steps), outcome: 'NeedsManualIntervention', reason: 'test' });
      expect(rep.markdown).toContain('## Root cause');
      // The text is shown to the person as it is (quoted), not read.
      if (result.output) {
        expect(rep.markdown).toContain('described as text only (no structured result)');
        expect(rep.markdown).toContain('Status: CrashLoopBackOff   Phase: Running   Ready: 0/1   Restarts: 7');
      }
    }
    // The same step with its data: the cause is named.
    const withData = [step('describe_pod', { ok: true, output: CRASH_TEXT, data: JSON.stringify(CRASHLOOP_POD) })];
    const d = await new RulesInvestigator({ maxCalls: 1 }).decide(ctx(a, withData, [tool('describe_pod', false)]));
    expect(d.decision.kind === 'escalate' && d.decision.rootCause).toContain('exit code 1');
  });

  it('matches a call by what the tool read, so that a model\'s "po" or "node" counts as Pod or Node', () => {
    const steps: Step[] = [
      { index: 1, time: 't', action: 'callTool', server: 'kubernetes', tool: 'list_resources', arguments: JSON.stringify({ kind: 'no' }), state: 'Succeeded', result: { ok: true, output: '', data: JSON.stringify({ apiVersion: 'v1', kind: 'Node', items: [], more: false }) } as StepResult },
    ];
    expect(new Evidence(steps).data('list_resources', { kind: 'Node' })).toEqual({ apiVersion: 'v1', kind: 'Node', items: [], more: false });
  });

  it('no analyzer module imports the hand-written YAML reader or parses tool text', () => {
    const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/analyzer');
    expect(fs.existsSync(path.join(dir, 'yaml.ts'))).toBe(false);
    const files = [...fs.readdirSync(dir).map((f) => path.join(dir, f)), ...fs.readdirSync(path.join(dir, 'rules')).map((f) => path.join(dir, 'rules', f))].filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      const src = fs.readFileSync(f, 'utf8');
      expect([f, /from '(\.\.?\/)+yaml\.js'|from 'yaml'/.test(src)]).toEqual([f, false]);
      expect([f, /\b(parsePod|parseTable|parseEvents|parseConditions|parsePodLines|parseCounts|logBody|yamlValue|yamlSection|yamlList|yamlMap)\b/.test(src)]).toEqual([f, false]);
      // Tool text is only ever quoted: never searched with a pattern, and there is no accessor for it.
      expect([f, /\.(test|exec|match)\([^)]*\.output\b|\bev\.outputs?\(/.test(src)]).toEqual([f, false]);
    }
  });
});

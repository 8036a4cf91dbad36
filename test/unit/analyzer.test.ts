// The rule-based analyzer driven step by step with hand-built contexts: each scenario answers the
// analyzer's tool calls with outputs in the built-in Kubernetes tools' formats and checks the plan,
// the conclusion (cause named, evidence cited) and the report.
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import type { Decision, InvestigationContext, ToolInfo } from '../../src/investigation/types.js';

// ── harness ─────────────────────────────────────────────────────────────────────────────────────

const READ = ['get_resource', 'list_resources', 'describe_pod', 'describe_deployment', 'describe_statefulset', 'describe_daemonset', 'describe_node', 'describe_pvc', 'describe_job', 'get_events', 'get_pod_logs', 'rollout_status', 'rollout_history', 'top_pods', 'top_nodes'];
const MUTATING = ['rollout_restart', 'scale', 'delete_pod', 'cordon_node', 'uncordon_node', 'set_resources', 'rollback_deployment'];
const SCHEMAS: Record<string, { properties: Record<string, unknown>; required: string[] }> = {
  set_resources: { properties: { kind: {}, name: {}, namespace: {}, container: {}, requests: {}, limits: {} }, required: ['kind', 'name', 'namespace', 'container'] },
  rollback_deployment: { properties: { name: {}, namespace: {}, toRevision: {} }, required: ['name', 'namespace'] },
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

type Answer = string | { error: string };
/** Answers a tool call: by tool name, a string, a function of the arguments, or nothing (→ error). */
type Fixtures = Record<string, Answer | ((args: Record<string, unknown>) => Answer | undefined)>;

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
    if (answer === undefined || typeof answer !== 'string') {
      const error = answer?.error ?? `no fixture for ${t.tool}`;
      steps.push({ ...base, state: 'Failed', result: { ok: false, output: error, error } });
    } else {
      steps.push({ ...base, state: 'Succeeded', result: { ok: true, output: answer } });
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

// ── fixtures in the built-in tools' formats ────────────────────────────────────────────────────

const podDescribe = (o: {
  ns?: string;
  name: string;
  status: string;
  phase?: string;
  ready?: string;
  restarts?: number;
  node?: string;
  owner?: string;
  conditions: string[];
  containers: string;
  events?: string[];
}) =>
  [
    `Pod: ${o.ns ?? 'shop'}/${o.name}`,
    `Status: ${o.status}   Phase: ${o.phase ?? 'Running'}   Ready: ${o.ready ?? '0/1'}   Restarts: ${o.restarts ?? 0}`,
    `Node: ${o.node ?? 'node-1'}   Pod IP: ${o.node === '<not scheduled>' ? '<none>' : '10.244.1.17'}   QoS: Burstable`,
    'Created: 25m ago (2026-11-26T06:35:00Z)   Started: 25m ago (2026-11-26T06:35:01Z)',
    `Controlled by: ${o.owner ?? 'ReplicaSet/web-7d9f8c6b5 (controller)'}`,
    'Labels: app=web, pod-template-hash=7d9f8c6b5',
    'Service account: web',
    'Conditions:',
    ...o.conditions.map((c) => `  ${c}`),
    'Containers:',
    o.containers,
    ...(o.events?.length ? [`Events (newest first, ${o.events.length} of ${o.events.length}):`, ...o.events.map((e) => `  ${e}`)] : ['Events: <none>']),
  ].join('\n');

const CRASHLOOP_POD = podDescribe({
  name: 'web-7d9f8c6b5-x2x9k',
  status: 'CrashLoopBackOff',
  restarts: 7,
  conditions: [
    'PodReadyToStartContainers=True (since 25m)',
    'Initialized=True (since 25m)',
    'Ready=False — ContainersNotReady: containers with unready status: [web] (since 25m)',
    'ContainersReady=False — ContainersNotReady: containers with unready status: [web] (since 25m)',
    'PodScheduled=True (since 25m)',
  ],
  containers: [
    '  web:',
    '    State: Waiting: CrashLoopBackOff — back-off 5m0s restarting failed container=web pod=web-7d9f8c6b5-x2x9k_shop(6c1d2a)',
    '    Last state: Terminated: Error, exit code 1, finished 2m ago (2026-11-26T06:58:00Z)',
    '    Ready: false   Restarts: 7   Started: false',
    '    Image: registry.example/web:2.4.1 (pull IfNotPresent)',
    '    Ports: 8080/TCP (http)',
    '    Resources: requests: cpu=100m, memory=128Mi; limits: memory=256Mi',
    '    Liveness: http-get /healthz port 8080 delay=0s timeout=1s period=10s success=1 failure=3',
    '    Env:',
    '      DATABASE_URL: <from secret web-db key url>',
  ].join('\n'),
  events: ['1m ago  Warning  BackOff (x31): Back-off restarting failed container web in pod web-7d9f8c6b5-x2x9k_shop(6c1d2a)', '25m ago  Normal  Pulled: Container image "registry.example/web:2.4.1" already present on machine'],
});

const CRASHLOOP_LOGS = [
  'Logs of pod shop/web-7d9f8c6b5-x2x9k, container web (previous instance), last 50 lines:',
  '2026-11-26T06:57:59Z INFO starting web 2.4.1',
  '2026-11-26T06:58:00Z INFO connecting to database postgres.shop.svc:5432',
  '2026-11-26T06:58:00Z ERROR failed to connect to database: dial tcp 10.96.0.15:5432: connect: connection refused',
  '2026-11-26T06:58:00Z FATAL exiting: database unavailable',
].join('\n');

const podEventsTable = (rows: string[][]) =>
  ['Events (namespace shop, object */web), newest first: 1 of 1', 'AGE  TYPE     REASON  COUNT  OBJECT  MESSAGE', ...rows.map((r) => r.join('  '))].join('\n');

describe('RulesInvestigator', () => {
  it('KubePodCrashLooping: describe, events, previous logs → escalate naming CrashLoopBackOff, the exit code and the last log lines', async () => {
    const pod = 'web-7d9f8c6b5-x2x9k';
    const r = await run(
      { alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod, container: 'web' }, annotations: { runbook_url: 'https://runbooks.example/KubePodCrashLooping' } },
      {
        describe_pod: CRASHLOOP_POD,
        get_events: podEventsTable([['1m', 'Warning', 'BackOff', '31', `Pod/${pod}`, 'Back-off restarting failed container web in pod']]),
        get_pod_logs: (a) => (a.previous ? CRASHLOOP_LOGS : undefined),
      },
    );
    expect(r.calls).toEqual([
      `describe_pod {"name":"${pod}","namespace":"shop"}`,
      `get_events {"namespace":"shop","involvedObjectName":"${pod}","limit":20}`,
      `get_pod_logs {"name":"${pod}","namespace":"shop","container":"web","previous":true,"tailLines":50}`,
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
    const r = await run(a, { describe_pod: CRASHLOOP_POD, get_events: 'Events (namespace shop): <none>', get_pod_logs: CRASHLOOP_LOGS });
    expect(new Set(r.calls).size).toBe(r.calls.length);
  });

  it('OOMKilled container: memory limit vs usage, proposes raising the limit (blocked in observe) and says so', async () => {
    const pod = 'api-6c9d7f8b4-qq7zt';
    const describe = podDescribe({
      name: pod,
      status: 'CrashLoopBackOff',
      restarts: 4,
      owner: 'ReplicaSet/api-6c9d7f8b4 (controller)',
      conditions: ['Ready=False — ContainersNotReady: containers with unready status: [api] (since 10m)', 'PodScheduled=True (since 30m)'],
      containers: [
        '  api:',
        '    State: Waiting: CrashLoopBackOff — back-off 1m20s restarting failed container=api',
        '    Last state: Terminated: OOMKilled, exit code 137, finished 40s ago (2026-11-26T06:59:20Z)',
        '    Ready: false   Restarts: 4   Started: false',
        '    Image: registry.example/api:1.9.0 (pull IfNotPresent)',
        '    Resources: requests: cpu=50m, memory=64Mi; limits: memory=128Mi',
      ].join('\n'),
      events: ['40s ago  Warning  BackOff (x9): Back-off restarting failed container api'],
    });
    const top = [
      'Pod usage (metrics.k8s.io), sorted by memory, 1 of 1:',
      'POD                  CONTAINER  CPU  CPU-REQUEST     CPU-LIMIT  MEMORY  MEMORY-REQUEST    MEMORY-LIMIT',
      `${pod}  api        12m  50m (24% used)  -          121Mi   64Mi (189% used)  128Mi (95% used)`,
    ].join('\n');
    const r = await run(
      { alertname: 'KubeContainerOOMKilled', labels: { namespace: 'shop', pod, container: 'api' } },
      { describe_pod: describe, get_events: 'Events (namespace shop, object */api): <none>', get_pod_logs: 'Logs of pod shop/x, container api (previous instance), last 50 lines:\nallocating cache: 512MiB', top_pods: top },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events', 'get_pod_logs', 'top_pods', 'set_resources']);
    expect(r.calls[4]).toBe('set_resources {"kind":"Deployment","name":"api","namespace":"shop","container":"api","limits":{"memory":"256Mi"}}');
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('OOMKilled (exit code 137)');
    expect(c.rootCause).toContain('memory limit of 128Mi');
    expect(c.rootCause).toContain('121Mi');
    expect(c.rootCause).toContain('not run: policy is observe');
    const md = await report(r);
    expect(md).toContain('Resources: requests: cpu=50m, memory=64Mi; limits: memory=128Mi');
    expect(md).toContain('kubectl set resources deployment/api -n shop -c api --limits=memory=256Mi');
  });

  it('OOMKilled remediation that runs: checks the rollout, resolves when it completes', async () => {
    const pod = 'api-6c9d7f8b4-qq7zt';
    const describe = podDescribe({
      name: pod,
      status: 'CrashLoopBackOff',
      restarts: 4,
      owner: 'ReplicaSet/api-6c9d7f8b4 (controller)',
      conditions: ['Ready=False — ContainersNotReady: containers with unready status: [api]'],
      containers: ['  api:', '    State: Waiting: CrashLoopBackOff — back-off', '    Last state: Terminated: OOMKilled, exit code 137', '    Ready: false   Restarts: 4', '    Resources: requests: memory=64Mi; limits: memory=1Gi'].join('\n'),
    });
    const r = await run(
      { alertname: 'KubePodOOMKilled', labels: { namespace: 'shop', pod } },
      {
        describe_pod: describe,
        set_resources: 'set resources of container api in Deployment shop/api:\n  limits.memory: 1Gi → 2Gi',
        rollout_status: 'Deployment shop/api: rollout complete — deployment api successfully rolled out (2 replicas updated and available)',
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
    const pod = 'web-7d9f8c6b5-r4nd0';
    const describe = podDescribe({
      name: pod,
      status: 'Running',
      conditions: ['Ready=False — ContainersNotReady: containers with unready status: [web] (since 12m)'],
      containers: [
        '  web:',
        '    State: Running (started 12m ago (2026-11-26T06:48:00Z))',
        '    Ready: false   Restarts: 0   Started: true',
        '    Image: registry.example/web:2.4.1 (pull IfNotPresent)',
        '    Resources: requests: cpu=100m, memory=128Mi; limits: memory=256Mi',
        '    Readiness: http-get /ready port 8080 delay=0s timeout=1s period=10s success=1 failure=3',
      ].join('\n'),
      events: ['10s ago  Warning  Unhealthy (x72): Readiness probe failed: HTTP probe failed with statuscode: 503'],
    });
    const r = await run(
      { alertname: 'KubePodNotReady', labels: { namespace: 'shop', pod } },
      {
        describe_pod: describe,
        get_events: podEventsTable([['10s', 'Warning', 'Unhealthy', '72', `Pod/${pod}`, 'Readiness probe failed: HTTP probe failed with statuscode: 503']]),
        get_pod_logs: 'Logs of pod shop/web, container web, last 50 lines:\nWARN readiness: cache backend redis.shop.svc unreachable',
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events', 'get_pod_logs']);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('readiness probe');
    expect(c.rootCause).toContain('http-get /ready port 8080');
    expect(c.rootCause).toContain('statuscode: 503');
  });

  it('KubeContainerWaiting (ImagePullBackOff): names the image and that the tag does not exist', async () => {
    const pod = 'web-5b8d9c7f6-kk2lm';
    const image = 'registry.example/web:2.5.0-rc1';
    const describe = podDescribe({
      name: pod,
      status: 'ImagePullBackOff',
      phase: 'Pending',
      owner: 'ReplicaSet/web-5b8d9c7f6 (controller)',
      conditions: ['Ready=False — ContainersNotReady: containers with unready status: [web]', 'PodScheduled=True'],
      containers: [
        '  web:',
        `    State: Waiting: ImagePullBackOff — Back-off pulling image "${image}": ErrImagePull: failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`,
        '    Ready: false   Restarts: 0   Started: false',
        `    Image: ${image} (pull IfNotPresent)`,
        '    Resources: requests: none; limits: none',
      ].join('\n'),
      events: [`30s ago  Warning  Failed (x5): Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`, '30s ago  Warning  Failed (x5): Error: ImagePullBackOff'],
    });
    const r = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod, container: 'web', reason: 'ImagePullBackOff' } }, { describe_pod: describe, get_events: 'Events (namespace shop): <none>' });
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
    const describe = podDescribe({
      name: 'p',
      status: 'ErrImagePull',
      phase: 'Pending',
      conditions: ['PodScheduled=True'],
      containers: ['  app:', '    State: Waiting: ErrImagePull — pull access denied for private.example/app, repository does not exist or may require \'docker login\': denied: requested access to the resource is denied', '    Ready: false   Restarts: 0', '    Image: private.example/app:1.0'].join('\n'),
    });
    const r = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'p' } }, { describe_pod: describe });
    expect(conclusion(r.decision).rootCause).toContain('without valid credentials');
    expect(await report(r)).toContain('imagePullSecrets');
  });

  it('KubeContainerWaiting: a missing Secret (CreateContainerConfigError) and a volume that cannot be mounted', async () => {
    const waiting = (state: string, events: string[] = []) =>
      podDescribe({ name: 'w', status: 'CreateContainerConfigError', phase: 'Pending', conditions: ['PodScheduled=True'], containers: ['  app:', `    State: ${state}`, '    Ready: false   Restarts: 0', '    Image: registry.example/app:1'].join('\n'), events });
    const cfg = await run({ alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'w' } }, { describe_pod: waiting('Waiting: CreateContainerConfigError — secret "web-db" not found') });
    expect(conclusion(cfg.decision).rootCause).toContain('CreateContainerConfigError): secret "web-db" not found');
    expect(await report(cfg)).toContain('Create the missing secret "web-db" in namespace shop');

    const mount = await run(
      { alertname: 'KubeContainerWaiting', labels: { namespace: 'shop', pod: 'w' } },
      { describe_pod: waiting('Waiting: ContainerCreating', ['5s ago  Warning  FailedMount (x6): MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found']) },
    );
    expect(conclusion(mount.decision).rootCause).toContain('a volume cannot be mounted (FailedMount): MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found');
  });

  it('Pending pod (FailedScheduling): quotes the scheduler message and what to change', async () => {
    const pod = 'big-6f7d8c9b5-abcde';
    const msg = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const describe = podDescribe({
      name: pod,
      status: 'Pending',
      phase: 'Pending',
      node: '<not scheduled>',
      conditions: [`PodScheduled=False — Unschedulable: ${msg} (since 3m)`],
      containers: ['  big:', '    State: no status reported yet', '    Image: registry.example/big:1 (pull IfNotPresent)', '    Resources: requests: cpu=100m, memory=64Gi; limits: memory=64Gi'].join('\n'),
      events: [`3m ago  Warning  FailedScheduling: ${msg}`],
    });
    const r = await run({ alertname: 'KubePodNotReady', labels: { namespace: 'shop', pod } }, { describe_pod: describe, get_events: podEventsTable([['3m', 'Warning', 'FailedScheduling', '1', `Pod/${pod}`, msg]]) });
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pod', 'get_events']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('FailedScheduling');
    expect(c.rootCause).toContain('3 Insufficient memory');
    const md = await report(r);
    expect(md).toContain('memory=64Gi');
    expect(md).toMatch(/enough allocatable memory/);
  });

  const deploymentDescribe = (o: { replicas: string; conditions: string[]; pods: string[]; revision?: number; rs?: string[] }) =>
    [
      'Deployment: shop/web',
      `Replicas: ${o.replicas}`,
      `Generation: 3 (observed 3)   Revision: ${o.revision ?? 1}   Paused: false`,
      'Strategy: RollingUpdate (maxSurge 25%, maxUnavailable 25%)   Progress deadline: 600s   Min ready: 0s',
      'Selector: app=web',
      'Created: 2d ago (2026-11-24T07:00:00Z)',
      'Labels: app=web',
      'Conditions:',
      ...o.conditions.map((c) => `  ${c}`),
      'Pod template:',
      '  Labels: app=web',
      '  Containers:',
      '    web:',
      '      Image: registry.example/web:2.5.0 (pull IfNotPresent)',
      '      Resources: requests: cpu=100m, memory=2Gi; limits: memory=2Gi',
      ...(o.rs ? ['ReplicaSets (newest revision first):', ...o.rs.map((x) => `  ${x}`)] : []),
      `Pods (${o.pods.length}):`,
      ...o.pods.map((p) => `  ${p}`),
      'Events: <none>',
    ].join('\n');

  it('KubeDeploymentReplicasMismatch (quota): FailedCreate exceeded quota is the cause', async () => {
    const quotaMsg = 'pods "web-5b8d9c7f6-zz9x8" is forbidden: exceeded quota: compute, requested: requests.memory=2Gi, used: requests.memory=9Gi, limited: requests.memory=10Gi';
    const r = await run(
      { alertname: 'KubeDeploymentReplicasMismatch', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: deploymentDescribe({
          replicas: 'desired 3 | updated 3 | ready 2 | available 2 | unavailable 1 | total 2',
          conditions: ['Available=True — MinimumReplicasAvailable: Deployment has minimum availability.', `ReplicaFailure=True — FailedCreate: ${quotaMsg}`, 'Progressing=True — ReplicaSetUpdated: ReplicaSet "web-5b8d9c7f6" is progressing.'],
          pods: ['web-5b8d9c7f6-aaaaa  status=Running  ready=1/1  restarts=0  node=node-1  age=2d', 'web-5b8d9c7f6-bbbbb  status=Running  ready=1/1  restarts=0  node=node-2  age=2d'],
        }),
        rollout_status: 'Deployment shop/web: rollout progressing — 2 of 3 updated replicas are available',
        get_events: ['Events (namespace shop), newest first: 1 of 1', 'AGE  TYPE     REASON        COUNT  OBJECT                    MESSAGE', `1m   Warning  FailedCreate  12     ReplicaSet/web-5b8d9c7f6  Error creating: ${quotaMsg}`].join('\n'),
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_deployment', 'rollout_status', 'get_events']);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('2 of 3 replicas available');
    expect(c.rootCause).toContain('exceeded quota: compute');
    expect(await report(r)).toContain('kubectl describe resourcequota -n shop');
  });

  it('KubeDeploymentRolloutStuck: ProgressDeadlineExceeded, the new pods cannot pull their image → proposes a rollback', async () => {
    const pod = 'web-5b8d9c7f6-kk2lm';
    const image = 'registry.example/web:2.5.0';
    const r = await run(
      { alertname: 'KubeDeploymentRolloutStuck', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: deploymentDescribe({
          replicas: 'desired 2 | updated 1 | ready 2 | available 2 | unavailable 1 | total 3',
          revision: 2,
          conditions: ['Available=True — MinimumReplicasAvailable: Deployment has minimum availability.', 'Progressing=False — ProgressDeadlineExceeded: ReplicaSet "web-5b8d9c7f6" has timed out progressing. (since 2m)'],
          rs: ['web-5b8d9c7f6  revision=2 (current)  desired=1 current=1 ready=0 available=0  age=15m  images=web=registry.example/web:2.5.0', 'web-7d9f8c6b5  revision=1  desired=2 current=2 ready=2 available=2  age=2d  images=web=registry.example/web:2.4.1'],
          pods: [`${pod}  status=ImagePullBackOff  ready=0/1  restarts=0  node=node-1  age=15m`, 'web-7d9f8c6b5-aaaaa  status=Running  ready=1/1  restarts=0  node=node-1  age=2d', 'web-7d9f8c6b5-bbbbb  status=Running  ready=1/1  restarts=0  node=node-2  age=2d'],
        }),
        rollout_status: 'Deployment shop/web: rollout failed — deployment web exceeded its progress deadline: ReplicaSet "web-5b8d9c7f6" has timed out progressing.',
        get_events: 'Events (namespace shop): <none>',
        describe_pod: podDescribe({
          name: pod,
          status: 'ImagePullBackOff',
          phase: 'Pending',
          owner: 'ReplicaSet/web-5b8d9c7f6 (controller)',
          conditions: ['PodScheduled=True'],
          containers: ['  web:', `    State: Waiting: ImagePullBackOff — Back-off pulling image "${image}": ErrImagePull: manifest unknown`, '    Ready: false   Restarts: 0', `    Image: ${image}`].join('\n'),
        }),
        rollout_history: [
          'Deployment shop/web rollout history (newest first; current revision 2):',
          'REVISION     REPLICASET     AGE  READY  IMAGES                              CHANGE-CAUSE',
          '2 (current)  web-5b8d9c7f6  15m  0/1    web=registry.example/web:2.5.0      <none>',
          '1            web-7d9f8c6b5  2d   2/2    web=registry.example/web:2.4.1      <none>',
        ].join('\n'),
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
    expect(md).toContain('2 (current)  web-5b8d9c7f6');
  });

  it('KubeDeploymentReplicasMismatch resolves when the replicas match again', async () => {
    const r = await run(
      { alertname: 'KubeDeploymentReplicasMismatch', labels: { namespace: 'shop', deployment: 'web' } },
      {
        describe_deployment: deploymentDescribe({ replicas: 'desired 2 | updated 2 | ready 2 | available 2 | unavailable 0 | total 2', conditions: ['Available=True — MinimumReplicasAvailable: ok'], pods: ['web-1  status=Running  ready=1/1  restarts=0  node=n  age=1d', 'web-2  status=Running  ready=1/1  restarts=0  node=n  age=1d'] }),
        rollout_status: 'Deployment shop/web: rollout complete — deployment web successfully rolled out (2 replicas updated and available)',
        get_events: 'Events (namespace shop): <none>',
      },
    );
    const c = conclusion(r.decision);
    expect(c.kind).toBe('resolve');
    expect(c.rootCause).toContain('desired 2 | updated 2 | ready 2');
  });

  it('KubeStatefulSetReplicasMismatch: the pod waits for a PVC that cannot be provisioned', async () => {
    const pvcDesc = [
      'PersistentVolumeClaim: db/data-db-2',
      'Status: Pending   Volume: <none>   StorageClass: fast-ssd   Volume mode: Filesystem',
      'Requested: 100Gi   Capacity: <none>   Access modes: ReadWriteOnce',
      'Used by: db-2 (Pending, node <none>)',
      'Events (newest first, 1 of 1):',
      '  20s ago  Warning  ProvisioningFailed (x14): storageclass.storage.k8s.io "fast-ssd" not found',
    ].join('\n');
    const r = await run(
      { alertname: 'KubeStatefulSetReplicasMismatch', labels: { namespace: 'db', statefulset: 'db' } },
      {
        describe_statefulset: [
          'StatefulSet: db/db',
          'Replicas: desired 3 | current 3 | updated 3 | ready 2 | available 2 | total 3',
          'Conditions: <none>',
          'Pods (3):',
          '  db-0  status=Running  ready=1/1  restarts=0  node=node-1  age=3d',
          '  db-1  status=Running  ready=1/1  restarts=0  node=node-2  age=3d',
          '  db-2  status=Pending  ready=0/1  restarts=0  node=<unscheduled>  age=8m',
        ].join('\n'),
        rollout_status: 'StatefulSet db/db: rollout progressing — waiting for 1 pods to be ready (2/3 ready)',
        get_events: 'Events (namespace db): <none>',
        describe_pod: [
          'Pod: db/db-2',
          'Status: Pending   Phase: Pending   Ready: 0/1   Restarts: 0',
          'Node: <not scheduled>   Pod IP: <none>   QoS: Burstable',
          'Controlled by: StatefulSet/db (controller)',
          'Conditions:',
          '  PodScheduled=False — Unschedulable: 0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling. (since 8m)',
          'Containers:',
          '  postgres:',
          '    State: no status reported yet',
          '    Image: postgres:16',
          'Volumes: data: PVC data-db-2',
          'Events (newest first, 1 of 1):',
          '  8m ago  Warning  FailedScheduling: 0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
        ].join('\n'),
        describe_pvc: pvcDesc,
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
    const r = await run(
      { alertname: 'KubeJobFailed', labels: { namespace: 'shop', job_name: 'migrate-29011' } },
      {
        describe_job: [
          'Job: shop/migrate-29011',
          'Controlled by: CronJob/migrate (controller)',
          'Completions: 0/1 succeeded   Active: 0   Failed: 4',
          'Parallelism: 1   Backoff limit: 3   Completion mode: NonIndexed',
          'Created: 30m ago (2026-11-26T06:30:00Z)   Started: 30m ago (2026-11-26T06:30:00Z)',
          'Selector: batch.kubernetes.io/controller-uid=1234',
          'Conditions:',
          '  FailureTarget=True — BackoffLimitExceeded: Job has reached the specified backoff limit (since 20m)',
          '  Failed=True — BackoffLimitExceeded: Job has reached the specified backoff limit (since 20m)',
          'Pod template:',
          '  Containers:',
          '    migrate:',
          '      Image: registry.example/migrate:7',
          'Pods (2):',
          '  migrate-29011-4xk2p  status=Error  ready=0/1  restarts=0  node=node-1  age=21m',
          '  migrate-29011-9bq7d  status=Error  ready=0/1  restarts=0  node=node-2  age=25m',
        ].join('\n'),
        get_events: 'Events (namespace shop): <none>',
        describe_pod: podDescribe({
          name: 'migrate-29011-4xk2p',
          status: 'Error',
          phase: 'Failed',
          owner: 'Job/migrate-29011 (controller)',
          conditions: ['Ready=False — PodFailed'],
          containers: ['  migrate:', '    State: Terminated: Error, exit code 2, finished 21m ago (2026-11-26T06:39:00Z)', '    Ready: false   Restarts: 0   Started: false', '    Image: registry.example/migrate:7'].join('\n'),
        }),
        get_pod_logs: (a) => (a.previous ? undefined : 'Logs of pod shop/migrate-29011-4xk2p, container migrate, last 50 lines:\napplying migration 0042_users\nERROR: relation "users" already exists\nmigration failed'),
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
    const hpa = [
      '# HorizontalPodAutoscaler shop/web (autoscaling/v2)',
      'apiVersion: autoscaling/v2',
      'kind: HorizontalPodAutoscaler',
      'metadata:',
      '  name: web',
      '  namespace: shop',
      'spec:',
      '  maxReplicas: 10',
      '  metrics:',
      '  - resource:',
      '      name: cpu',
      '      target:',
      '        averageUtilization: 60',
      '        type: Utilization',
      '    type: Resource',
      '  minReplicas: 2',
      '  scaleTargetRef:',
      '    apiVersion: apps/v1',
      '    kind: Deployment',
      '    name: web',
      'status:',
      '  conditions:',
      '  - lastTransitionTime: 2026-11-26T06:00:00Z',
      '    message: the desired replica count is more than the maximum replica count',
      '    reason: TooManyReplicas',
      '    status: "True"',
      '    type: ScalingLimited',
      '  currentMetrics:',
      '  - resource:',
      '      current:',
      '        averageUtilization: 97',
      '        averageValue: 485m',
      '      name: cpu',
      '    type: Resource',
      '  currentReplicas: 10',
      '  desiredReplicas: 10',
    ].join('\n');
    const r = await run(
      { alertname: 'KubeHpaMaxedOut', labels: { namespace: 'shop', horizontalpodautoscaler: 'web' } },
      {
        get_resource: hpa,
        get_events: 'Events (namespace shop): <none>',
        describe_deployment: deploymentDescribe({ replicas: 'desired 10 | updated 10 | ready 10 | available 10 | unavailable 0 | total 10', conditions: [], pods: [] }),
        top_pods: { error: 'metrics API (metrics-server) is not installed in this cluster (no metrics.k8s.io API)' },
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['get_resource', 'get_events', 'describe_deployment', 'top_pods']);
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
    const pod = 'web-7d9f8c6b5-x2x9k';
    const r = await run(
      { alertname: 'CPUThrottlingHigh', labels: { namespace: 'shop', pod, container: 'web' }, annotations: { description: '65.2% throttling of CPU in namespace shop for container web in pod web-7d9f8c6b5-x2x9k.' } },
      {
        describe_pod: podDescribe({
          name: pod,
          status: 'Running',
          ready: '1/1',
          conditions: ['Ready=True'],
          containers: ['  web:', '    State: Running (started 2d ago)', '    Ready: true   Restarts: 0   Started: true', '    Resources: requests: cpu=250m, memory=256Mi; limits: cpu=500m, memory=512Mi'].join('\n'),
        }),
        top_pods: [
          'Pod usage (metrics.k8s.io), sorted by cpu, 1 of 1:',
          'POD                  CONTAINER  CPU   CPU-REQUEST        CPU-LIMIT         MEMORY  MEMORY-REQUEST    MEMORY-LIMIT',
          `${pod}  web        490m  250m (196% used)   500m (98% used)   200Mi   256Mi (78% used)  512Mi (39% used)`,
        ].join('\n'),
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
    const node = (name: string, req: string, pct: string) =>
      [
        `Node: ${name}`,
        'Status: Ready   Unschedulable: false   Roles: worker',
        'Conditions:',
        '  Ready=True — KubeletReady: kubelet is posting ready status (since 3d)',
        'Capacity: cpu=4, memory=16Gi, pods=110',
        'Allocatable: cpu=4, memory=16Gi, pods=110',
        'Pods: 20 non-terminated (allocatable 110)',
        `Allocated: cpu requests 3200m (80%), limits 6 (150%); memory requests ${req} (${pct}), limits 20Gi (125%)`,
      ].join('\n');
    const r = await run(
      { alertname: 'KubeMemoryOvercommit', annotations: { description: 'Cluster has overcommitted memory resource requests for Pods by 4Gi bytes and cannot tolerate node failure.' } },
      {
        list_resources: (a) =>
          a.kind === 'Node'
            ? 'Node (v1) in all namespaces: 2 shown\nNAME    STATUS  ROLES   VERSION  AGE\nnode-1  Ready   worker  v1.31.0  3d\nnode-2  Ready   worker  v1.31.0  3d'
            : 'Pod (v1) in all namespaces: 2 shown\nNAMESPACE  NAME   READY  STATUS    RESTARTS  NODE    AGE  LAST-TERMINATION\nshop       api-1  1/1    Running   3         node-1  1d   api: OOMKilled (exit 137)\nshop       web-1  1/1    Running   0         node-2  1d',
        top_nodes: { error: 'metrics API (metrics-server) is not installed in this cluster' },
        describe_node: (a) => node(String(a.name), a.name === 'node-1' ? '14Gi' : '12Gi', a.name === 'node-1' ? '88%' : '75%'),
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
        describe_pvc: [
          'PersistentVolumeClaim: db/data-db-0',
          'Status: Bound   Volume: pvc-0a1b2c   StorageClass: standard   Volume mode: Filesystem',
          'Requested: 10Gi   Capacity: 10Gi   Access modes: ReadWriteOnce',
          'PersistentVolume pvc-0a1b2c: phase Bound, capacity 10Gi, reclaim Delete, source csi ebs.csi.aws.com',
          'Used by: db-0 (Running, node node-1)',
          'Events: <none>',
        ].join('\n'),
        get_events: 'Events (namespace db, object */data-db-0): <none>',
        get_resource: '# StorageClass standard (storage.k8s.io/v1)\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nallowVolumeExpansion: true\nprovisioner: ebs.csi.aws.com',
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_pvc', 'get_events', 'get_resource']);
    const c = conclusion(r.decision);
    expect(c.rootCause).toContain('capacity 10Gi');
    expect(c.rootCause).toContain('3.2%');
    expect(c.rootCause).toContain('allows volume expansion');
    const md = await report(r);
    expect(md).toContain(`kubectl patch pvc data-db-0 -n db -p '{"spec":{"resources":{"requests":{"storage":"15Gi"}}}}'`);
    expect(md).toContain('Runbook: https://runbooks.example/pv');
  });

  it('KubeNodeNotReady: the Ready condition message, taints and the other nodes', async () => {
    const r = await run(
      { alertname: 'KubeNodeNotReady', labels: { node: 'node-3' } },
      {
        describe_node: [
          'Node: node-3',
          'Status: NotReady   Unschedulable: false   Roles: worker',
          'Taints: node.kubernetes.io/unreachable:NoExecute, node.kubernetes.io/unreachable:NoSchedule',
          'Conditions:',
          '  MemoryPressure=Unknown — NodeStatusUnknown: Kubelet stopped posting node status. (since 6m)',
          '  DiskPressure=Unknown — NodeStatusUnknown: Kubelet stopped posting node status. (since 6m)',
          '  Ready=Unknown — NodeStatusUnknown: Kubelet stopped posting node status. (since 6m)',
          'Capacity: cpu=4, memory=16Gi, pods=110',
          'Pods: 14 non-terminated (allocatable 110)',
          'Events (newest first, 1 of 1):',
          '  6m ago  Normal  NodeNotReady: Node node-3 status is now: NodeNotReady',
        ].join('\n'),
        get_events: 'Events (all namespaces, object Node/node-3): <none>',
        list_resources: 'Node (v1) in all namespaces: 3 shown\nNAME    STATUS    ROLES   VERSION  AGE\nnode-1  Ready     worker  v1.31.0  30d\nnode-2  Ready     worker  v1.31.0  30d\nnode-3  NotReady  worker  v1.31.0  30d',
      },
    );
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['describe_node', 'get_events', 'list_resources']);
    const c = conclusion(r.decision);
    expect(c.kind).toBe('escalate');
    expect(c.rootCause).toContain('Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)');
    expect(c.rootCause).toContain('specific to node-3');
    const md = await report(r);
    expect(md).toContain('kubectl drain node-3 --ignore-daemonsets');
    expect(md).toContain('node-3  NotReady');
  });

  it('KubeNodeNotReady resolves when the node is Ready again', async () => {
    const r = await run(
      { alertname: 'KubeNodeNotReady', labels: { node: 'node-3' } },
      { describe_node: 'Node: node-3\nStatus: Ready   Unschedulable: false\nConditions:\n  Ready=True — KubeletReady: kubelet is posting ready status (since 1m)', get_events: 'x', list_resources: 'y' },
    );
    expect(conclusion(r.decision).kind).toBe('resolve');
  });

  it('TargetDown: the service has no ready endpoints because its pod crash-loops', async () => {
    const r = await run(
      { alertname: 'TargetDown', labels: { namespace: 'shop', job: 'web', service: 'web' }, annotations: { description: '100% of the web/web targets in shop namespace are down.' } },
      {
        get_resource: (a) =>
          a.kind === 'Service'
            ? '# Service shop/web (v1)\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: 10.96.3.4\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n  selector:\n    app: web\n  type: ClusterIP'
            : '# Endpoints shop/web (v1)\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: web\nsubsets:\n- notReadyAddresses:\n  - ip: 10.244.1.17\n    targetRef:\n      kind: Pod\n      name: web-7d9f8c6b5-x2x9k\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP',
        list_resources: 'Pod (v1) in namespace shop matching labels app=web: 1 shown\nNAME                 READY  STATUS            RESTARTS  NODE    AGE  LAST-TERMINATION\nweb-7d9f8c6b5-x2x9k  0/1    CrashLoopBackOff  7         node-1  25m  web: Error (exit 1)',
        describe_pod: CRASHLOOP_POD,
        get_events: 'Events (namespace shop): <none>',
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
        describe_pod: CRASHLOOP_POD,
        get_pod_logs: CRASHLOOP_LOGS,
        describe_deployment: deploymentDescribe({ replicas: 'desired 2 | updated 2 | ready 1 | available 1 | unavailable 1 | total 2', conditions: ['Available=False — MinimumReplicasUnavailable: Deployment does not have minimum availability.'], pods: [] }),
        get_events: podEventsTable([['1m', 'Warning', 'BackOff', '31', 'Pod/web-7d9f8c6b5-x2x9k', 'Back-off restarting failed container web']]),
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
    const gone = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'old-1' } }, { describe_pod: NOT_FOUND('pod old-1 in namespace shop'), get_events: 'Events (namespace shop): <none>' });
    expect(conclusion(gone.decision)).toMatchObject({ kind: 'resolve' });
    expect(conclusion(gone.decision).rootCause).toContain('no longer exists');

    const inv = new RulesInvestigator();
    const { decision } = await inv.decide(ctx({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' }, status: 'resolved' }, []));
    expect(decision.kind).toBe('resolve');
    if (decision.kind === 'resolve') expect(decision.summary).toMatch(/^AlertManager resolved KubePodCrashLooping/);
  });

  it('skips tools that are not offered and concludes with what it has', async () => {
    const tools = ALL_TOOLS.filter((t) => t.tool === 'describe_pod');
    const r = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } }, { describe_pod: CRASHLOOP_POD }, { tools });
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
    const r = await run({ alertname: 'KubePodCrashLooping', labels: { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' } }, { describe_pod: CRASHLOOP_POD }, { maxCalls: 1 });
    const steps = r.steps.filter((s) => s.action === 'callTool');
    const { report: rep } = await r.inv.writeReport({ ...ctx(r.alert, steps), outcome: 'NeedsManualIntervention', reason: 'the step budget (1 steps) is spent' });
    expect(rep.markdown).toContain('stopped before concluding: the step budget');
    expect(rep.rootCause).toContain('exit code 1');
  });
});

// The built-in fixes that raise a bound (issue 23): set_probe_timing, set_hpa_max_replicas, set_quota_hard,
// on the real control plane (kube-controller-manager, the scheduler and kwok's fake kubelets roll
// Deployments out, the HPA and quota controllers write their status). Each tool: it runs and changes
// only what was asked, its dry run shows the diff, its verification passes, its undo is exact (it is run
// here and restores the value), and it refuses to lower a bound, to pass its bound, or to act on what is
// not there. Then through the operator: under `approve` the call waits with the dry run's diff and its
// undo, and once approved runs and is verified; under `auto` it runs and is verified; and the rule-based
// analyzer proposes the quota raise on its own.
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, type V1Container, type V1Deployment } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import type { AlertIncident } from '../../src/incident/types.js';
import { undoOf } from '../../src/investigation/report.js';
import { DEFAULT_RAISE_BOUNDS, makeContext, type ToolContext } from '../../src/tools/kubernetes/context.js';
import { dryRunTool } from '../../src/tools/kubernetes/dryRun.js';
import { createVerifier } from '../../src/tools/kubernetes/verify.js';
import { def, recordedStep, runBuiltin } from './fixKit.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, applyCrd, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, listIncidents, payload, post, startTestOperator, waitForIncident } from './harness.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const autoscaling = kc.makeApiClient(AutoscalingV2Api);
const ctx: ToolContext = { ...makeContext(kc), raiseBounds: DEFAULT_RAISE_BOUNDS };
const verifier = createVerifier(ctx, 'kubernetes');

const run = (tool: string, args: Record<string, unknown>, context: ToolContext = ctx) => runBuiltin(tool, args, context);

const step = recordedStep;

/** Runs the `kubectl patch …` an undo text gives, exactly as written. */
async function runUndo(undo: string): Promise<void> {
  const m = /`kubectl patch (\S+) (\S+) -n (\S+) -p '([^']+)'`/.exec(undo);
  expect(m).not.toBeNull();
  const r = await kubectl(['patch', m![1], m![2], '-n', m![3], '-p', m![4]]);
  expect([r.code, r.stderr]).toEqual([0, '']);
}

/** Checks a verification plan until it passes (as the Verifying phase polls), or fails with the last lines. */
async function verified(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined, alertLabels: Record<string, string> = {}): Promise<string[]> {
  const plan = verifier.plan({ server: 'kubernetes', tool, arguments: args, data, alertLabels });
  expect(plan).toBeDefined();
  const since = new Date();
  let last: string[] = [];
  await eventually(async () => {
    const r = await verifier.check(plan!.target, since);
    last = r.lines;
    return r.ok;
  }, 90_000, 500).catch(() => {
    throw new Error(`not verified: ${plan!.what}\n${last.join('\n')}`);
  });
  return last;
}

/** The steps of a finished incident, with any error (shown when a step is not as expected). */
const outcomeOf = (inc: AlertIncident) => ({
  steps: inc.status!.steps!.map((x) => [x.action, x.tool, x.state]),
  errors: inc.status!.steps!.flatMap((x) => (x.result?.error ? [`step ${x.index}: ${x.result.error}`] : [])),
});

const container = (name: string, extra: Partial<V1Container> = {}): V1Container => ({ name, image: `example/${name}:1`, ...extra });

async function deployment(ns: string, name: string, replicas: number, c: V1Container, wait = true): Promise<void> {
  const body: V1Deployment = { metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [c] } } } };
  await apps.createNamespacedDeployment({ namespace: ns, body });
  if (wait) await eventually(async () => (await apps.readNamespacedDeployment({ name, namespace: ns })).status?.availableReplicas === replicas, 60_000, 250);
}

const liveness = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, timeoutSeconds: 1 };

async function hpa(ns: string, name: string, max: number): Promise<void> {
  await autoscaling.createNamespacedHorizontalPodAutoscaler({
    namespace: ns,
    body: {
      metadata: { name },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 1, maxReplicas: max, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
    },
  });
}

/** A quota of `pods` and a Deployment that wants one pod more than it admits (the ReplicaSet's FailedCreate). */
async function refusedByQuota(ns: string, quota: string, name: string, pods: number): Promise<void> {
  await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: quota }, spec: { hard: { pods: String(pods) } } } });
  await eventually(async () => (await core.readNamespacedResourceQuota({ name: quota, namespace: ns })).status?.hard?.pods === String(pods), 30_000, 250);
  await deployment(ns, name, pods + 1, container(name), false);
  await eventually(async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    return d.status?.availableReplicas === pods && (d.status?.conditions ?? []).some((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  }, 60_000, 250);
}

describe('set_probe_timing on the bed', () => {
  let ns: string;
  const args = () => ({ kind: 'Deployment', name: 'api', namespace: ns, container: 'api', probe: 'liveness', timeoutSeconds: 5, failureThreshold: 6 });
  beforeAll(async () => {
    ns = await createNamespace('fix-probe');
    await deployment(ns, 'api', 2, container('api', { livenessProbe: liveness, readinessProbe: { tcpSocket: { port: 8080 } } }));
  });

  it('dry run: the diff of the two fields, and an exact undo before it runs; nothing stored', async () => {
    const v = await dryRunTool(def('set_probe_timing'), args(), ctx);
    expect(v).toMatchObject({ kind: 'accepted' });
    const diff = (v as { diff: string[] }).diff.join('\n');
    expect(diff).toBe(
      `Deployment ${ns}/api:\n  spec.template.spec.containers[api].livenessProbe.failureThreshold: 3 → 6\n  spec.template.spec.containers[api].livenessProbe.timeoutSeconds: 1 → 5`,
    );
    expect(undoOf(step('set_probe_timing', args(), { diff }))).toBe(
      `set the livenessProbe of container api back to timeoutSeconds 1, failureThreshold 3: \`kubectl patch deployment api -n ${ns} -p '{"spec":{"template":{"spec":{"containers":[{"name":"api","livenessProbe":{"timeoutSeconds":1,"failureThreshold":3}}]}}}}'\`.`,
    );
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).metadata?.generation).toBe(1);
  });

  it('runs: only the timing changes (the handler stays), the rollout verifies, and the undo restores it', async () => {
    const r = await run('set_probe_timing', args());
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ changed: true, probe: 'liveness', changes: [{ field: 'timeoutSeconds', before: 1, after: 5, wasSet: true }, { field: 'failureThreshold', before: 3, after: 6, wasSet: true }], generation: { before: 1, after: 2 } });
    expect(r.text).toContain('timeoutSeconds: 1s → 5s');
    const probe = (await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).spec?.template?.spec?.containers?.[0].livenessProbe;
    expect(probe).toMatchObject({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 });
    const lines = await verified('set_probe_timing', args(), r.data);
    expect(lines.join('\n')).toMatch(/rollout complete/);
    const undo = undoOf(step('set_probe_timing', args(), { data: r.data }));
    expect(undo).toContain(`\`kubectl patch deployment api -n ${ns} -p '{"spec":{"template":{"spec":{"containers":[{"name":"api","livenessProbe":{"timeoutSeconds":1,"failureThreshold":3}}]}}}}'\``);
    await runUndo(undo);
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).spec?.template?.spec?.containers?.[0].livenessProbe).toMatchObject({ httpGet: { path: '/healthz' }, timeoutSeconds: 1, failureThreshold: 3 });
  });

  it('refuses to tighten a probe, to leave its bounds, and to touch a probe that does not exist', async () => {
    const lower = await run('set_probe_timing', { ...args(), timeoutSeconds: 1, failureThreshold: 2 });
    expect(lower).toMatchObject({ isError: true, text: expect.stringContaining('failureThreshold 2 would lower it from 3: this tool only gives a probe more time') });
    const over = await run('set_probe_timing', { ...args(), failureThreshold: 31 });
    expect(over.isError).toBe(true);
    expect(over.text).toMatch(/failureThreshold/);
    const missing = await run('set_probe_timing', { ...args(), probe: 'startup' });
    expect(missing).toMatchObject({ isError: true, text: expect.stringContaining('has no startup probe (it has liveness, readiness)') });
    const generation = (await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).metadata?.generation;
    expect(generation).toBe(3); // the change and its undo, nothing else
  });
});

describe('set_hpa_max_replicas on the bed', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('fix-hpa');
    await deployment(ns, 'front', 3, container('front', { resources: { requests: { cpu: '100m' } } }));
    await hpa(ns, 'front', 3);
  });

  it('dry run shows the diff; it runs, verifies (no longer held at its ceiling), and the undo sets it back', async () => {
    const args = { name: 'front', namespace: ns, maxReplicas: 6 };
    const v = await dryRunTool(def('set_hpa_max_replicas'), args, ctx);
    expect(v).toMatchObject({ kind: 'accepted', diff: [`HorizontalPodAutoscaler ${ns}/front:`, '  spec.maxReplicas: 3 → 6'] });
    const before = `set maxReplicas back to 3 (the HPA then removes the replicas above it): \`kubectl patch hpa front -n ${ns} -p '{"spec":{"maxReplicas":3}}'\`.`;
    expect(undoOf(step('set_hpa_max_replicas', args, { diff: (v as { diff: string[] }).diff.join('\n') }))).toBe(before);
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'front', namespace: ns })).spec?.maxReplicas).toBe(3);

    const r = await run('set_hpa_max_replicas', args);
    expect(r.data).toMatchObject({ changed: true, maxReplicas: { before: 3, after: 6 }, ceiling: 6, target: 'Deployment front' });
    const lines = await verified('set_hpa_max_replicas', args, r.data);
    expect(lines[0]).toMatch(new RegExp(`^HorizontalPodAutoscaler ${ns}/front: spec.maxReplicas 6; currentReplicas`));
    expect(lines.at(-1)).toMatch(/^not held at its ceiling/);
    const undo = undoOf(step('set_hpa_max_replicas', args, { data: r.data }));
    expect(undo).toBe(before);
    await runUndo(undo);
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'front', namespace: ns })).spec?.maxReplicas).toBe(3);
  });

  it('refuses to lower the ceiling and to pass FIX_HPA_MAX_FACTOR or FIX_HPA_MAX_REPLICAS_LIMIT', async () => {
    expect(await run('set_hpa_max_replicas', { name: 'front', namespace: ns, maxReplicas: 2 })).toMatchObject({ isError: true, text: expect.stringContaining('would lower the ceiling') });
    expect(await run('set_hpa_max_replicas', { name: 'front', namespace: ns, maxReplicas: 7 })).toMatchObject({
      isError: true,
      text: expect.stringContaining('at most 6 (FIX_HPA_MAX_REPLICAS_LIMIT=50, FIX_HPA_MAX_FACTOR=2 × the current 3)'),
    });
    const strict = { ...ctx, raiseBounds: { ...DEFAULT_RAISE_BOUNDS, hpaMaxReplicasLimit: 4 } };
    expect(await run('set_hpa_max_replicas', { name: 'front', namespace: ns, maxReplicas: 5 }, strict)).toMatchObject({ isError: true, text: expect.stringContaining('at most 4 (FIX_HPA_MAX_REPLICAS_LIMIT=4') });
    const dry = await dryRunTool(def('set_hpa_max_replicas'), { name: 'front', namespace: ns, maxReplicas: 7 }, ctx);
    expect(dry).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('at most 6') });
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'front', namespace: ns })).spec?.maxReplicas).toBe(3);
  });
});

describe('set_quota_hard on the bed', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('fix-quota');
    await refusedByQuota(ns, 'compute-quota', 'web', 2);
  });

  it('dry run shows the diff; it runs, verifies (status.hard enforced, the workload no longer refused), and the undo sets it back', async () => {
    const args = { name: 'compute-quota', namespace: ns, resource: 'pods', value: '3' };
    const v = await dryRunTool(def('set_quota_hard'), args, ctx);
    expect(v).toMatchObject({ kind: 'accepted', diff: [`ResourceQuota ${ns}/compute-quota:`, '  spec.hard.pods: 2 → 3'] });
    const before = `set the pods limit back to 2 (what the quota admitted stays; new objects are refused above it): \`kubectl patch resourcequota compute-quota -n ${ns} -p '{"spec":{"hard":{"pods":"2"}}}'\`.`;
    expect(undoOf(step('set_quota_hard', args, { diff: (v as { diff: string[] }).diff.join('\n') }))).toBe(before);

    const r = await run('set_quota_hard', args);
    expect(r.data).toMatchObject({ changed: true, resource: 'pods', hard: { before: '2', after: '3' }, used: '2', ceiling: '4' });
    const lines = await verified('set_quota_hard', args, r.data, { namespace: ns, deployment: 'web' });
    expect(lines).toEqual([`ResourceQuota ${ns}/compute-quota: pods spec.hard 3, status.hard 3, used 3`, `Deployment ${ns}/web: 3 of 3 pods created: no longer refused`]);
    const undo = undoOf(step('set_quota_hard', args, { data: r.data }));
    expect(undo).toBe(before);
    await runUndo(undo);
    expect((await core.readNamespacedResourceQuota({ name: 'compute-quota', namespace: ns })).spec?.hard?.pods).toBe('2');
  });

  it('refuses to lower a limit, to pass FIX_QUOTA_MAX_FACTOR, and to add a limit the quota does not have', async () => {
    const args = { name: 'compute-quota', namespace: ns, resource: 'pods' };
    expect(await run('set_quota_hard', { ...args, value: '1' })).toMatchObject({ isError: true, text: expect.stringContaining('would lower the limit') });
    expect(await run('set_quota_hard', { ...args, value: '5' })).toMatchObject({ isError: true, text: expect.stringContaining('at most 4 (FIX_QUOTA_MAX_FACTOR=2 × the current 2)') });
    expect(await run('set_quota_hard', { ...args, resource: 'requests.cpu', value: '2' })).toMatchObject({ isError: true, text: expect.stringContaining('has no hard limit for requests.cpu (its limits: pods)') });
    expect((await core.readNamespacedResourceQuota({ name: 'compute-quota', namespace: ns })).spec?.hard?.pods).toBe('2');
  });
});

describe('through the operator', () => {
  let llm: ScriptedLlm;
  const scripts: Record<string, Reply[]> = {};
  const ops: Operator[] = [];
  const call = (name: string, args: object): Reply => ({ content: 'Acting on it.', toolCalls: [{ name, arguments: args }] });
  const escalate = (summary: string): Reply => ({ toolCalls: [{ name: 'escalate_incident', arguments: { summary, root_cause: 'see the steps' } }] });
  beforeAll(async () => {
    await applyCrd();
    llm = await startScriptedLlm();
    llm.setResponder(byPosition(scripts, { content: '## Summary\n\nThe scripted report.' }));
  });
  afterAll(async () => {
    await Promise.all(ops.map((o) => o.stop()));
    await llm?.stop();
  });

  it('approve: each fix waits for a person with the dry run\'s diff and its exact undo; once approved it runs and is verified', async () => {
    const ns = await createNamespace('fix-approve');
    await deployment(ns, 'api', 1, container('api', { livenessProbe: liveness }));
    await hpa(ns, 'api', 2);
    await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'pods-quota' }, spec: { hard: { pods: '4' } } } });
    const op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'approve', APPROVAL_TIMEOUT: '120s', VERIFY_TIMEOUT: '60s' } });
    ops.push(op);
    const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
      ['FixApproveProbe', 'set_probe_timing', { kind: 'Deployment', name: 'api', namespace: ns, container: 'api', probe: 'liveness', timeoutSeconds: 4 }, 'spec.template.spec.containers[api].livenessProbe.timeoutSeconds: 1 → 4', 'timeoutSeconds 1'],
      ['FixApproveHpa', 'set_hpa_max_replicas', { name: 'api', namespace: ns, maxReplicas: 4 }, 'spec.maxReplicas: 2 → 4', 'maxReplicas back to 2'],
      ['FixApproveQuota', 'set_quota_hard', { name: 'pods-quota', namespace: ns, resource: 'pods', value: '6' }, 'spec.hard.pods: 4 → 6', 'pods limit back to 4'],
    ];
    for (const [alertname, tool, args, diff, undo] of cases) {
      scripts[alertname] = [call(`kubernetes__${tool}`, args), escalate('not reached')];
      await post(op.webhookUrl, payload([alert({ alertname, namespace: ns })]));
      const waiting = await waitForIncident(ns, (i) => i.spec.alertname === alertname && i.status?.phase === 'AwaitingApproval', 60_000);
      const s = waiting.status!.steps!.at(-1)!;
      expect(s).toMatchObject({ state: 'AwaitingApproval', tool, dryRun: { ok: true, diff: expect.stringContaining(diff) } });
      expect(waiting.status!.report).toContain(`  ${diff}`);
      expect(waiting.status!.report).toMatch(new RegExp(`How to undo it: set .*${undo.replace(/[()]/g, '\\$&')}.*\`kubectl patch `));
      await kubectl(['annotate', 'inc', '-n', ns, waiting.metadata.name, `alertagent.io/approve=${s.index}`]);
      const done = await waitForIncident(ns, (i) => i.spec.alertname === alertname && finished(i), 90_000);
      expect(outcomeOf(done)).toEqual({ steps: [['callTool', tool, 'Succeeded'], ['verify', undefined, 'Succeeded']], errors: [] });
      expect(done.status).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
    }
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).spec?.template?.spec?.containers?.[0].livenessProbe?.timeoutSeconds).toBe(4);
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'api', namespace: ns })).spec?.maxReplicas).toBe(4);
    expect((await core.readNamespacedResourceQuota({ name: 'pods-quota', namespace: ns })).spec?.hard?.pods).toBe('6');
  }, 300_000); // three incidents in a row, each approved and verified

  it('auto: each allow-listed fix runs, is verified, and the incident is Resolved on that proof', async () => {
    const ns = await createNamespace('fix-auto');
    await deployment(ns, 'api', 1, container('api', { livenessProbe: liveness }));
    await hpa(ns, 'api', 2);
    await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'pods-quota' }, spec: { hard: { pods: '4' } } } });
    const allowed = ['set_probe_timing', 'set_hpa_max_replicas', 'set_quota_hard'].map((t) => `kubernetes__${t}`).join(',');
    const op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: allowed, POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '60s' } });
    ops.push(op);
    const cases: Array<[string, Record<string, string>, string, Record<string, unknown>]> = [
      ['FixAutoProbe', { deployment: 'api' }, 'set_probe_timing', { kind: 'Deployment', name: 'api', namespace: ns, container: 'api', probe: 'liveness', timeoutSeconds: 4 }],
      ['FixAutoHpa', { horizontalpodautoscaler: 'api' }, 'set_hpa_max_replicas', { name: 'api', namespace: ns, maxReplicas: 4 }],
      ['FixAutoQuota', { resourcequota: 'pods-quota' }, 'set_quota_hard', { name: 'pods-quota', namespace: ns, resource: 'pods', value: '6' }],
    ];
    for (const [alertname, labels, tool, args] of cases) {
      scripts[alertname] = [call(`kubernetes__${tool}`, args), escalate('not reached')];
      await post(op.webhookUrl, payload([alert({ alertname, namespace: ns, ...labels })]));
      const inc = await waitForIncident(ns, (i) => i.spec.alertname === alertname && finished(i), 90_000).catch(async (e) => {
        throw new Error(`${alertname}: ${e}\n${JSON.stringify((await listIncidents(ns)).find((i) => i.spec.alertname === alertname)?.status?.steps ?? [], null, 1).slice(0, 3000)}`);
      });
      const st = inc.status!;
      expect(outcomeOf(inc)).toEqual({ steps: [['callTool', tool, 'Succeeded'], ['verify', undefined, 'Succeeded']], errors: [] });
      expect(st.steps![0].dryRun).toMatchObject({ ok: true });
      expect(st).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
      expect(st.report).toMatch(new RegExp(`Outcome: Resolved because step 1 \\(kubernetes__${tool}\\) ran and step 2 verified it`));
    }
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: ns })).spec?.template?.spec?.containers?.[0].livenessProbe?.timeoutSeconds).toBe(4);
    expect((await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'api', namespace: ns })).spec?.maxReplicas).toBe(4);
    expect((await core.readNamespacedResourceQuota({ name: 'pods-quota', namespace: ns })).spec?.hard?.pods).toBe('6');
  }, 300_000); // three incidents in a row, each verified

  it('the rule-based analyzer proposes room in the quota that refuses a Deployment\'s pods; under auto it runs and verifies', async () => {
    const ns = await createNamespace('fix-rules');
    await refusedByQuota(ns, 'compute-quota', 'web', 2);
    const op = await startTestOperator({
      namespace: ns,
      env: { ANALYZER: 'rules', POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__set_quota_hard', POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '60s' },
    });
    ops.push(op);
    await post(op.webhookUrl, payload([alert({ alertname: 'KubeDeploymentReplicasMismatch', namespace: ns, deployment: 'web' })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'KubeDeploymentReplicasMismatch' && finished(i), 120_000);
    const st = inc.status!;
    const fix = st.steps!.find((x) => x.tool === 'set_quota_hard')!;
    expect(fix).toMatchObject({ state: 'Succeeded', dryRun: { ok: true, diff: `ResourceQuota ${ns}/compute-quota:\n  spec.hard.pods: 2 → 3` } });
    expect(JSON.parse(fix.arguments!)).toEqual({ name: 'compute-quota', namespace: ns, resource: 'pods', value: '3' });
    expect(fix.reasoning).toMatch(/Proposed fix: ResourceQuota .*compute-quota refuses the pods at pods 2 of 2/);
    expect(st.steps!.find((x) => x.action === 'verify')).toMatchObject({ state: 'Succeeded' });
    expect(st.outcome).toBe('Resolved');
    expect((await core.readNamespacedResourceQuota({ name: 'compute-quota', namespace: ns })).spec?.hard?.pods).toBe('3');
  });
});

// Closed-loop remediation on the real control plane (issue 22, parts 3 and 4): kube-controller-manager,
// the scheduler and kwok's fake kubelets roll Deployments out for real, so an action's verification reads
// what a cluster would show. A change is judged by the API server (a server-side dry run) before it is
// shown for approval or run; an action that ran is verified within VERIFY_TIMEOUT; a restart of the
// operator between the action and its verification resumes the verification and never repeats the action.
import type { ChildProcess } from 'node:child_process';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import type { AlertIncident } from '../../src/incident/types.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { startOperatorProcess } from './processes.js';
import { alert, applyCrd, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
const scripts: Record<string, Reply[]> = {};
const ops: Operator[] = [];
const procs: ChildProcess[] = [];
const call = (name: string, args: object): Reply => ({ content: 'Acting on it.', toolCalls: [{ name, arguments: args }] });
const escalate = (summary: string): Reply => ({ toolCalls: [{ name: 'escalate_incident', arguments: { summary, root_cause: 'see the steps' } }] });
const apps = () => kubeConfig().makeApiClient(AppsV1Api);

async function deployment(ns: string, name: string, o: { replicas?: number; scenario?: string; minReadySeconds?: number } = {}): Promise<void> {
  const labels: Record<string, string> = { app: name, ...(o.scenario ? { 'alertagent.test/scenario': o.scenario } : {}) };
  const body: V1Deployment = {
    metadata: { name },
    spec: { replicas: o.replicas ?? 1, minReadySeconds: o.minReadySeconds, selector: { matchLabels: { app: name } }, template: { metadata: { labels }, spec: { containers: [{ name, image: `example/${name}:1` }] } } },
  };
  await apps().createNamespacedDeployment({ namespace: ns, body });
  if (!o.scenario) await eventually(async () => (await apps().readNamespacedDeployment({ name, namespace: ns })).status?.availableReplicas === (o.replicas ?? 1), 60_000, 250);
}
const readDeployment = (ns: string, name: string) => apps().readNamespacedDeployment({ name, namespace: ns });
const eventsOf = async (ns: string, inc: AlertIncident, reason: string) =>
  (await kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${inc.metadata.name},reason=${reason}`, '-o', 'jsonpath={range .items[*]}{.count} {.message}{"\\n"}{end}'])).stdout.trim();

beforeAll(async () => {
  await applyCrd();
  llm = await startScriptedLlm();
  llm.setResponder(byPosition(scripts, { content: '## Summary\n\nThe scripted report.' }));
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(ops.map((o) => o.stop()));
  await llm?.stop();
});

describe('auto: an action is verified before the incident may be called resolved', () => {
  let ns: string;
  let op: Operator;
  beforeAll(async () => {
    ns = await createNamespace('loop');
    op = await startTestOperator({
      namespace: ns,
      env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__rollout_restart', POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '20s' },
    });
    ops.push(op);
  });

  it('(a) a rollout restart that works: the verify step reads the rollout complete and the new pods Ready → Resolved', async () => {
    await deployment(ns, 'good', { replicas: 2 });
    scripts.LoopRestartOk = [call('kubernetes__rollout_restart', { kind: 'Deployment', name: 'good', namespace: ns }), escalate('not reached')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopRestartOk', namespace: ns, deployment: 'good' })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopRestartOk' && finished(i), 60_000);
    const s = inc.status!;
    expect(s.steps!.map((x) => [x.action, x.tool, x.state])).toEqual([
      ['callTool', 'rollout_restart', 'Succeeded'],
      ['verify', undefined, 'Succeeded'],
    ]);
    const [restart, verify] = s.steps!;
    // Before it ran, the API server judged it: the diff of a restart is the annotation it adds.
    expect(restart.dryRun).toMatchObject({ ok: true, diff: expect.stringMatching(/^Deployment [^\n]+\/good:\n {2}spec\.template\.metadata\.annotations\.kubectl\.kubernetes\.io\/restartedAt: <unset> → 20\d\d-/) });
    expect(verify.reasoning).toBe(`the rollout of Deployment ${ns}/good completes and its pods are Ready and not restarting, within 20s of step 1 (kubernetes__rollout_restart)`);
    expect(verify.result).toMatchObject({ ok: true, finishedAt: expect.any(String) });
    expect(verify.result!.output).toMatch(new RegExp(`Deployment ${ns}/good: generation 2, observed 2 \\(the change made generation 2\\); 2/2 updated, 2/2 ready, 2/2 available, 2 in total: rollout complete`));
    expect(verify.result!.output!.match(/pod good-[a-z0-9-]+ \(new\): Ready, 0 restarts/g)).toHaveLength(2);
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
    expect(s.report).toMatch(/Outcome: Resolved because step 1 \(kubernetes__rollout_restart\) ran and step 2 verified it/);
    expect(s.report).toContain('## Verification');
    expect(await eventsOf(ns, inc, 'VerificationPassed')).toContain('step 2 verified step 1 (kubernetes__rollout_restart)');
  });

  it('(b) a restart whose new pods still crash: not verified within the bound → NeedsManualIntervention with the evidence and the undo', async () => {
    await deployment(ns, 'crashy', { scenario: 'crashloop' });
    scripts.LoopRestartCrash = [call('kubernetes__rollout_restart', { kind: 'Deployment', name: 'crashy', namespace: ns }), escalate('not reached')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopRestartCrash', namespace: ns, deployment: 'crashy' })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopRestartCrash' && finished(i), 90_000);
    const s = inc.status!;
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    const verify = s.steps!.at(-1)!;
    expect(verify).toMatchObject({ action: 'verify', state: 'Failed', result: { ok: false, error: `not verified within 20s: the rollout of Deployment ${ns}/crashy completes and its pods are Ready and not restarting` } });
    expect(Date.parse(verify.result!.finishedAt!) - Date.parse(verify.time)).toBeGreaterThanOrEqual(20_000);
    expect(verify.result!.output).toMatch(/rollout not complete/);
    expect(verify.result!.output).toMatch(/pod crashy-[a-z0-9-]+ \(new\): not Ready \(CrashLoopBackOff\)/);
    // What was tried, what the cluster shows now, and how to undo it.
    expect(s.report).toMatch(/Outcome: NeedsManualIntervention because step 1 \(kubernetes__rollout_restart\) ran, but it did not verify within 20s; the cluster now shows: .*CrashLoopBackOff/);
    expect(s.report).toContain('How to undo step 1: nothing to undo: the restart replaces the pods with identical ones.');
    expect(await eventsOf(ns, inc, 'VerificationFailed')).toMatch(/did not verify within 20s/);
  });
});

describe('approve: a proposal is judged by the API server before a person sees it', () => {
  let ns: string;
  let op: Operator;
  const policyName = () => `loop-max-replicas-${ns}`;
  beforeAll(async () => {
    ns = await createNamespace('loopdry');
    await deployment(ns, 'web');
    op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'approve', APPROVAL_TIMEOUT: '120s' } });
    ops.push(op);
  });
  afterAll(async () => {
    await kubectl(['delete', 'validatingadmissionpolicybinding', policyName(), '--ignore-not-found']);
    await kubectl(['delete', 'validatingadmissionpolicy', policyName(), '--ignore-not-found']);
  });

  it('(d) the real small model\'s delete_pod {"name": "kubernetes__get_resource", "namespace": "billing_invoices-5c6d7f-abcde"} is an invalid step told back to it, never AwaitingApproval', async () => {
    scripts.LoopNonsense = [call('kubernetes__delete_pod', { name: 'kubernetes__get_resource', namespace: 'billing_invoices-5c6d7f-abcde' }), escalate('could not find the pod')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopNonsense', namespace: ns })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopNonsense' && finished(i), 60_000);
    const [refused, concluded] = inc.status!.steps!;
    expect(refused).toMatchObject({ action: 'invalid', state: 'Done', server: 'kubernetes', tool: 'delete_pod', dryRun: { ok: false } });
    expect(refused.result!.error).toMatch(/^kubernetes__delete_pod was not run and not shown for approval: "billing_invoices-5c6d7f-abcde" is not a valid namespace name.*; "kubernetes__get_resource" is not a valid Pod name/);
    expect(concluded.action).toBe('escalate');
    expect(await eventsOf(ns, inc, 'ApprovalRequired')).toBe('');
    expect(await eventsOf(ns, inc, 'DryRunRefused')).toContain('refused before it was shown or run');
    // The model heard why, as the error of its own call.
    const second = llm.requests.filter((r) => String(r.body.messages[1].content).includes('LoopNonsense'))[1].body.messages;
    expect(second.at(-1)).toMatchObject({ role: 'tool', content: expect.stringMatching(/^ERROR: kubernetes__delete_pod was not run/) });
  });

  it('(e) the approval step carries the dry run\'s diff (and the report and the Event show it); nothing is stored', async () => {
    scripts.LoopApproveDiff = [call('kubernetes__scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 3 }), escalate('scaled')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopApproveDiff', namespace: ns })]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopApproveDiff' && i.status?.phase === 'AwaitingApproval', 60_000);
    const step = inc.status!.steps!.at(-1)!;
    expect(step).toMatchObject({ state: 'AwaitingApproval', dryRun: { ok: true, diff: `Deployment ${ns}/web (scale):\n  spec.replicas: 1 → 3`, note: expect.stringContaining('server-side dry run (dryRun=All)') } });
    expect(inc.status!.report).toContain("What it would change (the API server's dry run, nothing stored):");
    expect(inc.status!.report).toContain('  spec.replicas: 1 → 3');
    expect(await eventsOf(ns, inc, 'ApprovalRequired')).toContain(`Would change: Deployment ${ns}/web (scale): spec.replicas: 1 → 3`);
    const d = await readDeployment(ns, 'web');
    expect([d.spec?.replicas, d.metadata?.generation]).toEqual([1, 1]);
    await kubectl(['annotate', 'inc', '-n', ns, inc.metadata.name, `alertagent.io/reject=${step.index}`]);
  });

  it('(f) a dry run the API server refuses (no such Deployment; an admission policy that denies it) is an invalid step with the server\'s message', async () => {
    scripts.LoopGhost = [call('kubernetes__scale', { kind: 'Deployment', name: 'ghost', namespace: ns, replicas: 2 }), escalate('no such deployment')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopGhost', namespace: ns })]));
    let inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopGhost' && finished(i), 60_000);
    expect(inc.status!.steps![0]).toMatchObject({ action: 'invalid', tool: 'scale', result: { error: expect.stringContaining(`the API server refused it in a dry run: not found: deployment ghost in namespace ${ns}`) } });
    expect(await eventsOf(ns, inc, 'ApprovalRequired')).toBe('');

    // A ValidatingAdmissionPolicy (this namespace only) that denies more than 5 replicas: the dry-run write itself is refused.
    const vap = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policyName() },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments', 'deployments/scale'] }] },
        validations: [{ expression: 'object.spec.replicas <= 5', message: 'at most 5 replicas in this namespace' }],
      },
    };
    const binding = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: policyName() }, spec: { policyName: policyName(), validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } } } };
    const applied = await kubectl(['apply', '-f', '-'], [vap, binding].map((d) => JSON.stringify(d)).join('\n---\n'));
    expect(applied.code).toBe(0);
    await eventually(async () => /at most 5 replicas/.test((await kubectl(['scale', 'deployment/web', '-n', ns, '--replicas=9', '--dry-run=server'])).stderr), 30_000, 500);
    scripts.LoopDenied = [call('kubernetes__scale', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 9 }), escalate('the policy denies it')];
    await post(op.webhookUrl, payload([alert({ alertname: 'LoopDenied', namespace: ns })]));
    inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopDenied' && finished(i), 60_000);
    expect(inc.status!.steps![0]).toMatchObject({ action: 'invalid', tool: 'scale', result: { error: expect.stringMatching(/the API server refused it in a dry run: .*at most 5 replicas in this namespace/) } });
    expect(await eventsOf(ns, inc, 'ApprovalRequired')).toBe('');
    expect((await readDeployment(ns, 'web')).spec?.replicas).toBe(1);
  });
});

it('(c) a restart of the operator between the action and its verification resumes the verification and never repeats the action', async () => {
  const ns = await createNamespace('loopkill');
  // minReadySeconds holds the rollout (available replicas) for 10 s after the new pod is Ready: the verification is still running when the operator is killed.
  await deployment(ns, 'slow', { minReadySeconds: 10 });
  scripts.LoopKilled = [call('kubernetes__rollout_restart', { kind: 'Deployment', name: 'slow', namespace: ns }), escalate('not reached')];
  const env = { NAMESPACE: ns, OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'test-key', LLM_MAX_RETRIES: '0', POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__rollout_restart', POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '60s' };
  const first = await startOperatorProcess(env);
  procs.push(first.child);
  expect((await post(first.webhook, payload([alert({ alertname: 'LoopKilled', namespace: ns, deployment: 'slow' })]))).status).toBe(200);
  const verifying = await waitForIncident(ns, (i) => i.status?.phase === 'Verifying', 30_000).catch((e) => {
    throw new Error(`${e}\n${first.output()}`);
  });
  first.child.kill('SIGKILL');
  await first.exited;
  const started = verifying.status!.steps!.at(-1)!;
  expect(started).toMatchObject({ index: 2, action: 'verify', state: 'Running' });
  const restartedAt = (await readDeployment(ns, 'slow')).spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
  expect(restartedAt).toBeTruthy();
  const decisions = () => llm.requests.filter((r) => String(r.body.messages[1].content).includes('LoopKilled') && !String(r.body.messages.at(-1)?.content ?? '').includes('The investigation is over')).length;
  const asked = decisions();

  const second = await startOperatorProcess(env);
  procs.push(second.child);
  const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LoopKilled' && finished(i), 90_000).catch((e) => {
    throw new Error(`${e}\n${second.output()}`);
  });
  second.child.kill('SIGTERM');
  expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
  expect(inc.status!.steps!.map((s) => [s.index, s.action, s.state])).toEqual([
    [1, 'callTool', 'Succeeded'],
    [2, 'verify', 'Succeeded'],
  ]);
  // Resumed, not restarted: the same step, the same start time; the rollout's minReadySeconds shows in its length.
  expect(inc.status!.steps![1].time).toBe(started.time);
  expect(Date.parse(inc.status!.steps![1].result!.finishedAt!) - Date.parse(started.time)).toBeGreaterThanOrEqual(10_000);
  // The action ran once: one generation more than at creation, the same restartedAt, one ActionStarted, no new decision asked for.
  const d = await readDeployment(ns, 'slow');
  expect(d.metadata?.generation).toBe(2);
  expect(d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(restartedAt);
  expect(await eventsOf(ns, inc, 'ActionStarted')).toMatch(/^1 step 1: running kubernetes__rollout_restart/);
  expect(decisions()).toBe(asked);
});

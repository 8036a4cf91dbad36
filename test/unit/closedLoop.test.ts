// Closed-loop remediation (issue 22, parts 3 and 4), engine-level with fake tools: a change is judged by the
// API server's dry run before it is shown or run (a refused one is an invalid step told back to the model,
// never an approval request; an approval shows what would change), and an action that ran is verified
// before the incident may be reported Resolved (not verified in time: NeedsManualIntervention with the
// evidence and the undo). Real dry-run plumbing (the built-in tools on dry-run clients) is checked with
// fake API clients; the API server itself in test/integration/closedLoop.test.ts.
import { InvestigationEngine, type Advance, type Limits } from '../../src/investigation/engine.js';
import type { Decision, DryRunner, ToolCatalog, ToolInfo, VerificationCheck, Verifier } from '../../src/contracts/investigation.js';
import type { Investigator } from '../../src/incident/contracts.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import { IncidentStatus } from '../../src/incident/types.js';
import type { PolicyConfig } from '../../src/policy/policy.js';
import { buildMessages } from '../../src/investigation/prompts.js';
import { createDryRunner, dryRunContext, dryRunTool, invalidNames } from '../../src/tools/kubernetes/dryRun.js';
import { planVerification, podHealth, createVerifier } from '../../src/tools/kubernetes/verify.js';
import type { ToolContext } from '../../src/tools/kubernetes/context.js';
import { TOOL_DEFS } from '../../src/tools/kubernetes/server.js';

const tool = (name: string, mutating: boolean): ToolInfo => ({ name: `kubernetes__${name}`, server: 'kubernetes', tool: name, description: `${name}.`, inputSchema: { type: 'object' }, mutating, classifiedBy: 'test' });
const TOOLS = [tool('describe_pod', false), tool('rollout_restart', true), tool('scale', true), tool('delete_pod', true)];
const T0 = Date.parse('2026-11-26T07:00:00Z');

function catalog(calls: string[]): ToolCatalog {
  return {
    list: () => TOOLS,
    find: (n) => TOOLS.find((t) => t.name === n),
    call: async (_s, t, args) => {
      calls.push(`${t} ${JSON.stringify(args)}`);
      const data = t === 'rollout_restart' ? { kind: 'Deployment', name: 'web', namespace: 'shop', restartedAt: '2026-11-26T07:00:05Z', generation: { before: 1, after: 2 } } : undefined;
      return { ok: true, output: `${t} done`, durationMs: 3, ...(data ? { structured: data } : {}) };
    },
  };
}

function scripted(decisions: Decision[]): Investigator & { asked: number } {
  const inv = {
    kind: 'llm' as const,
    asked: 0,
    decide: async () => {
      inv.asked++;
      const d = decisions.shift();
      if (!d) throw new Error('no decision scripted');
      return { decision: d, usage: { promptTokens: 100, completionTokens: 10 } };
    },
    writeReport: async () => ({ report: { markdown: '## Summary\n\nThe restart was checked.' }, usage: { promptTokens: 50, completionTokens: 20 } }),
  };
  return inv;
}

const limits: Limits = { maxSteps: 10, maxTokensPerIncident: 100_000, toolOutputMaxBytes: 4000, toolTimeoutMs: 1000, approvalTimeoutMs: 60_000, maxInvalidReplies: 3, maxAttempts: 3, verifyTimeoutMs: 60_000 };
const policy = (mode: PolicyConfig['mode']): PolicyConfig => ({ mode, allowedTools: ['kubernetes__rollout_restart', 'kubernetes__scale', 'kubernetes__delete_pod'], allowedClusterTools: [], allowedNamespaces: [], maxMutations: 3, autoUninvolvedTargets: true });

function incident(): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'kube-pod-crash-looping-abc', namespace: 'ops', generation: 1, resourceVersion: '1' },
    spec: { alertname: 'KubePodCrashLooping', fingerprint: 'fp', status: 'firing', labels: { namespace: 'shop', pod: 'web-1' }, annotations: {}, startsAt: '2026-11-26T07:00:00Z' },
  };
}

const call = (t: string, args: Record<string, unknown>): Decision => ({ kind: 'callTool', tool: `kubernetes__${t}`, arguments: args, reasoning: `run ${t}`, toolCallId: `call-${t}` });
const restart = call('rollout_restart', { kind: 'Deployment', name: 'web', namespace: 'shop' });

/** A verifier whose checks follow a script (the last answer repeats); records what it was asked. */
function fakeVerifier(answers: VerificationCheck[]): Verifier & { checked: Array<{ target: Record<string, unknown>; since: string }> } {
  const v = {
    checked: [] as Array<{ target: Record<string, unknown>; since: string }>,
    plan: (a: Parameters<Verifier['plan']>[0]) => (a.tool === 'rollout_restart' ? { what: `the rollout of Deployment ${String(a.arguments.namespace)}/${String(a.arguments.name)} completes`, target: { check: 'rollout', name: a.arguments.name, generation: (a.data as { generation?: { after?: number } })?.generation?.after } } : undefined),
    check: async (target: Record<string, unknown>, since: Date) => {
      v.checked.push({ target, since: since.toISOString() });
      return answers.length > 1 ? answers.shift()! : answers[0];
    },
  };
  return v;
}

/** Applies writes as the reconciler would, with a clock that moves by each requeueAfter; returns the phases seen. */
async function drive(engine: InvestigationEngine, inc: AlertIncident, clock: { now: number }, max = 40): Promise<string[]> {
  const phases: string[] = [];
  for (let i = 0; i < max; i++) {
    const adv: Advance = await engine.advance(inc);
    if (adv.kind === 'write') {
      inc.status = IncidentStatus.parse(adv.status); // what the API server would store
      if (adv.afterWrite) inc.status = (await adv.afterWrite()).status;
      phases.push(inc.status.phase!);
      if (['Reported', 'Failed', 'AwaitingApproval'].includes(inc.status.phase!)) break;
    }
    clock.now += adv.requeueAfterMs ?? (adv.kind === 'noop' ? 1000 : 0);
  }
  return phases;
}

describe('verification after an action', () => {
  it('a restart under auto is verified (the check must hold for the settling time), then reported Resolved with what was verified', async () => {
    const clock = { now: T0 };
    const calls: string[] = [];
    const verifier = fakeVerifier([{ ok: false, lines: ['Deployment shop/web: 1/2 updated: rollout not complete'] }, { ok: true, lines: ['Deployment shop/web: 2/2 updated, 2/2 available: rollout complete', 'pod web-2 (new): Ready, 0 restarts'] }]);
    const llm = scripted([restart]);
    const engine = new InvestigationEngine({ investigator: llm, tools: catalog(calls), policy: policy('auto'), limits, verifier, now: () => new Date(clock.now) });
    const inc = incident();
    const phases = await drive(engine, inc, clock);
    expect(phases).toEqual(['Analyzing', 'Executing', 'Verifying', 'Verifying', 'Reported']);
    expect(calls).toEqual(['rollout_restart {"kind":"Deployment","name":"web","namespace":"shop"}']);
    const s = inc.status!;
    expect(s.steps!.map((x) => [x.index, x.action, x.state])).toEqual([
      [1, 'callTool', 'Succeeded'],
      [2, 'verify', 'Succeeded'],
    ]);
    const v = s.steps![1];
    expect(v.reasoning).toBe('the rollout of Deployment shop/web completes, within 1m of step 1 (kubernetes__rollout_restart)');
    expect(JSON.parse(v.arguments!)).toMatchObject({ step: 1, target: { check: 'rollout', name: 'web', generation: 2 }, timeoutMs: 60_000 });
    expect(v.result).toMatchObject({ ok: true, output: expect.stringContaining('rollout complete') });
    expect(v.result!.output).toContain('pod web-2 (new): Ready, 0 restarts');
    // First check failed (no write), second passed (kept as passedAt), third after the settling time (3 s of 60 s) ended it.
    expect(verifier.checked).toHaveLength(3);
    expect(new Set(verifier.checked.map((c) => c.since))).toEqual(new Set([v.time]));
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
    expect(s.report).toContain('Outcome: Resolved because step 1 (kubernetes__rollout_restart) ran and step 2 verified it: the rollout of Deployment shop/web completes, within 1m of step 1 (kubernetes__rollout_restart).');
    expect(s.report).toContain('## Verification');
    expect(s.report).toContain('Step 2 verified step 1 (`kubernetes__rollout_restart`)');
    // The model was asked for its one decision and the report only: no decision after the verification.
    expect(llm.asked).toBe(1);
  });

  it('an action that does not fix the problem: not verified within the bound → NeedsManualIntervention with the evidence and the undo', async () => {
    const clock = { now: T0 };
    const verifier = fakeVerifier([{ ok: false, lines: ['Deployment shop/web: 2/2 updated, 0/2 ready: rollout not complete', 'pod web-3 (new): not Ready (CrashLoopBackOff), 4 restarts since the action'] }]);
    const engine = new InvestigationEngine({ investigator: scripted([restart]), tools: catalog([]), policy: policy('auto'), limits, verifier, now: () => new Date(clock.now) });
    const inc = incident();
    await drive(engine, inc, clock, 200);
    const s = inc.status!;
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    const v = s.steps!.at(-1)!;
    expect(v).toMatchObject({ action: 'verify', state: 'Failed', result: { ok: false, error: 'not verified within 1m: the rollout of Deployment shop/web completes' } });
    expect(v.result!.output).toContain('CrashLoopBackOff');
    expect(Date.parse(v.result!.finishedAt!) - Date.parse(v.time)).toBeGreaterThanOrEqual(60_000);
    // What was tried, what the cluster shows now, and the undo.
    expect(s.report).toMatch(/Outcome: NeedsManualIntervention because step 1 \(kubernetes__rollout_restart\) ran, but it did not verify within 1m; the cluster now shows: .*CrashLoopBackOff/);
    expect(s.report).toContain('How to undo step 1: nothing to undo: the restart replaces the pods');
    // Polled with requeueAfter, never a tight loop: about one read per second over the minute.
    expect(verifier.checked.length).toBeGreaterThan(30);
    expect(verifier.checked.length).toBeLessThan(80);
  });

  it('a restarted operator resumes the verification from the stored start time and never runs the action again', async () => {
    const clock = { now: T0 };
    const calls: string[] = [];
    const first = new InvestigationEngine({ investigator: scripted([restart]), tools: catalog(calls), policy: policy('auto'), limits, verifier: fakeVerifier([{ ok: false, lines: ['not yet'] }]), now: () => new Date(clock.now) });
    const inc = incident();
    for (let i = 0; i < 10 && inc.status?.phase !== 'Verifying'; i++) {
      const a = await first.advance(inc);
      if (a.kind === 'write') inc.status = a.afterWrite ? (await a.afterWrite()).status : a.status;
    }
    expect(inc.status!.phase).toBe('Verifying');
    const started = inc.status!.steps!.at(-1)!.time;
    // The operator stops here; a new one (new engine, new verifier, an investigator that must not be asked) takes over later.
    clock.now += 20_000;
    const verifier = fakeVerifier([{ ok: true, lines: ['rollout complete'] }]);
    const second = new InvestigationEngine({ investigator: scripted([]), tools: catalog(calls), policy: policy('auto'), limits, verifier, now: () => new Date(clock.now) });
    await drive(second, inc, clock);
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
    expect(calls).toHaveLength(1);
    expect(verifier.checked[0].since).toBe(started);
    expect(inc.status!.steps!.at(-1)).toMatchObject({ action: 'verify', state: 'Succeeded', time: started });
  });

  it('a check that passes and then fails again (a pod Ready between two crashes) starts its settling over', async () => {
    const clock = { now: T0 };
    const ok = { ok: true, lines: ['Ready'] };
    const bad = { ok: false, lines: ['CrashLoopBackOff'] };
    const verifier = fakeVerifier([ok, bad, bad, ok, ok]);
    const engine = new InvestigationEngine({ investigator: scripted([restart]), tools: catalog([]), policy: policy('auto'), limits, verifier, now: () => new Date(clock.now) });
    const inc = incident();
    const phases = await drive(engine, inc, clock);
    // Started, passedAt set, then removed, then set again, then the verdict.
    expect(phases).toEqual(['Analyzing', 'Executing', 'Verifying', 'Verifying', 'Verifying', 'Verifying', 'Reported']);
    expect(inc.status!.outcome).toBe('Resolved');
  });

  it('VERIFY_TIMEOUT=0, or an action the verifier cannot plan, goes on as before (no verify step)', async () => {
    const clock = { now: T0 };
    const resolve: Decision = { kind: 'escalate', summary: 'restarted web; a person should watch it', rootCause: 'bad config', reasoning: 'done' };
    for (const [lim, d] of [[{ ...limits, verifyTimeoutMs: 0 }, restart], [limits, call('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 3 })]] as const) {
      const inspect = async () => ({ replicas: { 'shop/web': 2 }, controlledPods: [] });
      const engine = new InvestigationEngine({ investigator: scripted([d, resolve]), tools: catalog([]), policy: policy('auto'), limits: lim, verifier: fakeVerifier([{ ok: true, lines: [] }]), inspect, now: () => new Date(clock.now) });
      const inc = incident();
      expect(await drive(engine, inc, clock)).toEqual(['Analyzing', 'Executing', 'Analyzing', 'Reported']);
      expect(inc.status!.steps!.some((x) => x.action === 'verify')).toBe(false);
    }
  });

  it('the model hears the verification when it writes its report', () => {
    const v: Step = { index: 2, time: '2026-11-26T07:00:05Z', action: 'verify', state: 'Failed', reasoning: 'the rollout of Deployment shop/web completes, within 1m of step 1 (kubernetes__rollout_restart)', result: { ok: false, output: 'pod web-3: CrashLoopBackOff', error: 'not verified within 1m' } };
    const msgs = buildMessages({ incident: incident(), steps: [v], tools: TOOLS, policyMode: 'auto' }, { maxSteps: 10, promptTokenBudget: 10_000 });
    expect(msgs.at(-1)).toEqual({ role: 'user', content: expect.stringMatching(/verification of the action \(step 2\) FAILED \(not verified within 1m\).*CrashLoopBackOff/s) });
  });
});

describe('the dry run before a change is shown or run', () => {
  /** A context whose every API call fails the test: the checks that need no API server must not call it. */
  const untouchable = new Proxy({} as ToolContext, {
    get: () =>
      new Proxy(
        {},
        {
          get: (_t, m) => () => {
            throw new Error(`unexpected API call ${String(m)}`);
          },
        },
      ),
  });

  it('the real small model\'s delete_pod {"name": "kubernetes__get_resource", …} is an invalid step told back as the tool\'s error, never AwaitingApproval', async () => {
    const calls: string[] = [];
    const nonsense = call('delete_pod', { name: 'kubernetes__get_resource', namespace: 'billing_invoices-5c6d7f-abcde' });
    const dryRun = createDryRunner(untouchable, { builtinServer: 'kubernetes', defs: TOOL_DEFS });
    const llm = scripted([nonsense, nonsense, nonsense]);
    const engine = new InvestigationEngine({ investigator: llm, tools: catalog(calls), policy: policy('approve'), limits, dryRun, now: () => new Date(T0) });
    const inc = incident();
    const phases = await drive(engine, inc, { now: T0 });
    expect(phases).not.toContain('AwaitingApproval');
    expect(calls).toEqual([]);
    const [first] = inc.status!.steps!;
    expect(first).toMatchObject({ action: 'invalid', state: 'Done', server: 'kubernetes', tool: 'delete_pod', toolCallId: 'call-delete_pod', dryRun: { ok: false } });
    expect(first.result!.error).toContain('kubernetes__delete_pod was not run and not shown for approval');
    expect(first.result!.error).toContain('"billing_invoices-5c6d7f-abcde" is not a valid namespace name');
    expect(first.result!.error).toContain('"kubernetes__get_resource" is not a valid Pod name');
    expect(first.result!.error).toContain('it looks like the name of a tool, not of an object');
    // Told back to the model as the error of its own tool call.
    const msgs = buildMessages({ incident: inc, steps: [first], tools: TOOLS, policyMode: 'approve' }, { maxSteps: 10, promptTokenBudget: 10_000 });
    expect(msgs.slice(-2)).toEqual([
      expect.objectContaining({ role: 'assistant', tool_calls: [expect.objectContaining({ id: 'call-delete_pod', function: { name: 'kubernetes__delete_pod', arguments: first.arguments } })] }),
      { role: 'tool', tool_call_id: 'call-delete_pod', content: expect.stringMatching(/^ERROR: kubernetes__delete_pod was not run/) },
    ]);
    // Repeated, it counts as unusable like any other invalid reply: three in a row end the model's turn.
    expect(inc.status!.steps!.filter((s) => s.action === 'invalid')).toHaveLength(3);
    expect(inc.status).toMatchObject({ phase: 'Failed', failureReason: expect.stringContaining('InvestigatorUnusable') });
  });

  it('an approval step carries the dry run\'s diff, shown in the preliminary report and the approval Event', async () => {
    const dryRun: DryRunner = async () => ({ kind: 'accepted', diff: ['Deployment shop/web (scale):', '  spec.replicas: 3 → 0'], note: 'server-side dry run (dryRun=All)' });
    const engine = new InvestigationEngine({ investigator: scripted([call('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 0 })]), tools: catalog([]), policy: policy('approve'), limits, dryRun, now: () => new Date(T0) });
    const inc = incident();
    let last: Advance | undefined;
    for (let i = 0; i < 5 && inc.status?.phase !== 'AwaitingApproval'; i++) {
      last = await engine.advance(inc);
      if (last.kind === 'write') inc.status = IncidentStatus.parse(last.status);
    }
    const step = inc.status!.steps!.at(-1)!;
    expect(step).toMatchObject({ state: 'AwaitingApproval', dryRun: { ok: true, diff: 'Deployment shop/web (scale):\n  spec.replicas: 3 → 0', note: 'server-side dry run (dryRun=All)', time: '2026-11-26T07:00:00.000Z' } });
    expect(inc.status!.report).toContain("What it would change (the API server's dry run, nothing stored):");
    expect(inc.status!.report).toContain('  spec.replicas: 3 → 0');
    const event = last!.kind === 'write' ? last!.events.find((e) => e.reason === 'ApprovalRequired') : undefined;
    expect(event!.message).toContain('Would change: Deployment shop/web (scale): spec.replicas: 3 → 0');
  });

  it('a dry run the API server refuses is an invalid step with the server\'s message; auto never runs it', async () => {
    const calls: string[] = [];
    const dryRun: DryRunner = async () => ({ kind: 'rejected', reason: 'the API server refused it in a dry run: not found: deployment ghost in namespace shop' });
    const engine = new InvestigationEngine({ investigator: scripted([call('scale', { kind: 'Deployment', name: 'ghost', namespace: 'shop', replicas: 2 }), { kind: 'escalate', summary: 'no such deployment', rootCause: 'x y z', reasoning: '' }]), tools: catalog(calls), policy: policy('auto'), limits, dryRun, now: () => new Date(T0) });
    const inc = incident();
    await drive(engine, inc, { now: T0 });
    expect(calls).toEqual([]);
    expect(inc.status!.steps![0]).toMatchObject({ action: 'invalid', result: { error: expect.stringContaining('not found: deployment ghost in namespace shop') } });
    expect(inc.status!.report).toContain('kubernetes__scale refused by the dry run');
  });

  it('a blocked call is not dry-run (observe needs no write permission), and a read-only call never is', async () => {
    let asked = 0;
    const dryRun: DryRunner = async () => (asked++, { kind: 'accepted', diff: [], note: '' });
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod', { name: 'web-1', namespace: 'shop' }), restart, { kind: 'escalate', summary: 'a b c d', rootCause: 'e f g', reasoning: '' }]), tools: catalog([]), policy: policy('observe'), limits, dryRun });
    const inc = incident();
    await drive(engine, inc, { now: T0 });
    expect(asked).toBe(0);
    expect(inc.status!.steps![1]).toMatchObject({ state: 'Blocked' });
  });
});

describe('the built-in tools in dry-run mode', () => {
  function fakeContext(seen: Array<{ method: string; param: Record<string, unknown> }>) {
    const deployment = { metadata: { name: 'web', namespace: 'shop', generation: 4, resourceVersion: '10', uid: 'u1' }, spec: { replicas: 3, template: { metadata: { annotations: {} }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } } };
    const apps = {
      readNamespacedDeployment: async () => structuredClone(deployment),
      readNamespacedDeploymentScale: async () => ({ metadata: { name: 'web', namespace: 'shop', resourceVersion: '10' }, spec: { replicas: 3 }, status: { replicas: 3 } }),
      patchNamespacedDeploymentScale: async (p: Record<string, unknown>) => (seen.push({ method: 'patchNamespacedDeploymentScale', param: p }), { metadata: { name: 'web', namespace: 'shop', resourceVersion: '11' }, spec: { replicas: (p.body as { spec: { replicas: number } }).spec.replicas } }),
      patchNamespacedDeployment: async (p: Record<string, unknown>) => {
        seen.push({ method: 'patchNamespacedDeployment', param: p });
        const after = structuredClone(deployment) as typeof deployment & { spec: { template: { metadata: { annotations: Record<string, string> } } } };
        after.metadata.generation = 5;
        after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'] = '2026-11-26T07:00:00Z';
        return after;
      },
    };
    const core = {
      readNamespacedPod: async () => ({ metadata: { name: 'web-1', namespace: 'shop', uid: 'p1', ownerReferences: [{ controller: true, kind: 'ReplicaSet', name: 'web-5d8', uid: 'rs' }] }, status: { phase: 'Running' } }),
      deleteNamespacedPod: async (p: Record<string, unknown>) => (seen.push({ method: 'deleteNamespacedPod', param: p }), { metadata: { name: 'web-1' } }),
      connectGetNamespacedPodExec: async () => 'ran a command',
    };
    const autoscaling = { listNamespacedHorizontalPodAutoscaler: async () => ({ items: [] }) };
    return { core, apps, autoscaling, batch: {}, custom: {}, objects: {}, now: () => T0 } as unknown as ToolContext;
  }
  const def = (n: string) => TOOL_DEFS.find((d) => d.name === n)!;

  it('every write carries dryRun=All, and what the API server answered is shown as before → after', async () => {
    const seen: Array<{ method: string; param: Record<string, unknown> }> = [];
    const ctx = fakeContext(seen);
    expect(await dryRunTool(def('scale'), { kind: 'deploy', name: 'web', namespace: 'shop', replicas: 0 }, ctx)).toEqual({
      kind: 'accepted',
      diff: ['Deployment shop/web (scale):', '  spec.replicas: 3 → 0'],
      note: expect.stringContaining('server-side dry run (dryRun=All)'),
    });
    const r = await dryRunTool(def('rollout_restart'), { kind: 'Deployment', name: 'web', namespace: 'shop' }, ctx);
    expect(r).toMatchObject({ kind: 'accepted', diff: ['Deployment shop/web:', '  spec.template.metadata.annotations.kubectl.kubernetes.io/restartedAt: <unset> → 2026-11-26T07:00:00Z'] });
    expect(await dryRunTool(def('delete_pod'), { name: 'web-1', namespace: 'shop' }, ctx)).toMatchObject({ kind: 'accepted', diff: ['Pod shop/web-1: exists → deleted; its ReplicaSet web-5d8 creates a replacement'] });
    expect(seen.map((s) => [s.method, s.param.dryRun])).toEqual([
      ['patchNamespacedDeploymentScale', 'All'],
      ['patchNamespacedDeployment', 'All'],
      ['deleteNamespacedPod', 'All'],
    ]);
  });

  it('fails closed: in dry-run mode a call that is neither a read nor a dry-run write throws', async () => {
    const { ctx } = dryRunContext(fakeContext([]));
    expect(() => (ctx.core as unknown as { connectGetNamespacedPodExec: () => unknown }).connectGetNamespacedPodExec()).toThrow('not allowed in a dry run');
  });

  it('the API server\'s refusal is the reason; arguments the tool cannot read are refused as the tool would', async () => {
    const ctx = fakeContext([]);
    const refusing = { ...ctx, apps: { ...(ctx.apps as object), readNamespacedDeploymentScale: async () => Promise.reject(Object.assign(new (await import('@kubernetes/client-node')).ApiException(404, 'nf', { message: 'deployments.apps "ghost" not found' }, {}))) } } as unknown as ToolContext;
    expect(await dryRunTool(def('scale'), { kind: 'Deployment', name: 'ghost', namespace: 'shop', replicas: 1 }, refusing)).toEqual({ kind: 'rejected', reason: expect.stringMatching(/^the API server refused it in a dry run: not found: deployment ghost in namespace shop/) });
    expect(await dryRunTool(def('scale'), { kind: 'Deployment', name: 'web', namespace: 'shop' }, ctx)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('replicas') });
  });

  it('names: DNS-1123 names for the known kinds, namespaces as labels; other kinds are left alone', () => {
    expect(invalidNames([{ kind: 'Deployment', name: 'web.v2', namespace: 'shop' }, { kind: 'ClusterRole', name: 'system:aggregate-to-view' }, { name: 'Whatever_Else' }], ['shop'])).toEqual([]);
    expect(invalidNames([{ kind: 'Pod', name: 'Web_1' }], ['a'.repeat(64)])).toHaveLength(2);
  });
});

describe('what a verification checks', () => {
  const labels = { namespace: 'shop', pod: 'web-1' };
  it('plans a check for every built-in mutating tool, and none for other servers\' tools', () => {
    const plan = (t: string, args: Record<string, unknown>, data?: Record<string, unknown>) => planVerification(t, args, data, labels);
    expect(plan('rollout_restart', { kind: 'Deployment', name: 'web', namespace: 'shop' }, { generation: { after: 5 } })).toEqual({ what: expect.stringContaining("completes and its pods are Ready and not restarting; the alert's pod shop/web-1 is gone or Ready"), target: { check: 'rollout', kind: 'Deployment', name: 'web', namespace: 'shop', generation: 5, alertPod: 'web-1' } });
    expect(plan('rollback_deployment', { name: 'web', namespace: 'shop' })?.target).toMatchObject({ check: 'rollout', kind: 'Deployment' });
    expect(plan('set_resources', { kind: 'StatefulSet', name: 'db', namespace: 'shop', container: 'db' })?.target).toMatchObject({ check: 'rollout', kind: 'StatefulSet' });
    expect(plan('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 0 }, { replicas: { before: 3, after: 0 } })?.target).toMatchObject({ check: 'rollout', replicas: 0 });
    expect(plan('delete_pod', { name: 'web-1', namespace: 'shop' }, { owner: { kind: 'ReplicaSet', name: 'web-5d8' } })?.target).toEqual({ check: 'podGone', name: 'web-1', namespace: 'shop', owner: { kind: 'ReplicaSet', name: 'web-5d8' } });
    expect(plan('cordon_node', { name: 'node-1' })?.target).toEqual({ check: 'node', name: 'node-1', unschedulable: true });
    expect(plan('uncordon_node', { name: 'node-1' })?.target).toEqual({ check: 'node', name: 'node-1', unschedulable: false });
    expect(plan('expand_pvc', { name: 'data', namespace: 'shop', size: '20Gi' }, { name: 'data', namespace: 'shop', size: { before: '10Gi', after: '20Gi' } })?.target).toEqual({ check: 'pvcSize', name: 'data', namespace: 'shop', size: '20Gi', before: '10Gi' });
    expect(plan('renew_certificate', { name: 'tls', namespace: 'shop' }, { notAfter: '2026-12-01T00:00:00Z', revision: 3, previousRequest: { name: 'tls-4', uid: 'u-4' } })).toEqual({
      what: 'Certificate shop/tls is re-issued: Ready=True with a notAfter later than 2026-12-01T00:00:00Z',
      target: { check: 'certificate', name: 'tls', namespace: 'shop', notAfter: '2026-12-01T00:00:00Z', revision: 3, previousRequest: 'u-4' },
    });
    expect(createVerifier({} as ToolContext, 'kubernetes').plan({ server: 'other', tool: 'scale', arguments: { name: 'web', namespace: 'shop', replicas: 1 }, alertLabels: labels })).toBeUndefined();
  });

  it('a pod is healthy when Ready, not waiting and, if the action made it, not restarted', () => {
    const since = new Date(T0);
    const pod = (over: { ready?: boolean; restarts?: number; waiting?: string; created?: number }) =>
      ({
        metadata: { name: 'web-2', creationTimestamp: new Date(over.created ?? T0 + 1000) },
        status: { conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }], containerStatuses: [{ name: 'web', ready: over.ready !== false, restartCount: over.restarts ?? 0, state: over.waiting ? { waiting: { reason: over.waiting } } : { running: {} } }] },
      }) as never;
    expect(podHealth(pod({}), since)).toEqual({ ok: true, line: 'pod web-2 (new): Ready, 0 restarts' });
    expect(podHealth(pod({ ready: false, waiting: 'CrashLoopBackOff', restarts: 2 }), since)).toEqual({ ok: false, line: 'pod web-2 (new): not Ready (CrashLoopBackOff), 2 restarts since the action' });
    expect(podHealth(pod({ restarts: 1 }), since).ok).toBe(false);
    // An old pod that restarted long ago but is healthy now is fine.
    expect(podHealth(pod({ restarts: 3, created: T0 - 3_600_000 }), since)).toEqual({ ok: true, line: 'pod web-2: Ready, 3 restarts' });
  });

  it('a rollout is complete only when observed, updated, ready and available, with no pod left behind', async () => {
    const deployment = (status: Record<string, unknown>) => ({ metadata: { name: 'web', namespace: 'shop', generation: 5, uid: 'd1' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } }, status });
    const podOf = (name: string, ready: boolean) => ({ metadata: { name, creationTimestamp: new Date(T0 + 1000), ownerReferences: [{ controller: true, uid: 'rs2' }] }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'web', ready, restartCount: 0, state: ready ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } } }] } });
    let d = deployment({ observedGeneration: 4, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, replicas: 2 });
    let pods = [podOf('web-a', true), podOf('web-b', true)];
    const ctx = {
      apps: { readNamespacedDeployment: async () => d, listNamespacedReplicaSet: async () => ({ items: [{ metadata: { uid: 'rs2', ownerReferences: [{ controller: true, uid: 'd1' }] } }] }) },
      core: { listNamespacedPod: async () => ({ items: pods }), readNamespacedPod: async () => Promise.reject(Object.assign(new Error('nf'), { code: 404 })) },
    } as unknown as ToolContext;
    const v = createVerifier(ctx, 'kubernetes');
    const target = { check: 'rollout', kind: 'Deployment', name: 'web', namespace: 'shop', generation: 5 };
    expect(await v.check(target, new Date(T0))).toMatchObject({ ok: false, lines: expect.arrayContaining([expect.stringMatching(/observed 4 \(the change made generation 5\);.*: rollout not complete$/)]) });
    d = deployment({ observedGeneration: 5, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, replicas: 2 });
    expect(await v.check(target, new Date(T0))).toEqual({ ok: true, lines: [expect.stringContaining('rollout complete'), 'pod web-a (new): Ready, 0 restarts', 'pod web-b (new): Ready, 0 restarts'] });
    pods = [podOf('web-a', true), podOf('web-b', false)];
    expect(await v.check(target, new Date(T0))).toMatchObject({ ok: false, lines: [expect.any(String), 'pod web-b (new): not Ready (CrashLoopBackOff), 0 restarts', 'pod web-a (new): Ready, 0 restarts'] });
  });
});

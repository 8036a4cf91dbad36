// The loop's decisions, step by step, with an in-memory investigator and tool catalog. (Persistence,
// watches and conflicts are proven against the real apiserver in test/integration.)
import { InvestigationEngine, type Advance, type Limits } from '../../src/investigation/engine.js';
import { TransientError } from '../../src/contracts/errors.js';
import type { Decision, ToolCatalog, ToolInfo } from '../../src/contracts/investigation.js';
import type { Investigator } from '../../src/incident/contracts.js';
import type { AlertIncident } from '../../src/incident/types.js';
import type { PolicyConfig } from '../../src/policy/policy.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';

const tool = (name: string, mutating: boolean): ToolInfo => ({ name: `k8s__${name}`, server: 'k8s', tool: name, description: name, inputSchema: { type: 'object' }, mutating, classifiedBy: 'test' });
const TOOLS = [tool('describe_pod', false), tool('scale', true)];

function catalog(calls: string[], output = 'pod web-1: CrashLoopBackOff'): ToolCatalog {
  return {
    list: () => TOOLS,
    find: (n) => TOOLS.find((t) => t.name === n),
    call: async (_s, t, args) => {
      calls.push(`${t} ${JSON.stringify(args)}`);
      return { ok: true, output, durationMs: 3 };
    },
  };
}

function scripted(decisions: Array<Decision | Error>): Investigator {
  return {
    kind: 'llm',
    decide: async () => {
      const d = decisions.shift();
      if (!d) throw new Error('no decision scripted');
      if (d instanceof Error) throw d;
      return { decision: d, usage: { promptTokens: 100, completionTokens: 10 } };
    },
    writeReport: async () => ({ report: { markdown: '## Summary\n\nIt crashed.' }, usage: { promptTokens: 50, completionTokens: 20 } }),
  };
}

const limits: Limits = { maxSteps: 10, maxTokensPerIncident: 100_000, toolOutputMaxBytes: 1000, toolTimeoutMs: 1000, approvalTimeoutMs: 60_000, maxInvalidReplies: 3, maxAttempts: 3 };
const policy = (mode: PolicyConfig['mode']): PolicyConfig => ({ mode, allowedTools: ['k8s__scale'], allowedClusterTools: [], allowedNamespaces: [], maxMutations: 3 });

function incident(): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'kube-pod-crash-looping-abc', namespace: 'ops', generation: 1, resourceVersion: '1' },
    spec: { alertname: 'KubePodCrashLooping', fingerprint: 'fp', status: 'firing', labels: { namespace: 'shop', pod: 'web-1' }, annotations: {}, startsAt: '2026-11-26T07:00:00Z' },
  };
}

/** Applies writes as the reconciler would, without an apiserver; returns the phases seen. */
async function run(engine: InvestigationEngine, inc: AlertIncident, maxSteps = 30): Promise<string[]> {
  const phases: string[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const adv: Advance = await engine.advance(inc);
    if (adv.kind === 'noop') break;
    inc.status = adv.status;
    if (adv.afterWrite) inc.status = (await adv.afterWrite()).status;
    phases.push(inc.status.phase!);
    if (inc.status.phase === 'Reported' || inc.status.phase === 'Failed' || inc.status.phase === 'AwaitingApproval') break;
  }
  return phases;
}

const call = (t: string, args: Record<string, unknown> = { name: 'web-1', namespace: 'shop' }): Decision => ({ kind: 'callTool', tool: `k8s__${t}`, arguments: args, reasoning: `look at ${t}` });
const resolve: Decision = { kind: 'resolve', summary: 'web-1 crashed on a bad config', rootCause: 'missing env var', reasoning: 'done' };

describe('InvestigationEngine', () => {
  it('runs Pending → Analyzing ⇄ Executing → Reported and records every step and the usage', async () => {
    const calls: string[] = [];
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod'), resolve]), tools: catalog(calls), policy: policy('approve'), limits });
    const inc = incident();
    const phases = await run(engine, inc);
    // The read-only call is decided and run in one write; the conclusion and its report in another.
    expect(phases).toEqual(['Analyzing', 'Analyzing', 'Reported']);
    expect(calls).toEqual(['describe_pod {"name":"web-1","namespace":"shop"}']);
    const s = inc.status!;
    // The model resolves, but the alert still fires and nothing shows the crash gone (issue 22): its claim
    // is reported as not borne out. (Before issue 22 this ended Resolved on the model's word.)
    expect(s.outcome).toBe('NeedsManualIntervention');
    expect(s.summary).toBe('Not borne out: web-1 crashed on a bad config');
    expect(s.rootCause).toBe('missing env var');
    expect(s.report).toContain('is not borne out by the evidence');
    expect(s.steps!.map((x) => [x.index, x.action, x.state])).toEqual([
      [1, 'callTool', 'Succeeded'],
      [2, 'resolve', 'Done'],
    ]);
    expect(s.steps![0].result).toMatchObject({ ok: true, output: 'pod web-1: CrashLoopBackOff', durationMs: 3 });
    expect(s.usage).toEqual({ llmCalls: 3, promptTokens: 250, completionTokens: 40 });
    expect(s.report).toContain('## Summary');
    expect(s.report).toContain('## Timeline');
    expect(s.completedAt).toBeDefined();
  });

  it('bounds tool output and marks the cut', async () => {
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod'), resolve]), tools: catalog([], 'x'.repeat(5000)), policy: policy('observe'), limits });
    const inc = incident();
    await run(engine, inc);
    const r = inc.status!.steps![0].result!;
    expect(r.truncated).toBe(true);
    expect(r.originalBytes).toBe(5000);
    expect(Buffer.byteLength(r.output!)).toBeLessThanOrEqual(1000);
    expect(r.output).toMatch(/\[output truncated: 1000 of 5000 bytes kept\]$/);
  });

  it('observe: a mutating call is blocked, told to the model, and listed as a recommendation', async () => {
    const calls: string[] = [];
    const engine = new InvestigationEngine({ investigator: scripted([call('scale', { name: 'web', namespace: 'shop', replicas: 5 }), { ...resolve, kind: 'escalate' }]), tools: catalog(calls), policy: policy('observe'), limits });
    const inc = incident();
    await run(engine, inc);
    expect(calls).toEqual([]);
    expect(inc.status!.steps![0]).toMatchObject({ state: 'Blocked', mutating: true, policy: { verdict: 'block' } });
    expect(inc.status!.outcome).toBe('NeedsManualIntervention');
    expect(inc.status!.report).toContain('Would have run `k8s__scale`');
  });

  it('approve: waits, then runs the approved step once, recording intent before the call', async () => {
    const calls: string[] = [];
    const engine = new InvestigationEngine({ investigator: scripted([call('scale', { name: 'web', namespace: 'shop', replicas: 5 }), resolve]), tools: catalog(calls), policy: policy('approve'), limits });
    const inc = incident();
    expect((await run(engine, inc)).at(-1)).toBe('AwaitingApproval');
    expect(await engine.advance(inc)).toMatchObject({ kind: 'noop' });
    inc.metadata.annotations = { 'alertagent.io/approve': '2' }; // a different step: not this one
    expect(await engine.advance(inc)).toMatchObject({ kind: 'noop' });
    inc.metadata.annotations = { 'alertagent.io/approve': '1' };
    const approved = await engine.advance(inc);
    expect(approved).toMatchObject({ kind: 'write', status: { phase: 'Executing' } });
    inc.status = (approved as { status: AlertIncident['status'] }).status;
    const intent = await engine.advance(inc);
    if (intent.kind !== 'write' || !intent.afterWrite) throw new Error('expected an intent write');
    expect(intent.status.steps![0].state).toBe('Running');
    expect(calls).toEqual([]); // nothing ran before the intent is persisted
    const done = await intent.afterWrite();
    expect(done.status.steps![0].state).toBe('Succeeded');
    expect(calls).toHaveLength(1);
  });

  it('never re-runs a mutating step found Running after a restart: its outcome is Unknown', async () => {
    const calls: string[] = [];
    const engine = new InvestigationEngine({ investigator: scripted([]), tools: catalog(calls), policy: policy('auto'), limits });
    const inc = incident();
    inc.status = { phase: 'Executing', steps: [{ index: 1, time: '2026-11-26T07:01:00Z', action: 'callTool', server: 'k8s', tool: 'scale', arguments: '{}', mutating: true, state: 'Running' }] };
    const adv = await engine.advance(inc);
    expect(adv).toMatchObject({ kind: 'write', status: { phase: 'Analyzing', steps: [{ state: 'Unknown' }] } });
    expect(calls).toEqual([]);
  });

  it('approval timeout ends as needs manual intervention', async () => {
    let now = Date.parse('2026-11-26T07:00:00Z');
    const engine = new InvestigationEngine({ investigator: scripted([call('scale', { name: 'web', namespace: 'shop', replicas: 5 })]), tools: catalog([]), policy: policy('approve'), limits, now: () => new Date(now) });
    const inc = incident();
    await run(engine, inc);
    now += 61_000;
    await run(engine, inc);
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    expect(inc.status!.steps![0]).toMatchObject({ state: 'Rejected', policy: { decidedBy: 'approval timeout' } });
  });

  it('unusable replies are fed back, and three in a row fail the incident', async () => {
    const bad: Decision = { kind: 'invalid', error: 'there is no tool named "rm_rf"', raw: 'rm_rf({})' };
    const engine = new InvestigationEngine({ investigator: scripted([bad, bad, bad]), tools: catalog([]), policy: policy('auto'), limits });
    const inc = incident();
    await run(engine, inc);
    expect(inc.status).toMatchObject({ phase: 'Failed', failureReason: expect.stringContaining('InvestigatorUnusable') });
    expect(inc.status!.steps).toHaveLength(3);
  });

  it('an unavailable LLM is retried with backoff (kept in the status), then fails with a reason', async () => {
    let now = Date.parse('2026-11-26T07:00:00Z');
    const down = () => new TransientError('LLM unavailable: 500');
    const engine = new InvestigationEngine({ investigator: scripted([down(), down(), down()]), tools: catalog([]), policy: policy('auto'), limits, now: () => new Date(now) });
    const inc = incident();
    const apply = async () => {
      const a = await engine.advance(inc);
      if (a.kind === 'write') inc.status = a.status;
      return a;
    };
    await apply();
    expect(await apply()).toMatchObject({ kind: 'write', status: { attempts: 1, nextAttemptAt: '2026-11-26T07:00:02.000Z' }, requeueAfterMs: 2000 });
    // Before the backoff is over (e.g. woken by our own status write) nothing happens.
    expect(await engine.advance(inc)).toEqual({ kind: 'noop', requeueAfterMs: 2000 });
    now += 2000;
    expect(await apply()).toMatchObject({ kind: 'write', status: { attempts: 2 }, requeueAfterMs: 4000 });
    now += 4000;
    expect(await apply()).toMatchObject({ kind: 'write', status: { phase: 'Failed', failureReason: expect.stringContaining('LLMUnavailable') } });
  });

  it('stops at the step budget and reports what it has', async () => {
    const engine = new InvestigationEngine({ investigator: scripted(Array.from({ length: 5 }, () => call('describe_pod'))), tools: catalog([]), policy: policy('auto'), limits: { ...limits, maxSteps: 3 } });
    const inc = incident();
    await run(engine, inc);
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    expect(inc.status!.report).toContain('step budget (3 steps)');
  });

  it('an alert resolved mid-investigation becomes a note the model sees', async () => {
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod'), resolve]), tools: catalog([]), policy: policy('auto'), limits });
    const inc = incident();
    await engine.advance(inc).then((a) => a.kind === 'write' && (inc.status = a.status));
    inc.spec = { ...inc.spec, status: 'resolved', endsAt: '2026-11-26T07:30:00Z' };
    await run(engine, inc);
    expect(inc.status!.steps![0]).toMatchObject({ action: 'note', reasoning: expect.stringContaining('resolved') });
    expect(inc.status!.report).toContain('alert resolved');
  });
  it('arguments too large to record whole are an invalid step told to the model, never cut and run', async () => {
    const calls: string[] = [];
    const big = call('scale', { name: 'web', namespace: 'shop', replicas: 5, note: 'x'.repeat(20_000) });
    const engine = new InvestigationEngine({ investigator: scripted([big, resolve]), tools: catalog(calls), policy: policy('auto'), limits });
    const inc = incident();
    await run(engine, inc);
    expect(calls).toEqual([]);
    expect(inc.status!.steps![0]).toMatchObject({ action: 'invalid', result: { ok: false, error: expect.stringContaining('at most 16000') } });
    expect(inc.status!.steps![0].arguments!.length).toBeLessThanOrEqual(4000);
  });

  it('recorded arguments that are not a JSON object are never run (as {} or otherwise)', async () => {
    const calls: string[] = [];
    const engine = new InvestigationEngine({ investigator: scripted([]), tools: catalog(calls), policy: policy('auto'), limits });
    for (const args of ['{"name":"web","namespace":"sh', '[1,2]', '"x"']) {
      const inc = incident();
      inc.status = { phase: 'Executing', steps: [{ index: 1, time: '2026-11-26T07:01:00Z', action: 'callTool', server: 'k8s', tool: 'describe_pod', arguments: args, mutating: false, state: 'Planned' }] };
      const adv = await engine.advance(inc);
      expect(adv).toMatchObject({ kind: 'write', status: { steps: [{ state: 'Failed', result: { ok: false, error: expect.stringContaining('not a JSON object') } }] } });
    }
    expect(calls).toEqual([]);
  });

  it('auto asks a person before a hostile model scales the alert\'s workload to zero, and before it touches an object the alert does not name', async () => {
    const calls: string[] = [];
    const inspected: string[] = [];
    const inspect = async (t: string) => (inspected.push(t), { replicas: { 'shop/web': 2, 'shop/payments': 1 }, controlledPods: [] });
    const zero = call('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 0 });
    let engine = new InvestigationEngine({ investigator: scripted([zero]), tools: catalog(calls), policy: policy('auto'), limits, inspect });
    let inc = incident();
    expect(await run(engine, inc)).toEqual(['Analyzing', 'AwaitingApproval']);
    expect(inc.status!.steps![0]).toMatchObject({ state: 'AwaitingApproval', policy: { verdict: 'approve', reason: expect.stringContaining('auto does not scale down without POLICY_AUTO_SCALE_DOWN=true') } });
    expect(inspected).toEqual(['k8s__scale']);
    // Up, on the alert's own workload (its pod web-1 names it): runs.
    engine = new InvestigationEngine({ investigator: scripted([call('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 4 }), resolve]), tools: catalog(calls), policy: policy('auto'), limits, inspect });
    inc = incident();
    await run(engine, inc);
    expect(inc.status!.steps![0]).toMatchObject({ state: 'Succeeded', policy: { verdict: 'allow' } });
    // Up, but on a workload nobody named: a person decides, unless the switch says otherwise.
    const other = call('scale', { kind: 'Deployment', name: 'payments', namespace: 'shop', replicas: 4 });
    engine = new InvestigationEngine({ investigator: scripted([other]), tools: catalog(calls), policy: policy('auto'), limits, inspect });
    inc = incident();
    await run(engine, inc);
    expect(inc.status!.steps![0]).toMatchObject({ state: 'AwaitingApproval', policy: { reason: expect.stringContaining('POLICY_AUTO_UNINVOLVED_TARGETS=true') } });
    engine = new InvestigationEngine({ investigator: scripted([other, resolve]), tools: catalog(calls), policy: { ...policy('auto'), autoUninvolvedTargets: true }, limits, inspect });
    inc = incident();
    await run(engine, inc);
    expect(inc.status!.steps![0]).toMatchObject({ state: 'Succeeded' });
  });

  it('a replica without the leader lease never runs a mutating call; one that loses it after the intent hands it back', async () => {
    const calls: string[] = [];
    let leader = false;
    const engine = new InvestigationEngine({ investigator: scripted([]), tools: catalog(calls), policy: policy('auto'), limits, canAct: () => leader });
    const inc = incident();
    const planned = { index: 1, time: '2026-11-26T07:01:00Z', action: 'callTool' as const, server: 'k8s', tool: 'scale', arguments: '{"name":"web","namespace":"shop","replicas":5}', mutating: true, state: 'Planned' as const };
    inc.status = { phase: 'Executing', steps: [planned] };
    expect(await engine.advance(inc)).toMatchObject({ kind: 'noop' });
    leader = true;
    const intent = await engine.advance(inc);
    if (intent.kind !== 'write' || !intent.afterWrite) throw new Error('expected an intent write');
    leader = false; // the lease is lost while the intent is written
    const after = await intent.afterWrite();
    expect(after.status.steps![0]).toEqual(planned);
    expect(after.events[0]).toMatchObject({ reason: 'LeadershipLost' });
    expect(calls).toEqual([]);
  });
  describe('with the analyzer behind the LLM', () => {
    const crashOutput = 'Pod: shop/web-1\nContainers:\n  web:\n    State: Waiting (CrashLoopBackOff)\n    Last State: Terminated (Error, exit code 1)\n    Restart Count: 7';

    it('evidence first: the analyzer\'s read-only plan runs before the first LLM call, outside the model\'s step budget', async () => {
      const calls: string[] = [];
      const seen: number[] = [];
      const llm = scripted([resolve]);
      const decide = llm.decide.bind(llm);
      llm.decide = async (ctx) => {
        seen.push(ctx.steps.length);
        return decide(ctx);
      };
      const rules = new RulesInvestigator();
      const engine = new InvestigationEngine({ investigator: llm, evidence: rules, fallback: rules, tools: catalog(calls, crashOutput), policy: policy('approve'), limits: { ...limits, maxSteps: 1 } });
      const inc = incident();
      await run(engine, inc);
      const steps = inc.status!.steps!;
      expect(steps.map((x) => [x.action, x.origin])).toEqual([
        ['callTool', 'evidence'],
        ['note', 'evidence'],
        ['resolve', undefined],
      ]);
      expect(calls).toEqual(['describe_pod {"name":"web-1","namespace":"shop"}']);
      // The model's first call already had the evidence and the hypotheses, and still had its one step.
      expect(seen).toEqual([2]);
      expect(steps[1].reasoning).toMatch(/hypotheses/);
      // A resolve of a crash-looping pod without proof (issue 22; it was Resolved before).
      expect(inc.status!.outcome).toBe('NeedsManualIntervention');
      expect(inc.status!.usage!.llmCalls).toBe(2);
    });

    it('an LLM unavailable past its retries leaves the analyzer\'s report, marked as such, instead of Failed', async () => {
      let now = Date.parse('2026-11-26T07:00:00Z');
      const down = () => new TransientError('LLM unavailable: 500');
      const rules = new RulesInvestigator();
      const llm = scripted([down(), down(), down()]);
      llm.writeReport = async () => {
        throw new TransientError('LLM unavailable: 500');
      };
      const engine = new InvestigationEngine({ investigator: llm, fallback: rules, tools: catalog([], crashOutput), policy: policy('approve'), limits, now: () => new Date(now) });
      const inc = incident();
      for (let i = 0; i < 20 && !['Reported', 'Failed'].includes(inc.status?.phase ?? ''); i++) {
        const a = await engine.advance(inc);
        if (a.kind === 'write') inc.status = a.status;
        now += 60_000;
      }
      expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', investigator: 'rules' });
      const handOver = inc.status!.steps!.find((x) => x.origin === 'fallback' && x.action === 'note');
      expect(handOver!.reasoning).toContain('LLMUnavailable');
      expect(inc.status!.report).toContain('The LLM could not go on (LLMUnavailable');
      expect(inc.status!.report).toContain("This report is the rule-based analyzer's");
      expect(inc.status!.report).toMatch(/CrashLoopBackOff/);
      expect(inc.status!.steps!.filter((x) => x.action === 'callTool').every((x) => x.origin === 'fallback')).toBe(true);
    });

    it('a model that spends its step budget without concluding leaves the conclusion to the analyzer', async () => {
      const rules = new RulesInvestigator();
      const engine = new InvestigationEngine({ investigator: scripted(Array.from({ length: 5 }, (_, i) => call('describe_pod', { name: `web-${i}`, namespace: 'shop' }))), fallback: rules, tools: catalog([], crashOutput), policy: policy('approve'), limits: { ...limits, maxSteps: 3 } });
      const inc = incident();
      await run(engine, inc);
      expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', investigator: 'rules' });
      expect(inc.status!.report).toContain('The LLM could not go on (BudgetSpent: the step budget (3 steps) is spent)');
    });

    it('unusable replies hand over to the analyzer too', async () => {
      const bad: Decision = { kind: 'invalid', error: 'there is no tool named "rm_rf"', raw: 'rm_rf({})' };
      const rules = new RulesInvestigator();
      const engine = new InvestigationEngine({ investigator: scripted([bad, bad, bad]), fallback: rules, tools: catalog([], crashOutput), policy: policy('approve'), limits });
      const inc = incident();
      await run(engine, inc);
      expect(inc.status).toMatchObject({ phase: 'Reported', investigator: 'rules' });
      expect(inc.status!.report).toContain('InvestigatorUnusable');
    });
  });
  it("a read-only call that leaves out a required namespace gets the alert's; a change never does", async () => {
    const calls: string[] = [];
    const withSchema = (name: string, mutating: boolean): ToolInfo => ({ ...tool(name, mutating), inputSchema: { type: 'object', properties: { name: {}, namespace: {} }, required: ['name', 'namespace'] } });
    const tools = [withSchema('describe_pod', false), withSchema('scale', true)];
    const cat: ToolCatalog = { ...catalog(calls), list: () => tools, find: (n) => tools.find((t) => t.name === n) };
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod', { name: 'web-1' }), call('scale', { name: 'web', replicas: 2 }), resolve]), tools: cat, policy: policy('approve'), limits });
    const inc = incident();
    await run(engine, inc);
    const [read, change] = inc.status!.steps!;
    expect(JSON.parse(read.arguments!)).toEqual({ name: 'web-1', namespace: 'shop' });
    expect(read.reasoning).toContain('namespace "shop" filled in from the alert');
    expect(calls).toEqual(['describe_pod {"name":"web-1","namespace":"shop"}']);
    expect(JSON.parse(change.arguments!)).toEqual({ name: 'web', replicas: 2 });
  });
  it('a step waiting for approval already carries the diagnosis: summary, root cause and a preliminary report', async () => {
    const crashOutput = 'Pod: shop/web-1';
    const rules = new RulesInvestigator();
    const scaleCall = call('scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 0 });
    const engine = new InvestigationEngine({ investigator: scripted([call('describe_pod'), scaleCall]), fallback: rules, tools: catalog([], crashOutput), policy: policy('approve'), limits });
    const inc = incident();
    const adv: Advance[] = [];
    for (let i = 0; i < 5 && inc.status?.phase !== 'AwaitingApproval'; i++) {
      const a = await engine.advance(inc);
      adv.push(a);
      if (a.kind === 'write') inc.status = a.status;
    }
    const s = inc.status!;
    expect(s.phase).toBe('AwaitingApproval');
    expect(s.summary).toBeTruthy();
    expect(s.rootCause).toBeTruthy();
    expect(s.report).toContain('## Proposed action (waiting for approval)');
    expect(s.report).toContain('"replicas":0');
    expect(s.report).toContain('How to undo it: no undo is known to the operator for this tool'); // built-in tools (server kubernetes) say how
    const last = adv.at(-1)!;
    expect(last.kind === 'write' && last.events.find((e) => e.reason === 'ApprovalRequired')!.message).toContain(`Why: ${s.summary}`);
  });
});

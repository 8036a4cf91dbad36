// The loop's decisions, step by step, with an in-memory investigator and tool catalog. (Persistence,
// watches and conflicts are proven against the real apiserver in test/integration.)
import { InvestigationEngine, type Advance, type Limits } from '../../src/investigation/engine.js';
import { TransientError, type Decision, type Investigator, type ToolCatalog, type ToolInfo } from '../../src/investigation/types.js';
import type { AlertIncident } from '../../src/incident/types.js';
import type { PolicyConfig } from '../../src/policy/policy.js';

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
const policy = (mode: PolicyConfig['mode']): PolicyConfig => ({ mode, allowedTools: ['k8s__scale'], allowedNamespaces: [], maxMutations: 3 });

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
    expect(s.outcome).toBe('Resolved');
    expect(s.summary).toBe('web-1 crashed on a bad config');
    expect(s.rootCause).toBe('missing env var');
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
});

// Issue 22, parts 1 and 2: the analyzer's findings are a floor under any model's conclusion, and `Resolved`
// needs proof. The whole engine runs with scripted models (lazy, wrong, citing) behind the rule-based
// analyzer's evidence first, against a tool catalog that answers with the built-in tools' structured
// results (what the analyzer reads).
import { InvestigationEngine, type Advance, type Limits } from '../../src/investigation/engine.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';

type Decision =
  | { kind: 'callTool'; tool: string; arguments: Record<string, unknown>; reasoning: string }
  | { kind: 'resolve' | 'escalate'; summary: string; rootCause: string; reasoning: string };

/** A tool's answer: its structured result (the analyzer reads only that), or an error. */
type Answer = { data: Record<string, unknown> } | { error: string };
type Cluster = Record<string, (args: Record<string, unknown>) => Answer | undefined>;

const READ = ['describe_pod', 'get_events', 'get_resource', 'list_resources', 'describe_deployment', 'get_pod_logs'];
const TOOLS = READ.map((t) => ({ name: `kubernetes__${t}`, server: 'kubernetes', tool: t, description: t, inputSchema: { type: 'object' }, mutating: false, classifiedBy: 'test' }));

function catalog(cluster: Cluster, calls: string[] = []) {
  return {
    list: () => TOOLS,
    find: (n: string) => TOOLS.find((t) => t.name === n),
    call: async (_server: string, tool: string, args: Record<string, unknown>) => {
      calls.push(`${tool} ${JSON.stringify(args)}`);
      const a = cluster[tool]?.(args) ?? { error: `no fixture for ${tool}` };
      if ('error' in a) return { ok: false, output: a.error, error: a.error, durationMs: 1 };
      return { ok: true, output: `(${tool} text, not read by the analyzer)`, structured: a.data, durationMs: 1 };
    },
  };
}

interface Model {
  kind: 'llm';
  decide: (ctx: { steps: Step[] }) => Promise<{ decision: Decision; usage: { promptTokens: number; completionTokens: number } }>;
  writeReport: () => Promise<{ report: { markdown: string }; usage: { promptTokens: number; completionTokens: number } }>;
  reports: number;
}

/** A scripted model: each decision is computed from the steps so far (so it can cite them). */
function model(script: Array<(steps: Step[]) => Decision>, report = '## Summary\n\nThe model\'s report.'): Model {
  const m: Model = {
    kind: 'llm',
    reports: 0,
    decide: async (ctx) => {
      const next = script.shift();
      if (!next) throw new Error('no decision scripted');
      return { decision: next(ctx.steps), usage: { promptTokens: 100, completionTokens: 10 } };
    },
    writeReport: async () => {
      m.reports++;
      return { report: { markdown: report }, usage: { promptTokens: 50, completionTokens: 20 } };
    },
  };
  return m;
}

/** The scripted lazy model of eval/responders/lazy.ts: resolves at once, saying nothing. */
const lazy = (alertname: string) =>
  model([() => ({ kind: 'resolve', summary: `${alertname}: resolved, see the evidence gathered`, rootCause: 'See the evidence gathered.', reasoning: 'Looks fine.' })], '## Summary\n\nResolved.\n\n## Root cause\n\nSee the evidence gathered.');

const limits: Limits = { maxSteps: 10, maxTokensPerIncident: 100_000, toolOutputMaxBytes: 20_000, toolTimeoutMs: 1000, approvalTimeoutMs: 60_000, maxInvalidReplies: 3, maxAttempts: 3 };
const policy = { mode: 'observe' as const, allowedTools: [], allowedClusterTools: [], allowedNamespaces: [], maxMutations: 3 };

function incident(alertname: string, labels: Record<string, string>, annotations: Record<string, string> = {}): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc-1', namespace: 'ops', generation: 1, resourceVersion: '1' },
    spec: { alertname, fingerprint: 'fp', status: 'firing', labels: { alertname, ...labels }, annotations, startsAt: '2026-11-26T07:00:00Z' },
  };
}

async function run(engine: InvestigationEngine, inc: AlertIncident, between?: (inc: AlertIncident) => void): Promise<AlertIncident['status']> {
  for (let i = 0; i < 40; i++) {
    const adv: Advance = await engine.advance(inc);
    if (adv.kind === 'noop') break;
    inc.status = adv.status;
    if (adv.afterWrite) inc.status = (await adv.afterWrite()).status;
    between?.(inc);
    if (inc.status.phase === 'Reported' || inc.status.phase === 'Failed') break;
  }
  return inc.status!;
}

/** The LLM behind the analyzer, as the operator wires it: evidence first, the analyzer as fallback. */
function withAnalyzer(llm: Model, cluster: Cluster, calls?: string[]) {
  const rules = new RulesInvestigator();
  return new InvestigationEngine({ investigator: llm as never, evidence: rules, fallback: rules, tools: catalog(cluster, calls) as never, policy, limits });
}

/** The analyzer alone (ANALYZER=rules). */
function analyzerAlone(cluster: Cluster) {
  return new InvestigationEngine({ investigator: new RulesInvestigator(), tools: catalog(cluster) as never, policy, limits });
}

/** One section of a Markdown report: from its heading to the next heading of the same level. */
function section(report: string, heading: string): string {
  const i = report.indexOf(`\n${heading}\n`);
  if (i < 0) return '';
  const rest = report.slice(i + heading.length + 2);
  const level = heading.split(' ')[0];
  const end = rest.search(new RegExp(`\\n${level} `));
  return end < 0 ? rest : rest.slice(0, end);
}

// ── fixtures: structured results as the built-in tools return them ──────────────────────────────

const events = (namespace: string, list: Array<{ type: string; reason: string; message: string; object?: string }> = []) => ({
  data: { namespace, events: list.map((e) => ({ count: 1, ...e })), total: list.length, capped: false },
});

const pod = (o: Record<string, unknown> & { name: string; status: string }) => ({
  namespace: 'shop',
  phase: 'Running',
  ready: 0,
  total: 1,
  restarts: 0,
  node: 'node-1',
  owner: { kind: 'ReplicaSet', name: 'web-7d9f8c6b5' },
  conditions: [],
  containers: [],
  volumes: [],
  secretRefs: [],
  events: [],
  eventsTotal: 0,
  ...o,
});

const QUOTA_94: Cluster = {
  get_resource: () => ({
    data: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      name: 'team-quota',
      namespace: 'shop',
      object: { metadata: { name: 'team-quota', namespace: 'shop' }, spec: { hard: { pods: '50' } }, status: { hard: { pods: '50' }, used: { pods: '47' } } },
    },
  }),
  get_events: () => events('shop'),
};
const QUOTA_ALERT = () =>
  incident('KubeQuotaAlmostFull', { namespace: 'shop', resourcequota: 'team-quota', resource: 'pods' }, { description: 'Namespace shop is using 94% of its pods quota.', summary: 'Namespace quota is going to be full.' });

const EVICTED: Cluster = {
  describe_pod: () => ({
    data: pod({
      name: 'web-7d9f8c6b5-x2x9k',
      status: 'Evicted',
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi.',
      containers: [{ name: 'web', init: false, requests: {}, limits: {}, probes: {}, ready: false, restarts: 0, state: { state: 'terminated', reason: 'ContainerStatusUnknown', exitCode: 137 } }],
    }),
  }),
  get_events: () => events('shop', [{ type: 'Warning', reason: 'Evicted', message: 'The node was low on resource: memory.', object: 'Pod/web-7d9f8c6b5-x2x9k' }]),
  get_pod_logs: () => ({ error: 'container "web" in pod "web-7d9f8c6b5-x2x9k" is terminated' }),
};
const EVICTED_ALERT = () => incident('KubePodNotReady', { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k' }, { summary: 'Pod has been in a non-ready state for more than 15 minutes.' });

const CRASHLOOP: Cluster = {
  describe_pod: () => ({
    data: pod({
      name: 'web-7d9f8c6b5-x2x9k',
      status: 'CrashLoopBackOff',
      restarts: 7,
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
      containers: [
        {
          name: 'web',
          init: false,
          requests: {},
          limits: { memory: '256Mi' },
          probes: {},
          ready: false,
          restarts: 7,
          state: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' },
          lastState: { state: 'terminated', reason: 'Error', exitCode: 1 },
        },
      ],
    }),
  }),
  get_events: () => events('shop', [{ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container web', object: 'Pod/web-7d9f8c6b5-x2x9k' }]),
  get_pod_logs: () => ({
    data: {
      name: 'web-7d9f8c6b5-x2x9k',
      namespace: 'shop',
      container: 'web',
      previous: true,
      lines: 2,
      bytes: 120,
      cut: false,
      empty: false,
      errorLines: ['ERROR failed to connect to postgres.shop.svc:5432: connection refused'],
      lastLines: ['INFO starting', 'ERROR failed to connect to postgres.shop.svc:5432: connection refused'],
    },
  }),
};
const CRASH_ALERT = () => incident('KubePodCrashLooping', { namespace: 'shop', pod: 'web-7d9f8c6b5-x2x9k', container: 'web' });

const ANALYZER = new RulesInvestigator();
/** What the analyzer makes of a cluster on its own: the expected floor. */
async function floorOf(cluster: Cluster, inc: () => AlertIncident): Promise<{ summary: string; rootCause: string }> {
  const s = await run(analyzerAlone(cluster), inc());
  void ANALYZER;
  const concl = JSON.parse(s!.steps!.at(-1)!.arguments!);
  return { summary: concl.summary, rootCause: concl.root_cause };
}

describe('the analyzer is a floor under a lazy model', () => {
  it('a quota at 94%: resolve at once with "see the evidence gathered" → NeedsManualIntervention, with the analyzer\'s diagnosis', async () => {
    const floor = await floorOf(QUOTA_94, QUOTA_ALERT);
    expect(floor.summary).toContain('47/50 (94%)');
    const llm = lazy('KubeQuotaAlmostFull');
    const s = await run(withAnalyzer(llm, QUOTA_94), QUOTA_ALERT());
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    expect(s!.summary).toBe(floor.summary);
    expect(s!.rootCause).toBe(floor.rootCause);
    const report = s!.report!;
    expect(report).toMatch(/^Outcome: NeedsManualIntervention because the investigator's claim that the problem is gone \("KubeQuotaAlmostFull: resolved, see the evidence gathered"\) is not borne out by the evidence/m);
    expect(report).toContain("The investigator's conclusion adds nothing");
    // Root cause is prose; the evidence lines are under Evidence.
    const root = section(report, '## Root cause');
    expect(root).toContain('ResourceQuota shop/team-quota');
    expect(root).not.toMatch(/^\s*[-*] |```/m);
    expect(section(report, '## Evidence')).toContain('pods: used 47 of 50 (94%)');
    expect(section(report, '## Recommendations')).toContain('raise the quota');
    // No LLM call for a narrative that would add nothing either.
    expect(llm.reports).toBe(0);
    expect(s!.usage!.llmCalls).toBe(1);
  });

  it('pods evicted under memory pressure: the lazy resolve → NeedsManualIntervention, the eviction named in status and report', async () => {
    const floor = await floorOf(EVICTED, EVICTED_ALERT);
    expect(floor.rootCause).toMatch(/evicted.*low on resource: memory/);
    const s = await run(withAnalyzer(lazy('KubePodNotReady'), EVICTED), EVICTED_ALERT());
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', summary: floor.summary, rootCause: floor.rootCause });
    expect(s!.report).toMatch(/^Outcome: NeedsManualIntervention because .* is not borne out by the evidence: the alert still fires, no action ran/m);
    expect(section(s!.report!, '## Root cause')).toMatch(/was evicted by the kubelet/);
    expect(section(s!.report!, '## Evidence')).toContain('Reason: Evicted');
  });

  it('a conclusion that only restates the alert adds nothing either', async () => {
    const restates = model([() => ({ kind: 'escalate', summary: 'Pod has been in a non-ready state for more than 15 minutes', rootCause: 'The pod is not ready.', reasoning: '' })]);
    const s = await run(withAnalyzer(restates, EVICTED), EVICTED_ALERT());
    expect(s!.outcome).toBe('NeedsManualIntervention');
    expect(s!.rootCause).toMatch(/evicted/);
    expect(s!.report).toContain("The investigator's conclusion adds nothing");
  });
});

describe('a wrong model: its conclusion stands only beside the analyzer\'s, unless it cites evidence', () => {
  const WRONG = {
    summary: 'KubePodCrashLooping: shop/web-7d9f8c6b5-x2x9k fails because its database is overloaded',
    rootCause: 'The database behind shop/web-7d9f8c6b5-x2x9k is saturated: its connection pool is exhausted and queries time out. The database team must scale it up.',
  };

  it('a confident wrong cause without a citation keeps the analyzer\'s diagnosis alongside, marked', async () => {
    const floor = await floorOf(CRASHLOOP, CRASH_ALERT);
    const s = await run(withAnalyzer(model([() => ({ kind: 'escalate', ...WRONG, reasoning: 'I know what this is.' })]), CRASHLOOP), CRASH_ALERT());
    expect(s!.outcome).toBe('NeedsManualIntervention');
    expect(s!.summary).toBe(WRONG.summary);
    expect(s!.rootCause).toContain(WRONG.rootCause);
    expect(s!.rootCause).toContain("The rule-based analyzer's diagnosis (rule pod), kept because the conclusion does not reject it citing a step");
    expect(s!.rootCause).toContain(floor.rootCause.slice(0, 200));
    const kept = section(s!.report!, "## The rule-based analyzer's diagnosis");
    expect(kept).toContain('does not reject');
    expect(kept).toContain('exit code 1');
    expect(kept).toContain('### Evidence');
    expect(s!.report).toMatch(/^Outcome: NeedsManualIntervention because the investigator concluded that a person must act/m);
  });

  it('a wrong "it has settled" resolve is NeedsManualIntervention, the claim quoted as not borne out', async () => {
    const settled = { summary: 'KubePodCrashLooping: shop/web-7d9f8c6b5-x2x9k was disturbed by a recent deploy that has settled', rootCause: 'A deploy shortly before the alert restarted it; the disturbance was transient and has passed.' };
    const s = await run(withAnalyzer(model([() => ({ kind: 'resolve', ...settled, reasoning: '' })]), CRASHLOOP), CRASH_ALERT());
    expect(s!.outcome).toBe('NeedsManualIntervention');
    expect(s!.summary).toBe(`Not borne out: ${settled.summary}`);
    expect(s!.report).toContain(`claim that the problem is gone ("${settled.summary}") is not borne out by the evidence`);
    expect(s!.rootCause).toContain('exit code 1');
  });

  it('a citation of a step that read nothing is no evidence', async () => {
    const s = await run(withAnalyzer(model([() => ({ kind: 'escalate', ...WRONG, rootCause: `${WRONG.rootCause} [step 99]`, reasoning: '' })]), CRASHLOOP), CRASH_ALERT());
    expect(s!.rootCause).toContain("The rule-based analyzer's diagnosis");
  });

  it('a model that rejects the hypothesis citing a step: its conclusion stands alone', async () => {
    const cites = (steps: Step[]): Decision => {
      const logs = steps.find((x) => x.tool === 'get_pod_logs')!;
      return {
        kind: 'escalate',
        summary: 'web-7d9f8c6b5-x2x9k exits because postgres.shop.svc refuses connections',
        rootCause: `Not an application bug: [step ${logs.index}] shows the container exits because postgres.shop.svc:5432 refuses connections; the database must come back.`,
        reasoning: '',
      };
    };
    const llm = model([cites]);
    const s = await run(withAnalyzer(llm, CRASHLOOP), CRASH_ALERT());
    const logs = s!.steps!.find((x) => x.tool === 'get_pod_logs')!;
    expect(s!.outcome).toBe('NeedsManualIntervention');
    expect(s!.summary).toBe('web-7d9f8c6b5-x2x9k exits because postgres.shop.svc refuses connections');
    expect(s!.rootCause).toBe(`Not an application bug: [step ${logs.index}] shows the container exits because postgres.shop.svc:5432 refuses connections; the database must come back.`);
    expect(s!.report).toContain(`The conclusion cites step ${logs.index}: the rule-based analyzer's diagnosis (rule pod:`);
    expect(s!.report).not.toContain("## The rule-based analyzer's diagnosis");
    expect(llm.reports).toBe(1);
  });
});

describe('Resolved needs proof', () => {
  it('a resolve after AlertManager resolved the alert is Resolved, and says why', async () => {
    const recovered = { kind: 'resolve' as const, summary: 'web-7d9f8c6b5-x2x9k recovered once postgres came back', rootCause: 'It crashed while postgres.shop.svc refused connections.', reasoning: '' };
    const s = await run(withAnalyzer(model([() => recovered]), CRASHLOOP), CRASH_ALERT(), (inc) => {
      // AlertManager resolves the alert once the evidence is gathered.
      if (inc.status?.steps?.some((x) => x.action === 'note' && x.origin === 'evidence')) inc.spec = { ...inc.spec, status: 'resolved', endsAt: '2026-11-26T07:30:00Z' };
    });
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'Resolved', summary: recovered.summary });
    expect(s!.report).toMatch(/^Outcome: Resolved because AlertManager reported the alert resolved at 2026-11-26T07:30:00Z\.$/m);
  });

  it('an action that ran and verified is Resolved; one whose verification failed is not', async () => {
    const steps = (verified: boolean): Step[] => [
      { index: 1, time: '2026-11-26T07:01:00Z', action: 'callTool', server: 'kubernetes', tool: 'rollout_restart', arguments: '{"kind":"Deployment","name":"web","namespace":"shop"}', mutating: true, state: 'Succeeded', result: { ok: true, output: 'restarted' } },
      { index: 2, time: '2026-11-26T07:01:01Z', action: 'verify' as Step['action'], state: verified ? 'Succeeded' : 'Failed', reasoning: 'Verifying step 1: the rollout completes and its new pods are Ready.', result: verified ? { ok: true, output: 'rollout complete' } : { ok: false, error: 'not verified within 5m' } },
      { index: 3, time: '2026-11-26T07:07:00Z', action: 'resolve', state: 'Done', reasoning: '', arguments: JSON.stringify({ summary: 'web restarted and healthy', root_cause: 'A stuck worker pool; the restart cleared it.' }) },
    ];
    for (const verified of [true, false]) {
      const inc = CRASH_ALERT();
      inc.status = { phase: 'Analyzing', steps: steps(verified), summary: 'web restarted and healthy', rootCause: 'A stuck worker pool; the restart cleared it.' };
      const s = await run(withAnalyzer(model([]), CRASHLOOP), inc);
      if (verified) {
        expect(s!.outcome).toBe('Resolved');
        expect(s!.report).toMatch(/^Outcome: Resolved because step 1 \(kubernetes__rollout_restart\) ran and step 2 verified it/m);
      } else {
        expect(s!.outcome).toBe('NeedsManualIntervention');
        expect(s!.report).toMatch(/not borne out by the evidence: the alert still fires, no verification passed after the last action/);
      }
    }
  });

  it('the analyzer\'s own re-check: a pod Ready now is Resolved, and a lazy resolve then stands on that proof', async () => {
    const healthy: Cluster = {
      describe_pod: () => ({
        data: pod({
          name: 'web-7d9f8c6b5-x2x9k',
          status: 'Running',
          ready: 1,
          restarts: 5,
          conditions: [{ type: 'Ready', status: 'True' }],
          containers: [{ name: 'web', init: false, requests: {}, limits: {}, probes: {}, ready: true, restarts: 5, state: { state: 'running' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 1 } }],
        }),
      }),
      get_events: () => events('shop'),
      get_pod_logs: () => ({ error: 'no logs' }),
    };
    const alone = await run(analyzerAlone(healthy), CRASH_ALERT());
    expect(alone!.outcome).toBe('Resolved');
    // The re-check is recorded as a passed `verify` step (no action before it), which the outcome names.
    const recheck = alone!.steps!.at(-1)!;
    expect(recheck).toMatchObject({ action: 'verify', state: 'Succeeded', result: { ok: true } });
    expect(recheck.result!.output).toContain('Status: Running');
    expect(alone!.report).toMatch(new RegExp(`^Outcome: Resolved because a re-check \\(step ${recheck.index}\\) shows the condition gone: pod shop/web-7d9f8c6b5-x2x9k reads Running and Ready now\\.$`, 'm'));
    expect(alone!.report).toContain(`- Step ${recheck.index} re-checked the condition, no action having run: passed.`);
    const s = await run(withAnalyzer(lazy('KubePodCrashLooping'), healthy), CRASH_ALERT());
    expect(s!.outcome).toBe('Resolved');
    expect(s!.summary).toContain('is healthy again');
    // A wrong escalation that cites nothing does not outweigh that proof; one that cites a step does.
    const blame = { summary: 'KubePodCrashLooping: the database behind web is overloaded', rootCause: 'The database is saturated; the database team must scale it up.', reasoning: '' };
    const wrong = await run(withAnalyzer(model([() => ({ kind: 'escalate', ...blame })]), healthy), CRASH_ALERT());
    expect(wrong!.outcome).toBe('Resolved');
    expect(wrong!.summary).toContain('is healthy again');
    expect(wrong!.rootCause).toContain('The database is saturated');
    expect(wrong!.report).toContain(`the investigator's escalation ("${blame.summary}") cites no step that shows otherwise`);
    const citing = await run(withAnalyzer(model([(steps) => ({ kind: 'escalate', ...blame, rootCause: `[step ${steps[0].index}] shows 5 restarts: it will crash again.` })]), healthy), CRASH_ALERT());
    expect(citing!.outcome).toBe('NeedsManualIntervention');
  });

  describe('a pod that no longer exists is stale only when nothing of its workload still fails', () => {
    const GONE_ALERT = () => incident('KubePodNotReady', { namespace: 'media', pod: 'thumbnailer-7d8e9f6a5-p2q8w' });
    const gone = (more: Cluster): Cluster => ({
      describe_pod: (a) => ({ error: `pods "${String(a.name)}" not found` }),
      get_events: () => events('media'),
      describe_deployment: () => ({ error: 'deployments.apps "thumbnailer" not found' }),
      ...more,
    });
    const listed = (pods: Array<{ name: string; status: string; ready: number }>) => () => ({
      data: { apiVersion: 'v1', kind: 'Pod', namespace: 'media', labelSelector: 'pod-template-hash=7d8e9f6a5', items: pods.map((p) => ({ name: p.name, namespace: 'media', columns: {}, pod: { status: p.status, ready: p.ready, total: 1, restarts: 0 } })), more: false },
    });

    it('its ReplicaSet\'s other pod is Ready now: Resolved, by that re-check', async () => {
      const calls: string[] = [];
      const rules = new InvestigationEngine({ investigator: new RulesInvestigator(), tools: catalog(gone({ list_resources: listed([{ name: 'thumbnailer-7d8e9f6a5-x7c3v', status: 'Running', ready: 1 }]) }), calls) as never, policy, limits });
      const s = await run(rules, GONE_ALERT());
      expect(calls).toContain('list_resources {"kind":"Pod","namespace":"media","labelSelector":"pod-template-hash=7d8e9f6a5","limit":100}');
      expect(s!.outcome).toBe('Resolved');
      expect(s!.rootCause).toContain('no longer exists');
      expect(s!.report).toMatch(/^Outcome: Resolved because a re-check \(step \d+\) shows the condition gone: pod media\/thumbnailer-7d8e9f6a5-p2q8w no longer exists and pod thumbnailer-7d8e9f6a5-x7c3v, the other pod of ReplicaSet thumbnailer-7d8e9f6a5, is Running and Ready now; deployment media\/thumbnailer no longer exists\.$/m);
    });

    it('its replacement fails too: NeedsManualIntervention, naming the failing pod', async () => {
      const s = await run(analyzerAlone(gone({ list_resources: listed([{ name: 'thumbnailer-7d8e9f6a5-k9m2z', status: 'CrashLoopBackOff', ready: 0 }]) })), GONE_ALERT());
      expect(s!.outcome).toBe('NeedsManualIntervention');
      expect(s!.rootCause).toContain('still fails');
      expect(s!.rootCause).toContain('thumbnailer-7d8e9f6a5-k9m2z');
    });

    it('nothing of the workload could be read: the claim is not borne out', async () => {
      const s = await run(analyzerAlone(gone({ list_resources: () => ({ error: 'forbidden' }) })), GONE_ALERT());
      expect(s!.outcome).toBe('NeedsManualIntervention');
      expect(s!.summary).toMatch(/^Not borne out: KubePodNotReady: pod media\/thumbnailer-7d8e9f6a5-p2q8w no longer exists/);
      expect(s!.report).toMatch(/^Outcome: NeedsManualIntervention because the rule-based analyzer's claim that the problem is gone .* is not borne out by the evidence/m);
    });
  });
});

// The investigation loop, one step at a time. Given an incident as stored, `advance` works out the next
// step from its status alone and returns the status to persist (the reconciler writes it). Nothing
// lives in memory between steps, so a restarted operator continues exactly where the last one stopped.
//   Pending → Analyzing ⇄ Executing → Reported     (or AwaitingApproval, or Failed)
// A read-only tool call is decided and run in one step (Analyzing → Analyzing); a mutating one goes
// through Executing, its intent saved before it runs.
import { ANNOTATIONS, LABELS, type AlertIncident, type IncidentStatus, type Outcome, type Step } from '../incident/types.js';
import { correlate, type CorrelationOptions } from '../context/correlation.js';
import type { IncidentHistory } from '../context/history.js';
import { alertIdentity, describeObject } from '../incident/identity.js';
import { mayLinkTo, namespaceMismatch, type Tenancy } from '../incident/tenancy.js';
import { occurrenceOf, recallOf } from '../context/recall.js';
import { LIMITS } from '../incident/limits.js';
import { evaluate, type PolicyConfig } from '../policy/policy.js';
import { PermanentLlmError } from './llmInvestigator.js';
import { gatherFacts, type CallInspector } from './callFacts.js';
import { boundOutput, composeReport, fallbackNarrative, proposalSection } from './report.js';
import { TransientError, type Decision, type EvidencePlanner, type Hypotheses, type IncidentDirectory, type InvestigationContext, type Investigator, type ToolCatalog, type ToolInfo, type Usage } from './types.js';

export interface Limits {
  maxSteps: number;
  maxTokensPerIncident: number;
  toolOutputMaxBytes: number;
  toolTimeoutMs: number;
  approvalTimeoutMs: number;
  /** Unusable replies in a row before the incident fails. */
  maxInvalidReplies: number;
  /** Failed attempts of one step in a row (LLM unavailable) before the incident fails. */
  maxAttempts: number;
}

export interface EngineDeps {
  investigator: Investigator;
  /**
   * Evidence first: when the investigator is an LLM, the analyzer's read-only plan runs before the
   * model's first decision, and the model starts from its results and hypotheses.
   */
  evidence?: EvidencePlanner;
  /** Takes over when the LLM cannot go on (unavailable past its retries, refused, unusable replies), so a report still comes. */
  fallback?: Investigator;
  tools: ToolCatalog;
  policy: PolicyConfig;
  limits: Limits;
  runbook?: (inc: AlertIncident) => string | undefined;
  /**
   * In per-namespace incident mode, the namespace an incident's actions are confined to (its own), or
   * undefined where anyone who may approve it may act anywhere the policy allows (operator mode, or an
   * incident that fell back to the operator's namespace).
   */
  actionNamespace?: (inc: AlertIncident) => string | undefined;
  /**
   * Alert namespace mode: an incident whose namespace and alert disagree (edited after the webhook wrote
   * it) fails without being investigated, recalled or remembered, and links stay within a namespace.
   */
  tenancy?: Tenancy;
  /**
   * Whether this replica may change the cluster now (it holds the leader lease). Asked right before a
   * mutating call runs, so a replica that lost its lease never acts alongside the new leader.
   */
  canAct?: () => boolean;
  /** Reads what `auto` must know about a proposed change (current replicas, pod owners) before the policy decides. */
  inspect?: CallInspector;
  /** Recall: the history of earlier incidents per alert identity (read when one starts, written when it reports). */
  history?: IncidentHistory;
  /** Correlation: link an incident to the primary it shares a cause with, and wait for that one's report. */
  correlation?: CorrelationOptions & {
    directory: IncidentDirectory;
    /** How long a linked incident waits for its primary's report before it investigates on its own. */
    timeoutMs: number;
    /** How often a linked incident looks at its primary (default: timeout/30, within 2 s … 15 s). */
    pollMs?: number;
  };
  now?: () => Date;
}

export interface IncidentEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Write {
  status: IncidentStatus;
  events: IncidentEvent[];
  /** Check again after this long even if nothing changes (approval timeout, retry backoff). */
  requeueAfterMs?: number;
  /** Runs after `status` is persisted: a mutating call whose intent must be on record before it runs. */
  afterWrite?: () => Promise<Write>;
  /**
   * The incident as the step itself left it (its correlation labels written: a new resourceVersion):
   * `status` goes on top of this one, not of the copy the step was computed from, which would only 409.
   */
  base?: AlertIncident;
}

export type Advance = { kind: 'noop'; requeueAfterMs?: number } | ({ kind: 'write' } & Write);

const MUTATION_STATES = new Set(['Planned', 'Running', 'Succeeded', 'Failed', 'Unknown', 'AwaitingApproval']);

export class InvestigationEngine {
  private readonly now: () => Date;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async advance(inc: AlertIncident): Promise<Advance> {
    const phase = inc.status?.phase ?? 'Pending';
    // A failed attempt set when the next one is due: our own status write (and any other watch event)
    // must not cut the backoff short.
    const due = Date.parse(inc.status?.nextAttemptAt ?? '') - this.now().getTime();
    if (due > 0 && (phase === 'Analyzing' || phase === 'Executing')) return { kind: 'noop', requeueAfterMs: due };
    const mismatch = this.deps.tenancy && phase !== 'Reported' && phase !== 'Failed' ? namespaceMismatch(inc, this.deps.tenancy) : undefined;
    if (mismatch) return this.fail(inc, 'NamespaceMismatch', mismatch);
    try {
      switch (phase) {
        case 'Pending':
          return await this.start(inc);
        case 'Linked':
          return await this.waitForPrimary(inc);
        case 'Analyzing':
          return await this.analyze(inc);
        case 'Executing':
          return await this.execute(inc);
        case 'AwaitingApproval':
          return this.checkApproval(inc);
        default:
          return { kind: 'noop' };
      }
    } catch (err) {
      if (err instanceof TransientError) return this.retryLater(inc, err);
      if (err instanceof PermanentLlmError) return this.handOver(inc, 'LLMRequestRefused', err.message);
      throw err;
    }
  }

  // ── phases ──────────────────────────────────────────────────────────────────────────────────────

  private async start(inc: AlertIncident): Promise<Advance> {
    const now = this.iso();
    if (inc.spec.status === 'resolved') {
      const status: IncidentStatus = {
        ...this.base(inc),
        phase: 'Reported',
        outcome: 'Resolved',
        startedAt: now,
        completedAt: now,
        summary: 'The alert was already resolved when it reached the operator; nothing was investigated.',
        investigator: this.deps.investigator.kind,
      };
      status.report = composeReport(inc, [], fallbackNarrative(status.summary, undefined, []), 'Resolved', 'alert resolved before the investigation started', now);
      return { kind: 'write', status, events: [{ type: 'Normal', reason: 'Resolved', message: status.summary! }] };
    }
    const events: IncidentEvent[] = [];
    const started: IncidentStatus = { ...this.base(inc), startedAt: now, investigator: this.deps.investigator.kind, steps: [], usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 } };
    // Recall: what the history holds of this alert on this object (kept in the status: restart-safe).
    const { history, correlation } = this.deps;
    if (history) {
      const id = alertIdentity(inc.spec.alertname, inc.spec.labels);
      try {
        const recall = recallOf(id, await history.lookup(id.hash), inc.metadata);
        if (recall) {
          started.recall = recall;
          events.push({ type: 'Normal', reason: 'SeenBefore', message: `${recall.count} earlier incident(s) of ${inc.spec.alertname} on ${recall.object}; the last: ${recall.occurrences?.[0]?.outcome ?? ''} ${recall.occurrences?.[0]?.summary ?? ''}`.slice(0, 1000) });
        }
      } catch (err) {
        events.push({ type: 'Warning', reason: 'RecallFailed', message: `the history of earlier incidents could not be read: ${(err as Error).message}` });
      }
    }
    let base: AlertIncident | undefined;
    if (correlation && inc.metadata.annotations?.[ANNOTATIONS.unlink] !== 'true') {
      try {
        const c = await correlate(inc, correlation.directory, correlation, this.now());
        base = c.relabelled;
        if (c.kind === 'settle') return { kind: 'noop', requeueAfterMs: c.retryAfterMs };
        if (c.kind === 'link') {
          base = await correlation.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: c.primary.metadata.name });
          const linked: IncidentStatus = { ...started, phase: 'Linked', relatedTo: c.relatedTo, summary: oneLine(`Linked to ${c.primary.metadata.name}: ${c.relatedTo.reason}`) };
          const ev: IncidentEvent = { type: 'Normal', reason: 'Linked', message: `shares its cause with incident ${c.primary.metadata.namespace}/${c.primary.metadata.name} (${c.relatedTo.reason}); waits for its report` };
          if (c.primary.status?.phase === 'Reported') {
            const done = await this.finishLinked({ ...inc, status: linked }, c.primary);
            return { ...done, events: [...events, ev, ...done.events], base };
          }
          return { kind: 'write', status: linked, events: [...events, ev], requeueAfterMs: this.pollMs(), base };
        }
      } catch (err) {
        events.push({ type: 'Warning', reason: 'CorrelationFailed', message: `related incidents could not be looked up; investigating on its own: ${(err as Error).message}` });
      }
    }
    return {
      kind: 'write',
      base,
      status: { ...started, phase: 'Analyzing' },
      events: [{ type: 'Normal', reason: 'InvestigationStarted', message: `investigating ${inc.spec.alertname} with the ${this.deps.investigator.kind === 'llm' ? 'LLM' : 'rule-based analyzer'}` }, ...events],
    };
  }

  // ── correlation: a linked incident waits for its primary's report ──────────────────────────────

  private pollMs(): number {
    const c = this.deps.correlation!;
    return c.pollMs ?? Math.min(15_000, Math.max(2_000, Math.round(c.timeoutMs / 30)));
  }

  private async waitForPrimary(inc: AlertIncident): Promise<Advance> {
    const status = this.base(inc);
    const rt = status.relatedTo;
    const c = this.deps.correlation;
    if (!rt || !c) return this.unlink(inc, 'correlation is off');
    if (inc.metadata.annotations?.[ANNOTATIONS.unlink] === 'true') return this.unlink(inc, `a person broke the link (annotation ${ANNOTATIONS.unlink}=true)`);
    const primary = await c.directory.get(rt.namespace, rt.name);
    if (!primary) return this.unlink(inc, 'the primary incident is gone');
    if (this.deps.tenancy && !mayLinkTo(inc, primary, this.deps.tenancy)) return this.unlink(inc, `the primary lives in namespace ${primary.metadata.namespace}, which this incident's namespace does not share`);
    if (primary.status?.relatedTo) {
      // The primary got linked itself: follow it to its own primary.
      const next = { ...rt, name: primary.status.relatedTo.name, namespace: primary.status.relatedTo.namespace };
      await c.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: next.name });
      return { kind: 'write', status: { ...status, relatedTo: next }, events: [{ type: 'Normal', reason: 'Linked', message: `incident ${rt.name} is linked to ${next.namespace}/${next.name}: waits for that one's report` }], requeueAfterMs: this.pollMs() };
    }
    if (primary.status?.phase === 'Reported') return this.finishLinked(inc, primary);
    if (primary.status?.phase === 'Failed') return this.unlink(inc, 'the primary investigation failed');
    const waited = this.now().getTime() - Date.parse(rt.linkedAt);
    if (waited >= c.timeoutMs) return this.unlink(inc, `the primary did not report within ${Math.round(c.timeoutMs / 1000)}s`);
    return { kind: 'noop', requeueAfterMs: Math.min(this.pollMs(), c.timeoutMs - waited + 50) };
  }

  /** The link is broken: the incident investigates on its own, and its steps say why it started late. */
  private async unlink(inc: AlertIncident, why: string): Promise<Advance> {
    const { relatedTo, ...status } = this.base(inc);
    const steps = status.steps ?? [];
    const note = this.step(steps, {
      action: 'note',
      state: 'Done',
      reasoning: `This alert was linked to incident ${relatedTo?.namespace}/${relatedTo?.name} (${relatedTo?.reason}); ${why}, so it is investigated on its own.`,
    });
    await this.deps.correlation?.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: null });
    return {
      kind: 'write',
      status: { ...status, phase: 'Analyzing', summary: undefined, steps: [...steps, note] },
      events: [{ type: 'Normal', reason: 'Unlinked', message: `no longer linked to ${relatedTo?.name ?? 'its primary'}: ${why}; investigating on its own` }],
    };
  }

  /** The primary reported: this one ends with a short report that points to it. */
  private async finishLinked(inc: AlertIncident, primary: AlertIncident): Promise<Extract<Advance, { kind: 'write' }>> {
    const status = this.base(inc);
    const rt = status.relatedTo!;
    const p = primary.status ?? {};
    const where = `${primary.metadata.namespace}/${primary.metadata.name}`;
    const sameNamespace = primary.metadata.namespace === inc.metadata.namespace;
    const outcome: Outcome = p.outcome ?? 'NeedsManualIntervention';
    const narrative = [
      `## Linked to \`${where}\``,
      '',
      `This alert shares its cause with incident \`${where}\` (${primary.spec.alertname}): ${rt.reason}. It was not investigated on its own: that incident's report covers it.`,
      '',
      `- Read it: \`kubectl describe alertincident ${primary.metadata.name} -n ${primary.metadata.namespace}\` (or \`kubectl alertincident report ${primary.metadata.name} -n ${primary.metadata.namespace}\`)`,
      `- Its outcome: ${outcome}`,
      `- Its summary: ${p.summary ?? 'none'}`,
      ...(sameNamespace && p.rootCause ? [`- Its root cause: ${p.rootCause.replace(/\s+/g, ' ').slice(0, 1500)}`] : []),
    ].join('\n');
    const now = this.iso();
    const final: IncidentStatus = {
      ...status,
      phase: 'Reported',
      outcome,
      summary: oneLine(`Same cause as ${primary.metadata.name} (${primary.spec.alertname}): ${p.summary ?? rt.reason}`),
      rootCause: sameNamespace ? p.rootCause : `See incident ${where}.`,
      report: composeReport(inc, status.steps ?? [], narrative, outcome, `linked to incident ${where}, which reported ${outcome}`, now),
      completedAt: now,
    };
    const events: IncidentEvent[] = [{ type: outcome === 'Resolved' ? 'Normal' : 'Warning', reason: outcome, message: final.summary! }];
    try {
      await this.deps.correlation?.directory.addRelated(primary.metadata.namespace, primary.metadata.name, { name: inc.metadata.name, namespace: inc.metadata.namespace, alertname: inc.spec.alertname, rule: rt.rule, linkedAt: rt.linkedAt });
    } catch (err) {
      events.push({ type: 'Warning', reason: 'LinkNotRecorded', message: `the primary's status.related could not be updated: ${(err as Error).message}` });
    }
    events.push(...(await this.remember(inc, final)));
    return { kind: 'write', status: final, events };
  }

  /** Recall: the finished incident goes into the history (idempotent per incident; a failure only warns). */
  private async remember(inc: AlertIncident, status: IncidentStatus): Promise<IncidentEvent[]> {
    const history = this.deps.history;
    if (!history) return [];
    const id = alertIdentity(inc.spec.alertname, inc.spec.labels);
    try {
      await history.record(id.hash, id.key, describeObject(id.object), occurrenceOf(inc, status));
      return [];
    } catch (err) {
      return [{ type: 'Warning', reason: 'HistoryNotRecorded', message: `this incident could not be added to the history of earlier incidents: ${(err as Error).message}` }];
    }
  }

  private async analyze(inc: AlertIncident): Promise<Advance> {
    const status = this.base(inc);
    const steps = status.steps ?? [];
    const last = steps.at(-1);
    const { limits } = this.deps;

    if (last && isConclusion(last)) return this.reportConclusion(inc, last);
    if (inc.spec.status === 'resolved' && !steps.some((s) => s.action === 'note' && s.reasoning?.startsWith('AlertManager resolved'))) {
      const note = this.step(steps, { action: 'note', state: 'Done', reasoning: `AlertManager resolved the alert${inc.spec.endsAt ? ` at ${inc.spec.endsAt}` : ''} during the investigation.` });
      return { kind: 'write', status: { ...status, steps: [...steps, note] }, events: [{ type: 'Normal', reason: 'AlertResolved', message: note.reasoning! }] };
    }
    // Evidence gathered before the model is the analyzer's, not the model's budget.
    const decisions = steps.filter((s) => s.action !== 'note' && s.origin !== 'evidence').length;
    if (decisions >= limits.maxSteps) {
      return this.budgetSpent(inc, status, `the step budget (${limits.maxSteps} steps) is spent`);
    }
    const tokens = (status.usage?.promptTokens ?? 0) + (status.usage?.completionTokens ?? 0);
    if (tokens >= limits.maxTokensPerIncident) {
      return this.budgetSpent(inc, status, `the token budget (${limits.maxTokensPerIncident} tokens) is spent`);
    }
    // Unusable replies in a row (notes in between do not break a run; a hand-over to the analyzer does).
    const invalidRun = trailing(steps, (s) => s.action === 'invalid' || (s.action === 'note' && s.origin !== 'fallback')).filter((s) => s.action === 'invalid');
    if (invalidRun.length >= limits.maxInvalidReplies) {
      return this.handOver(inc, 'InvestigatorUnusable', `the investigator gave ${invalidRun.length} unusable replies in a row; the last: ${invalidRun.at(-1)?.result?.error ?? ''}`);
    }

    const investigator = this.investigatorOf(status);
    let decision: Decision;
    let usage: Usage | undefined;
    let origin: Step['origin'] = investigator === this.deps.investigator ? undefined : 'fallback';
    if (this.gatheringEvidence(status)) {
      const g = this.deps.evidence!.gather(this.context(inc, steps));
      if (g.kind === 'done') {
        const calls = steps.filter((s) => s.origin === 'evidence' && s.action === 'callTool').length;
        const note = this.step(steps, { action: 'note', state: 'Done', origin: 'evidence', reasoning: hypothesesText(g.hypotheses, calls) });
        return {
          kind: 'write',
          status: { ...status, steps: [...steps, note] },
          events: [{ type: 'Normal', reason: 'EvidenceGathered', message: `the rule-based analyzer read ${calls} tool outputs; its hypothesis: ${g.hypotheses.summary}` }],
        };
      }
      decision = g.decision;
      origin = 'evidence';
    } else {
      ({ decision, usage } = await investigator.decide(this.context(inc, steps)));
    }
    const next = { ...status, usage: addUsage(status.usage, usage), attempts: undefined, lastError: undefined, nextAttemptAt: undefined };
    let recorded = await this.record(inc, next, steps, decision, origin);
    if (recorded.kind === 'write' && recorded.status.phase === 'AwaitingApproval') recorded = await this.withDiagnosis(inc, recorded);
    // A read-only call runs in the same reconcile as its decision and both are saved in one write: a
    // read needs no intent on record (running it again after a crash is harmless), and a status write
    // per step is the operator's main cost to the API server (bench/steps.ts). Mutating calls keep
    // their own Executing step, with the intent saved before they run.
    const planned = recorded.kind === 'write' && recorded.status.phase === 'Executing' ? recorded.status.steps?.at(-1) : undefined;
    if (recorded.kind === 'write' && planned?.state === 'Planned' && !planned.mutating) {
      const ran = await this.execute({ ...inc, status: recorded.status });
      if (ran.kind === 'write') return { ...ran, events: [...recorded.events, ...ran.events] };
    }
    // Likewise a conclusion and its report share one write; if the report cannot be written now, the
    // conclusion is saved alone and the report follows on a later reconcile.
    const concluded = recorded.kind === 'write' ? recorded.status.steps?.at(-1) : undefined;
    if (recorded.kind === 'write' && concluded && isConclusion(concluded)) {
      try {
        const reported = await this.reportConclusion({ ...inc, status: recorded.status }, concluded);
        if (reported.kind === 'write') return { ...reported, events: [...recorded.events, ...reported.events] };
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
      }
    }
    return recorded;
  }

  private async record(inc: AlertIncident, status: IncidentStatus, steps: Step[], d: Decision, origin?: Step['origin']): Promise<Advance> {
    if (d.kind === 'invalid') {
      const step = this.step(steps, { action: 'invalid', state: 'Done', origin, arguments: d.raw.slice(0, 4000), result: { ok: false, error: d.error.slice(0, 2000) } });
      return { kind: 'write', status: { ...status, steps: [...steps, step] }, events: [{ type: 'Warning', reason: 'UnusableReply', message: `step ${step.index}: ${d.error}` }] };
    }
    if (d.kind === 'resolve' || d.kind === 'escalate') {
      const step = this.step(steps, {
        action: d.kind,
        state: 'Done',
        origin,
        toolCallId: d.toolCallId,
        reasoning: (d.reasoning || d.summary).slice(0, 8000),
        arguments: JSON.stringify({ summary: d.summary.slice(0, LIMITS.summary), root_cause: d.rootCause.slice(0, LIMITS.rootCause) }),
      });
      return { kind: 'write', status: { ...status, steps: [...steps, step], summary: oneLine(d.summary), rootCause: d.rootCause.slice(0, 4000) }, events: [] };
    }
    const tool = this.deps.tools.find(d.tool);
    const filled = tool ? fillNamespace(tool, d.arguments, inc) : undefined;
    if (filled) d = { ...d, arguments: filled.arguments, reasoning: `${d.reasoning}${d.reasoning ? ' ' : ''}(${filled.note})` };
    const args = JSON.stringify(d.arguments);
    if (args.length > LIMITS.stepArguments) {
      // Never cut arguments to fit: a cut is not JSON, and what runs must be exactly what was decided
      // (and shown for approval). The model hears why and may send a smaller call.
      const error = `the arguments of ${d.tool.slice(0, 100)} are ${args.length} characters; at most ${LIMITS.stepArguments} are accepted, so the call was not run: send a smaller call`;
      return this.record(inc, status, steps, { kind: 'invalid', error, raw: `${d.tool}(${args})` }, origin);
    }
    const mutating = tool?.mutating ?? true;
    const mutationsSoFar = steps.filter((s) => s.mutating && MUTATION_STATES.has(s.state ?? '')).length;
    // Only `auto` needs facts: it asks a person to scale down, delete unowned pods or act off the incident.
    const analyzerOnly = this.deps.investigator.kind === 'rules';
    const facts = mutating && this.deps.policy.mode === 'auto' ? await gatherFacts(inc, steps, d, { analyzerOnly, analyzerDecides: analyzerOnly || origin !== undefined, inspect: this.deps.inspect }) : undefined;
    const verdict = evaluate(
      { tool: d.tool, mutating, scope: tool?.scope, arguments: d.arguments },
      this.deps.policy,
      { mutationsSoFar, incidentNamespace: this.deps.actionNamespace?.(inc), facts },
    );
    const step = this.step(steps, {
      action: 'callTool',
      server: tool?.server,
      tool: tool?.tool ?? d.tool,
      toolCallId: d.toolCallId,
      origin,
      arguments: args,
      reasoning: d.reasoning.slice(0, 8000),
      mutating,
      policy: { verdict: verdict.verdict, reason: verdict.reason, decidedBy: `policy ${this.deps.policy.mode}` },
      state: verdict.verdict === 'allow' ? 'Planned' : verdict.verdict === 'block' ? 'Blocked' : 'AwaitingApproval',
    });
    const withStep = { ...status, steps: [...steps, step] };
    const label = `${step.server}__${step.tool}`;
    if (verdict.verdict === 'allow') return { kind: 'write', status: { ...withStep, phase: 'Executing' }, events: [] };
    if (verdict.verdict === 'block') {
      return { kind: 'write', status: withStep, events: [{ type: 'Warning', reason: 'ActionBlocked', message: `step ${step.index}: ${label} not run: ${verdict.reason}` }] };
    }
    return {
      kind: 'write',
      status: { ...withStep, phase: 'AwaitingApproval' },
      requeueAfterMs: this.deps.limits.approvalTimeoutMs,
      events: [
        {
          type: 'Normal',
          reason: 'ApprovalRequired',
          message: `step ${step.index} waits for approval: ${label} ${args.length > 300 ? `${args.slice(0, 300)}… (whole arguments in status.steps[${step.index - 1}])` : args}. Approve: kubectl annotate alertincident ${inc.metadata.name} -n ${inc.metadata.namespace} ${ANNOTATIONS.approve}=${step.index}; reject: ${ANNOTATIONS.reject}=${step.index}`,
        },
      ],
    };
  }

  /**
   * A person asked to approve a change must see why: the diagnosis so far (summary, root cause and a
   * preliminary report with the evidence, the proposed action, what it changes and how to undo it). The
   * analyzer writes it from the evidence at no LLM cost; the model's reasoning for the step is quoted.
   */
  private async withDiagnosis(inc: AlertIncident, w: Extract<Advance, { kind: 'write' }>): Promise<Advance> {
    const status = w.status;
    const steps = status.steps ?? [];
    const step = steps.at(-1)!;
    const analyzer = this.deps.fallback ?? (this.deps.investigator.kind === 'rules' ? this.deps.investigator : undefined);
    const ctx = { ...this.context({ ...inc, status }, steps), outcome: 'NeedsManualIntervention' as const, reason: `step ${step.index} waits for approval` };
    const r = analyzer ? await analyzer.writeReport(ctx).catch(() => undefined) : undefined;
    const label = `${step.server}__${step.tool}`;
    const summary = oneLine(status.summary ?? r?.report.summary ?? `Waiting for approval of ${label}`);
    const rootCause = (status.rootCause ?? r?.report.rootCause ?? step.reasoning ?? '').slice(0, LIMITS.rootCause) || undefined;
    const narrative = r?.report.markdown ?? fallbackNarrative(summary, rootCause, steps);
    const proposal = proposalSection(step, this.deps.tools.find(label)?.description);
    const report = composeReport(inc, steps, `${narrative}\n\n${proposal}`, 'waiting for approval', `step ${step.index} (${label}) waits for a person`, this.iso());
    const events = w.events.map((e) => (e.reason === 'ApprovalRequired' ? { ...e, message: `${e.message}. Why: ${summary}` } : e));
    return { ...w, status: { ...status, summary, rootCause, report }, events };
  }

  private async execute(inc: AlertIncident): Promise<Advance> {
    const status = this.base(inc);
    const steps = status.steps ?? [];
    const last = steps.at(-1);
    if (!last || last.action !== 'callTool' || (last.state !== 'Planned' && last.state !== 'Running')) {
      return { kind: 'write', status: { ...status, phase: 'Analyzing' }, events: [] };
    }
    if (last.state === 'Running' && last.mutating) {
      // Our intent is on record but not the result: the operator stopped while the action ran. Running it
      // again could double it, so say that the outcome is unknown and let the investigator look.
      const unknown: Step = { ...last, state: 'Unknown', result: { ok: false, error: 'the operator restarted while this action ran: its outcome is unknown; check the cluster before acting again', finishedAt: this.iso() } };
      return {
        kind: 'write',
        status: { ...status, phase: 'Analyzing', steps: [...steps.slice(0, -1), unknown] },
        events: [{ type: 'Warning', reason: 'ActionOutcomeUnknown', message: `step ${last.index}: ${last.server}__${last.tool} may or may not have run (operator restarted)` }],
      };
    }
    const run = async (base: IncidentStatus, step: Step): Promise<Write> => {
      const result = await this.runTool(step);
      const done: Step = { ...step, state: result.ok ? 'Succeeded' : 'Failed', result };
      const events: IncidentEvent[] = step.mutating
        ? [{ type: result.ok ? 'Normal' : 'Warning', reason: result.ok ? 'ActionSucceeded' : 'ActionFailed', message: `step ${step.index}: ${step.server}__${step.tool} ${result.ok ? 'succeeded' : `failed: ${result.error}`}` }]
        : [];
      return { status: { ...base, phase: 'Analyzing', steps: [...(base.steps ?? []).slice(0, -1), done] }, events };
    };
    if (!last.mutating) return { kind: 'write', ...(await run(status, last)) };
    // Not the leader any more: leave the action to the replica that is.
    if (this.deps.canAct && !this.deps.canAct()) return { kind: 'noop' };
    const running: Step = { ...last, state: 'Running' };
    const intent: IncidentStatus = { ...status, steps: [...steps.slice(0, -1), running] };
    return {
      kind: 'write',
      status: intent,
      events: [{ type: 'Normal', reason: 'ActionStarted', message: `step ${last.index}: running ${last.server}__${last.tool} ${(last.arguments ?? '').slice(0, 300)}` }],
      afterWrite: async () => {
        // The lease may have been lost while the intent was written: then the action is handed back as
        // still planned (a conflict-safe write), for the new leader to run once, and not run here.
        if (this.deps.canAct && !this.deps.canAct()) {
          return {
            status: { ...intent, steps: [...steps.slice(0, -1), last] },
            events: [{ type: 'Warning', reason: 'LeadershipLost', message: `step ${last.index}: not run by this replica, which lost the leader lease; the new leader runs it` }],
          };
        }
        return run(intent, running);
      },
    };
  }

  private checkApproval(inc: AlertIncident): Advance {
    const status = this.base(inc);
    const steps = status.steps ?? [];
    const last = steps.at(-1);
    if (!last || last.state !== 'AwaitingApproval') return { kind: 'write', status: { ...status, phase: 'Analyzing' }, events: [] };
    const ann = inc.metadata.annotations ?? {};
    const idx = String(last.index);
    const replace = (s: Step, phase: IncidentStatus['phase']): IncidentStatus => ({ ...status, phase, steps: [...steps.slice(0, -1), s] });
    if (ann[ANNOTATIONS.reject] === idx) {
      const s: Step = { ...last, state: 'Rejected', policy: { verdict: 'approve', reason: 'a person rejected this action', decidedBy: `annotation ${ANNOTATIONS.reject}` } };
      return { kind: 'write', status: replace(s, 'Analyzing'), events: [{ type: 'Normal', reason: 'ActionRejected', message: `step ${idx} was rejected` }] };
    }
    if (ann[ANNOTATIONS.approve] === idx) {
      const s: Step = { ...last, state: 'Planned', policy: { verdict: 'allow', reason: 'approved by a person', decidedBy: `annotation ${ANNOTATIONS.approve}` } };
      return { kind: 'write', status: replace(s, 'Executing'), events: [{ type: 'Normal', reason: 'ActionApproved', message: `step ${idx} (${last.server}__${last.tool}) was approved` }] };
    }
    const waited = this.now().getTime() - Date.parse(last.time);
    const timeout = this.deps.limits.approvalTimeoutMs;
    if (waited < timeout) return { kind: 'noop', requeueAfterMs: timeout - waited + 50 };
    const timedOut: Step = { ...last, state: 'Rejected', policy: { verdict: 'approve', reason: `nobody approved it within ${Math.round(timeout / 1000)}s`, decidedBy: 'approval timeout' } };
    const escalate = this.step([...steps.slice(0, -1), timedOut], {
      action: 'escalate',
      state: 'Done',
      reasoning: `Step ${idx} (${last.server}__${last.tool}) needed approval and none came in time.`,
      arguments: JSON.stringify({ summary: `Waiting for approval of ${last.server}__${last.tool} timed out`, root_cause: status.rootCause ?? '' }),
    });
    return {
      kind: 'write',
      status: { ...status, phase: 'Analyzing', steps: [...steps.slice(0, -1), timedOut, escalate], summary: status.summary ?? `Approval of ${last.server}__${last.tool} timed out` },
      events: [{ type: 'Warning', reason: 'ApprovalTimedOut', message: `step ${idx} was not approved in time` }],
    };
  }

  // ── endings ─────────────────────────────────────────────────────────────────────────────────────

  private reportConclusion(inc: AlertIncident, step: Step): Promise<Advance> {
    const outcome = step.action === 'resolve' ? 'Resolved' : 'NeedsManualIntervention';
    return this.report(inc, outcome, step.reasoning || `the investigator decided to ${step.action}`);
  }

  private async report(inc: AlertIncident, outcome: Outcome, reason: string): Promise<Advance> {
    const status = this.base(inc);
    const steps = status.steps ?? [];
    const conclusion = [...steps].reverse().find(isConclusion);
    const concl = conclusion ? safeParse(conclusion.arguments) : {};
    let narrative: string;
    let usage = status.usage;
    let summary = status.summary ?? (typeof concl.summary === 'string' ? concl.summary : undefined);
    let rootCause = status.rootCause ?? (typeof concl.root_cause === 'string' ? concl.root_cause : undefined);
    const investigator = this.investigatorOf(status);
    try {
      const r = await investigator.writeReport({ ...this.context(inc, steps), outcome, reason });
      narrative = r.report.markdown;
      summary = summary ?? r.report.summary;
      rootCause = rootCause ?? r.report.rootCause;
      usage = addUsage(usage, r.usage);
    } catch (err) {
      const lastTry = (status.attempts ?? 0) + 1 >= this.deps.limits.maxAttempts;
      if (err instanceof TransientError && !lastTry) throw err;
      if (!(err instanceof TransientError) && !(err instanceof PermanentLlmError)) throw err;
      // The investigation is worth keeping even when the model cannot write its narrative: the analyzer
      // writes one from the same evidence, or, without it, the steps speak for themselves.
      const why = `The LLM could not write the report (${err.message}).`;
      const fallback = this.deps.fallback && investigator !== this.deps.fallback ? this.deps.fallback : undefined;
      const r = fallback ? await fallback.writeReport({ ...this.context(inc, steps), outcome, reason }).catch(() => undefined) : undefined;
      if (r) {
        narrative = `> ${why} This report is the rule-based analyzer's, from the same evidence.\n\n${r.report.markdown}`;
        summary = summary ?? r.report.summary;
        rootCause = rootCause ?? r.report.rootCause;
      } else {
        narrative = fallbackNarrative(summary, rootCause, steps, `The narrative could not be written: ${err.message}`);
      }
    }
    const handedOver = steps.find((s) => s.action === 'note' && s.origin === 'fallback');
    if (handedOver && investigator === this.deps.fallback) narrative = `> ${handedOver.reasoning} This report is the rule-based analyzer's.\n\n${narrative}`;
    const now = this.iso();
    const final: IncidentStatus = {
      ...status,
      phase: 'Reported',
      outcome,
      summary: oneLine(summary ?? (outcome === 'Resolved' ? 'Resolved' : `Needs manual intervention: ${reason}`)),
      rootCause: rootCause?.slice(0, 4000),
      report: composeReport(inc, steps, narrative, outcome, reason, now),
      completedAt: now,
      usage,
      attempts: undefined,
      lastError: undefined,
      nextAttemptAt: undefined,
    };
    return {
      kind: 'write',
      status: final,
      events: [{ type: outcome === 'Resolved' ? 'Normal' : 'Warning', reason: outcome, message: final.summary! }, ...(await this.remember(inc, final))],
    };
  }

  /**
   * A model that spent its budget without concluding (small models call tools until the end) leaves the
   * conclusion to the analyzer, which names a cause from the same evidence; otherwise the report says
   * the budget ran out.
   */
  private budgetSpent(inc: AlertIncident, status: IncidentStatus, reason: string): Promise<Advance> | Advance {
    const llmInCharge = this.deps.fallback && this.deps.investigator.kind === 'llm' && this.investigatorOf(status) === this.deps.investigator;
    if (llmInCharge) return this.handOver(inc, 'BudgetSpent', reason);
    return this.report(inc, 'NeedsManualIntervention', reason);
  }

  /** The investigator in charge of this incident: the configured one, or the analyzer once it took over. */
  private investigatorOf(status: IncidentStatus): Investigator {
    const { investigator, fallback } = this.deps;
    return fallback && investigator.kind === 'llm' && status.investigator === fallback.kind ? fallback : investigator;
  }

  /** Evidence first runs until its closing note (with the hypotheses) is recorded. */
  private gatheringEvidence(status: IncidentStatus): boolean {
    if (!this.deps.evidence || this.deps.investigator.kind !== 'llm' || this.investigatorOf(status) !== this.deps.investigator) return false;
    return !(status.steps ?? []).some((s) => s.action === 'note' && s.origin === 'evidence');
  }

  /**
   * The LLM cannot go on: the analyzer finishes the investigation from the evidence so far and writes the
   * report, which says so. Only without an analyzer (or when it is the one that failed) does it end Failed.
   */
  private handOver(inc: AlertIncident, reason: string, message: string): Advance {
    const status = this.base(inc);
    const { fallback } = this.deps;
    if (!fallback || this.investigatorOf(status) === fallback) return this.fail(inc, reason, message);
    const steps = status.steps ?? [];
    const note = this.step(steps, {
      action: 'note',
      state: 'Done',
      origin: 'fallback',
      reasoning: `The LLM could not go on (${reason}: ${message}); the rule-based analyzer finished the investigation.`,
    });
    return {
      kind: 'write',
      status: { ...status, investigator: fallback.kind, steps: [...steps, note], attempts: undefined, lastError: undefined, nextAttemptAt: undefined },
      events: [{ type: 'Warning', reason: 'LLMFallback', message: `${reason}: ${message}; the rule-based analyzer takes over` }],
    };
  }

  private fail(inc: AlertIncident, reason: string, message: string): Advance {
    const status = this.base(inc);
    const now = this.iso();
    const steps = status.steps ?? [];
    const failureReason = `${reason}: ${message}`.slice(0, 4000);
    return {
      kind: 'write',
      status: {
        ...status,
        phase: 'Failed',
        failureReason,
        summary: oneLine(`Investigation failed: ${message}`),
        completedAt: now,
        report: composeReport(inc, steps, fallbackNarrative(status.summary, status.rootCause, steps, `The investigation stopped: ${message}`), 'Failed', failureReason, now),
        attempts: undefined,
        nextAttemptAt: undefined,
      },
      events: [{ type: 'Warning', reason, message }],
    };
  }

  private retryLater(inc: AlertIncident, err: TransientError): Advance {
    const status = this.base(inc);
    const attempts = (status.attempts ?? 0) + 1;
    if (attempts >= this.deps.limits.maxAttempts) return this.handOver(inc, 'LLMUnavailable', `${err.message} (gave up after ${attempts} attempts)`);
    const backoff = Math.max(err.retryAfterMs ?? 0, Math.min(300_000, 2_000 * 2 ** (attempts - 1)));
    return {
      kind: 'write',
      status: { ...status, attempts, lastError: err.message.slice(0, 2000), nextAttemptAt: new Date(this.now().getTime() + backoff).toISOString() },
      requeueAfterMs: backoff,
      events: [{ type: 'Warning', reason: 'Retrying', message: `${err.message} (attempt ${attempts} of ${this.deps.limits.maxAttempts}, next in ${Math.round(backoff / 1000)}s)` }],
    };
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────

  private async runTool(step: Step): Promise<NonNullable<Step['result']>> {
    const args = parseArguments(step.arguments);
    if (!args) {
      return { ok: false, error: 'the recorded arguments are not a JSON object, so the call was not run', durationMs: 0, finishedAt: this.iso() };
    }
    const r = await this.deps.tools.call(step.server ?? '', step.tool ?? '', args, { timeoutMs: this.deps.limits.toolTimeoutMs });
    // One budget per step for the text and the data: the data (the tool's structuredContent, for the
    // analyzer) is kept whole when it takes at most 60% of the budget, and the text gets the rest.
    const max = this.deps.limits.toolOutputMaxBytes;
    const json = r.ok && r.structured ? JSON.stringify(r.structured) : undefined;
    const data = json !== undefined && Buffer.byteLength(json) <= Math.floor(max * 0.6) ? json : undefined;
    const bounded = boundOutput(r.output, max - (data ? Buffer.byteLength(data) : 0));
    return {
      ok: r.ok,
      output: bounded.output,
      ...(data ? { data } : {}),
      ...(bounded.truncated ? { truncated: true, originalBytes: bounded.originalBytes } : {}),
      ...(r.error ? { error: r.error.slice(0, 2000) } : {}),
      durationMs: r.durationMs,
      finishedAt: this.iso(),
    };
  }

  private context(inc: AlertIncident, steps: Step[]): InvestigationContext {
    return { incident: inc, steps, tools: this.deps.tools.list(), policyMode: this.deps.policy.mode, runbook: this.deps.runbook?.(inc) };
  }

  private base(inc: AlertIncident): IncidentStatus {
    return { ...(inc.status ?? {}) };
  }

  private step(steps: Step[], s: Omit<Step, 'index' | 'time'>): Step {
    return { index: (steps.at(-1)?.index ?? 0) + 1, time: this.iso(), ...s };
  }

  private iso(): string {
    return this.now().toISOString();
  }
}

/**
 * A read-only call that leaves out the namespace its tool requires gets the alert's, when the alert names
 * exactly one: small models often forget it. A change never does: it must name where it lands.
 */
function fillNamespace(tool: ToolInfo, args: Record<string, unknown>, inc: AlertIncident): { arguments: Record<string, unknown>; note: string } | undefined {
  if (tool.mutating || (args.namespace !== undefined && args.namespace !== '')) return undefined;
  const required = (tool.inputSchema as { required?: unknown }).required;
  if (!Array.isArray(required) || !required.includes('namespace')) return undefined;
  const ns = inc.spec.labels.namespace;
  if (!ns) return undefined;
  return { arguments: { ...args, namespace: ns }, note: `namespace "${ns}" filled in from the alert` };
}

/** The note that hands the evidence to the model: what was read, and what the analyzer makes of it. */
function hypothesesText(h: Hypotheses, calls: number): string {
  const lines = [
    `Before you started, the operator's rule-based analyzer (rule ${h.rule}) ran ${calls} read-only call${calls === 1 ? '' : 's'}, shown above; do not repeat them.`,
    'Its hypotheses, to confirm or reject with evidence of your own where they fall short:',
    `- Summary: ${h.summary}`,
    `- Root cause: ${h.rootCause}`,
  ];
  if (h.resolved) lines.push('- It thinks the problem is already gone.');
  if (h.proposedFix) lines.push(`- A fix it would propose (the policy decides whether it may run): ${h.proposedFix.tool} ${JSON.stringify(h.proposedFix.arguments)}: ${h.proposedFix.why}`);
  if (h.recommendations.length) lines.push(`- Recommendations: ${h.recommendations.slice(0, 5).join(' | ')}`);
  return lines.join('\n');
}

function addUsage(u: IncidentStatus['usage'], add?: Usage): IncidentStatus['usage'] {
  const base = u ?? { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  if (!add) return base;
  return { llmCalls: base.llmCalls + 1, promptTokens: base.promptTokens + add.promptTokens, completionTokens: base.completionTokens + add.completionTokens };
}

function isConclusion(step: Step): boolean {
  return step.action === 'resolve' || step.action === 'escalate';
}

function trailing<T>(xs: T[], pred: (x: T) => boolean): T[] {
  let i = xs.length;
  while (i > 0 && pred(xs[i - 1])) i--;
  return xs.slice(i);
}

/** The arguments exactly as recorded, or undefined when they are not a JSON object (never run as `{}`). */
function parseArguments(s?: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(s ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function safeParse(s?: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

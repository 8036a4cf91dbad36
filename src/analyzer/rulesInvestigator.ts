// The rule-based analyzer: an Investigator that needs no LLM. Deterministic: from the alert and the steps
// already taken it picks the next evidence call of the alert's plan, and when the plan is done (or its
// cap is reached) it reads the outputs and concludes, naming the cause and citing the evidence.
// At most one remediation is proposed, only where a rule deems it safe; the policy decides whether it runs.
import type { Decision, Diagnosis, Hypotheses, Report, ToolInfo, Usage } from '../contracts/investigation.js';
import { stepArguments } from '../contracts/steps.js';
import type { EvidencePlanner, InvestigationContext, Investigator } from '../incident/contracts.js';
import { callKey, clip, Evidence, type Observation } from './evidence.js';
import { readOutput } from '../contracts/toolData.js';
import { evidenceSignature } from '../incident/feedback.js';
import { approvedBefore, heldBackLine, rejectionOf, type PastWord } from './people.js';
import { ruleFor } from './rules/index.js';
import { alertInfo, sourceOf, type AlertInfo, type Call, type Finding, type Rule } from './rules/types.js';

export interface RulesInvestigatorOptions {
  /** Runbook text by alert name, quoted in the report. */
  runbooks?: Record<string, string>;
  /** Evidence (read) calls per incident before the analyzer concludes regardless (default 10). */
  maxCalls?: number;
}

const DEFAULT_MAX_CALLS = 10;
/** The server whose tools are preferred when several offer the same tool name. */
const PREFERRED_SERVER = 'kubernetes';

interface Analysis {
  a: AlertInfo;
  rule: Rule;
  ev: Evidence;
  finding: Finding;
}

export class RulesInvestigator implements Investigator, EvidencePlanner {
  readonly kind = 'rules' as const;
  private readonly maxCalls: number;

  constructor(private readonly opts: RulesInvestigatorOptions = {}) {
    this.maxCalls = Math.max(1, opts.maxCalls ?? DEFAULT_MAX_CALLS);
  }

  async decide(ctx: InvestigationContext): Promise<{ decision: Decision; usage?: Usage }> {
    return { decision: this.next(ctx) };
  }

  /** The next decision, synchronously (the same context always gives the same decision). */
  next(ctx: InvestigationContext): Decision {
    const a = alertInfo(ctx.incident.spec, ctx.incident.metadata?.namespace);
    const rule = ruleFor(a);
    const ev = new Evidence(ctx.steps);
    const tools = toolIndex(ctx.tools);
    const tag = `[rules:${rule.id}]`;
    const mutation = ev.mutations().at(-1);

    if (!mutation && a.status === 'firing') {
      const reads = ev.obs.filter((o) => !o.mutating).length;
      if (reads < this.maxCalls) {
        const next = this.firstNew(rule.plan(a, ev), tools, ev.keys());
        if (next) return next.decision(tag);
      }
    }

    const finding = rule.analyse(a, ev);

    if (mutation?.state === 'Succeeded') {
      // Look once at the result of the change before concluding.
      const verify = verification(mutation);
      if (verify) {
        const after = new Set(ev.obs.filter((o) => o.index > mutation.index).map((o) => callKey(o.tool, o.args)));
        const next = this.firstNew([verify], tools, after);
        if (next && ev.obs.filter((o) => !o.mutating).length < this.maxCalls + 2) return next.decision(tag);
      }
    }

    if (!mutation && !finding.resolved && a.status === 'firing') {
      const p = proposalOf(ctx, rule, finding, tools);
      if (p.call) {
        const { t, call, note } = p.call;
        return { kind: 'callTool', tool: t.name, arguments: call.args, reasoning: `${tag} Proposed fix: ${call.why}${note ? ` (${note})` : ''}` };
      }
    }
    return conclude({ a, rule, ev, finding }, mutation, tag);
  }

  /**
   * Evidence first (before an LLM): the alert's plan of read-only calls, one at a time, then the finding
   * as hypotheses. Never proposes a change: that is the model's (and the policy's) to decide.
   */
  gather(ctx: InvestigationContext): ReturnType<EvidencePlanner['gather']> {
    const a = alertInfo(ctx.incident.spec, ctx.incident.metadata?.namespace);
    const rule = ruleFor(a);
    const ev = new Evidence(ctx.steps);
    if (a.status === 'firing' && ev.obs.filter((o) => !o.mutating).length < this.maxCalls) {
      const next = this.firstNew(rule.plan(a, ev), toolIndex(ctx.tools), ev.keys());
      const d = next?.decision(`[rules:${rule.id}]`);
      if (d?.kind === 'callTool') return { kind: 'call', decision: d };
    }
    const f = rule.analyse(a, ev);
    const hypotheses: Hypotheses = { rule: rule.id, summary: f.summary, rootCause: f.rootCause, resolved: f.resolved, ...(f.resolved && f.recheck ? { recheck: f.recheck } : {}), recommendations: f.recommendations };
    if (f.remediation) {
      const offered = toolIndex(ctx.tools).get(f.remediation.tool)?.name ?? f.remediation.tool;
      hypotheses.proposedFix = { tool: offered, arguments: f.remediation.args, why: f.remediation.why };
    }
    return { kind: 'done', hypotheses };
  }

  private firstNew(calls: Call[], tools: Map<string, ToolInfo>, done: Set<string>): { decision: (tag: string) => Decision } | undefined {
    for (const c of calls) {
      const t = tools.get(c.tool);
      if (!t || t.mutating) continue;
      const args = fitArgs(c.args, t);
      if (done.has(callKey(t.tool, args))) continue;
      return { decision: (tag) => ({ kind: 'callTool', tool: t.name, arguments: args, reasoning: `${tag} ${c.why}` }) };
    }
    return undefined;
  }

  /**
   * Its own diagnosis from the steps, whatever the investigation concluded: the floor under a model's
   * conclusion (src/investigation/conclusion.ts), with the re-check that proves a `resolved`, if any.
   */
  diagnose(ctx: InvestigationContext): Diagnosis {
    const a = alertInfo(ctx.incident.spec, ctx.incident.metadata?.namespace);
    const rule = ruleFor(a);
    const ev = new Evidence(ctx.steps);
    const finding = rule.analyse(a, ev);
    const runbook = this.opts.runbooks?.[a.name] ?? ctx.runbook;
    const markdown = renderReport({ a, rule, ev, finding }, { summary: finding.summary, rootCause: finding.rootCause, runbook, outcome: '', reason: '', concluded: true, heldBack: proposalOf(ctx, rule, finding, toolIndex(ctx.tools)).heldBack });
    return {
      rule: rule.id,
      summary: finding.summary,
      rootCause: finding.rootCause,
      evidence: finding.quotes,
      recommendations: finding.recommendations,
      resolved: finding.resolved,
      ...(finding.resolved && finding.recheck ? { recheck: finding.recheck } : {}),
      markdown,
    };
  }

  async writeReport(ctx: InvestigationContext & { outcome: 'Resolved' | 'NeedsManualIntervention'; reason: string }): Promise<{ report: Report; usage?: Usage }> {
    const a = alertInfo(ctx.incident.spec, ctx.incident.metadata?.namespace);
    const rule = ruleFor(a);
    const ev = new Evidence(ctx.steps);
    const finding = rule.analyse(a, ev);
    const conclusion = [...ctx.steps].reverse().find((s) => s.action === 'resolve' || s.action === 'escalate');
    const concl = conclusion ? stepArguments(conclusion) : {};
    const summary = typeof concl.summary === 'string' && concl.summary ? concl.summary : finding.summary;
    const rootCause = typeof concl.root_cause === 'string' && concl.root_cause ? concl.root_cause : finding.rootCause;
    const runbook = this.opts.runbooks?.[a.name] ?? ctx.runbook;
    const markdown = renderReport({ a, rule, ev, finding }, { summary, rootCause, runbook, outcome: ctx.outcome, reason: ctx.reason, concluded: !!conclusion, heldBack: proposalOf(ctx, rule, finding, toolIndex(ctx.tools)).heldBack });
    return { report: { markdown, summary, rootCause } };
  }
}

// ── conclusions ───────────────────────────────────────────────────────────────────────────────────

function describeMutation(m: Observation): string {
  const what = `${m.tool} ${JSON.stringify(m.args)}`;
  switch (m.state) {
    case 'Succeeded':
      return `Applied ${what}: ${clip((m.output.split('\n')[0] ?? '').trim(), 200)}`;
    case 'Failed':
      return `Tried ${what}, which failed: ${clip(m.error ?? m.output, 200)}`;
    case 'Blocked':
      return `Proposed ${what}; not run: ${m.policy ?? 'blocked by policy'}`;
    case 'Rejected':
      return `Proposed ${what}; not run: ${m.policy ?? 'rejected'}`;
    case 'Unknown':
      return `Ran ${what}, outcome unknown (the operator restarted during it)`;
    default:
      return `Proposed ${what} (${m.state ?? 'not run'})`;
  }
}

function verification(m: Observation): Call | undefined {
  const { name, namespace } = m.args;
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  const kind = m.tool === 'rollback_deployment' ? 'Deployment' : typeof m.args.kind === 'string' ? m.args.kind : undefined;
  if (!kind || !['Deployment', 'StatefulSet', 'DaemonSet'].includes(kind)) return undefined;
  return { tool: 'rollout_status', args: { kind, name, namespace }, why: `Check the rollout that ${m.tool} started on ${kind.toLowerCase()} ${namespace}/${name}.` };
}

function conclude(an: Analysis, mutation: Observation | undefined, tag: string): Decision {
  const { a, finding, ev } = an;
  let resolved = finding.resolved;
  let summary = finding.summary;
  let rootCause = finding.rootCause;
  const notes: string[] = [];
  if (mutation) {
    notes.push(describeMutation(mutation));
    if (mutation.state === 'Succeeded') {
      const check = ev.obs.find((o) => o.index > mutation.index && o.tool === 'rollout_status' && o.ok);
      const complete = readOutput('rollout_status', check?.data)?.state === 'complete';
      if (complete) {
        resolved = true;
        summary = `${summary} — fixed by ${mutation.tool}, rollout complete`;
      } else {
        summary = `${summary} — ${mutation.tool} applied, not yet confirmed`;
        if (check) notes.push(`Rollout after the change: ${clip(check.output.split('\n')[0], 200)}`);
      }
    }
  }
  if (a.status === 'resolved' && !resolved) {
    resolved = true;
    summary = `AlertManager resolved ${a.name} during the investigation; ${summary}`;
  }
  if (notes.length) rootCause = `${rootCause} ${notes.join('. ')}.`;
  const calls = ev.obs.filter((o) => !o.mutating).length;
  const reasoning = `${tag} ${resolved ? 'the problem is gone' : 'a person must act'} (concluded from ${calls} evidence call${calls === 1 ? '' : 's'})`;
  return { kind: resolved ? 'resolve' : 'escalate', summary, rootCause, reasoning };
}

// ── proposals ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The one change to propose: the rule's remediation, or (without one) a change a person approved for this
 * alert before and whose verification passed, on the same evidence; never one the dry run refused, and
 * never one a person rejected for this alert on the same evidence (`heldBack`, for the report).
 */
function proposalOf(ctx: InvestigationContext, rule: Rule, finding: Finding, tools: Map<string, ToolInfo>): { call?: { t: ToolInfo; call: Call; note?: string }; heldBack?: PastWord } {
  const recall = ctx.incident.status?.recall;
  const evidence = evidenceSignature(rule.id, finding.rootCause);
  const call = finding.remediation ?? approvedBefore(recall, evidence)?.call;
  const t = call && tools.get(call.tool);
  if (!call || !t || !t.mutating || !accepts(t, call.args)) return {};
  // A fix the API server's dry run refused (src/investigation/dryRun.ts) is not proposed again.
  if (ctx.steps.some((s) => s.action === 'invalid' && s.dryRun && s.server === t.server && s.tool === t.tool)) return {};
  const rejected = rejectionOf(recall, t.tool, call.args, evidence);
  if (rejected?.sameEvidence) return { heldBack: rejected };
  const note = rejected ? `a person rejected this change for this alert before (incident ${rejected.incident}); the evidence differs now` : undefined;
  return { call: { t, call, note } };
}

// ── tools ─────────────────────────────────────────────────────────────────────────────────────────

function toolIndex(tools: ToolInfo[]): Map<string, ToolInfo> {
  const m = new Map<string, ToolInfo>();
  for (const t of tools) {
    const cur = m.get(t.tool);
    if (!cur || (t.server === PREFERRED_SERVER && cur.server !== PREFERRED_SERVER)) m.set(t.tool, t);
  }
  return m;
}

function schemaProps(t: ToolInfo): Record<string, unknown> | undefined {
  const p = (t.inputSchema as { properties?: unknown }).properties;
  return p && typeof p === 'object' ? (p as Record<string, unknown>) : undefined;
}

/** Drops arguments the tool does not declare (tools from other servers may take fewer). */
function fitArgs(args: Record<string, unknown>, t: ToolInfo): Record<string, unknown> {
  const props = schemaProps(t);
  if (!props) return args;
  return Object.fromEntries(Object.entries(args).filter(([k]) => k in props));
}

/** A mutating call is only proposed when the tool declares every argument it is given and all it requires. */
function accepts(t: ToolInfo, args: Record<string, unknown>): boolean {
  const props = schemaProps(t);
  if (!props) return false;
  const required = ((t.inputSchema as { required?: unknown }).required ?? []) as unknown[];
  return Object.keys(args).every((k) => k in props) && required.every((r) => typeof r === 'string' && r in args);
}

// ── the report narrative ──────────────────────────────────────────────────────────────────────────

const MAX_QUOTED_LINES = 30;

function fence(ls: string[]): string {
  return ['```', ...ls.map((l) => l.replace(/```/g, "'''")), '```'].join('\n');
}

function renderReport(
  an: Analysis,
  o: { summary: string; rootCause: string; runbook?: string; outcome: string; reason: string; concluded: boolean; heldBack?: PastWord },
): string {
  const { a, rule, ev, finding } = an;
  const reads = ev.obs.filter((x) => !x.mutating);
  const out: string[] = [];
  out.push(
    `## Summary\n\n${o.summary}\n\n_Rule-based analysis (rule \`${rule.id}\`, ${reads.length} evidence call${reads.length === 1 ? '' : 's'})${o.concluded ? '' : `; it stopped before concluding: ${o.reason}`}._`,
  );
  out.push(`## Root cause\n\n${o.rootCause}`);

  // Evidence: quoted lines grouped by source, bounded.
  const ev_: string[] = [];
  let budget = MAX_QUOTED_LINES;
  const seen = new Set<string>();
  for (const q of finding.quotes) {
    const ls = q.lines.filter((l) => !seen.has(`${q.source}|${l}`)).slice(0, Math.max(0, budget));
    if (!ls.length) continue;
    ls.forEach((l) => seen.add(`${q.source}|${l}`));
    budget -= ls.length;
    ev_.push(`From \`${q.source}\`:\n\n${fence(ls)}`);
  }
  const gaps = ev.failed().map((f) => `- \`${sourceOf(f)}\` could not be read: ${clip((f.error || f.output || 'failed').split('\n')[0], 240)}`);
  if (!ev_.length && !gaps.length) ev_.push('No tool output supports a finding: no evidence could be gathered (no matching tools, or the alert names no object).');
  if (gaps.length) ev_.push(`Not available:\n\n${gaps.join('\n')}`);
  out.push(`## Evidence\n\n${ev_.join('\n\n')}`);

  const recs = [...finding.recommendations];
  const mutation = ev.mutations().at(-1);
  if (mutation) recs.unshift(`${describeMutation(mutation)}.`);
  else if (o.heldBack) recs.unshift(heldBackLine(o.heldBack));
  out.push(`## Recommendations\n\n${recs.length ? recs.map((r, i) => `${i + 1}. ${r}`).join('\n') : 'None: nothing needs doing.'}`);

  const url = a.annotations.runbook_url;
  if (url || o.runbook) {
    const parts: string[] = [];
    if (url) parts.push(`Runbook: ${url}`);
    if (o.runbook) {
      const text = o.runbook.length > 4000 ? `${o.runbook.slice(0, 4000)}…` : o.runbook;
      parts.push(text.split('\n').map((l) => `> ${l}`).join('\n'));
    }
    out.push(`## Runbook\n\n${parts.join('\n\n')}`);
  }
  return out.join('\n\n');
}

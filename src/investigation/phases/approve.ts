// A change that needs a person (AwaitingApproval): shown with the diagnosis so far, then approved or
// rejected by annotation, or timed out, which escalates.
import { toolName } from '../../contracts/steps.js';
import { LIMITS } from '../../incident/limits.js';
import { ANNOTATIONS, type AlertIncident, type IncidentStatus, type Step } from '../../incident/types.js';
import { REJECTED_REASON } from '../../context/feedback.js';
import { dryRunSummary } from '../dryRun.js';
import { composeReport, fallbackNarrative, proposalSection } from '../report.js';
import { oneLine, type Advance, type PhaseContext, type WriteAdvance } from './phase.js';

/** The AwaitingApproval phase. */
export function checkApproval(cx: PhaseContext, inc: AlertIncident): Advance {
  const status = cx.base(inc);
  const steps = status.steps ?? [];
  const last = steps.at(-1);
  if (!last || last.state !== 'AwaitingApproval') return { kind: 'write', status: { ...status, phase: 'Analyzing' }, events: [] };
  const ann = inc.metadata.annotations ?? {};
  const idx = String(last.index);
  const label = toolName(last.server, last.tool);
  const replace = (s: Step, phase: IncidentStatus['phase']): IncidentStatus => ({ ...status, phase, steps: [...steps.slice(0, -1), s] });
  // Who decided and why go with the step: the history keeps them for the next incident (../../context/feedback.ts).
  const by = (k: string) => (ann[k]?.trim() ? ` by ${ann[k].trim().slice(0, 200)}` : '');
  if (ann[ANNOTATIONS.reject] === idx) {
    const why = ann[ANNOTATIONS.rejectReason]?.trim();
    const reason = `${REJECTED_REASON}${why ? `: ${why.replace(/\s+/g, ' ')}` : ''}`.slice(0, LIMITS.policyReason);
    const s: Step = { ...last, state: 'Rejected', policy: { verdict: 'approve', reason, decidedBy: `annotation ${ANNOTATIONS.reject}${by(ANNOTATIONS.rejectedBy)}` } };
    return { kind: 'write', status: replace(s, 'Analyzing'), events: [{ type: 'Normal', reason: 'ActionRejected', message: `step ${idx} was rejected${by(ANNOTATIONS.rejectedBy)}${why ? `: ${why.slice(0, 500)}` : ''}` }] };
  }
  if (ann[ANNOTATIONS.approve] === idx) {
    const s: Step = { ...last, state: 'Planned', policy: { verdict: 'allow', reason: 'approved by a person', decidedBy: `annotation ${ANNOTATIONS.approve}${by(ANNOTATIONS.approvedBy)}` } };
    return { kind: 'write', status: replace(s, 'Executing'), events: [{ type: 'Normal', reason: 'ActionApproved', message: `step ${idx} (${label}) was approved` }] };
  }
  const waited = cx.now().getTime() - Date.parse(last.time);
  const timeout = cx.deps.limits.approvalTimeoutMs;
  if (waited < timeout) return { kind: 'noop', requeueAfterMs: timeout - waited + 50 };
  const timedOut: Step = { ...last, state: 'Rejected', policy: { verdict: 'approve', reason: `nobody approved it within ${Math.round(timeout / 1000)}s`, decidedBy: 'approval timeout' } };
  const escalate = cx.step([...steps.slice(0, -1), timedOut], {
    action: 'escalate',
    state: 'Done',
    reasoning: `Step ${idx} (${label}) needed approval and none came in time.`,
    arguments: JSON.stringify({ summary: `Waiting for approval of ${label} timed out`, root_cause: status.rootCause ?? '' }),
  });
  return {
    kind: 'write',
    status: { ...status, phase: 'Analyzing', steps: [...steps.slice(0, -1), timedOut, escalate], summary: status.summary ?? `Approval of ${label} timed out` },
    events: [{ type: 'Warning', reason: 'ApprovalTimedOut', message: `step ${idx} was not approved in time` }],
  };
}

/**
 * A person asked to approve a change must see why: the diagnosis so far (summary, root cause and a
 * preliminary report with the evidence, the proposed action, what it changes and how to undo it). The
 * analyzer writes it from the evidence at no LLM cost; the model's reasoning for the step is quoted.
 */
export async function withDiagnosis(cx: PhaseContext, inc: AlertIncident, w: WriteAdvance): Promise<Advance> {
  const status = w.status;
  const steps = status.steps ?? [];
  const step = steps.at(-1)!;
  const analyzer = cx.deps.fallback ?? (cx.deps.investigator.kind === 'rules' ? cx.deps.investigator : undefined);
  const ctx = { ...cx.context({ ...inc, status }, steps), outcome: 'NeedsManualIntervention' as const, reason: `step ${step.index} waits for approval` };
  const r = analyzer ? await analyzer.writeReport(ctx).catch(() => undefined) : undefined;
  const label = toolName(step.server, step.tool);
  const summary = oneLine(status.summary ?? r?.report.summary ?? `Waiting for approval of ${label}`);
  const rootCause = (status.rootCause ?? r?.report.rootCause ?? step.reasoning ?? '').slice(0, LIMITS.rootCause) || undefined;
  const narrative = r?.report.markdown ?? fallbackNarrative(summary, rootCause, steps);
  const proposal = proposalSection(step, cx.deps.tools.find(label)?.description);
  const report = composeReport(inc, steps, `${narrative}\n\n${proposal}`, 'waiting for approval', `step ${step.index} (${label}) waits for a person`, cx.iso());
  // The Event says what would change too (the dry run's diff), so that `kubectl describe` shows it.
  const change = dryRunSummary(step, 4);
  const would = change ? `. Would change: ${change}` : '';
  const events = w.events.map((e) => (e.reason === 'ApprovalRequired' ? { ...e, message: `${e.message}${would}. Why: ${summary}` } : e));
  return { ...w, status: { ...status, summary, rootCause, report }, events };
}

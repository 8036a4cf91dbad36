// The end of an investigation: the outcome and the conclusion are judged (../conclusion.ts: `Resolved`
// needs proof; the analyzer's diagnosis is a floor under a model's), the investigator in charge writes the
// narrative, the loop adds the facts from the steps (../report.ts), and the finished incident goes into the
// history (recall). When the LLM cannot write it, the analyzer does from the same evidence, or the steps
// speak for themselves.
import { TransientError, PermanentLlmError } from '../../contracts/errors.js';
import type { Diagnosis } from '../../contracts/investigation.js';
import { occurrenceOf } from '../../context/recall.js';
import type { Investigator } from '../../incident/contracts.js';
import { evidenceSignature, feedbackOf, feedbackStatus } from '../../incident/feedback.js';
import { alertIdentity, describeObject } from '../../incident/identity.js';
import type { AlertIncident, IncidentStatus, Outcome, Step } from '../../incident/types.js';
import { demoted, judgeConclusion, recheckStepOf } from '../conclusion.js';
import { composeReport, fallbackNarrative } from '../report.js';
import { handOver } from './handover.js';
import { addUsage, isConclusion, oneLine, type Advance, type IncidentEvent, type PhaseContext } from './phase.js';

/** The investigator concluded (resolve or escalate): the report follows from its conclusion. */
export function reportConclusion(cx: PhaseContext, inc: AlertIncident, step: Step): Promise<Advance> {
  const outcome = step.action === 'resolve' ? 'Resolved' : 'NeedsManualIntervention';
  return report(cx, inc, outcome, step.reasoning || `the investigator decided to ${step.action}`);
}

/**
 * The evidence people's decisions on this incident were made on, as the analyzer reads it (rule and root
 * cause, src/incident/feedback.ts): the next incident repeats or avoids a decision only on the same evidence.
 */
export function evidenceOf(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus): string | undefined {
  try {
    const d = analyzerOf(cx)?.diagnose?.(cx.context({ ...inc, status }, status.steps ?? []));
    return d ? evidenceSignature(d.rule, d.rootCause) : undefined;
  } catch {
    return undefined;
  }
}

/** The rule-based analyzer, when there is one: the LLM's fallback, or the investigator itself. */
function analyzerOf(cx: PhaseContext): Investigator | undefined {
  return cx.deps.fallback ?? (cx.deps.investigator.kind === 'rules' ? cx.deps.investigator : undefined);
}

/**
 * The report, for the outcome the investigator claims (`claimed`). What it may claim is decided here
 * (../conclusion.ts): `Resolved` only with proof, and the analyzer's diagnosis kept as a floor under a
 * model's conclusion unless that conclusion rejects it citing a step.
 */
export async function report(cx: PhaseContext, inc: AlertIncident, claimed: Outcome, reason: string): Promise<Advance> {
  const status = cx.base(inc);
  const steps = status.steps ?? [];
  const conclusion = [...steps].reverse().find(isConclusion);
  const investigator = cx.investigatorOf(status);
  const analyzer = analyzerOf(cx);
  let diagnosis: Diagnosis | undefined;
  try {
    diagnosis = analyzer?.diagnose?.(cx.context(inc, steps));
  } catch {
    diagnosis = undefined;
  }
  const recheckAt = (steps.at(-1)?.index ?? 0) + 1;
  const verdict = judgeConclusion({ inc, steps, claimed, reason, conclusion, diagnosis, byAnalyzer: investigator.kind === 'rules', summary: status.summary, rootCause: status.rootCause, recheckStep: recheckAt });
  const { outcome } = verdict;
  // The investigator writes its narrative for the outcome as decided (a claim not borne out is told so).
  const told = outcome === claimed ? reason : verdict.outcomeLine;
  let narrative: string;
  let usage = status.usage;
  let summary = verdict.summary;
  let rootCause = verdict.rootCause;
  if (verdict.taken === 'empty' && diagnosis) {
    // Nothing to add to the analyzer's: no LLM call for a narrative that would say as little.
    narrative = `> ${verdict.note}\n\n${diagnosis.markdown}`;
  } else {
    try {
      const r = await investigator.writeReport({ ...cx.context(inc, steps), outcome, reason: told });
      narrative = r.report.markdown;
      summary = summary ?? r.report.summary;
      rootCause = rootCause ?? r.report.rootCause;
      usage = addUsage(usage, r.usage);
    } catch (err) {
      const lastTry = (status.attempts ?? 0) + 1 >= cx.deps.limits.maxAttempts;
      if (err instanceof TransientError && !lastTry) throw err;
      if (!(err instanceof TransientError) && !(err instanceof PermanentLlmError)) throw err;
      // The investigation is worth keeping even when the model cannot write its narrative: the analyzer
      // writes one from the same evidence, or, without it, the steps speak for themselves.
      const why = `The LLM could not write the report (${err.message}).`;
      const fallback = cx.deps.fallback && investigator !== cx.deps.fallback ? cx.deps.fallback : undefined;
      const r = fallback ? await fallback.writeReport({ ...cx.context(inc, steps), outcome, reason: told }).catch(() => undefined) : undefined;
      if (r) {
        narrative = `> ${why} This report is the rule-based analyzer's, from the same evidence.\n\n${r.report.markdown}`;
        summary = summary ?? r.report.summary;
        rootCause = rootCause ?? r.report.rootCause;
      } else {
        narrative = fallbackNarrative(summary, rootCause, steps, `The narrative could not be written: ${err.message}`);
      }
    }
    if (verdict.taken === 'kept' && diagnosis) narrative = `${narrative}\n\n## The rule-based analyzer's diagnosis\n\n> ${verdict.note}\n\n${demoted(diagnosis.markdown)}`;
    else if (verdict.note) narrative = `${narrative}\n\n> ${verdict.note}`;
  }
  const handedOver = steps.find((s) => s.action === 'note' && s.origin === 'fallback');
  if (handedOver && investigator === cx.deps.fallback) narrative = `> ${handedOver.reasoning} This report is the rule-based analyzer's.\n\n${narrative}`;
  const now = cx.iso();
  // The analyzer's re-check that proves a `Resolved` is recorded as a passed `verify` step.
  const finalSteps = verdict.proof?.kind === 'recheck' && diagnosis ? [...steps, recheckStepOf(diagnosis, recheckAt, now)] : steps;
  const final: IncidentStatus = {
    ...status,
    ...(finalSteps !== steps ? { steps: finalSteps } : {}),
    phase: 'Reported',
    outcome,
    summary: oneLine(summary ?? (outcome === 'Resolved' ? 'Resolved' : `Needs manual intervention: ${reason}`)),
    rootCause: rootCause?.slice(0, 4000),
    report: composeReport(inc, finalSteps, narrative, outcome, reason, now, verdict.outcomeLine),
    completedAt: now,
    usage,
    attempts: undefined,
    lastError: undefined,
    nextAttemptAt: undefined,
  };
  // What people said so far (a reason for a rejection) goes into the history with the report: recorded now.
  const said = feedbackOf(inc);
  if (said) final.feedback = feedbackStatus(said, now, !!cx.deps.history);
  return {
    kind: 'write',
    status: final,
    events: [{ type: outcome === 'Resolved' ? 'Normal' : 'Warning', reason: outcome, message: final.summary! }, ...(await remember(cx, inc, final))],
  };
}

/**
 * A model that spent its budget without concluding (small models call tools until the end) leaves the
 * conclusion to the analyzer, which names a cause from the same evidence; otherwise the report says
 * the budget ran out.
 */
export function budgetSpent(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, reason: string): Promise<Advance> | Advance {
  const llmInCharge = cx.deps.fallback && cx.deps.investigator.kind === 'llm' && cx.investigatorOf(status) === cx.deps.investigator;
  if (llmInCharge) return handOver(cx, inc, 'BudgetSpent', reason);
  return report(cx, inc, 'NeedsManualIntervention', reason);
}

/** Recall: the finished incident goes into the history (idempotent per incident; a failure only warns). */
export async function remember(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus): Promise<IncidentEvent[]> {
  const history = cx.deps.history;
  if (!history) return [];
  const id = alertIdentity(inc.spec.alertname, inc.spec.labels, cx.deps.cluster);
  try {
    await history.record(id.hash, id.key, describeObject(id.object), occurrenceOf(inc, status, evidenceOf(cx, inc, status)));
    return [];
  } catch (err) {
    return [{ type: 'Warning', reason: 'HistoryNotRecorded', message: `this incident could not be added to the history of earlier incidents: ${(err as Error).message}` }];
  }
}

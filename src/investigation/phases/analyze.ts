// The Analyzing phase: one decision per reconcile. First the reasons to stop deciding (a conclusion to
// report, an alert that resolved meanwhile, a spent budget, unusable replies in a row), then the
// decision (evidence first, or the investigator in charge), recorded with the policy's verdict; then
// what may share its write (a read-only call runs at once, a conclusion is reported at once).
import { TransientError } from '../../contracts/errors.js';
import type { Decision, Usage } from '../../contracts/investigation.js';
import type { AlertIncident, IncidentStatus, Step } from '../../incident/types.js';
import { withDiagnosis } from './approve.js';
import { gatherEvidence, gatheringEvidence } from './evidence.js';
import { execute } from './execute.js';
import { handOver } from './handover.js';
import { addUsage, isConclusion, type Advance, type PhaseContext } from './phase.js';
import { record } from './record.js';
import { budgetSpent, reportConclusion } from './report.js';

/** The Analyzing phase. */
export async function analyze(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  const status = cx.base(inc);
  const steps = status.steps ?? [];
  const stop = await stopDeciding(cx, inc, status, steps);
  if (stop) return stop;

  const investigator = cx.investigatorOf(status);
  let decision: Decision;
  let usage: Usage | undefined;
  let origin: Step['origin'] = investigator === cx.deps.investigator ? undefined : 'fallback';
  if (gatheringEvidence(cx, status)) {
    const g = gatherEvidence(cx, inc, status, steps);
    if (g.kind === 'write') return g;
    decision = g.decision;
    origin = 'evidence';
  } else {
    ({ decision, usage } = await investigator.decide(cx.context(inc, steps)));
  }
  const next = { ...status, usage: addUsage(status.usage, usage), attempts: undefined, lastError: undefined, nextAttemptAt: undefined };
  let recorded = await record(cx, inc, next, steps, decision, origin);
  if (recorded.kind === 'write' && recorded.status.phase === 'AwaitingApproval') recorded = await withDiagnosis(cx, inc, recorded);
  return followUp(cx, inc, recorded);
}

/** The reasons not to ask for another decision, in order; undefined when there is none. */
async function stopDeciding(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, steps: Step[]): Promise<Advance | undefined> {
  const last = steps.at(-1);
  const { limits } = cx.deps;
  if (last && isConclusion(last)) return reportConclusion(cx, inc, last);
  if (inc.spec.status === 'resolved' && !steps.some((s) => s.action === 'note' && s.reasoning?.startsWith('AlertManager resolved'))) {
    const note = cx.step(steps, { action: 'note', state: 'Done', reasoning: `AlertManager resolved the alert${inc.spec.endsAt ? ` at ${inc.spec.endsAt}` : ''} during the investigation.` });
    return { kind: 'write', status: { ...status, steps: [...steps, note] }, events: [{ type: 'Normal', reason: 'AlertResolved', message: note.reasoning! }] };
  }
  // Evidence gathered before the model is the analyzer's, not the model's budget.
  const decisions = steps.filter((s) => s.action !== 'note' && s.origin !== 'evidence').length;
  if (decisions >= limits.maxSteps) {
    return budgetSpent(cx, inc, status, `the step budget (${limits.maxSteps} steps) is spent`);
  }
  const tokens = (status.usage?.promptTokens ?? 0) + (status.usage?.completionTokens ?? 0);
  if (tokens >= limits.maxTokensPerIncident) {
    return budgetSpent(cx, inc, status, `the token budget (${limits.maxTokensPerIncident} tokens) is spent`);
  }
  // Unusable replies in a row (notes in between do not break a run; a hand-over to the analyzer does).
  const invalidRun = trailing(steps, (s) => s.action === 'invalid' || (s.action === 'note' && s.origin !== 'fallback')).filter((s) => s.action === 'invalid');
  if (invalidRun.length >= limits.maxInvalidReplies) {
    return handOver(cx, inc, 'InvestigatorUnusable', `the investigator gave ${invalidRun.length} unusable replies in a row; the last: ${invalidRun.at(-1)?.result?.error ?? ''}`);
  }
  return undefined;
}

/** What shares the decision's write: running a read-only call, or reporting a conclusion. */
async function followUp(cx: PhaseContext, inc: AlertIncident, recorded: Advance): Promise<Advance> {
  // A read-only call runs in the same reconcile as its decision and both are saved in one write: a
  // read needs no intent on record (running it again after a crash is harmless), and a status write
  // per step is the operator's main cost to the API server (bench/steps.ts). Mutating calls keep
  // their own Executing step, with the intent saved before they run.
  const planned = recorded.kind === 'write' && recorded.status.phase === 'Executing' ? recorded.status.steps?.at(-1) : undefined;
  if (recorded.kind === 'write' && planned?.state === 'Planned' && !planned.mutating) {
    const ran = await execute(cx, { ...inc, status: recorded.status });
    if (ran.kind === 'write') return { ...ran, events: [...recorded.events, ...ran.events] };
  }
  // Likewise a conclusion and its report share one write; if the report cannot be written now, the
  // conclusion is saved alone and the report follows on a later reconcile.
  const concluded = recorded.kind === 'write' ? recorded.status.steps?.at(-1) : undefined;
  if (recorded.kind === 'write' && concluded && isConclusion(concluded)) {
    try {
      const reported = await reportConclusion(cx, { ...inc, status: recorded.status }, concluded);
      if (reported.kind === 'write') return { ...reported, events: [...recorded.events, ...reported.events] };
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
    }
  }
  return recorded;
}

function trailing<T>(xs: T[], pred: (x: T) => boolean): T[] {
  let i = xs.length;
  while (i > 0 && pred(xs[i - 1])) i--;
  return xs.slice(i);
}

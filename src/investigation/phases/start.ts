// A new incident (Pending). A resolved alert is reported at once; otherwise the incident starts with what
// the history holds of this alert (recall), is linked to a primary it shares a cause with (correlation),
// or goes on to Analyzing. Before any phase, an incident whose namespace and alert disagree fails.
import { correlate } from '../../context/correlation.js';
import { recallOf } from '../../context/recall.js';
import { alertIdentity } from '../../incident/identity.js';
import { namespaceMismatch } from '../../incident/tenancy.js';
import { ANNOTATIONS, LABELS, type AlertIncident, type IncidentStatus, type Phase } from '../../incident/types.js';
import { composeReport, fallbackNarrative } from '../report.js';
import { fail } from './handover.js';
import { finishLinked, pollMs } from './link.js';
import { oneLine, type Advance, type IncidentEvent, type PhaseContext } from './phase.js';

/**
 * Alert namespace mode: an unfinished incident whose namespace and alert disagree (edited after the
 * webhook wrote it) fails without being investigated, recalled or remembered.
 */
export function checkTenancy(cx: PhaseContext, inc: AlertIncident, phase: Phase): Advance | undefined {
  const mismatch = cx.deps.tenancy && phase !== 'Reported' && phase !== 'Failed' ? namespaceMismatch(inc, cx.deps.tenancy) : undefined;
  return mismatch ? fail(cx, inc, 'NamespaceMismatch', mismatch) : undefined;
}

/** The Pending phase. */
export async function start(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  const now = cx.iso();
  if (inc.spec.status === 'resolved') {
    const status: IncidentStatus = {
      ...cx.base(inc),
      phase: 'Reported',
      outcome: 'Resolved',
      startedAt: now,
      completedAt: now,
      summary: 'The alert was already resolved when it reached the operator; nothing was investigated.',
      investigator: cx.deps.investigator.kind,
    };
    status.report = composeReport(inc, [], fallbackNarrative(status.summary, undefined, []), 'Resolved', 'alert resolved before the investigation started', now, 'Resolved because AlertManager reported the alert resolved before the investigation started.');
    return { kind: 'write', status, events: [{ type: 'Normal', reason: 'Resolved', message: status.summary! }] };
  }
  const events: IncidentEvent[] = [];
  const started: IncidentStatus = { ...cx.base(inc), startedAt: now, investigator: cx.deps.investigator.kind, steps: [], usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 } };
  await recall(cx, inc, started, events);
  const { correlation } = cx.deps;
  let base: AlertIncident | undefined;
  if (correlation && inc.metadata.annotations?.[ANNOTATIONS.unlink] !== 'true') {
    try {
      const c = await correlate(inc, correlation.directory, correlation, cx.now());
      base = c.relabelled;
      if (c.kind === 'settle') return { kind: 'noop', requeueAfterMs: c.retryAfterMs };
      if (c.kind === 'link') {
        base = await correlation.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: c.primary.metadata.name });
        const linked: IncidentStatus = { ...started, phase: 'Linked', relatedTo: c.relatedTo, summary: oneLine(`Linked to ${c.primary.metadata.name}: ${c.relatedTo.reason}`) };
        const ev: IncidentEvent = { type: 'Normal', reason: 'Linked', message: `shares its cause with incident ${c.primary.metadata.namespace}/${c.primary.metadata.name} (${c.relatedTo.reason}); waits for its report` };
        if (c.primary.status?.phase === 'Reported') {
          const done = await finishLinked(cx, { ...inc, status: linked }, c.primary);
          return { ...done, events: [...events, ev, ...done.events], base };
        }
        return { kind: 'write', status: linked, events: [...events, ev], requeueAfterMs: pollMs(cx), base };
      }
    } catch (err) {
      events.push({ type: 'Warning', reason: 'CorrelationFailed', message: `related incidents could not be looked up; investigating on its own: ${(err as Error).message}` });
    }
  }
  return {
    kind: 'write',
    base,
    status: { ...started, phase: 'Analyzing' },
    events: [{ type: 'Normal', reason: 'InvestigationStarted', message: `investigating ${inc.spec.alertname} with the ${cx.deps.investigator.kind === 'llm' ? 'LLM' : 'rule-based analyzer'}` }, ...events],
  };
}

/** Recall: what the history holds of this alert on this object, kept in the status (restart-safe). */
async function recall(cx: PhaseContext, inc: AlertIncident, started: IncidentStatus, events: IncidentEvent[]): Promise<void> {
  const { history } = cx.deps;
  if (!history) return;
  const id = alertIdentity(inc.spec.alertname, inc.spec.labels, cx.deps.cluster);
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

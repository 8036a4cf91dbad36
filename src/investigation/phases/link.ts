// Correlation: a linked incident waits for its primary's report and ends with a short report pointing to
// it, or, when the link breaks (a person, a timeout, a gone or failed primary), investigates on its own.
import { ANNOTATIONS, LABELS, type AlertIncident, type IncidentStatus, type Outcome } from '../../incident/types.js';
import { mayLinkTo } from '../../incident/tenancy.js';
import { composeReport } from '../report.js';
import { remember } from './report.js';
import { oneLine, type Advance, type IncidentEvent, type PhaseContext, type WriteAdvance } from './phase.js';

/** How often a linked incident looks at its primary. */
export function pollMs(cx: PhaseContext): number {
  const c = cx.deps.correlation!;
  return c.pollMs ?? Math.min(15_000, Math.max(2_000, Math.round(c.timeoutMs / 30)));
}

/** The Linked phase. */
export async function waitForPrimary(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  const status = cx.base(inc);
  const rt = status.relatedTo;
  const c = cx.deps.correlation;
  if (!rt || !c) return unlink(cx, inc, 'correlation is off');
  if (inc.metadata.annotations?.[ANNOTATIONS.unlink] === 'true') return unlink(cx, inc, `a person broke the link (annotation ${ANNOTATIONS.unlink}=true)`);
  const primary = await c.directory.get(rt.namespace, rt.name);
  if (!primary) return unlink(cx, inc, 'the primary incident is gone');
  if (cx.deps.tenancy && !mayLinkTo(inc, primary, cx.deps.tenancy)) return unlink(cx, inc, `the primary lives in namespace ${primary.metadata.namespace}, which this incident's namespace does not share`);
  if (primary.status?.relatedTo) {
    // The primary got linked itself: follow it to its own primary.
    const next = { ...rt, name: primary.status.relatedTo.name, namespace: primary.status.relatedTo.namespace };
    await c.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: next.name });
    return { kind: 'write', status: { ...status, relatedTo: next }, events: [{ type: 'Normal', reason: 'Linked', message: `incident ${rt.name} is linked to ${next.namespace}/${next.name}: waits for that one's report` }], requeueAfterMs: pollMs(cx) };
  }
  if (primary.status?.phase === 'Reported') return finishLinked(cx, inc, primary);
  if (primary.status?.phase === 'Failed') return unlink(cx, inc, 'the primary investigation failed');
  const waited = cx.now().getTime() - Date.parse(rt.linkedAt);
  if (waited >= c.timeoutMs) return unlink(cx, inc, `the primary did not report within ${Math.round(c.timeoutMs / 1000)}s`);
  return { kind: 'noop', requeueAfterMs: Math.min(pollMs(cx), c.timeoutMs - waited + 50) };
}

/** The link is broken: the incident investigates on its own, and its steps say why it started late. */
async function unlink(cx: PhaseContext, inc: AlertIncident, why: string): Promise<Advance> {
  const { relatedTo, ...status } = cx.base(inc);
  const steps = status.steps ?? [];
  const note = cx.step(steps, {
    action: 'note',
    state: 'Done',
    reasoning: `This alert was linked to incident ${relatedTo?.namespace}/${relatedTo?.name} (${relatedTo?.reason}); ${why}, so it is investigated on its own.`,
  });
  await cx.deps.correlation?.directory.setLabels(inc.metadata.namespace, inc.metadata.name, { [LABELS.relatedTo]: null });
  return {
    kind: 'write',
    status: { ...status, phase: 'Analyzing', summary: undefined, steps: [...steps, note] },
    events: [{ type: 'Normal', reason: 'Unlinked', message: `no longer linked to ${relatedTo?.name ?? 'its primary'}: ${why}; investigating on its own` }],
  };
}

/** The primary reported: this one ends with a short report that points to it. */
export async function finishLinked(cx: PhaseContext, inc: AlertIncident, primary: AlertIncident): Promise<WriteAdvance> {
  const status = cx.base(inc);
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
  const now = cx.iso();
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
    await cx.deps.correlation?.directory.addRelated(primary.metadata.namespace, primary.metadata.name, { name: inc.metadata.name, namespace: inc.metadata.namespace, alertname: inc.spec.alertname, rule: rt.rule, linkedAt: rt.linkedAt });
  } catch (err) {
    events.push({ type: 'Warning', reason: 'LinkNotRecorded', message: `the primary's status.related could not be updated: ${(err as Error).message}` });
  }
  events.push(...(await remember(cx, inc, final)));
  return { kind: 'write', status: final, events };
}

// Learning from people, after the report: a finished incident whose people's annotations changed (a
// verdict on the report, the actual cause, a fix made by hand, a reason for a rejection) has them recorded
// once per change: into the history of its alert identity (its occurrence replaced: idempotent, a changed
// verdict replaces the old), for the next incident of that identity to read, and into status.feedback, so
// that `kubectl describe` shows they were taken into account. Nothing changed: nothing to do.
import { occurrenceOf } from '../../context/recall.js';
import { feedbackOf, feedbackPending, feedbackStatus } from '../../incident/feedback.js';
import { alertIdentity, describeObject } from '../../incident/identity.js';
import type { AlertIncident } from '../../incident/types.js';
import type { Advance, IncidentEvent, PhaseContext } from './phase.js';
import { evidenceOf } from './report.js';

export async function learn(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  if (!feedbackPending(inc)) return { kind: 'noop' };
  const status = cx.base(inc);
  const said = feedbackOf(inc);
  const events: IncidentEvent[] = [];
  const history = cx.deps.history;
  let inHistory = false;
  // An incident that never reached a report (Failed) is not in the history and is not added by a note on it.
  if (history && status.phase === 'Reported') {
    const id = alertIdentity(inc.spec.alertname, inc.spec.labels, cx.deps.cluster);
    try {
      await history.record(id.hash, id.key, describeObject(id.object), occurrenceOf(inc, status, evidenceOf(cx, inc, status)));
      inHistory = true;
    } catch (err) {
      events.push({ type: 'Warning', reason: 'FeedbackNotRecorded', message: `what people said could not be added to the history of this alert: ${(err as Error).message}` });
    }
  }
  const parts = [said?.verdict && `report marked ${said.verdict}${said.by ? ` by ${said.by}` : ''}`, said?.actualCause && 'actual cause given', said?.fixedBy && 'fix by hand noted', said?.rejectReason && 'reason for the rejection given'].filter(Boolean);
  events.push({
    type: 'Normal',
    reason: 'FeedbackRecorded',
    message: `${parts.length ? parts.join('; ') : 'feedback withdrawn'}${inHistory ? '; the next incident of this alert on this object will read it' : ''}`,
  });
  return { kind: 'write', status: { ...status, feedback: feedbackStatus(said, cx.iso(), inHistory) }, events };
}

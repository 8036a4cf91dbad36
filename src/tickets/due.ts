// Which ticket event an incident's stored state makes due, per tracker. Pure: the incident and the config
// in, the event out; restart-safe because it reads only what is stored (status.tickets is the record).
import { alertIdentity, clusterKeyOf } from '../incident/identity.js';
import type { AlertIncident, TicketRecord } from '../incident/types.js';
import type { TicketsConfig, TrackerConfig } from './config.js';

export type TicketEvent = 'open' | 'resolve';

export interface DueTicket {
  event: TicketEvent;
  /** When it may run (ms): now, or a recorded retry's time. */
  at: number;
}

export interface TrackerRules {
  outcomes: readonly string[];
  phases: readonly string[];
  onResolve: 'close' | 'comment' | 'none';
  maxAgeMs: number;
}

export function rulesOf(cfg: TicketsConfig, t: TrackerConfig): TrackerRules {
  return { outcomes: t.outcomes ?? cfg.defaults.outcomes, phases: t.phases ?? cfg.defaults.phases, onResolve: t.onResolve ?? cfg.defaults.onResolve, maxAgeMs: cfg.defaults.maxAge };
}

/** The marker label of the alert's identity (identity.ts: the same alert on the same object). */
/** The alert identity's marker; `localCluster`: the alert of another cluster is another identity (a ticket each). */
export function markerOf(inc: Pick<AlertIncident, 'spec'>, localCluster?: string): { hash: string; marker: string } {
  const { hash } = alertIdentity(inc.spec.alertname, inc.spec.labels, clusterKeyOf(inc.spec, localCluster));
  return { hash, marker: `alertagent-${hash}` };
}

export function recordOf(inc: Pick<AlertIncident, 'status'>, tracker: string): TicketRecord | undefined {
  return inc.status?.tickets?.find((r) => r.tracker === tracker);
}

/** The incident ended in a way that needs people, for this tracker. */
export function needsTicket(inc: AlertIncident, t: TrackerConfig, r: TrackerRules): boolean {
  const st = inc.status;
  const phase = st?.phase;
  const ruled = (phase === 'Reported' && st?.outcome !== undefined && r.outcomes.includes(st.outcome)) || (phase !== undefined && phase !== 'Reported' && r.phases.includes(phase));
  if (!ruled) return false;
  const m = t.match;
  const inList = (list: string[] | undefined, v: string | undefined) => !list?.length || (v !== undefined && list.includes(v));
  return !m || (inList(m.severities, inc.spec.severity ?? inc.spec.labels.severity) && inList(m.namespaces, inc.spec.labels.namespace) && inList(m.alertnames, inc.spec.alertname));
}

const retryAt = (rec: TicketRecord, now: number) => {
  const t = rec.nextAttemptAt ? Date.parse(rec.nextAttemptAt) : NaN;
  return Number.isNaN(t) ? now : t;
};

export function dueTicket(inc: AlertIncident, t: TrackerConfig, r: TrackerRules, now: number): DueTicket | undefined {
  if (!needsTicket(inc, t, r)) return undefined;
  const rec = recordOf(inc, t.name);
  const resolved = inc.spec.status === 'resolved';
  if (!rec) {
    // An alert that resolved before the investigation ended needs no ticket; nor does old history.
    const done = Date.parse(inc.status?.completedAt ?? '');
    if (resolved || (!Number.isNaN(done) && now - done > r.maxAgeMs)) return undefined;
    return { event: 'open', at: now };
  }
  if (rec.state === 'Retrying') return { event: rec.event, at: retryAt(rec, now) };
  if (rec.event === 'open' && rec.state === 'Open' && rec.key && resolved && r.onResolve !== 'none') return { event: 'resolve', at: now };
  return undefined;
}

// Which notifications an incident's stored state makes due, per sink. Pure: the incident and the config in,
// events out. An event is due while it matches the stored status and no final record of it is stored.
import type { AlertIncident, NotificationRecord } from '../incident/types.js';
import type { Match, NotificationsConfig, SinkConfig } from './config.js';

export interface DueEvent {
  /** `Reported`, `Failed`, `AwaitingApproval/<step>`, `Resolved` (the alert resolved), or another phase. */
  event: string;
  /** When the stored state that makes it due was reached (ms). */
  at: number;
}

/** Recorded states that end an event: it is never sent (again). */
export const FINAL_STATES: ReadonlySet<NotificationRecord['state']> = new Set(['Sent', 'Failed', 'Suppressed']);

export interface SinkRouting {
  phases: readonly string[];
  outcomes: readonly string[];
  minIntervalMs: number;
  sendResolved: boolean;
  maxAgeMs: number;
}

export function routingOf(cfg: NotificationsConfig, sink: SinkConfig): SinkRouting {
  return {
    phases: sink.phases ?? cfg.defaults.phases,
    outcomes: sink.outcomes ?? cfg.defaults.outcomes,
    minIntervalMs: sink.minInterval ?? cfg.defaults.minInterval,
    sendResolved: sink.sendResolved ?? (sink.type === 'pagerduty' || (sink.type === 'slack' && Boolean(sink.botToken))),
    maxAgeMs: cfg.defaults.maxAge,
  };
}

export function matches(inc: Pick<AlertIncident, 'spec'>, m: Match | undefined): boolean {
  if (!m) return true;
  const { spec } = inc;
  const inList = (list: string[] | undefined, v: string | undefined) => !list || list.length === 0 || (v !== undefined && list.includes(v));
  if (!inList(m.severities, spec.severity ?? spec.labels.severity)) return false;
  if (!inList(m.namespaces, spec.labels.namespace)) return false;
  if (!inList(m.alertnames, spec.alertname)) return false;
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    const have = spec.labels[k];
    if (have === undefined || (v !== '*' && have !== v)) return false;
  }
  return true;
}

/** The alert's identity across firings: a flapping alert is the same alertname and fingerprint again. */
export function identityOf(inc: Pick<AlertIncident, 'spec'>): string {
  return `${inc.spec.alertname}|${inc.spec.fingerprint}`;
}

export function recordOf(inc: Pick<AlertIncident, 'status'>, sink: string, event: string): NotificationRecord | undefined {
  return inc.status?.notifications?.find((r) => r.sink === sink && r.event === event);
}

/** The message id this incident already has at the sink (for an update in place). */
export function messageIdOf(inc: Pick<AlertIncident, 'status'>, sink: string): string | undefined {
  return inc.status?.notifications?.find((r) => r.sink === sink && r.state === 'Sent' && r.messageId)?.messageId;
}

export function hasSent(inc: Pick<AlertIncident, 'status'>, sink: string): boolean {
  return (inc.status?.notifications ?? []).some((r) => r.sink === sink && r.state === 'Sent');
}

const time = (s: string | undefined) => (s ? Date.parse(s) : NaN);

/**
 * The events of the incident's current stored state that this sink should hear about, whether or not they
 * were recorded yet. Only the current phase counts: a phase the incident has left is not sent late.
 */
export function currentEvents(inc: AlertIncident, sink: SinkConfig, r: SinkRouting, now: number): DueEvent[] {
  if (!matches(inc, sink.match)) return [];
  const out: DueEvent[] = [];
  const st = inc.status;
  const phase = st?.phase ?? 'Pending';
  const created = time(inc.metadata.creationTimestamp);
  if (r.phases.includes(phase) && (phase !== 'Reported' || r.outcomes.length === 0 || (st?.outcome !== undefined && r.outcomes.includes(st.outcome)))) {
    const last = st?.steps?.at(-1);
    if (phase === 'AwaitingApproval') {
      if (last) out.push({ event: `AwaitingApproval/${last.index}`, at: time(last.time) });
    } else {
      const at = phase === 'Reported' || phase === 'Failed' ? time(st?.completedAt) : time(last?.time ?? st?.startedAt);
      out.push({ event: phase, at: Number.isNaN(at) ? created : at });
    }
  }
  if (r.sendResolved && inc.spec.status === 'resolved' && hasSent(inc, sink.name)) {
    // When we learned it (the alert's own endsAt may lie in the past of a late resolve).
    const at = time(inc.spec.notifications?.lastReceivedAt ?? inc.spec.endsAt);
    out.push({ event: 'Resolved', at: Number.isNaN(at) ? now : at });
  }
  return out.map((e) => ({ ...e, at: Number.isNaN(e.at) ? now : e.at })).filter((e) => now - e.at <= r.maxAgeMs);
}

/** currentEvents without those already recorded in a final state. */
export function dueEvents(inc: AlertIncident, sink: SinkConfig, r: SinkRouting, now: number): DueEvent[] {
  return currentEvents(inc, sink, r, now).filter((e) => {
    const rec = recordOf(inc, sink.name, e.event);
    return !rec || !FINAL_STATES.has(rec.state);
  });
}

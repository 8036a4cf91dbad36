// Recall as the model and the report read it: the history entry of this alert's identity turned into
// status.recall when an incident starts, and status.recall turned into text. Pure.
import { toolName } from '../contracts/steps.js';
import type { AlertIncident, IncidentStatus, PastOccurrence, Recall, Step } from '../incident/types.js';
import type { HistoryEntry, Occurrence } from './history.js';
import { HISTORY_BOUNDS } from './history.js';
import { describeObject, type AlertIdentity } from '../incident/identity.js';
import { peopleBriefing, peopleOf, peopleSection } from './feedback.js';

/** status.recall from the history (undefined when this is the first time). */
export function recallOf(identity: AlertIdentity, entry: HistoryEntry | undefined, self: { name: string; namespace: string }): Recall | undefined {
  // An incident recorded before (a retried first step after its own report) is not its own past.
  const occurrences = (entry?.occurrences ?? []).filter((o) => !(o.incident === self.name && (o.namespace ?? self.namespace) === self.namespace));
  if (!entry || !occurrences.length) return undefined;
  const count = entry.count - (entry.occurrences.length - occurrences.length);
  return { identity: identity.key, object: entry.object ?? describeObject(identity.object), count: Math.max(count, occurrences.length), firstSeen: entry.firstSeen, occurrences };
}

/** What the history keeps of a finished incident (`evidence`: the analyzer's evidence signature, for people's decisions). */
export function occurrenceOf(inc: AlertIncident, status: IncidentStatus, evidence?: string): Occurrence {
  return {
    incident: inc.metadata.name,
    namespace: inc.metadata.namespace,
    time: inc.spec.startsAt,
    outcome: status.phase === 'Failed' ? 'Failed' : status.outcome,
    summary: status.summary,
    rootCause: status.rootCause,
    actions: actionLines(status.steps ?? []),
    ...peopleOf(inc, status.steps ?? [], evidence),
  };
}

/** The changes of an investigation, one line each: what ran, what was blocked or rejected. */
export function actionLines(steps: Step[]): string[] {
  return steps
    .filter((s) => s.action === 'callTool' && s.mutating)
    .slice(0, HISTORY_BOUNDS.actions)
    .map((s) => {
      const args = (s.arguments ?? '{}').replace(/\s+/g, ' ');
      const state = ({ Succeeded: 'ran, succeeded', Failed: 'ran, failed', Blocked: 'not run (blocked by policy)', Rejected: 'not run (rejected)', Unknown: 'outcome unknown' } as Record<string, string>)[s.state ?? ''] ?? `not run (${s.state ?? 'planned'})`;
      return `step ${s.index}: ${toolName(s.server, s.tool)} ${args.length > 110 ? `${args.slice(0, 110)}…` : args} — ${state}`;
    });
}

export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${s}`;
}

function span(fromIso: string | undefined, now: Date): string {
  const ms = now.getTime() - Date.parse(fromIso ?? '');
  if (!Number.isFinite(ms) || ms < 0) return '';
  const h = ms / 3_600_000;
  const n = (v: number, unit: string) => ` in ${v} ${unit}${v === 1 ? '' : 's'}`;
  if (h < 1) return n(Math.max(1, Math.round(ms / 60_000)), 'minute');
  if (h < 48) return n(Math.max(1, Math.round(h)), 'hour');
  return n(Math.round(h / 24), 'day');
}

/** "the 3rd time in 7 days": this incident counted, since the first one remembered. */
export function headline(r: Recall, alertname: string, now: Date): string {
  return `This is the ${ordinal(r.count + 1)} time${span(r.firstSeen, now)} that ${alertname} fired for ${r.object ?? r.identity}.`;
}

function occurrenceLines(o: PastOccurrence, indent = '  '): string[] {
  const lines = [`- ${o.time} · incident \`${o.namespace ? `${o.namespace}/` : ''}${o.incident}\` · ${o.outcome ?? 'no outcome'}: ${(o.summary ?? 'no summary').replace(/\s+/g, ' ')}`];
  if (o.rootCause) lines.push(`${indent}Root cause: ${o.rootCause.replace(/\s+/g, ' ')}`);
  if (o.actions?.length) lines.push(`${indent}Actions: ${o.actions.join('; ')}`);
  else lines.push(`${indent}Actions: none (only read from the cluster)`);
  return lines;
}

/** The report's "Seen before" section. */
export function recallSection(inc: AlertIncident, now: Date): string {
  const r = inc.status?.recall;
  if (!r) return '';
  const last = r.occurrences?.[0];
  const lines = ['## Seen before', '', headline(r, inc.spec.alertname, now)];
  if (last) lines.push(`Last time (${last.time}): ${last.outcome ?? 'no outcome'}; ${(last.summary ?? last.rootCause ?? '').replace(/\s+/g, ' ').slice(0, 300)}${last.actions?.length ? `; ${last.actions[0]}` : ''}.`);
  lines.push('', ...(r.occurrences ?? []).flatMap((o) => occurrenceLines(o)));
  if (r.count > (r.occurrences?.length ?? 0)) lines.push(`- … and ${r.count - (r.occurrences?.length ?? 0)} earlier (only the newest are kept)`);
  const people = peopleSection(r, now);
  return people ? `${lines.join('\n')}\n\n${people}` : lines.join('\n');
}

/** The same for the model's first message: data from the operator's own history. */
export function recallBriefing(inc: AlertIncident, now: Date): string {
  const r = inc.status?.recall;
  if (!r) return '';
  return [
    `Seen before (the operator's history of this alert on this object; data): ${headline(r, inc.spec.alertname, now)}`,
    ...(r.occurrences ?? []).flatMap((o) => occurrenceLines(o)),
    'If an earlier fix did not hold, say so and look for why rather than repeating it.',
    peopleBriefing(r, now),
  ].filter(Boolean).join('\n');
}

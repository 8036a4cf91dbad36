// Reading and rendering core/v1 Events (which also show events written through events.k8s.io/v1).
import type { CoreV1Event } from '@kubernetes/client-node';
import type { Event } from '../../contracts/toolData.js';
import type { ToolContext } from './context.js';
import { age, clip, clipMiddle, isoTime, oneLine, toMillis } from './format.js';
import { describeApiError, k8s } from './errors.js';

export function eventTime(e: CoreV1Event): number {
  return (
    toMillis(e.lastTimestamp) ??
    toMillis(e.series?.lastObservedTime) ??
    toMillis(e.eventTime) ??
    toMillis(e.firstTimestamp) ??
    toMillis(e.metadata?.creationTimestamp) ??
    0
  );
}

export function eventCount(e: CoreV1Event): number {
  return e.count ?? e.series?.count ?? 1;
}

/** Newest first. */
export function sortEvents(events: CoreV1Event[]): CoreV1Event[] {
  return [...events].sort((a, b) => eventTime(b) - eventTime(a));
}

export function eventLine(e: CoreV1Event, now: number, opts: { withObject?: boolean } = {}): string {
  const t = eventTime(e);
  const ago = t ? `${age(t, now)} ago` : '?';
  const count = eventCount(e);
  const obj = opts.withObject
    ? ` ${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}${e.involvedObject?.fieldPath ? `[${e.involvedObject.fieldPath}]` : ''}`
    : '';
  return `${ago}  ${e.type ?? 'Normal'}  ${e.reason ?? ''}${count > 1 ? ` (x${count})` : ''}${obj}: ${clip(oneLine(e.message ?? ''), 400)}`;
}

export interface EventQuery {
  namespace?: string;
  name?: string;
  kind?: string;
  uid?: string;
  type?: string;
}

/** Events matching the query, newest first (at most `cap` are read from the API). */
export async function fetchEvents(ctx: ToolContext, q: EventQuery, cap = 2000): Promise<{ events: CoreV1Event[]; capped: boolean }> {
  const sel: string[] = [];
  if (q.name) sel.push(`involvedObject.name=${q.name}`);
  if (q.kind) sel.push(`involvedObject.kind=${q.kind}`);
  if (q.uid) sel.push(`involvedObject.uid=${q.uid}`);
  if (q.type) sel.push(`type=${q.type}`);
  const fieldSelector = sel.length ? sel.join(',') : undefined;
  const events: CoreV1Event[] = [];
  let cont: string | undefined;
  let capped = false;
  do {
    const page = await k8s({ verb: 'list', resource: 'events', namespace: q.namespace }, () =>
      q.namespace
        ? ctx.core.listNamespacedEvent({ namespace: q.namespace, fieldSelector, limit: 500, _continue: cont })
        : ctx.core.listEventForAllNamespaces({ fieldSelector, limit: 500, _continue: cont }),
    );
    events.push(...page.items);
    cont = page.metadata?._continue || undefined;
    if (events.length >= cap && cont) {
      capped = true;
      break;
    }
  } while (cont);
  return { events: sortEvents(events), capped };
}

/** An event as structured data. */
export function eventData(e: CoreV1Event, withNamespace = false): Event {
  const t = eventTime(e);
  const o = e.involvedObject;
  const out: Event = {
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    count: eventCount(e),
    object: o ? `${o.kind ?? '?'}/${o.name ?? '?'}` : undefined,
    namespace: withNamespace ? e.metadata?.namespace : undefined,
    message: clipMiddle(oneLine(e.message ?? ''), 600),
    lastSeen: t ? isoTime(t) : undefined,
  };
  for (const k of Object.keys(out) as Array<keyof Event>) if (out[k] === undefined) delete out[k];
  return out;
}

/** The events part of a describe result: the text section and the same events as data. */
export interface EventsPart {
  lines: string[];
  data: { events: Event[]; eventsTotal: number; eventsError?: string };
}

/** The "Events" section of a describe output; a failure to read events does not fail the describe. */
export async function eventsSection(
  ctx: ToolContext,
  obj: { kind: string; name: string; namespace?: string; uid?: string },
  limit = 10,
): Promise<EventsPart> {
  try {
    const { events } = await fetchEvents(ctx, { namespace: obj.namespace, name: obj.name, kind: obj.kind, uid: obj.uid }, 500);
    if (!events.length) return { lines: ['Events: <none>'], data: { events: [], eventsTotal: 0 } };
    const now = ctx.now();
    const shown = events.slice(0, limit);
    return {
      lines: [`Events (newest first, ${shown.length} of ${events.length}):`, ...shown.map((e) => `  ${eventLine(e, now)}`)],
      data: { events: shown.map((e) => eventData(e)), eventsTotal: events.length },
    };
  } catch (err) {
    const why = describeApiError(err, { verb: 'list', resource: 'events', namespace: obj.namespace });
    return { lines: [`Events: unavailable — ${why}`], data: { events: [], eventsTotal: 0, eventsError: why } };
  }
}

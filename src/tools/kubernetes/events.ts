// Reading and rendering core/v1 Events (which also show events written through events.k8s.io/v1).
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ToolContext } from './context.js';
import { age, clip, oneLine, toMillis } from './format.js';
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

/** The "Events" section of a describe output; a failure to read events does not fail the describe. */
export async function eventsSection(
  ctx: ToolContext,
  obj: { kind: string; name: string; namespace?: string; uid?: string },
  limit = 10,
): Promise<string[]> {
  try {
    const { events } = await fetchEvents(ctx, { namespace: obj.namespace, name: obj.name, kind: obj.kind, uid: obj.uid }, 500);
    if (!events.length) return ['Events: <none>'];
    const now = ctx.now();
    const shown = events.slice(0, limit);
    return [
      `Events (newest first, ${shown.length} of ${events.length}):`,
      ...shown.map((e) => `  ${eventLine(e, now)}`),
    ];
  } catch (err) {
    return [`Events: unavailable — ${describeApiError(err, { verb: 'list', resource: 'events', namespace: obj.namespace })}`];
  }
}

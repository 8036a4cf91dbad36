// get_events: recent events, newest first, optionally for one object.
import { z } from 'zod';
import { GetEventsOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { eventData, fetchEvents, eventCount, eventTime } from '../events.js';
import { age, table } from '../format.js';
import { resolveKind } from '../kinds.js';
import { optionalNamespace } from '../schemas.js';

export const getEvents = defineTool({
  name: 'get_events',
  title: 'Get events',
  description:
    'Recent Kubernetes events, newest first: age, type (Normal/Warning), reason, aggregated count, object and message. ' +
    'Filter by namespace, involved object name/kind and type. Warning events often name the cause (FailedScheduling, BackOff, OOMKilling, FailedMount, Unhealthy).',
  class: 'read',
  inputSchema: {
    namespace: optionalNamespace('Namespace to read events from. Omit for all namespaces (node events live in "default").'),
    involvedObjectName: z.string().min(1).max(253).optional().describe('Only events about the object with this name (e.g. a pod name).'),
    involvedObjectKind: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a Kind, e.g. Pod')
      .optional()
      .describe('Only events about objects of this kind, e.g. Pod, Deployment, ReplicaSet, Node, PersistentVolumeClaim (any case and short names such as po, deploy, no, pvc work too).'),
    type: z.enum(['Normal', 'Warning']).optional().describe('Only events of this type.'),
    limit: z.number().int().min(1).max(200).default(30).describe('How many of the newest events to show (1-200, default 30).'),
  },
  outputSchema: GetEventsOutput,
  example: { namespace: 'shop', involvedObjectName: 'web-7d9f8c6b5-x2x9k' },
  aliases: { name: 'involvedObjectName', objectname: 'involvedObjectName', object: 'involvedObjectName', kind: 'involvedObjectKind', objectkind: 'involvedObjectKind', eventtype: 'type' },
  normalize(args, notes) {
    if (typeof args.involvedObjectKind !== 'string') return undefined;
    // Events name their object's Kind exactly: any spelling of a known kind is read as that Kind.
    const r = resolveKind(args.involvedObjectKind, 'v1');
    if ('error' in r) return `involvedObjectKind: ${r.error}`;
    if (r.kind !== args.involvedObjectKind) notes.push(`involvedObjectKind "${args.involvedObjectKind}" read as ${r.kind}`);
    args.involvedObjectKind = r.kind;
    return undefined;
  },
  async run(a, ctx) {
    const { events, capped } = await fetchEvents(ctx, { namespace: a.namespace, name: a.involvedObjectName, kind: a.involvedObjectKind, type: a.type });
    const scope = [
      a.namespace ? `namespace ${a.namespace}` : 'all namespaces',
      a.involvedObjectKind || a.involvedObjectName ? `object ${a.involvedObjectKind ?? '*'}/${a.involvedObjectName ?? '*'}` : '',
      a.type ? `type ${a.type}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const data = { ...(a.namespace ? { namespace: a.namespace } : {}), events: [] as ReturnType<typeof eventData>[], total: events.length, capped };
    if (!events.length) return { text: `Events (${scope}): <none>`, data };
    const now = ctx.now();
    const shown = events.slice(0, a.limit);
    data.events = shown.map((e) => eventData(e, !a.namespace));
    const rows = shown.map((e) => {
      const t = eventTime(e);
      return [
        t ? age(t, now) : '?',
        e.type ?? '',
        e.reason ?? '',
        String(eventCount(e)),
        `${a.namespace ? '' : `${e.metadata?.namespace ?? ''}/`}${e.involvedObject?.kind ?? '?'}/${e.involvedObject?.name ?? '?'}`,
        e.message ?? '',
      ];
    });
    const head = `Events (${scope}), newest first: ${shown.length} of ${events.length}${capped ? '+ (only the first 2000 were read)' : ''}`;
    return { text: `${head}\n${table(['AGE', 'TYPE', 'REASON', 'COUNT', 'OBJECT', 'MESSAGE'], rows, { maxLast: 400 })}`, data };
  },
});

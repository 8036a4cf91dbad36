// One writer per field of the status. Each writer applies (server-side apply, on the status subresource)
// only the fields it owns, under its own field manager; the API server merges the writers and keeps each
// writer's fields as that writer last applied them, so no writer reads, merges or carries another's:
//
//   alert-agent-controller   everything the investigation writes (phase, steps, conditions, report, ...)
//   alert-agent-notifier     status.notifications (the delivery records)
//   alert-agent-correlation  status.related (written on a primary by the incidents linked to it)
//   alert-agent-tickets      status.tickets (the ticket of each configured tracker, src/tickets)
//   alert-agent-gitops       status.gitChanges (the pull requests of changes proposed in Git, src/gitops)
//
// A field a writer leaves out of its next apply is removed, if no other manager holds it: that is how the
// controller clears attempts, lastError or relatedTo. Each applies with force: it owns its fields, and
// force takes over what an older operator (merge patches, manager "node-fetch") or a person wrote there.
import type { AlertIncident, IncidentStatus } from './types.js';

export const FIELD_MANAGERS = {
  controller: 'alert-agent-controller',
  notifier: 'alert-agent-notifier',
  correlation: 'alert-agent-correlation',
  tickets: 'alert-agent-tickets',
  gitops: 'alert-agent-gitops',
} as const;
export type FieldManager = (typeof FIELD_MANAGERS)[keyof typeof FIELD_MANAGERS];

/** Status fields the controller does not write: each has a writer of its own. */
const OTHERS = new Set<string>(['notifications', 'related', 'tickets', 'gitChanges']);
const OURS = new Set<string>(Object.values(FIELD_MANAGERS));

/** The part of a status the controller owns (everything but the notifier's and correlation's fields). */
export function controllerStatus(s: IncidentStatus | undefined): IncidentStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s ?? {})) if (v !== undefined && !OTHERS.has(k)) out[k] = v;
  return out as IncidentStatus;
}

interface ManagedEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/**
 * The same object with its managedFields cut to what the writers need to know (who holds which top-level
 * status field): the full field sets grow with every step and are read by nobody else.
 */
export function slimManagedFields<T extends AlertIncident>(inc: T): T {
  const mf = (inc.metadata as { managedFields?: ManagedEntry[] }).managedFields;
  if (!mf) return inc;
  const slim = mf
    .filter((e) => e.subresource === 'status')
    .map((e) => ({ manager: e.manager, operation: e.operation, subresource: e.subresource, fieldsV1: { 'f:status': Object.fromEntries(Object.keys((e.fieldsV1?.['f:status'] as object) ?? {}).map((k) => [k, {}])) } }));
  return { ...inc, metadata: { ...inc.metadata, managedFields: slim } };
}

/**
 * Status fields of the controller's part that a manager other than ours holds (an older operator's merge
 * patches, a person's edit): the controller takes them over once (an apply of the status as it is) so
 * that leaving one out later removes it. Empty when there is nothing to take over, or no managedFields.
 */
export function foreignControllerFields(inc: AlertIncident): string[] {
  const mf = (inc.metadata as { managedFields?: ManagedEntry[] }).managedFields ?? [];
  const out = new Set<string>();
  for (const e of mf) {
    if (e.subresource !== 'status' || OURS.has(e.manager ?? '')) continue;
    for (const f of Object.keys((e.fieldsV1?.['f:status'] as object) ?? {})) {
      const field = f.replace(/^f:/, '');
      if (!OTHERS.has(field)) out.add(field);
    }
  }
  return [...out];
}

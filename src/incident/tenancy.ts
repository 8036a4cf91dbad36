// Which namespace an incident speaks for. With INCIDENT_NAMESPACE_MODE=alert a team's incidents live in
// the team's namespace, and the team may patch them; the admission policy (deploy/admission-policy.yaml)
// keeps spec and the alertagent.io/ labels the operator's, and these checks hold the same line in the
// operator itself, for clusters without the policy: an incident whose place and alert disagree is not
// investigated, recalled or routed, and an incident links only to a primary of its own namespace or of
// the operator's.
import type { AlertIncident } from './types.js';

export interface Tenancy {
  mode: 'operator' | 'alert';
  /** The operator's own namespace (where incidents of alerts without a namespace live). */
  operatorNamespace: string;
}

type Placed = Pick<AlertIncident, 'metadata' | 'spec'>;

/**
 * Why the incident's namespace and its alert's `namespace` label disagree, or undefined when they agree.
 * The webhook puts an incident in the alert's namespace, or in the operator's when the alert names none
 * (or a namespace that does not exist): anything else was edited after the webhook wrote it.
 */
export function namespaceMismatch(inc: Placed, t: Tenancy): string | undefined {
  if (t.mode !== 'alert') return undefined;
  const where = inc.metadata.namespace;
  if (where === t.operatorNamespace) return undefined;
  const alertNamespace = inc.spec.labels.namespace;
  if (alertNamespace === where) return undefined;
  return `the incident lives in namespace ${where} but its alert names ${alertNamespace ? `namespace ${alertNamespace}` : 'no namespace'}; only an incident's own namespace is investigated`;
}

/** May `inc` be linked to `primary` (and so end with the primary's report, and be listed in its status)? */
export function mayLinkTo(inc: Pick<AlertIncident, 'metadata'>, primary: Pick<AlertIncident, 'metadata'>, t: Tenancy): boolean {
  if (t.mode !== 'alert') return true;
  const p = primary.metadata.namespace;
  return p === inc.metadata.namespace || p === t.operatorNamespace;
}

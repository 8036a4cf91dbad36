// What the list page shows of every incident, kept current by the shared informer (src/operator/ subscribes
// it on every replica, leader or not) and pushed to the pages through server-sent events.
// Only the `kubectl get` columns are kept: the incident page reads the whole object from the API server.
import { AlertIncident } from '../incident/types.js';

export interface Row {
  namespace: string;
  name: string;
  alertname: string;
  severity: string;
  alertNamespace: string;
  /** Many clusters: the alert's cluster (spec.cluster); '' for a single-cluster operator. */
  cluster: string;
  phase: string;
  outcome: string;
  summary: string;
  created: string;
  fingerprint: string;
  /** Waiting for a person: the step index that would be approved. */
  awaitingStep?: number;
}

export type FeedEvent = { type: 'upsert'; row: Row } | { type: 'delete'; namespace: string; name: string };

export function toRow(inc: AlertIncident): Row {
  const last = inc.status?.steps?.at(-1);
  return {
    namespace: inc.metadata.namespace,
    name: inc.metadata.name,
    alertname: inc.spec.alertname,
    severity: inc.spec.severity ?? inc.spec.labels.severity ?? '',
    alertNamespace: inc.spec.labels.namespace ?? '',
    cluster: inc.spec.cluster ?? '',
    phase: inc.status?.phase ?? 'Pending',
    outcome: inc.status?.outcome ?? '',
    summary: inc.status?.summary ?? '',
    created: inc.metadata.creationTimestamp ?? '',
    fingerprint: inc.spec.fingerprint,
    awaitingStep: inc.status?.phase === 'AwaitingApproval' && last?.state === 'AwaitingApproval' ? last.index : undefined,
  };
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class IncidentFeed {
  private readonly rows = new Map<string, { row: Row; sync: number }>();
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  private sync = 0;
  synced = false;

  /** A watch event (ADDED / MODIFIED / DELETED) or a listed object (ADDED), not yet checked. */
  apply(type: string, obj: unknown): void {
    const parsed = AlertIncident.safeParse(obj);
    if (parsed.success) this.onEvent(type, parsed.data);
  }

  /** An informer event: the incident already checked. */
  onEvent(type: string, inc: AlertIncident): void {
    const k = key(inc.metadata.namespace, inc.metadata.name);
    if (type === 'DELETED') {
      if (this.rows.delete(k)) this.emit({ type: 'delete', namespace: inc.metadata.namespace, name: inc.metadata.name });
      return;
    }
    const row = toRow(inc);
    const before = this.rows.get(k)?.row;
    this.rows.set(k, { row, sync: this.sync });
    if (!before || JSON.stringify(before) !== JSON.stringify(row)) this.emit({ type: 'upsert', row });
  }

  /** After a complete list: what the list did not return is gone. */
  listed(): void {
    for (const [k, v] of this.rows) {
      if (v.sync < this.sync) {
        this.rows.delete(k);
        this.emit({ type: 'delete', namespace: v.row.namespace, name: v.row.name });
      }
    }
    this.sync++;
    this.synced = true;
  }

  all(): Row[] {
    return [...this.rows.values()].map((v) => v.row).sort((a, b) => b.created.localeCompare(a.created) || a.name.localeCompare(b.name));
  }

  namespaces(): Set<string> {
    return new Set([...this.rows.values()].map((v) => v.row.namespace));
  }

  subscribe(fn: (e: FeedEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: FeedEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        /* one page's failure is not the feed's */
      }
    }
  }
}

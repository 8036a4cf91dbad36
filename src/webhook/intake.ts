// Alert → AlertIncident, idempotently. The name is derived from the alert, so a retried notification, a
// repeat, or the same alert from two AlertManager replicas at once all land on one object: create
// first, and on 409 AlreadyExists update the existing one with an optimistic-concurrency patch.
import { API_VERSION, KIND, type AlertIncident, type IncidentSpec } from '../incident/types.js';
import { fingerprintOf, incidentName } from '../incident/naming.js';
import { IncidentStore, isConflict, isNotFound, statusCode } from '../incident/store.js';
import { SHARD_LABEL, shardKeyOf, shardOf, type ShardBy } from '../incident/shard.js';
import { alertIdentity, clusterKeyOf, correlationLabels } from '../incident/identity.js';
import type { WebhookAlert, WebhookPayload } from './payload.js';
import { retryOnConflict } from '../util/retry.js';

export type StoreResult = 'created' | 'updated';

export interface IntakeOptions {
  /** The operator's namespace: incidents go here unless namespaceMode is `alert`. */
  namespace: string;
  namespaceMode: 'operator' | 'alert';
  /** How many alerts of one payload are written at once. */
  concurrency?: number;
  /** SHARD_COUNT: above 1, a new incident is labelled alertagent.io/shard from its fingerprint's hash. */
  shardCount?: number;
  /** SHARD_BY: hash the fingerprint (default) or the incident's cluster, so that one shard takes a whole cluster. */
  shardBy?: ShardBy;
  /** Many clusters (CLUSTERS_ENABLED): how an alert's cluster is told; unset: no spec.cluster, as before. */
  clusters?: ClusterOfAlert;
}

export interface ClusterOfAlert {
  /** CLUSTER_LABEL */
  label: string;
  /** LOCAL_CLUSTER_NAME */
  local: string;
  /** UNLABELLED_ALERTS_CLUSTER: the cluster of an alert without the label (default: the local one); `none`: no cluster. */
  unlabelled?: string;
}

/** The cluster an alert belongs to; '' when it has no cluster label and unlabelled alerts belong to none. */
export function clusterOfAlert(labels: Record<string, string>, c: ClusterOfAlert): string {
  const named = labels[c.label]?.trim();
  if (named) return named;
  const fallback = c.unlabelled ?? c.local;
  return fallback === 'none' ? '' : fallback;
}

/** The API server refused the object itself (422): retrying the same alert can never succeed. */
export class UnstorableAlertError extends Error {}

const MAX_CONFLICT_RETRIES = 8;
// AlertManager's "zero" endsAt for an alert that is still firing.
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function specFromAlert(alert: WebhookAlert, payload: WebhookPayload, now: string): IncidentSpec {
  const endsAt = alert.endsAt && !alert.endsAt.startsWith('0001-01-01') ? alert.endsAt : undefined;
  return {
    alertname: alert.labels.alertname ?? 'UnnamedAlert',
    severity: alert.labels.severity,
    fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.status === 'resolved' ? endsAt : undefined,
    generatorURL: alert.generatorURL,
    receiver: payload.receiver,
    groupKey: payload.groupKey,
    externalURL: payload.externalURL,
    notifications: { count: 1, firstReceivedAt: now, lastReceivedAt: now },
  };
}

export class AlertIntake {
  constructor(
    private readonly store: IncidentStore,
    private readonly opts: IntakeOptions,
  ) {}

  /** Many clusters: whether alerts are told apart by cluster (the webhook's per-cluster path exists only then). */
  get clustered(): boolean {
    return !!this.opts.clusters;
  }

  /** The first alert of the payload whose cluster label names another cluster than `cluster` (a token's): refused whole. */
  foreignAlert(payload: WebhookPayload, cluster: string): { index: number; cluster: string } | undefined {
    const label = this.opts.clusters?.label;
    if (!label) return undefined;
    for (const [index, alert] of payload.alerts.entries()) {
      const named = alert.labels[label]?.trim();
      if (named && named !== cluster) return { index, cluster: named };
    }
    return undefined;
  }

  /**
   * Stores every alert of the payload; resolves only when all are stored, rejects on the first failure.
   * `sourceCluster`: the cluster of the sender (a per-cluster webhook path), for alerts without the label.
   */
  async ingest(payload: WebhookPayload, sourceCluster?: string): Promise<StoreResult[]> {
    const now = new Date().toISOString();
    const results: StoreResult[] = new Array(payload.alerts.length);
    let next = 0;
    const worker = async () => {
      while (next < payload.alerts.length) {
        const i = next++;
        results[i] = await this.storeAlert(specFromAlert(payload.alerts[i], payload, now), sourceCluster);
      }
    };
    const n = Math.min(this.opts.concurrency ?? 16, payload.alerts.length);
    await Promise.all(Array.from({ length: n }, worker));
    return results;
  }

  /** Many clusters: the cluster of an alert with these labels (its label, else the sender's, else the default); off: undefined. */
  clusterOf(labels: Record<string, string>, sourceCluster?: string): string | undefined {
    const clusters = this.opts.clusters;
    return clusters ? clusterOfAlert(labels, sourceCluster ? { ...clusters, unlabelled: sourceCluster } : clusters) : undefined;
  }

  async storeAlert(spec: IncidentSpec, sourceCluster?: string): Promise<StoreResult> {
    if (this.opts.clusters) spec = { ...spec, cluster: this.clusterOf(spec.labels, sourceCluster) };
    const name = incidentName(spec.alertname, spec.fingerprint, spec.startsAt, clusterKeyOf(spec, this.opts.clusters?.local));
    const alertNs = spec.labels.namespace;
    if (this.opts.namespaceMode === 'alert' && alertNs && alertNs !== this.opts.namespace) {
      try {
        return await this.upsert(alertNs, name, spec);
      } catch (err) {
        // The alert names a namespace that does not exist (or is being deleted): keep it in ours.
        if (!isNotFound(err) && statusCode(err) !== 403) throw err;
      }
    }
    return this.upsert(this.opts.namespace, name, spec);
  }

  private async upsert(namespace: string, name: string, spec: IncidentSpec): Promise<StoreResult> {
    // Most alerts are new: try the create first, so a new alert costs one request. A conflict (created
    // first by someone else, or written between our read and our patch) reads again and reapplies; a 404
    // (deleted in between by retention) creates again.
    let existing: AlertIncident | undefined;
    // A 404 to the patch (or between the create's 409 and the read) is the incident deleted in between;
    // a 404 to the create is the namespace missing, for the caller.
    let deletedInBetween = false;
    const retriable = (err: unknown) => isConflict(err) || (deletedInBetween && isNotFound(err));
    try {
      return await retryOnConflict(
        async (attempt): Promise<StoreResult> => {
          if (attempt > 1 && existing) existing = await this.store.get(namespace, name);
          if (!existing) {
            // The shard is set at create time only: a later notification never moves an incident. The
            // correlation labels come with the create too (one request, and visible to the next alert at once).
            const shardCount = this.opts.shardCount ?? 1;
            const labels: Record<string, string> = correlationLabels(spec, alertIdentity(spec.alertname, spec.labels, clusterKeyOf(spec, this.opts.clusters?.local)));
            if (shardCount > 1) labels[SHARD_LABEL] = String(shardOf(shardKeyOf(spec, this.opts.shardBy ?? 'fingerprint'), shardCount));
            const incident: AlertIncident = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace, ...(Object.keys(labels).length && { labels }) }, spec };
            deletedInBetween = false;
            try {
              await this.store.insert(incident);
              return 'created';
            } catch (err) {
              if (statusCode(err) === 422) throw new UnstorableAlertError(String((err as Error).message));
              if (!isConflict(err)) throw err;
            }
            existing = await this.store.get(namespace, name);
            deletedInBetween = true;
            if (!existing) throw Object.assign(new Error(`${namespace}/${name} was deleted in between`), { code: 404 });
          }
          deletedInBetween = true;
          try {
            await this.store.patchSpec(namespace, name, existing.metadata.resourceVersion!, mergeNotification(existing.spec, spec));
            return 'updated';
          } catch (err) {
            if (statusCode(err) === 422) throw new UnstorableAlertError(String((err as Error).message));
            throw err;
          }
        },
        { attempts: MAX_CONFLICT_RETRIES, retriable },
      );
    } catch (err) {
      if (retriable(err)) throw new Error(`gave up storing ${namespace}/${name} after ${MAX_CONFLICT_RETRIES} conflicting writes`);
      throw err;
    }
  }
}

/** What a later notification changes on an existing incident. */
export function mergeNotification(current: IncidentSpec, incoming: IncidentSpec): Partial<IncidentSpec> {
  const now = incoming.notifications?.lastReceivedAt ?? new Date().toISOString();
  const patch: Partial<IncidentSpec> = {
    notifications: {
      count: (current.notifications?.count ?? 1) + 1,
      firstReceivedAt: current.notifications?.firstReceivedAt ?? now,
      lastReceivedAt: now,
    },
    annotations: incoming.annotations,
  };
  // Resolved is final for one firing (same startsAt): a late "firing" from an HA peer does not undo it.
  if (incoming.status === 'resolved' && current.status !== 'resolved') {
    patch.status = 'resolved';
    patch.endsAt = incoming.endsAt ?? now;
  }
  return patch;
}

export { ZERO_TIME };

// What every part of the operator runs on: the Kubernetes client, the one informer of AlertIncidents and
// the manager of runnables with its Lease (src/operator.ts builds them first, in this order).
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config.js';
import { FINISHED_SELECTOR, UNFINISHED_SELECTOR } from '../controller/reconciler.js';
import { IncidentStore } from '../incident/store.js';
import { slimManagedFields } from '../incident/owners.js';
import { andSelectors, shardLeaseName, shardSelector } from '../incident/shard.js';
import { AlertIncident, GROUP, PLURAL, VERSION } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { ClusterRegistry } from '../clusters/registry.js';
import { Informer } from '../runtime/informer.js';
import { shareKeepAliveAgent } from '../runtime/keepAlive.js';
import { Manager } from '../runtime/manager.js';

/** The client every part shares: its KubeConfig (keep-alive), the metrics, and the AlertIncident store. */
export interface Clients {
  kc: KubeConfig;
  metrics: Metrics;
  store: IncidentStore;
}

/** `metricsByCluster`: many clusters on, the incidents' metrics carry a `cluster` label (observability/metrics.ts). */
export function buildClients(kubeConfig: KubeConfig | undefined, onKubeRequest?: (method: string, url: string) => void, metricsByCluster = false): Clients {
  const kc = shareKeepAliveAgent(kubeConfig ?? defaultKubeConfig());
  const metrics = createMetrics({ byCluster: metricsByCluster });
  const store = new IncidentStore(kc, (method, url) => {
    metrics.kubeRequests.inc({ method });
    onKubeRequest?.(method, url);
  });
  return { kc, metrics, store };
}

/** Where incidents are watched and which of them each consumer reads. */
export interface Selection {
  /** The operator's namespace, or every namespace when incidents live beside their alerts. */
  watchNamespace?: string;
  /** Every incident of this replica's shard (src/incident/shard.ts), finished ones too. */
  shard?: string;
  /** The controller's: the unfinished incidents of the shard. */
  controller?: string;
  /** Learning from people: the finished incidents of the shard. */
  finished?: string;
}

export function selectionOf(config: Config): Selection {
  const shard = shardSelector(config.SHARD, config.SHARD_COUNT);
  return {
    watchNamespace: config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE,
    shard,
    controller: andSelectors(UNFINISHED_SELECTOR, shard),
    finished: andSelectors(FINISHED_SELECTOR, shard),
  };
}

/**
 * One informer of AlertIncidents for the whole process; its selection is the union of what runs here
 * needs. The controller: the unfinished incidents of its shard (src/incident/shard.ts); the notifier:
 * every incident of its shard, finished ones too; the web view: every incident, on every replica. Each
 * subscribes with its own selector, matched in the informer. Whole objects are kept within a budget
 * (2 MiB of JSON, more with more than 16 workers): those a step, a delivery or a lookup reads next.
 * Undefined when nothing here reads incidents (only the webhook runs).
 */
export function incidentInformer(config: Config, log: Logger, c: Clients, selection: Selection, runController: boolean): Informer<AlertIncident> | undefined {
  if (!runController && !config.WEB_ENABLED) return undefined;
  const { kc, metrics, store } = c;
  return new Informer<AlertIncident>({
    resource: PLURAL,
    apiPath: `/apis/${GROUP}/${VERSION}`,
    plural: PLURAL,
    namespace: selection.watchNamespace,
    // Finished incidents of the shard too: the controller records what people say of them afterwards (feedback).
    labelSelector: config.WEB_ENABLED ? undefined : runController ? selection.shard : selection.controller,
    list: (q) => store.list(q),
    parse: (raw) => {
      const parsed = AlertIncident.safeParse(raw);
      if (parsed.success) return slimManagedFields(parsed.data);
      const meta = (raw as { metadata?: { namespace?: string; name?: string } })?.metadata;
      log.warn('ignoring an AlertIncident that does not match the schema', { incident: meta?.name, namespace: meta?.namespace, error: parsed.error.issues[0]?.message });
      return undefined;
    },
    kc,
    log,
    maxBytes: Math.max(2, config.MAX_CONCURRENT_INVESTIGATIONS / 8) * 1024 * 1024,
    onLifecycle: (e) => metrics.watchEvents.inc({ event: e }),
    registry: metrics.registry,
  });
}

/**
 * What runs: every replica serves the webhook (and the web view); only the lease holder of the shard
 * reconciles, notifies and sweeps.
 */
export function runnableManager(config: Config, log: Logger, c: Clients, runController: boolean, onLeadershipLost?: () => void): Manager {
  const { kc, metrics } = c;
  return new Manager({
    log,
    election:
      runController && config.LEADER_ELECTION
        ? {
            kc,
            namespace: config.NAMESPACE,
            name: shardLeaseName(config.LEADER_ELECTION_ID, config.SHARD, config.SHARD_COUNT),
            identity: config.POD_NAME ?? `${hostname()}-${process.pid}`,
            leaseDurationMs: config.LEADER_ELECTION_LEASE_DURATION,
            renewDeadlineMs: config.LEADER_ELECTION_RENEW_DEADLINE,
            retryPeriodMs: config.LEADER_ELECTION_RETRY_PERIOD,
          }
        : undefined,
    onLeading: (leading) => metrics.isLeader.set(leading ? 1 : 0),
    onLeadershipLost: () => onLeadershipLost?.(),
  });
}

/**
 * The first runnables, in order (runtime/manager.ts): the informer, then who reads it. The informer runs on
 * every replica when the web view reads it; the clusters' Secrets are watched on every replica too: the
 * webhook (every replica) tells a cluster's AlertManager by its token, the leader reaches the clusters.
 */
export function addWatches(mgr: Manager, config: Config, informer: Informer<AlertIncident> | undefined, clusters: ClusterRegistry | undefined): void {
  if (informer) mgr.add({ name: 'informer', start: () => informer.start(), stop: () => informer.stop() }, { leaderOnly: !config.WEB_ENABLED });
  if (clusters) mgr.add({ name: 'clusters', start: () => clusters.start(), stop: () => clusters.stop() }, { leaderOnly: false });
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

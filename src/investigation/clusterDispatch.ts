// Many clusters: each incident is investigated by the engine of its own cluster (spec.cluster). Every
// engine's tools, reads, dry runs and verifications are built on that cluster's credentials alone and
// take no cluster argument, so nothing the model or the analyzer asks for can reach another cluster.
//
// Before each step of another cluster's incident:
//   - a cluster with no credentials ends the incident at once (UnknownCluster), nothing called anywhere;
//   - a cluster whose API server does not answer makes the incident wait (ClusterUnreachable) and retry
//     with backoff, while the incidents of other clusters go on;
//   - a cluster with its share of steps in flight (CLUSTER_MAX_CONCURRENT_INVESTIGATIONS) lets the
//     incident wait a moment, so one slow cluster cannot hold every worker.
// The engine of a cluster is built on first use and again when its credentials change (rotation).
import type { ClusterAccess, ClusterPolicy } from '../clusters/credentials.js';
import type { Clusters } from '../clusters/registry.js';
import type { AlertIncident, IncidentStatus } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import type { PolicyConfig } from '../policy/policy.js';
import type { Advance, Write } from './engine.js';
import { composeReport } from './report.js';

export interface ClusterEngine {
  advance(inc: AlertIncident): Promise<Advance>;
  /** What people said of a finished incident (the engine's learn). */
  learn?(inc: AlertIncident): Promise<Advance>;
  /** Closes what the engine opened (its MCP connections). */
  close(): Promise<void>;
}

export interface ClusterDispatchOptions {
  /** LOCAL_CLUSTER_NAME: its incidents (and those without spec.cluster) go to `localEngine`. */
  local: string;
  localEngine: Pick<ClusterEngine, 'advance' | 'learn'>;
  clusters: Clusters;
  /** Builds the engine of another cluster on its credentials. */
  build(access: ClusterAccess): Promise<ClusterEngine>;
  /** Steps of one cluster in flight at once. */
  maxConcurrentPerCluster: number;
  log: Logger;
  /** CLUSTER_LABEL, for the message of an incident of an unknown cluster. */
  clusterLabel?: string;
  onProbe?: (cluster: string, reachable: boolean) => void;
  now?: () => Date;
}

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 120_000;
const BUSY_RETRY_MS = 1_000;

export class ClusterDispatch {
  private readonly engines = new Map<string, { version: string; engine: Promise<ClusterEngine> }>();
  private readonly inFlight = new Map<string, number>();
  /** Failed probes in a row per incident: the backoff of its wait. */
  private readonly waits = new Map<string, number>();

  constructor(private readonly o: ClusterDispatchOptions) {}

  async advance(inc: AlertIncident): Promise<Advance> {
    const cluster = inc.spec.cluster;
    if (cluster === undefined || cluster === this.o.local) return this.o.localEngine.advance(inc);
    const access = cluster ? this.o.clusters.get(cluster) : undefined;
    if (!access) {
      // The Secrets not yet listed: this cluster may well be known in a moment.
      if (!this.o.clusters.synced) return { kind: 'noop', requeueAfterMs: BUSY_RETRY_MS };
      return this.unknown(inc);
    }
    const key = `${inc.metadata.namespace}/${inc.metadata.name}`;
    // The share is taken before the probe too: a cluster whose API server hangs holds at most its share
    // of the workers while the probe waits for its timeout.
    const running = this.inFlight.get(cluster) ?? 0;
    if (running >= this.o.maxConcurrentPerCluster) return { kind: 'noop', requeueAfterMs: BUSY_RETRY_MS };
    this.inFlight.set(cluster, running + 1);
    try {
      try {
        await this.o.clusters.probe(access);
        this.o.onProbe?.(cluster, true);
      } catch (err) {
        this.o.onProbe?.(cluster, false);
        return this.unreachable(inc, key, (err as Error).message);
      }
      this.waits.delete(key);
      const engine = await this.engineOf(access);
      return cleared(await engine.advance(inc));
    } finally {
      this.inFlight.set(cluster, (this.inFlight.get(cluster) ?? 1) - 1);
    }
  }

  /** Feedback on a finished incident: recorded by the engine of its cluster (its history keys are that cluster's). */
  async learn(inc: AlertIncident): Promise<Advance> {
    const cluster = inc.spec.cluster;
    if (cluster === undefined || cluster === this.o.local) return (await this.o.localEngine.learn?.(inc)) ?? { kind: 'noop' };
    const access = cluster ? this.o.clusters.get(cluster) : undefined;
    if (!access) return { kind: 'noop' };
    return (await (await this.engineOf(access)).learn?.(inc)) ?? { kind: 'noop' };
  }

  async close(): Promise<void> {
    const all = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(all.map(async (e) => (await e.engine.catch(() => undefined))?.close()));
  }

  private engineOf(access: ClusterAccess): Promise<ClusterEngine> {
    const held = this.engines.get(access.name);
    if (held && held.version === access.version) return held.engine;
    // New credentials: the old engine's connections go, the new one is built on the new KubeConfig.
    if (held) void held.engine.then((e) => e.close()).catch(() => undefined);
    const engine = this.o.build(access);
    this.engines.set(access.name, { version: access.version, engine });
    engine.catch((err) => {
      this.o.log.warn('the tools of a cluster could not be started', { cluster: access.name, error: (err as Error).message });
      if (this.engines.get(access.name)?.engine === engine) this.engines.delete(access.name);
    });
    return engine;
  }

  /** No credentials for the incident's cluster: it ends, saying which cluster and how to add it. */
  private unknown(inc: AlertIncident): Advance {
    const now = (this.o.now?.() ?? new Date()).toISOString();
    const cluster = inc.spec.cluster ?? '';
    const known = this.o.clusters.names().join(', ');
    const label = this.o.clusterLabel ?? 'cluster';
    const message = cluster
      ? `the alert came from cluster "${cluster}", for which the operator holds no credentials (known: ${known}); nothing was investigated`
      : `the alert carries no "${label}" label and UNLABELLED_ALERTS_CLUSTER names no cluster (known: ${known}); nothing was investigated`;
    const howTo = cluster
      ? `Add cluster "${cluster}": a Secret in the operator's namespace that CLUSTER_SECRET_SELECTOR selects, with its kubeconfig (Cluster API \`${cluster}-kubeconfig\`, key \`value\`; an Argo CD cluster Secret; or key \`kubeconfig\` and label \`alertagent.io/cluster: ${cluster}\`); see README "Many clusters". Then annotate this incident \`alertagent.io/reconcile-requested-at\` or wait for the alert's next firing.`
      : `Label the alert with its cluster ("${label}", e.g. an external label of its Prometheus), or set UNLABELLED_ALERTS_CLUSTER.`;
    const status: IncidentStatus = {
      ...(inc.status ?? {}),
      phase: 'Reported',
      outcome: 'NeedsManualIntervention',
      summary: `Not investigated: ${cluster ? `unknown cluster ${cluster}` : 'the alert names no cluster'}`,
      rootCause: undefined,
      startedAt: inc.status?.startedAt ?? now,
      completedAt: now,
      clusterProblem: { reason: 'UnknownCluster', message },
    };
    status.report = composeReport(inc, [], `${message}.\n\n${howTo}`, 'NeedsManualIntervention', message, now);
    return { kind: 'write', status, events: [{ type: 'Warning', reason: 'UnknownCluster', message }] };
  }

  /** The cluster's API server did not answer: the incident waits and tries again, the others go on. */
  private unreachable(inc: AlertIncident, key: string, why: string): Advance {
    const failures = (this.waits.get(key) ?? 0) + 1;
    // Bounded: an incident deleted while it waited leaves its count behind; the backoffs start over.
    if (this.waits.size >= 10_000) this.waits.clear();
    this.waits.set(key, failures);
    const retryMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failures - 1));
    const message = `cluster ${inc.spec.cluster}: ${why}; the investigation waits and tries again`.slice(0, 1000);
    const had = inc.status?.clusterProblem;
    // Written once when the wait starts (and when its reason changes); each retry after is a requeue only.
    if (had?.reason === 'ClusterUnreachable' && had.message === message) return { kind: 'noop', requeueAfterMs: retryMs };
    return {
      kind: 'write',
      status: { ...(inc.status ?? {}), phase: inc.status?.phase ?? 'Pending', clusterProblem: { reason: 'ClusterUnreachable', message } },
      events: [{ type: 'Warning', reason: 'ClusterUnreachable', message }],
      requeueAfterMs: retryMs,
    };
  }
}

/** A step of a reachable cluster: any wait the incident was in is over (the field is dropped, so cleared). */
function cleared(adv: Advance): Advance {
  if (adv.kind !== 'write') return adv;
  const clear = (w: Write): Write => ({
    ...w,
    status: { ...w.status, clusterProblem: undefined },
    ...(w.afterWrite && { afterWrite: async () => clear(await w.afterWrite!()) }),
  });
  return { kind: 'write', ...clear(adv) };
}

const STRICTNESS = { observe: 0, approve: 1, auto: 2 } as const;

/**
 * A cluster's policy: the global one, made stricter by its Secret's annotations, never looser (a cluster
 * may be observe-only, or allow fewer namespaces or tools; it cannot allow what the operator's policy does not).
 */
export function clusterPolicy(base: PolicyConfig, p: ClusterPolicy | undefined): PolicyConfig {
  if (!p) return base;
  const mode = p.mode && STRICTNESS[p.mode] < STRICTNESS[base.mode] ? p.mode : base.mode;
  const narrow = (global: string[], cluster: string[] | undefined) => (cluster === undefined ? global : global.length ? cluster.filter((x) => global.includes(x)) : cluster);
  const allowedNamespaces = narrow(base.allowedNamespaces, p.allowedNamespaces);
  // A cluster that names namespaces none of which the global policy allows may act in none: observe.
  const none = p.allowedNamespaces !== undefined && p.allowedNamespaces.length > 0 && allowedNamespaces.length === 0;
  // Tools `auto` runs without a person: an empty global list is none, so a cluster's list only narrows it.
  const allowedTools = p.allowedTools === undefined ? base.allowedTools : p.allowedTools.filter((t) => base.allowedTools.includes(t));
  return { ...base, mode: none ? 'observe' : mode, allowedNamespaces, allowedTools };
}

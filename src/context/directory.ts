// The engine's view of other incidents (IncidentDirectory), on the shared informer's cache where it holds
// the answer, else on the IncidentStore: lookups by label selector, single reads, label patches, and the
// one write to another incident's status: a finished primary's `related` list, correlation's own field
// (server-side apply as alert-agent-correlation, incident/owners.ts). Several linked incidents may add
// themselves to one primary at once: each write is conditional on the version it read (one retry on
// conflict, runtime/retry.ts), so none undoes another.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGERS } from '../incident/owners.js';
import { isNotFound, type IncidentStore } from '../incident/store.js';
import { LIMITS } from '../incident/limits.js';
import type { AlertIncident, RelatedIncident } from '../incident/types.js';
import type { IncidentDirectory } from '../incident/contracts.js';
import type { Informer } from '../runtime/informer.js';
import { isConflictError, retryOnConflict } from '../util/retry.js';

const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export class StoreDirectory implements IncidentDirectory {
  private readonly core: CoreV1Api;
  /** The last `related` write per primary, in order. */
  private readonly adding = new Map<string, Promise<void>>();

  constructor(
    private readonly store: IncidentStore,
    kc: KubeConfig,
    /** The namespace the operator's incidents live in; undefined: all (INCIDENT_NAMESPACE_MODE=alert). */
    private readonly namespace: string | undefined,
    /** The process's informer of AlertIncidents, when one runs. */
    private readonly informer?: Informer<AlertIncident>,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async find(labelSelector: string, limit: number) {
    // The cache answers when its selection holds every incident the selector can match (the web view's
    // informer holds all of them); the controller's alone (unfinished only) does not: then a list.
    if (this.informer?.covers(labelSelector, this.namespace)) {
      return this.informer
        .find(labelSelector, this.namespace)
        .sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1))
        .slice(0, limit)
        .map((e) => ({ namespace: e.namespace, name: e.name, creationTimestamp: e.creationTimestamp, labels: e.labels }));
    }
    const page = await this.store.listMetadata({ namespace: this.namespace, labelSelector, limit });
    return page.items.map(({ metadata: m }) => ({ namespace: m.namespace, name: m.name, creationTimestamp: m.creationTimestamp, labels: (m as { labels?: Record<string, string> }).labels }));
  }

  async get(namespace: string, name: string, fresh = false): Promise<AlertIncident | undefined> {
    const cached = fresh ? undefined : this.informer?.get(namespace, name);
    if (cached) return cached;
    const inc = await this.store.get(namespace, name);
    if (inc) this.informer?.observed(inc);
    return inc;
  }

  async setLabels(namespace: string, name: string, labels: Record<string, string | null>): Promise<AlertIncident> {
    const inc = await this.store.patchMetadata(namespace, name, { labels });
    this.informer?.observed(inc);
    return inc;
  }

  async addRelated(namespace: string, name: string, entry: RelatedIncident): Promise<void> {
    // The incidents of this process linked to one primary add themselves one at a time (a node incident's
    // pods end together): each write then starts from the one before instead of losing a race to it.
    const key = `${namespace}/${name}`;
    const next = (this.adding.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.add(namespace, name, entry));
    this.adding.set(key, next);
    void next.finally(() => this.adding.get(key) === next && this.adding.delete(key)).catch(() => undefined);
    return next;
  }

  private async add(namespace: string, name: string, entry: RelatedIncident): Promise<void> {
    try {
      await retryOnConflict(
        async (attempt) => {
          // The first attempt may start from the cache; after a conflict, from the API server.
          const p = await this.get(namespace, name, attempt > 1);
          if (!p) return;
          const related = p.status?.related ?? [];
          if (related.some((r) => r.name === entry.name && r.namespace === entry.namespace) || related.length >= LIMITS.related) return;
          // Conditional on the version read: another shard's incident may add itself to the same primary.
          const updated = await this.store.applyStatus(namespace, name, { related: [...related, entry] }, { fieldManager: FIELD_MANAGERS.correlation, resourceVersion: p.metadata.resourceVersion });
          this.informer?.observed(updated);
        },
        { attempts: 10 },
      );
    } catch (err) {
      // Gone, or it kept changing under us ten times: the pointer is a courtesy, the link holds without it.
      if (!isNotFound(err) && !isConflictError(err)) throw err;
    }
  }

  async nodeOfPod(namespace: string, pod: string): Promise<{ node: string; healthy: boolean } | undefined> {
    let node: string | undefined;
    try {
      node = (await this.core.readNamespacedPod({ name: pod, namespace })).spec?.nodeName;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!node) return undefined;
    try {
      const n = await this.core.readNode({ name: node });
      const conds = n.status?.conditions ?? [];
      const healthy = conds.some((c) => c.type === 'Ready' && c.status === 'True') && !conds.some((c) => PRESSURE.has(c.type) && c.status === 'True');
      return { node, healthy };
    } catch {
      return { node, healthy: true };
    }
  }
}

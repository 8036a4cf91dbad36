// The engine's view of other incidents (IncidentDirectory), on the IncidentStore and the operator's
// client: metadata lists by label selector, single reads, label patches, and the one write to another
// incident's status: a finished primary's `related` list.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isConflict, isNotFound, type IncidentStore } from '../incident/store.js';
import { LIMITS } from '../incident/limits.js';
import type { AlertIncident, RelatedIncident } from '../incident/types.js';
import type { IncidentDirectory } from '../investigation/types.js';

const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']);

export class StoreDirectory implements IncidentDirectory {
  private readonly core: CoreV1Api;

  constructor(
    private readonly store: IncidentStore,
    kc: KubeConfig,
    /** The namespace the operator's incidents live in; undefined: all (INCIDENT_NAMESPACE_MODE=alert). */
    private readonly namespace: string | undefined,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async find(labelSelector: string, limit: number) {
    const page = await this.store.listMetadata({ namespace: this.namespace, labelSelector, limit });
    return page.items.map(({ metadata: m }) => ({ namespace: m.namespace, name: m.name, creationTimestamp: m.creationTimestamp, labels: (m as { labels?: Record<string, string> }).labels }));
  }

  get(namespace: string, name: string): Promise<AlertIncident | undefined> {
    return this.store.get(namespace, name);
  }

  async setLabels(namespace: string, name: string, labels: Record<string, string | null>): Promise<AlertIncident> {
    return this.store.patchMetadata(namespace, name, { labels });
  }

  async addRelated(namespace: string, name: string, entry: RelatedIncident): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const p = await this.store.get(namespace, name);
      if (!p) return;
      const related = p.status?.related ?? [];
      if (related.some((r) => r.name === entry.name && r.namespace === entry.namespace) || related.length >= LIMITS.related) return;
      try {
        // Only the `related` field, conditional on the version read: the notifier's writes and ours never undo each other.
        await this.store.patchStatus(namespace, name, p.metadata.resourceVersion!, { related: [...related, entry] });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
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

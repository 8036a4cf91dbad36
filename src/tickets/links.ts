// Which ticket each alert identity has, per tracker, in one ConfigMap of the operator's namespace
// (TICKETS_CONFIGMAP), so that a refire weeks later finds its ticket after retention deleted every
// incident that spoke of it. Data key `<tracker>.<identity hash>`, value a small JSON link. Writes are
// read-modify-write on the resourceVersion read (a 409 reads again), so replicas and shards never undo
// each other's links. RBAC: get/update on that one name, create on configmaps, in its namespace.
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { retryOnConflict } from '../util/retry.js';
import { keepNewest } from '../util/boundedData.js';

export interface TicketLink {
  /** Absent while a create is under way (`creating` set): the ticket may exist without its key here. */
  key?: string;
  url?: string;
  open?: boolean;
  /** The incident (namespace/name) that acted on the ticket last: only it closes the ticket on resolve. */
  incident: string;
  /** When a create began whose answer is not recorded yet (restart safety: search before creating again). */
  creating?: string;
  time: string;
}

/** Given the stored link, the link to store, or undefined to leave it as it is. */
export type LinkChange = (current: TicketLink | undefined) => TicketLink | undefined;

export interface TicketLinks {
  get(tracker: string, hash: string): Promise<TicketLink | undefined>;
  /**
   * Applies `change` to the link as stored at the write (conditional on what it read: a concurrent writer
   * makes it read and decide again). Resolves to the link written, or undefined when `change` declined.
   */
  update(tracker: string, hash: string, change: LinkChange): Promise<TicketLink | undefined>;
}

const dataKey = (tracker: string, hash: string) => `${tracker}.${hash}`;

export function parseLink(v: string | undefined): TicketLink | undefined {
  if (!v) return undefined;
  try {
    const l = JSON.parse(v) as TicketLink;
    return l && typeof l === 'object' && typeof l.incident === 'string' ? l : undefined;
  } catch {
    return undefined;
  }
}

/** At most `maxEntries` links and `bytes` of data: the links touched longest ago go first. */
export function boundLinks(data: Record<string, string>, maxEntries: number, bytes = 768 * 1024): Record<string, string> {
  return keepNewest(data, (v) => Date.parse(parseLink(v)?.time ?? ''), maxEntries, bytes);
}

/** In memory (tests, and an operator run without Kubernetes access to ConfigMaps). */
export class MemoryTicketLinks implements TicketLinks {
  readonly data = new Map<string, TicketLink>();
  async get(tracker: string, hash: string): Promise<TicketLink | undefined> {
    return this.data.get(dataKey(tracker, hash));
  }
  async update(tracker: string, hash: string, change: LinkChange): Promise<TicketLink | undefined> {
    const next = change(this.data.get(dataKey(tracker, hash)));
    if (next) this.data.set(dataKey(tracker, hash), next);
    return next;
  }
}

const code = (err: unknown) => (err as { code?: number; statusCode?: number })?.code ?? (err as { statusCode?: number })?.statusCode;

export class ConfigMapTicketLinks implements TicketLinks {
  private readonly api: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly o: { namespace: string; name: string; maxEntries?: number },
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  /** Always read: the queue asks once per event, and a stale answer could open a second ticket. */
  async get(tracker: string, hash: string): Promise<TicketLink | undefined> {
    return parseLink((await this.read())?.data?.[dataKey(tracker, hash)]);
  }

  update(tracker: string, hash: string, change: LinkChange): Promise<TicketLink | undefined> {
    return retryOnConflict(
      async () => {
        const cm = await this.read();
        const link = change(parseLink(cm?.data?.[dataKey(tracker, hash)]));
        if (!link) return undefined;
        const data = { ...(cm?.data ?? {}), [dataKey(tracker, hash)]: JSON.stringify(link) };
        const body: V1ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: this.o.name,
            namespace: this.o.namespace,
            labels: { 'app.kubernetes.io/managed-by': 'alert-agent', 'app.kubernetes.io/component': 'tickets' },
            ...(cm?.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}),
          },
          data: boundLinks(data, this.o.maxEntries ?? 5000),
        };
        if (cm) await this.api.replaceNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace, body });
        else await this.api.createNamespacedConfigMap({ namespace: this.o.namespace, body });
        return link;
      },
      { attempts: 6, backoff: { baseMs: 50, maxMs: 800, jitter: 0.6 }, retriable: (err) => code(err) === 409 },
    );
  }

  private async read(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.api.readNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (code(err) === 404) return undefined;
      throw err;
    }
  }
}

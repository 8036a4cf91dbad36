// The clusters the operator knows: the local one (its own ServiceAccount) and one per Secret of its
// namespace that CLUSTER_SECRET_SELECTOR selects (./credentials.ts reads the formats). The Secrets are
// watched through the runtime's informer: a rotated credential (a new resourceVersion) replaces the
// cluster's KubeConfig at once, and whoever built clients on the old one sees a new `version` and builds
// again. Only names, Secret names and servers are logged: never a Secret's data. It runs on every replica:
// the webhook (every replica) tells a cluster's AlertManager by the cluster's webhook token, whose digest
// comes with the credentials (a rotated token, like a rotated credential, is in force at once).
//
// The operator reads Secrets of its own namespace only (a Role, not a ClusterRole), and only those the
// selector selects are handed to us whole.
import { timingSafeEqual } from 'node:crypto';
import { CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { Informer, type Subscription } from '../runtime/informer.js';
import { parseClusterSecret, tokenDigest, type ClusterAccess, type SecretLike } from './credentials.js';

export interface ClusterRegistryOptions {
  /** The management cluster: where the Secrets live (the local cluster's own). */
  kc: KubeConfig;
  namespace: string;
  /** CLUSTER_SECRET_SELECTOR; unset: no Secrets are read, only the local cluster is known. */
  selector?: string;
  local: { name: string; kc: KubeConfig };
  log: Logger;
  /** How long an answer of probe() holds (default 5 s): one unreachable cluster costs one timeout per window, not one per incident. */
  probeCacheMs?: number;
  /** How long a probe waits for the API server (default 5 s). */
  probeTimeoutMs?: number;
}

/** Reads that the rest of the operator makes of the registry (tests give their own). */
export interface Clusters {
  /** Whether the Secrets were listed once: before that, a cluster not (yet) known is not yet unknown. */
  readonly synced: boolean;
  get(name: string): ClusterAccess | undefined;
  names(): string[];
  /** Resolves when the cluster's API server answers; rejects with why not. */
  probe(access: ClusterAccess): Promise<void>;
}

export class ClusterRegistry implements Clusters {
  private readonly clusters = new Map<string, ClusterAccess>();
  /** Which Secret holds which cluster, so that a deleted or renamed Secret takes its cluster along. */
  private readonly bySecret = new Map<string, string>();
  private readonly probes = new Map<string, { version: string; at: number; result: Promise<void> }>();
  private informer?: Informer<SecretLike & { metadata: { name: string } }>;
  private sub?: Subscription;
  private listed = false;

  constructor(private readonly o: ClusterRegistryOptions) {
    this.clusters.set(o.local.name, { name: o.local.name, kc: o.local.kc, server: o.local.kc.getCurrentCluster()?.server ?? '', version: 'local', source: "the operator's own ServiceAccount" });
  }

  get synced(): boolean {
    return this.listed || !this.o.selector;
  }

  async start(): Promise<void> {
    if (!this.o.selector) return;
    const core = this.o.kc.makeApiClient(CoreV1Api);
    this.informer = new Informer({
      resource: 'secrets',
      apiPath: '/api/v1',
      plural: 'secrets',
      namespace: this.o.namespace,
      labelSelector: this.o.selector,
      list: async (q) => {
        const r = await core.listNamespacedSecret({ namespace: this.o.namespace, labelSelector: q.labelSelector, limit: q.limit, _continue: q.continueToken });
        return { items: r.items, resourceVersion: r.metadata?.resourceVersion ?? '', continueToken: r.metadata?._continue };
      },
      // Nothing of the Secret is kept in the informer's cache but its name: the credentials live here.
      parse: (raw) => {
        const s = raw as SecretLike;
        return s?.metadata?.name ? (s as SecretLike & { metadata: { name: string } }) : undefined;
      },
      maxObjects: 1,
      kc: this.o.kc,
      log: this.o.log,
    });
    this.sub = this.informer.subscribe({
      onEvent: (type, secret) => this.apply(type, secret),
      onSynced: () => void (this.listed = true),
    });
    await this.informer.start();
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.informer?.stop();
  }

  get(name: string): ClusterAccess | undefined {
    return this.clusters.get(name);
  }

  names(): string[] {
    return [...this.clusters.keys()].sort();
  }

  /**
   * The clusters whose webhook token (key `webhook-token` of their Secret) `token` is: one, or none, or
   * (a token shared by two Secrets) several, which the caller refuses. Every cluster's digest is compared,
   * in constant time, whichever matches: the time of an answer tells nothing of the tokens.
   */
  clustersOfToken(token: string): string[] {
    const given = tokenDigest(token);
    const matches: string[] = [];
    for (const access of this.clusters.values()) {
      if (access.webhookTokenSha256 && timingSafeEqual(given, access.webhookTokenSha256)) matches.push(access.name);
    }
    return matches;
  }

  probe(access: ClusterAccess): Promise<void> {
    const now = Date.now();
    const cached = this.probes.get(access.name);
    if (cached && cached.version === access.version && now - cached.at < (this.o.probeCacheMs ?? 5000)) return cached.result;
    const result = probeApiServer(access, this.o.probeTimeoutMs ?? 5000);
    result.catch(() => undefined); // read by whoever asks; an unread rejection is not an error
    this.probes.set(access.name, { version: access.version, at: now, result });
    return result;
  }

  /** A watch event of a selected Secret (public for tests: the informer calls it). */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', secret: SecretLike & { metadata: { name: string } }): void {
    if (type === 'DELETED') this.forget(secret.metadata.name);
    else this.learn(secret);
  }

  private learn(secret: SecretLike & { metadata: { name: string } }): void {
    const secretName = secret.metadata.name;
    const parsed = parseClusterSecret(secret);
    if (!parsed.ok) {
      // A botched rotation keeps the last credentials that parsed: its incidents wait (unreachable, if
      // those were revoked) instead of ending as a cluster nobody knows.
      const kept = this.bySecret.get(secretName);
      this.o.log.warn(kept ? 'a cluster Secret no longer holds usable credentials; the previous ones stay in use' : 'a cluster Secret holds no usable credentials; its cluster is not known', {
        secret: secretName,
        cluster: kept,
        reason: parsed.reason,
      });
      return;
    }
    const { access } = parsed;
    if (access.name === this.o.local.name) {
      this.o.log.warn('a cluster Secret names the local cluster, which the operator reaches with its own ServiceAccount; ignored', { secret: secretName, cluster: access.name });
      return;
    }
    const holder = [...this.bySecret].find(([s, c]) => c === access.name && s !== secretName)?.[0];
    if (holder) {
      this.o.log.warn('two Secrets hold the same cluster; the first one is used', { secret: secretName, cluster: access.name, used: holder });
      return;
    }
    const previous = this.bySecret.get(secretName);
    if (previous && previous !== access.name) this.clusters.delete(previous);
    const rotated = this.clusters.get(access.name)?.version;
    this.bySecret.set(secretName, access.name);
    this.clusters.set(access.name, access);
    if (rotated !== access.version) this.o.log.info(rotated ? 'cluster credentials changed' : 'cluster added', { cluster: access.name, server: access.server, source: access.source });
  }

  private forget(secretName: string): void {
    const name = this.bySecret.get(secretName);
    if (!name) return;
    this.bySecret.delete(secretName);
    this.clusters.delete(name);
    this.o.log.info('cluster removed', { cluster: name, secret: secretName });
  }
}

/** GET /version within the timeout: does the API server answer these credentials at all? */
async function probeApiServer(access: ClusterAccess, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the API server at ${access.server} did not answer within ${Math.round(timeoutMs / 1000)}s`)), timeoutMs);
  });
  try {
    await Promise.race([access.kc.makeApiClient(VersionApi).getCode(), timeout]);
  } catch (err) {
    const e = err as { code?: number; message?: string; cause?: { code?: string } };
    // The client's message for a refused connection names the URL, never the credentials.
    throw new Error(e.code ? `the API server at ${access.server} answered ${e.code}` : e.cause?.code ? `the API server at ${access.server} is unreachable (${e.cause.code})` : (e.message ?? String(err)).slice(0, 300));
  } finally {
    clearTimeout(timer);
  }
}

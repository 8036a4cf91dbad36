// List, then watch from the list's resourceVersion; on 410 Gone list again; on any other end of the
// watch reconnect with exponential backoff; list again every relistMs to catch anything missed.
// client-node's informer stops for good on a non-410 error, which is why this is not the informer.
// Handlers only get objects to enqueue keys from: the reconciler reads what it needs itself.
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { GROUP, PLURAL, VERSION } from '../incident/types.js';
import { apiErrorMessage, type IncidentStore } from '../incident/store.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatcherOptions {
  kc: KubeConfig;
  store: IncidentStore;
  log: Logger;
  /** Only this namespace; undefined = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  onEvent: (type: WatchEventType, obj: unknown) => void;
  /** Called after each complete list (initial sync and every relist). */
  onSynced?: () => void;
  onLifecycle?: (event: 'connect' | 'relist' | 'expired' | 'error') => void;
  relistMs?: number;
  pageSize?: number;
}

export class IncidentWatcher {
  private resourceVersion?: string;
  private abort?: AbortController;
  private stopped = false;
  private failures = 0;
  private relistTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  synced = false;

  constructor(private readonly o: WatcherOptions) {}

  /** Resolves after the first complete list (retried with backoff: e.g. 429 while a new CRD's storage starts). */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.relist();
        break;
      } catch (err) {
        if (this.stopped) return;
        this.o.log.warn('initial list failed; retrying', { error: apiErrorMessage(err), attempt });
        await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)));
      }
    }
    void this.watch();
    this.relistTimer = setInterval(() => {
      this.relist().catch((err) => this.o.log.warn('periodic relist failed', { error: apiErrorMessage(err) }));
    }, this.o.relistMs ?? 600_000);
    this.relistTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.relistTimer);
    clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  /**
   * Pages through the list so memory stays bounded however many incidents there are. 100 a page: an
   * unfinished incident can be 20 KB or more, and a page is garbage only once every item was handled
   * (500 a page raised the start-up peak with 10 000 such incidents by 50 MB; bench/README.md, memory).
   */
  private async relist(): Promise<void> {
    let continueToken: string | undefined;
    let rv = '';
    do {
      const page = await this.o.store.list({ namespace: this.o.namespace, labelSelector: this.o.labelSelector, limit: this.o.pageSize ?? 100, continueToken });
      for (const item of page.items) this.o.onEvent('ADDED', item);
      continueToken = page.continueToken;
      rv = page.resourceVersion;
    } while (continueToken && !this.stopped);
    this.resourceVersion = rv;
    this.synced = true;
    this.o.onLifecycle?.('relist');
    this.o.onSynced?.();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const path = this.o.namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(this.o.namespace)}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    let expired = false;
    let gotEvent = false;
    const done = (err: unknown) => {
      if (this.stopped) return;
      if ((err as { statusCode?: number })?.statusCode === 410) {
        expired = true;
        this.o.onLifecycle?.('expired');
      }
      if (err && !expired) {
        this.failures++;
        this.o.onLifecycle?.('error');
        this.o.log.warn('watch ended with an error; reconnecting', { error: String((err as Error)?.message ?? err), failures: this.failures });
      } else if (gotEvent || expired) {
        this.failures = 0;
      }
      const delay = this.failures ? Math.min(30_000, 500 * 2 ** (this.failures - 1)) : 0;
      this.retryTimer = setTimeout(() => void this.reconnect(expired), delay);
    };
    try {
      this.abort = await new Watch(this.o.kc).watch(
        path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.o.labelSelector, timeoutSeconds: 300 + Math.floor(Math.random() * 60) },
        (type, obj) => {
          gotEvent = true;
          const rv = obj?.metadata?.resourceVersion;
          if (type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old for the watch cache: list again.
            if (obj?.code === 410) {
              expired = true;
              this.o.onLifecycle?.('expired');
            }
            return;
          }
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          this.o.onEvent(type as WatchEventType, obj);
        },
        done,
      );
      this.o.onLifecycle?.('connect');
    } catch (err) {
      done(err);
    }
  }

  private async reconnect(relist: boolean): Promise<void> {
    if (this.stopped) return;
    if (relist || (this.failures > 0 && this.failures % 5 === 0)) {
      try {
        await this.relist();
      } catch (err) {
        this.failures++;
        this.o.log.warn('relist failed; retrying', { error: apiErrorMessage(err), failures: this.failures });
        this.retryTimer = setTimeout(() => void this.reconnect(true), Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6)));
        return;
      }
    }
    void this.watch();
  }
}

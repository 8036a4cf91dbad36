// Retention: finished incidents are deleted after a TTL, and at most `max` are kept (oldest first).
// Only finished ones (label alertagent.io/finished=true, set by the reconciler after the final status
// write) are ever candidates, so an investigation in progress is never deleted. It reads metadata only
// (the finished time is an annotation), a page at a time, so thousands of reports never sit in memory.
import { apiErrorMessage, type IncidentStore } from '../incident/store.js';
import { COMPLETED_AT_ANNOTATION, LABELS } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface RetentionOptions {
  store: IncidentStore;
  log: Logger;
  metrics?: Metrics;
  namespace?: string;
  ttlMs: number;
  max: number;
  intervalMs?: number;
  now?: () => number;
}

interface Finished {
  namespace: string;
  name: string;
  resourceVersion: string;
  completedAt: number;
}

export class Retention {
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: RetentionOptions) {}

  start(): void {
    const run = () => this.sweep().catch((err) => this.o.log.warn('retention sweep failed', { error: apiErrorMessage(err) }));
    void run();
    this.timer = setInterval(run, this.o.intervalMs ?? 10 * 60_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many incidents it deleted. */
  async sweep(): Promise<number> {
    const now = this.o.now?.() ?? Date.now();
    const kept: Finished[] = [];
    let deleted = 0;
    let continueToken: string | undefined;
    do {
      const page = await this.o.store.listMetadata({ namespace: this.o.namespace, labelSelector: `${LABELS.finished}=true`, limit: 500, continueToken });
      for (const { metadata: m } of page.items) {
        const f: Finished = {
          namespace: m.namespace,
          name: m.name,
          resourceVersion: m.resourceVersion,
          completedAt: Date.parse(m.annotations?.[COMPLETED_AT_ANNOTATION] ?? m.creationTimestamp ?? '') || 0,
        };
        if (now - f.completedAt > this.o.ttlMs) {
          await this.delete(f, 'ttl');
          deleted++;
        } else {
          kept.push(f);
        }
      }
      continueToken = page.continueToken;
    } while (continueToken);
    if (kept.length > this.o.max) {
      kept.sort((a, b) => a.completedAt - b.completedAt);
      for (const f of kept.slice(0, kept.length - this.o.max)) {
        await this.delete(f, 'max');
        deleted++;
      }
    }
    if (deleted) this.o.log.info('retention deleted finished incidents', { deleted, kept: Math.min(kept.length, this.o.max) });
    return deleted;
  }

  private async delete(f: Finished, reason: 'ttl' | 'max'): Promise<void> {
    // The precondition makes sure we delete what we judged, not a newer version of it.
    await this.o.store.delete(f.namespace, f.name, f.resourceVersion).catch((err) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    this.o.metrics?.retentionDeleted.inc({ reason });
  }
}

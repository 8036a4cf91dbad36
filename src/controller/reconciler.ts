// One reconciler for AlertIncidents: read the incident, let the engine take at most one step, persist
// the result through the status subresource (conflict-safe), record Events, and say when to come back.
import { isDeepStrictEqual } from 'node:util';
import { withConditions } from '../incident/conditions.js';
import { IncidentStore, apiErrorMessage, isConflict, isNotFound } from '../incident/store.js';
import { AlertIncident, COMPLETED_AT_ANNOTATION, LABELS, isFinished, type IncidentStatus } from '../incident/types.js';
import type { Advance, IncidentEvent, InvestigationEngine, Write } from '../investigation/engine.js';
import type { EventRecorder } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export const UNFINISHED_SELECTOR = `${LABELS.finished}!=true`;

export interface ReconcileResult {
  requeue?: boolean;
  requeueAfterMs?: number;
}

export class IncidentReconciler {
  /** The newest copy seen of each unfinished incident (from the watch and our own writes). */
  private readonly latest = new Map<string, AlertIncident>();
  /**
   * The resourceVersion of our last write per key, until the watch delivers it or something newer. A
   * watch event older than our own write must not replace it: the next step would start from stale
   * state and waste an LLM call on a 409. (Only an optimization: the resourceVersion precondition on
   * every write is what keeps the status correct.)
   */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly d: { store: IncidentStore; engine: InvestigationEngine; events?: EventRecorder; log: Logger; metrics?: Metrics; now?: () => Date },
  ) {}

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  /** Watch handler: remember the object, return the key to enqueue (undefined: nothing to do). */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: unknown): string | undefined {
    const parsed = AlertIncident.safeParse(obj);
    if (!parsed.success) {
      const meta = (obj as { metadata?: { namespace?: string; name?: string } })?.metadata;
      this.d.log.warn('ignoring an AlertIncident that does not match the schema', { incident: meta?.name, namespace: meta?.namespace, error: parsed.error.issues[0]?.message });
      return undefined;
    }
    const inc = parsed.data;
    const key = IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name);
    if (type === 'DELETED' || (isFinished(inc) && inc.metadata.labels?.[LABELS.finished] === 'true')) {
      this.latest.delete(key);
      this.written.delete(key);
      this.updateGauges();
      return undefined;
    }
    const ours = this.written.get(key);
    if (ours !== undefined) {
      if (olderThan(inc.metadata.resourceVersion, ours)) return key;
      this.written.delete(key);
    }
    this.latest.set(key, inc);
    this.updateGauges();
    return key;
  }

  get tracked(): number {
    return this.latest.size;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/');
    const log = this.d.log.child({ incident: name, namespace });
    const started = performance.now();
    try {
      let inc = this.latest.get(key) ?? (await this.d.store.get(namespace, name));
      if (!inc) return {};
      if (isFinished(inc)) {
        await this.markFinished(inc);
        return {};
      }
      const adv: Advance = await this.d.engine.advance(inc);
      if (adv.kind === 'noop') {
        this.d.metrics?.reconcileTotal.inc({ result: 'noop' });
        return { requeueAfterMs: adv.requeueAfterMs };
      }
      let write: Write = adv;
      inc = await this.persist(inc, write, log);
      if (write.afterWrite) {
        write = await write.afterWrite();
        inc = await this.persist(inc, write, log);
      }
      this.d.metrics?.reconcileTotal.inc({ result: 'step' });
      if (isFinished(inc)) {
        await this.markFinished(inc);
        return {};
      }
      if (write.requeueAfterMs !== undefined) return { requeueAfterMs: write.requeueAfterMs };
      return inc.status?.phase === 'AwaitingApproval' ? {} : { requeue: true };
    } catch (err) {
      if (err instanceof StaleError) {
        // Someone else changed the status since we read it: drop our step and start from the fresh copy.
        this.latest.delete(key);
        this.written.delete(key);
        this.d.metrics?.reconcileTotal.inc({ result: 'conflict' });
        log.info('status changed under us; re-reading');
        return { requeue: true };
      }
      if (isNotFound(err)) {
        this.latest.delete(key);
        return {};
      }
      this.d.metrics?.reconcileTotal.inc({ result: 'error' });
      log.error('reconcile failed', { error: apiErrorMessage(err) });
      throw err;
    } finally {
      this.d.metrics?.reconcileDuration.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * Writes `w.status` on top of `inc`. A 409 means the object changed since we read it: if only the spec
   * changed (the webhook counted another notification), reapply the same status on the fresh copy; if the
   * status changed, our step was computed from stale state and is dropped (StaleError).
   */
  private async persist(inc: AlertIncident, w: Write, log: Logger): Promise<AlertIncident> {
    const { namespace, name } = inc.metadata;
    let base = inc;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = (this.d.now?.() ?? new Date()).toISOString();
      const status = withConditions(base, w.status, now);
      if (isDeepStrictEqual(clean(status), clean(base.status ?? {}))) return base;
      try {
        const updated = await this.d.store.patchStatus(namespace, name, base.metadata.resourceVersion!, mergeBody(base.status ?? {}, status));
        this.latest.set(IncidentReconciler.key(namespace, name), updated);
        this.written.set(IncidentReconciler.key(namespace, name), updated.metadata.resourceVersion!);
        await this.emit(updated, inc, w.events, log);
        return updated;
      } catch (err) {
        if (!isConflict(err)) throw err;
        const fresh = await this.d.store.get(namespace, name);
        if (!fresh) throw err;
        if (!isDeepStrictEqual(clean(fresh.status ?? {}), clean(base.status ?? {}))) throw new StaleError();
        base = fresh;
      }
    }
    throw new StaleError();
  }

  private async emit(updated: AlertIncident, before: AlertIncident, events: IncidentEvent[], log: Logger): Promise<void> {
    const from = before.status?.phase ?? 'Pending';
    const to = updated.status?.phase ?? 'Pending';
    if (from !== to) log.info('phase changed', { from, to, steps: updated.status?.steps?.length ?? 0 });
    for (const e of events) {
      log.log(e.type === 'Warning' ? 'warn' : 'info', e.message, { reason: e.reason });
      await this.d.events?.(updated, e.type, e.reason, e.message);
    }
  }

  /** Finished incidents leave the controller's watch (label selector), so it holds only live ones. */
  private async markFinished(inc: AlertIncident): Promise<void> {
    const key = IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name);
    this.latest.delete(key);
    this.written.delete(key);
    this.updateGauges();
    if (inc.metadata.labels?.[LABELS.finished] === 'true') return;
    await this.d.store.patchMetadata(inc.metadata.namespace, inc.metadata.name, {
      labels: { [LABELS.finished]: 'true' },
      annotations: { [COMPLETED_AT_ANNOTATION]: inc.status?.completedAt ?? new Date().toISOString() },
    });
  }

  private updateGauges(): void {
    const m = this.d.metrics;
    if (!m) return;
    m.incidentsByPhase.reset();
    let waiting = 0;
    for (const inc of this.latest.values()) {
      const phase = inc.status?.phase ?? 'Pending';
      if (phase === 'AwaitingApproval') waiting++;
      m.incidentsByPhase.inc({ phase, outcome: inc.status?.outcome ?? '' });
    }
    m.approvalsWaiting.set(waiting);
  }
}

class StaleError extends Error {}

/**
 * resourceVersions are opaque by the API conventions; every apiserver backed by etcd issues increasing
 * integers, which is what this relies on. Anything else counts as not older, so an event is never lost.
 */
function olderThan(rv: string | undefined, than: string): boolean {
  if (!rv || !/^\d+$/.test(rv) || !/^\d+$/.test(than)) return false;
  return BigInt(rv) < BigInt(than);
}

/** Fields dropped from the new status are sent as null: a merge patch keeps what it is not told to remove. */
function mergeBody(old: IncidentStatus, next: IncidentStatus): Record<string, unknown> {
  const body: Record<string, unknown> = { ...clean(next) };
  for (const k of Object.keys(old)) if (!(k in body)) body[k] = null;
  return body;
}

function clean(s: IncidentStatus): Record<string, unknown> {
  return JSON.parse(JSON.stringify(s));
}

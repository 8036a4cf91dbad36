// One reconciler for AlertIncidents: read the incident, let the engine take at most one step, persist
// the result through the status subresource (conflict-safe), record Events, and say when to come back.
import { isDeepStrictEqual } from 'node:util';
import { withConditions } from '../incident/conditions.js';
import { clipStatus } from '../incident/limits.js';
import { IncidentStore, apiErrorMessage, isConflict, isInvalid, isNotFound } from '../incident/store.js';
import { AlertIncident, COMPLETED_AT_ANNOTATION, LABELS, isFinished, type IncidentStatus, type Phase } from '../incident/types.js';
import type { Advance, IncidentEvent, InvestigationEngine, Write } from '../investigation/engine.js';
import type { EventRecorder } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export const UNFINISHED_SELECTOR = `${LABELS.finished}!=true`;

export interface ReconcileResult {
  requeue?: boolean;
  requeueAfterMs?: number;
}

/** What the controller keeps of one unfinished incident between reconciles: never its spec or status. */
export interface Tracked {
  /** The newest resourceVersion known: from the watch, our own writes and our reads. */
  rv?: string;
  phase: Phase;
  outcome?: string;
}

export class IncidentReconciler {
  /**
   * Every unfinished incident by key, kept small (a few short strings each) so that memory does not grow
   * with the size of the incidents: a worker reads the object when it takes the key.
   */
  private readonly known = new Map<string, Tracked>();
  /**
   * The copy we just wrote of a key we requeue at once, so that the next step starts from it without a
   * GET. At most `workers` of them (the oldest goes first); one is used only while its resourceVersion is
   * the newest known: a watch event newer than our write drops it.
   */
  private readonly fresh = new Map<string, AlertIncident>();
  private readonly maxFresh: number;
  /**
   * The last resourceVersion of incidents this controller finished, the newest few hundred: the watch
   * events of their earlier writes, still in flight when they finished, must not bring them back for a
   * GET that only finds them finished.
   */
  private readonly finished = new Map<string, string>();
  /** Tracked incidents by phase and outcome (the gauges), kept as entries come and go. */
  private readonly byPhase = new Map<string, number>();
  private waiting = 0;

  constructor(
    private readonly d: {
      store: IncidentStore;
      engine: InvestigationEngine;
      events?: EventRecorder;
      log: Logger;
      metrics?: Metrics;
      now?: () => Date;
      /** Workers of the queue (MAX_CONCURRENT_INVESTIGATIONS): bounds the copies kept for a requeue. */
      workers?: number;
    },
  ) {
    this.maxFresh = Math.max(1, d.workers ?? 5);
  }

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  /** Watch handler: remember what the queue needs of the object, return the key to enqueue (undefined: nothing to do). */
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
      this.forget(key);
      return undefined;
    }
    const done = this.finished.get(key);
    if (done !== undefined) {
      if (olderThan(inc.metadata.resourceVersion, done) || inc.metadata.resourceVersion === done) return undefined;
      this.finished.delete(key);
    }
    // An event older than what we know (typically our own write, which the watch has not delivered yet)
    // must not make the next step start from stale state, which would waste an LLM call on a 409. It
    // still enqueues the key: it may be the first news of a change (an approval annotated between a
    // step's read and its write) that the step carried over without acting on it.
    if (this.track(key, inc)) {
      const copy = this.fresh.get(key);
      if (copy && copy.metadata.resourceVersion !== inc.metadata.resourceVersion) this.fresh.delete(key);
    }
    return key;
  }

  /** Unfinished incidents known. */
  get tracked(): number {
    return this.known.size;
  }

  /** What is kept of one key (tests, and the memory benchmark's check that no object is held). */
  trackedEntry(key: string): Readonly<Tracked> | undefined {
    return this.known.get(key);
  }

  /** Whole objects held (the copies kept for a requeue): at most the number of workers. */
  get objectsHeld(): number {
    return this.fresh.size;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/');
    const log = this.d.log.child({ incident: name, namespace });
    const started = performance.now();
    // Finished here, and no event since that is newer than the finish: nothing to read.
    if (!this.known.has(key) && this.finished.has(key)) return {};
    try {
      let inc = await this.read(key, namespace, name);
      if (!inc) {
        this.forget(key);
        return {};
      }
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
      const rebased = rebase(inc, write);
      inc = await this.persist(rebased.base, rebased.write, log);
      this.track(key, inc);
      if (write.afterWrite) {
        write = await write.afterWrite();
        inc = await this.persist(inc, write, log);
        this.track(key, inc);
      }
      this.d.metrics?.reconcileTotal.inc({ result: 'step' });
      if (isFinished(inc)) {
        await this.markFinished(inc);
        return {};
      }
      if (write.requeueAfterMs !== undefined) return { requeueAfterMs: write.requeueAfterMs };
      if (inc.status?.phase === 'AwaitingApproval') return {};
      this.keepForRequeue(key, inc);
      return { requeue: true };
    } catch (err) {
      if (err instanceof StaleError) {
        // Someone else changed the status since we read it: drop our step and start from a fresh read.
        this.fresh.delete(key);
        this.d.metrics?.reconcileTotal.inc({ result: 'conflict' });
        log.info('status changed under us; re-reading');
        return { requeue: true };
      }
      if (isNotFound(err)) {
        this.forget(key);
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
  private async persist(inc: AlertIncident, write: Write, log: Logger, rejected = false): Promise<AlertIncident> {
    let w = write;
    const { namespace, name } = inc.metadata;
    let base = inc;
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = (this.d.now?.() ?? new Date()).toISOString();
      const status = clipStatus(withConditions(base, w.status, now));
      if (isDeepStrictEqual(clean(status), clean(base.status ?? {}))) return base;
      try {
        const updated = await this.d.store.patchStatus(namespace, name, base.metadata.resourceVersion!, mergeBody(base.status ?? {}, status));
        await this.emit(updated, inc, w.events, log);
        return updated;
      } catch (err) {
        if (isInvalid(err) && !rejected) {
          // Clipping keeps every step within the CRD, so this is a bug of ours: retrying would fail the
          // same way and pay the LLM each time. The incident fails with the API server's own words, and
          // the usage spent so far is kept.
          const message = apiErrorMessage(err);
          log.error('the API server rejected a status write; the incident fails', { error: message });
          return this.persist(base, rejectionWrite(base, w, message, now), log, true);
        }
        if (!isConflict(err)) throw err;
        const fresh = await this.d.store.get(namespace, name);
        if (!fresh) throw err;
        // The notifier records its deliveries in status.notifications with writes of its own: those are
        // not news for the investigation, and our write carries theirs over instead of undoing them.
        if (!isDeepStrictEqual(withoutNotifications(fresh.status), withoutNotifications(base.status))) throw new StaleError();
        base = fresh;
        w = { ...w, status: { ...w.status, notifications: fresh.status?.notifications } };
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
    this.forget(key);
    if (inc.metadata.labels?.[LABELS.finished] !== 'true') {
      inc = await this.d.store.patchMetadata(inc.metadata.namespace, inc.metadata.name, {
        labels: { [LABELS.finished]: 'true' },
        annotations: { [COMPLETED_AT_ANNOTATION]: inc.status?.completedAt ?? new Date().toISOString() },
      });
    }
    if (inc.metadata.resourceVersion) {
      this.finished.set(key, inc.metadata.resourceVersion);
      if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
    }
  }

  /**
   * The object for a step: the copy we wrote last if nothing newer is known, else a GET (which also
   * brings the tracked entry up to date).
   */
  private async read(key: string, namespace: string, name: string): Promise<AlertIncident | undefined> {
    const copy = this.fresh.get(key);
    this.fresh.delete(key);
    if (copy && copy.metadata.resourceVersion === this.known.get(key)?.rv) return copy;
    const inc = await this.d.store.get(namespace, name);
    if (inc) this.track(key, inc);
    return inc;
  }

  private keepForRequeue(key: string, inc: AlertIncident): void {
    this.fresh.delete(key);
    this.fresh.set(key, inc);
    for (const oldest of this.fresh.keys()) {
      if (this.fresh.size <= this.maxFresh) break;
      this.fresh.delete(oldest);
    }
  }

  /** Records the newest state of a key; false (nothing changed) when `inc` is older than what we know. */
  private track(key: string, inc: AlertIncident): boolean {
    const prev = this.known.get(key);
    if (prev && olderThan(inc.metadata.resourceVersion, prev.rv)) return false;
    const next: Tracked = { rv: inc.metadata.resourceVersion, phase: inc.status?.phase ?? 'Pending', outcome: inc.status?.outcome };
    this.known.set(key, next);
    this.updateGauges(prev, next);
    return true;
  }

  private forget(key: string): void {
    const prev = this.known.get(key);
    this.known.delete(key);
    this.fresh.delete(key);
    this.updateGauges(prev, undefined);
  }

  /** Moves one incident between gauge labels: constant time, whatever the number of incidents. */
  private updateGauges(prev: Tracked | undefined, next: Tracked | undefined): void {
    if (prev?.phase === next?.phase && prev?.outcome === next?.outcome) return;
    const m = this.d.metrics;
    const move = (t: Tracked, by: number) => {
      const labels = { phase: t.phase, outcome: t.outcome ?? '' };
      const id = `${labels.phase}/${labels.outcome}`;
      const n = (this.byPhase.get(id) ?? 0) + by;
      if (n > 0) {
        this.byPhase.set(id, n);
        m?.incidentsByPhase.set(labels, n);
      } else {
        this.byPhase.delete(id);
        m?.incidentsByPhase.remove(labels);
      }
      if (t.phase === 'AwaitingApproval') this.waiting += by;
    };
    if (prev) move(prev, -1);
    if (next) move(next, +1);
    m?.approvalsWaiting.set(this.waiting);
  }
}

class StaleError extends Error {}

const FINISHED_KEPT = 512;

/**
 * The object a step's status goes on: the one the step left behind when it wrote labels of its own (so
 * the write does not 409 on our own change), carrying over the notifier's deliveries as a 409 would.
 */
function rebase(inc: AlertIncident, w: Write): { base: AlertIncident; write: Write } {
  const b = w.base;
  if (!b || b.metadata.resourceVersion === inc.metadata.resourceVersion) return { base: inc, write: w };
  if (!isDeepStrictEqual(withoutNotifications(b.status), withoutNotifications(inc.status))) throw new StaleError();
  return { base: b, write: { ...w, status: { ...w.status, notifications: b.status?.notifications } } };
}

/** The write that ends an incident whose status the API server refused: what was stored, plus why, plus the usage. */
function rejectionWrite(base: AlertIncident, refused: Write, message: string, now: string): Write {
  const failureReason = `StatusRejected: ${message}`;
  return {
    status: {
      ...(base.status ?? {}),
      phase: 'Failed',
      failureReason,
      summary: 'Investigation failed: the API server rejected a status update',
      completedAt: now,
      usage: refused.status.usage ?? base.status?.usage,
      attempts: undefined,
      lastError: undefined,
      nextAttemptAt: undefined,
    },
    events: [{ type: 'Warning', reason: 'StatusRejected', message: failureReason }],
  };
}

/**
 * resourceVersions are opaque by the API conventions; every apiserver backed by etcd issues increasing
 * integers, which is what this relies on. Anything else counts as not older, so an event is never lost.
 */
function olderThan(rv: string | undefined, than: string | undefined): boolean {
  if (!rv || !than || !/^\d+$/.test(rv) || !/^\d+$/.test(than)) return false;
  return BigInt(rv) < BigInt(than);
}

/** Fields dropped from the new status are sent as null: a merge patch keeps what it is not told to remove. */
function mergeBody(old: IncidentStatus, next: IncidentStatus): Record<string, unknown> {
  const body: Record<string, unknown> = { ...clean(next) };
  for (const k of Object.keys(old)) if (!(k in body)) body[k] = null;
  return body;
}

function withoutNotifications(s: IncidentStatus | undefined): Record<string, unknown> {
  const { notifications: _, ...rest } = clean(s ?? {});
  return rest;
}

function clean(s: IncidentStatus): Record<string, unknown> {
  return JSON.parse(JSON.stringify(s));
}

// One reconciler for AlertIncidents: take the incident from the shared informer's cache (a GET only when
// the cache does not hold it whole), let the engine take at most one step, apply the result to the
// status subresource as the controller's field manager (server-side apply: the notifier's and
// correlation's fields are theirs, untouched and never merged here), record Events, and say when to
// come back. The answer of each write goes back into the cache, so the next step starts from it.
import { isDeepStrictEqual } from 'node:util';
import { withConditions } from '../incident/conditions.js';
import { clipStatus } from '../incident/limits.js';
import { FIELD_MANAGERS, controllerStatus, foreignControllerFields } from '../incident/owners.js';
import { IncidentStore, apiErrorMessage, isInvalid, isNotFound, type IncidentCacheView } from '../incident/store.js';
import { feedbackPending } from '../incident/feedback.js';
import { AlertIncident, COMPLETED_AT_ANNOTATION, LABELS, TERMINAL_PHASES, isFinished, type Phase } from '../incident/types.js';
import type { Advance, IncidentEvent, InvestigationEngine, Write } from '../investigation/engine.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export const UNFINISHED_SELECTOR = `${LABELS.finished}!=true`;
/** Finished incidents: watched for what people say of them afterwards (feedback annotations). */
export const FINISHED_SELECTOR = `${LABELS.finished}=true`;

export interface ReconcileResult {
  requeue?: boolean;
  requeueAfterMs?: number;
}

/** What the controller keeps of one unfinished incident between reconciles (the gauges): never its spec or status. */
export interface Tracked {
  phase: Phase;
  outcome?: string;
  /** Many clusters: the gauges' `cluster` label (bounded: a known cluster or `unknown`). */
  cluster?: string;
}

/** The informer's cache as the reconciler uses it (runtime/informer.ts). */
export type IncidentCache = IncidentCacheView;

export class IncidentReconciler {
  /** Every unfinished incident of this controller by key, a few short strings each (the gauges). */
  private readonly known = new Map<string, Tracked>();
  /** Tracked incidents by phase and outcome (the gauges), kept as entries come and go. */
  private readonly byPhase = new Map<string, number>();
  private waiting = 0;
  /** Finished incidents whose people's annotations changed since they were recorded: keys only, until reconciled. */
  private readonly learning = new Set<string>();

  constructor(
    private readonly d: {
      store: IncidentStore;
      /** The engine, or (many clusters) the dispatch to each cluster's engine. */
      engine: Pick<InvestigationEngine, 'advance'> & Partial<Pick<InvestigationEngine, 'learn'>>;
      events?: EventRecorder;
      log: Logger;
      metrics?: Metrics;
      now?: () => Date;
      /** The shared informer: a step starts from its copy, and our writes go into it. Without one, a GET. */
      cache?: IncidentCache;
      /**
       * False once this replica may no longer act as the leader (its Lease's renew deadline passed): a
       * step still in flight then writes nothing, so it cannot undo what the next leader wrote.
       */
      canWrite?: () => boolean;
    },
  ) {}

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  /**
   * Informer handler (the controller's selection: unfinished incidents of its shard): keeps what the
   * gauges need and returns the key to enqueue (undefined: nothing to do).
   */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', inc: AlertIncident): string | undefined {
    const key = IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name);
    if (type === 'DELETED' || (isFinished(inc) && inc.metadata.labels?.[LABELS.finished] === 'true')) {
      this.forget(key);
      return undefined;
    }
    this.track(key, inc);
    return key;
  }

  /**
   * Informer handler for finished incidents (their own selection): the key to enqueue when what people
   * said (feedback annotations) differs from what status.feedback recorded; otherwise nothing, so a
   * finished incident costs no reconcile and no write.
   */
  observeFinished(type: 'ADDED' | 'MODIFIED' | 'DELETED', inc: AlertIncident): string | undefined {
    const key = IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name);
    if (type === 'DELETED' || !feedbackPending(inc)) {
      this.learning.delete(key);
      return undefined;
    }
    this.learning.add(key);
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

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split('/');
    const log = this.d.log.child({ incident: name, namespace });
    const started = performance.now();
    // Many clusters: the reconcile metrics' `cluster` label, once the incident is read ({} when off).
    let byCluster: { cluster?: string } = {};
    // With the informer, the keys of this controller are those it handed us: one it took back (finished,
    // deleted, out of the shard) while the key waited in the queue needs no read.
    if (this.d.cache && !this.known.has(key) && !this.learning.has(key)) return {};
    try {
      let inc = await this.read(namespace, name);
      if (!inc) {
        this.forget(key);
        return {};
      }
      byCluster = this.d.metrics?.clusterLabels(inc.spec.cluster) ?? {};
      if (isFinished(inc)) {
        await this.markFinished(inc);
        await this.learn(inc, log);
        return {};
      }
      const adv: Advance = await this.d.engine.advance(inc);
      if (adv.kind === 'noop') {
        this.d.metrics?.reconcileTotal.inc({ result: 'noop', ...byCluster });
        return { requeueAfterMs: adv.requeueAfterMs };
      }
      let write: Write = adv;
      // The step's own label writes (correlation) left a newer object: its status goes on that one.
      inc = await this.persist(write.base ?? inc, write, log);
      if (write.afterWrite) {
        write = await write.afterWrite();
        inc = await this.persist(inc, write, log);
      }
      this.d.metrics?.reconcileTotal.inc({ result: 'step', ...byCluster });
      if (isFinished(inc)) {
        await this.markFinished(inc);
        return {};
      }
      if (write.requeueAfterMs !== undefined) return { requeueAfterMs: write.requeueAfterMs };
      if (inc.status?.phase === 'AwaitingApproval') return {};
      return { requeue: true };
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.d.metrics?.reconcileTotal.inc({ result: 'conflict', ...byCluster });
        log.warn('no longer the leader: the step is not written');
        return {};
      }
      if (isNotFound(err)) {
        this.forget(key);
        return {};
      }
      this.d.metrics?.reconcileTotal.inc({ result: 'error', ...byCluster });
      log.error('reconcile failed', { error: apiErrorMessage(err) });
      throw err;
    } finally {
      this.d.metrics?.reconcileDuration.observe(byCluster, (performance.now() - started) / 1000);
    }
  }

  /**
   * Applies the controller's part of `w.status` (on top of `inc`, which the step was computed from) as
   * the controller's field manager. Nothing to write when that part did not change.
   */
  private async persist(inc: AlertIncident, w: Write, log: Logger, rejected = false): Promise<AlertIncident> {
    const { namespace, name } = inc.metadata;
    const now = (this.d.now?.() ?? new Date()).toISOString();
    const status = controllerStatus(clipStatus(withConditions(inc, w.status, now)));
    if (isDeepStrictEqual(clean(status), clean(controllerStatus(inc.status)))) return inc;
    if (this.d.canWrite && !this.d.canWrite()) throw new LeaseLostError();
    try {
      // Fields an older operator or a person wrote are taken over first, so that leaving one out removes it.
      if (foreignControllerFields(inc).length) await this.d.store.applyStatus(namespace, name, controllerStatus(inc.status), { fieldManager: FIELD_MANAGERS.controller });
      const updated = await this.d.store.applyStatus(namespace, name, status, { fieldManager: FIELD_MANAGERS.controller });
      this.d.cache?.observed(updated);
      this.countFeedback(inc, updated);
      // A finished incident written for its feedback is not tracked again (markFinished forgot it).
      const key = IncidentReconciler.key(namespace, name);
      if (!isFinished(updated) || this.known.has(key)) this.track(key, updated);
      await this.emit(updated, inc, w.events, log);
      return updated;
    } catch (err) {
      if (isInvalid(err) && !rejected) {
        // Clipping keeps every step within the CRD, so this is a bug of ours: retrying would fail the
        // same way and pay the LLM each time. The incident fails with the API server's own words, and
        // the usage spent so far is kept.
        const message = apiErrorMessage(err);
        log.error('the API server rejected a status write; the incident fails', { error: message });
        return this.persist(inc, rejectionWrite(inc, w, message, now), log, true);
      }
      throw err;
    }
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

  /**
   * Finished incidents leave the controller's selection (label alertagent.io/finished=true): the answer
   * goes into the cache, which then drops the key for the controller and ignores the older events of it
   * that the watch still brings.
   */
  private async markFinished(inc: AlertIncident): Promise<void> {
    this.forget(IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name));
    if (inc.metadata.labels?.[LABELS.finished] === 'true') return;
    const labelled = await this.d.store.patchMetadata(inc.metadata.namespace, inc.metadata.name, {
      labels: { [LABELS.finished]: 'true' },
      annotations: { [COMPLETED_AT_ANNOTATION]: inc.status?.completedAt ?? new Date().toISOString() },
    });
    this.d.cache?.observed(labelled);
  }

  /** What people said of a finished incident since it was recorded: into the history and status.feedback (once per change). */
  private async learn(inc: AlertIncident, log: Logger): Promise<void> {
    this.learning.delete(IncidentReconciler.key(inc.metadata.namespace, inc.metadata.name));
    if (!feedbackPending(inc)) return;
    const adv = await this.d.engine.learn?.(inc);
    if (adv?.kind === 'write') await this.persist(inc, adv, log);
  }

  /** A verdict on a report that this write recorded (new or changed) counts once. */
  private countFeedback(before: AlertIncident, after: AlertIncident): void {
    const v = after.status?.feedback?.verdict;
    const was = before.status?.feedback;
    if (!v || (was?.verdict === v && was?.by === after.status?.feedback?.by)) return;
    this.d.metrics?.reportFeedback.inc({ alertname: after.spec.alertname, investigator: after.status?.investigator ?? '', verdict: v, ...this.d.metrics.clusterLabels(after.spec.cluster) });
  }

  /** The object for a step: the cache's copy, else a GET (whose answer goes into the cache). */
  private async read(namespace: string, name: string): Promise<AlertIncident | undefined> {
    const cached = this.d.cache?.get(namespace, name);
    if (cached) return cached;
    const inc = await this.d.store.get(namespace, name);
    if (inc) this.d.cache?.observed(inc);
    return inc;
  }

  private track(key: string, inc: AlertIncident): void {
    const prev = this.known.get(key);
    const next: Tracked = { phase: inc.status?.phase ?? 'Pending', ...(inc.status?.outcome && { outcome: inc.status.outcome }), ...this.d.metrics?.clusterLabels(inc.spec.cluster) };
    this.known.set(key, next);
    this.updateGauges(prev, next);
    this.countFinished(prev, next);
  }

  /**
   * alertagent_incidents_finished_total: once per incident, on the one transition of its tracked entry from
   * an unfinished phase to a finished one. Why once: the entry of a key only ever moves forward (our
   * writes and the informer's newer copies), and once finished it is forgotten (markFinished) or re-tracked
   * as finished from nothing, which is no transition. So a status write whose answer was lost (its retry
   * writes the same finished phase, or the watch brings it first), a replayed or duplicated event, a relist,
   * or a new leader's ADDED events never count it again. Only the lease holder tracks incidents, so one
   * replica counts it; one that finished while no replica tracked it unfinished is not counted (at most once).
   */
  private countFinished(prev: Tracked | undefined, next: Tracked): void {
    if (!prev || TERMINAL_PHASES.has(prev.phase) || !TERMINAL_PHASES.has(next.phase)) return;
    const outcome = next.phase === 'Failed' ? 'Failed' : (next.outcome ?? '');
    this.d.metrics?.incidentsFinished.inc({ outcome, ...(next.cluster !== undefined && { cluster: next.cluster }) });
  }

  private forget(key: string): void {
    const prev = this.known.get(key);
    this.known.delete(key);
    this.updateGauges(prev, undefined);
  }

  /** Moves one incident between gauge labels: constant time, whatever the number of incidents. */
  private updateGauges(prev: Tracked | undefined, next: Tracked | undefined): void {
    if (prev?.phase === next?.phase && prev?.outcome === next?.outcome && prev?.cluster === next?.cluster) return;
    const m = this.d.metrics;
    const move = (t: Tracked, by: number) => {
      const labels = { phase: t.phase, outcome: t.outcome ?? '', ...(t.cluster !== undefined && { cluster: t.cluster }) };
      const id = `${labels.phase}/${labels.outcome}/${t.cluster ?? ''}`;
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

/** This replica lost the Lease while a step ran: the step is not written. */
class LeaseLostError extends Error {}

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

function clean(s: object): unknown {
  return JSON.parse(JSON.stringify(s));
}

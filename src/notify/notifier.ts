// The delivery queue. It reads stored incidents through the shared informer (never the engine): an event
// is due when the stored status makes it so (routing.ts) and no final record of it is stored in
// status.notifications. Each delivery takes the incident from the informer's cache (a GET only when the
// cache does not hold it whole), sends, then records the result: status.notifications is the notifier's
// field alone (server-side apply as alert-agent-notifier, incident/owners.ts), so the record is written
// without a precondition and never races the controller's steps; the notifier's own writes to one
// incident go one at a time, each on the answer of the one before. So:
// - a restart recomputes what is due from the stored status: nothing recorded Sent is sent again, and
//   nothing due is dropped (a crash between a send and its record sends that one event again: at least
//   once, with a delivery id and, for Slack bot / PagerDuty / e-mail, an update of the same message);
// - sinks run on this queue's own timers and connections, with a timeout per request: a slow or dead
//   sink never holds an investigation, which never waits for a notification.
import { Counter, type Registry } from 'prom-client';
import { clip, LIMITS } from '../incident/limits.js';
import { FIELD_MANAGERS } from '../incident/owners.js';
import { apiErrorMessage, isNotFound, readThrough, type IncidentCacheView, type IncidentStore } from '../incident/store.js';
import type { AlertIncident, NotificationRecord } from '../incident/types.js';
import { DueJobs, type DueJob } from '../util/dueJobs.js';
import { backoffDelay, deliveryRetryDelay } from '../util/retry.js';
import { SerialByKey } from '../util/serialByKey.js';
import { namespaceMismatch, type Tenancy } from '../incident/tenancy.js';
import type { Logger } from '../observability/logger.js';
import type { NotificationsConfig, SinkConfig } from './config.js';
import { DeliveryError } from './http.js';
import { buildView } from './message.js';
import { dueEvents, hasSent, identityOf, messageIdOf, routingOf, type SinkRouting } from './routing.js';
import { createSink, type Sink } from './sinks/index.js';

export interface NotifierOptions {
  config: NotificationsConfig;
  store: IncidentStore;
  log: Logger;
  /** Replaces the sinks built from the config (by name). */
  sinks?: Sink[];
  registry?: Registry;
  /**
   * Many clusters: the bounded `cluster` label of an incident's series (observability/metrics.ts's
   * clusterLabels). Absent: the counter has no `cluster` label, its series as they were.
   */
  clusterLabels?: (cluster: string | undefined) => { cluster?: string };
  now?: () => number;
  /** Alert namespace mode: an incident whose namespace and alert disagree is not routed by its alert's labels. */
  tenancy?: Tenancy;
  /** The shared informer's cache: deliveries start from its copy; our writes go into it. */
  cache?: IncidentCacheView;
}

/** One event to send to one sink; the lock (sink|identity) lets one delivery at a time per alert identity and sink run. */
interface Job extends DueJob {
  incKey: string;
  namespace: string;
  name: string;
  sink: string;
  event: string;
  identity: string;
  startsAt: string;
  attempts: number;
  /** Held back by the minimum interval of its alert; folded with the others held at the window's end. */
  deferred?: boolean;
  /** Firings this message stands for (set when deferred jobs are folded). */
  count?: number;
}

interface SinkEntry {
  cfg: SinkConfig;
  sink: Sink;
  routing: SinkRouting;
}

export class Notifier {
  private readonly sinks = new Map<string, SinkEntry>();
  // One delivery at a time per alert identity and sink (the job's lock): a second event of an incident
  // must see the first's message id, and the firings of a flapping alert are folded by one delivery, not raced.
  private readonly jobs: DueJobs<Job>;
  /** Last message per sink and alert identity, from the records of every incident observed. */
  private readonly lastSent = new Map<string, { at: number; incKey: string }>();
  /** One write of status.notifications at a time per incident. */
  private readonly writes = new SerialByKey();
  private readonly deliveries?: Counter<'sink' | 'result' | 'cluster'>;

  constructor(private readonly o: NotifierOptions) {
    this.jobs = new DueJobs<Job>({ concurrency: o.config.delivery.concurrency, run: (job) => this.run(job), now: () => this.now() });
    const overrides = new Map((o.sinks ?? []).map((s) => [s.name, s]));
    for (const cfg of o.config.sinks) {
      this.sinks.set(cfg.name, { cfg, sink: overrides.get(cfg.name) ?? createSink(cfg), routing: routingOf(o.config, cfg) });
    }
    if (o.registry) {
      this.deliveries = new Counter({
        name: 'alert_agent_notifications_total',
        help: 'Notification attempts by sink and result (sent, retrying, failed, suppressed, deferred)',
        labelNames: ['sink', 'result', ...(o.clusterLabels ? ['cluster' as const] : [])],
        registers: [o.registry],
      });
    }
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  get pending(): number {
    return this.jobs.size;
  }

  start(): void {
    this.jobs.start();
  }

  /** Stops sending; deliveries in flight finish (each bounded by the request timeout) and are recorded. */
  stop(): Promise<void> {
    return this.jobs.stop();
  }

  close(): void {
    for (const { sink } of this.sinks.values()) sink.close?.();
  }

  /** Informer handler: every stored state of every incident of this shard passes here. */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', inc: AlertIncident): void {
    const incKey = `${inc.metadata.namespace}/${inc.metadata.name}`;
    if (type === 'DELETED') {
      this.jobs.dropWhere((j) => j.incKey === incKey);
      return;
    }
    for (const r of inc.status?.notifications ?? []) {
      if (r.state !== 'Sent' || !this.sinks.has(r.sink)) continue;
      const id = `${r.sink}|${identityOf(inc)}`;
      const at = Date.parse(r.time);
      const prev = this.lastSent.get(id);
      // The first message of an incident opens a window; later events of the same incident update it.
      if (!prev || (at > prev.at && prev.incKey !== incKey)) this.lastSent.set(id, { at, incKey });
    }
    if (!this.jobs.isRunning) return;
    // Routing reads the alert's labels: an incident edited to speak for another namespace gets no message.
    if (this.o.tenancy && namespaceMismatch(inc, this.o.tenancy)) return;
    const now = this.now();
    for (const { cfg, routing } of this.sinks.values()) {
      for (const e of dueEvents(inc, cfg, routing, now)) {
        const key = `${incKey}|${cfg.name}|${e.event}`;
        if (this.jobs.has(key)) continue;
        const rec = inc.status?.notifications?.find((r) => r.sink === cfg.name && r.event === e.event);
        const retryAt = rec?.state === 'Retrying' && rec.nextAttemptAt ? Date.parse(rec.nextAttemptAt) : NaN;
        const job: Job = {
          key,
          lock: `${cfg.name}|${identityOf(inc)}`,
          incKey,
          namespace: inc.metadata.namespace,
          name: inc.metadata.name,
          sink: cfg.name,
          event: e.event,
          identity: identityOf(inc),
          startsAt: inc.spec.startsAt,
          attempts: rec?.attempts ?? 0,
          dueAt: Number.isNaN(retryAt) ? now : retryAt,
        };
        this.jobs.add(job);
      }
    }
  }

  private async run(job: Job): Promise<void> {
    try {
      await this.deliver(job);
    } catch (err) {
      // The API server (not the sink) failed: try again later; nothing was sent, or the send's record is retried below.
      this.o.log.warn('notification delivery could not read or record the incident; retrying', { incident: job.name, namespace: job.namespace, sink: job.sink, event: job.event, error: apiErrorMessage(err) });
      if (this.jobs.current(job)) {
        job.dueAt = this.now() + 5_000;
        this.jobs.schedule(job);
      }
    }
  }

  private async deliver(job: Job): Promise<void> {
    const entry = this.sinks.get(job.sink)!;
    const inc = await this.read(job.namespace, job.name);
    if (!inc) return this.jobs.drop(job.key);
    const now = this.now();
    if (!dueEvents(inc, entry.cfg, entry.routing, now).some((e) => e.event === job.event)) return this.jobs.drop(job.key);
    const log = this.o.log.child({ incident: job.name, namespace: job.namespace, sink: job.sink, event: job.event });

    // Noise control: the first message of a new firing of an alert that already had one within the window waits for the window's end.
    if (!hasSent(inc, job.sink) && entry.routing.minIntervalMs > 0) {
      const last = this.lastSent.get(`${job.sink}|${job.identity}`);
      if (last && last.incKey !== job.incKey && now - last.at < entry.routing.minIntervalMs) {
        if (!job.deferred) {
          this.deliveries?.inc({ sink: job.sink, result: 'deferred', ...this.o.clusterLabels?.(inc.spec.cluster) });
          log.info('alert notified within the minimum interval: held back until the window ends');
        }
        job.deferred = true;
        job.dueAt = last.at + entry.routing.minIntervalMs;
        this.jobs.schedule(job);
        return;
      }
      if (job.deferred) {
        const group = [...this.jobs.values()].filter((j) => j.deferred && j.sink === job.sink && j.identity === job.identity);
        const newest = group.reduce((a, b) => (b.startsAt > a.startsAt || (b.startsAt === a.startsAt && b.key > a.key) ? b : a));
        for (const j of group) {
          j.deferred = false;
          if (j === newest) continue;
          this.jobs.drop(j.key);
          const other = j === job ? inc : await this.read(j.namespace, j.name);
          if (other) await this.record(other, { sink: j.sink, type: entry.cfg.type, event: j.event, state: 'Suppressed', time: new Date(now).toISOString(), error: `folded into ${newest.incKey}` });
          this.deliveries?.inc({ sink: j.sink, result: 'suppressed', ...this.o.clusterLabels?.((other ?? inc).spec.cluster) });
        }
        newest.count = group.length;
        if (newest !== job) {
          newest.dueAt = now;
          this.jobs.schedule(newest);
          return;
        }
      }
    }

    const view = buildView(inc, job.event, { webViewURL: this.o.config.webViewURL, count: job.count, trustedLinkHosts: this.o.config.trustedLinkHosts });
    const previousId = messageIdOf(inc, job.sink);
    const deliveryId = `${inc.metadata.uid ?? job.incKey}/${job.sink}/${job.event}`;
    const attempts = job.attempts + 1;
    const { delivery } = this.o.config;
    let rec: NotificationRecord;
    try {
      const res = await entry.sink.send(view, { messageId: previousId, deliveryId, timeoutMs: delivery.timeout });
      const sentAt = this.now();
      rec = { sink: job.sink, type: entry.cfg.type, event: job.event, state: 'Sent', time: new Date(sentAt).toISOString(), attempts, messageId: res.messageId ?? previousId, ...(job.count && job.count > 1 ? { count: job.count } : {}) };
      this.lastSent.set(`${job.sink}|${job.identity}`, hasSent(inc, job.sink) ? (this.lastSent.get(`${job.sink}|${job.identity}`) ?? { at: sentAt, incKey: job.incKey }) : { at: sentAt, incKey: job.incKey });
      this.jobs.drop(job.key);
      this.deliveries?.inc({ sink: job.sink, result: 'sent', ...this.o.clusterLabels?.(inc.spec.cluster) });
      log.info('notification sent', { attempts });
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error)?.message ?? String(err), true);
      const t = new Date(this.now()).toISOString();
      if (e.retryable && attempts < delivery.maxAttempts) {
        const delay = deliveryRetryDelay(attempts, delivery, e.retryAfterMs);
        job.attempts = attempts;
        job.dueAt = this.now() + delay;
        rec = { sink: job.sink, type: entry.cfg.type, event: job.event, state: 'Retrying', time: t, attempts, error: e.message, nextAttemptAt: new Date(job.dueAt).toISOString() };
        this.deliveries?.inc({ sink: job.sink, result: 'retrying', ...this.o.clusterLabels?.(inc.spec.cluster) });
        log.warn('notification failed; retrying', { attempts, error: e.message, retryInMs: Math.round(delay) });
        this.jobs.schedule(job);
      } else {
        rec = { sink: job.sink, type: entry.cfg.type, event: job.event, state: 'Failed', time: t, attempts, error: e.message };
        this.jobs.drop(job.key);
        this.deliveries?.inc({ sink: job.sink, result: 'failed', ...this.o.clusterLabels?.(inc.spec.cluster) });
        log.error('notification failed for good', { attempts, error: e.message });
      }
    }
    // The send happened: its record must land, or a restart would send it again.
    for (let i = 0; ; i++) {
      try {
        await this.record(inc, rec);
        return;
      } catch (err) {
        if (i >= 5 || (!this.jobs.isRunning && rec.state !== 'Sent')) throw err;
        await new Promise((r) => setTimeout(r, backoffDelay(i + 1, { baseMs: 500, maxMs: 16_000 })));
      }
    }
  }

  private read(namespace: string, name: string): Promise<AlertIncident | undefined> {
    return readThrough(this.o.store, this.o.cache, namespace, name);
  }

  /**
   * Replaces this sink's record of this event in status.notifications, the notifier's own field: the list
   * is computed from the newest copy (the cache holds the answer of our previous write) and applied
   * whole, one write per incident at a time.
   */
  private record(inc: AlertIncident, rec: NotificationRecord): Promise<void> {
    return this.writes.run(`${inc.metadata.namespace}/${inc.metadata.name}`, () => this.write(inc, rec));
  }

  private async write(inc: AlertIncident, rec: NotificationRecord): Promise<void> {
    const clean: NotificationRecord = Object.fromEntries(
      Object.entries({ ...rec, sink: clip(rec.sink, LIMITS.notificationSink), event: clip(rec.event, LIMITS.notificationEvent), error: clip(rec.error, LIMITS.notificationError), messageId: rec.messageId && rec.messageId.length <= LIMITS.notificationMessageId ? rec.messageId : undefined }).filter(([, v]) => v !== undefined),
    ) as NotificationRecord;
    const { namespace, name } = inc.metadata;
    const cur = (await this.read(namespace, name)) ?? inc;
    const list = (cur.status?.notifications ?? []).filter((r) => !(r.sink === rec.sink && r.event === rec.event));
    list.push(clean);
    while (list.length > LIMITS.notifications) {
      // Keep each sink's message id holder (updates in place need it); drop the oldest other record.
      const i = list.findIndex((r, idx) => !(r.state === 'Sent' && r.messageId && list.findIndex((x) => x.sink === r.sink && x.messageId) === idx));
      list.splice(i < 0 ? 0 : i, 1);
    }
    try {
      // Written first, then told to the cache: `cache?.observed(await …)` would skip the write itself without a cache.
      const saved = await this.o.store.applyStatus(namespace, name, { notifications: list }, { fieldManager: FIELD_MANAGERS.notifier });
      this.o.cache?.observed(saved);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

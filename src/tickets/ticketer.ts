// The ticket queue, beside the notifier and built like it: it reads stored incidents through the shared
// informer, an event is due when the stored status makes it so (due.ts), and each result is recorded in
// status.tickets, the queue's own field (server-side apply as alert-agent-tickets, incident/owners.ts).
// One ticket per alert identity and tracker:
// - the identity → ticket link is kept in its own ConfigMap (links.ts), which outlives retention: a
//   refire comments on the ticket (reopening it when it was closed) instead of opening another;
// - events of one identity and tracker run one at a time here; across replicas and shards, a create is
//   first claimed in the link (a conditional write: who loses waits and then comments on the winner's);
// - a create whose answer was lost (a crash, a failed write) is found again by the marker label
//   (alertagent-<identity hash>) before anything is created anew, and a search that finds nothing right
//   after such a create is not believed at once (Jira's index lags) but tried again after searchSettle;
// - what is due is recomputed from the stored status on restart: nothing recorded done is done again.
import { Counter, type Registry } from 'prom-client';
import { clip, LIMITS } from '../incident/limits.js';
import { FIELD_MANAGERS } from '../incident/owners.js';
import { apiErrorMessage, isNotFound, readThrough, type IncidentCacheView, type IncidentStore } from '../incident/store.js';
import { namespaceMismatch, type Tenancy } from '../incident/tenancy.js';
import type { AlertIncident, TicketRecord } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import { DeliveryError } from '../util/httpClient.js';
import { DueJobs, type DueJob } from '../util/dueJobs.js';
import { deliveryRetryDelay } from '../util/retry.js';
import { SerialByKey } from '../util/serialByKey.js';
import type { TicketsConfig, TrackerConfig } from './config.js';
import { refireComment, resolveComment, severityOf, ticketBody, ticketTitle } from './content.js';
import { dueTicket, markerOf, recordOf, rulesOf, type TicketEvent, type TrackerRules } from './due.js';
import type { TicketLink, TicketLinks } from './links.js';
import { createTicketSystem, type TicketRef, type TicketSystem } from './providers/index.js';

export interface TicketerOptions {
  config: TicketsConfig;
  store: IncidentStore;
  links: TicketLinks;
  log: Logger;
  /** Replaces the systems built from the config, by tracker name (tests). */
  systems?: Record<string, TicketSystem>;
  registry?: Registry;
  /**
   * Many clusters: the bounded `cluster` label of an incident's series (observability/metrics.ts's
   * clusterLabels). Absent: the counter has no `cluster` label, its series as they were.
   */
  clusterLabels?: (cluster: string | undefined) => { cluster?: string };
  now?: () => number;
  tenancy?: Tenancy;
  /** The shared informer's cache: events start from its copy; our writes go into it. */
  cache?: IncidentCacheView;
  /** With many clusters, the local one's name: an alert of another cluster is another identity (markerOf). */
  localCluster?: string;
}

interface Tracker {
  cfg: TrackerConfig;
  system: TicketSystem;
  rules: TrackerRules;
}

/** One ticket event of one incident in one tracker; its lock is tracker|identity hash: one job at a time per lock. */
interface Job extends DueJob {
  namespace: string;
  name: string;
  tracker: string;
  event: TicketEvent;
}

/** What one event did to the ticket, before it is recorded. */
type Outcome = Pick<TicketRecord, 'state' | 'action' | 'key' | 'url'>;

/** An answer that says "not yet" without being a failure of the ticket system (a create's search settling). */
class NotYet extends Error {
  constructor(readonly waitMs: number) {
    super('waiting for the ticket system to index a create');
  }
}

export class Ticketer {
  private readonly trackers = new Map<string, Tracker>();
  private readonly jobs: DueJobs<Job>;
  /** Failed attempts per job key (the stored record holds them across restarts). */
  private readonly attempts = new Map<string, number>();
  /** One write of status.tickets at a time per incident. */
  private readonly writes = new SerialByKey();
  private readonly counter?: Counter<'system' | 'action' | 'result' | 'cluster'>;

  constructor(private readonly o: TicketerOptions) {
    this.jobs = new DueJobs<Job>({ concurrency: o.config.delivery.concurrency, run: (job) => this.run(job), now: () => this.now() });
    for (const cfg of o.config.trackers) {
      this.trackers.set(cfg.name, { cfg, system: o.systems?.[cfg.name] ?? createTicketSystem(cfg), rules: rulesOf(o.config, cfg) });
    }
    if (o.registry) {
      this.counter = new Counter({
        name: 'alert_agent_tickets_total',
        help: 'Ticket events by system, action (created, commented, reopened, linked, closed, open, resolve) and result (ok, retrying, failed, skipped)',
        labelNames: ['system', 'action', 'result', ...(o.clusterLabels ? ['cluster' as const] : [])],
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

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /** Informer handler: every stored state of every incident of this shard passes here. */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', inc: AlertIncident): void {
    const incKey = `${inc.metadata.namespace}/${inc.metadata.name}`;
    if (type === 'DELETED') {
      this.jobs.dropWhere((j) => `${j.namespace}/${j.name}` === incKey);
      return;
    }
    if (!this.jobs.isRunning || (this.o.tenancy && namespaceMismatch(inc, this.o.tenancy))) return;
    const now = this.now();
    for (const { cfg, rules } of this.trackers.values()) {
      const due = dueTicket(inc, cfg, rules, now);
      if (!due) continue;
      const key = `${incKey}|${cfg.name}|${due.event}`;
      if (this.jobs.has(key)) continue;
      const job: Job = { key, namespace: inc.metadata.namespace, name: inc.metadata.name, tracker: cfg.name, event: due.event, lock: `${cfg.name}|${markerOf(inc, this.o.localCluster).hash}`, dueAt: due.at };
      this.jobs.add(job);
    }
  }

  private async run(job: Job): Promise<void> {
    try {
      await this.handle(job);
    } catch (err) {
      // The API server (the incident, the links ConfigMap) failed, not the ticket system: try again soon.
      // A ticket action that ran before is found again through the link or the marker, never repeated blindly.
      this.o.log.warn('ticket event could not read or record its state; retrying', { incident: job.name, namespace: job.namespace, tracker: job.tracker, event: job.event, error: apiErrorMessage(err) });
      if (this.jobs.current(job)) {
        job.dueAt = this.now() + 5_000;
        this.jobs.schedule(job);
      }
    }
  }

  private async handle(job: Job): Promise<void> {
    const tracker = this.trackers.get(job.tracker)!;
    const inc = await this.read(job.namespace, job.name);
    if (!inc || dueTicket(inc, tracker.cfg, tracker.rules, this.now())?.event !== job.event) return this.jobs.drop(job.key);
    const log = this.o.log.child({ incident: job.name, namespace: job.namespace, tracker: job.tracker, event: job.event });
    const prev = recordOf(inc, job.tracker);
    const attempts = (prev?.state === 'Retrying' && prev.event === job.event ? (prev.attempts ?? 0) : (this.attempts.get(job.key) ?? 0)) + 1;
    const { delivery } = this.o.config;
    const base = { tracker: job.tracker, system: tracker.cfg.type, event: job.event } as const;
    let rec: TicketRecord;
    try {
      const out = job.event === 'open' ? await this.open(inc, tracker) : await this.resolve(inc, tracker, prev!);
      rec = { ...base, ...out, time: new Date(this.now()).toISOString(), attempts };
      this.counter?.inc({ system: tracker.cfg.type, action: (out.action ?? job.event).toLowerCase(), result: out.state === 'Skipped' ? 'skipped' : 'ok', ...this.o.clusterLabels?.(inc.spec.cluster) });
      log.info('ticket event done', { key: out.key, state: out.state, action: out.action, attempts });
    } catch (err) {
      if (err instanceof NotYet) {
        job.dueAt = this.now() + err.waitMs;
        this.jobs.schedule(job);
        return;
      }
      if (!(err instanceof DeliveryError)) throw err;
      const t = new Date(this.now()).toISOString();
      const keep = { key: prev?.key, url: prev?.url };
      if (err.retryable && attempts < delivery.maxAttempts) {
        job.dueAt = this.now() + deliveryRetryDelay(attempts, delivery, err.retryAfterMs);
        this.attempts.set(job.key, attempts);
        rec = { ...base, ...keep, state: 'Retrying', time: t, attempts, error: err.message, nextAttemptAt: new Date(job.dueAt).toISOString() };
        this.counter?.inc({ system: tracker.cfg.type, action: job.event, result: 'retrying', ...this.o.clusterLabels?.(inc.spec.cluster) });
        log.warn('ticket event failed; retrying', { attempts, error: err.message, retryInMs: job.dueAt - this.now() });
        this.jobs.schedule(job);
      } else {
        rec = { ...base, ...keep, state: 'Failed', time: t, attempts, error: err.message };
        this.counter?.inc({ system: tracker.cfg.type, action: job.event, result: 'failed', ...this.o.clusterLabels?.(inc.spec.cluster) });
        log.error('ticket event failed for good', { attempts, error: err.message });
      }
    }
    // The job stays until its record lands: a failed write is retried (run()), and the link makes the
    // retry record what was done instead of doing it again.
    await this.record(inc, rec);
    if (rec.state !== 'Retrying') {
      this.jobs.drop(job.key);
      this.attempts.delete(job.key);
    }
  }

  /** The incident needs people: the identity's ticket gets a comment (reopened if closed), or is created. */
  private async open(inc: AlertIncident, t: Tracker): Promise<Outcome> {
    const { hash } = markerOf(inc, this.o.localCluster);
    const incKey = `${inc.metadata.namespace}/${inc.metadata.name}`;
    const link = await this.o.links.get(t.cfg.name, hash);
    // This incident acted already (its record was lost): the link says what it did.
    if (link?.key && link.incident === incKey && link.open) return { state: 'Open', action: 'Linked', key: link.key, url: link.url };
    if (link?.key) {
      try {
        return await this.refire(inc, t, { key: link.key, url: link.url ?? '', open: link.open ?? true }, true);
      } catch (err) {
        // The linked ticket was deleted (or moved out of reach): the alert gets a new one.
        if (!(err instanceof DeliveryError && err.status === 404)) throw err;
        this.o.log.warn('the linked ticket is gone; opening a new one', { tracker: t.cfg.name, key: link.key });
      }
    }
    return this.findOrCreate(inc, t, link?.key ? undefined : link, link?.key);
  }

  /** A comment on the identity's ticket, reopening it first when it was closed. */
  private async refire(inc: AlertIncident, t: Tracker, ref: TicketRef, commentOpen: boolean): Promise<Outcome> {
    const timeoutMs = this.o.config.delivery.timeout;
    if (!ref.open) await t.system.reopen(ref, timeoutMs);
    if (commentOpen || !ref.open) await t.system.comment(ref, refireComment(inc, { webViewURL: this.o.config.webViewURL }, !ref.open), timeoutMs);
    await this.setLink(t, markerOf(inc, this.o.localCluster).hash, { key: ref.key, url: ref.url, open: true, incident: `${inc.metadata.namespace}/${inc.metadata.name}` });
    return { state: 'Open', action: !ref.open ? 'Reopened' : commentOpen ? 'Commented' : 'Linked', key: ref.key, url: ref.url };
  }

  /**
   * No ticket is linked: one carrying the marker is adopted (a create whose record was lost), else one is
   * created, after claiming the create in the links ConfigMap so that no other replica or shard creates too.
   */
  private async findOrCreate(inc: AlertIncident, t: Tracker, pending: TicketLink | undefined, goneKey?: string): Promise<Outcome> {
    const { hash, marker } = markerOf(inc, this.o.localCluster);
    const incKey = `${inc.metadata.namespace}/${inc.metadata.name}`;
    const timeoutMs = this.o.config.delivery.timeout;
    const settle = this.o.config.defaults.searchSettle;
    const found = await t.system.find(marker, timeoutMs);
    // Found after a lost create of this very incident: no "fired again" on it. Another's: a refire.
    if (found) return this.refire(inc, t, found, pending?.incident !== incKey);
    const began = Date.parse(pending?.creating ?? '');
    if (!Number.isNaN(began) && this.now() - began < settle) throw new NotYet(began + settle - this.now());
    const now = new Date(this.now()).toISOString();
    const claimed = await this.o.links.update(t.cfg.name, hash, (cur) => {
      // Someone linked a ticket meanwhile, or began a create of their own that is not settled yet.
      if ((cur?.key && cur.key !== goneKey) || (cur?.creating && cur.creating !== pending?.creating && this.now() - Date.parse(cur.creating) < settle)) return undefined;
      return { incident: incKey, creating: now, time: now };
    });
    if (!claimed) throw new NotYet(Math.min(settle, 1_000));
    const ref = await t.system.create({ title: ticketTitle(inc), markdown: ticketBody(inc, marker, { webViewURL: this.o.config.webViewURL }), marker, severity: severityOf(inc) }, timeoutMs);
    await this.setLink(t, hash, { key: ref.key, url: ref.url, open: true, incident: incKey });
    return { state: 'Open', action: 'Created', key: ref.key, url: ref.url };
  }

  /** The alert resolved: comment, and close or transition the ticket, unless a newer incident holds it. */
  private async resolve(inc: AlertIncident, t: Tracker, prev: TicketRecord): Promise<Outcome> {
    const { hash } = markerOf(inc, this.o.localCluster);
    const incKey = `${inc.metadata.namespace}/${inc.metadata.name}`;
    const timeoutMs = this.o.config.delivery.timeout;
    const link = await this.o.links.get(t.cfg.name, hash);
    const held = { key: prev.key, url: prev.url };
    if (link?.key && link.incident !== incKey) return { state: 'Skipped', ...held };
    if (link?.key && link.open === false) return { state: 'Closed', action: 'Closed', ...held };
    const ref: TicketRef = { key: prev.key!, url: prev.url ?? '', open: true };
    const closing = t.rules.onResolve === 'close';
    await t.system.comment(ref, resolveComment(inc, { webViewURL: this.o.config.webViewURL }, closing), timeoutMs);
    if (!closing) return { state: 'Open', action: 'Commented', ...held };
    await t.system.close(ref, timeoutMs);
    await this.setLink(t, hash, { key: ref.key, url: ref.url, open: false, incident: incKey });
    return { state: 'Closed', action: 'Closed', ...held };
  }

  private async setLink(t: Tracker, hash: string, link: Omit<TicketLink, 'time'>): Promise<void> {
    const time = new Date(this.now()).toISOString();
    await this.o.links.update(t.cfg.name, hash, () => ({ ...link, time }));
  }

  private read(namespace: string, name: string): Promise<AlertIncident | undefined> {
    return readThrough(this.o.store, this.o.cache, namespace, name);
  }

  /** Replaces this tracker's record in status.tickets, one write per incident at a time. */
  private record(inc: AlertIncident, rec: TicketRecord): Promise<void> {
    return this.writes.run(`${inc.metadata.namespace}/${inc.metadata.name}`, () => this.write(inc, rec));
  }

  private async write(inc: AlertIncident, rec: TicketRecord): Promise<void> {
    const clean = Object.fromEntries(
      Object.entries({ ...rec, key: clip(rec.key, LIMITS.ticketKey), url: rec.url && rec.url.length <= LIMITS.ticketURL ? rec.url : undefined, error: clip(rec.error, LIMITS.ticketError) }).filter(([, v]) => v !== undefined && v !== ''),
    ) as TicketRecord;
    const { namespace, name } = inc.metadata;
    const cur = (await this.read(namespace, name)) ?? inc;
    const list = [...(cur.status?.tickets ?? []).filter((r) => r.tracker !== rec.tracker), clean].slice(-LIMITS.tickets);
    try {
      // Not inside `cache?.observed(...)`: without a cache, optional chaining would skip the write itself.
      const saved = await this.o.store.applyStatus(namespace, name, { tickets: list }, { fieldManager: FIELD_MANAGERS.tickets });
      this.o.cache?.observed(saved);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

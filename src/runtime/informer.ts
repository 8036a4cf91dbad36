// One informer per resource per process, shared by every consumer of that resource (client-go's shared
// informer): the controller, the notifier, the web view's feed and correlation's lookups all read the
// one watch. It lists (a page at a time), then watches from the list's resourceVersion; on 410 Gone it
// lists again; any other end of the watch reconnects after the one backoff (runtime/retry.ts); it lists
// again every relistMs to catch anything missed, and hands every object to every consumer then (resync).
//
// Consumers subscribe with a label selector of their own, matched here: one sees ADDED when an object
// enters its selection, MODIFIED while it stays in it, DELETED when it leaves or is deleted. The
// informer's own selection is set by who runs in the process (src/operator/): the union of what they need.
// Handlers are called synchronously and must only note what they need and enqueue keys.
//
// The cache: for every object of the selection a small entry (resourceVersion, labels, creation time),
// and whole objects within a budget (`maxBytes` of JSON, estimated): memory stays flat whatever the
// number and size of the objects (10 000 unfinished incidents of 20 KB held whole were 555 MB;
// bench/README.md, memory). A new object is kept whole while there is room (the consumers' queues take
// keys in the order they came, so the first ones are kept, not the last); what a consumer reads or
// writes is kept at the expense of what was used least recently. What the API server answers to our own
// writes and reads goes into the cache (`observed`), so a consumer's next read starts from it without a
// GET; an event older than what is cached (the watch delivers our own write after its answer) changes
// nothing. A key beyond the budget costs its reader one GET.
//
// Why not client-node's makeInformer/ListWatch: it lists in one request and holds every object whole, stops
// for good on any error but 410, reconnects without backoff and never relists.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { backoffDelay, type Backoff } from '../util/retry.js';
import { covers, matches, parseSelector, type Selector } from './selector.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; creationTimestamp?: string };
}

export interface Subscriber<T> {
  /** Only objects this selector selects; undefined: everything the informer holds. */
  labelSelector?: string;
  onEvent(type: EventType, obj: T): void;
  /** After each complete list (the first, every relist). */
  onSynced?(): void;
}

export interface Subscription {
  /** Resolves once this subscriber was handed every object of its selection. */
  synced: Promise<void>;
  unsubscribe(): void;
}

/** What the cache knows of every object of its selection, whole or not. */
export interface CacheEntry {
  namespace: string;
  name: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
}

export type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, obj: any) => void,
  onDone: (err: unknown) => void,
) => Promise<{ abort(): void }>;

export interface InformerOptions<T extends InformerObject> {
  /** The resource, for logs and metrics (e.g. alertincidents). */
  resource: string;
  /** The collection's path without namespace: `/apis/<group>/<version>`, plus `plural`. */
  apiPath: string;
  plural: string;
  /** Only this namespace; undefined: every namespace. */
  namespace?: string;
  /** The informer's own selection: the union of what its consumers need. */
  labelSelector?: string;
  /** One page of the list (the caller counts its requests). */
  list(o: { namespace?: string; labelSelector?: string; limit: number; continueToken?: string }): Promise<{ items: unknown[]; resourceVersion: string; continueToken?: string }>;
  /** Checks and slims a raw object (drop what no consumer reads); undefined: ignore it. */
  parse(raw: unknown): T | undefined;
  kc?: KubeConfig;
  /** Replaces client-node's Watch (tests). */
  watch?: WatchFn;
  log: Logger;
  /** Whole objects kept, at most, in estimated bytes of JSON (default 2 MiB) and in number (default: no bound but the bytes). */
  maxBytes?: number;
  maxObjects?: number;
  relistMs?: number;
  pageSize?: number;
  /** Reconnects and failed lists back off by this. */
  backoff?: Backoff;
  onLifecycle?: (event: 'connect' | 'relist' | 'expired' | 'error') => void;
  /** Registers alertagent_informer_watches (open watches) and alertagent_informer_objects. */
  registry?: Registry;
}

interface Entry {
  rv: string;
  labels?: Record<string, string>;
  created?: string;
}

interface Sub<T> {
  s: Subscriber<T>;
  sel: Selector;
  /** Not yet handed every object: waits for the end of a complete list. */
  pending: boolean;
  /** Joined after objects were handed out: only a list that starts after it joined hands it all. */
  late: boolean;
  resolve: () => void;
}

const TOMBSTONES = 1024;

export class Informer<T extends InformerObject> {
  private readonly entries = new Map<string, Entry>();
  /** Whole objects, least recently used first, with their estimated size. */
  private readonly objects = new Map<string, { obj: T; bytes: number }>();
  private heldBytes = 0;
  /** Keys deleted (or gone out of the selection) and the resourceVersion of that: older news is dropped. */
  private readonly tombstones = new Map<string, string>();
  private readonly subs = new Set<Sub<T>>();
  private readonly sel: Selector;
  private readonly maxObjects: number;
  private readonly maxBytes: number;
  private readonly backoff: Backoff;
  private readonly watchFn: WatchFn;
  private resourceVersion?: string;
  /** The watch open now. */
  private current?: { abort(): void; open: boolean };
  private replayTimer?: NodeJS.Immediate;
  private started = false;
  private stopped = false;
  private dispatched = false;
  private failures = 0;
  private openWatches = 0;
  private relistTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private relisting?: Promise<void>;
  private relistAgain = false;
  private firstSync?: Promise<void>;
  private watchGauge?: Gauge<'resource'>;
  private objectsGauge?: Gauge<'resource' | 'kept'>;
  private bytesGauge?: Gauge<'resource'>;
  synced = false;

  constructor(private readonly o: InformerOptions<T>) {
    this.sel = parseSelector(o.labelSelector);
    this.maxObjects = Math.max(1, o.maxObjects ?? Infinity);
    this.maxBytes = o.maxBytes ?? 2 * 1024 * 1024;
    this.backoff = o.backoff ?? { baseMs: 500, maxMs: 30_000 };
    this.watchFn = o.watch ?? ((path, query, onEvent, onDone) => new Watch(o.kc!).watch(path, query, onEvent, onDone));
    if (o.registry) {
      // One metric per process, a label per resource: every informer of the registry shares it.
      const r = o.registry;
      this.watchGauge = (r.getSingleMetric('alertagent_informer_watches') as Gauge<'resource'> | undefined) ??
        new Gauge({ name: 'alertagent_informer_watches', help: 'Watches this process has open, by resource (one informer per resource).', labelNames: ['resource'], registers: [r] });
      this.watchGauge.set({ resource: o.resource }, 0);
      const objects = (r.getSingleMetric('alertagent_informer_objects') as Gauge<'resource' | 'kept'> | undefined) ??
        new Gauge({ name: 'alertagent_informer_objects', help: 'Objects in the informer cache, by resource and how they are kept (entry: key and labels; whole).', labelNames: ['resource', 'kept'], registers: [r] });
      this.objectsGauge = objects;
      this.bytesGauge = (r.getSingleMetric('alertagent_informer_object_bytes') as Gauge<'resource'> | undefined) ??
        new Gauge({ name: 'alertagent_informer_object_bytes', help: 'Estimated JSON bytes of the whole objects the informer cache holds, by resource.', labelNames: ['resource'], registers: [r] });
    }
  }

  static key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  /** Watches open now (0 or 1). */
  get watches(): number {
    return this.openWatches;
  }

  /**
   * Starts listing and watching in the background and returns at once: consumers that subscribe right
   * after are handed the first list as it comes, with nothing listed twice. `synced` tells when it is done.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.firstSync = this.initialList();
  }

  /** Resolves after the first complete list. */
  async waitForSync(): Promise<void> {
    await this.firstSync;
  }

  stop(): void {
    this.stopped = true;
    this.started = false;
    clearInterval(this.relistTimer);
    clearTimeout(this.retryTimer);
    if (this.replayTimer) clearImmediate(this.replayTimer);
    this.replayTimer = undefined;
    if (this.current?.open) {
      this.current.open = false;
      this.setWatches(-1);
    }
    this.current?.abort();
    this.current = undefined;
    this.synced = false;
    this.dispatched = false;
    this.resourceVersion = undefined;
    this.entries.clear();
    this.objects.clear();
    this.heldBytes = 0;
    this.tombstones.clear();
    for (const s of this.subs) s.resolve();
    this.subs.clear();
  }

  /**
   * Hands the subscriber every event of its selection from now on. One that joins after objects were
   * handed out gets them all from a fresh list (the cache does not hold every object whole).
   */
  subscribe(s: Subscriber<T>): Subscription {
    let resolve!: () => void;
    const synced = new Promise<void>((r) => (resolve = r));
    const sub: Sub<T> = { s, sel: parseSelector(s.labelSelector), pending: true, late: this.dispatched, resolve };
    this.subs.add(sub);
    if (sub.late) this.replaySoon();
    else if (this.synced) {
      // listed, and nothing to hand out
      sub.pending = false;
      resolve();
    }
    return { synced, unsubscribe: () => (this.subs.delete(sub), resolve()) };
  }

  /** The whole object, if held (it then counts as used). */
  get(namespace: string | undefined, name: string): T | undefined {
    const key = Informer.key(namespace, name);
    const held = this.objects.get(key);
    if (held) {
      this.objects.delete(key);
      this.objects.set(key, held);
    }
    return held?.obj;
  }

  /** Does the cache hold a complete answer for objects of this selector (in this namespace, or all)? */
  covers(labelSelector: string, namespace: string | undefined): boolean {
    if (!this.synced) return false;
    if (this.o.namespace !== undefined && this.o.namespace !== namespace) return false;
    return covers(this.sel, parseSelector(labelSelector));
  }

  /** The entries that match a selector (in `namespace`, or all), from the cache. */
  find(labelSelector: string, namespace: string | undefined): CacheEntry[] {
    const sel = parseSelector(labelSelector);
    const out: CacheEntry[] = [];
    for (const [key, e] of this.entries) {
      const i = key.indexOf('/');
      const ns = key.slice(0, i);
      if (namespace !== undefined && ns !== namespace) continue;
      if (matches(sel, e.labels)) out.push({ namespace: ns, name: key.slice(i + 1), resourceVersion: e.rv, labels: e.labels, creationTimestamp: e.created });
    }
    return out;
  }

  /**
   * What the API server answered to a write or a read of ours (already parsed): the newest state of the
   * object, so it goes into the cache and to the consumers now instead of when the watch brings it.
   */
  observed(obj: T): void {
    if (!this.started) return;
    this.upsert(obj, false, true);
  }

  // ── the cache ─────────────────────────────────────────────────────────────────────────────────────

  private upsert(obj: T, resync: boolean, used = false): void {
    const m = obj.metadata;
    const key = Informer.key(m.namespace, m.name);
    const rv = m.resourceVersion ?? '';
    const tomb = this.tombstones.get(key);
    if (tomb !== undefined) {
      if (!newer(rv, tomb)) return;
      this.tombstones.delete(key);
    }
    const prev = this.entries.get(key);
    if (prev && !newer(rv, prev.rv)) {
      // Nothing new; a resync still hands the newest state known to every consumer.
      if (resync) this.dispatch(prev, prev, this.objects.get(key)?.obj ?? obj);
      return;
    }
    if (!this.selects(obj)) {
      // Our own write took it out of the selection (e.g. a label): gone for the consumers now.
      if (prev) this.remove(key, rv, prev, obj);
      else this.tomb(key, rv);
      return;
    }
    const entry: Entry = { rv, labels: m.labels, created: m.creationTimestamp };
    this.entries.set(key, entry);
    this.hold(key, obj, used);
    this.dispatch(prev, entry, obj);
  }

  /**
   * Keeps the whole object: in place of its older version, or while there is room, or (read or written by
   * a consumer: it is about to be read again) in place of what was used least recently.
   */
  private hold(key: string, obj: T, used: boolean): void {
    const bytes = approxBytes(obj);
    const had = this.objects.get(key);
    if (had) {
      this.heldBytes -= had.bytes;
      this.objects.delete(key);
    } else if (!used && (this.objects.size >= this.maxObjects || this.heldBytes + bytes > this.maxBytes)) {
      return;
    }
    this.objects.set(key, { obj, bytes });
    this.heldBytes += bytes;
    for (const [k, v] of this.objects) {
      if (k === key || (this.objects.size <= this.maxObjects && this.heldBytes <= this.maxBytes)) break;
      this.objects.delete(k);
      this.heldBytes -= v.bytes;
    }
  }

  private drop(key: string): void {
    const had = this.objects.get(key);
    if (!had) return;
    this.heldBytes -= had.bytes;
    this.objects.delete(key);
  }

  private deleted(obj: T): void {
    const m = obj.metadata;
    const key = Informer.key(m.namespace, m.name);
    const rv = m.resourceVersion ?? '';
    const prev = this.entries.get(key);
    if (prev && newer(prev.rv, rv)) return;
    if (prev) this.remove(key, rv, prev, obj);
    else this.tomb(key, rv);
  }

  private remove(key: string, rv: string, prev: Entry, obj: T): void {
    this.entries.delete(key);
    this.drop(key);
    this.tomb(key, rv);
    this.dispatch(prev, undefined, obj);
  }

  private tomb(key: string, rv: string): void {
    this.tombstones.delete(key);
    this.tombstones.set(key, rv);
    if (this.tombstones.size > TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
  }

  private selects(obj: T): boolean {
    if (this.o.namespace !== undefined && obj.metadata.namespace !== this.o.namespace) return false;
    return matches(this.sel, obj.metadata.labels);
  }

  private dispatch(prev: Entry | undefined, next: Entry | undefined, obj: T): void {
    this.dispatched = true;
    this.countObjects();
    for (const sub of this.subs) {
      const was = prev !== undefined && matches(sub.sel, prev.labels);
      const is = next !== undefined && matches(sub.sel, next.labels);
      const type: EventType | undefined = is ? (was ? 'MODIFIED' : 'ADDED') : was ? 'DELETED' : undefined;
      if (!type) continue;
      try {
        sub.s.onEvent(type, obj);
      } catch (err) {
        this.o.log.error('an informer handler failed', { resource: this.o.resource, error: (err as Error)?.message ?? String(err) });
      }
    }
  }

  // ── list and watch ────────────────────────────────────────────────────────────────────────────────

  private async initialList(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.requestRelist();
        break;
      } catch (err) {
        if (this.stopped) return;
        this.o.log.warn('initial list failed; retrying', { resource: this.o.resource, error: errorText(err), attempt });
        await new Promise((r) => (this.retryTimer = setTimeout(r, backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 }))));
      }
    }
    if (this.stopped) return;
    void this.watch();
    this.relistTimer = setInterval(() => {
      this.requestRelist().catch((err) => this.o.log.warn('periodic relist failed', { resource: this.o.resource, error: errorText(err) }));
    }, this.o.relistMs ?? 600_000);
    this.relistTimer.unref();
  }

  /** A list for consumers that joined late: one for all who join in the same tick, retried until it succeeds. */
  private replaySoon(delayFailures = 0): void {
    if (this.replayTimer || this.stopped) return;
    this.replayTimer = setImmediate(() => {
      this.replayTimer = undefined;
      this.requestRelist().catch((err) => {
        this.o.log.warn('list for a new consumer failed; retrying', { resource: this.o.resource, error: errorText(err) });
        this.retryTimer = setTimeout(() => this.replaySoon(delayFailures + 1), backoffDelay(delayFailures + 1, this.backoff));
      });
    });
  }

  /** One list at a time; a request while one runs gets another after it (new subscribers need all of it). */
  private requestRelist(): Promise<void> {
    if (this.relisting) {
      this.relistAgain = true;
      return this.relisting;
    }
    const run = async () => {
      try {
        do {
          this.relistAgain = false;
          await this.relist();
        } while (this.relistAgain && !this.stopped);
      } finally {
        this.relisting = undefined;
      }
    };
    this.relisting = run();
    return this.relisting;
  }

  /**
   * Pages through the list so memory stays bounded however many objects there are. 100 a page: an
   * unfinished incident can be 20 KB or more, and a page is garbage only once every item was handled
   * (500 a page raised the start-up peak with 10 000 such incidents by 50 MB; bench/README.md, memory).
   */
  private async relist(): Promise<void> {
    // Those that joined before this list started, or without having missed anything, have it all at its end.
    const waiting = [...this.subs].filter((s) => s.pending);
    for (const s of waiting) s.late = false;
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let rv = '';
    do {
      const page = await this.o.list({ namespace: this.o.namespace, labelSelector: this.o.labelSelector, limit: this.o.pageSize ?? 100, continueToken });
      if (this.stopped) return;
      for (const raw of page.items) {
        const obj = this.o.parse(raw);
        if (!obj) continue;
        seen.add(Informer.key(obj.metadata.namespace, obj.metadata.name));
        this.upsert(obj, true);
      }
      continueToken = page.continueToken;
      rv = page.resourceVersion;
    } while (continueToken && !this.stopped);
    // What the list did not return is gone, unless we learnt of it after the list was taken.
    for (const [key, e] of [...this.entries]) {
      if (seen.has(key) || newer(e.rv, rv)) continue;
      const i = key.indexOf('/');
      const gone = this.objects.get(key)?.obj ?? ({ metadata: { namespace: key.slice(0, i) || undefined, name: key.slice(i + 1), resourceVersion: rv, labels: e.labels } } as T);
      this.remove(key, rv, e, gone);
    }
    this.resourceVersion = rv;
    this.synced = true;
    this.countObjects();
    this.o.onLifecycle?.('relist');
    for (const sub of this.subs) {
      try {
        sub.s.onSynced?.();
      } catch (err) {
        this.o.log.error('an informer handler failed', { resource: this.o.resource, error: errorText(err) });
      }
    }
    for (const sub of this.subs) {
      if (!sub.pending || sub.late) continue;
      sub.pending = false;
      sub.resolve();
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const path = this.o.namespace ? `${this.o.apiPath}/namespaces/${encodeURIComponent(this.o.namespace)}/${this.o.plural}` : `${this.o.apiPath}/${this.o.plural}`;
    let expired = false;
    let gotEvent = false;
    const w = { abort: () => undefined as void, open: false };
    const done = (err: unknown) => {
      if (w.open) {
        w.open = false;
        this.setWatches(-1);
      }
      if (this.stopped) return;
      if ((err as { statusCode?: number })?.statusCode === 410) expired = true;
      if (expired) this.o.onLifecycle?.('expired');
      if (err && !expired) {
        this.failures++;
        this.o.onLifecycle?.('error');
        this.o.log.warn('watch ended with an error; reconnecting', { resource: this.o.resource, error: errorText(err), failures: this.failures });
      } else if (gotEvent || expired) {
        this.failures = 0;
      }
      const delay = this.failures ? backoffDelay(this.failures, this.backoff) : 0;
      this.retryTimer = setTimeout(() => void this.reconnect(expired), delay);
    };
    try {
      const abort = await this.watchFn(
        path,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, labelSelector: this.o.labelSelector, timeoutSeconds: 300 + Math.floor(Math.random() * 60) },
        (type, raw) => {
          gotEvent = true;
          if (type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old for the watch cache: list again.
            if (raw?.code === 410) expired = true;
            return;
          }
          const rv = raw?.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          const obj = this.o.parse(raw);
          if (!obj) return;
          if (type === 'DELETED') this.deleted(obj);
          else this.upsert(obj, false);
        },
        done,
      );
      if (this.stopped) {
        abort.abort();
        return;
      }
      w.abort = () => abort.abort();
      w.open = true;
      this.current = w;
      this.setWatches(+1);
      this.o.onLifecycle?.('connect');
    } catch (err) {
      done(err);
    }
  }

  private countObjects(): void {
    this.objectsGauge?.set({ resource: this.o.resource, kept: 'entry' }, this.entries.size);
    this.objectsGauge?.set({ resource: this.o.resource, kept: 'whole' }, this.objects.size);
    this.bytesGauge?.set({ resource: this.o.resource }, this.heldBytes);
  }

  private setWatches(by: number): void {
    this.openWatches += by;
    this.watchGauge?.set({ resource: this.o.resource }, this.openWatches);
  }

  private async reconnect(relist: boolean): Promise<void> {
    if (this.stopped) return;
    if (relist || (this.failures > 0 && this.failures % 5 === 0)) {
      try {
        await this.requestRelist();
      } catch (err) {
        this.failures++;
        this.o.log.warn('relist failed; retrying', { resource: this.o.resource, error: errorText(err), failures: this.failures });
        this.retryTimer = setTimeout(() => void this.reconnect(true), backoffDelay(this.failures, this.backoff));
        return;
      }
    }
    void this.watch();
  }
}

/** The size of an object as JSON, roughly (strings and keys counted; cheaper than serialising it). */
export function approxBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object' || v === null) return 6;
  let n = 2;
  if (Array.isArray(v)) for (const x of v) n += approxBytes(x) + 1;
  else for (const k in v) n += k.length + 4 + approxBytes((v as Record<string, unknown>)[k]);
  return n;
}

/**
 * Is `rv` newer than `than`? resourceVersions are opaque by the API conventions; every apiserver backed
 * by etcd issues increasing integers, which is what this relies on. Anything else counts as newer when
 * it differs, so that news is never lost.
 */
export function newer(rv: string | undefined, than: string | undefined): boolean {
  if (!than) return true;
  if (!rv) return false;
  if (!/^\d+$/.test(rv) || !/^\d+$/.test(than)) return rv !== than;
  return rv.length !== than.length ? rv.length > than.length : rv > than;
}

function errorText(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  const msg = typeof body === 'string' ? /"message":"([^"]*)"/.exec(body)?.[1] : (body as { message?: string } | undefined)?.message;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number') return `API server answered ${code}${msg ? `: ${msg}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

// The runtime's parts on their own: label selectors, the shared informer (one watch for every consumer,
// each with its own selection; relists; a consumer that joins late), the manager of runnables, the one
// backoff and retry on conflict.
import { slimManagedFields } from '../../src/incident/owners.js';
import { AlertIncident } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Informer, type EventType } from '../../src/runtime/informer.js';
import { Manager } from '../../src/runtime/manager.js';
import { backoffDelay, retryOnConflict } from '../../src/util/retry.js';
import { covers, matches, parseSelector } from '../../src/runtime/selector.js';
import { FakeStore, NS, fakeWatch, incident, tick } from './fakeIncidents.js';

const FINISHED = { 'alertagent.io/finished': 'true' };

describe('label selectors', () => {
  it('match as the API server does', () => {
    const sel = parseSelector('alertagent.io/finished!=true,alertagent.io/shard notin (1,2)');
    expect(matches(sel, {})).toBe(true);
    expect(matches(sel, { 'alertagent.io/shard': '0' })).toBe(true);
    expect(matches(sel, { 'alertagent.io/shard': '2' })).toBe(false);
    expect(matches(sel, FINISHED)).toBe(false);
    expect(matches(parseSelector('a=b,c,!d'), { a: 'b', c: '' })).toBe(true);
    expect(matches(parseSelector('a in (x, y)'), { a: 'y' })).toBe(true);
    expect(matches(parseSelector(undefined), { any: 'thing' })).toBe(true);
  });

  it('a cache of one selection answers a query only when it holds everything the query selects', () => {
    const everything = parseSelector('');
    const unfinished = parseSelector('alertagent.io/finished!=true');
    const workload = parseSelector('alertagent.io/workload=abc');
    expect(covers(everything, workload)).toBe(true);
    expect(covers(unfinished, workload)).toBe(false);
    expect(covers(unfinished, parseSelector('alertagent.io/workload=abc,alertagent.io/finished!=true'))).toBe(true);
    expect(covers(unfinished, parseSelector('alertagent.io/finished=false'))).toBe(true);
    expect(covers(parseSelector('s=1'), parseSelector('s in (1,2)'))).toBe(false);
  });
});

function informer(store: FakeStore, o: { labelSelector?: string; relistMs?: number } = {}) {
  const w = fakeWatch();
  const inf = new Informer<AlertIncident>({
    resource: 'alertincidents',
    apiPath: '/apis/alertagent.io/v1alpha1',
    plural: 'alertincidents',
    namespace: NS,
    labelSelector: o.labelSelector,
    list: (q) => store.list(q),
    parse: (raw) => slimManagedFields(AlertIncident.parse(raw)),
    watch: w.fn,
    log: silentLogger(),
    relistMs: o.relistMs,
    backoff: { baseMs: 5, maxMs: 20 },
  });
  return { inf, w };
}

function recorder() {
  const events: string[] = [];
  return { events, onEvent: (type: EventType, inc: AlertIncident) => events.push(`${type} ${inc.metadata.name}`) };
}

describe('Informer', () => {
  it('one watch for every consumer; each sees its own selection, and an object leaving one is DELETED for it alone', async () => {
    const store = new FakeStore();
    store.create(incident('a', 0, { phase: 'Analyzing' }, 0, { 'alertagent.io/shard': '1' }));
    store.create(incident('b', 0, { phase: 'Reported' }, 0, { ...FINISHED, 'alertagent.io/shard': '1' }));
    store.create(incident('c', 0, { phase: 'Analyzing' }, 0, { 'alertagent.io/shard': '2' }));
    const { inf, w } = informer(store);
    const controller = recorder();
    const notifier = recorder();
    const web = recorder();
    inf.start();
    inf.subscribe({ labelSelector: 'alertagent.io/finished!=true,alertagent.io/shard=1', ...controller });
    inf.subscribe({ labelSelector: 'alertagent.io/shard=1', ...notifier });
    inf.subscribe(web);
    await inf.waitForSync();
    await tick();
    expect(store.lists).toBe(1);
    expect(w.opened).toBe(1);
    expect(inf.watches).toBe(1);
    expect(controller.events).toEqual(['ADDED a']);
    expect(notifier.events).toEqual(['ADDED a', 'ADDED b']);
    expect(web.events).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    // a finishes
    const a = store.objects.get('a')!;
    w.emit('MODIFIED', store.put({ ...a, metadata: { ...a.metadata, labels: { ...a.metadata.labels, ...FINISHED } } }));
    expect(controller.events.at(-1)).toBe('DELETED a');
    expect(notifier.events.at(-1)).toBe('MODIFIED a');
    expect(web.events.at(-1)).toBe('MODIFIED a');
    inf.stop();
    expect(inf.watches).toBe(0);
  });

  it('a consumer that joins after the list is handed everything from one more list; two joining at once share it', async () => {
    const store = new FakeStore();
    for (const n of ['a', 'b']) store.create(incident(n, 0));
    const { inf } = informer(store);
    const web = recorder();
    inf.start();
    inf.subscribe(web);
    await inf.waitForSync();
    const late1 = recorder();
    const late2 = recorder();
    const s1 = inf.subscribe(late1);
    const s2 = inf.subscribe(late2);
    await Promise.all([s1.synced, s2.synced]);
    expect(late1.events.sort()).toEqual(['MODIFIED a', 'MODIFIED b']);
    expect(late2.events.sort()).toEqual(['MODIFIED a', 'MODIFIED b']);
    expect(store.lists).toBe(2);
    inf.stop();
  });

  it('a consumer that joins while the first list is in flight, before anything was handed out, needs no other list', async () => {
    const store = new FakeStore();
    const { inf } = informer(store);
    inf.start();
    const early = inf.subscribe(recorder());
    const mid = inf.subscribe(recorder()); // the list of an empty namespace has not answered yet
    await Promise.all([early.synced, mid.synced]);
    const after = inf.subscribe(recorder()); // listed, nothing to hand out
    await after.synced;
    expect(store.lists).toBe(1);
    inf.stop();
  });

  it('410 Gone: it lists again and watches from there; what the list no longer has is DELETED', async () => {
    const store = new FakeStore();
    for (const n of ['a', 'b']) store.create(incident(n, 0));
    const { inf, w } = informer(store);
    const web = recorder();
    inf.start();
    inf.subscribe(web);
    await inf.waitForSync();
    await tick();
    store.objects.delete('b'); // deleted while we were not watching
    w.emit('ERROR', { code: 410 });
    w.end();
    for (let i = 0; i < 50 && w.opened < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.lists).toBe(2);
    expect(w.opened).toBe(2);
    expect(web.events).toContain('DELETED b');
    expect(w.queries[1].resourceVersion).toBe(String(store.rv));
    inf.stop();
  });

  it('a watch that fails reconnects after the backoff, from the last resourceVersion, without a list', async () => {
    const store = new FakeStore();
    store.create(incident('a', 0));
    const { inf, w } = informer(store);
    inf.start();
    await inf.waitForSync();
    await tick();
    w.emit('MODIFIED', store.put(store.objects.get('a')!));
    w.end(new Error('connection reset'));
    await new Promise((r) => setTimeout(r, 50));
    expect(w.opened).toBe(2);
    expect(store.lists).toBe(1);
    expect(w.queries[1].resourceVersion).toBe(String(store.rv));
    inf.stop();
  });

  it('answers a lookup from its cache only when its selection covers it', async () => {
    const store = new FakeStore();
    store.create(incident('a', 0, { phase: 'Analyzing' }, 0, { 'alertagent.io/workload': 'w1' }));
    store.create(incident('b', 0, { phase: 'Analyzing' }, 0, { 'alertagent.io/workload': 'w2' }));
    const all = informer(store);
    all.inf.start();
    await all.inf.waitForSync();
    expect(all.inf.covers('alertagent.io/workload=w1', NS)).toBe(true);
    expect(all.inf.covers('alertagent.io/workload=w1', 'other')).toBe(false);
    expect(all.inf.find('alertagent.io/workload=w1', NS).map((e) => e.name)).toEqual(['a']);
    const unfinished = informer(store, { labelSelector: 'alertagent.io/finished!=true' });
    unfinished.inf.start();
    await unfinished.inf.waitForSync();
    expect(unfinished.inf.covers('alertagent.io/workload=w1', NS)).toBe(false);
    all.inf.stop();
    unfinished.inf.stop();
  });
});

describe('Manager', () => {
  it('starts every-replica runnables, then the leader\'s (without election: at once); stops the leader\'s first', async () => {
    const log: string[] = [];
    const r = (name: string) => ({ name, start: () => void log.push(`start ${name}`), stop: async () => void log.push(`stop ${name}`) });
    const m = new Manager({ log: silentLogger() });
    m.add(r('informer'), { leaderOnly: false });
    m.add(r('controller'), { leaderOnly: true });
    m.add(r('web'), { leaderOnly: false });
    await m.start();
    expect(m.leading()).toBe(true);
    expect(m.isLeader()).toBe(true);
    await m.stop();
    expect(log).toEqual(['start informer', 'start web', 'start controller', 'stop controller', 'stop web', 'stop informer']);
    expect(m.leading()).toBe(false);
  });
});

describe('backoff and retry on conflict', () => {
  it('one formula: base × 2^(n-1), capped, jittered', () => {
    const b = { baseMs: 1000, maxMs: 300_000, jitter: 0 };
    expect([1, 2, 3, 10, 20].map((n) => backoffDelay(n, b))).toEqual([1000, 2000, 4000, 300_000, 300_000]);
    const j = backoffDelay(3, { baseMs: 1000, maxMs: 300_000, jitter: 0.1 });
    expect(j).toBeGreaterThanOrEqual(3600);
    expect(j).toBeLessThanOrEqual(4400);
  });

  it('retries a 409 with a fresh read, and gives up after the last attempt', async () => {
    const attempts: number[] = [];
    const ok = await retryOnConflict(async (n) => {
      attempts.push(n);
      if (n < 3) throw Object.assign(new Error('conflict'), { code: 409 });
      return 'written';
    });
    expect(ok).toBe('written');
    expect(attempts).toEqual([1, 2, 3]);
    await expect(retryOnConflict(async () => Promise.reject(Object.assign(new Error('conflict'), { code: 409 })), { attempts: 2 })).rejects.toThrow('conflict');
    await expect(retryOnConflict(async () => Promise.reject(Object.assign(new Error('boom'), { code: 500 })))).rejects.toThrow('boom');
  });
});

// The reconciler on the shared informer, with an in-memory apiserver and engine: per unfinished incident
// it keeps only its phase (memory does not grow with the incidents' size); a step starts from the
// informer's copy (no GET), its write goes back into the cache, and it applies only the controller's
// fields (server-side apply: the notifier's are never read, merged or carried).
// (Persistence against a real apiserver: test/integration/restart.test.ts, investigation.test.ts, and the
// race of a notifier and a controller: test/integration/ownership.test.ts.)
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { WorkQueue } from '../../src/runtime/queue.js';
import { IncidentReconciler, UNFINISHED_SELECTOR } from '../../src/controller/reconciler.js';
import type { IncidentStore } from '../../src/incident/store.js';
import { AlertIncident, type IncidentStatus } from '../../src/incident/types.js';
import type { Advance, InvestigationEngine } from '../../src/investigation/engine.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { FakeStore, NS, fakeWatch, incident, tick, unfinishedInformer } from './fakeIncidents.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** An engine that records what it was given and writes `next(inc)`. */
function engine(seen: AlertIncident[], next: (inc: AlertIncident) => IncidentStatus) {
  return {
    advance: async (inc: AlertIncident): Promise<Advance> => {
      seen.push(inc);
      return { kind: 'write', status: next(inc), events: [] };
    },
  } as unknown as InvestigationEngine;
}

const stepAfter = (inc: AlertIncident): IncidentStatus => ({ ...inc.status, phase: 'Analyzing', summary: `step after ${inc.metadata.resourceVersion}` });

/**
 * The controller as operator.ts wires it: an informer of unfinished incidents (its watch driven by the
 * test: `deliver()` hands it what the store changed since), the reconciler subscribed to it.
 */
async function controller(o: { next?: (inc: AlertIncident) => IncidentStatus; engine?: InvestigationEngine; maxObjects?: number; canWrite?: () => boolean } = {}) {
  const store = new FakeStore();
  const pending: Array<['ADDED' | 'MODIFIED' | 'DELETED', AlertIncident]> = [];
  store.onChange = (type, obj) => pending.push([type, obj]);
  const w = fakeWatch();
  const informer = unfinishedInformer(store, w, o.maxObjects);
  const seen: AlertIncident[] = [];
  const metrics = createMetrics();
  const r = new IncidentReconciler({ store: store as unknown as IncidentStore, engine: o.engine ?? engine(seen, o.next ?? stepAfter), log: silentLogger(), metrics, cache: informer, canWrite: o.canWrite });
  const queued: string[] = [];
  informer.subscribe({ labelSelector: UNFINISHED_SELECTOR, onEvent: (type, inc) => {
    const key = r.observe(type, inc);
    if (key) queued.push(key);
  } });
  const deliver = () => {
    for (const [type, obj] of pending.splice(0)) w.emit(type, obj);
  };
  return {
    store,
    informer,
    r,
    seen,
    metrics,
    queued,
    deliver,
    pending,
    async start() {
      informer.start();
      await informer.waitForSync();
      await tick();
      pending.length = 0; // the list brought them
    },
  };
}

describe('IncidentReconciler: what it keeps', () => {
  it('1000 unfinished incidents of 20 KB each leave under 1.5 MB on the heap, and no spec or status', () => {
    const r = new IncidentReconciler({ store: new FakeStore() as unknown as IncidentStore, engine: engine([], stepAfter), log: silentLogger() });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) r.observe('ADDED', incident(`inc-${i}`, 10 + i, { phase: i % 2 ? 'Analyzing' : 'AwaitingApproval' }, 10 * 1024));
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(r.tracked).toBe(1000);
    // 1000 × 20 KB = 20 MB went through observe; holding the objects would keep more than that.
    expect(retained).toBeLessThan(1.5 * 1024 * 1024);
    const entry = r.trackedEntry(IncidentReconciler.key(NS, 'inc-1'));
    expect(entry).toEqual({ phase: 'Analyzing' });
    expect(JSON.stringify(entry)).not.toMatch(/spec|status|inc-1 inc-1/);
  });

  it('the gauges count by phase as incidents come, change and go, in constant time per event', async () => {
    const r = new IncidentReconciler({ store: new FakeStore() as unknown as IncidentStore, engine: engine([], stepAfter), log: silentLogger(), metrics: createMetrics() });
    const metrics = (r as unknown as { d: { metrics: ReturnType<typeof createMetrics> } }).d.metrics;
    for (let i = 0; i < 10; i++) r.observe('ADDED', incident(`g-${i}`, 10 + i, { phase: i < 3 ? 'AwaitingApproval' : 'Analyzing' }));
    r.observe('MODIFIED', incident('g-5', 30, { phase: 'AwaitingApproval' }));
    r.observe('MODIFIED', incident('g-5', 31, { phase: 'Analyzing' }));
    r.observe('MODIFIED', incident('g-5', 32, { phase: 'AwaitingApproval' }));
    r.observe('DELETED', incident('g-0', 31, { phase: 'AwaitingApproval' }));
    const values = async () => Object.fromEntries((await metrics.incidentsByPhase.get()).values.map((v) => [v.labels.phase, v.value]));
    expect(await values()).toEqual({ AwaitingApproval: 3, Analyzing: 6 });
    expect((await metrics.approvalsWaiting.get()).values[0].value).toBe(3);
    for (let i = 1; i < 3; i++) r.observe('DELETED', incident(`g-${i}`, 40 + i));
    r.observe('DELETED', incident('g-5', 50));
    expect(await values()).toEqual({ Analyzing: 6 });
    expect((await metrics.approvalsWaiting.get()).values[0].value).toBe(0);
  });
});

describe('IncidentReconciler: a step starts from the informer\'s copy', () => {
  it('no GET: the first step from the listed copy, the next from our own write (before the watch brings it)', async () => {
    const c = await controller();
    const inc = c.store.create(incident('a', 0));
    await c.start();
    const key = IncidentReconciler.key(NS, 'a');
    expect(c.queued).toEqual([key]);
    expect(await c.r.reconcile(key)).toEqual({ requeue: true });
    const written = c.store.objects.get('a')!.metadata.resourceVersion;
    expect(await c.r.reconcile(key)).toEqual({ requeue: true });
    expect(c.store.gets).toBe(0);
    expect(c.seen[0].metadata.resourceVersion).toBe(inc.metadata.resourceVersion);
    expect(c.seen[1].metadata.resourceVersion).toBe(written);
    expect(c.seen[1].status?.summary).toBe(`step after ${inc.metadata.resourceVersion}`);
  });

  it('a watch event older than our write changes nothing and enqueues nothing; the next step starts from our write', async () => {
    const c = await controller();
    c.store.create(incident('b', 0));
    await c.start();
    const key = IncidentReconciler.key(NS, 'b');
    await c.r.reconcile(key);
    const written = c.store.objects.get('b')!;
    c.queued.length = 0;
    c.deliver(); // the watch brings our own write only now: the cache had it from the write's answer
    expect(c.queued).toEqual([]);
    await c.r.reconcile(key);
    expect(c.seen[1].metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    expect(c.store.gets).toBe(0);
  });

  it('a newer event (someone else wrote: an approval) is what the next step starts from, still without a GET', async () => {
    const c = await controller();
    c.store.create(incident('c', 0));
    await c.start();
    const key = IncidentReconciler.key(NS, 'c');
    await c.r.reconcile(key);
    const o = c.store.objects.get('c')!;
    c.store.put({ ...o, metadata: { ...o.metadata, annotations: { 'alertagent.io/approve': '1' } } });
    c.queued.length = 0;
    c.deliver();
    expect(c.queued).toEqual([key]);
    await c.r.reconcile(key);
    expect(c.store.gets).toBe(0);
    expect(c.seen[1].metadata.annotations).toEqual({ 'alertagent.io/approve': '1' });
  });

  it('the cache holds at most maxObjects whole: a key beyond them is read with a GET, once', async () => {
    const c = await controller({ maxObjects: 3 });
    for (let i = 0; i < 10; i++) c.store.create(incident(`d-${i}`, 0));
    await c.start();
    // the 3 listed first are held (the queue takes keys in the order they came); the others are read
    // once, and what a step wrote is held from then on, at the expense of what was used least recently
    for (let i = 0; i < 10; i++) await c.r.reconcile(IncidentReconciler.key(NS, `d-${i}`));
    expect(c.store.gets).toBe(7);
    for (let i = 7; i < 10; i++) await c.r.reconcile(IncidentReconciler.key(NS, `d-${i}`));
    expect(c.store.gets).toBe(7);
    expect(c.r.tracked).toBe(10);
  });

  it('a key that waits (approval) or ends: a finished one is labelled, forgotten and leaves the cache', async () => {
    const phases: IncidentStatus['phase'][] = ['AwaitingApproval', 'Reported'];
    const c = await controller({ next: (inc) => ({ ...inc.status, phase: phases.shift(), ...(phases.length ? {} : { outcome: 'Resolved' }) }) });
    c.store.create(incident('e', 0));
    await c.start();
    const key = IncidentReconciler.key(NS, 'e');
    expect(await c.r.reconcile(key)).toEqual({});
    expect(c.r.trackedEntry(key)?.phase).toBe('AwaitingApproval');
    expect(await c.r.reconcile(key)).toEqual({});
    expect(c.r.tracked).toBe(0);
    expect(c.store.objects.get('e')!.metadata.labels).toEqual({ 'alertagent.io/finished': 'true' });
    expect(c.informer.get(NS, 'e')).toBeUndefined();
  });
});

describe('IncidentReconciler: requests it does not send', () => {
  it('watch events of a finished incident\'s earlier writes, arriving after it finished, bring no GET and no key', async () => {
    const c = await controller({ next: (inc) => ({ ...inc.status, phase: 'Reported', outcome: 'Resolved', completedAt: '2026-11-30T09:00:00Z' }) });
    c.store.create(incident('f', 0));
    await c.start();
    const key = IncidentReconciler.key(NS, 'f');
    expect(await c.r.reconcile(key)).toEqual({});
    c.queued.length = 0;
    c.deliver(); // our status write and the finished label, late
    expect(c.queued).toEqual([]);
    // and a key that was queued before it finished reconciles to nothing
    expect(await c.r.reconcile(key)).toEqual({});
    expect(c.store.gets).toBe(0);
    expect(c.r.tracked).toBe(0);
  });

  it('a step that wrote labels of its own (correlation) has its status applied once, no GET', async () => {
    let store!: FakeStore;
    const eng = {
      advance: async (inc: AlertIncident): Promise<Advance> => {
        const base = await store.patchMetadata(NS, inc.metadata.name, { labels: { 'alertagent.io/workload': 'abc' } });
        return { kind: 'write', status: { ...inc.status, phase: 'Analyzing', summary: 'started' }, events: [], base };
      },
    } as unknown as InvestigationEngine;
    const c = await controller({ engine: eng });
    store = c.store;
    c.store.create(incident('g', 0, { phase: 'Pending' }));
    await c.start();
    await c.r.reconcile(IncidentReconciler.key(NS, 'g'));
    expect(c.store.applies).toHaveLength(1);
    expect(c.store.objects.get('g')!.status?.summary).toBe('started');
    expect(c.store.objects.get('g')!.metadata.labels).toEqual({ 'alertagent.io/workload': 'abc' });
    expect(c.store.gets).toBe(0);
  });

  it('an unchanged status is not written', async () => {
    const c = await controller({ next: (inc) => ({ ...inc.status }) });
    c.store.create(incident('h', 0, { phase: 'Analyzing', summary: 'same' }));
    await c.start();
    // the first step adds the conditions; the next has nothing new to say
    await c.r.reconcile(IncidentReconciler.key(NS, 'h'));
    await c.r.reconcile(IncidentReconciler.key(NS, 'h'));
    expect(c.store.applies).toHaveLength(1);
  });

  it('a replica that lost its Lease while a step ran writes nothing', async () => {
    let leader = true;
    const c = await controller({ canWrite: () => leader });
    c.store.create(incident('i', 0));
    await c.start();
    leader = false;
    expect(await c.r.reconcile(IncidentReconciler.key(NS, 'i'))).toEqual({});
    expect(c.store.applies).toHaveLength(0);
  });
});

describe('IncidentReconciler: one writer per field', () => {
  it('the notifier records a delivery between our read and our write: our step applies only its fields, the record stays', async () => {
    let c!: Awaited<ReturnType<typeof controller>>;
    let notified = false;
    c = await controller({
      next: (inc) => {
        if (!notified) {
          notified = true;
          void c.store.applyStatus(NS, 'n', { notifications: [{ sink: 'slack', type: 'slack', event: 'AwaitingApproval', state: 'Sent', time: '2026-11-26T07:01:00Z' }] }, { fieldManager: 'alert-agent-notifier' });
        }
        return { ...inc.status, phase: 'Analyzing', summary: 'decided once' };
      },
    });
    c.store.create(incident('n', 0));
    await c.start();
    await c.r.reconcile(IncidentReconciler.key(NS, 'n'));
    const stored = c.store.objects.get('n')!;
    expect(c.seen).toHaveLength(1); // decided once, no conflict
    expect(stored.status?.summary).toBe('decided once');
    expect(stored.status?.notifications).toEqual([expect.objectContaining({ sink: 'slack', state: 'Sent' })]);
    expect(c.store.applies.filter((a) => a.manager === 'alert-agent-controller').every((a) => !a.fields.includes('notifications'))).toBe(true);
  });

  it('fields an older operator wrote (merge patch) are taken over once, so that a step can remove them', async () => {
    const c = await controller({ next: (inc) => ({ ...inc.status, phase: 'Analyzing', attempts: undefined, lastError: undefined }) });
    const created = c.store.create(incident('o', 0, { phase: 'Pending' }));
    await c.store.patchStatus(NS, 'o', created.metadata.resourceVersion!, { phase: 'Analyzing', attempts: 2, lastError: 'timeout' });
    await c.start();
    await c.r.reconcile(IncidentReconciler.key(NS, 'o'));
    const s = c.store.objects.get('o')!.status!;
    expect(s.attempts).toBeUndefined();
    expect(s.lastError).toBeUndefined();
    expect(s.phase).toBe('Analyzing');
    // one apply to take them over, one with the step
    expect(c.store.applies.map((a) => a.manager)).toEqual(['alert-agent-controller', 'alert-agent-controller']);
    await c.r.reconcile(IncidentReconciler.key(NS, 'o'));
    expect(c.store.applies).toHaveLength(2); // nothing new: no write, and nothing left to take over
  });
});

describe('WorkQueue: turns in a row', () => {
  it('a key that asks to run again at once keeps its worker for maxTurns turns, then goes to the back', async () => {
    const order: string[] = [];
    const left = new Map([['a', 5], ['b', 2]]);
    const q = new WorkQueue({ concurrency: 1, maxTurns: 3 });
    q.start(async (key) => {
      order.push(key);
      const n = left.get(key)! - 1;
      left.set(key, n);
      return n > 0 ? { requeue: true } : {};
    });
    q.add('a');
    q.add('b');
    await q.idle();
    expect(order.join('')).toBe('aaabbaa');
  });

  it('stops giving turns once the queue shuts down', async () => {
    let runs = 0;
    const q = new WorkQueue({ concurrency: 1, maxTurns: 100 });
    let stop: Promise<void> | undefined;
    q.start(async () => {
      if (++runs === 2) stop = q.shutdown();
      return { requeue: true };
    });
    q.add('a');
    await new Promise((r) => setTimeout(r, 20));
    await stop;
    expect(runs).toBe(2);
  });
});

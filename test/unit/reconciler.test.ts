// What the reconciler keeps between reconciles, with an in-memory store and engine: per unfinished
// incident only its key, resourceVersion and phase (memory does not grow with the incidents' size);
// the object is read when a worker takes the key, except our own copy of a key requeued at once.
// (Persistence against a real apiserver: test/integration/restart.test.ts, investigation.test.ts.)
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { WorkQueue } from '../../src/controller/queue.js';
import { IncidentReconciler } from '../../src/controller/reconciler.js';
import type { IncidentStore } from '../../src/incident/store.js';
import type { AlertIncident, IncidentStatus } from '../../src/incident/types.js';
import type { Advance, InvestigationEngine } from '../../src/investigation/engine.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const NS = 'ops';

/** An incident as the watch delivers it (parsed JSON: flat strings); `padBytes` of text in spec and again in status. */
function incident(name: string, rv: number, status: IncidentStatus = { phase: 'Analyzing' }, padBytes = 0): AlertIncident {
  const pad = padBytes ? `${name} `.repeat(Math.ceil(padBytes / (name.length + 1))).slice(0, padBytes) : undefined;
  return JSON.parse(JSON.stringify({
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name, namespace: NS, resourceVersion: String(rv), generation: 1 },
    spec: {
      alertname: 'KubePodCrashLooping',
      fingerprint: name,
      status: 'firing',
      labels: { namespace: 'shop', pod: name },
      annotations: pad ? { description: pad } : {},
      startsAt: '2026-11-26T07:00:00Z',
    },
    status: pad ? { ...status, report: pad } : status,
  }));
}

/** An apiserver of one namespace in memory: GETs and status patches, resourceVersions counted up. */
class FakeStore {
  objects = new Map<string, AlertIncident>();
  gets = 0;
  rv = 1000;
  put(inc: AlertIncident): AlertIncident {
    const stored = structuredClone(inc);
    stored.metadata.resourceVersion = String(++this.rv);
    this.objects.set(inc.metadata.name, stored);
    return structuredClone(stored);
  }
  async get(_ns: string, name: string) {
    this.gets++;
    const o = this.objects.get(name);
    return o && structuredClone(o);
  }
  async patchStatus(_ns: string, name: string, rv: string, body: Record<string, unknown>) {
    const o = this.objects.get(name)!;
    if (o.metadata.resourceVersion !== rv) throw Object.assign(new Error('conflict'), { code: 409 });
    const status: Record<string, unknown> = { ...o.status };
    for (const [k, v] of Object.entries(body)) if (v === null) delete status[k];
    else status[k] = v;
    return this.put({ ...o, status: status as IncidentStatus });
  }
  async patchMetadata(_ns: string, name: string, meta: { labels?: Record<string, string> }) {
    const o = this.objects.get(name)!;
    return this.put({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...meta.labels } } });
  }
}

/** An engine that moves Analyzing → Executing → Analyzing ... and records what it was given. */
function engine(seen: AlertIncident[], next: (inc: AlertIncident) => IncidentStatus) {
  return {
    advance: async (inc: AlertIncident): Promise<Advance> => {
      seen.push(inc);
      return { kind: 'write', status: next(inc), events: [] };
    },
  } as unknown as InvestigationEngine;
}

function reconciler(store: FakeStore, seen: AlertIncident[] = [], next = (inc: AlertIncident): IncidentStatus => ({ ...inc.status, phase: 'Analyzing', summary: `step after ${inc.metadata.resourceVersion}` }), workers = 5) {
  const metrics = createMetrics();
  const r = new IncidentReconciler({ store: store as unknown as IncidentStore, engine: engine(seen, next), log: silentLogger(), metrics, workers });
  return { r, metrics };
}

describe('IncidentReconciler: what it keeps', () => {
  it('1000 unfinished incidents of 20 KB each leave under 1.5 MB on the heap, and no spec or status', () => {
    const { r } = reconciler(new FakeStore());
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) r.observe('ADDED', incident(`inc-${i}`, 10 + i, { phase: i % 2 ? 'Analyzing' : 'AwaitingApproval' }, 10 * 1024));
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(r.tracked).toBe(1000);
    // 1000 × 20 KB = 20 MB went through observe; holding the objects would keep more than that.
    expect(retained).toBeLessThan(1.5 * 1024 * 1024);
    expect(r.objectsHeld).toBe(0);
    const entry = r.trackedEntry(IncidentReconciler.key(NS, 'inc-1'));
    expect(entry).toEqual({ rv: '11', phase: 'Analyzing' });
    expect(JSON.stringify(entry)).not.toMatch(/spec|status|inc-1 inc-1/);
  });

  it('the gauges count by phase as incidents come, change and go, in constant time per event', async () => {
    const { r, metrics } = reconciler(new FakeStore());
    for (let i = 0; i < 10; i++) r.observe('ADDED', incident(`g-${i}`, 10 + i, { phase: i < 3 ? 'AwaitingApproval' : 'Analyzing' }));
    r.observe('MODIFIED', incident('g-5', 30, { phase: 'AwaitingApproval' }));
    r.observe('MODIFIED', incident('g-5', 29, { phase: 'Analyzing' })); // older: ignored
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

describe('IncidentReconciler: reading the object when a worker takes the key', () => {
  it('a step reads the object (GET); the next step of a key requeued at once starts from our own write, without a GET', async () => {
    const store = new FakeStore();
    const seen: AlertIncident[] = [];
    const { r } = reconciler(store, seen);
    const inc = store.put(incident('a', 0));
    const key = r.observe('ADDED', inc)!;
    expect(r.objectsHeld).toBe(0);

    expect(await r.reconcile(key)).toEqual({ requeue: true });
    expect(store.gets).toBe(1);
    expect(r.objectsHeld).toBe(1);
    const written = store.objects.get('a')!.metadata.resourceVersion;
    expect(await r.reconcile(key)).toEqual({ requeue: true });
    expect(store.gets).toBe(1); // our copy, no GET
    expect(seen[1].metadata.resourceVersion).toBe(written);
    expect(seen[1].status?.summary).toBe(`step after ${inc.metadata.resourceVersion}`);
  });

  it('a watch event older than our own write is ignored: the next step starts from our write, not the older state', async () => {
    const store = new FakeStore();
    const seen: AlertIncident[] = [];
    const { r } = reconciler(store, seen);
    const first = store.put(incident('b', 0));
    const key = r.observe('ADDED', first)!;
    await r.reconcile(key); // writes rv first+1
    const written = store.objects.get('b')!;
    // The watch now delivers the creation event again (older than our write): still a key to enqueue.
    expect(r.observe('MODIFIED', first)).toBe(key);
    expect(r.trackedEntry(key)?.rv).toBe(written.metadata.resourceVersion);
    await r.reconcile(key);
    expect(seen[1].metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    expect(seen[1].status?.summary).toBe(`step after ${first.metadata.resourceVersion}`);
    expect(store.gets).toBe(1);
  });

  it('a watch event newer than our write (someone else wrote) drops our copy: the next step reads the object', async () => {
    const store = new FakeStore();
    const seen: AlertIncident[] = [];
    const { r } = reconciler(store, seen);
    const key = r.observe('ADDED', store.put(incident('c', 0)))!;
    await r.reconcile(key);
    const theirs = store.put({ ...store.objects.get('c')!, metadata: { ...store.objects.get('c')!.metadata, annotations: { 'alertagent.io/approve': '1' } } });
    r.observe('MODIFIED', theirs);
    expect(r.objectsHeld).toBe(0);
    await r.reconcile(key);
    expect(store.gets).toBe(2);
    expect(seen[1].metadata.annotations).toEqual({ 'alertagent.io/approve': '1' });
  });

  it('keeps at most `workers` objects, however many keys are requeued', async () => {
    const store = new FakeStore();
    const { r } = reconciler(store, [], undefined, 3);
    const keys = Array.from({ length: 50 }, (_, i) => r.observe('ADDED', store.put(incident(`d-${i}`, 0)))!);
    for (const k of keys) await r.reconcile(k);
    expect(r.tracked).toBe(50);
    expect(r.objectsHeld).toBe(3);
  });

  it('a key that waits (approval) or ends keeps no object; a finished one is forgotten', async () => {
    const store = new FakeStore();
    const phases: IncidentStatus['phase'][] = ['AwaitingApproval', 'Reported'];
    const { r } = reconciler(store, [], (inc) => ({ ...inc.status, phase: phases.shift(), ...(phases.length ? {} : { outcome: 'Resolved' }) }));
    const key = r.observe('ADDED', store.put(incident('e', 0)))!;
    expect(await r.reconcile(key)).toEqual({});
    expect(r.objectsHeld).toBe(0);
    expect(r.trackedEntry(key)?.phase).toBe('AwaitingApproval');
    expect(await r.reconcile(key)).toEqual({});
    expect(r.tracked).toBe(0);
    expect(store.objects.get('e')!.metadata.labels).toEqual({ 'alertagent.io/finished': 'true' });
  });
});

describe('IncidentReconciler: requests it does not send', () => {
  it('watch events of a finished incident\'s earlier writes, arriving after it finished, bring no GET', async () => {
    const store = new FakeStore();
    const { r } = reconciler(store, [], (inc) => ({ ...inc.status, phase: 'Reported', outcome: 'Resolved', completedAt: '2026-11-30T09:00:00Z' }));
    const first = store.put(incident('f', 0));
    const key = r.observe('ADDED', first)!;
    expect(await r.reconcile(key)).toEqual({});
    const gets = store.gets;
    // the watch delivers the ADDED and our status write only now: both older than what finished
    expect(r.observe('MODIFIED', first)).toBeUndefined();
    const done = store.objects.get('f')!;
    expect(r.observe('MODIFIED', { ...done, metadata: { ...done.metadata, resourceVersion: String(Number(done.metadata.resourceVersion) - 1), labels: {} } })).toBeUndefined();
    // and a key that was queued before it finished reconciles to nothing
    expect(await r.reconcile(key)).toEqual({});
    expect(store.gets).toBe(gets);
    expect(r.tracked).toBe(0);
  });

  it('a step that wrote labels of its own (correlation) has its status written on that object: no 409, no GET', async () => {
    const store = new FakeStore();
    const patches: string[] = [];
    const patch = store.patchStatus.bind(store);
    store.patchStatus = async (ns, name, rv, body) => {
      patches.push(rv);
      return patch(ns, name, rv, body);
    };
    const eng = {
      advance: async (inc: AlertIncident): Promise<Advance> => {
        const base = await store.patchMetadata(NS, inc.metadata.name, { labels: { 'alertagent.io/workload': 'abc' } });
        return { kind: 'write', status: { ...inc.status, phase: 'Analyzing', summary: 'started' }, events: [], base };
      },
    } as unknown as InvestigationEngine;
    const r = new IncidentReconciler({ store: store as unknown as IncidentStore, engine: eng, log: silentLogger() });
    const key = r.observe('ADDED', store.put(incident('g', 0, { phase: 'Pending' })))!;
    await r.reconcile(key);
    const gets = store.gets;
    expect(patches).toHaveLength(1); // not a 409 and a retry
    expect(store.objects.get('g')!.status?.summary).toBe('started');
    expect(store.objects.get('g')!.metadata.labels).toEqual({ 'alertagent.io/workload': 'abc' });
    expect(store.gets).toBe(gets);
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

describe('IncidentReconciler: the notifier writes status.notifications between our read and our write', () => {
  it('our step is kept (no re-decision) and carries the notifier\'s records over instead of undoing them', async () => {
    const store = new FakeStore();
    const seen: AlertIncident[] = [];
    let notified = false;
    // The engine decides from the object it read; meanwhile the notifier records a delivery.
    const { r } = reconciler(store, seen, (inc) => {
      if (!notified) {
        notified = true;
        const o = store.objects.get('n')!;
        store.put({ ...o, status: { ...o.status, notifications: [{ sink: 'slack', type: 'slack', event: 'AwaitingApproval', state: 'Sent', time: '2026-11-26T07:01:00Z' }] } as IncidentStatus });
      }
      return { ...inc.status, phase: 'Analyzing', summary: 'decided once' };
    });
    const key = r.observe('ADDED', store.put(incident('n', 0)))!;
    await r.reconcile(key);
    const stored = store.objects.get('n')!;
    expect(seen).toHaveLength(1); // not decided again after the 409
    expect(stored.status?.summary).toBe('decided once');
    expect(stored.status?.notifications).toEqual([expect.objectContaining({ sink: 'slack', state: 'Sent' })]);
  });
});

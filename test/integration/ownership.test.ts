// One writer per field, on the real API server: the controller's steps, the notifier's delivery records
// and correlation's pointers are applied by three field managers (server-side apply on the status
// subresource) and race on the same incidents without losing anything and without a conflict. And one
// watch of AlertIncidents per process, however many parts of it read them.
import { IncidentReconciler, UNFINISHED_SELECTOR } from '../../src/controller/reconciler.js';
import { StoreDirectory } from '../../src/context/directory.js';
import { slimManagedFields } from '../../src/incident/owners.js';
import { API_VERSION, AlertIncident, GROUP, KIND, PLURAL, VERSION, type IncidentStatus } from '../../src/incident/types.js';
import type { Advance, InvestigationEngine } from '../../src/investigation/engine.js';
import { parseNotificationsConfig } from '../../src/notify/config.js';
import { DeliveryError } from '../../src/notify/http.js';
import { Notifier } from '../../src/notify/notifier.js';
import type { Sink } from '../../src/notify/sinks/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Informer } from '../../src/runtime/informer.js';
import { WorkQueue } from '../../src/runtime/queue.js';
import type { Operator } from '../../src/operator.js';
import { applyCrd, createNamespace, eventually, kubeConfig, startTestOperator, store } from './harness.js';

const INCIDENTS = 4;
const STEPS = 20;
const SINKS = 6;
/** Each sink fails (retryable) this many times before it takes a message: each attempt is a record written. */
const FAILURES = 2;
const LINKED = 8;

let op: Operator | undefined;
afterAll(async () => {
  await op?.stop();
});

it('steps, delivery records and related pointers written at once to the same incidents: nothing is lost, the controller never conflicts', async () => {
  await applyCrd();
  const ns = await createNamespace('race');
  const s = store();
  const names = Array.from({ length: INCIDENTS }, (_, i) => `race-${i}`);
  // A primary: reported at once; its delivery records and the pointers of the incidents linked to it race.
  const primary = 'race-primary';
  for (const name of [...names, primary]) {
    await s.create({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace: ns },
      spec: { alertname: 'Race', fingerprint: name, status: 'firing', labels: {}, annotations: {}, startsAt: new Date().toISOString() },
    } as AlertIncident);
  }
  const kc = kubeConfig();
  const log = silentLogger();
  const metrics = createMetrics();
  const informer = new Informer<AlertIncident>({
    resource: PLURAL,
    apiPath: `/apis/${GROUP}/${VERSION}`,
    plural: PLURAL,
    namespace: ns,
    list: (q) => s.list(q),
    parse: (raw) => slimManagedFields(AlertIncident.parse(raw)),
    kc,
    log,
    registry: metrics.registry,
  });

  // The controller: one step per reconcile (a note), after a random pause, until STEPS steps.
  const engine = {
    advance: async (inc: AlertIncident): Promise<Advance> => {
      if (inc.metadata.name === primary) {
        const now = new Date().toISOString();
        return { kind: 'write', status: { ...inc.status, phase: 'Reported', outcome: 'Resolved', summary: 'primary', startedAt: now, completedAt: now }, events: [] };
      }
      const steps = inc.status?.steps ?? [];
      if (steps.length >= STEPS) return { kind: 'noop' };
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      const status: IncidentStatus = {
        ...inc.status,
        phase: 'Analyzing',
        startedAt: inc.status?.startedAt ?? new Date().toISOString(),
        steps: [...steps, { index: steps.length + 1, time: new Date().toISOString(), action: 'note', state: 'Done', reasoning: `step ${steps.length + 1}` }],
      };
      return { kind: 'write', status, events: [] };
    },
  } as unknown as InvestigationEngine;
  const reconciler = new IncidentReconciler({ store: s, engine, log, metrics, cache: informer });
  const queue = new WorkQueue({ concurrency: 4, maxTurns: 4 });

  // The notifier: SINKS sinks that each fail FAILURES times, then take the message of phase Analyzing.
  const yaml = [
    'defaults: {phases: [Analyzing, Reported], minInterval: 0s}',
    'delivery: {concurrency: 8, initialBackoff: 10ms, maxBackoff: 50ms}',
    'sinks:',
    ...Array.from({ length: SINKS }, (_, i) => `  - {type: webhook, name: sink-${i}, url: "http://127.0.0.1:9/none"}`),
  ].join('\n');
  const tries = new Map<string, number>();
  const sinks: Sink[] = Array.from({ length: SINKS }, (_, i) => ({
    name: `sink-${i}`,
    type: 'webhook',
    async send(_view, ctx) {
      const n = (tries.get(ctx.deliveryId) ?? 0) + 1;
      tries.set(ctx.deliveryId, n);
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      if (n <= FAILURES) throw new DeliveryError('503 from the test sink', true);
      return { messageId: `m-${ctx.deliveryId}` };
    },
  }));
  const notifier = new Notifier({ config: parseNotificationsConfig(yaml), store: s, log, sinks, cache: informer });

  informer.start();
  queue.start((key) => reconciler.reconcile(key));
  notifier.start();
  informer.subscribe({
    labelSelector: UNFINISHED_SELECTOR,
    onEvent: (type, inc) => {
      const key = reconciler.observe(type, inc);
      if (key) queue.add(key);
    },
  });
  informer.subscribe({ onEvent: (type, inc) => notifier.observe(type, inc) });
  await informer.waitForSync();

  // Correlation: LINKED incidents add themselves to the primary's `related` at once, once it reported
  // (while the notifier records its deliveries of the report there).
  const directory = new StoreDirectory(s, kc, ns, informer);
  await eventually(async () => ((await s.get(ns, primary))?.status?.phase === 'Reported' ? true : undefined), 60_000, 50);
  const linking = Promise.all(
    Array.from({ length: LINKED }, (_, i) => directory.addRelated(ns, primary, { name: `linked-${i}`, namespace: ns, alertname: 'Race', rule: 'group', linkedAt: new Date().toISOString() })),
  );

  try {
    const all = await eventually(
      async () => {
        const l = (await s.list({ namespace: ns })).items.map((i) => AlertIncident.parse(i));
        const sent = (i: AlertIncident) => (i.status?.notifications ?? []).filter((r) => r.state === 'Sent').length === SINKS;
        const done = l.every((i) => sent(i) && (i.metadata.name === primary || i.status?.steps?.length === STEPS));
        return done ? l.filter((i) => i.metadata.name !== primary) : undefined;
      },
      90_000,
      250,
    );
    await linking;
    for (const inc of all) {
      // every step, once, in order
      expect(inc.status!.steps!.map((x) => x.index)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      // every sink's record, final, after each failed attempt was recorded too
      const recs = inc.status!.notifications!;
      expect(recs.map((r) => r.sink).sort()).toEqual(Array.from({ length: SINKS }, (_, i) => `sink-${i}`).sort());
      for (const r of recs) expect(r).toMatchObject({ state: 'Sent', event: 'Analyzing', attempts: FAILURES + 1 });
      expect(inc.status!.conditions?.length).toBeGreaterThan(0);
    }
    const p = (await s.get(ns, primary))!;
    expect(p.status!.related!.map((r) => r.name).sort()).toEqual(Array.from({ length: LINKED }, (_, i) => `linked-${i}`).sort());
    expect(p.status!.notifications!.map((r) => [r.sink, r.event, r.state]).sort()).toEqual(Array.from({ length: SINKS }, (_, i) => [`sink-${i}`, 'Reported', 'Sent']).sort());
    expect(p.status!.phase).toBe('Reported');
    // the controller never lost a race: no conflict, no error
    const results = Object.fromEntries((await metrics.reconcileTotal.get()).values.map((v) => [v.labels.result, v.value]));
    expect(results.conflict ?? 0).toBe(0);
    expect(results.error ?? 0).toBe(0);
    expect(results.step).toBe(INCIDENTS * STEPS + 1);
    // who holds what
    const managers = (p.metadata as { managedFields?: Array<{ manager: string; subresource?: string; fieldsV1?: { 'f:status'?: object } }> }).managedFields!.filter((m) => m.subresource === 'status');
    const owned = Object.fromEntries(managers.map((m) => [m.manager, Object.keys(m.fieldsV1?.['f:status'] ?? {}).sort()]));
    expect(owned['alert-agent-notifier']).toEqual(['f:notifications']);
    expect(owned['alert-agent-correlation']).toEqual(['f:related']);
    expect(owned['alert-agent-controller']).toEqual(expect.arrayContaining(['f:phase', 'f:outcome', 'f:conditions']));
    expect(owned['alert-agent-controller']).not.toContain('f:notifications');
  } finally {
    await notifier.stop();
    await queue.shutdown();
    informer.stop();
  }
});

it('one watch of AlertIncidents per process: the controller, the notifier and the web view share it', async () => {
  const ns = await createNamespace('onewatch');
  op = await startTestOperator({
    namespace: ns,
    notifications: parseNotificationsConfig('sinks:\n  - {type: webhook, name: hook, url: "http://127.0.0.1:9/none"}'),
    env: { ANALYZER: 'rules', WEB_ENABLED: 'true', WEB_PORT: '0' },
  });
  const watches = async () => {
    const text = await (await fetch(op!.metricsUrl)).text();
    return Number(/^alertagent_informer_watches\{resource="alertincidents"\} (\d+)/m.exec(text)?.[1]);
  };
  await eventually(async () => ((await watches()) === 1 ? true : undefined), 20_000);
  expect(op.informer!.watches).toBe(1);
  const connects = Number(/^alertagent_watch_events_total\{event="connect"\} (\d+)/m.exec(await (await fetch(op.metricsUrl)).text())?.[1]);
  expect(connects).toBe(1);
});

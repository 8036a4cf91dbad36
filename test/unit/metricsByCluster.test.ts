// Metrics by cluster, the rest of issue 24: the faces' counters (notifications, tickets, Git changes) carry
// the bounded `cluster` label when many clusters are on and exactly their old labels when off, each face run
// against its loopback stand-in (test/fixtures); and alertagent_incidents_finished_total counts an incident
// once, through our own write, the watch's copy of it, a replayed event and a status write whose answer
// was lost.
import { Registry } from 'prom-client';
import type { GitChange } from '../../src/contracts/gitChange.js';
import { IncidentReconciler, UNFINISHED_SELECTOR } from '../../src/controller/reconciler.js';
import { GitHubProvider } from '../../src/gitops/github.js';
import { GitProposer } from '../../src/gitops/proposer.js';
import type { IncidentStore } from '../../src/incident/store.js';
import { AlertIncident, LABELS, type IncidentStatus } from '../../src/incident/types.js';
import type { Advance, InvestigationEngine } from '../../src/investigation/engine.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { parseNotificationsConfig } from '../../src/notify/config.js';
import { Notifier } from '../../src/notify/notifier.js';
import { parseTicketsConfig } from '../../src/tickets/config.js';
import { MemoryTicketLinks } from '../../src/tickets/links.js';
import { Ticketer } from '../../src/tickets/ticketer.js';
import { bareRepository, removeRepository, startGitHost } from '../fixtures/gitHosts.js';
import { startSinkReceiver, type SinkReceiver } from '../fixtures/sinkReceiver.js';
import { startTicketServer, type TicketServer } from '../fixtures/ticketServers.js';
import { FakeStore, NS, fakeWatch, incident, tick, unfinishedInformer } from './fakeIncidents.js';

/** The operator's metrics, many clusters on (eu-1 known) or off. */
function metricsOf(byCluster: boolean): Metrics {
  const m = createMetrics({ byCluster });
  m.knowClusters((c) => c === 'eu-1');
  return m;
}
/** What a face gets from the wiring (operator/queues.ts): the label function only when many clusters are on. */
const facesOptions = (m: Metrics) => ({ registry: m.registry, clusterLabels: m.byCluster ? m.clusterLabels : undefined });

/** A finished incident of `cluster`: what every face acts on. */
function reported(name: string, cluster?: string, status: IncidentStatus = {}): AlertIncident {
  const inc = incident(name, 1, { phase: 'Reported', outcome: 'NeedsManualIntervention', summary: 'checkout crash-loops', report: '# Report', completedAt: new Date().toISOString(), ...status });
  inc.metadata.uid = name;
  inc.metadata.creationTimestamp = new Date().toISOString();
  if (cluster) inc.spec.cluster = cluster;
  return inc;
}

async function until<T>(f: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The counter's samples as `name{labels} value` lines, sorted. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`)).sort();
}

describe("the faces' counters by cluster", () => {
  let rx: SinkReceiver;
  let github: TicketServer;
  beforeAll(async () => {
    rx = await startSinkReceiver();
    github = await startTicketServer('github', { jiraEmail: '', jiraToken: '', jiraPat: '', githubToken: 'ghp_test', gitlabToken: '' });
  });
  afterAll(async () => {
    await rx?.stop();
    await github?.stop();
  });

  /** One notifier (its counter in `m`'s registry) sends each incident to the webhook stand-in. */
  async function notify(m: Metrics, incs: AlertIncident[]): Promise<void> {
    const store = new FakeStore();
    const config = parseNotificationsConfig(`sinks:\n  - {name: hook, type: webhook, url: "${rx.url}/hook"}\n`, {});
    const n = new Notifier({ config, store: store as unknown as IncidentStore, log: silentLogger(), ...facesOptions(m) });
    n.start();
    for (const inc of incs) {
      store.put(inc);
      n.observe('MODIFIED', store.objects.get(inc.metadata.name)!);
      await until(() => store.objects.get(inc.metadata.name)?.status?.notifications?.some((r) => r.state === 'Sent'));
    }
    await n.stop();
  }

  it('alert_agent_notifications_total: `cluster` on (known by name, any other unknown), none off', async () => {
    const on = metricsOf(true);
    await notify(on, [reported('n-eu', 'eu-1'), reported('n-other', 'attacker-chosen')]);
    expect(await samples(on.registry, 'alert_agent_notifications_total')).toEqual([
      'alert_agent_notifications_total{sink="hook",result="sent",cluster="eu-1"} 1',
      'alert_agent_notifications_total{sink="hook",result="sent",cluster="unknown"} 1',
    ]);
    const off = metricsOf(false);
    await notify(off, [reported('n-off', 'eu-1')]);
    expect(await samples(off.registry, 'alert_agent_notifications_total')).toEqual(['alert_agent_notifications_total{sink="hook",result="sent"} 1']);
  });

  async function ticket(m: Metrics, inc: AlertIncident): Promise<void> {
    const store = new FakeStore();
    store.put(inc);
    const config = parseTicketsConfig(`trackers:\n  - {name: gh, type: github, apiURL: "${github.url}", token: ghp_test, repository: acme/shop}\n`, {});
    const t = new Ticketer({ config, store: store as unknown as IncidentStore, links: new MemoryTicketLinks(), log: silentLogger(), ...facesOptions(m) });
    t.start();
    await until(() => {
      const cur = store.objects.get(inc.metadata.name)!;
      if (cur.status?.tickets?.some((r) => r.state === 'Open') && t.pending === 0) return true;
      t.observe('MODIFIED', structuredClone(cur));
      return undefined;
    });
    await t.stop();
  }

  it('alert_agent_tickets_total: `cluster` on, none off', async () => {
    const on = metricsOf(true);
    await ticket(on, reported('t-eu', 'eu-1'));
    expect(await samples(on.registry, 'alert_agent_tickets_total')).toEqual(['alert_agent_tickets_total{system="github",action="created",result="ok",cluster="eu-1"} 1']);
    const off = metricsOf(false);
    await ticket(off, reported('t-off', 'eu-1'));
    expect(await samples(off.registry, 'alert_agent_tickets_total')).toEqual(['alert_agent_tickets_total{system="github",action="created",result="ok"} 1']);
  });

  const manifest = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\nspec:\n  template:\n    spec:\n      containers:\n        - name: checkout\n          image: shop/checkout:bad\n`;
  const change: GitChange = {
    owner: `Deployment ${NS}/checkout is managed by Flux Kustomization ${NS}/apps`,
    tool: 'Flux',
    manager: { kind: 'Kustomization', name: 'apps', namespace: NS },
    source: { url: 'https://git.example.com/shop/fleet.git', path: './apps/checkout', revision: 'main' },
    object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', namespace: NS },
    changes: [{ path: ['spec', 'template', 'spec', 'containers', { name: 'checkout' }, 'image'], before: 'shop/checkout:bad', after: 'shop/checkout:good' }],
  } as GitChange;

  async function propose(m: Metrics, inc: AlertIncident): Promise<void> {
    const bare = bareRepository({ 'apps/checkout/deploy.yaml': manifest });
    const h = await startGitHost('github', { bare, repo: 'shop/fleet', token: 'gitops-token' });
    try {
      const store = new FakeStore();
      const t = new Date().toISOString();
      inc.status!.steps = [{ index: 7, time: t, action: 'invalid', state: 'Done', server: 'kubernetes', tool: 'rollback_deployment', arguments: '{}', dryRun: { ok: false, note: 'kept in Git', gitops: change.owner, gitChange: JSON.stringify(change), time: t }, result: { ok: false, error: 'refused' } }] as IncidentStatus['steps'];
      store.put(inc);
      const p = new GitProposer({
        provider: new GitHubProvider({ apiURL: h.url, token: 'gitops-token', timeoutMs: 5_000 }),
        host: 'git.example.com',
        baseBranch: 'main',
        store: store as unknown as IncidentStore,
        log: silentLogger(),
        policyMode: 'auto',
        syncTimeoutMs: 60_000,
        pollMs: 60_000,
        readObject: async () => undefined,
        ...facesOptions(m),
      });
      p.start();
      p.observe('MODIFIED', store.objects.get(inc.metadata.name)!);
      await until(() => store.objects.get(inc.metadata.name)?.status?.gitChanges?.some((r) => r.state === 'Open'));
      await p.stop();
    } finally {
      await h.close();
      removeRepository(bare);
    }
  }

  it('alert_agent_git_changes_total: `cluster` on, none off', async () => {
    const on = metricsOf(true);
    await propose(on, reported('g-eu', 'eu-1'));
    expect(await samples(on.registry, 'alert_agent_git_changes_total')).toEqual(['alert_agent_git_changes_total{provider="github",state="Open",cluster="eu-1"} 1']);
    const off = metricsOf(false);
    await propose(off, reported('g-off', 'eu-1'));
    expect(await samples(off.registry, 'alert_agent_git_changes_total')).toEqual(['alert_agent_git_changes_total{provider="github",state="Open"} 1']);
  });
});

/**
 * The controller as operator.ts wires it (an informer of unfinished incidents whose watch the test drives,
 * the reconciler subscribed to it), with an engine that ends the incident in one step with `last`.
 */
async function controller(m: Metrics, last: IncidentStatus) {
  const store = new FakeStore();
  const pending: Array<['ADDED' | 'MODIFIED' | 'DELETED', AlertIncident]> = [];
  store.onChange = (type, obj) => pending.push([type, obj]);
  const w = fakeWatch();
  const informer = unfinishedInformer(store, w);
  const engine = { advance: async (inc: AlertIncident): Promise<Advance> => ({ kind: 'write', status: { ...inc.status, ...last }, events: [] }) } as unknown as InvestigationEngine;
  const r = new IncidentReconciler({ store: store as unknown as IncidentStore, engine, log: silentLogger(), metrics: m, cache: informer });
  informer.subscribe({ labelSelector: UNFINISHED_SELECTOR, onEvent: (type, inc) => void r.observe(type, inc) });
  return {
    store,
    r,
    /** The watch delivers what the store changed since the last delivery. */
    async deliver() {
      for (const [type, obj] of pending.splice(0)) w.emit(type, obj);
      await tick();
    },
    async start() {
      informer.start();
      await informer.waitForSync();
      await tick();
      pending.length = 0; // the list brought them
    },
  };
}

const finished = async (m: Metrics) => samples(m.registry, 'alertagent_incidents_finished_total');
const KEY = IncidentReconciler.key(NS, 'a');

describe('alertagent_incidents_finished_total', () => {
  it('counts an incident once: our write, the watch bringing it (twice), a replayed event, the next reconcile', async () => {
    const m = metricsOf(false);
    const c = await controller(m, { phase: 'Reported', outcome: 'Resolved' });
    c.store.create(incident('a', 0));
    await c.start();
    expect(await finished(m)).toEqual([]);
    await c.r.reconcile(KEY);
    expect(await finished(m)).toEqual(['alertagent_incidents_finished_total{outcome="Resolved"} 1']);
    const final = structuredClone([...c.store.objects.values()][0]);
    await c.deliver(); // the finished status, then the finished label
    c.r.observe('MODIFIED', { ...final, metadata: { ...final.metadata, labels: {} } }); // replayed: finished, not yet labelled
    c.r.observe('ADDED', { ...final, metadata: { ...final.metadata, labels: {} } }); // a relist (or a new leader) sees it finished
    await c.r.reconcile(KEY);
    expect(c.store.objects.get('a')!.metadata.labels?.[LABELS.finished]).toBe('true');
    expect(await finished(m)).toEqual(['alertagent_incidents_finished_total{outcome="Resolved"} 1']);
  });

  it("a status write whose answer is lost: counted once, whether the watch or the retry's write brings it first", async () => {
    for (const watchFirst of [true, false]) {
      const m = metricsOf(false);
      const c = await controller(m, { phase: 'Reported', outcome: 'NeedsManualIntervention' });
      c.store.create(incident('a', 0));
      await c.start();
      const apply = c.store.applyStatus.bind(c.store);
      let lose = 1;
      c.store.applyStatus = async (...a: Parameters<FakeStore['applyStatus']>) => {
        const stored = await apply(...a);
        if (lose-- > 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return stored;
      };
      await expect(c.r.reconcile(KEY)).rejects.toThrow('socket hang up');
      expect(c.store.objects.get('a')!.status?.phase).toBe('Reported'); // it landed; we did not hear so
      expect(await finished(m)).toEqual([]);
      if (watchFirst) {
        await c.deliver();
        c.r.observe('MODIFIED', structuredClone(c.store.objects.get('a')!)); // the same event again (a duplicate)
      }
      await c.r.reconcile(KEY); // the queue's retry
      await c.deliver();
      await c.r.reconcile(KEY);
      expect(await finished(m)).toEqual(['alertagent_incidents_finished_total{outcome="NeedsManualIntervention"} 1']);
    }
  });

  it('many clusters: outcome Failed for the phase Failed, and the bounded `cluster` label', async () => {
    const m = metricsOf(true);
    const c = await controller(m, { phase: 'Failed', failureReason: 'boom' });
    const inc = incident('a', 0);
    inc.spec.cluster = 'eu-1';
    c.store.create(inc);
    await c.start();
    await c.r.reconcile(KEY);
    await c.deliver();
    expect(await finished(m)).toEqual(['alertagent_incidents_finished_total{outcome="Failed",cluster="eu-1"} 1']);
  });
});

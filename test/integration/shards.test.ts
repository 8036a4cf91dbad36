// Two shards of two replicas each (real processes, leader election per shard) against one apiserver:
// the webhooks label every new incident with its shard, each shard's leader investigates only its own,
// shard 0 also takes incidents without a shard label (created before sharding) or with a label for a
// shard that does not exist; the leader of each shard is SIGKILLed mid-investigation and its standby
// takes over; in the end every incident was investigated exactly once (one InvestigationStarted Event,
// from a replica of its shard, and no step twice).
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinationV1Api, CoreV1Api, loadAllYaml, type V1ConfigMap, type V1Deployment } from '@kubernetes/client-node';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary } from '../bed/shared.js';
import { startScriptedLlm, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { SHARD_LABEL, ownerShard, shardKeyOf, shardOf, shardSelector } from '../../src/incident/shard.js';
import { incidentName } from '../../src/incident/naming.js';
import { API_VERSION, KIND } from '../../src/incident/types.js';
import { AlertIntake, specFromAlert } from '../../src/webhook/intake.js';
import { alert, applyCrd, byPosition, createNamespace, eventually, finished, kubeConfig, listIncidents, payload, post, store } from './harness.js';
import { metricValue, startOperatorProcess, type OperatorProcess } from './processes.js';

const SHARDS = 2;
const PER_SHARD = 5;
let llm: ScriptedLlm;
let ns: string;
const procs: OperatorProcess[] = [];

/** Fingerprints chosen so that each shard gets PER_SHARD alerts (the hash decides, not the test). */
function fingerprints(): string[][] {
  const by: string[][] = Array.from({ length: SHARDS }, () => []);
  for (let i = 0; by.some((l) => l.length < PER_SHARD); i++) {
    const fp = `shardtest${i.toString(16).padStart(7, '0')}`;
    const s = shardOf(fp, SHARDS);
    if (by[s].length < PER_SHARD) by[s].push(fp);
  }
  return by;
}

beforeAll(async () => {
  await applyCrd();
  ns = await createNamespace('shards');
  llm = await startScriptedLlm();
  const script = [
    { delayMs: 800, then: { toolCalls: [{ name: 'kubernetes__get_events', arguments: { namespace: ns } }] } },
    { delayMs: 800, then: { toolCalls: [{ name: 'resolve_incident', arguments: { summary: 'ok', root_cause: 'none' } }] } },
  ];
  llm.setResponder(byPosition(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`ShardAlert${i}`, script]))));
});
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await llm?.stop();
});

it('shards split the incidents; a shard leader dies and its standby takes over; each incident is investigated once', async () => {
  // Incidents from before sharding: one without the label, one labelled for a shard that no longer exists.
  const legacy = [
    { alertname: 'ShardAlert18', labels: undefined },
    { alertname: 'ShardAlert19', labels: { [SHARD_LABEL]: '7' } },
  ];
  for (const l of legacy) {
    const a = alert({ alertname: l.alertname, namespace: ns });
    // Each alert its own AlertManager group, so correlation links none of them to another.
    const spec = specFromAlert(a as never, payload([a], { groupKey: `{}:{alertname="${l.alertname}"}` }) as never, new Date().toISOString());
    await store().create({ apiVersion: API_VERSION, kind: KIND, metadata: { name: incidentName(spec.alertname, spec.fingerprint, spec.startsAt), namespace: ns, labels: l.labels }, spec });
  }

  const env = {
    NAMESPACE: ns,
    LEADER_ELECTION: 'true',
    LEADER_ELECTION_LEASE_DURATION: '4s',
    LEADER_ELECTION_RENEW_DEADLINE: '3s',
    LEADER_ELECTION_RETRY_PERIOD: '500ms',
    OPENAI_BASE_URL: llm.baseURL,
    LLM_MAX_RETRIES: '0',
    SHARD_COUNT: String(SHARDS),
    // Fewer workers than incidents: work stays queued long enough to kill a leader in the middle of it.
    MAX_CONCURRENT_INVESTIGATIONS: '2',
  };
  const pods: Record<string, number> = {};
  const leaders: OperatorProcess[] = [];
  const standbys: OperatorProcess[] = [];
  for (let s = 0; s < SHARDS; s++) {
    const a = await startOperatorProcess({ ...env, SHARD: String(s), POD_NAME: `shard${s}-a` });
    procs.push(a);
    pods[`shard${s}-a`] = s;
    await eventually(async () => (await metricValue(a.metrics, 'alertagent_leader')) === 1, 20_000);
    leaders.push(a);
  }
  for (let s = 0; s < SHARDS; s++) {
    const b = await startOperatorProcess({ ...env, SHARD: String(s), POD_NAME: `shard${s}-b` });
    procs.push(b);
    pods[`shard${s}-b`] = s;
    standbys.push(b);
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const b of standbys) expect(await metricValue(b.metrics, 'alertagent_leader')).toBe(0);
  // Each shard its own Lease: shard 0 keeps LEADER_ELECTION_ID, the others add -shard-N.
  const leases = await kubeConfig().makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: ns });
  expect(Object.fromEntries(leases.items.map((l) => [l.metadata!.name, l.spec!.holderIdentity]))).toEqual({
    'alert-agent-leader': 'shard0-a',
    'alert-agent-leader-shard-1': 'shard1-a',
  });

  // Alerts through every replica's webhook (each serves it, leader or not).
  const fps = fingerprints();
  const all = [...leaders, ...standbys];
  let n = 0;
  const expectedShard = new Map<string, number>();
  for (let s = 0; s < SHARDS; s++) {
    for (const fp of fps[s]) {
      const name = `ShardAlert${n}`;
      expectedShard.set(name, s);
      const target = all[n % all.length];
      expect((await post(target.webhook, payload([alert({ alertname: name, namespace: ns }, { fingerprint: fp })], { groupKey: `{}:{alertname="${name}"}` }))).status).toBe(200);
      n++;
    }
  }
  for (const l of legacy) expectedShard.set(l.alertname, 0);

  // Every new incident carries its shard's label, from the fingerprint's hash.
  const created = await eventually(async () => {
    const l = await listIncidents(ns);
    return l.length === n + legacy.length ? l : undefined;
  }, 10_000);
  for (const inc of created) {
    if (legacy.some((l) => l.alertname === inc.spec.alertname)) continue;
    expect(inc.metadata.labels?.[SHARD_LABEL]).toBe(String(shardOf(inc.spec.fingerprint, SHARDS)));
    expect(inc.metadata.labels?.[SHARD_LABEL]).toBe(String(expectedShard.get(inc.spec.alertname)));
  }
  // The shards' selectors partition the incidents, by the API server's own reading of them.
  const seen = new Map<string, number>();
  for (let s = 0; s < SHARDS; s++) {
    const page = await store().list({ namespace: ns, labelSelector: shardSelector(s, SHARDS) });
    for (const item of page.items as Array<{ metadata: { name: string; labels?: Record<string, string> } }>) {
      expect(seen.has(item.metadata.name)).toBe(false);
      seen.set(item.metadata.name, s);
      expect(ownerShard(item.metadata.labels, SHARDS)).toBe(s);
    }
  }
  expect(seen.size).toBe(n + legacy.length);

  // Kill both leaders once each shard has work under way.
  await eventually(async () => {
    const l = await listIncidents(ns);
    return [0, 1].every((s) => l.some((i) => expectedShard.get(i.spec.alertname) === s && (i.status?.steps?.length ?? 0) >= 1 && !finished(i)));
  }, 20_000, 100).catch(async (e) => {
    const l = await listIncidents(ns);
    throw new Error(`${e}\n${l.map((i) => `${i.spec.alertname} ${i.metadata.labels?.[SHARD_LABEL]} ${i.status?.phase} ${i.status?.steps?.length}`).join('\n')}\n${leaders.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
  });
  const killedAt = Date.now();
  for (const a of leaders) a.child.kill('SIGKILL');
  for (const b of standbys) await eventually(async () => (await metricValue(b.metrics, 'alertagent_leader')) === 1, 20_000);
  expect(Date.now() - killedAt).toBeLessThan(4000 + 3000 + 2000);

  const done = await eventually(async () => {
    const l = await listIncidents(ns);
    return l.length === n + legacy.length && l.every(finished) ? l : undefined;
  }, 90_000, 500);

  const core = kubeConfig().makeApiClient(CoreV1Api);
  let withoutEvent = 0;
  for (const inc of done) {
    expect(inc.status!.phase).toBe('Reported');
    expect(inc.status!.steps!.map((s) => [s.index, s.action])).toEqual([
      [1, 'callTool'],
      [2, 'resolve'],
    ]);
    // Investigated once: at most one InvestigationStarted (a repeat bumps its count), by a replica of its
    // shard. Events are best effort, recorded after the status write: a leader SIGKILLed between the two
    // leaves the incident without one (at most one per worker of each killed leader).
    const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${inc.metadata.name},reason=InvestigationStarted` });
    const count = events.items.reduce((sum, e) => sum + (e.count ?? 1), 0);
    expect([inc.spec.alertname, count]).toEqual([inc.spec.alertname, count ? 1 : 0]);
    if (!count) {
      withoutEvent++;
      continue;
    }
    const instance = events.items[0].reportingInstance ?? events.items[0].source?.host ?? '';
    expect({ incident: inc.spec.alertname, shard: pods[instance] }).toEqual({ incident: inc.spec.alertname, shard: expectedShard.get(inc.spec.alertname) });
  }
  expect(withoutEvent).toBeLessThanOrEqual(leaders.length * 2);
  // LLM calls per incident: 3 (a step, the conclusion, the report), one more at most where a leader died
  // during a call (the standby asks again: that step was never stored). Two shards on one incident: 6.
  const calls = new Map<string, number>();
  for (const r of llm.requests) {
    const name = /^Alert: (\S+)/.exec(String(r.body?.messages?.[1]?.content ?? ''))?.[1] ?? '';
    calls.set(name, (calls.get(name) ?? 0) + 1);
  }
  for (const inc of done) expect([inc.spec.alertname, calls.get(inc.spec.alertname)]).toEqual([inc.spec.alertname, expect.any(Number)]);
  for (const inc of done) expect(calls.get(inc.spec.alertname)!).toBeGreaterThanOrEqual(3);
  for (const inc of done) expect(calls.get(inc.spec.alertname)!).toBeLessThanOrEqual(4);
  // The standbys that took over say so.
  for (const b of standbys) expect(b.output()).toMatch(/became leader/);
});

it('the chart renders one Deployment per shard, each selecting only its own pods, with SHARD and SHARD_COUNT', async () => {
  const home = path.join(os.tmpdir(), `shards-helm-${process.pid}`);
  const render = async (...set: string[]) => {
    const r = await runBedBinary('helm', ['template', 't', path.join(PROJECT_ROOT, 'helm', 'alert-agent'), '--namespace', 'alert-agent', ...set.flatMap((x) => ['--set', x])], {
      env: { HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home },
    });
    if (r.code !== 0) throw new Error(r.stderr);
    return (loadAllYaml(r.stdout) as Array<{ kind: string }>).filter(Boolean);
  };
  const deployments = (objs: Array<{ kind: string }>) => objs.filter((o) => o.kind === 'Deployment') as V1Deployment[];
  const env = (d: V1Deployment, name: string) => d.spec!.template.spec!.containers[0].env!.find((e) => e.name === name)?.value;

  // One shard: the Deployment as before (name and selector unchanged, so an upgrade keeps it).
  const one = await render();
  expect(deployments(one).map((d) => [d.metadata!.name, d.spec!.selector.matchLabels, env(d, 'SHARD')])).toEqual([
    ['t-alert-agent', { 'app.kubernetes.io/name': 'alert-agent', 'app.kubernetes.io/instance': 't' }, '0'],
  ]);

  const two = await render('shards=2', 'replicaCount=2');
  const ds = deployments(two);
  expect(ds.map((d) => [d.metadata!.name, d.spec!.replicas, env(d, 'SHARD')])).toEqual([
    ['t-alert-agent-shard-0', 2, '0'],
    ['t-alert-agent-shard-1', 2, '1'],
  ]);
  // Disjoint selectors, each matching its own pod template; the Service still selects every pod (all serve the webhook).
  for (const [i, d] of ds.entries()) {
    expect(d.spec!.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'alert-agent', 'app.kubernetes.io/instance': 't', [SHARD_LABEL]: String(i) });
    expect(d.spec!.template.metadata!.labels).toMatchObject(d.spec!.selector.matchLabels!);
  }
  const svc = two.find((o) => o.kind === 'Service') as unknown as { spec: { selector: Record<string, string> } };
  expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'alert-agent', 'app.kubernetes.io/instance': 't' });
  const cm = two.find((o) => o.kind === 'ConfigMap' && (o as V1ConfigMap).data?.SHARD_COUNT) as V1ConfigMap;
  expect(cm.data!.SHARD_COUNT).toBe('2');
  expect(cm.data!.SHARD_BY).toBe('fingerprint');
  const byCluster = (await render('shards=2', 'shardBy=cluster', 'clusters.enabled=true')).find((o) => o.kind === 'ConfigMap' && (o as V1ConfigMap).data?.SHARD_COUNT) as V1ConfigMap;
  expect(byCluster.data!.SHARD_BY).toBe('cluster');
  await expect(render('shards=0')).rejects.toThrow(/shards must be at least 1/);
});

it('SHARD_BY=cluster: the webhook puts two alerts of one cluster in one shard, whatever their fingerprints', async () => {
  const ns2 = await createNamespace('shards-by-cluster');
  // Two fingerprints that fingerprint sharding puts in different shards.
  const fps = Array.from({ length: 64 }, (_, i) => `bycluster${i}`);
  const apart = [fps.find((f) => shardOf(f, SHARDS) === 0)!, fps.find((f) => shardOf(f, SHARDS) === 1)!];
  const clusters = { label: 'cluster', local: 'mgmt' };
  const intake = (shardBy: 'fingerprint' | 'cluster') => new AlertIntake(store(), { namespace: ns2, namespaceMode: 'operator', shardCount: SHARDS, shardBy, clusters });
  // Each run its own startsAt: its own incidents, not a later notification of the first run's.
  const alerts = (marker: string, startsAt: string) => payload(apart.map((fingerprint) => alert({ alertname: 'ShardByCluster', cluster: 'eu-1', marker }, { fingerprint, startsAt })));
  await intake('cluster').ingest(alerts('by-cluster', '2026-11-26T07:00:00Z') as never);
  await intake('fingerprint').ingest(alerts('by-fingerprint', '2026-11-26T08:00:00Z') as never);
  const shardsOf = async (marker: string) => (await listIncidents(ns2)).filter((i) => i.spec.labels.marker === marker).map((i) => i.metadata.labels?.[SHARD_LABEL]);
  const expected = String(shardOf(shardKeyOf({ fingerprint: apart[0], cluster: 'eu-1' }, 'cluster'), SHARDS));
  expect(await shardsOf('by-cluster')).toEqual([expected, expected]);
  expect((await shardsOf('by-fingerprint')).sort()).toEqual(['0', '1']);
});

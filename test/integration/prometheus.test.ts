// query_prometheus against a REAL Prometheus (Debian's `prometheus`, installed by the bed when missing)
// scraping a real target on loopback: a small HTTP server that serves a container's memory working set in
// the Prometheus text format. Each scrape carries the next sample of a simulated hour of growth (explicit
// sample timestamps, two minutes apart), so 25 one-second scrapes store 50 minutes of history.
// Then end to end: an OOMKilled pod (kwok plays the kubelet), the operator with PROMETHEUS_URL and the
// rule-based analyzer, and the report's memory-growth sentence answered by that Prometheus.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startGaugeTarget, startPrometheus, type GaugeTarget, type Prometheus } from '../bed/prometheus.js';
import { alert, createNamespace, eventually, finished, kubeConfig, payload, post, startTestOperator, waitForIncident } from './harness.js';
import { offlineKubeConfig } from '../fixtures/offlineKubeConfig.js';

const MI = 2 ** 20;
const STEP_MS = 120_000;
const SAMPLES = 25;
const NS = 'shop';
const POD = 'api-7d9f8c6b5-x2x4q';

let prom: Prometheus;
let target: GaugeTarget;
let t0: number;
let proxy: http.Server | undefined;
/** The series the target serves: each its own simulated hour, from the scrape it was added at. */
const series: Array<{ ns: string; pod: string; from: number; t0: number }> = [];
const ops: Operator[] = [];

const T = { timeoutMs: 20_000 };
const labels = (ns: string, pod: string) => ({ namespace: ns, pod, container: 'app' });

beforeAll(async () => {
  target = await startGaugeTarget();
  t0 = Date.now() - 55 * 60_000;
  // Sample k (k = 1..SAMPLES): 40Mi + 8Mi·k at t0 + k·2min; later scrapes repeat the last sample.
  target.onScrape = (k) => {
    for (const s of series) {
      const i = Math.min(k - s.from, SAMPLES);
      if (i >= 1) target.set('container_memory_working_set_bytes', labels(s.ns, s.pod), 40 * MI + 8 * MI * i, s.t0 + i * STEP_MS);
    }
  };
  series.push({ ns: NS, pod: POD, from: 0, t0 });
  prom = await startPrometheus({ jobs: { kubelet: [target.address] } });
}, 15 * 60_000);

afterAll(async () => {
  await Promise.all(ops.map((o) => o.stop()));
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await prom?.stop();
  await target?.stop();
});

async function waitForHistory(sel: string): Promise<void> {
  await eventually(async () => {
    const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(`count_over_time(container_memory_working_set_bytes{${sel}}[2h])`)}`);
    const body = (await r.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    return Number(body.data?.result?.[0]?.value?.[1] ?? 0) >= SAMPLES;
  }, 90_000, 500);
}


async function toolManager(prometheus: { url: string; bearerToken?: string }): Promise<ToolManager> {
  const kc = offlineKubeConfig();
  const m = new ToolManager({ mcpServers: {} }, { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc, { prometheus }), classes: BUILTIN_TOOLS, clusterScoped: CLUSTER_SCOPED_TOOLS } });
  await m.start();
  return m;
}

it('query_prometheus: a range query over the real Prometheus summarises the growth (min/max/last/trend), bounded and redacted', async () => {
  await waitForHistory(`namespace="${NS}",pod="${POD}"`);
  const m = await toolManager({ url: prom.url });
  try {
    expect(m.list().map((t) => t.tool)).toContain('query_prometheus');
    const r = await m.call('kubernetes', 'query_prometheus', { query: `container_memory_working_set_bytes{namespace="${NS}",pod="${POD}"}`, rangeMinutes: 60, stepSeconds: 60 }, T);
    expect(r.ok).toBe(true);
    const data = r.structured as unknown as { kind: string; seriesTotal: number; series: Array<Record<string, unknown>> };
    expect(data.kind).toBe('range');
    expect(data.seriesTotal).toBe(1);
    const s = data.series[0] as { labels: Record<string, string>; min: number; max: number; last: number; trend: string; slopePerHour: number; points: number; samples: unknown[] };
    expect(s.labels).toMatchObject({ __name__: 'container_memory_working_set_bytes', namespace: NS, pod: POD, container: 'app', job: 'kubelet' });
    expect(s.trend).toBe('rising');
    expect(s.min).toBe(48 * MI);
    expect(s.max).toBe((40 + 8 * SAMPLES) * MI);
    expect(s.last).toBe((40 + 8 * SAMPLES) * MI);
    expect(s.slopePerHour / MI).toBeGreaterThan(200); // 8Mi every 2 minutes = 240Mi/h
    expect(s.slopePerHour / MI).toBeLessThan(280);
    expect(s.points).toBeGreaterThan(40);
    expect(s.samples.length).toBeLessThanOrEqual(7);
    expect(r.output).toMatch(/trend=rising/);
    expect(r.output).toContain('(240Mi)');
    // Instant query, an error from Prometheus itself, and the output's redaction.
    const inst = await m.call('kubernetes', 'query_prometheus', { query: 'up{job="kubelet"}' }, T);
    expect(inst.output).toMatch(/up\{.*instance="127\.0\.0\.1:\d+".*\}: last=1/);
    const bad = await m.call('kubernetes', 'query_prometheus', { query: 'sum(rate(' }, T);
    expect(bad.ok).toBe(false);
    expect(bad.error ?? bad.output).toMatch(/Prometheus answered HTTP 400: bad_data/);
    const secret = await m.call('kubernetes', 'query_prometheus', { query: 'label_replace(vector(1), "password", "hunter2-s3cr3t-value", "", "")' }, T);
    expect(secret.ok).toBe(true);
    // What Prometheus answered passes the one redaction (ToolManager.call): the label value is hidden.
    expect((secret.structured as { series: Array<{ labels: Record<string, string> }> }).series[0].labels.password).toBe('[redacted]');
    expect(secret.output).toContain('{password="[redacted]"}: last=1');
  } finally {
    await m.close();
  }
});

it('query_prometheus sends the bearer token (a token-checking proxy in front of the real Prometheus), and says so when it is wrong', async () => {
  proxy = http.createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer tok-123') {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const up = http.request(`${prom.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(prom.url).host } }, (u) => {
      res.writeHead(u.statusCode ?? 502, u.headers);
      u.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const good = await toolManager({ url, bearerToken: 'tok-123' });
  const wrong = await toolManager({ url, bearerToken: 'nope' });
  try {
    const ok = await good.call('kubernetes', 'query_prometheus', { query: 'up' }, T);
    expect(ok.ok).toBe(true);
    expect(ok.output).toMatch(/last=1/);
    const refused = await wrong.call('kubernetes', 'query_prometheus', { query: 'up' }, T);
    expect(refused.ok).toBe(false);
    expect(refused.error ?? refused.output).toMatch(/refused the query \(HTTP 401\).*PROMETHEUS_BEARER_TOKEN/);
    expect(JSON.stringify(refused)).not.toContain('nope');
  } finally {
    await good.close();
    await wrong.close();
  }
});

it('an OOMKilled pod: the report says how memory grew toward the limit, from the real Prometheus', async () => {
  const ns = await createNamespace('prom');
  const pod = 'api-oom';
  // The target now also serves this pod's working set (same simulated hour of growth).
  series.push({ ns, pod, from: target.scrapes, t0: Date.now() - 55 * 60_000 });
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: pod, labels: { app: 'api', 'alertagent.test/scenario': 'oomkilled' } },
      spec: { containers: [{ name: 'app', image: 'registry.example/api:1.0', resources: { limits: { memory: '256Mi' }, requests: { memory: '128Mi' } } }] },
    },
  });
  await eventually(async () => {
    const p = await core.readNamespacedPod({ name: pod, namespace: ns });
    return p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled';
  }, 60_000);
  await waitForHistory(`namespace="${ns}",pod="${pod}"`);
  const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', POLICY_MODE: 'observe', PROMETHEUS_URL: prom.url } });
  ops.push(op);
  const startsAt = new Date().toISOString();
  expect((await post(op.webhookUrl, payload([alert({ alertname: 'KubePodOOMKilled', namespace: ns, pod, container: 'app' }, { startsAt })]))).status).toBe(200);
  const inc = await waitForIncident(ns, finished, 90_000);
  const steps = inc.status!.steps!;
  const q = steps.find((s) => s.tool === 'query_prometheus');
  expect(q).toMatchObject({ state: 'Succeeded', mutating: false });
  expect(q!.arguments).toContain('container_memory_working_set_bytes');
  const root = inc.status!.rootCause!;
  expect(root).toMatch(/OOMKilled/);
  expect(root).toMatch(/Prometheus: the working set of container app went from 48Mi to 240Mi in the 60 minutes before the alert, trend rising \(\+2\d\dMi\/h\), peak 240Mi = 94% of its 256Mi limit/);
  expect(inc.status!.report).toContain('query_prometheus max by (container) (container_memory_working_set_bytes');
  expect(inc.status!.report).toMatch(/leak/);
  console.log(`OOM report excerpt:\n${inc.status!.report!.split('\n').slice(0, 40).join('\n')}`);
}, 240_000);

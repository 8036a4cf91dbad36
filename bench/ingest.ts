// 1. Ingestion vs raw create. N distinct alerts stored (a) straight with client-node's CustomObjectsApi
// through a keep-alive agent (what the operator itself uses: the best the raw client can do) at the best
// concurrency found and (b) through the webhook (a separate process serving only the webhook, from
// dist/), POSTed as AlertManager would in payloads of 1, 10 and 100 alerts, with as many creates in flight
// as the raw run (1-alert payloads: as many senders as the raw concurrency, as AlertManager sends many
// groups at once; larger payloads: fewer senders, since the webhook writes a payload's alerts in parallel).
// Each webhook process is warmed as the raw client is (JIT, connections), and each size alternates raw and
// webhook runs BENCH_INGEST_REPS times (3; smoke 1): the ratio is the median of the pairs. A table gives
// the CPU per alert of each process (bench, webhook, apiserver, etcd). Then the webhook's latency at a
// steady 100 alerts/s, and a storm replayed (retries) from two senders at once (HA): exactly N objects
// must exist, each counting every delivery.
// BENCH_CPU_PROF=<dir>: CPU profiles of the webhook processes (--cpu-prof) and of this process during the
// paired raw runs, each with its measured windows; `node --import tsx bench/lib/profileSummary.ts <dir>`
// says where the time went.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  GROUP,
  PLURAL,
  VERSION,
  benchAlert,
  benchPayload,
  createNamespace,
  dist,
  fmt,
  incidentAsWebhookCreates,
  isMain,
  listAll,
  log,
  operatorEnv,
  percentile,
  pool,
  runStandalone,
  sleep,
  table,
  type BenchContext,
  type BenchResult,
  type Bed,
} from './lib/common.js';
import { cpuMeter } from './lib/cpu.js';
import { keepAliveCustomObjectsApi } from './lib/keepAlive.js';
import { cpuProf, profileHere, type CpuProf } from './lib/profileSummary.js';
import { spawnNode, type Child } from './lib/proc.js';

const RAW_CONCURRENCY = [8, 16, 32, 64];
const PAYLOAD_SIZES = [1, 10, 100];

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const { bed, smoke } = ctx;
  const N = Number(process.env.BENCH_INGEST_N) || (smoke ? 50 : 1000);
  const SENDERS = Number(process.env.BENCH_INGEST_SENDERS) || 4;
  const RATE = 100;
  const LATENCY_SECONDS = smoke ? 2 : 10;
  const d = await dist();
  const runId = randomBytes(3).toString('hex');
  const alerts = Array.from({ length: N }, (_, i) => benchAlert(i, runId));

  // Objects exactly as the webhook would create them (same spec, same name, same correlation labels).
  const now = new Date().toISOString();
  const asCreated = await Promise.all(alerts.map((a) => incidentAsWebhookCreates(a, now, 'x')));
  const objects = (namespace: string) => asCreated.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  const specBytes = Buffer.byteLength(JSON.stringify(asCreated[0]));

  // (a) raw creates
  const rawRows: Array<Array<string | number>> = [];
  // CPU seconds by process, summed over the runs of one row (the repeats of a pair), and the alerts stored.
  const cpuByRow = new Map<string, { used: Record<string, number>; alerts: number }>();
  const cpuAdd = (label: string, used: Record<string, number>) => {
    const row = cpuByRow.get(label) ?? { used: {}, alerts: 0 };
    for (const [k, v] of Object.entries(used)) row.used[k] = (row.used[k] ?? 0) + v;
    row.alerts += N;
    cpuByRow.set(label, row);
  };
  const rawRun = async (label: string, api: CustomObjectsApi, concurrency: number, cpuLabel = `raw c=${concurrency}, ${label}`, profLabel?: string) => {
    const ns = await createNamespace(bed, 'raw');
    const objs = objects(ns);
    // BENCH_CPU_PROF: the paired runs (the baseline) are profiled in this process, to set beside the
    // webhook's; timed and metered inside, so starting the profiler and writing its file do not count.
    const creates = async () => {
      const cpu = cpuMeter(bed);
      const t0 = performance.now();
      await pool(objs.length, concurrency, async (i) => {
        await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: objs[i] });
      });
      const seconds = (performance.now() - t0) / 1000;
      cpuAdd(cpuLabel, pickCpu(cpu.read()));
      return seconds;
    };
    const s = profLabel ? await profileHere(profLabel, N, 'alert', creates) : await creates();
    const rate = N / s;
    rawRows.push([label, concurrency, N, s, rate]);
    log(`raw ${label} c=${concurrency}: ${fmt(rate)} alerts/s`);
    return rate;
  };
  const defaultApi = bed.kc().makeApiClient(CustomObjectsApi);
  const keepAliveApi = keepAliveCustomObjectsApi(bed.kc());
  // warm-up (first requests to a new CRD are slow), not counted
  await rawRunWarm(bed, keepAliveApi, objects);
  const rawRates = new Map<number, number>();
  for (const c of RAW_CONCURRENCY) rawRates.set(c, await rawRun('client-node + keep-alive agent', keepAliveApi, c));
  let bestC = RAW_CONCURRENCY[0];
  for (const [c, r] of rawRates) if (r > rawRates.get(bestC)!) bestC = c;
  // For reference only: client-node's default (a new TLS connection per request) is not the baseline.
  const defaultRate = await rawRun('client-node (default agent), reference', defaultApi, bestC);

  // (b) through the webhook, one process per payload size, alternating with raw runs at the best concurrency
  // REPS times (side by side: the apiserver and etcd drift as data grows, and the machine is shared: the
  // headline is the median of the REPS pair ratios, their range shown beside it).
  const REPS = Number(process.env.BENCH_INGEST_REPS) || (smoke ? 1 : 3);
  const hookRows: Array<Array<string | number>> = [];
  const warmAlerts = Array.from({ length: 2 * bestC }, (_, i) => benchAlert(500_000 + i, runId));
  const pairs = new Map<number, Array<{ raw: number; hook: number }>>();
  for (const size of PAYLOAD_SIZES) {
    const ns = await createNamespace(bed, `hook${size}`);
    const hook = await startWebhook(bed, ns, `webhook-${size}`);
    const senders = sendersFor(size, bestC, SENDERS);
    pairs.set(size, []);
    try {
      await warmWebhook(hook.url);
      // As warm as the raw client, whose process and sockets served every run before: JIT and as many
      // connections (sender → webhook → apiserver) as the run will use. Stored too, in the same namespace.
      const warm = await sendAll(hook.url, warmAlerts.map((a) => benchPayload([a])), bestC);
      if (warm.failed) throw new Error(`warm-up: ${warm.failed} webhook deliveries failed: ${warm.lastError}`);
      for (let r = 0; r < REPS; r++) {
        const raw = await rawRun('client-node + keep-alive agent, paired', keepAliveApi, bestC, `raw c=${bestC}, paired with ${size}-alert payloads (${REPS} runs)`, `raw-c${bestC}-paired-${size}`);
        // new alerts each repeat (the same ones would be updates, not creates)
        const repAlerts = r === 0 ? alerts : Array.from({ length: N }, (_, i) => benchAlert(i, `${runId}r${r}`));
        const payloads = chunk(repAlerts, size).map((a) => JSON.stringify(benchPayload(a)));
        const cpu = cpuMeter(bed, { webhook: hook.child.pid });
        const t0 = performance.now();
        const w0 = process.hrtime.bigint();
        const codes = await sendAll(hook.url, payloads, senders);
        const s = (performance.now() - t0) / 1000;
        hook.prof.window(w0, process.hrtime.bigint(), N, 'alert');
        cpuAdd(`webhook, ${size}-alert payloads, ${senders} senders (${REPS} runs)`, pickCpu(cpu.read()));
        if (codes.failed) throw new Error(`${codes.failed} webhook deliveries failed (payload size ${size}): ${codes.lastError}`);
        hookRows.push([`webhook, ${size}-alert payloads${codes.retried ? ` (${codes.retried} retried)` : ''}`, `${senders} senders`, N, s, N / s]);
        pairs.get(size)!.push({ raw, hook: N / s });
        log(`webhook ${size}: ${fmt(N / s)} alerts/s (${fmt(N / s / raw)} of raw)${codes.retried ? `; ${codes.retried} non-200 answers retried, the last: ${codes.lastError}` : ''}`);
      }
      const stored = (await listAll(bed, ns)).length;
      const expected = N * REPS + warmAlerts.length;
      if (stored !== expected) throw new Error(`payload size ${size}: ${stored} objects stored, expected ${expected} (${warmAlerts.length} of the warm-up)`);
    } finally {
      await hook.stop();
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const ratioOf = (size: number) => median(pairs.get(size)!.map((p) => p.hook / p.raw));
  const rangeOf = (size: number) => {
    const rs = pairs.get(size)!.map((p) => p.hook / p.raw);
    return rs.length > 1 ? `${fmt(Math.min(...rs))}-${fmt(Math.max(...rs))}` : '-';
  };
  const hookRate = (size: number) => median(pairs.get(size)!.map((p) => p.hook));
  // What the ratio would be if the machine were CPU-bound: all processes' CPU per alert, raw path over webhook path.
  const cpuPerAlert = (label: string) => {
    const row = cpuByRow.get(label);
    return row ? Object.values(row.used).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) / row.alerts : NaN;
  };
  const cpuRatio = (size: number) =>
    cpuPerAlert(`raw c=${bestC}, paired with ${size}-alert payloads (${REPS} runs)`) / cpuPerAlert(`webhook, ${size}-alert payloads, ${sendersFor(size, bestC, SENDERS)} senders (${REPS} runs)`);
  const rawRate = (size: number) => median(pairs.get(size)!.map((p) => p.raw));

  table(
    `Ingestion: ${N} distinct alerts, object ${specBytes} bytes (JSON)`,
    ['path', 'concurrency', 'alerts', 'seconds', 'alerts/s'],
    [...rawRows, ...hookRows],
  );
  const ratios = PAYLOAD_SIZES.map((s) => [s, ratioOf(s)] as const);
  table(
    `Webhook (b) vs raw (a): client-node with a keep-alive agent at concurrency ${bestC}, each webhook run right after a raw run, ${REPS} pair(s) per size (medians)`,
    ['payload', 'senders', 'webhook alerts/s', 'keep-alive raw alerts/s', 'ratio b/a (median of pairs)', 'range', 'CPU/alert raw ÷ webhook path', 'vs default-agent raw (reference)'],
    ratios.map(([s, r]) => [`${s} alert(s)`, sendersFor(s, bestC, SENDERS), hookRate(s), rawRate(s), r, rangeOf(s), cpuRatio(s), hookRate(s) / defaultRate]),
  );
  table(
    'CPU per alert stored, ms, by process (from /proc; bench = the raw client, or the webhook senders standing in for AlertManager)',
    ['run', 'bench', 'webhook', 'kube-apiserver', 'etcd', 'total'],
    [...cpuByRow].map(([label, { used, alerts: n }]) => {
      const per = (k: string) => ((used[k] ?? 0) * 1000) / n;
      const total = Object.values(used).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
      return [label, per('bench'), used.webhook === undefined ? '-' : per('webhook'), per('kube-apiserver'), per('etcd'), (total * 1000) / n];
    }),
  );

  // latency at a steady rate
  const lat = await latencyRun(bed, RATE, LATENCY_SECONDS);
  table(
    `Webhook latency, 1-alert payloads at ${RATE}/s for ${LATENCY_SECONDS} s (open loop)`,
    ['requests', 'achieved/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-200'],
    [[lat.n, lat.achieved, lat.p50, lat.p90, lat.p99, lat.max, lat.errors]],
  );

  // storm: 3 rounds from 2 senders at once
  const storm = await stormRun(bed, alerts, d, smoke);
  table(
    `Storm: ${N} alerts, ${storm.rounds} rounds (retries) x ${storm.replicas} senders at once (HA), ${storm.size}-alert payloads`,
    ['objects', 'expected', 'missing objects', 'extra objects', 'lost deliveries', 'duplicated deliveries', 'non-200 (retried)', 'seconds', 'deliveries/s'],
    [[storm.objects, N, storm.missing, storm.extra, storm.lost, storm.duplicated, storm.retried, storm.seconds, (N * storm.rounds * storm.replicas) / storm.seconds]],
  );

  // Targets: >= 0.75 of keep-alive raw for 1-alert payloads (the webhook is a process hop more, on a path
  // bounded by the API server's create: express + zod, nothing in front of them), >= 0.9 for 10 and 100.
  const target = (size: number) => (size === 1 ? 0.75 : 0.9);
  const worst = ratios.reduce((a, b) => (b[1] / target(b[0]) < a[1] / target(a[0]) ? b : a));
  const failed =
    storm.lost || storm.duplicated || storm.missing || storm.extra
      ? `storm: ${storm.lost} lost and ${storm.duplicated} duplicated deliveries, ${storm.missing} missing and ${storm.extra} extra objects`
      : undefined;
  return {
    name: 'ingest',
    ratio: worst[1],
    ratioLabel: `webhook/keep-alive raw alerts/s (worst against its target: ${worst[0]}-alert payloads)`,
    target: worst[0] === 1 ? '>= 0.75' : '>= 0.9',
    meetsTarget: ratios.every(([size, r]) => r >= target(size)) && lat.p99 < 50,
    failed,
    notes: [
      `keep-alive raw ${PAYLOAD_SIZES.map((s) => fmt(rawRate(s))).join('/')}/s (c=${bestC}); webhook ${PAYLOAD_SIZES.map((s) => `${s}:${fmt(hookRate(s))}/s (${fmt(ratioOf(s))}, ${rangeOf(s)})`).join(' ')}`,
      `latency p50 ${fmt(lat.p50)} ms p99 ${fmt(lat.p99)} ms (target < 50)`,
      `storm lost ${storm.lost} dup ${storm.duplicated}`,
    ],
  };
}

async function rawRunWarm(bed: Bed, api: CustomObjectsApi, objects: (ns: string) => any[]): Promise<void> {
  const ns = await createNamespace(bed, 'warm');
  const objs = objects(ns).slice(0, 50);
  await pool(objs.length, 8, async (i) => {
    await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: objs[i] });
  });
}

/**
 * Senders for a payload size so that the webhook has about as many creates in flight as the raw run
 * (each payload's alerts are written up to 16 at once); BENCH_INGEST_SENDERS sets a floor.
 */
function sendersFor(size: number, rawConcurrency: number, floor: number): number {
  return Math.max(Number(process.env.BENCH_INGEST_SENDERS) ? floor : 1, Math.ceil(rawConcurrency / Math.min(size, 16)));
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

interface Hook {
  url: string;
  child: Child;
  /** Its CPU profile (BENCH_CPU_PROF): mark the measured window with prof.window(). */
  prof: CpuProf;
  stop(): Promise<void>;
}

/** The bench's own CPU, the control plane's and the webhook's (when running): the processes that compete. */
function pickCpu(used: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ['bench', 'webhook', 'kube-apiserver', 'etcd']) if (used[k] !== undefined) out[k] = used[k];
  return out;
}

/** `label` names its CPU profile when BENCH_CPU_PROF=<dir> is set (bench/lib/profileSummary.ts reads them). */
async function startWebhook(bed: Bed, namespace: string, label: string): Promise<Hook> {
  const prof = cpuProf(label);
  const child = spawnNode([...prof.args, 'bench/lib/webhookOnly.ts'], { ...operatorEnv(namespace), KUBECONFIG: bed.kubeconfigPath, NODE_ENV: 'production' }, { tsx: true });
  const { webhookUrl } = await child.announced;
  return { url: webhookUrl, child, prof, stop: () => child.stop() };
}

async function warmWebhook(url: string): Promise<void> {
  // One request so the connection and the JIT are warm; /readyz lists (cheap), no alert stored.
  const r = await fetch(url.replace('/api/v1/alerts', '/readyz'));
  await r.text();
}

// The senders stand in for AlertManager (a Go program, elsewhere in a cluster) but share the 2 cores with
// the webhook: node:http with a keep-alive agent costs them a fraction of fetch's CPU per request (undici
// measured about 1.3 ms per POST here, more than the webhook's own work on it), and bodies are
// serialized before the clock starts.
const senderAgent = new http.Agent({ keepAlive: true });

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: senderAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** `senders` concurrent senders share the payloads; each retries a non-200 as AlertManager would. */
async function sendAll(url: string, payloads: unknown[], senders: number): Promise<{ failed: number; retried: number; lastError?: string }> {
  let failed = 0;
  let retried = 0;
  let lastError: string | undefined;
  await pool(payloads.length, senders, async (i) => {
    for (let attempt = 0; ; attempt++) {
      const r = await post(url, payloads[i]).catch((e) => ({ status: 0, text: String(e) }));
      if (r.status === 200) return;
      lastError = `${r.status} ${r.text.slice(0, 200)}`;
      if (attempt >= 5) {
        failed++;
        return;
      }
      retried++;
      await sleep(100 * 2 ** attempt);
    }
  });
  return { failed, retried, lastError };
}

async function latencyRun(bed: Bed, rate: number, seconds: number) {
  const ns = await createNamespace(bed, 'lat');
  const hook = await startWebhook(bed, ns, 'latency');
  const runId = randomBytes(3).toString('hex');
  try {
    await warmWebhook(hook.url);
    // a few unmeasured requests first (connection, JIT)
    for (let i = 0; i < 20; i++) await post(hook.url, benchPayload([benchAlert(100_000 + i, runId)]));
    const n = rate * seconds;
    const bodies = Array.from({ length: n }, (_, i) => JSON.stringify(benchPayload([benchAlert(i, runId)])));
    const latencies: number[] = [];
    let errors = 0;
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    const w0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const body = bodies[i];
      inflight.push(
        (async () => {
          const s = performance.now();
          const r = await post(hook.url, body).catch(() => ({ status: 0, text: '' }));
          latencies.push(performance.now() - s);
          if (r.status !== 200) errors++;
        })(),
      );
    }
    await Promise.all(inflight);
    hook.prof.window(w0, process.hrtime.bigint(), n, 'alert');
    const total = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return { n, achieved: n / total, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1)!, errors };
  } finally {
    await hook.stop();
  }
}

async function stormRun(bed: Bed, alerts: any[], d: Awaited<ReturnType<typeof dist>>, smoke: boolean) {
  const ns = await createNamespace(bed, 'storm');
  const hook = await startWebhook(bed, ns, 'storm');
  const rounds = 3;
  const replicas = 2;
  const size = 10;
  const perReplicaConcurrency = 4;
  void smoke;
  try {
    await warmWebhook(hook.url);
    const payloads = chunk(alerts, size).map((a) => JSON.stringify(benchPayload(a)));
    const t0 = performance.now();
    const w0 = process.hrtime.bigint();
    let retried = 0;
    let failed = 0;
    let lastError: string | undefined;
    // Both AlertManager replicas send the same notifications at the same moment, and repeat them.
    await Promise.all(
      Array.from({ length: replicas }, async () => {
        for (let r = 0; r < rounds; r++) {
          const res = await sendAll(hook.url, payloads, perReplicaConcurrency);
          retried += res.retried;
          failed += res.failed;
          lastError = res.lastError ?? lastError;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    hook.prof.window(w0, process.hrtime.bigint(), alerts.length * rounds * replicas, 'delivery');
    if (failed) throw new Error(`storm: ${failed} deliveries failed after retries: ${lastError}`);
    const expected = rounds * replicas;
    const items = await listAll(bed, ns);
    const byName = new Map<string, number>(items.map((i) => [i.metadata.name, i.spec?.notifications?.count ?? 0]));
    const wanted = new Set(alerts.map((a) => d.naming.incidentName(a.labels.alertname, a.fingerprint, a.startsAt)));
    let missing = 0;
    let lost = 0;
    let duplicated = 0;
    for (const name of wanted) {
      const count = byName.get(name);
      if (count === undefined) {
        missing++;
        lost += expected;
        continue;
      }
      if (count < expected) lost += expected - count;
      if (count > expected) duplicated += count - expected;
    }
    const extra = [...byName.keys()].filter((n) => !wanted.has(n)).length;
    if (retried) log(`storm: ${retried} deliveries answered non-200 and were retried (last: ${lastError}); a retry of a partly stored payload counts again`);
    return { objects: items.length, missing, extra, lost, duplicated, retried, seconds, rounds, replicas, size };
  } finally {
    await hook.stop();
  }
}

if (isMain(import.meta.url)) await runStandalone(run);

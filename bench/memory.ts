// 4. Memory at scale, as the chart runs the operator (its NODE_OPTIONS: heap cap, young generation, V8
// threads; read from helm/alert-agent/templates/deployment.yaml and values.yaml): `node dist/main.js` in a
// process of its own (NODE_ENV=production) against one namespace, measured idle (no incidents), then as
// reported incidents of realistic size are added (5 steps with ~1 KB outputs, a ~8 KB report; label
// alertagent.io/finished=true, phase Reported; 0 / 2 500 / 5 000 / 10 000, smoke 0 / 200), then with
// 1 000 unfinished ones added to them (smoke 50; as in 4b, reconciled once before RSS is sampled): its
// start-up time (spawn to /readyz 200), its RSS once ready, and the growth per 1 000 incidents. The
// NODE_OPTIONS of source maps alone (no V8 flags) are a reference row at 0 and at 10 000.
// 4b. 10 000 unfinished incidents (AwaitingApproval, ~20 KB each: five tool results of 3 KB and an action
// waiting for a person), which the controller watches and reconciles: RSS until every key has been
// reconciled once (the queue drained) and after, with the chart's NODE_OPTIONS, against the chart's
// memory limit (256Mi). BENCH_MEMORY_N (reported), BENCH_MEMORY_MIXED_N (unfinished added to them) and
// BENCH_MEMORY_UNFINISHED_N (4b) set the sizes (0 skips); BENCH_MEMORY_NODE_OPTIONS replaces the chart's.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { freePort } from '../scripts/local/controlPlane.js';
import { DIST_DIR, GROUP, PROJECT_ROOT, PLURAL, VERSION, benchAlert, benchPayload, createNamespace, dist, fmt, isMain, listAll, log, pool, runStandalone, sleep, table, type BenchContext, type BenchResult, type Bed } from './lib/common.js';
import { keepAliveCustomObjectsApi } from './lib/keepAlive.js';
import { logText } from './lib/mcpBench.js';
import { spawnNode } from './lib/proc.js';

function reportMarkdown(name: string, bytes: number): string {
  const head = `# KubePodCrashLooping: resolved\n\nIncident \`${name}\` · severity warning · alert firing · firing since 2026-11-26T07:00:00Z\n\nConclusion: the investigator decided to resolve\n\n## Summary\n\nThe checkout pod crash loops because payments-svc does not answer.\n\n## Evidence\n\n`;
  const body = logText(bytes - head.length, name.length)
    .split('\n')
    .map((l) => `- ${l}`)
    .join('\n');
  return (head + body).slice(0, bytes);
}

function reportedStatus(name: string, i: number) {
  const t = (s: number) => new Date(Date.parse('2026-11-26T07:01:00Z') + s * 1000).toISOString();
  const tools = ['describe_pod', 'get_events', 'get_pod_logs', 'describe_deployment', 'get_pod_logs'];
  const steps: any[] = tools.map((tool, k) => ({
    index: k + 1,
    time: t(k * 3),
    action: 'callTool',
    server: 'kubernetes',
    tool,
    toolCallId: `call_${i}_${k}`,
    arguments: JSON.stringify({ namespace: 'shop', name: `checkout-${i}` }),
    reasoning: 'Looking at the pod, its events and its logs to find why it restarts.',
    mutating: false,
    state: 'Succeeded',
    policy: { verdict: 'allow', reason: 'read-only', decidedBy: 'policy approve' },
    result: { ok: true, output: logText(1024, i + k), durationMs: 12 + k, finishedAt: t(k * 3 + 1) },
  }));
  steps.push({ index: 6, time: t(16), action: 'resolve', state: 'Done', toolCallId: `call_${i}_end`, reasoning: 'The evidence is conclusive.', arguments: JSON.stringify({ summary: 'checkout crash loops', root_cause: 'payments-svc timeouts' }) });
  return {
    phase: 'Reported',
    outcome: 'Resolved',
    summary: 'checkout crash loops: payments-svc does not answer on 8443',
    rootCause: 'payments-svc:8443 connect timeouts make checkout exit at start',
    investigator: 'llm',
    report: reportMarkdown(name, 8192),
    startedAt: t(0),
    completedAt: t(20),
    usage: { llmCalls: 7, promptTokens: 41234, completionTokens: 1234 },
    steps,
    conditions: [
      { type: 'Reported', status: 'True', reason: 'Resolved', message: 'checkout crash loops', lastTransitionTime: t(20) },
      { type: 'Investigating', status: 'False', reason: 'Reported', lastTransitionTime: t(20) },
      { type: 'AlertFiring', status: 'True', reason: 'Firing', lastTransitionTime: t(0) },
    ],
  };
}

/** An investigation in progress: five read steps with 3 KB results, then a scale waiting for approval. */
function awaitingStatus(i: number, now: string) {
  const tools = ['describe_pod', 'get_events', 'get_pod_logs', 'describe_deployment', 'get_pod_logs'];
  const steps: any[] = tools.map((tool, k) => ({
    index: k + 1,
    time: now,
    action: 'callTool',
    server: 'kubernetes',
    tool,
    toolCallId: `call_${i}_${k}`,
    arguments: JSON.stringify({ namespace: 'shop', name: `checkout-${i}` }),
    reasoning: 'Looking at the pod, its events and its logs to find why it restarts.',
    mutating: false,
    state: 'Succeeded',
    policy: { verdict: 'allow', reason: 'read-only', decidedBy: 'policy approve' },
    result: { ok: true, output: logText(3 * 1024, i + k), durationMs: 12 + k, finishedAt: now },
  }));
  steps.push({
    index: 6,
    time: now, // the approval timeout (1h) counts from here: nothing times out while we measure
    action: 'callTool',
    server: 'kubernetes',
    tool: 'scale',
    toolCallId: `call_${i}_scale`,
    arguments: JSON.stringify({ kind: 'Deployment', namespace: 'shop', name: `checkout-${i}`, replicas: 3 }),
    reasoning: 'More replicas ride out the payments-svc timeouts until it is fixed.',
    mutating: true,
    state: 'AwaitingApproval',
    policy: { verdict: 'approve', reason: 'mutating tool needs a person', decidedBy: 'policy approve' },
  });
  return {
    phase: 'AwaitingApproval',
    summary: 'checkout crash loops: payments-svc does not answer on 8443',
    investigator: 'llm',
    startedAt: now,
    usage: { llmCalls: 6, promptTokens: 31234, completionTokens: 934 },
    steps,
    conditions: [
      { type: 'Investigating', status: 'True', reason: 'AwaitingApproval', message: 'step 6 waits for approval', lastTransitionTime: now },
      { type: 'AlertFiring', status: 'True', reason: 'Firing', lastTransitionTime: now },
    ],
  };
}

/**
 * Writes n incidents, reported and labelled finished, or unfinished and waiting for approval; returns the
 * sum of the stored objects' JSON sizes.
 */
async function populate(bed: Bed, namespace: string, n: number, kind: 'reported' | 'awaiting' = 'reported'): Promise<number> {
  const d = await dist();
  // Loading data, not measured: a keep-alive client makes it several times faster.
  const api: CustomObjectsApi = keepAliveCustomObjectsApi(bed.kc());
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const runId = randomBytes(3).toString('hex');
  const now = new Date().toISOString();
  let bytes = 0;
  let done = 0;
  const t0 = Date.now();
  await pool(n, 32, async (i) => {
    const spec = d.intake.specFromAlert(benchAlert(i, runId) as any, benchPayload([]) as any, now);
    const name = d.naming.incidentName(spec.alertname, spec.fingerprint, spec.startsAt);
    const labels: Record<string, string> = { 'alertagent.io/alertname': spec.alertname };
    if (kind === 'reported') labels['alertagent.io/finished'] = 'true';
    await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AlertIncident', metadata: { name, namespace, labels }, spec } });
    const status = kind === 'reported' ? reportedStatus(name, i) : awaitingStatus(i, now);
    const stored = await api.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } }, merge);
    bytes += Buffer.byteLength(JSON.stringify(stored));
    if (++done % 2000 === 0) log(`written ${done}/${n} incidents (${Math.round((Date.now() - t0) / 1000)} s)`);
  });
  return bytes;
}

/** Node with source maps and no V8 flags (what the image set before 2026-11-30): the reference rows. */
const IMAGE_NODE_OPTIONS = '--enable-source-maps';

/**
 * What the chart sets (templates/deployment.yaml): its NODE_OPTIONS, with the heap cap of values.yaml.
 * BENCH_MEMORY_NODE_OPTIONS replaces them (to measure another build as its chart ran it).
 */
function chartNodeOptions(): string {
  if (process.env.BENCH_MEMORY_NODE_OPTIONS) return process.env.BENCH_MEMORY_NODE_OPTIONS;
  const chart = path.join(PROJECT_ROOT, 'helm/alert-agent');
  const values = fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8');
  const mib = /^heapLimitMiB:\s*(\d+)/m.exec(values)?.[1];
  if (!mib) throw new Error('helm/alert-agent/values.yaml has no heapLimitMiB');
  const template = fs.readFileSync(path.join(chart, 'templates/deployment.yaml'), 'utf8');
  const format = /name: NODE_OPTIONS\s+value: \{\{ printf "([^"]+)" \(int \.Values\.heapLimitMiB\)/.exec(template)?.[1];
  if (!format) throw new Error('helm/alert-agent/templates/deployment.yaml: no NODE_OPTIONS printf with heapLimitMiB');
  return format.replace('%d', mib);
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

interface Sample {
  startupMs: number;
  rssMb: number;
  rssMaxMb: number;
  hwmMb: number;
  /** With `drain`: from ready until every key was reconciled once and the queue is empty. */
  drainMs?: number;
  /** With `drain`: the operator's own count of GETs for AlertIncidents (list pages included). */
  gets?: number;
}

/** Values of one metric in a Prometheus text exposition, summed over the series whose labels match. */
function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

/**
 * `node dist/main.js` against the namespace: spawn → /readyz 200, then RSS sampled for a few seconds.
 * With `drain: n`, RSS is also sampled every 250 ms from ready until n reconciles have ended and the
 * queue is empty (the start-up burst of a controller with n unfinished incidents), then as usual.
 */
async function measureOperator(bed: Bed, namespace: string, samples: number, o: { nodeOptions?: string; env?: Record<string, string>; drain?: number } = {}): Promise<Sample> {
  const webhookPort = await freePort();
  const metricsPort = await freePort();
  const t0 = performance.now();
  const child = spawnNode([path.join(DIST_DIR, 'main.js')], {
    NODE_ENV: 'production',
    NODE_OPTIONS: o.nodeOptions ?? IMAGE_NODE_OPTIONS,
    KUBECONFIG: bed.kubeconfigPath,
    NAMESPACE: namespace,
    WEBHOOK_PORT: String(webhookPort),
    METRICS_PORT: String(metricsPort),
    WEBHOOK_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SERVERS_CONFIG: '/nonexistent/servers_config.json',
    OPENAI_API_KEY: '',
    OPENAI_BASE_URL: '',
    // Keep every incident: the default (1000) would delete 9000 of them while we measure.
    RETENTION_MAX: '1000000',
    ...o.env,
  });
  let exited = false;
  child.proc.on('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`the operator exited during start-up: ${child.stderrTail()}`);
      if (performance.now() - t0 > 300_000) throw new Error('the operator was not ready within 300 s');
      const ok = await fetch(`http://127.0.0.1:${webhookPort}/readyz`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      await sleep(25);
    }
    const startupMs = performance.now() - t0;
    const rss: number[] = [];
    let drainMs: number | undefined;
    let gets: number | undefined;
    if (o.drain !== undefined) {
      const t1 = performance.now();
      for (;;) {
        if (exited) throw new Error(`the operator exited while reconciling: ${child.stderrTail()}`);
        if (performance.now() - t1 > 600_000) throw new Error('the queue did not drain within 600 s');
        rss.push(procStatus(child.pid).rss);
        const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
        const reconciled = metric(text, 'alertagent_reconcile_duration_seconds_count');
        if (reconciled >= o.drain && metric(text, 'alertagent_queue_depth') === 0 && metric(text, 'alertagent_investigations_active') === 0) {
          drainMs = performance.now() - t1;
          gets = metric(text, 'alertagent_kube_requests_total', 'method="GET"');
          break;
        }
        await sleep(250);
      }
    }
    for (let i = 0; i < samples; i++) {
      await sleep(1000);
      rss.push(procStatus(child.pid).rss);
    }
    const { hwm } = procStatus(child.pid);
    return { startupMs, rssMb: rss.at(-1)!, rssMaxMb: Math.max(...rss), hwmMb: hwm, drainMs, gets };
  } finally {
    await child.stop();
  }
}

/** The chart's memory limit (helm/alert-agent/values.yaml, resources.limits.memory: 256Mi), in MiB. */
const CHART_LIMIT_MIB = 256;

/** A size from the environment: unset = the default; 0 skips that part. */
function size(name: string, def: number): number {
  const v = process.env[name];
  return v === undefined || v === '' ? def : Number(v);
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const { bed, smoke } = ctx;
  const n = size('BENCH_MEMORY_N', smoke ? 200 : 10_000);
  const mixed = size('BENCH_MEMORY_MIXED_N', smoke ? 50 : 1_000);
  const nu = size('BENCH_MEMORY_UNFINISHED_N', smoke ? 200 : 10_000);
  // The retention sweep pages through every finished incident after /readyz: sample until it is over.
  const samples = smoke ? 2 : 12;
  const reported = n > 0 ? await reportedIncidents(bed, smoke, n, mixed, samples) : undefined;
  const unfinished = nu > 0 ? await unfinishedIncidents(bed, nu, samples, smoke) : undefined;
  const notes = [...(reported?.notes ?? []), ...(unfinished?.notes ?? [])];
  if (reported) return { ...reported.result, notes };
  if (!unfinished) throw new Error('BENCH_MEMORY_N=0 and BENCH_MEMORY_UNFINISHED_N=0: nothing to measure');
  return { ...unfinished.result, notes };
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : NaN;
}

/**
 * 4. One namespace: idle, then reported (finished) incidents added in steps (outside the controller's
 * watch; retention lists them), then unfinished ones added to them (watched and reconciled).
 */
async function reportedIncidents(bed: Bed, smoke: boolean, n: number, mixed: number, samples: number): Promise<{ result: BenchResult; notes: string[] }> {
  const ns = await createNamespace(bed, 'mem-full');
  const chart = chartNodeOptions();
  const steps = [...new Set(smoke ? [0, n] : [0, Math.round(n / 4), Math.round(n / 2), n])];
  const rows: Array<Array<string | number>> = [];
  const row = (label: string, nodeOptions: string, s: Sample) => rows.push([label, nodeOptions, s.startupMs, s.rssMb, s.rssMaxMb, s.hwmMb]);
  const points: Array<[number, Sample]> = [];
  let written = 0;
  let bytes = 0;
  if (!smoke) await measureOperator(bed, ns, 1, { nodeOptions: chart }); // warm the disk cache and the apiserver once
  for (const count of steps) {
    if (count > written) {
      const t0 = Date.now();
      bytes += await populate(bed, ns, count - written);
      log(`${count - written} incidents written in ${Math.round((Date.now() - t0) / 1000)} s (${count} in all, ${fmt(bytes / 1e6)} MB of JSON)`);
      written = count;
    }
    const s = await measureOperator(bed, ns, samples, { nodeOptions: chart });
    points.push([count, s]);
    const label = count === 0 ? 'none (idle)' : `${count} reported`;
    row(label, chart, s);
    if (!smoke && (count === 0 || count === n)) row(label, `${IMAGE_NODE_OPTIONS} (no V8 flags)`, await measureOperator(bed, ns, samples));
  }
  const idle = points[0][1];
  const full = points.at(-1)![1];
  let withUnfinished: Sample | undefined;
  let mixedBytes = 0;
  if (mixed > 0) {
    mixedBytes = await populate(bed, ns, mixed, 'awaiting');
    log(`${mixed} unfinished incidents added, ${fmt(mixedBytes / 1e6)} MB of JSON`);
    withUnfinished = await measureOperator(bed, ns, samples, { nodeOptions: chart, drain: mixed });
    row(`${n} reported + ${mixed} unfinished (reconciled once, in ${fmt((withUnfinished.drainMs ?? NaN) / 1000)} s)`, chart, withUnfinished);
  }
  // Last, as shipped: RETENTION_MAX=1000 deletes all but 1000 finished ones (oldest first) while we sample.
  const shipped = await measureOperator(bed, ns, samples, { nodeOptions: chart, env: { RETENTION_MAX: '' } });
  const left = (await listAll(bed, ns, 'alertagent.io/finished=true')).length;
  row(`the same, RETENTION_MAX=1000 (default; ${left} reported left after)`, chart, shipped);
  table(
    `Memory: node dist/main.js (NODE_ENV=production), RSS sampled ${samples} times 1 s apart once /readyz answers 200 (with unfinished incidents: also every 250 ms until each was reconciled once); RETENTION_MAX=1000000 unless said`,
    ['incidents in the namespace', 'NODE_OPTIONS', 'start-up ms (spawn to ready)', 'RSS MB (last)', 'RSS MB (max)', 'peak RSS (VmHWM) MB'],
    rows,
  );
  const objectsMb = bytes / 1024 / 1024;
  const perReported = slope(points.map(([c, s]) => [c, s.rssMaxMb])) * 1000;
  const perUnfinished = withUnfinished ? ((withUnfinished.rssMaxMb - full.rssMaxMb) / mixed) * 1000 : NaN;
  table(`Growth (as the chart runs it; RSS = max of the samples)`, ['incidents', 'JSON per 1 000 (MB)', 'RSS MB per 1 000 incidents', 'how'], [
    ['reported', (objectsMb / n) * 1000, perReported, `least-squares slope over ${steps.join(' / ')}`],
    ...(withUnfinished ? [['unfinished', (mixedBytes / 1024 / 1024 / mixed) * 1000, perUnfinished, `${n} reported + ${mixed} unfinished vs ${n} reported`]] : []),
  ]);
  const top = withUnfinished ?? full;
  const rss = Math.max(idle.rssMaxMb, top.rssMaxMb);
  const topLabel = withUnfinished ? `${n} reported + ${mixed} unfinished` : `${n} reported`;
  return {
    result: {
      name: 'memory',
      ratio: rss / 150,
      ratioLabel: `RSS / 150 MB, the larger of idle (${fmt(idle.rssMaxMb)} MB) and ${topLabel} (${fmt(top.rssMaxMb)} MB, peak ${fmt(top.hwmMb)} MB; ${chart})`,
      target: '< 1',
      meetsTarget: rss < 150,
    },
    notes: [
      `RSS +${fmt(perReported)} MB per 1 000 reported incidents (${fmt((objectsMb / n) * 1000)} MB JSON)${withUnfinished ? `, +${fmt(perUnfinished)} MB per 1 000 unfinished` : ''}`,
      `default RETENTION_MAX (deleting): RSS ${fmt(shipped.rssMaxMb)} MB`,
      `start-up ${fmt(full.startupMs)} ms with ${n} reported vs ${fmt(idle.startupMs)} ms idle`,
    ],
  };
}

/**
 * 4b. Unfinished incidents: all in the controller's watch and its queue. The peak is the start-up
 * burst (the list, then every key reconciled once, each with a GET); it must stay well under the chart's
 * limit. Measured as the chart runs the image (its heap cap), and, for reference (not in smoke), with
 * source maps alone (no V8 flags). A run that dies (e.g. out of heap) is a row that says so.
 */
async function unfinishedIncidents(bed: Bed, n: number, samples: number, smoke: boolean): Promise<{ result: BenchResult; notes: string[] }> {
  const ns = await createNamespace(bed, 'mem-unfinished');
  const t0 = Date.now();
  const bytes = await populate(bed, ns, n, 'awaiting');
  log(`${n} unfinished incidents written in ${Math.round((Date.now() - t0) / 1000)} s, ${fmt(bytes / 1e6)} MB of JSON`);
  const chart = chartNodeOptions();
  const variants: Array<[string, string]> = [[`as the chart runs it`, chart], ...(smoke ? [] : ([[`no V8 flags (no heap cap)`, IMAGE_NODE_OPTIONS]] as Array<[string, string]>))];
  const rows: Array<Array<string | number>> = [];
  let measured: Sample | undefined; // as the chart runs it: the headline
  for (const [label, nodeOptions] of variants) {
    try {
      const s = await measureOperator(bed, ns, samples, { drain: n, nodeOptions });
      if (nodeOptions === chart) measured = s;
      rows.push([label, nodeOptions, s.startupMs, s.drainMs ?? NaN, s.gets ?? NaN, s.rssMb, s.rssMaxMb, s.hwmMb, s.hwmMb / CHART_LIMIT_MIB]);
    } catch (err) {
      // "the operator exited during start-up: ... FATAL ERROR: Reached heap limit ..."
      const when = /the operator [^:]*/.exec(String(err))?.[0] ?? 'failed';
      const why = /FATAL ERROR: [^\n]*/.exec(String(err))?.[0] ?? String(err).split('\n')[0].slice(0, 120);
      rows.push([label, nodeOptions, `${when}: ${why}`, '-', '-', '-', '-', '-', '-']);
    }
  }
  const objectsMb = bytes / 1024 / 1024;
  table(
    `Memory with ${n} unfinished incidents (AwaitingApproval, ${fmt(bytes / n / 1024)} KB of JSON each, ${fmt(objectsMb)} MB in all): node dist/main.js; RSS sampled every 250 ms from ready until every key was reconciled once, then ${samples} times 1 s apart`,
    ['run', 'NODE_OPTIONS', 'start-up ms (spawn to ready)', 'queue drained ms (after ready)', 'GETs for AlertIncidents', 'RSS MB (last)', 'RSS MB (max)', 'peak RSS (VmHWM) MB', `VmHWM / ${CHART_LIMIT_MIB}Mi limit`],
    rows,
  );
  if (!measured) {
    return {
      result: { name: 'memory', ratio: Infinity, ratioLabel: `peak RSS with ${n} unfinished incidents / the chart's ${CHART_LIMIT_MIB}Mi limit: as the chart runs it, ${rows[0][2]}`, target: '< 0.8', meetsTarget: false },
      notes: [],
    };
  }
  const s = measured;
  return {
    result: {
      name: 'memory',
      ratio: s.hwmMb / CHART_LIMIT_MIB,
      ratioLabel: `peak RSS with ${n} unfinished incidents / the chart's ${CHART_LIMIT_MIB}Mi limit (VmHWM ${fmt(s.hwmMb)} MB, after ${fmt(s.rssMb)} MB, objects ${fmt(objectsMb)} MB; ${chart})`,
      target: '< 0.8',
      meetsTarget: s.hwmMb < 0.8 * CHART_LIMIT_MIB,
    },
    notes: [`${n} unfinished incidents (${fmt(objectsMb)} MB JSON), as the chart runs it: peak RSS ${fmt(s.hwmMb)} MB of the ${CHART_LIMIT_MIB}Mi limit, ${fmt(s.rssMb)} MB once reconciled (queue drained in ${fmt((s.drainMs ?? NaN) / 1000)} s, ${s.gets} GETs)`],
  };
}

if (isMain(import.meta.url)) await runStandalone(run);

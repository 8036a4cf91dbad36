// 3. Concurrency. Incidents arrive in one AlertManager payload; the operator (dist/, in this process)
// investigates them through the real openai client against the scripted LLM (a process of its own,
// bench/lib/llmBench.ts), which takes 500 ms per answer, with MAX_CONCURRENT_INVESTIGATIONS=20. Wall time against the ideal
// incidents x LLM calls per incident x 0.5 s / 20 (the LLM kept busy 20-wide, everything else free).
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchAlert, benchPayload, createNamespace, dist, fmt, isMain, listAll, log, operatorEnv, runStandalone, table, type BenchContext, type BenchResult, type Bed } from './lib/common.js';
import { cpuMeter, cpuSummary } from './lib/cpu.js';
import { startBenchLlm } from './lib/llmBench.js';
import { SERVER, startBenchMcp } from './lib/mcpBench.js';
import { watchIncidents } from './lib/watch.js';

const LLM_MS = 500;
const TOOL_CALLS = 3;
const CALLS_PER_INCIDENT = TOOL_CALLS + 2; // tool decisions, the conclusion, the report

interface Round {
  seconds: number;
  stored: number;
  calls: number;
  meanInflight: number;
  maxInflight: number;
  cpu: string;
  eventLoop: string;
  metrics: Awaited<ReturnType<typeof opMetrics>>;
}

async function round(bed: Bed, n: number, workers: number, llmMs: number, mcpConfig: string): Promise<Round> {
  const d = await dist();
  const llm = await startBenchLlm({ delayMs: llmMs, toolCalls: TOOL_CALLS, tool: `${SERVER}__echo` });
  const ns = await createNamespace(bed, 'conc');
  const config = d.config.loadConfig(
    operatorEnv(ns, {
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'bench',
      MAX_CONCURRENT_INVESTIGATIONS: String(workers),
      LLM_CALLS_PER_MINUTE: '100000',
      SERVERS_CONFIG: mcpConfig,
      POLICY_MODE: 'observe',
      // The figure is the LLM-bound ideal: the model's own steps only (the analyzer's evidence is bench/steps' cost).
      EVIDENCE_FIRST: 'false',
    }),
  );
  const op = await d.operator.startOperator(config, d.logger.createLogger({ level: 'warn', format: 'text' }), { kubeConfig: bed.kc() });
  const watch = await watchIncidents(bed, ns);
  try {
    const runId = randomBytes(3).toString('hex');
    const alerts = Array.from({ length: n }, (_, i) => benchAlert(i, runId));
    const cpu = cpuMeter(bed);
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    await llm.reset();
    const t0 = performance.now();
    const res = await fetch(op.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(benchPayload(alerts)) });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    const stored = (performance.now() - t0) / 1000;
    await watch.waitFinished(n, 600_000);
    const seconds = (performance.now() - t0) / 1000;
    const llmStats = await llm.stats();
    const used = cpu.read();
    eld.disable();
    await op.queue.idle();
    const metrics = await opMetrics(op.metrics.registry);
    const items = await listAll(bed, ns);
    // A missing Secret needs a person: the scripted model escalates (a resolve would need proof it cannot have).
    const bad = items.filter((i) => i.status?.phase !== 'Reported' || i.status?.outcome !== 'NeedsManualIntervention');
    if (bad.length) throw new Error(`${bad.length} incidents did not finish as scripted, e.g. ${JSON.stringify(bad[0].status).slice(0, 400)}`);
    return {
      seconds,
      stored,
      calls: llmStats.calls,
      meanInflight: llmStats.meanInflight,
      maxInflight: llmStats.maxInflight,
      cpu: cpuSummary(used, seconds),
      eventLoop: `mean ${fmt(eld.mean / 1e6)} ms, p99 ${fmt(eld.percentile(99) / 1e6)} ms, max ${fmt(eld.max / 1e6)} ms (10 ms resolution)`,
      metrics,
    };
  } finally {
    watch.stop();
    await op.stop();
    await llm.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const { bed, smoke } = ctx;
  const n = Number(process.env.BENCH_CONCURRENCY_N) || (smoke ? 20 : 100);
  const workers = Number(process.env.BENCH_CONCURRENCY_WORKERS) || 20;
  const mcp = await startBenchMcp();
  try {
    // warm-up (JIT, the CRD's storage, connections), not counted
    await round(bed, 10, workers, 20, mcp.serversConfigPath);
    const r = await round(bed, n, workers, LLM_MS, mcp.serversConfigPath);
    const perIncident = r.calls / n;
    const ideal = (n * perIncident * LLM_MS) / 1000 / Math.min(workers, n);
    log(`${n} incidents in ${fmt(r.seconds)} s (ideal ${fmt(ideal)} s); CPU: ${r.cpu}; event loop delay ${r.eventLoop}`);
    table(
      `Concurrency: ${n} incidents, LLM answering in ${LLM_MS} ms, MAX_CONCURRENT_INVESTIGATIONS=${workers}`,
      ['LLM calls', 'per incident', 'stored (s)', 'wall (s)', 'ideal (s)', 'ideal/wall', 'LLM in flight: mean', 'max'],
      [[r.calls, perIncident, r.stored, r.seconds, ideal, ideal / r.seconds, r.meanInflight, r.maxInflight]],
    );
    const rec = r.metrics.histo('alertagent_reconcile_duration_seconds');
    const llmLat = r.metrics.histo('alertagent_llm_latency_seconds');
    const tool = r.metrics.histo('alertagent_tool_call_duration_seconds');
    table(
      'Where the workers spent their time (the operator metrics)',
      ['reconciles', 'worker s available', 'in reconciles', 'of which LLM', 'tools', 'the rest (API writes, Events)', 'idle', 'mean LLM call ms'],
      [[rec.count, r.seconds * Math.min(workers, n), rec.sum, llmLat.sum, tool.sum, rec.sum - llmLat.sum - tool.sum, r.seconds * Math.min(workers, n) - rec.sum, (llmLat.sum / llmLat.count) * 1000]],
    );
    process.stdout.write(`CPU during the run: ${r.cpu}\n`);
    const ratio = ideal / r.seconds;
    return {
      name: 'concurrency',
      ratio,
      ratioLabel: 'ideal / wall time',
      target: '>= 0.9',
      meetsTarget: ratio >= 0.9,
      failed: perIncident !== CALLS_PER_INCIDENT ? `${fmt(perIncident)} LLM calls per incident, expected ${CALLS_PER_INCIDENT}` : undefined,
      notes: [`${fmt(r.seconds)} s vs ideal ${fmt(ideal)} s; LLM ${fmt(r.meanInflight)} calls in flight on average (of ${workers})`],
    };
  } finally {
    await mcp.stop();
  }
}

/** Sums and counts from the operator's own Prometheus registry. */
export async function opMetrics(registry: { getMetricsAsJSON(): Promise<any[]> }) {
  const all = await registry.getMetricsAsJSON();
  const get = (name: string) => all.find((x) => x.name === name)?.values ?? [];
  return {
    histo(name: string) {
      const vals = get(name);
      const sum = vals.filter((v: any) => v.metricName === `${name}_sum`).reduce((a: number, v: any) => a + v.value, 0);
      const count = vals.filter((v: any) => v.metricName === `${name}_count`).reduce((a: number, v: any) => a + v.value, 0);
      return { sum, count };
    },
    counter(name: string): string {
      return get(name)
        .map((v: any) => `${Object.values(v.labels).join('/')}:${v.value}`)
        .join(' ');
    },
  };
}

if (isMain(import.meta.url)) await runStandalone(run);

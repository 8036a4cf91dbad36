// 2. Per-step overhead. Incidents investigated by the operator (dist/, in this process) with an
// investigator that decides at once (Investigator override) and an MCP tool that answers at once
// (bench/lib/mcpBench.ts over streamable HTTP): 5 tool steps and a conclusion each. Time per step
// against one raw status merge-patch round trip: the very statuses the operator wrote, replayed with
// client-node through a keep-alive agent (as the operator sends them: the best the raw client can do) at
// the same concurrency, in the same run.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Investigator } from '../src/incident/contracts.js';
import {
  GROUP,
  PLURAL,
  VERSION,
  benchAlert,
  createNamespace,
  dist,
  fmt,
  incidentAsWebhookCreates,
  isMain,
  listAll,
  log,
  operatorEnv,
  pool,
  runStandalone,
  table,
  type BenchContext,
  type BenchResult,
  type Bed,
} from './lib/common.js';
import { keepAliveCustomObjectsApi } from './lib/keepAlive.js';
import { SERVER, startBenchMcp } from './lib/mcpBench.js';
import { watchIncidents } from './lib/watch.js';

const TOOL_STEPS = 5;

/** Decides at once: TOOL_STEPS echo calls, then resolve; a short report. */
export function instantInvestigator(toolSteps = TOOL_STEPS): Investigator {
  return {
    kind: 'llm',
    async decide(ctx) {
      const calls = ctx.steps.filter((s) => s.action === 'callTool').length;
      const usage = { promptTokens: 1500 + calls * 300, completionTokens: 40 };
      if (calls < toolSteps) {
        return { decision: { kind: 'callTool', tool: `${SERVER}__echo`, arguments: { text: `step ${calls + 1} of ${ctx.incident.metadata.name}` }, reasoning: `Looking at evidence ${calls + 1}.`, toolCallId: `call_${calls + 1}` }, usage };
      }
      return { decision: { kind: 'resolve', summary: 'checkout crash loops on a missing secret', rootCause: 'the secret checkout-db was deleted', reasoning: 'The evidence is conclusive.', toolCallId: 'call_end' }, usage };
    },
    async writeReport() {
      return { report: { markdown: '## Summary\n\nThe checkout pod crash loops.\n\n## Root cause\n\nA missing secret.\n' }, usage: { promptTokens: 3000, completionTokens: 200 } };
    },
  };
}

interface OperatorRound {
  seconds: number;
  startupSeconds: number;
  steps: number;
  requests: Map<string, number>;
  incidentWrites: number;
  eventWrites: number;
  statusSequence: unknown[];
  toolMs: number[];
}

async function operatorRound(bed: Bed, n: number, concurrency: number, mcpConfig: string): Promise<OperatorRound> {
  const d = await dist();
  const ns = await createNamespace(bed, 'steps');
  const api = bed.kc().makeApiClient(CustomObjectsApi);
  const runId = randomBytes(3).toString('hex');
  // The incidents exist before the operator starts (as after a storm, as the webhook creates them); the
  // webhook is not measured here.
  const now = new Date().toISOString();
  await pool(n, 16, async (i) => {
    await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: await incidentAsWebhookCreates(benchAlert(i, runId), now, ns) });
  });
  const watch = await watchIncidents(bed, ns, { recordStatuses: true });
  const requests = new Map<string, number>();
  const config = d.config.loadConfig(operatorEnv(ns, { SERVERS_CONFIG: mcpConfig, MAX_CONCURRENT_INVESTIGATIONS: String(concurrency), POLICY_MODE: 'observe', BUILTIN_KUBERNETES_TOOLS: 'false', EVIDENCE_FIRST: 'false' }));
  const logger = d.logger.createLogger({ level: 'warn', format: 'text' });
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const t0 = performance.now();
  const op = await d.operator.startOperator(config, logger, {
    kubeConfig: bed.kc(),
    investigator: instantInvestigator(),
    onKubeRequest: (method, url) => {
      const what = url.replace(/\?.*/, '').replace(/^.*\/namespaces\/[^/]+\//, '').replace(/^alertincidents\/[^/]+/, 'alertincident');
      const kind = method === 'GET' && /[?&]watch=/.test(url) ? `WATCH ${what}` : method === 'GET' && what === 'alertincidents' ? `LIST ${what}` : `${method} ${what}`;
      requests.set(kind, (requests.get(kind) ?? 0) + 1);
    },
  });
  const startupSeconds = (performance.now() - t0) / 1000;
  try {
    await watch.waitFinished(n, 600_000);
    await op.queue.idle();
    const seconds = (performance.now() - t0) / 1000;
    const items = await listAll(bed, ns);
    const bad = items.filter((i) => i.status?.phase !== 'Reported' || i.status?.steps?.length !== TOOL_STEPS + 1);
    if (bad.length) throw new Error(`${bad.length} incidents did not finish as scripted, e.g. ${JSON.stringify(bad[0].status).slice(0, 400)}`);
    const steps = items.reduce((s, i) => s + i.status.steps.length, 0);
    const toolMs = items.flatMap((i) => i.status.steps.filter((s: any) => s.result?.durationMs !== undefined).map((s: any) => s.result.durationMs));
    const events = (await bed.kc().makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items;
    const eventWrites = events.reduce((s, e) => s + (e.count ?? 1), 0);
    const incidentWrites = [...requests].filter(([k]) => /^(PATCH|POST|PUT) alertincident/.test(k)).reduce((s, [, v]) => s + v, 0);
    const first = [...watch.statuses.values()][0] ?? [];
    eld.disable();
    log(`event loop delay (operator and bench share it): mean ${(eld.mean / 1e6).toFixed(1)} ms, p99 ${(eld.percentile(99) / 1e6).toFixed(1)} ms`);
    return { seconds, startupSeconds, steps, requests, incidentWrites, eventWrites, statusSequence: first, toolMs };
  } finally {
    watch.stop();
    await op.stop();
  }
}

/** The operator's status writes of one incident, replayed on n fresh incidents by `concurrency` workers. */
async function rawRound(bed: Bed, n: number, concurrency: number, sequence: unknown[]): Promise<{ seconds: number; patches: number }> {
  const ns = await createNamespace(bed, 'rawpatch');
  const api = keepAliveCustomObjectsApi(bed.kc());
  const runId = randomBytes(3).toString('hex');
  const now = new Date().toISOString();
  const names: string[] = [];
  const rvs: string[] = [];
  await pool(n, 16, async (i) => {
    const body = await incidentAsWebhookCreates(benchAlert(i, runId), now, ns);
    const created: any = await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body });
    names[i] = body.metadata.name;
    rvs[i] = created.metadata.resourceVersion;
  });
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  // The same watch of the benchmark's as in the operator's round: the API server sends every write to it.
  const watch = await watchIncidents(bed, ns);
  const t0 = performance.now();
  // Like the work queue: a FIFO of incidents; a worker takes the next one, writes its next status, and
  // puts it back at the end while it has writes left (one incident is never written by two at once).
  const fifo = names.map((_, i) => i);
  const nextK = new Array(n).fill(0);
  let inflight = 0;
  let patches = 0;
  const worker = async () => {
    for (;;) {
      const i = fifo.shift();
      if (i === undefined) {
        if (inflight === 0) return;
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      inflight++;
      const k = nextK[i]++;
      const prev = (k > 0 ? sequence[k - 1] : {}) as Record<string, unknown>;
      const body: Record<string, unknown> = { ...(sequence[k] as object) };
      for (const key of Object.keys(prev)) if (!(key in body)) body[key] = null;
      try {
        const updated: any = await api.patchNamespacedCustomObjectStatus(
          { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: names[i], body: { metadata: { resourceVersion: rvs[i] }, status: body } },
          merge,
        );
        rvs[i] = updated.metadata.resourceVersion;
        patches++;
      } finally {
        inflight--;
      }
      if (nextK[i] < sequence.length) fifo.push(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  watch.stop();
  if (patches !== n * sequence.length) throw new Error(`raw replay: ${patches} patches, expected ${n * sequence.length}`);
  return { seconds, patches };
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const { bed, smoke } = ctx;
  const n = Number(process.env.BENCH_STEPS_N) || (smoke ? 10 : 100);
  const concurrency = Number(process.env.BENCH_STEPS_CONCURRENCY) || 5; // MAX_CONCURRENT_INVESTIGATIONS default
  const rounds = smoke ? 1 : 2;
  const mcp = await startBenchMcp();
  try {
    // warm-up round (JIT, CRD storage, MCP connection), not counted
    await operatorRound(bed, Math.min(n, 10), concurrency, mcp.serversConfigPath);
    const ops: OperatorRound[] = [];
    const raws: Array<{ seconds: number; patches: number }> = [];
    for (let r = 0; r < rounds; r++) {
      const op = await operatorRound(bed, n, concurrency, mcp.serversConfigPath);
      ops.push(op);
      log(`operator round ${r + 1}: ${op.steps} steps in ${fmt(op.seconds)} s (${fmt((op.seconds * 1000) / op.steps)} ms/step)`);
      const raw = await rawRound(bed, n, concurrency, op.statusSequence);
      raws.push(raw);
      log(`raw round ${r + 1}: ${raw.patches} patches in ${fmt(raw.seconds)} s (${fmt((raw.seconds * 1000) / raw.patches)} ms/patch)`);
    }
    const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);
    const opSeconds = sum(ops, (o) => o.seconds);
    const steps = sum(ops, (o) => o.steps);
    const writes = sum(ops, (o) => o.incidentWrites);
    const events = sum(ops, (o) => o.eventWrites);
    const rawSeconds = sum(raws, (r) => r.seconds);
    const patches = sum(raws, (r) => r.patches);
    const msPerStep = (opSeconds * 1000) / steps;
    const msPerWrite = (opSeconds * 1000) / writes;
    const msPerPatch = (rawSeconds * 1000) / patches;
    const toolMs = ops.flatMap((o) => o.toolMs).sort((a, b) => a - b);
    const requests = new Map<string, number>();
    for (const o of ops) for (const [k, v] of o.requests) requests.set(k, (requests.get(k) ?? 0) + v);
    const totalRequests = sum([...requests.values()], (v) => v);

    table(
      `Per-step overhead: ${n} incidents x ${TOOL_STEPS} tool steps + conclusion, concurrency ${concurrency}, ${rounds} round(s)`,
      ['measure', 'count', 'seconds', 'ms each', 'ratio to raw patch'],
      [
        ['operator: per step (status.steps entry)', steps, opSeconds, msPerStep, msPerStep / msPerPatch],
        ['operator: per AlertIncident write', writes, opSeconds, msPerWrite, msPerWrite / msPerPatch],
        ['raw: status merge patch (same bodies, keep-alive client)', patches, rawSeconds, msPerPatch, 1],
      ],
    );
    table(
      'API calls for AlertIncidents (onKubeRequest), per step',
      ['request', 'total', 'per step', 'per incident'],
      [
        ...[...requests].sort().map(([k, v]) => [k, v, v / steps, v / (n * rounds)] as Array<string | number>),
        ['all', totalRequests, totalRequests / steps, totalRequests / (n * rounds)],
        ['(Events written, not counted above)', events, events / steps, events / (n * rounds)],
      ],
    );
    table('Tool call (MCP echo over HTTP) as the steps recorded it', ['calls', 'p50 ms', 'p90 ms', 'max ms'], [[toolMs.length, toolMs[Math.floor(toolMs.length / 2)] ?? 0, toolMs[Math.floor(toolMs.length * 0.9)] ?? 0, toolMs.at(-1) ?? 0]]);
    const ratio = msPerStep / msPerPatch;
    return {
      name: 'steps',
      ratio,
      ratioLabel: 'time per step / raw status patch',
      target: '<= 1.5',
      meetsTarget: ratio <= 1.5,
      notes: [
        `${fmt(msPerStep)} ms/step vs ${fmt(msPerPatch)} ms/patch; ${fmt(writes / steps)} writes/step, ${fmt(totalRequests / steps)} API calls/step (+${fmt(events / steps)} Events)`,
        `per write ${fmt(msPerWrite / msPerPatch)}x raw`,
      ],
    };
  } finally {
    await mcp.stop();
  }
}

if (isMain(import.meta.url)) await runStandalone(run);

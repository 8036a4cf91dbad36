// top_pods: pod (or container) CPU and memory usage from the metrics API, against requests and limits.
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { TopPodsOutput, type OutputOf, type UsageRow } from '../../../contracts/toolData.js';
import { defineTool, type ToolContext } from '../context.js';
import { describeApiError } from '../errors.js';
import { table } from '../format.js';
import { metrics, type PodMetrics } from '../metrics.js';
import { formatCpu, formatMemory, parseQuantity, percent } from '../quantity.js';
import { optionalNamespace } from '../schemas.js';

type Data = OutputOf<'top_pods'>;

function sumContainers(p: PodMetrics): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of p.containers ?? []) {
    cpu += parseQuantity(c.usage?.cpu) ?? 0;
    memory += parseQuantity(c.usage?.memory) ?? 0;
  }
  return { cpu, memory };
}

function limitsOf(pod: V1Pod | undefined, container?: string): { cpuLim?: number; memLim?: number; cpuReq?: number; memReq?: number } {
  if (!pod) return {};
  const cs = (pod.spec?.containers ?? []).filter((c) => !container || c.name === container);
  const total = (pick: (c: (typeof cs)[number]) => string | undefined) => {
    let sum = 0;
    for (const c of cs) {
      const v = parseQuantity(pick(c));
      if (v === undefined) return undefined; // a container without a limit means no pod-level limit
      sum += v;
    }
    return cs.length ? sum : undefined;
  };
  return {
    cpuLim: total((c) => c.resources?.limits?.cpu),
    memLim: total((c) => c.resources?.limits?.memory),
    cpuReq: total((c) => c.resources?.requests?.cpu),
    memReq: total((c) => c.resources?.requests?.memory),
  };
}

function withPct(value: number | undefined, fmt: (v: number | undefined) => string, usage: number): string {
  if (value === undefined) return '-';
  const p = percent(usage, value);
  return p ? `${fmt(value)} (${p} used)` : fmt(value);
}

/** The text of a top_pods result, from its data (and the label selector it was asked for). */
export function topPodsText(d: Data, labelSelector: string | undefined): string {
  if (!d.total) {
    return `No pod metrics${d.namespace ? ` in namespace ${d.namespace}` : ''}${labelSelector ? ` for ${labelSelector}` : ''} (no matching running pods, or metrics not collected yet).`;
  }
  const headers = [...(d.namespace ? [] : ['NAMESPACE']), 'POD', ...(d.perContainer ? ['CONTAINER'] : []), 'CPU', 'CPU-REQUEST', 'CPU-LIMIT', 'MEMORY', 'MEMORY-REQUEST', 'MEMORY-LIMIT'];
  const body = d.rows.map((r) => [
    ...(d.namespace ? [] : [r.namespace]),
    r.pod,
    ...(d.perContainer ? [r.container ?? ''] : []),
    formatCpu(r.cpu),
    withPct(r.cpuRequest, formatCpu, r.cpu),
    withPct(r.cpuLimit, formatCpu, r.cpu),
    formatMemory(r.memory),
    withPct(r.memoryRequest, formatMemory, r.memory),
    withPct(r.memoryLimit, formatMemory, r.memory),
  ]);
  const note = d.requestsError ? `\n[requests/limits not shown: ${d.requestsError}]` : '';
  return `Pod usage (metrics.k8s.io), sorted by ${d.sortBy}, ${d.rows.length} of ${d.total}:\n${table(headers, body, { maxLast: 64 })}${note}`;
}

/** Requests and limits for context, by namespace/name; usage alone is still useful if pods cannot be read. */
async function podsByName(ctx: ToolContext, namespace: string | undefined, labelSelector: string | undefined): Promise<{ pods: Map<string, V1Pod>; error?: string }> {
  const pods = new Map<string, V1Pod>();
  try {
    const list = namespace ? await ctx.core.listNamespacedPod({ namespace, labelSelector }) : await ctx.core.listPodForAllNamespaces({ labelSelector });
    for (const p of list.items) pods.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
    return { pods };
  } catch (err) {
    return { pods, error: describeApiError(err, { verb: 'list', resource: 'pods', namespace }) };
  }
}

export const topPods = defineTool({
  name: 'top_pods',
  title: 'Pod CPU and memory usage',
  description:
    'Current CPU and memory usage of pods from the metrics API (metrics-server), with each pod\'s requests and limits and how much of them is used ' +
    '(memory close to its limit precedes OOMKilled; CPU at its limit means throttling). Sorted by the chosen resource, highest first.',
  class: 'read',
  inputSchema: {
    namespace: optionalNamespace('Namespace. Omit for all namespaces.'),
    labelSelector: z.string().max(1000).optional().describe('Label selector to restrict the pods, e.g. "app=web".'),
    sortBy: z.enum(['cpu', 'memory']).default('cpu').describe('Sort by cpu or memory usage (default cpu).'),
    containers: z.boolean().default(false).describe('One row per container instead of per pod.'),
    limit: z.number().int().min(1).max(200).default(20).describe('Maximum rows (default 20).'),
  },
  outputSchema: TopPodsOutput,
  example: { namespace: 'shop', containers: true, sortBy: 'memory' },
  aliases: { sort: 'sortBy', percontainer: 'containers', selector: 'labelSelector' },
  async run(a, ctx) {
    const items = await metrics<PodMetrics>(ctx, 'pods', a.namespace, a.labelSelector);
    const base = { ...(a.namespace ? { namespace: a.namespace } : {}), sortBy: a.sortBy, perContainer: a.containers };
    if (!items.length) {
      const data: Data = { ...base, rows: [], total: 0 };
      return { text: topPodsText(data, a.labelSelector), data };
    }
    const { pods, error: requestsError } = await podsByName(ctx, a.namespace, a.labelSelector);
    type Row = { ns: string; name: string; container?: string; cpu: number; memory: number };
    const rows: Row[] = [];
    for (const m of items) {
      if (a.containers) {
        for (const c of m.containers ?? []) {
          rows.push({ ns: m.metadata.namespace ?? '', name: m.metadata.name, container: c.name, cpu: parseQuantity(c.usage?.cpu) ?? 0, memory: parseQuantity(c.usage?.memory) ?? 0 });
        }
      } else rows.push({ ns: m.metadata.namespace ?? '', name: m.metadata.name, ...sumContainers(m) });
    }
    rows.sort((x, y) => (a.sortBy === 'memory' ? y.memory - x.memory : y.cpu - x.cpu));
    const dataRows: UsageRow[] = rows.slice(0, a.limit).map((r) => {
      const l = limitsOf(pods.get(`${r.ns}/${r.name}`), r.container);
      const row: UsageRow = { namespace: r.ns, pod: r.name, cpu: r.cpu, memory: r.memory };
      if (r.container) row.container = r.container;
      if (l.cpuReq !== undefined) row.cpuRequest = l.cpuReq;
      if (l.cpuLim !== undefined) row.cpuLimit = l.cpuLim;
      if (l.memReq !== undefined) row.memoryRequest = l.memReq;
      if (l.memLim !== undefined) row.memoryLimit = l.memLim;
      return row;
    });
    const data: Data = { ...base, rows: dataRows, total: rows.length, ...(requestsError ? { requestsError } : {}) };
    return { text: topPodsText(data, a.labelSelector), data };
  },
});

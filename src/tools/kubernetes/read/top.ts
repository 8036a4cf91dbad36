// top_pods and top_nodes from the metrics API (metrics.k8s.io, served by metrics-server).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { defineTool, type ToolContext } from '../context.js';
import { describeApiError, httpCode, ToolError } from '../errors.js';
import { table } from '../format.js';
import { TopNodesOutput, TopPodsOutput, type UsageRow } from '../outputs.js';
import { formatCpu, formatMemory, parseQuantity, percent } from '../quantity.js';
import { optionalNamespace } from '../schemas.js';

export const METRICS_NOT_INSTALLED = 'metrics API (metrics-server) is not installed in this cluster';

interface Usage {
  cpu?: string;
  memory?: string;
}
interface PodMetrics {
  metadata: { name: string; namespace?: string };
  containers?: Array<{ name: string; usage?: Usage }>;
}
interface NodeMetrics {
  metadata: { name: string };
  usage?: Usage;
}

async function metrics<T>(ctx: ToolContext, plural: 'pods' | 'nodes', namespace?: string, labelSelector?: string): Promise<T[]> {
  const group = 'metrics.k8s.io';
  const version = 'v1beta1';
  try {
    const res = (namespace
      ? await ctx.custom.listNamespacedCustomObject({ group, version, namespace, plural, labelSelector })
      : await ctx.custom.listClusterCustomObject({ group, version, plural, labelSelector })) as { items?: T[] };
    return res.items ?? [];
  } catch (err) {
    const code = httpCode(err);
    if (code === 404) throw new ToolError(`${METRICS_NOT_INSTALLED} (no ${group} API); usage figures are not available — use describe_pod/describe_node for requests, limits and OOMKilled terminations instead`, 404);
    if (code === 503) throw new ToolError(`metrics API (metrics-server) is registered but not available (HTTP 503); usage figures cannot be read right now`, 503);
    throw new ToolError(describeApiError(err, { verb: 'list', resource: plural, group, namespace }), code);
  }
}

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

export const topPods = defineTool({
  name: 'top_pods',
  title: 'Pod CPU and memory usage',
  description:
    'Current CPU and memory usage of pods from the metrics API (metrics-server), with each pod\'s requests and limits and how much of them is used ' +
    '(memory close to its limit precedes OOMKilled; CPU at its limit means throttling). Sorted by the chosen resource, highest first.',
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
      return {
        text: `No pod metrics${a.namespace ? ` in namespace ${a.namespace}` : ''}${a.labelSelector ? ` for ${a.labelSelector}` : ''} (no matching running pods, or metrics not collected yet).`,
        data: { ...base, rows: [], total: 0 },
      };
    }
    // Requests and limits for context; usage alone is still useful if pods cannot be read.
    const pods = new Map<string, V1Pod>();
    let note = '';
    let requestsError: string | undefined;
    try {
      const list = a.namespace
        ? await ctx.core.listNamespacedPod({ namespace: a.namespace, labelSelector: a.labelSelector })
        : await ctx.core.listPodForAllNamespaces({ labelSelector: a.labelSelector });
      for (const p of list.items) pods.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
    } catch (err) {
      requestsError = describeApiError(err, { verb: 'list', resource: 'pods', namespace: a.namespace });
      note = `\n[requests/limits not shown: ${requestsError}]`;
    }
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
    const shown = rows.slice(0, a.limit);
    const headers = [...(a.namespace ? [] : ['NAMESPACE']), 'POD', ...(a.containers ? ['CONTAINER'] : []), 'CPU', 'CPU-REQUEST', 'CPU-LIMIT', 'MEMORY', 'MEMORY-REQUEST', 'MEMORY-LIMIT'];
    const body = shown.map((r) => {
      const l = limitsOf(pods.get(`${r.ns}/${r.name}`), r.container);
      return [
        ...(a.namespace ? [] : [r.ns]),
        r.name,
        ...(a.containers ? [r.container ?? ''] : []),
        formatCpu(r.cpu),
        withPct(l.cpuReq, formatCpu, r.cpu),
        withPct(l.cpuLim, formatCpu, r.cpu),
        formatMemory(r.memory),
        withPct(l.memReq, formatMemory, r.memory),
        withPct(l.memLim, formatMemory, r.memory),
      ];
    });
    const dataRows: UsageRow[] = shown.map((r) => {
      const l = limitsOf(pods.get(`${r.ns}/${r.name}`), r.container);
      const row: UsageRow = { namespace: r.ns, pod: r.name, cpu: r.cpu, memory: r.memory };
      if (r.container) row.container = r.container;
      if (l.cpuReq !== undefined) row.cpuRequest = l.cpuReq;
      if (l.cpuLim !== undefined) row.cpuLimit = l.cpuLim;
      if (l.memReq !== undefined) row.memoryRequest = l.memReq;
      if (l.memLim !== undefined) row.memoryLimit = l.memLim;
      return row;
    });
    return {
      text: `Pod usage (metrics.k8s.io), sorted by ${a.sortBy}, ${shown.length} of ${rows.length}:\n${table(headers, body, { maxLast: 64 })}${note}`,
      data: { ...base, rows: dataRows, total: rows.length, ...(requestsError ? { requestsError } : {}) },
    };
  },
});

export const topNodes = defineTool({
  name: 'top_nodes',
  title: 'Node CPU and memory usage',
  description: 'Current CPU and memory usage of nodes from the metrics API (metrics-server), as absolute values and as a share of each node\'s allocatable capacity.',
  inputSchema: {
    sortBy: z.enum(['cpu', 'memory']).default('cpu').describe('Sort by cpu or memory usage (default cpu).'),
    limit: z.number().int().min(1).max(500).default(50).describe('Maximum rows (default 50).'),
  },
  outputSchema: TopNodesOutput,
  example: { sortBy: 'memory' },
  aliases: { sort: 'sortBy' },
  async run(a, ctx) {
    const items = await metrics<NodeMetrics>(ctx, 'nodes');
    if (!items.length) return { text: 'No node metrics (metrics not collected yet).', data: { sortBy: a.sortBy, rows: [], total: 0 } };
    const nodes = new Map<string, V1Node>();
    let note = '';
    let allocatableError: string | undefined;
    try {
      const list = await ctx.core.listNode({});
      for (const n of list.items) nodes.set(n.metadata?.name ?? '', n);
    } catch (err) {
      allocatableError = describeApiError(err, { verb: 'list', resource: 'nodes' });
      note = `\n[allocatable not shown: ${allocatableError}]`;
    }
    const rows = items.map((m) => ({ name: m.metadata.name, cpu: parseQuantity(m.usage?.cpu) ?? 0, memory: parseQuantity(m.usage?.memory) ?? 0 }));
    rows.sort((x, y) => (a.sortBy === 'memory' ? y.memory - x.memory : y.cpu - x.cpu));
    const shown = rows.slice(0, a.limit);
    const body = shown.map((r) => {
      const alloc = nodes.get(r.name)?.status?.allocatable;
      return [r.name, formatCpu(r.cpu), percent(r.cpu, parseQuantity(alloc?.cpu)) || '-', formatMemory(r.memory), percent(r.memory, parseQuantity(alloc?.memory)) || '-'];
    });
    const dataRows = shown.map((r) => {
      const alloc = nodes.get(r.name)?.status?.allocatable;
      const cpuA = parseQuantity(alloc?.cpu);
      const memA = parseQuantity(alloc?.memory);
      return { node: r.name, cpu: r.cpu, memory: r.memory, ...(cpuA !== undefined ? { cpuAllocatable: cpuA } : {}), ...(memA !== undefined ? { memoryAllocatable: memA } : {}) };
    });
    return {
      text: `Node usage (metrics.k8s.io), sorted by ${a.sortBy}, ${shown.length} of ${rows.length}:\n${table(['NODE', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%'], body)}${note}`,
      data: { sortBy: a.sortBy, rows: dataRows, total: rows.length, ...(allocatableError ? { allocatableError } : {}) },
    };
  },
});

// top_nodes: node CPU and memory usage from the metrics API, against allocatable.
import type { V1Node } from '@kubernetes/client-node';
import { z } from 'zod';
import { TopNodesOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { describeApiError } from '../errors.js';
import { table } from '../format.js';
import { metrics, type NodeMetrics } from '../metrics.js';
import { formatCpu, formatMemory, parseQuantity, percent } from '../quantity.js';

type Data = OutputOf<'top_nodes'>;

export function topNodesText(d: Data): string {
  if (!d.total) return 'No node metrics (metrics not collected yet).';
  const body = d.rows.map((r) => [r.node, formatCpu(r.cpu), percent(r.cpu, r.cpuAllocatable) || '-', formatMemory(r.memory), percent(r.memory, r.memoryAllocatable) || '-']);
  const note = d.allocatableError ? `\n[allocatable not shown: ${d.allocatableError}]` : '';
  return `Node usage (metrics.k8s.io), sorted by ${d.sortBy}, ${d.rows.length} of ${d.total}:\n${table(['NODE', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%'], body)}${note}`;
}

export const topNodes = defineTool({
  name: 'top_nodes',
  title: 'Node CPU and memory usage',
  description: 'Current CPU and memory usage of nodes from the metrics API (metrics-server), as absolute values and as a share of each node\'s allocatable capacity.',
  class: 'read',
  inputSchema: {
    sortBy: z.enum(['cpu', 'memory']).default('cpu').describe('Sort by cpu or memory usage (default cpu).'),
    limit: z.number().int().min(1).max(500).default(50).describe('Maximum rows (default 50).'),
  },
  outputSchema: TopNodesOutput,
  example: { sortBy: 'memory' },
  aliases: { sort: 'sortBy' },
  async run(a, ctx) {
    const items = await metrics<NodeMetrics>(ctx, 'nodes');
    if (!items.length) {
      const data: Data = { sortBy: a.sortBy, rows: [], total: 0 };
      return { text: topNodesText(data), data };
    }
    const nodes = new Map<string, V1Node>();
    let allocatableError: string | undefined;
    try {
      const list = await ctx.core.listNode({});
      for (const n of list.items) nodes.set(n.metadata?.name ?? '', n);
    } catch (err) {
      allocatableError = describeApiError(err, { verb: 'list', resource: 'nodes' });
    }
    const rows = items.map((m) => ({ name: m.metadata.name, cpu: parseQuantity(m.usage?.cpu) ?? 0, memory: parseQuantity(m.usage?.memory) ?? 0 }));
    rows.sort((x, y) => (a.sortBy === 'memory' ? y.memory - x.memory : y.cpu - x.cpu));
    const dataRows = rows.slice(0, a.limit).map((r) => {
      const alloc = nodes.get(r.name)?.status?.allocatable;
      const cpuA = parseQuantity(alloc?.cpu);
      const memA = parseQuantity(alloc?.memory);
      return { node: r.name, cpu: r.cpu, memory: r.memory, ...(cpuA !== undefined ? { cpuAllocatable: cpuA } : {}), ...(memA !== undefined ? { memoryAllocatable: memA } : {}) };
    });
    const data: Data = { sortBy: a.sortBy, rows: dataRows, total: rows.length, ...(allocatableError ? { allocatableError } : {}) };
    return { text: topNodesText(data), data };
  },
});

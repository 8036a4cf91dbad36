// describe_node: conditions, taints, schedulability, capacity vs allocatable, pods and what they request.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { DescribeNodeOutput, type NodeData } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, isoOrUndefined } from '../data.js';
import { k8s } from '../errors.js';
import { eventsSection } from '../events.js';
import { kv, when } from '../format.js';
import { conditionLines, podRestarts, podStatus } from '../podFormat.js';
import { formatCpu, formatMemory, parseQuantity, percent } from '../quantity.js';
import { objectName } from '../schemas.js';
import { optionalPart } from '../workloads.js';

/** Ready, NotReady or Unknown from the Ready condition. */
export function nodeStatus(node: V1Node): 'Ready' | 'NotReady' | 'Unknown' {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
}

export function nodeRoles(node: V1Node): string[] {
  return Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
}

/** describe_node's data, without its pods and events. */
export function nodeData(node: V1Node) {
  const m = node.metadata ?? {};
  const st = node.status ?? {};
  return compact({
    name: m.name ?? '',
    status: nodeStatus(node),
    unschedulable: node.spec?.unschedulable ?? false,
    roles: nodeRoles(node),
    taints: (node.spec?.taints ?? []).map((t) => compact({ key: t.key, value: t.value || undefined, effect: t.effect })),
    createdAt: isoOrUndefined(m.creationTimestamp),
    kubeletVersion: st.nodeInfo?.kubeletVersion,
    conditions: conditionsData(st.conditions),
    capacity: { ...(st.capacity ?? {}) } as Record<string, string>,
    allocatable: { ...(st.allocatable ?? {}) } as Record<string, string>,
  });
}

export function formatNode(node: V1Node, now: number): string[] {
  const m = node.metadata ?? {};
  const st = node.status ?? {};
  const roles = nodeRoles(node);
  const info = st.nodeInfo;
  const taints = node.spec?.taints ?? [];
  return [
    `Node: ${m.name}`,
    `Status: ${nodeStatus(node)}${node.spec?.unschedulable ? ',SchedulingDisabled' : ''}   Unschedulable: ${node.spec?.unschedulable ?? false}   Roles: ${roles.join(',') || '<none>'}`,
    `Created: ${when(m.creationTimestamp, now)}`,
    `Addresses: ${(st.addresses ?? []).map((a) => `${a.type}=${a.address}`).join(', ') || '<none>'}`,
    info
      ? `System: kubelet ${info.kubeletVersion}, ${info.osImage || info.operatingSystem} (${info.architecture}), kernel ${info.kernelVersion}, runtime ${info.containerRuntimeVersion}`
      : 'System: <unknown>',
    `Labels: ${kv(m.labels)}`,
    `Taints: ${taints.length ? taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ') : '<none>'}`,
    ...conditionLines(st.conditions, now),
    `Capacity: ${kv(st.capacity)}`,
    `Allocatable: ${kv(st.allocatable)}`,
  ];
}

/** Pod count and summed requests/limits of the node's non-terminated pods against allocatable, as text and as data. */
export function nodeAllocation(node: V1Node, pods: V1Pod[], now: number): { lines: string[]; data: NonNullable<NodeData['pods']> } {
  void now;
  const active = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const alloc = node.status?.allocatable ?? {};
  const sum = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  for (const p of active) {
    for (const c of p.spec?.containers ?? []) {
      sum.cpuReq += parseQuantity(c.resources?.requests?.cpu) ?? 0;
      sum.cpuLim += parseQuantity(c.resources?.limits?.cpu) ?? 0;
      sum.memReq += parseQuantity(c.resources?.requests?.memory) ?? 0;
      sum.memLim += parseQuantity(c.resources?.limits?.memory) ?? 0;
    }
  }
  const cpuA = parseQuantity(alloc.cpu);
  const memA = parseQuantity(alloc.memory);
  const pct = (v: number, w: number | undefined) => (percent(v, w) ? ` (${percent(v, w)})` : '');
  const out = [
    `Pods: ${active.length} non-terminated (allocatable ${alloc.pods ?? '?'})`,
    `Allocated: cpu requests ${formatCpu(sum.cpuReq)}${pct(sum.cpuReq, cpuA)}, limits ${formatCpu(sum.cpuLim)}${pct(sum.cpuLim, cpuA)}; memory requests ${formatMemory(sum.memReq)}${pct(sum.memReq, memA)}, limits ${formatMemory(sum.memLim)}${pct(sum.memLim, memA)}`,
  ];
  const shown = active.slice(0, 30);
  for (const p of shown) {
    out.push(`  ${p.metadata?.namespace}/${p.metadata?.name}  status=${podStatus(p)}  restarts=${podRestarts(p)}`);
  }
  if (active.length > shown.length) out.push(`  ... ${active.length - shown.length} more`);
  const data = {
    count: active.length,
    cpuRequests: sum.cpuReq,
    cpuLimits: sum.cpuLim,
    memoryRequests: sum.memReq,
    memoryLimits: sum.memLim,
    items: shown.map((p) => ({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '', status: podStatus(p), restarts: podRestarts(p) })),
  };
  return { lines: out, data };
}

export const describeNode = defineTool({
  name: 'describe_node',
  title: 'Describe a node',
  description:
    'kubectl-describe-like summary of a node: Ready and pressure conditions (MemoryPressure, DiskPressure, PIDPressure), taints, unschedulable (cordoned), ' +
    'capacity vs allocatable, the non-terminated pods on it with their summed requests/limits, and the last 10 events of the node.',
  class: 'read',
  inputSchema: { name: objectName('node') },
  outputSchema: DescribeNodeOutput,
  example: { name: 'node-1' },
  async run(a, ctx) {
    const node = await k8s({ verb: 'get', resource: 'nodes', name: a.name }, () => ctx.core.readNode({ name: a.name }));
    const now = ctx.now();
    const pods = await optionalPart<{ pods?: NodeData['pods']; podsError?: string }>(
      'Pods',
      async () => {
        const list = await k8s({ verb: 'list', resource: 'pods' }, () => ctx.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${a.name}` }));
        const alloc = nodeAllocation(node, list.items, now);
        return { lines: alloc.lines, data: { pods: alloc.data } };
      },
      (why) => ({ podsError: why }),
    );
    // The kubelet reports node events with the node name as uid and in the default namespace; match by kind and name only.
    const events = await eventsSection(ctx, { kind: 'Node', name: a.name });
    return { text: [...formatNode(node, now), ...pods.lines, ...events.lines].join('\n'), data: { ...nodeData(node), ...pods.data, ...events.data } };
  },
});

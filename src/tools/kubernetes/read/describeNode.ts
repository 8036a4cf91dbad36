// describe_node: conditions, taints, schedulability, capacity vs allocatable, pods and what they request.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { eventsSection } from '../events.js';
import { kv, when } from '../format.js';
import { conditionLines, podRestarts, podStatus } from '../podFormat.js';
import { formatCpu, formatMemory, parseQuantity, percent } from '../quantity.js';
import { objectName } from '../schemas.js';
import { optional } from '../workloads.js';

export function formatNode(node: V1Node, now: number): string[] {
  const m = node.metadata ?? {};
  const st = node.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const roles = Object.keys(m.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  const info = st.nodeInfo;
  const taints = node.spec?.taints ?? [];
  return [
    `Node: ${m.name}`,
    `Status: ${ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'}${node.spec?.unschedulable ? ',SchedulingDisabled' : ''}   Unschedulable: ${node.spec?.unschedulable ?? false}   Roles: ${roles.join(',') || '<none>'}`,
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

/** Pod count and summed requests/limits of the node's non-terminated pods against allocatable. */
export function nodeAllocationLines(node: V1Node, pods: V1Pod[], now: number): string[] {
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
  return out;
}

export const describeNode = defineTool({
  name: 'describe_node',
  title: 'Describe a node',
  description:
    'kubectl-describe-like summary of a node: Ready and pressure conditions (MemoryPressure, DiskPressure, PIDPressure), taints, unschedulable (cordoned), ' +
    'capacity vs allocatable, the non-terminated pods on it with their summed requests/limits, and the last 10 events of the node.',
  inputSchema: { name: objectName('node') },
  async run(a, ctx) {
    const node = await k8s({ verb: 'get', resource: 'nodes', name: a.name }, () => ctx.core.readNode({ name: a.name }));
    const now = ctx.now();
    const out = formatNode(node, now);
    out.push(
      ...(await optional('Pods', async () => {
        const pods = await k8s({ verb: 'list', resource: 'pods' }, () => ctx.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${a.name}` }));
        return nodeAllocationLines(node, pods.items, now);
      })),
    );
    // The kubelet reports node events with the node name as uid and in the default namespace; match by kind and name only.
    out.push(...(await eventsSection(ctx, { kind: 'Node', name: a.name })));
    return out.join('\n');
  },
});

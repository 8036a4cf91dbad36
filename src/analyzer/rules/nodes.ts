// Node alerts (NotReady, unreachable, pressure, flapping) and the cluster-wide overcommit alerts
// (KubeMemoryOvercommit / KubeCPUOvercommit without a pod: requests vs what survives a node failure).
import type { ListItem, NodeData } from '../../contracts/toolData.js';
import { clip, condition, conditions, cpuText, eventsBy, isNotFound, memoryText, podLine, quantity, type Evidence } from '../evidence.js';
import { quote, type AlertInfo, type Call, type Quote, type Rule } from './types.js';
import { sentence } from './pods.js';
import { pressureCulprit, pressurePlan, type PressureCulprit } from './pressure.js';

const NODE_ALERTS = new Set([
  'KubeNodeNotReady',
  'KubeNodeUnreachable',
  'KubeNodeReadinessFlapping',
  'KubeNodePressure',
  'KubeletDown',
  'KubernetesNodeNotReady',
  'KubernetesNodeReady',
  'KubernetesMemoryPressure',
  'KubernetesDiskPressure',
  'KubernetesPidPressure',
  'KubernetesNetworkUnavailable',
  'NodeNotReady',
]);

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

/** A node of list_resources kind Node, with a line to quote: "node-3  NotReady  roles worker  v1.31.0". */
function nodeRows(ev: Evidence): Array<{ name: string; status: string; line: string }> | undefined {
  const list = ev.data('list_resources', { kind: 'Node' });
  if (!list) return undefined;
  return list.items.map((i: ListItem) => {
    const status = `${i.node?.status ?? 'Unknown'}${i.node?.unschedulable ? ',SchedulingDisabled' : ''}`;
    return { name: i.name, status, line: `${i.name}  ${status}${i.node?.roles.length ? `  roles ${i.node.roles.join(',')}` : ''}${i.node?.version ? `  ${i.node.version}` : ''}` };
  });
}

/** The pressure conditions node `node` reports True, once described. */
function truePressures(ev: Evidence, node: string): string[] {
  return (ev.data('describe_node', { name: node })?.conditions ?? []).filter((c) => PRESSURE.includes(c.type) && c.status === 'True').map((c) => c.type);
}

function nodeName(a: AlertInfo): string | undefined {
  if (a.node) return a.node;
  const inst = a.labels.instance;
  // node-exporter style "host:9100" → "host"; IPs are not node names.
  if (inst && !/^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(inst)) return inst.replace(/:\d+$/, '');
  return undefined;
}

export const nodeRule: Rule = {
  id: 'node',
  matches: (a) => NODE_ALERTS.has(a.name) || (/node/i.test(a.name) && /notready|unreachable|pressure/i.test(a.name)),
  plan(a, ev) {
    const node = nodeName(a);
    if (!node) return [{ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Node' }, why: 'The alert names no node: list the nodes and their Ready status.' }];
    return [
      { tool: 'describe_node', args: { name: node }, why: `Describe node ${node}: Ready and pressure conditions (with the kubelet's message), taints, cordon state and its pods.` },
      { tool: 'get_events', args: { involvedObjectKind: 'Node', involvedObjectName: node, limit: 20 }, why: `Read the events of node ${node} (NodeNotReady, Rebooted, pressure transitions).` },
      { tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Node' }, why: 'Is it one node or several: list all nodes and their status.' },
      // Under memory or disk pressure: which pod causes it (pressure.ts).
      ...pressurePlan(ev, node, truePressures(ev, node)),
    ];
  },
  analyse(a, ev) {
    const node = nodeName(a);
    const nodesTable = nodeRows(ev);
    const notReadyNodes = (nodesTable ?? []).filter((r) => /NotReady|Unknown/.test(r.status));
    const nodesQuote: Quote[] = nodesTable ? quote('list_resources Node', nodesTable.filter((r) => /NotReady|Unknown|SchedulingDisabled/.test(r.status)).map((r) => r.line).slice(0, 5)) : [];
    if (!node) {
      return {
        resolved: false,
        summary: `${a.name}: the alert names no node; ${notReadyNodes.length} node(s) are NotReady`,
        rootCause: `The alert has no "node" label. ${notReadyNodes.length ? `NotReady nodes: ${notReadyNodes.map((r) => r.name).join(', ')}.` : 'No node is NotReady in the node list.'}`,
        quotes: nodesQuote,
        recommendations: ['Keep the node label in the alert rule', '`kubectl get nodes` and `kubectl describe node <node>`'],
      };
    }
    const src = `describe_node ${node}`;
    const desc = ev.data('describe_node', { name: node });
    if (!desc) {
      const err = ev.failure('describe_node', { name: node });
      if (isNotFound(err)) {
        return { resolved: true, summary: `${a.name}: node ${node} no longer exists`, rootCause: `Node ${node} was removed from the cluster (scaled down or replaced), so the alert is stale (${err}).`, quotes: quote(src, [err]), recommendations: [] };
      }
      return { resolved: false, summary: `${a.name}: node ${node} could not be examined`, rootCause: `Node ${node} could not be read${err ? `: ${err}` : ''}.`, quotes: [...quote(src, [err]), ...nodesQuote], recommendations: [`\`kubectl describe node ${node}\``] };
    }
    const conds = conditions(desc.conditions);
    const ready = condition(conds, 'Ready');
    const pressures = conds.filter((c) => PRESSURE.includes(c.type) && c.status === 'True');
    const statusLine = `Status: ${desc.status}${desc.unschedulable ? ',SchedulingDisabled' : ''}   Unschedulable: ${desc.unschedulable}   Roles: ${desc.roles.join(',') || '<none>'}`;
    const taints = `Taints: ${desc.taints.length ? desc.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ') : '<none>'}`;
    const pods = desc.pods ? `Pods: ${desc.pods.count} non-terminated (allocatable ${desc.allocatable.pods ?? '?'})` : undefined;
    const cordoned = desc.unschedulable;
    const nodeEvents = eventsBy([desc.events, ...ev.events()], /.*/, node).filter((e) => e.type === 'Warning' || /NotReady|Rebooted|Pressure|NodeNotSchedulable/.test(e.reason));
    const quotes: Quote[] = [
      ...quote(src, [statusLine, ready?.line, ...pressures.map((p) => p.line), taints, pods]),
      ...quote(`events of node ${node}`, nodeEvents.slice(0, 3).map((e) => e.line)),
      ...nodesQuote,
    ];
    const others = notReadyNodes.filter((r) => r.name !== node);
    const othersText = nodesTable ? (others.length ? ` ${others.length} other node(s) are NotReady too (${others.slice(0, 5).map((r) => r.name).join(', ')}), which points to a shared cause (network, control plane, a bad node image).` : ` The other ${Math.max(0, nodesTable.length - 1)} node(s) are Ready, so the problem is specific to ${node}.`) : '';
    const pressureOnly = /Pressure|NetworkUnavailable/.test(a.name);
    if (ready?.status === 'True' && !pressures.length) {
      return {
        resolved: true,
        summary: `${a.name}: node ${node} is Ready again${cordoned ? ' (still cordoned)' : ''}`,
        recheck: `node ${node} reads Ready=True now, with no pressure condition`,
        rootCause: `Node ${node} reports Ready=True now${ready.message ? ` (${ready.reason}: ${ready.message})` : ''}; the condition that fired the alert has cleared.${cordoned ? ' It is still cordoned (SchedulingDisabled).' : ''}`,
        quotes,
        recommendations: cordoned ? [`Uncordon it once you trust it: \`kubectl uncordon ${node}\``] : [],
      };
    }
    const pressureText = pressures.length ? ` Pressure: ${pressures.map((p) => `${p.type}=True${p.reason ? ` (${p.reason}${p.message ? `: ${p.message}` : ''})` : ''}`).join('; ')}.` : '';
    let cause: string;
    let summary: string;
    let culprit: PressureCulprit | undefined;
    if (ready?.status === 'Unknown') {
      cause = `Node ${node} is NotReady: Ready=Unknown${ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''} — its kubelet stopped posting status to the API server, so the node is down, cut off from the control plane, or its kubelet/container runtime died.`;
      summary = `${a.name}: node ${node} is NotReady — the kubelet stopped reporting (Ready=Unknown)`;
    } else if (ready?.status === 'False') {
      cause = `Node ${node} is NotReady: Ready=False (${ready.reason ?? 'no reason'}${ready.message ? `: ${ready.message}` : ''}) — the kubelet runs but reports the node unhealthy.`;
      summary = `${a.name}: node ${node} is NotReady — ${ready.reason ?? 'Ready=False'}${ready.message ? `: ${clip(ready.message, 120)}` : ''}`;
    } else if (pressures.length) {
      culprit = pressureCulprit(ev, node, pressures.map((p) => p.type));
      cause = `Node ${node} is under resource pressure.${culprit ? ` ${sentence(culprit.cause)}` : ''}`;
      summary = `${a.name}: node ${node} has ${pressures.map((p) => p.type).join(', ')}${culprit ? ` caused by ${culprit.short}` : ''}`;
      if (culprit) quotes.push(...culprit.quotes);
    } else {
      cause = `Node ${node} shows no Ready condition in its description (${statusLine ?? 'no status line'}).`;
      summary = `${a.name}: node ${node} status unclear`;
    }
    const recs = [
      ...(culprit?.recommendations ?? []),
      ...(ready?.status === 'Unknown'
        ? [`Check whether the machine is up and reachable (cloud console / \`ping\`), then the kubelet: \`systemctl status kubelet containerd\` and \`journalctl -u kubelet --since "30 min ago"\` on ${node}`]
        : ready?.status === 'False'
          ? [`Fix what the kubelet reports${/network|cni/i.test(ready.message ?? '') ? ' (the CNI plugin is not ready: check the network DaemonSet pods on this node)' : ''}: \`journalctl -u kubelet\` on ${node}`]
          : []),
      ...(pressures.some((p) => p.type === 'DiskPressure') ? [`Free disk on ${node} (images, logs, emptyDirs): \`crictl rmi --prune\`, check /var/lib/kubelet and /var/log`] : []),
      ...(pressures.some((p) => p.type === 'MemoryPressure') ? [`Find the memory-hungry pods on ${node}: \`kubectl top pods -A --sort-by=memory\` with \`--field-selector spec.nodeName=${node}\`; set memory limits`] : []),
      ...(!cordoned && !pressureOnly ? [`If it does not recover, move its workloads: \`kubectl cordon ${node}\` then \`kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data\``] : []),
      `Replace the node if it stays NotReady (delete it from the cloud provider / node group so a fresh one joins)`,
    ];
    return {
      resolved: false,
      summary,
      rootCause: `${cause}${pressureText}${desc.taints.length ? ` ${taints}.` : ''}${othersText}`,
      quotes,
      recommendations: recs,
    };
  },
};

// ── cluster overcommit ────────────────────────────────────────────────────────────────────────────

interface NodeAlloc {
  name: string;
  allocatable?: number;
  requests?: number;
  requestsPct?: string;
  limits?: number;
  limitsPct?: string;
  line?: string;
}

function nodeAlloc(desc: NodeData, res: 'cpu' | 'memory'): NodeAlloc {
  const allocatable = quantity(desc.allocatable[res]);
  const p = desc.pods;
  const requests = p ? (res === 'cpu' ? p.cpuRequests : p.memoryRequests) : undefined;
  const limits = p ? (res === 'cpu' ? p.cpuLimits : p.memoryLimits) : undefined;
  const pct = (v: number | undefined) => (v !== undefined && allocatable ? `${Math.round((v / allocatable) * 100)}%` : undefined);
  const show = res === 'cpu' ? cpuText : memoryText;
  const line = p ? `Allocated: ${res} requests ${show(requests ?? 0)}${pct(requests) ? ` (${pct(requests)})` : ''}, limits ${show(limits ?? 0)}${pct(limits) ? ` (${pct(limits)})` : ''} of allocatable ${desc.allocatable[res] ?? '?'}` : undefined;
  return { name: desc.name, allocatable, requests, requestsPct: pct(requests), limits, limitsPct: pct(limits), line };
}

const fmt = (v: number | undefined, res: 'cpu' | 'memory') =>
  v === undefined ? '?' : res === 'cpu' ? `${Math.round(v * 1000)}m` : v >= 2 ** 30 ? `${Math.round((v / 2 ** 30) * 10) / 10}Gi` : `${Math.round(v / 2 ** 20)}Mi`;

export const overcommitRule: Rule = {
  id: 'overcommit',
  matches: (a) => (a.name === 'KubeMemoryOvercommit' || a.name === 'KubeCPUOvercommit') && !a.pod,
  plan(a, ev) {
    const res = a.name === 'KubeCPUOvercommit' ? 'cpu' : 'memory';
    const calls: Call[] = [
      { tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Node' }, why: 'List the nodes: how many, and are they all Ready?' },
      { tool: 'top_nodes', args: { sortBy: res }, why: `Current ${res} usage of the nodes against their allocatable capacity.` },
    ];
    const nodes = nodeRows(ev) ?? [];
    for (const n of nodes.slice(0, 4)) calls.push({ tool: 'describe_node', args: { name: n.name }, why: `Requests and limits allocated on node ${n.name} against its allocatable ${res}.` });
    if (res === 'memory') {
      calls.push({ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Pod', limit: 200 }, why: 'Find pods whose containers were OOMKilled (LAST-TERMINATION column).' });
    }
    return calls;
  },
  analyse(a, ev) {
    const res = a.name === 'KubeCPUOvercommit' ? 'cpu' : 'memory';
    const nodesTable = nodeRows(ev);
    const described = ev.all('describe_node').map(({ d }) => nodeAlloc(d, res));
    const known = described.filter((n) => n.allocatable !== undefined && n.requests !== undefined);
    const nodeCount = nodesTable?.length ?? described.length;
    const totalAlloc = known.reduce((s, n) => s + (n.allocatable ?? 0), 0);
    const totalReq = known.reduce((s, n) => s + (n.requests ?? 0), 0);
    const largest = Math.max(0, ...known.map((n) => n.allocatable ?? 0));
    const survivable = totalAlloc - largest;
    const overcommitted = known.length > 0 && totalReq > survivable;
    const pods = ev.data('list_resources', { kind: 'Pod' });
    const oom = (pods?.items ?? [])
      .filter((i) => i.pod && (i.pod.lastTermination?.reason === 'OOMKilled' || i.pod.status === 'OOMKilled'))
      .map((i) => ({ name: i.name, namespace: i.namespace, l: podLine({ ...i.pod!, name: i.name, namespace: i.namespace }).line }));
    const usage = ev.data('top_nodes', {});
    const quotes: Quote[] = [
      ...known.flatMap((n) => quote(`describe_node ${n.name}`, [n.line])),
      ...(usage ? quote('top_nodes', usage.rows.slice(0, 5).map((r) => `${r.node}: cpu ${cpuText(r.cpu)}${r.cpuAllocatable ? ` (${Math.round((r.cpu / r.cpuAllocatable) * 100)}%)` : ''}, memory ${memoryText(r.memory)}${r.memoryAllocatable ? ` (${Math.round((r.memory / r.memoryAllocatable) * 100)}%)` : ''}`)) : []),
      ...quote('list_resources Pod (OOMKilled)', oom.slice(0, 5).map((x) => x.l)),
      ...(a.annotations.description ? [{ source: 'alert annotation', lines: [clip(a.annotations.description, 400)] }] : []),
    ];
    const partial = nodeCount > known.length ? ` (from ${known.length} of ${nodeCount} nodes described)` : '';
    const perNode = known.map((n) => `${n.name} ${fmt(n.requests, res)} of ${fmt(n.allocatable, res)}${n.requestsPct ? ` (${n.requestsPct})` : ''}`).join(', ');
    const rootCause = known.length
      ? `Pods request ${fmt(totalReq, res)} ${res} in total${partial} while the ${known.length} node(s) offer ${fmt(totalAlloc, res)} allocatable; without the largest node (${fmt(largest, res)}) only ${fmt(survivable, res)} would remain, so ` +
        (overcommitted ? `the cluster cannot reschedule its pods if a node fails (requests exceed capacity minus one node).` : `the requests would still fit — the figures seen here do not show the overcommit (the alert may count nodes or pods not described).`) +
        ` Per node: ${perNode}.` +
        (oom.length ? ` ${oom.length} pod(s) show OOMKilled terminations: ${oom.slice(0, 5).map((x) => `${x.namespace ? `${x.namespace}/` : ''}${x.name}`).join(', ')}.` : '')
      : `The nodes' allocated ${res} could not be read (describe_node gave no "Allocated" figures), so the overcommit could not be quantified.`;
    return {
      resolved: false,
      summary: `${a.name}: ${res} requests ${fmt(totalReq, res)} vs ${fmt(survivable, res)} allocatable without the largest node${overcommitted ? ' — cannot tolerate a node failure' : ''}`,
      rootCause,
      quotes,
      recommendations: [
        `Add capacity (another node, or let the cluster autoscaler add one) so that the cluster survives the loss of its largest node`,
        `Lower oversized ${res} requests: compare \`kubectl top pods -A\` with requests and right-size the biggest requesters`,
        `Cap namespaces with ResourceQuotas so growth is visible before it overcommits the cluster`,
      ],
    };
  },
};

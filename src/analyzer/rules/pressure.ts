// Which pod puts a node under memory or disk pressure. The node's condition only says that the kubelet's
// eviction threshold is met; the cause is usually one pod. The kubelet names it when it evicts (its message
// says which container used how much of which resource), and a container with no memory limit that keeps
// being OOM-killed is the usual MemoryPressure culprit (nothing but the node bounds it). Read from the pods
// scheduled on the node (in every namespace, the failed ones too, which the node description leaves out) and
// the few most suspect of them described.
import type { ListItem } from '../../contracts/toolData.js';
import { clip, eventsBy, podInfo, type Evidence, type PodInfo } from '../evidence.js';
import { workloadOf } from './pods.js';
import { quote, type Call, type Quote } from './types.js';

/** Suspect pods described per node (bounded: a node may hold a hundred pods). */
const MAX_DESCRIBED = 2;
const RESOURCE_OF: Record<string, string> = { MemoryPressure: 'memory', DiskPressure: 'ephemeral-storage' };

/** The pressures this module explains, of a node's conditions that are True. */
const explained = (pressures: string[]) => pressures.filter((p) => p in RESOURCE_OF);

const podsOnNode = (node: string) => ({ kind: 'Pod', fieldSelector: `spec.nodeName=${node}` });

/** How suspect a pod on a pressured node looks (higher first; 0: no sign at all). */
function suspicion(i: ListItem): number {
  const p = i.pod;
  if (!p) return 0;
  if (/Evicted/i.test(p.status)) return 5;
  if (p.lastTermination?.reason === 'OOMKilled' || /OOMKilled/.test(p.status)) return 4;
  if (!['Running', 'Completed', 'Succeeded', 'Pending'].includes(p.status)) return 3;
  return p.restarts > 0 ? 2 : 0;
}

function suspects(ev: Evidence, node: string): ListItem[] {
  const list = ev.data('list_resources', podsOnNode(node));
  return (list?.items ?? [])
    .filter((i) => i.namespace && suspicion(i) > 0)
    .sort((x, y) => suspicion(y) - suspicion(x) || (y.pod?.restarts ?? 0) - (x.pod?.restarts ?? 0))
    .slice(0, MAX_DESCRIBED);
}

/** The calls that find the pod behind a node's MemoryPressure/DiskPressure: its pods, then the suspect ones. */
export function pressurePlan(ev: Evidence, node: string, pressures: string[]): Call[] {
  if (!explained(pressures).length) return [];
  const calls: Call[] = [
    { tool: 'list_resources', args: { apiVersion: 'v1', ...podsOnNode(node), limit: 100 }, why: `Which pods run (or ran, evicted) on node ${node}: the one behind its ${explained(pressures).join(', ')}.` },
  ];
  for (const s of suspects(ev, node)) {
    calls.push({ tool: 'describe_pod', args: { name: s.name, namespace: s.namespace }, why: `Pod ${s.namespace}/${s.name} on ${node} looks suspect (${s.pod?.status}, ${s.pod?.restarts} restarts): its limits and what the kubelet said of it.` });
  }
  return calls;
}

export interface PressureCulprit {
  /** The sentence naming the pod and why (no trailing period). */
  cause: string;
  /** For the summary: "pod ns/name (...)". */
  short: string;
  quotes: Quote[];
  recommendations: string[];
}

/** "The node was low on resource: ephemeral-storage. ... Container relay was using 74Gi, request is 0, ..." */
function evictionOf(info: PodInfo): { resource: string; container?: string; using?: string; request?: string; message: string } | undefined {
  const message = (info.reasonLine ?? '').replace(/^Reason:\s*/, '');
  const resource = /low on resource: ([a-z-]+)/i.exec(message)?.[1];
  if (!/Evicted/.test(message) || !resource) return undefined;
  const m = /Container (\S+) was using (\S+?), request is (\S+?),/.exec(message);
  return { resource, container: m?.[1], using: m?.[2], request: m?.[3], message: message.replace(/^Evicted\s*—\s*/, '') };
}

function ownerText(info: PodInfo): string {
  const w = workloadOf(info.owner);
  return w && w.kind !== 'ReplicaSet' ? ` (of ${w.kind.toLowerCase()} ${w.name})` : '';
}

/** A pod the kubelet evicted for the resource under pressure names its own culprit container. */
function evictedCulprit(node: string, ns: string, name: string, info: PodInfo, resources: string[]): PressureCulprit | undefined {
  const e = evictionOf(info);
  if (!e || !resources.includes(e.resource)) return undefined;
  const used = e.container && e.using ? `: its container ${e.container} was using ${e.using} of ${e.resource}${e.request ? ` (request ${e.request})` : ''}` : '';
  const what = e.resource === 'ephemeral-storage' ? 'ephemeral storage (its writable layer, logs and emptyDir volumes)' : e.resource;
  return {
    cause: `The pressure comes from one pod: the kubelet evicted pod ${ns}/${name}${ownerText(info)} from ${node} for ${e.resource}${used}, the largest use above its request of the node's pods (kubelet: "${clip(e.message.trim(), 300)}")`,
    short: `pod ${ns}/${name}${e.container && e.using ? ` (container ${e.container} used ${e.using} of ${e.resource})` : ' (evicted)'}`,
    quotes: quote(`describe_pod ${ns}/${name}`, [info.statusLine, info.reasonLine]),
    recommendations: [
      `Find out why ${e.container ? `container ${e.container}` : 'the pod'} of ${ns}/${name} wrote so much ${what} (logs to a file, a cache or spool on local disk) and bound it: an ${e.resource} request and limit on the container, or a sizeLimit on its emptyDir`,
      `Its replacement will fill the disk again wherever it runs: fix it before the next eviction`,
    ],
  };
}

/** A container with no memory limit that was OOM-killed: only the node bounds what it takes. */
function unboundedCulprit(ev: Evidence, node: string, ns: string, name: string, info: PodInfo): PressureCulprit | undefined {
  const c = info.containers.find((x) => !x.init && !x.limits.memory && (x.lastReason === 'OOMKilled' || x.reason === 'OOMKilled' || (x.restarts ?? 0) > 0));
  if (!c) return undefined;
  const oom = c.lastReason === 'OOMKilled' || c.reason === 'OOMKilled';
  const systemOom = eventsBy([ev.data('describe_node', { name: node })?.events, ...ev.events()], /^SystemOOM$/, node)[0];
  return {
    cause:
      `The pressure comes from one pod: container ${c.name} of pod ${ns}/${name}${ownerText(info)} has no memory limit (requests ${c.requests.memory ?? 'none'}), so nothing but the node bounds its memory; ` +
      `${oom ? `it was OOMKilled` : 'it keeps restarting'}${c.restarts ? ` (${c.restarts} restarts)` : ''}${systemOom ? ` by the kernel's OOM killer (${systemOom.reason}: ${clip(systemOom.message, 120)})` : ''}`,
    short: `pod ${ns}/${name} (container ${c.name}, no memory limit)`,
    quotes: [...quote(`describe_pod ${ns}/${name}`, [info.statusLine, c.lastLine && `${c.name}: ${c.lastLine}`, c.resourcesLine && `${c.name}: ${c.resourcesLine}`]), ...quote(`events of node ${node}`, [systemOom?.line])],
    recommendations: [
      `Give container ${c.name} of ${ns}/${name} a memory limit that matches what it needs (\`kubectl set resources ${ownerRef(info, name)} -n ${ns} -c ${c.name} --limits=memory=<size>\`), so that it is OOM-killed at its own limit instead of starving the node`,
      `Find out why it grows (the batch's input size, a leak) and bound it in the application`,
    ],
  };
}

function ownerRef(info: PodInfo, pod: string): string {
  const w = workloadOf(info.owner);
  return w && w.kind !== 'ReplicaSet' ? `${w.kind.toLowerCase()}/${w.name}` : `pod/${pod}`;
}

/** The pod behind a node's memory or disk pressure, from the suspects described; undefined when none is clear. */
export function pressureCulprit(ev: Evidence, node: string, pressures: string[]): PressureCulprit | undefined {
  const resources = explained(pressures).map((p) => RESOURCE_OF[p]);
  if (!resources.length) return undefined;
  for (const s of suspects(ev, node)) {
    const info = podInfo(ev.data('describe_pod', { name: s.name, namespace: s.namespace }));
    if (!info.name) continue;
    const found = evictedCulprit(node, s.namespace!, s.name, info, resources) ?? (resources.includes('memory') ? unboundedCulprit(ev, node, s.namespace!, s.name, info) : undefined);
    if (found) return found;
  }
  return undefined;
}

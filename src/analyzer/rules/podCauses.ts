// Causes of a pod's failure that live in another object than the pod, followed the way an SRE would:
// - an OOMKill whose memory goes to a size set in a ConfigMap the pod mounts (a cache, a buffer, a heap);
// - a probe that times out in a container starved by a tiny CPU limit its namespace's LimitRange gave it;
// - a pod Pending on a "volume node affinity conflict": its PersistentVolume is pinned to a zone with no node.
// The plan adds the reads (ConfigMaps, LimitRanges, the claim's volume); the finding gains the sentence,
// quotes and recommendations. Nothing here knows a case: each reads what the objects say.
import { clip, field, list, quantity, text, type ContainerInfo, type Evidence } from '../evidence.js';
import { isSecretName } from '../../redaction/redact.js';
import { PROBE_TIMEOUT, STARVING_CPU_LIMIT } from './fixes.js';
import type { PodDiagnosis } from './pods.js';
import { quote, type Call, type Finding } from './types.js';

/** ConfigMaps and volumes read per pod (bounded). */
const MAX_READS = 2;
/** A size in a ConfigMap counts as taking the memory when it is at least this share of the limit. */
const MEMORY_SHARE = 0.75;
/** "max-size: 1536Mi", "buffer=2G", "heap_size: \"900MB\"": a key and a memory size (never minutes' "10m"). */
const SIZE_LINE = /^\s*-?\s*"?([A-Za-z0-9_.-]+)"?\s*[:=]\s*"?(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T)"?\s*(?:#.*)?$/;
const UNIT: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * ConfigMaps whose name says they hold users or credentials are never opened: whatever format they use (XML,
 * htpasswd, ACL files), the redaction pass may not recognise the passwords in them, and a memory size is not
 * where they keep it.
 */
const CREDENTIAL_WORDS = /(^|[-_.])(users?|auth|credentials?|passw(or)?d|htpasswd|secrets?|tokens?|keys|certs?|tls|ssl|acls?)($|[-_.])/i;
const mayOpen = (configMap: string, volume: string) => !CREDENTIAL_WORDS.test(configMap) && !CREDENTIAL_WORDS.test(volume) && !isSecretName(configMap);
const configVolumes = (d: { volumes: Array<{ name: string; type: string; source?: string }> }) => d.volumes.filter((x) => x.type === 'configMap' && x.source && mayOpen(x.source, x.name));

const podData = (ev: Evidence, ns: string, pod: string) => ev.data('describe_pod', { name: pod, namespace: ns });
const oomContainer = (cs: Array<Pick<ContainerInfo, 'lastReason' | 'reason'>>) => cs.some((c) => c.lastReason === 'OOMKilled' || c.reason === 'OOMKilled');

// ── plan ──────────────────────────────────────────────────────────────────────────────────────────

/** The reads that follow a pod's failure into the objects it depends on, once the pod is described. */
export function podCausePlan(ev: Evidence, ns: string, pod: string, container?: string): Call[] {
  const d = podData(ev, ns, pod);
  if (!d) return [];
  const calls: Call[] = [];
  if (oomContainer(d.containers.map((c) => ({ lastReason: c.lastState?.reason, reason: c.state?.reason })))) {
    for (const v of configVolumes(d).slice(0, MAX_READS)) {
      calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ConfigMap', name: v.source, namespace: ns }, why: `The pod mounts ConfigMap ${v.source}: does it set a memory size (cache, buffer, heap) the memory limit cannot hold?` });
    }
  }
  const target = d.containers.find((c) => c.name === container) ?? d.containers.find((c) => !c.init);
  const cpu = quantity(target?.limits.cpu);
  if (cpu !== undefined && cpu <= STARVING_CPU_LIMIT && probeTimeouts(ev, ns, pod, d.events).length) {
    calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: ns }, why: `Its probe times out under a ${target!.limits.cpu} CPU limit: who set that limit (the LimitRanger annotation)?` });
    calls.push({ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'LimitRange', namespace: ns }, why: `LimitRanges of ${ns}: their defaults become the limits of containers that declare none.` });
    for (const lr of ev.data('list_resources', { kind: 'LimitRange', namespace: ns })?.items.slice(0, MAX_READS) ?? []) {
      calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'LimitRange', name: lr.name, namespace: ns }, why: `Read LimitRange ${lr.name}: its default CPU limit.` });
    }
  }
  if (volumeConflict(d)) {
    for (const v of d.volumes.filter((x) => x.type === 'persistentVolumeClaim' && x.source).slice(0, MAX_READS)) {
      calls.push({ tool: 'describe_pvc', args: { name: v.source, namespace: ns }, why: `The scheduler reports a volume node affinity conflict: which volume is claim ${v.source} bound to?` });
      const pv = ev.data('describe_pvc', { name: v.source, namespace: ns })?.volumeName;
      if (pv) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'PersistentVolume', name: pv }, why: `Read PersistentVolume ${pv}: the nodes (zone) its node affinity allows.` });
    }
  }
  return calls;
}

type PodEvents = NonNullable<ReturnType<typeof podData>>['events'];

/** Probe failures that are timeouts, from the pod's description and any events read in its namespace. */
function probeTimeouts(ev: Evidence, ns: string, pod: string, own: PodEvents): string[] {
  const all = [...own, ...ev.events(ns).flat().filter((e) => !e.object || e.object.endsWith(`/${pod}`))];
  return all.map((e) => e.message).filter((m) => PROBE_TIMEOUT.test(m));
}

function volumeConflict(d: NonNullable<ReturnType<typeof podData>>): boolean {
  return !d.node && [...d.conditions.map((c) => c.message ?? ''), ...d.events.map((e) => e.message)].some((m) => /volume node affinity conflict/i.test(m));
}

// ── findings ──────────────────────────────────────────────────────────────────────────────────────

/** What the objects the pod depends on say of its failure, when they explain it. */
export function podCauseBeyond(ev: Evidence, dg: PodDiagnosis): Explained | undefined {
  return dg.problem === 'oomKilled' ? memoryFromConfig(ev, dg) : dg.problem === 'livenessKill' || dg.problem === 'readiness' ? cpuFromLimitRange(ev, dg) : dg.problem === 'unschedulable' ? volumeZone(ev, dg) : undefined;
}

/** Adds what the objects the pod depends on say of its failure to the pod's finding. */
export function explainPodCause(ev: Evidence, dg: PodDiagnosis, f: Finding): void {
  if (f.resolved) return;
  const found = podCauseBeyond(ev, dg);
  if (!found) return;
  f.rootCause = `${f.rootCause} ${found.sentence}`;
  f.quotes.push(...found.quotes);
  f.recommendations.unshift(...found.recommendations);
}

export interface Explained {
  sentence: string;
  quotes: Finding['quotes'];
  recommendations: string[];
}

/** Memory sizes set in a ConfigMap's data ("key: 1536Mi"), in bytes. */
function configSizes(data: Record<string, unknown>): Array<{ file: string; key: string; value: string; bytes: number; line: string }> {
  const out: Array<{ file: string; key: string; value: string; bytes: number; line: string }> = [];
  for (const [file, body] of Object.entries(data)) {
    if (typeof body !== 'string') continue;
    for (const line of body.split('\n')) {
      const m = SIZE_LINE.exec(line);
      if (!m) continue;
      const unit = m[3].replace(/i?B$/, '').replace(/i$/, '');
      out.push({ file, key: m[1], value: `${m[2]}${m[3]}`, bytes: Number(m[2]) * (UNIT[unit] ?? 1), line: line.trim() });
    }
  }
  return out;
}

function memoryFromConfig(ev: Evidence, dg: PodDiagnosis): Explained | undefined {
  const oc = dg.info.containers.find((c) => c.lastReason === 'OOMKilled' || c.reason === 'OOMKilled');
  const limit = quantity(oc?.limits.memory);
  if (!oc || !limit) return undefined;
  const d = podData(ev, dg.namespace, dg.pod);
  for (const v of d ? configVolumes(d) : []) {
    const cm = ev.resource('ConfigMap', v.source!, dg.namespace);
    const data = field(cm, 'data');
    if (!data || typeof data !== 'object') continue;
    const big = configSizes(data as Record<string, unknown>).filter((s) => s.bytes >= limit * MEMORY_SHARE).sort((x, y) => y.bytes - x.bytes)[0];
    if (!big) continue;
    const above = big.bytes >= limit;
    const changed = configChange(ev, v.source!);
    return {
      sentence:
        `Its configuration asks for that memory: ConfigMap ${v.source} (mounted as volume ${v.name}) sets ${big.key}: ${big.value} in ${big.file}, ${above ? 'above' : `${Math.round((big.bytes / limit) * 100)}% of`} the container's ${oc.limits.memory} memory limit, ` +
        `so the process ${above ? 'cannot fit its limit once that fills' : 'has little room left for the rest of its memory'}${changed ? `; the ConfigMap was changed before the alert (${changed})` : ''}.`,
      quotes: quote(`get_resource ConfigMap ${dg.namespace}/${v.source}`, [`${big.file}: ${big.line}`]),
      recommendations: [
        `Bring ${big.key} in ConfigMap ${v.source} back below the ${oc.limits.memory} memory limit (with room for the rest of the process), or raise the limit above it on purpose; then restart the pods to load it: \`kubectl edit configmap -n ${dg.namespace} ${v.source}\``,
      ],
    };
  }
  return undefined;
}

/** A ConfigMap update recent_changes saw before the alert, as "summary at time". */
function configChange(ev: Evidence, name: string): string | undefined {
  for (const { d } of ev.all('recent_changes')) {
    const c = d.changes.find((x) => x.type === 'config' && x.object === `ConfigMap/${name}` && !x.afterStart);
    if (c) return `${c.summary} at ${c.at}`;
  }
  return undefined;
}

function cpuFromLimitRange(ev: Evidence, dg: PodDiagnosis): Explained | undefined {
  const c = dg.target;
  const cpu = quantity(c?.limits.cpu);
  if (!c || cpu === undefined || cpu > STARVING_CPU_LIMIT) return undefined;
  const pod = ev.resource('Pod', dg.pod, dg.namespace);
  const annotation = limitRangerAnnotation(pod);
  const setByLimitRanger = !!annotation && new RegExp(`cpu[^;]*limit for container ${c.name}\\b`).test(annotation);
  const range = ev
    .all('get_resource')
    .filter(({ d }) => d.kind === 'LimitRange' && d.namespace === dg.namespace)
    .map(({ d }) => ({ name: d.name, def: list(d.object, 'spec.limits').find((l) => text(l, 'type') === 'Container' && text(l, 'default.cpu')) }))
    .find((r) => r.def && quantity(text(r.def, 'default.cpu')) === cpu);
  if (!range && !setByLimitRanger) return undefined;
  const owner = dg.workload && dg.workload.kind !== 'ReplicaSet' ? `${dg.workload.kind.toLowerCase()}/${dg.workload.name}` : `pod/${dg.pod}`;
  const from = range ? `LimitRange ${range.name}'s default CPU limit of ${text(range.def, 'default.cpu')}` : 'a LimitRange default';
  return {
    sentence:
      `The probe times out because the container is starved of CPU: its ${c.limits.cpu} CPU limit is ${from}${setByLimitRanger ? `, set by the LimitRanger admission plugin because the container declares no CPU limit of its own ("${clip(annotation!, 160)}")` : ''}; ` +
      `throttled at ${c.limits.cpu}, the application answers too slowly. A longer probe timeout would only hide it.`,
    quotes: [...quote(`get_resource Pod ${dg.namespace}/${dg.pod}`, [annotation && `kubernetes.io/limit-ranger: ${annotation}`]), ...quote(`get_resource LimitRange ${dg.namespace}/${range?.name ?? ''}`, [range && `default: cpu=${text(range.def, 'default.cpu')}`])],
    recommendations: [
      `Give container ${c.name} the CPU it needs explicitly, so that the namespace default no longer applies: \`kubectl set resources ${owner} -n ${dg.namespace} -c ${c.name} --requests=cpu=<cpu> --limits=cpu=<cpu>\``,
      `Or raise the default of ${range ? `LimitRange ${range.name}` : 'the LimitRange'} if a ${c.limits.cpu} CPU limit starves the other workloads of ${dg.namespace} that declare none too`,
    ],
  };
}

/** The limit-ranger annotation, whatever way get_resource keeps annotation keys. */
function limitRangerAnnotation(pod: unknown): string | undefined {
  const a = field(pod, 'metadata.annotations');
  const v = a && typeof a === 'object' ? (a as Record<string, unknown>)['kubernetes.io/limit-ranger'] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function volumeZone(ev: Evidence, dg: PodDiagnosis): Explained | undefined {
  if (!/volume node affinity conflict/i.test(dg.cause)) return undefined;
  for (const v of dg.info.volumes.filter((x) => x.pvc)) {
    const pvName = ev.data('describe_pvc', { name: v.pvc, namespace: dg.namespace })?.volumeName;
    const pv = pvName ? ev.resource('PersistentVolume', pvName) : undefined;
    const terms = list(pv, 'spec.nodeAffinity.required.nodeSelectorTerms');
    const rules = terms.flatMap((t) => list(t, 'matchExpressions').map((e) => `${text(e, 'key')} ${text(e, 'operator')} (${list(e, 'values').join(', ')})`));
    if (!rules.length) continue;
    const conflicts = /(\d+) node\(s\) had volume node affinity conflict/.exec(dg.cause)?.[1];
    const zone = rules.find((r) => /zone|region/.test(r));
    return {
      sentence:
        `The conflict is its volume's: claim ${v.pvc} is bound to PersistentVolume ${pvName}, which can only be attached on nodes with ${rules.join(' and ')}; ` +
        `${conflicts ? `none of the ${conflicts} nodes the scheduler considered matches` : 'no schedulable node matches'}, so ${zone ? 'no node is left in the zone of its disk' : 'no node can reach its disk'}.`,
      quotes: quote(`get_resource PersistentVolume ${pvName}`, rules.map((r) => `nodeAffinity: ${r}`)),
      recommendations: [
        `Bring back capacity where the volume lives (${rules.join(' and ')}): a node group or node in that zone, so that the pod can be scheduled with its data`,
        `Or move the data: snapshot the volume and restore it in a zone that has nodes, then bind the claim to the new volume`,
      ],
    };
  }
  return undefined;
}

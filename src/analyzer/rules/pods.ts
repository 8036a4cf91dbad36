// Pod-level alerts (KubePodCrashLooping, KubePodNotReady, KubeContainerWaiting, OOMKilled containers,
// CPUThrottlingHigh) and the pod diagnosis every other rule reuses for "the worst pod" of a workload.
import {
  clip,
  cpuText,
  eventsBy,
  isNotFound,
  podInfo,
  pickContainer,
  quantity,
  memoryQuantity,
  type ContainerInfo,
  type EventRec,
  type Evidence,
  type PodInfo,
} from '../evidence.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';
import { probeTimeoutFix } from './fixes.js';
import { firstState, POD_TOOLS, usageFor, type PodView } from './podStates.js';
import { explainPodCause, podCausePlan } from './podCauses.js';

export type PodProblem =
  | 'gone'
  | 'unreadable'
  | 'evicted'
  | 'unschedulable'
  | 'imagePull'
  | 'configError'
  | 'oomKilled'
  | 'livenessKill'
  | 'crashLoop'
  | 'readiness'
  | 'notStarted'
  | 'healthy'
  | 'unknown';

export interface PodDiagnosis {
  problem: PodProblem;
  namespace: string;
  pod: string;
  container?: string;
  /** One sentence naming the cause (no trailing period). */
  cause: string;
  quotes: Quote[];
  recommendations: string[];
  /** Running and ready now (whatever happened before). */
  healthyNow: boolean;
  info: PodInfo;
  target?: ContainerInfo;
  /** The workload that owns the pod, when its name can be derived (ReplicaSet → Deployment). */
  workload?: { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'ReplicaSet'; name: string };
}


/** ReplicaSet "web-7d9f8c6b5" → Deployment "web"; other controllers map to themselves. */
export function workloadOf(owner: PodInfo['owner']): PodDiagnosis['workload'] {
  if (!owner) return undefined;
  if (owner.kind === 'ReplicaSet') {
    const m = /^(.+)-[a-z0-9]{5,10}$/.exec(owner.name);
    return m ? { kind: 'Deployment', name: m[1] } : { kind: 'ReplicaSet', name: owner.name };
  }
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet' || owner.kind === 'Job') return { kind: owner.kind, name: owner.name };
  return undefined;
}

/** The events about one pod, from its description and from any get_events result. */
function podEvents(ev: Evidence, ns: string, pod: string, info: PodInfo): { events: EventRec[] } {
  const lists = ev
    .all('get_events')
    .filter(({ o, d }) => !(d.namespace ?? o.args.namespace) || (d.namespace ?? o.args.namespace) === ns)
    .filter(({ o }) => !o.args.involvedObjectName || o.args.involvedObjectName === pod)
    .map(({ d }) => d.events);
  const fromTables = eventsBy(lists, /.*/, pod).filter((e) => !e.object || /(^|\/)Pod\//.test(e.object) || e.object === pod);
  const seen = new Set<string>();
  const events = [...info.events, ...fromTables].filter((e) => {
    const k = `${e.reason}|${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { events };
}




const describeSource = (ns: string, pod: string) => `describe_pod ${ns}/${pod}`;

/** What is wrong with one pod, from describe_pod, events, logs and usage already gathered. */
export function diagnosePod(ev: Evidence, ns: string, pod: string, containerName?: string): PodDiagnosis {
  const desc = ev.data(POD_TOOLS.describe, { name: pod, namespace: ns });
  const base = { namespace: ns, pod, quotes: [] as Quote[], recommendations: [] as string[], healthyNow: false, info: podInfo(undefined) };
  if (!desc) {
    const err = ev.failure(POD_TOOLS.describe, { name: pod, namespace: ns });
    if (isNotFound(err)) {
      return { ...base, problem: 'gone', cause: `pod ${ns}/${pod} no longer exists (deleted or replaced)`, quotes: quote(describeSource(ns, pod), [err]) };
    }
    const plain = ev.textOnly(POD_TOOLS.describe, { name: pod, namespace: ns });
    if (plain) {
      // Described by a server that returns text only: shown as it is, for a person to read.
      return {
        ...base,
        problem: 'unreadable',
        cause: `pod ${ns}/${pod} was described as text only (no structured result), so the rule-based analyzer cannot tell its state; its description is quoted in the evidence`,
        quotes: quote(describeSource(ns, pod), plain.output.split('\n').slice(0, 12).map((l) => clip(l.trim()))),
      };
    }
    return { ...base, problem: 'unreadable', cause: `pod ${ns}/${pod} could not be read${err ? `: ${clip(err, 200)}` : ''}`, quotes: quote(describeSource(ns, pod), [err]) };
  }
  const info = podInfo(desc);
  const c = pickContainer(info, containerName);
  const cn = c?.name;
  const { events } = podEvents(ev, ns, pod, info);
  const src = describeSource(ns, pod);
  const workload = workloadOf(info.owner);
  const appContainers = info.containers.filter((x) => !x.init);
  const healthyNow =
    ((info.status === 'Running' && appContainers.every((x) => x.ready === true && x.state === 'Running')) || info.status === 'Completed' || info.status === 'Succeeded') &&
    !info.conditions.some((x) => x.type === 'Ready' && x.status !== 'True' && info.status === 'Running');
  const d = (problem: PodProblem, cause: string, quotes: Quote[], recommendations: string[]): PodDiagnosis => ({
    problem,
    namespace: ns,
    pod,
    container: cn,
    cause,
    quotes: quotes.filter((q) => q.lines.length),
    recommendations,
    healthyNow,
    info,
    target: c,
    workload,
  });
  const evQuote = (es: EventRec[]) => quote(`events of pod ${ns}/${pod}`, es.slice(0, 3).map((e) => e.line));
  const statusLines = [info.statusLine];
  const ctr = cn ? `container ${cn} of pod ${ns}/${pod}` : `pod ${ns}/${pod}`;
  const owner = workload && workload.kind !== 'ReplicaSet' ? `${workload.kind.toLowerCase()}/${workload.name}` : `pod/${pod}`;
  const cQuote = (extra: Array<string | undefined> = []) =>
    quote(src, [...statusLines, c?.stateLine && `${c.name}: ${c.stateLine}`, c?.lastLine && `${c.name}: ${c.lastLine}`, ...extra]);
  const v: PodView = { ev, ns, pod, info, c, cn, events, src, workload, d, evQuote, cQuote, statusLines, ctr, owner, healthyNow };
  return firstState(v);
}

/** Evidence for one pod: describe, its events, then logs/usage as its state calls for. */
export function podPlan(ev: Evidence, ns: string, pod: string, opts: { container?: string; usage?: 'memory' | 'cpu'; currentLogs?: boolean; events?: boolean } = {}): Call[] {
  const calls: Call[] = [
    { tool: POD_TOOLS.describe, args: { name: pod, namespace: ns }, why: `Describe pod ${ns}/${pod}: container states, last termination (reason, exit code), probes, resources and its recent events.` },
  ];
  if (opts.events !== false) {
    calls.push({ tool: POD_TOOLS.events, args: { namespace: ns, involvedObjectName: pod, limit: 20 }, why: `Read the events of pod ${pod} (FailedScheduling, BackOff, Unhealthy, image pull errors).` });
  }
  const desc = ev.data(POD_TOOLS.describe, { name: pod, namespace: ns });
  if (desc) {
    const info = podInfo(desc);
    const c = pickContainer(info, opts.container);
    if (c && info.node) {
      const restarted = (c.restarts ?? 0) > 0 || !!c.lastReason;
      if (restarted) {
        calls.push({ tool: POD_TOOLS.logs, args: { name: pod, namespace: ns, container: c.name, previous: true, tailLines: 50 }, why: `Read the log of the crashed instance of container ${c.name} (what it printed before it exited).` });
      } else if (c.state === 'Terminated' || (c.state === 'Running' && (opts.currentLogs || c.ready === false))) {
        calls.push({ tool: POD_TOOLS.logs, args: { name: pod, namespace: ns, container: c.name, tailLines: 50 }, why: `Read the recent log of container ${c.name}.` });
      }
    }
    const oom = info.containers.some((x) => x.lastReason === 'OOMKilled' || x.reason === 'OOMKilled');
    const usage = opts.usage ?? (oom ? 'memory' : undefined);
    if (usage && info.node) {
      calls.push({ tool: POD_TOOLS.top, args: { namespace: ns, containers: true, sortBy: usage }, why: `Compare the current ${usage} usage of the pod's containers with their requests and limits.` });
    }
  }
  return calls;
}

// ── rules ─────────────────────────────────────────────────────────────────────────────────────────

const POD_ALERTS = new Set(['KubePodCrashLooping', 'KubePodNotReady', 'KubeContainerWaiting', 'KubePodNotScheduled', 'KubePodPending', 'KubernetesPodCrashLooping', 'KubernetesPodNotHealthy', 'KubernetesContainerOomKiller', 'KubePodOOMKilled']);
const isOomAlert = (a: AlertInfo) => /oom/i.test(a.name) || (a.name === 'KubeMemoryOvercommit' && !!a.pod);

function podMissingLabels(a: AlertInfo): Finding {
  return {
    resolved: false,
    summary: `${a.name} has no namespace/pod labels: the rule-based analyzer cannot tell which pod is meant`,
    rootCause: `The alert carries no "namespace" and "pod" labels (labels: ${Object.keys(a.labels).join(', ') || 'none'}), so no pod could be examined.`,
    quotes: [],
    recommendations: ['Fix the alert rule so that it keeps the namespace and pod labels', 'Find the pod from the alert expression in Prometheus'],
  };
}

function alertDescription(a: AlertInfo): Quote[] {
  const text = a.annotations.description ?? a.annotations.message;
  return text ? [{ source: 'alert annotation', lines: [clip(text, 400)] }] : [];
}

/** "cause text" → "Cause text." (no doubled period). */
export function sentence(s: string): string {
  const t = s.trim().replace(/[.\s]+$/, '');
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}.`;
}

/** A finding from a pod diagnosis, worded for the alert. */
export function podFinding(a: AlertInfo, dg: PodDiagnosis, what: string): Finding {
  if (dg.problem === 'gone') {
    return { resolved: true, summary: `${what}: pod ${dg.namespace}/${dg.pod} no longer exists, so the alert is stale`, rootCause: `${dg.cause}.`, quotes: dg.quotes, recommendations: ['Nothing to do for this pod; if the alert keeps firing for its replacement, investigate that pod'] };
  }
  if (dg.problem === 'healthy') {
    return {
      resolved: true,
      summary: `${what}: pod ${dg.namespace}/${dg.pod} is healthy again`,
      recheck: `pod ${dg.namespace}/${dg.pod} reads ${dg.info.status ?? 'Running'} and Ready now`,
      rootCause: `The problem is gone: ${dg.cause}.${dg.target?.lastLine ? ` Its previous instance ended with "${dg.target.lastLine.replace(/^Last state:\s*/, '')}".` : ''}`,
      quotes: dg.quotes,
      recommendations: dg.info.restarts ? [`If it flaps, read the previous log: \`kubectl logs -n ${dg.namespace} ${dg.pod} --previous\``] : [],
    };
  }
  const label: Record<PodProblem, string> = {
    gone: 'gone',
    unreadable: 'could not be examined',
    evicted: 'was evicted',
    unschedulable: 'cannot be scheduled',
    imagePull: 'image cannot be pulled',
    configError: 'container cannot be created',
    oomKilled: 'OOMKilled',
    livenessKill: 'killed by its liveness probe',
    crashLoop: 'crash-looping',
    readiness: 'fails its readiness probe',
    notStarted: 'container not started',
    healthy: 'healthy',
    unknown: 'state unclear',
  };
  return {
    resolved: false,
    summary: `${what}: pod ${dg.namespace}/${dg.pod}${dg.container ? ` (container ${dg.container})` : ''} ${label[dg.problem]}`,
    rootCause: sentence(dg.cause),
    quotes: [...dg.quotes, ...alertDescription(a)],
    recommendations: dg.recommendations,
  };
}

export const podRule: Rule = {
  id: 'pod',
  matches: (a) => POD_ALERTS.has(a.name) || isOomAlert(a),
  plan(a, ev) {
    if (!a.namespace || !a.pod) return [];
    const own = podPlan(ev, a.namespace, a.pod, { container: a.container, usage: isOomAlert(a) ? 'memory' : undefined, currentLogs: a.name === 'KubePodNotReady' });
    // Then the objects its failure may come from (podCauses.ts).
    return [...own, ...podCausePlan(ev, a.namespace, a.pod, a.container)];
  },
  analyse(a, ev) {
    if (!a.namespace || !a.pod) return podMissingLabels(a);
    const dg = diagnosePod(ev, a.namespace, a.pod, a.container);
    const f = podFinding(a, dg, a.name);
    if (isOomAlert(a) && dg.problem === 'oomKilled') f.remediation = memoryRemediation(ev, dg);
    else f.remediation = probeFix(ev, dg);
    explainPodCause(ev, dg, f);
    return f;
  },
};

/** More time for a probe that times out (fixes.ts), from every event about the pod. */
export function probeFix(ev: Evidence, dg: PodDiagnosis): Call | undefined {
  return probeTimeoutFix(dg, podEvents(ev, dg.namespace, dg.pod, dg.info).events);
}

/** Proposed only for OOMKilled containers of a Deployment/StatefulSet/DaemonSet with a known memory limit: double it. */
function memoryRemediation(ev: Evidence, dg: PodDiagnosis): Call | undefined {
  void ev;
  const w = dg.workload;
  const c = dg.info.containers.find((x) => x.lastReason === 'OOMKilled' || x.reason === 'OOMKilled');
  const limit = quantity(c?.limits.memory);
  if (!w || !c || !limit || !['Deployment', 'StatefulSet', 'DaemonSet'].includes(w.kind)) return undefined;
  const doubled = memoryQuantity(Math.min(limit * 2, limit + 4 * 2 ** 30));
  return {
    tool: 'set_resources',
    args: { kind: w.kind, name: w.name, namespace: dg.namespace, container: c.name, limits: { memory: doubled } },
    why: `Container ${c.name} was OOMKilled at its ${c.limits.memory} memory limit: raise the limit of ${w.kind.toLowerCase()}/${w.name} to ${doubled}.`,
  };
}

// ── CPU throttling ────────────────────────────────────────────────────────────────────────────────

export const cpuThrottlingRule: Rule = {
  id: 'cpu-throttling',
  matches: (a) => a.name === 'CPUThrottlingHigh',
  plan(a, ev) {
    if (!a.namespace || !a.pod) return [];
    return podPlan(ev, a.namespace, a.pod, { container: a.container, usage: 'cpu', events: false });
  },
  analyse(a, ev) {
    if (!a.namespace || !a.pod) return podMissingLabels(a);
    const ns = a.namespace;
    const dg = diagnosePod(ev, ns, a.pod, a.container);
    if (dg.problem === 'gone') return podFinding(a, dg, a.name);
    const c = dg.target;
    if (!c) return podFinding(a, dg, a.name);
    const limit = c.limits.cpu;
    const usage = usageFor(ev, ns, a.pod, c.name);
    const used = usage.row ? cpuText(usage.row.cpu) : undefined;
    const pct = usage.row?.cpuLimit ? String(Math.round((usage.row.cpu / usage.row.cpuLimit) * 100)) : undefined;
    const owner = dg.workload && dg.workload.kind !== 'ReplicaSet' ? `${dg.workload.kind.toLowerCase()}/${dg.workload.name}` : `pod/${a.pod}`;
    const limitCores = quantity(limit);
    const suggested = limitCores ? `${Math.round(limitCores * 2000)}m` : undefined;
    const throttleText = a.annotations.description ?? a.annotations.message;
    const pctFromAlert = throttleText && /(\d+(?:\.\d+)?)\s*%/.exec(throttleText)?.[1];
    const rootCause = limit
      ? `Container ${c.name} of pod ${ns}/${a.pod} is throttled by its CPU limit of ${limit}${pctFromAlert ? ` (${pctFromAlert}% of its CPU periods were throttled, per the alert)` : ''}` +
        (used ? `; current usage is ${used}${pct ? ` (${pct}% of the limit)` : ''}` : usage.error ? `; usage could not be read (${usage.error})` : '') +
        '. The CFS quota stops the container whenever it uses its limit within a period, which adds latency even when average usage looks low.'
      : `Container ${c.name} of pod ${ns}/${a.pod} shows no CPU limit in its description (${c.resourcesLine ?? 'no resources line'}); throttling without a container limit points to a pod/namespace-level limit (LimitRange defaults) or a changed spec.`;
    return {
      resolved: false,
      summary: `${a.name}: container ${c.name} of ${ns}/${a.pod} is CPU-throttled${limit ? ` at its ${limit} CPU limit` : ''}`,
      rootCause,
      quotes: [...quote(`describe_pod ${ns}/${a.pod}`, [dg.info.statusLine, c.resourcesLine && `${c.name}: ${c.resourcesLine}`]), ...(usage.line ? quote(`top_pods ${ns}`, [usage.line]) : []), ...alertDescription(a)],
      recommendations: [
        limit
          ? `Raise (or remove) the CPU limit of ${c.name}: \`kubectl set resources ${owner} -n ${ns} -c ${c.name} --limits=cpu=${suggested}\``
          : `Check LimitRanges in the namespace: \`kubectl get limitrange -n ${ns} -o yaml\``,
        `Make sure the CPU request reflects real usage so the scheduler places the pod where CPU is available`,
        `If the application is multi-threaded (GOMAXPROCS, JVM), size its thread pools to the CPU limit`,
      ],
    };
  },
};


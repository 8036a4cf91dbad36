// Pod-level alerts (KubePodCrashLooping, KubePodNotReady, KubeContainerWaiting, OOMKilled containers,
// CPUThrottlingHigh) and the pod diagnosis every other rule reuses for "the worst pod" of a workload.
import {
  clip,
  cpuText,
  eventsBy,
  exitCodeMeaning,
  imagePullCause,
  isNotFound,
  keyLogLines,
  memoryText,
  podInfo,
  pickContainer,
  quantity,
  memoryQuantity,
  schedulingHints,
  type ContainerInfo,
  type EventRec,
  type Evidence,
  type PodInfo,
} from '../evidence.js';
import { readOutput, type UsageRow } from '../../contracts/toolData.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';
import { oneLine } from '../../util/text.js';
import { probeTimeoutFix } from './fixes.js';

/** A long message keeps its head and its tail: wrapped errors put the innermost cause last. */
function clipEnds(s: string, max: number): string {
  const t = oneLine(s);
  if (t.length <= max) return t;
  const head = Math.floor(max * 0.4);
  return `${t.slice(0, head)} … ${t.slice(t.length - (max - head - 3))}`;
}

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

const POD_TOOLS = { describe: 'describe_pod', events: 'get_events', logs: 'get_pod_logs', top: 'top_pods' } as const;

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

function logsFor(ev: Evidence, ns: string, pod: string, container?: string): { lines: string[]; source?: string; error?: string } {
  const candidates = ev.obs.filter((o) => o.tool === POD_TOOLS.logs && o.args.name === pod && o.args.namespace === ns && (!container || !o.args.container || o.args.container === container));
  const ok = candidates.filter((o) => o.ok).sort((a, b) => Number(b.args.previous === true) - Number(a.args.previous === true));
  for (const o of ok) {
    const ls = keyLogLines(readOutput('get_pod_logs', o.data));
    if (ls.length) return { lines: ls, source: `get_pod_logs ${ns}/${pod}${o.args.previous ? ' (previous)' : ''}` };
  }
  if (ok.length) return { lines: [], source: `get_pod_logs ${ns}/${pod}`, error: 'the log is empty' };
  const failed = candidates.find((o) => !o.ok);
  return { lines: [], error: failed ? clip((failed.error || failed.output || 'the call failed').split('\n')[0], 240) : undefined };
}

/** "50% of its limit 128Mi" */
const share = (used: number, of: number | undefined, fmt: (v: number) => string, what: string) => (of ? ` (${Math.round((used / of) * 100)}% of its ${what} ${fmt(of)})` : '');

/** Memory/CPU usage of one container (or pod) from top_pods, if it was read. */
export function usageFor(ev: Evidence, ns: string, pod: string, container?: string): { row?: UsageRow; line?: string; error?: string } {
  for (const o of [...ev.obs].reverse()) {
    if (o.tool !== POD_TOOLS.top || (o.args.namespace && o.args.namespace !== ns)) continue;
    if (!o.ok) return { error: clip((o.error || o.output || 'failed').split('\n')[0], 240) };
    const t = readOutput('top_pods', o.data);
    const row = t?.rows.find((r) => r.pod === pod && r.namespace === ns && (!container || !r.container || r.container === container));
    if (row) {
      const line =
        `${row.pod}${row.container ? ` container ${row.container}` : ''}: ` +
        `cpu ${cpuText(row.cpu)}${share(row.cpu, row.cpuLimit, cpuText, 'limit')}, memory ${memoryText(row.memory)}${share(row.memory, row.memoryLimit, memoryText, 'limit')}`;
      return { row, line };
    }
  }
  return {};
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

  // Evicted: the kubelet removed it under node pressure.
  if (info.status === 'Evicted' || /Evicted/.test(info.reasonLine ?? '')) {
    return d('evicted', `pod ${ns}/${pod} was evicted by the kubelet: ${clip((info.reasonLine ?? '').replace(/^Reason:\s*/, ''), 240)}`, quote(src, [...statusLines, info.reasonLine]), [
      `Check the node's pressure conditions (\`kubectl describe node ${info.node ?? '<node>'}\`) and set requests that match real usage so the pod is not first to be evicted`,
      `Delete the evicted pod record once understood: \`kubectl delete pod -n ${ns} ${pod}\``,
    ]);
  }

  // Not scheduled: the scheduler says why.
  const scheduled = info.conditions.find((x) => x.type === 'PodScheduled');
  const failedScheduling = events.filter((e) => e.reason === 'FailedScheduling');
  if ((scheduled?.status === 'False' || (!info.node && failedScheduling.length)) && !info.node) {
    const msg = failedScheduling[0]?.message ?? scheduled?.message ?? 'no message';
    const hints = schedulingHints(msg);
    return d(
      'unschedulable',
      `pod ${ns}/${pod} is Pending because the scheduler cannot place it (FailedScheduling): ${clip(msg, 400)}`,
      [...quote(src, [...statusLines, scheduled?.line, ...(c?.resourcesLine ? [`${c.name}: ${c.resourcesLine}`] : [])]), ...evQuote(failedScheduling)],
      [
        ...hints.map((h) => h.charAt(0).toUpperCase() + h.slice(1)),
        `Compare the pod's requests with node allocatable: \`kubectl describe nodes | grep -A8 "Allocated resources"\``,
        ...(c?.resourcesLine && /Insufficient/.test(msg) ? [`Lower the requests if they are oversized: \`kubectl set resources ${owner} -n ${ns} -c ${c.name} --requests=cpu=<cpu>,memory=<memory>\``] : []),
      ],
    );
  }

  const cQuote = (extra: Array<string | undefined> = []) =>
    quote(src, [...statusLines, c?.stateLine && `${c.name}: ${c.stateLine}`, c?.lastLine && `${c.name}: ${c.lastLine}`, ...extra]);

  // Image cannot be pulled.
  const pullEvents = events.filter((e) => /Failed to pull image|ErrImagePull|ImagePullBackOff|Back-off pulling image|InvalidImageName|pull access denied/i.test(e.message) || e.reason === 'ErrImageNeverPull' || e.reason === 'InspectFailed');
  if ((c?.state === 'Waiting' && /ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull|RegistryUnavailable/.test(c.reason ?? '')) || (pullEvents.length && c?.state !== 'Running')) {
    const detailed = pullEvents.find((e) => /Failed to pull image/i.test(e.message));
    const msg = [c?.message, detailed?.message, ...pullEvents.map((e) => e.message)].filter(Boolean).join(' | ');
    const cls = imagePullCause(msg, c?.image);
    return d(
      'imagePull',
      `${ctr} cannot start: its image cannot be pulled (${c?.reason ?? pullEvents[0]?.reason ?? 'ImagePullBackOff'}) — ${cls.cause}${c?.message ? `; kubelet: "${clip(c.message, 260)}"` : ''}`,
      [...cQuote([c?.image && `${c.name}: Image: ${c.image}`]), ...evQuote(pullEvents)],
      [
        `${cls.fix.charAt(0).toUpperCase()}${cls.fix.slice(1)}`,
        `Set a pullable image: \`kubectl set image ${owner} -n ${ns} ${cn ?? '<container>'}=<registry>/<image>:<existing-tag>\``,
        ...(workload?.kind === 'Deployment' ? [`Or return to the previous revision: \`kubectl rollout undo deployment/${workload.name} -n ${ns}\``] : []),
      ],
    );
  }

  // Container cannot be created (missing Secret/ConfigMap, bad command...).
  const configEvents = events.filter((e) => e.type === 'Warning' && /^Error: |CreateContainerConfigError|CreateContainerError|not found/i.test(e.message) && !/pull/i.test(e.message));
  if (c?.state === 'Waiting' && /CreateContainerConfigError|CreateContainerError|RunContainerError|ContainerCannotRun|PreCreateHookError|PostStartHookError/.test(c.reason ?? '')) {
    const msg = c.message ?? configEvents[0]?.message ?? 'no message';
    const missing = /(secret|configmap|configMap)s? "([^"]+)" not found/i.exec(msg);
    return d(
      'configError',
      `${ctr} cannot be created (${c.reason}): ${clip(msg, 300)}`,
      [...cQuote(), ...evQuote(configEvents)],
      [
        missing
          ? `Create the missing ${missing[1].toLowerCase()} "${missing[2]}" in namespace ${ns} (or fix the reference): \`kubectl get ${missing[1].toLowerCase()} -n ${ns}\``
          : `Fix the container configuration named in the message (env references, command, volumes)`,
      ],
    );
  }

  // OOMKilled: memory use hit the limit.
  const oomEvents = events.filter((e) => /OOMKill|OOMKilling|out of memory/i.test(`${e.reason} ${e.message}`));
  const oomContainer = info.containers.find((x) => x.lastReason === 'OOMKilled' || x.reason === 'OOMKilled') ?? (oomEvents.length ? c : undefined);
  if (oomContainer) {
    const oc = oomContainer;
    const limit = oc.limits.memory;
    const usage = usageFor(ev, ns, pod, oc.name);
    const used = usage.row ? memoryText(usage.row.memory) : undefined;
    const exit = oc.lastReason === 'OOMKilled' ? oc.lastExitCode : oc.exitCode;
    const limitBytes = quantity(limit);
    const suggested = limitBytes ? memoryQuantity(limitBytes * 2) : undefined;
    const logs = logsFor(ev, ns, pod, oc.name);
    const cause =
      `container ${oc.name} of pod ${ns}/${pod} was OOMKilled (exit code ${exit ?? 137}): it needed more memory than ` +
      (limit ? `its memory limit of ${limit}` : 'the node could give it (the container has no memory limit, so the node ran out of memory)') +
      (used
        ? `; current usage ${used}${usage.row ? share(usage.row.memory, usage.row.memoryLimit, memoryText, 'limit') : ''}`
        : usage.error
          ? `; current usage is unknown (${clip(usage.error.split(/[;(]/)[0].trim(), 80)})`
          : '') +
      (oc.restarts ? `; it has restarted ${oc.restarts} times` : '');
    return d(
      'oomKilled',
      cause,
      [
        ...quote(src, [...statusLines, oc.stateLine && `${oc.name}: ${oc.stateLine}`, oc.lastLine && `${oc.name}: ${oc.lastLine}`, oc.resourcesLine && `${oc.name}: ${oc.resourcesLine}`]),
        ...(usage.line ? quote(`top_pods ${ns}`, [usage.line]) : []),
        ...evQuote(oomEvents),
        ...(logs.source ? quote(logs.source, logs.lines) : []),
      ],
      [
        limit
          ? `Raise the memory limit of ${oc.name} (e.g. to ${suggested}) if the workload legitimately needs it: \`kubectl set resources ${owner} -n ${ns} -c ${oc.name} --limits=memory=${suggested}\``
          : `Give ${oc.name} a memory request and limit that match its real usage: \`kubectl set resources ${owner} -n ${ns} -c ${oc.name} --requests=memory=<usage> --limits=memory=<usage+headroom>\``,
        `Check for a memory leak or unbounded cache in the application (heap settings such as -Xmx / GOMEMLIMIT must stay below the limit)`,
        `Watch usage after the change: \`kubectl top pod -n ${ns} ${pod} --containers\``,
      ],
    );
  }

  // Restarted by a failing liveness probe.
  const liveness = events.filter((e) => /Liveness probe failed|failed liveness probe/i.test(e.message));
  if (c && liveness.length && ((c.restarts ?? 0) > 0 || c.reason === 'CrashLoopBackOff')) {
    const probeMsg = liveness.find((e) => /Liveness probe failed/i.test(e.message))?.message ?? liveness[0].message;
    return d(
      'livenessKill',
      `${ctr} is restarted by its failing liveness probe${c.liveness ? ` (${c.liveness})` : ''}: ${clip(probeMsg, 300)}${c.restarts ? `; ${c.restarts} restarts` : ''}`,
      [...cQuote([c.liveness && `${c.name}: Liveness: ${c.liveness}`]), ...evQuote(liveness)],
      [
        `Check the liveness endpoint from inside the pod (\`kubectl exec -n ${ns} ${pod} -c ${c.name} -- wget -qO- <probe url>\`) and why it fails or is slow`,
        `If the application is only slow to start or answer, raise initialDelaySeconds/timeoutSeconds/failureThreshold or add a startupProbe`,
      ],
    );
  }

  // Crash loop / failed run: exit code and the last log lines.
  const crashed =
    c &&
    (c.reason === 'CrashLoopBackOff' ||
      (c.state === 'Terminated' && (c.exitCode ?? 0) !== 0) ||
      (c.state !== 'Running' && !!c.lastReason) ||
      /CrashLoopBackOff|^Error$|ExitCode|^Init:(Error|CrashLoopBackOff)/.test(info.status ?? ''));
  if (c && crashed) {
    const exit = c.state === 'Terminated' ? c.exitCode : (c.lastExitCode ?? c.exitCode);
    const reason = c.state === 'Terminated' ? c.reason : (c.lastReason ?? c.reason);
    // The message of the run that ended: the current state's when it is terminated (a Job's pod), else the last one.
    const termination = c.state === 'Terminated' ? (c.message ?? c.lastMessage) : c.lastMessage;
    const cannotStart = /exec: "[^"]*":[^;]*?(no such file or directory|executable file not found|permission denied)/.exec(termination ?? '');
    const meaning = cannotStart || /^(StartError|ContainerCannotRun)$/.test(reason ?? '') ? `the container's command cannot be started${cannotStart ? `: ${cannotStart[1]}` : ''}` : exitCodeMeaning(exit);
    const logs = logsFor(ev, ns, pod, c.name);
    const backoff = events.filter((e) => e.reason === 'BackOff' || /Back-off restarting/i.test(e.message));
    const what = c.reason === 'CrashLoopBackOff' ? 'is crash-looping (CrashLoopBackOff)' : c.state === 'Terminated' ? 'failed' : `keeps failing (${info.status})`;
    const cause =
      `${c.init ? 'init ' : ''}${ctr} ${what}: its last run ended with exit code ${exit ?? '?'}${reason ? ` (reason ${reason}${meaning ? `; ${meaning}` : ''})` : meaning ? ` (${meaning})` : ''}` +
      (c.restarts ? ` after ${c.restarts} restarts` : '') +
      (logs.lines.length ? `; last log lines: ${logs.lines.slice(-3).map((l) => `"${clip(l, 160)}"`).join(' ')}` : logs.error ? `; its logs could not be read (${clip(logs.error.split(/[:(]/)[0].trim(), 80)})` : '') +
      (termination ? `; termination message: "${clipEnds(termination, 300)}"` : '');
    return d(
      'crashLoop',
      cause,
      [...cQuote(), ...evQuote(backoff), ...(logs.source ? quote(logs.source, logs.lines) : [])],
      [
        `Read the crashed instance's log: \`kubectl logs -n ${ns} ${pod} -c ${c.name} --previous\``,
        exit === 127 || exit === 126
          ? `Fix the container's command/entrypoint (exit ${exit}: ${meaning})`
          : `Fix the error the application reports at start (configuration, dependencies, credentials); exit code ${exit ?? '?'}`,
        ...(workload?.kind === 'Deployment' ? [`If it started with a recent rollout, return to the last good revision: \`kubectl rollout history deployment/${workload.name} -n ${ns}\` then \`kubectl rollout undo deployment/${workload.name} -n ${ns}\``] : []),
      ],
    );
  }

  // Running but not ready: readiness probe.
  const readinessEvents = events.filter((e) => /Readiness probe failed|Readiness probe errored|Startup probe failed/i.test(e.message) || (e.reason === 'Unhealthy' && !/Liveness/i.test(e.message)));
  if (c && c.state === 'Running' && c.ready === false) {
    const msg = readinessEvents[0]?.message;
    const probe = /Startup probe/i.test(msg ?? '') ? c.startup : c.readiness;
    const endpoint = probe ? ` (${/Startup probe/i.test(msg ?? '') ? 'startup' : 'readiness'} probe: ${probe})` : '';
    const url = /(https?:\/\/[^\s"]+)/.exec(msg ?? '')?.[1];
    return d(
      'readiness',
      msg
        ? `${ctr} is running but not ready: its ${/Startup probe/i.test(msg) ? 'startup' : 'readiness'} probe fails${endpoint}: "${clip(msg, 260)}"${url ? ` (endpoint ${url})` : ''}`
        : `${ctr} is running but not ready${endpoint || ' (no readiness probe shown)'}; no probe failure event was found`,
      [...cQuote([c.readiness && `${c.name}: Readiness: ${c.readiness}`, c.startup && `${c.name}: Startup: ${c.startup}`]), ...evQuote(readinessEvents)],
      [
        `Check what the probe endpoint returns from inside the pod: \`kubectl exec -n ${ns} ${pod} -c ${c.name} -- wget -qO- http://localhost:<port><path>\` (a 503 usually means a dependency the app checks is down)`,
        `Read the application log for why it reports unready: \`kubectl logs -n ${ns} ${pod} -c ${c.name}\``,
        `If the app is healthy but slow, tune the probe (timeoutSeconds, periodSeconds, failureThreshold)`,
      ],
    );
  }

  if (healthyNow) {
    return d('healthy', `pod ${ns}/${pod} is ${info.status} and ready now${info.restarts ? ` (${info.restarts} restarts so far)` : ''}`, quote(src, statusLines), []);
  }

  const mountEvents = events.filter((e) => /FailedMount|FailedAttachVolume|FailedMapVolume/.test(e.reason));
  if (c?.state === 'Waiting' && mountEvents.length) {
    return d(
      'notStarted',
      `${ctr} cannot start because a volume cannot be mounted (${mountEvents[0].reason}): ${clip(mountEvents[0].message, 300)}`,
      [...cQuote(), ...evQuote(mountEvents)],
      [
        `Check the volume named in the message (missing Secret/ConfigMap, unbound or still-attached PVC): \`kubectl describe pod -n ${ns} ${pod}\``,
        `For an RWO volume still attached elsewhere, find the old pod or VolumeAttachment: \`kubectl get volumeattachments\``,
      ],
    );
  }

  if (c?.state === 'Waiting') {
    const warn = events.find((e) => e.type === 'Warning');
    return d(
      'notStarted',
      `${ctr} is waiting to start: ${c.reason ?? 'unknown reason'}${c.message ? ` — ${clip(c.message, 260)}` : ''}${warn ? `; latest warning: ${warn.reason}: ${clip(warn.message, 200)}` : ''}`,
      [...cQuote(), ...evQuote(events.filter((e) => e.type === 'Warning'))],
      [`Look at the pod's events for the reason it does not start: \`kubectl describe pod -n ${ns} ${pod}\``],
    );
  }
  const warnings = events.filter((e) => e.type === 'Warning');
  return d(
    'unknown',
    `pod ${ns}/${pod} is ${info.status ?? 'in an unknown state'}${warnings[0] ? `; latest warning: ${warnings[0].reason}: ${clip(warnings[0].message, 200)}` : ''}`,
    [...cQuote(), ...evQuote(warnings)],
    [`Inspect the pod: \`kubectl describe pod -n ${ns} ${pod}\``],
  );
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
    return podPlan(ev, a.namespace, a.pod, { container: a.container, usage: isOomAlert(a) ? 'memory' : undefined, currentLogs: a.name === 'KubePodNotReady' });
  },
  analyse(a, ev) {
    if (!a.namespace || !a.pod) return podMissingLabels(a);
    const dg = diagnosePod(ev, a.namespace, a.pod, a.container);
    const f = podFinding(a, dg, a.name);
    if (isOomAlert(a) && dg.problem === 'oomKilled') f.remediation = memoryRemediation(ev, dg);
    else f.remediation = probeFix(ev, dg);
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


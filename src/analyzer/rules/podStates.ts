// The states a pod can be in, each read from describe_pod, its events, logs and usage, in the order
// diagnosePod tries them (pods.ts): the first state that recognises the pod names its problem. Each
// state gets the same view of the pod (PodView) and returns its diagnosis, or undefined when the pod is
// not in that state.
import {
  clip,
  cpuText,
  exitCodeMeaning,
  imagePullCause,
  keyLogLines,
  memoryText,
  quantity,
  memoryQuantity,
  schedulingHints,
  type ContainerInfo,
  type EventRec,
  type Evidence,
  type PodInfo,
} from '../evidence.js';
import { readOutput, type UsageRow } from '../../contracts/toolData.js';
import { quote, type Quote } from './types.js';
import { oneLine } from '../../util/text.js';
import type { PodDiagnosis, PodProblem } from './pods.js';

/** What every state reads of one pod: the pod, its chosen container, its events, and how to word a diagnosis. */
export interface PodView {
  ev: Evidence;
  ns: string;
  pod: string;
  info: PodInfo;
  /** The container the alert names, else the worst one. */
  c?: ContainerInfo;
  cn?: string;
  events: EventRec[];
  /** "describe_pod ns/pod", the source of quotes. */
  src: string;
  workload: PodDiagnosis['workload'];
  d: (problem: PodProblem, cause: string, quotes: Quote[], recommendations: string[]) => PodDiagnosis;
  evQuote: (es: EventRec[]) => Quote[];
  cQuote: (extra?: Array<string | undefined>) => Quote[];
  statusLines: Array<string | undefined>;
  /** "container web of pod shop/web-1" (or "pod shop/web-1"). */
  ctr: string;
  /** "deployment/web" (or "pod/web-1"), for kubectl commands. */
  owner: string;
  healthyNow: boolean;
}

export const POD_TOOLS = { describe: 'describe_pod', events: 'get_events', logs: 'get_pod_logs', top: 'top_pods' } as const;

/** A long message keeps its head and its tail: wrapped errors put the innermost cause last. */
function clipEnds(s: string, max: number): string {
  const t = oneLine(s);
  if (t.length <= max) return t;
  const head = Math.floor(max * 0.4);
  return `${t.slice(0, head)} … ${t.slice(t.length - (max - head - 3))}`;
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

/** "50% of its limit 128Mi" */
const share = (used: number, of: number | undefined, fmt: (v: number) => string, what: string) => (of ? ` (${Math.round((used / of) * 100)}% of its ${what} ${fmt(of)})` : '');


function evictedState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, info, src, d, statusLines } = v;
  // Evicted: the kubelet removed it under node pressure.
  if (info.status === 'Evicted' || /Evicted/.test(info.reasonLine ?? '')) {
    return d('evicted', `pod ${ns}/${pod} was evicted by the kubelet: ${clip((info.reasonLine ?? '').replace(/^Reason:\s*/, ''), 240)}`, quote(src, [...statusLines, info.reasonLine]), [
      `Check the node's pressure conditions (\`kubectl describe node ${info.node ?? '<node>'}\`) and set requests that match real usage so the pod is not first to be evicted`,
      `Delete the evicted pod record once understood: \`kubectl delete pod -n ${ns} ${pod}\``,
    ]);
  }
  return undefined;
}

function unschedulableState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, info, c, events, src, d, evQuote, statusLines, owner } = v;
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
  return undefined;
}

function imagePullState(v: PodView): PodDiagnosis | undefined {
  const { ns, c, cn, events, workload, d, evQuote, cQuote, ctr, owner } = v;
  // Image cannot be pulled.
  const pullEvents = events.filter((e) => /Failed to pull image|ErrImagePull|ImagePullBackOff|Back-off pulling image|InvalidImageName|pull access denied/i.test(e.message) || e.reason === 'ErrImageNeverPull' || e.reason === 'InspectFailed');
  if ((c?.state === 'Waiting' && /ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull|RegistryUnavailable/.test(c.reason ?? '')) || (pullEvents.length && c?.state !== 'Running')) {
    const detailed = pullEvents.find((e) => /Failed to pull image/i.test(e.message));
    const msg = [c?.message, detailed?.message, ...pullEvents.map((e) => e.message)].filter(Boolean).join(' | ');
    const cls = imagePullCause(msg, c?.image);
    // The kubelet says so when a Secret of the pod's imagePullSecrets does not exist: the credentials are missing, not wrong.
    const noSecret = events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret');
    const secretNames = /pull secrets \(([^)]+)\)/.exec(noSecret?.message ?? '')?.[1];
    const missingSecret = noSecret ? `; the image pull Secret the pod names (${secretNames ?? 'see its imagePullSecrets'}) does not exist in namespace ${ns}: "${clip(noSecret.message, 200)}"` : '';
    return d(
      'imagePull',
      `${ctr} cannot start: its image cannot be pulled (${c?.reason ?? pullEvents[0]?.reason ?? 'ImagePullBackOff'}) — ${cls.cause}${missingSecret}${c?.message ? `; kubelet: "${clip(c.message, 260)}"` : ''}`,
      [...cQuote([c?.image && `${c.name}: Image: ${c.image}`]), ...evQuote(noSecret ? [noSecret, ...pullEvents] : pullEvents)],
      [
        ...(noSecret ? [`Create the pull Secret ${secretNames ?? ''} in namespace ${ns} (\`kubectl create secret docker-registry -n ${ns} ${secretNames ?? '<name>'} --docker-server=<registry> ...\`) or fix the pod's imagePullSecrets`] : []),
        `${cls.fix.charAt(0).toUpperCase()}${cls.fix.slice(1)}`,
        `Set a pullable image: \`kubectl set image ${owner} -n ${ns} ${cn ?? '<container>'}=<registry>/<image>:<existing-tag>\``,
        ...(workload?.kind === 'Deployment' ? [`Or return to the previous revision: \`kubectl rollout undo deployment/${workload.name} -n ${ns}\``] : []),
      ],
    );
  }
  return undefined;
}

function configErrorState(v: PodView): PodDiagnosis | undefined {
  const { ns, c, events, d, evQuote, cQuote, ctr } = v;
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
  return undefined;
}

function oomKilledState(v: PodView): PodDiagnosis | undefined {
  const { ev, ns, pod, info, c, events, src, d, evQuote, statusLines, owner } = v;
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
  return undefined;
}

function livenessKillState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, c, events, d, evQuote, cQuote, ctr } = v;
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
  return undefined;
}

function crashLoopState(v: PodView): PodDiagnosis | undefined {
  const { ev, ns, pod, info, c, events, workload, d, evQuote, cQuote, ctr } = v;
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
  return undefined;
}

function readinessState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, c, events, d, evQuote, cQuote, ctr } = v;
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
  return undefined;
}

function healthyState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, info, src, d, statusLines, healthyNow } = v;
  if (healthyNow) {
    return d('healthy', `pod ${ns}/${pod} is ${info.status} and ready now${info.restarts ? ` (${info.restarts} restarts so far)` : ''}`, quote(src, statusLines), []);
  }
  return undefined;
}

function volumeMountState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, c, events, d, evQuote, cQuote, ctr } = v;
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
  return undefined;
}

function waitingState(v: PodView): PodDiagnosis | undefined {
  const { ns, pod, c, events, d, evQuote, cQuote, ctr } = v;
  if (c?.state === 'Waiting') {
    const warn = events.find((e) => e.type === 'Warning');
    return d(
      'notStarted',
      `${ctr} is waiting to start: ${c.reason ?? 'unknown reason'}${c.message ? ` — ${clip(c.message, 260)}` : ''}${warn ? `; latest warning: ${warn.reason}: ${clip(warn.message, 200)}` : ''}`,
      [...cQuote(), ...evQuote(events.filter((e) => e.type === 'Warning'))],
      [`Look at the pod's events for the reason it does not start: \`kubectl describe pod -n ${ns} ${pod}\``],
    );
  }
  return undefined;
}

function unknownState(v: PodView): PodDiagnosis {
  const { ns, pod, info, events, d, evQuote, cQuote } = v;
  const warnings = events.filter((e) => e.type === 'Warning');
  return d(
    'unknown',
    `pod ${ns}/${pod} is ${info.status ?? 'in an unknown state'}${warnings[0] ? `; latest warning: ${warnings[0].reason}: ${clip(warnings[0].message, 200)}` : ''}`,
    [...cQuote(), ...evQuote(warnings)],
    [`Inspect the pod: \`kubectl describe pod -n ${ns} ${pod}\``],
  );
}

const STATES = [evictedState, unschedulableState, imagePullState, configErrorState, oomKilledState, livenessKillState, crashLoopState, readinessState, healthyState, volumeMountState, waitingState];

/** The first state that recognises the pod, else "unknown". */
export function firstState(v: PodView): PodDiagnosis {
  for (const state of STATES) {
    const found = state(v);
    if (found) return found;
  }
  return unknownState(v);
}

// API objects as the tools' structured results (src/contracts/toolData.ts): the parts several tools share.
import type { V1Container, V1ContainerState, V1ContainerStatus, V1OwnerReference, V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Condition, Container, ContainerState, PodSummary } from '../../contracts/toolData.js';
import { clip, clipMiddle, isoTime, oneLine } from './format.js';
import { podRestarts, podStatus, probeString } from './podFormat.js';

/** Drops undefined fields (a structured result carries only what is known). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

const text = (s: string | undefined, max: number) => (s ? clip(oneLine(s), max) : undefined);
/** Messages whose cause may come last (termination messages, waiting reasons): head and tail kept. */
const message = (s: string | undefined) => (s ? clipMiddle(oneLine(s), 800) : undefined);
const time = (t: unknown) => isoTime(t) || undefined;

export function conditionsData(conds: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: Date | string }> | undefined): Condition[] {
  return (conds ?? []).map((c) => compact({ type: c.type, status: c.status, reason: c.reason || undefined, message: text(c.message, 300), since: time(c.lastTransitionTime) }));
}

export function stateData(s: V1ContainerState | undefined): ContainerState | undefined {
  if (!s) return undefined;
  if (s.running) return compact({ state: 'running' as const, startedAt: time(s.running.startedAt) });
  if (s.waiting) return compact({ state: 'waiting' as const, reason: s.waiting.reason, message: message(s.waiting.message) });
  if (s.terminated) {
    const t = s.terminated;
    return compact({ state: 'terminated' as const, reason: t.reason, message: message(t.message), exitCode: t.exitCode, signal: t.signal, startedAt: time(t.startedAt), finishedAt: time(t.finishedAt) });
  }
  return undefined;
}

const quantities = (m: Record<string, string> | undefined) => ({ ...(m ?? {}) });

/** Init containers first, then app containers: spec and status side by side. */
export function containersData(pod: V1Pod): Container[] {
  const out: Container[] = [];
  const add = (init: boolean, list: V1Container[], statuses: V1ContainerStatus[]) => {
    for (const c of list) {
      const cs = statuses.find((s) => s.name === c.name);
      const last = cs?.lastState && (cs.lastState.terminated || cs.lastState.waiting || cs.lastState.running) ? stateData(cs.lastState) : undefined;
      out.push(
        compact({
          name: c.name,
          init,
          image: c.image,
          ready: cs?.ready,
          started: cs?.started,
          restarts: cs?.restartCount,
          state: stateData(cs?.state),
          lastState: last,
          requests: quantities(c.resources?.requests as Record<string, string> | undefined),
          limits: quantities(c.resources?.limits as Record<string, string> | undefined),
          probes: compact({
            liveness: c.livenessProbe ? probeString(c.livenessProbe) : undefined,
            readiness: c.readinessProbe ? probeString(c.readinessProbe) : undefined,
            startup: c.startupProbe ? probeString(c.startupProbe) : undefined,
          }),
        }),
      );
    }
  };
  add(true, pod.spec?.initContainers ?? [], pod.status?.initContainerStatuses ?? []);
  add(false, pod.spec?.containers ?? [], pod.status?.containerStatuses ?? []);
  return out;
}

/** The controller of an object, if any. */
export function ownerData(refs: V1OwnerReference[] | undefined): { kind: string; name: string } | undefined {
  const r = refs?.find((x) => x.controller) ?? refs?.[0];
  return r ? { kind: r.kind, name: r.name } : undefined;
}

/** The most recent termination among a pod's containers. */
function lastTermination(pod: V1Pod): PodSummary['lastTermination'] {
  let best: { at: number; v: NonNullable<PodSummary['lastTermination']> } | undefined;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const t = cs.lastState?.terminated;
    if (!t) continue;
    const at = new Date(t.finishedAt ?? 0).getTime() || 0;
    if (!best || at >= best.at) best = { at, v: compact({ container: cs.name, reason: t.reason ?? 'Terminated', exitCode: t.exitCode }) };
  }
  return best?.v;
}

/** A pod as one row: status, readiness, restarts, node, last termination. */
export function podSummary(pod: V1Pod, withNamespace = false): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  return compact({
    name: pod.metadata?.name ?? '',
    namespace: withNamespace ? pod.metadata?.namespace : undefined,
    status: podStatus(pod),
    ready: statuses.filter((s) => s.ready).length,
    total: pod.spec?.containers?.length ?? statuses.length,
    restarts: podRestarts(pod),
    node: pod.spec?.nodeName,
    createdAt: time(pod.metadata?.creationTimestamp),
    lastTermination: lastTermination(pod),
  });
}

/** A pod template's images, as "container=image". */
export function templateImageList(t: V1PodTemplateSpec | undefined): string[] {
  return (t?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`);
}

/** A pod template's containers: images and resources. */
export function templateContainers(t: V1PodTemplateSpec | undefined): Array<{ name: string; image?: string; requests: Record<string, string>; limits: Record<string, string>; init?: boolean }> {
  const s = t?.spec;
  return [
    ...(s?.initContainers ?? []).map((c) => ({ c, init: true })),
    ...(s?.containers ?? []).map((c) => ({ c, init: false })),
  ].map(({ c, init }) =>
    compact({
      name: c.name,
      image: c.image,
      requests: quantities(c.resources?.requests as Record<string, string> | undefined),
      limits: quantities(c.resources?.limits as Record<string, string> | undefined),
      init: init || undefined,
    }),
  );
}

export { time as isoOrUndefined };

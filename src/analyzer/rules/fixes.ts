// The fixes that raise a bound, proposed where a diagnosis calls for one (as the rollback is): more time
// for a probe that times out, a higher ceiling for an HPA held at it, a higher limit for a ResourceQuota
// that refuses a workload's pods. Each proposal stays within the tools' default bounds (DEFAULT_RAISE_BOUNDS;
// a stricter configuration makes the dry run refuse it, and the refusal is reported), and none is made
// where the evidence points at another cause the change would only hide.
import { DEFAULT_RAISE_BOUNDS } from '../../tools/kubernetes/context.js';
import { hpaCeiling } from '../../tools/kubernetes/mutate/setHpaMaxReplicas.js';
import { quantity, type EventRec } from '../evidence.js';
import type { PodDiagnosis } from './pods.js';
import type { Call } from './types.js';

/** A probe failure that is a timeout (the app answered too slowly), not an answer it gave (503, refused). */
export const PROBE_TIMEOUT = /(Liveness|Readiness|Startup) probe (failed|errored):.*(timeout|timed out|deadline exceeded)/i;
/** A CPU limit this small can starve the app: more time would hide that, not fix it. */
export const STARVING_CPU_LIMIT = 0.2;
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** The probe's timing as the describe tools print it: "http-get /healthz port 8080 delay=0s timeout=1s period=10s success=1 failure=3". */
function probeTiming(probe: string | undefined): { timeout?: number } {
  const t = probe ? /\btimeout=(\d+)s\b/.exec(probe) : null;
  return { timeout: t ? Number(t[1]) : undefined };
}

/**
 * set_probe_timing, for a container its liveness probe restarts (or its readiness/startup probe keeps out of
 * service) because the probe times out: triple its timeoutSeconds (at least 5 s).
 */
export function probeTimeoutFix(dg: PodDiagnosis, events: readonly EventRec[]): Call | undefined {
  if (dg.problem !== 'livenessKill' && dg.problem !== 'readiness') return undefined;
  const c = dg.target;
  const w = dg.workload;
  if (!c || !w || !WORKLOAD_KINDS.has(w.kind)) return undefined;
  // The probe that times out must be the one the diagnosis blames: liveness for restarts, else readiness/startup.
  const probeOf = (e: EventRec) => PROBE_TIMEOUT.exec(e.message)?.[1].toLowerCase() as 'liveness' | 'readiness' | 'startup' | undefined;
  const failure = events.find((e) => (probeOf(e) === 'liveness') === (dg.problem === 'livenessKill') && probeOf(e) !== undefined);
  const which = failure && probeOf(failure);
  if (!failure || !which) return undefined;
  const cpuLimit = quantity(c.limits.cpu);
  if (cpuLimit !== undefined && cpuLimit <= STARVING_CPU_LIMIT) return undefined;
  const timeout = probeTiming(which === 'liveness' ? c.liveness : which === 'startup' ? c.startup : c.readiness).timeout;
  if (timeout === undefined) return undefined;
  const raised = Math.min(600, Math.max(timeout * 3, 5));
  if (raised <= timeout) return undefined;
  return {
    tool: 'set_probe_timing',
    args: { kind: w.kind, name: w.name, namespace: dg.namespace, container: c.name, probe: which, timeoutSeconds: raised },
    why: `The ${which} probe of container ${c.name} times out after ${timeout}s ("${failure.message.slice(0, 160)}"); give it ${raised}s in ${w.kind.toLowerCase()}/${w.name} (its handler stays as it is).`,
  };
}

/** set_hpa_max_replicas, for an HPA held at its ceiling by a load metric (not memory only): half as much again, within the bound. */
export function hpaCeilingFix(o: { name: string; namespace: string; max: number; current: number; desired: number; limited: boolean; metrics: Array<{ name: string; current?: string; target?: string }>; targetHealthy: boolean }): Call | undefined {
  if (!Number.isFinite(o.max) || !Number.isFinite(o.current) || o.current < o.max || !o.targetHealthy) return undefined;
  const above = o.metrics.some((m) => (parseFloat(m.current ?? '') || 0) > (parseFloat(m.target ?? '') || Infinity));
  if (!o.limited && !above && !(o.desired > o.max)) return undefined;
  // Memory utilization rarely follows load (heaps, caches): more replicas would not bring it down.
  if (o.metrics.length && o.metrics.every((m) => /memory/i.test(m.name))) return undefined;
  const raised = Math.min(Math.ceil(o.max * 1.5), hpaCeiling(o.max, DEFAULT_RAISE_BOUNDS));
  if (raised <= o.max) return undefined;
  return {
    tool: 'set_hpa_max_replicas',
    args: { name: o.name, namespace: o.namespace, maxReplicas: raised },
    why: `HPA ${o.namespace}/${o.name} is held at its maxReplicas ${o.max} while its metrics ask for more; raise the ceiling to ${raised} (check node capacity and quotas first).`,
  };
}

/** The figures of "exceeded quota: NAME, requested: pods=1, used: pods=4, limited: pods=4". */
export function parseQuotaRefusal(message: string): { quota: string; requested: Record<string, string>; used: Record<string, string>; limited: Record<string, string> } | undefined {
  const m = /exceeded quota: ([a-z0-9.-]+), requested: (.*?), used: (.*?), limited: (\S+(?:,\S+)*)/.exec(message);
  if (!m) return undefined;
  const pairs = (s: string) => Object.fromEntries(s.split(',').map((p) => p.split('=')).filter((kv) => kv.length === 2).map(([k, v]) => [k.trim(), v.trim()]));
  return { quota: m[1], requested: pairs(m[2]), used: pairs(m[3]), limited: pairs(m[4]) };
}

/** A quantity of `resource` as a quota writes it: counts whole, CPU in millicores, bytes in Mi. */
function quotaQuantity(resource: string, value: number): string {
  if (/cpu/.test(resource)) return `${Math.ceil(value * 1000)}m`;
  if (/memory|storage/.test(resource)) return `${Math.ceil(value / 2 ** 20)}Mi`;
  return String(Math.ceil(value));
}

/**
 * set_quota_hard, for a workload whose pods a ResourceQuota refuses on one resource: room for the missing
 * pods (what is used plus their requests), when that is within the bound of one change.
 */
export function quotaRoomFix(message: string, namespace: string, missingPods: number): Call | undefined {
  const q = parseQuotaRefusal(message);
  if (!q || missingPods < 1) return undefined;
  const resources = Object.keys(q.limited);
  if (resources.length !== 1) return undefined;
  const r = resources[0];
  const [hard, used, per] = [quantity(q.limited[r]), quantity(q.used[r]), quantity(q.requested[r])];
  if (hard === undefined || used === undefined || per === undefined || hard <= 0) return undefined;
  const need = used + per * missingPods;
  if (need <= hard || need > hard * DEFAULT_RAISE_BOUNDS.quotaMaxFactor) return undefined;
  const value = quotaQuantity(r, need);
  return {
    tool: 'set_quota_hard',
    args: { name: q.quota, namespace, resource: r, value },
    why: `ResourceQuota ${namespace}/${q.quota} refuses the pods at ${r} ${q.used[r]} of ${q.limited[r]} (each asks ${q.requested[r]}); raise its ${r} limit to ${value}, room for the ${missingPods} missing pod${missingPods === 1 ? '' : 's'}.`,
  };
}

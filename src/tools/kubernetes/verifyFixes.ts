// Did a raised bound work? The verification plans and checks of set_hpa_max_replicas and set_quota_hard
// (verify.ts calls them; set_probe_timing is verified as a rollout there):
//   set_hpa_max_replicas: spec.maxReplicas is the value set, and the HPA is no longer held by it: it runs
//     fewer replicas than its ceiling, or its ScalingLimited condition no longer says TooManyReplicas;
//   set_quota_hard: spec.hard and status.hard (the quota controller's) show the new limit, and the
//     workload the alert names in that namespace is no longer refused: no ReplicaFailure condition, and as
//     many pods as it wants exist.
// A check never throws: what cannot be read is a failing line.
import type { VerificationCheck, VerificationPlan } from '../../contracts/investigation.js';
import type { ToolContext } from './context.js';
import { describeApiError, httpCode } from './errors.js';
import { parseQuantity } from './quantity.js';

/** What is checked (stored as JSON in the verify step). */
export type FixTarget =
  | { check: 'hpaMax'; name: string; namespace: string; maxReplicas: number }
  | { check: 'quotaHard'; name: string; namespace: string; resource: string; value: string; workload?: { kind: 'Deployment' | 'StatefulSet'; name: string } };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The plan of a raised bound, or undefined when the tool is not one of these (or nothing changed). */
export function planFixVerification(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined, alertLabels: Record<string, string>): VerificationPlan | undefined {
  const name = str(data?.name) ?? str(args.name);
  const namespace = str(data?.namespace) ?? str(args.namespace);
  if (!name || !namespace) return undefined;
  if (tool === 'set_hpa_max_replicas') {
    const maxReplicas = num((data?.maxReplicas as { after?: unknown } | undefined)?.after) ?? num(args.maxReplicas);
    if (maxReplicas === undefined) return undefined;
    const target: FixTarget = { check: 'hpaMax', name, namespace, maxReplicas };
    return { what: `HorizontalPodAutoscaler ${namespace}/${name} keeps spec.maxReplicas ${maxReplicas} and is no longer held at its ceiling (fewer replicas than it, or ScalingLimited no longer TooManyReplicas)`, target };
  }
  if (tool === 'set_quota_hard') {
    const resource = str(data?.resource) ?? str(args.resource);
    const value = str((data?.hard as { after?: unknown } | undefined)?.after) ?? str(args.value);
    if (!resource || !value) return undefined;
    const sameNamespace = !alertLabels.namespace || alertLabels.namespace === namespace;
    const workload = !sameNamespace ? undefined : alertLabels.deployment ? { kind: 'Deployment' as const, name: alertLabels.deployment } : alertLabels.statefulset ? { kind: 'StatefulSet' as const, name: alertLabels.statefulset } : undefined;
    const target: FixTarget = { check: 'quotaHard', name, namespace, resource, value, ...(workload ? { workload } : {}) };
    const also = workload ? `, and ${workload.kind} ${namespace}/${workload.name} is no longer refused (no ReplicaFailure, all its pods created)` : '';
    return { what: `ResourceQuota ${namespace}/${name} enforces ${resource} ${value} (spec.hard and status.hard)${also}`, target };
  }
  return undefined;
}

export function isFixTarget(t: { check?: unknown }): t is FixTarget {
  return t.check === 'hpaMax' || t.check === 'quotaHard';
}

export async function checkFix(ctx: Pick<ToolContext, 'core' | 'apps' | 'autoscaling'>, t: FixTarget): Promise<VerificationCheck> {
  return t.check === 'hpaMax' ? hpaCheck(ctx, t) : quotaCheck(ctx, t);
}

async function read<T>(fn: () => Promise<T>, what: string, resource: string, name: string, namespace: string): Promise<{ obj: T } | { error: string }> {
  try {
    return { obj: await fn() };
  } catch (err) {
    return { error: httpCode(err) === 404 ? `${what} ${namespace}/${name}: not found` : `could not read ${what} ${namespace}/${name}: ${describeApiError(err, { verb: 'get', resource, name, namespace })}` };
  }
}

async function hpaCheck(ctx: Pick<ToolContext, 'autoscaling'>, t: Extract<FixTarget, { check: 'hpaMax' }>): Promise<VerificationCheck> {
  const r = await read(() => ctx.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: t.name, namespace: t.namespace }), 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', t.name, t.namespace);
  if ('error' in r) return { ok: false, lines: [r.error] };
  const max = r.obj.spec?.maxReplicas;
  const current = r.obj.status?.currentReplicas;
  const desired = r.obj.status?.desiredReplicas;
  const limited = r.obj.status?.conditions?.find((c) => c.type === 'ScalingLimited');
  const heldByMax = limited?.status === 'True' && limited.reason === 'TooManyReplicas';
  const kept = max === t.maxReplicas;
  const below = current !== undefined && max !== undefined && current < max;
  const lines = [
    `HorizontalPodAutoscaler ${t.namespace}/${t.name}: spec.maxReplicas ${max ?? '?'}${kept ? '' : ` (not the ${t.maxReplicas} set: another writer changed it)`}; currentReplicas ${current ?? '?'}, desiredReplicas ${desired ?? '?'}`,
    limited ? `condition ScalingLimited=${limited.status} (${limited.reason ?? ''})${limited.message ? `: ${limited.message}` : ''}` : 'no ScalingLimited condition',
  ];
  const free = below || !heldByMax;
  lines.push(free ? `not held at its ceiling: ${below ? `${current} replicas, below the maximum ${max}` : 'ScalingLimited is not TooManyReplicas'}` : `still held at its ceiling: ${current ?? '?'} of ${max ?? '?'} replicas and ScalingLimited TooManyReplicas`);
  return { ok: kept && free, lines };
}

async function quotaCheck(ctx: Pick<ToolContext, 'core' | 'apps'>, t: Extract<FixTarget, { check: 'quotaHard' }>): Promise<VerificationCheck> {
  const r = await read(() => ctx.core.readNamespacedResourceQuota({ name: t.name, namespace: t.namespace }), 'ResourceQuota', 'resourcequotas', t.name, t.namespace);
  if ('error' in r) return { ok: false, lines: [r.error] };
  const want = parseQuantity(t.value);
  const spec = r.obj.spec?.hard?.[t.resource];
  const status = r.obj.status?.hard?.[t.resource];
  const used = r.obj.status?.used?.[t.resource];
  const specOk = parseQuantity(spec) === want;
  const statusOk = parseQuantity(status) === want;
  const lines = [
    `ResourceQuota ${t.namespace}/${t.name}: ${t.resource} spec.hard ${spec ?? '<unset>'}${specOk ? '' : ` (not the ${t.value} set: another writer changed it)`}, status.hard ${status ?? '<unset>'}${statusOk ? '' : ' (the quota controller has not enforced it yet)'}, used ${used ?? '?'}`,
  ];
  if (!t.workload) return { ok: specOk && statusOk, lines };
  const w = await workloadRefused(ctx, t.workload.kind, t.workload.name, t.namespace);
  return { ok: specOk && statusOk && w.ok, lines: [...lines, w.line] };
}

/** Whether the workload's controller still cannot create its pods: a ReplicaFailure condition, or fewer pods than wanted. */
async function workloadRefused(ctx: Pick<ToolContext, 'apps'>, kind: 'Deployment' | 'StatefulSet', name: string, namespace: string): Promise<{ ok: boolean; line: string }> {
  const r =
    kind === 'Deployment'
      ? await read(() => ctx.apps.readNamespacedDeployment({ name, namespace }), kind, 'deployments', name, namespace)
      : await read(() => ctx.apps.readNamespacedStatefulSet({ name, namespace }), kind, 'statefulsets', name, namespace);
  if ('error' in r) return { ok: false, line: r.error };
  const want = r.obj.spec?.replicas ?? 1;
  const have = r.obj.status?.replicas ?? 0;
  const failure = (r.obj.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const ok = have >= want && !failure;
  const why = failure ? `; ReplicaFailure (${failure.reason ?? ''}): ${failure.message ?? ''}` : '';
  return { ok, line: `${kind} ${namespace}/${name}: ${have} of ${want} pods created${why}${ok ? ': no longer refused' : ''}` };
}

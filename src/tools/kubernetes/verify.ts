// Did the action work? (issue 22: closed-loop remediation.) After a built-in mutating tool succeeded, the
// engine's Verifying phase checks, poll by poll within VERIFY_TIMEOUT, what the action was meant to bring
// about, read with the operator's own client:
//   rollout_restart, set_resources, set_probe_timing, rollback_deployment: the rollout completes (observedGeneration at least
//     the generation the change made; every replica updated and available, no old ones left) and the
//     workload's pods are Ready, not waiting (CrashLoopBackOff, ImagePullBackOff, ...) and, when new, not
//     restarting;
//   scale: spec.replicas is still the count set, and that many pods are Ready and not restarting;
//   delete_pod: the pod is gone (or replaced by a Ready one of the same name), and its controller has all
//     its pods Ready and not restarting again;
//   cordon_node / uncordon_node: the node is (un)schedulable;
//   set_hpa_max_replicas, set_quota_hard: the raised bound holds and no longer holds back (verifyFixes.ts);
//   expand_pvc, renew_certificate: the claim's capacity reached the new size; the certificate was re-issued
//     (Ready with a later notAfter) (verifyStorage.ts).
// Where the alert names a pod in the action's namespace, that pod must be gone or Ready too: the
// condition the rule saw is gone, not only the action done. The plan is data (kept in the verify step),
// so a restarted operator checks the same thing. A check never throws: what cannot be read is a failing line.
import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import type { VerificationCheck, VerificationPlan, Verifier } from '../../contracts/investigation.js';
import { redact } from '../../redaction/redact.js';
import type { ToolContext } from './context.js';
import { describeApiError, httpCode } from './errors.js';
import { podRestarts, podStatus } from './podFormat.js';
import { selectorString } from './workloads.js';
import { checkFix, isFixTarget, planFixVerification, type FixTarget } from './verifyFixes.js';
import { checkStorageTarget, isStorageTarget, planStorageVerification, type StorageTarget } from './verifyStorage.js';

type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet';

/** What is checked (stored as JSON in the verify step). */
export type VerifyTarget =
  | { check: 'rollout'; kind: WorkloadKind; name: string; namespace: string; generation?: number; replicas?: number; alertPod?: string }
  | { check: 'podGone'; name: string; namespace: string; owner?: { kind: string; name: string }; alertPod?: string }
  | { check: 'node'; name: string; unschedulable: boolean }
  | FixTarget
  | StorageTarget;

/** Pods created this long before the action finished count as new (the controller may beat our clock). */
const NEW_POD_SLACK_MS = 30_000;
const MAX_POD_LINES = 12;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** The plan for a finished action of the built-in tools, or undefined when it has none (a tool of another server). */
export function planVerification(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined, alertLabels: Record<string, string>): VerificationPlan | undefined {
  const name = str(data?.name) ?? str(args.name);
  const namespace = str(data?.namespace) ?? str(args.namespace);
  if (!name) return undefined;
  const alertPod = namespace && alertLabels.pod && (!alertLabels.namespace || alertLabels.namespace === namespace) ? alertLabels.pod : undefined;
  const podClause = alertPod ? `; the alert's pod ${namespace}/${alertPod} is gone or Ready and not restarting` : '';
  const generation = num((data?.generation as { after?: unknown } | undefined)?.after);
  switch (tool) {
    case 'rollout_restart':
    case 'set_resources':
    case 'set_probe_timing':
    case 'rollback_deployment': {
      const kind = tool === 'rollback_deployment' ? 'Deployment' : (str(data?.kind) ?? str(args.kind));
      if (!namespace || !kind || !WORKLOADS.has(kind)) return undefined;
      const target: VerifyTarget = { check: 'rollout', kind: kind as WorkloadKind, name, namespace, ...(generation !== undefined ? { generation } : {}), ...(alertPod ? { alertPod } : {}) };
      return { what: `the rollout of ${kind} ${namespace}/${name} completes and its pods are Ready and not restarting${podClause}`, target };
    }
    case 'scale': {
      const kind = str(data?.kind) ?? str(args.kind);
      const replicas = num((data?.replicas as { after?: unknown } | undefined)?.after) ?? num(args.replicas);
      if (!namespace || !kind || !['Deployment', 'StatefulSet', 'ReplicaSet'].includes(kind) || replicas === undefined) return undefined;
      const target: VerifyTarget = { check: 'rollout', kind: kind as WorkloadKind, name, namespace, replicas, ...(alertPod ? { alertPod } : {}) };
      return { what: `${kind} ${namespace}/${name} keeps spec.replicas ${replicas} and runs ${replicas} Ready pods that are not restarting${podClause}`, target };
    }
    case 'delete_pod': {
      if (!namespace) return undefined;
      const o = data?.owner as { kind?: unknown; name?: unknown } | undefined;
      const owner = str(o?.kind) && str(o?.name) ? { kind: str(o?.kind)!, name: str(o?.name)! } : undefined;
      const target: VerifyTarget = { check: 'podGone', name, namespace, ...(owner ? { owner } : {}), ...(alertPod && alertPod !== name ? { alertPod } : {}) };
      const replaced = owner ? ` and ${owner.kind} ${owner.name} has all its pods Ready and not restarting` : '';
      return { what: `pod ${namespace}/${name} is gone (or replaced by a Ready pod of the same name)${replaced}${alertPod && alertPod !== name ? podClause : ''}`, target };
    }
    case 'cordon_node':
    case 'uncordon_node': {
      const unschedulable = tool === 'cordon_node';
      return { what: `node ${name} is ${unschedulable ? 'unschedulable (cordoned)' : 'schedulable'}`, target: { check: 'node', name, unschedulable } satisfies VerifyTarget };
    }
    case 'expand_pvc':
    case 'renew_certificate':
      return planStorageVerification(tool, args, data);
    default:
      return planFixVerification(tool, args, data, alertLabels);
  }
}

/** The verifier of the built-in tools' actions (wired in src/operator/). */
export function createVerifier(ctx: Pick<ToolContext, 'core' | 'apps' | 'autoscaling' | 'custom'>, builtinServer: string): Verifier {
  return {
    plan: (a) => (a.server === builtinServer ? planVerification(a.tool, a.arguments, a.data, a.alertLabels) : undefined),
    check: async (target, since) => {
      const r = await checkTarget(ctx, target as VerifyTarget, since).catch((err: unknown) => ({ ok: false, lines: [`could not check: ${(err as Error).message}`] }));
      return { ok: r.ok, lines: redact(r.lines) as string[] };
    },
  };
}

async function checkTarget(ctx: Pick<ToolContext, 'core' | 'apps' | 'autoscaling' | 'custom'>, t: VerifyTarget, since: Date): Promise<VerificationCheck> {
  if (isFixTarget(t)) return checkFix(ctx, t);
  if (isStorageTarget(t)) return checkStorageTarget(ctx, t);
  switch (t.check) {
    case 'rollout': {
      const main = await workloadCheck(ctx, t, since);
      return t.alertPod ? both(main, await alertPodCheck(ctx, t.namespace, t.alertPod, since)) : main;
    }
    case 'podGone': {
      const main = await podGoneCheck(ctx, t, since);
      return t.alertPod ? both(main, await alertPodCheck(ctx, t.namespace, t.alertPod, since)) : main;
    }
    case 'node': {
      const r = await read(() => ctx.core.readNode({ name: t.name }), 'node', t.name);
      if ('error' in r) return { ok: false, lines: [r.error] };
      const now = r.obj.spec?.unschedulable ?? false;
      return { ok: now === t.unschedulable, lines: [`node ${t.name}: spec.unschedulable ${now}${now === t.unschedulable ? '' : ` (expected ${t.unschedulable})`}`] };
    }
    default:
      return { ok: false, lines: [`unknown verification ${JSON.stringify(t).slice(0, 200)}`] };
  }
}

const both = (a: VerificationCheck, b: VerificationCheck): VerificationCheck => ({ ok: a.ok && b.ok, lines: [...a.lines, ...b.lines] });

async function read<T>(fn: () => Promise<T>, kind: string, name: string, namespace?: string): Promise<{ obj: T } | { error: string; gone?: boolean }> {
  try {
    return { obj: await fn() };
  } catch (err) {
    const gone = httpCode(err) === 404;
    return { error: gone ? `${kind} ${namespace ? `${namespace}/` : ''}${name}: not found` : `could not read ${kind} ${name}: ${describeApiError(err, { verb: 'get', resource: `${kind.toLowerCase()}s`, name, namespace })}`, gone };
  }
}

interface WorkloadStatus {
  kind: WorkloadKind;
  generation?: number;
  observed?: number;
  want: number;
  spec?: number;
  updated?: number;
  ready?: number;
  available?: number;
  total?: number;
  revisionsMatch?: boolean;
  stuck?: string;
  selector?: V1LabelSelector;
  uid?: string;
}

async function readWorkload(ctx: Pick<ToolContext, 'apps'>, kind: WorkloadKind, name: string, namespace: string) {
  switch (kind) {
    case 'Deployment': {
      const r = await read(() => ctx.apps.readNamespacedDeployment({ name, namespace }), kind, name, namespace);
      if ('error' in r) return r;
      const d = r.obj;
      const s = d.status ?? {};
      const stuck = s.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
      const want = d.spec?.replicas ?? 1;
      return { status: { kind, generation: d.metadata?.generation, observed: s.observedGeneration, want, spec: want, updated: s.updatedReplicas ?? 0, ready: s.readyReplicas ?? 0, available: s.availableReplicas ?? 0, total: s.replicas ?? 0, stuck: stuck?.message, selector: d.spec?.selector, uid: d.metadata?.uid } satisfies WorkloadStatus };
    }
    case 'StatefulSet': {
      const r = await read(() => ctx.apps.readNamespacedStatefulSet({ name, namespace }), kind, name, namespace);
      if ('error' in r) return r;
      const d = r.obj;
      const s = d.status;
      const want = d.spec?.replicas ?? 1;
      return { status: { kind, generation: d.metadata?.generation, observed: s?.observedGeneration, want, spec: want, updated: s?.updatedReplicas ?? 0, ready: s?.readyReplicas ?? 0, available: s?.availableReplicas ?? s?.readyReplicas ?? 0, total: s?.replicas ?? 0, revisionsMatch: !s?.updateRevision || s.currentRevision === s.updateRevision, selector: d.spec?.selector, uid: d.metadata?.uid } satisfies WorkloadStatus };
    }
    case 'DaemonSet': {
      const r = await read(() => ctx.apps.readNamespacedDaemonSet({ name, namespace }), kind, name, namespace);
      if ('error' in r) return r;
      const d = r.obj;
      const s = d.status;
      const want = s?.desiredNumberScheduled ?? 0;
      return { status: { kind, generation: d.metadata?.generation, observed: s?.observedGeneration, want, updated: s?.updatedNumberScheduled ?? 0, ready: s?.numberReady ?? 0, available: s?.numberAvailable ?? 0, total: s?.currentNumberScheduled ?? 0, selector: d.spec?.selector, uid: d.metadata?.uid } satisfies WorkloadStatus };
    }
    case 'ReplicaSet': {
      const r = await read(() => ctx.apps.readNamespacedReplicaSet({ name, namespace }), kind, name, namespace);
      if ('error' in r) return r;
      const d = r.obj;
      const s = d.status;
      const want = d.spec?.replicas ?? 1;
      return { status: { kind, generation: d.metadata?.generation, observed: s?.observedGeneration, want, spec: want, updated: s?.replicas ?? 0, ready: s?.readyReplicas ?? 0, available: s?.availableReplicas ?? 0, total: s?.replicas ?? 0, selector: d.spec?.selector, uid: d.metadata?.uid } satisfies WorkloadStatus };
    }
  }
}

/** The rollout of a workload complete, with every pod of it healthy (and the replica count kept, after a scale). */
async function workloadCheck(ctx: Pick<ToolContext, 'core' | 'apps'>, t: Extract<VerifyTarget, { check: 'rollout' }>, since: Date): Promise<VerificationCheck> {
  const r = await readWorkload(ctx, t.kind, t.name, t.namespace);
  if ('error' in r) return { ok: false, lines: [r.error] };
  const s = r.status;
  const lines: string[] = [];
  let ok = true;
  const minGen = Math.max(s.generation ?? 0, t.generation ?? 0);
  const observedOk = (s.observed ?? 0) >= minGen;
  if (t.replicas !== undefined && s.spec !== t.replicas) {
    ok = false;
    lines.push(`${t.kind} ${t.namespace}/${t.name}: spec.replicas is ${s.spec}, not the ${t.replicas} set (a HorizontalPodAutoscaler or another writer changed it)`);
  }
  const complete = observedOk && s.updated === s.want && s.available === s.want && s.ready === s.want && s.total === s.want && s.revisionsMatch !== false;
  ok &&= complete;
  const counts = `${s.updated}/${s.want} updated, ${s.ready}/${s.want} ready, ${s.available}/${s.want} available, ${s.total} in total`;
  lines.push(
    `${t.kind} ${t.namespace}/${t.name}: generation ${s.generation ?? '?'}, observed ${s.observed ?? '?'}${t.generation !== undefined ? ` (the change made generation ${t.generation})` : ''}; ${counts}${s.revisionsMatch === false ? '; current revision is not the update revision yet' : ''}: ${complete ? 'rollout complete' : 'rollout not complete'}${s.stuck ? ` (${s.stuck})` : ''}`,
  );
  const pods = await podsOf(ctx, t.namespace, s.selector, s.kind, s.uid);
  if ('error' in pods) return { ok: false, lines: [...lines, pods.error] };
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
  const leaving = pods.items.length - live.length;
  if (live.length !== s.want) {
    ok = false;
    lines.push(`${live.length} pods running, ${s.want} wanted${leaving ? `; ${leaving} terminating` : ''}`);
  } else if (leaving) {
    ok = false;
    lines.push(`${leaving} old pods still terminating`);
  }
  const health = live.map((p) => podHealth(p, since));
  if (health.some((h) => !h.ok)) ok = false;
  lines.push(...podLines(health));
  return { ok, lines };
}

/** The workload's pods: those its selector matches that it controls (a Deployment through its ReplicaSets). */
async function podsOf(ctx: Pick<ToolContext, 'core' | 'apps'>, namespace: string, selector: V1LabelSelector | undefined, kind: WorkloadKind, uid: string | undefined): Promise<{ items: V1Pod[] } | { error: string }> {
  const labelSelector = selectorString(selector);
  if (!labelSelector) return { error: 'the workload has no selector: its pods cannot be told' };
  try {
    let owners = new Set([uid]);
    if (kind === 'Deployment') {
      const rss = await ctx.apps.listNamespacedReplicaSet({ namespace, labelSelector });
      owners = new Set(rss.items.filter((rs) => (rs.metadata?.ownerReferences ?? []).some((o) => o.uid === uid)).map((rs) => rs.metadata?.uid));
    }
    const list = await ctx.core.listNamespacedPod({ namespace, labelSelector });
    const items = list.items.filter((p) => (p.metadata?.ownerReferences ?? []).some((o) => o.controller && owners.has(o.uid)));
    return { items: items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')) };
  } catch (err) {
    return { error: `could not list the pods: ${describeApiError(err, { verb: 'list', resource: 'pods', namespace })}` };
  }
}

interface PodHealth {
  ok: boolean;
  line: string;
}

/** Ready, nothing waiting, and a pod made by the action not restarted. */
export function podHealth(p: V1Pod, since: Date): PodHealth {
  const name = p.metadata?.name ?? '?';
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const waiting = (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => r && r !== 'ContainerCreating' && r !== 'PodInitializing');
  const restarts = podRestarts(p);
  const created = Date.parse(String(p.metadata?.creationTimestamp ?? '')) || 0;
  const isNew = created >= since.getTime() - NEW_POD_SLACK_MS;
  const restarted = isNew && restarts > 0;
  const ok = ready && !waiting && !restarted && !p.metadata?.deletionTimestamp;
  const why = [!ready ? `not Ready (${podStatus(p)})` : 'Ready', waiting && ready ? waiting : '', `${restarts} restart${restarts === 1 ? '' : 's'}${restarted ? ' since the action' : ''}`].filter(Boolean).join(', ');
  return { ok, line: `pod ${name}${isNew ? ' (new)' : ''}: ${why}` };
}

function podLines(h: PodHealth[]): string[] {
  // The failing ones first: they are what a person needs to see.
  const sorted = [...h.filter((x) => !x.ok), ...h.filter((x) => x.ok)];
  if (sorted.length <= MAX_POD_LINES) return sorted.map((x) => x.line);
  const rest = sorted.slice(MAX_POD_LINES);
  return [...sorted.slice(0, MAX_POD_LINES).map((x) => x.line), `… ${rest.length} more pods (${rest.filter((x) => x.ok).length} healthy)`];
}

/** The deleted pod gone (or a healthy replacement of the same name), and its controller's pods healthy. */
async function podGoneCheck(ctx: Pick<ToolContext, 'core' | 'apps'>, t: Extract<VerifyTarget, { check: 'podGone' }>, since: Date): Promise<VerificationCheck> {
  const lines: string[] = [];
  let ok = true;
  const r = await read(() => ctx.core.readNamespacedPod({ name: t.name, namespace: t.namespace }), 'pod', t.name, t.namespace);
  if ('error' in r) {
    if (!r.gone) return { ok: false, lines: [r.error] };
    lines.push(`pod ${t.namespace}/${t.name}: gone`);
  } else if (r.obj.metadata?.deletionTimestamp) {
    ok = false;
    lines.push(`pod ${t.namespace}/${t.name}: still terminating`);
  } else {
    const h = podHealth(r.obj, since);
    ok &&= h.ok;
    lines.push(`${h.line} (a pod of the same name replaced it)`);
  }
  const owner = t.owner;
  if (owner && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet')) {
    const w = await workloadCheck(ctx, { check: 'rollout', kind: owner.kind, name: owner.name, namespace: t.namespace }, since);
    ok &&= w.ok;
    lines.push(...w.lines);
  } else if (owner) {
    lines.push(`owned by ${owner.kind} ${owner.name}: its pods are not checked`);
  }
  return { ok, lines };
}

/** The pod the alert is about: gone, or Ready and not waiting. */
async function alertPodCheck(ctx: Pick<ToolContext, 'core'>, namespace: string, pod: string, since: Date): Promise<VerificationCheck> {
  const r = await read(() => ctx.core.readNamespacedPod({ name: pod, namespace }), 'pod', pod, namespace);
  if ('error' in r) return r.gone ? { ok: true, lines: [`the alert's pod ${namespace}/${pod}: gone`] } : { ok: false, lines: [r.error] };
  if (r.obj.metadata?.deletionTimestamp) return { ok: false, lines: [`the alert's pod ${namespace}/${pod}: still terminating`] };
  const h = podHealth(r.obj, since);
  return { ok: h.ok, lines: [`the alert's ${h.line}`] };
}

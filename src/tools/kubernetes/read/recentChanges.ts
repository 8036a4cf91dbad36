// recent_changes: what changed, before an alert, to an object and to what it depends on — from the API
// server's own records only: ReplicaSet revisions (pod-template differences between consecutive
// revisions), StatefulSet/DaemonSet ControllerRevisions, the workload's managedFields (who updated it,
// when), ConfigMaps the pod uses (creation and managedFields times and the keys written, never values),
// the node's condition transitions, HorizontalPodAutoscaler scaling, and the Events of those objects.
// Secrets are named but not read: the ServiceAccount has no access to Secrets by design.
import type { CoreV1Event, V1ManagedFieldsEntry, V1ObjectMeta, V1Pod, V1PodSpec, V1PodTemplateSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { RecentChangesOutput, type Change, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, type ToolContext } from '../context.js';
import { compact } from '../data.js';
import { diffObjects } from '../diff.js';
import { k8s, ToolError } from '../errors.js';
import { eventCount, eventTime, fetchEvents } from '../events.js';
import { clip, humanDuration, isoTime, oneLine, toMillis } from '../format.js';
import { normalizeWorkloadKind, objectName, optionalNamespace } from '../schemas.js';
import { CHANGE_CAUSE_ANNOTATION, ownedBy, ownedReplicaSets, revisionOf } from '../workloads.js';

export const CHANGE_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Node', 'PersistentVolumeClaim'] as const;
type ChangeKind = (typeof CHANGE_KINDS)[number];
type Workload = { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'; name: string };
type Data = OutputOf<'recent_changes'>;

const MAX_CHANGES = 30;
const MAX_CONFIGMAPS = 10;
const MAX_EVENTS_PER_OBJECT = 5;
/** Events that record a change, not a symptom (a pod's BackOff is a symptom; a ReplicaSet scaled is a change). */
const CHANGE_EVENT = /^(ScalingReplicaSet|SuccessfulRescale|SuccessfulCreate|SuccessfulDelete|NodeNotReady|NodeReady|NodeNotSchedulable|NodeSchedulable|Rebooted|NodeHasDiskPressure|NodeHasInsufficientMemory|NodeHasNoDiskPressure|NodeHasSufficientMemory|NodeHasInsufficientPID|RegisteredNode|RemovingNode|DeletingNode|NodeAllocatableEnforced|Starting|ExternalExpanding|Resizing|FileSystemResizeRequired|FileSystemResizeSuccessful|VolumeResizeFailed|ProvisioningSucceeded|FailedRescale|DeploymentRollback|DeploymentPaused|DeploymentResumed)$/;

interface Window {
  since: number;
  until: number;
  now: number;
}

type Collected = { changes: Change[]; objects: string[]; unreadable: Array<{ object: string; why: string }> };

const inWindow = (t: number | undefined, w: Window) => t !== undefined && t >= w.since && t <= w.now;
const mark = (c: Omit<Change, 'afterStart'>, w: Window): Change => (toMillis(c.at)! > w.until ? { ...c, afterStart: true } : c);
const why = (err: unknown) => clip(oneLine(err instanceof Error ? err.message : String(err)), 200);

/** Who wrote an object and when (managedFields entries of spec/data writers, not status), inside the window. */
function writers(meta: V1ObjectMeta | undefined, w: Window): Array<{ at: number; manager: string; operation: string; fields: string[] }> {
  return (meta?.managedFields ?? [])
    .filter((m: V1ManagedFieldsEntry) => !m.subresource && (m.operation === 'Update' || m.operation === 'Apply'))
    .map((m) => ({ at: toMillis(m.time) ?? 0, manager: m.manager ?? '?', operation: m.operation ?? '?', fields: topFields(m.fieldsV1) }))
    .filter((m) => inWindow(m.at, w));
}

/** The fields a managedFields entry owns, two levels deep: "data.app.properties", "spec.template" (names only). */
function topFields(fieldsV1: unknown): string[] {
  if (!fieldsV1 || typeof fieldsV1 !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(fieldsV1 as Record<string, unknown>)) {
    if (!k.startsWith('f:') || k === 'f:metadata') continue;
    const top = k.slice(2);
    const subs = v && typeof v === 'object' ? Object.keys(v as Record<string, unknown>).filter((s) => s.startsWith('f:')).map((s) => `${top}.${s.slice(2)}`) : [];
    out.push(...(subs.length ? subs : [top]));
  }
  return out.slice(0, 12);
}

/** Pod-template differences, without the hash label the controller adds to every revision. */
function templateDiff(before: V1PodTemplateSpec | undefined, after: V1PodTemplateSpec | undefined): string[] {
  const strip = (t: V1PodTemplateSpec | undefined) => {
    if (!t) return t;
    const labels = { ...(t.metadata?.labels ?? {}) };
    delete labels['pod-template-hash'];
    delete labels['controller-revision-hash'];
    return { ...t, metadata: { ...(t.metadata ?? {}), labels } };
  };
  return diffObjects(strip(before), strip(after), 12).map((l) => l.replace(/^spec\./, '').replace(/^metadata\.annotations\.kubectl\.kubernetes\.io\/restartedAt/, 'restartedAt (rollout restart)'));
}

function eventChanges(events: CoreV1Event[], object: string, w: Window, type: Change['type']): Change[] {
  return events
    .filter((e) => CHANGE_EVENT.test(e.reason ?? '') && inWindow(eventTime(e), w))
    .slice(0, MAX_EVENTS_PER_OBJECT)
    .map((e) => mark({ at: isoTime(eventTime(e)), type, object, summary: clip(`${e.reason}${eventCount(e) > 1 ? ` (x${eventCount(e)})` : ''}: ${oneLine(e.message ?? '')}`, 300), source: 'event' }, w));
}

async function objectEvents(ctx: ToolContext, namespace: string | undefined, kind: string, name: string, object: string, w: Window, type: Change['type'], out: Collected): Promise<void> {
  try {
    const { events } = await fetchEvents(ctx, { namespace, kind, name }, 200);
    out.changes.push(...eventChanges(events, object, w, type));
  } catch (err) {
    out.unreadable.push({ object: `events of ${object}`, why: why(err) });
  }
}

// ── workloads ─────────────────────────────────────────────────────────────────────────────────────

async function deploymentChanges(ctx: ToolContext, namespace: string, name: string, w: Window, out: Collected): Promise<V1PodTemplateSpec | undefined> {
  const object = `Deployment/${name}`;
  const d = await k8s({ verb: 'get', resource: 'deployments', group: 'apps', name, namespace }, () => ctx.apps.readNamespacedDeployment({ name, namespace }));
  out.objects.push(object);
  const rss = await ownedReplicaSets(ctx, d); // highest revision first
  for (let i = 0; i < rss.length; i++) {
    const rs = rss[i];
    const created = toMillis(rs.metadata?.creationTimestamp);
    if (!inWindow(created, w)) continue;
    const prev = rss[i + 1];
    const diff = prev ? templateDiff(prev.spec?.template, rs.spec?.template) : [];
    const cause = rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION];
    const ready = `${rs.status?.readyReplicas ?? 0}/${rs.spec?.replicas ?? 0} ready`;
    out.changes.push(
      mark(
        compact({
          at: isoTime(created),
          type: 'rollout' as const,
          object,
          summary: clip(
            `${object} rolled out revision ${revisionOf(rs)} (ReplicaSet ${rs.metadata?.name}, ${ready})` +
              (prev ? `; from revision ${revisionOf(prev)}: ${diff.length ? diff.slice(0, 3).join('; ') : 'no pod-template difference'}` : '; its first revision') +
              (cause ? `; change-cause: ${cause}` : ''),
            600,
          ),
          details: diff.length ? diff : undefined,
          revision: revisionOf(rs),
          previousRevision: prev ? revisionOf(prev) : undefined,
          replicaSet: rs.metadata?.name,
          source: 'ReplicaSet',
        }),
        w,
      ),
    );
  }
  for (const m of writers(d.metadata, w)) {
    if (!m.fields.some((f) => f.startsWith('spec'))) continue;
    out.changes.push(mark({ at: isoTime(m.at), type: 'spec', object, summary: `${object} spec written by ${m.manager} (${m.operation}): ${m.fields.filter((f) => f.startsWith('spec')).join(', ')}`, source: 'managedFields' }, w));
  }
  await objectEvents(ctx, namespace, 'Deployment', name, object, w, 'scaling', out);
  return d.spec?.template;
}

async function revisionChanges(ctx: ToolContext, kind: 'StatefulSet' | 'DaemonSet', namespace: string, name: string, w: Window, out: Collected): Promise<V1PodTemplateSpec | undefined> {
  const object = `${kind}/${name}`;
  const target = { verb: 'get', resource: `${kind.toLowerCase()}s`, group: 'apps', name, namespace };
  const obj = kind === 'StatefulSet' ? await k8s(target, () => ctx.apps.readNamespacedStatefulSet({ name, namespace })) : await k8s(target, () => ctx.apps.readNamespacedDaemonSet({ name, namespace }));
  out.objects.push(object);
  try {
    const list = await k8s({ verb: 'list', resource: 'controllerrevisions', group: 'apps', namespace }, () => ctx.apps.listNamespacedControllerRevision({ namespace }));
    const revs = list.items.filter((r) => ownedBy(r, obj.metadata?.uid)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    const tpl = (r: (typeof revs)[number] | undefined) => (r?.data as { spec?: { template?: V1PodTemplateSpec } } | undefined)?.spec?.template;
    for (let i = 0; i < revs.length; i++) {
      const created = toMillis(revs[i].metadata?.creationTimestamp);
      if (!inWindow(created, w)) continue;
      const prev = revs[i + 1];
      const diff = prev ? templateDiff(tpl(prev), tpl(revs[i])) : [];
      out.changes.push(
        mark(
          compact({
            at: isoTime(created),
            type: 'rollout' as const,
            object,
            summary: clip(`${object} got revision ${revs[i].revision} (ControllerRevision ${revs[i].metadata?.name})${prev ? `; from revision ${prev.revision}: ${diff.length ? diff.slice(0, 3).join('; ') : 'no pod-template difference'}` : ''}`, 600),
            details: diff.length ? diff : undefined,
            revision: revs[i].revision,
            previousRevision: prev?.revision,
            source: 'ControllerRevision',
          }),
          w,
        ),
      );
    }
  } catch (err) {
    out.unreadable.push({ object: `ControllerRevisions of ${object}`, why: why(err) });
  }
  for (const m of writers(obj.metadata, w)) {
    if (!m.fields.some((f) => f.startsWith('spec'))) continue;
    out.changes.push(mark({ at: isoTime(m.at), type: 'spec', object, summary: `${object} spec written by ${m.manager} (${m.operation}): ${m.fields.filter((f) => f.startsWith('spec')).join(', ')}`, source: 'managedFields' }, w));
  }
  await objectEvents(ctx, namespace, kind, name, object, w, 'scaling', out);
  return obj.spec?.template;
}

// ── what a pod depends on ─────────────────────────────────────────────────────────────────────────

/** ConfigMap and Secret names a pod spec references (volumes, projected volumes, env, envFrom, pull secrets). */
export function configRefs(specs: Array<V1PodSpec | undefined>): { configMaps: string[]; secrets: string[] } {
  const cms = new Set<string>();
  const secrets = new Set<string>();
  for (const s of specs) {
    if (!s) continue;
    for (const v of s.volumes ?? []) {
      if (v.configMap?.name) cms.add(v.configMap.name);
      if (v.secret?.secretName) secrets.add(v.secret.secretName);
      for (const p of v.projected?.sources ?? []) {
        if (p.configMap?.name) cms.add(p.configMap.name);
        if (p.secret?.name) secrets.add(p.secret.name);
      }
    }
    for (const c of [...(s.initContainers ?? []), ...(s.containers ?? [])]) {
      for (const e of c.env ?? []) {
        if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
        if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
      }
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef?.name) cms.add(e.configMapRef.name);
        if (e.secretRef?.name) secrets.add(e.secretRef.name);
      }
    }
    for (const p of s.imagePullSecrets ?? []) if (p.name) secrets.add(p.name);
  }
  return { configMaps: [...cms].sort(), secrets: [...secrets].sort() };
}

async function configMapChanges(ctx: ToolContext, namespace: string, names: string[], w: Window, out: Collected): Promise<void> {
  for (const name of names.slice(0, MAX_CONFIGMAPS)) {
    const object = `ConfigMap/${name}`;
    try {
      // Only metadata is used: creation time, resourceVersion and managedFields (who wrote which keys, when).
      const cm = await k8s({ verb: 'get', resource: 'configmaps', name, namespace }, () => ctx.core.readNamespacedConfigMap({ name, namespace }));
      out.objects.push(object);
      const created = toMillis(cm.metadata?.creationTimestamp);
      if (inWindow(created, w)) out.changes.push(mark({ at: isoTime(created), type: 'config', object, summary: `${object} created`, source: 'metadata' }, w));
      for (const m of writers(cm.metadata, w)) {
        if (created !== undefined && Math.abs(m.at - created) < 1000) continue; // the creation itself
        const keys = m.fields.filter((f) => f.startsWith('data.') || f.startsWith('binaryData.'));
        out.changes.push(
          mark({ at: isoTime(m.at), type: 'config', object, summary: `${object} updated by ${m.manager} (${m.operation})${keys.length ? `; keys written: ${keys.map((k) => k.replace(/^(binary)?[dD]ata\./, '')).join(', ')}` : ''} (resourceVersion ${cm.metadata?.resourceVersion})`, source: 'managedFields' }, w),
        );
      }
    } catch (err) {
      out.unreadable.push({ object, why: why(err) });
    }
  }
  if (names.length > MAX_CONFIGMAPS) out.unreadable.push({ object: `${names.length - MAX_CONFIGMAPS} more ConfigMaps`, why: 'not read (bound)' });
}

async function nodeChanges(ctx: ToolContext, name: string, w: Window, out: Collected): Promise<void> {
  const object = `Node/${name}`;
  try {
    const node = await k8s({ verb: 'get', resource: 'nodes', name }, () => ctx.core.readNode({ name }));
    out.objects.push(object);
    for (const c of node.status?.conditions ?? []) {
      const t = toMillis(c.lastTransitionTime);
      if (!inWindow(t, w)) continue;
      out.changes.push(mark({ at: isoTime(t), type: 'node', object, summary: clip(`${object} condition ${c.type} became ${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${oneLine(c.message)}` : ''})` : ''}`, 300), source: 'condition' }, w));
    }
    const created = toMillis(node.metadata?.creationTimestamp);
    if (inWindow(created, w)) out.changes.push(mark({ at: isoTime(created), type: 'node', object, summary: `${object} joined the cluster`, source: 'metadata' }, w));
    for (const m of writers(node.metadata, w)) {
      if (!m.fields.some((f) => f.startsWith('spec'))) continue;
      out.changes.push(mark({ at: isoTime(m.at), type: 'node', object, summary: `${object} spec written by ${m.manager}: ${m.fields.filter((f) => f.startsWith('spec')).join(', ')}${node.spec?.unschedulable ? ' (now unschedulable)' : ''}`, source: 'managedFields' }, w));
    }
  } catch (err) {
    out.unreadable.push({ object, why: why(err) });
  }
  await objectEvents(ctx, undefined, 'Node', name, object, w, 'node', out);
}

async function hpaChanges(ctx: ToolContext, namespace: string, target: { kind: string; name: string }, w: Window, out: Collected): Promise<void> {
  try {
    const list = await k8s({ verb: 'list', resource: 'horizontalpodautoscalers', group: 'autoscaling', namespace }, () => ctx.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }));
    for (const h of list.items.filter((x) => x.spec?.scaleTargetRef?.kind === target.kind && x.spec?.scaleTargetRef?.name === target.name)) {
      const object = `HorizontalPodAutoscaler/${h.metadata?.name}`;
      out.objects.push(object);
      const t = toMillis(h.status?.lastScaleTime);
      if (inWindow(t, w)) {
        out.changes.push(
          mark({ at: isoTime(t), type: 'scaling', object, summary: `${object} last scaled ${target.kind}/${target.name}: now ${h.status?.currentReplicas ?? '?'} replicas, desired ${h.status?.desiredReplicas ?? '?'} (min ${h.spec?.minReplicas ?? 1}, max ${h.spec?.maxReplicas})`, source: 'status' }, w),
        );
      }
      await objectEvents(ctx, namespace, 'HorizontalPodAutoscaler', h.metadata?.name ?? '', object, w, 'scaling', out);
    }
  } catch (err) {
    out.unreadable.push({ object: `HorizontalPodAutoscalers in ${namespace}`, why: why(err) });
  }
}

/** The workload that controls a pod (ReplicaSet → Deployment), by its owner references. */
async function podWorkload(ctx: ToolContext, pod: V1Pod): Promise<{ kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'; name: string } | undefined> {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return undefined;
  if (owner.kind === 'StatefulSet' || owner.kind === 'DaemonSet') return { kind: owner.kind, name: owner.name };
  if (owner.kind !== 'ReplicaSet') return undefined;
  const namespace = pod.metadata?.namespace ?? '';
  const rs = await ctx.apps.readNamespacedReplicaSet({ name: owner.name, namespace }).catch(() => undefined);
  const d = rs?.metadata?.ownerReferences?.find((r) => r.kind === 'Deployment');
  return d ? { kind: 'Deployment', name: d.name } : undefined;
}

/** Everything that changed in the window, for the object and what it depends on. */
async function collect(ctx: ToolContext, kind: ChangeKind, name: string, ns: string, w: Window): Promise<Collected & { workload?: Workload; node?: string }> {
  const out: Collected = { changes: [], objects: [], unreadable: [] };
  const specs: Array<V1PodSpec | undefined> = [];
  let workload: Workload | undefined;
  let node: string | undefined;

  if (kind === 'Pod') {
    const pod = await k8s({ verb: 'get', resource: 'pods', name: name, namespace: ns }, () => ctx.core.readNamespacedPod({ name: name, namespace: ns }));
    out.objects.push(`Pod/${name}`);
    specs.push(pod.spec);
    node = pod.spec?.nodeName;
    const created = toMillis(pod.metadata?.creationTimestamp);
    if (inWindow(created, w)) out.changes.push(mark({ at: isoTime(created), type: 'pod', object: `Pod/${name}`, summary: `Pod/${name} created${pod.metadata?.ownerReferences?.[0] ? ` by ${pod.metadata.ownerReferences[0].kind}/${pod.metadata.ownerReferences[0].name}` : ''}`, source: 'metadata' }, w));
    workload = await podWorkload(ctx, pod);
  } else if (kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet') {
    workload = { kind, name: name };
  } else if (kind === 'Node') {
    node = name;
  } else {
    const object = `PersistentVolumeClaim/${name}`;
    const pvc = await k8s({ verb: 'get', resource: 'persistentvolumeclaims', name: name, namespace: ns }, () => ctx.core.readNamespacedPersistentVolumeClaim({ name: name, namespace: ns }));
    out.objects.push(object);
    for (const c of pvc.status?.conditions ?? []) {
      const t = toMillis(c.lastTransitionTime);
      if (inWindow(t, w)) out.changes.push(mark({ at: isoTime(t), type: 'storage', object, summary: clip(`${object} condition ${c.type} became ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${oneLine(c.message)}` : ''}`, 300), source: 'condition' }, w));
    }
    for (const m of writers(pvc.metadata, w)) {
      if (m.fields.some((f) => f.startsWith('spec'))) out.changes.push(mark({ at: isoTime(m.at), type: 'storage', object, summary: `${object} spec written by ${m.manager}: ${m.fields.filter((f) => f.startsWith('spec')).join(', ')} (requested ${pvc.spec?.resources?.requests?.storage ?? '?'}, capacity ${pvc.status?.capacity?.storage ?? '?'})`, source: 'managedFields' }, w));
    }
    await objectEvents(ctx, ns, 'PersistentVolumeClaim', name, object, w, 'storage', out);
  }

  if (workload) {
    try {
      const tpl = workload.kind === 'Deployment' ? await deploymentChanges(ctx, ns, workload.name, w, out) : await revisionChanges(ctx, workload.kind, ns, workload.name, w, out);
      specs.push(tpl?.spec);
    } catch (err) {
      if (kind !== 'Pod') throw err;
      out.unreadable.push({ object: `${workload.kind}/${workload.name}`, why: why(err) });
    }
    await hpaChanges(ctx, ns, workload, w, out);
  }
  if (kind !== 'Node' && kind !== 'PersistentVolumeClaim') {
    const refs = configRefs(specs);
    await configMapChanges(ctx, ns, refs.configMaps, w, out);
    for (const s of refs.secrets) out.unreadable.push({ object: `Secret/${s}`, why: 'not readable: the operator has no access to Secrets by design, so changes to it cannot be listed' });
  }
  if (node) await nodeChanges(ctx, node, w, out);

  return { ...out, workload, node };
}

/** Each change once (by object and summary), newest first. */
function distinctNewestFirst(changes: Change[]): Change[] {
  const seen = new Set<string>();
  return changes
    .filter((c) => {
      const k = `${c.object}|${c.summary}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((x, y) => (toMillis(y.at) ?? 0) - (toMillis(x.at) ?? 0));
}

/** The text of a recent_changes result, from its data; `alert`: the window ends at the alert's start (`before`), not now. */
export function recentChangesText(d: Data, alert: boolean, now: number): string {
  const since = toMillis(d.since) ?? 0;
  const until = toMillis(d.until) ?? 0;
  const target = `${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`;
  const span = `${d.since} – ${d.until} (${humanDuration(until - since)} before ${alert ? 'the alert started' : 'now'})`;
  const lines = [`Changes to ${target} and what it depends on (${d.objects.join(', ') || 'nothing readable'}), ${span}${until < now ? ', and since then (marked)' : ''}:`];
  if (!d.changes.length) lines.push('  none found: no new revisions, ConfigMap updates, node condition changes or scaling in the window');
  for (const c of d.changes) {
    const at = toMillis(c.at);
    lines.push(`- ${c.at} (${humanDuration(Math.abs(until - (at ?? until)))} ${(at ?? 0) > until ? 'after' : 'before'} ${alert ? 'the alert' : 'now'})${c.afterStart ? ' [after the alert started]' : ''} [${c.type}] ${c.summary}`);
    for (const detail of (c.details ?? []).slice(3)) lines.push(`    ${detail}`);
  }
  if (d.changesTotal > d.changes.length) lines.push(`  ... ${d.changesTotal - d.changes.length} older changes not shown`);
  for (const u of d.unreadable) lines.push(`Not read: ${u.object}: ${u.why}`);
  return lines.join('\n');
}

// ── the tool ──────────────────────────────────────────────────────────────────────────────────────

function parseBefore(s: string | undefined, now: number): number {
  if (!s) return now;
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new ToolError(`invalid argument: before must be an ISO 8601 time such as "2026-01-31T12:00:00Z" (the alert's startsAt); got ${JSON.stringify(s)}`);
  return Math.min(t, now);
}

export const recentChanges = defineTool({
  name: 'recent_changes',
  title: 'Recent changes to an object and what it depends on',
  description:
    'What changed in the window before an alert started (default: 24 hours before `before`, the alert\'s startsAt), from the API server\'s own records: ' +
    'new ReplicaSet/ControllerRevision revisions of the workload with their pod-template differences (image, env, resources, command), who wrote the workload\'s spec (managedFields), ' +
    'ConfigMaps the pod uses (created or updated, which keys; never values), Secrets it uses (named only: not readable by design), the node\'s condition changes, ' +
    'HorizontalPodAutoscaler scaling, and the change events of those objects. Newest first; changes after `before` are marked. For a Pod it follows the owner to its Deployment/StatefulSet/DaemonSet.',
  class: 'read',
  inputSchema: {
    kind: z.enum(CHANGE_KINDS).describe('Kind of the object: Pod, Deployment, StatefulSet, DaemonSet, Node or PersistentVolumeClaim (short names work too).'),
    name: objectName('object'),
    namespace: optionalNamespace('Namespace of the object (not for a Node).'),
    before: z.string().max(64).optional().describe("End of the window, ISO 8601: the alert's startsAt (default: now)."),
    windowMinutes: z.number().int().min(1).max(10080).default(1440).describe('Length of the window before `before`, in minutes (default 1440 = 24h, at most 7 days).'),
  },
  outputSchema: RecentChangesOutput,
  example: { kind: 'Pod', name: 'web-7d9f8c6b5-x2x4q', namespace: 'shop', before: '2026-01-31T12:00:00Z' },
  aliases: { startsat: 'before', until: 'before', end: 'before', window: 'windowMinutes', minutes: 'windowMinutes' },
  normalize(args, notes) {
    const problem = normalizeWorkloadKind(args, notes, CHANGE_KINDS);
    if (problem) return problem;
    if (args.kind !== 'Node' && args.namespace === undefined) return `namespace is required for a ${String(args.kind ?? 'namespaced object')}`;
    if (args.kind === 'Node' && args.namespace !== undefined) {
      notes.push('namespace ignored: a Node is cluster-scoped');
      delete args.namespace;
    }
    return undefined;
  },
  async run(a, ctx) {
    const now = ctx.now();
    const until = parseBefore(a.before, now);
    const w: Window = { since: until - a.windowMinutes * 60_000, until, now };
    const found = await collect(ctx, a.kind as ChangeKind, a.name, a.namespace ?? '', w);
    const changes = distinctNewestFirst(found.changes);
    const data: Data = compact({
      kind: a.kind,
      name: a.name,
      namespace: a.namespace,
      since: isoTime(w.since),
      until: isoTime(w.until),
      workload: found.workload,
      node: found.node,
      objects: found.objects,
      changes: changes.slice(0, MAX_CHANGES),
      changesTotal: changes.length,
      unreadable: found.unreadable,
    });
    return { text: recentChangesText(data, !!a.before, now), data };
  },
});

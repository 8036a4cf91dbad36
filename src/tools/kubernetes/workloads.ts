// Shared parts of the workload tools: selectors, owned ReplicaSets and pods, revisions, the pods-and-events
// tail of a description.
import type { V1Deployment, V1LabelSelector, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { PodSummary } from '../../contracts/toolData.js';
import type { ToolContext } from './context.js';
import { podSummary } from './data.js';
import { k8s } from './errors.js';
import { eventsSection, type EventsPart } from './events.js';
import { podLine } from './podFormat.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

/** A LabelSelector as a selector string ("app=web,tier in (a,b)"). */
export function selectorString(sel: V1LabelSelector | undefined): string {
  if (!sel) return '';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

export function ownedBy(obj: { metadata?: { ownerReferences?: Array<{ uid: string }> } }, uid: string | undefined): boolean {
  return !!uid && (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
}

export function revisionOf(rs: V1ReplicaSet): number {
  const r = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isFinite(r) ? r : 0;
}

/** ReplicaSets controlled by a deployment, highest revision first. */
export async function ownedReplicaSets(ctx: ToolContext, d: V1Deployment): Promise<V1ReplicaSet[]> {
  const namespace = d.metadata?.namespace ?? '';
  const list = await k8s({ verb: 'list', resource: 'replicasets', group: 'apps', namespace }, () =>
    ctx.apps.listNamespacedReplicaSet({ namespace, labelSelector: selectorString(d.spec?.selector) || undefined }),
  );
  return list.items.filter((rs) => ownedBy(rs, d.metadata?.uid)).sort((a, b) => revisionOf(b) - revisionOf(a));
}

/** Pods matching a selector and controlled by one of the given owners. */
export async function ownedPods(ctx: ToolContext, namespace: string, selector: V1LabelSelector | undefined, ownerUids: Array<string | undefined>): Promise<V1Pod[]> {
  const list = await k8s({ verb: 'list', resource: 'pods', namespace }, () =>
    ctx.core.listNamespacedPod({ namespace, labelSelector: selectorString(selector) || undefined }),
  );
  return list.items
    .filter((p) => ownerUids.some((u) => ownedBy(p, u)))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** The pods part of a workload description as data: the pods it owns (the first `max`) and how many. */
export interface PodsData {
  pods: PodSummary[];
  podsTotal: number;
  podsError?: string;
}

export function podsData(pods: V1Pod[], max = 30): PodsData {
  return { pods: pods.slice(0, max).map((p) => podSummary(p)), podsTotal: pods.length };
}

/** "Pods (n):" with one line each, from the data. */
export function podsLines(d: PodsData, now: number): string[] {
  if (d.podsError !== undefined) return [`Pods: unavailable — ${d.podsError}`];
  if (!d.podsTotal) return ['Pods: <none>'];
  const out = [`Pods (${d.podsTotal}):`, ...d.pods.map((p) => `  ${podLine(p, now)}`)];
  if (d.podsTotal > d.pods.length) out.push(`  ... ${d.podsTotal - d.pods.length} more`);
  return out;
}

/** The tail of every workload description: one line per pod it owns, then its recent events. */
export async function podsAndEvents(
  ctx: ToolContext,
  kind: string,
  at: { name: string; namespace: string },
  obj: { metadata?: { uid?: string }; spec?: { selector?: V1LabelSelector } },
  ownerUids: Array<string | undefined>,
  now: number,
): Promise<{ lines: string[]; data: PodsData & EventsPart['data'] }> {
  let pods: PodsData;
  try {
    pods = podsData(await ownedPods(ctx, at.namespace, obj.spec?.selector, ownerUids));
  } catch (err) {
    pods = { pods: [], podsTotal: 0, podsError: err instanceof Error ? err.message : String(err) };
  }
  const events = await eventsSection(ctx, { kind, name: at.name, namespace: at.namespace, uid: obj.metadata?.uid });
  return { lines: [...podsLines(pods, now), ...events.lines], data: { ...pods, ...events.data } };
}

/** Runs an optional part of a description (text and data): its failure becomes one line and an error field instead of failing the whole. */
export async function optionalPart<D>(title: string, fn: () => Promise<{ lines: string[]; data: D }>, onError: (why: string) => D): Promise<{ lines: string[]; data: D }> {
  try {
    return await fn();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { lines: [`${title}: unavailable — ${why}`], data: onError(why) };
  }
}

// Shared lookups for workloads: selectors, owned ReplicaSets and pods, revisions.
import type { V1Deployment, V1LabelSelector, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { ToolContext } from './context.js';
import { k8s } from './errors.js';
import { podSummary } from './data.js';
import type { PodSummary } from './outputs.js';
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

/** "Pods (n):" with one line each, bounded. */
export function podsSection(pods: V1Pod[], now: number, max = 30): string[] {
  if (!pods.length) return ['Pods: <none>'];
  const out = [`Pods (${pods.length}):`, ...pods.slice(0, max).map((p) => `  ${podLine(p, now)}`)];
  if (pods.length > max) out.push(`  ... ${pods.length - max} more`);
  return out;
}

/** The pods part of a workload description: the text section and the same pods as data. */
export interface PodsPart {
  lines: string[];
  data: { pods: PodSummary[]; podsTotal: number; podsError?: string };
}

export function podsPart(pods: V1Pod[], now: number, max = 30): PodsPart {
  return { lines: podsSection(pods, now, max), data: { pods: pods.slice(0, max).map((p) => podSummary(p)), podsTotal: pods.length } };
}

/** Like `optional`, for a part that has data as well as text. */
export async function optionalPart<D>(title: string, fn: () => Promise<{ lines: string[]; data: D }>, onError: (why: string) => D): Promise<{ lines: string[]; data: D }> {
  try {
    return await fn();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { lines: [`${title}: unavailable — ${why}`], data: onError(why) };
  }
}

/** Runs an optional part of a description; its failure becomes one line instead of failing the whole. */
export async function optional(title: string, fn: () => Promise<string[]>): Promise<string[]> {
  try {
    return await fn();
  } catch (err) {
    return [`${title}: unavailable — ${err instanceof Error ? err.message : String(err)}`];
  }
}

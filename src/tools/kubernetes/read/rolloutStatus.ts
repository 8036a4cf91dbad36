// rollout_status: the verdict `kubectl rollout status` would give, without waiting, and the pods not ready.
import type { V1DaemonSet, V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { RolloutStatusOutput, type OutputOf, type WorkloadReplicas } from '../../../contracts/toolData.js';
import { defineTool, type ToolContext } from '../context.js';
import { compact, conditionsData, podSummary, templateImageList } from '../data.js';
import { k8s } from '../errors.js';
import { podLine, podStatus } from '../podFormat.js';
import { namespaceArg, normalizeWorkloadKind, objectName, workloadKind, WORKLOAD_KINDS } from '../schemas.js';
import { ownedPods, ownedReplicaSets, REVISION_ANNOTATION } from '../workloads.js';

type Data = OutputOf<'rollout_status'>;
type PodsNotReady = Pick<Data, 'podsNotReady' | 'podsTotal' | 'podsError'>;

export type RolloutState = 'complete' | 'progressing' | 'failed' | 'waiting' | 'unsupported';

export function deploymentRollout(d: V1Deployment): { state: RolloutState; message: string } {
  const name = d.metadata?.name;
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { state: 'waiting', message: `waiting for deployment ${name} spec update to be observed by the controller` };
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', message: `deployment ${name} exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (updated < desired) return { state: 'progressing', message: `${updated} out of ${desired} new replicas have been updated` };
  if ((s.replicas ?? 0) > updated) return { state: 'progressing', message: `${(s.replicas ?? 0) - updated} old replicas are pending termination` };
  if ((s.availableReplicas ?? 0) < updated) return { state: 'progressing', message: `${s.availableReplicas ?? 0} of ${updated} updated replicas are available` };
  if (d.spec?.paused) return { state: 'complete', message: `deployment ${name} is paused; its last rollout completed` };
  return { state: 'complete', message: `deployment ${name} successfully rolled out (${updated} replicas updated and available)` };
}

export function statefulSetRollout(s: V1StatefulSet): { state: RolloutState; message: string } {
  const st = s.status ?? { replicas: 0 };
  if ((s.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { state: 'unsupported', message: `rollout status is only available for the RollingUpdate strategy (this statefulset uses ${s.spec?.updateStrategy?.type}; pods update when deleted)` };
  }
  if (!st.observedGeneration || (s.metadata?.generation ?? 0) > st.observedGeneration) {
    return { state: 'waiting', message: 'waiting for statefulset spec update to be observed by the controller' };
  }
  const desired = s.spec?.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < desired) return { state: 'progressing', message: `waiting for ${desired - (st.readyReplicas ?? 0)} pods to be ready (${st.readyReplicas ?? 0}/${desired} ready)` };
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    if ((st.updatedReplicas ?? 0) < desired - partition) {
      return { state: 'progressing', message: `waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${desired - partition} new pods have been updated` };
    }
    return { state: 'complete', message: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated` };
  }
  if (st.updateRevision !== st.currentRevision) {
    return { state: 'progressing', message: `waiting for rolling update to complete: ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}` };
  }
  return { state: 'complete', message: `statefulset rolling update complete: ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}` };
}

export function daemonSetRollout(d: V1DaemonSet): { state: RolloutState; message: string } {
  const st = d.status;
  if ((d.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { state: 'unsupported', message: `rollout status is only available for the RollingUpdate strategy (this daemonset uses ${d.spec?.updateStrategy?.type})` };
  }
  if ((d.metadata?.generation ?? 0) > (st?.observedGeneration ?? 0)) {
    return { state: 'waiting', message: 'waiting for daemonset spec update to be observed by the controller' };
  }
  const desired = st?.desiredNumberScheduled ?? 0;
  if ((st?.updatedNumberScheduled ?? 0) < desired) {
    return { state: 'progressing', message: `${st?.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated` };
  }
  if ((st?.numberAvailable ?? 0) < desired) return { state: 'progressing', message: `${st?.numberAvailable ?? 0} of ${desired} updated pods are available` };
  return { state: 'complete', message: `daemon set successfully rolled out (${desired} pods)` };
}

/** The pods that are not running and ready (the first 10 as data), and how many there are. */
async function podsNotReady(pods: () => Promise<V1Pod[]>): Promise<{ data: PodsNotReady; notReady: number }> {
  try {
    const all = await pods();
    const bad = all.filter((p) => !['Running', 'Completed'].includes(podStatus(p)) || (p.status?.containerStatuses ?? []).some((c) => !c.ready));
    return { data: { podsNotReady: bad.slice(0, 10).map((p) => podSummary(p)), podsTotal: all.length }, notReady: bad.length };
  } catch (err) {
    return { data: { podsNotReady: [], podsTotal: 0, podsError: err instanceof Error ? err.message : String(err) }, notReady: 0 };
  }
}

/** What rollout_status reports of a workload: its verdict, revision, replicas, images and conditions, and how to find its pods. */
interface Rollout {
  verdict: { state: RolloutState; message: string };
  revision?: string;
  replicas: WorkloadReplicas;
  images: string[];
  conditions: Data['conditions'];
  pods(): Promise<V1Pod[]>;
}

async function readRollout(ctx: ToolContext, a: { kind: Data['kind']; name: string; namespace: string }): Promise<Rollout> {
  const target = { verb: 'get', resource: `${a.kind.toLowerCase()}s`, group: 'apps', kind: a.kind.toLowerCase(), name: a.name, namespace: a.namespace };
  if (a.kind === 'Deployment') {
    const d: V1Deployment = await k8s(target, () => ctx.apps.readNamespacedDeployment({ name: a.name, namespace: a.namespace }));
    return {
      verdict: deploymentRollout(d),
      revision: d.metadata?.annotations?.[REVISION_ANNOTATION],
      replicas: { desired: d.spec?.replicas ?? 1, updated: d.status?.updatedReplicas ?? 0, ready: d.status?.readyReplicas ?? 0, available: d.status?.availableReplicas ?? 0 },
      images: templateImageList(d.spec?.template),
      conditions: conditionsData(d.status?.conditions),
      pods: async () => {
        const rss = await ownedReplicaSets(ctx, d);
        return ownedPods(ctx, a.namespace, d.spec?.selector, rss.map((r) => r.metadata?.uid));
      },
    };
  }
  if (a.kind === 'StatefulSet') {
    const s: V1StatefulSet = await k8s(target, () => ctx.apps.readNamespacedStatefulSet({ name: a.name, namespace: a.namespace }));
    return {
      verdict: statefulSetRollout(s),
      revision: s.status?.currentRevision,
      replicas: { desired: s.spec?.replicas ?? 1, ready: s.status?.readyReplicas ?? 0, updated: s.status?.updatedReplicas ?? 0, current: s.status?.currentReplicas ?? 0 },
      images: templateImageList(s.spec?.template),
      conditions: conditionsData(s.status?.conditions),
      pods: () => ownedPods(ctx, a.namespace, s.spec?.selector, [s.metadata?.uid]),
    };
  }
  const d: V1DaemonSet = await k8s(target, () => ctx.apps.readNamespacedDaemonSet({ name: a.name, namespace: a.namespace }));
  return {
    verdict: daemonSetRollout(d),
    replicas: { desired: d.status?.desiredNumberScheduled ?? 0, updated: d.status?.updatedNumberScheduled ?? 0, ready: d.status?.numberReady ?? 0, available: d.status?.numberAvailable ?? 0 },
    images: templateImageList(d.spec?.template),
    conditions: conditionsData(d.status?.conditions),
    pods: () => ownedPods(ctx, a.namespace, d.spec?.selector, [d.metadata?.uid]),
  };
}

/** The text of a rollout_status result, from its data and the number of pods not ready (of which the data keeps 10). */
export function rolloutStatusText(d: Data, notReady: number, now: number): string {
  const r = d.replicas;
  const images = d.images.join(', ') || '<none>';
  const out = [`${d.kind} ${d.namespace}/${d.name}: rollout ${d.state} — ${d.message}`];
  if (d.kind === 'Deployment') {
    out.push(`Revision ${d.revision ?? '?'}; replicas desired ${r.desired}, updated ${r.updated}, ready ${r.ready}, available ${r.available}; images ${images}`);
    for (const c of d.conditions) out.push(`Condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
  } else if (d.kind === 'StatefulSet') {
    out.push(`Replicas desired ${r.desired}, ready ${r.ready}, updated ${r.updated}; images ${images}`);
  } else {
    out.push(`Pods desired ${r.desired}, updated ${r.updated}, ready ${r.ready}, available ${r.available}; images ${images}`);
  }
  if (d.podsError !== undefined) out.push(`Pods: unavailable — ${d.podsError}`);
  else if (!notReady) out.push(d.podsTotal ? `Pods: all ${d.podsTotal} running and ready` : 'Pods: <none>');
  else out.push(`Pods not ready (${notReady} of ${d.podsTotal}):`, ...d.podsNotReady.map((p) => `  ${podLine(p, now)}`));
  return out.join('\n');
}

export const rolloutStatus = defineTool({
  name: 'rollout_status',
  title: 'Rollout status',
  description:
    'Whether the latest rollout of a Deployment, StatefulSet or DaemonSet is complete, progressing, waiting or failed (e.g. deployment exceeded its progress deadline), ' +
    'like `kubectl rollout status` but without waiting; lists the pods that are not ready.',
  class: 'read',
  inputSchema: { kind: workloadKind, name: objectName('workload'), namespace: namespaceArg('workload') },
  outputSchema: RolloutStatusOutput,
  example: { kind: 'Deployment', name: 'web', namespace: 'shop' },
  normalize: (args, notes) => normalizeWorkloadKind(args, notes, WORKLOAD_KINDS),
  async run(a, ctx) {
    const now = ctx.now();
    const r = await readRollout(ctx, a);
    const pods = await podsNotReady(r.pods);
    const data = compact({ kind: a.kind, name: a.name, namespace: a.namespace, state: r.verdict.state, message: r.verdict.message, revision: r.revision, replicas: r.replicas, images: r.images, conditions: r.conditions, ...pods.data });
    return { text: rolloutStatusText(data, pods.notReady, now), data };
  },
});

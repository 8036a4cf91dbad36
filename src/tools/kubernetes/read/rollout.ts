// rollout_status (the verdict `kubectl rollout status` would give, without waiting) and rollout_history.
import type { V1DaemonSet, V1Deployment, V1LabelSelector, V1StatefulSet } from '@kubernetes/client-node';
import { defineTool, type ToolContext } from '../context.js';
import { compact, conditionsData, isoOrUndefined, podSummary } from '../data.js';
import { k8s } from '../errors.js';
import { age, clip, oneLine, table } from '../format.js';
import { RolloutHistoryOutput, RolloutStatusOutput, type PodSummary, type WorkloadReplicas } from '../outputs.js';
import { podLine, podStatus, templateImages } from '../podFormat.js';
import { namespaceArg, normalizeWorkloadKind, objectName, workloadKind, WORKLOAD_KINDS } from '../schemas.js';
import { CHANGE_CAUSE_ANNOTATION, optionalPart, ownedPods, ownedReplicaSets, REVISION_ANNOTATION, revisionOf } from '../workloads.js';

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

type PodsNotReady = { podsNotReady: PodSummary[]; podsTotal: number; podsError?: string };

async function unhealthyPods(ctx: ToolContext, namespace: string, selector: V1LabelSelector | undefined, owners: Array<string | undefined>, now: number): Promise<{ lines: string[]; data: PodsNotReady }> {
  const pods = await ownedPods(ctx, namespace, selector, owners);
  const bad = pods.filter((p) => !['Running', 'Completed'].includes(podStatus(p)) || (p.status?.containerStatuses ?? []).some((c) => !c.ready));
  const data = { podsNotReady: bad.slice(0, 10).map((p) => podSummary(p)), podsTotal: pods.length };
  if (!bad.length) return { lines: pods.length ? [`Pods: all ${pods.length} running and ready`] : ['Pods: <none>'], data };
  return { lines: [`Pods not ready (${bad.length} of ${pods.length}):`, ...bad.slice(0, 10).map((p) => `  ${podLine(p, now)}`)], data };
}

const podsPartOf = (fn: () => Promise<{ lines: string[]; data: PodsNotReady }>) => optionalPart<PodsNotReady>('Pods', fn, (why) => ({ podsNotReady: [], podsTotal: 0, podsError: why }));
const images = (t: { spec?: { containers?: Array<{ name: string; image?: string }> } } | undefined) => (t?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`);

export const rolloutStatus = defineTool({
  name: 'rollout_status',
  title: 'Rollout status',
  description:
    'Whether the latest rollout of a Deployment, StatefulSet or DaemonSet is complete, progressing, waiting or failed (e.g. deployment exceeded its progress deadline), ' +
    'like `kubectl rollout status` but without waiting; lists the pods that are not ready.',
  inputSchema: { kind: workloadKind, name: objectName('workload'), namespace: namespaceArg('workload') },
  outputSchema: RolloutStatusOutput,
  example: { kind: 'Deployment', name: 'web', namespace: 'shop' },
  normalize: (args, notes) => normalizeWorkloadKind(args, notes, WORKLOAD_KINDS),
  async run(a, ctx) {
    const now = ctx.now();
    const target = { verb: 'get', resource: `${a.kind.toLowerCase()}s`, group: 'apps', kind: a.kind.toLowerCase(), name: a.name, namespace: a.namespace };
    let verdict: { state: RolloutState; message: string };
    const out: string[] = [];
    let replicas: WorkloadReplicas;
    let revision: string | undefined;
    let imgs: string[];
    let conditions: ReturnType<typeof conditionsData> = [];
    let pods: { lines: string[]; data: PodsNotReady };
    if (a.kind === 'Deployment') {
      const d = await k8s(target, () => ctx.apps.readNamespacedDeployment({ name: a.name, namespace: a.namespace }));
      verdict = deploymentRollout(d);
      revision = d.metadata?.annotations?.[REVISION_ANNOTATION];
      replicas = { desired: d.spec?.replicas ?? 1, updated: d.status?.updatedReplicas ?? 0, ready: d.status?.readyReplicas ?? 0, available: d.status?.availableReplicas ?? 0 };
      imgs = images(d.spec?.template);
      conditions = conditionsData(d.status?.conditions);
      out.push(`Deployment ${a.namespace}/${a.name}: rollout ${verdict.state} — ${verdict.message}`);
      out.push(`Revision ${revision ?? '?'}; replicas desired ${replicas.desired}, updated ${replicas.updated}, ready ${replicas.ready}, available ${replicas.available}; images ${templateImages(d.spec?.template)}`);
      for (const c of d.status?.conditions ?? []) out.push(`Condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${clip(oneLine(c.message), 300)}` : ''}`);
      pods = await podsPartOf(async () => {
        const rss = await ownedReplicaSets(ctx, d);
        return unhealthyPods(ctx, a.namespace, d.spec?.selector, rss.map((r) => r.metadata?.uid), now);
      });
    } else if (a.kind === 'StatefulSet') {
      const s = await k8s(target, () => ctx.apps.readNamespacedStatefulSet({ name: a.name, namespace: a.namespace }));
      verdict = statefulSetRollout(s);
      revision = s.status?.currentRevision;
      replicas = { desired: s.spec?.replicas ?? 1, ready: s.status?.readyReplicas ?? 0, updated: s.status?.updatedReplicas ?? 0, current: s.status?.currentReplicas ?? 0 };
      imgs = images(s.spec?.template);
      conditions = conditionsData(s.status?.conditions);
      out.push(`StatefulSet ${a.namespace}/${a.name}: rollout ${verdict.state} — ${verdict.message}`);
      out.push(`Replicas desired ${replicas.desired}, ready ${replicas.ready}, updated ${replicas.updated}; images ${templateImages(s.spec?.template)}`);
      pods = await podsPartOf(() => unhealthyPods(ctx, a.namespace, s.spec?.selector, [s.metadata?.uid], now));
    } else {
      const d = await k8s(target, () => ctx.apps.readNamespacedDaemonSet({ name: a.name, namespace: a.namespace }));
      verdict = daemonSetRollout(d);
      replicas = { desired: d.status?.desiredNumberScheduled ?? 0, updated: d.status?.updatedNumberScheduled ?? 0, ready: d.status?.numberReady ?? 0, available: d.status?.numberAvailable ?? 0 };
      imgs = images(d.spec?.template);
      conditions = conditionsData(d.status?.conditions);
      out.push(`DaemonSet ${a.namespace}/${a.name}: rollout ${verdict.state} — ${verdict.message}`);
      out.push(`Pods desired ${replicas.desired}, updated ${replicas.updated}, ready ${replicas.ready}, available ${replicas.available}; images ${templateImages(d.spec?.template)}`);
      pods = await podsPartOf(() => unhealthyPods(ctx, a.namespace, d.spec?.selector, [d.metadata?.uid], now));
    }
    out.push(...pods.lines);
    return {
      text: out.join('\n'),
      data: compact({ kind: a.kind, name: a.name, namespace: a.namespace, state: verdict.state, message: verdict.message, revision, replicas, images: imgs, conditions, ...pods.data }),
    };
  },
});

export const rolloutHistory = defineTool({
  name: 'rollout_history',
  title: 'Rollout history of a deployment',
  description:
    "A Deployment's revisions (from its ReplicaSets' revision annotations), newest first: revision, ReplicaSet, age, replicas, container images and change-cause; marks the current one. " +
    'Use it to see what changed recently and which revision rollback_deployment would return to.',
  inputSchema: { name: objectName('deployment'), namespace: namespaceArg('deployment') },
  outputSchema: RolloutHistoryOutput,
  example: { name: 'web', namespace: 'shop' },
  async run(a, ctx) {
    const d = await k8s({ verb: 'get', resource: 'deployments', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedDeployment({ name: a.name, namespace: a.namespace }),
    );
    const rss = await ownedReplicaSets(ctx, d);
    const now = ctx.now();
    const current = d.metadata?.annotations?.[REVISION_ANNOTATION];
    const data = {
      name: a.name,
      namespace: a.namespace,
      ...(current ? { currentRevision: current } : {}),
      revisions: rss.map((rs) =>
        compact({
          revision: revisionOf(rs),
          current: String(revisionOf(rs)) === current,
          replicaSet: rs.metadata?.name ?? '',
          createdAt: isoOrUndefined(rs.metadata?.creationTimestamp),
          ready: rs.status?.readyReplicas ?? 0,
          desired: rs.spec?.replicas ?? 0,
          images: images(rs.spec?.template),
          changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
        }),
      ),
    };
    if (!rss.length) return { text: `Deployment ${a.namespace}/${a.name}: no ReplicaSets (no rollout history)`, data };
    const rows = rss.map((rs) => [
      `${revisionOf(rs)}${String(revisionOf(rs)) === current ? ' (current)' : ''}`,
      rs.metadata?.name ?? '',
      age(rs.metadata?.creationTimestamp, now),
      `${rs.status?.readyReplicas ?? 0}/${rs.spec?.replicas ?? 0}`,
      templateImages(rs.spec?.template),
      rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION] ?? '<none>',
    ]);
    return { text: `Deployment ${a.namespace}/${a.name} rollout history (newest first; current revision ${current ?? '?'}):\n${table(['REVISION', 'REPLICASET', 'AGE', 'READY', 'IMAGES', 'CHANGE-CAUSE'], rows, { maxCell: 120 })}`, data };
  },
});

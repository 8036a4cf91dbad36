// describe_deployment, describe_statefulset, describe_daemonset, describe_job.
import type { V1DaemonSet, V1Deployment, V1Job, V1LabelSelector, V1StatefulSet } from '@kubernetes/client-node';
import { defineTool, type ToolContext } from '../context.js';
import { compact, conditionsData, isoOrUndefined, ownerData, templateContainers } from '../data.js';
import { k8s } from '../errors.js';
import { eventsSection, type EventsPart } from '../events.js';
import { age, kv, when } from '../format.js';
import { DescribeJobOutput, DescribeWorkloadOutput, type WorkloadData } from '../outputs.js';
import { conditionLines, ownerString, podTemplateLines, templateImages } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';
import { optionalPart, ownedPods, ownedReplicaSets, podsPart, REVISION_ANNOTATION, revisionOf, selectorString, type PodsPart } from '../workloads.js';

const n = (v: number | undefined) => v ?? 0;

/** The tail of every workload description: one line per pod it owns, then its recent events. */
async function podsAndEvents(
  ctx: ToolContext,
  kind: string,
  at: { name: string; namespace: string },
  obj: { metadata?: { uid?: string }; spec?: { selector?: V1LabelSelector } },
  ownerUids: Array<string | undefined>,
  now: number,
): Promise<{ lines: string[]; data: PodsPart['data'] & EventsPart['data'] }> {
  const pods = await optionalPart('Pods', async () => podsPart(await ownedPods(ctx, at.namespace, obj.spec?.selector, ownerUids), now), (why) => ({ pods: [], podsTotal: 0, podsError: why }));
  const events = await eventsSection(ctx, { kind, name: at.name, namespace: at.namespace, uid: obj.metadata?.uid });
  return { lines: [...pods.lines, ...events.lines], data: { ...pods.data, ...events.data } };
}

const example = (name: string) => ({ name, namespace: 'shop' });

export function formatDeployment(d: V1Deployment, now: number): string[] {
  const m = d.metadata ?? {};
  const s = d.status ?? {};
  const spec = d.spec;
  const strategy = spec?.strategy?.type ?? 'RollingUpdate';
  const ru = spec?.strategy?.rollingUpdate;
  return [
    `Deployment: ${m.namespace}/${m.name}`,
    `Replicas: desired ${spec?.replicas ?? 1} | updated ${n(s.updatedReplicas)} | ready ${n(s.readyReplicas)} | available ${n(s.availableReplicas)} | unavailable ${n(s.unavailableReplicas)} | total ${n(s.replicas)}`,
    `Generation: ${m.generation ?? '?'} (observed ${s.observedGeneration ?? '?'})   Revision: ${m.annotations?.[REVISION_ANNOTATION] ?? '?'}   Paused: ${spec?.paused ?? false}`,
    `Strategy: ${strategy}${strategy === 'RollingUpdate' ? ` (maxSurge ${ru?.maxSurge ?? '25%'}, maxUnavailable ${ru?.maxUnavailable ?? '25%'})` : ''}   Progress deadline: ${spec?.progressDeadlineSeconds ?? 600}s   Min ready: ${spec?.minReadySeconds ?? 0}s`,
    `Selector: ${selectorString(spec?.selector) || '<none>'}`,
    `Created: ${when(m.creationTimestamp, now)}`,
    `Labels: ${kv(m.labels)}`,
    ...conditionLines(s.conditions, now),
    ...podTemplateLines(spec?.template),
  ];
}

export function deploymentData(d: V1Deployment) {
  const m = d.metadata ?? {};
  const s = d.status ?? {};
  return compact({
    kind: 'Deployment' as const,
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    replicas: { desired: d.spec?.replicas ?? 1, updated: n(s.updatedReplicas), ready: n(s.readyReplicas), available: n(s.availableReplicas), unavailable: n(s.unavailableReplicas), total: n(s.replicas) },
    generation: m.generation,
    observedGeneration: s.observedGeneration,
    revision: m.annotations?.[REVISION_ANNOTATION],
    paused: d.spec?.paused ?? false,
    strategy: d.spec?.strategy?.type ?? 'RollingUpdate',
    selector: selectorString(d.spec?.selector) || undefined,
    createdAt: isoOrUndefined(m.creationTimestamp),
    conditions: conditionsData(s.conditions),
    containers: templateContainers(d.spec?.template),
  });
}

export const describeDeployment = defineTool({
  name: 'describe_deployment',
  title: 'Describe a deployment',
  description:
    'kubectl-describe-like summary of a Deployment: replicas desired/updated/ready/available, conditions (e.g. Progressing=False ProgressDeadlineExceeded), ' +
    'strategy, pod template (images, resources, probes, env), its ReplicaSets by revision, one line per pod (status, restarts, last termination), and the last 10 events.',
  inputSchema: { name: objectName('deployment'), namespace: namespaceArg('deployment') },
  outputSchema: DescribeWorkloadOutput,
  example: example('web'),
  async run(a, ctx) {
    const d = await k8s({ verb: 'get', resource: 'deployments', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedDeployment({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const out = formatDeployment(d, now);
    const current = d.metadata?.annotations?.[REVISION_ANNOTATION];
    let rsUids: Array<string | undefined> = [];
    const rsPart = await optionalPart<Pick<WorkloadData, 'replicaSets' | 'replicaSetsError'>>(
      'ReplicaSets',
      async () => {
        const rss = await ownedReplicaSets(ctx, d);
        rsUids = rss.map((r) => r.metadata?.uid);
        const shown = rss.slice(0, 10);
        const data = shown.map((rs) => ({
          name: rs.metadata?.name ?? '',
          revision: revisionOf(rs),
          current: String(revisionOf(rs)) === current,
          desired: rs.spec?.replicas ?? 0,
          ready: n(rs.status?.readyReplicas),
          available: n(rs.status?.availableReplicas),
          images: (rs.spec?.template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`),
        }));
        if (!rss.length) return { lines: ['ReplicaSets: <none>'], data: { replicaSets: data } };
        return {
          lines: [
            'ReplicaSets (newest revision first):',
            ...shown.map((rs) => {
              const rev = String(revisionOf(rs));
              const mark = rev === current ? ' (current)' : '';
              return `  ${rs.metadata?.name}  revision=${rev}${mark}  desired=${rs.spec?.replicas ?? 0} current=${n(rs.status?.replicas)} ready=${n(rs.status?.readyReplicas)} available=${n(rs.status?.availableReplicas)}  age=${age(rs.metadata?.creationTimestamp, now)}  images=${templateImages(rs.spec?.template)}`;
            }),
            ...(rss.length > 10 ? [`  ... ${rss.length - 10} older`] : []),
          ],
          data: { replicaSets: data },
        };
      },
      (why) => ({ replicaSetsError: why }),
    );
    const tail = await podsAndEvents(ctx, 'Deployment', a, d, rsUids, now);
    return { text: [...out, ...rsPart.lines, ...tail.lines].join('\n'), data: compact({ ...deploymentData(d), ...rsPart.data, ...tail.data }) };
  },
});

export function formatStatefulSet(s: V1StatefulSet, now: number): string[] {
  const m = s.metadata ?? {};
  const st = s.status ?? { replicas: 0 };
  const spec = s.spec;
  const strategy = spec?.updateStrategy?.type ?? 'RollingUpdate';
  const partition = spec?.updateStrategy?.rollingUpdate?.partition;
  const out = [
    `StatefulSet: ${m.namespace}/${m.name}`,
    `Replicas: desired ${spec?.replicas ?? 1} | current ${n(st.currentReplicas)} | updated ${n(st.updatedReplicas)} | ready ${n(st.readyReplicas)} | available ${n(st.availableReplicas)} | total ${n(st.replicas)}`,
    `Generation: ${m.generation ?? '?'} (observed ${st.observedGeneration ?? '?'})   Current revision: ${st.currentRevision ?? '?'}   Update revision: ${st.updateRevision ?? '?'}`,
    `Update strategy: ${strategy}${partition ? ` (partition ${partition})` : ''}   Pod management: ${spec?.podManagementPolicy ?? 'OrderedReady'}   Service: ${spec?.serviceName ?? '<none>'}`,
    `Selector: ${selectorString(spec?.selector) || '<none>'}`,
    `Created: ${when(m.creationTimestamp, now)}`,
    `Labels: ${kv(m.labels)}`,
  ];
  const claims = spec?.volumeClaimTemplates ?? [];
  if (claims.length) {
    out.push(
      `Volume claim templates: ${claims
        .map((c) => `${c.metadata?.name} (${c.spec?.storageClassName ?? 'default class'}, ${c.spec?.resources?.requests?.storage ?? '?'}, ${(c.spec?.accessModes ?? []).join('/')})`)
        .join('; ')}`,
    );
  }
  out.push(...conditionLines(st.conditions, now), ...podTemplateLines(spec?.template));
  return out;
}

export function statefulSetData(st: V1StatefulSet) {
  const m = st.metadata ?? {};
  const s = st.status ?? { replicas: 0 };
  const claims = st.spec?.volumeClaimTemplates ?? [];
  return compact({
    kind: 'StatefulSet' as const,
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    replicas: { desired: st.spec?.replicas ?? 1, current: n(s.currentReplicas), updated: n(s.updatedReplicas), ready: n(s.readyReplicas), available: n(s.availableReplicas), total: n(s.replicas) },
    generation: m.generation,
    observedGeneration: s.observedGeneration,
    revision: s.currentRevision,
    updateRevision: s.updateRevision,
    strategy: st.spec?.updateStrategy?.type ?? 'RollingUpdate',
    selector: selectorString(st.spec?.selector) || undefined,
    createdAt: isoOrUndefined(m.creationTimestamp),
    conditions: conditionsData(s.conditions),
    containers: templateContainers(st.spec?.template),
    volumeClaimTemplates: claims.length ? claims.map((c) => compact({ name: c.metadata?.name ?? '', storageClass: c.spec?.storageClassName, storage: c.spec?.resources?.requests?.storage as string | undefined })) : undefined,
  });
}

export const describeStatefulSet = defineTool({
  name: 'describe_statefulset',
  title: 'Describe a statefulset',
  description:
    'kubectl-describe-like summary of a StatefulSet: replicas desired/current/updated/ready, current vs update revision, update strategy, ' +
    'volume claim templates, pod template, one line per pod, and the last 10 events.',
  inputSchema: { name: objectName('statefulset'), namespace: namespaceArg('statefulset') },
  outputSchema: DescribeWorkloadOutput,
  example: example('db'),
  async run(a, ctx) {
    const s = await k8s({ verb: 'get', resource: 'statefulsets', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedStatefulSet({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'StatefulSet', a, s, [s.metadata?.uid], now);
    return { text: [...formatStatefulSet(s, now), ...tail.lines].join('\n'), data: { ...statefulSetData(s), ...tail.data } };
  },
});

export function formatDaemonSet(d: V1DaemonSet, now: number): string[] {
  const m = d.metadata ?? {};
  const st = d.status;
  const strategy = d.spec?.updateStrategy?.type ?? 'RollingUpdate';
  return [
    `DaemonSet: ${m.namespace}/${m.name}`,
    `Nodes: desired ${n(st?.desiredNumberScheduled)} | current ${n(st?.currentNumberScheduled)} | updated ${n(st?.updatedNumberScheduled)} | ready ${n(st?.numberReady)} | available ${n(st?.numberAvailable)} | unavailable ${n(st?.numberUnavailable)} | misscheduled ${n(st?.numberMisscheduled)}`,
    `Generation: ${m.generation ?? '?'} (observed ${st?.observedGeneration ?? '?'})   Update strategy: ${strategy}${strategy === 'RollingUpdate' ? ` (maxUnavailable ${d.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1})` : ''}`,
    `Selector: ${selectorString(d.spec?.selector) || '<none>'}`,
    `Created: ${when(m.creationTimestamp, now)}`,
    `Labels: ${kv(m.labels)}`,
    ...conditionLines(st?.conditions, now),
    ...podTemplateLines(d.spec?.template),
  ];
}

export function daemonSetData(d: V1DaemonSet) {
  const m = d.metadata ?? {};
  const st = d.status;
  return compact({
    kind: 'DaemonSet' as const,
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    replicas: {
      desired: n(st?.desiredNumberScheduled),
      current: n(st?.currentNumberScheduled),
      updated: n(st?.updatedNumberScheduled),
      ready: n(st?.numberReady),
      available: n(st?.numberAvailable),
      unavailable: n(st?.numberUnavailable),
      misscheduled: n(st?.numberMisscheduled),
      total: n(st?.currentNumberScheduled),
    },
    generation: m.generation,
    observedGeneration: st?.observedGeneration,
    strategy: d.spec?.updateStrategy?.type ?? 'RollingUpdate',
    selector: selectorString(d.spec?.selector) || undefined,
    createdAt: isoOrUndefined(m.creationTimestamp),
    conditions: conditionsData(st?.conditions),
    containers: templateContainers(d.spec?.template),
  });
}

export const describeDaemonSet = defineTool({
  name: 'describe_daemonset',
  title: 'Describe a daemonset',
  description:
    'kubectl-describe-like summary of a DaemonSet: desired/current/updated/ready/available/misscheduled node counts, update strategy, pod template, one line per pod, and the last 10 events.',
  inputSchema: { name: objectName('daemonset'), namespace: namespaceArg('daemonset') },
  outputSchema: DescribeWorkloadOutput,
  example: example('node-agent'),
  async run(a, ctx) {
    const d = await k8s({ verb: 'get', resource: 'daemonsets', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedDaemonSet({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'DaemonSet', a, d, [d.metadata?.uid], now);
    return { text: [...formatDaemonSet(d, now), ...tail.lines].join('\n'), data: { ...daemonSetData(d), ...tail.data } };
  },
});

export function formatJob(j: V1Job, now: number): string[] {
  const m = j.metadata ?? {};
  const st = j.status ?? {};
  const spec = j.spec;
  const out = [
    `Job: ${m.namespace}/${m.name}`,
    `Controlled by: ${ownerString(m.ownerReferences)}`,
    `Completions: ${n(st.succeeded)}/${spec?.completions ?? 1} succeeded   Active: ${n(st.active)}   Failed: ${n(st.failed)}${st.ready !== undefined ? `   Ready: ${st.ready}` : ''}`,
    `Parallelism: ${spec?.parallelism ?? 1}   Backoff limit: ${spec?.backoffLimit ?? 6}   Completion mode: ${spec?.completionMode ?? 'NonIndexed'}${spec?.activeDeadlineSeconds ? `   Active deadline: ${spec.activeDeadlineSeconds}s` : ''}${spec?.suspend ? '   Suspended: true' : ''}`,
    `Created: ${when(m.creationTimestamp, now)}${st.startTime ? `   Started: ${when(st.startTime, now)}` : ''}${st.completionTime ? `   Completed: ${when(st.completionTime, now)}` : ''}`,
    `Selector: ${selectorString(spec?.selector) || '<none>'}`,
    ...conditionLines(st.conditions, now),
    ...podTemplateLines(spec?.template),
  ];
  return out;
}

export function jobData(j: V1Job) {
  const m = j.metadata ?? {};
  const st = j.status ?? {};
  const spec = j.spec;
  return compact({
    kind: 'Job' as const,
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    owner: ownerData(m.ownerReferences),
    completions: spec?.completions ?? 1,
    succeeded: n(st.succeeded),
    active: n(st.active),
    failed: n(st.failed),
    ready: st.ready,
    parallelism: spec?.parallelism ?? 1,
    backoffLimit: spec?.backoffLimit ?? 6,
    completionMode: spec?.completionMode ?? 'NonIndexed',
    activeDeadlineSeconds: spec?.activeDeadlineSeconds,
    suspended: spec?.suspend || undefined,
    createdAt: isoOrUndefined(m.creationTimestamp),
    startedAt: isoOrUndefined(st.startTime),
    completedAt: isoOrUndefined(st.completionTime),
    conditions: conditionsData(st.conditions),
    containers: templateContainers(spec?.template),
  });
}

export const describeJob = defineTool({
  name: 'describe_job',
  title: 'Describe a job',
  description:
    'kubectl-describe-like summary of a Job: succeeded/active/failed counts, backoff limit, conditions (e.g. Failed BackoffLimitExceeded, DeadlineExceeded), start/completion time, pod template, one line per pod, and the last 10 events.',
  inputSchema: { name: objectName('job'), namespace: namespaceArg('job') },
  outputSchema: DescribeJobOutput,
  example: example('migrate-29011'),
  async run(a, ctx) {
    const j = await k8s({ verb: 'get', resource: 'jobs', group: 'batch', name: a.name, namespace: a.namespace }, () =>
      ctx.batch.readNamespacedJob({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'Job', a, j, [j.metadata?.uid], now);
    return { text: [...formatJob(j, now), ...tail.lines].join('\n'), data: { ...jobData(j), ...tail.data } };
  },
});

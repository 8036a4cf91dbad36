// describe_deployment: replicas, conditions, strategy, pod template, ReplicaSets by revision, pods, events.
import type { V1Deployment } from '@kubernetes/client-node';
import { DescribeWorkloadOutput, type WorkloadData } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, isoOrUndefined, templateContainers } from '../data.js';
import { k8s } from '../errors.js';
import { age, kv, when } from '../format.js';
import { conditionLines, podTemplateLines, templateImages } from '../podFormat.js';
import { managedByPart } from '../gitops.js';
import { namespaceArg, objectName } from '../schemas.js';
import { optionalPart, ownedReplicaSets, podsAndEvents, REVISION_ANNOTATION, revisionOf, selectorString } from '../workloads.js';

const n = (v: number | undefined) => v ?? 0;

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
  class: 'read',
  inputSchema: { name: objectName('deployment'), namespace: namespaceArg('deployment') },
  outputSchema: DescribeWorkloadOutput,
  example: { name: 'web', namespace: 'shop' },
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
    const managed = await managedByPart(ctx, { kind: 'Deployment', name: a.name, namespace: a.namespace }, d);
    return { text: [...out, ...managed.lines, ...rsPart.lines, ...tail.lines].join('\n'), data: compact({ ...deploymentData(d), ...managed.data, ...rsPart.data, ...tail.data }) };
  },
});


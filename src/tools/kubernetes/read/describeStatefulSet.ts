// describe_statefulset: replicas, revisions, update strategy, claim templates, pod template, pods, events.
import type { V1StatefulSet } from '@kubernetes/client-node';
import { DescribeWorkloadOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, isoOrUndefined, templateContainers } from '../data.js';
import { k8s } from '../errors.js';
import { kv, when } from '../format.js';
import { conditionLines, podTemplateLines } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';
import { managedByPart } from '../gitops.js';
import { podsAndEvents, selectorString } from '../workloads.js';

const n = (v: number | undefined) => v ?? 0;

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
  class: 'read',
  inputSchema: { name: objectName('statefulset'), namespace: namespaceArg('statefulset') },
  outputSchema: DescribeWorkloadOutput,
  example: { name: 'db', namespace: 'shop' },
  async run(a, ctx) {
    const s = await k8s({ verb: 'get', resource: 'statefulsets', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedStatefulSet({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'StatefulSet', a, s, [s.metadata?.uid], now);
    const managed = await managedByPart(ctx, { kind: 'StatefulSet', name: a.name, namespace: a.namespace }, s);
    return { text: [...formatStatefulSet(s, now), ...managed.lines, ...tail.lines].join('\n'), data: { ...statefulSetData(s), ...managed.data, ...tail.data } };
  },
});


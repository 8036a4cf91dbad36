// describe_daemonset: node counts, update strategy, pod template, pods, events.
import type { V1DaemonSet } from '@kubernetes/client-node';
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
  class: 'read',
  inputSchema: { name: objectName('daemonset'), namespace: namespaceArg('daemonset') },
  outputSchema: DescribeWorkloadOutput,
  example: { name: 'node-agent', namespace: 'shop' },
  async run(a, ctx) {
    const d = await k8s({ verb: 'get', resource: 'daemonsets', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedDaemonSet({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'DaemonSet', a, d, [d.metadata?.uid], now);
    const managed = await managedByPart(ctx, { kind: 'DaemonSet', name: a.name, namespace: a.namespace }, d);
    return { text: [...formatDaemonSet(d, now), ...managed.lines, ...tail.lines].join('\n'), data: { ...daemonSetData(d), ...managed.data, ...tail.data } };
  },
});


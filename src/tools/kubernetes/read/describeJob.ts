// describe_job: completions, backoff, conditions, timing, pod template, pods, events.
import type { V1Job } from '@kubernetes/client-node';
import { DescribeJobOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, isoOrUndefined, ownerData, templateContainers } from '../data.js';
import { k8s } from '../errors.js';
import { when } from '../format.js';
import { conditionLines, ownerString, podTemplateLines } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';
import { podsAndEvents, selectorString } from '../workloads.js';

const n = (v: number | undefined) => v ?? 0;

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
  class: 'read',
  inputSchema: { name: objectName('job'), namespace: namespaceArg('job') },
  outputSchema: DescribeJobOutput,
  example: { name: 'migrate-29011', namespace: 'shop' },
  async run(a, ctx) {
    const j = await k8s({ verb: 'get', resource: 'jobs', group: 'batch', name: a.name, namespace: a.namespace }, () =>
      ctx.batch.readNamespacedJob({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const tail = await podsAndEvents(ctx, 'Job', a, j, [j.metadata?.uid], now);
    return { text: [...formatJob(j, now), ...tail.lines].join('\n'), data: { ...jobData(j), ...tail.data } };
  },
});

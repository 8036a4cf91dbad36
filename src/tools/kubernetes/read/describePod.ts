// describe_pod: status, conditions, per-container state and spec, volumes and recent events.
import type { V1Pod } from '@kubernetes/client-node';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { eventsSection } from '../events.js';
import { clip, kv, oneLine, when } from '../format.js';
import { conditionLines, ownerString, podContainersSection, podReady, podRestarts, podStatus, volumeString } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';

const NOISY_ANNOTATION = /^(kubectl\.kubernetes\.io\/last-applied-configuration|kubernetes\.io\/psp|cni\.projectcalico\.org\/)/;

export function formatPod(pod: V1Pod, now: number): string[] {
  const m = pod.metadata ?? {};
  const s = pod.status ?? {};
  const out: string[] = [
    `Pod: ${m.namespace}/${m.name}`,
    `Status: ${podStatus(pod)}   Phase: ${s.phase ?? 'Unknown'}   Ready: ${podReady(pod)}   Restarts: ${podRestarts(pod)}`,
    `Node: ${pod.spec?.nodeName ?? '<not scheduled>'}   Pod IP: ${s.podIP ?? '<none>'}   QoS: ${s.qosClass ?? '<unknown>'}`,
    `Created: ${when(m.creationTimestamp, now)}${s.startTime ? `   Started: ${when(s.startTime, now)}` : ''}`,
  ];
  if (m.deletionTimestamp) out.push(`Deleting since: ${when(m.deletionTimestamp, now)} (grace ${m.deletionGracePeriodSeconds ?? '?'}s)`);
  out.push(`Controlled by: ${ownerString(m.ownerReferences)}`);
  out.push(`Labels: ${kv(m.labels)}`);
  const ann = Object.entries(m.annotations ?? {}).filter(([k]) => !NOISY_ANNOTATION.test(k));
  if (ann.length) out.push(`Annotations: ${clip(ann.map(([k, v]) => `${k}=${oneLine(v)}`).join(', '), 600)}`);
  if (s.reason || s.message) out.push(`Reason: ${s.reason ?? ''}${s.message ? ` — ${clip(oneLine(s.message), 400)}` : ''}`);
  if (pod.spec?.serviceAccountName) out.push(`Service account: ${pod.spec.serviceAccountName}`);
  if (pod.spec?.priorityClassName) out.push(`Priority class: ${pod.spec.priorityClassName}`);
  out.push(...conditionLines(s.conditions, now));
  out.push(...podContainersSection(pod, now));
  if (pod.spec?.volumes?.length) {
    const vols = pod.spec.volumes.filter((v) => !(v.projected && v.name.startsWith('kube-api-access-')));
    if (vols.length) out.push(`Volumes: ${vols.map(volumeString).join('; ')}`);
  }
  if (pod.spec?.nodeSelector) out.push(`Node selector: ${kv(pod.spec.nodeSelector)}`);
  const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].includes(t.key ?? ''));
  if (tolerations.length) {
    out.push(`Tolerations: ${tolerations.map((t) => `${t.key ?? '*'}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}`).join(', ')}`);
  }
  return out;
}

export const describePod = defineTool({
  name: 'describe_pod',
  title: 'Describe a pod',
  description:
    'kubectl-describe-like summary of a pod: status (e.g. CrashLoopBackOff, OOMKilled), conditions, per container the current and last state ' +
    '(waiting/terminated reason, exit code, message), restart count, image, requests/limits, probes, env (secret references shown as references, sensitive values redacted), ' +
    'node, owner, volumes, and the last 10 events of the pod (newest first).',
  inputSchema: {
    name: objectName('pod'),
    namespace: namespaceArg('pod'),
  },
  async run(a, ctx) {
    const pod = await k8s({ verb: 'get', resource: 'pods', name: a.name, namespace: a.namespace }, () =>
      ctx.core.readNamespacedPod({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const events = await eventsSection(ctx, { kind: 'Pod', name: a.name, namespace: a.namespace, uid: pod.metadata?.uid });
    return [...formatPod(pod, now), ...events].join('\n');
  },
});

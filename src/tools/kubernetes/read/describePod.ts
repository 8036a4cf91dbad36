// describe_pod: status, conditions, per-container state and spec, volumes and recent events.
import type { V1Pod } from '@kubernetes/client-node';
import { DescribePodOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, containersData, isoOrUndefined, ownerData } from '../data.js';
import { k8s } from '../errors.js';
import { eventsSection } from '../events.js';
import { clip, kv, oneLine, when } from '../format.js';
import { conditionLines, ownerString, podContainersSection, podReady, podRestarts, podStatus, volumeString } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';

/**
 * The Secrets a pod references, by name, with where each is used (env, envFrom, volumes, projected
 * volumes, imagePullSecrets). Only names from the pod's spec: Secret contents are not readable by design.
 */
export function secretReferences(pod: V1Pod): Array<{ name: string; uses: string[] }> {
  const refs = new Map<string, Set<string>>();
  const add = (name: string | undefined, use: string) => {
    if (!name) return;
    if (!refs.has(name)) refs.set(name, new Set());
    refs.get(name)!.add(use);
  };
  const spec = pod.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const r = e.valueFrom?.secretKeyRef;
      if (r) add(r.name, `env ${e.name} of ${c.name}${r.optional ? ' (optional)' : ''}`);
    }
    for (const e of c.envFrom ?? []) if (e.secretRef) add(e.secretRef.name, `envFrom of ${c.name}${e.secretRef.optional ? ' (optional)' : ''}`);
  }
  for (const v of spec?.volumes ?? []) {
    if (v.secret) add(v.secret.secretName, `volume ${v.name}${v.secret.optional ? ' (optional)' : ''}`);
    for (const src of v.projected?.sources ?? []) if (src.secret) add(src.secret.name, `projected volume ${v.name}${src.secret.optional ? ' (optional)' : ''}`);
  }
  for (const p of spec?.imagePullSecrets ?? []) add(p.name, 'imagePullSecret');
  return [...refs].map(([name, uses]) => ({ name, uses: [...uses] }));
}

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
  const secrets = secretReferences(pod);
  if (secrets.length) {
    out.push(
      `Secrets referenced: ${clip(secrets.map((r) => `${r.name} (${r.uses.join(', ')})`).join('; '), 600)} ` +
        '[names only: Secret contents are not readable by design; a missing one shows in the events as `secret "NAME" not found`]',
    );
  }
  if (pod.spec?.nodeSelector) out.push(`Node selector: ${kv(pod.spec.nodeSelector)}`);
  const tolerations = (pod.spec?.tolerations ?? []).filter((t) => !['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].includes(t.key ?? ''));
  if (tolerations.length) {
    out.push(`Tolerations: ${tolerations.map((t) => `${t.key ?? '*'}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}`).join(', ')}`);
  }
  return out;
}

/** A volume as data: its type and what it refers to. */
function volumeData(v: NonNullable<NonNullable<V1Pod['spec']>['volumes']>[number]): { name: string; type: string; source?: string } {
  if (v.persistentVolumeClaim) return { name: v.name, type: 'persistentVolumeClaim', source: v.persistentVolumeClaim.claimName };
  if (v.configMap) return { name: v.name, type: 'configMap', source: v.configMap.name };
  if (v.secret) return compact({ name: v.name, type: 'secret', source: v.secret.secretName });
  if (v.hostPath) return { name: v.name, type: 'hostPath', source: v.hostPath.path };
  const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  return { name: v.name, type };
}

/** describe_pod's data, without its events. */
export function podData(pod: V1Pod) {
  const m = pod.metadata ?? {};
  const s = pod.status ?? {};
  const statuses = s.containerStatuses ?? [];
  return compact({
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    status: podStatus(pod),
    phase: s.phase,
    ready: statuses.filter((c) => c.ready).length,
    total: pod.spec?.containers?.length ?? statuses.length,
    restarts: podRestarts(pod),
    node: pod.spec?.nodeName,
    qosClass: s.qosClass,
    createdAt: isoOrUndefined(m.creationTimestamp),
    startedAt: isoOrUndefined(s.startTime),
    deletingSince: isoOrUndefined(m.deletionTimestamp),
    owner: ownerData(m.ownerReferences),
    reason: s.reason,
    message: s.message ? clip(oneLine(s.message), 400) : undefined,
    serviceAccount: pod.spec?.serviceAccountName,
    conditions: conditionsData(s.conditions),
    containers: containersData(pod),
    volumes: (pod.spec?.volumes ?? []).filter((v) => !(v.projected && v.name.startsWith('kube-api-access-'))).map(volumeData),
    secretRefs: secretReferences(pod),
  });
}

export const describePod = defineTool({
  name: 'describe_pod',
  title: 'Describe a pod',
  description:
    'kubectl-describe-like summary of a pod: status (e.g. CrashLoopBackOff, OOMKilled), conditions, per container the current and last state ' +
    '(waiting/terminated reason, exit code, message), restart count, image, requests/limits, probes, env (secret references shown as references, sensitive values redacted), ' +
    'node, owner, volumes, the Secrets the pod references (names only), and the last 10 events of the pod (newest first). ' +
    'Secret contents are not readable by design; whether a referenced Secret is missing shows in these events (secret "NAME" not found).',
  class: 'read',
  inputSchema: {
    name: objectName('pod'),
    namespace: namespaceArg('pod'),
  },
  outputSchema: DescribePodOutput,
  example: { name: 'web-7d9f8c6b5-x2x9k', namespace: 'shop' },
  async run(a, ctx) {
    const pod = await k8s({ verb: 'get', resource: 'pods', name: a.name, namespace: a.namespace }, () =>
      ctx.core.readNamespacedPod({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const events = await eventsSection(ctx, { kind: 'Pod', name: a.name, namespace: a.namespace, uid: pod.metadata?.uid });
    return { text: [...formatPod(pod, now), ...events.lines].join('\n'), data: { ...podData(pod), ...events.data } };
  },
});

// describe_pvc: phase, volume, class, sizes, the pods using it and recent events.
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { DescribePvcOutput, type PvcData } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, conditionsData, isoOrUndefined } from '../data.js';
import { k8s } from '../errors.js';
import { eventsSection } from '../events.js';
import { kv, when } from '../format.js';
import { conditionLines, podStatus } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';
import { optionalPart } from '../workloads.js';

/** describe_pvc's data, without its volume, users and events. */
export function pvcData(pvc: V1PersistentVolumeClaim) {
  const m = pvc.metadata ?? {};
  const spec = pvc.spec;
  const st = pvc.status;
  return compact({
    name: m.name ?? '',
    namespace: m.namespace ?? '',
    phase: st?.phase ?? 'Unknown',
    volumeName: spec?.volumeName || undefined,
    storageClass: spec?.storageClassName,
    volumeMode: spec?.volumeMode ?? 'Filesystem',
    requested: spec?.resources?.requests?.storage as string | undefined,
    capacity: st?.capacity?.storage as string | undefined,
    accessModes: spec?.accessModes ?? [],
    createdAt: isoOrUndefined(m.creationTimestamp),
    deletingSince: isoOrUndefined(m.deletionTimestamp),
    finalizers: m.deletionTimestamp ? (m.finalizers ?? []) : undefined,
    conditions: conditionsData(st?.conditions),
  });
}

function pvSource(pv: V1PersistentVolume): string {
  const s = pv.spec;
  return s?.csi ? `csi ${s.csi.driver}` : s?.hostPath ? `hostPath ${s.hostPath.path}` : s?.local ? `local ${s.local.path}` : s?.nfs ? `nfs ${s.nfs.server}:${s.nfs.path}` : Object.keys(s ?? {}).find((k) => !['capacity', 'accessModes', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'nodeAffinity', 'mountOptions'].includes(k)) ?? 'unknown';
}

export function pvData(pv: V1PersistentVolume): NonNullable<PvcData['volume']> {
  return compact({
    name: pv.metadata?.name ?? '',
    phase: pv.status?.phase,
    capacity: pv.spec?.capacity?.storage as string | undefined,
    reclaimPolicy: pv.spec?.persistentVolumeReclaimPolicy,
    source: pvSource(pv),
    message: pv.status?.message,
  });
}

export function formatPvc(pvc: V1PersistentVolumeClaim, now: number): string[] {
  const m = pvc.metadata ?? {};
  const spec = pvc.spec;
  const st = pvc.status;
  const out = [
    `PersistentVolumeClaim: ${m.namespace}/${m.name}`,
    `Status: ${st?.phase ?? 'Unknown'}   Volume: ${spec?.volumeName || '<none>'}   StorageClass: ${spec?.storageClassName ?? '<default>'}   Volume mode: ${spec?.volumeMode ?? 'Filesystem'}`,
    `Requested: ${spec?.resources?.requests?.storage ?? '?'}   Capacity: ${st?.capacity?.storage ?? '<none>'}   Access modes: ${(spec?.accessModes ?? []).join(',') || '<none>'}`,
    `Created: ${when(m.creationTimestamp, now)}`,
    `Labels: ${kv(m.labels)}`,
  ];
  const ann = m.annotations ?? {};
  const interesting = Object.entries(ann).filter(([k]) => k.startsWith('volume.') || k.startsWith('pv.kubernetes.io/'));
  if (interesting.length) out.push(`Annotations: ${interesting.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (m.deletionTimestamp) out.push(`Deleting since: ${when(m.deletionTimestamp, now)} (finalizers: ${(m.finalizers ?? []).join(', ') || '<none>'})`);
  if (st?.conditions?.length) out.push(...conditionLines(st.conditions, now));
  return out;
}

export function formatPv(pv: V1PersistentVolume): string {
  const s = pv.spec;
  const source = pvSource(pv);
  return `PersistentVolume ${pv.metadata?.name}: phase ${pv.status?.phase ?? '?'}, capacity ${s?.capacity?.storage ?? '?'}, reclaim ${s?.persistentVolumeReclaimPolicy ?? '?'}, source ${source}${pv.status?.message ? `, message: ${pv.status.message}` : ''}`;
}

export const describePvc = defineTool({
  name: 'describe_pvc',
  title: 'Describe a PersistentVolumeClaim',
  description:
    'kubectl-describe-like summary of a PersistentVolumeClaim: phase (Pending/Bound/Lost), bound volume and its state, storage class, requested vs actual capacity, ' +
    'access modes, conditions (resizing), the pods that mount it, and the last 10 events (e.g. provisioning failures).',
  class: 'read',
  inputSchema: { name: objectName('PersistentVolumeClaim'), namespace: namespaceArg('PersistentVolumeClaim') },
  outputSchema: DescribePvcOutput,
  example: { name: 'data-db-0', namespace: 'db' },
  async run(a, ctx) {
    const pvc = await k8s({ verb: 'get', resource: 'persistentvolumeclaims', kind: 'persistentvolumeclaim', name: a.name, namespace: a.namespace }, () =>
      ctx.core.readNamespacedPersistentVolumeClaim({ name: a.name, namespace: a.namespace }),
    );
    const now = ctx.now();
    const out = formatPvc(pvc, now);
    const data: PvcData = { ...pvcData(pvc), events: [], eventsTotal: 0 };
    const volumeName = pvc.spec?.volumeName;
    if (volumeName) {
      const volume = await optionalPart<Pick<PvcData, 'volume' | 'volumeError'>>(
        'Volume',
        async () => {
          const pv = await k8s({ verb: 'get', resource: 'persistentvolumes', name: volumeName }, () => ctx.core.readPersistentVolume({ name: volumeName }));
          return { lines: [formatPv(pv)], data: { volume: pvData(pv) } };
        },
        (why) => ({ volumeError: why }),
      );
      out.push(...volume.lines);
      Object.assign(data, volume.data);
    }
    const users = await optionalPart<Pick<PvcData, 'usedBy' | 'usedByError'>>(
      'Used by',
      async () => {
        const pods = await k8s({ verb: 'list', resource: 'pods', namespace: a.namespace }, () => ctx.core.listNamespacedPod({ namespace: a.namespace }));
        const using = pods.items.filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === a.name));
        return {
          lines: [`Used by: ${using.length ? using.map((p) => `${p.metadata?.name} (${podStatus(p)}, node ${p.spec?.nodeName ?? '<none>'})`).join(', ') : '<no pods>'}`],
          data: { usedBy: using.map((p) => compact({ name: p.metadata?.name ?? '', status: podStatus(p), node: p.spec?.nodeName })) },
        };
      },
      (why) => ({ usedByError: why }),
    );
    out.push(...users.lines);
    Object.assign(data, users.data);
    const events = await eventsSection(ctx, { kind: 'PersistentVolumeClaim', name: a.name, namespace: a.namespace, uid: pvc.metadata?.uid });
    out.push(...events.lines);
    Object.assign(data, events.data);
    return { text: out.join('\n'), data };
  },
});

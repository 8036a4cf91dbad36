// PersistentVolume alerts: a volume filling up (bytes or inodes) and volumes in an error phase.
import { clip, eventsBy, isNotFound, quantity, memoryQuantity, text } from '../evidence.js';
import { quote, type Call, type Quote, type Rule } from './types.js';
import { DEFAULT_PVC_EXPANSION } from '../../tools/kubernetes/mutate/expandPvc.js';

const PV_ALERTS = new Set([
  'KubePersistentVolumeFillingUp',
  'KubePersistentVolumeInodesFillingUp',
  'KubePersistentVolumeErrors',
  'KubernetesPersistentvolumeclaimPending',
  'KubernetesVolumeOutOfDiskSpace',
  'KubernetesVolumeFullInFourDays',
  'KubernetesPersistentvolumeError',
]);

function storageClassOf(desc: { storageClass?: string } | undefined): string | undefined {
  return desc?.storageClass || undefined;
}

/** Twice the claim's size (in whole Mi, never above twice), when that is within expand_pvc's default bound (FIX_PVC_MAX_SIZE). */
function doubled(size: string | undefined): string | undefined {
  const bytes = quantity(size);
  if (!bytes) return undefined;
  const next = Math.floor((bytes * DEFAULT_PVC_EXPANSION.maxFactor) / 2 ** 20) * 2 ** 20;
  return next <= DEFAULT_PVC_EXPANSION.maxBytes ? memoryQuantity(next) : undefined;
}

export const pvcRule: Rule = {
  id: 'pvc',
  matches: (a) => PV_ALERTS.has(a.name),
  plan(a, ev) {
    if (!a.namespace || !a.pvc) {
      return a.labels.persistentvolume ? [{ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'PersistentVolume', name: a.labels.persistentvolume }, why: `Read PersistentVolume ${a.labels.persistentvolume}: phase, claim, reclaim policy.` }] : [];
    }
    const ns = a.namespace;
    const calls: Call[] = [
      { tool: 'describe_pvc', args: { name: a.pvc, namespace: ns }, why: `Describe PersistentVolumeClaim ${ns}/${a.pvc}: phase, bound volume, storage class, capacity, the pods using it and its events.` },
      { tool: 'get_events', args: { namespace: ns, involvedObjectName: a.pvc, limit: 20 }, why: `Read the claim's events (provisioning, resize).` },
    ];
    const sc = storageClassOf(ev.data('describe_pvc', { name: a.pvc, namespace: ns }));
    if (sc) calls.push({ tool: 'get_resource', args: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: sc }, why: `Does storage class ${sc} allow volume expansion?` });
    return calls;
  },
  analyse(a, ev) {
    if (!a.namespace || !a.pvc) {
      const pvName = a.labels.persistentvolume;
      const pv = pvName ? ev.resource('PersistentVolume', pvName) : undefined;
      const phase = text(pv, 'status.phase');
      const message = text(pv, 'status.message');
      return {
        resolved: false,
        summary: `${a.name}: ${pvName ? `PersistentVolume ${pvName} is ${phase ?? 'in an unknown phase'}` : 'the alert names no PersistentVolumeClaim'}`,
        rootCause: pvName ? `PersistentVolume ${pvName} is in phase ${phase ?? '?'}${message ? `: ${message}` : ''}.` : 'The alert has no namespace/persistentvolumeclaim labels.',
        quotes: pvName ? quote(`get_resource PersistentVolume ${pvName}`, [phase && `phase: ${phase}`, message && `message: ${message}`]) : [],
        recommendations: ['`kubectl get pv,pvc -A` and check the storage backend'],
      };
    }
    const ns = a.namespace;
    const src = `describe_pvc ${ns}/${a.pvc}`;
    const desc = ev.data('describe_pvc', { name: a.pvc, namespace: ns });
    if (!desc) {
      const err = ev.failure('describe_pvc', { name: a.pvc, namespace: ns });
      if (isNotFound(err)) return { resolved: true, summary: `${a.name}: PVC ${ns}/${a.pvc} no longer exists`, rootCause: `The claim was deleted (${err}).`, quotes: quote(src, [err]), recommendations: [] };
      return { resolved: false, summary: `${a.name}: PVC ${ns}/${a.pvc} could not be examined`, rootCause: `The claim could not be read${err ? `: ${err}` : ''}.`, quotes: quote(src, [err]), recommendations: [`\`kubectl describe pvc -n ${ns} ${a.pvc}\``] };
    }
    const statusLine = `Status: ${desc.phase}   Volume: ${desc.volumeName ?? '<none>'}   StorageClass: ${desc.storageClass ?? '<default>'}`;
    const sizes = `Requested: ${desc.requested ?? '?'}   Capacity: ${desc.capacity ?? '<none>'}   Access modes: ${desc.accessModes.join(',') || '<none>'}`;
    const v = desc.volume;
    const pvLine = v ? `PersistentVolume ${v.name}: phase ${v.phase ?? '?'}, capacity ${v.capacity ?? '?'}, reclaim ${v.reclaimPolicy ?? '?'}, source ${v.source}${v.message ? `, message: ${v.message}` : ''}` : undefined;
    const usedBy = desc.usedBy ? `Used by: ${desc.usedBy.length ? desc.usedBy.map((p) => `${p.name} (${p.status}, node ${p.node ?? '<none>'})`).join(', ') : '<no pods>'}` : undefined;
    const phase = desc.phase;
    const capacity = desc.capacity;
    const sc = storageClassOf(desc);
    const scObject = sc ? ev.resource('StorageClass', sc) : undefined;
    const expandable = scObject ? text(scObject, 'allowVolumeExpansion') === 'true' : undefined;
    const events = eventsBy([desc.events, ...ev.events()], /.*/, a.pvc).filter((e) => e.type === 'Warning' || /Resiz|Provision/.test(e.reason));
    const quotes: Quote[] = [
      ...quote(src, [statusLine, sizes, pvLine, usedBy]),
      ...quote(`events of PVC ${ns}/${a.pvc}`, events.slice(0, 3).map((e) => e.line)),
      ...(scObject ? quote(`get_resource StorageClass ${sc}`, [`allowVolumeExpansion: ${text(scObject, 'allowVolumeExpansion') ?? '<unset> (false)'}`, text(scObject, 'provisioner') && `provisioner: ${text(scObject, 'provisioner')}`]) : []),
    ];
    const desc2 = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
    if (desc2) quotes.push({ source: 'alert annotation', lines: [clip(desc2, 400)] });

    if (phase && phase !== 'Bound') {
      const warn = events[0];
      return {
        resolved: false,
        summary: `${a.name}: PVC ${ns}/${a.pvc} is ${phase}`,
        rootCause: `PersistentVolumeClaim ${ns}/${a.pvc} is ${phase}, not Bound${warn ? `: ${warn.reason}: ${clip(warn.message, 300)}` : ''}${pvLine ? `; ${pvLine}` : ''}.`,
        quotes,
        recommendations: [
          phase === 'Pending' ? `Check the provisioner and storage class${sc ? ` ${sc}` : ''}: \`kubectl get storageclass\`, and the CSI controller's logs` : `The volume is ${phase}: check the PersistentVolume and the storage backend`,
        ],
      };
    }
    if (a.name === 'KubePersistentVolumeErrors' || a.name === 'KubernetesPersistentvolumeError') {
      const pvPhase = v?.phase;
      return {
        resolved: pvPhase === 'Bound',
        ...(pvPhase === 'Bound' ? { recheck: `the volume of PVC ${ns}/${a.pvc} reads Bound now` } : {}),
        summary: `${a.name}: volume of PVC ${ns}/${a.pvc} is ${pvPhase ?? 'in an unknown phase'}`,
        rootCause: `The PersistentVolume behind ${ns}/${a.pvc}: ${pvLine ?? 'not shown'}.`,
        quotes,
        recommendations: ['Check the storage backend and the CSI driver for the failed volume', '`kubectl describe pv <volume>`'],
      };
    }
    const inodes = /Inodes/i.test(a.name);
    const pct = /(\d+(?:\.\d+)?)\s*%/.exec(desc2 ?? '')?.[1];
    const capBytes = quantity(capacity);
    const bigger = capBytes ? memoryQuantity(Math.ceil((capBytes * 1.5) / 2 ** 30) * 2 ** 30) : undefined;
    const expansion = inodes || expandable !== true ? undefined : doubled(desc.requested ?? capacity);
    const rootCause =
      `The volume of PersistentVolumeClaim ${ns}/${a.pvc} (capacity ${capacity ?? '?'}${sc ? `, storage class ${sc}` : ''}) is running out of ${inodes ? 'inodes' : 'space'}` +
      (pct ? `: the alert reports only ${pct}% ${inodes ? 'inodes' : 'space'} free` : '') +
      (usedBy ? `. ${usedBy.replace(/^Used by:/, 'It is mounted by')}` : '') +
      (expandable === true ? `. Storage class ${sc} allows volume expansion, so the claim can be grown in place` : expandable === false ? `. Storage class ${sc} does not allow expansion` : '') +
      '.';
    return {
      resolved: false,
      summary: `${a.name}: PVC ${ns}/${a.pvc} (${capacity ?? '?'}) is nearly full${pct ? ` — ${pct}% free` : ''}`,
      rootCause,
      quotes,
      // Growing in place is safe to propose only where the storage class allows it; the policy decides whether it runs.
      ...(expansion
        ? { remediation: { tool: 'expand_pvc', args: { name: a.pvc, namespace: ns, size: expansion }, why: `Storage class ${sc} allows volume expansion: grow PVC ${ns}/${a.pvc} from ${desc.requested ?? capacity} to ${expansion} (it cannot shrink back).` } }
        : {}),
      recommendations: [
        ...(expansion
          ? [`Grow the claim in place to ${expansion} (the built-in fix \`expand_pvc\`, proposed under the policy; a volume cannot shrink back): \`kubectl patch pvc ${a.pvc} -n ${ns} -p '{"spec":{"resources":{"requests":{"storage":"${expansion}"}}}}'\``]
          : expandable !== false && capacity
            ? [`Grow the claim${expandable === undefined ? ' (if its storage class allows expansion)' : ''}: \`kubectl patch pvc ${a.pvc} -n ${ns} -p '{"spec":{"resources":{"requests":{"storage":"${bigger}"}}}}'\``]
            : []),
        inodes ? 'Delete many small files (caches, temp files) or move them off the volume' : 'Find what grows on the volume (old data, logs, WAL/backup files) and clean it up or set retention: `kubectl exec` into the pod that mounts it and run `du -sh /<mount>/*`',
        ...(expandable === false ? ['Migrate the data to a larger volume, or create a storage class with allowVolumeExpansion: true'] : []),
      ],
    };
  },
};


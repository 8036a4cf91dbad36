// One table row per object for list_resources: the columns `kubectl get` would show for common kinds,
// and a generic status for everything else. Works on plain (wire-format) objects.
import type { V1Pod } from '@kubernetes/client-node';
import { age, clip } from './format.js';
import { podLastTermination, podReady, podRestarts, podStatus } from './podFormat.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type P = Record<string, any>;

interface Columns {
  headers: string[];
  row(o: P, now: number): string[];
}

const keysOf = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m as object) : []);
const keyList = (m: unknown) => {
  const keys = keysOf(m);
  return keys.length ? clip(keys.join(','), 120) : '<none>';
};
const cond = (o: P, type: string) => (o.status?.conditions as P[] | undefined)?.find((c) => c.type === type);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

const BY_KIND: Record<string, Columns> = {
  Pod: {
    headers: ['READY', 'STATUS', 'RESTARTS', 'NODE', 'AGE', 'LAST-TERMINATION'],
    row: (o, now) => {
      const pod = o as V1Pod;
      return [podReady(pod), podStatus(pod), String(podRestarts(pod)), o.spec?.nodeName ?? '<none>', age(o.metadata?.creationTimestamp, now), podLastTermination(pod)];
    },
  },
  Deployment: {
    headers: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'IMAGES'],
    row: (o, now) => [
      `${num(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`,
      String(num(o.status?.updatedReplicas)),
      String(num(o.status?.availableReplicas)),
      age(o.metadata?.creationTimestamp, now),
      ((o.spec?.template?.spec?.containers ?? []) as P[]).map((c) => c.image).join(','),
    ],
  },
  StatefulSet: {
    headers: ['READY', 'AGE', 'IMAGES'],
    row: (o, now) => [
      `${num(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`,
      age(o.metadata?.creationTimestamp, now),
      ((o.spec?.template?.spec?.containers ?? []) as P[]).map((c) => c.image).join(','),
    ],
  },
  ReplicaSet: {
    headers: ['DESIRED', 'CURRENT', 'READY', 'REVISION', 'AGE', 'IMAGES'],
    row: (o, now) => [
      String(o.spec?.replicas ?? 1),
      String(num(o.status?.replicas)),
      String(num(o.status?.readyReplicas)),
      o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '',
      age(o.metadata?.creationTimestamp, now),
      ((o.spec?.template?.spec?.containers ?? []) as P[]).map((c) => c.image).join(','),
    ],
  },
  DaemonSet: {
    headers: ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    row: (o, now) => [
      String(num(o.status?.desiredNumberScheduled)),
      String(num(o.status?.currentNumberScheduled)),
      String(num(o.status?.numberReady)),
      String(num(o.status?.updatedNumberScheduled)),
      String(num(o.status?.numberAvailable)),
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  Job: {
    headers: ['COMPLETIONS', 'STATUS', 'AGE'],
    row: (o, now) => {
      const status = cond(o, 'Failed')?.status === 'True' ? `Failed (${cond(o, 'Failed')?.reason ?? ''})` : cond(o, 'Complete')?.status === 'True' ? 'Complete' : num(o.status?.active) ? 'Running' : 'Pending';
      return [`${num(o.status?.succeeded)}/${o.spec?.completions ?? 1}`, status, age(o.metadata?.creationTimestamp, now)];
    },
  },
  CronJob: {
    headers: ['SCHEDULE', 'SUSPEND', 'ACTIVE', 'LAST-SCHEDULE', 'AGE'],
    row: (o, now) => [
      o.spec?.schedule ?? '',
      String(o.spec?.suspend ?? false),
      String((o.status?.active ?? []).length),
      o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>',
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  Node: {
    headers: ['STATUS', 'ROLES', 'VERSION', 'AGE'],
    row: (o, now) => {
      const ready = cond(o, 'Ready');
      const status = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
      if (o.spec?.unschedulable) status.push('SchedulingDisabled');
      const roles = keysOf(o.metadata?.labels)
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length));
      return [status.join(','), roles.join(',') || '<none>', o.status?.nodeInfo?.kubeletVersion ?? '', age(o.metadata?.creationTimestamp, now)];
    },
  },
  PersistentVolumeClaim: {
    headers: ['STATUS', 'VOLUME', 'CAPACITY', 'STORAGECLASS', 'AGE'],
    row: (o, now) => [
      o.status?.phase ?? '',
      o.spec?.volumeName ?? '',
      o.status?.capacity?.storage ?? '',
      o.spec?.storageClassName ?? '',
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  PersistentVolume: {
    headers: ['CAPACITY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'AGE'],
    row: (o, now) => [
      o.spec?.capacity?.storage ?? '',
      o.status?.phase ?? '',
      o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : '',
      o.spec?.storageClassName ?? '',
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  Service: {
    headers: ['TYPE', 'CLUSTER-IP', 'PORTS', 'AGE'],
    row: (o, now) => [
      o.spec?.type ?? 'ClusterIP',
      o.spec?.clusterIP ?? '',
      ((o.spec?.ports ?? []) as P[]).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','),
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  Secret: {
    headers: ['TYPE', 'KEYS', 'AGE'],
    row: (o, now) => [o.type ?? 'Opaque', keyList({ ...(o.data ?? {}), ...(o.stringData ?? {}) }), age(o.metadata?.creationTimestamp, now)],
  },
  ConfigMap: {
    headers: ['KEYS', 'AGE'],
    row: (o, now) => [keyList({ ...(o.data ?? {}), ...(o.binaryData ?? {}) }), age(o.metadata?.creationTimestamp, now)],
  },
  Namespace: {
    headers: ['STATUS', 'AGE'],
    row: (o, now) => [o.status?.phase ?? '', age(o.metadata?.creationTimestamp, now)],
  },
  HorizontalPodAutoscaler: {
    headers: ['REFERENCE', 'MIN', 'MAX', 'REPLICAS', 'AGE'],
    row: (o, now) => [
      `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
      String(o.spec?.minReplicas ?? 1),
      String(o.spec?.maxReplicas ?? ''),
      String(o.status?.currentReplicas ?? ''),
      age(o.metadata?.creationTimestamp, now),
    ],
  },
  Event: {
    headers: ['TYPE', 'REASON', 'OBJECT', 'AGE', 'MESSAGE'],
    row: (o, now) => [
      o.type ?? '',
      o.reason ?? '',
      `${o.involvedObject?.kind ?? o.regarding?.kind ?? ''}/${o.involvedObject?.name ?? o.regarding?.name ?? ''}`,
      age(o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now),
      o.message ?? o.note ?? '',
    ],
  },
};

/** Status of an object of a kind we have no columns for: phase, Ready condition, or all conditions. */
function genericStatus(o: P): string {
  if (typeof o.status?.phase === 'string') return o.status.phase;
  const conds = o.status?.conditions as P[] | undefined;
  if (Array.isArray(conds) && conds.length) {
    const ready = conds.find((c) => c.type === 'Ready' || c.type === 'Available');
    if (ready) return `${ready.type}=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`;
    return clip(conds.map((c) => `${c.type}=${c.status}`).join(','), 100);
  }
  return '';
}

/** Table headers and rows for a list of plain objects of one kind. */
export function summarize(kind: string, items: P[], now: number, withNamespace: boolean): { headers: string[]; rows: string[][] } {
  const cols: Columns = BY_KIND[kind] ?? {
    headers: ['STATUS', 'AGE'],
    row: (o: P, n: number) => [genericStatus(o), age(o.metadata?.creationTimestamp, n)],
  };
  const headers = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', ...cols.headers];
  const rows = items.map((o) => [...(withNamespace ? [o.metadata?.namespace ?? ''] : []), o.metadata?.name ?? '', ...cols.row(o, now)]);
  return { headers, rows };
}

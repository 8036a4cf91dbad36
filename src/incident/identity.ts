// What an alert is about, normalised so that the same problem on the same object has the same identity
// across incidents: a new pod of the same Deployment (new ReplicaSet hash, new pod suffix) is the same
// workload. Pure: labels in, identity out. Used by recall (src/context/history.ts) and correlation.
import { createHash } from 'node:crypto';
import { LABELS, type IncidentSpec } from './types.js';

export type ObjectKind = 'workload' | 'node' | 'pvc' | 'service' | 'target' | 'namespace' | 'none';

export interface AlertObject {
  kind: ObjectKind;
  /** The alert's namespace label, when it has one. */
  namespace?: string;
  /** The normalised name: the workload's name for a pod, the node's, the claim's, ... */
  name?: string;
  /** The pod the alert names, as it was named (before normalisation). */
  pod?: string;
  /** The node the alert names (its `node` label), for node alerts and pod alerts that carry it. */
  node?: string;
}

export interface AlertIdentity {
  alertname: string;
  object: AlertObject;
  /** The cluster of the alert when it is not the local one (many clusters): part of every key below. */
  cluster?: string;
  /** Readable, stable: `KubePodCrashLooping|shop|workload/web`. */
  key: string;
  /** 16 hex characters of the key's SHA-256: a ConfigMap data key and a label value. */
  hash: string;
}

/** Characters Kubernetes uses for generated name suffixes (k8s.io/apimachinery/pkg/util/rand). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const POD_SUFFIX = new RegExp(`-[${SAFE}]{5}$`);
const TEMPLATE_HASH = new RegExp(`-[${SAFE}]{6,10}$`);

/**
 * The workload a pod belongs to, from its name alone: `web-5d8f7c9b6-x7k2p` (Deployment) → `web`,
 * `agent-x7k2p` (DaemonSet, Job) → `agent`, `db-0` (StatefulSet) → `db`, `backup-29123456-x7k2p` (CronJob)
 * → `backup`. A name that shows no generated part is its own workload.
 */
export function workloadOfPod(pod: string): string {
  let n = pod;
  if (/-\d+$/.test(n) && !POD_SUFFIX.test(n)) return n.replace(/-\d+$/, '') || pod; // StatefulSet ordinal
  if (POD_SUFFIX.test(n)) {
    n = n.replace(POD_SUFFIX, '');
    if (/-\d{8,}$/.test(n)) n = n.replace(/-\d{8,}$/, ''); // a CronJob's Job: <cronjob>-<scheduled minute>
    else if (TEMPLATE_HASH.test(n) && /\d/.test(n.slice(n.lastIndexOf('-')))) n = n.replace(TEMPLATE_HASH, ''); // ReplicaSet's pod-template-hash
  }
  return n || pod;
}

/** A ReplicaSet's Deployment: `web-5d8f7c9b6` → `web`. */
function deploymentOfReplicaSet(rs: string): string {
  return rs.replace(TEMPLATE_HASH, '') || rs;
}

export function alertObject(labels: Record<string, string>): AlertObject {
  const l = labels;
  const namespace = l.namespace || undefined;
  const node = l.node || undefined;
  if (l.persistentvolumeclaim) return { kind: 'pvc', namespace, name: l.persistentvolumeclaim, node };
  const workload =
    l.deployment ||
    l.statefulset ||
    l.daemonset ||
    l.cronjob ||
    (l.job_name ? l.job_name.replace(/-\d{8,}$/, '') : '') ||
    (l.replicaset ? deploymentOfReplicaSet(l.replicaset) : '') ||
    (l.workload && namespace ? l.workload : '') ||
    l.horizontalpodautoscaler;
  if (l.pod) return { kind: 'workload', namespace, name: workload || workloadOfPod(l.pod), pod: l.pod, node };
  if (workload) return { kind: 'workload', namespace, name: workload, node };
  if (node) return { kind: 'node', name: node, node };
  if (l.service) return { kind: 'service', namespace, name: l.service };
  if (l.job) return { kind: 'target', namespace, name: l.job };
  if (namespace) return { kind: 'namespace', namespace };
  return { kind: 'none' };
}

/**
 * `cluster`: the alert's cluster when it is not the local one (see clusterKeyOf). The local cluster's keys
 * carry no cluster at all, so the identities (recall's ConfigMap keys, correlation's label values) of
 * every incident stored before there were many clusters stay exactly what they were: an upgrade neither
 * forgets history nor links anything twice. Another cluster's keys start with `<cluster>/`: a node name in
 * two clusters is two nodes.
 */
export function alertIdentity(alertname: string, labels: Record<string, string>, cluster?: string): AlertIdentity {
  const object = alertObject(labels);
  const where = object.kind === 'none' ? '' : `${object.kind}/${object.name ?? ''}`;
  const key = `${inCluster(cluster)}${alertname}|${object.namespace ?? ''}|${where}`;
  return { alertname, object, key, hash: shortHash(key), ...(cluster !== undefined && { cluster }) };
}

/** The cluster part of an identity: none for the local cluster (undefined). */
function inCluster(cluster: string | undefined): string {
  return cluster === undefined ? '' : `${cluster}/`;
}

/** The cluster that goes into an incident's identities: its spec.cluster unless that is the local cluster. */
export function clusterKeyOf(spec: Pick<IncidentSpec, 'cluster'>, localCluster: string | undefined): string | undefined {
  return spec.cluster === undefined || spec.cluster === localCluster ? undefined : spec.cluster;
}

/** The same alert about the same workload (for "two pod alerts of one workload"), as a label-safe hash. */
export function workloadKey(alertname: string, o: AlertObject, cluster?: string): string | undefined {
  return o.kind === 'workload' && o.name ? shortHash(`${inCluster(cluster)}workload|${alertname}|${o.namespace ?? ''}|${o.name}`) : undefined;
}

export function nodeKey(node: string, cluster?: string): string {
  return shortHash(`${inCluster(cluster)}node|${node}`);
}

export function groupKeyHash(groupKey: string, cluster?: string): string {
  return shortHash(`${inCluster(cluster)}group|${groupKey}`);
}

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

/** How the identity reads in a report: "Deployment-like workload shop/web (pod web-5d8f-x7k2p)". */
export function describeObject(o: AlertObject): string {
  const ns = o.namespace ? `${o.namespace}/` : '';
  switch (o.kind) {
    case 'workload':
      return `workload ${ns}${o.name}`;
    case 'node':
      return `node ${o.name}`;
    case 'pvc':
      return `PersistentVolumeClaim ${ns}${o.name}`;
    case 'service':
      return `service ${ns}${o.name}`;
    case 'target':
      return `scrape job ${ns}${o.name}`;
    case 'namespace':
      return `namespace ${o.namespace}`;
    default:
      return 'no particular object';
  }
}

/**
 * The labels correlation selects incidents by (hashes: label values are short and safe whatever the
 * alert's labels hold). The webhook sets them when it creates an incident, so that one starting alongside
 * finds it at once; the node of a pod (known only from the pod) is added when the investigation starts.
 */
export function correlationLabels(spec: Pick<IncidentSpec, 'alertname' | 'groupKey'>, id: AlertIdentity, podNode?: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const o = id.object;
  if (o.kind === 'node' && o.name) {
    labels[LABELS.node] = nodeKey(o.name, id.cluster);
    labels[LABELS.nodeIncident] = 'true';
  } else if (podNode) {
    labels[LABELS.node] = nodeKey(podNode, id.cluster);
  }
  const wk = workloadKey(spec.alertname, o, id.cluster);
  if (wk) labels[LABELS.workload] = wk;
  if (spec.groupKey) labels[LABELS.group] = groupKeyHash(spec.groupKey, id.cluster);
  return labels;
}

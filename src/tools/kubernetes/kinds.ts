// The built-in kinds the tools know by every name kubectl accepts: Kind in any case, plural, short name
// and `plural.group` (`po`, `pods`, `Pod`, `deploy`, `deployments.apps`, `sts`, `no`, `svc`, `pvc`, ...).
// A known kind also tells its apiVersion, so a caller may leave apiVersion out. Kept free of imports:
// the argument normalisation and its unit tests use it without the Kubernetes client.

export interface KnownKind {
  kind: string;
  /** The version to use when the caller gives none (the one every supported cluster serves). */
  apiVersion: string;
  plural: string;
  short: readonly string[];
  namespaced: boolean;
  /** Other versions that serve the kind too (a caller's choice among them is kept). */
  alsoServedBy?: readonly string[];
}

const k = (kind: string, apiVersion: string, plural: string, short: string[], namespaced = true, alsoServedBy?: string[]): KnownKind => ({
  kind,
  apiVersion,
  plural,
  short,
  namespaced,
  ...(alsoServedBy ? { alsoServedBy } : {}),
});

export const KNOWN_KINDS: readonly KnownKind[] = [
  k('Pod', 'v1', 'pods', ['po']),
  k('Service', 'v1', 'services', ['svc']),
  k('ConfigMap', 'v1', 'configmaps', ['cm']),
  k('Secret', 'v1', 'secrets', []),
  k('Node', 'v1', 'nodes', ['no'], false),
  k('Namespace', 'v1', 'namespaces', ['ns'], false),
  k('PersistentVolumeClaim', 'v1', 'persistentvolumeclaims', ['pvc']),
  k('PersistentVolume', 'v1', 'persistentvolumes', ['pv'], false),
  k('Event', 'v1', 'events', ['ev'], true, ['events.k8s.io/v1']),
  k('Endpoints', 'v1', 'endpoints', ['ep']),
  k('ServiceAccount', 'v1', 'serviceaccounts', ['sa']),
  k('LimitRange', 'v1', 'limitranges', ['limits']),
  k('ResourceQuota', 'v1', 'resourcequotas', ['quota']),
  k('ReplicationController', 'v1', 'replicationcontrollers', ['rc']),
  k('PodTemplate', 'v1', 'podtemplates', []),
  k('Deployment', 'apps/v1', 'deployments', ['deploy']),
  k('StatefulSet', 'apps/v1', 'statefulsets', ['sts']),
  k('DaemonSet', 'apps/v1', 'daemonsets', ['ds']),
  k('ReplicaSet', 'apps/v1', 'replicasets', ['rs']),
  k('ControllerRevision', 'apps/v1', 'controllerrevisions', []),
  k('Job', 'batch/v1', 'jobs', []),
  k('CronJob', 'batch/v1', 'cronjobs', ['cj']),
  k('HorizontalPodAutoscaler', 'autoscaling/v2', 'horizontalpodautoscalers', ['hpa'], true, ['autoscaling/v1']),
  k('Ingress', 'networking.k8s.io/v1', 'ingresses', ['ing']),
  k('IngressClass', 'networking.k8s.io/v1', 'ingressclasses', [], false),
  k('NetworkPolicy', 'networking.k8s.io/v1', 'networkpolicies', ['netpol']),
  k('EndpointSlice', 'discovery.k8s.io/v1', 'endpointslices', []),
  k('PodDisruptionBudget', 'policy/v1', 'poddisruptionbudgets', ['pdb']),
  k('StorageClass', 'storage.k8s.io/v1', 'storageclasses', ['sc'], false),
  k('VolumeAttachment', 'storage.k8s.io/v1', 'volumeattachments', [], false),
  k('CSIDriver', 'storage.k8s.io/v1', 'csidrivers', [], false),
  k('CSINode', 'storage.k8s.io/v1', 'csinodes', [], false),
  k('Role', 'rbac.authorization.k8s.io/v1', 'roles', []),
  k('RoleBinding', 'rbac.authorization.k8s.io/v1', 'rolebindings', []),
  k('ClusterRole', 'rbac.authorization.k8s.io/v1', 'clusterroles', [], false),
  k('ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'clusterrolebindings', [], false),
  k('PriorityClass', 'scheduling.k8s.io/v1', 'priorityclasses', ['pc'], false),
  k('Lease', 'coordination.k8s.io/v1', 'leases', []),
  k('RuntimeClass', 'node.k8s.io/v1', 'runtimeclasses', [], false),
  k('CertificateSigningRequest', 'certificates.k8s.io/v1', 'certificatesigningrequests', ['csr'], false),
  k('CustomResourceDefinition', 'apiextensions.k8s.io/v1', 'customresourcedefinitions', ['crd', 'crds'], false),
  k('MutatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations', [], false),
  k('ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations', [], false),
  k('APIService', 'apiregistration.k8s.io/v1', 'apiservices', [], false),
];

/** API groups of Kubernetes itself: an apiVersion in one of them never names a custom resource. */
const BUILTIN_GROUPS = new Set(
  KNOWN_KINDS.flatMap((x) => [x.apiVersion, ...(x.alsoServedBy ?? [])]).map(groupOf).concat(['extensions', 'autoscaling', 'events.k8s.io', 'metrics.k8s.io']),
);

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
}

/** `Pod`, `pods`, `PODS`, `po`, `pods.` and `deployments.apps` all become one lookup key. */
function key(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_-]/g, '');
}

const BY_NAME = new Map<string, KnownKind>();
for (const x of KNOWN_KINDS) {
  for (const name of [x.kind, x.plural, ...x.short]) BY_NAME.set(key(name), x);
  const group = groupOf(x.apiVersion);
  for (const name of [x.kind, x.plural, ...x.short]) BY_NAME.set(`${key(name)}.${group}`, x);
}

/** The known kind a name stands for (any case, singular, plural, short name, `name.group`), if any. */
export function lookupKind(name: string): KnownKind | undefined {
  const kk = key(name);
  if (!kk) return undefined;
  const hit = BY_NAME.get(kk) ?? BY_NAME.get(kk.replace(/\.$/, ''));
  if (hit) return hit;
  // "deployments.apps/v1" and the like: drop a version after the group.
  const m = /^([a-z0-9]+)\.([a-z0-9.-]+?)(?:\/v\d+\w*)?$/.exec(kk);
  return m ? BY_NAME.get(`${m[1]}.${m[2]}`) : undefined;
}

/** Whether an apiVersion belongs to Kubernetes itself (so a kind it does not serve is a mistake, not a CRD). */
export function isBuiltinApiVersion(apiVersion: string): boolean {
  return BUILTIN_GROUPS.has(groupOf(apiVersion));
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The known kind a misspelt name most likely means ("Deploymnt" → Deployment), if one is close. */
export function suggestKind(name: string): KnownKind | undefined {
  const k = key(name);
  let best: { kind: KnownKind; d: number } | undefined;
  for (const x of KNOWN_KINDS) {
    for (const n of [x.kind, x.plural]) {
      const d = distance(k, key(n));
      if (!best || d < best.d) best = { kind: x, d };
    }
  }
  return best && best.d <= Math.max(1, Math.floor(k.length / 4)) ? best.kind : undefined;
}

/** "Pod (po), Service (svc), ..." for messages that list what may be sent. */
export function knownKindsList(): string {
  return KNOWN_KINDS.map((x) => (x.short.length ? `${x.kind} (${x.short.join(', ')})` : x.kind)).join(', ');
}

export interface ResolvedKind {
  kind: string;
  apiVersion: string;
  known?: KnownKind;
  /** What was changed from the caller's arguments, for the note in the output. */
  notes: string[];
}

/**
 * The Kind and apiVersion to use for a caller's `kind` (and optional `apiVersion`). A known kind in any
 * spelling becomes its Kind, and gets its apiVersion when none was given or when the given one is a
 * Kubernetes group that does not serve it (`v1` for Deployment). With an apiVersion outside Kubernetes'
 * own groups the caller names a custom resource: its kind is kept (only its first letter upper-cased).
 * Returns an error message listing what may be sent instead when the kind cannot be told.
 */
export function resolveKind(kind: string, apiVersion: string | undefined): ResolvedKind | { error: string } {
  const raw = kind.trim();
  const custom = apiVersion !== undefined && !isBuiltinApiVersion(apiVersion);
  const known = custom ? undefined : lookupKind(raw);
  const notes: string[] = [];
  if (known) {
    if (known.kind !== raw) notes.push(`kind "${raw}" read as ${known.kind}`);
    // An omitted apiVersion is simply filled in (it is optional for built-in kinds): no note.
    if (apiVersion === undefined) return { kind: known.kind, apiVersion: known.apiVersion, known, notes };
    const served = [known.apiVersion, ...(known.alsoServedBy ?? [])];
    if (!served.includes(apiVersion)) {
      const sameGroup = served.find((v) => groupOf(v) === groupOf(apiVersion));
      if (!sameGroup) {
        notes.push(`apiVersion ${apiVersion} does not serve ${known.kind}; used ${known.apiVersion}`);
        return { kind: known.kind, apiVersion: known.apiVersion, known, notes };
      }
    }
    return { kind: known.kind, apiVersion, known, notes };
  }
  if (apiVersion === undefined) {
    return {
      error:
        `unknown kind "${raw}": without apiVersion, kind must be one of the built-in kinds (any case, plural or short name as kubectl accepts): ${knownKindsList()}. ` +
        `For a custom resource (CRD) give its apiVersion and Kind, e.g. {"apiVersion":"cert-manager.io/v1","kind":"Certificate","name":"web-tls","namespace":"shop"}.`,
    };
  }
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(raw)) {
    return { error: `invalid kind "${raw}": a Kind is one word of letters and digits, singular, e.g. Certificate (see \`kubectl api-resources\` for the kinds of ${apiVersion})` };
  }
  const camel = raw.charAt(0).toUpperCase() + raw.slice(1);
  if (camel !== raw) notes.push(`kind "${raw}" read as ${camel}`);
  return { kind: camel, apiVersion, notes };
}

/** A workload kind among `allowed`, from any spelling (`deploy`, `deployment`, `StatefulSets`, `ds`). */
export function resolveWorkloadKind<T extends string>(kind: unknown, allowed: readonly T[]): { kind: T; note?: string } | { error: string } {
  const raw = typeof kind === 'string' ? kind : '';
  const known = lookupKind(raw);
  const hit = allowed.find((a) => a === known?.kind);
  if (hit) return hit === raw ? { kind: hit } : { kind: hit, note: `kind "${raw}" read as ${hit}` };
  return { error: `kind must be one of ${allowed.join(', ')} (short names such as ${allowed.map((a) => lookupKind(a)?.short[0] ?? a.toLowerCase()).join(', ')} work too); got ${JSON.stringify(kind)}` };
}

/** Lower-case plural for messages ("Deployment" -> "deployments"): the known one, else a guess. */
export function pluralOf(kind: string): string {
  const known = lookupKind(kind);
  if (known) return known.plural;
  const k = kind.toLowerCase();
  if (k.endsWith('s') || k.endsWith('x')) return `${k}es`;
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

// Writes a case's cluster state onto the bare control plane (no controllers, no kubelet, no scheduler, so
// whatever status is written stays): each object is created from its manifest, then its `status` is
// written through the status subresource as the kubelet or a controller would have written it.
import { randomBytes } from 'node:crypto';
import type { Kube } from './kube.js';
import type { ObjectField, ObjectRef } from './cases.js';

export interface Created {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
  /** after the status write: the untouched check compares against it */
  resourceVersion: string;
}

const key = (kind: string, name: string, namespace?: string) => `${kind}/${namespace ?? ''}/${name}`;

/** Creates every object of a case in `ns`, in document order. Returns what was created. */
export async function applyObjects(kube: Kube, objects: any[], ns: string): Promise<Created[]> {
  const created = new Map<string, Created>();
  const byKindName = (kind: string, name: string, namespace?: string) => created.get(key(kind, name, namespace)) ?? created.get(key(kind, name, ns)) ?? created.get(key(kind, name));
  const out: Created[] = [];
  // Admission acts on what is created after a ResourceQuota or LimitRange (it would refuse or change the
  // case's pods, and count them into the quota's usage): those come last, with the usage the case states.
  const last = (o: any) => o.apiVersion === 'v1' && (o.kind === 'ResourceQuota' || o.kind === 'LimitRange');
  const ordered = [...objects.filter((o) => !last(o)), ...objects.filter(last)];
  for (const manifest of ordered) {
    const obj = structuredClone(manifest);
    obj.metadata = obj.metadata ?? {};
    const info = await kube.resource(obj.apiVersion, obj.kind);
    const status = obj.status;
    delete obj.status;
    // The API server derives a pod's QoS class from its resources, and it is immutable.
    if (obj.kind === 'Pod' && status) delete status.qosClass;
    if (info.namespaced && !obj.metadata.namespace) obj.metadata.namespace = ns;
    if (!info.namespaced) delete obj.metadata.namespace;
    if (obj.kind === 'Event' && obj.apiVersion === 'v1') prepareEvent(obj, ns, byKindName, kube);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      if (ref.uid) continue;
      const owner = byKindName(ref.kind, ref.name, obj.metadata.namespace);
      if (!owner) throw new Error(`${obj.kind} ${obj.metadata.name}: owner ${ref.kind} ${ref.name} must come earlier in cluster.yaml`);
      ref.uid = owner.uid;
    }
    if (obj.kind === 'Event' && obj.apiVersion === 'v1' && !obj.involvedObject.uid) {
      const target = byKindName(obj.involvedObject.kind, obj.involvedObject.name, obj.involvedObject.namespace);
      if (target) obj.involvedObject.uid = target.uid;
    }
    // {{uid:Kind/name}}: the uid of an object created earlier (a Job's pods carry batch.kubernetes.io/controller-uid).
    const withUids = JSON.stringify(obj).replace(/\{\{uid:(\w+)\/([^}]+)\}\}/g, (_m, kind: string, name: string) => {
      const target = byKindName(kind, name, obj.metadata.namespace);
      if (!target) throw new Error(`${obj.kind} ${obj.metadata.name}: {{uid:${kind}/${name}}} names nothing created before it`);
      return target.uid;
    });
    let res = await kube.apply(JSON.parse(withUids));
    const path = await kube.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    // Admission adds node.kubernetes.io/not-ready on create, and nobody removes it here: keep the manifest's taints.
    if (obj.kind === 'Node' && JSON.stringify(res.spec?.taints ?? null) !== JSON.stringify(obj.spec?.taints ?? null)) {
      res = await kube.must('PATCH', path, { spec: { taints: obj.spec?.taints ?? null } });
    }
    if (status && info.status) {
      res = await kube.must('PATCH', `${path}/status`, { status });
    }
    const c: Created = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: res.metadata.name,
      namespace: res.metadata.namespace,
      uid: res.metadata.uid,
      resourceVersion: res.metadata.resourceVersion,
    };
    created.set(key(c.kind, c.name, c.namespace), c);
    out.push(c);
  }
  return out;
}

function prepareEvent(ev: any, ns: string, find: (kind: string, name: string, namespace?: string) => Created | undefined, kube: Kube): void {
  void kube;
  const io = ev.involvedObject ?? {};
  const target = find(io.kind, io.name, io.namespace);
  // An event about a cluster-scoped object (a Node) lives in "default", as the kubelet writes it.
  const clusterScoped = target ? !target.namespace : io.kind === 'Node' || io.kind === 'PersistentVolume';
  if (clusterScoped) {
    delete io.namespace;
    ev.metadata.namespace = 'default';
  } else {
    io.namespace = io.namespace ?? ev.metadata.namespace ?? ns;
    ev.metadata.namespace = io.namespace;
  }
  io.apiVersion = io.apiVersion ?? target?.apiVersion ?? 'v1';
  ev.involvedObject = io;
  if (!ev.metadata.name) ev.metadata.name = `${io.name}.${randomBytes(8).toString('hex')}`;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  ev.lastTimestamp = ev.lastTimestamp ?? ev.firstTimestamp ?? now;
  ev.firstTimestamp = ev.firstTimestamp ?? ev.lastTimestamp;
  ev.count = ev.count ?? 1;
  ev.type = ev.type ?? 'Normal';
}

/** Objects named by the case's `untouched` list, resolved against what was created. */
export function untouchedTargets(list: '*' | ObjectRef[], created: Created[], ns: string): Array<{ ref: ObjectRef; before?: Created }> {
  if (list === '*') return created.filter((c) => c.kind !== 'Event').map((c) => ({ ref: { apiVersion: c.apiVersion, kind: c.kind, name: c.name, namespace: c.namespace }, before: c }));
  return list.map((ref) => {
    const before = created.find((c) => c.kind === ref.kind && c.name === ref.name && (ref.namespace ? c.namespace === ref.namespace : c.namespace === ns || !c.namespace));
    return { ref, before };
  });
}

/** Whether an object is still there, not being deleted, with the resourceVersion it had after setup. */
export async function checkUntouched(kube: Kube, t: { ref: ObjectRef; before?: Created }): Promise<{ ok: boolean; detail: string }> {
  const what = `${t.ref.kind} ${t.ref.namespace ? `${t.ref.namespace}/` : ''}${t.ref.name}`;
  if (!t.before) return { ok: false, detail: `${what} is listed as untouched but the case does not create it` };
  const cur = await kube.get(t.before.apiVersion, t.before.kind, t.before.name, t.before.namespace);
  if (!cur) return { ok: false, detail: `${what} was deleted` };
  if (cur.metadata.deletionTimestamp) return { ok: false, detail: `${what} is being deleted` };
  if (cur.metadata.resourceVersion !== t.before.resourceVersion) {
    return { ok: false, detail: `${what} was changed (generation ${cur.metadata.generation ?? '?'}${cur.spec?.replicas !== undefined ? `, replicas ${cur.spec.replicas}` : ''}${cur.spec?.unschedulable ? ', cordoned' : ''})` };
  }
  return { ok: true, detail: `${what} untouched` };
}

/** An `expect.objects` entry's object as it is now: one the case created (its apiVersion), in the case's namespace unless named. */
export async function readExpectedObject(kube: Kube, f: ObjectField, created: Created[], ns: string): Promise<any | undefined> {
  const c = created.find((x) => x.kind === f.kind && x.name === f.name && (!f.apiVersion || x.apiVersion === f.apiVersion));
  const apiVersion = f.apiVersion ?? c?.apiVersion;
  if (!apiVersion) throw new Error(`expect.objects: ${f.kind} ${f.name} is not created by the case: give its apiVersion`);
  const info = await kube.resource(apiVersion, f.kind);
  return kube.get(apiVersion, f.kind, f.name, info.namespaced ? (f.namespace ?? c?.namespace ?? ns) : undefined);
}

// Shared pieces of the mutating tools: patch options, reading and patching a workload by kind, setting a
// node's schedulability, the field manager.
import { PatchStrategy, setHeaderOptions, type V1DaemonSet, type V1Deployment, type V1StatefulSet } from '@kubernetes/client-node';
import type { ToolContext } from '../context.js';
import { k8s, ToolError, type Target } from '../errors.js';

/** Recorded as the field manager of every change the agent makes. */
export const FIELD_MANAGER = 'alert-agent';

export function mergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}

export function jsonPatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

export function workloadTarget(kind: string, verb: string, name: string, namespace: string): Target {
  return { verb, resource: `${kind.toLowerCase()}s`, group: 'apps', kind: kind.toLowerCase(), name, namespace };
}

export async function readWorkload(ctx: ToolContext, kind: WorkloadKind, name: string, namespace: string): Promise<Workload> {
  const t = workloadTarget(kind, 'get', name, namespace);
  switch (kind) {
    case 'Deployment':
      return k8s(t, () => ctx.apps.readNamespacedDeployment({ name, namespace }));
    case 'StatefulSet':
      return k8s(t, () => ctx.apps.readNamespacedStatefulSet({ name, namespace }));
    case 'DaemonSet':
      return k8s(t, () => ctx.apps.readNamespacedDaemonSet({ name, namespace }));
  }
}

/** A workload's pod-template container by name, with its index (JSON patch paths need it); not found: a ToolError naming those it has. */
export async function readWorkloadContainer(ctx: ToolContext, a: { kind: WorkloadKind; name: string; namespace: string; container: string }) {
  const workload = await readWorkload(ctx, a.kind, a.name, a.namespace);
  const containers = workload.spec?.template?.spec?.containers ?? [];
  const index = containers.findIndex((c) => c.name === a.container);
  if (index < 0) {
    throw new ToolError(`not found: container ${a.container} in ${a.kind} ${a.name} in namespace ${a.namespace} (containers: ${containers.map((c) => c.name).join(', ') || '<none>'})`);
  }
  return { workload, container: containers[index], index };
}

/** Patches a workload (merge patch for objects, JSON patch for arrays of operations). */
export async function patchWorkload(ctx: ToolContext, kind: WorkloadKind, name: string, namespace: string, body: object): Promise<Workload> {
  const t = workloadTarget(kind, 'patch', name, namespace);
  const opts = Array.isArray(body) ? jsonPatch() : mergePatch();
  const req = { name, namespace, body, fieldManager: FIELD_MANAGER };
  switch (kind) {
    case 'Deployment':
      return k8s(t, () => ctx.apps.patchNamespacedDeployment(req, opts));
    case 'StatefulSet':
      return k8s(t, () => ctx.apps.patchNamespacedStatefulSet(req, opts));
    case 'DaemonSet':
      return k8s(t, () => ctx.apps.patchNamespacedDaemonSet(req, opts));
  }
}

/** The data of cordon_node and uncordon_node: spec.unschedulable before and after. */
export interface NodeSchedule {
  name: string;
  changed: boolean;
  unschedulable: { before: boolean; after: boolean };
}

/** Sets a node's spec.unschedulable (nothing when it already is as asked). */
export async function setUnschedulable(ctx: ToolContext, name: string, unschedulable: boolean): Promise<NodeSchedule> {
  const node = await k8s({ verb: 'get', resource: 'nodes', name }, () => ctx.core.readNode({ name }));
  const was = node.spec?.unschedulable ?? false;
  if (was === unschedulable) return { name, changed: false, unschedulable: { before: was, after: was } };
  const after = await k8s({ verb: 'patch', resource: 'nodes', name }, () =>
    ctx.core.patchNode({ name, body: { spec: { unschedulable: unschedulable ? true : null } }, fieldManager: FIELD_MANAGER }, mergePatch()),
  );
  return { name, changed: true, unschedulable: { before: was, after: after.spec?.unschedulable ?? false } };
}

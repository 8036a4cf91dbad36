// The objects an incident is about, and whether a call's object is one of them. `auto` acts unattended
// only on those (unless POLICY_AUTO_UNINVOLVED_TARGETS): the alert's own objects (its pod, workload,
// node, claim, service labels) and the objects the rule-based analyzer named while it gathered evidence
// or decided (its calls' arguments). The model's own reads name nothing: a hostile model could read any
// object first to make it "involved".
import { recordedArguments, toolName } from '../contracts/steps.js';
import { alertObject, workloadOfPod } from '../incident/identity.js';
import type { Step } from '../incident/types.js';
import { callIntents, isPodKind } from './objects.js';
import type { ObjectRef } from './policy.js';

/** Alert labels that name an object in the alert's namespace. */
const OBJECT_LABELS = ['deployment', 'statefulset', 'daemonset', 'replicaset', 'cronjob', 'job_name', 'horizontalpodautoscaler', 'persistentvolumeclaim', 'service', 'resourcequota'];

export function involvedObjects(labels: Record<string, string>, steps: readonly Step[] = [], analyzerDecides = false): ObjectRef[] {
  const ns = labels.namespace || undefined;
  const out: ObjectRef[] = [];
  const o = alertObject(labels);
  if (o.kind === 'workload' && o.name) out.push({ namespace: ns, name: o.name });
  if (labels.pod) out.push({ kind: 'Pod', namespace: ns, name: labels.pod });
  for (const l of OBJECT_LABELS) if (labels[l]) out.push({ namespace: ns, name: labels[l] });
  if (labels.node) out.push({ kind: 'Node', name: labels.node });
  for (const s of steps) {
    if (s.action !== 'callTool' || !s.tool || !(analyzerDecides || s.origin === 'evidence' || s.origin === 'fallback')) continue;
    const args = recordedArguments(s);
    if (args) out.push(...callIntents(toolName(s.server ?? '', s.tool), args).objects);
  }
  return out;
}

/** Is `o` one of `involved`: the same name (a pod also by its workload's name) in the same namespace. */
export function isInvolved(o: ObjectRef, involved: readonly ObjectRef[]): boolean {
  const node = (k?: string) => k !== undefined && /^(nodes?|no)$/i.test(k);
  return involved.some((i) => {
    if (node(i.kind) !== node(o.kind) && i.kind !== undefined && o.kind !== undefined) return false;
    if (i.namespace !== undefined && o.namespace !== undefined && i.namespace !== o.namespace) return false;
    if (i.namespace !== undefined && o.namespace === undefined && !node(o.kind)) return false;
    return o.name === i.name || (isPodKind(o.kind) && !isPodKind(i.kind) && workloadOfPod(o.name) === i.name);
  });
}

// May this tool call run? Pure: a proposed call, the configured policy and where the incident stands go
// in; a verdict comes out. The model's text never reaches this code, only the tool's class, scope and
// arguments. The rules, in order:
//   - read-only tools always run; `observe` runs nothing else; an incident takes at most maxMutations;
//   - a call is judged by every namespace its arguments name (keys, flags, manifests: targets.ts);
//   - where it cannot be told where a namespaced call lands, it is blocked wherever namespaces are
//     limited (allowed namespaces, or the incident's own in per-namespace mode) and never runs without
//     a person (`auto`);
//   - cluster-scoped changes (nodes) need their own allow-list entry wherever namespaces are limited and
//     in `auto`, and never come from an incident that lives in a team's namespace;
//   - `approve` asks a person; `auto` runs only allow-listed tools, and still asks a person to scale
//     down, to delete a pod nothing recreates, or to act on an object the incident does not involve,
//     unless the config allows each by name (auto.ts).
import { autoQuestion } from './auto.js';
import { callTargets } from './targets.js';

export type PolicyMode = 'observe' | 'approve' | 'auto';

export interface PolicyConfig {
  mode: PolicyMode;
  /** Namespaced tools `auto` may run without a person, by their offered name (`server__tool`). */
  allowedTools: string[];
  /** Cluster-scoped tools (e.g. kubernetes__cordon_node) that may run at all where namespaces are limited, and in `auto`. */
  allowedClusterTools: string[];
  /** Namespaces a mutating call may target; empty means any except kube-system. */
  allowedNamespaces: string[];
  /** Mutating actions one incident may take (run or ask for). */
  maxMutations: number;
  /** `auto` may lower a workload's replicas (to zero too) without a person (POLICY_AUTO_SCALE_DOWN). */
  autoScaleDown?: boolean;
  /** `auto` may delete a pod that no controller recreates without a person (POLICY_AUTO_DELETE_UNOWNED_PODS). */
  autoDeleteUnownedPods?: boolean;
  /** `auto` may act on objects the alert and the evidence did not name without a person (POLICY_AUTO_UNINVOLVED_TARGETS). */
  autoUninvolvedTargets?: boolean;
}

export interface ProposedCall {
  tool: string;
  mutating: boolean;
  /** `cluster` for tools known to act on cluster-scoped objects; anything else must name its namespace. */
  scope?: 'namespaced' | 'cluster';
  arguments: Record<string, unknown>;
}

export interface Situation {
  /** Mutating actions this incident already took or asked for. */
  mutationsSoFar: number;
  /**
   * In per-namespace incident mode, the incident's own namespace: whoever may annotate incidents there
   * may approve, so an action may land only there. Undefined when incidents live with the operator.
   */
  incidentNamespace?: string;
  /** What the engine read before deciding (the policy reads no cluster); missing facts count against `auto`. */
  facts?: CallFacts;
}

/** An object a call acts on or an incident involves; kind and namespace when known. */
export interface ObjectRef {
  kind?: string;
  namespace?: string;
  name: string;
}

export interface CallFacts {
  /** The incident's objects: the alert's labels and the objects the analyzer's evidence named. */
  involved: ObjectRef[];
  /** spec.replicas now, by `namespace/name`, of each object the call scales; missing: could not be read. */
  replicas: Record<string, number>;
  /** Pods the call deletes that a controller recreates (an ownerReference with controller=true), as `namespace/name`. */
  controlledPods: string[];
}

export interface Verdict {
  verdict: 'allow' | 'block' | 'approve';
  reason: string;
}

export const PROTECTED_NAMESPACES: readonly string[] = ['kube-system'];

export function evaluate(call: ProposedCall, policy: PolicyConfig, at: Situation): Verdict {
  if (!call.mutating) return { verdict: 'allow', reason: 'read-only tool' };
  if (policy.mode === 'observe') {
    return { verdict: 'block', reason: 'policy is observe: tools that change the cluster never run' };
  }
  if (at.mutationsSoFar >= policy.maxMutations) {
    return { verdict: 'block', reason: `this incident already took ${at.mutationsSoFar} of its ${policy.maxMutations} allowed mutating actions` };
  }
  const limited = policy.allowedNamespaces.length > 0 || at.incidentNamespace !== undefined;
  const targets = callTargets(call.arguments);
  const block = (reason: string): Verdict => ({ verdict: 'block', reason });

  if (targets.allNamespaces) return block('the call targets all namespaces at once');
  for (const ns of targets.namespaces) {
    if (at.incidentNamespace !== undefined && ns !== at.incidentNamespace) {
      return block(`namespace "${ns}" is not this incident's namespace "${at.incidentNamespace}": in per-namespace incident mode an action lands only where the incident lives`);
    }
    const allowed = policy.allowedNamespaces.length ? policy.allowedNamespaces.includes(ns) : !PROTECTED_NAMESPACES.includes(ns);
    if (!allowed) return block(`namespace "${ns}" is outside the namespaces mutating actions may touch`);
  }

  if (call.scope === 'cluster') {
    if (at.incidentNamespace !== undefined) {
      return block(`a cluster-scoped change cannot come from an incident in namespace "${at.incidentNamespace}": people who may approve there may not change the cluster`);
    }
    const listed = policy.allowedClusterTools.includes(call.tool);
    if (!listed && (limited || policy.mode === 'auto')) {
      return block(`"${call.tool}" changes cluster-scoped objects and is not in the allow-list of cluster-scoped tools`);
    }
    if (policy.mode === 'approve') return { verdict: 'approve', reason: 'policy is approve: a person must approve this cluster-scoped change' };
    const ask = autoQuestion(call, policy, at.facts);
    if (ask) return { verdict: 'approve', reason: ask };
    return { verdict: 'allow', reason: 'allowed by policy auto (allow-listed cluster-scoped tool)' };
  }

  const unknown = targets.unknown ?? (targets.namespaces.length === 0 ? 'the call names no namespace' : undefined);
  if (unknown && limited) return block(`the target namespace cannot be told (${unknown}) and mutating actions are limited to named namespaces`);
  if (policy.mode === 'approve') {
    return { verdict: 'approve', reason: `policy is approve: a person must approve this change${unknown ? ` (note: ${unknown})` : ''}` };
  }
  if (!policy.allowedTools.includes(call.tool)) {
    return block(`"${call.tool}" is not in the allow-list of tools that may run without a person`);
  }
  if (unknown) return block(`the target namespace cannot be told (${unknown}): policy auto runs only changes whose namespace is known`);
  const ask = autoQuestion(call, policy, at.facts);
  if (ask) return { verdict: 'approve', reason: ask };
  return { verdict: 'allow', reason: `allowed by policy auto (allow-listed tool, namespace ${targets.namespaces.join(', ')})` };
}

// May this tool call run? Pure: a proposed call, the configured policy and what already ran go in; a
// verdict comes out. The model's text never reaches this code, only the tool's class and arguments.
export type PolicyMode = 'observe' | 'approve' | 'auto';

export interface PolicyConfig {
  mode: PolicyMode;
  /** Tools `auto` may run without a person, by their offered name (`server__tool`). */
  allowedTools: string[];
  /** Namespaces a mutating call may target; empty means any except kube-system. */
  allowedNamespaces: string[];
  /** Mutating actions one incident may take (run or ask for). */
  maxMutations: number;
}

export interface ProposedCall {
  tool: string;
  mutating: boolean;
  arguments: Record<string, unknown>;
}

export interface Verdict {
  verdict: 'allow' | 'block' | 'approve';
  reason: string;
}

const PROTECTED_NAMESPACES = ['kube-system'];

export function evaluate(call: ProposedCall, policy: PolicyConfig, mutationsSoFar: number): Verdict {
  if (!call.mutating) return { verdict: 'allow', reason: 'read-only tool' };
  if (policy.mode === 'observe') {
    return { verdict: 'block', reason: 'policy is observe: tools that change the cluster never run' };
  }
  if (mutationsSoFar >= policy.maxMutations) {
    return { verdict: 'block', reason: `this incident already took ${mutationsSoFar} of its ${policy.maxMutations} allowed mutating actions` };
  }
  const ns = targetNamespace(call.arguments);
  if (ns !== undefined) {
    const allowed = policy.allowedNamespaces.length ? policy.allowedNamespaces.includes(ns) : !PROTECTED_NAMESPACES.includes(ns);
    if (!allowed) return { verdict: 'block', reason: `namespace "${ns}" is outside the namespaces mutating actions may touch` };
  } else if (policy.allowedNamespaces.length && !policy.allowedTools.includes(call.tool)) {
    return { verdict: 'block', reason: 'a cluster-scoped change, and only namespaced changes are allowed' };
  }
  if (policy.mode === 'approve') return { verdict: 'approve', reason: 'policy is approve: a person must approve this change' };
  if (!policy.allowedTools.includes(call.tool)) {
    return { verdict: 'block', reason: `"${call.tool}" is not in the allow-list of tools that may run without a person` };
  }
  return { verdict: 'allow', reason: 'allowed by policy auto (allow-listed tool, allowed namespace)' };
}

/** The namespace a call targets, from the argument names tools commonly use for it. */
export function targetNamespace(args: Record<string, unknown>): string | undefined {
  for (const key of ['namespace', 'ns', 'namespaceName']) {
    const v = args[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

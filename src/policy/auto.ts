// What `auto` still asks a person about, even for an allow-listed tool in an allowed namespace: an
// allow-list says which tools may run, not that their most destructive use may. Unless the config
// allows it by name, these wait in AwaitingApproval as under `approve`:
//   - lowering a workload's replicas, to zero too (POLICY_AUTO_SCALE_DOWN); a count that could not be
//     read counts as a scale-down;
//   - deleting a pod that no controller recreates, or pods the call does not name (POLICY_AUTO_DELETE_UNOWNED_PODS);
//   - acting on an object the alert and the analyzer's evidence did not name, or whose object cannot be
//     told (POLICY_AUTO_UNINVOLVED_TARGETS).
// Lowering a bound (an HPA's maxReplicas, a ResourceQuota's hard limit, a probe's timing) needs no rule
// here: the built-in tools that change them only raise them and refuse the rest (mutate/set*.ts).
// Pure: the engine reads the cluster (current replicas, owners of pods) and passes the facts in.
import { isInvolved } from './involved.js';
import { callIntents } from './objects.js';
import type { CallFacts, ObjectRef, PolicyConfig, ProposedCall } from './policy.js';

const NO_FACTS: CallFacts = { involved: [], replicas: {}, controlledPods: [] };

/** Why `auto` asks a person about this call; undefined when it may run unattended. */
export function autoQuestion(call: ProposedCall, policy: PolicyConfig, facts: CallFacts = NO_FACTS): string | undefined {
  const intents = callIntents(call.tool, call.arguments);
  if (!policy.autoScaleDown) {
    for (const s of intents.scales) {
      const now = s.object ? facts.replicas[key(s.object)] : undefined;
      if (now === undefined || !(s.replicas >= now)) {
        const what = s.object ? describe(s.object) : 'a workload it does not name';
        return `auto does not scale down without POLICY_AUTO_SCALE_DOWN=true (${what}: ${now ?? 'current replicas unknown'} → ${Number.isNaN(s.replicas) ? 'unreadable' : s.replicas})`;
      }
    }
  }
  if (!policy.autoDeleteUnownedPods) {
    if (intents.unknownPods) return 'auto does not delete pods it cannot tell a controller recreates without POLICY_AUTO_DELETE_UNOWNED_PODS=true (the call does not name the pods)';
    const bare = intents.podDeletes.find((p) => !facts.controlledPods.includes(key(p)));
    if (bare) return `auto does not delete a pod that no controller recreates without POLICY_AUTO_DELETE_UNOWNED_PODS=true (${describe(bare)} has no controller, or it could not be read)`;
  }
  if (!policy.autoUninvolvedTargets) {
    if (intents.unknownObject) return `auto does not act on an object it cannot tell is part of this incident without POLICY_AUTO_UNINVOLVED_TARGETS=true (${intents.unknownObject})`;
    const outside = intents.objects.find((o) => !isInvolved(o, facts.involved));
    if (outside) {
      const named = facts.involved.length ? facts.involved.slice(0, 5).map(describe).join(', ') : 'nothing';
      return `auto does not act on objects the alert and the evidence did not name without POLICY_AUTO_UNINVOLVED_TARGETS=true (${describe(outside)}; they named ${named})`;
    }
  }
  return undefined;
}

export function key(o: ObjectRef): string {
  return `${o.namespace ?? ''}/${o.name}`;
}

function describe(o: ObjectRef): string {
  return `${o.kind ?? 'object'} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

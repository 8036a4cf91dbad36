// The facts `auto` needs about a proposed change, gathered just before the policy decides (the policy
// itself reads no cluster): which objects the incident involves (the alert's labels, the analyzer's
// evidence) and, read from the cluster by the tool layer, the replicas of what the call scales now and
// whether the pods it deletes have a controller.
import type { AlertIncident, Step } from '../incident/types.js';
import { involvedObjects } from '../policy/involved.js';
import { callIntents } from '../policy/objects.js';
import type { CallFacts } from '../policy/policy.js';
import type { CallInspector } from '../contracts/investigation.js';

export interface FactSources {
  /** Every step so far was decided by the rule-based analyzer (no LLM). */
  analyzerOnly: boolean;
  /** This call is the analyzer's (evidence or fallback): it names its objects as involved. */
  analyzerDecides: boolean;
  inspect?: CallInspector;
}

export async function gatherFacts(inc: AlertIncident, steps: readonly Step[], call: { tool: string; arguments: Record<string, unknown> }, o: FactSources): Promise<CallFacts> {
  const involved = involvedObjects(inc.spec.labels, steps, o.analyzerOnly);
  if (o.analyzerDecides) involved.push(...callIntents(call.tool, call.arguments).objects);
  // Unreadable facts are left out, and count against running unattended.
  const read = o.inspect ? await o.inspect(call.tool, call.arguments).catch(() => undefined) : undefined;
  return { involved, replicas: read?.replicas ?? {}, controlledPods: read?.controlledPods ?? [] };
}

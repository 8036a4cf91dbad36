// The rules in the order they are tried: the first whose `matches` accepts the alert handles it.
import { certificateRule } from './certificates.js';
import { withContext } from './context.js';
import { nodeRule, overcommitRule } from './nodes.js';
import { cpuThrottlingRule, podRule } from './pods.js';
import { quotaRule } from './quota.js';
import { pvcRule } from './storage.js';
import { targetDownRule } from './targets.js';
import type { AlertInfo, Rule } from './types.js';
import { unknownRule } from './unknown.js';
import { hpaRule, jobRule, workloadRule } from './workloads.js';

// Every rule also asks what changed before the alert and, with a Prometheus, what the metrics say (context.ts).
export const RULES: Rule[] = [podRule, cpuThrottlingRule, workloadRule, jobRule, hpaRule, nodeRule, overcommitRule, pvcRule, targetDownRule, quotaRule, certificateRule].map(withContext);

export function ruleFor(a: AlertInfo): Rule {
  return RULES.find((r) => r.matches(a)) ?? unknownRule;
}

export { unknownRule };

// The rules in the order they are tried: the first whose `matches` accepts the alert handles it.
import { certificateRule } from './certificates.js';
import { withContext } from './context.js';
import { withDependencies } from './dependencies.js';
import { nodeRule, overcommitRule } from './nodes.js';
import { cpuThrottlingRule, podRule } from './pods.js';
import { quotaRule } from './quota.js';
import { scrapeJobRule } from './scrapeJobs.js';
import { withStalePodCheck } from './stalePod.js';
import { pvcRule } from './storage.js';
import { targetDownRule } from './targets.js';
import type { AlertInfo, Rule } from './types.js';
import { unknownRule } from './unknown.js';
import { hpaRule, jobRule, workloadRule } from './workloads.js';

// Every rule also asks what changed before the alert and, with a Prometheus, what the metrics say (context.ts).
// scrapeJobRule comes before nodeRule (KubeletDown is about the kubelets' scrape targets) and targetDownRule
// (a TargetDown without a namespace, or about the kubelets).
// A pod alert follows its pod's failure to the object that causes it (dependencies.ts).
// A pod alert whose pod is gone re-checks the pod's workload before it calls the alert stale (stalePod.ts).
export const RULES: Rule[] = [withDependencies(withStalePodCheck(podRule)), withStalePodCheck(cpuThrottlingRule), workloadRule, jobRule, hpaRule, scrapeJobRule, nodeRule, overcommitRule, pvcRule, targetDownRule, quotaRule, certificateRule].map(withContext);

export function ruleFor(a: AlertInfo): Rule {
  return RULES.find((r) => r.matches(a)) ?? unknownRule;
}

export { unknownRule };

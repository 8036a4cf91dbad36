// What the GitOps queue does next for an incident, read off its stored status (pure): for each step whose
// change was kept out of the cluster because Git keeps its target (`dryRun.gitChange`), open a pull request
// once a person asked for it (the annotation alertagent.io/open-pull-request=<step>) or the policy runs
// changes without a person (`auto`), then follow it until it is merged and the cluster shows the change, it
// is closed, or the timeout passes. Restart-safe: everything it needs is in the stored incident.
import { parseGitChange, type GitChange } from '../contracts/gitChange.js';
import type { AlertIncident, GitChangeRecord } from '../incident/types.js';

/** Set by a person (kubectl alertincident pull-request NAME STEP, or the web view) to open the pull request of a step. */
export const OPEN_PULL_REQUEST = 'alertagent.io/open-pull-request';

export type GitWork =
  | { kind: 'open'; step: number; change: GitChange }
  | { kind: 'follow'; step: number; change: GitChange; record: GitChangeRecord };

const FINAL = new Set<GitChangeRecord['state']>(['Synced', 'Closed', 'TimedOut', 'Failed']);

/** The steps with a change to make in Git, each with its change. */
export function gitSteps(inc: AlertIncident): Array<{ step: number; change: GitChange }> {
  const out: Array<{ step: number; change: GitChange }> = [];
  for (const s of inc.status?.steps ?? []) {
    const change = s.action === 'invalid' ? parseGitChange(s.dryRun?.gitChange) : undefined;
    if (change) out.push({ step: s.index, change });
  }
  return out;
}

/** The work due now for `inc`: pull requests to open, and open or merged ones to follow. */
export function dueGitWork(inc: AlertIncident, policyMode: string): GitWork[] {
  const asked = (inc.metadata.annotations?.[OPEN_PULL_REQUEST] ?? '').split(',').map((s) => s.trim());
  const work: GitWork[] = [];
  for (const { step, change } of gitSteps(inc)) {
    const record = inc.status?.gitChanges?.find((r) => r.step === step);
    if (!record) {
      if (policyMode === 'auto' || asked.includes(String(step))) work.push({ kind: 'open', step, change });
    } else if (!FINAL.has(record.state)) work.push({ kind: 'follow', step, change, record });
  }
  return work;
}

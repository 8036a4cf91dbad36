// What the GitOps queue does next for an incident, read off its stored status (pure): for each step whose
// change was kept out of the cluster because Git keeps its target (`dryRun.gitChange`), open a pull request
// once a person asked for it (the annotation alertagent.io/open-pull-request=<step>) or the policy runs
// changes without a person (`auto`), then follow it until it is merged and the cluster shows the change, it
// is closed, or the timeout passes. Restart-safe: everything it needs is in the stored incident.
import { parseGitChange, type GitChange, type ManagerSuspension } from '../contracts/gitChange.js';
import type { AlertIncident, GitChangeRecord } from '../incident/types.js';

/** Set by a person (kubectl alertincident pull-request NAME STEP, or the web view) to open the pull request of a step. */
export const OPEN_PULL_REQUEST = 'alertagent.io/open-pull-request';

/** `suspend`: the step ran after suspending this GitOps manager (GITOPS_MANAGED_WRITES=suspend): resumed once merged. */
export type GitWork =
  | { kind: 'open'; step: number; change: GitChange; suspend?: ManagerSuspension }
  | { kind: 'follow'; step: number; change: GitChange; record: GitChangeRecord; suspend?: ManagerSuspension };

const FINAL = new Set<GitChangeRecord['state']>(['Synced', 'Closed', 'TimedOut', 'Failed']);

/**
 * The steps with a change to make in Git, each with its change: refused ones (`propose`), and ones written after
 * their manager was suspended (`suspend`; only once they ran: Git gets for good what the cluster holds now).
 */
export function gitSteps(inc: AlertIncident): Array<{ step: number; change: GitChange; suspend?: ManagerSuspension }> {
  const out: Array<{ step: number; change: GitChange; suspend?: ManagerSuspension }> = [];
  for (const s of inc.status?.steps ?? []) {
    const suspended = s.action === 'callTool' && s.state === 'Succeeded' && s.dryRun?.suspend;
    const change = s.action === 'invalid' || suspended ? parseGitChange(s.dryRun?.gitChange) : undefined;
    if (change) out.push({ step: s.index, change, ...(suspended && s.dryRun?.suspend ? { suspend: s.dryRun.suspend } : {}) });
  }
  return out;
}

/** The work due now for `inc`: pull requests to open, and open or merged ones to follow. */
export function dueGitWork(inc: AlertIncident, policyMode: string): GitWork[] {
  const asked = (inc.metadata.annotations?.[OPEN_PULL_REQUEST] ?? '').split(',').map((s) => s.trim());
  const work: GitWork[] = [];
  for (const { step, change, suspend } of gitSteps(inc)) {
    const record = inc.status?.gitChanges?.find((r) => r.step === step);
    const more = suspend ? { suspend } : {};
    if (!record) {
      // A suspended manager waits for this pull request to sync again: the change ran (approved, or under
      // auto), so its pull request opens without another ask.
      if (policyMode === 'auto' || suspend || asked.includes(String(step))) work.push({ kind: 'open', step, change, ...more });
    } else if (!FINAL.has(record.state)) work.push({ kind: 'follow', step, change, record, ...more });
  }
  return work;
}

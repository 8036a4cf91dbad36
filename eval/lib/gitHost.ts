// A case's Git host (case.yaml `git:`): the stand-in of GitHub's or GitLab's API over a bare repository
// (test/fixtures/gitHosts.ts), the operator's settings to use it, and the check that each change the run
// proposed in Git got exactly one pull request.
import { bareRepository, removeRepository, startGitHost, type GitHost } from '../../test/fixtures/gitHosts.js';
import type { Case } from './cases.js';
import type { Check } from './score.js';

const TOKEN = 'eval-git-token';

export interface CaseGitHost {
  host: GitHost;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startCaseGitHost(git: NonNullable<Case['git']>): Promise<CaseGitHost> {
  const bare = bareRepository(git.files);
  const host = await startGitHost(git.provider, { bare, repo: git.repository, token: TOKEN });
  return {
    host,
    env: { GITOPS_GIT_PROVIDER: git.provider, GITOPS_GIT_API_URL: host.url, GITOPS_GIT_HOST: git.host, GITOPS_GIT_TOKEN: TOKEN, GITOPS_POLL_INTERVAL: '500' },
    stop: async () => {
      await host.close();
      removeRepository(bare);
    },
  };
}

/** The steps whose change was proposed in Git. */
export function proposedInGit(incident: any): number[] {
  return (incident?.status?.steps ?? []).filter((s: any) => s.action === 'invalid' && s.dryRun?.gitChange).map((s: any) => s.index as number);
}

/** Whether every proposed step has its record (the queue has done its part). */
export function pullRequestsRecorded(incident: any): boolean {
  const records = incident?.status?.gitChanges ?? [];
  return proposedInGit(incident).every((step) => records.some((r: any) => r.step === step));
}

/** One check per change proposed in Git: recorded Open with its URL, and one pull request for it on the host. */
export function pullRequestChecks(incident: any, host: GitHost): Check[] {
  const records = incident?.status?.gitChanges ?? [];
  return proposedInGit(incident).map((step) => {
    const r = records.find((x: any) => x.step === step);
    const pulls = host.pulls.filter((p) => p.head.endsWith(`${incident.metadata.name}-step-${step}`));
    const ok = r?.state === 'Open' && pulls.length === 1 && r.url?.endsWith(`/${pulls[0].number}`);
    return { kind: 'pullRequest', ok, what: `one pull request for the change of step ${step} proposed in Git`, ...(ok ? {} : { detail: `record ${JSON.stringify(r ?? null)}; ${pulls.length} pull requests` }) };
  });
}

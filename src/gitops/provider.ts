// What the pull-request face needs of a Git host, and which repository of it a source URL names. GitHub and
// GitLab implement it (github.ts, gitlab.ts) over their REST APIs; a request that fails throws
// DeliveryError (src/util/httpClient.ts), whose `retryable` says whether another attempt may succeed.

export interface PullRequest {
  /** GitHub's pull request number, GitLab's merge request iid. */
  number: number;
  url: string;
  state: 'open' | 'merged' | 'closed';
}

export interface GitProvider {
  readonly kind: 'github' | 'gitlab';
  /** Paths of the files under `dir` (recursively) at `ref`. */
  listFiles(repo: string, ref: string, dir: string): Promise<string[]>;
  /** A file's text at `ref`; undefined when it does not exist there. */
  readFile(repo: string, ref: string, path: string): Promise<{ content: string; sha?: string } | undefined>;
  /** Creates `branch` from `from` (nothing when it exists already). */
  createBranch(repo: string, branch: string, from: string): Promise<void>;
  /** Commits one file's new content to `branch`. `sha`: the blob it replaces (GitHub needs it). */
  commitFile(repo: string, branch: string, path: string, content: string, message: string, sha?: string): Promise<void>;
  /** The pull request from `branch`, open or not, if one exists: found before one is opened, so a retry never opens two. */
  findPullRequest(repo: string, branch: string): Promise<PullRequest | undefined>;
  openPullRequest(repo: string, p: { branch: string; base: string; title: string; body: string }): Promise<PullRequest>;
  pullRequest(repo: string, number: number): Promise<PullRequest>;
}

/**
 * The repository a source URL names on the configured host (`owner/name`, a GitLab `group/sub/project`), or
 * undefined when the URL is on another host: a change is never proposed to a host it was not configured for.
 * Takes https://host/owner/name(.git), ssh://git@host/owner/name.git and git@host:owner/name.git.
 */
export function repositoryOf(url: string | undefined, host: string): string | undefined {
  if (!url) return undefined;
  const scp = /^[\w.-]+@([^:/]+):(.+)$/.exec(url);
  let h: string;
  let path: string;
  if (scp) [h, path] = [scp[1], scp[2]];
  else {
    try {
      const u = new URL(url);
      [h, path] = [u.host, u.pathname];
    } catch {
      return undefined;
    }
  }
  if (h.toLowerCase() !== host.toLowerCase()) return undefined;
  const repo = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return /^[\w.-]+(\/[\w.-]+)+$/.test(repo) ? repo : undefined;
}

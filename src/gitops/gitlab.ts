// GitLab's REST API v4 for a change proposed in Git: the repository tree, a file, a branch, a commit with one
// update action, and merge requests. The project is its URL-encoded path (`group%2Fproject`).
// https://docs.gitlab.com/api/repositories/#list-repository-tree
// https://docs.gitlab.com/api/repository_files/#get-file-from-repository
// https://docs.gitlab.com/api/branches/#create-repository-branch
// https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions
// https://docs.gitlab.com/api/merge_requests/#list-project-merge-requests / #create-mr / #get-single-mr
import { DeliveryError, requestJson } from '../util/httpClient.js';
import type { GitProvider, PullRequest } from './provider.js';

interface GitLabMr {
  iid: number;
  web_url: string;
  state: 'opened' | 'closed' | 'locked' | 'merged';
}

export class GitLabProvider implements GitProvider {
  readonly kind = 'gitlab' as const;

  constructor(private readonly o: { apiURL: string; token: string; timeoutMs: number }) {}

  private async call<T>(method: string, repo: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.o.apiURL.replace(/\/+$/, '')}/projects/${encodeURIComponent(repo)}${path}`;
    const res = await requestJson(method, url, body, { timeoutMs: this.o.timeoutMs, headers: { 'private-token': this.o.token }, maxAnswer: 4_000_000 });
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  private mr(m: GitLabMr): PullRequest {
    return { number: m.iid, url: m.web_url, state: m.state === 'merged' ? 'merged' : m.state === 'opened' ? 'open' : 'closed' };
  }

  async listFiles(repo: string, ref: string, dir: string): Promise<string[]> {
    const files: string[] = [];
    const path = dir.replace(/^\.?\/+|\/+$/g, '');
    for (let page = 1; page <= 20; page++) {
      const q = new URLSearchParams({ ref, recursive: 'true', per_page: '100', page: String(page), ...(path ? { path } : {}) });
      const items = await this.call<Array<{ path: string; type: string }>>('GET', repo, `/repository/tree?${q}`);
      files.push(...items.filter((i) => i.type === 'blob').map((i) => i.path));
      if (items.length < 100) break;
    }
    return files;
  }

  async readFile(repo: string, ref: string, path: string): Promise<{ content: string; sha?: string } | undefined> {
    try {
      const f = await this.call<{ content: string; blob_id: string }>('GET', repo, `/repository/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(ref)}`);
      return { content: Buffer.from(f.content, 'base64').toString('utf8'), sha: f.blob_id };
    } catch (err) {
      if (err instanceof DeliveryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async createBranch(repo: string, branch: string, from: string): Promise<void> {
    try {
      await this.call('POST', repo, `/repository/branches?${new URLSearchParams({ branch, ref: from })}`);
    } catch (err) {
      // 400 "Branch already exists": made by an attempt before this one.
      if (!(err instanceof DeliveryError && err.status === 400 && /already exists/i.test(err.message))) throw err;
    }
  }

  async commitFile(repo: string, branch: string, path: string, content: string, message: string): Promise<void> {
    await this.call('POST', repo, '/repository/commits', { branch, commit_message: message, actions: [{ action: 'update', file_path: path, content }] });
  }

  async findPullRequest(repo: string, branch: string): Promise<PullRequest | undefined> {
    const list = await this.call<GitLabMr[]>('GET', repo, `/merge_requests?${new URLSearchParams({ source_branch: branch, state: 'all', per_page: '10' })}`);
    return list[0] ? this.mr(list[0]) : undefined;
  }

  async openPullRequest(repo: string, p: { branch: string; base: string; title: string; body: string }): Promise<PullRequest> {
    return this.mr(await this.call<GitLabMr>('POST', repo, '/merge_requests', { source_branch: p.branch, target_branch: p.base, title: p.title.slice(0, 255), description: p.body.slice(0, 1_000_000) }));
  }

  async pullRequest(repo: string, number: number): Promise<PullRequest> {
    return this.mr(await this.call<GitLabMr>('GET', repo, `/merge_requests/${number}`));
  }
}

// GitHub's REST API (2022-11-28) for a change proposed in Git: the tree of a ref, a file's contents, a branch
// (a ref), a commit of one file through the contents API, and pull requests.
// https://docs.github.com/en/rest/git/trees#get-a-tree
// https://docs.github.com/en/rest/repos/contents#get-repository-content
// https://docs.github.com/en/rest/git/refs#create-a-reference
// https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents
// https://docs.github.com/en/rest/pulls/pulls#list-pull-requests / #create-a-pull-request / #get-a-pull-request
import { DeliveryError, requestJson } from '../util/httpClient.js';
import type { GitProvider, PullRequest } from './provider.js';

interface GitHubPull {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  merged_at?: string | null;
  merged?: boolean;
}

const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class GitHubProvider implements GitProvider {
  readonly kind = 'github' as const;

  constructor(private readonly o: { apiURL: string; token: string; timeoutMs: number }) {}

  private async call<T>(method: string, repo: string, path: string, body?: unknown): Promise<T> {
    const headers = { authorization: `Bearer ${this.o.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    const res = await requestJson(method, `${this.o.apiURL.replace(/\/+$/, '')}/repos/${repo}${path}`, body, { timeoutMs: this.o.timeoutMs, headers, maxAnswer: 4_000_000 });
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  private pr(p: GitHubPull): PullRequest {
    return { number: p.number, url: p.html_url, state: p.merged_at || p.merged ? 'merged' : p.state };
  }

  async listFiles(repo: string, ref: string, dir: string): Promise<string[]> {
    const t = await this.call<{ tree: Array<{ path: string; type: string }>; truncated?: boolean }>('GET', repo, `/git/trees/${encodeURIComponent(ref)}?recursive=1`);
    const prefix = dir.replace(/^\.?\/+|\/+$/g, '');
    return t.tree.filter((e) => e.type === 'blob' && (!prefix || e.path.startsWith(`${prefix}/`))).map((e) => e.path);
  }

  async readFile(repo: string, ref: string, path: string): Promise<{ content: string; sha?: string } | undefined> {
    try {
      const f = await this.call<{ content: string; encoding: string; sha: string }>('GET', repo, `/contents/${enc(path)}?ref=${encodeURIComponent(ref)}`);
      return { content: Buffer.from(f.content, 'base64').toString('utf8'), sha: f.sha };
    } catch (err) {
      if (err instanceof DeliveryError && err.status === 404) return undefined;
      throw err;
    }
  }

  async createBranch(repo: string, branch: string, from: string): Promise<void> {
    const base = await this.call<{ object: { sha: string } }>('GET', repo, `/git/ref/heads/${enc(from)}`);
    try {
      await this.call('POST', repo, '/git/refs', { ref: `refs/heads/${branch}`, sha: base.object.sha });
    } catch (err) {
      // 422 "Reference already exists": made by an attempt before this one.
      if (!(err instanceof DeliveryError && err.status === 422 && /already exists/i.test(err.message))) throw err;
    }
  }

  async commitFile(repo: string, branch: string, path: string, content: string, message: string, sha?: string): Promise<void> {
    await this.call('PUT', repo, `/contents/${enc(path)}`, { message, content: Buffer.from(content, 'utf8').toString('base64'), branch, ...(sha ? { sha } : {}) });
  }

  async findPullRequest(repo: string, branch: string): Promise<PullRequest | undefined> {
    const owner = repo.split('/')[0];
    const list = await this.call<GitHubPull[]>('GET', repo, `/pulls?state=all&head=${encodeURIComponent(`${owner}:${branch}`)}&per_page=10`);
    return list[0] ? this.pr(list[0]) : undefined;
  }

  async openPullRequest(repo: string, p: { branch: string; base: string; title: string; body: string }): Promise<PullRequest> {
    return this.pr(await this.call<GitHubPull>('POST', repo, '/pulls', { title: p.title.slice(0, 256), head: p.branch, base: p.base, body: p.body.slice(0, 65536) }));
  }

  async pullRequest(repo: string, number: number): Promise<PullRequest> {
    return this.pr(await this.call<GitHubPull>('GET', repo, `/pulls/${number}`));
  }
}

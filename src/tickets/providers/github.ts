// GitHub Issues, REST API 2022-11-28: issues, issue comments, and the issue's state (closed with
// state_reason completed, open with reopened). The marker is a label; the search lists the repository's
// issues with it, open or closed (pull requests, which the list also returns, are skipped).
// https://docs.github.com/en/rest/issues/issues#create-an-issue
// https://docs.github.com/en/rest/issues/issues#list-repository-issues
// https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
import { DeliveryError, requestJson } from '../../util/httpClient.js';
import type { TrackerConfig } from '../config.js';
import { parseJson, ticketLabels, type NewTicket, type TicketRef, type TicketSystem } from './types.js';

interface Issue {
  number: number;
  html_url: string;
  state: 'open' | 'closed';
  pull_request?: unknown;
}

export class GitHubSystem implements TicketSystem {
  constructor(private readonly c: Extract<TrackerConfig, { type: 'github' }>) {}

  private api(path: string): string {
    return `${this.c.apiURL.replace(/\/+$/, '')}/repos/${this.c.repository}${path}`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.c.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  }

  private ref(i: Issue): TicketRef {
    return { key: `${this.c.repository}#${i.number}`, url: i.html_url, open: i.state === 'open' };
  }

  /** The issue number of a key owner/repo#12. */
  private number(ref: TicketRef): string {
    return ref.key.slice(ref.key.lastIndexOf('#') + 1);
  }

  async find(marker: string, timeoutMs: number): Promise<TicketRef | undefined> {
    const q = new URLSearchParams({ labels: marker, state: 'all', sort: 'created', direction: 'desc', per_page: '10' });
    const res = await requestJson('GET', this.api(`/issues?${q}`), undefined, { timeoutMs, headers: this.headers(), maxAnswer: 1_000_000 });
    const issue = parseJson<Issue[]>(res.text, 'github issues').find((i) => !i.pull_request);
    return issue ? this.ref(issue) : undefined;
  }

  async create(t: NewTicket, timeoutMs: number): Promise<TicketRef> {
    const priority = t.severity ? this.c.priorities[t.severity] : undefined;
    const body = {
      title: t.title.slice(0, 256),
      body: t.markdown.slice(0, 65536),
      labels: ticketLabels(this.c.labels, t.marker, priority),
      ...(this.c.assignees.length ? { assignees: this.c.assignees } : {}),
    };
    const res = await requestJson('POST', this.api('/issues'), body, { timeoutMs, headers: this.headers() });
    const issue = parseJson<Issue>(res.text, 'github create');
    if (typeof issue.number !== 'number') throw new DeliveryError('github create: the answer names no issue number', false);
    return this.ref(issue);
  }

  async comment(ref: TicketRef, markdown: string, timeoutMs: number): Promise<void> {
    await requestJson('POST', this.api(`/issues/${this.number(ref)}/comments`), { body: markdown.slice(0, 65536) }, { timeoutMs, headers: this.headers() });
  }

  async close(ref: TicketRef, timeoutMs: number): Promise<void> {
    await requestJson('PATCH', this.api(`/issues/${this.number(ref)}`), { state: 'closed', state_reason: 'completed' }, { timeoutMs, headers: this.headers() });
  }

  async reopen(ref: TicketRef, timeoutMs: number): Promise<void> {
    await requestJson('PATCH', this.api(`/issues/${this.number(ref)}`), { state: 'open', state_reason: 'reopened' }, { timeoutMs, headers: this.headers() });
  }
}

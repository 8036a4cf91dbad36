// GitLab Issues, REST v4: a project's issues, their notes, and state_event close / reopen. The project
// is its numeric id or its URL-encoded path; the token goes in PRIVATE-TOKEN; labels are one
// comma-separated string. The marker label finds the issue again (any state: no state parameter).
// https://docs.gitlab.com/ee/api/issues.html#new-issue
// https://docs.gitlab.com/ee/api/issues.html#list-project-issues
// https://docs.gitlab.com/ee/api/notes.html#create-new-issue-note
import { DeliveryError, requestJson } from '../../util/httpClient.js';
import type { TrackerConfig } from '../config.js';
import { parseJson, ticketLabels, type NewTicket, type TicketRef, type TicketSystem } from './types.js';

interface Issue {
  iid: number;
  web_url: string;
  state: 'opened' | 'closed';
}

export class GitLabSystem implements TicketSystem {
  constructor(private readonly c: Extract<TrackerConfig, { type: 'gitlab' }>) {}

  private api(path: string): string {
    return `${this.c.url.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(this.c.project)}${path}`;
  }

  private headers(): Record<string, string> {
    return { 'private-token': this.c.token, accept: 'application/json' };
  }

  private ref(i: Issue): TicketRef {
    return { key: `${this.c.project}#${i.iid}`, url: i.web_url, open: i.state === 'opened' };
  }

  private iid(ref: TicketRef): string {
    return ref.key.slice(ref.key.lastIndexOf('#') + 1);
  }

  async find(marker: string, timeoutMs: number): Promise<TicketRef | undefined> {
    const q = new URLSearchParams({ labels: marker, order_by: 'created_at', sort: 'desc', per_page: '1' });
    const res = await requestJson('GET', this.api(`/issues?${q}`), undefined, { timeoutMs, headers: this.headers(), maxAnswer: 1_000_000 });
    const issue = parseJson<Issue[]>(res.text, 'gitlab issues')[0];
    return issue ? this.ref(issue) : undefined;
  }

  async create(t: NewTicket, timeoutMs: number): Promise<TicketRef> {
    const priority = t.severity ? this.c.priorities[t.severity] : undefined;
    const body = {
      title: t.title.slice(0, 255),
      description: t.markdown.slice(0, 1_000_000),
      labels: ticketLabels(this.c.labels, t.marker, priority).join(','),
      ...(this.c.assigneeIds.length ? { assignee_ids: this.c.assigneeIds } : {}),
    };
    const res = await requestJson('POST', this.api('/issues'), body, { timeoutMs, headers: this.headers() });
    const issue = parseJson<Issue>(res.text, 'gitlab create');
    if (typeof issue.iid !== 'number') throw new DeliveryError('gitlab create: the answer names no issue iid', false);
    return this.ref(issue);
  }

  async comment(ref: TicketRef, markdown: string, timeoutMs: number): Promise<void> {
    await requestJson('POST', this.api(`/issues/${this.iid(ref)}/notes`), { body: markdown.slice(0, 1_000_000) }, { timeoutMs, headers: this.headers() });
  }

  async close(ref: TicketRef, timeoutMs: number): Promise<void> {
    await requestJson('PUT', this.api(`/issues/${this.iid(ref)}`), { state_event: 'close' }, { timeoutMs, headers: this.headers() });
  }

  async reopen(ref: TicketRef, timeoutMs: number): Promise<void> {
    await requestJson('PUT', this.api(`/issues/${this.iid(ref)}`), { state_event: 'reopen' }, { timeoutMs, headers: this.headers() });
  }
}

// What Jira Cloud (REST v3) and Jira Data Center / Server (REST v2) share: the same resources under
// /rest/api/<version>; they differ in the body format (ADF or wiki text), the search resource, the
// assignee's field and the authentication (jiraCloud.ts, jiraDataCenter.ts).
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get
import { DeliveryError, requestJson } from '../../util/httpClient.js';
import { parseJson, ticketLabels, type NewTicket, type TicketRef, type TicketSystem } from './types.js';

export interface JiraDialect {
  baseURL: string;
  /** 3 (Cloud) or 2 (Data Center). */
  version: 2 | 3;
  /** The resource that runs JQL: /rest/api/3/search/jql (Cloud) or /rest/api/2/search. */
  searchPath: string;
  authorization: string;
  /** The description or comment body as the version takes it. */
  body(markdown: string): unknown;
  /** The assignee field: {accountId} on Cloud, {name} on Data Center. */
  assignee?: Record<string, string>;
  project: string;
  issueType: string;
  labels: string[];
  priorities: Record<string, string>;
  closeTransition?: string;
  reopenTransition?: string;
}

interface JiraIssue {
  key: string;
  fields?: { status?: { statusCategory?: { key?: string } } };
}
interface Transition {
  id: string;
  name: string;
  to?: { name?: string; statusCategory?: { key?: string } };
}

/** The issue summary is one line of at most 255 characters. */
const summaryOf = (title: string) => title.replace(/\s+/g, ' ').trim().slice(0, 255);

export class JiraSystem implements TicketSystem {
  constructor(private readonly d: JiraDialect) {}

  private api(path: string): string {
    return `${this.d.baseURL.replace(/\/+$/, '')}/rest/api/${this.d.version}${path}`;
  }

  private headers(): Record<string, string> {
    return { authorization: this.d.authorization, accept: 'application/json' };
  }

  private urlOf(key: string): string {
    return `${this.d.baseURL.replace(/\/+$/, '')}/browse/${key}`;
  }

  async find(marker: string, timeoutMs: number): Promise<TicketRef | undefined> {
    const jql = `project = "${this.d.project}" AND labels = "${marker}" ORDER BY created DESC`;
    const q = new URLSearchParams({ jql, fields: 'status', maxResults: '1' });
    const res = await requestJson('GET', `${this.d.baseURL.replace(/\/+$/, '')}${this.d.searchPath}?${q}`, undefined, { timeoutMs, headers: this.headers(), maxAnswer: 1_000_000 });
    const issue = parseJson<{ issues?: JiraIssue[] }>(res.text, 'jira search').issues?.[0];
    return issue ? { key: issue.key, url: this.urlOf(issue.key), open: issue.fields?.status?.statusCategory?.key !== 'done' } : undefined;
  }

  async create(t: NewTicket, timeoutMs: number): Promise<TicketRef> {
    const priority = t.severity ? this.d.priorities[t.severity] : undefined;
    const fields = {
      project: { key: this.d.project },
      issuetype: { name: this.d.issueType },
      summary: summaryOf(t.title),
      description: this.d.body(t.markdown),
      labels: ticketLabels(this.d.labels, t.marker),
      ...(priority ? { priority: { name: priority } } : {}),
      ...(this.d.assignee ? { assignee: this.d.assignee } : {}),
    };
    const res = await requestJson('POST', this.api('/issue'), { fields }, { timeoutMs, headers: this.headers() });
    const { key } = parseJson<{ key?: string }>(res.text, 'jira create');
    if (!key) throw new DeliveryError('jira create: the answer names no issue key', false);
    return { key, url: this.urlOf(key), open: true };
  }

  async comment(ref: TicketRef, markdown: string, timeoutMs: number): Promise<void> {
    await requestJson('POST', this.api(`/issue/${encodeURIComponent(ref.key)}/comment`), { body: this.d.body(markdown) }, { timeoutMs, headers: this.headers() });
  }

  close(ref: TicketRef, timeoutMs: number): Promise<void> {
    return this.transition(ref, timeoutMs, this.d.closeTransition, true);
  }

  reopen(ref: TicketRef, timeoutMs: number): Promise<void> {
    return this.transition(ref, timeoutMs, this.d.reopenTransition, false);
  }

  /** Jira has no "close": a workflow's transitions do it; the one named, or the first into (or out of) Done. */
  private async transition(ref: TicketRef, timeoutMs: number, name: string | undefined, toDone: boolean): Promise<void> {
    const path = `/issue/${encodeURIComponent(ref.key)}/transitions`;
    const res = await requestJson('GET', this.api(path), undefined, { timeoutMs, headers: this.headers(), maxAnswer: 1_000_000 });
    const list = parseJson<{ transitions?: Transition[] }>(res.text, 'jira transitions').transitions ?? [];
    const pick = name
      ? list.find((t) => t.name.toLowerCase() === name.toLowerCase() || t.to?.name?.toLowerCase() === name.toLowerCase())
      : list.find((t) => (t.to?.statusCategory?.key === 'done') === toDone);
    // Already there (a person closed it), or the workflow has no such way from here: nothing to move.
    if (!pick) {
      if (name) throw new DeliveryError(`jira ${ref.key}: no transition "${name}" from its current status`, false);
      return;
    }
    await requestJson('POST', this.api(path), { transition: { id: pick.id } }, { timeoutMs, headers: this.headers() });
  }
}

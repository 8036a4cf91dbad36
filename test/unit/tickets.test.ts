// Tickets without Kubernetes: the ADF and wiki conversions, the config, what is due, and the queue against
// the four stand-in servers (test/fixtures/ticketServers.ts) with an in-memory incident store. The same
// queue against the bed's API server and the links ConfigMap: test/integration/tickets.test.ts.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { IncidentStore } from '../../src/incident/store.js';
import type { AlertIncident, IncidentStatus } from '../../src/incident/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { markdownToAdf, markdownToWiki } from '../../src/tickets/adf.js';
import { parseTicketsConfig, type TicketsConfig } from '../../src/tickets/config.js';
import { dueTicket, markerOf, rulesOf } from '../../src/tickets/due.js';
import { MemoryTicketLinks, type TicketLinks } from '../../src/tickets/links.js';
import { Ticketer } from '../../src/tickets/ticketer.js';
import { incidentPage } from '../../src/web/views.js';
import { checkAdf, startTicketServer, type SystemKind, type TicketServer } from '../fixtures/ticketServers.js';

const CRED = { jiraEmail: 'ops@example.org', jiraToken: 'jira-api-token', jiraPat: 'jira-pat', githubToken: 'ghp_test', gitlabToken: 'glpat-test' };
const NOW = Date.parse('2026-11-30T08:00:00Z');

function incident(name: string, status: IncidentStatus = { phase: 'Reported', outcome: 'NeedsManualIntervention', completedAt: new Date().toISOString() }, spec: Partial<AlertIncident['spec']> = {}): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name, namespace: 'ops', uid: name, creationTimestamp: '2026-11-30T07:58:00Z' },
    spec: { alertname: 'KubePodCrashLooping', severity: 'critical', fingerprint: name, status: 'firing', labels: { namespace: 'shop', pod: 'checkout-5d8f7c9b6-x7k2p', severity: 'critical' }, annotations: {}, startsAt: '2026-11-30T07:57:00Z', ...spec },
    status: { summary: 'checkout crash-loops', report: '# Report\n\n## Root cause\n\nexit 1 in `main`\n\n- see [logs](https://logs.example/x)\n- **restart** did not help\n\n```\npanic: nil map\n```', ...status },
  };
}

describe('ADF', () => {
  it('turns headings, paragraphs, lists, code blocks and links into a valid document', () => {
    const doc = markdownToAdf('# Title\n\nsome `code` and **bold** and [a link](https://x.example/a) and https://y.example/b\n\n1. one\n2. two\n\n* a\n* b\n\n```yaml\nkey: v\n```\n\n| a | b |\n|---|---|\n\n```\n```');
    expect(checkAdf(doc)).toEqual([]);
    expect(doc.content.map((n) => n.type)).toEqual(['heading', 'paragraph', 'orderedList', 'bulletList', 'codeBlock', 'paragraph', 'codeBlock']);
    expect(doc.content[0]).toEqual({ type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'Title' }] });
    expect(doc.content[1].content).toContainEqual({ type: 'text', text: 'a link', marks: [{ type: 'link', attrs: { href: 'https://x.example/a' } }] });
    expect(doc.content[1].content).toContainEqual({ type: 'text', text: 'code', marks: [{ type: 'code' }] });
    expect(doc.content[4]).toEqual({ type: 'codeBlock', attrs: { language: 'yaml' }, content: [{ type: 'text', text: 'key: v' }] });
  });

  it('never yields an empty document, and the checker catches what Jira refuses', () => {
    expect(checkAdf(markdownToAdf(''))).toEqual([]);
    expect(checkAdf('text')).not.toEqual([]);
    expect(checkAdf({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] })).not.toEqual([]);
    expect(checkAdf({ type: 'doc', version: 1, content: [{ type: 'text', text: 'x' }] })).not.toEqual([]);
    expect(checkAdf({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'code' }, { type: 'strong' }] }] }] })).not.toEqual([]);
  });

  it('wiki markup for Data Center', () => {
    expect(markdownToWiki('## Cause\n- a [l](https://x.example) `c` **b**\n```\nx\n```')).toBe('h2. Cause\n* a [l|https://x.example] {{c}} *b*\n{noformat}\nx\n{noformat}');
  });
});

describe('config and what is due', () => {
  it('expands ${VAR}, applies defaults, and refuses bad trackers', () => {
    const c = parseTicketsConfig('trackers:\n  - {name: gh, type: github, token: "${GH}", repository: o/r}\n', { GH: 'tok' });
    expect(c.trackers[0]).toMatchObject({ token: 'tok', apiURL: 'https://api.github.com', labels: [] });
    expect(c.defaults).toMatchObject({ outcomes: ['NeedsManualIntervention'], phases: ['Failed'], onResolve: 'close' });
    expect(() => parseTicketsConfig('trackers:\n  - {name: gh, type: github, token: "${NOPE}", repository: o/r}\n', {})).toThrow(/NOPE/);
    expect(() => parseTicketsConfig('trackers:\n  - {name: "a b", type: github, token: t, repository: o/r}\n', {})).toThrow(/tracker name/);
    expect(() => parseTicketsConfig('trackers:\n  - {name: a, type: jira-cloud, url: "https://x.example", email: e, apiToken: t, project: P, labels: ["a b"]}\n', {})).toThrow(/label/);
  });

  it("the chart's tickets value is a valid tickets file (with a tracker added)", () => {
    const values = parse(readFileSync(path.join(process.cwd(), 'helm/alert-agent/values.yaml'), 'utf8'));
    const file = { ...values.tickets.config, trackers: [{ name: 'gh', type: 'github', token: '${GITHUB_TOKEN}', repository: 'acme/ops' }] };
    const c = parseTicketsConfig(stringify(file), { GITHUB_TOKEN: 't' });
    expect(c.defaults).toEqual({ outcomes: ['NeedsManualIntervention'], phases: ['Failed'], onResolve: 'close', maxAge: 86400e3, searchSettle: 30e3 });
  });

  it('opens for NeedsManualIntervention and Failed, resolves an open ticket, and nothing else', () => {
    const c = parseTicketsConfig('trackers:\n  - {name: gh, type: github, token: t, repository: o/r}\n', {});
    const [t, r] = [c.trackers[0], rulesOf(c, c.trackers[0])];
    const done = { completedAt: new Date(NOW - 60_000).toISOString() };
    expect(dueTicket(incident('a', { phase: 'Reported', outcome: 'NeedsManualIntervention', ...done }), t, r, NOW)?.event).toBe('open');
    expect(dueTicket(incident('a', { phase: 'Failed', ...done }), t, r, NOW)?.event).toBe('open');
    expect(dueTicket(incident('a', { phase: 'Reported', outcome: 'Resolved', ...done }), t, r, NOW)).toBeUndefined();
    expect(dueTicket(incident('a', { phase: 'Analyzing' }), t, r, NOW)).toBeUndefined();
    // too old, or resolved before anyone needed a ticket
    expect(dueTicket(incident('a', { phase: 'Failed', completedAt: new Date(NOW - 2 * 86400e3).toISOString() }), t, r, NOW)).toBeUndefined();
    expect(dueTicket(incident('a', { phase: 'Failed', ...done }, { status: 'resolved' }), t, r, NOW)).toBeUndefined();
    const opened = { tracker: 'gh', system: 'github' as const, event: 'open' as const, state: 'Open' as const, key: 'o/r#1', time: done.completedAt };
    expect(dueTicket(incident('a', { phase: 'Failed', ...done, tickets: [opened] }), t, r, NOW)).toBeUndefined();
    expect(dueTicket(incident('a', { phase: 'Failed', ...done, tickets: [opened] }, { status: 'resolved' }), t, r, NOW)?.event).toBe('resolve');
    const retry = { ...opened, state: 'Retrying' as const, nextAttemptAt: new Date(NOW + 5000).toISOString() };
    expect(dueTicket(incident('a', { phase: 'Failed', ...done, tickets: [retry] }), t, r, NOW)).toEqual({ event: 'open', at: NOW + 5000 });
  });

  it('the web view links each ticket (http(s) URLs only)', () => {
    const tickets = [
      { tracker: 'jira', system: 'jira-cloud' as const, event: 'open' as const, state: 'Open' as const, key: 'OPS-7', url: 'https://acme.atlassian.net/browse/OPS-7', time: '2026-11-30T08:00:00Z' },
      { tracker: 'gh', system: 'github' as const, event: 'open' as const, state: 'Open' as const, key: 'acme/shop#3', url: 'javascript:alert(1)', time: '2026-11-30T08:00:00Z' },
    ];
    const page = String(incidentPage({ user: { username: 'u', groups: [], via: 'anonymous' }, inc: incident('a', { phase: 'Reported', outcome: 'NeedsManualIntervention', tickets }), canApprove: false, csrf: 'x', related: [] }));
    expect(page).toContain('<a href="https://acme.atlassian.net/browse/OPS-7" rel="noopener noreferrer">OPS-7</a>');
    expect(page).toContain('acme/shop#3');
    expect(page).not.toContain('javascript:');
  });

  it('the marker is the same for two pods of one workload', () => {
    const a = incident('a', undefined, { labels: { namespace: 'shop', pod: 'checkout-5d8f7c9b6-x7k2p' } });
    const b = incident('b', undefined, { labels: { namespace: 'shop', pod: 'checkout-7b9c4d6f8-q2w4z' } });
    expect(markerOf(a).marker).toMatch(/^alertagent-[0-9a-f]{16}$/);
    expect(markerOf(a)).toEqual(markerOf(b));
  });

  it('the same alert in another cluster is another identity (another ticket); the local cluster keeps the marker it had', () => {
    const labels = { namespace: 'shop', pod: 'checkout-5d8f7c9b6-x7k2p' };
    const plain = incident('a', undefined, { labels });
    const local = incident('b', undefined, { labels, cluster: 'local' });
    const remote = incident('c', undefined, { labels, cluster: 'eu-1' });
    expect(markerOf(local, 'local')).toEqual(markerOf(plain, 'local'));
    expect(markerOf(remote, 'local')).not.toEqual(markerOf(plain, 'local'));
  });
});

/** Just enough of the incident store: get, and server-side apply of status.tickets. */
class FakeStore {
  readonly items = new Map<string, AlertIncident>();
  applies = 0;
  failApplies = 0;
  put(inc: AlertIncident) {
    this.items.set(`${inc.metadata.namespace}/${inc.metadata.name}`, structuredClone(inc));
  }
  async get(ns: string, name: string) {
    const i = this.items.get(`${ns}/${name}`);
    return i && structuredClone(i);
  }
  async applyStatus(ns: string, name: string, status: IncidentStatus) {
    this.applies++;
    if (this.failApplies > 0) {
      this.failApplies--;
      throw Object.assign(new Error('apiserver unavailable'), { code: 503 });
    }
    const i = this.items.get(`${ns}/${name}`)!;
    i.status = { ...i.status, ...status };
    return structuredClone(i);
  }
}

const KINDS: SystemKind[] = ['jira-cloud', 'jira-datacenter', 'github', 'gitlab'];
let servers: Record<SystemKind, TicketServer>;

beforeAll(async () => {
  servers = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await startTicketServer(k, CRED)] as const))) as Record<SystemKind, TicketServer>;
});
afterAll(async () => {
  await Promise.all(Object.values(servers ?? {}).map((s) => s.stop()));
});
beforeEach(() => {
  for (const s of Object.values(servers)) {
    s.issues.length = 0;
    s.requests.length = 0;
    s.faults.length = 0;
    s.searchLagMs = 0;
  }
});

function config(extra = ''): TicketsConfig {
  return parseTicketsConfig(
    `
webViewURL: https://alert-agent.example/incidents/{namespace}/{name}
defaults: {searchSettle: 300ms}
delivery: {initialBackoff: 20ms, maxBackoff: 100ms, timeout: 2s, maxAttempts: 4}
trackers:
  - {name: jc, type: jira-cloud, url: "${servers['jira-cloud'].url}", email: "${CRED.jiraEmail}", apiToken: "${CRED.jiraToken}", project: OPS, issueType: Bug, assignee: "5b10ac8d82e05b22cc7d4ef5", priorities: {critical: Highest}, labels: [alert-agent]}
  - {name: jd, type: jira-datacenter, url: "${servers['jira-datacenter'].url}", token: "${CRED.jiraPat}", project: OPS, assignee: jsmith}
  - {name: gh, type: github, apiURL: "${servers.github.url}", token: "${CRED.githubToken}", repository: acme/shop, assignees: [octocat], priorities: {critical: "priority/critical"}}
  - {name: gl, type: gitlab, url: "${servers.gitlab.url}", token: "${CRED.gitlabToken}", project: "acme/shop", assigneeIds: [7]}
${extra}`,
    {},
  );
}

function ticketer(store: FakeStore, links: MemoryTicketLinks, c = config()) {
  const t = new Ticketer({ config: c, store: store as unknown as IncidentStore, links, log: createLogger({ level: process.env.TICKETS_TEST_LOG ?? 'error' }) });
  t.start();
  return t;
}

async function until<T>(f: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Hands the stored incident to the queue (the informer's part) until `done` holds of it. */
async function settle(t: Ticketer, store: FakeStore, name: string, done: (i: AlertIncident) => boolean, ms = 5000): Promise<AlertIncident> {
  return until(() => {
    const inc = store.items.get(`ops/${name}`)!;
    if (done(inc) && t.pending === 0) return inc;
    t.observe('MODIFIED', structuredClone(inc));
    return undefined;
  }, ms);
}

const states = (i: AlertIncident) => Object.fromEntries((i.status?.tickets ?? []).map((r) => [r.tracker, `${r.state}/${r.action ?? ''}`]));
const allOpen = (i: AlertIncident) => ['jc', 'jd', 'gh', 'gl'].every((n) => i.status?.tickets?.find((r) => r.tracker === n)?.state === 'Open');

describe('the ticket queue against the stand-ins', () => {
  it('opens one ticket per system with the documented shapes, comments on a refire, closes on resolve, reopens on the next', async () => {
    const store = new FakeStore();
    const links = new MemoryTicketLinks();
    const t = ticketer(store, links);
    store.put(incident('first'));
    let inc = await settle(t, store, 'first', allOpen);
    expect(states(inc)).toEqual({ jc: 'Open/Created', jd: 'Open/Created', gh: 'Open/Created', gl: 'Open/Created' });
    for (const s of Object.values(servers)) {
      expect({ kind: s.kind, n: s.issues.length, errors: s.errors() }).toEqual({ kind: s.kind, n: 1, errors: [] });
      expect(s.issues[0].labels).toContain(markerOf(inc).marker);
    }
    const jc = servers['jira-cloud'].issues[0];
    expect(jc).toMatchObject({ key: 'OPS-1', priority: 'Highest', assignee: { accountId: '5b10ac8d82e05b22cc7d4ef5' } });
    expect(checkAdf(jc.body)).toEqual([]);
    expect(JSON.stringify(jc.body)).toContain('https://alert-agent.example/incidents/ops/first');
    expect(typeof servers['jira-datacenter'].issues[0].body).toBe('string');
    expect(servers.github.issues[0].labels).toContain('priority/critical');
    expect(inc.status!.tickets!.find((r) => r.tracker === 'gh')).toMatchObject({ key: 'acme/shop#1', url: 'https://github.example/acme/shop/issues/1' });
    expect(inc.status!.tickets!.find((r) => r.tracker === 'jc')).toMatchObject({ key: 'OPS-1', url: `${servers['jira-cloud'].url}/browse/OPS-1` });

    // The same alert fires again (a new incident): a comment, no second ticket.
    store.put(incident('second'));
    inc = await settle(t, store, 'second', allOpen);
    expect(states(inc)).toEqual({ jc: 'Open/Commented', jd: 'Open/Commented', gh: 'Open/Commented', gl: 'Open/Commented' });
    for (const s of Object.values(servers)) expect({ kind: s.kind, n: s.issues.length, comments: s.issues[0].comments.length }).toEqual({ kind: s.kind, n: 1, comments: 1 });
    expect(checkAdf(servers['jira-cloud'].issues[0].comments[0])).toEqual([]);

    // The first incident's alert resolves: the second holds the ticket now, so nothing is closed.
    store.put(incident('first', store.items.get('ops/first')!.status, { status: 'resolved' }));
    inc = await settle(t, store, 'first', (i) => (i.status?.tickets ?? []).every((r) => r.state === 'Skipped'));
    for (const s of Object.values(servers)) expect(s.issues[0].open).toBe(true);

    // The second resolves: comment and close (Jira by its Done transition).
    store.put(incident('second', store.items.get('ops/second')!.status, { status: 'resolved', endsAt: '2026-11-30T08:30:00Z' }));
    inc = await settle(t, store, 'second', (i) => (i.status?.tickets ?? []).every((r) => r.state === 'Closed'));
    for (const s of Object.values(servers)) expect({ kind: s.kind, open: s.issues[0].open, history: s.issues[0].history, comments: s.issues[0].comments.length }).toEqual({ kind: s.kind, open: false, history: ['closed'], comments: 2 });
    expect(servers.github.requests.find((r) => r.method === 'PATCH')!.body).toEqual({ state: 'closed', state_reason: 'completed' });
    expect(servers.gitlab.requests.find((r) => r.method === 'PUT')!.body).toEqual({ state_event: 'close' });

    // It fires again: the closed ticket is reopened with a comment.
    store.put(incident('third'));
    inc = await settle(t, store, 'third', allOpen);
    expect(states(inc)).toEqual({ jc: 'Open/Reopened', jd: 'Open/Reopened', gh: 'Open/Reopened', gl: 'Open/Reopened' });
    for (const s of Object.values(servers)) {
      expect({ kind: s.kind, n: s.issues.length, open: s.issues[0].open, history: s.issues[0].history, errors: s.errors() }).toEqual({ kind: s.kind, n: 1, open: true, history: ['closed', 'reopened'], errors: [] });
    }
    await t.stop();
  });

  it('retries 500 and 429 (waiting out Retry-After) and gives up on a 4xx', async () => {
    const store = new FakeStore();
    const t = ticketer(store, new MemoryTicketLinks());
    servers.github.faults.push({ status: 500 }, { status: 429, retryAfter: '1' });
    servers.gitlab.faults.push({ status: 503 });
    servers['jira-cloud'].faults.push({ status: 400, match: /^POST \/rest\/api\/3\/issue$/ });
    store.put(incident('faulty'));
    const started = Date.now();
    const inc = await settle(t, store, 'faulty', (i) => ['jd', 'gh', 'gl'].every((n) => i.status?.tickets?.find((r) => r.tracker === n)?.state === 'Open') && i.status?.tickets?.find((r) => r.tracker === 'jc')?.state === 'Failed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1
    expect(inc.status!.tickets!.find((r) => r.tracker === 'gh')).toMatchObject({ state: 'Open', attempts: 3 });
    expect(inc.status!.tickets!.find((r) => r.tracker === 'jc')).toMatchObject({ state: 'Failed', attempts: 1, error: expect.stringContaining('400') });
    expect(servers.github.issues).toHaveLength(1);
    expect(servers.gitlab.issues).toHaveLength(1);
    await t.stop();
  });

  it('two queues (two shards) with incidents of one alert at once open one ticket; a deleted ticket is replaced', async () => {
    const links = new MemoryTicketLinks();
    const [s1, s2] = [new FakeStore(), new FakeStore()];
    const [t1, t2] = [ticketer(s1, links), ticketer(s2, links)];
    s1.put(incident('shard-a'));
    s2.put(incident('shard-b'));
    t1.observe('ADDED', structuredClone(s1.items.get('ops/shard-a')!));
    t2.observe('ADDED', structuredClone(s2.items.get('ops/shard-b')!));
    const [a, b] = await Promise.all([settle(t1, s1, 'shard-a', allOpen), settle(t2, s2, 'shard-b', allOpen)]);
    for (const s of Object.values(servers)) expect({ kind: s.kind, n: s.issues.length, comments: s.issues[0].comments.length }).toEqual({ kind: s.kind, n: 1, comments: 1 });
    expect([...Object.values(states(a)), ...Object.values(states(b))].sort()).toEqual([...Array(4).fill('Open/Commented'), ...Array(4).fill('Open/Created')]);
    await t2.stop();

    // Someone deletes the GitHub issue: the next firing opens a new one instead of failing on the old.
    servers.github.issues[0].deleted = true;
    s1.put(incident('shard-c'));
    const c = await settle(t1, s1, 'shard-c', allOpen);
    expect(c.status!.tickets!.find((r) => r.tracker === 'gh')).toMatchObject({ action: 'Created', key: 'acme/shop#2' });
    await t1.stop();
  });

  it('a create whose record is lost (the link write fails, the status write fails, a new queue) still makes one ticket', async () => {
    const store = new FakeStore();
    const links = new MemoryTicketLinks();
    // The first write of each tracker's link after its create fails, as a crash between the two would.
    let failing = new Set(['jc', 'jd', 'gh', 'gl']);
    const flaky: TicketLinks = {
      get: (tr, h) => links.get(tr, h),
      update: async (tr, h, change) => {
        if (change(await links.get(tr, h))?.key && failing.delete(tr)) throw Object.assign(new Error('configmap write failed'), { code: 500 });
        return links.update(tr, h, change);
      },
    };
    // Jira's index lags the create: the search finds nothing for a while, and is not believed at once.
    servers['jira-cloud'].searchLagMs = 200;
    servers['jira-datacenter'].searchLagMs = 200;
    const t1 = new Ticketer({ config: config(), store: store as unknown as IncidentStore, links: flaky, log: createLogger({ level: process.env.TICKETS_TEST_LOG ?? 'error' }) });
    t1.start();
    store.put(incident('crashy'));
    t1.observe('ADDED', structuredClone(store.items.get('ops/crashy')!));
    await until(() => Object.values(servers).every((s) => s.issues.length === 1) && failing.size === 0);
    // "Crash": this queue stops before it could record anything; a new one takes over.
    await t1.stop();
    expect(store.items.get('ops/crashy')!.status?.tickets).toBeUndefined();
    store.failApplies = 1; // and its first status write fails too
    const t2 = ticketer(store, links);
    const inc = await settle(t2, store, 'crashy', allOpen, 20_000);
    for (const s of Object.values(servers)) expect({ kind: s.kind, n: s.issues.length, comments: s.issues[0].comments.length, errors: s.errors() }).toEqual({ kind: s.kind, n: 1, comments: 0, errors: [] });
    expect(new Set(inc.status!.tickets!.map((r) => r.action))).toEqual(new Set(['Linked']));
    failing = new Set();
    await t2.stop();
  }, 30_000);
});

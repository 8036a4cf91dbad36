// Tickets on the bed: the operator runs in-process against the bed's API server with the rule-based
// analyzer, and opens, comments on, closes and reopens tickets in the four stand-ins
// (test/fixtures/ticketServers.ts), each of which checks the requests against its API's documented shape.
// The identity → ticket links live in the real ConfigMap; faults (500, 429 with Retry-After) and a crash
// between a create and its record leave exactly one ticket per system.
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { AlertIncident } from '../../src/incident/types.js';
import type { Operator } from '../../src/operator.js';
import { parseTicketsConfig } from '../../src/tickets/config.js';
import { ConfigMapTicketLinks, type TicketLinks } from '../../src/tickets/links.js';
import { checkAdf, startTicketServer, type SystemKind, type TicketServer } from '../fixtures/ticketServers.js';
import { alert, createNamespace, kubeConfig, payload, post, startTestOperator, waitForIncident } from './harness.js';

const CRED = { jiraEmail: 'ops@example.org', jiraToken: 'jira-api-token', jiraPat: 'jira-pat', githubToken: 'ghp_test', gitlabToken: 'glpat-test' };
const KINDS: SystemKind[] = ['jira-cloud', 'jira-datacenter', 'github', 'gitlab'];
const TRACKERS = ['jc', 'jd', 'gh', 'gl'];

let servers: Record<SystemKind, TicketServer>;
const operators: Operator[] = [];

beforeAll(async () => {
  servers = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await startTicketServer(k, CRED)] as const))) as Record<SystemKind, TicketServer>;
});
afterAll(async () => {
  for (const o of operators) await o.stop().catch(() => undefined);
  await Promise.all(Object.values(servers ?? {}).map((s) => s.stop()));
});

function ticketsYaml(): string {
  return `
webViewURL: https://alert-agent.example/incidents/{namespace}/{name}
defaults: {searchSettle: 1s}
delivery: {initialBackoff: 100ms, maxBackoff: 500ms, timeout: 5s}
trackers:
  - {name: jc, type: jira-cloud, url: "${servers['jira-cloud'].url}", email: "\${JIRA_EMAIL}", apiToken: "\${JIRA_API_TOKEN}", project: OPS, issueType: Bug, priorities: {critical: Highest}}
  - {name: jd, type: jira-datacenter, url: "${servers['jira-datacenter'].url}", token: "\${JIRA_PAT}", project: OPS}
  - {name: gh, type: github, apiURL: "${servers.github.url}", token: "\${GITHUB_TOKEN}", repository: acme/shop, labels: [alert-agent]}
  - {name: gl, type: gitlab, url: "${servers.gitlab.url}", token: "\${GITLAB_TOKEN}", project: acme/shop}
`;
}
const ENV = { JIRA_EMAIL: CRED.jiraEmail, JIRA_API_TOKEN: CRED.jiraToken, JIRA_PAT: CRED.jiraPat, GITHUB_TOKEN: CRED.githubToken, GITLAB_TOKEN: CRED.gitlabToken };

const rec = (i: AlertIncident, tracker: string) => i.status?.tickets?.find((r) => r.tracker === tracker);
const all = (i: AlertIncident, state: string, action?: string) => TRACKERS.every((t) => rec(i, t)?.state === state && (!action || rec(i, t)?.action === action));
/** The stand-ins' issues that carry this namespace's marker (the servers are shared by the tests). */
const issuesOf = (s: TicketServer, marker: string) => s.issues.filter((i) => i.labels.includes(marker));

it('opens one ticket per system (through 500 and 429), comments on a refire, closes on resolve, reopens on the next firing', async () => {
  const ns = await createNamespace('tickets');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tickets-')), 'tickets.yaml');
  writeFileSync(file, ticketsYaml());
  Object.assign(process.env, ENV);
  const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', TICKETS_CONFIG: file } });
  operators.push(op);
  expect(op.tickets).toBeDefined();

  servers.github.faults.push({ status: 500, match: /^POST \/repos\// }, { status: 429, retryAfter: '1', match: /^POST \/repos\// });
  const labels = { alertname: 'TicketsCheckout', namespace: ns, deployment: 'checkout', severity: 'critical' };
  const first = alert(labels, { startsAt: '2026-11-26T07:00:00Z', annotations: { summary: 'checkout is down' } });
  expect((await post(op.webhookUrl, payload([first]))).status).toBe(200);
  const a = await waitForIncident(ns, (i) => i.spec.startsAt === first.startsAt && all(i, 'Open', 'Created'), 40_000);
  const marker = (await import('../../src/tickets/due.js')).markerOf(a).marker;
  for (const s of Object.values(servers)) expect({ kind: s.kind, n: issuesOf(s, marker).length, errors: s.errors() }).toEqual({ kind: s.kind, n: 1, errors: [] });
  expect(rec(a, 'gh')).toMatchObject({ attempts: 3, key: expect.stringMatching(/^acme\/shop#\d+$/) });
  const jira = issuesOf(servers['jira-cloud'], marker)[0];
  expect(checkAdf(jira.body)).toEqual([]);
  expect(jira.priority).toBe('Highest');
  expect(rec(a, 'jc')!.url).toBe(`${servers['jira-cloud'].url}/browse/${jira.key}`);
  // The links outlive the incidents: one key per tracker and identity in the ConfigMap.
  const cm = await kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'alert-agent-tickets', namespace: ns });
  expect(Object.keys(cm.data ?? {}).sort()).toEqual(TRACKERS.map((t) => `${t}.${marker.slice('alertagent-'.length)}`).sort());

  // A new firing of the same alert: a comment on the same ticket.
  const second = alert(labels, { startsAt: '2026-11-26T08:00:00Z', fingerprint: first.fingerprint });
  expect((await post(op.webhookUrl, payload([second]))).status).toBe(200);
  const b = await waitForIncident(ns, (i) => i.spec.startsAt === second.startsAt && all(i, 'Open', 'Commented'), 30_000);
  for (const s of Object.values(servers)) expect({ kind: s.kind, n: issuesOf(s, marker).length, comments: issuesOf(s, marker)[0].comments.length }).toEqual({ kind: s.kind, n: 1, comments: 1 });

  // It resolves: comment and close (Jira by its Done transition), and the ticket's state is in the status.
  expect((await post(op.webhookUrl, payload([{ ...second, status: 'resolved', endsAt: '2026-11-26T08:30:00Z' }]))).status).toBe(200);
  await waitForIncident(ns, (i) => i.metadata.name === b.metadata.name && all(i, 'Closed', 'Closed'), 30_000);
  for (const s of Object.values(servers)) expect({ kind: s.kind, open: issuesOf(s, marker)[0].open }).toEqual({ kind: s.kind, open: false });

  // And fires again: reopened.
  const third = alert(labels, { startsAt: '2026-11-26T09:00:00Z', fingerprint: first.fingerprint });
  expect((await post(op.webhookUrl, payload([third]))).status).toBe(200);
  await waitForIncident(ns, (i) => i.spec.startsAt === third.startsAt && all(i, 'Open', 'Reopened'), 30_000);
  for (const s of Object.values(servers)) {
    const [issue] = issuesOf(s, marker);
    expect({ kind: s.kind, n: issuesOf(s, marker).length, open: issue.open, history: issue.history, errors: s.errors() }).toEqual({ kind: s.kind, n: 1, open: true, history: ['closed', 'reopened'], errors: [] });
  }
}, 60_000);

it('a crash between the create and its record: the next operator finds the ticket by its marker and opens no second one', async () => {
  const ns = await createNamespace('tickets-crash');
  const config = parseTicketsConfig(ticketsYaml(), { ...process.env, ...ENV });
  // The first operator's link write after each create fails, and it stops before it retries.
  const real = new ConfigMapTicketLinks(kubeConfig(), { namespace: ns, name: 'alert-agent-tickets' });
  let created = 0;
  const failing: TicketLinks = {
    get: (t, h) => real.get(t, h),
    update: async (t, h, change) => {
      if (change(await real.get(t, h))?.key) {
        created++;
        throw Object.assign(new Error('lost'), { code: 500 });
      }
      return real.update(t, h, change);
    },
  };
  const op1 = await startTestOperator({ namespace: ns, tickets: { config, links: failing }, env: { ANALYZER: 'rules' } });
  operators.push(op1);
  const a = alert({ alertname: 'TicketsCrash', namespace: ns, deployment: 'billing' });
  expect((await post(op1.webhookUrl, payload([a]))).status).toBe(200);
  const { eventually } = await import('./harness.js');
  await eventually(async () => created >= 4 || undefined, 30_000);
  await op1.stop();
  operators.splice(operators.indexOf(op1), 1);
  const lost = await waitForIncident(ns, () => true);
  expect(lost.status?.tickets).toBeUndefined();

  const op2 = await startTestOperator({ namespace: ns, tickets: { config }, env: { ANALYZER: 'rules' } });
  operators.push(op2);
  const inc = await waitForIncident(ns, (i) => all(i, 'Open', 'Linked'), 30_000);
  const { markerOf } = await import('../../src/tickets/due.js');
  const { marker } = markerOf(inc);
  for (const s of Object.values(servers)) expect({ kind: s.kind, n: issuesOf(s, marker).length, comments: issuesOf(s, marker)[0]?.comments.length }).toEqual({ kind: s.kind, n: 1, comments: 0 });
}, 60_000);

// Notifications against real receivers on loopback: an HTTP server checking each request against the
// sink's documented schema (Slack, Teams, PagerDuty, our webhook) and a real SMTP server (aiosmtpd).
// Plus the Grafana and generic sources. The operator runs in-process against the test bed's apiserver
// with the rule-based analyzer (no LLM).
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseNotificationsConfig } from '../../src/notify/config.js';
import type { Operator } from '../../src/operator.js';
import type { AlertIncident, NotificationRecord } from '../../src/incident/types.js';
import { startSinkReceiver, type SinkReceiver } from '../fixtures/sinkReceiver.js';
import { startSmtpServer, type SmtpServer } from '../fixtures/smtpServer.js';
import { alert, createNamespace, eventually, finished, listIncidents, payload, post, waitForIncident } from './harness.js';
import { startTestOperator } from './harness.js';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SLACK_TOKEN = 'xoxb-test-token';
const SECRET = 'hmac-secret';

let rx: SinkReceiver;
let smtp: SmtpServer;
const operators: Operator[] = [];

beforeAll(async () => {
  rx = await startSinkReceiver({ slackToken: SLACK_TOKEN, webhookSecret: SECRET });
  smtp = await startSmtpServer();
});

afterAll(async () => {
  for (const o of operators) await o.stop().catch(() => undefined);
  await rx?.stop();
  await smtp?.stop();
});

async function operator(ns: string, yaml: string, env: Record<string, string> = {}): Promise<Operator> {
  const op = await startTestOperator({ namespace: ns, notifications: parseNotificationsConfig(yaml, { ...process.env, ...env }), env: { ANALYZER: 'rules', ...env } });
  operators.push(op);
  return op;
}

async function stopOperator(op: Operator): Promise<void> {
  await op.stop();
  operators.splice(operators.indexOf(op), 1);
}

const records = (i: AlertIncident) => i.status?.notifications ?? [];
const sentFor = (i: AlertIncident, sink: string) => records(i).filter((r) => r.sink === sink && r.state === 'Sent');
const forIncident = (path: string, name: string) => rx.on(path).filter((r) => JSON.stringify(r.body).includes(name));

it('a Reported incident reaches Slack (webhook and bot), Teams, PagerDuty, the webhook and e-mail as each documents; a resolve updates PagerDuty and the Slack message', async () => {
  const ns = await createNamespace('notify');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'notify-'));
  const file = path.join(dir, 'notifications.yaml');
  writeFileSync(
    file,
    `
webViewURL: https://alert-agent.example/incidents/{namespace}/{name}
delivery: {initialBackoff: 200ms, timeout: 5s}
sinks:
  - {name: slack-hook, type: slack, webhookURL: "\${SLACK_URL}/slack/webhook"}
  - {name: slack-bot, type: slack, botToken: "\${SLACK_TOKEN}", channel: C0TEST, apiURL: "\${SLACK_URL}/slack/api"}
  - {name: teams, type: teams, webhookURL: "${rx.url}/teams"}
  - {name: pd, type: pagerduty, routingKey: "${ROUTING_KEY}", url: "${rx.url}/pagerduty"}
  - {name: hook, type: webhook, url: "${rx.url}/hook", secret: "\${HOOK_SECRET}"}
  - name: mail
    type: email
    smtp: {host: 127.0.0.1, port: ${smtp.port}}
    from: alert-agent@example.org
    to: [oncall@example.org]
`,
  );
  // The file as the chart mounts it, its secrets from the environment as the chart sets them from Secrets.
  Object.assign(process.env, { SLACK_URL: rx.url, SLACK_TOKEN, HOOK_SECRET: SECRET });
  const op2 = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', NOTIFICATIONS_CONFIG: file } });
  operators.push(op2);
  expect(op2.notifier).toBeDefined();

  const a = alert({ alertname: 'NotifyEverywhere', namespace: ns, severity: 'critical' }, { annotations: { summary: 'checkout is down' } });
  expect((await post(op2.webhookUrl, payload([a]))).status).toBe(200);
  const inc = await waitForIncident(ns, (i) => finished(i) && ['slack-hook', 'slack-bot', 'teams', 'pd', 'hook', 'mail'].every((s) => sentFor(i, s).length === 1), 60_000);
  const name = inc.metadata.name;

  for (const p of ['/slack/webhook', '/slack/api/chat.postMessage', '/teams', '/pagerduty', '/hook']) {
    const got = forIncident(p, name);
    expect({ p, n: got.length, errors: got.flatMap((r) => r.errors) }).toEqual({ p, n: 1, errors: [] });
  }
  const slack = forIncident('/slack/webhook', name)[0].body;
  expect(slack.blocks[0]).toEqual({ type: 'header', text: expect.objectContaining({ type: 'plain_text', text: expect.stringContaining('NotifyEverywhere') }) });
  expect(JSON.stringify(slack.blocks)).toContain(`https://alert-agent.example/incidents/${ns}/${name}`);
  const pd = forIncident('/pagerduty', name)[0].body;
  expect(pd).toMatchObject({ event_action: 'trigger', dedup_key: `alert-agent/${ns}/${name}`, payload: { severity: 'critical' } });
  const hook = forIncident('/hook', name)[0].body;
  expect(hook).toMatchObject({ event: 'Reported', incident: { namespace: ns, name }, status: { phase: 'Reported' } });
  expect(hook.report).toContain('#');

  const mail = await eventually(async () => smtp.mails.find((m) => m.subject.includes('NotifyEverywhere')), 10_000);
  expect(mail.to).toEqual(['oncall@example.org']);
  expect(mail.subject).toContain('[critical]');
  expect(mail.text).toContain(`kubectl describe alertincident ${name} -n ${ns}`);
  expect(mail.html).toMatch(/<h[1-3]>/); // the Markdown report, rendered
  expect(mail.html).not.toMatch(/<script/i);

  const bot = sentFor(inc, 'slack-bot')[0];
  expect(bot.messageId).toMatch(/^C0TEST:\d+\.000100$/);

  // The alert resolves: PagerDuty gets a resolve with the same dedup key, the Slack bot message is updated in place.
  expect((await post(op2.webhookUrl, payload([{ ...a, status: 'resolved', endsAt: '2026-11-26T07:30:00Z' }]))).status).toBe(200);
  const resolved = await waitForIncident(ns, (i) => i.metadata.name === name && sentFor(i, 'pd').length === 2 && sentFor(i, 'slack-bot').length === 2, 30_000);
  const pdAll = forIncident('/pagerduty', name);
  expect(pdAll.at(-1)!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: `alert-agent/${ns}/${name}` });
  const update = rx.on('/slack/api/chat.update').filter((r) => r.body.ts === bot.messageId!.split(':')[1]);
  expect(update).toHaveLength(1);
  expect(update[0].errors).toEqual([]);
  // Sinks without an update in place are not told about the resolve.
  expect(forIncident('/teams', name)).toHaveLength(1);
  expect(records(resolved).filter((r) => r.sink === 'teams')).toHaveLength(1);
});

it('retries 500 and 429 (waiting out Retry-After), records each attempt, and a slow sink does not delay investigations', async () => {
  const ns = await createNamespace('notify-retry');
  await operator(
    ns,
    `
delivery: {initialBackoff: 100ms, timeout: 8s}
sinks:
  - {name: hook, type: webhook, url: "${rx.url}/hook-retry", secret: "${SECRET}", match: {alertnames: [RetryMe]}}
  - {name: slow, type: teams, webhookURL: "${rx.url}/teams-slow"}
`,
  );
  rx.fault('/hook-retry', { status: 500 }, { status: 429, retryAfter: '2' });
  rx.always('/teams-slow', { delayMs: 6000 });
  const a = alert({ alertname: 'RetryMe', namespace: ns });
  const b = alert({ alertname: 'SecondAlert', namespace: ns });
  const t0 = Date.now();
  expect((await post(operators.at(-1)!.webhookUrl, payload([a]))).status).toBe(200);
  const retrying = await waitForIncident(ns, (i) => i.spec.alertname === 'RetryMe' && records(i).some((r) => r.sink === 'hook' && r.state === 'Retrying'), 30_000);
  expect(records(retrying).find((r) => r.sink === 'hook')!.error).toMatch(/answered (500|429)/);
  // While the slow sink holds its first delivery, another alert is investigated to the end.
  expect((await post(operators.at(-1)!.webhookUrl, payload([b]))).status).toBe(200);
  const second = await waitForIncident(ns, (i) => i.spec.alertname === 'SecondAlert' && finished(i), 30_000);
  const slowAnswered = rx.on('/teams-slow').find((r) => r.status !== 0);
  expect(Date.parse(second.status!.completedAt!)).toBeLessThan(slowAnswered ? slowAnswered.at + 6000 : Date.now() + 1);

  const done = await waitForIncident(ns, (i) => i.spec.alertname === 'RetryMe' && sentFor(i, 'hook').length === 1, 30_000);
  expect(sentFor(done, 'hook')[0].attempts).toBe(3);
  const tries = rx.on('/hook-retry');
  expect(tries.map((r) => r.status)).toEqual([500, 429, 200]);
  expect(tries[2].at - tries[1].at).toBeGreaterThanOrEqual(1900); // Retry-After: 2
  expect(tries.every((r) => r.errors.length === 0)).toBe(true);
  expect(Date.now() - t0).toBeLessThan(60_000);
  rx.always('/teams-slow', undefined);
});

it('a flapping alert notifies once per window, then once with the count', async () => {
  const ns = await createNamespace('notify-flap');
  await operator(
    ns,
    `
defaults: {minInterval: 4s}
delivery: {initialBackoff: 100ms}
sinks:
  - {name: hook, type: webhook, url: "${rx.url}/hook-flap", secret: "${SECRET}"}
`,
  );
  const fp = 'f1a9f1a9f1a9f1a9';
  const firing = (startsAt: string) => alert({ alertname: 'Flappy', namespace: ns }, { fingerprint: fp, startsAt });
  const url = operators.at(-1)!.webhookUrl;
  expect((await post(url, payload([firing('2026-11-26T07:00:00Z')]))).status).toBe(200);
  await eventually(async () => rx.on('/hook-flap').length === 1, 30_000);
  expect((await post(url, payload([firing('2026-11-26T07:01:00Z')]))).status).toBe(200);
  expect((await post(url, payload([firing('2026-11-26T07:02:00Z')]))).status).toBe(200);
  const all = await eventually(async () => {
    const list = await listIncidents(ns);
    return list.length === 3 && list.every((i) => records(i).some((r) => r.sink === 'hook' && (r.state === 'Sent' || r.state === 'Suppressed'))) ? list : undefined;
  }, 40_000);
  await new Promise((r) => setTimeout(r, 1500));
  const msgs = rx.on('/hook-flap');
  expect(msgs).toHaveLength(2);
  expect(msgs[1].body.count).toBe(2);
  expect(msgs[1].body.alert.startsAt).toBe('2026-11-26T07:02:00Z'); // the newest firing speaks for the window
  expect(msgs[1].at - msgs[0].at).toBeGreaterThanOrEqual(3500);
  const states = all.map((i) => records(i).find((r) => r.sink === 'hook')!.state).sort();
  expect(states).toEqual(['Sent', 'Sent', 'Suppressed']);
});

it('a restart between "due" and "sent" neither loses nor repeats the notification', async () => {
  const ns = await createNamespace('notify-restart');
  const yaml = `
delivery: {initialBackoff: 300ms, maxBackoff: 1s, timeout: 2s}
sinks:
  - {name: hook, type: webhook, url: "${rx.url}/hook-restart", secret: "${SECRET}"}
  - {name: pd, type: pagerduty, routingKey: "${ROUTING_KEY}", url: "${rx.url}/pagerduty"}
`;
  rx.always('/hook-restart', { status: 503 });
  const first = await operator(ns, yaml);
  const a = alert({ alertname: 'RestartNotify', namespace: ns });
  expect((await post(first.webhookUrl, payload([a]))).status).toBe(200);
  // Due and tried, not sent: the record says Retrying.
  const due = await waitForIncident(ns, (i) => records(i).some((r) => r.sink === 'hook' && r.state === 'Retrying'), 30_000);
  await stopOperator(first);
  rx.always('/hook-restart', undefined);
  const failedTries = rx.on('/hook-restart').length;

  const second = await operator(ns, yaml);
  const sent = await waitForIncident(ns, (i) => sentFor(i, 'hook').length === 1 && sentFor(i, 'pd').length === 1, 30_000);
  expect(sentFor(sent, 'hook')[0].attempts).toBeGreaterThan(1); // the count went on across the restart
  const ok = () => rx.on('/hook-restart').filter((r) => r.status === 200);
  expect(ok()).toHaveLength(1);
  expect(rx.on('/hook-restart').length).toBe(failedTries + 1);
  await stopOperator(second);

  // Recorded as sent: a third start sends nothing again.
  const pdBefore = forIncident('/pagerduty', due.metadata.name).length;
  await operator(ns, yaml);
  await new Promise((r) => setTimeout(r, 3000));
  expect(ok()).toHaveLength(1);
  expect(forIncident('/pagerduty', due.metadata.name)).toHaveLength(pdBefore);
  const final = (await listIncidents(ns))[0];
  expect(records(final).map((r: NotificationRecord) => `${r.sink}:${r.event}:${r.state}`).sort()).toEqual(['hook:Reported:Sent', 'pd:Reported:Sent']);
});

describe('alert sources', () => {
  let ns: string;
  let base: string;
  const token = 'source-token';
  const auth = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    ns = await createNamespace('sources');
    const op = await startTestOperator({ namespace: ns, controller: false, env: { WEBHOOK_BEARER_TOKEN: token } });
    operators.push(op);
    base = op.webhookUrl.replace(/\/api\/v1\/alerts$/, '');
  });

  // The shape Grafana documents for its webhook contact point (version "1", orgId, per-alert links and values).
  const grafana = (fingerprint: string, status = 'firing') => ({
    receiver: 'My Super Webhook',
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1', namespace: 'shop' },
        annotations: { description: 'The system has high memory usage', runbook_url: 'https://myrunbook.com/runbook/1234', summary: 'This alert was triggered for zone us-1' },
        startsAt: '2021-10-12T09:51:03.157076+02:00',
        endsAt: status === 'resolved' ? '2021-10-12T10:01:03.157076+02:00' : '0001-01-01T00:00:00Z',
        generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
        fingerprint,
        silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2',
        dashboardURL: '',
        panelURL: 'https://play.grafana.org/d/abc?viewPanel=2',
        values: { B: 44.23943737541908, C: 1 },
        valueString: "[ var='B' labels={} value=44.23943737541908 ], [ var='C' labels={} value=1 ]",
      },
    ],
    groupLabels: { alertname: 'High memory usage' },
    commonLabels: { alertname: 'High memory usage', team: 'blue' },
    commonAnnotations: {},
    externalURL: 'https://play.grafana.org/',
    version: '1',
    groupKey: '{}:{alertname="High memory usage"}',
    truncatedAlerts: 0,
    title: '[FIRING:1] High memory usage (blue)',
    state: 'alerting',
    message: '**Firing**\n\nValue: B=44.23943737541908, C=1',
  });

  it("Grafana's webhook contact point: stored before 200, idempotent, extra fields kept as annotations, bearer token, clear 400", async () => {
    expect((await post(`${base}/api/v1/grafana`, grafana('c6eadffa33fcdf37'))).status).toBe(401);
    const r = await post(`${base}/api/v1/grafana`, grafana('c6eadffa33fcdf37'), auth);
    expect(r).toEqual({ status: 200, body: { stored: 1, created: 1, updated: 0 } });
    const [inc] = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === 'c6eadffa33fcdf37');
    expect(inc.spec).toMatchObject({ alertname: 'High memory usage', receiver: 'My Super Webhook', status: 'firing', generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit' });
    expect(inc.spec.annotations).toMatchObject({ panelURL: 'https://play.grafana.org/d/abc?viewPanel=2', valueString: expect.stringContaining('44.239') });
    expect(inc.spec.annotations.dashboardURL).toBeUndefined(); // empty in the payload
    expect(inc.spec.endsAt).toBeUndefined();
    // A retry lands on the same incident; the resolve updates it.
    expect((await post(`${base}/api/v1/grafana`, grafana('c6eadffa33fcdf37'), auth)).body).toEqual({ stored: 1, created: 0, updated: 1 });
    expect((await post(`${base}/api/v1/grafana`, grafana('c6eadffa33fcdf37', 'resolved'), auth)).body.updated).toBe(1);
    const after = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === 'c6eadffa33fcdf37');
    expect(after).toHaveLength(1);
    expect(after[0].spec.status).toBe('resolved');
    const bad = grafana('0000000000000001');
    (bad.alerts[0].labels as Record<string, unknown>).zone = 7;
    const r400 = await post(`${base}/api/v1/grafana`, bad, auth);
    expect(r400.status).toBe(400);
    expect(r400.body.error).toMatch(/alerts\[0\]\.labels\.zone/);
  });

  it('the generic JSON endpoint: one alert, an array or {alerts}; clear 400 naming the field', async () => {
    const one = { alertname: 'DiskFull', severity: 'critical', labels: { namespace: 'shop', host: 'db-1' }, annotations: { summary: 'disk full' }, startsAt: '2026-11-26T07:00:00Z' };
    expect((await post(`${base}/api/v1/generic`, one, auth)).body).toEqual({ stored: 1, created: 1, updated: 0 });
    expect((await post(`${base}/api/v1/generic`, [one], auth)).body).toEqual({ stored: 1, created: 0, updated: 1 });
    expect((await post(`${base}/api/v1/generic`, { alerts: [{ ...one, status: 'resolved' }] }, auth)).body).toEqual({ stored: 1, created: 0, updated: 1 });
    const [inc] = (await listIncidents(ns)).filter((i) => i.spec.alertname === 'DiskFull');
    expect(inc.spec).toMatchObject({ severity: 'critical', status: 'resolved', labels: { alertname: 'DiskFull', severity: 'critical', namespace: 'shop', host: 'db-1' }, receiver: 'generic' });
    const missing = await post(`${base}/api/v1/generic`, { alertname: 'X' }, auth);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/\[0\]\.startsAt: Required/);
    const typo = await post(`${base}/api/v1/generic`, { ...one, lables: {} }, auth);
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatch(/lables/);
    expect((await post(`${base}/api/v1/generic`, one)).status).toBe(401);
  });
});

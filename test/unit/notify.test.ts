import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { LIMITS } from '../../src/incident/limits.js';
import type { AlertIncident } from '../../src/incident/types.js';
import { parseNotificationsConfig, type SinkConfig } from '../../src/notify/config.js';
import { buildView, plainText } from '../../src/notify/message.js';
import { dueEvents, routingOf } from '../../src/notify/routing.js';
import { markdownToSafeHtml } from '../../src/notify/sinks/email.js';
import { pagerDutyEvent } from '../../src/notify/sinks/pagerduty.js';
import { slackMessage } from '../../src/notify/sinks/slack.js';
import { teamsMessage } from '../../src/notify/sinks/teams.js';
import { webhookBody } from '../../src/notify/sinks/webhook.js';
import { checkPagerDuty, checkSlack, checkTeams } from '../fixtures/sinkReceiver.js';

const NOW = Date.parse('2026-11-30T08:00:00Z');

function incident(over: Partial<AlertIncident['status']> = {}, spec: Partial<AlertIncident['spec']> = {}): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'kube-pod-crash-looping-58faf0297c', namespace: 'alert-agent', uid: 'u1', creationTimestamp: '2026-11-30T07:58:00Z' },
    spec: { alertname: 'KubePodCrashLooping', severity: 'critical', fingerprint: 'abc', status: 'firing', labels: { namespace: 'shop', team: 'payments', severity: 'critical' }, annotations: {}, startsAt: '2026-11-30T07:57:00Z', ...spec },
    status: {
      phase: 'Reported',
      outcome: 'NeedsManualIntervention',
      summary: 'pod shop/checkout crash-looping',
      rootCause: 'exit code 1 <script>alert(1)</script>',
      completedAt: '2026-11-30T07:59:00Z',
      report: '# Report\n\n## Root cause\n\nexit 1\n\n<script>alert(1)</script><img src="https://t.example/p.gif">',
      steps: [{ index: 1, time: '2026-11-30T07:58:30Z', action: 'callTool', server: 'kubernetes', tool: 'rollout_restart', arguments: '{"name":"checkout","namespace":"shop"}', mutating: true, state: 'Succeeded' }],
      ...over,
    },
  };
}

const cfg = (sinks: string) => parseNotificationsConfig(`sinks:\n${sinks}`, { URL: 'https://hooks.example/x' });
const sink = (yaml: string): [SinkConfig, ReturnType<typeof routingOf>] => {
  const c = cfg(yaml);
  return [c.sinks[0], routingOf(c, c.sinks[0])];
};

describe('notification routing', () => {
  it('notifies Reported, Failed and AwaitingApproval/<step> by default, only the current phase', () => {
    const [s, r] = sink('  - {name: h, type: webhook, url: "${URL}"}');
    expect(dueEvents(incident(), s, r, NOW).map((e) => e.event)).toEqual(['Reported']);
    expect(dueEvents(incident({ phase: 'Failed' }), s, r, NOW).map((e) => e.event)).toEqual(['Failed']);
    expect(dueEvents(incident({ phase: 'AwaitingApproval' }), s, r, NOW).map((e) => e.event)).toEqual(['AwaitingApproval/1']);
    expect(dueEvents(incident({ phase: 'Analyzing' }), s, r, NOW)).toEqual([]);
  });

  it('filters by outcome, severity, namespace, alert name and label', () => {
    const cases: Array<[string, boolean]> = [
      ['outcomes: [Resolved]', false],
      ['outcomes: [NeedsManualIntervention]', true],
      ['match: {severities: [warning]}', false],
      ['match: {severities: [critical], namespaces: [shop]}', true],
      ['match: {namespaces: [other]}', false],
      ['match: {alertnames: [KubePodCrashLooping]}', true],
      ['match: {labels: {team: payments}}', true],
      ['match: {labels: {team: "*"}}', true],
      ['match: {labels: {team: web}}', false],
      ['match: {labels: {owner: "*"}}', false],
    ];
    for (const [extra, want] of cases) {
      const [s, r] = sink(`  - {name: h, type: webhook, url: "\${URL}", ${extra}}`);
      expect([extra, dueEvents(incident(), s, r, NOW).length > 0]).toEqual([extra, want]);
    }
  });

  it('never sends again what is recorded Sent, Failed or Suppressed; retries what is Retrying', () => {
    const [s, r] = sink('  - {name: h, type: webhook, url: "${URL}"}');
    for (const state of ['Sent', 'Failed', 'Suppressed'] as const) {
      expect(dueEvents(incident({ notifications: [{ sink: 'h', event: 'Reported', state, time: '2026-11-30T07:59:01Z' }] }), s, r, NOW)).toEqual([]);
    }
    expect(dueEvents(incident({ notifications: [{ sink: 'h', event: 'Reported', state: 'Retrying', time: '2026-11-30T07:59:01Z', attempts: 2 }] }), s, r, NOW)).toHaveLength(1);
    // Another sink's record is not this sink's.
    expect(dueEvents(incident({ notifications: [{ sink: 'other', event: 'Reported', state: 'Sent', time: '2026-11-30T07:59:01Z' }] }), s, r, NOW)).toHaveLength(1);
  });

  it('does not send history older than maxAge', () => {
    const c = parseNotificationsConfig('defaults: {maxAge: 1h}\nsinks:\n  - {name: h, type: webhook, url: "https://x.example"}');
    expect(dueEvents(incident({ completedAt: '2026-11-30T06:00:00Z' }), c.sinks[0], routingOf(c, c.sinks[0]), NOW)).toEqual([]);
  });

  it('tells PagerDuty (and Slack with a bot token) when the alert resolves, once a message was sent', () => {
    const resolved = { status: 'resolved' as const, notifications: { count: 2, lastReceivedAt: '2026-11-30T07:59:30Z' } };
    const sent = { notifications: [{ sink: 'p', event: 'Reported', state: 'Sent' as const, time: '2026-11-30T07:59:01Z' }] };
    const [pd, rp] = sink('  - {name: p, type: pagerduty, routingKey: k}');
    expect(dueEvents(incident({}, resolved), pd, rp, NOW).map((e) => e.event)).toEqual(['Reported']);
    expect(dueEvents(incident(sent, resolved), pd, rp, NOW).map((e) => e.event)).toEqual(['Resolved']);
    const [hook, rh] = sink('  - {name: p, type: webhook, url: "${URL}"}');
    expect(dueEvents(incident(sent, resolved), hook, rh, NOW)).toEqual([]);
  });
});

describe('notifications config', () => {
  it('expands ${VAR} from the environment and names a missing one', () => {
    expect(() => parseNotificationsConfig('sinks:\n  - {name: s, type: slack, webhookURL: "${NOPE}"}', {})).toThrow(/\$\{NOPE\} is not set/);
  });
  it('refuses a slack sink with both or neither mode, and a bot without channel', () => {
    expect(() => cfg('  - {name: s, type: slack}')).toThrow(/exactly one of webhookURL or botToken/);
    expect(() => cfg('  - {name: s, type: slack, botToken: t}')).toThrow(/needs channel/);
    expect(() => cfg('  - {name: s, type: slack, webhookURL: "${URL}"}\n  - {name: s, type: teams, webhookURL: "${URL}"}')).toThrow(/two sinks are named "s"/);
  });
  it("the chart's default notifications block parses", () => {
    const values = parse(readFileSync(path.join(process.cwd(), 'helm/alert-agent/values.yaml'), 'utf8'));
    const c = parseNotificationsConfig(JSON.stringify(values.notifications.config));
    expect(c.defaults.phases).toEqual(['Reported', 'Failed', 'AwaitingApproval']);
    expect(c.sinks).toEqual([]);
  });
  it('status.notifications bounds match the CRD', () => {
    const crd = parse(readFileSync(path.join(process.cwd(), 'crds', 'alertagent.io_alertincidents.yaml'), 'utf8'));
    const n = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.notifications;
    expect(n.maxItems).toBe(LIMITS.notifications);
    expect(n.items.properties.sink.maxLength).toBe(LIMITS.notificationSink);
    expect(n.items.properties.event.maxLength).toBe(LIMITS.notificationEvent);
    expect(n.items.properties.error.maxLength).toBe(LIMITS.notificationError);
    expect(n.items.properties.messageId.maxLength).toBe(LIMITS.notificationMessageId);
  });
});

describe('messages', () => {
  const v = buildView(incident({ phase: 'AwaitingApproval' }), 'AwaitingApproval/1', { webViewURL: 'https://aa.example/incidents/{namespace}/{name}', count: 3 });

  it('carry the approval line, the web view link and the flapping count', () => {
    expect(v.approval!.approve).toBe('kubectl annotate alertincident kube-pod-crash-looping-58faf0297c -n alert-agent alertagent.io/approve=1');
    expect(v.links.webView).toBe('https://aa.example/incidents/alert-agent/kube-pod-crash-looping-58faf0297c');
    expect(JSON.stringify(slackMessage(v))).toContain('alertagent.io/approve=1');
    expect(JSON.stringify(teamsMessage(v))).toContain('fired 3 times');
    expect(webhookBody(v, 'd1')).toMatchObject({ event: 'AwaitingApproval/1', count: 3, status: { approval: { step: 1 } } });
  });

  it('pass the sinks’ documented schemas, long texts cut to their limits', () => {
    const long = buildView(incident({ summary: 'x'.repeat(5000), rootCause: 'y'.repeat(9000) }, { alertname: 'A'.repeat(300) }), 'Reported');
    for (const view of [v, long]) {
      expect(checkSlack(slackMessage(view))).toEqual([]);
      expect(checkTeams(teamsMessage(view))).toEqual([]);
      expect(checkPagerDuty(pagerDutyEvent(view, 'k'.repeat(32)))).toEqual([]);
    }
    expect(checkPagerDuty(pagerDutyEvent(buildView(incident(), 'Resolved'), 'k'.repeat(32)))).toEqual([]);
  });

  it("link the incident's tickets and pull requests (http(s) only) in every sink, within their schemas", () => {
    const linked = buildView(
      incident({
        tickets: [
          { tracker: 'jira', system: 'jira-cloud', event: 'open', state: 'Open', action: 'Created', key: 'OPS-7', url: 'https://example.atlassian.net/browse/OPS-7', time: '2026-11-30T08:00:00Z' },
          { tracker: 'gh', system: 'github', event: 'open', state: 'Open', key: 'o/r#3', url: 'javascript:alert(1)', time: '2026-11-30T08:00:00Z' },
        ],
        gitChanges: [{ step: 4, provider: 'github', state: 'Open', number: 12, url: 'https://github.com/o/fleet/pull/12', time: '2026-11-30T08:00:00Z' } as never],
      }),
      'Resolved',
    );
    expect(linked.related).toEqual([
      { label: 'Ticket OPS-7', url: 'https://example.atlassian.net/browse/OPS-7' },
      { label: 'Pull request #12 (step 4)', url: 'https://github.com/o/fleet/pull/12' },
    ]);
    expect(plainText(linked)).toContain('Ticket OPS-7: https://example.atlassian.net/browse/OPS-7');
    expect(JSON.stringify(slackMessage(linked))).toContain('"text":"Ticket OPS-7"},"url":"https://example.atlassian.net/browse/OPS-7"');
    expect(JSON.stringify(teamsMessage(linked))).toContain('https://github.com/o/fleet/pull/12');
    expect(JSON.stringify(webhookBody(linked, 'd'))).not.toContain('javascript:');
    const triggered = buildView(incident({ tickets: linked.related.length ? [{ tracker: 'jira', system: 'jira-cloud', event: 'open', state: 'Open', key: 'OPS-7', url: 'https://example.atlassian.net/browse/OPS-7', time: '2026-11-30T08:00:00Z' }] : [] }), 'Reported');
    expect(JSON.stringify(pagerDutyEvent(triggered, 'k'.repeat(32)))).toContain('"text":"Ticket OPS-7"');
    for (const view of [linked, triggered]) {
      expect(checkSlack(slackMessage(view))).toEqual([]);
      expect(checkTeams(teamsMessage(view))).toEqual([]);
      expect(checkPagerDuty(pagerDutyEvent(view, 'k'.repeat(32)))).toEqual([]);
    }
  });

  // The sender names the alert, its labels and generatorURL, and the model writes summary and root cause:
  // none of it may ping a channel, or show a link whose text hides where it goes.
  const hostile = buildView(
    incident(
      { summary: 'see [Approve here](https://evil.example/a) **now**', rootCause: '<!here> _x_ <https://evil.example|ok>' },
      { alertname: '<!channel> <https://evil.example|Approve here> [Approve](https://evil.example)', labels: { namespace: '[ns](https://evil.example)' } },
    ),
    'Reported',
  );

  it('escape &, <, > in every Slack mrkdwn text and the fallback text', () => {
    const msg = slackMessage(hostile);
    const texts = [msg.text, ...JSON.stringify(msg.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g)!];
    for (const t of texts) expect(t).not.toMatch(/<!|<https?:/);
    expect(msg.text).toContain('&lt;!channel&gt; &lt;https://evil.example|Approve here&gt;');
  });

  it('escape Markdown link and emphasis syntax in every Teams text from the alert or the model', () => {
    const card = teamsMessage(hostile) as any;
    const content = card.attachments[0].content;
    const texts: string[] = [
      ...content.body.filter((b: any) => b.type === 'TextBlock').map((b: any) => b.text),
      ...content.body.filter((b: any) => b.type === 'FactSet').flatMap((b: any) => b.facts.map((f: any) => f.value)),
    ];
    for (const t of texts) expect([t, /(?<!\\)[[\]*]|(?<!\\)_\w/.test(t)]).toEqual([t, false]);
    expect(texts).toContain('see \\[Approve here\\](https://evil.example/a) \\*\\*now\\*\\*');
  });

  it('link the alert source only on a trusted host: the AlertManager externalURL host or one configured', () => {
    const withSource = (generatorURL: string, trustedLinkHosts: string[] = []) =>
      buildView(incident({}, { generatorURL, externalURL: 'https://alertmanager.example:9093' }), 'Reported', { trustedLinkHosts });
    const sinks = (v: ReturnType<typeof buildView>) =>
      JSON.stringify([slackMessage(v), teamsMessage(v), pagerDutyEvent(v, 'k'.repeat(32)), webhookBody(v, 'd1')]);
    for (const bad of ['https://evil.example/graph', 'javascript:alert(1)', 'https://alertmanager.example.evil.example/x', 'not a url']) {
      const v = withSource(bad);
      expect(v.links.generator).toBeUndefined();
      expect(sinks(v)).not.toContain('Alert source');
    }
    expect(withSource('https://ALERTMANAGER.example/graph?g0.expr=up').links.generator).toBe('https://ALERTMANAGER.example/graph?g0.expr=up');
    expect(withSource('http://prometheus.monitoring.svc:9090/graph', ['prometheus.monitoring.svc']).links.generator).toBe('http://prometheus.monitoring.svc:9090/graph');
    expect(withSource('https://eu.grafana.example/alerting/1', ['*.grafana.example']).links.generator).toBe('https://eu.grafana.example/alerting/1');
    expect(withSource('https://grafana.example.evil/alerting/1', ['*.grafana.example']).links.generator).toBeUndefined();
    expect(sinks(withSource('https://alertmanager.example/graph'))).toContain('Alert source');
    expect(parseNotificationsConfig('trustedLinkHosts: [prometheus.example, "*.grafana.example"]').trustedLinkHosts).toEqual(['prometheus.example', '*.grafana.example']);
    expect(parseNotificationsConfig('{}').trustedLinkHosts).toEqual([]);
  });

  it('escape Slack mrkdwn and sanitise the e-mail HTML', () => {
    expect(JSON.stringify(slackMessage(buildView(incident(), 'Reported')))).toContain('&lt;script&gt;');
    const html = markdownToSafeHtml(incident().status!.report!);
    expect(html).toContain('<h2>Root cause</h2>');
    expect(html).not.toMatch(/<script|<img/);
  });
});

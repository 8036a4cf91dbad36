// Microsoft Teams through a Workflows ("Post to a channel when a webhook request is received") webhook:
// a message with one Adaptive Card attachment. Workflows cannot edit a posted card: one card per event.
import { postJson } from '../http.js';
import { markdownEscape as md } from '../escape.js';
import type { NotificationView } from '../message.js';
import { cut, type SendContext, type SendResult, type Sink } from './types.js';

const COLOR = { ok: 'Good', warning: 'Warning', danger: 'Attention', info: 'Accent' } as const;

// Every text below is Markdown to Teams (TextBlock, Fact.Value): what comes from the alert or the model goes
// through md() (escape.ts), our own fixed words do not need to.
export function teamsMessage(v: NotificationView): Record<string, unknown> {
  const text = (t: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: cut(t, 4000), wrap: true, ...extra });
  const body: Array<Record<string, unknown>> = [
    text(md(v.title), { size: 'Large', weight: 'Bolder', color: COLOR[v.tone], style: 'heading' }),
    {
      type: 'FactSet',
      facts: [
        { title: 'Severity', value: md(v.severity ?? 'none') },
        { title: 'Outcome', value: v.outcome ?? v.phase },
        { title: 'Alert', value: `${md(v.alertname)} (${v.alertStatus})` },
        { title: 'Namespace', value: md(v.alertNamespace ?? '–') },
        ...(v.cluster ? [{ title: 'Cluster', value: md(v.cluster) }] : []),
        { title: 'Incident', value: md(`${v.incident.namespace}/${v.incident.name}`) },
        ...(v.count > 1 ? [{ title: 'Flapping', value: `fired ${v.count} times within the notification interval` }] : []),
      ],
    },
  ];
  if (v.summary) body.push(text('Summary', { weight: 'Bolder', spacing: 'Medium' }), text(md(v.summary)));
  if (v.rootCause) body.push(text('Root cause', { weight: 'Bolder', spacing: 'Medium' }), text(md(v.rootCause)));
  if (v.failureReason) body.push(text('Why it failed', { weight: 'Bolder', spacing: 'Medium' }), text(md(v.failureReason)));
  if (v.approval) {
    body.push(
      text(`Waiting for approval: step ${v.approval.step}`, { weight: 'Bolder', spacing: 'Medium', color: 'Warning' }),
      text(md(`${v.approval.tool} ${v.approval.arguments}`)),
      text(md(v.approval.approve), { fontType: 'Monospace' }),
      text(`Reject: ${md(v.approval.reject)}`, { fontType: 'Monospace', isSubtle: true }),
    );
  }
  if (v.actions.length) body.push(text('Actions taken', { weight: 'Bolder', spacing: 'Medium' }), text(v.actions.map((a) => `- ${md(a)}`).join('\r')));
  body.push(text(md(v.describe), { fontType: 'Monospace', isSubtle: true, size: 'Small' }));
  const actions: Array<Record<string, unknown>> = [];
  if (v.links.webView) actions.push({ type: 'Action.OpenUrl', title: 'Open incident', url: v.links.webView });
  if (v.links.generator) actions.push({ type: 'Action.OpenUrl', title: 'Alert source', url: v.links.generator });
  for (const r of v.related) actions.push({ type: 'Action.OpenUrl', title: r.label, url: r.url });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          ...(actions.length ? { actions } : {}),
        },
      },
    ],
  };
}

export class TeamsSink implements Sink {
  readonly type = 'teams';
  constructor(
    readonly name: string,
    private readonly webhookURL: string,
  ) {}

  async send(v: NotificationView, ctx: SendContext): Promise<SendResult> {
    await postJson(this.webhookURL, teamsMessage(v), { timeoutMs: ctx.timeoutMs });
    return {};
  }
}

// Slack: Block Kit, by incoming webhook (a new message per event) or with a bot token (chat.postMessage,
// then chat.update of the same message for every later event of the incident).
import { DeliveryError, parseRetryAfter, postJson } from '../http.js';
import { slackEscape as esc } from '../escape.js';
import type { NotificationView } from '../message.js';
import { cut, type SendContext, type SendResult, type Sink } from './types.js';

const EMOJI = { ok: ':large_green_circle:', warning: ':large_yellow_circle:', danger: ':red_circle:', info: ':large_blue_circle:' } as const;

type Block = Record<string, unknown>;
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: cut(text, 3000) } });

/** The Block Kit message (https://api.slack.com/block-kit): limits of each block kept. */
export function slackMessage(v: NotificationView): { text: string; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: cut(`${v.title}`, 150), emoji: true } }];
  const fields = [
    `*Severity*\n${esc(v.severity ?? 'none')}`,
    `*Outcome*\n${esc(v.outcome ?? v.phase)}`,
    `*Alert*\n${esc(v.alertname)} (${v.alertStatus})`,
    `*Namespace*\n${esc(v.alertNamespace ?? '–')}`,
    ...(v.cluster ? [`*Cluster*\n${esc(v.cluster)}`] : []),
  ].map((text) => ({ type: 'mrkdwn', text: cut(text, 2000) }));
  blocks.push({ type: 'section', fields });
  if (v.summary) blocks.push(section(`*Summary*\n${esc(v.summary)}`));
  if (v.rootCause) blocks.push(section(`*Root cause*\n${esc(v.rootCause)}`));
  if (v.failureReason) blocks.push(section(`*Why it failed*\n${esc(v.failureReason)}`));
  if (v.approval) {
    const a = v.approval;
    blocks.push(section(`*Waiting for approval* — step ${a.step}: \`${esc(a.tool)}\` ${esc(a.arguments)}\n\`\`\`${esc(a.approve)}\`\`\`\nReject: \`${esc(a.reject)}\``));
  }
  if (v.actions.length) blocks.push(section(`*Actions taken*\n${v.actions.map((x) => `• ${esc(x)}`).join('\n')}`));
  const context = [`${EMOJI[v.tone]} ${esc(v.headline)}`, `\`${esc(v.describe)}\``];
  if (v.count > 1) context.push(`:repeat: fired ${v.count} times within the notification interval`);
  blocks.push({ type: 'context', elements: context.map((text) => ({ type: 'mrkdwn', text: cut(text, 2000) })) });
  const buttons: Block[] = [];
  if (v.links.webView) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: cut(v.links.webView, 3000), style: 'primary' });
  if (v.links.generator) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Alert source' }, url: cut(v.links.generator, 3000) });
  for (const r of v.related) buttons.push({ type: 'button', text: { type: 'plain_text', text: cut(r.label, 75) }, url: cut(r.url, 3000) });
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons });
  // The fallback `text` (notifications, screen readers) is mrkdwn too: escaped like the blocks.
  const text = cut(`${EMOJI[v.tone]} ${esc(v.title)}${v.summary ? ` — ${esc(v.summary)}` : ''}`, 3000);
  return { text, blocks };
}

export class SlackSink implements Sink {
  readonly type = 'slack';
  constructor(
    readonly name: string,
    private readonly c: { webhookURL?: string; botToken?: string; channel?: string; apiURL: string },
  ) {}

  async send(v: NotificationView, ctx: SendContext): Promise<SendResult> {
    const msg = slackMessage(v);
    if (this.c.webhookURL) {
      await postJson(this.c.webhookURL, msg, { timeoutMs: ctx.timeoutMs });
      return {};
    }
    const [channel, ts] = ctx.messageId?.split(':') ?? [];
    if (channel && ts) {
      try {
        return await this.call('chat.update', { channel, ts, ...msg }, ctx);
      } catch (err) {
        // The message was deleted: post a new one.
        if (!(err instanceof DeliveryError) || !/message_not_found|cant_update_message/.test(err.message)) throw err;
      }
    }
    return this.call('chat.postMessage', { channel: this.c.channel, unfurl_links: false, ...msg }, ctx);
  }

  private async call(method: string, body: Record<string, unknown>, ctx: SendContext): Promise<SendResult> {
    const res = await postJson(`${this.c.apiURL.replace(/\/$/, '')}/${method}`, body, { timeoutMs: ctx.timeoutMs, headers: { authorization: `Bearer ${this.c.botToken}` } });
    let json: { ok?: boolean; error?: string; channel?: string; ts?: string };
    try {
      json = JSON.parse(res.text);
    } catch {
      throw new DeliveryError(`slack ${method}: answer is not JSON`, true);
    }
    if (!json.ok) {
      const retryable = json.error === 'ratelimited' || json.error === 'service_unavailable' || json.error === 'internal_error';
      throw new DeliveryError(`slack ${method}: ${json.error ?? 'not ok'}`, retryable, parseRetryAfter(res.headers.get('retry-after')));
    }
    return { messageId: json.channel && json.ts ? `${json.channel}:${json.ts}` : undefined };
  }
}

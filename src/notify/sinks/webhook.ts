// Our own JSON (README "Notifications" documents it), optionally signed: X-Alert-Agent-Signature is
// "sha256=" + HMAC-SHA256(secret, timestamp + "." + body), X-Alert-Agent-Timestamp the Unix seconds.
import { createHmac } from 'node:crypto';
import { postJson } from '../http.js';
import type { NotificationView } from '../message.js';
import type { SendContext, SendResult, Sink } from './types.js';

export function webhookBody(v: NotificationView, deliveryId: string, now = new Date()): Record<string, unknown> {
  return {
    version: '1',
    kind: 'AlertIncidentNotification',
    deliveryId,
    event: v.event,
    sentAt: now.toISOString(),
    title: v.title,
    incident: { ...v.incident },
    alert: { alertname: v.alertname, severity: v.severity, namespace: v.alertNamespace, ...(v.cluster && { cluster: v.cluster }), status: v.alertStatus, startsAt: v.startsAt },
    status: {
      phase: v.phase,
      outcome: v.outcome,
      summary: v.summary,
      rootCause: v.rootCause,
      failureReason: v.failureReason,
      actions: v.actions,
      approval: v.approval,
    },
    count: v.count,
    report: v.report,
    links: { ...v.links, describe: v.describe, related: v.related },
  };
}

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookSink implements Sink {
  readonly type = 'webhook';
  constructor(
    readonly name: string,
    private readonly c: { url: string; secret?: string; headers?: Record<string, string> },
  ) {}

  async send(v: NotificationView, ctx: SendContext): Promise<SendResult> {
    const raw = JSON.stringify(webhookBody(v, ctx.deliveryId));
    const ts = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { ...this.c.headers, 'x-alert-agent-delivery': ctx.deliveryId, 'x-alert-agent-event': v.event };
    if (this.c.secret) {
      headers['x-alert-agent-timestamp'] = ts;
      headers['x-alert-agent-signature'] = sign(this.c.secret, ts, raw);
    }
    await postJson(this.c.url, undefined, { timeoutMs: ctx.timeoutMs, headers, raw });
    return {};
  }
}

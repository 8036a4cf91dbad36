// E-mail over SMTP (nodemailer): plain text plus the report rendered from Markdown (marked) to HTML and
// sanitised (sanitize-html): the report quotes tool output, which is not ours to trust. Later events of
// an incident reply to its first message (In-Reply-To/References), so mail clients thread them.
import { createHash } from 'node:crypto';
import { marked } from 'marked';
import nodemailer, { type Transporter } from 'nodemailer';
import sanitizeHtml from 'sanitize-html';
import { escapeHtml } from '../../util/html.js';
import { DeliveryError } from '../http.js';
import { plainText, type NotificationView } from '../message.js';
import type { SendContext, SendResult, Sink } from './types.js';

const COLOR = { ok: '#2e7d32', warning: '#ed6c02', danger: '#c62828', info: '#1565c0' } as const;

/** Markdown → safe HTML: no scripts, no styles, no images (a remote image is a tracking pixel), links kept. */
export function markdownToSafeHtml(md: string): string {
  const html = marked.parse(md, { async: false, gfm: true }) as string;
  return sanitizeHtml(html, {
    allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'a', 'ul', 'ol', 'li', 'b', 'i', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'hr', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
    allowedAttributes: { a: ['href', 'title'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer' }) },
  });
}

export function emailHtml(v: NotificationView): string {
  const row = (k: string, val: string) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`;
  const parts = [
    `<h2 style="color:${COLOR[v.tone]}">${escapeHtml(v.title)}</h2>`,
    '<table>',
    row('Severity', v.severity ?? 'none'),
    row('Outcome', v.outcome ?? v.phase),
    row('Alert', `${v.alertname} (${v.alertStatus})`),
    row('Namespace', v.alertNamespace ?? '–'),
    ...(v.cluster ? [row('Cluster', v.cluster)] : []),
    row('Incident', `${v.incident.namespace}/${v.incident.name}`),
    ...(v.count > 1 ? [row('Flapping', `fired ${v.count} times within the notification interval`)] : []),
    '</table>',
  ];
  if (v.summary) parts.push(`<p><strong>Summary:</strong> ${escapeHtml(v.summary)}</p>`);
  if (v.rootCause) parts.push(`<p><strong>Root cause:</strong> ${escapeHtml(v.rootCause)}</p>`);
  if (v.failureReason) parts.push(`<p><strong>Why it failed:</strong> ${escapeHtml(v.failureReason)}</p>`);
  if (v.approval) {
    parts.push(
      `<p><strong>Waiting for approval:</strong> step ${v.approval.step}: <code>${escapeHtml(v.approval.tool)}</code> <code>${escapeHtml(v.approval.arguments)}</code></p>`,
      `<pre>${escapeHtml(v.approval.approve)}\n${escapeHtml(v.approval.reject)}</pre>`,
    );
  }
  if (v.actions.length) parts.push('<p><strong>Actions taken</strong></p><ul>', ...v.actions.map((a) => `<li>${escapeHtml(a)}</li>`), '</ul>');
  const links = [
    v.links.webView ? `<a href="${escapeHtml(v.links.webView)}">Open incident</a>` : '',
    v.links.generator && /^https?:/.test(v.links.generator) ? `<a href="${escapeHtml(v.links.generator)}">Alert source</a>` : '',
    ...v.related.map((r) => `<a href="${escapeHtml(r.url)}">${escapeHtml(r.label)}</a>`),
  ].filter(Boolean);
  if (links.length) parts.push(`<p>${links.join(' · ')}</p>`);
  parts.push(`<p><code>${escapeHtml(v.describe)}</code></p>`);
  if (v.report) parts.push('<hr>', markdownToSafeHtml(v.report));
  return `<!doctype html><html><body style="font-family:sans-serif">${parts.join('\n')}</body></html>`;
}

export interface EmailConfig {
  smtp: { host: string; port: number; secure: boolean; requireTLS: boolean; user?: string; password?: string; tlsVerify: boolean };
  from: string;
  to: string[];
  subjectPrefix: string;
}

export class EmailSink implements Sink {
  readonly type = 'email';
  private transport?: Transporter;
  constructor(
    readonly name: string,
    private readonly c: EmailConfig,
  ) {}

  private transporter(timeoutMs: number): Transporter {
    this.transport ??= nodemailer.createTransport({
      host: this.c.smtp.host,
      port: this.c.smtp.port,
      secure: this.c.smtp.secure,
      requireTLS: this.c.smtp.requireTLS,
      auth: this.c.smtp.user ? { user: this.c.smtp.user, pass: this.c.smtp.password ?? '' } : undefined,
      tls: { rejectUnauthorized: this.c.smtp.tlsVerify },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    return this.transport;
  }

  async send(v: NotificationView, ctx: SendContext): Promise<SendResult> {
    const host = this.c.from.replace(/^.*@/, '').replace(/[>\s]/g, '') || 'alert-agent';
    const messageId = `<${createHash('sha256').update(ctx.deliveryId).digest('hex').slice(0, 32)}@${host}>`;
    const subject = `${this.c.subjectPrefix} ${v.severity ? `[${v.severity}] ` : ''}${v.title}`.trim();
    try {
      await this.transporter(ctx.timeoutMs).sendMail({
        from: this.c.from,
        to: this.c.to,
        subject,
        text: plainText(v),
        html: emailHtml(v),
        messageId,
        ...(ctx.messageId ? { inReplyTo: ctx.messageId, references: [ctx.messageId] } : {}),
        headers: { 'X-Alert-Agent-Incident': `${v.incident.namespace}/${v.incident.name}`, 'X-Alert-Agent-Event': v.event },
      });
    } catch (err) {
      const e = err as { responseCode?: number; message?: string; code?: string };
      // 5xx SMTP replies are permanent (bad recipient, refused); 4xx and connection trouble are worth another try.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      throw new DeliveryError(`smtp ${this.c.smtp.host}:${this.c.smtp.port}: ${e.message ?? String(err)}`, !permanent && e.code !== 'EAUTH');
    }
    // The thread's root stays the id of the first message.
    return { messageId: ctx.messageId ?? messageId };
  }

  close(): void {
    this.transport?.close();
  }
}

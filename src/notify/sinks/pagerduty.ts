// PagerDuty Events API v2: `trigger` with a dedup key per incident (a later event of the same incident
// updates the same PagerDuty alert), `resolve` with that key when the alert resolves.
import { DeliveryError, postJson } from '../http.js';
import type { NotificationView } from '../message.js';
import { cut, type SendContext, type SendResult, type Sink } from './types.js';

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

export function pagerDutySeverity(s: string | undefined): 'critical' | 'error' | 'warning' | 'info' {
  const v = (s ?? '').toLowerCase();
  if (SEVERITIES.has(v)) return v as 'critical';
  if (v === 'page' || v === 'high' || v === 'fatal') return 'critical';
  if (v === 'none' || v === 'low') return 'info';
  return 'warning';
}

export function dedupKeyOf(v: NotificationView): string {
  return cut(`alert-agent/${v.incident.namespace}/${v.incident.name}`, 255);
}

export function pagerDutyEvent(v: NotificationView, routingKey: string): Record<string, unknown> {
  const dedup_key = dedupKeyOf(v);
  if (v.event === 'Resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  const links = [
    ...(v.links.webView ? [{ href: v.links.webView, text: 'Incident in alert-agent' }] : []),
    ...(v.links.generator ? [{ href: v.links.generator, text: 'Alert source' }] : []),
    ...v.related.map((r) => ({ href: r.url, text: r.label })),
  ];
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    client: 'alert-agent',
    ...(v.links.webView ? { client_url: v.links.webView } : {}),
    payload: {
      summary: cut(`${v.title}${v.summary ? `: ${v.summary}` : ''}`, 1024),
      source: cut(`${v.cluster ? `cluster/${v.cluster}/` : ''}${v.alertNamespace ? `namespace/${v.alertNamespace}` : `${v.incident.namespace}/${v.incident.name}`}`, 255),
      severity: pagerDutySeverity(v.severity),
      timestamp: v.startsAt,
      component: v.alertname,
      group: v.alertNamespace,
      class: v.outcome ?? v.phase,
      custom_details: {
        incident: `${v.incident.namespace}/${v.incident.name}`,
        phase: v.phase,
        outcome: v.outcome,
        root_cause: v.rootCause,
        failure_reason: v.failureReason,
        actions: v.actions.length ? v.actions : undefined,
        waiting_for_approval: v.approval ? `step ${v.approval.step}: ${v.approval.tool} ${v.approval.arguments}` : undefined,
        approve: v.approval?.approve,
        reject: v.approval?.reject,
        flapping_count: v.count > 1 ? v.count : undefined,
        describe: v.describe,
      },
    },
    ...(links.length ? { links } : {}),
  };
}

export class PagerDutySink implements Sink {
  readonly type = 'pagerduty';
  constructor(
    readonly name: string,
    private readonly c: { routingKey: string; url: string },
  ) {}

  async send(v: NotificationView, ctx: SendContext): Promise<SendResult> {
    const res = await postJson(this.c.url, pagerDutyEvent(v, this.c.routingKey), { timeoutMs: ctx.timeoutMs });
    let json: { status?: string; dedup_key?: string } = {};
    try {
      json = JSON.parse(res.text);
    } catch {
      /* 202 without a body is still accepted */
    }
    if (json.status && json.status !== 'success') throw new DeliveryError(`pagerduty: ${json.status}`, false);
    return { messageId: json.dedup_key ?? dedupKeyOf(v) };
  }
}

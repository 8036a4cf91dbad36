// Alert sources besides AlertManager, turned into the AlertManager payload the intake stores, so every
// source gets the same guarantees (idempotent names, stored before 2xx, clear 4xx).
//
// - Grafana Alerting's webhook contact point: AlertManager-like (version "1", orgId, title, state,
//   message; per alert silenceURL, dashboardURL, panelURL, imageURL, values, valueString). The extra
//   fields are accepted; the links and valueString are kept as annotations (an existing annotation of the
//   same name wins), so the report and the notifications can show them.
// - A generic JSON endpoint for anything else: one alert, an array of alerts, or {"alerts": [...]}, each
//   {alertname, status?, labels?, annotations?, startsAt, endsAt?, severity?, generatorURL?, fingerprint?}.
import { z } from 'zod';
import type { WebhookPayload } from './payload.js';

export class SourceError extends Error {}

const str = z.string({ invalid_type_error: 'must be a string' });
const stringMap = z.record(z.string({ invalid_type_error: 'label and annotation values must be strings' }));

const GrafanaAlert = z
  .object({
    status: z.string().optional(),
    labels: z.unknown().optional(),
    annotations: z.unknown().optional(),
    silenceURL: str.optional(),
    dashboardURL: str.optional(),
    panelURL: str.optional(),
    imageURL: str.optional(),
    valueString: str.optional(),
  })
  .passthrough();
const GrafanaPayload = z
  .object({
    receiver: str.optional(),
    status: str.optional(),
    orgId: z.number().optional(),
    groupKey: str.optional(),
    externalURL: str.optional(),
    title: str.optional(),
    alerts: z.array(GrafanaAlert, { required_error: 'the payload holds no alerts', invalid_type_error: 'alerts must be an array' }),
  })
  .passthrough();

const GRAFANA_EXTRAS = ['dashboardURL', 'panelURL', 'silenceURL', 'imageURL', 'valueString'] as const;

/** The AlertManager-shaped payload for a Grafana one; validation of each alert is left to WebhookPayload. */
export function fromGrafana(body: unknown): { payload: unknown; count: number } {
  const parsed = GrafanaPayload.safeParse(body);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new SourceError(`${i.path.join('.') || '(body)'}: ${i.message}`);
  }
  const g = parsed.data;
  const alerts = g.alerts.map((a) => {
    const annotations: Record<string, unknown> = a.annotations && typeof a.annotations === 'object' ? { ...(a.annotations as Record<string, unknown>) } : (a.annotations as never);
    if (annotations && typeof annotations === 'object') {
      for (const k of GRAFANA_EXTRAS) {
        const v = a[k];
        if (typeof v === 'string' && v !== '' && annotations[k] === undefined) annotations[k] = v;
      }
    }
    const { silenceURL: _s, dashboardURL: _d, panelURL: _p, imageURL: _i, valueString: _v, values: _vals, ...rest } = a as Record<string, unknown>;
    return { ...rest, annotations: annotations ?? {} };
  });
  return {
    payload: { version: '4', receiver: g.receiver ?? 'grafana', groupKey: g.groupKey, externalURL: g.externalURL, status: g.status === 'resolved' ? 'resolved' : undefined, alerts },
    count: alerts.length,
  };
}

const timestamp = str.refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an RFC 3339 timestamp' });

export const GenericAlert = z
  .object({
    alertname: str.min(1, 'must not be empty').max(1024),
    status: z.enum(['firing', 'resolved']).default('firing'),
    labels: stringMap.default({}),
    annotations: stringMap.default({}),
    startsAt: timestamp,
    endsAt: timestamp.optional(),
    severity: str.optional(),
    generatorURL: str.optional(),
    fingerprint: str.max(256).optional(),
  })
  .strict();
export type GenericAlert = z.infer<typeof GenericAlert>;

/** The alerts of a generic body: the body itself, its array, or its `alerts`. */
export function genericAlerts(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && Array.isArray((body as { alerts?: unknown }).alerts)) return (body as { alerts: unknown[] }).alerts;
  return [body];
}

export function fromGeneric(alerts: GenericAlert[]): WebhookPayload {
  return {
    version: '4',
    receiver: 'generic',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { ...a.labels, alertname: a.alertname, ...(a.severity ? { severity: a.severity } : {}) },
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

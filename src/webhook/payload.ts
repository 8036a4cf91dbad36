// The AlertManager webhook payload (version 4, notify/webhook in prometheus/alertmanager). Fields that
// newer releases add (notification_reason, routeLabels, ...) are accepted and ignored.
import { z } from 'zod';

const MAX_ALERT_BYTES = 256 * 1024;

const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not an RFC 3339 timestamp' });
const stringMap = z.record(z.string({ invalid_type_error: 'label and annotation values must be strings' }));

export const WebhookAlert = z
  .object({
    status: z.enum(['firing', 'resolved']),
    labels: stringMap.refine((l) => Object.keys(l).length > 0, { message: 'an alert needs at least one label' }),
    annotations: stringMap.default({}),
    startsAt: timestamp,
    endsAt: timestamp.optional(),
    generatorURL: z.string().optional(),
    fingerprint: z.string().max(256).optional(),
  })
  .superRefine((a, ctx) => {
    // One alert must fit in one AlertIncident together with its investigation (etcd caps an object at
    // 1.5 MiB); refusing it here gives AlertManager a 400 that names it instead of endless retries.
    const bytes = Buffer.byteLength(JSON.stringify(a.labels)) + Buffer.byteLength(JSON.stringify(a.annotations));
    if (bytes > MAX_ALERT_BYTES) {
      ctx.addIssue({ code: 'custom', message: `labels and annotations take ${bytes} bytes, more than the ${MAX_ALERT_BYTES} an incident can hold` });
    }
  });
export type WebhookAlert = z.infer<typeof WebhookAlert>;

export const WebhookPayload = z.object({
  version: z.string().refine((v) => v === '4', { message: 'only version "4" of the AlertManager webhook payload is understood' }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: stringMap.optional(),
  commonLabels: stringMap.optional(),
  commonAnnotations: stringMap.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(WebhookAlert).min(1, { message: 'the payload holds no alerts' }),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** The default bound on alerts per payload (WEBHOOK_MAX_ALERTS); AlertManager's `max_alerts` should match. */
export const DEFAULT_MAX_ALERTS = 1000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The path of the first key or string value holding a lone UTF-16 surrogate (a JSON escape like
 * "\udc00" in valid UTF-8 bytes): no UTF-8 text can hold it, so the API server would store U+FFFD in
 * its place. undefined when there is none.
 */
export function findLoneSurrogate(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path || '(body)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findLoneSurrogate(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (LONE_SURROGATE.test(k)) return `${p} (the key)`;
      const found = findLoneSurrogate(v, p);
      if (found) return found;
    }
  }
  return undefined;
}

/** "alerts[3].labels.severity: Expected string, received number" — names the field AlertManager sent wrong. */
export function describeIssues(err: z.ZodError, max = 5): string {
  const lines = err.issues.slice(0, max).map((i) => {
    const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
    return `${path || '(body)'}: ${i.message}`;
  });
  if (err.issues.length > max) lines.push(`... and ${err.issues.length - max} more`);
  return lines.join('; ');
}

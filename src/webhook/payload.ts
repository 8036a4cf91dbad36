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
export function findLoneSurrogate(value: unknown): string | undefined {
  // Iterative (an explicit stack, children pushed in reverse to keep document order): the body is the
  // sender's, and its nesting must not decide how deep our call stack goes.
  // A key is checked just before its value, as a recursive walk would.
  const stack: Array<[unknown, string, 'key'?]> = [[value, '']];
  while (stack.length) {
    const [v, path, key] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return key ? `${path} (the key)` : path || '(body)';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i];
        const p = path ? `${path}.${k}` : k;
        stack.push([child, p], [k, p, 'key']);
      }
    }
  }
  return undefined;
}

/** Nesting of arrays and objects a body may have: AlertManager's payload is 4 deep; 64 leaves room for any sender. */
export const MAX_JSON_DEPTH = 64;

/** Whether arrays and objects nest deeper than `max` (the top one is level 1). Iterative, stops at the first too deep. */
export function jsonDepthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const c of Array.isArray(v) ? v : Object.values(v)) {
      if (c !== null && typeof c === 'object') {
        values.push(c);
        depths.push(d + 1);
      }
    }
  }
  return false;
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

// The notifications file (NOTIFICATIONS_CONFIG, YAML or JSON; the chart renders it from the `notifications`
// value into a ConfigMap). Secrets never sit in it: `${VAR}` anywhere in a string is expanded from the
// operator's environment, which the chart fills from Secrets.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { PHASES } from '../incident/types.js';

import { deliverySettings, durationSetting, expandEnv as expandSettings, parseDuration, uniqueNames } from '../util/settings.js';

export { parseDuration };

const duration = durationSetting;
const url = z.string().url();
const names = z.array(z.string()).optional();

/** Which incidents a sink hears about. Every list given must match; an empty or absent list matches all. */
export const Match = z
  .object({
    severities: names,
    /** The alert's `namespace` label. */
    namespaces: names,
    alertnames: names,
    /** Every label given must have this value ("*": only present). */
    labels: z.record(z.string()).optional(),
  })
  .strict();
export type Match = z.infer<typeof Match>;

const Routing = {
  /** Phases that notify (default Reported, Failed, AwaitingApproval). */
  phases: z.array(z.enum(PHASES)).optional(),
  /** Outcomes of Reported that notify; empty = any. */
  outcomes: z.array(z.enum(['Resolved', 'NeedsManualIntervention'])).optional(),
  /** A new firing of an alert (same alertname and fingerprint) within this long after the last message is folded into one message with a count. */
  minInterval: duration.optional(),
  /** Also tell the sink when the alert resolves (default: PagerDuty and Slack with a bot token, which update the message in place). */
  sendResolved: z.boolean().optional(),
  match: Match.optional(),
};

const Slack = z
  .object({
    type: z.literal('slack'),
    name: z.string().min(1).max(128),
    /** Incoming-webhook mode: one new message per event. */
    webhookURL: url.optional(),
    /** Bot-token mode (chat.postMessage, then chat.update: one message per incident, updated in place). */
    botToken: z.string().optional(),
    channel: z.string().optional(),
    apiURL: url.default('https://slack.com/api'),
    ...Routing,
  })
  .strict()
  .refine((s) => Boolean(s.webhookURL) !== Boolean(s.botToken), { message: 'a slack sink needs exactly one of webhookURL or botToken' })
  .refine((s) => !s.botToken || Boolean(s.channel), { message: 'a slack sink with botToken needs channel' });
const Teams = z.object({ type: z.literal('teams'), name: z.string().min(1).max(128), webhookURL: url, ...Routing }).strict();
const PagerDuty = z
  .object({
    type: z.literal('pagerduty'),
    name: z.string().min(1).max(128),
    routingKey: z.string().min(1),
    url: url.default('https://events.pagerduty.com/v2/enqueue'),
    ...Routing,
  })
  .strict();
const Webhook = z
  .object({
    type: z.literal('webhook'),
    name: z.string().min(1).max(128),
    url,
    /** HMAC-SHA256 key: the body is signed in X-Alert-Agent-Signature. */
    secret: z.string().optional(),
    headers: z.record(z.string()).optional(),
    ...Routing,
  })
  .strict();
const Email = z
  .object({
    type: z.literal('email'),
    name: z.string().min(1).max(128),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().positive().default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        requireTLS: z.boolean().default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        /** Verify the server's certificate (default true). */
        tlsVerify: z.boolean().default(true),
      })
      .strict(),
    from: z.string().min(1),
    to: z.array(z.string().min(1)).min(1),
    subjectPrefix: z.string().default('[alert-agent]'),
    ...Routing,
  })
  .strict();

export const SinkConfig = z.union([Slack, Teams, PagerDuty, Webhook, Email]);
export type SinkConfig = z.infer<typeof SinkConfig>;
export type SinkType = SinkConfig['type'];

export const NotificationsConfig = z
  .object({
    /** Link to an incident in the web view: `{namespace}` and `{name}` are replaced. */
    webViewURL: z.string().optional(),
    /** Hosts ("prometheus.example", "*.grafana.example") whose alert source link (generatorURL) is shown, besides the AlertManager externalURL's host. */
    trustedLinkHosts: z.array(z.string().min(1)).default([]),
    defaults: z
      .object({
        phases: z.array(z.enum(PHASES)).default(['Reported', 'Failed', 'AwaitingApproval']),
        outcomes: z.array(z.enum(['Resolved', 'NeedsManualIntervention'])).default([]),
        minInterval: duration.default('15m'),
        /** Events older than this (e.g. history when notifications are first turned on) are not sent. */
        maxAge: duration.default('24h'),
      })
      .strict()
      .default({}),
    delivery: deliverySettings(4),
    sinks: z.array(SinkConfig).default([]),
  })
  .strict()
  .superRefine((c, ctx) => uniqueNames(c.sinks, ctx, 'sinks', 'sinks'));
export type NotificationsConfig = z.infer<typeof NotificationsConfig>;

/** `${VAR}` in every string, from env (src/util/settings.ts); errors name the notifications file. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  return expandSettings(value, env, path, 'notifications');
}

export function parseNotificationsConfig(text: string, env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  const raw = parse(text) ?? {};
  const parsed = NotificationsConfig.safeParse(expandEnv(raw, env));
  if (!parsed.success) {
    throw new Error(`invalid notifications config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function loadNotificationsConfig(path: string, env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  return parseNotificationsConfig(readFileSync(path, 'utf8'), env);
}

// The tickets file (TICKETS_CONFIG, YAML or JSON; the chart renders it from the `tickets` value into a
// ConfigMap). The same style as the notifications file: durations as "30s", and secrets never in it:
// `${VAR}` anywhere in a string is expanded from the operator's environment, which the chart fills from
// Secrets.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { Outcome, PHASES } from '../incident/types.js';
import { deliverySettings, durationSetting, expandEnv, uniqueNames } from '../util/settings.js';

const duration = durationSetting;
const url = z.string().url();
const names = z.array(z.string()).optional();
/** A Jira label and a GitHub/GitLab label: no spaces or commas (GitLab splits labels on commas). */
const label = z.string().regex(/^[^\s,]{1,100}$/, 'a label has no spaces or commas');

/** When a tracker opens (or comments on, or reopens) the alert's ticket: every rule given must hold. */
const When = {
  /** Outcomes of Reported that open a ticket (default NeedsManualIntervention). */
  outcomes: z.array(Outcome).optional(),
  /** Other phases that open a ticket (default Failed). */
  phases: z.array(z.enum(PHASES)).optional(),
  /** Which alerts: every list given must hold the alert's value; absent or empty matches all. */
  match: z.object({ severities: names, namespaces: names, alertnames: names }).strict().optional(),
  /** What the resolve of the alert does: comment and close (or transition), only comment, or nothing. */
  onResolve: z.enum(['close', 'comment', 'none']).optional(),
};

const Common = {
  /** The tracker's name: a ConfigMap key part and the record's key, so letters, digits, - and _. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tracker name is letters, digits, - and _ (at most 64)'),
  /** Labels every ticket gets (besides the marker label alertagent-<hash>). */
  labels: z.array(label).default([]),
  /** Severity (the alert's) → priority: a Jira priority name, or one more label on GitHub and GitLab. */
  priorities: z.record(z.string().min(1)).default({}),
  ...When,
};

/** What Jira Cloud and Data Center share. */
const JiraCommon = {
  project: z.string().min(1),
  issueType: z.string().min(1).default('Task'),
  /** The transition that closes (default: the first whose target status is in the Done category). */
  closeTransition: z.string().optional(),
  /** The transition that reopens (default: the first whose target status is not Done). */
  reopenTransition: z.string().optional(),
  ...Common,
};

const JiraCloud = z
  .object({
    type: z.literal('jira-cloud'),
    /** https://your-site.atlassian.net */
    url,
    email: z.string().min(1),
    apiToken: z.string().min(1),
    /** An Atlassian account id. */
    assignee: z.string().optional(),
    ...JiraCommon,
  })
  .strict();
const JiraDataCenter = z
  .object({
    type: z.literal('jira-datacenter'),
    url,
    /** A personal access token (Bearer). */
    token: z.string().min(1),
    /** A user name. */
    assignee: z.string().optional(),
    ...JiraCommon,
  })
  .strict();
const GitHub = z
  .object({
    type: z.literal('github'),
    apiURL: url.default('https://api.github.com'),
    token: z.string().min(1),
    /** owner/name */
    repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'repository is owner/name'),
    assignees: z.array(z.string().min(1)).default([]),
    ...Common,
  })
  .strict();
const GitLab = z
  .object({
    type: z.literal('gitlab'),
    url: url.default('https://gitlab.com'),
    token: z.string().min(1),
    /** The project's numeric id or its path (group/project). */
    project: z.union([z.string().min(1), z.number().int().positive()]).transform(String),
    assigneeIds: z.array(z.number().int().positive()).default([]),
    ...Common,
  })
  .strict();

export const TrackerConfig = z.discriminatedUnion('type', [JiraCloud, JiraDataCenter, GitHub, GitLab]);
export type TrackerConfig = z.infer<typeof TrackerConfig>;
export type TrackerType = TrackerConfig['type'];

export const TicketsConfig = z
  .object({
    /** Link to an incident in the web view: `{namespace}` and `{name}` are replaced. */
    webViewURL: z.string().optional(),
    defaults: z
      .object({
        outcomes: z.array(Outcome).default(['NeedsManualIntervention']),
        phases: z.array(z.enum(PHASES)).default(['Failed']),
        onResolve: z.enum(['close', 'comment', 'none']).default('close'),
        /** Incidents that finished longer ago than this (history when tickets are first turned on) open none. */
        maxAge: duration.default('24h'),
        /**
         * After a create whose record was lost (a crash, a failed write), how long a search by the marker
         * label that finds nothing is not believed: Jira's search index lags a create by seconds.
         */
        searchSettle: duration.default('30s'),
      })
      .strict()
      .default({}),
    delivery: deliverySettings(2),
    trackers: z.array(TrackerConfig).default([]),
  })
  .strict()
  .superRefine((c, ctx) => uniqueNames(c.trackers, ctx, 'trackers', 'trackers'));
export type TicketsConfig = z.infer<typeof TicketsConfig>;

export function parseTicketsConfig(text: string, env: NodeJS.ProcessEnv = process.env): TicketsConfig {
  const raw = parse(text) ?? {};
  const parsed = TicketsConfig.safeParse(expandEnv(raw, env, '', 'tickets'));
  if (!parsed.success) {
    throw new Error(`invalid tickets config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function loadTicketsConfig(path: string, env: NodeJS.ProcessEnv = process.env): TicketsConfig {
  return parseTicketsConfig(readFileSync(path, 'utf8'), env);
}

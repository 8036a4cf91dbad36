// The AlertIncident resource as TypeScript sees it. Every type is inferred from these schemas, and the CRD
// (crds/alertagent.io_alertincidents.yaml) is made from them by `npm run crd` (scripts/crd.ts): types,
// required fields, enums and descriptions from zod; string bounds, formats and list types from the markers
// of crdMarkers.ts; the status bounds the operator clips to from LIMITS (limits.ts). The API server
// validates against the CRD; these schemas validate what we read back before we act on it. A native zod
// check is used only where it means what the API server checks (so a stored object always reads back).
import { z } from 'zod';
import { crd, listMap } from './crdMarkers.js';
import { LIMITS } from './limits.js';

export const GROUP = 'alertagent.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'alertincidents';
export const KIND = 'AlertIncident';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A string of at most `max` characters in the CRD (a marker, not zod's `.max()`: see crdMarkers.ts). */
const text = (max: number) => crd(z.string(), { maxLength: max });
/** A Kubernetes object name or namespace (a DNS-1123 subdomain at most). */
const objectName = text(253);
/** An RFC 3339 time, checked by the API server. */
const dateTime = crd(z.string(), { format: 'date-time' });
const counter = z.number().int().nonnegative();

export const PHASES = ['Pending', 'Analyzing', 'Executing', 'Verifying', 'AwaitingApproval', 'Linked', 'Reported', 'Failed'] as const;
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

export const Outcome = z.enum(['Resolved', 'NeedsManualIntervention']);
export type Outcome = z.infer<typeof Outcome>;

export const IncidentSpec = z
  .object({
    alertname: text(1024),
    severity: text(1024).optional(),
    fingerprint: text(256),
    status: z.enum(['firing', 'resolved']),
    labels: z.record(z.string()).default({}),
    annotations: z.record(z.string()).default({}),
    startsAt: text(64),
    endsAt: text(64).optional(),
    generatorURL: text(8192).optional(),
    receiver: text(1024).optional(),
    groupKey: text(8192).optional(),
    externalURL: text(8192).optional(),
    cluster: text(253)
      .optional()
      .describe(
        "The cluster the alert came from (its CLUSTER_LABEL label, or UNLABELLED_ALERTS_CLUSTER), where it is investigated; empty: it names none. Set only when the operator serves many clusters (CLUSTERS_ENABLED).",
      ),
    notifications: z
      .object({
        count: counter,
        firstReceivedAt: dateTime.optional(),
        lastReceivedAt: dateTime.optional(),
      })
      .optional()
      .describe('How often AlertManager notified about this alert, and when.'),
  })
  .describe('The alert as AlertManager sent it, updated by later notifications.');
export type IncidentSpec = z.infer<typeof IncidentSpec>;

export const StepAction = z.enum(['callTool', 'resolve', 'escalate', 'invalid', 'note', 'verify']);
export type StepAction = z.infer<typeof StepAction>;

export const StepState = z.enum([
  'Planned', // decided, not started (a read-only call may simply run again after a restart)
  'Running', // intent persisted: a mutating call that may or may not have happened
  'Succeeded',
  'Failed',
  'Blocked', // the policy refused it
  'AwaitingApproval',
  'Rejected', // a person rejected it, or approval timed out
  'Unknown', // the operator stopped while a mutating call ran: outcome not known
  'Done', // a step with nothing to run (conclusions, notes, invalid replies)
]);
export type StepState = z.infer<typeof StepState>;

export const PolicyVerdict = z.object({
  verdict: z.enum(['allow', 'block', 'approve']),
  reason: text(LIMITS.policyReason).optional(),
  decidedBy: text(LIMITS.policyDecidedBy).optional(),
});
export type PolicyVerdict = z.infer<typeof PolicyVerdict>;

export const ToolResult = z.object({
  ok: z.boolean(),
  output: text(LIMITS.resultOutput).optional(),
  data: text(LIMITS.resultData)
    .optional()
    .describe("The tool's structured result (MCP structuredContent) as JSON, for the rule-based analyzer; kept whole or not at all."),
  truncated: z.boolean().optional(),
  originalBytes: counter.optional(),
  error: text(LIMITS.resultError).optional(),
  durationMs: counter.optional(),
  finishedAt: dateTime.optional(),
});
export type ToolResult = z.infer<typeof ToolResult>;

/** The API server's judgment of a mutating call before it was shown for approval or run (src/investigation/dryRun.ts). */
export const DryRun = z
  .object({
    ok: z.boolean().describe('The call may be shown or run: the API server accepted it in a server-side dry run, or its target was read and exists.'),
    diff: text(LIMITS.dryRunDiff)
      .optional()
      .describe('What the call would change, one line per field (before → after), from the server-side dry run; a few lines at most.'),
    note: text(LIMITS.dryRunNote).optional().describe('How the call was judged (server-side dry run, or a read of its target) or why it was refused.'),
    gitops: text(LIMITS.dryRunNote)
      .optional()
      .describe('The target is kept from Git by Flux or Argo CD (who, and from which repository and path): the change was not written to the cluster but proposed as a change in Git (the diff).'),
    gitChange: text(LIMITS.gitChange)
      .optional()
      .describe('The change proposed in Git as data (JSON: who keeps the object, the repository and path, each field before and after): what a pull request applies to the manifest.'),
    suspend: z
      .object({
        tool: z.enum(['Flux', 'Argo CD']),
        kind: z.enum(['Kustomization', 'HelmRelease', 'Application']),
        name: text(253),
        namespace: text(63),
        selfHeal: z.boolean().optional().describe('Argo CD: self-heal was on (restored by the resume).'),
        prune: z.boolean().optional().describe('Argo CD: automated prune was on (restored by the resume).'),
      })
      .optional()
      .describe(
        'GITOPS_MANAGED_WRITES=suspend: the Flux Kustomization or HelmRelease (spec.suspend) or Argo CD Application (automated sync off) suspended before the change is written, so its next sync does not revert it; resumed when the change proposed in Git is merged.',
      ),
    time: dateTime.optional(),
  })
  .describe(
    "The API server's judgment of a mutating call before it was shown for approval or run: a server-side dry run (dryRun=All) for the built-in tools, a read of the target object for tools of other servers.",
  );
export type DryRun = z.infer<typeof DryRun>;

export const Step = z.object({
  index: z.number().int().positive(),
  time: dateTime.describe('When the step was taken; for a verify step, when the verification started.'),
  action: StepAction.describe(
    'callTool, resolve, escalate, note (a fact recorded on the way, such as the alert resolving), invalid (an LLM reply that could not be used, or a call the dry run refused), or verify (the check, after an action, that it worked: state Running while it polls, then Succeeded or Failed with the evidence in result).',
  ),
  server: text(LIMITS.stepServer).optional(),
  tool: text(LIMITS.stepTool).optional(),
  toolCallId: text(LIMITS.stepToolCallId).optional(),
  arguments: text(LIMITS.stepArguments).optional(),
  reasoning: text(LIMITS.stepReasoning).optional(),
  mutating: z.boolean().optional(),
  origin: z
    .enum(['evidence', 'fallback'])
    .optional()
    .describe(
      "Who took a step that the incident's investigator did not: evidence (gathered by the rule-based analyzer before the LLM started) or fallback (the analyzer, after the LLM could not go on).",
    ),
  state: StepState.optional(),
  policy: PolicyVerdict.optional(),
  dryRun: DryRun.optional(),
  result: ToolResult.optional(),
});
export type Step = z.infer<typeof Step>;

export const Condition = z.object({
  type: text(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: crd(z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/), { maxLength: 1024 }),
  message: text(LIMITS.conditionMessage).optional(),
  lastTransitionTime: dateTime,
  observedGeneration: crd(z.number().int().nonnegative(), { format: 'int64' }).optional(),
});
export type Condition = z.infer<typeof Condition>;

export const Usage = z.object({
  llmCalls: counter.default(0),
  promptTokens: counter.default(0),
  completionTokens: counter.default(0),
});
export type Usage = z.infer<typeof Usage>;

/** One sink's record for one event of an incident (status.notifications; written by src/notify only). */
export const NotificationRecord = z.object({
  sink: text(LIMITS.notificationSink).describe("The sink's name in the notifications config."),
  type: text(32).optional().describe('slack, teams, pagerduty, webhook or email.'),
  event: text(LIMITS.notificationEvent).describe('Reported, Failed, AwaitingApproval/<step>, Resolved, or another configured phase.'),
  state: z
    .enum(['Sent', 'Retrying', 'Failed', 'Suppressed'])
    .describe(
      'Sent; Retrying (a failed attempt, another is due at nextAttemptAt); Failed (gave up, or the sink refused it with a 4xx); Suppressed (folded into another notification of the same alert within the minimum interval).',
    ),
  time: dateTime.describe('When the state was recorded.'),
  attempts: counter.optional(),
  error: text(LIMITS.notificationError).optional(),
  nextAttemptAt: dateTime.optional(),
  messageId: text(LIMITS.notificationMessageId)
    .optional()
    .describe("The sink's id of the message (Slack channel:ts, e-mail Message-ID, PagerDuty dedup key), for updates in place."),
  count: counter.optional().describe('Notifications of this alert this message stands for (flapping within the minimum interval).'),
});
export type NotificationRecord = z.infer<typeof NotificationRecord>;

/** One ticket tracker's record on an incident (status.tickets; written by src/tickets only). */
export const TicketRecord = z.object({
  tracker: text(LIMITS.ticketTracker).describe("The tracker's name in the tickets config."),
  system: z.enum(['jira-cloud', 'jira-datacenter', 'github', 'gitlab']),
  event: z.enum(['open', 'resolve']).describe('open: the incident needed people (a ticket was opened, commented on or reopened); resolve: the alert resolved.'),
  state: z
    .enum(['Open', 'Closed', 'Retrying', 'Failed', 'Skipped'])
    .describe('The ticket as this event left it (Open, Closed), or the event still being tried (Retrying, at nextAttemptAt), given up (Failed), or not acted on (Skipped: a newer incident of the alert holds the ticket).'),
  action: z.enum(['Created', 'Commented', 'Reopened', 'Linked', 'Closed']).optional().describe('What was done to the ticket; Linked: found by its marker label after a restart.'),
  key: text(LIMITS.ticketKey).optional().describe('The ticket: PROJ-123, owner/repo#12, group/project#12.'),
  url: text(LIMITS.ticketURL).optional(),
  time: dateTime.describe('When the state was recorded.'),
  attempts: counter.optional(),
  error: text(LIMITS.ticketError).optional(),
  nextAttemptAt: dateTime.optional(),
});
export type TicketRecord = z.infer<typeof TicketRecord>;

/** A change proposed in Git as a pull/merge request (status.gitChanges; written by src/gitops only). */
export const GitChangeRecord = z.object({
  step: counter.describe('The step whose change was kept out of the cluster because Flux or Argo CD keeps its target from Git.'),
  state: z
    .enum(['Open', 'Merged', 'Synced', 'Closed', 'TimedOut', 'Failed'])
    .describe('Open: the pull request waits for review; Merged: merged, the cluster not yet showing it; Synced: the cluster shows the change; Closed: closed unmerged; TimedOut: not merged and synced within the timeout; Failed: no pull request could be made (the message says why).'),
  provider: z.enum(['github', 'gitlab']),
  repository: text(LIMITS.gitRepository).optional(),
  branch: text(LIMITS.gitRepository).optional(),
  number: counter.optional().describe("GitHub's pull request number, GitLab's merge request iid."),
  url: text(LIMITS.ticketURL).optional(),
  message: text(LIMITS.ticketError).optional(),
  openedAt: dateTime.optional(),
  time: dateTime.describe('When the state was recorded.'),
});
export type GitChangeRecord = z.infer<typeof GitChangeRecord>;

/** What a person decided on one change an earlier incident proposed (src/context/feedback.ts reads it off the steps). */
export const PastDecision = z.object({
  step: z.number().int().positive(),
  action: text(LIMITS.recallAction).describe('The tool and its arguments, one line (clipped).'),
  call: text(LIMITS.feedbackSignature).describe('The call as the analyzer compares it: tool (without server) and canonical arguments, hashed.'),
  arguments: text(LIMITS.feedbackArguments).optional().describe('The arguments whole, when short: an approved and verified change may be proposed again.'),
  decision: z.enum(['approved', 'rejected']),
  by: text(LIMITS.feedbackBy).optional(),
  reason: text(LIMITS.feedbackText).optional(),
  verified: z.boolean().optional().describe('The change ran and its verification passed.'),
  evidence: text(LIMITS.feedbackSignature).optional().describe("The analyzer's finding when it was decided (rule and root cause, hashed): the same evidence gets the same decision."),
});
export type PastDecision = z.infer<typeof PastDecision>;

/** What people said about an incident's report: set by annotation (alertagent.io/feedback, actual-cause, fixed-by, reject-reason). */
export const PeopleFeedback = z.object({
  verdict: z.enum(['correct', 'wrong']).optional().describe('alertagent.io/feedback: the report was correct or wrong.'),
  by: text(LIMITS.feedbackBy).optional().describe('alertagent.io/feedback-by: who gave the verdict (the admission policy pins it to the requester).'),
  actualCause: text(LIMITS.feedbackText).optional().describe('alertagent.io/actual-cause: what a person says the cause really was.'),
  fixedBy: text(LIMITS.feedbackText).optional().describe('alertagent.io/fixed-by: the fix a person made by hand.'),
  rejectReason: text(LIMITS.feedbackText).optional().describe('alertagent.io/reject-reason: why a person rejected the proposed change.'),
});
export type PeopleFeedback = z.infer<typeof PeopleFeedback>;

/** status.feedback: the people's annotations as the controller took them into account (once per change). */
export const IncidentFeedback = PeopleFeedback.extend({
  recordedAt: dateTime.describe('When the controller read these annotations.'),
  inHistory: z.boolean().optional().describe("Whether they went into the history of this alert's identity, for the next incident to read."),
}).describe("What people said about this incident (annotations), as the controller recorded it into the alert identity's history.");
export type IncidentFeedback = z.infer<typeof IncidentFeedback>;

/** One earlier incident of the same alert on the same object (status.recall; from the history ConfigMap). */
export const PastOccurrence = z.object({
  incident: objectName,
  namespace: objectName.optional(),
  time: text(64),
  outcome: text(64).optional(),
  summary: text(LIMITS.recallText).optional(),
  rootCause: text(LIMITS.recallText).optional(),
  actions: z.array(text(LIMITS.recallAction)).max(LIMITS.recallActions).optional(),
  decisions: z.array(PastDecision).max(LIMITS.recallActions).optional().describe('What people decided on the changes it proposed.'),
  feedback: PeopleFeedback.optional().describe('What people said of its report.'),
});
export type PastOccurrence = z.infer<typeof PastOccurrence>;

/** What the operator remembered of this alert on this object when the incident started. */
export const Recall = z
  .object({
    identity: text(LIMITS.recallIdentity).describe('The normalised identity: alertname|namespace|kind/name.'),
    object: text(LIMITS.recallIdentity).optional(),
    count: counter.describe('Earlier incidents recorded for this identity (this one not counted).'),
    firstSeen: text(64).optional(),
    occurrences: z.array(PastOccurrence).max(LIMITS.recallOccurrences).optional().describe('The newest earlier incidents, newest first.'),
  })
  .describe(
    "Earlier incidents of the same alert on the same object (namespace plus workload, node, claim, ...), from the operator's history ConfigMap, which outlives retention.",
  );
export type Recall = z.infer<typeof Recall>;

export const LinkRule = z.enum(['node', 'workload', 'group']);
export type LinkRule = z.infer<typeof LinkRule>;

export const RelatedTo = z
  .object({
    name: objectName,
    namespace: objectName,
    rule: LinkRule,
    reason: text(LIMITS.linkReason),
    linkedAt: dateTime,
  })
  .describe(
    "The primary incident this one shares its cause with; set while linked (phase Linked, then Reported with a report that points to the primary's). Annotate alertagent.io/unlink=true to break the link.",
  );
export type RelatedTo = z.infer<typeof RelatedTo>;

/** On a primary: an incident that was linked to it and ended with a pointer to its report. */
export const RelatedIncident = z.object({
  name: objectName,
  namespace: objectName,
  alertname: text(1024).optional(),
  rule: LinkRule.optional(),
  linkedAt: dateTime.optional(),
});
export type RelatedIncident = z.infer<typeof RelatedIncident>;

// The lists several writers share are map lists, keyed as each writer finds its own entry: server-side
// apply then merges them entry by entry, and the API server refuses two entries with the same key.
export const IncidentStatus = z
  .object({
    phase: Phase.optional().describe(
      'Pending, Analyzing, Executing, Verifying (an action ran: its effect is checked within VERIFY_TIMEOUT), AwaitingApproval, Linked (waits for the report of the incident in relatedTo), Reported, Failed.',
    ),
    outcome: Outcome.optional(),
    summary: text(LIMITS.summary).optional(),
    rootCause: text(LIMITS.rootCause).optional(),
    failureReason: text(LIMITS.failureReason).optional(),
    investigator: text(LIMITS.investigator).optional().describe('What drove the investigation (llm or rules).'),
    report: text(LIMITS.report).optional().describe('The final report in Markdown.'),
    startedAt: dateTime.optional(),
    completedAt: dateTime.optional(),
    observedGeneration: crd(z.number().int(), { format: 'int64' }).optional(),
    lastHandledReconcileAt: text(256).optional(),
    attempts: counter.optional().describe('Failed attempts of the current step in a row (LLM or API unavailable); reset by a step that succeeds.'),
    lastError: text(LIMITS.lastError).optional(),
    nextAttemptAt: dateTime.optional().describe('After a failed attempt, when the next one is due (the backoff survives restarts and watch events).'),
    usage: Usage.optional(),
    steps: z.array(Step).max(LIMITS.steps).optional(),
    conditions: listMap(z.array(Condition), 'type').optional(),
    notifications: listMap(z.array(NotificationRecord).max(LIMITS.notifications), 'sink', 'event')
      .optional()
      .describe(
        "What the notification sinks were sent for this incident: one entry per sink and event (a phase such as Reported, AwaitingApproval/<step>, or Resolved when the alert resolves). Written by the operator's delivery queue after the send; an event recorded Sent is never sent again.",
      ),
    recall: Recall.optional(),
    feedback: IncidentFeedback.optional(),
    clusterProblem: z
      .object({
        reason: z.enum(['UnknownCluster', 'ClusterUnreachable']),
        message: text(1024),
      })
      .optional()
      .describe(
        "Why the incident's cluster cannot be investigated: no credentials for it (UnknownCluster; the incident ends) or its API server did not answer (ClusterUnreachable; the incident waits and retries). Shown as the conditions ClusterKnown and ClusterReachable.",
      ),
    tickets: listMap(z.array(TicketRecord).max(LIMITS.tickets), 'tracker')
      .optional()
      .describe("The ticket each configured tracker holds for this alert (Jira, GitHub, GitLab), for incidents that need people. Written by the operator's ticket queue."),
    gitChanges: listMap(z.array(GitChangeRecord).max(LIMITS.gitChanges), 'step')
      .optional()
      .describe("The pull/merge requests opened for changes proposed in Git, and whether each was merged and synced. Written by the operator's GitOps queue."),
    relatedTo: RelatedTo.optional(),
    related: listMap(z.array(RelatedIncident).max(LIMITS.related), 'namespace', 'name')
      .optional()
      .describe('On a primary, the incidents linked to it that ended with a pointer to its report.'),
  })
  .describe('The investigation, written by the operator through the status subresource.');
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const IncidentMeta = z
  .object({
    name: z.string(),
    namespace: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().int().optional(),
    creationTimestamp: z.string().optional(),
    labels: z.record(z.string()).optional(),
    annotations: z.record(z.string()).optional(),
  })
  .passthrough();

export const AlertIncident = z
  .object({
    apiVersion: z.string().default(API_VERSION),
    kind: z.string().default(KIND),
    metadata: IncidentMeta,
    spec: IncidentSpec,
    status: IncidentStatus.optional(),
  })
  .describe('An AlertManager alert and the record of its investigation.');
export type AlertIncident = z.infer<typeof AlertIncident>;

/** Annotations a person (or kubectl) sets on an incident to steer it. */
export const ANNOTATIONS = {
  approve: `${GROUP}/approve`,
  reject: `${GROUP}/reject`,
  requestedAt: `${GROUP}/reconcile-requested-at`,
  /** `true`: break this incident's link to its primary; it investigates on its own. */
  unlink: `${GROUP}/unlink`,
  /** Who approved or rejected (the admission policy pins them to the requester's user name). */
  approvedBy: `${GROUP}/approved-by`,
  rejectedBy: `${GROUP}/rejected-by`,
  /** Learning from people (src/incident/feedback.ts): why a change was rejected, a verdict on the report and who gave it, the actual cause, a fix made by hand. */
  rejectReason: `${GROUP}/reject-reason`,
  feedback: `${GROUP}/feedback`,
  feedbackBy: `${GROUP}/feedback-by`,
  actualCause: `${GROUP}/actual-cause`,
  fixedBy: `${GROUP}/fixed-by`,
} as const;

/** Set with the finished label: when the incident finished, for retention to read from metadata alone. */
export const COMPLETED_AT_ANNOTATION = `${GROUP}/completed-at`;

/** Labels the operator sets so incidents can be selected without reading their bodies. */
export const LABELS = {
  alertname: `${GROUP}/alertname`,
  finished: `${GROUP}/finished`,
  /** Correlation keys, written by the engine's first step (hashes: label values are short). */
  node: `${GROUP}/node`,
  workload: `${GROUP}/workload`,
  group: `${GROUP}/group`,
  /** `true` on an incident about a node (a primary for the pods on it). */
  nodeIncident: `${GROUP}/node-incident`,
  /** The primary's name, on a linked incident. */
  relatedTo: `${GROUP}/related-to`,
} as const;

export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set(['Reported', 'Failed']);
export function isFinished(inc: Pick<AlertIncident, 'status'>): boolean {
  const phase = inc.status?.phase;
  return phase !== undefined && TERMINAL_PHASES.has(phase);
}

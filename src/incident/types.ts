// The AlertIncident resource as TypeScript sees it. Every type is inferred from these schemas, which
// mirror crds/alertagent.io_alertincidents.yaml (the API server validates against the CRD; these
// schemas validate what we read back before we act on it).
import { z } from 'zod';

export const GROUP = 'alertagent.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'alertincidents';
export const KIND = 'AlertIncident';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const PHASES = ['Pending', 'Analyzing', 'Executing', 'AwaitingApproval', 'Linked', 'Reported', 'Failed'] as const;
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

export const Outcome = z.enum(['Resolved', 'NeedsManualIntervention']);
export type Outcome = z.infer<typeof Outcome>;

export const IncidentSpec = z.object({
  alertname: z.string(),
  severity: z.string().optional(),
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string()).default({}),
  annotations: z.record(z.string()).default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  externalURL: z.string().optional(),
  notifications: z
    .object({
      count: z.number().int().nonnegative(),
      firstReceivedAt: z.string().optional(),
      lastReceivedAt: z.string().optional(),
    })
    .optional(),
});
export type IncidentSpec = z.infer<typeof IncidentSpec>;

export const StepAction = z.enum(['callTool', 'resolve', 'escalate', 'invalid', 'note']);
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
  reason: z.string().optional(),
  decidedBy: z.string().optional(),
});
export type PolicyVerdict = z.infer<typeof PolicyVerdict>;

export const ToolResult = z.object({
  ok: z.boolean(),
  output: z.string().optional(),
  /** The tool's structured result (MCP structuredContent) as JSON, when it returned one and it fit. */
  data: z.string().optional(),
  truncated: z.boolean().optional(),
  originalBytes: z.number().int().optional(),
  error: z.string().optional(),
  durationMs: z.number().int().optional(),
  finishedAt: z.string().optional(),
});
export type ToolResult = z.infer<typeof ToolResult>;

export const Step = z.object({
  index: z.number().int().positive(),
  time: z.string(),
  action: StepAction,
  server: z.string().optional(),
  tool: z.string().optional(),
  toolCallId: z.string().optional(),
  arguments: z.string().optional(),
  reasoning: z.string().optional(),
  mutating: z.boolean().optional(),
  /** Who took a step that the incident's investigator did not (see StepOrigin). */
  origin: z.enum(['evidence', 'fallback']).optional(),
  state: StepState.optional(),
  policy: PolicyVerdict.optional(),
  result: ToolResult.optional(),
});
export type Step = z.infer<typeof Step>;

export const Condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string().optional(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const Usage = z.object({
  llmCalls: z.number().int().default(0),
  promptTokens: z.number().int().default(0),
  completionTokens: z.number().int().default(0),
});
export type Usage = z.infer<typeof Usage>;

/** One sink's record for one event of an incident (status.notifications; written by src/notify only). */
export const NotificationRecord = z.object({
  sink: z.string(),
  type: z.string().optional(),
  event: z.string(),
  state: z.enum(['Sent', 'Retrying', 'Failed', 'Suppressed']),
  time: z.string(),
  attempts: z.number().int().optional(),
  error: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  messageId: z.string().optional(),
  count: z.number().int().optional(),
});
export type NotificationRecord = z.infer<typeof NotificationRecord>;

/** One earlier incident of the same alert on the same object (status.recall; from the history ConfigMap). */
export const PastOccurrence = z.object({
  incident: z.string(),
  namespace: z.string().optional(),
  time: z.string(),
  outcome: z.string().optional(),
  summary: z.string().optional(),
  rootCause: z.string().optional(),
  actions: z.array(z.string()).optional(),
});
export type PastOccurrence = z.infer<typeof PastOccurrence>;

/** What the operator remembered of this alert on this object when the incident started. */
export const Recall = z.object({
  /** The normalised identity: `alertname|namespace|kind/name`. */
  identity: z.string(),
  object: z.string().optional(),
  /** Earlier incidents recorded for this identity (this one not counted). */
  count: z.number().int(),
  firstSeen: z.string().optional(),
  /** The newest earlier ones, newest first. */
  occurrences: z.array(PastOccurrence).optional(),
});
export type Recall = z.infer<typeof Recall>;

export const LinkRule = z.enum(['node', 'workload', 'group']);
export type LinkRule = z.infer<typeof LinkRule>;

/** The primary incident this one shares its cause with, while linked. */
export const RelatedTo = z.object({
  name: z.string(),
  namespace: z.string(),
  rule: LinkRule,
  reason: z.string(),
  linkedAt: z.string(),
});
export type RelatedTo = z.infer<typeof RelatedTo>;

/** On a primary: an incident that was linked to it and ended with a pointer to its report. */
export const RelatedIncident = z.object({
  name: z.string(),
  namespace: z.string(),
  alertname: z.string().optional(),
  rule: LinkRule.optional(),
  linkedAt: z.string().optional(),
});
export type RelatedIncident = z.infer<typeof RelatedIncident>;

export const IncidentStatus = z.object({
  phase: Phase.optional(),
  outcome: Outcome.optional(),
  summary: z.string().optional(),
  rootCause: z.string().optional(),
  failureReason: z.string().optional(),
  investigator: z.string().optional(),
  report: z.string().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  observedGeneration: z.number().int().optional(),
  lastHandledReconcileAt: z.string().optional(),
  attempts: z.number().int().optional(),
  lastError: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  usage: Usage.optional(),
  steps: z.array(Step).optional(),
  conditions: z.array(Condition).optional(),
  notifications: z.array(NotificationRecord).optional(),
  recall: Recall.optional(),
  relatedTo: RelatedTo.optional(),
  related: z.array(RelatedIncident).optional(),
});
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

export const AlertIncident = z.object({
  apiVersion: z.string().default(API_VERSION),
  kind: z.string().default(KIND),
  metadata: IncidentMeta,
  spec: IncidentSpec,
  status: IncidentStatus.optional(),
});
export type AlertIncident = z.infer<typeof AlertIncident>;

/** Annotations a person (or kubectl) sets on an incident to steer it. */
export const ANNOTATIONS = {
  approve: `${GROUP}/approve`,
  reject: `${GROUP}/reject`,
  requestedAt: `${GROUP}/reconcile-requested-at`,
  /** `true`: break this incident's link to its primary; it investigates on its own. */
  unlink: `${GROUP}/unlink`,
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

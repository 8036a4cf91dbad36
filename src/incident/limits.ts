// The bounds on status strings and lists that the operator clips to, written once: the zod schemas in
// types.ts read them, and the CRD (crds/alertagent.io_alertincidents.yaml) is made from those schemas
// (`npm run crd`), so the API server's bound and ours are the same number. Everything the model or a
// tool chooses is clipped to them before a status write, so the API server never answers 422 to a step:
// a rejected write would be retried forever and pay the LLM each time. (types.ts imports this module;
// this one imports only types from it, so there is no cycle at run time.)
import type { IncidentStatus, Step } from './types.js';
import { clip as clipText } from '../util/text.js';

export const LIMITS = {
  summary: 1024,
  rootCause: 4096,
  failureReason: 4096,
  investigator: 64,
  report: 65536,
  lastError: 4096,
  steps: 200,
  stepServer: 256,
  stepTool: 256,
  stepToolCallId: 256,
  /** Arguments are never cut (a cut is not JSON): a larger call is refused before it is recorded. */
  stepArguments: 16000,
  stepReasoning: 8192,
  policyReason: 2048,
  policyDecidedBy: 512,
  dryRunDiff: 2048,
  dryRunNote: 1024,
  /** A change proposed in Git, as JSON: dropped (not cut) beyond this, since a cut one cannot be applied. */
  gitChange: 4096,
  resultOutput: 65536,
  /** JSON is never cut: a larger one is dropped. */
  resultData: 65536,
  resultError: 4096,
  conditionMessage: 32768,
  notifications: 64,
  notificationSink: 128,
  notificationEvent: 128,
  notificationError: 1024,
  notificationMessageId: 512,
  recallIdentity: 1024,
  recallOccurrences: 10,
  recallText: 1024,
  recallActions: 5,
  recallAction: 512,
  feedbackText: 1024,
  feedbackBy: 256,
  feedbackSignature: 128,
  feedbackArguments: 1024,
  linkReason: 1024,
  related: 100,
  tickets: 16,
  gitChanges: 8,
  gitRepository: 512,
  ticketTracker: 64,
  ticketKey: 256,
  ticketURL: 2048,
  ticketError: 1024,
} as const;

const MARK = '…[cut]';

/** At most `max` characters (UTF-16 units, so never more code points than the CRD allows), marked when cut. */
export function clip(s: string, max: number): string;
export function clip(s: string | undefined, max: number): string | undefined;
export function clip(s: string | undefined, max: number): string | undefined {
  return clipText(s, max, MARK);
}

function clipStep(st: Step): Step {
  const out: Step = { ...st, server: clip(st.server, LIMITS.stepServer), tool: clip(st.tool, LIMITS.stepTool), toolCallId: clip(st.toolCallId, LIMITS.stepToolCallId), reasoning: clip(st.reasoning, LIMITS.stepReasoning) };
  // Arguments of a call are never cut; any other step's arguments are only shown.
  if (st.action !== 'callTool') out.arguments = clip(st.arguments, LIMITS.stepArguments);
  if (st.policy) out.policy = { ...st.policy, reason: clip(st.policy.reason, LIMITS.policyReason), decidedBy: clip(st.policy.decidedBy, LIMITS.policyDecidedBy) };
  if (st.dryRun) out.dryRun = dropUndefined({ ...st.dryRun, diff: clip(st.dryRun.diff, LIMITS.dryRunDiff), note: clip(st.dryRun.note, LIMITS.dryRunNote), gitops: clip(st.dryRun.gitops, LIMITS.dryRunNote), gitChange: st.dryRun.gitChange && st.dryRun.gitChange.length <= LIMITS.gitChange ? st.dryRun.gitChange : undefined });
  if (st.result) {
    const data = st.result.data !== undefined && st.result.data.length <= LIMITS.resultData ? st.result.data : undefined;
    out.result = dropUndefined({ ...st.result, output: clip(st.result.output, LIMITS.resultOutput), data, error: clip(st.result.error, LIMITS.resultError) });
  }
  return dropUndefined(out);
}

/** The status with every free-text field within the CRD's bounds. */
export function clipStatus(s: IncidentStatus): IncidentStatus {
  const out: IncidentStatus = {
    ...s,
    summary: clip(s.summary, LIMITS.summary),
    rootCause: clip(s.rootCause, LIMITS.rootCause),
    failureReason: clip(s.failureReason, LIMITS.failureReason),
    investigator: clip(s.investigator, LIMITS.investigator),
    report: clip(s.report, LIMITS.report),
    lastError: clip(s.lastError, LIMITS.lastError),
  };
  if (s.steps) {
    // The step budget keeps a normal investigation far below the list bound; past it, the first step
    // (where it started) and the latest ones are kept.
    const steps = s.steps.length > LIMITS.steps ? [s.steps[0], ...s.steps.slice(-(LIMITS.steps - 1))] : s.steps;
    out.steps = steps.map(clipStep);
  }
  if (s.recall) {
    const r = s.recall;
    out.recall = dropUndefined({
      ...r,
      identity: clip(r.identity, LIMITS.recallIdentity),
      object: clip(r.object, LIMITS.recallIdentity),
      occurrences: r.occurrences?.slice(0, LIMITS.recallOccurrences).map((o) =>
        dropUndefined({ ...o, summary: clip(o.summary, LIMITS.recallText), rootCause: clip(o.rootCause, LIMITS.recallText), actions: o.actions?.slice(0, LIMITS.recallActions).map((a) => clip(a, LIMITS.recallAction)) }),
      ),
    });
  }
  if (s.relatedTo) out.relatedTo = { ...s.relatedTo, reason: clip(s.relatedTo.reason, LIMITS.linkReason) };
  // The first links are kept: the list says which alerts shared the cause, not every repeat of them.
  if (s.related) out.related = s.related.slice(0, LIMITS.related);
  if (s.conditions) out.conditions = s.conditions.map((c) => dropUndefined({ ...c, message: clip(c.message, LIMITS.conditionMessage) }));
  return dropUndefined(out);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

// Learning from people: what a person says about an incident, read from its annotations (the only part of
// an incident people may write; deploy/admission-policy.yaml lists them and pins feedback-by to the
// requester), and the two signatures that decide whether an earlier decision applies to a new incident:
// the same call (tool and arguments) on the same evidence (the analyzer's rule and root cause). Pure.
import { createHash } from 'node:crypto';
import { LIMITS, clip } from './limits.js';
import { ANNOTATIONS, isFinished, type AlertIncident, type IncidentFeedback, type PeopleFeedback } from './types.js';

const VERDICTS = new Set(['correct', 'wrong']);

/** What the annotations say (clipped to the status bounds; an unknown verdict is no verdict), or undefined when they say nothing. */
export function feedbackOf(inc: Pick<AlertIncident, 'metadata'>): PeopleFeedback | undefined {
  const ann = inc.metadata.annotations ?? {};
  const text = (k: string, max: number) => {
    const v = ann[k]?.trim();
    return v ? clip(v, max) : undefined;
  };
  const verdict = ann[ANNOTATIONS.feedback]?.trim().toLowerCase();
  const out: PeopleFeedback = {
    verdict: verdict && VERDICTS.has(verdict) ? (verdict as PeopleFeedback['verdict']) : undefined,
    by: verdict && VERDICTS.has(verdict) ? text(ANNOTATIONS.feedbackBy, LIMITS.feedbackBy) : undefined,
    actualCause: text(ANNOTATIONS.actualCause, LIMITS.feedbackText),
    fixedBy: text(ANNOTATIONS.fixedBy, LIMITS.feedbackText),
    rejectReason: text(ANNOTATIONS.rejectReason, LIMITS.feedbackText),
  };
  for (const k of Object.keys(out) as Array<keyof PeopleFeedback>) if (out[k] === undefined) delete out[k];
  return Object.keys(out).length ? out : undefined;
}

/** Whether two records say the same (when they were recorded aside). */
export function sameFeedback(a: PeopleFeedback | undefined, b: PeopleFeedback | undefined): boolean {
  const keys: Array<keyof PeopleFeedback> = ['verdict', 'by', 'actualCause', 'fixedBy', 'rejectReason'];
  return keys.every((k) => (a?.[k] ?? undefined) === (b?.[k] ?? undefined));
}

/**
 * A finished incident whose people's annotations differ from what the controller last recorded in
 * status.feedback: the controller records them (into the history and the status) once per change.
 */
export function feedbackPending(inc: AlertIncident): boolean {
  if (!isFinished(inc)) return false;
  const said = feedbackOf(inc);
  const recorded = inc.status?.feedback;
  if (!said && !recorded) return false;
  return !sameFeedback(said, recorded);
}

/** status.feedback for what the annotations say now. */
export function feedbackStatus(said: PeopleFeedback | undefined, now: string, inHistory: boolean): IncidentFeedback {
  return { ...(said ?? {}), recordedAt: now, inHistory };
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Keys sorted at every depth: the same arguments in another order are the same call. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** A call as decisions are compared: the tool without its server's prefix, and its arguments in canonical form. */
export function callSignature(tool: string, args: Record<string, unknown> | string | undefined): string {
  let parsed: unknown = args ?? {};
  if (typeof args === 'string') {
    try {
      parsed = JSON.parse(args);
    } catch {
      parsed = args;
    }
  }
  const bare = tool.includes('__') ? tool.slice(tool.lastIndexOf('__') + 2) : tool;
  return `${bare}:${hash(JSON.stringify(canonical(parsed)))}`;
}

/**
 * The evidence a decision was made on, as the analyzer read it: its rule and root cause, with what differs
 * between two incidents of the same cause taken out (pod names' generated suffixes, times, ages, counts of
 * restarts), so that a new pod of the same Deployment failing the same way reads as the same evidence and
 * a different cause (another exit code, another limit, another image) does not.
 */
export function evidenceSignature(rule: string, rootCause: string): string {
  const normal = rootCause
    .toLowerCase()
    .replace(/\d{4}-\d\d-\d\dt[\d:.]+z?/g, 'T')
    .replace(/\b([a-z0-9]+(?:-[a-z0-9]+)*?)-[a-f0-9]{6,10}-[a-z0-9]{5}\b/g, '$1')
    .replace(/\b([a-z0-9]+(?:-[a-z0-9]+)*?)-[a-z0-9]{5}\b(?=[^a-z0-9-]|$)/g, (m, base: string) => (/\d/.test(m.slice(base.length)) ? base : m))
    .replace(/\b\d+ (times|restarts?|minutes?|seconds?|hours?|days?)\b/g, 'N $1')
    .replace(/\b\d+(\.\d+)?(s|m|h|d) ago\b/g, 'ago')
    .replace(/\s+/g, ' ')
    .trim();
  return `${rule}:${hash(normal)}`;
}

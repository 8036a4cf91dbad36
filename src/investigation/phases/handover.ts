// When the investigator cannot go on. A transient failure is retried with backoff; past its attempts, or
// when the LLM refuses, gives unusable replies or spends its budget, the rule-based analyzer takes over
// and finishes from the evidence so far. Only without an analyzer (or when it is the one that failed)
// does the incident end Failed.
import type { TransientError } from '../../contracts/errors.js';
import type { AlertIncident } from '../../incident/types.js';
import { composeReport, fallbackNarrative } from '../report.js';
import { oneLine, type Advance, type PhaseContext } from './phase.js';

/**
 * The LLM cannot go on: the analyzer finishes the investigation from the evidence so far and writes the
 * report, which says so. Only without an analyzer (or when it is the one that failed) does it end Failed.
 */
export function handOver(cx: PhaseContext, inc: AlertIncident, reason: string, message: string): Advance {
  const status = cx.base(inc);
  const { fallback } = cx.deps;
  if (!fallback || cx.investigatorOf(status) === fallback) return fail(cx, inc, reason, message);
  const steps = status.steps ?? [];
  const note = cx.step(steps, {
    action: 'note',
    state: 'Done',
    origin: 'fallback',
    reasoning: `The LLM could not go on (${reason}: ${message}); the rule-based analyzer finished the investigation.`,
  });
  return {
    kind: 'write',
    status: { ...status, investigator: fallback.kind, steps: [...steps, note], attempts: undefined, lastError: undefined, nextAttemptAt: undefined },
    events: [{ type: 'Warning', reason: 'LLMFallback', message: `${reason}: ${message}; the rule-based analyzer takes over` }],
  };
}

export function fail(cx: PhaseContext, inc: AlertIncident, reason: string, message: string): Advance {
  const status = cx.base(inc);
  const now = cx.iso();
  const steps = status.steps ?? [];
  const failureReason = `${reason}: ${message}`.slice(0, 4000);
  return {
    kind: 'write',
    status: {
      ...status,
      phase: 'Failed',
      failureReason,
      summary: oneLine(`Investigation failed: ${message}`),
      completedAt: now,
      report: composeReport(inc, steps, fallbackNarrative(status.summary, status.rootCause, steps, `The investigation stopped: ${message}`), 'Failed', failureReason, now),
      attempts: undefined,
      nextAttemptAt: undefined,
    },
    events: [{ type: 'Warning', reason, message }],
  };
}

/** A transient failure: try again after a growing backoff, or hand over once the attempts are spent. */
export function retryLater(cx: PhaseContext, inc: AlertIncident, err: TransientError): Advance {
  const status = cx.base(inc);
  const attempts = (status.attempts ?? 0) + 1;
  if (attempts >= cx.deps.limits.maxAttempts) return handOver(cx, inc, 'LLMUnavailable', `${err.message} (gave up after ${attempts} attempts)`);
  const backoff = Math.max(err.retryAfterMs ?? 0, Math.min(300_000, 2_000 * 2 ** (attempts - 1)));
  return {
    kind: 'write',
    status: { ...status, attempts, lastError: err.message.slice(0, 2000), nextAttemptAt: new Date(cx.now().getTime() + backoff).toISOString() },
    requeueAfterMs: backoff,
    events: [{ type: 'Warning', reason: 'Retrying', message: `${err.message} (attempt ${attempts} of ${cx.deps.limits.maxAttempts}, next in ${Math.round(backoff / 1000)}s)` }],
  };
}

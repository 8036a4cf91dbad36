// The investigation loop, one step at a time. Given an incident as stored, `advance` works out the next
// step from its status alone and returns the status to persist (the reconciler writes it). Nothing
// lives in memory between steps, so a restarted operator continues exactly where the last one stopped.
//   Pending → Analyzing ⇄ Executing → Reported     (or Linked, AwaitingApproval, or Failed)
//                           Executing → Verifying → Reported   (an action that can be checked)
// A read-only tool call is decided and run in one step (Analyzing → Analyzing); a mutating one goes
// through Executing, its intent saved before it runs (and, before it is shown or run, a dry run), and,
// once it succeeded, through Verifying, which checks that it worked.
//
// This file is the dispatcher: each phase is one module of ./phases/, read top to bottom, behind the
// table below. A new phase is a module and a row.
import { PermanentLlmError, TransientError } from '../contracts/errors.js';
import type { AlertIncident, Phase } from '../incident/types.js';
import { analyze } from './phases/analyze.js';
import { checkApproval } from './phases/approve.js';
import { execute } from './phases/execute.js';
import { learn } from './phases/feedback.js';
import { handOver, retryLater } from './phases/handover.js';
import { waitForPrimary } from './phases/link.js';
import { phaseContext, type Advance, type EngineDeps, type PhaseContext, type PhaseHandler } from './phases/phase.js';
import { checkTenancy, start } from './phases/start.js';
import { verify } from './phases/verify.js';

export type { Advance, EngineDeps, IncidentEvent, Limits, Write } from './phases/phase.js';

interface PhaseEntry {
  run: PhaseHandler;
  /** A failed attempt's backoff (status.nextAttemptAt) holds this phase: no watch event cuts it short. */
  backoff?: boolean;
}

/** What the engine does in each phase. A phase without a row (Reported, Failed) is finished: nothing to do. */
const PHASES: Partial<Record<Phase, PhaseEntry>> = {
  Pending: { run: start },
  Linked: { run: waitForPrimary },
  Analyzing: { run: analyze, backoff: true },
  Executing: { run: execute, backoff: true },
  Verifying: { run: verify, backoff: true },
  AwaitingApproval: { run: checkApproval },
};

export class InvestigationEngine {
  private readonly cx: PhaseContext;

  constructor(deps: EngineDeps) {
    this.cx = phaseContext(deps);
  }

  async advance(inc: AlertIncident): Promise<Advance> {
    const phase = inc.status?.phase ?? 'Pending';
    const entry = PHASES[phase];
    // A failed attempt set when the next one is due: our own status write (and any other watch event)
    // must not cut the backoff short.
    const due = Date.parse(inc.status?.nextAttemptAt ?? '') - this.cx.now().getTime();
    if (due > 0 && entry?.backoff) return { kind: 'noop', requeueAfterMs: due };
    const mismatch = checkTenancy(this.cx, inc, phase);
    if (mismatch) return mismatch;
    if (!entry) return { kind: 'noop' };
    try {
      return await entry.run(this.cx, inc);
    } catch (err) {
      if (err instanceof TransientError) return retryLater(this.cx, inc, err);
      if (err instanceof PermanentLlmError) return handOver(this.cx, inc, 'LLMRequestRefused', err.message);
      throw err;
    }
  }

  /** A finished incident: what people said of it since it was last recorded goes into the history and status.feedback (./phases/feedback.ts). */
  learn(inc: AlertIncident): Promise<Advance> {
    return learn(this.cx, inc);
  }
}

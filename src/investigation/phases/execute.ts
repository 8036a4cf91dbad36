// Running a planned call (Executing). A read-only call just runs. A mutating one is crash-safe: its
// intent (state Running) is saved before it runs, a Running one found after a restart is reported as of
// unknown outcome rather than run twice, and only the replica holding the leader lease acts.
import { recordedArguments, toolName } from '../../contracts/steps.js';
import type { AlertIncident, IncidentStatus, Step } from '../../incident/types.js';
import { boundOutput } from '../report.js';
import type { Advance, IncidentEvent, PhaseContext, Write } from './phase.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, startVerification, verificationStep, verifyPollMs } from './verify.js';

/** The Executing phase. */
export async function execute(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  const status = cx.base(inc);
  const steps = status.steps ?? [];
  const last = steps.at(-1);
  if (!last || last.action !== 'callTool' || (last.state !== 'Planned' && last.state !== 'Running')) {
    return { kind: 'write', status: { ...status, phase: 'Analyzing' }, events: [] };
  }
  if (last.state === 'Running' && last.mutating) {
    // Our intent is on record but not the result: the operator stopped while the action ran. Running it
    // again could double it, so say that the outcome is unknown and let the investigator look.
    const unknown: Step = { ...last, state: 'Unknown', result: { ok: false, error: 'the operator restarted while this action ran: its outcome is unknown; check the cluster before acting again', finishedAt: cx.iso() } };
    return {
      kind: 'write',
      status: { ...status, phase: 'Analyzing', steps: [...steps.slice(0, -1), unknown] },
      events: [{ type: 'Warning', reason: 'ActionOutcomeUnknown', message: `step ${last.index}: ${toolName(last.server, last.tool)} may or may not have run (operator restarted)` }],
    };
  }
  if (!last.mutating) return { kind: 'write', ...(await run(cx, inc, status, last)) };
  // Not the leader any more: leave the action to the replica that is.
  if (cx.deps.canAct && !cx.deps.canAct()) return { kind: 'noop' };
  const running: Step = { ...last, state: 'Running' };
  const intent: IncidentStatus = { ...status, steps: [...steps.slice(0, -1), running] };
  return {
    kind: 'write',
    status: intent,
    events: [{ type: 'Normal', reason: 'ActionStarted', message: `step ${last.index}: running ${toolName(last.server, last.tool)} ${(last.arguments ?? '').slice(0, 300)}` }],
    afterWrite: async () => {
      // The lease may have been lost while the intent was written: then the action is handed back as
      // still planned (a conflict-safe write), for the new leader to run once, and not run here.
      if (cx.deps.canAct && !cx.deps.canAct()) {
        return {
          status: { ...intent, steps: [...steps.slice(0, -1), last] },
          events: [{ type: 'Warning', reason: 'LeadershipLost', message: `step ${last.index}: not run by this replica, which lost the leader lease; the new leader runs it` }],
        };
      }
      return run(cx, inc, intent, running);
    },
  };
}

/**
 * Runs the last step of `base` and records its result in place of it. An action that succeeded and can be
 * verified starts its verification in the same write (./verify.ts): a restart after it resumes the
 * verification and never runs the action again.
 */
async function run(cx: PhaseContext, inc: AlertIncident, base: IncidentStatus, step: Step): Promise<Write> {
  const result = await runTool(cx, step, `${inc.metadata.namespace}/${inc.metadata.name} step ${step.index}`);
  const done: Step = { ...step, state: result.ok ? 'Succeeded' : 'Failed', result };
  const events: IncidentEvent[] = step.mutating
    ? [{ type: result.ok ? 'Normal' : 'Warning', reason: result.ok ? 'ActionSucceeded' : 'ActionFailed', message: `step ${step.index}: ${toolName(step.server, step.tool)} ${result.ok ? 'succeeded' : `failed: ${result.error}`}` }]
    : [];
  const steps = [...(base.steps ?? []).slice(0, -1), done];
  const w: Write = { status: { ...base, phase: 'Analyzing', steps }, events };
  const verify = verificationStep(cx, inc, steps, done);
  return verify ? startVerification(w, verify, verifyPollMs(cx.deps.limits.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS)) : w;
}

/** Calls the tool with exactly the recorded arguments and bounds what it returns to the step's budget. */
/** `by`: the incident and step, told to the tool (a GitOps manager it suspends is annotated with it: suspend.ts). */
async function runTool(cx: PhaseContext, step: Step, by: string): Promise<NonNullable<Step['result']>> {
  const args = recordedArguments(step);
  if (!args) {
    return { ok: false, error: 'the recorded arguments are not a JSON object, so the call was not run', durationMs: 0, finishedAt: cx.iso() };
  }
  const r = await cx.deps.tools.call(step.server ?? '', step.tool ?? '', args, { timeoutMs: cx.deps.limits.toolTimeoutMs, ...(step.mutating ? { step: by } : {}) });
  // One budget per step for the text and the data: the data (the tool's structuredContent, for the
  // analyzer) is kept whole when it takes at most 60% of the budget, and the text gets the rest.
  const max = cx.deps.limits.toolOutputMaxBytes;
  const json = r.ok && r.structured ? JSON.stringify(r.structured) : undefined;
  const data = json !== undefined && Buffer.byteLength(json) <= Math.floor(max * 0.6) ? json : undefined;
  const bounded = boundOutput(r.output, max - (data ? Buffer.byteLength(data) : 0));
  return {
    ok: r.ok,
    output: bounded.output,
    ...(data ? { data } : {}),
    ...(bounded.truncated ? { truncated: true, originalBytes: bounded.originalBytes } : {}),
    ...(r.error ? { error: r.error.slice(0, 2000) } : {}),
    durationMs: r.durationMs,
    finishedAt: cx.iso(),
  };
}

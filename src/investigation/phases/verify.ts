// Closed-loop remediation (issue 22): an action that ran is checked, not taken on trust. When a mutating call
// succeeds and the tool layer can tell what it should bring about (the Verifier: a rollout complete, new
// pods Ready and not restarting, the alert's pod gone or healthy, a node cordoned), the same write that
// records its result starts a `verify` step (state Running; its time is when the verification started, its
// arguments what is checked) and the phase becomes Verifying. Each reconcile then reads the cluster once
// and comes back after a poll interval (requeueAfter: no worker waits); nothing is written until the
// verdict changes. The check must hold for a short settling time (a pod can be Ready for a moment between
// two crashes); the first passing check is kept in the step, so a restart keeps it too.
//   passed → the incident is reported Resolved, the report saying what was verified;
//   not passed within VERIFY_TIMEOUT → NeedsManualIntervention, with what was tried, what the cluster
//     shows now (the last check's lines) and how to undo the action.
// Everything is in the status: a restarted operator resumes the verification from the step's start time,
// and never runs the action again (its step is Succeeded, not Planned).
import { TransientError } from '../../contracts/errors.js';
import { recordedArguments, stepArguments, toolName } from '../../contracts/steps.js';
import type { AlertIncident, IncidentStatus, Step } from '../../incident/types.js';
import { undoOf } from '../report.js';
import type { Advance, IncidentEvent, PhaseContext, Write } from './phase.js';
import { report } from './report.js';

export const DEFAULT_VERIFY_TIMEOUT_MS = 5 * 60_000;

/** How often a verification reads the cluster: a 60th of its bound, within 1 … 5 s. */
export const verifyPollMs = (timeoutMs: number) => Math.min(5_000, Math.max(1_000, Math.round(timeoutMs / 60)));
/** How long a passing check must keep passing: a 20th of the bound, at most 15 s. */
export const verifySettleMs = (timeoutMs: number) => Math.min(15_000, Math.round(timeoutMs / 20));

/** What a verify step records in its arguments. */
interface Plan {
  /** The index of the step it verifies. */
  step: number;
  what: string;
  target: Record<string, unknown>;
  timeoutMs: number;
  /** When the check first passed (and has held since); absent while it does not pass. */
  passedAt?: string;
}

function timeoutOf(cx: PhaseContext): number {
  return cx.deps.limits.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
}

export function duration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${Math.round(ms / 1000)}s`;
}

/**
 * After `done` (a mutating call that just succeeded, the last of `steps`): the verify step to append, when
 * the action can be verified; undefined otherwise (the investigation goes on as before).
 */
export function verificationStep(cx: PhaseContext, inc: AlertIncident, steps: Step[], done: Step): Step | undefined {
  const timeoutMs = timeoutOf(cx);
  const verifier = cx.deps.verifier;
  if (!verifier || timeoutMs <= 0 || done.state !== 'Succeeded' || !done.mutating || !done.server || !done.tool) return undefined;
  let data: Record<string, unknown> | undefined;
  try {
    data = done.result?.data ? (JSON.parse(done.result.data) as Record<string, unknown>) : undefined;
  } catch {
    data = undefined;
  }
  const plan = verifier.plan({ server: done.server, tool: done.tool, arguments: { ...(recordedArguments(done) ?? {}) }, data, alertLabels: inc.spec.labels });
  if (!plan) return undefined;
  const label = toolName(done.server, done.tool);
  const recorded: Plan = { step: done.index, what: plan.what, target: plan.target, timeoutMs };
  // No server or tool of its own: it is the operator's check, not a call (readers that count a tool's calls must not count it).
  return cx.step(steps, {
    action: 'verify',
    state: 'Running',
    // What must hold, as one clause: the report's outcome line quotes it ("… and step 4 verified it: <this>").
    reasoning: `${plan.what}, within ${duration(timeoutMs)} of step ${done.index} (${label})`,
    arguments: JSON.stringify(recorded),
  });
}

/** `kubernetes__rollout_restart`: the tool of the step a verification checks. */
function actionLabel(steps: Step[], index: unknown): string {
  const a = steps.find((s) => s.index === index);
  return a ? toolName(a.server, a.tool) : 'the action';
}

/** The write of a finished action, with its verification started (phase Verifying). */
export function startVerification(w: Write, verify: Step, pollMs: number): Write {
  const steps = [...(w.status.steps ?? []), verify];
  return {
    ...w,
    status: { ...w.status, phase: 'Verifying', steps },
    requeueAfterMs: pollMs,
    events: [...w.events, { type: 'Normal', reason: 'VerificationStarted', message: `step ${verify.index} checks that ${verify.reasoning ?? 'the action worked'}`.slice(0, 1000) }],
  };
}

/** The Verifying phase. */
export async function verify(cx: PhaseContext, inc: AlertIncident): Promise<Advance> {
  const status = cx.base(inc);
  const steps = status.steps ?? [];
  const last = steps.at(-1);
  if (!last || last.action !== 'verify') return { kind: 'write', status: { ...status, phase: 'Analyzing' }, events: [] };
  // The verdict is on record but the report is not (it could not be written then): write it now.
  if (last.state === 'Succeeded' || last.state === 'Failed') return conclude(cx, inc, status, last, []);
  const plan = stepArguments(last) as unknown as Partial<Plan>;
  const verifier = cx.deps.verifier;
  if (!verifier || !plan.target || typeof plan.step !== 'number') {
    // Turned off (or a step this operator cannot read) since it started: the investigation goes on without it.
    const off: Step = { ...last, state: 'Failed', result: { ok: false, error: 'the verification could not go on: verification is off in this operator (VERIFY_TIMEOUT=0) or its plan cannot be read', finishedAt: cx.iso() } };
    return { kind: 'write', status: { ...status, phase: 'Analyzing', steps: [...steps.slice(0, -1), off] }, events: [] };
  }
  const timeoutMs = typeof plan.timeoutMs === 'number' ? plan.timeoutMs : timeoutOf(cx);
  const poll = verifyPollMs(timeoutMs);
  const settle = verifySettleMs(timeoutMs);
  const started = Date.parse(last.time);
  const now = cx.now().getTime();
  const elapsed = now - started;
  const check = await verifier.check(plan.target, new Date(started));
  const replace = (s: Step, extra: Partial<IncidentStatus> = {}): IncidentStatus => ({ ...status, ...extra, steps: [...steps.slice(0, -1), s] });
  const withPlan = (p: Plan): Step => ({ ...last, arguments: JSON.stringify(p) });
  if (check.ok) {
    const since = plan.passedAt ? Date.parse(plan.passedAt) : undefined;
    if (settle <= 0 || (since !== undefined && now - since >= settle)) return finish(cx, inc, status, last, plan as Plan, check.lines, true, now - started);
    if (since === undefined) {
      // Passing now: it must keep passing for `settle` (kept in the step, so a restart does not lose it).
      return { kind: 'write', status: replace(withPlan({ ...(plan as Plan), passedAt: cx.iso() })), events: [], requeueAfterMs: settle + 50 };
    }
    return { kind: 'noop', requeueAfterMs: Math.max(50, settle - (now - since) + 50) };
  }
  if (elapsed >= timeoutMs) return finish(cx, inc, status, last, plan as Plan, check.lines, false, elapsed);
  if (plan.passedAt) {
    // It passed, then failed again (a pod Ready between two crashes): start settling over.
    const { passedAt: _passedAt, ...rest } = plan as Plan;
    void _passedAt;
    return { kind: 'write', status: replace(withPlan(rest)), events: [], requeueAfterMs: Math.min(poll, timeoutMs - elapsed + 50) };
  }
  return { kind: 'noop', requeueAfterMs: Math.min(poll, Math.max(50, timeoutMs - elapsed + 50)) };
}

/** The verdict: the verify step finished with its evidence, then the report. */
async function finish(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, last: Step, plan: Plan, lines: string[], ok: boolean, tookMs: number): Promise<Advance> {
  const steps = status.steps ?? [];
  const at = cx.iso();
  const evidence = [`checked at ${at}, ${duration(Math.max(0, tookMs))} after the action:`, ...lines.map((l) => `  ${l}`)].join('\n');
  const result: Step['result'] = ok
    ? { ok: true, output: evidence, durationMs: Math.max(0, Math.round(tookMs)), finishedAt: at }
    : { ok: false, output: evidence, error: `not verified within ${duration(plan.timeoutMs)}: ${plan.what}`.slice(0, 4000), durationMs: Math.max(0, Math.round(tookMs)), finishedAt: at };
  const done: Step = { ...last, state: ok ? 'Succeeded' : 'Failed', result };
  const next: IncidentStatus = { ...status, steps: [...steps.slice(0, -1), done] };
  const label = actionLabel(steps, plan.step);
  const events: IncidentEvent[] = [
    ok
      ? { type: 'Normal', reason: 'VerificationPassed', message: `step ${done.index} verified step ${plan.step} (${label}): ${plan.what}` }
      : { type: 'Warning', reason: 'VerificationFailed', message: `step ${done.index}: step ${plan.step} (${label}) did not verify within ${duration(plan.timeoutMs)}: ${lines.slice(0, 3).join('; ')}`.slice(0, 1000) },
  ];
  return conclude(cx, { ...inc, status: next }, next, done, events);
}

/** The report for a finished verification; if it cannot be written now, the verdict is saved and the report follows. */
async function conclude(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, done: Step, events: IncidentEvent[]): Promise<Advance> {
  const steps = status.steps ?? [];
  const plan = stepArguments(done) as unknown as Partial<Plan>;
  const action = steps.find((s) => s.index === plan.step);
  const label = actionLabel(steps, plan.step);
  const ran = `step ${plan.step ?? '?'} (${label})`;
  const reason = done.state === 'Succeeded'
    ? `${ran} ran and step ${done.index} verified it: ${plan.what ?? 'its effect'}`
    : `${ran} ran, but it did not verify within ${duration(typeof plan.timeoutMs === 'number' ? plan.timeoutMs : timeoutOf(cx))}; the cluster now shows: ${(done.result?.output ?? '').split('\n').slice(1, 5).map((l) => l.trim()).join('; ')}; to undo it: ${action ? undoOf(action) : 'see the step'}`;
  try {
    const r = await report(cx, { ...inc, status: { ...status, phase: 'Verifying' } }, done.state === 'Succeeded' ? 'Resolved' : 'NeedsManualIntervention', reason);
    return r.kind === 'write' ? { ...r, events: [...events, ...r.events] } : r;
  } catch (err) {
    if (!(err instanceof TransientError) || !events.length) throw err;
    // The verdict is kept; the report is written on a later reconcile (the LLM is retried there).
    return { kind: 'write', status: { ...status, phase: 'Verifying' }, events, requeueAfterMs: 2_000 };
  }
}

// A proposal must be possible before a person sees it (issue 22; DESIGN.md, "Outcomes and tenancy"): a
// mutating call that the policy would show for approval or run under `auto` is first judged by the API
// server (the tool layer's DryRunner: a server-side dry run for the built-in tools, a read of the target
// for tools of other servers). A call it refuses is recorded as an invalid step, told back to the
// investigator as the error of its tool call (and counted with the other unusable replies: three in a row
// hand over), and never reaches AwaitingApproval or runs. One it accepts carries the verdict on its step
// (`dryRun`: what would change, as a short before → after diff), which the approval shows.
import type { ToolInfo } from '../contracts/investigation.js';
import { toolName } from '../contracts/steps.js';
import type { DryRun, IncidentStatus, Step } from '../incident/types.js';
import type { Advance, PhaseContext } from './phases/phase.js';

/** `refused` without a dryRun: held back before the API server was asked (a person rejected it: phases/record.ts), with the hint the investigator hears. */
export type Judged = { kind: 'ok'; dryRun?: DryRun } | { kind: 'refused'; reason: string; dryRun?: DryRun; hint?: string };

/** The API server's judgment of `args` for `tool` (ok without a dry runner). Throws TransientError when it cannot be reached. */
export async function judgeChange(cx: PhaseContext, tool: ToolInfo, args: Record<string, unknown>): Promise<Judged> {
  const runner = cx.deps.dryRun;
  if (!runner) return { kind: 'ok' };
  const v = await runner({ server: tool.server, tool: tool.tool, arguments: args }, { timeoutMs: cx.deps.limits.toolTimeoutMs });
  const time = cx.iso();
  switch (v.kind) {
    case 'accepted':
      return {
        kind: 'ok',
        dryRun: {
          ok: true,
          ...(v.diff.length ? { diff: v.diff.join('\n') } : {}),
          note: v.note,
          // GITOPS_MANAGED_WRITES=suspend: written after its manager is suspended, and still proposed in Git.
          ...(v.gitops ? { gitops: v.gitops } : {}),
          ...(v.gitChange ? { gitChange: JSON.stringify(v.gitChange) } : {}),
          ...(v.suspend ? { suspend: v.suspend } : {}),
          time,
        },
      };
    case 'unchecked':
      return { kind: 'ok', dryRun: { ok: true, note: `not checked: ${v.note}`, time } };
    case 'rejected':
      return { kind: 'refused', reason: v.reason, dryRun: { ok: false, note: v.reason, ...(v.gitops ? { gitops: v.gitops } : {}), ...(v.diff?.length ? { diff: v.diff.join('\n') } : {}), ...(v.gitChange ? { gitChange: JSON.stringify(v.gitChange) } : {}), time } };
  }
}

/** A refused call: an invalid step that keeps the call (so the investigator hears it as its tool's error). */
export function refuse(
  cx: PhaseContext,
  status: IncidentStatus,
  steps: Step[],
  call: { tool: ToolInfo; arguments: string; reasoning: string; toolCallId?: string; origin?: Step['origin'] },
  judged: Extract<Judged, { kind: 'refused' }>,
): Advance {
  const label = toolName(call.tool.server, call.tool.tool);
  const reason = judged.reason.replace(/\.+$/, '');
  // A change the operator may not make is no wrong name: the model should recommend it, not retry it.
  const hint = judged.hint
    ? judged.hint
    : judged.dryRun?.gitops
    ? 'Do not retry it: recommend the change in Git in the report (the operator shows the diff as a proposed change in Git).'
    : /forbidden: /.test(reason)
    ? 'The operator may not make this change: recommend it in the report instead.'
    : 'Read the cluster (list_resources, get_resource) for the right names and values before proposing a change.';
  const error = `${label} was not run and not shown for approval: ${reason}. ${hint}`;
  const step = cx.step(steps, {
    action: 'invalid',
    state: 'Done',
    origin: call.origin,
    server: call.tool.server,
    tool: call.tool.tool,
    toolCallId: call.toolCallId,
    arguments: call.arguments,
    reasoning: call.reasoning.slice(0, 8000),
    ...(judged.dryRun ? { dryRun: judged.dryRun } : {}),
    result: { ok: false, error: error.slice(0, 4000), finishedAt: cx.iso() },
  });
  return {
    kind: 'write',
    status: { ...status, steps: [...steps, step] },
    events: [{ type: 'Warning', reason: !judged.dryRun ? 'ChangeHeldBack' : judged.dryRun.gitops ? 'ChangeProposedInGit' : 'DryRunRefused', message: `step ${step.index}: ${label} ${call.arguments.slice(0, 300)} refused before it was shown or run: ${judged.reason}`.slice(0, 1000) }],
  };
}

/**
 * The dry run's diff on one line, for an Event: each object with its changes after it
 * ("Deployment shop/web (scale): spec.replicas: 1 → 3"), at most `max` changes; empty without a diff.
 */
export function dryRunSummary(step: Pick<Step, 'dryRun'>, max = 6): string {
  const groups: string[][] = [];
  let changes = 0;
  for (const line of (step.dryRun?.diff ?? '').split('\n').filter(Boolean)) {
    if (/^\s/.test(line) && groups.length) {
      if (++changes <= max) groups.at(-1)!.push(line.trim());
    } else groups.push([line.trim()]);
  }
  const text = groups.map((g) => g.join(' ')).join('; ');
  return changes > max ? `${text} … (${changes - max} more)` : text;
}

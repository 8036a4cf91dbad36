// Recording a decision as a step. An unusable reply is told back; a conclusion carries its summary and
// root cause; a tool call gets the policy's verdict (allow: Executing, block: recorded and not run,
// approve: AwaitingApproval). What is recorded is exactly what runs and what a person approves.
import type { Decision, ToolInfo } from '../../contracts/investigation.js';
import { toolName } from '../../contracts/steps.js';
import { LIMITS } from '../../incident/limits.js';
import { ANNOTATIONS, type AlertIncident, type IncidentStatus, type Step } from '../../incident/types.js';
import { evaluate } from '../../policy/policy.js';
import { gatherFacts } from '../callFacts.js';
import { rejectionOf } from '../../analyzer/people.js';
import { judgeChange, refuse, type Judged } from '../dryRun.js';
import { evidenceOf } from './report.js';
import { oneLine, type Advance, type PhaseContext } from './phase.js';

const MUTATION_STATES = new Set(['Planned', 'Running', 'Succeeded', 'Failed', 'Unknown', 'AwaitingApproval']);

export async function record(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, steps: Step[], d: Decision, origin?: Step['origin']): Promise<Advance> {
  if (d.kind === 'invalid') {
    const step = cx.step(steps, { action: 'invalid', state: 'Done', origin, arguments: d.raw.slice(0, 4000), result: { ok: false, error: d.error.slice(0, 2000) } });
    return { kind: 'write', status: { ...status, steps: [...steps, step] }, events: [{ type: 'Warning', reason: 'UnusableReply', message: `step ${step.index}: ${d.error}` }] };
  }
  if (d.kind === 'resolve' || d.kind === 'escalate') {
    const step = cx.step(steps, {
      action: d.kind,
      state: 'Done',
      origin,
      toolCallId: d.toolCallId,
      reasoning: (d.reasoning || d.summary).slice(0, 8000),
      arguments: JSON.stringify({ summary: d.summary.slice(0, LIMITS.summary), root_cause: d.rootCause.slice(0, LIMITS.rootCause) }),
    });
    return { kind: 'write', status: { ...status, steps: [...steps, step], summary: oneLine(d.summary), rootCause: d.rootCause.slice(0, 4000) }, events: [] };
  }
  const tool = cx.deps.tools.find(d.tool);
  const filled = tool ? fillNamespace(tool, d.arguments, inc) : undefined;
  if (filled) d = { ...d, arguments: filled.arguments, reasoning: `${d.reasoning}${d.reasoning ? ' ' : ''}(${filled.note})` };
  const args = JSON.stringify(d.arguments);
  if (args.length > LIMITS.stepArguments) {
    // Never cut arguments to fit: a cut is not JSON, and what runs must be exactly what was decided
    // (and shown for approval). The model hears why and may send a smaller call.
    const error = `the arguments of ${d.tool.slice(0, 100)} are ${args.length} characters; at most ${LIMITS.stepArguments} are accepted, so the call was not run: send a smaller call`;
    return record(cx, inc, status, steps, { kind: 'invalid', error, raw: `${d.tool}(${args})` }, origin);
  }
  const mutating = tool?.mutating ?? true;
  const mutationsSoFar = steps.filter((s) => s.mutating && MUTATION_STATES.has(s.state ?? '')).length;
  // Only `auto` needs facts: it asks a person to scale down, delete unowned pods or act off the incident.
  const analyzerOnly = cx.deps.investigator.kind === 'rules';
  const facts = mutating && cx.deps.policy.mode === 'auto' ? await gatherFacts(inc, steps, d, { analyzerOnly, analyzerDecides: analyzerOnly || origin !== undefined, inspect: cx.deps.inspect }) : undefined;
  const verdict = evaluate(
    { tool: d.tool, mutating, scope: tool?.scope, arguments: d.arguments },
    cx.deps.policy,
    { mutationsSoFar, incidentNamespace: cx.deps.actionNamespace?.(inc), facts },
  );
  // A change a person rejected for this alert before, on the same evidence, is not asked again, whoever
  // proposes it (the analyzer already heeds it; a model is only told, so this holds it back).
  const heldBack = tool && mutating && verdict.verdict !== 'block' ? rejectedByPeople(cx, inc, status, tool, d.arguments) : undefined;
  if (tool && heldBack) return refuse(cx, status, steps, { tool, arguments: args, reasoning: d.reasoning, toolCallId: d.toolCallId, origin }, heldBack);
  // Before it is shown for approval or run, the API server judges it (../dryRun.ts): a call it refuses is
  // told back to the investigator and never waits for a person.
  const judged = tool && mutating && verdict.verdict !== 'block' ? await judgeChange(cx, tool, d.arguments) : undefined;
  if (tool && judged?.kind === 'refused') return refuse(cx, status, steps, { tool, arguments: args, reasoning: d.reasoning, toolCallId: d.toolCallId, origin }, judged);
  const step = cx.step(steps, {
    action: 'callTool',
    server: tool?.server,
    tool: tool?.tool ?? d.tool,
    toolCallId: d.toolCallId,
    origin,
    arguments: args,
    reasoning: d.reasoning.slice(0, 8000),
    mutating,
    policy: { verdict: verdict.verdict, reason: verdict.reason, decidedBy: `policy ${cx.deps.policy.mode}` },
    ...(judged?.dryRun ? { dryRun: judged.dryRun } : {}),
    state: verdict.verdict === 'allow' ? 'Planned' : verdict.verdict === 'block' ? 'Blocked' : 'AwaitingApproval',
  });
  const withStep = { ...status, steps: [...steps, step] };
  const label = toolName(step.server, step.tool);
  if (verdict.verdict === 'allow') return { kind: 'write', status: { ...withStep, phase: 'Executing' }, events: [] };
  if (verdict.verdict === 'block') {
    return { kind: 'write', status: withStep, events: [{ type: 'Warning', reason: 'ActionBlocked', message: `step ${step.index}: ${label} not run: ${verdict.reason}` }] };
  }
  return {
    kind: 'write',
    status: { ...withStep, phase: 'AwaitingApproval' },
    requeueAfterMs: cx.deps.limits.approvalTimeoutMs,
    events: [
      {
        type: 'Normal',
        reason: 'ApprovalRequired',
        message: `step ${step.index} waits for approval: ${label} ${args.length > 300 ? `${args.slice(0, 300)}… (whole arguments in status.steps[${step.index - 1}])` : args}. Approve: kubectl annotate alertincident ${inc.metadata.name} -n ${inc.metadata.namespace} ${ANNOTATIONS.approve}=${step.index}; reject: ${ANNOTATIONS.reject}=${step.index}`,
      },
    ],
  };
}

/**
 * A person's rejection of this very call for this alert (status.recall), when the evidence now is the one
 * it was rejected on (the analyzer's rule and root cause); without an analyzer to show that the evidence
 * differs, it counts as the same.
 */
function rejectedByPeople(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, tool: ToolInfo, args: Record<string, unknown>): Extract<Judged, { kind: 'refused' }> | undefined {
  const recall = status.recall ?? inc.status?.recall;
  if (!recall?.occurrences?.some((o) => o.decisions?.length)) return undefined;
  const evidence = evidenceOf(cx, inc, status);
  const hit = rejectionOf(recall, tool.tool, args, evidence ?? '');
  if (!hit || !(hit.sameEvidence || evidence === undefined)) return undefined;
  const d = hit.decision;
  const reason = `a person${d.by ? ` (${d.by})` : ''} rejected this change for this alert last time (incident ${hit.incident})${d.reason ? `, because: “${oneLine(d.reason)}”` : ''}, and the evidence is the same as then`;
  return { kind: 'refused', reason, hint: 'Do not propose it again: find another cause or change, or hand over to a person, saying what was rejected and why.' };
}

/**
 * A read-only call that leaves out the namespace its tool requires gets the alert's, when the alert names
 * exactly one: small models often forget it. A change never does: it must name where it lands.
 */
function fillNamespace(tool: ToolInfo, args: Record<string, unknown>, inc: AlertIncident): { arguments: Record<string, unknown>; note: string } | undefined {
  if (tool.mutating || (args.namespace !== undefined && args.namespace !== '')) return undefined;
  const required = (tool.inputSchema as { required?: unknown }).required;
  if (!Array.isArray(required) || !required.includes('namespace')) return undefined;
  const ns = inc.spec.labels.namespace;
  if (!ns) return undefined;
  return { arguments: { ...args, namespace: ns }, note: `namespace "${ns}" filled in from the alert` };
}

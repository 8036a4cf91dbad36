// Evidence first: when the investigator is an LLM, the analyzer's read-only plan runs before the model's
// first decision (those calls are the analyzer's, not the model's budget), and a closing note hands the
// model what was read and the analyzer's hypotheses.
import type { Decision, Hypotheses } from '../../contracts/investigation.js';
import type { AlertIncident, IncidentStatus, Step } from '../../incident/types.js';
import type { PhaseContext, WriteAdvance } from './phase.js';

/** Evidence first runs until its closing note (with the hypotheses) is recorded. */
export function gatheringEvidence(cx: PhaseContext, status: IncidentStatus): boolean {
  if (!cx.deps.evidence || cx.deps.investigator.kind !== 'llm' || cx.investigatorOf(status) !== cx.deps.investigator) return false;
  return !(status.steps ?? []).some((s) => s.action === 'note' && s.origin === 'evidence');
}

/** The plan's next read-only call, or, once it is done, the closing note to write. */
export function gatherEvidence(cx: PhaseContext, inc: AlertIncident, status: IncidentStatus, steps: Step[]): WriteAdvance | { kind: 'call'; decision: Extract<Decision, { kind: 'callTool' }> } {
  const g = cx.deps.evidence!.gather(cx.context(inc, steps));
  if (g.kind === 'call') return g;
  const calls = steps.filter((s) => s.origin === 'evidence' && s.action === 'callTool').length;
  const note = cx.step(steps, { action: 'note', state: 'Done', origin: 'evidence', reasoning: hypothesesText(g.hypotheses, calls) });
  return {
    kind: 'write',
    status: { ...status, steps: [...steps, note] },
    events: [{ type: 'Normal', reason: 'EvidenceGathered', message: `the rule-based analyzer read ${calls} tool outputs; its hypothesis: ${g.hypotheses.summary}` }],
  };
}

/** The note that hands the evidence to the model: what was read, and what the analyzer makes of it. */
function hypothesesText(h: Hypotheses, calls: number): string {
  const lines = [
    `Before you started, the operator's rule-based analyzer (rule ${h.rule}) ran ${calls} read-only call${calls === 1 ? '' : 's'}, shown above; do not repeat them.`,
    'Its hypotheses, to confirm or reject with evidence of your own where they fall short (they stay in the report unless your conclusion rejects them citing the step that shows otherwise, as [step N]):',
    `- Summary: ${h.summary}`,
    `- Root cause: ${h.rootCause}`,
  ];
  if (h.resolved) lines.push(h.recheck ? `- It thinks the problem is already gone: ${h.recheck}.` : '- It thinks the problem is already gone, but nothing it read shows the condition gone now (an object that no longer exists is no proof).');
  if (h.proposedFix) lines.push(`- A fix it would propose (the policy decides whether it may run): ${h.proposedFix.tool} ${JSON.stringify(h.proposedFix.arguments)}: ${h.proposedFix.why}`);
  if (h.recommendations.length) lines.push(`- Recommendations: ${h.recommendations.slice(0, 5).join(' | ')}`);
  return lines.join('\n');
}

// What people decided on earlier incidents of this alert on this object (status.recall, from the history),
// as the analyzer's proposals heed it: a change a person rejected is not proposed again on the same
// evidence (the same rule and root cause, src/incident/feedback.ts); a change a person approved and whose
// verification passed is proposed again on the same evidence (the policy still decides whether it runs).
import { callSignature } from '../incident/feedback.js';
import type { PastDecision, Recall } from '../incident/types.js';
import type { Call } from './rules/types.js';

export interface PastWord {
  decision: PastDecision;
  incident: string;
}

function decisions(recall: Recall | undefined): PastWord[] {
  return (recall?.occurrences ?? []).flatMap((o) => (o.decisions ?? []).map((decision) => ({ decision, incident: o.incident })));
}

/**
 * The newest rejection of this call by a person, and whether the evidence now is the one it was rejected
 * on. A rejection recorded without evidence counts as the same evidence: nothing shows that it differs.
 */
export function rejectionOf(recall: Recall | undefined, tool: string, args: Record<string, unknown>, evidence: string): (PastWord & { sameEvidence: boolean }) | undefined {
  const call = callSignature(tool, args);
  const hit = decisions(recall).find((w) => w.decision.decision === 'rejected' && w.decision.call === call);
  return hit && { ...hit, sameEvidence: !hit.decision.evidence || hit.decision.evidence === evidence };
}

/** A change a person approved and whose verification passed, on this same evidence: proposed again as it was. */
export function approvedBefore(recall: Recall | undefined, evidence: string): (PastWord & { call: Call }) | undefined {
  for (const w of decisions(recall)) {
    const d = w.decision;
    if (d.decision !== 'approved' || !d.verified || d.evidence !== evidence || !d.arguments) continue;
    let args: unknown;
    try {
      args = JSON.parse(d.arguments);
    } catch {
      continue;
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) continue;
    const tool = d.call.slice(0, d.call.lastIndexOf(':'));
    return { ...w, call: { tool, args: args as Record<string, unknown>, why: `the same change a person${d.by ? ` (${d.by})` : ''} approved for this alert last time (incident ${w.incident}), whose verification passed` } };
  }
  return undefined;
}

/** The report's line for a change not proposed because a person rejected it. */
export function heldBackLine(w: PastWord): string {
  return `Not proposed again: \`${w.decision.action.replace(/\s+/g, ' ')}\` — a person${w.decision.by ? ` (${w.decision.by})` : ''} rejected it for this alert last time (incident ${w.incident})${w.decision.reason ? `, because: “${w.decision.reason.replace(/\s+/g, ' ')}”` : ''}, and the evidence is the same as then.`;
}

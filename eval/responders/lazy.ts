// The scripted lazy model (issue 22): it reads nothing and decides at once. Whatever the alert and whatever
// the operator gathered before asking it, its first answer is resolve_incident with a generic reason ("see
// the evidence gathered"), and its report says no more. It knows no case; it only picks the conclusion
// tool from the offered list and names the alert. A run with it measures what the operator keeps of the
// evidence and the rules' findings when a model adds nothing, and whether `Resolved` needs proof.
import type { Reply } from '../../test/bed/scriptedLlm.js';
import { offered, parseConversation } from './conversation.js';

export function lazyReply(body: any): Reply {
  const conv = parseConversation(body);
  const label = conv.alertname || 'The alert';
  const summary = `${label}: resolved, see the evidence gathered`;
  const rootCause = 'See the evidence gathered.';
  if (conv.wantsReport) {
    return { content: `## Summary\n\n${summary}.\n\n## Root cause\n\n${rootCause}\n\n## Evidence\n\nSee the evidence gathered.\n\n## Recommendations\n\n1. None.` };
  }
  const tool = offered(conv, 'resolve_incident')?.name ?? 'resolve_incident';
  return { content: 'Looks fine.', toolCalls: [{ name: tool, arguments: { summary, root_cause: rootCause } }] };
}

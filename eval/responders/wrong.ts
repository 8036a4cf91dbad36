// The scripted wrong model (issue 22): confident and wrong. It reads the first object the alert's labels
// name (one call, as the competent model would start), then, whatever that output says, blames a plausible
// cause that is not in it: the database, the network, or a recent deploy, picked from the alert's name so
// that a run is reproducible. It escalates the first two (a person must act) and resolves the third (the
// deploy "settled"). It knows no case and follows no text from the alert or the outputs; a run with it
// measures whether the operator keeps the rules' findings under a wrong conclusion, and whether a
// `Resolved` without proof survives.
import type { Reply } from '../../test/bed/scriptedLlm.js';
import { initialPlan, targetsOf } from './competent.js';
import { offered, parseConversation, type Conversation } from './conversation.js';

interface Blame {
  resolved: boolean;
  summary: (subject: string) => string;
  rootCause: (subject: string) => string;
}

const BLAMES: Blame[] = [
  {
    resolved: false,
    summary: (s) => `${s} fails because its database is overloaded`,
    rootCause: (s) => `The database behind ${s} is saturated: its connection pool is exhausted and queries time out, so ${s} cannot serve. The database team must scale it up.`,
  },
  {
    resolved: false,
    summary: (s) => `${s} fails because of packet loss on the cluster network`,
    rootCause: (s) => `The cluster network drops packets between nodes (an overlay or MTU problem), so ${s} loses its connections. The network team must look at the nodes' links.`,
  },
  {
    resolved: true,
    summary: (s) => `${s} was disturbed by a recent deploy that has settled`,
    rootCause: (s) => `A deploy shortly before the alert restarted ${s}; the disturbance was transient and has passed, nothing is left to do.`,
  },
];

/** The same blame for the same alert name, every run. */
function blameFor(conv: Conversation): Blame {
  let h = 0;
  for (const ch of conv.alertname) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return BLAMES[h % BLAMES.length];
}

function subjectOf(conv: Conversation): string {
  const t = targetsOf(conv);
  const name = t.pod ?? t.deployment ?? t.statefulset ?? t.daemonset ?? t.job ?? t.node ?? t.pvc ?? t.hpa ?? t.service ?? t.certificate ?? t.pv;
  return name ? `${t.namespace && !t.node ? `${t.namespace}/` : ''}${name}` : 'the service';
}

export function wrongReply(body: any): Reply {
  const conv = parseConversation(body);
  const blame = blameFor(conv);
  const subject = subjectOf(conv);
  const summary = `${conv.alertname || 'The alert'}: ${blame.summary(subject)}`;
  const rootCause = blame.rootCause(subject);
  if (conv.wantsReport) {
    return { content: `## Summary\n\n${summary}.\n\n## Root cause\n\n${rootCause}\n\n## Recommendations\n\n1. ${blame.resolved ? 'Nothing to do.' : 'Hand it to the team named above.'}` };
  }
  // One look at the object the alert names, if it has not been read yet (by it or the operator).
  const first = initialPlan(targetsOf(conv)).find((p) => offered(conv, p.tool));
  const read = first && conv.calls.some((c) => c.tool === first.tool && c.args.name === first.args.name);
  if (first && !read && conv.turns === 0) {
    return { content: first.why, toolCalls: [{ name: offered(conv, first.tool)!.name, arguments: first.args }] };
  }
  const tool = offered(conv, blame.resolved ? 'resolve_incident' : 'escalate_incident')?.name ?? (blame.resolved ? 'resolve_incident' : 'escalate_incident');
  return { content: 'I know what this is.', toolCalls: [{ name: tool, arguments: { summary, root_cause: rootCause } }] };
}

// The scripted weak model (issue 12, point 6): what a small local model does with the same tools. It
// starts with a tool that does not exist, writes kinds the way people type them (lowercase, plural, short:
// "pods", "node", "deploy"), leaves out the namespace, writes one tool call as JSON in its content instead
// of a tool call, and never corrects its arguments from an error. It concludes from whatever outputs it
// got (its own, or evidence the operator gathered before asking it), reading them as the competent model
// does (its weakness is the calling, not the reading); with no evidence it says it could not find the cause.
import type { Reply } from '../../test/bed/scriptedLlm.js';
import { competentReply, conclude, initialPlan, reportMarkdown, targetsOf, type Targets } from './competent.js';
import { offered, parseConversation, type Conversation } from './conversation.js';
import { readEvidence } from './signals.js';

interface SloppyCall {
  tool: string;
  args: Record<string, unknown>;
}

/** The calls a weak model makes: the right objects, in the wrong shapes. */
function sloppyPlan(t: Targets): SloppyCall[] {
  const calls: SloppyCall[] = [];
  if (t.pod) {
    calls.push({ tool: 'get_resource', args: { kind: 'pods', name: t.pod } });
    calls.push({ tool: 'describe_pod', args: { name: t.pod } });
    calls.push({ tool: 'get_events', args: { involvedObjectKind: 'pod', involvedObjectName: t.pod } });
  }
  if (t.deployment) {
    calls.push({ tool: 'get_resource', args: { apiVersion: 'apps/v1', kind: 'deploy', name: t.deployment } });
    calls.push({ tool: 'describe_deployment', args: { name: t.deployment } });
  }
  if (t.statefulset) calls.push({ tool: 'get_resource', args: { apiVersion: 'apps/v1', kind: 'sts', name: t.statefulset } });
  if (t.daemonset) calls.push({ tool: 'get_resource', args: { apiVersion: 'apps/v1', kind: 'ds', name: t.daemonset } });
  if (t.job) calls.push({ tool: 'describe_job', args: { name: t.job } });
  if (t.node) {
    calls.push({ tool: 'get_resource', args: { kind: 'node', name: t.node } });
    calls.push({ tool: 'describe_node', args: { name: t.node, namespace: t.namespace ?? 'default' } });
  }
  if (t.pvc) calls.push({ tool: 'describe_pvc', args: { name: t.pvc } });
  if (t.hpa) calls.push({ tool: 'get_resource', args: { apiVersion: 'autoscaling/v2', kind: 'hpa', name: t.hpa } });
  if (t.service) calls.push({ tool: 'get_resource', args: { kind: 'svc', name: t.service } });
  if (t.resourcequota) calls.push({ tool: 'get_resource', args: { kind: 'quota', name: t.resourcequota } });
  if (t.certificate) calls.push({ tool: 'get_resource', args: { apiVersion: 'cert-manager.io/v1', kind: 'certificate', name: t.certificate } });
  if (!calls.length) calls.push({ tool: 'get_events', args: { involvedObjectKind: 'namespace', namespace: t.namespace } });
  return calls.slice(0, 4);
}

// By tool and object name only: a tolerant server may record the arguments as it understood them.
const same = (a: { tool: string; args: Record<string, unknown> }, b: SloppyCall) =>
  a.tool === b.tool && (a.args.name ?? a.args.involvedObjectName ?? '') === (b.args.name ?? b.args.involvedObjectName ?? '');

/** Its first move: a tool it imagines, as small models do. */
function imaginedTool(conv: Conversation, t: Targets): Reply {
  const target = t.pod ?? t.deployment ?? t.node ?? t.statefulset ?? t.pvc ?? t.service ?? 'all';
  return { content: 'Let me check the cluster.', toolCalls: [{ name: 'kubectl_get', arguments: { resource: t.pod ? 'pods' : t.node ? 'nodes' : 'all', name: target } }] };
  void conv;
}

export function weakReply(body: any): Reply {
  const conv = parseConversation(body);
  const t = targetsOf(conv);
  // It can still tell that an object the alert names is gone when an output says so.
  const primary = initialPlan(t).map((p) => ({ tool: p.tool, name: p.args.name as string | undefined }));
  if (conv.wantsReport) {
    const c = conclude(conv, readEvidence(conv, primary));
    return { content: reportMarkdown(conv, c) };
  }
  // Evidence the operator gathered before asking comes as calls too: its own are the sloppy ones.
  const plan = sloppyPlan(t).filter((p) => offered(conv, p.tool));
  const ownCalls = conv.calls.filter((c) => plan.some((p) => same(c, p))).length;
  if (conv.invalid.length === 0 && ownCalls === 0) return imaginedTool(conv, t);
  const next = plan.find((p) => !conv.calls.some((c) => same(c, p)));
  if (next) {
    const tool = offered(conv, next.tool)!;
    // Once, right after its imagined tool was refused, it writes the call as JSON text.
    if (conv.invalid.length === 1 && ownCalls === 0) {
      return { content: JSON.stringify({ name: tool.name, arguments: next.args }) };
    }
    return { content: '', toolCalls: [{ name: tool.name, arguments: next.args }] };
  }
  const c = conclude(conv, readEvidence(conv, primary));
  if (!c.basis.length && !c.resolved) {
    return {
      content: '',
      toolCalls: [{ name: 'escalate_incident', arguments: { summary: `${conv.alertname}: could not find the cause`, root_cause: 'The tools returned errors; no evidence could be gathered.' } }],
    };
  }
  return { content: '', toolCalls: [{ name: c.resolved ? 'resolve_incident' : 'escalate_incident', arguments: { summary: c.summary, root_cause: c.rootCause } }] };
}

export { competentReply };

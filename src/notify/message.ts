// One view of an incident for every sink: what a person on call reads first. Each sink renders it in its
// own format (Block Kit, Adaptive Card, PagerDuty event, our JSON, e-mail).
import { toolName } from '../contracts/steps.js';
import { ANNOTATIONS, type AlertIncident } from '../incident/types.js';
import { trustedLink } from './escape.js';
import { clip as cut } from '../util/text.js';

export interface Approval {
  step: number;
  tool: string;
  arguments: string;
  approve: string;
  reject: string;
}

export interface NotificationView {
  /** The event being told: Reported, Failed, AwaitingApproval/<step>, Resolved, ... */
  event: string;
  /** What happened, for a title: "needs manual intervention", "waiting for approval", ... */
  headline: string;
  title: string;
  /** ok | warning | danger | info: the sinks' colours. */
  tone: 'ok' | 'warning' | 'danger' | 'info';
  alertname: string;
  severity?: string;
  alertNamespace?: string;
  /** Many clusters: the cluster the alert came from (spec.cluster). */
  cluster?: string;
  alertStatus: 'firing' | 'resolved';
  incident: { namespace: string; name: string; uid?: string };
  phase: string;
  outcome?: string;
  summary?: string;
  rootCause?: string;
  failureReason?: string;
  report?: string;
  /** The changes the investigation ran (or tried), one line each. */
  actions: string[];
  approval?: Approval;
  links: { webView?: string; generator?: string; alertmanager?: string };
  /** The incident's tickets and pull requests (status.tickets, status.gitChanges) with an http(s) URL: a message sent after one opened links it. */
  related: Array<{ label: string; url: string }>;
  startsAt: string;
  /** Firings of this alert this one message stands for (flapping within the minimum interval). */
  count: number;
  /** The kubectl line that shows the whole incident. */
  describe: string;
}

export function buildView(inc: AlertIncident, event: string, opts: { webViewURL?: string; count?: number; trustedLinkHosts?: string[] } = {}): NotificationView {
  const st = inc.status ?? {};
  const { namespace, name, uid } = inc.metadata;
  const phase = st.phase ?? 'Pending';
  const steps = st.steps ?? [];
  const actions = steps
    .filter((s) => s.action === 'callTool' && s.mutating)
    .map((s) => `step ${s.index}: ${toolName(s.server ?? '', s.tool ?? '')} ${cut(s.arguments, 300) ?? ''} → ${s.state ?? 'Planned'}${s.result?.error ? ` (${cut(s.result.error, 200)})` : ''}`);
  let approval: Approval | undefined;
  const last = steps.at(-1);
  if (phase === 'AwaitingApproval' && last) {
    approval = {
      step: last.index,
      tool: toolName(last.server ?? '', last.tool ?? ''),
      arguments: cut(last.arguments, 1000) ?? '',
      approve: `kubectl annotate alertincident ${name} -n ${namespace} ${ANNOTATIONS.approve}=${last.index}`,
      reject: `kubectl annotate alertincident ${name} -n ${namespace} ${ANNOTATIONS.reject}=${last.index}`,
    };
  }
  let headline: string;
  let tone: NotificationView['tone'];
  if (event === 'Resolved') [headline, tone] = ['alert resolved', 'ok'];
  else if (phase === 'AwaitingApproval') [headline, tone] = ['waiting for approval', 'warning'];
  else if (phase === 'Failed') [headline, tone] = ['investigation failed', 'danger'];
  else if (phase === 'Reported' && st.outcome === 'Resolved') [headline, tone] = ['resolved', 'ok'];
  else if (phase === 'Reported') [headline, tone] = ['needs manual intervention', 'danger'];
  else [headline, tone] = [phase.toLowerCase(), 'info'];
  const webView = opts.webViewURL?.replaceAll('{namespace}', encodeURIComponent(namespace)).replaceAll('{name}', encodeURIComponent(name));
  return {
    event,
    headline,
    title: `${inc.spec.alertname}: ${headline}`,
    tone,
    alertname: inc.spec.alertname,
    severity: inc.spec.severity ?? inc.spec.labels.severity,
    alertNamespace: inc.spec.labels.namespace,
    cluster: inc.spec.cluster || undefined,
    alertStatus: inc.spec.status,
    incident: { namespace, name, uid },
    phase,
    outcome: st.outcome,
    summary: st.summary ?? inc.spec.annotations.summary,
    rootCause: st.rootCause,
    failureReason: st.failureReason,
    report: st.report,
    actions,
    approval,
    related: relatedLinks(st),
    links: { webView, generator: trustedLink(inc.spec.generatorURL, { externalURL: inc.spec.externalURL, trustedHosts: opts.trustedLinkHosts }), alertmanager: inc.spec.externalURL },
    startsAt: inc.spec.startsAt,
    count: Math.max(1, opts.count ?? 1),
    describe: `kubectl describe alertincident ${name} -n ${namespace}`,
  };
}

/** Links to what the incident opened elsewhere: its tickets, its pull/merge requests (at most 4, http(s) only). */
function relatedLinks(st: NonNullable<AlertIncident['status']>): NotificationView['related'] {
  const web = (u: string | undefined): u is string => /^https?:\/\//.test(u ?? '');
  const tickets = (st.tickets ?? []).filter((t) => t.key && web(t.url)).map((t) => ({ label: `Ticket ${t.key}`, url: t.url! }));
  const changes = (st.gitChanges ?? []).filter((g) => web(g.url)).map((g) => ({ label: `Pull request${g.number !== undefined ? ` #${g.number}` : ''} (step ${g.step})`, url: g.url! }));
  return [...tickets, ...changes].slice(0, 4).map((l) => ({ label: cut(l.label, 80) ?? l.label, url: l.url }));
}

/** The plain-text body (e-mail, fallbacks). */
export function plainText(v: NotificationView): string {
  const lines = [
    v.title,
    '',
    `Alert:     ${v.alertname} (${v.alertStatus}${v.severity ? `, ${v.severity}` : ''})${v.alertNamespace ? ` in namespace ${v.alertNamespace}` : ''}${v.cluster ? ` of cluster ${v.cluster}` : ''}`,
    `Incident:  ${v.incident.namespace}/${v.incident.name} — ${v.phase}${v.outcome ? ` / ${v.outcome}` : ''}`,
  ];
  if (v.count > 1) lines.push(`Flapping:  fired ${v.count} times within the notification interval; this message stands for all of them`);
  if (v.summary) lines.push('', `Summary: ${v.summary}`);
  if (v.rootCause) lines.push('', `Root cause: ${v.rootCause}`);
  if (v.failureReason) lines.push('', `Failure: ${v.failureReason}`);
  if (v.approval) {
    lines.push('', `Waiting for approval: step ${v.approval.step}: ${v.approval.tool} ${v.approval.arguments}`, `  approve: ${v.approval.approve}`, `  reject:  ${v.approval.reject}`);
  }
  if (v.actions.length) lines.push('', 'Actions:', ...v.actions.map((a) => `  - ${a}`));
  lines.push('', `Details: ${v.describe}`);
  if (v.links.webView) lines.push(`Web view: ${v.links.webView}`);
  if (v.links.generator) lines.push(`Source: ${v.links.generator}`);
  for (const r of v.related) lines.push(`${r.label}: ${r.url}`);
  if (v.report) lines.push('', '----', '', v.report);
  return lines.join('\n');
}

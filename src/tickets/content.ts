// What a ticket says: a title, the body (the incident's report in Markdown, with where to look), and the
// comments of a refire, a reopen and a resolve. Markdown throughout: GitHub and GitLab take it as it is,
// Jira gets it as ADF (Cloud) or wiki markup (Data Center) from adf.ts.
import type { AlertIncident } from '../incident/types.js';
import { clip } from '../util/text.js';

export interface ContentOptions {
  /** `{namespace}` and `{name}` are replaced. */
  webViewURL?: string;
}

const REPORT_MAX = 30_000;

export function severityOf(inc: AlertIncident): string | undefined {
  return inc.spec.severity ?? inc.spec.labels.severity;
}

export function incidentLink(inc: AlertIncident, o: ContentOptions): string | undefined {
  const { namespace, name } = inc.metadata;
  return o.webViewURL?.replaceAll('{namespace}', encodeURIComponent(namespace)).replaceAll('{name}', encodeURIComponent(name));
}

function outcomeLine(inc: AlertIncident): string {
  const st = inc.status;
  if (st?.phase === 'Failed') return `the investigation failed${st.failureReason ? `: ${clip(st.failureReason, 500)}` : ''}`;
  return st?.outcome === 'NeedsManualIntervention' ? 'needs manual intervention' : `${st?.phase ?? 'Pending'}${st?.outcome ? ` (${st.outcome})` : ''}`;
}

function where(inc: AlertIncident, o: ContentOptions): string {
  const { namespace, name } = inc.metadata;
  const link = incidentLink(inc, o);
  return `${link ? `[${namespace}/${name}](${link})` : `${namespace}/${name}`} (\`kubectl describe alertincident ${name} -n ${namespace}\`)`;
}

export function ticketTitle(inc: AlertIncident): string {
  const sev = severityOf(inc);
  const ns = inc.spec.labels.namespace;
  const summary = inc.status?.summary ?? inc.spec.annotations.summary;
  return clip(`${sev ? `[${sev}] ` : ''}${inc.spec.alertname}${ns ? ` in ${ns}` : ''}${summary ? `: ${summary}` : ''}`.replace(/\s+/g, ' '), 250);
}

export function ticketBody(inc: AlertIncident, marker: string, o: ContentOptions): string {
  const st = inc.status;
  const lines = [
    `**Alert** \`${inc.spec.alertname}\`${severityOf(inc) ? ` (${severityOf(inc)})` : ''}, firing since ${inc.spec.startsAt}`,
    '',
    `**Outcome:** ${outcomeLine(inc)}`,
    '',
    `**Incident:** ${where(inc, o)}`,
  ];
  if (st?.summary) lines.push('', `**Summary:** ${clip(st.summary, 1000)}`);
  if (st?.report) lines.push('', clip(st.report, REPORT_MAX));
  lines.push('', `Opened by alert-agent. The label \`${marker}\` ties this ticket to the alert: a refire comments here, a resolve closes it.`);
  return lines.join('\n');
}

export function refireComment(inc: AlertIncident, o: ContentOptions, reopened: boolean): string {
  const st = inc.status;
  return [
    `**${reopened ? 'The alert fired again: reopened.' : 'The alert fired again.'}** ${inc.spec.alertname} since ${inc.spec.startsAt}: ${outcomeLine(inc)}.`,
    '',
    `**Incident:** ${where(inc, o)}`,
    ...(st?.summary ? ['', `**Summary:** ${clip(st.summary, 1000)}`] : []),
  ].join('\n');
}

export function resolveComment(inc: AlertIncident, o: ContentOptions, closing: boolean): string {
  const ended = inc.spec.endsAt ? ` at ${inc.spec.endsAt}` : '';
  return `**The alert resolved${ended}.**${closing ? ' Closed by alert-agent; a refire reopens it.' : ''}\n\n**Incident:** ${where(inc, o)}`;
}

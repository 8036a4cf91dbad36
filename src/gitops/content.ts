// The words of a pull request: its branch, title and description (the incident's report summary, who keeps
// the object, the exact change and a way back to the incident).
import { pathText, type GitChange } from '../contracts/gitChange.js';
import type { AlertIncident } from '../incident/types.js';

/** One branch per incident and step: a retry or a restart finds the pull request it opened by it. */
export function branchOf(inc: AlertIncident, step: number): string {
  return `alert-agent/${inc.metadata.namespace}/${inc.metadata.name}-step-${step}`.slice(0, 200);
}

export function titleOf(inc: AlertIncident, change: GitChange): string {
  const first = change.changes[0];
  const what = first ? `${pathText(first.path).replace(/^spec\.template\.spec\./, '')} → ${String(first.after ?? 'unset')}` : 'change';
  const values = change.source.values;
  const via = values ? ` (values of ${values.kind} ${values.name})` : '';
  return `${inc.spec.alertname}: ${change.object.kind} ${change.object.name}${via}: ${what}`.slice(0, 240);
}

export function bodyOf(inc: AlertIncident, change: GitChange, file: string, changed: string[], step: number): string {
  const st = inc.status ?? {};
  return [
    `Proposed by Alert Agent for the incident \`${inc.metadata.namespace}/${inc.metadata.name}\` (alert ${inc.spec.alertname}, firing since ${inc.spec.startsAt}), step ${step}.`,
    '',
    `${change.owner}: the fix is made here instead of in the cluster, where the next sync would undo it.`,
    '',
    '### The change',
    '',
    // Rendered by a Helm chart: the lines name the values key changed, and the field it renders.
    change.source.values
      ? `In \`${file}\`, the Helm values of ${change.source.values.kind} ${change.source.values.namespace}/${change.source.values.name}, which render ${change.object.kind} ${change.object.name}:`
      : `In \`${file}\`:`,
    '',
    '```',
    ...changed,
    '```',
    '',
    ...(st.summary ? ['### What the investigation found', '', st.summary, '', ...(st.rootCause ? [st.rootCause.slice(0, 4000), ''] : [])] : []),
    `The whole report: \`kubectl describe alertincident ${inc.metadata.name} -n ${inc.metadata.namespace}\`. After this is merged, the operator checks that the cluster shows the change and records it in the incident's status.gitChanges.`,
  ].join('\n');
}

// The pages, rendered on the server. Every value goes through `html` (escaped); the report through
// `markdown` (marked + sanitize-html). The only script is /static/app.js (live list, ages): the
// Content-Security-Policy allows no other, so even a sanitiser miss could not run anything.
import { stepToolName } from '../contracts/steps.js';
import { PHASES as ALL_PHASES, type AlertIncident, type Step } from '../incident/types.js';
import type { Row } from './feed.js';
import { html, markdown, type Safe } from './html.js';
import type { WebUser } from './auth.js';
import { age } from '../util/time.js';

export const COLUMNS: Array<[keyof Row, string]> = [
  ['name', 'Name'],
  ['namespace', 'Namespace'],
  ['alertname', 'Alert'],
  ['severity', 'Severity'],
  ['alertNamespace', 'Alert NS'],
  ['cluster', 'Cluster'],
  ['phase', 'Phase'],
  ['outcome', 'Outcome'],
  ['created', 'Age'],
  ['summary', 'Summary'],
];

export interface Filters {
  phase?: string;
  outcome?: string;
  severity?: string;
  namespace?: string;
  alertname?: string;
  cluster?: string;
}

export const FILTER_KEYS = ['phase', 'outcome', 'severity', 'namespace', 'alertname', 'cluster'] as const;

export function matches(row: Row, f: Filters): boolean {
  if (f.phase && row.phase !== f.phase) return false;
  if (f.outcome && row.outcome !== f.outcome) return false;
  if (f.severity && row.severity !== f.severity) return false;
  if (f.namespace && row.namespace !== f.namespace && row.alertNamespace !== f.namespace) return false;
  if (f.alertname && !row.alertname.toLowerCase().includes(f.alertname.toLowerCase())) return false;
  if (f.cluster && row.cluster !== f.cluster) return false;
  return true;
}

export function incidentPath(namespace: string, name: string): string {
  return `/incidents/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

function layout(title: string, user: WebUser | undefined, body: Safe, o: { live?: boolean; wide?: boolean } = {}): Safe {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · Alert Agent</title>
<link rel="stylesheet" href="/static/style.css">
${o.live ? html`<script src="/static/app.js" defer></script>` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/">Alert Agent</a>
  ${user
    ? html`<span class="who">Signed in as <strong data-testid="user">${user.username}</strong>${user.via === 'cookie'
        ? html` <form method="post" action="/logout" class="inline"><button type="submit" class="link">Sign out</button></form>`
        : ''}</span>`
    : ''}
</header>
<main id="main"${o.wide ? html` class="wide"` : ''}>
${body}
</main>
</body>
</html>`;
}

function badge(kind: string, value: string): Safe {
  return value ? html`<span class="badge ${kind}-${value.replace(/[^A-Za-z0-9]/g, '')}">${camelBreaks(value)}</span>` : html``;
}

/**
 * CamelCase with a line break allowed before each inner capital ("KubeDeployment<wbr>Replicas<wbr>Mismatch"),
 * so that alert names and outcomes wrap at word boundaries in a narrow column; the text is unchanged.
 * (The live list builds the same in /static/app.js.)
 */
function camelBreaks(s: string): Safe {
  return html`${s.split(/(?<=[a-z0-9])(?=[A-Z])/).map((w, i) => (i ? html`<wbr>${w}` : w))}`;
}

/** `clusters`: the Cluster column is shown (many clusters: some incident has one). */
export function rowCells(r: Row, now = Date.now(), clusters = false): Safe {
  return html`<td data-label="Name"><a href="${incidentPath(r.namespace, r.name)}">${r.name}</a></td>
<td data-label="Namespace">${r.namespace}</td>
<td data-label="Alert">${camelBreaks(r.alertname)}</td>
<td data-label="Severity">${badge('sev', r.severity)}</td>
<td data-label="Alert NS">${r.alertNamespace}</td>
${clusters ? html`<td data-label="Cluster">${r.cluster}</td>` : ''}
<td data-label="Phase">${badge('phase', r.phase)}${r.awaitingStep ? html` <span class="hint">step ${r.awaitingStep}</span>` : ''}</td>
<td data-label="Outcome">${badge('outcome', r.outcome)}</td>
<td data-label="Age"><time datetime="${r.created}" data-age>${age(r.created, now)}</time></td>
<td data-label="Summary" class="summary">${r.summary}</td>`;
}

// The filter offers every phase the resource has (one list: src/incident/types.ts).
const PHASES: string[] = [...ALL_PHASES];
const OUTCOMES = ['Resolved', 'NeedsManualIntervention'];

function select(name: string, label: string, values: string[], current?: string): Safe {
  return html`<label>${label} <select name="${name}">
<option value="">any</option>
${values.map((v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${v}</option>`)}
</select></label>`;
}

export function listPage(o: { user: WebUser; rows: Row[]; filters: Filters; severities: string[]; namespaces: string[]; clusters?: string[] }): Safe {
  const f = o.filters;
  const now = Date.now();
  // A single-cluster operator's incidents have no cluster: no column, no filter, the page as it was.
  const clusters = o.clusters ?? [];
  const shown = clusters.length > 0;
  const body = html`<h1>Incidents</h1>
<form class="filters" method="get" action="/" role="search" aria-label="Filter incidents">
${select('phase', 'Phase', PHASES, f.phase)}
${select('outcome', 'Outcome', OUTCOMES, f.outcome)}
${select('severity', 'Severity', o.severities, f.severity)}
${select('namespace', 'Namespace', o.namespaces, f.namespace)}
${shown ? select('cluster', 'Cluster', clusters, f.cluster) : ''}
<label>Alert <input type="search" name="alertname" value="${f.alertname ?? ''}" placeholder="alert name"></label>
<button type="submit">Filter</button>
</form>
<p class="live" aria-live="polite"><span id="live-state" data-state="connecting">Live updates: connecting</span> · <span id="count">${o.rows.length}</span> incidents</p>
<div class="table-wrap">
<table class="incidents" id="incidents">
<caption class="visually-hidden">AlertIncidents you may list, newest first</caption>
<thead><tr>${COLUMNS.filter(([k]) => shown || k !== 'cluster').map(([k, h]) => html`<th scope="col" data-col="${k}">${h}</th>`)}</tr></thead>
<tbody>
${o.rows.map((r) => html`<tr data-key="${r.namespace}/${r.name}">${rowCells(r, now, shown)}</tr>`)}
</tbody>
</table>
</div>
${o.rows.length ? '' : html`<p class="empty" id="empty">No incidents you may see match.</p>`}`;
  return layout('Incidents', o.user, body, { live: true, wide: true });
}

function pretty(json: string | undefined): string {
  if (!json) return '';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function kv(obj: Record<string, string>): Safe {
  const keys = Object.keys(obj).sort();
  if (!keys.length) return html`<p class="muted">none</p>`;
  return html`<dl class="kv">${keys.map((k) => html`<div><dt>${k}</dt><dd>${obj[k]}</dd></div>`)}</dl>`;
}

function stepView(s: Step): Safe {
  const tool = s.tool ? stepToolName(s) : '';
  return html`<li class="step" id="step-${s.index}">
<div class="step-head"><span class="idx">#${s.index}</span> <strong>${s.action}</strong>${tool ? html` <code>${tool}</code>` : ''}
${badge('state', s.state ?? '')}${s.mutating ? html` <span class="badge mutating">mutating</span>` : ''}${s.origin ? html` <span class="hint">${s.origin}</span>` : ''}
<time datetime="${s.time}">${s.time}</time></div>
${s.reasoning ? html`<p class="reasoning">${s.reasoning}</p>` : ''}
${s.arguments ? html`<details><summary>Arguments</summary><pre class="args">${pretty(s.arguments)}</pre></details>` : ''}
${s.policy ? html`<p class="policy">Policy: <strong>${s.policy.verdict}</strong>${s.policy.reason ? ` — ${s.policy.reason}` : ''}${s.policy.decidedBy ? html` <span class="hint">(${s.policy.decidedBy})</span>` : ''}</p>` : ''}
${s.result
  ? html`<details><summary>${s.result.ok ? 'Output' : 'Error'}${s.result.durationMs !== undefined ? ` · ${s.result.durationMs} ms` : ''}${s.result.truncated ? ' · truncated' : ''}</summary>
<pre class="output">${s.result.ok ? (s.result.output ?? '') : (s.result.error ?? s.result.output ?? '')}</pre></details>`
  : ''}
</li>`;
}

export const APPROVED_BY = 'alertagent.io/approved-by';
export const REJECTED_BY = 'alertagent.io/rejected-by';

export function incidentPage(o: {
  user: WebUser;
  inc: AlertIncident;
  canApprove: boolean;
  /** A finished report, and the person may patch the incident: the feedback form. */
  canFeedback?: boolean;
  csrf: string;
  related: Row[];
  notice?: string;
}): Safe {
  const { inc } = o;
  const st = inc.status ?? {};
  const steps = st.steps ?? [];
  const last = steps.at(-1);
  const waiting = st.phase === 'AwaitingApproval' && last?.state === 'AwaitingApproval' ? last : undefined;
  const ann = inc.metadata.annotations ?? {};
  const action = incidentPath(inc.metadata.namespace, inc.metadata.name);
  const approval = waiting
    ? html`<section class="approval" aria-labelledby="approval-h">
<h2 id="approval-h">Waiting for approval: step ${waiting.index}</h2>
<p>The operator will run <code data-testid="approval-tool">${stepToolName(waiting)}</code> with exactly these arguments:</p>
<pre class="args" data-testid="approval-args">${pretty(waiting.arguments)}</pre>
${waiting.dryRun?.diff ? html`<p>What it would change (the API server's dry run; nothing was stored):</p><pre class="diff" data-testid="approval-diff">${waiting.dryRun.diff}</pre>` : waiting.dryRun?.note ? html`<p class="hint" data-testid="approval-diff">${waiting.dryRun.note}</p>` : ''}
${waiting.reasoning ? html`<p class="reasoning">${waiting.reasoning}</p>` : ''}
${o.canApprove
  ? html`<div class="buttons">
<form method="post" action="${action}/approve"><input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="step" value="${waiting.index}"><button type="submit" class="approve">Approve step ${waiting.index}</button></form>
<form method="post" action="${action}/reject"><input type="hidden" name="csrf" value="${o.csrf}"><input type="hidden" name="step" value="${waiting.index}"><label for="reject-reason">Why (optional; the next incident of this alert reads it)</label> <input type="text" id="reject-reason" name="reason" maxlength="1024"> <button type="submit" class="reject">Reject step ${waiting.index}</button></form>
</div>
<p class="hint">Same as <code>kubectl annotate alertincident -n ${inc.metadata.namespace} ${inc.metadata.name} alertagent.io/approve=${waiting.index}</code></p>`
  : html`<p class="muted">You may not approve this: it needs <code>patch</code> on alertincidents in namespace ${inc.metadata.namespace}.</p>`}
</section>`
    : '';
  const decided = [ann[APPROVED_BY] ? html`<p class="decided">Approved by <strong data-testid="approved-by">${ann[APPROVED_BY]}</strong></p>` : '', ann[REJECTED_BY] ? html`<p class="decided">Rejected by <strong data-testid="rejected-by">${ann[REJECTED_BY]}</strong></p>` : ''];
  const usage = st.usage;
  const body = html`<nav aria-label="Breadcrumb" class="crumbs"><a href="/">Incidents</a> / ${inc.metadata.namespace} / ${inc.metadata.name}</nav>
<h1>${inc.spec.alertname} <span class="hint">${inc.metadata.name}</span></h1>
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<p class="badges">${badge('phase', st.phase ?? 'Pending')} ${badge('outcome', st.outcome ?? '')} ${badge('sev', inc.spec.severity ?? '')} <span class="hint">${inc.spec.status}</span></p>
${st.summary ? html`<p class="summary-line" data-testid="summary">${st.summary}</p>` : ''}
${st.rootCause ? html`<section aria-labelledby="rc-h"><h2 id="rc-h">Root cause</h2><p>${st.rootCause}</p></section>` : ''}
${st.failureReason ? html`<p class="notice">Failed: ${st.failureReason}</p>` : ''}
${st.gitChanges?.length ? html`<p class="tickets" data-testid="git-changes">Changes proposed in Git: ${st.gitChanges.map((g) => html`${/^https?:\/\//.test(g.url ?? '') ? html`<a href="${g.url}" rel="noopener noreferrer">step ${g.step}${g.number !== undefined ? ` #${g.number}` : ''}</a>` : `step ${g.step}`} <span class="hint">(${g.provider}, ${g.state}${g.message ? `: ${g.message}` : ''})</span> `)}</p>` : ''}
${st.tickets?.some((t) => t.key) ? html`<p class="tickets" data-testid="tickets">Tickets: ${st.tickets.filter((t) => t.key).map((t) => html`${/^https?:\/\//.test(t.url ?? '') ? html`<a href="${t.url}" rel="noopener noreferrer">${t.key}</a>` : t.key} <span class="hint">(${t.tracker}, ${t.state})</span> `)}</p>` : ''}
${approval}
${decided}
${feedbackSection(inc, o.canFeedback === true, o.csrf)}
<section aria-labelledby="report-h"><h2 id="report-h">Report</h2>
${st.report ? html`<article class="report" data-testid="report">${markdown(st.report)}</article>` : html`<p class="muted">No report yet.</p>`}
</section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>
${steps.length ? html`<ol class="timeline">${steps.map(stepView)}</ol>` : html`<p class="muted">No steps yet.</p>`}
</section>
<section aria-labelledby="alert-h"><h2 id="alert-h">The alert</h2>
<dl class="kv">
<div><dt>Status</dt><dd>${inc.spec.status}</dd></div>
${inc.spec.cluster !== undefined ? html`<div><dt>Cluster</dt><dd>${inc.spec.cluster || '(none)'}</dd></div>` : ''}
<div><dt>Starts at</dt><dd>${inc.spec.startsAt}</dd></div>
${inc.spec.endsAt ? html`<div><dt>Ends at</dt><dd>${inc.spec.endsAt}</dd></div>` : ''}
<div><dt>Fingerprint</dt><dd>${inc.spec.fingerprint}</dd></div>
${inc.spec.receiver ? html`<div><dt>Receiver</dt><dd>${inc.spec.receiver}</dd></div>` : ''}
${inc.spec.generatorURL ? html`<div><dt>Source</dt><dd>${inc.spec.generatorURL}</dd></div>` : ''}
${inc.spec.notifications ? html`<div><dt>Notifications</dt><dd>${inc.spec.notifications.count}, last ${inc.spec.notifications.lastReceivedAt ?? ''}</dd></div>` : ''}
</dl>
<h3>Labels</h3>${kv(inc.spec.labels)}
<h3>Annotations</h3>${kv(inc.spec.annotations)}
</section>
<section aria-labelledby="cond-h"><h2 id="cond-h">Conditions</h2>
${st.conditions?.length
  ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead><tbody>
${st.conditions.map((c) => html`<tr><td>${c.type}</td><td>${c.status}</td><td>${c.reason}</td><td>${c.message ?? ''}</td><td>${c.lastTransitionTime}</td></tr>`)}</tbody></table></div>`
  : html`<p class="muted">none</p>`}
</section>
<section aria-labelledby="usage-h"><h2 id="usage-h">Usage</h2>
<dl class="kv">
<div><dt>Investigator</dt><dd>${st.investigator ?? ''}</dd></div>
<div><dt>LLM calls</dt><dd>${usage?.llmCalls ?? 0}</dd></div>
<div><dt>Prompt tokens</dt><dd>${usage?.promptTokens ?? 0}</dd></div>
<div><dt>Completion tokens</dt><dd>${usage?.completionTokens ?? 0}</dd></div>
<div><dt>Started</dt><dd>${st.startedAt ?? ''}</dd></div>
<div><dt>Completed</dt><dd>${st.completedAt ?? ''}</dd></div>
</dl>
</section>
<section aria-labelledby="related-h"><h2 id="related-h">Related incidents</h2>
${o.related.length
  ? html`<ul class="related">${o.related.map((r) => html`<li><a href="${incidentPath(r.namespace, r.name)}">${r.name}</a> ${badge('phase', r.phase)} ${badge('outcome', r.outcome)} <span class="hint">${age(r.created)} ago</span> ${r.summary}</li>`)}</ul>`
  : html`<p class="muted">none</p>`}
</section>`;
  return layout(`${inc.spec.alertname} ${inc.metadata.name}`, o.user, body);
}

/** What people said of the report (status.feedback as recorded, else the annotations), and the form to say it. */
function feedbackSection(inc: AlertIncident, canFeedback: boolean, csrf: string): Safe {
  const ann = inc.metadata.annotations ?? {};
  const f = inc.status?.feedback;
  const verdict = f?.verdict ?? ann['alertagent.io/feedback'];
  const cause = f?.actualCause ?? ann['alertagent.io/actual-cause'];
  const fixed = f?.fixedBy ?? ann['alertagent.io/fixed-by'];
  if (!canFeedback && !verdict && !fixed) return html``;
  const action = incidentPath(inc.metadata.namespace, inc.metadata.name);
  return html`<section class="feedback" aria-labelledby="feedback-h"><h2 id="feedback-h">Was this report right?</h2>
${verdict ? html`<p class="decided">Marked <strong data-testid="feedback-verdict">${verdict}</strong>${f?.by ?? ann['alertagent.io/feedback-by'] ? html` by <strong>${f?.by ?? ann['alertagent.io/feedback-by']}</strong>` : ''}${cause ? html`; actual cause: <span data-testid="feedback-cause">${cause}</span>` : ''}${f ? html` <span class="hint">(recorded${f.inHistory ? ' in the history of this alert' : ''})</span>` : ''}</p>` : ''}
${fixed ? html`<p class="decided">Fixed by hand: ${fixed}</p>` : ''}
${canFeedback
  ? html`<div class="buttons">
<form method="post" action="${action}/feedback"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="verdict" value="correct"><button type="submit" class="approve">Correct</button></form>
<form method="post" action="${action}/feedback"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="verdict" value="wrong"><label for="actual-cause">Actual cause (optional)</label> <input type="text" id="actual-cause" name="cause" maxlength="1024"> <button type="submit" class="reject">Wrong</button></form>
</div>
<p class="hint">The next incident of this alert on this object reads it. Same as <code>kubectl alertincident feedback ${inc.metadata.name} -n ${inc.metadata.namespace} correct|wrong --cause "…"</code></p>`
  : ''}
</section>`;
}

export function loginPage(o: { error?: string; next?: string; proxy?: boolean }): Safe {
  const body = html`<h1>Sign in</h1>
${o.error ? html`<p class="notice" role="alert">${o.error}</p>` : ''}
${o.proxy
  ? html`<p>This view is behind an authenticating proxy, which did not name you. Sign in through it.</p>`
  : html`<form method="post" action="/login" class="login">
<label for="token">Kubernetes bearer token</label>
<textarea id="token" name="token" rows="4" required autocomplete="off" spellcheck="false"></textarea>
<input type="hidden" name="next" value="${o.next ?? '/'}">
<button type="submit">Sign in</button>
</form>
<p class="hint">Get one with <code>kubectl create token SERVICEACCOUNT -n NAMESPACE</code>, or use your own. The API server checks it (TokenReview); what you may see and approve is what your RBAC allows on <code>alertincidents</code>.</p>`}`;
  return layout('Sign in', undefined, body);
}

export function errorPage(status: number, message: string, user?: WebUser): Safe {
  return layout(String(status), user, html`<h1>${status}</h1><p class="notice" role="alert" data-testid="error">${message}</p><p><a href="/">Back to the incidents</a></p>`);
}

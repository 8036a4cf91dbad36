// The stylesheet and the one script, served from /static/ (the CSP allows scripts and styles from
// 'self' only). Kept as strings so the build ships them without a copy step.

export const STYLE_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de; --card: #f6f8fa;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --card: #161b22;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; --info: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--info); }
:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.who { color: var(--muted); }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
main.wide { max-width: 1800px; }
h1 { font-size: 1.5rem; margin: .2rem 0 .8rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin-top: 1.6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
.hint, .muted { color: var(--muted); font-size: .9em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: .5rem; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
select, input, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .35rem .5rem; min-height: 2.2rem; }
button { cursor: pointer; background: var(--card); }
button.approve { background: var(--ok); color: #fff; border-color: var(--ok); font-weight: 600; }
button.reject { background: var(--bad); color: #fff; border-color: var(--bad); font-weight: 600; }
button.link { border: 0; background: none; color: var(--info); padding: 0; min-height: 0; text-decoration: underline; }
form.inline { display: inline; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); white-space: nowrap; }
td.summary { min-width: 16rem; }
/* The list fits a 1280 px window: names and namespaces wrap at hyphens, alert names and badges at their
   inner capitals (<wbr>), so the summary keeps the room that is left. */
table.incidents .badge { white-space: normal; border-radius: .8rem; }
table.incidents td { overflow-wrap: break-word; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; border: 1px solid var(--line); white-space: nowrap; }
.phase-AwaitingApproval, .sev-warning, .outcome-NeedsManualIntervention { color: var(--warn); border-color: var(--warn); }
.phase-Failed, .sev-critical, .state-Failed, .state-Rejected, .state-Blocked, .mutating { color: var(--bad); border-color: var(--bad); }
.phase-Reported, .outcome-Resolved, .state-Succeeded { color: var(--ok); border-color: var(--ok); }
.phase-Analyzing, .phase-Executing, .phase-Verifying, .sev-info { color: var(--info); border-color: var(--info); }
.live { color: var(--muted); font-size: .9rem; }
.notice { padding: .5rem .75rem; border-left: 4px solid var(--warn); background: var(--card); }
.approval { border: 2px solid var(--warn); border-radius: 8px; padding: .5rem 1rem 1rem; margin: 1rem 0; }
.approval h2 { margin-top: .3rem; border: 0; }
.buttons { display: flex; flex-wrap: wrap; gap: .75rem; }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; max-height: 28rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
.timeline { list-style: none; padding: 0; }
.step { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .75rem; margin: .5rem 0; }
.step-head { display: flex; flex-wrap: wrap; gap: .3rem .6rem; align-items: baseline; }
.step-head time { margin-left: auto; color: var(--muted); font-size: .8rem; }
.idx { color: var(--muted); }
details summary { cursor: pointer; color: var(--info); }
.kv { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr; gap: .2rem 1rem; margin: .3rem 0; }
.kv div { display: contents; }
.kv dt { color: var(--muted); overflow-wrap: anywhere; }
.kv dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
.report { border: 1px solid var(--line); border-radius: 8px; padding: 0 1rem; overflow-wrap: anywhere; }
.crumbs { font-size: .9rem; color: var(--muted); overflow-wrap: anywhere; }
.login { display: flex; flex-direction: column; gap: .5rem; max-width: 40rem; }
.related { padding-left: 1.2rem; }
@media (max-width: 700px) {
  table.incidents thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.incidents tr { display: block; border: 1px solid var(--line); border-radius: 8px; margin: .5rem 0; padding: .3rem .5rem; }
  table.incidents td { display: flex; gap: .5rem; border: 0; padding: .15rem 0; }
  table.incidents td::before { content: attr(data-label); color: var(--muted); min-width: 6rem; font-size: .85rem; }
  td.summary { min-width: 0; }
  .kv { grid-template-columns: 1fr; }
}
`;

// Live list: server-sent events from /events (same filters as the page), rows built with textContent.
export const APP_JS = `'use strict';
(function () {
  var table = document.getElementById('incidents');
  if (!table) return;
  var tbody = table.tBodies[0];
  var state = document.getElementById('live-state');
  var count = document.getElementById('count');
  var params = new URLSearchParams(location.search);
  var f = {};
  ['phase', 'outcome', 'severity', 'namespace', 'alertname', 'cluster'].forEach(function (k) { f[k] = params.get(k) || ''; });
  // The Cluster column, when the page shows it (many clusters).
  var clusterColumn = !!document.querySelector('th[data-col="cluster"]');
  function matches(r) {
    if (f.phase && r.phase !== f.phase) return false;
    if (f.outcome && r.outcome !== f.outcome) return false;
    if (f.severity && r.severity !== f.severity) return false;
    if (f.namespace && r.namespace !== f.namespace && r.alertNamespace !== f.namespace) return false;
    if (f.alertname && r.alertname.toLowerCase().indexOf(f.alertname.toLowerCase()) < 0) return false;
    if (f.cluster && r.cluster !== f.cluster) return false;
    return true;
  }
  function age(iso) {
    var t = Date.parse(iso);
    if (!isFinite(t)) return '';
    var s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    if (s < 120) return s + 's';
    if (s < 7200) return Math.floor(s / 60) + 'm';
    if (s < 172800) return Math.floor(s / 3600) + 'h';
    return Math.floor(s / 86400) + 'd';
  }
  function cell(label, cls) {
    var td = document.createElement('td');
    td.setAttribute('data-label', label);
    if (cls) td.className = cls;
    return td;
  }
  // CamelCase with a line break allowed before each inner capital, as the server renders it (views.ts camelBreaks).
  function words(el, text) {
    text.replace(/([a-z0-9])([A-Z])/g, '$1\u0000$2').split('\u0000').forEach(function (w, i) {
      if (i) el.appendChild(document.createElement('wbr'));
      el.appendChild(document.createTextNode(w));
    });
  }
  function badge(td, kind, value) {
    if (!value) return;
    var s = document.createElement('span');
    s.className = 'badge ' + kind + '-' + value.replace(/[^A-Za-z0-9]/g, '');
    words(s, value);
    td.appendChild(s);
  }
  function build(r) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-key', r.namespace + '/' + r.name);
    var td = cell('Name');
    var a = document.createElement('a');
    a.href = '/incidents/' + encodeURIComponent(r.namespace) + '/' + encodeURIComponent(r.name);
    a.textContent = r.name;
    td.appendChild(a);
    tr.appendChild(td);
    td = cell('Namespace'); td.textContent = r.namespace; tr.appendChild(td);
    td = cell('Alert'); words(td, r.alertname); tr.appendChild(td);
    td = cell('Severity'); badge(td, 'sev', r.severity); tr.appendChild(td);
    td = cell('Alert NS'); td.textContent = r.alertNamespace; tr.appendChild(td);
    if (clusterColumn) { td = cell('Cluster'); td.textContent = r.cluster || ''; tr.appendChild(td); }
    td = cell('Phase'); badge(td, 'phase', r.phase);
    if (r.awaitingStep) { var h = document.createElement('span'); h.className = 'hint'; h.textContent = ' step ' + r.awaitingStep; td.appendChild(h); }
    tr.appendChild(td);
    td = cell('Outcome'); badge(td, 'outcome', r.outcome); tr.appendChild(td);
    td = cell('Age');
    var t = document.createElement('time'); t.setAttribute('datetime', r.created); t.setAttribute('data-age', ''); t.textContent = age(r.created);
    td.appendChild(t); tr.appendChild(td);
    td = cell('Summary', 'summary'); td.textContent = r.summary; tr.appendChild(td);
    return tr;
  }
  function find(key) {
    for (var i = 0; i < tbody.rows.length; i++) if (tbody.rows[i].getAttribute('data-key') === key) return tbody.rows[i];
    return null;
  }
  function counted() {
    count.textContent = String(tbody.rows.length);
    var empty = document.getElementById('empty');
    if (empty && tbody.rows.length) empty.remove();
  }
  var es = new EventSource('/events' + location.search);
  // After a reconnect (the server closes a stream that fell behind) the list is read again: changes made
  // in between were never sent.
  var lost = false;
  function resync() {
    fetch('/api/incidents' + location.search, { headers: { accept: 'application/json' } }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
      if (!j) return;
      while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
      j.items.forEach(function (r) { if (matches(r)) tbody.appendChild(build(r)); });
      counted();
    }).catch(function () {});
  }
  es.addEventListener('open', function () {
    state.textContent = 'Live updates: on'; state.setAttribute('data-state', 'open');
    if (lost) { lost = false; resync(); }
  });
  es.addEventListener('error', function () {
    lost = true;
    // A refused stream (429: too many open pages) is not retried by the browser.
    var closed = es.readyState === 2;
    state.textContent = closed ? 'Live updates: off (too many open pages?) - reload later' : 'Live updates: reconnecting';
    state.setAttribute('data-state', closed ? 'closed' : 'error');
  });
  es.addEventListener('upsert', function (ev) {
    var r = JSON.parse(ev.data);
    var key = r.namespace + '/' + r.name;
    var old = find(key);
    if (!matches(r)) { if (old) old.remove(); counted(); return; }
    var tr = build(r);
    if (old) tbody.replaceChild(tr, old); else tbody.insertBefore(tr, tbody.firstChild);
    counted();
  });
  es.addEventListener('delete', function (ev) {
    var r = JSON.parse(ev.data);
    var old = find(r.namespace + '/' + r.name);
    if (old) old.remove();
    counted();
  });
  setInterval(function () {
    var ts = document.querySelectorAll('time[data-age]');
    for (var i = 0; i < ts.length; i++) ts[i].textContent = age(ts[i].getAttribute('datetime'));
  }, 15000);
})();
`;

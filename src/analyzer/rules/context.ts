// Context beyond the alert's object, added to every rule: what changed before the alert (recent_changes:
// a new revision and its pod-template differences, ConfigMap updates, node condition changes) and what
// the metrics say (query_prometheus, only when a Prometheus is configured: memory against the limit
// before an OOM, the CPU throttling ratio, a volume's fill rate and time to full, which targets are down).
// The calls go after the rule's own plan; the finding gains a sentence, quotes and recommendations.
import type { Change, PrometheusData, RecentChangesData, SeriesSummary } from '../../contracts/toolData.js';
import { clip, memoryText, podInfo, quantity, type Evidence } from '../evidence.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';

type Target = { kind: 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Node' | 'PersistentVolumeClaim'; name: string; namespace?: string };

const POD_RULES = new Set(['pod', 'cpu-throttling']);
const MEMORY_WINDOW_MIN = 60;
const CPU_WINDOW_MIN = 60;
const VOLUME_WINDOW_MIN = 360;
const TARGET_WINDOW_MIN = 30;

/** The object whose changes explain the alert, once the rule has read it (a pod that no longer exists has none). */
function changeTarget(ruleId: string, a: AlertInfo, ev: Evidence): Target | undefined {
  const ns = a.namespace;
  if (POD_RULES.has(ruleId) && ns && a.pod && ev.data('describe_pod', { name: a.pod, namespace: ns })) return { kind: 'Pod', name: a.pod, namespace: ns };
  if (ruleId === 'workload' && ns) {
    if (a.deployment && ev.data('describe_deployment', { name: a.deployment, namespace: ns })) return { kind: 'Deployment', name: a.deployment, namespace: ns };
    if (a.statefulset && ev.data('describe_statefulset', { name: a.statefulset, namespace: ns })) return { kind: 'StatefulSet', name: a.statefulset, namespace: ns };
    if (a.daemonset && ev.data('describe_daemonset', { name: a.daemonset, namespace: ns })) return { kind: 'DaemonSet', name: a.daemonset, namespace: ns };
  }
  if (ruleId === 'node' && a.node && ev.data('describe_node', { name: a.node })) return { kind: 'Node', name: a.node };
  return undefined;
}

const args = (t: Target, a: AlertInfo) => ({ kind: t.kind, name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}), ...(a.startsAt ? { before: a.startsAt } : {}) });
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

// ── the PromQL each alert gets ────────────────────────────────────────────────────────────────────

interface MetricQuery {
  what: 'memory' | 'cpu-throttling' | 'volume' | 'targets';
  query: string;
  rangeMinutes: number;
}

function metricQuery(ruleId: string, a: AlertInfo, ev: Evidence): MetricQuery | undefined {
  const ns = a.namespace;
  if (ruleId === 'pod' && ns && a.pod) {
    const info = podInfo(ev.data('describe_pod', { name: a.pod, namespace: ns }));
    const oom = info.containers.find((c) => c.lastReason === 'OOMKilled' || c.reason === 'OOMKilled');
    if (!oom && !/oom/i.test(a.name)) return undefined;
    const c = oom?.name ?? a.container;
    const sel = `namespace="${label(ns)}",pod="${label(a.pod)}",${c ? `container="${label(c)}"` : 'container!="",container!="POD"'}`;
    return { what: 'memory', query: `max by (container) (container_memory_working_set_bytes{${sel}})`, rangeMinutes: MEMORY_WINDOW_MIN };
  }
  if (ruleId === 'cpu-throttling' && ns && a.pod) {
    const sel = `namespace="${label(ns)}",pod="${label(a.pod)}"${a.container ? `,container="${label(a.container)}"` : ''}`;
    return {
      what: 'cpu-throttling',
      query: `sum by (container) (increase(container_cpu_cfs_throttled_periods_total{${sel}}[5m])) / sum by (container) (increase(container_cpu_cfs_periods_total{${sel}}[5m]))`,
      rangeMinutes: CPU_WINDOW_MIN,
    };
  }
  if (ruleId === 'pvc' && ns && a.pvc) {
    const sel = `namespace="${label(ns)}",persistentvolumeclaim="${label(a.pvc)}"`;
    return { what: 'volume', query: `max(kubelet_volume_stats_used_bytes{${sel}}) / max(kubelet_volume_stats_capacity_bytes{${sel}})`, rangeMinutes: VOLUME_WINDOW_MIN };
  }
  if (ruleId === 'target-down' && a.scrapeJob) {
    return { what: 'targets', query: `up{job="${label(a.scrapeJob)}"${ns ? `,namespace="${label(ns)}"` : ''}}`, rangeMinutes: TARGET_WINDOW_MIN };
  }
  return undefined;
}

const metricArgs = (m: MetricQuery, a: AlertInfo) => ({ query: m.query, rangeMinutes: m.rangeMinutes, ...(a.startsAt ? { time: a.startsAt } : {}) });

export function contextCalls(ruleId: string, a: AlertInfo, ev: Evidence): Call[] {
  const calls: Call[] = [];
  const t = changeTarget(ruleId, a, ev);
  if (t) {
    calls.push({
      tool: 'recent_changes',
      args: args(t, a),
      why: `What changed before the alert: new revisions of ${t.kind === 'Pod' ? "the pod's workload" : `${t.kind.toLowerCase()} ${t.name}`} and their differences, ConfigMap updates, node and scaling changes.`,
    });
  }
  const m = metricQuery(ruleId, a, ev);
  if (m) {
    const why = {
      memory: `Memory of the container against its limit in the ${m.rangeMinutes} minutes before the OOM: a steady climb (leak) or a spike?`,
      'cpu-throttling': `Share of CPU periods throttled over the last ${m.rangeMinutes} minutes.`,
      volume: `How fast the volume fills and when it will be full (last ${m.rangeMinutes / 60} hours).`,
      targets: `Which targets of job ${a.scrapeJob} are down, and since when.`,
    }[m.what];
    calls.push({ tool: 'query_prometheus', args: metricArgs(m, a), why });
  }
  return calls;
}

// ── reading the results ───────────────────────────────────────────────────────────────────────────

const minutesBetween = (from: string, to: string | undefined) => {
  const d = (Date.parse(to ?? '') - Date.parse(from)) / 60_000;
  return Number.isFinite(d) ? Math.max(0, Math.round(d)) : undefined;
};
const changeLine = (c: Change) => clip(`${c.at} [${c.type}] ${c.summary}`, 400);

function changesFinding(ruleId: string, a: AlertInfo, ev: Evidence, f: Finding): void {
  const t = changeTarget(ruleId, a, ev);
  if (!t) return;
  const d: RecentChangesData | undefined = ev.data('recent_changes', { kind: t.kind, name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) });
  if (!d) return;
  const before = d.changes.filter((c) => !c.afterStart);
  const src = `recent_changes ${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
  const quotes: Quote[] = [];
  const sentences: string[] = [];
  const rollout = before.find((c) => c.type === 'rollout' && c.previousRevision !== undefined);
  if (rollout) {
    const ago = minutesBetween(rollout.at, a.startsAt ?? d.until);
    let ownsPod = false;
    if (t.kind === 'Pod' && t.namespace) {
      const owner = podInfo(ev.data('describe_pod', { name: t.name, namespace: t.namespace })).owner;
      ownsPod = !!owner && owner.kind === 'ReplicaSet' && owner.name === rollout.replicaSet;
    }
    const diffs = (rollout.details ?? []).slice(0, 4);
    sentences.push(
      `It follows a change: ${rollout.object} rolled out revision ${rollout.revision}${rollout.replicaSet ? ` (ReplicaSet ${rollout.replicaSet})` : ''} at ${rollout.at}` +
        `${ago !== undefined ? `, ${ago} minutes before the alert` : ''}` +
        `${ownsPod ? ', and the failing pod belongs to that new revision' : ''}` +
        `; from revision ${rollout.previousRevision}: ${diffs.length ? diffs.join('; ') : 'no pod-template difference'}.`,
    );
    quotes.push(...quote(src, [changeLine(rollout), ...diffs.map((x) => `  ${x}`)]));
    const w = rollout.object.split('/');
    if (w[0] === 'Deployment' && t.namespace) {
      f.recommendations.unshift(
        `The problem started with revision ${rollout.revision} of deployment ${w[1]}; return to revision ${rollout.previousRevision} while it is fixed: \`kubectl rollout undo deployment/${w[1]} -n ${t.namespace} --to-revision=${rollout.previousRevision}\``,
      );
    } else if (t.namespace) {
      f.recommendations.unshift(`The problem started with the new revision of ${rollout.object.toLowerCase()}; undo it while it is fixed: \`kubectl rollout undo ${rollout.object.toLowerCase()} -n ${t.namespace}\``);
    }
  }
  const config = before.filter((c) => c.type === 'config').slice(0, 2);
  if (config.length) {
    sentences.push(`Configuration changed before it: ${config.map((c) => `${c.summary} at ${c.at}`).join('; ')}.`);
    quotes.push(...quote(src, config.map(changeLine)));
  }
  // Only transitions for the worse (a node joining or turning Ready is no cause).
  const node = before.filter((c) => c.type === 'node' && /Ready became (False|Unknown)|(Pressure|NetworkUnavailable) became True|NodeNotReady|Rebooted|unschedulable|NotSchedulable/.test(c.summary)).slice(0, 3);
  if (node.length && (t.kind === 'Node' || !rollout)) {
    sentences.push(`Node changes before it: ${node.map((c) => `${c.summary} at ${c.at}`).join('; ')}.`);
    quotes.push(...quote(src, node.map(changeLine)));
  }
  const unreadSecrets = d.unreadable.filter((u) => u.object.startsWith('Secret/')).map((u) => u.object.slice(7));
  if (sentences.length) f.rootCause = `${f.rootCause} ${sentences.join(' ')}`;
  else if (before.length === 0) quotes.push(...quote(src, [`no changes to ${d.objects.join(', ')} in ${d.since} – ${d.until}`]));
  if (unreadSecrets.length && (sentences.length || !before.length)) quotes.push(...quote(src, [`Secrets ${unreadSecrets.join(', ')}: not readable by design (their changes cannot be listed)`]));
  f.quotes.push(...quotes);
}

function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined ? '?' : `${Math.round(v * 1000) / 10}%`;
}

function seriesName(s: SeriesSummary): string {
  return Object.entries(s.labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function metricsFinding(ruleId: string, a: AlertInfo, ev: Evidence, f: Finding): void {
  const m = metricQuery(ruleId, a, ev);
  if (!m) return;
  const d: PrometheusData | undefined = ev.data('query_prometheus', { query: m.query });
  const src = `query_prometheus ${m.query}`;
  if (!d) return;
  if (!d.series.length) {
    f.quotes.push(...quote(src, [`no data over the ${m.rangeMinutes} minutes before the alert (the metric is not scraped, or no series matches)`]));
    return;
  }
  const s = d.series[0];
  if (m.what === 'memory') {
    const pod = podInfo(ev.data('describe_pod', { name: a.pod ?? '', namespace: a.namespace ?? '' }));
    const c = pod.containers.find((x) => x.name === s.labels.container) ?? pod.containers.find((x) => x.lastReason === 'OOMKilled');
    const limit = quantity(c?.limits.memory);
    const mem = (v: number | null | undefined) => (v === null || v === undefined ? '?' : memoryText(v));
    const rate = s.slopePerHour !== undefined && s.trend === 'rising' ? ` (+${memoryText(s.slopePerHour)}/h)` : '';
    let text = `Prometheus: the working set of container ${s.labels.container ?? c?.name ?? '?'} went from ${mem(s.first)} to ${mem(s.last)} in the ${m.rangeMinutes} minutes before the alert, trend ${s.trend}${rate}, peak ${mem(s.max)}`;
    if (limit && s.max !== null) text += ` = ${Math.round((s.max / limit) * 100)}% of its ${c?.limits.memory} limit`;
    if (limit && s.last !== null && s.last < limit && s.trend === 'rising' && (s.slopePerHour ?? 0) > 0) {
      text += `; at that rate it reaches the limit in about ${Math.max(1, Math.round(((limit - s.last) / s.slopePerHour!) * 60))} minutes`;
    }
    f.rootCause = `${f.rootCause} ${text}.`;
    f.quotes.push(...quote(src, [`${seriesName(s)}: first ${mem(s.first)}, last ${mem(s.last)}, min ${mem(s.min)}, max ${mem(s.max)}, trend ${s.trend}${rate}`]));
    if (s.trend === 'rising') f.recommendations.push('Memory climbs steadily before the kill, which points to a leak or an unbounded cache: a higher limit only postpones the next OOM; profile the heap');
  } else if (m.what === 'cpu-throttling') {
    f.rootCause = `${f.rootCause} Prometheus: ${fmtPct(s.last)} of CPU periods were throttled in the last 5 minutes before the alert (peak ${fmtPct(s.max)} over ${m.rangeMinutes} minutes, trend ${s.trend}).`;
    f.quotes.push(...quote(src, d.series.slice(0, 3).map((x) => `${seriesName(x) || 'all'}: throttled ${fmtPct(x.last)} (max ${fmtPct(x.max)}, min ${fmtPct(x.min)})`)));
  } else if (m.what === 'volume') {
    const perHour = s.slopePerHour ?? 0;
    const full = s.last !== null && perHour > 0 ? ((1 - s.last) / perHour) : undefined;
    f.rootCause =
      `${f.rootCause} Prometheus: the volume is ${fmtPct(s.last)} full` +
      (perHour > 0 ? `, filling at ${fmtPct(perHour)} of its capacity per hour over the last ${m.rangeMinutes / 60} hours; at that rate it is full in about ${full! < 1 ? `${Math.max(1, Math.round(full! * 60))} minutes` : `${Math.round(full! * 10) / 10} hours`}` : `, not growing over the last ${m.rangeMinutes / 60} hours (trend ${s.trend})`) +
      '.';
    f.quotes.push(...quote(src, [`used/capacity: first ${fmtPct(s.first)}, last ${fmtPct(s.last)}, trend ${s.trend}${perHour ? ` (${perHour > 0 ? '+' : ''}${fmtPct(perHour)}/h)` : ''}`]));
  } else {
    const down = d.series.filter((x) => x.last === 0);
    const up = d.series.filter((x) => x.last === 1);
    f.rootCause = `${f.rootCause} Prometheus: ${down.length} of ${d.seriesTotal} targets of job ${a.scrapeJob} are down now${down.length ? ` (${down.slice(0, 5).map((x) => x.labels.instance ?? seriesName(x)).join(', ')})` : ''}${up.length ? `, ${up.length} up` : ''}.`;
    f.quotes.push(...quote(src, d.series.slice(0, 5).map((x) => `${x.labels.instance ?? seriesName(x)}: up=${x.last ?? '?'} (min ${x.min ?? '?'} over ${m.rangeMinutes} minutes)`)));
  }
}

/** A rule with the context calls after its own plan, and their findings in its conclusion. */
export function withContext(rule: Rule): Rule {
  return {
    ...rule,
    plan: (a, ev) => {
      const own = rule.plan(a, ev);
      return own.length ? [...own, ...contextCalls(rule.id, a, ev)] : own;
    },
    analyse: (a, ev) => {
      const f = rule.analyse(a, ev);
      if (f.resolved) return f;
      const out: Finding = { ...f, quotes: [...f.quotes], recommendations: [...f.recommendations] };
      changesFinding(rule.id, a, ev, out);
      metricsFinding(rule.id, a, ev, out);
      return out;
    },
  };
}


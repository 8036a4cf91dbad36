// ResourceQuota alerts (KubeQuotaAlmostFull, KubeQuotaFullyUsed, KubeQuotaExceeded): the quota's hard
// limits against its usage, and what it refuses (FailedCreate events naming it).
import { clip, eventsBy, isNotFound, type Evidence } from '../evidence.js';
import { quote, type Call, type Quote, type Rule } from './types.js';
import { parseQuantity } from '../../util/quantity.js';
import { quotaRoomFix } from './fixes.js';

/** A quota's hard or used figure (a quantity as the API writes it) in base units. */
const amount = (v: unknown): number | undefined => (typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined);

export const quotaRule: Rule = {
  id: 'quota',
  matches: (a) => /^KubeQuota(AlmostFull|FullyUsed|Exceeded)$/.test(a.name),
  plan(a, ev: Evidence) {
    void ev;
    const name = a.labels.resourcequota;
    if (!a.namespace) return [];
    const calls: Call[] = [];
    if (name) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ResourceQuota', name, namespace: a.namespace }, why: `Read ResourceQuota ${a.namespace}/${name}: its hard limits against what is used.` });
    calls.push({ tool: 'get_events', args: { namespace: a.namespace, type: 'Warning', limit: 40 }, why: `What the quota refuses in ${a.namespace} (FailedCreate events).` });
    return calls;
  },
  analyse(a, ev) {
    const name = a.labels.resourcequota;
    const ns = a.namespace;
    if (!ns || !name) {
      return { resolved: false, summary: `${a.name}: the alert names no ResourceQuota`, rootCause: 'The alert has no namespace/resourcequota labels.', quotes: [], recommendations: ['`kubectl describe resourcequota -A`'] };
    }
    const src = `get_resource ResourceQuota ${ns}/${name}`;
    const q: any = ev.data('get_resource', { kind: 'ResourceQuota', name, namespace: ns })?.object;
    if (!q) {
      const err = ev.failure('get_resource', { kind: 'ResourceQuota', name, namespace: ns });
      if (isNotFound(err)) return { resolved: true, summary: `${a.name}: ResourceQuota ${ns}/${name} no longer exists`, rootCause: `The quota was deleted (${clip(err ?? '', 200)}).`, quotes: quote(src, [err]), recommendations: [] };
      return { resolved: false, summary: `${a.name}: ResourceQuota ${ns}/${name} could not be read`, rootCause: `The quota could not be read${err ? `: ${clip(err, 300)}` : ''}.`, quotes: quote(src, [err]), recommendations: [`\`kubectl describe resourcequota -n ${ns} ${name}\``] };
    }
    const hard: Record<string, unknown> = q.status?.hard ?? q.spec?.hard ?? {};
    const used: Record<string, unknown> = q.status?.used ?? {};
    const rows = Object.entries(hard).map(([res, h]) => {
      const u = used[res];
      const pct = amount(h) ? Math.round(((amount(u) ?? 0) / amount(h)!) * 100) : undefined;
      return { res, hard: String(h), used: String(u ?? '0'), pct };
    });
    const focus = a.labels.resource;
    const full = rows.filter((r) => r.pct !== undefined && r.pct >= (a.name === 'KubeQuotaAlmostFull' ? 90 : 100));
    const shown = full.length ? full : rows.filter((r) => r.res === focus);
    const atLimit = full.every((r) => (r.pct ?? 0) >= 100);
    const refused = eventsBy(ev.events(ns), /^FailedCreate$/).filter((e) => e.message.includes(name));
    const quotes: Quote[] = [
      ...quote(src, rows.map((r) => `${r.res}: used ${r.used} of ${r.hard}${r.pct !== undefined ? ` (${r.pct}%)` : ''}`)),
      ...quote(`events in namespace ${ns}`, refused.slice(0, 2).map((e) => e.line)),
    ];
    const usage = shown.map((r) => `${r.res} ${r.used}/${r.hard}${r.pct !== undefined ? ` (${r.pct}%)` : ''}`).join(', ');
    // Objects it refuses (not only a full quota): room for them, within the bound of one change (fixes.ts).
    const refusing = a.name !== 'KubeQuotaAlmostFull' && full.length > 0 && refused.length > 0;
    const remediation = refusing ? quotaRoomFix(refused[0].message, ns, new Set(refused.map((e) => e.object ?? e.message)).size) : undefined;
    return {
      ...(remediation ? { remediation } : {}),
      resolved: a.name !== 'KubeQuotaAlmostFull' && !full.length,
      ...(a.name !== 'KubeQuotaAlmostFull' && !full.length ? { recheck: `ResourceQuota ${ns}/${name} reads ${usage || 'no resource at its limit'} now` } : {}),
      summary: `${a.name}: ResourceQuota ${ns}/${name} ${full.length ? `is ${atLimit ? 'used up' : 'nearly used up'}: ${usage}` : `usage ${usage || 'below its limits now'}`}`,
      rootCause:
        `ResourceQuota ${ns}/${name} ${full.length ? `has ${atLimit ? 'no room left' : 'little room left'} for ${full.map((r) => r.res).join(', ')}: ${usage}` : `shows ${usage || 'no resource at its limit'} now`}.` +
        (refused.length ? ` It refuses new objects: ${refused[0].object ? `${refused[0].object}: ` : ''}${clip(refused[0].message, 300)} (${refused.length > 1 ? `${refused.length} such events` : 'FailedCreate'}).` : ''),
      quotes,
      recommendations: [
        `Free room (delete what is no longer needed, e.g. finished or stale workloads: \`kubectl get pods,deploy,rs -n ${ns}\`) or raise the quota: \`kubectl edit resourcequota -n ${ns} ${name}\``,
        'Lower the requests of the workloads that wait, if they are oversized',
      ],
    };
  },
};

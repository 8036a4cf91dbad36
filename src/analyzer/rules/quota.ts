// ResourceQuota alerts (KubeQuotaAlmostFull, KubeQuotaFullyUsed, KubeQuotaExceeded): the quota's hard
// limits against its usage, and what it refuses (FailedCreate events naming it).
import { clip, cpuText, eventsBy, isNotFound, memoryText, type Evidence } from '../evidence.js';
import { quote, type Call, type Quote, type Rule } from './types.js';
import { parseQuantity } from '../../util/quantity.js';
import { parseQuotaRefusal, quotaRoomFix } from './fixes.js';

/** A quota's hard or used figure (a quantity as the API writes it) in base units. */
const amount = (v: unknown): number | undefined => (typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined);

export const quotaRule: Rule = {
  id: 'quota',
  matches: (a) => /^KubeQuota(AlmostFull|FullyUsed|Exceeded)$/.test(a.name),
  plan(a, ev: Evidence) {
    const name = a.labels.resourcequota;
    if (!a.namespace) return [];
    const calls: Call[] = [];
    if (name) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ResourceQuota', name, namespace: a.namespace }, why: `Read ResourceQuota ${a.namespace}/${name}: its hard limits against what is used.` });
    calls.push({ tool: 'get_events', args: { namespace: a.namespace, type: 'Warning', limit: 40 }, why: `What the quota refuses in ${a.namespace} (FailedCreate events).` });
    // It refuses a workload's pods: who else holds its room (another workload holding most of it is the cause).
    const refused = name ? eventsBy(ev.events(a.namespace), /^FailedCreate$/).find((e) => e.message.includes(name)) : undefined;
    if (refused) calls.push(...quotaHolderCalls(ev, a.namespace, refusedWorkload(refused.object)));
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
    const held = refusing ? heldByOther(ev, ns, refused[0]) : undefined;
    if (held) quotes.push(...held.quotes);
    const remediation = refusing && !held ? quotaRoomFix(refused[0].message, ns, new Set(refused.map((e) => e.object ?? e.message)).size) : undefined;
    return {
      ...(remediation ? { remediation } : {}),
      resolved: a.name !== 'KubeQuotaAlmostFull' && !full.length,
      ...(a.name !== 'KubeQuotaAlmostFull' && !full.length ? { recheck: `ResourceQuota ${ns}/${name} reads ${usage || 'no resource at its limit'} now` } : {}),
      summary: `${a.name}: ResourceQuota ${ns}/${name} ${full.length ? `is ${atLimit ? 'used up' : 'nearly used up'}: ${usage}` : `usage ${usage || 'below its limits now'}`}`,
      rootCause:
        `ResourceQuota ${ns}/${name} ${full.length ? `has ${atLimit ? 'no room left' : 'little room left'} for ${full.map((r) => r.res).join(', ')}: ${usage}` : `shows ${usage || 'no resource at its limit'} now`}.` +
        (refused.length ? ` It refuses new objects: ${refused[0].object ? `${refused[0].object}: ` : ''}${clip(refused[0].message, 300)} (${refused.length > 1 ? `${refused.length} such events` : 'FailedCreate'}).` : '') +
        (held ? ` Its room is taken by another workload: ${held.text}.` : ''),
      quotes,
      recommendations: [
        ...(held ? [`Check whether deployment ${held.holder.name} needs ${held.holder.pods} pods at these requests (scale it down or right-size them) before raising the quota, which would only give it more room`] : []),
        `Free room (delete what is no longer needed, e.g. finished or stale workloads: \`kubectl get pods,deploy,rs -n ${ns}\`) or raise the quota: \`kubectl edit resourcequota -n ${ns} ${name}\``,
        'Lower the requests of the workloads that wait, if they are oversized',
      ],
    };
  },
};

// ── who holds a quota's room ──────────────────────────────────────────────────────────────────────

/** "ReplicaSet/web-6c8d7f9b5" → "web" (its Deployment); another kind/name → its name. */
function refusedWorkload(object: string | undefined): string {
  const [kind, name = ''] = (object ?? '').split('/');
  return kind === 'ReplicaSet' ? name.replace(/-[a-z0-9]{5,10}$/, '') : name;
}

/** Another Deployment holding most of the room of the quota a FailedCreate event names. */
function heldByOther(ev: Evidence, ns: string, refusal: { object?: string; message: string }): ReturnType<typeof quotaHeldByOther> {
  return quotaHeldByOther(ev, ns, refusedWorkload(refusal.object), refusal.message);
}

/** Another Deployment (than `own`) holding most of the room of the quota that refuses with `message`, with its figures to quote. */
export function quotaHeldByOther(ev: Evidence, ns: string, own: string, message: string): { holder: QuotaHolder; text: string; quotes: Quote[] } | undefined {
  const q = parseQuotaRefusal(message);
  const resource = q && Object.keys(q.limited).length === 1 ? Object.keys(q.limited)[0] : undefined;
  const hard = resource ? parseQuantity(q!.limited[resource]) : undefined;
  if (!resource || !hard) return undefined;
  const holders = quotaHolders(ev, ns, resource);
  const top = dominantHolder(holders, resource, hard, own);
  if (!top) return undefined;
  const lines = holders.slice(0, 4).map((h) => `deployment ${h.name}: ${h.pods} pods × ${quotaAmountText(resource, h.perPod)} ${resource} = ${quotaAmountText(resource, h.amount)}`);
  return { ...top, quotes: quote(`describe_deployment (namespace ${ns})`, lines) };
}

/** Deployments described to see who holds a quota's room, besides the one refused (bounded). */
const MAX_HOLDERS = 3;

export interface QuotaHolder {
  kind: 'Deployment';
  name: string;
  pods: number;
  /** What one pod counts against the quota's resource, in base units. */
  perPod: number;
  /** pods × perPod. */
  amount: number;
}

/** The replicas a list_resources READY column ("6/6") shows: the larger of its two figures. */
const listedReplicas = (ready: string | undefined): number => Math.max(0, ...(ready ?? '').split('/').map((x) => Number(x) || 0));

/**
 * The calls that show who uses a namespace's quota: the Deployments listed, then the largest of them other
 * than `own` described (their pods and per-pod requests).
 */
export function quotaHolderCalls(ev: Evidence, ns: string, own: string): Call[] {
  const calls: Call[] = [{ tool: 'list_resources', args: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns }, why: `Which Deployments of ${ns} use the quota's room: list them with their replicas.` }];
  const listed = ev.data('list_resources', { kind: 'Deployment', namespace: ns });
  const largest = (listed?.items ?? [])
    .filter((i) => i.name !== own)
    .map((i) => ({ name: i.name, replicas: listedReplicas(i.columns.READY) }))
    .sort((x, y) => y.replicas - x.replicas)
    .slice(0, MAX_HOLDERS);
  for (const d of largest) calls.push({ tool: 'describe_deployment', args: { name: d.name, namespace: ns }, why: `How much of the quota deployment ${d.name} holds: its pods and their requests.` });
  return calls;
}

/** What one pod of a template counts against a quota resource ("requests.cpu", "limits.memory", "cpu", "pods"). */
function perPodAmount(resource: string, containers: Array<{ init?: boolean; requests: Record<string, string>; limits: Record<string, string> }>): number | undefined {
  if (resource === 'pods' || resource === 'count/pods') return 1;
  const m = /^(requests\.|limits\.)?(cpu|memory|ephemeral-storage)$/.exec(resource);
  if (!m) return undefined;
  const from = m[1] === 'limits.' ? 'limits' : 'requests';
  return containers.filter((c) => !c.init).reduce((sum, c) => sum + (parseQuantity(c[from][m[2]]) ?? 0), 0);
}

/** The described Deployments of `ns` and what each holds of a quota resource, largest first. */
export function quotaHolders(ev: Evidence, ns: string, resource: string): QuotaHolder[] {
  const seen = new Set<string>();
  const out: QuotaHolder[] = [];
  for (const { d } of ev.all('describe_deployment')) {
    if (d.namespace !== ns || seen.has(d.name)) continue;
    seen.add(d.name);
    const perPod = perPodAmount(resource, d.containers);
    const pods = d.replicas.total ?? d.replicas.current ?? d.replicas.ready;
    if (perPod === undefined) continue;
    out.push({ kind: 'Deployment', name: d.name, pods, perPod, amount: pods * perPod });
  }
  return out.sort((x, y) => y.amount - x.amount);
}

/** A quota amount as the quota writes it: CPU in cores or millicores, bytes in Mi/Gi, counts whole. */
export function quotaAmountText(resource: string, v: number): string {
  if (/cpu/.test(resource)) return cpuText(v);
  if (/memory|storage/.test(resource)) return memoryText(v);
  return String(Math.round(v));
}

/**
 * Another workload that holds most (over half) of what a quota allows of `resource`: raising the quota would
 * hand that one more room too, so the cause to name is it, not the limit.
 */
export function dominantHolder(holders: QuotaHolder[], resource: string, hard: number, own: string): { holder: QuotaHolder; text: string } | undefined {
  const h = holders.find((x) => x.name !== own && x.amount > hard / 2);
  if (!h) return undefined;
  const pct = Math.round((h.amount / hard) * 100);
  return { holder: h, text: `deployment ${h.name} holds ${quotaAmountText(resource, h.amount)} of the ${quotaAmountText(resource, hard)} ${resource} the quota allows (${pct}%): ${h.pods} pods × ${quotaAmountText(resource, h.perPod)}` };
}

// Whether NetworkPolicies let a pod open a connection: the egress side, read from the policies as
// get_resource returned them. Pure. What the analyzer cannot know for sure (a namespace's own labels, an
// ipBlock that may hold pod IPs, a named port) reads as "unknown": a rule only blames a policy that denies
// for certain.
import { field, list, text } from '../evidence.js';

export type Verdict = 'allowed' | 'denied' | 'unknown';

/** Labels as far as they are known: a Service's selector is a subset of its pods' labels. */
export interface KnownLabels {
  labels: Record<string, string>;
  /** Every label is known (a pod's own metadata), so a missing key means "not set". */
  complete: boolean;
}

const asLabels = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)])) : {};

/** Whether a label selector (matchLabels, matchExpressions) selects labels known only in part. */
export function selects(selector: unknown, who: KnownLabels): Verdict {
  let verdict: Verdict = 'allowed';
  const lacking = (k: string) => !(k in who.labels) && !who.complete;
  for (const [k, v] of Object.entries(asLabels(field(selector, 'matchLabels')))) {
    if (lacking(k)) verdict = 'unknown';
    else if (who.labels[k] !== v) return 'denied';
  }
  for (const e of list(selector, 'matchExpressions')) {
    const k = text(e, 'key') ?? '';
    const op = text(e, 'operator');
    const values = list(e, 'values').map(String);
    if (lacking(k)) {
      verdict = 'unknown';
      continue;
    }
    const has = k in who.labels;
    const ok = op === 'In' ? has && values.includes(who.labels[k]) : op === 'NotIn' ? !has || !values.includes(who.labels[k]) : op === 'Exists' ? has : op === 'DoesNotExist' ? !has : false;
    if (!ok) return 'denied';
  }
  return verdict;
}

/** "any of" over verdicts: allowed if one allows, unknown if one may. */
function anyOf(vs: Verdict[]): Verdict {
  if (vs.includes('allowed')) return 'allowed';
  return vs.includes('unknown') ? 'unknown' : 'denied';
}

/** "all of" over verdicts: denied if one denies. */
function allOf(vs: Verdict[]): Verdict {
  if (vs.includes('denied')) return 'denied';
  return vs.includes('unknown') ? 'unknown' : 'allowed';
}

export interface Destination {
  namespace: string;
  labels: KnownLabels;
  port?: number;
}

/** A policy applies to egress when it says so in policyTypes, or has egress rules and no policyTypes. */
export function governsEgress(policy: Record<string, unknown>): boolean {
  const types = list(policy, 'spec.policyTypes').map(String);
  return types.length ? types.includes('Egress') : list(policy, 'spec.egress').length > 0;
}

function peerAllows(peer: unknown, policyNs: string, dest: Destination): Verdict {
  if (field(peer, 'ipBlock')) return 'unknown';
  const nsSel = field(peer, 'namespaceSelector');
  const podSel = field(peer, 'podSelector');
  // Only the namespace's name label is known for sure (set by the API server on every namespace).
  const nsVerdict: Verdict = nsSel ? selects(nsSel, { labels: { 'kubernetes.io/metadata.name': dest.namespace }, complete: false }) : dest.namespace === policyNs ? 'allowed' : 'denied';
  return allOf([nsVerdict, podSel ? selects(podSel, dest.labels) : 'allowed']);
}

function portAllows(p: unknown, port: number | undefined): Verdict {
  const v = field(p, 'port');
  if (v === undefined) return 'allowed';
  if (typeof v !== 'number' || port === undefined) return 'unknown';
  const end = field(p, 'endPort');
  return port === v || (typeof end === 'number' && port >= v && port <= end) ? 'allowed' : 'denied';
}

/** Whether one egress rule lets the connection out. */
function ruleAllows(rule: unknown, policyNs: string, dest: Destination): Verdict {
  const ports = list(rule, 'ports');
  const to = list(rule, 'to');
  return allOf([ports.length ? anyOf(ports.map((p) => portAllows(p, dest.port))) : 'allowed', to.length ? anyOf(to.map((peer) => peerAllows(peer, policyNs, dest))) : 'allowed']);
}

export interface EgressResult {
  verdict: Verdict;
  /** The policies that select the source pod for egress. */
  governing: string[];
}

/**
 * Whether the policies of the source pod's namespace let it connect to `dest`: with no policy that
 * selects it for egress everything is allowed; else only what one of their rules allows.
 */
export function egressVerdict(policies: Array<Record<string, unknown>>, source: KnownLabels, sourceNs: string, dest: Destination): EgressResult {
  const governing = policies.filter((p) => governsEgress(p) && selects(field(p, 'spec.podSelector') ?? {}, source) !== 'denied');
  if (!governing.length) return { verdict: 'allowed', governing: [] };
  const certain = governing.every((p) => selects(field(p, 'spec.podSelector') ?? {}, source) === 'allowed');
  const verdict = anyOf(governing.flatMap((p) => list(p, 'spec.egress').map((r) => ruleAllows(r, sourceNs, dest))));
  return { verdict: verdict === 'denied' && !certain ? 'unknown' : verdict, governing: governing.map((p) => text(p, 'metadata.name') ?? '?') };
}

/** One egress rule in a line: "to podSelector app=payments-gateway on 8443/TCP". */
export function egressRuleLine(rule: unknown): string {
  const peer = (p: unknown) => {
    const parts: string[] = [];
    for (const key of ['namespaceSelector', 'podSelector']) {
      const sel = field(p, key);
      if (sel) parts.push(`${key} ${Object.entries(asLabels(field(sel, 'matchLabels'))).map(([k, v]) => `${k}=${v}`).join(',') || '{}'}`);
    }
    const cidr = text(p, 'ipBlock.cidr');
    if (cidr) parts.push(`ipBlock ${cidr}`);
    return parts.join(' + ');
  };
  const to = list(rule, 'to').map(peer);
  const ports = list(rule, 'ports').map((p) => `${text(p, 'port') ?? 'any'}/${text(p, 'protocol') ?? 'TCP'}`);
  return `to ${to.length ? to.join(' or ') : 'anywhere'} on ${ports.length ? ports.join(', ') : 'any port'}`;
}

// The shape of a rule: which alerts it handles, the evidence it gathers (a plan recomputed from what was
// already seen, so later calls can depend on earlier outputs), and how it reads that evidence.
import type { IncidentSpec } from '../../incident/types.js';
import type { Evidence, Observation } from '../evidence.js';

/** What the analyzer knows about the alert, from its labels (kube-prometheus conventions). */
export interface AlertInfo {
  name: string;
  status: 'firing' | 'resolved';
  severity?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  deployment?: string;
  statefulset?: string;
  daemonset?: string;
  /** labels.job_name (kube-state-metrics Job alerts). */
  jobName?: string;
  node?: string;
  pvc?: string;
  hpa?: string;
  service?: string;
  /** labels.job: the Prometheus scrape job (TargetDown). */
  scrapeJob?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When the alert started firing (ISO 8601), the end of the "what changed" and metrics windows. */
  startsAt?: string;
  /**
   * The namespace the incident lives in: the operator's own (or the alert's, in per-namespace mode). A
   * place to look for an object the alert names without a namespace (scrapeJobs.ts).
   */
  home?: string;
}

export function alertInfo(spec: IncidentSpec, home?: string): AlertInfo {
  const l = spec.labels ?? {};
  const pick = (...keys: string[]) => {
    for (const k of keys) {
      const v = l[k];
      if (typeof v === 'string' && v.trim()) return v.trim();
    }
    return undefined;
  };
  return {
    name: spec.alertname,
    status: spec.status,
    severity: spec.severity,
    namespace: pick('namespace', 'exported_namespace'),
    pod: pick('pod', 'exported_pod', 'pod_name'),
    container: pick('container', 'exported_container', 'container_name'),
    deployment: pick('deployment'),
    statefulset: pick('statefulset'),
    daemonset: pick('daemonset'),
    jobName: pick('job_name'),
    node: pick('node', 'nodename', 'kubernetes_node'),
    pvc: pick('persistentvolumeclaim'),
    hpa: pick('horizontalpodautoscaler', 'hpa'),
    service: pick('service'),
    scrapeJob: pick('job'),
    labels: l,
    annotations: spec.annotations ?? {},
    startsAt: typeof spec.startsAt === 'string' && Number.isFinite(Date.parse(spec.startsAt)) ? new Date(Date.parse(spec.startsAt)).toISOString() : undefined,
    home: home || undefined,
  };
}

/** A tool call the plan wants, by the tool's own name (without the server prefix). */
export interface Call {
  tool: string;
  args: Record<string, unknown>;
  why: string;
}

/** Lines quoted from one tool output. */
export interface Quote {
  source: string;
  lines: string[];
}

export interface Finding {
  /** The problem is gone (object healthy again, object deleted, alert resolved). */
  resolved: boolean;
  /**
   * When `resolved`: what the rule read of the current state that shows the condition gone (the pod Ready
   * now, the node Ready now, the quota below its limit now). Only this proves an outcome: an object that no
   * longer exists, on its own, does not (DESIGN.md, "Outcomes and tenancy").
   */
  recheck?: string;
  summary: string;
  rootCause: string;
  quotes: Quote[];
  recommendations: string[];
  /** One change that would fix it, proposed before concluding when the rule deems it safe. */
  remediation?: Call;
}

export interface Rule {
  id: string;
  /** Whether this rule handles the alert (alert name, sometimes labels). */
  matches(a: AlertInfo): boolean;
  /** Every call the rule wants given the evidence so far, in order; done ones are skipped by the caller. */
  plan(a: AlertInfo, ev: Evidence): Call[];
  analyse(a: AlertInfo, ev: Evidence): Finding;
}

/** "describe_pod shop/web-1" — how a quote names its source. */
export function sourceOf(o: Pick<Observation, 'tool' | 'args'>): string {
  const a = o.args;
  const name = typeof a.name === 'string' ? a.name : typeof a.involvedObjectName === 'string' ? a.involvedObjectName : '';
  const ns = typeof a.namespace === 'string' ? a.namespace : '';
  const kind = typeof a.kind === 'string' ? `${a.kind} ` : '';
  const extra = a.previous === true ? ' (previous)' : '';
  const target = name ? `${kind}${ns ? `${ns}/` : ''}${name}` : ns ? `namespace ${ns}` : kind.trim();
  return `${o.tool}${target ? ` ${target}` : ''}${extra}`;
}

export function quote(source: string, ls: Array<string | undefined>): Quote[] {
  const kept = ls.filter((l): l is string => !!l && !!l.trim());
  return kept.length ? [{ source, lines: [...new Set(kept)] }] : [];
}

export const sh = (s: string) => (/^[A-Za-z0-9_./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

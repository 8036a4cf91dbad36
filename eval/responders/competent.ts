// The scripted competent model: a generic responder that plays a capable model honestly from what is in
// each request. It picks read tools from the offered list by the alert's labels (the objects they name),
// follows what the outputs point to (a workload's failing pod, an HPA's target, a pod's claim, a
// Service's pods, a Certificate's issuer), and concludes with resolve_incident / escalate_incident naming
// the cause it read in the outputs, quoting them. It never reads instructions from labels, annotations or
// outputs, and it knows no eval case.
import type { Reply } from '../../test/bed/scriptedLlm.js';
import { offered, parseConversation, type Conversation } from './conversation.js';
import { ranked, readEvidence, sourceOf, yamlOf, type Reading, type Signal } from './signals.js';

export interface PlannedCall {
  tool: string;
  args: Record<string, unknown>;
  why: string;
}

/** The objects the alert's labels name, by kube-prometheus conventions. */
export interface Targets {
  namespace?: string;
  pod?: string;
  container?: string;
  deployment?: string;
  statefulset?: string;
  daemonset?: string;
  job?: string;
  cronjob?: string;
  node?: string;
  pvc?: string;
  pv?: string;
  hpa?: string;
  service?: string;
  resourcequota?: string;
  certificate?: string;
  ingress?: string;
}

export function targetsOf(conv: Conversation): Targets {
  const l = conv.labels;
  const pick = (...keys: string[]) => keys.map((k) => l[k]).find((v) => typeof v === 'string' && v.trim())?.trim();
  // A metric's own namespace label becomes exported_namespace when the scrape target has one too.
  const namespace = pick('exported_namespace', 'namespace');
  const instanceHost = l.instance && !/^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(l.instance) ? l.instance.replace(/:\d+$/, '') : undefined;
  const cert = /certificate|^CertManagerCert/i.test(conv.alertname) ? pick('certificate', 'name') : undefined;
  return {
    namespace,
    pod: pick('exported_pod', 'pod'),
    container: pick('exported_container', 'container'),
    deployment: pick('deployment'),
    statefulset: pick('statefulset'),
    daemonset: pick('daemonset'),
    job: pick('job_name'),
    cronjob: pick('cronjob'),
    node: pick('node', 'kubernetes_node', 'nodename') ?? (/Node|Kubelet/.test(conv.alertname) ? instanceHost : undefined),
    pvc: pick('persistentvolumeclaim'),
    pv: pick('persistentvolume'),
    hpa: pick('horizontalpodautoscaler', 'hpa'),
    // `service` is usually the scrape target's Service (kube-state-metrics, kubelet, cert-manager); it is
    // the object itself only for alerts about targets and services.
    service: /TargetDown|TargetMissing|Endpoint|Service|Probe/i.test(conv.alertname) ? (pick('service') ?? pick('job')) : undefined,
    resourcequota: pick('resourcequota'),
    certificate: cert,
    ingress: pick('ingress'),
  };
}

/** First reads: the objects the labels name. */
export function initialPlan(t: Targets): PlannedCall[] {
  const ns = t.namespace;
  const calls: PlannedCall[] = [];
  const add = (tool: string, args: Record<string, unknown>, why: string) => calls.push({ tool, args, why });
  if (ns && t.pod) add('describe_pod', { name: t.pod, namespace: ns }, `The alert names pod ${ns}/${t.pod}: its container states, last termination and events.`);
  if (ns && t.deployment) add('describe_deployment', { name: t.deployment, namespace: ns }, `The alert names deployment ${ns}/${t.deployment}.`);
  if (ns && t.statefulset) add('describe_statefulset', { name: t.statefulset, namespace: ns }, `The alert names statefulset ${ns}/${t.statefulset}.`);
  if (ns && t.daemonset) add('describe_daemonset', { name: t.daemonset, namespace: ns }, `The alert names daemonset ${ns}/${t.daemonset}.`);
  if (ns && t.job) add('describe_job', { name: t.job, namespace: ns }, `The alert names job ${ns}/${t.job}.`);
  if (ns && t.cronjob) add('get_resource', { apiVersion: 'batch/v1', kind: 'CronJob', name: t.cronjob, namespace: ns }, `The alert names cronjob ${ns}/${t.cronjob}.`);
  if (ns && t.hpa) add('get_resource', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: t.hpa, namespace: ns }, `The alert names HPA ${ns}/${t.hpa}: replicas, metrics, conditions.`);
  if (ns && t.pvc) add('describe_pvc', { name: t.pvc, namespace: ns }, `The alert names claim ${ns}/${t.pvc}.`);
  if (t.pv && !t.pvc) add('get_resource', { apiVersion: 'v1', kind: 'PersistentVolume', name: t.pv }, `The alert names PersistentVolume ${t.pv}.`);
  if (t.node) add('describe_node', { name: t.node }, `The alert names node ${t.node}: conditions, taints and its pods.`);
  if (ns && t.resourcequota) add('get_resource', { apiVersion: 'v1', kind: 'ResourceQuota', name: t.resourcequota, namespace: ns }, `The alert names ResourceQuota ${ns}/${t.resourcequota}: hard limits against usage.`);
  if (ns && t.certificate) add('get_resource', { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: t.certificate, namespace: ns }, `The alert names Certificate ${ns}/${t.certificate}: its conditions and expiry.`);
  if (ns && t.ingress) add('get_resource', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: t.ingress, namespace: ns }, `The alert names Ingress ${ns}/${t.ingress}.`);
  if (ns && t.service) {
    add('get_resource', { apiVersion: 'v1', kind: 'Service', name: t.service, namespace: ns }, `The alert names Service ${ns}/${t.service}: its selector and ports.`);
    add('get_resource', { apiVersion: 'v1', kind: 'Endpoints', name: t.service, namespace: ns }, `Which pods are ready behind ${t.service}?`);
  }
  if (!calls.length && ns) add('get_events', { namespace: ns, type: 'Warning', limit: 40 }, `The alert names only namespace ${ns}: its recent warnings.`);
  return calls;
}

interface PodRow {
  name: string;
  status: string;
  ready: number;
  total: number;
  restarts: number;
}

/** The "Pods (n):" lines of a workload description. */
function podRows(output: string): PodRow[] {
  const rows: PodRow[] = [];
  for (const l of output.split('\n')) {
    const m = /^\s+(\S+)\s+status=(\S+)\s+ready=(\d+)\/(\d+)\s+restarts=(\d+)/.exec(l);
    if (m) rows.push({ name: m[1], status: m[2], ready: Number(m[3]), total: Number(m[4]), restarts: Number(m[5]) });
  }
  return rows;
}

function worstPod(rows: PodRow[]): PodRow | undefined {
  const score = (r: PodRow) => (r.status !== 'Running' && r.status !== 'Completed' ? 100 : 0) + (r.ready < r.total ? 50 : 0) + Math.min(r.restarts, 40);
  const bad = rows.filter((r) => score(r) > 0 && r.status !== 'Completed');
  return bad.sort((a, b) => score(b) - score(a))[0];
}

/** Reads that what was seen so far points to. */
export function followUps(conv: Conversation, t: Targets): PlannedCall[] {
  const calls: PlannedCall[] = [];
  const ns = t.namespace;
  for (const c of conv.calls) {
    if (!c.ok) continue;
    const cns = (c.args.namespace as string | undefined) ?? ns;
    if (/^describe_(deployment|statefulset|daemonset|job)$/.test(c.tool) && cns) {
      const worst = worstPod(podRows(c.output));
      if (worst) calls.push({ tool: 'describe_pod', args: { name: worst.name, namespace: cns }, why: `Pod ${worst.name} of ${c.args.name} is ${worst.status} (ready ${worst.ready}/${worst.total}, ${worst.restarts} restarts): why?` });
      const missing = /^Pods: <none>/m.test(c.output) || /ReplicaFailure=True|FailedCreate/.test(c.output);
      if (missing || !worst) calls.push({ tool: 'get_events', args: { namespace: cns, type: 'Warning', limit: 40 }, why: `Recent warnings in ${cns}: why pods of ${c.args.name} are missing or not ready (FailedCreate, quota, scheduling).` });
    }
    if (c.tool === 'describe_pod' && cns) {
      const pending = /^Status: (Pending|ContainerCreating)\b/m.test(c.output) || /FailedScheduling|FailedMount|unbound/.test(c.output);
      const claim = /(\S+): PVC (\S+)/.exec(c.output)?.[2];
      if (pending && claim) calls.push({ tool: 'describe_pvc', args: { name: claim, namespace: cns }, why: `The pod waits; it mounts claim ${claim}: is it bound?` });
      const node = /^Node: (\S+)/m.exec(c.output)?.[1];
      if (node && node !== '<not' && /^Status: (Unknown|Terminating)\b|NodeNotReady|NodeLost|node\S* .*not ready/im.test(c.output)) {
        calls.push({ tool: 'describe_node', args: { name: node }, why: `The pod's node ${node} may be the problem.` });
      }
      // A ConfigMap the failure points at: a missing key in it, or a file under a path it is mounted on.
      const missingKey = /in ConfigMap (?:[a-z0-9-]+\/)?([a-z0-9.-]+)/.exec(c.output)?.[1];
      const configMaps = new Map<string, string>(); // volume name → ConfigMap
      for (const m of c.output.matchAll(/(?:^|; |Volumes: )([a-z0-9-]+): configmap ([a-z0-9.-]+)/gm)) configMaps.set(m[1], m[2]);
      const failure = [...c.output.matchAll(/(?:Last state|State): Terminated[^\n]*/g)].map((m) => m[0]).join('\n');
      for (const m of c.output.matchAll(/Mounts: ([^\n]+)/g)) {
        for (const mount of m[1].split(', ')) {
          const [, mountPath, volume] = /^(\S+) from (\S+)/.exec(mount) ?? [];
          const cm = volume && configMaps.get(volume);
          if (cm && mountPath && failure.includes(mountPath)) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ConfigMap', name: cm, namespace: cns }, why: `The container fails on a file under ${mountPath}, which comes from ConfigMap ${cm}: read it.` });
        }
      }
      if (missingKey) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ConfigMap', name: missingKey, namespace: cns }, why: `Which keys ConfigMap ${missingKey} has.` });
      const restarted = /Restarts: [1-9]/.test(c.output) && /Last state: Terminated/.test(c.output);
      if (restarted && !/ — /.test(/Last state: Terminated[^\n]*/.exec(c.output)?.[0] ?? '')) {
        const container = t.container ?? /^ {2}(\S+):$/m.exec(c.output.split(/^Containers:$/m)[1] ?? '')?.[1];
        calls.push({ tool: 'get_pod_logs', args: { name: c.args.name, namespace: cns, ...(container ? { container } : {}), previous: true, tailLines: 50 }, why: 'What the crashed instance printed before it exited.' });
      }
    }
    if (c.tool === 'describe_pvc' && /FillingUp|Full|AlmostFull|SpaceFilling/i.test(conv.alertname)) {
      const sc = /StorageClass: (\S+)/.exec(c.output)?.[1];
      if (sc && sc !== '<default>') calls.push({ tool: 'get_resource', args: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name: sc }, why: `The claim is filling up: may its storage class ${sc} expand it in place?` });
    }
    if (c.tool === 'get_resource') {
      const obj = yamlOf(c.output);
      const kind = obj?.kind ?? c.args.kind;
      if (kind === 'HorizontalPodAutoscaler') {
        const ref = obj?.spec?.scaleTargetRef;
        if (ref?.name && cns) {
          const tool = ref.kind === 'StatefulSet' ? 'describe_statefulset' : 'describe_deployment';
          calls.push({ tool, args: { name: ref.name, namespace: cns }, why: `The HPA scales ${ref.kind} ${ref.name}: are its pods healthy?` });
        }
      }
      if (kind === 'Service' && cns) {
        const sel = obj?.spec?.selector as Record<string, string> | undefined;
        if (sel && Object.keys(sel).length) {
          const selector = Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
          calls.push({ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Pod', namespace: cns, labelSelector: selector }, why: `The pods the Service selects (${selector}) and their status.` });
        }
      }
      if (kind === 'Endpoints' && cns) {
        const ready = (obj?.subsets ?? []).reduce((n: number, s: any) => n + (s.addresses ?? []).length, 0);
        if (ready > 0) calls.push({ tool: 'list_resources', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: cns }, why: 'The endpoints are ready, yet the targets are down: does a NetworkPolicy block the scraper?' });
        else calls.push({ tool: 'list_resources', args: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: cns }, why: 'No ready endpoints: which workloads run in the namespace, and with how many replicas?' });
      }
      if (kind === 'Certificate' && cns) {
        const ref = obj?.spec?.issuerRef;
        if (ref?.name) {
          const issuerKind = ref.kind ?? 'Issuer';
          calls.push({ tool: 'get_resource', args: { apiVersion: 'cert-manager.io/v1', kind: issuerKind, name: ref.name, ...(issuerKind === 'ClusterIssuer' ? {} : { namespace: cns }) }, why: `The certificate is issued by ${issuerKind} ${ref.name}: is it ready?` });
        }
      }
    }
    if (c.tool === 'list_resources' && c.args.kind === 'NetworkPolicy' && cns) {
      for (const l of c.output.split('\n').slice(2)) {
        const name = l.trim().split(/\s+/)[0];
        if (name && name !== '<none>' && !/^NAME$/.test(name)) calls.push({ tool: 'get_resource', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name, namespace: cns }, why: `What NetworkPolicy ${name} allows.` });
      }
    }
    if (c.tool === 'list_resources' && c.args.kind === 'Pod' && cns) {
      const unready = (cols: string[]) => cols.some((x) => /^(\d+)\/(\d+)$/.test(x) && Number(x.split('/')[0]) < Number(x.split('/')[1]));
      const first = c.output.split('\n').slice(2).map((l) => l.trim().split(/\s+/)).find((cols) => cols.length > 2 && (!/Running|Completed/.test(cols.join(' ')) || unready(cols)));
      if (first?.[0]) calls.push({ tool: 'describe_pod', args: { name: first[0], namespace: cns }, why: `Pod ${first[0]} behind the Service is not running: why?` });
    }
  }
  return calls;
}

const sameCall = (a: { tool: string; args: Record<string, unknown> }, b: { tool: string; args: Record<string, unknown> }) =>
  a.tool === b.tool && ['name', 'namespace', 'kind', 'involvedObjectName', 'involvedObjectKind', 'labelSelector', 'previous'].every((k) => (a.args[k] ?? '') === (b.args[k] ?? ''));

const DESCRIBED: Record<string, { apiVersion: string; kind: string }> = {
  describe_pod: { apiVersion: 'v1', kind: 'Pod' },
  describe_node: { apiVersion: 'v1', kind: 'Node' },
  describe_pvc: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  describe_deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  describe_statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  describe_daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  describe_job: { apiVersion: 'batch/v1', kind: 'Job' },
};

/** A call as the offered tools allow it: a describe_* the operator does not offer becomes get_resource plus the object's events. */
function asOffered(conv: Conversation, w: PlannedCall): PlannedCall[] {
  if (offered(conv, w.tool)) return [w];
  const d = DESCRIBED[w.tool];
  if (!d || !offered(conv, 'get_resource')) return [];
  const { name, namespace } = w.args as { name: string; namespace?: string };
  const calls: PlannedCall[] = [{ tool: 'get_resource', args: { ...d, name, ...(namespace ? { namespace } : {}) }, why: `${w.why} (${w.tool} is not offered: read the object itself)` }];
  if (offered(conv, 'get_events')) calls.push({ tool: 'get_events', args: { ...(namespace ? { namespace } : {}), involvedObjectKind: d.kind, involvedObjectName: name, limit: 20 }, why: `The events of ${d.kind} ${name}.` });
  return calls;
}

/** The next read not made yet, among those the model would make, within its own budget. */
export function nextCall(conv: Conversation, t: Targets, maxCalls: number): PlannedCall | undefined {
  if (conv.calls.length >= maxCalls) return undefined;
  const wanted = [...initialPlan(t), ...followUps(conv, t)].flatMap((w) => asOffered(conv, w));
  return wanted.find((w) => !conv.calls.some((c) => sameCall(c, w)));
}

// ── conclusions ─────────────────────────────────────────────────────────────────────────────────

export interface Conclusion {
  resolved: boolean;
  summary: string;
  rootCause: string;
  /** the signals it rests on, for the report */
  basis: Signal[];
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function cite(s: Signal, maxQuotes = 3): string {
  return `${cap(s.subject)}: ${s.what} — ${s.quotes
    .slice(0, maxQuotes)
    .map((q) => `"${q.line}" (${q.source})`)
    .join('; ')}`;
}

export function conclude(conv: Conversation, reading: Reading, opts: { detail: 'full' | 'short' } = { detail: 'full' }): Conclusion {
  const all = ranked(reading);
  const current = all.filter((s) => !s.past);
  const top = current[0];
  const label = conv.alertname || 'the alert';
  const desc = conv.annotations.description ?? conv.annotations.message ?? conv.annotations.summary;
  if (conv.alertStatus === 'resolved' && (!top || top.weight < 60)) {
    return { resolved: true, summary: `${label} resolved; nothing wrong is left in the cluster`, rootCause: 'AlertManager reports the alert resolved and the objects it names show no current failure.', basis: [] };
  }
  if (!top || top.weight < 45) {
    if (reading.gone.length) {
      const g = reading.gone[0];
      return { resolved: true, summary: `${label} is stale: the object it names no longer exists`, rootCause: `The object the alert names no longer exists ("${g.line}", ${g.source}), so the alert describes something that is gone.`, basis: [] };
    }
    if (reading.healthy.length) {
      const past = all.filter((s) => s.past && s.weight >= 45)[0];
      const h = reading.healthy[0];
      return {
        resolved: true,
        summary: `${label}: the object is healthy again`,
        rootCause: `No current failure: "${h.line}" (${h.source}).${past ? ` Earlier: ${past.what} ("${past.quotes[0].line}").` : ''} The alert reflects a problem that has passed.`,
        basis: past ? [past] : [],
      };
    }
  }
  if (!top) {
    return {
      resolved: false,
      summary: `${label}: the cause could not be determined from the cluster`,
      rootCause: `The tool outputs show no failure that explains the alert.${desc ? ` The alert itself reports: "${desc.slice(0, 300)}".` : ''} A person must look further (metrics, application logs).`,
      basis: [],
    };
  }
  const others = current.slice(1).filter((s) => s.weight >= 55 && s.id !== top.id).slice(0, opts.detail === 'full' ? 3 : 0);
  const basis = [top, ...others];
  const fromAlert = top.weight < 60 && desc ? ` The alert reports: "${desc.slice(0, 300)}".` : '';
  return {
    resolved: false,
    summary: `${label}: ${top.what} (${top.subject})`,
    rootCause: `${basis.map((s) => cite(s, opts.detail === 'full' ? 3 : 2)).join('. ')}.${fromAlert}`.slice(0, 3800),
    basis,
  };
}

function recommendations(basis: Signal[]): string[] {
  const recs: string[] = [];
  const has = (id: string | RegExp) => basis.some((s) => (typeof id === 'string' ? s.id === id : id.test(s.id)));
  if (has('oom')) recs.push('Raise the memory limit of the container or find what uses the memory (leak, cache, heap settings).');
  if (has('image')) recs.push('Fix the image reference (tag, registry, pull secret) and roll out again, or roll back to the previous revision.');
  if (has(/missing-ref|missing-key|config-error/)) recs.push('Create the missing Secret/ConfigMap (or key), or fix the reference in the pod spec.');
  if (has('scheduling')) recs.push('Make room for the pod (lower its requests, add nodes) or fix its node selector, affinity or tolerations.');
  if (has(/liveness|readiness|startup/)) recs.push('Check the probed endpoint and the probe timings; fix the application or relax the probe.');
  if (has(/quota|limitrange|forbidden/)) recs.push('Raise the ResourceQuota / adjust the LimitRange, or lower the pods\' requests and limits.');
  if (has(/storageclass|provisioning|mount/)) recs.push('Fix the volume: its storage class, provisioner, or the Secret/ConfigMap it mounts.');
  if (has(/condition-Ready|condition-NetworkUnavailable|Pressure/)) recs.push('Look at the node (kubelet, runtime, network plugin, disk and memory); cordon and drain it if it does not recover.');
  if (!recs.length) recs.push('Act on the cause above; the evidence lines say where.');
  return recs;
}

export function reportMarkdown(conv: Conversation, c: Conclusion): string {
  const evidence = c.basis.flatMap((s) => s.quotes.map((q) => `- \`${q.source}\`: ${q.line}`));
  const reads = conv.calls.filter((x) => x.ok).map((x) => `\`${sourceOf(x)}\``);
  return [
    `## Summary\n\n${c.summary}.`,
    `## Root cause\n\n${c.rootCause}`,
    `## Evidence\n\n${evidence.length ? evidence.join('\n') : `Read: ${reads.join(', ') || 'nothing'}.`}`,
    `## Recommendations\n\n${recommendations(c.basis).map((r, i) => `${i + 1}. ${r}`).join('\n')}`,
  ].join('\n\n');
}

/**
 * The one change a capable model makes when the evidence calls for it and the policy offers it: a Deployment
 * whose newest revision's image cannot be pulled, while rollout_history shows an earlier revision with other
 * images that had all its pods ready, is rolled back once (what `kubectl rollout undo` does). Nothing else
 * is ever written; whether the write is allowed, proposed in Git or done after suspending a GitOps manager is
 * the operator's policy, not the model's.
 */
export function rollbackCall(conv: Conversation, t: Targets, top: Signal | undefined): PlannedCall | undefined {
  if (!t.namespace || !t.deployment || top?.id !== 'image' || !offered(conv, 'rollback_deployment')) return undefined;
  if (conv.calls.some((c) => c.tool === 'rollback_deployment')) return undefined;
  const history = conv.calls.find((c) => c.ok && c.tool === 'rollout_history' && c.args.name === t.deployment);
  if (!history) return undefined;
  const rows = history.output.split('\n').map((l) => l.trim().split(/\s+/)).filter((r) => /^\d+$/.test(r[0] ?? ''));
  const current = rows.find((r) => r[1] === '(current)');
  const readyAll = (x = '') => /^(\d+)\/(\d+)$/.test(x) && x.split('/')[0] === x.split('/')[1] && x.split('/')[0] !== '0';
  const earlier = rows.find((r) => r !== current && readyAll(r[3]) && r[4] !== current?.[5]);
  if (!current || !earlier) return undefined;
  return { tool: 'rollback_deployment', args: { name: t.deployment, namespace: t.namespace }, why: `Revision ${current[0]}'s image cannot be pulled; revision ${earlier[0]} (${earlier[4]}) ran with all pods ready: roll back to it.` };
}

const toolReply = (name: string, args: object, content: string): Reply => ({ content, toolCalls: [{ name, arguments: args }] });

/** The reply to one request. */
export function competentReply(body: any): Reply {
  const conv = parseConversation(body);
  const t = targetsOf(conv);
  const primary = initialPlan(t).map((p) => ({ tool: p.tool, name: p.args.name as string | undefined }));
  if (conv.wantsReport) return { content: reportMarkdown(conv, conclude(conv, readEvidence(conv, primary))) };
  const next = nextCall(conv, t, 10);
  if (next) {
    const tool = offered(conv, next.tool)!;
    return toolReply(tool.name, next.args, next.why);
  }
  const reading = readEvidence(conv, primary);
  const fix = rollbackCall(conv, t, ranked(reading).filter((s) => !s.past)[0]);
  if (fix) return toolReply(offered(conv, fix.tool)!.name, fix.args, fix.why);
  const c = conclude(conv, reading);
  return toolReply(c.resolved ? 'resolve_incident' : 'escalate_incident', { summary: c.summary, root_cause: c.rootCause }, c.resolved ? 'The problem is gone.' : 'The cause is known; a person must act on it.');
}

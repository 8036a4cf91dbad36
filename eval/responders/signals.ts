// How the scripted models read tool results: the failure signals an SRE looks for in Kubernetes output
// (waiting/terminated reasons, event reasons and messages, conditions, quota usage, endpoints ...), each
// with how much it explains, quoted with its source. Nothing here knows any eval case: the patterns are
// Kubernetes' own vocabulary, and a conclusion only ever names what a tool output (or the alert) says.
import { parse as parseYaml } from 'yaml';
import type { Conversation, DoneCall } from './conversation.js';
import { parseQuantity } from '../../src/util/quantity.js';

export interface Quote {
  source: string;
  line: string;
}

export interface Signal {
  id: string;
  /** how much it explains (higher: closer to a root cause than to a symptom) */
  weight: number;
  /** what it means, in a few words */
  what: string;
  /** the object it is about, e.g. "pod shop/api-1" */
  subject: string;
  quotes: Quote[];
  /** seen on an object that is healthy now: history, not the current problem */
  past?: boolean;
}

export interface Reading {
  signals: Signal[];
  /** the objects the alert names that no longer exist */
  gone: Quote[];
  /** lines showing an object healthy now */
  healthy: Quote[];
}

// Long lines keep their head and their tail: wrapped errors put the innermost cause last.
const clip = (s: string, n = 360) => (s.length > n ? `${s.slice(0, Math.floor(n * 0.4))} … ${s.slice(s.length - Math.floor(n * 0.6))}` : s);

/** "describe_pod shop/api-1", "get_resource Certificate shop/web-tls" */
export function sourceOf(c: Pick<DoneCall, 'tool' | 'args'>): string {
  const a = c.args ?? {};
  const name = a.name ?? a.involvedObjectName ?? '';
  const ns = a.namespace ? `${a.namespace}/` : '';
  const kind = a.kind ? `${a.kind} ` : '';
  return `${c.tool}${name || kind ? ` ${kind}${ns}${name}` : a.namespace ? ` ${a.namespace}` : ''}`.trim();
}

/** What an output is about: "pod shop/api-1", "node worker-2", "deployment shop/api". */
function subjectOf(c: DoneCall): string {
  const a = c.args ?? {};
  const ns = a.namespace ? `${a.namespace}/` : '';
  const m = /^describe_(\w+)$/.exec(c.tool);
  if (m && a.name) return `${m[1] === 'pvc' ? 'PersistentVolumeClaim' : m[1]} ${m[1] === 'node' ? '' : ns}${a.name}`;
  const header = /^# (\w+) (\S+)/.exec(c.output);
  if (header) return `${header[1]} ${header[2]}`;
  if (a.kind && a.name) return `${a.kind} ${ns}${a.name}`;
  if (c.tool === 'get_events') return a.involvedObjectName ? `${a.involvedObjectKind ?? 'object'} ${ns}${a.involvedObjectName}` : `namespace ${a.namespace ?? '(all)'}`;
  return sourceOf(c);
}

interface LinePattern {
  id: string;
  weight: number;
  re: RegExp;
  /** what it means; `text` is every line that showed it */
  what: (m: RegExpExecArray, text: string) => string;
  /** lines of the same container block worth quoting with it (limits for OOM, the probe spec ...) */
  context?: RegExp;
}

// Ordered by specificity; a line may raise several signals.
const LINE_PATTERNS: LinePattern[] = [
  { id: 'missing-ref', weight: 92, re: /\b(secrets?|configmaps?) "([^"]+)" not found/i, what: (m) => `${m[1].toLowerCase().replace(/s$/, '')} "${m[2]}" does not exist` },
  { id: 'missing-key', weight: 92, re: /couldn't find key (\S+) in (ConfigMap|Secret) (\S+)/i, what: (m) => `key ${m[1]} is missing from ${m[2]} ${m[3]}` },
  { id: 'quota', weight: 91, re: /exceeded quota: ([\w.-]+)/, what: (m) => `ResourceQuota ${m[1]} refuses new pods (exceeded quota)` },
  { id: 'limitrange', weight: 91, re: /(maximum|minimum) (cpu|memory|storage) usage per (Container|Pod|PersistentVolumeClaim) is/i, what: () => 'a LimitRange refuses the pods (their resources are outside its bounds)' },
  { id: 'forbidden', weight: 88, re: /\bis forbidden: (.+)/, what: (m) => `the API server refuses to create the pods: ${clip(m[1], 160)}` },
  { id: 'storageclass', weight: 90, re: /storageclass[\w.]* "([^"]+)" not found/i, what: (m) => `storage class "${m[1]}" does not exist, so the volume cannot be provisioned` },
  { id: 'provisioning', weight: 89, re: /ProvisioningFailed|failed to provision volume|no persistent volumes available for this claim/i, what: () => 'the volume cannot be provisioned' },
  { id: 'mount', weight: 88, re: /FailedMount|MountVolume\.\w+ failed|Unable to attach or mount volumes|FailedAttachVolume|Multi-Attach error/, what: () => 'a volume cannot be mounted' },
  { id: 'run-error', weight: 87, re: /exec: "[^"]*": [^,;]*(no such file or directory|executable file not found|permission denied)|\b(RunContainerError|ContainerCannotRun|StartError)\b/, what: () => 'the container command cannot be started' },
  { id: 'image', weight: 86, re: /\b(ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull)\b|Failed to pull image|manifest unknown|pull access denied/, what: (_m, text) => `the image cannot be pulled${imagePullReason(text)}`, context: /^Image: / },
  { id: 'oom', weight: 86, re: /OOMKill|OOM-kill|out of memory/i, what: () => 'the container was OOMKilled: it used more memory than its limit allows', context: /^Resources: / },
  { id: 'evicted', weight: 84, re: /\bEvicted\b|The node was low on resource: (\S+)/, what: () => 'the pod was evicted by the kubelet under node pressure' },
  { id: 'scheduling', weight: 84, re: /FailedScheduling|\d+\/\d+ nodes are available/, what: () => 'the scheduler cannot place the pod', context: /^Resources: |^Node selector: |^Tolerations: / },
  { id: 'config-error', weight: 80, re: /\b(CreateContainerConfigError|CreateContainerError)\b/, what: () => 'the container cannot be created (configuration error)' },
  { id: 'startup', weight: 76, re: /Startup probe failed/, what: () => 'the startup probe fails', context: /^Startup: / },
  { id: 'liveness', weight: 76, re: /Liveness probe failed|failed liveness probe/, what: () => 'the liveness probe fails, so the kubelet kills and restarts the container', context: /^Liveness: / },
  { id: 'readiness', weight: 72, re: /Readiness probe failed/, what: () => 'the readiness probe fails, so the pod is not ready and gets no traffic', context: /^Readiness: / },
  { id: 'deadline', weight: 74, re: /DeadlineExceeded|active longer than specified deadline/, what: () => 'the job ran longer than its activeDeadlineSeconds' },
  { id: 'exit', weight: 70, re: /Terminated: (\w+), exit code ([1-9]\d*)/, what: (m) => `the container exits with code ${m[2]} (${m[1]})` },
  { id: 'backoff-limit', weight: 60, re: /BackoffLimitExceeded|has reached the specified backoff limit/, what: () => 'the job failed: its pods failed more often than its backoffLimit allows' },
  { id: 'paused', weight: 64, re: /Paused: true/, what: () => 'the rollout is paused (spec.paused)' },
  { id: 'progress-deadline', weight: 55, re: /ProgressDeadlineExceeded/, what: () => 'the rollout did not progress within its progress deadline' },
  { id: 'crashloop', weight: 50, re: /CrashLoopBackOff|Back-off restarting failed container/, what: () => 'the container is crash-looping (CrashLoopBackOff)' },
  { id: 'node-notready-event', weight: 45, re: /\bNodeNotReady\b/, what: () => 'the node went NotReady' },
];

function imagePullReason(text: string): string {
  if (/401|403|unauthori[sz]ed|authorization failed|failed to authorize|pull access denied|denied|no basic auth credentials/i.test(text)) return ': the registry refuses it (unauthorized: missing or wrong pull credentials)';
  if (/NotFound|not found|manifest unknown|does not exist/i.test(text)) return ': the image or its tag does not exist in the registry (not found)';
  if (/no such host|i\/o timeout|connection refused|x509|tls/i.test(text)) return ': the registry cannot be reached';
  if (/toomanyrequests|rate limit/i.test(text)) return ': the registry rate-limits the pulls';
  if (/InvalidImageName|invalid reference format/i.test(text)) return ': the image reference is not valid';
  return '';
}

// Conditions: types that are bad when False, and when True.
const BAD_FALSE: Record<string, number> = { Ready: 82, ScalingActive: 82, AbleToScale: 80, PodScheduled: 84, Available: 30, ContainersReady: 20, Initialized: 30 };
const BAD_TRUE: Record<string, number> = { MemoryPressure: 80, DiskPressure: 80, PIDPressure: 80, NetworkUnavailable: 82, ReplicaFailure: 88, ScalingLimited: 70, Failed: 62, Stalled: 70, Degraded: 70, FailureTarget: 60 };

function conditionSignal(kind: string, type: string, status: string, reason: string | undefined, message: string | undefined, subject: string, quote: Quote): Signal | undefined {
  let w: number | undefined;
  if (status === 'False' || status === 'Unknown') w = BAD_FALSE[type];
  if (status === 'True') w = BAD_TRUE[type];
  if (type === 'Progressing' && status === 'False') w = 55;
  if (w === undefined) return undefined;
  // A pod's Ready condition is the symptom the alert already says; a workload's Available too.
  if (kind === 'Pod' && type === 'Ready') w = 20;
  if (type === 'Failed' && /DeadlineExceeded/.test(reason ?? '')) w = 74;
  const what =
    `${kind.toLowerCase()} condition ${type}=${status}` + (reason ? ` (${reason})` : '') + (message ? `: ${clip(message, 240)}` : '');
  return { id: `condition-${type}`, weight: w, what, subject, quotes: [quote] };
}

/** Kind of the object an output describes. */
function kindOf(c: DoneCall): string {
  const m = /^describe_(\w+)$/.exec(c.tool);
  if (m) return { pod: 'Pod', node: 'Node', deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet', job: 'Job', pvc: 'PersistentVolumeClaim' }[m[1]] ?? m[1];
  const header = /^# (\w+) /.exec(c.output);
  return header?.[1] ?? String(c.args?.kind ?? '');
}

/** The YAML body of a get_resource output (after its "# Kind ns/name" header). */
export function yamlOf(output: string): any {
  try {
    const body = output.split('\n').filter((l) => !/^#/.test(l)).join('\n');
    const v = parseYaml(body);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Container blocks of a describe_pod output: name → its lines. */
function containerBlocks(output: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let cur: string[] | undefined;
  let inContainers = false;
  for (const raw of output.split('\n')) {
    if (/^(Init containers|Containers):$/.test(raw)) {
      inContainers = true;
      continue;
    }
    if (!/^\s/.test(raw)) {
      inContainers = false;
      cur = undefined;
      continue;
    }
    if (!inContainers) continue;
    const head = /^ {2}(\S+):$/.exec(raw);
    if (head) {
      cur = [];
      blocks.set(head[1], cur);
    } else if (cur) cur.push(raw.trim());
  }
  return blocks;
}

function podHealthyNow(output: string): string | undefined {
  const status = /^Status: (\S+)\s+Phase: (\S+)\s+Ready: (\d+)\/(\d+)/m.exec(output);
  if (!status) return undefined;
  const [, st, phase, ready, total] = status;
  if ((st === 'Running' && phase === 'Running' && ready === total && Number(total) > 0) || st === 'Completed' || phase === 'Succeeded') return status[0];
  return undefined;
}

function nodeReadyNow(output: string): string | undefined {
  const ready = /^\s*Ready=True\b.*$/m.exec(output);
  const pressure = /^\s*(MemoryPressure|DiskPressure|PIDPressure|NetworkUnavailable)=True/m.test(output);
  return ready && !pressure ? ready[0].trim() : undefined;
}

function workloadHealthyNow(output: string): string | undefined {
  const r = /^Replicas: desired (\d+) \| (?:current \d+ \| )?updated (\d+) \| ready (\d+) \| available (\d+)/m.exec(output);
  if (r && Number(r[1]) > 0 && r[1] === r[2] && r[1] === r[3] && r[1] === r[4]) return r[0];
  return undefined;
}

function readLines(c: DoneCall, subject: string, source: string, out: Signal[]): void {
  const blocks = c.tool === 'describe_pod' ? containerBlocks(c.output) : new Map<string, string[]>();
  const blockOf = (line: string) => [...blocks.values()].find((b) => b.includes(line.trim()));
  // Per pattern, the lines that show it; the most telling (longest: they carry the message) are quoted.
  const hits = new Map<LinePattern, Array<{ raw: string; line: string; m: RegExpExecArray }>>();
  for (const raw of c.output.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('Annotations:')) continue;
    // the pod template and spec lines describe what is configured, not what happened
    if (/^(Image|Command|Args|Liveness|Readiness|Startup|Resources|Env|Mounts|Labels|Selector):/.test(line)) continue;
    for (const p of LINE_PATTERNS) {
      const m = p.re.exec(line);
      if (!m) continue;
      if (!hits.has(p)) hits.set(p, []);
      hits.get(p)!.push({ raw, line, m });
    }
    const cond = /^(\w+)=(True|False|Unknown)(?: — ([^:]+?)(?:: (.*?))?)?(?: \(since [^)]*\))?$/.exec(line);
    if (cond) {
      const s = conditionSignal(kindOf(c), cond[1], cond[2], cond[3], cond[4], subject, { source, line: clip(line) });
      if (s) out.push(s);
    }
  }
  for (const [p, found] of hits) {
    const best = [...found].sort((a, b) => b.line.length - a.line.length).slice(0, 2);
    const quotes: Quote[] = best.map((h) => ({ source, line: clip(h.line) }));
    if (p.context) {
      const ctx = (blockOf(best[0].raw) ?? c.output.split('\n').map((l) => l.trim())).find((l) => p.context!.test(l));
      if (ctx) quotes.push({ source, line: clip(ctx) });
    }
    out.push({ id: p.id, weight: p.weight, what: p.what(best[0].m, found.map((h) => h.line).join('\n')), subject, quotes });
  }
}

function asList(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

const quantity = (v: unknown): number | undefined => (typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined);

function readYaml(c: DoneCall, subject: string, source: string, out: Signal[], healthy: Quote[], now: number): void {
  const obj = yamlOf(c.output);
  if (!obj) return;
  const kind = String(obj.kind ?? kindOf(c));
  const st = obj.status ?? {};
  for (const cond of asList(st.conditions)) {
    const line = `${cond.type}=${cond.status}${cond.reason ? ` — ${cond.reason}` : ''}${cond.message ? `: ${cond.message}` : ''}`;
    const s = conditionSignal(kind, String(cond.type), String(cond.status), cond.reason, cond.message, subject, { source, line: clip(line) });
    if (s) out.push(s);
    if (cond.type === 'Ready' && cond.status === 'True') healthy.push({ source, line: clip(line) });
  }
  if (kind === 'ResourceQuota') {
    for (const [res, hard] of Object.entries(st.hard ?? {})) {
      const used = (st.used ?? {})[res];
      const h = quantity(hard);
      const u = quantity(used);
      if (h !== undefined && u !== undefined && h > 0 && u >= h) {
        out.push({ id: 'quota-full', weight: 80, what: `ResourceQuota ${obj.metadata?.name} is fully used for ${res} (${used} of ${hard})`, subject, quotes: [{ source, line: `${res}: used ${used} / hard ${hard}` }] });
      }
    }
  }
  if (kind === 'HorizontalPodAutoscaler') {
    const max = obj.spec?.maxReplicas;
    const cur = st.currentReplicas;
    if (max !== undefined && cur !== undefined && cur >= max) {
      out.push({ id: 'hpa-max', weight: 68, what: `the HPA runs at its maxReplicas (${cur}/${max}) and may not add more`, subject, quotes: [{ source, line: `maxReplicas: ${max}, currentReplicas: ${cur}, desiredReplicas: ${st.desiredReplicas ?? '?'}` }] });
    }
    for (const m of asList(st.currentMetrics)) {
      const r = m.resource;
      if (r?.current?.averageUtilization !== undefined) {
        const target = asList(obj.spec?.metrics).find((x: any) => x.resource?.name === r.name)?.resource?.target?.averageUtilization;
        out.push({ id: 'hpa-metric', weight: 40, what: `${r.name} utilization is ${r.current.averageUtilization}% against a target of ${target ?? '?'}%`, subject, quotes: [{ source, line: `${r.name}: current ${r.current.averageUtilization}% / target ${target ?? '?'}%` }] });
      }
    }
  }
  if (kind === 'Endpoints') {
    const subsets = asList(obj.subsets);
    const ready = subsets.reduce((n, s) => n + asList(s.addresses).length, 0);
    const notReady = subsets.reduce((n, s) => n + asList(s.notReadyAddresses).length, 0);
    if (!ready) out.push({ id: 'no-endpoints', weight: 55, what: `the Service has no ready endpoints (${notReady} not ready)`, subject, quotes: [{ source, line: `ready addresses: 0, not ready: ${notReady}` }] });
  }
  if (kind === 'NetworkPolicy') {
    const types = asList(obj.spec?.policyTypes);
    const sel = obj.spec?.podSelector ?? {};
    if (types.includes('Ingress') && !asList(obj.spec?.ingress).length) {
      out.push({ id: 'netpol-deny', weight: 66, what: `NetworkPolicy ${obj.metadata?.name} denies all ingress to ${Object.keys(sel.matchLabels ?? {}).length ? 'the pods it selects' : 'every pod in the namespace'}`, subject, quotes: [{ source, line: `podSelector: ${JSON.stringify(sel)}, policyTypes: ${types.join(',')}, ingress: []` }] });
    }
  }
  if (kind === 'Certificate') {
    const notAfter = Date.parse(st.notAfter ?? '');
    if (Number.isFinite(notAfter)) {
      const days = Math.round(((notAfter - now) / 86400e3) * 10) / 10;
      const w = days < 0 ? 86 : days < 14 ? 62 : 0;
      if (w) out.push({ id: 'cert-expiry', weight: w, what: days < 0 ? `the certificate expired ${-days} days ago` : `the certificate expires in ${days} days (notAfter ${st.notAfter}) and was not renewed`, subject, quotes: [{ source, line: `notAfter: ${st.notAfter}${st.renewalTime ? `, renewalTime: ${st.renewalTime}` : ''}` }] });
    }
  }
  if ((kind === 'PersistentVolume' || kind === 'PersistentVolumeClaim') && ['Failed', 'Lost', 'Pending', 'Released'].includes(st.phase)) {
    const w = st.phase === 'Failed' || st.phase === 'Lost' ? 82 : 55;
    out.push({ id: `phase-${st.phase}`, weight: w, what: `${kind} ${obj.metadata?.name} is ${st.phase}${st.message ? `: ${clip(st.message, 240)}` : ''}`, subject, quotes: [{ source, line: clip(`phase: ${st.phase}${st.message ? `, message: ${st.message}` : ''}`) }] });
  }
  if ((kind === 'Service' || kind === 'Deployment' || kind === 'StatefulSet') && obj.spec?.replicas === 0) {
    out.push({ id: 'scaled-zero', weight: 58, what: `${kind} ${obj.metadata?.name} is scaled to 0 replicas`, subject, quotes: [{ source, line: 'replicas: 0' }] });
  }
}

function readTable(c: DoneCall, subject: string, source: string, out: Signal[]): void {
  const lines = c.output.split('\n');
  if (c.tool === 'list_resources' && lines.some((l) => l.trim() === '<none>') && c.args?.labelSelector) {
    out.push({ id: 'no-match', weight: 58, what: `no ${String(c.args.kind ?? 'object')} matches the selector ${c.args.labelSelector}`, subject, quotes: [{ source, line: lines[0] }] });
  }
  if (c.tool === 'list_resources' && /^Deployment|^StatefulSet/.test(String(c.args?.kind))) {
    for (const l of lines.slice(2)) {
      if (/\b0\/0\b/.test(l)) out.push({ id: 'scaled-zero', weight: 58, what: `a ${String(c.args?.kind).toLowerCase()} is scaled to 0 replicas`, subject, quotes: [{ source, line: clip(l.trim()) }] });
    }
  }
  if (c.tool === 'list_resources' && c.args?.kind === 'NetworkPolicy') {
    for (const l of lines.slice(2)) if (l.trim() && l.trim() !== '<none>') out.push({ id: 'netpol', weight: 35, what: 'a NetworkPolicy applies in the namespace', subject, quotes: [{ source, line: clip(l.trim()) }] });
  }
}

const SATURATION = /FillingUp|Full|Throttling|Overcommit|MaxedOut|Exhaust|Saturat|HighUsage|AlmostFull|SpaceFilling/i;

/** Reads every tool result (the model's own and the evidence gathered before it) for signals. */
export function readEvidence(conv: Conversation, primary: Array<{ tool: string; name?: string }>, now = Date.now()): Reading {
  const signals: Signal[] = [];
  const gone: Quote[] = [];
  const healthy: Quote[] = [];
  const healthyObjects: Array<{ kind: string; name: string }> = [];
  for (const c of conv.calls) {
    const source = sourceOf(c);
    const subject = subjectOf(c);
    if (!c.ok) {
      if (/not found|NotFound|does not exist/i.test(c.output) && primary.some((p) => p.tool === c.tool && (!p.name || p.name === c.args?.name))) {
        gone.push({ source, line: clip(c.output.replace(/^ERROR: /, '').split('\n')[0]) });
      }
      continue;
    }
    const before = signals.length;
    readLines(c, subject, source, signals);
    readYaml(c, subject, source, signals, healthy, now);
    readTable(c, subject, source, signals);
    const h = c.tool === 'describe_pod' ? podHealthyNow(c.output) : c.tool === 'describe_node' ? nodeReadyNow(c.output) : /^describe_(deployment|statefulset|daemonset)$/.test(c.tool) ? workloadHealthyNow(c.output) : undefined;
    if (h) {
      healthy.push({ source, line: clip(h) });
      if (typeof c.args?.name === 'string') healthyObjects.push({ kind: kindOf(c).toLowerCase(), name: c.args.name });
    }
    void before;
  }
  // What an object that is healthy now went through before (in its description, or in events about it
  // read separately) is history.
  for (const s of signals) {
    const [kind = '', ref = ''] = s.subject.toLowerCase().split(' ');
    const name = ref.split('/').pop();
    const about = (o: { kind: string; name: string }) =>
      (kind === o.kind && name === o.name) || s.quotes.some((q) => q.line.toLowerCase().includes(`${o.kind}/${o.name} `) || q.line.toLowerCase().includes(`${o.kind}/${o.name}:`));
    if (healthyObjects.some(about)) s.past = true;
  }
  // Saturation alerts (a volume filling up, CPU throttling, an HPA at its maximum) state the finding
  // themselves: the alert's description is the symptom, the objects read give its size and limits.
  const desc = conv.annotations.description ?? conv.annotations.message;
  if (desc && SATURATION.test(conv.alertname)) {
    const sizes = conv.calls
      .filter((c) => c.ok)
      .flatMap((c) => c.output.split('\n').map((l) => ({ source: sourceOf(c), line: l.trim() })))
      .filter((q) => /^(Requested|Capacity|Resources|Allocatable):/.test(q.line) || /^\s*(maxReplicas|currentReplicas)/.test(q.line) || /^allowVolumeExpansion:/.test(q.line))
      .slice(0, 2);
    signals.push({ id: 'alert-fact', weight: 47, what: `the alert reports: ${clip(desc, 240)}`, subject: 'the alert', quotes: [{ source: 'alert description', line: clip(desc) }, ...sizes] });
  }
  // The operator's notes (the analyzer's hypotheses after its evidence) are claims to check, not evidence:
  // the evidence itself comes as tool results, read above.
  return { signals: dedupe(signals), gone, healthy };
}

function dedupe(signals: Signal[]): Signal[] {
  const seen = new Set<string>();
  return signals.filter((s) => {
    const k = `${s.id}|${s.subject}|${s.quotes[0]?.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Strongest current signals first; past ones last. */
export function ranked(r: Reading): Signal[] {
  return [...r.signals].sort((a, b) => Number(!!a.past) - Number(!!b.past) || b.weight - a.weight);
}

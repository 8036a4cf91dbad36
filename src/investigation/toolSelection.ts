// Which tools the model is offered for one decision (LLM_TOOLS=relevant): those that fit the objects the
// alert names and the investigation has reached, not every tool of every server. The 22 built-in tools
// of the first version took about 6 000 prompt tokens, most of a small context before the alert is read; a
// KubePodCrashLooping needs the pod and its owner's tools, not cordon_node or describe_pvc.
//
// Only the offer shrinks: a call to any tool the catalog holds is still accepted (parseDecision), and the
// policy judges every call the same way whatever was offered.
import type { Step } from '../incident/types.js';
import type { ToolInfo } from '../contracts/investigation.js';
import { stepArguments, toolName } from '../contracts/steps.js';
import type { InvestigationContext } from '../incident/contracts.js';

export type ToolOffer = 'all' | 'relevant';

/** The object kinds the tool selection knows, as kube-prometheus alerts name them. */
export type ObjectKind = 'pod' | 'deployment' | 'replicaset' | 'statefulset' | 'daemonset' | 'job' | 'cronjob' | 'node' | 'pvc' | 'hpa' | 'service' | 'namespace' | 'certificate';

/** The built-in server's name (src/tools/kubernetes/server.ts); kept here so that investigation/ does not import tools/. */
const BUILTIN_SERVER = 'kubernetes';

/** Read tools that fit any alert (query_prometheus exists only where PROMETHEUS_URL is set). */
const CORE = ['get_resource', 'list_resources', 'get_events', 'recent_changes', 'query_prometheus'];
const POD = ['describe_pod', 'get_pod_logs'];
const ROLLOUT = ['rollout_status', 'rollout_history', 'rollout_restart', 'set_resources', 'set_probe_timing'];

/** Built-in tools per object kind (a workload's pods come with it). */
export const KIND_TOOLS: Record<ObjectKind, string[]> = {
  pod: [...POD, 'top_pods', 'delete_pod'],
  deployment: ['describe_deployment', ...ROLLOUT, 'scale', 'rollback_deployment', ...POD, 'set_quota_hard'],
  replicaset: ['describe_deployment', ...ROLLOUT, 'scale', 'rollback_deployment', ...POD],
  statefulset: ['describe_statefulset', ...ROLLOUT, 'scale', ...POD, 'set_quota_hard'],
  daemonset: ['describe_daemonset', ...ROLLOUT, ...POD],
  job: ['describe_job', ...POD],
  cronjob: ['describe_job', ...POD],
  node: ['describe_node', 'top_nodes', 'cordon_node', 'uncordon_node'],
  pvc: ['describe_pvc', 'describe_pod', 'expand_pvc'],
  hpa: ['describe_deployment', 'describe_statefulset', 'top_pods', 'scale', 'set_hpa_max_replicas'],
  service: ['describe_pod', 'get_pod_logs'],
  // A namespace's ResourceQuota (KubeQuota* alerts): its one fix.
  namespace: ['top_pods', 'set_quota_hard'],
  // cert-manager's Certificate: read with get_resource (a core tool); its one fix.
  certificate: ['renew_certificate'],
};

const BUILTIN_NAMES = new Set([...CORE, ...Object.values(KIND_TOOLS).flat()]);

/** Labels that name an object (kube-state-metrics, node-exporter, kube-prometheus conventions). */
const LABEL_KINDS: Array<[string, ObjectKind]> = [
  ['pod', 'pod'],
  ['exported_pod', 'pod'],
  ['pod_name', 'pod'],
  ['deployment', 'deployment'],
  ['replicaset', 'replicaset'],
  ['statefulset', 'statefulset'],
  ['daemonset', 'daemonset'],
  ['job_name', 'job'],
  ['cronjob', 'cronjob'],
  ['node', 'node'],
  ['nodename', 'node'],
  ['kubernetes_node', 'node'],
  ['persistentvolumeclaim', 'pvc'],
  ['persistentvolume', 'pvc'],
  ['horizontalpodautoscaler', 'hpa'],
  ['hpa', 'hpa'],
  ['service', 'service'],
  ['resourcequota', 'namespace'],
];

/** kube-prometheus alert names, for alerts whose labels name no object. */
const ALERT_KINDS: Array<[RegExp, ObjectKind]> = [
  [/^(KubePod|KubeContainer|CPUThrottling)/, 'pod'],
  [/^KubeDeployment/, 'deployment'],
  [/^KubeStatefulSet/, 'statefulset'],
  [/^KubeDaemonSet/, 'daemonset'],
  [/^KubeJob/, 'job'],
  [/^KubeCronJob/, 'cronjob'],
  [/^(KubeNode|Node|Kubelet|KubeCPUOvercommit|KubeMemoryOvercommit)/, 'node'],
  [/^KubePersistentVolume/, 'pvc'],
  [/^KubeHpa/, 'hpa'],
  [/^(TargetDown|PrometheusTargetMissing)$/, 'service'],
  [/^(KubeQuota|KubeCPUQuota|KubeMemoryQuota)/, 'namespace'],
  [/^CertManagerCert/, 'certificate'],
];

/** `Kind/name` references in tool outputs (a pod's "Controlled by: ReplicaSet/web-7d9f"). */
const REF_KINDS: Array<[RegExp, ObjectKind]> = [
  [/\bReplicaSet\/[a-z0-9]/, 'replicaset'],
  [/\bDeployment\/[a-z0-9]/, 'deployment'],
  [/\bStatefulSet\/[a-z0-9]/, 'statefulset'],
  [/\bDaemonSet\/[a-z0-9]/, 'daemonset'],
  [/\bJob\/[a-z0-9]/, 'job'],
  [/\bCronJob\/[a-z0-9]/, 'cronjob'],
  [/\bPersistentVolumeClaim\/[a-z0-9]/, 'pvc'],
];

/** What a called tool says about the kinds the investigation reached. */
const TOOL_KINDS: Record<string, ObjectKind> = {
  describe_pod: 'pod',
  get_pod_logs: 'pod',
  describe_deployment: 'deployment',
  rollback_deployment: 'deployment',
  describe_statefulset: 'statefulset',
  describe_daemonset: 'daemonset',
  describe_job: 'job',
  describe_node: 'node',
  describe_pvc: 'pvc',
};

/** The `kind` argument of a generic call, in any spelling kubectl accepts. */
function kindOfArgument(kind: unknown): ObjectKind | undefined {
  if (typeof kind !== 'string') return undefined;
  const k = kind.toLowerCase().replace(/s$/, '');
  const map: Record<string, ObjectKind> = {
    pod: 'pod', po: 'pod',
    deployment: 'deployment', deploy: 'deployment',
    replicaset: 'replicaset', r: 'replicaset',
    statefulset: 'statefulset', st: 'statefulset',
    daemonset: 'daemonset', d: 'daemonset',
    job: 'job', cronjob: 'cronjob', cj: 'cronjob',
    node: 'node', no: 'node',
    persistentvolumeclaim: 'pvc', pvc: 'pvc', persistentvolume: 'pvc', pv: 'pvc',
    horizontalpodautoscaler: 'hpa', hpa: 'hpa',
    service: 'service', svc: 'service',
  };
  return map[k];
}

/** The object kinds of the alert itself: from the labels that name objects, else from the alert's name. */
export function alertKinds(labels: Record<string, string>, alertname: string): Set<ObjectKind> {
  const kinds = new Set<ObjectKind>();
  for (const [label, kind] of LABEL_KINDS) if (typeof labels[label] === 'string' && labels[label].trim()) kinds.add(kind);
  for (const [re, kind] of ALERT_KINDS) if (re.test(alertname)) kinds.add(kind);
  return kinds;
}

/** The kinds the investigation has reached so far: tools called, kinds asked for, owners named in outputs. */
export function reachedKinds(steps: Step[]): Set<ObjectKind> {
  const kinds = new Set<ObjectKind>();
  for (const s of steps) {
    if (s.action !== 'callTool') continue;
    const byTool = TOOL_KINDS[s.tool ?? ''];
    if (byTool) kinds.add(byTool);
    // Arguments that are not a JSON object name no kind.
    const k = kindOfArgument(stepArguments(s).kind);
    if (k) kinds.add(k);
    const out = s.result?.output ?? '';
    for (const [re, kind] of REF_KINDS) if (re.test(out)) kinds.add(kind);
  }
  return kinds;
}

/** Words that make an external tool specific to one kind of object (`pods_log`, "List nodes"). */
const KIND_WORDS: Record<ObjectKind, RegExp> = {
  pod: /\bpods?\b|pods?_|_pods?\b/i,
  deployment: /deployments?/i,
  replicaset: /replicasets?/i,
  statefulset: /statefulsets?/i,
  daemonset: /daemonsets?/i,
  job: /\bjobs?\b|jobs?_|_jobs?\b/i,
  cronjob: /cronjobs?/i,
  node: /\bnodes?\b|nodes?_|_nodes?\b/i,
  pvc: /persistentvolume|\bpvcs?\b|volume/i,
  hpa: /\bhpa\b|autoscaler/i,
  service: /\bservices?\b|services?_|_services?\b|endpoints?/i,
  namespace: /namespaces?/i,
  certificate: /certificates?\b|cert-manager/i,
};

/** At most this many tools of other servers (they arrive with whatever descriptions their authors wrote). */
export const MAX_EXTERNAL_TOOLS = 12;

/**
 * The tools to offer. `all`: every tool. `relevant`: the core read tools, the built-in tools of the kinds
 * the alert names or the investigation reached, every tool already called, and other servers' tools that
 * fit those kinds or are about no kind in particular. An alert that names no kind the selection knows
 * gets every built-in tool.
 */
export function selectTools(ctx: Pick<InvestigationContext, 'incident' | 'steps' | 'tools'>, offer: ToolOffer): ToolInfo[] {
  if (offer === 'all') return ctx.tools;
  const spec = ctx.incident.spec;
  const kinds = new Set([...alertKinds(spec.labels ?? {}, spec.alertname ?? ''), ...reachedKinds(ctx.steps)]);
  const called = new Set(ctx.steps.filter((s) => s.action === 'callTool').map((s) => toolName(s.server, s.tool)));
  const wanted = new Set(CORE);
  for (const k of kinds) for (const t of KIND_TOOLS[k]) wanted.add(t);
  const allBuiltin = !kinds.size;
  let external = 0;
  return ctx.tools.filter((t) => {
    if (called.has(t.name)) return true;
    if (t.server === BUILTIN_SERVER && BUILTIN_NAMES.has(t.tool)) return allBuiltin || wanted.has(t.tool);
    // Another server's tool: offered when it names one of these kinds, or none at all.
    const text = `${t.tool} ${t.description}`;
    const about = (Object.keys(KIND_WORDS) as ObjectKind[]).filter((k) => KIND_WORDS[k].test(text));
    const fits = !about.length || allBuiltin || about.some((k) => kinds.has(k));
    return fits && ++external <= MAX_EXTERNAL_TOOLS;
  });
}

// The data the built-in Kubernetes tools return: each tool's structured result (MCP `structuredContent`,
// published as its `outputSchema`). The text a tool prints is for people and models; this is the same
// finding as data, for programs: the rule-based analyzer reads these (validated with the same schemas) and
// never parses the text. A contract between the tools (src/tools/kubernetes/, which produce it) and the
// analyzer (which reads it), so it sits below both and imports nothing but zod. Values are what the API
// says (quantities as Kubernetes writes them, times in ISO 8601), lists are bounded, strings clipped.
import { z } from 'zod';

const str = z.string();
const opt = <T extends z.ZodTypeAny>(t: T) => t.optional();
const int = z.number().int();
const Quantities = z.record(z.string()).describe('Resource name → quantity as written in the spec, e.g. {"cpu":"100m","memory":"128Mi"}.');

/** Fields every structured result may carry. */
export const COMMON = {
  notes: opt(z.array(str)).describe('What the tool changed in or ignored of the arguments (unknown arguments, kind spellings).'),
  truncated: opt(z.boolean()).describe('Lists were shortened or strings clipped to keep the result bounded.'),
};

export const Condition = z.object({
  type: str,
  status: str,
  reason: opt(str),
  message: opt(str),
  since: opt(str).describe('lastTransitionTime, ISO 8601.'),
});
export type Condition = z.infer<typeof Condition>;

export const Event = z.object({
  type: str.describe('Normal or Warning.'),
  reason: str,
  count: int,
  object: opt(str).describe('The involved object as Kind/name, e.g. Pod/web-1.'),
  namespace: opt(str),
  message: str,
  lastSeen: opt(str).describe('ISO 8601.'),
});
export type Event = z.infer<typeof Event>;

const eventsPart = {
  events: z.array(Event).describe('The newest events of the object, newest first.'),
  eventsTotal: int.describe('How many events the object has in all.'),
  eventsError: opt(str).describe('Why the events could not be read.'),
};

export const ContainerState = z.object({
  state: z.enum(['running', 'waiting', 'terminated', 'unknown']),
  reason: opt(str),
  message: opt(str),
  exitCode: opt(int),
  signal: opt(int),
  startedAt: opt(str),
  finishedAt: opt(str),
});
export type ContainerState = z.infer<typeof ContainerState>;

export const Container = z.object({
  name: str,
  init: z.boolean(),
  image: opt(str),
  ready: opt(z.boolean()),
  started: opt(z.boolean()),
  restarts: opt(int),
  state: opt(ContainerState),
  lastState: opt(ContainerState),
  requests: Quantities,
  limits: Quantities,
  probes: z
    .object({ liveness: opt(str), readiness: opt(str), startup: opt(str) })
    .describe('Each probe as one line, e.g. "http-get /ready port 8080 delay=0s timeout=1s period=10s success=1 failure=3".'),
});
export type Container = z.infer<typeof Container>;

/** One pod as a workload lists it (the row of `kubectl get pods`). */
export const PodSummary = z.object({
  name: str,
  namespace: opt(str),
  status: str.describe('The STATUS column of kubectl get pods: Running, CrashLoopBackOff, OOMKilled, Pending, Init:0/1, ...'),
  ready: int.describe('Ready containers.'),
  total: int.describe('Containers.'),
  restarts: int,
  node: opt(str),
  createdAt: opt(str),
  lastTermination: opt(z.object({ container: str, reason: str, exitCode: opt(int) })).describe('The most recent termination among its containers.'),
});
export type PodSummary = z.infer<typeof PodSummary>;

const podsPart = {
  pods: z.array(PodSummary).describe('The pods it owns (bounded).'),
  podsTotal: int,
  podsError: opt(str),
};

const TemplateContainer = z.object({ name: str, image: opt(str), requests: Quantities, limits: Quantities, init: opt(z.boolean()) });

// ── read tools ────────────────────────────────────────────────────────────────────────────────────

export const DescribePodOutput = {
  name: str,
  namespace: str,
  status: str.describe('As kubectl get pods shows it: CrashLoopBackOff, OOMKilled, ImagePullBackOff, Pending, Evicted, Terminating, ...'),
  phase: opt(str),
  ready: int,
  total: int,
  restarts: int,
  node: opt(str),
  qosClass: opt(str),
  createdAt: opt(str),
  startedAt: opt(str),
  deletingSince: opt(str),
  owner: opt(z.object({ kind: str, name: str })).describe('The controller, e.g. ReplicaSet/web-7d9f8c6b5.'),
  reason: opt(str),
  message: opt(str),
  serviceAccount: opt(str),
  conditions: z.array(Condition),
  containers: z.array(Container).describe('Init containers first (init: true), then app containers.'),
  volumes: z.array(z.object({ name: str, type: str, source: opt(str).describe('PVC claim, ConfigMap or Secret name, host path.') })),
  secretRefs: z.array(z.object({ name: str, uses: z.array(str) })).describe('Secrets the pod references, by name only.'),
  ...eventsPart,
  ...COMMON,
};

export const WorkloadReplicas = z.object({
  desired: int,
  current: opt(int),
  updated: opt(int),
  ready: int,
  available: opt(int),
  unavailable: opt(int),
  misscheduled: opt(int),
  total: opt(int).describe('Pods that exist (status.replicas; current for a DaemonSet).'),
});
export type WorkloadReplicas = z.infer<typeof WorkloadReplicas>;

export const DescribeWorkloadOutput = {
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name: str,
  namespace: str,
  replicas: WorkloadReplicas.describe('For a DaemonSet: scheduled nodes (desired, current, updated, ready, available, unavailable, misscheduled).'),
  generation: opt(int),
  observedGeneration: opt(int),
  revision: opt(str).describe('Deployment: its revision annotation; StatefulSet: the current revision.'),
  updateRevision: opt(str),
  paused: opt(z.boolean()),
  strategy: opt(str),
  selector: opt(str),
  createdAt: opt(str),
  conditions: z.array(Condition),
  containers: z.array(TemplateContainer).describe('The pod template.'),
  replicaSets: opt(
    z.array(z.object({ name: str, revision: int, current: z.boolean(), desired: int, ready: int, available: int, images: z.array(str) })),
  ).describe('Deployment only: its ReplicaSets, newest revision first.'),
  replicaSetsError: opt(str),
  volumeClaimTemplates: opt(z.array(z.object({ name: str, storageClass: opt(str), storage: opt(str) }))),
  managedBy: opt(str).describe('Flux or Argo CD keeps this workload from Git: who, from which repository and path, and how soon a direct change is reverted.'),
  ...podsPart,
  ...eventsPart,
  ...COMMON,
};

export const DescribeJobOutput = {
  kind: z.literal('Job'),
  name: str,
  namespace: str,
  owner: opt(z.object({ kind: str, name: str })),
  completions: int,
  succeeded: int,
  active: int,
  failed: int,
  ready: opt(int),
  parallelism: int,
  backoffLimit: int,
  completionMode: str,
  activeDeadlineSeconds: opt(int),
  suspended: opt(z.boolean()),
  createdAt: opt(str),
  startedAt: opt(str),
  completedAt: opt(str),
  conditions: z.array(Condition),
  containers: z.array(TemplateContainer),
  ...podsPart,
  ...eventsPart,
  ...COMMON,
};

export const DescribeNodeOutput = {
  name: str,
  status: z.enum(['Ready', 'NotReady', 'Unknown']).describe('From the Ready condition (Unknown when there is none).'),
  unschedulable: z.boolean(),
  roles: z.array(str),
  taints: z.array(z.object({ key: str, value: opt(str), effect: str })),
  createdAt: opt(str),
  kubeletVersion: opt(str),
  conditions: z.array(Condition),
  capacity: Quantities,
  allocatable: Quantities,
  pods: opt(
    z.object({
      count: int.describe('Non-terminated pods on the node.'),
      cpuRequests: z.number().describe('Summed CPU requests of those pods, in cores.'),
      cpuLimits: z.number(),
      memoryRequests: z.number().describe('Summed memory requests, in bytes.'),
      memoryLimits: z.number(),
      items: z.array(z.object({ namespace: str, name: str, status: str, restarts: int })),
    }),
  ),
  podsError: opt(str),
  ...eventsPart,
  ...COMMON,
};

export const DescribePvcOutput = {
  name: str,
  namespace: str,
  phase: str.describe('Pending, Bound or Lost.'),
  volumeName: opt(str),
  storageClass: opt(str).describe('Absent: the default class.'),
  volumeMode: str,
  requested: opt(str),
  capacity: opt(str),
  accessModes: z.array(str),
  createdAt: opt(str),
  deletingSince: opt(str),
  finalizers: opt(z.array(str)),
  conditions: z.array(Condition),
  volume: opt(z.object({ name: str, phase: opt(str), capacity: opt(str), reclaimPolicy: opt(str), source: str, message: opt(str) })),
  volumeError: opt(str),
  usedBy: opt(z.array(z.object({ name: str, status: str, node: opt(str) }))).describe('The pods that mount the claim.'),
  usedByError: opt(str),
  ...eventsPart,
  ...COMMON,
};

export const GetEventsOutput = {
  namespace: opt(str).describe('Absent: all namespaces.'),
  events: z.array(Event),
  total: int.describe('Events that matched (only the newest are listed).'),
  capped: z.boolean().describe('More events exist than were read.'),
  ...COMMON,
};

export const GetPodLogsOutput = {
  name: str,
  namespace: str,
  container: str,
  previous: z.boolean(),
  lines: int.describe('Log lines returned.'),
  bytes: int.describe('Bytes of log returned (before any cut).'),
  cut: z.boolean().describe('Only the end of the log is shown.'),
  empty: z.boolean(),
  errorLines: z.array(str).describe('Up to 5 of the last 40 lines that look like errors (error, fatal, panic, exception, refused, ...), oldest first.'),
  lastLines: z.array(str).describe('The last 5 lines.'),
  ...COMMON,
};

export const ListItem = z.object({
  name: str,
  namespace: opt(str),
  createdAt: opt(str),
  columns: z.record(str).describe('The status columns kubectl shows for the kind (without NAME, NAMESPACE and AGE), as shown.'),
  pod: opt(PodSummary.omit({ name: true, namespace: true, createdAt: true })).describe('kind Pod: its state as data.'),
  node: opt(z.object({ status: z.enum(['Ready', 'NotReady', 'Unknown']), unschedulable: z.boolean(), roles: z.array(str), version: opt(str) })).describe('kind Node: its state as data.'),
});
export type ListItem = z.infer<typeof ListItem>;

export const ListResourcesOutput = {
  apiVersion: str,
  kind: str,
  namespace: opt(str).describe('Absent: all namespaces (or a cluster-scoped kind).'),
  labelSelector: opt(str),
  fieldSelector: opt(str),
  items: z.array(ListItem),
  more: z.boolean().describe('More objects exist than were listed.'),
  remaining: opt(int),
  ...COMMON,
};

export const GetResourceOutput = {
  apiVersion: str,
  kind: str,
  name: str,
  namespace: opt(str),
  object: z.record(z.unknown()).describe('The object without managedFields and last-applied annotations; Secret values and sensitive env values hidden.'),
  ...COMMON,
};

export const RolloutStatusOutput = {
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name: str,
  namespace: str,
  state: z.enum(['complete', 'progressing', 'failed', 'waiting', 'unsupported']),
  message: str,
  revision: opt(str),
  replicas: WorkloadReplicas,
  images: z.array(str),
  conditions: z.array(Condition),
  podsNotReady: z.array(PodSummary),
  podsTotal: int,
  podsError: opt(str),
  ...COMMON,
};

export const RolloutHistoryOutput = {
  name: str,
  namespace: str,
  currentRevision: opt(str),
  revisions: z.array(
    z.object({ revision: int, current: z.boolean(), replicaSet: str, createdAt: opt(str), ready: int, desired: int, images: z.array(str), changeCause: opt(str) }),
  ).describe('Newest first.'),
  ...COMMON,
};

const UsageRow = z.object({
  namespace: str,
  pod: str,
  container: opt(str),
  cpu: z.number().describe('Cores in use.'),
  memory: z.number().describe('Bytes in use.'),
  cpuRequest: opt(z.number()),
  cpuLimit: opt(z.number()),
  memoryRequest: opt(z.number()),
  memoryLimit: opt(z.number()),
});
export type UsageRow = z.infer<typeof UsageRow>;

export const TopPodsOutput = {
  namespace: opt(str),
  sortBy: z.enum(['cpu', 'memory']),
  perContainer: z.boolean(),
  rows: z.array(UsageRow),
  total: int,
  requestsError: opt(str).describe('Why requests and limits are missing.'),
  ...COMMON,
};

export const TopNodesOutput = {
  sortBy: z.enum(['cpu', 'memory']),
  rows: z.array(z.object({ node: str, cpu: z.number(), memory: z.number(), cpuAllocatable: opt(z.number()), memoryAllocatable: opt(z.number()) })),
  total: int,
  allocatableError: opt(str),
  ...COMMON,
};

export const Change = z.object({
  at: str.describe('When, ISO 8601.'),
  type: z.enum(['rollout', 'spec', 'config', 'node', 'scaling', 'storage', 'pod']).describe('rollout: a new ReplicaSet/ControllerRevision revision; spec: a write of the spec (managedFields); config: a ConfigMap created or updated; node: a node condition or spec change; scaling: HPA or replica changes; storage: a claim changed.'),
  object: str.describe('Kind/name, e.g. Deployment/web.'),
  summary: str,
  details: opt(z.array(str)).describe('Pod-template differences from the previous revision, "path: before → after" (sensitive env values hidden).'),
  revision: opt(int),
  previousRevision: opt(int),
  replicaSet: opt(str),
  source: opt(str).describe('Where it was read: ReplicaSet, ControllerRevision, managedFields, condition, status, event, metadata.'),
  afterStart: opt(z.boolean()).describe('The change came after `before` (the alert had already started).'),
});
export type Change = z.infer<typeof Change>;

export const RecentChangesOutput = {
  kind: str,
  name: str,
  namespace: opt(str),
  since: str.describe('Start of the window, ISO 8601.'),
  until: str.describe("End of the window (the alert's startsAt, or now), ISO 8601; later changes are listed too, marked afterStart."),
  workload: opt(z.object({ kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']), name: str })).describe('The workload examined (for a Pod: its controller).'),
  node: opt(str),
  objects: z.array(str).describe('The objects examined, as Kind/name.'),
  changes: z.array(Change).describe('Newest first, bounded.'),
  changesTotal: int,
  unreadable: z.array(z.object({ object: str, why: str })).describe('What could not be read (Secrets: not readable by design).'),
  ...COMMON,
};

const SeriesSummary = z.object({
  labels: z.record(str).describe('The series labels (with __name__ when the query keeps it).'),
  points: int.describe('Samples in the range (1 for an instant query).'),
  first: opt(z.number()),
  last: z.number().nullable().describe('The newest value (null: NaN or infinite).'),
  min: z.number().nullable(),
  max: z.number().nullable(),
  firstAt: opt(str),
  lastAt: str.describe('Time of the newest sample, ISO 8601.'),
  trend: z.enum(['rising', 'falling', 'flat', 'single']).describe('From a least-squares fit over the range.'),
  slopePerHour: opt(z.number()).describe('Change per hour of the fitted line.'),
  samples: opt(z.array(z.tuple([str, z.number().nullable()]))).describe('A few evenly spaced samples [time, value] (range queries).'),
});
export type SeriesSummary = z.infer<typeof SeriesSummary>;

export const QueryPrometheusOutput = {
  query: str,
  kind: z.enum(['instant', 'range']),
  resultType: str.describe('vector, matrix, scalar or string.'),
  time: opt(str).describe('Instant query: evaluation time.'),
  start: opt(str),
  end: opt(str),
  stepSeconds: opt(z.number()),
  series: z.array(SeriesSummary).describe('Bounded; the series with the highest last value first.'),
  seriesTotal: int,
  warnings: opt(z.array(str)),
  ...COMMON,
};

// ── mutating tools ────────────────────────────────────────────────────────────────────────────────

export const RolloutRestartOutput = {
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name: str,
  namespace: str,
  restartedAt: str,
  previousRestartedAt: opt(str),
  generation: z.object({ before: opt(int), after: opt(int) }),
  ...COMMON,
};

export const ScaleOutput = {
  kind: z.enum(['Deployment', 'StatefulSet', 'ReplicaSet']),
  name: str,
  namespace: str,
  changed: z.boolean(),
  replicas: z.object({ before: int, after: int }),
  autoscaler: opt(str).describe('A HorizontalPodAutoscaler that targets the object and may undo the change.'),
  ...COMMON,
};

export const DeletePodOutput = {
  name: str,
  namespace: str,
  gracePeriodSeconds: opt(int),
  before: z.object({ status: str, restarts: int, node: opt(str) }),
  owner: opt(z.object({ kind: str, name: str })),
  replaced: z.boolean().describe('A controller will create a replacement.'),
  ...COMMON,
};

export const NodeScheduleOutput = {
  name: str,
  changed: z.boolean(),
  unschedulable: z.object({ before: z.boolean(), after: z.boolean() }),
  ...COMMON,
};

export const SetResourcesOutput = {
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name: str,
  namespace: str,
  container: str,
  changes: z.array(z.object({ field: str.describe('e.g. limits.memory'), before: opt(str), after: str })),
  requests: Quantities,
  limits: Quantities,
  generation: z.object({ before: opt(int), after: opt(int) }),
  ...COMMON,
};

export const RollbackOutput = {
  name: str,
  namespace: str,
  changed: z.boolean(),
  fromRevision: int,
  toRevision: int,
  replicaSet: str,
  changes: z.array(str).describe('Pod template differences, "path: before → after".'),
  ...COMMON,
};

const CertCondition = z.object({ type: str, status: str, reason: opt(str), message: opt(str) });

export const RenewCertificateOutput = {
  name: str,
  namespace: str,
  issuer: opt(str).describe('"Issuer name" or "ClusterIssuer name", from spec.issuerRef.'),
  secretName: opt(str).describe('The Secret the certificate is stored in (spec.secretName): re-issuance replaces its contents.'),
  notAfter: opt(str).describe('Expiry of the current certificate, before the renewal (ISO 8601).'),
  renewalTime: opt(str),
  revision: opt(int).describe('status.revision before the renewal: a new issuance raises it.'),
  previousRequest: opt(z.object({ name: str, uid: str })).describe('The newest CertificateRequest before the renewal: the issuance it asks for makes another one.'),
  issuing: CertCondition.describe('The Issuing condition as written (True, ManuallyTriggered).'),
  lastFailure: opt(
    z.object({
      certificateRequest: opt(z.object({ name: str, revision: opt(str), conditions: z.array(CertCondition) })),
      order: opt(z.object({ name: str, state: opt(str), reason: opt(str) })),
      challenges: z.array(z.object({ name: str, type: opt(str), dnsName: opt(str), state: opt(str), reason: opt(str) })).describe('Failing ones only; bounded.'),
    }),
  ).describe('Why the last issuance failed, read before the renewal: the newest CertificateRequest, its ACME Order and failing Challenges.'),
  ...COMMON,
};

export const ExpandPvcOutput = {
  name: str,
  namespace: str,
  storageClass: str,
  volumeName: opt(str),
  size: z.object({ before: str, after: str }).describe('spec.resources.requests.storage.'),
  capacity: opt(str).describe('status.capacity.storage before the change.'),
  ...COMMON,
};

// The fixes that raise a bound (set_probe_timing, set_hpa_max_replicas, set_quota_hard): values before → after.
const WHERE = { name: str, namespace: str, changed: z.boolean() };
const ProbeChange = z.object({ field: str.describe('e.g. timeoutSeconds'), before: int.describe("in effect before (Kubernetes' default where unset)"), after: int, wasSet: z.boolean() });

export const SetProbeTimingOutput = {
  ...WHERE,
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  container: str,
  probe: z.enum(['liveness', 'readiness', 'startup']),
  changes: z.array(ProbeChange).describe("Only the timing fields asked for; the probe's handler (command, path, port) never changes."),
  generation: z.object({ before: opt(int), after: opt(int) }),
  ...COMMON,
};

export const SetHpaMaxReplicasOutput = {
  ...WHERE,
  maxReplicas: z.object({ before: int, after: int }),
  ...{ minReplicas: opt(int), currentReplicas: opt(int), desiredReplicas: opt(int) },
  target: opt(str).describe('"Deployment web": spec.scaleTargetRef.'),
  ceiling: int.describe('The highest maxReplicas this change could set (FIX_HPA_MAX_REPLICAS_LIMIT, FIX_HPA_MAX_FACTOR).'),
  ...COMMON,
};

export const SetQuotaHardOutput = {
  ...WHERE,
  resource: str.describe('e.g. pods, requests.cpu, limits.memory'),
  hard: z.object({ before: str, after: str }).describe('spec.hard[resource] as written.'),
  used: opt(str).describe('status.used[resource] before the change.'),
  ceiling: str.describe('The highest value this change could set (FIX_QUOTA_MAX_FACTOR times the current one).'),
  ...COMMON,
};

/** Every built-in tool's output shape, by tool name. */
export const OUTPUTS = {
  get_resource: GetResourceOutput,
  list_resources: ListResourcesOutput,
  describe_pod: DescribePodOutput,
  describe_deployment: DescribeWorkloadOutput,
  describe_statefulset: DescribeWorkloadOutput,
  describe_daemonset: DescribeWorkloadOutput,
  describe_node: DescribeNodeOutput,
  describe_pvc: DescribePvcOutput,
  describe_job: DescribeJobOutput,
  get_events: GetEventsOutput,
  get_pod_logs: GetPodLogsOutput,
  rollout_status: RolloutStatusOutput,
  rollout_history: RolloutHistoryOutput,
  top_pods: TopPodsOutput,
  top_nodes: TopNodesOutput,
  recent_changes: RecentChangesOutput,
  query_prometheus: QueryPrometheusOutput,
  rollout_restart: RolloutRestartOutput,
  scale: ScaleOutput,
  delete_pod: DeletePodOutput,
  cordon_node: NodeScheduleOutput,
  uncordon_node: NodeScheduleOutput,
  set_resources: SetResourcesOutput,
  rollback_deployment: RollbackOutput,
  renew_certificate: RenewCertificateOutput,
  expand_pvc: ExpandPvcOutput,
  set_probe_timing: SetProbeTimingOutput,
  set_hpa_max_replicas: SetHpaMaxReplicasOutput,
  set_quota_hard: SetQuotaHardOutput,
} as const;

export type ToolName = keyof typeof OUTPUTS;
export type OutputOf<T extends ToolName> = z.infer<z.ZodObject<(typeof OUTPUTS)[T]>>;

export type PodData = OutputOf<'describe_pod'>;
export type WorkloadData = OutputOf<'describe_deployment'>;
export type JobData = OutputOf<'describe_job'>;
export type NodeData = OutputOf<'describe_node'>;
export type PvcData = OutputOf<'describe_pvc'>;
export type EventsData = OutputOf<'get_events'>;
export type LogsData = OutputOf<'get_pod_logs'>;
export type ListData = OutputOf<'list_resources'>;
export type ResourceData = OutputOf<'get_resource'>;
export type RolloutStatusData = OutputOf<'rollout_status'>;
export type RolloutHistoryData = OutputOf<'rollout_history'>;
export type TopPodsData = OutputOf<'top_pods'>;
export type TopNodesData = OutputOf<'top_nodes'>;
export type RecentChangesData = OutputOf<'recent_changes'>;
export type PrometheusData = OutputOf<'query_prometheus'>;

const PARSERS = new Map<string, z.ZodTypeAny>(Object.entries(OUTPUTS).map(([k, shape]) => [k, z.object(shape)]));

/** The structured result of a built-in tool as its type, or undefined when it is not one (tolerant: never throws). */
export function readOutput<T extends ToolName>(tool: T, data: unknown): OutputOf<T> | undefined {
  const schema = PARSERS.get(tool);
  if (!schema || data === undefined || data === null) return undefined;
  const r = schema.safeParse(data);
  return r.success ? (r.data as OutputOf<T>) : undefined;
}

// Reading tool results as evidence: the rule-based analyzer's eyes. The built-in Kubernetes tools return
// their findings as data (MCP structuredContent, stored in each step's result as `data`); this module
// reads that data, checked against the tools' own output schemas (src/contracts/toolData.ts), and
// shapes it for the rules. It never parses the text a tool printed: text is only quoted. A result without
// data (an external MCP server's text, a step recorded before results had data) is "nothing found", never
// an exception.
import { stepArguments } from '../contracts/steps.js';
import type { Step } from '../incident/types.js';
import { parseQuantity } from '../util/quantity.js';
import { clip as clipText } from '../util/text.js';
import {
  readOutput,
  type Condition as DataCondition,
  type Event as DataEvent,
  type ContainerState,
  type LogsData,
  type OutputOf,
  type PodData,
  type PodSummary,
  type ToolName,
} from '../contracts/toolData.js';

// ── observations (the executed tool steps) ────────────────────────────────────────────────────────

export interface Observation {
  index: number;
  server?: string;
  tool: string;
  args: Record<string, unknown>;
  state?: string;
  mutating: boolean;
  ok: boolean;
  /** The text the tool printed: quoted in reports, never parsed. */
  output: string;
  /** The tool's structured result, when the step holds one (not yet checked against a schema). */
  data?: unknown;
  error?: string;
  /** Why the policy blocked it or who rejected it (mutating calls). */
  policy?: string;
}

/**
 * A step's result as the analyzer reads it: `data` is the tool's structured result, stored as the JSON
 * text of its structuredContent (an object is accepted too).
 */
export type StepResult = NonNullable<Step['result']> & { data?: unknown };

/** A stable key for a tool call: same tool and same arguments (in any key order) → same key. */
export function callKey(tool: string, args: Record<string, unknown>): string {
  const sorted = Object.keys(args)
    .sort()
    .reduce<Record<string, unknown>>((o, k) => ((o[k] = args[k]), o), {});
  return `${tool} ${JSON.stringify(sorted)}`;
}

const parsedData = new WeakMap<object, { data: unknown; value: unknown }>();

/**
 * The structured result of a step: JSON data as stored (a JSON text, or an object), else undefined.
 * Parsed once per result object (the value is shared: read it, never change it).
 */
export function stepData(result: StepResult | undefined): unknown {
  const d = result?.data;
  if (typeof d !== 'string') return d && typeof d === 'object' ? d : undefined;
  const hit = parsedData.get(result!);
  if (hit && hit.data === d) return hit.value;
  let value: unknown;
  try {
    value = JSON.parse(d) as unknown;
  } catch {
    value = undefined;
  }
  parsedData.set(result!, { data: d, value });
  return value;
}

const checked = new WeakMap<object, Map<ToolName, unknown>>();

/** A step's data checked against `tool`'s output schema (readOutput), once per data object and tool. */
export function readData<T extends ToolName>(tool: T, data: unknown): OutputOf<T> | undefined {
  if (!data || typeof data !== 'object') return readOutput(tool, data);
  let byTool = checked.get(data);
  if (!byTool) checked.set(data, (byTool = new Map()));
  if (!byTool.has(tool)) byTool.set(tool, readOutput(tool, data));
  return byTool.get(tool) as OutputOf<T> | undefined;
}

function matches(o: Observation, match: Record<string, unknown>): boolean {
  const data = o.data && typeof o.data === 'object' ? (o.data as Record<string, unknown>) : {};
  // An argument matches as sent, or as the tool read it (a model's "po" is the data's "Pod").
  return Object.entries(match).every(([k, v]) => v === undefined || o.args[k] === v || data[k] === v);
}

/** The tool calls an investigation made so far, with their results. */
export class Evidence {
  readonly obs: Observation[];

  constructor(steps: Step[]) {
    this.obs = steps
      .filter((s) => s.action === 'callTool' && s.tool)
      .map((s) => ({
        index: s.index,
        server: s.server,
        tool: s.tool!,
        args: stepArguments(s),
        state: s.state,
        mutating: !!s.mutating,
        ok: !!s.result?.ok,
        output: s.result?.output ?? '',
        data: s.result?.ok ? stepData(s.result as StepResult) : undefined,
        error: s.result?.error,
        policy: s.policy?.reason,
      }));
  }

  /** Calls made (any state), by key. */
  keys(): Set<string> {
    return new Set(this.obs.map((o) => callKey(o.tool, o.args)));
  }

  /** Tool calls that were decided (read or mutating), whatever became of them. */
  get callCount(): number {
    return this.obs.length;
  }

  /** The latest call of `tool` whose arguments include `match`, in any state. */
  call(tool: string, match: Record<string, unknown> = {}): Observation | undefined {
    for (let i = this.obs.length - 1; i >= 0; i--) {
      const o = this.obs[i];
      if (o.tool === tool && Object.entries(match).every(([k, v]) => v === undefined || o.args[k] === v)) return o;
    }
    return undefined;
  }

  /**
   * The structured result of the latest successful call of a built-in `tool` matching `match` (by its
   * arguments or by the fields of its result), checked against the tool's output schema; undefined
   * when there is none (not called, failed, or a result without data).
   */
  data<T extends ToolName>(tool: T, match: Record<string, unknown> = {}): OutputOf<T> | undefined {
    for (let i = this.obs.length - 1; i >= 0; i--) {
      const o = this.obs[i];
      if (o.tool !== tool || !o.ok || !matches(o, match)) continue;
      const d = readData(tool, o.data);
      if (d) return d;
    }
    return undefined;
  }

  /**
   * The latest successful call of `tool` matching `match` when it has no structured result the analyzer
   * can read (an external server's text): its text may be quoted, never parsed.
   */
  textOnly(tool: ToolName, match: Record<string, unknown> = {}): Observation | undefined {
    const o = [...this.obs].reverse().find((x) => x.tool === tool && x.ok && Object.entries(match).every(([k, v]) => v === undefined || x.args[k] === v));
    return o && !readData(tool, o.data) ? o : undefined;
  }

  /** The object a get_resource call read (from its structured result), by kind, name and namespace. */
  resource(kind: string, name: string, namespace?: string): Record<string, unknown> | undefined {
    return this.data('get_resource', { kind, name, ...(namespace ? { namespace } : {}) })?.object;
  }

  /** Every successful call of `tool` with its structured result, oldest first. */
  all<T extends ToolName>(tool: T): Array<{ o: Observation; d: OutputOf<T> }> {
    const out: Array<{ o: Observation; d: OutputOf<T> }> = [];
    for (const o of this.obs) {
      if (o.tool !== tool || !o.ok) continue;
      const d = readData(tool, o.data);
      if (d) out.push({ o, d });
    }
    return out;
  }

  /** The events of every get_events result (optionally only those read in `namespace`). */
  events(namespace?: string): DataEvent[][] {
    return this.all('get_events')
      .filter(({ o, d }) => !namespace || (d.namespace ?? o.args.namespace) === namespace || !(d.namespace ?? o.args.namespace))
      .map(({ d }) => d.events);
  }

  /** Error text of the latest failed call of `tool` matching `match` (when that call failed). */
  failure(tool: string, match: Record<string, unknown> = {}): string | undefined {
    const o = this.call(tool, match);
    if (!o || o.ok || o.state === 'Blocked' || o.state === 'Rejected') return undefined;
    if (o.state !== 'Failed' && o.state !== 'Unknown') return undefined;
    return (o.error || o.output || 'the call failed').trim();
  }

  /** Calls that did not give evidence (failed), for the report's gaps. */
  failed(): Observation[] {
    return this.obs.filter((o) => !o.mutating && o.state === 'Failed');
  }

  mutations(): Observation[] {
    return this.obs.filter((o) => o.mutating);
  }
}

export function isNotFound(err: string | undefined): boolean {
  return !!err && /\bnot found\b|NotFound|\b404\b/i.test(err) && !/API group|not served|kind .* is not served/i.test(err);
}

// ── small helpers ─────────────────────────────────────────────────────────────────────────────────

/** Trailing whitespace dropped, at most `max` characters ("…" when cut). */
export function clip(s: string, max = 300): string {
  return clipText(s.trimEnd(), max);
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The value at a dotted path of an object as read ("spec.scaleTargetRef.name"), or undefined. */
export function field(o: unknown, path: string): unknown {
  let cur = o;
  for (const k of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A string (or number) field as text, else undefined. */
export function text(o: unknown, path: string): string | undefined {
  const v = field(o, path);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** A list field, else an empty list. */
export function list(o: unknown, path: string): unknown[] {
  const v = field(o, path);
  return Array.isArray(v) ? v : [];
}

/** "cpu=100m, memory=64Mi" (or "none"), as the describe tools print quantities. */
export function quantities(m: Record<string, string> | undefined): string {
  const parts = Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'none';
}

// ── quantities ────────────────────────────────────────────────────────────────────────────────────

/** A Kubernetes quantity in base units (cores, bytes), or undefined. */
export const quantity = (q: string | undefined): number | undefined => parseQuantity(q);

/** Bytes as a memory quantity ("256Mi"), rounded up to a whole unit. */
export function memoryQuantity(bytes: number): string {
  for (const [u, f] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  if (bytes >= 2 ** 30) return `${Math.ceil(bytes / 2 ** 20)}Mi`;
  if (bytes >= 2 ** 20) return `${Math.ceil(bytes / 2 ** 20)}Mi`;
  return `${Math.ceil(bytes / 2 ** 10)}Ki`;
}

/** Cores as the tools show them: "250m", "2". */
export function cpuText(cores: number): string {
  return cores >= 10 || Number.isInteger(cores) ? `${Math.round(cores * 100) / 100}` : `${Math.round(cores * 1000)}m`;
}

/** Bytes as the tools show them: "121Mi", "1.5Gi". */
export function memoryText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${Math.round((bytes / 2 ** 30) * 10) / 10}Gi`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  return `${Math.round(bytes / 2 ** 10)}Ki`;
}

// ── conditions ────────────────────────────────────────────────────────────────────────────────────

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** The condition as one line, for quotes: "Ready=False — KubeletNotReady: message". */
  line: string;
}

export function conditions(cs: DataCondition[] | undefined): Condition[] {
  return (cs ?? []).map((c) => {
    const extra = [c.reason, c.message].filter(Boolean).join(': ');
    return { type: c.type, status: c.status, reason: c.reason, message: c.message, line: clip(`${c.type}=${c.status}${extra ? ` — ${extra}` : ''}`) };
  });
}

export function condition(conds: Condition[], type: string): Condition | undefined {
  return conds.find((c) => c.type === type);
}

// ── events ────────────────────────────────────────────────────────────────────────────────────────

export interface EventRec {
  type: string;
  reason: string;
  count: number;
  /** Kind/name of the object. */
  object?: string;
  message: string;
  /** The event as one line, for quotes: "Warning  BackOff (x3) Pod/web-1: message". */
  line: string;
}

export function eventRec(e: DataEvent): EventRec {
  const line = `${e.type}  ${e.reason}${e.count > 1 ? ` (x${e.count})` : ''}${e.object ? ` ${e.object}` : ''}: ${e.message}`;
  return { type: e.type, reason: e.reason, count: e.count, object: e.object, message: e.message, line: clip(line, 400) };
}

/** Events (from any number of event lists) whose reason matches, about `object` if given, deduplicated by reason+message. */
export function eventsBy(lists: Array<DataEvent[] | undefined>, reason: RegExp, object?: string): EventRec[] {
  const seen = new Set<string>();
  const out: EventRec[] = [];
  for (const list of lists) {
    for (const e of (list ?? []).map(eventRec)) {
      if (!reason.test(e.reason)) continue;
      // The operator's own events about AlertIncidents are not evidence about the cluster.
      if (e.object && /(^|\/)AlertIncident\//.test(e.object)) continue;
      if (object && e.object && !e.object.endsWith(`/${object}`) && e.object !== object) continue;
      const k = `${e.reason}|${e.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(e);
    }
  }
  return out;
}

// ── pods ──────────────────────────────────────────────────────────────────────────────────────────

export interface ContainerInfo {
  name: string;
  init: boolean;
  /** Running | Waiting | Terminated */
  state?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  lastReason?: string;
  lastExitCode?: number;
  lastMessage?: string;
  ready?: boolean;
  restarts?: number;
  image?: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
  liveness?: string;
  readiness?: string;
  startup?: string;
  /** For quotes: "State: Waiting: CrashLoopBackOff — back-off 5m0s ...". */
  stateLine?: string;
  /** For quotes: "Last state: Terminated: Error, exit code 1". */
  lastLine?: string;
  /** For quotes: "Resources: requests: cpu=100m, memory=128Mi; limits: memory=256Mi". */
  resourcesLine?: string;
}

export interface PodInfo {
  name?: string;
  namespace?: string;
  status?: string;
  phase?: string;
  ready?: string;
  restarts?: number;
  node?: string;
  owner?: { kind: string; name: string };
  /** For quotes: "Status: CrashLoopBackOff   Phase: Running   Ready: 0/1   Restarts: 7". */
  statusLine?: string;
  /** For quotes: "Reason: Evicted — The node was low on resource: memory." */
  reasonLine?: string;
  conditions: Condition[];
  containers: ContainerInfo[];
  volumes: Array<{ name: string; pvc?: string; line: string }>;
  events: EventRec[];
}

const STATE: Record<ContainerState['state'], string | undefined> = { running: 'Running', waiting: 'Waiting', terminated: 'Terminated', unknown: undefined };

/** A container state as the describe tools word it: "Waiting: CrashLoopBackOff — msg", "Terminated: Error, exit code 1". */
function stateText(s: ContainerState): string {
  if (s.state === 'running') return 'Running';
  if (s.state === 'waiting') return `Waiting: ${s.reason ?? 'unknown reason'}${s.message ? ` — ${s.message}` : ''}`;
  if (s.state === 'terminated') return `Terminated: ${s.reason ?? 'unknown reason'}, exit code ${s.exitCode ?? '?'}${s.message ? ` — ${s.message}` : ''}`;
  return 'unknown';
}

/** describe_pod's data shaped for the rules (an empty PodInfo when there is none). */
export function podInfo(d: PodData | undefined): PodInfo {
  if (!d) return { conditions: [], containers: [], volumes: [], events: [] };
  return {
    name: d.name,
    namespace: d.namespace,
    status: d.status,
    phase: d.phase,
    ready: `${d.ready}/${d.total}`,
    restarts: d.restarts,
    node: d.node,
    owner: d.owner,
    statusLine: `Status: ${d.status}   Phase: ${d.phase ?? 'Unknown'}   Ready: ${d.ready}/${d.total}   Restarts: ${d.restarts}`,
    reasonLine: d.reason || d.message ? `Reason: ${d.reason ?? ''}${d.message ? ` — ${d.message}` : ''}` : undefined,
    conditions: conditions(d.conditions),
    containers: d.containers.map((c) => ({
      name: c.name,
      init: c.init,
      state: c.state ? STATE[c.state.state] : undefined,
      reason: c.state?.reason,
      message: c.state?.message,
      exitCode: c.state?.exitCode,
      lastReason: c.lastState?.reason,
      lastExitCode: c.lastState?.exitCode,
      lastMessage: c.lastState?.message,
      ready: c.ready,
      restarts: c.restarts,
      image: c.image,
      requests: c.requests,
      limits: c.limits,
      liveness: c.probes.liveness,
      readiness: c.probes.readiness,
      startup: c.probes.startup,
      stateLine: c.state ? `State: ${stateText(c.state)}` : 'State: no status reported yet',
      lastLine: c.lastState ? `Last state: ${stateText(c.lastState)}` : undefined,
      resourcesLine: `Resources: requests: ${quantities(c.requests)}; limits: ${quantities(c.limits)}`,
    })),
    volumes: d.volumes.map((v) => ({ name: v.name, pvc: v.type === 'persistentVolumeClaim' ? v.source : undefined, line: `${v.name}: ${v.type}${v.source ? ` ${v.source}` : ''}` })),
    events: d.events.map(eventRec),
  };
}

/** The container an alert is about: the named one, else the first app container that is not fine. */
export function pickContainer(pod: PodInfo, name?: string): ContainerInfo | undefined {
  const app = pod.containers.filter((c) => !c.init);
  if (name) {
    const named = pod.containers.find((c) => c.name === name);
    if (named) return named;
  }
  const bad = (c: ContainerInfo) => c.state !== 'Running' || c.ready === false || !!c.lastReason;
  return pod.containers.find((c) => c.init && c.state !== 'Terminated' && c.state !== undefined && c.state !== 'Running') ?? app.find(bad) ?? app[0] ?? pod.containers[0];
}

// ── workloads ─────────────────────────────────────────────────────────────────────────────────────

export interface PodLine {
  name: string;
  status: string;
  ready: number;
  total: number;
  restarts: number;
  node?: string;
  /** "web: OOMKilled (exit 137)" */
  lastTermination?: string;
  /** For quotes: "web-1  status=CrashLoopBackOff  ready=0/1  restarts=3  node=n". */
  line: string;
}

/** One pod as a workload (or a pod list) reports it. */
export function podLine(p: PodSummary & { name: string }): PodLine {
  const last = p.lastTermination ? `${p.lastTermination.container}: ${p.lastTermination.reason}${p.lastTermination.exitCode !== undefined ? ` (exit ${p.lastTermination.exitCode})` : ''}` : undefined;
  const line = [p.namespace ? `${p.namespace}/${p.name}` : p.name, `status=${p.status}`, `ready=${p.ready}/${p.total}`, `restarts=${p.restarts}`, `node=${p.node ?? '<unscheduled>'}`, last ? `last-termination=${last}` : '']
    .filter(Boolean)
    .join('  ');
  return { name: p.name, status: p.status, ready: p.ready, total: p.total, restarts: p.restarts, node: p.node, lastTermination: last, line: clip(line) };
}

export function podLines(pods: PodSummary[] | undefined): PodLine[] {
  return (pods ?? []).map(podLine);
}

export function unhealthy(p: PodLine): boolean {
  return !['Running', 'Completed', 'Succeeded'].includes(p.status) || (p.status === 'Running' && p.ready < p.total);
}

/** How bad a pod looks, for choosing which one to examine (higher is worse). */
export function severityOf(p: PodLine): number {
  if (/OOMKilled/i.test(p.status) || /OOMKilled/.test(p.lastTermination ?? '')) return 9;
  if (/CrashLoopBackOff|Error|ExitCode|Signal/i.test(p.status)) return 8;
  if (/ImagePull|ErrImage|InvalidImageName|CreateContainer|ContainerCannotRun|RunContainerError/i.test(p.status)) return 8;
  if (/^Init:/.test(p.status)) return 7;
  if (p.status === 'Pending') return 6;
  if (p.status === 'Running' && p.ready < p.total) return 5;
  if (/Terminating|Unknown|NotReady|Evicted/.test(p.status)) return 4;
  return unhealthy(p) ? 3 : 0;
}

export function worstPod(pods: PodLine[]): PodLine | undefined {
  return [...pods].filter(unhealthy).sort((a, b) => severityOf(b) - severityOf(a))[0];
}

// ── logs ──────────────────────────────────────────────────────────────────────────────────────────

/** The log lines that explain a crash: the error-looking lines near the end, else the last lines. */
export function keyLogLines(d: LogsData | undefined, max = 5): string[] {
  if (!d || d.empty) return [];
  return d.errorLines.length ? d.errorLines.slice(-max) : d.lastLines.slice(-Math.min(max, 3));
}

// ── classifications ───────────────────────────────────────────────────────────────────────────────

/** What an image pull error message says about the cause. */
export function imagePullCause(message: string, image?: string): { cause: string; fix: string } {
  const img = image ?? /image "([^"]+)"/.exec(message)?.[1] ?? /image ([^\s:"]+(?::[^\s"]+)?)/.exec(message)?.[1] ?? 'the image';
  if (/InvalidImageName|invalid reference format/i.test(message)) {
    return { cause: `the image reference "${img}" is not a valid image name`, fix: `correct the image reference` };
  }
  if (/unauthorized|authentication required|pull access denied|denied|forbidden|403|401|no basic auth credentials|imagePullSecret|failed to authorize|failed to fetch (anonymous|oauth) token/i.test(message)) {
    return {
      cause: `the registry refused to serve "${img}" without valid credentials (pull access denied / unauthorized)`,
      fix: `check that the image exists and that the pod's imagePullSecrets (or its ServiceAccount's) hold valid credentials for the registry`,
    };
  }
  if (/not found|manifest unknown|no such|NotFound|does not exist/i.test(message)) {
    return { cause: `the image "${img}" does not exist in its registry (wrong name or tag)`, fix: `correct the image name/tag, or push the missing tag` };
  }
  if (/timeout|i\/o timeout|no such host|connection refused|dial tcp|TLS|x509|network/i.test(message)) {
    return { cause: `the node cannot reach the registry for "${img}" (network/DNS/TLS error)`, fix: `check the nodes' network access, DNS and proxy settings for the registry` };
  }
  if (/toomanyrequests|rate limit/i.test(message)) {
    return { cause: `the registry rate-limits pulls of "${img}"`, fix: `authenticate pulls or use a registry mirror` };
  }
  return { cause: `the image "${img}" cannot be pulled`, fix: `check the image reference, the registry and the pull credentials` };
}

/** What an exit code usually means. */
export function exitCodeMeaning(code: number | undefined): string {
  switch (code) {
    case undefined:
      return '';
    case 0:
      return 'exited successfully (a container that should keep running stopped)';
    case 1:
      return 'application error';
    case 2:
      return 'misuse of shell builtins / bad arguments';
    case 126:
      return 'command not executable (permission problem)';
    case 127:
      return 'command not found (wrong command or entrypoint)';
    case 128 + 9:
      return 'killed with SIGKILL (out of memory, or killed after failing its liveness probe)';
    case 128 + 15:
      return 'terminated with SIGTERM (stopped by the kubelet or shut down)';
    case 128 + 11:
      return 'segmentation fault (SIGSEGV)';
    case 128 + 6:
      return 'aborted (SIGABRT)';
    default:
      return code > 128 ? `killed by signal ${code - 128}` : 'application error';
  }
}

/** Remedies for a scheduler message ("0/3 nodes are available: 3 Insufficient memory ..."). */
export function schedulingHints(message: string): string[] {
  const out: string[] = [];
  if (/Insufficient (cpu|memory|ephemeral-storage|pods|[a-z0-9./-]+)/i.test(message)) {
    const res = unique([...message.matchAll(/Insufficient ([a-z0-9./-]+)/gi)].map((m) => m[1].replace(/\.+$/, '')));
    out.push(`no node has enough allocatable ${res.join('/')} for the pod's requests: lower the requests or add node capacity (check \`kubectl describe nodes\` for allocated resources)`);
  }
  if (/didn't match Pod's node affinity|node\(s\) didn't match node selector|node affinity\/selector/i.test(message)) {
    out.push(`no node matches the pod's nodeSelector/affinity: fix the selector or label a node`);
  }
  if (/untolerated taint|had taint|had untolerated taint/i.test(message)) {
    out.push(`the nodes carry taints the pod does not tolerate: add a toleration or remove the taint`);
  }
  if (/unbound immediate PersistentVolumeClaims|volume node affinity conflict|persistentvolumeclaim .* not found/i.test(message)) {
    out.push(`the pod's PersistentVolumeClaim is not bound or its volume is on another zone/node: check the PVC and storage class`);
  }
  if (/didn't have free ports|free ports/i.test(message)) out.push(`the requested hostPort is taken on every node`);
  if (/didn't match pod (anti-)?affinity rules|pod anti-affinity/i.test(message)) out.push(`pod (anti-)affinity rules leave no eligible node`);
  if (/node\(s\) were unschedulable|unschedulable/i.test(message) && !out.length) out.push(`nodes are cordoned (unschedulable): uncordon or add nodes`);
  if (/no nodes available/i.test(message)) out.push(`the cluster has no schedulable nodes`);
  return out;
}

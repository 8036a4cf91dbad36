// Reading tool outputs as evidence: the rule-based analyzer's eyes. Everything here is pure text
// analysis of what the tools printed (the built-in Kubernetes tools' describe/table/log formats, and
// kubectl-like text in general); nothing talks to the cluster. Parsers are tolerant: a format they do
// not recognise yields "nothing found", never an exception.
import type { Step } from '../incident/types.js';

// ── observations (the executed tool steps) ────────────────────────────────────────────────────────

export interface Observation {
  index: number;
  server?: string;
  tool: string;
  args: Record<string, unknown>;
  state?: string;
  mutating: boolean;
  ok: boolean;
  output: string;
  error?: string;
  /** Why the policy blocked it or who rejected it (mutating calls). */
  policy?: string;
}

/** A stable key for a tool call: same tool and same arguments (in any key order) → same key. */
export function callKey(tool: string, args: Record<string, unknown>): string {
  const sorted = Object.keys(args)
    .sort()
    .reduce<Record<string, unknown>>((o, k) => ((o[k] = args[k]), o), {});
  return `${tool} ${JSON.stringify(sorted)}`;
}

function parseArgs(s: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The tool calls an investigation made so far, with their outputs. */
export class Evidence {
  readonly obs: Observation[];

  constructor(steps: Step[]) {
    this.obs = steps
      .filter((s) => s.action === 'callTool' && s.tool)
      .map((s) => ({
        index: s.index,
        server: s.server,
        tool: s.tool!,
        args: parseArgs(s.arguments),
        state: s.state,
        mutating: !!s.mutating,
        ok: !!s.result?.ok,
        output: s.result?.output ?? '',
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
      if (o.tool !== tool) continue;
      if (Object.entries(match).every(([k, v]) => v === undefined || o.args[k] === v)) return o;
    }
    return undefined;
  }

  /** Output of the latest successful call of `tool` matching `match`. */
  output(tool: string, match: Record<string, unknown> = {}): string | undefined {
    for (let i = this.obs.length - 1; i >= 0; i--) {
      const o = this.obs[i];
      if (o.tool !== tool || !o.ok) continue;
      if (Object.entries(match).every(([k, v]) => v === undefined || o.args[k] === v)) return o.output;
    }
    return undefined;
  }

  /** Error text of the latest failed call of `tool` matching `match` (when that call failed). */
  failure(tool: string, match: Record<string, unknown> = {}): string | undefined {
    const o = this.call(tool, match);
    if (!o || o.ok || o.state === 'Blocked' || o.state === 'Rejected') return undefined;
    if (o.state !== 'Failed' && o.state !== 'Unknown') return undefined;
    return (o.error || o.output || 'the call failed').trim();
  }

  /** All successful outputs of `tool`. */
  outputs(tool: string): Observation[] {
    return this.obs.filter((o) => o.tool === tool && o.ok);
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

// ── small text helpers ────────────────────────────────────────────────────────────────────────────

export function clip(s: string, max = 300): string {
  const one = s.replace(/\s+$/g, '');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n');
}

/** Lines matching `re` (trimmed, clipped), at most `max`. */
export function grep(text: string | undefined, re: RegExp, max = 5): string[] {
  const out: string[] = [];
  for (const l of lines(text)) {
    if (re.test(l)) {
      out.push(clip(l.trim()));
      if (out.length >= max) break;
    }
  }
  return out;
}

/** The first line matching `re`, trimmed. */
export function line(text: string | undefined, re: RegExp): string | undefined {
  return grep(text, re, 1)[0];
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

// ── quantities ────────────────────────────────────────────────────────────────────────────────────

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity in base units (cores, bytes), or undefined. */
export function quantity(q: string | undefined): number | undefined {
  if (!q) return undefined;
  const m = /^\s*([+-]?(?:\d+(?:\.\d+)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$/.exec(q);
  if (!m) return undefined;
  return Number(m[1]) * SUFFIX[m[2] ?? ''];
}

/** Bytes as a memory quantity ("256Mi"), rounded up to a whole unit. */
export function memoryQuantity(bytes: number): string {
  for (const [u, f] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  if (bytes >= 2 ** 30) return `${Math.ceil(bytes / 2 ** 20)}Mi`;
  if (bytes >= 2 ** 20) return `${Math.ceil(bytes / 2 ** 20)}Mi`;
  return `${Math.ceil(bytes / 2 ** 10)}Ki`;
}

/** "cpu=100m, memory=64Mi" → { cpu: '100m', memory: '64Mi' } ("none"/"<none>" → {}). */
export function kvList(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',')) {
    const m = /^\s*([A-Za-z0-9./_-]+)\s*[=:]\s*(\S+)\s*$/.exec(part);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// ── conditions ────────────────────────────────────────────────────────────────────────────────────

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  line: string;
}

/**
 * Conditions as the describe tools print them: "  Ready=False — KubeletNotReady: message (since 5m)".
 * Also accepts "Condition Progressing=False (ProgressDeadlineExceeded): message" (rollout_status).
 */
export function parseConditions(text: string | undefined): Condition[] {
  const out: Condition[] = [];
  for (const raw of lines(text)) {
    const l = raw.trim();
    const bare = l.replace(/\s*\(since [^)]*\)\s*$/, '');
    let m = /^(?:Condition\s+)?([A-Z][A-Za-z]+)=(True|False|Unknown)(?:\s+\(([A-Za-z]+)\))?(?:\s*(?:—|-|:)\s*(.*))?$/.exec(bare);
    if (!m) continue;
    const [, type, status, parenReason] = m;
    let rest = (m[4] ?? '').trim();
    let reason = parenReason;
    if (!reason) {
      m = /^([A-Z][A-Za-z]+)(?::\s*(.*))?$/.exec(rest);
      if (m) {
        reason = m[1];
        rest = (m[2] ?? '').trim();
      }
    }
    out.push({ type, status, reason, message: rest || undefined, line: clip(l) });
  }
  return out;
}

export function condition(conds: Condition[], type: string): Condition | undefined {
  return conds.find((c) => c.type === type);
}

// ── events ────────────────────────────────────────────────────────────────────────────────────────

export interface EventRec {
  type: string;
  reason: string;
  count: number;
  object?: string;
  message: string;
  line: string;
}

const EVENT_TYPES = /^(Normal|Warning)$/;

/**
 * Events from either format: a describe section line ("5m ago  Warning  BackOff (x3): message") or a
 * get_events table row ("5m  Warning  BackOff  3  Pod/web-1  message"). Also kubectl's
 * "Warning  BackOff  5m (x3 over 10m)  kubelet  message" is understood loosely.
 */
export function parseEvents(text: string | undefined): EventRec[] {
  const out: EventRec[] = [];
  for (const raw of lines(text)) {
    const l = raw.trim();
    // describe_* "Events" section
    let m = /^(?:\S+ ago|\?)\s{2,}(Normal|Warning)\s{2,}([A-Za-z]+)(?: \(x(\d+)\))?(?: (\S+))?: (.*)$/.exec(l);
    if (m) {
      out.push({ type: m[1], reason: m[2], count: Number(m[3] ?? 1), object: m[4], message: m[5], line: clip(l, 400) });
      continue;
    }
    // get_events table row
    const cols = l.split(/\s{2,}/);
    if (cols.length >= 5 && EVENT_TYPES.test(cols[1] ?? '') && /^[A-Za-z]+$/.test(cols[2] ?? '')) {
      const hasCount = /^\d+$/.test(cols[3] ?? '');
      const object = hasCount ? cols[4] : cols[3];
      const message = cols.slice(hasCount ? 5 : 4).join('  ');
      out.push({ type: cols[1], reason: cols[2], count: hasCount ? Number(cols[3]) : 1, object, message, line: clip(l, 400) });
      continue;
    }
    // kubectl describe "Events:" table
    if (cols.length >= 4 && EVENT_TYPES.test(cols[0] ?? '') && /^[A-Za-z]+$/.test(cols[1] ?? '')) {
      out.push({ type: cols[0], reason: cols[1], count: Number(/\(x(\d+)/.exec(cols[2] ?? '')?.[1] ?? 1), message: cols.slice(4).join('  ') || cols[3], line: clip(l, 400) });
    }
  }
  return out;
}

/** Events (from any number of outputs) whose reason matches, deduplicated by reason+message. */
export function eventsBy(texts: Array<string | undefined>, reason: RegExp, object?: string): EventRec[] {
  const seen = new Set<string>();
  const out: EventRec[] = [];
  for (const t of texts) {
    for (const e of parseEvents(t)) {
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

// ── tables (list_resources, get_events, top_pods, top_nodes, rollout_history) ─────────────────────

export interface Table {
  headers: string[];
  rows: Array<Record<string, string>>;
  lines: string[];
}

/** The first fixed-width table in `text`: a header row of upper-case words, then rows split on 2+ spaces. */
export function parseTable(text: string | undefined): Table | undefined {
  const ls = lines(text);
  const h = ls.findIndex((l) => /^[A-Z][A-Z0-9-]*(\s{2,}[A-Z][A-Z0-9-]*)+\s*$/.test(l.trim()));
  if (h < 0) return undefined;
  const headers = ls[h].trim().split(/\s{2,}/);
  const rows: Array<Record<string, string>> = [];
  const rowLines: string[] = [];
  for (const l of ls.slice(h + 1)) {
    if (!l.trim() || l.startsWith('[')) break;
    const cells = l.trim().split(/\s{2,}/);
    const row: Record<string, string> = {};
    headers.forEach((name, i) => {
      row[name] = i === headers.length - 1 ? cells.slice(i).join('  ') : (cells[i] ?? '');
    });
    rows.push(row);
    rowLines.push(clip(l.trim(), 400));
  }
  return { headers, rows, lines: rowLines };
}

// ── pods ──────────────────────────────────────────────────────────────────────────────────────────

export interface ContainerInfo {
  name: string;
  init: boolean;
  stateLine?: string;
  /** Running | Waiting | Terminated */
  state?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  lastLine?: string;
  lastReason?: string;
  lastExitCode?: number;
  lastMessage?: string;
  ready?: boolean;
  restarts?: number;
  image?: string;
  requests: Record<string, string>;
  limits: Record<string, string>;
  resourcesLine?: string;
  liveness?: string;
  readiness?: string;
  startup?: string;
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
  statusLine?: string;
  reasonLine?: string;
  conditions: Condition[];
  containers: ContainerInfo[];
  volumes: Array<{ name: string; pvc?: string; line: string }>;
  events: EventRec[];
}

function parseState(s: string): { state?: string; reason?: string; message?: string; exitCode?: number } {
  // "Waiting: CrashLoopBackOff — back-off ..." | "Terminated: OOMKilled, exit code 137, finished ... — msg" | "Running (started ...)"
  let m = /^Waiting:\s*([^—]+?)(?:\s+—\s+(.*))?$/.exec(s);
  if (m) return { state: 'Waiting', reason: m[1].trim(), message: m[2]?.trim() };
  m = /^Terminated:\s*([^,—]+?)(?:,\s*exit code (-?\d+))?(?:,[^—]*)?(?:\s+—\s+(.*))?$/.exec(s);
  if (m) return { state: 'Terminated', reason: m[1].trim(), exitCode: m[2] !== undefined ? Number(m[2]) : undefined, message: m[3]?.trim() };
  if (/^Running\b/.test(s)) return { state: 'Running' };
  // kubectl describe style "Reason: OOMKilled" handled by callers
  return {};
}

/** A describe_pod output as structure (tolerant of missing parts). */
export function parsePod(text: string | undefined): PodInfo {
  const info: PodInfo = { conditions: [], containers: [], volumes: [], events: [] };
  if (!text) return info;
  const ls = lines(text);
  let section: 'top' | 'conditions' | 'containers' | 'init' | 'events' = 'top';
  let current: ContainerInfo | undefined;
  for (const raw of ls) {
    const l = raw.trimEnd();
    const t = l.trim();
    if (!t) continue;
    let m: RegExpExecArray | null;
    if ((m = /^Pod:\s*(\S+)\/(\S+)/.exec(l))) {
      info.namespace = m[1];
      info.name = m[2];
      continue;
    }
    if ((m = /^Status:\s*(\S+)(?:\s+Phase:\s*(\S+))?(?:\s+Ready:\s*(\S+))?(?:\s+Restarts:\s*(\d+))?/.exec(l))) {
      info.status = m[1];
      info.phase = m[2];
      info.ready = m[3];
      info.restarts = m[4] !== undefined ? Number(m[4]) : undefined;
      info.statusLine = t;
      continue;
    }
    if ((m = /^Node:\s*(\S+)/.exec(l))) {
      info.node = m[1] === '<not' ? undefined : m[1];
      continue;
    }
    if ((m = /^Controlled by:\s*([A-Za-z]+)\/(\S+)/.exec(l))) {
      info.owner = { kind: m[1], name: m[2] };
      continue;
    }
    if (/^Reason:/.test(l)) {
      info.reasonLine = t;
      continue;
    }
    if (/^Volumes:/.test(l)) {
      for (const v of t.replace(/^Volumes:\s*/, '').split(';')) {
        const vm = /^\s*([^:]+):\s*(.*)$/.exec(v);
        if (!vm) continue;
        const pvc = /^PVC (\S+)/.exec(vm[2])?.[1];
        info.volumes.push({ name: vm[1].trim(), pvc, line: clip(v.trim()) });
      }
      section = 'top';
      continue;
    }
    if (/^Conditions:/.test(l)) {
      section = 'conditions';
      continue;
    }
    if (/^Init containers:/.test(l)) {
      section = 'init';
      continue;
    }
    if (/^Containers:/.test(l)) {
      section = 'containers';
      continue;
    }
    if (/^Events\b/.test(l)) {
      section = 'events';
      continue;
    }
    if (!/^\s/.test(l)) {
      section = 'top';
      continue;
    }
    if (section === 'conditions') {
      info.conditions.push(...parseConditions(l));
      continue;
    }
    if (section === 'events') {
      info.events.push(...parseEvents(l));
      continue;
    }
    if (section === 'containers' || section === 'init') {
      if ((m = /^ {2}([A-Za-z0-9][-A-Za-z0-9_.]*):\s*$/.exec(l))) {
        current = { name: m[1], init: section === 'init', requests: {}, limits: {} };
        info.containers.push(current);
        continue;
      }
      if (!current) continue;
      if ((m = /^State:\s*(.*)$/.exec(t))) {
        current.stateLine = t;
        Object.assign(current, parseState(m[1]));
      } else if ((m = /^Last state:\s*(.*)$/.exec(t))) {
        current.lastLine = t;
        const st = parseState(m[1]);
        current.lastReason = st.reason;
        current.lastExitCode = st.exitCode;
        current.lastMessage = st.message;
      } else if ((m = /^Ready:\s*(\S+)(?:\s+Restarts:\s*(\d+))?/.exec(t))) {
        current.ready = m[1] === 'true';
        if (m[2] !== undefined) current.restarts = Number(m[2]);
      } else if ((m = /^Image:\s*(\S+)/.exec(t))) {
        current.image = m[1];
      } else if ((m = /^Resources:\s*requests:\s*(.*?);\s*limits:\s*(.*)$/.exec(t))) {
        current.requests = kvList(m[1]);
        current.limits = kvList(m[2]);
        current.resourcesLine = t;
      } else if ((m = /^Liveness:\s*(.*)$/.exec(t))) current.liveness = m[1];
      else if ((m = /^Readiness:\s*(.*)$/.exec(t))) current.readiness = m[1];
      else if ((m = /^Startup:\s*(.*)$/.exec(t))) current.startup = m[1];
    }
  }
  return info;
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
  lastTermination?: string;
  line: string;
}

/** "  web-1  status=CrashLoopBackOff  ready=0/1  restarts=3  node=n  age=1m  last-termination=web: Error (exit 1)" */
export function parsePodLines(text: string | undefined): PodLine[] {
  const out: PodLine[] = [];
  for (const raw of lines(text)) {
    const m = /^\s*(\S+)\s+status=(\S+)\s+ready=(\d+)\/(\d+)\s+restarts=(\d+)(?:\s+node=(\S+))?(?:\s+age=\S+)?(?:\s+last-termination=(.*))?$/.exec(raw);
    if (!m) continue;
    out.push({
      name: m[1],
      status: m[2],
      ready: Number(m[3]),
      total: Number(m[4]),
      restarts: Number(m[5]),
      node: m[6] && m[6] !== '<unscheduled>' ? m[6] : undefined,
      lastTermination: m[7]?.trim(),
      line: clip(raw.trim()),
    });
  }
  // Pod tables (list_resources kind Pod): NAME READY STATUS RESTARTS NODE AGE LAST-TERMINATION
  const table = parseTable(text);
  if (!out.length && table && table.headers.includes('STATUS') && table.headers.includes('READY') && table.headers.includes('RESTARTS')) {
    table.rows.forEach((r, i) => {
      const [ready, total] = (r.READY ?? '0/0').split('/').map(Number);
      out.push({
        name: r.NAME,
        status: r.STATUS,
        ready: ready || 0,
        total: total || 0,
        restarts: Number(r.RESTARTS) || 0,
        node: r.NODE && r.NODE !== '<none>' ? r.NODE : undefined,
        lastTermination: r['LAST-TERMINATION'] || undefined,
        line: table.lines[i],
      });
    });
  }
  return out;
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

/** "Replicas: desired 3 | updated 3 | ready 1 | available 1 | ..." → numbers by name. */
export function parseCounts(text: string | undefined, label: RegExp = /^(Replicas|Nodes|Pods):/): Record<string, number> {
  const l = lines(text).find((x) => label.test(x.trim()));
  const out: Record<string, number> = {};
  if (!l) return out;
  for (const m of l.matchAll(/([a-z]+)\s+(\d+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

// ── logs ──────────────────────────────────────────────────────────────────────────────────────────

/** The log text of a get_pod_logs output (without its header and notes). */
export function logBody(text: string | undefined): string[] {
  const ls = lines(text);
  const start = /^Logs of pod /.test(ls[0] ?? '') ? 1 : 0;
  return ls.slice(start).filter((l) => l.trim() && !/^\[(log truncated|pod has containers)/.test(l) && l.trim() !== '<no log output in the selected range>');
}

const ERROR_LINE = /\b(error|err|exception|fatal|panic|fail(ed|ure)?|refused|denied|cannot|can't|unable|killed|out of memory|oom|timeout|timed out|no such|not found|invalid|traceback)\b/i;

/** The log lines that explain a crash: error-looking lines near the end, else the last lines. */
export function keyLogLines(text: string | undefined, max = 5): string[] {
  const body = logBody(text);
  if (!body.length) return [];
  const tail = body.slice(-40);
  const errors = tail.filter((l) => ERROR_LINE.test(l));
  const chosen = errors.length ? errors.slice(-max) : tail.slice(-Math.min(max, 3));
  return chosen.map((l) => clip(l.trim(), 300));
}

// ── classifications ───────────────────────────────────────────────────────────────────────────────

/** What an image pull error message says about the cause. */
export function imagePullCause(message: string, image?: string): { cause: string; fix: string } {
  const img = image ?? /image "([^"]+)"/.exec(message)?.[1] ?? /image ([^\s:"]+(?::[^\s"]+)?)/.exec(message)?.[1] ?? 'the image';
  if (/InvalidImageName|invalid reference format/i.test(message)) {
    return { cause: `the image reference "${img}" is not a valid image name`, fix: `correct the image reference` };
  }
  if (/unauthorized|authentication required|pull access denied|denied|forbidden|403|401|no basic auth credentials|imagePullSecret/i.test(message)) {
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

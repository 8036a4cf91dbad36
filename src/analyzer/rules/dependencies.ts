// A pod that fails because of another object: the Service it connects to does not exist, has no ready
// endpoint (its pods crash, its workload is scaled to zero), or a NetworkPolicy drops the connection; a
// file it opens is missing from the ConfigMap mounted there (mountedFiles.ts). The alert names only the
// pod; a senior SRE reads which host the error (or the readiness check's env, or the init container's
// command) names, then follows it. The pod rule is wrapped: its plan gains these reads, and when one of
// them shows the real cause the finding leads with it, the pod's own symptom after.
import type { ListItem } from '../../contracts/toolData.js';
import { clip, field, isNotFound, list, text, type Evidence } from '../evidence.js';
import { mountedFileCause, mountedFilePlan, missingMountedFile, errorText } from './mountedFiles.js';
import { egressRuleLine, egressVerdict, selects } from './network.js';
import { diagnosePod, sentence, type PodDiagnosis } from './pods.js';
import { endpointCounts, selectorOf } from './targets.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';

const MAX_DEPENDENCIES = 2;
const MAX_POLICIES = 3;
const NO_SUCH_HOST = /no such host|NXDOMAIN|could not resolve|Name or service not known|Temporary failure in name resolution|ENOTFOUND|UnknownHostException|Unknown host/i;
const NO_CONNECTION = /i\/o timeout|timed? ?out|ETIMEDOUT|no route to host|EHOSTUNREACH|unreachable|connection refused|ECONNREFUSED/i;

export interface Dependency {
  name: string;
  port?: number;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
// Host names a Service may answer to: name.ns.svc[.cluster.local][:port], "nc -z host port", and a host
// after lookup/-h/host=/addr=/@/"//" (a name with one more label must name the pod's namespace).
const HOST_PATTERNS = [
  new RegExp(`\\b(${LABEL})(?:\\.(${LABEL}))?\\.svc(?:\\.cluster\\.local)?\\.?(?::(\\d{1,5}))?`, 'g'),
  new RegExp(`\\b(?:nc|ncat|telnet)\\b(?:\\s+-[a-zA-Z]+)*\\s+(${LABEL})(?:\\.(${LABEL}))?\\s+(\\d{1,5})\\b`, 'g'),
  new RegExp(`(?:\\blookup |\\bnslookup |\\s-h\\s*|--host[= ]|\\bhost=|\\baddr=|@|//)(${LABEL})(?:\\.(${LABEL}))?(?::(\\d{1,5}))?(?![.\\w@-]|:\\D)`, 'g'),
];

/** The in-cluster hosts (Services of the pod's namespace) a text names, in order of appearance. */
export function hostsIn(s: string, ns: string): Dependency[] {
  const found: Array<Dependency & { at: number }> = [];
  for (const re of HOST_PATTERNS) {
    for (const m of s.matchAll(re)) {
      const [, name, inNs, port] = m;
      if ((inNs && inNs !== ns) || name === 'localhost' || /^\d+$/.test(name)) continue;
      found.push({ name, port: port ? Number(port) : undefined, at: m.index ?? 0 });
    }
  }
  const out: Dependency[] = [];
  for (const d of found.sort((x, y) => x.at - y.at)) {
    const same = out.find((o) => o.name === d.name);
    if (!same) out.push({ name: d.name, port: d.port });
    else same.port ??= d.port;
  }
  return out;
}

const stringMap = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)])) : {};

const podObject = (ev: Evidence, dg: PodDiagnosis) => ev.resource('Pod', dg.pod, dg.namespace);

/** The containers whose failure may come from a dependency: the alert's, or an init container still waiting. */
function waitingInit(dg: PodDiagnosis) {
  return dg.info.containers.find((c) => c.init && c.state === 'Running');
}

function specTexts(pod: Record<string, unknown> | undefined, names: string[], withEnv: boolean): string {
  const cs = [...list(pod, 'spec.initContainers'), ...list(pod, 'spec.containers')].filter((c) => names.includes(text(c, 'name') ?? ''));
  return cs
    .flatMap((c) => [...list(c, 'command').map(String), ...list(c, 'args').map(String), ...(withEnv ? list(c, 'env').map((e) => text(e, 'value') ?? '') : [])])
    .join('\n');
}

/** The error and last lines of the container's current log, when it was read. */
function logLines(ev: Evidence, dg: PodDiagnosis): string[] {
  const logs = ev.data('get_pod_logs', { name: dg.pod, namespace: dg.namespace, container: dg.target?.name });
  return logs ? [...logs.errorLines, ...logs.lastLines] : [];
}

/** The Services the pod's failure points to, and how it failed to use them. */
function dependenciesOf(ev: Evidence, dg: PodDiagnosis): { deps: Dependency[]; how: 'lookup' | 'connect' | 'wait' | 'ready' } | undefined {
  const ns = dg.namespace;
  const pod = podObject(ev, dg);
  if (dg.problem === 'crashLoop' && dg.target) {
    const err = errorText(dg);
    const how = NO_SUCH_HOST.test(err) ? 'lookup' : NO_CONNECTION.test(err) ? 'connect' : undefined;
    if (!how) return undefined;
    const deps = hostsIn(err, ns);
    return { deps: deps.length ? deps : hostsIn(specTexts(pod, [dg.target.name], true), ns), how };
  }
  if (dg.problem === 'readiness' && dg.target) {
    // What the app logs about its readiness names the dependency best; else the hosts its env names.
    const logged = hostsIn(logLines(ev, dg).join('\n'), ns);
    const named = hostsIn(specTexts(pod, [dg.target.name], true), ns).filter((d) => !logged.some((l) => l.name === d.name));
    return { deps: [...logged, ...named], how: 'ready' };
  }
  const init = waitingInit(dg);
  if (dg.problem === 'notStarted' && init) return { deps: hostsIn(specTexts(pod, [init.name], false), ns), how: 'wait' };
  return undefined;
}

const relevant = (dg: PodDiagnosis) => dg.problem === 'crashLoop' || dg.problem === 'readiness' || (dg.problem === 'notStarted' && !!waitingInit(dg));

function workloadsBehind(ev: Evidence, ns: string, selector: string): ListItem[] {
  return ['StatefulSet', 'Deployment'].flatMap((kind) => (ev.data('list_resources', { kind, namespace: ns, labelSelector: selector })?.items ?? []).map((i) => ({ ...i, columns: { ...i.columns, KIND: kind } })));
}

/** The reads that follow one dependency, given what was read of it so far. */
function dependencyCalls(ev: Evidence, dg: PodDiagnosis, d: Dependency, how: string): Call[] {
  const ns = dg.namespace;
  const calls: Call[] = [{ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Service', name: d.name, namespace: ns }, why: `Pod ${dg.pod} depends on ${d.name}: does Service ${ns}/${d.name} exist?` }];
  const svc = ev.resource('Service', d.name, ns);
  if (svc && selectsPod(ev, dg, svc)) return calls;
  if (!svc) {
    if (isNotFound(ev.failure('get_resource', { kind: 'Service', name: d.name, namespace: ns }))) {
      calls.push({ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Service', namespace: ns }, why: `Service ${d.name} does not exist: which Services does ${ns} have?` });
    }
    return calls;
  }
  calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Endpoints', name: d.name, namespace: ns }, why: `Is anything ready behind Service ${d.name}?` });
  const epObj = ev.resource('Endpoints', d.name, ns);
  if (!epObj) return calls;
  const ep = endpointCounts(epObj);
  if (ep.ready === 0) {
    const notReady = notReadyPods(epObj);
    const selector = selectorOf(svc);
    if (notReady[0]) calls.push({ tool: 'describe_pod', args: { name: notReady[0], namespace: ns }, why: `Service ${d.name} has no ready endpoint: why is its pod ${notReady[0]} not ready?` });
    else if (selector) {
      for (const kind of ['StatefulSet', 'Deployment']) {
        calls.push({ tool: 'list_resources', args: { apiVersion: 'apps/v1', kind, namespace: ns, labelSelector: selector }, why: `Service ${d.name} has no endpoint at all: which ${kind} should run its pods (${selector}), and how many replicas does it want?` });
      }
    }
    return calls;
  }
  if (how === 'connect') {
    calls.push({ tool: 'list_resources', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: ns }, why: `Service ${d.name} has ready endpoints yet the connection fails: do NetworkPolicies in ${ns} restrict egress?` });
    for (const name of policyNames(ev, ns)) {
      calls.push({ tool: 'get_resource', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name, namespace: ns }, why: `Read NetworkPolicy ${name}: which egress does it allow?` });
    }
  }
  return calls;
}

/** The pod's own Service (its env often names it): it has no ready endpoint because the pod is not ready. */
function selectsPod(ev: Evidence, dg: PodDiagnosis, svc: Record<string, unknown>): boolean {
  const selector = field(svc, 'spec.selector');
  if (!selector || !Object.keys(selector).length) return false;
  return selects({ matchLabels: selector }, { labels: stringMap(field(podObject(ev, dg), 'metadata.labels')), complete: true }) === 'allowed';
}

function notReadyPods(endpoints: Record<string, unknown>): string[] {
  return list(endpoints, 'subsets').flatMap((s) => list(s, 'notReadyAddresses').map((a) => text(a, 'targetRef.name') ?? '').filter(Boolean));
}

function policyNames(ev: Evidence, ns: string): string[] {
  return (ev.data('list_resources', { kind: 'NetworkPolicy', namespace: ns })?.items ?? []).map((i) => i.name).slice(0, MAX_POLICIES);
}

/** The pod rule's extra reads: the pod's spec, then each dependency (or the mounted file) in turn. */
export function dependencyPlan(ev: Evidence, dg: PodDiagnosis): Call[] {
  if (!relevant(dg)) return [];
  const ns = dg.namespace;
  const calls: Call[] = [{ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Pod', name: dg.pod, namespace: ns }, why: `Read the spec of pod ${dg.pod} (env, command, mounts): which other objects does it depend on?` }];
  if (!podObject(ev, dg)) return calls;
  const file = dg.problem === 'crashLoop' ? missingMountedFile(podObject(ev, dg), dg) : undefined;
  if (file) return [...calls, ...mountedFilePlan(ns, file)];
  const found = dependenciesOf(ev, dg);
  for (const d of found?.deps.slice(0, MAX_DEPENDENCIES) ?? []) {
    calls.push(...dependencyCalls(ev, dg, d, found!.how));
    if (dependencyCause(ev, dg, d, found!.how)) break;
  }
  return calls;
}

export interface DependencyCause {
  summary: string;
  cause: string;
  quotes: Quote[];
  recommendations: string[];
}

const HOW: Record<string, string> = { lookup: 'cannot resolve', connect: 'cannot connect to', wait: 'waits for', ready: 'reports not ready while it depends on' };

function missingService(ev: Evidence, dg: PodDiagnosis, d: Dependency, how: string): DependencyCause {
  const ns = dg.namespace;
  const tokens = d.name.split('-').filter((t) => t.length > 2);
  const others = (ev.data('list_resources', { kind: 'Service', namespace: ns })?.items ?? []).map((i) => i.name).filter((n) => n !== d.name);
  const alike = [...others.filter((n) => tokens.some((t) => n.includes(t))), ...others.filter((n) => !tokens.some((t) => n.includes(t)))];
  const err = ev.failure('get_resource', { kind: 'Service', name: d.name, namespace: ns });
  const envVar = list(podObject(ev, dg), 'spec.containers').flatMap((c) => list(c, 'env')).find((e) => (text(e, 'value') ?? '').includes(d.name));
  return {
    summary: `pod ${dg.namespace}/${dg.pod} ${HOW[how]} host ${d.name}: Service ${d.name} does not exist in namespace ${ns}`,
    cause:
      `Pod ${ns}/${dg.pod} ${HOW[how]} "${d.name}", but Service ${d.name} does not exist in namespace ${ns}, so the name does not resolve` +
      (alike.length ? `. The Services that do exist in ${ns}: ${alike.slice(0, 6).join(', ')}` : `; namespace ${ns} has no other Service`),
    quotes: [...quote(`get_resource Service ${ns}/${d.name}`, [err && clip(err, 200)]), ...(alike.length ? quote(`list_resources Service ${ns}`, [`Services: ${alike.slice(0, 6).join(', ')}`]) : [])],
    recommendations: [
      `Point the pod at the Service that serves it${envVar ? ` (env ${text(envVar, 'name')}=${text(envVar, 'value')})` : ''}${alike[0] ? `, e.g. ${alike[0]}` : ''}, or create Service ${d.name}: \`kubectl get svc -n ${ns}\``,
    ],
  };
}

function dependencyDown(ev: Evidence, dg: PodDiagnosis, d: Dependency, how: string, svc: Record<string, unknown>, endpoints: Record<string, unknown>): DependencyCause | undefined {
  const ns = dg.namespace;
  const ep = endpointCounts(endpoints);
  const epQuote = quote(`get_resource Endpoints ${ns}/${d.name}`, [`ready addresses: ${ep.ready}`, `notReadyAddresses: ${ep.notReady}`]);
  const lead = `Pod ${ns}/${dg.pod} ${HOW[how]} Service ${d.name}${d.port ? ` (port ${d.port})` : ''}, which has no ready endpoint`;
  const notReady = notReadyPods(endpoints)[0];
  if (notReady && ev.data('describe_pod', { name: notReady, namespace: ns })) {
    const dep = diagnosePod(ev, ns, notReady);
    return {
      summary: `pod ${dg.namespace}/${dg.pod} ${HOW[how]} Service ${d.name}, whose pod ${notReady} is not ready`,
      cause: `${lead} (${ep.notReady} not ready): ${sentence(dep.cause)}`,
      quotes: [...epQuote, ...dep.quotes],
      recommendations: [`Fix ${d.name} first; pod ${dg.pod} recovers once ${d.name} is ready`, ...dep.recommendations],
    };
  }
  const selector = selectorOf(svc);
  if (notReady || !selector) return undefined;
  const workloads = workloadsBehind(ev, ns, selector);
  if (!workloads.length && !ev.data('list_resources', { kind: 'Deployment', namespace: ns, labelSelector: selector })) return undefined;
  const zero = workloads.find((w) => /\/0$/.test(w.columns.READY ?? ''));
  const w = zero ?? workloads[0];
  const what = !w
    ? `no StatefulSet or Deployment labelled ${selector} was found, and no pod matches the selector`
    : zero
      ? `${w.columns.KIND} ${w.name} is scaled to 0 replicas (READY ${w.columns.READY})`
      : `${w.columns.KIND} ${w.name} has READY ${w.columns.READY}`;
  return {
    summary: `pod ${dg.namespace}/${dg.pod} ${HOW[how]} Service ${d.name}, which has no endpoint: ${what}`,
    cause: `${lead}: ${what}`,
    quotes: [...epQuote, ...(w ? quote(`list_resources ${w.columns.KIND} ${ns} ${selector}`, [`${w.name}: READY ${w.columns.READY}`]) : [])],
    recommendations: [
      zero ? `Scale ${w!.columns.KIND} ${w!.name} back up if it was stopped by mistake: \`kubectl scale ${w!.columns.KIND.toLowerCase()}/${w!.name} -n ${ns} --replicas=1\`` : `Bring up the pods behind Service ${d.name} (selector ${selector})`,
    ],
  };
}

function egressDenied(ev: Evidence, dg: PodDiagnosis, d: Dependency, svc: Record<string, unknown>, endpoints: Record<string, unknown>): DependencyCause | undefined {
  const ns = dg.namespace;
  const names = policyNames(ev, ns);
  const policies = names.map((n) => ev.resource('NetworkPolicy', n, ns)).filter((p): p is Record<string, unknown> => !!p);
  const pod = podObject(ev, dg);
  if (!policies.length || !pod) return undefined;
  const labels = stringMap(field(pod, 'metadata.labels'));
  const selector = stringMap(field(svc, 'spec.selector'));
  const svcPort = list(svc, 'spec.ports').map((p) => ({ port: Number(text(p, 'port')), target: text(p, 'targetPort') }));
  const port = (() => {
    const p = svcPort.find((x) => x.port === d.port) ?? (svcPort.length === 1 ? svcPort[0] : undefined);
    return p?.target && /^\d+$/.test(p.target) ? Number(p.target) : (p?.port ?? d.port);
  })();
  const r = egressVerdict(policies, { labels, complete: true }, ns, { namespace: ns, labels: { labels: selector, complete: false }, port });
  if (r.verdict !== 'denied') return undefined;
  const ep = endpointCounts(endpoints);
  const allowed = policies.filter((p) => r.governing.includes(text(p, 'metadata.name') ?? '')).flatMap((p) => list(p, 'spec.egress').map(egressRuleLine));
  return {
    summary: `NetworkPolicy ${r.governing.join(', ')} blocks egress from pod ${dg.namespace}/${dg.pod} to Service ${d.name} on port ${port ?? '?'}`,
    cause:
      `The connection from pod ${ns}/${dg.pod} to Service ${d.name} is dropped by NetworkPolicy ${r.governing.join(', ')}: Service ${d.name} has ${ep.ready} ready endpoint(s), so the service itself is up. ` +
      `The policy selects the pod for egress and allows only ${allowed.join('; ') || 'nothing'}; none of its rules allows port ${port ?? '?'} to the pods of Service ${d.name}`,
    quotes: [
      ...quote(`get_resource Endpoints ${ns}/${d.name}`, [`ready addresses: ${ep.ready}`]),
      ...r.governing.flatMap((n) => quote(`get_resource NetworkPolicy ${ns}/${n}`, [`policyTypes: Egress`, ...allowed.map((l) => `egress ${l}`)])),
    ],
    recommendations: [
      `Allow the connection in NetworkPolicy ${r.governing[0]}: add an egress rule to the pods of ${d.name} (${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || 'its selector'}) on port ${port ?? '?'}: \`kubectl edit networkpolicy -n ${ns} ${r.governing[0]}\``,
    ],
  };
}

function dependencyCause(ev: Evidence, dg: PodDiagnosis, d: Dependency, how: string): DependencyCause | undefined {
  const ns = dg.namespace;
  const svc = ev.resource('Service', d.name, ns);
  if (!svc) {
    const gone = isNotFound(ev.failure('get_resource', { kind: 'Service', name: d.name, namespace: ns }));
    return gone && ev.data('list_resources', { kind: 'Service', namespace: ns }) ? missingService(ev, dg, d, how) : undefined;
  }
  const endpoints = ev.resource('Endpoints', d.name, ns);
  if (!endpoints || selectsPod(ev, dg, svc)) return undefined;
  if (endpointCounts(endpoints).ready === 0) return dependencyDown(ev, dg, d, how, svc, endpoints);
  return how === 'connect' ? egressDenied(ev, dg, d, svc, endpoints) : undefined;
}

/** The real cause behind the pod's failure, when the reads found one. */
export function podDependencyCause(ev: Evidence, dg: PodDiagnosis): DependencyCause | undefined {
  if (!relevant(dg) || !podObject(ev, dg)) return undefined;
  const file = dg.problem === 'crashLoop' ? missingMountedFile(podObject(ev, dg), dg) : undefined;
  if (file) return mountedFileCause(ev, dg, file);
  const found = dependenciesOf(ev, dg);
  for (const d of found?.deps.slice(0, MAX_DEPENDENCIES) ?? []) {
    const c = dependencyCause(ev, dg, d, found!.how);
    if (c) return c;
  }
  return undefined;
}

/** The finding led by the real cause, the pod's symptom after it. */
export function withCause(a: AlertInfo, f: Finding, c: DependencyCause): Finding {
  return {
    ...f,
    summary: `${a.name}: ${c.summary}`,
    rootCause: `${sentence(c.cause)} ${f.rootCause}`,
    quotes: [...c.quotes, ...f.quotes],
    recommendations: [...c.recommendations, ...f.recommendations],
    // A fix for the pod itself (a probe's timeout) does not mend what it depends on.
    remediation: undefined,
  };
}

/** A pod rule that also follows the pod's failure to the object that causes it. */
export function withDependencies(rule: Rule): Rule {
  return {
    ...rule,
    plan(a, ev) {
      const own = rule.plan(a, ev);
      if (!a.namespace || !a.pod || !ev.data('describe_pod', { name: a.pod, namespace: a.namespace })) return own;
      return [...own, ...dependencyPlan(ev, diagnosePod(ev, a.namespace, a.pod, a.container))];
    },
    analyse(a, ev) {
      const f = rule.analyse(a, ev);
      if (f.resolved || !a.namespace || !a.pod || !ev.data('describe_pod', { name: a.pod, namespace: a.namespace })) return f;
      const c = podDependencyCause(ev, diagnosePod(ev, a.namespace, a.pod, a.container));
      return c ? withCause(a, f, c) : f;
    },
  };
}

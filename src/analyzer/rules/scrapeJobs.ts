// Alerts that name only a scrape job, or nothing at all: kube-prometheus's `*Down` alerts. Built on
// `absent(up{job="kube-dns"} == 1)` (CoreDNSDown, KubeStateMetricsDown, ... in kube-prometheus's former
// "kubernetes-absent" group) they carry no label but alertname and severity: absent() keeps the labels of a
// plain selector only, never those of `... == 1`. Newer ones keep the job (KubeAPIDown:
// `absent(up{job="apiserver"})`) or nothing (KubeletDown: `count by (cluster) (kube_node_info) unless ...`).
// Either way no namespace: the job comes from the label, else from the alert's name.
//
// The trace: the job's Service (kube-prometheus's ServiceMonitors name the job after the Service, or after
// its jobLabel, app.kubernetes.io/name), found by name and by the k8s-app / app.kubernetes.io/name labels
// across all namespaces (one list each; kube-system, monitoring and the operator's own namespace first when
// several match; one namespace at a time where listing all is refused), then its endpoints and the pods its
// selector matches, which the pod rules diagnose (targets.ts). The kubelet has no pods: its Service (which
// prometheus-operator keeps in sync with the nodes) lists nodes, which the node rule diagnoses. The API
// server: the operator talks to it, so the alert is about Prometheus's path to it; default/kubernetes shows
// where that path leads.
import type { ListItem } from '../../contracts/toolData.js';
import { clip, field, isNotFound, list, text, type Evidence } from '../evidence.js';
import { nodeRule } from './nodes.js';
import { endpointCounts, serviceFinding, servicePlan } from './targets.js';
import { quote, sh, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';

/** The scrape job of kube-prometheus's (and kubernetes-mixin's) `*Down` alerts, which may not carry it as a label. */
export const DOWN_ALERT_JOBS: Readonly<Record<string, string>> = {
  CoreDNSDown: 'kube-dns',
  KubeDNSDown: 'kube-dns',
  KubeStateMetricsDown: 'kube-state-metrics',
  KubeletDown: 'kubelet',
  KubeAPIDown: 'apiserver',
  KubeSchedulerDown: 'kube-scheduler',
  KubeControllerManagerDown: 'kube-controller-manager',
  KubeProxyDown: 'kube-proxy',
  NodeExporterDown: 'node-exporter',
  AlertmanagerDown: 'alertmanager-main',
  PrometheusDown: 'prometheus-k8s',
  PrometheusOperatorDown: 'prometheus-operator',
};

/** Namespaces where the Services of cluster components usually live, tried first (then the operator's). */
const LIKELY_NAMESPACES = ['kube-system', 'monitoring'];
/** Services listed per search (all namespaces). */
const SEARCH_LIMIT = 20;
/** Nodes described for KubeletDown. */
const MAX_NODES = 3;
/** Nodes listed for KubeletDown (the tool's maximum). */
const NODE_LIST_LIMIT = 500;

/** The job the alert is about: its `job` label, else the job its name stands for. */
export function scrapeJobOf(a: AlertInfo): string | undefined {
  return a.scrapeJob ?? (Object.hasOwn(DOWN_ALERT_JOBS, a.name) ? DOWN_ALERT_JOBS[a.name] : undefined);
}

const isKubelet = (a: AlertInfo) => a.name === 'KubeletDown' || scrapeJobOf(a) === 'kubelet';
const isApiServer = (a: AlertInfo) => a.name === 'KubeAPIDown' || scrapeJobOf(a) === 'apiserver';

/** How the alert tells its job, for the root cause. */
function jobSource(a: AlertInfo, job: string): string {
  return a.scrapeJob
    ? `its job label is "${job}"`
    : `it carries no job label (an absent()-based alert keeps none), so its job "${job}" comes from the alert's name`;
}

function alertQuote(a: AlertInfo): Quote[] {
  const desc = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
  return desc ? [{ source: 'alert annotation', lines: [clip(desc, 400)] }] : [];
}

// ── finding the job's Service ─────────────────────────────────────────────────────────────────────

interface Located {
  namespace: string;
  name: string;
  /** "its name", "its label k8s-app=kube-dns", "a get in namespace monitoring" */
  how: string;
}

interface Search {
  /** The calls made or wanted so far, in order. */
  calls: Call[];
  /** Every search call has answered (or the Service is found). */
  done: boolean;
  found?: Located;
  /** Other Services that matched the same search. */
  others: string[];
  quotes: Quote[];
  /** Why listing Services in all namespaces failed, when it did. */
  listError?: string;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

interface ServiceQuery {
  selector: { fieldSelector: string } | { labelSelector: string };
  how: string;
}

/** The searches for a job's Service, in order: by its name, then by the labels kube-prometheus derives jobs from. */
function queries(job: string): ServiceQuery[] {
  const out: ServiceQuery[] = [];
  if (DNS_LABEL.test(job)) out.push({ selector: { fieldSelector: `metadata.name=${job}` }, how: 'its name' });
  if (LABEL_VALUE.test(job)) {
    for (const key of ['k8s-app', 'app.kubernetes.io/name']) out.push({ selector: { labelSelector: `${key}=${job}` }, how: `its label ${key}=${job}` });
  }
  return out;
}

function preference(a: AlertInfo): string[] {
  return [...new Set([...(a.namespace ? [a.namespace] : []), ...LIKELY_NAMESPACES, ...(a.home ? [a.home] : [])])];
}

/** Services in the order they are preferred: the likely namespaces first, then by namespace and name. */
function ranked(a: AlertInfo, items: ListItem[]): ListItem[] {
  const prefs = preference(a);
  const rank = (ns: string | undefined) => {
    const i = prefs.indexOf(ns ?? '');
    return i < 0 ? prefs.length : i;
  };
  return [...items].sort((x, y) => rank(x.namespace) - rank(y.namespace) || (x.namespace ?? '').localeCompare(y.namespace ?? '') || x.name.localeCompare(y.name));
}

const serviceLine = (i: ListItem) => `${i.namespace ?? '?'}/${i.name}${i.columns.PORTS ? `  ports ${i.columns.PORTS}` : ''}`;

/**
 * Where the job's Service is: one list of Services in all namespaces per query until one matches; if
 * listing all namespaces fails, a get in each likely namespace (the alert's, kube-system, monitoring, the
 * operator's) instead.
 */
function searchService(a: AlertInfo, ev: Evidence, job: string): Search {
  const calls: Call[] = [];
  const quotes: Quote[] = [];
  for (const q of queries(job)) {
    const sel = 'fieldSelector' in q.selector ? q.selector.fieldSelector : q.selector.labelSelector;
    calls.push({
      tool: 'list_resources',
      args: { apiVersion: 'v1', kind: 'Service', ...q.selector, limit: SEARCH_LIMIT },
      why: `Find the Service behind scrape job "${job}" in any namespace: Services whose ${'fieldSelector' in q.selector ? 'name is' : 'label'} ${'fieldSelector' in q.selector ? job : sel}.`,
    });
    const d = ev.data('list_resources', { kind: 'Service', ...q.selector });
    if (!d) {
      const err = ev.failure('list_resources', { kind: 'Service', ...q.selector });
      if (err) return byNamespace(a, ev, job, calls, quotes, err);
      return { calls, done: false, others: [], quotes };
    }
    quotes.push(...quote(`list_resources Service (all namespaces) ${sel}`, d.items.length ? d.items.slice(0, 5).map(serviceLine) : ['<none>']));
    if (d.items.length) {
      const [best, ...rest] = ranked(a, d.items);
      return { calls, done: true, found: { namespace: best.namespace ?? '', name: best.name, how: q.how }, others: rest.map((i) => `${i.namespace}/${i.name}`), quotes };
    }
  }
  return { calls, done: true, others: [], quotes };
}

/** Listing all namespaces was refused: a get of the job's Service in each likely namespace, in turn. */
function byNamespace(a: AlertInfo, ev: Evidence, job: string, calls: Call[], quotes: Quote[], listError: string): Search {
  quotes.push(...quote('list_resources Service (all namespaces)', [clip(listError, 240)]));
  if (!DNS_LABEL.test(job)) return { calls, done: true, others: [], quotes, listError };
  for (const ns of preference(a)) {
    calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Service', name: job, namespace: ns }, why: `Services cannot be listed in all namespaces: is there a Service ${job} in namespace ${ns}?` });
    if (ev.resource('Service', job, ns)) return { calls, done: true, found: { namespace: ns, name: job, how: `a get in namespace ${ns}` }, others: [], quotes, listError };
    const err = ev.failure('get_resource', { kind: 'Service', name: job, namespace: ns });
    if (!err) return { calls, done: false, others: [], quotes, listError };
    quotes.push(...quote(`get_resource Service ${ns}/${job}`, [clip(err, 200)]));
  }
  return { calls, done: true, others: [], quotes, listError };
}

function foundSentence(a: AlertInfo, job: string, s: Search): string {
  const f = s.found!;
  const where = f.how.startsWith('a get') ? f.how : `${f.how}, listing Services in all namespaces`;
  return (
    `${a.name} names no namespace or object: ${jobSource(a, job)}. Scrape job "${job}" is served by Service ${f.namespace}/${f.name} (found by ${where}` +
    `${s.others.length ? `; also matching: ${s.others.slice(0, 3).join(', ')}` : ''})`
  );
}

function notFoundFinding(a: AlertInfo, job: string, s: Search): Finding {
  const searched = s.listError
    ? `Services cannot be listed in all namespaces (${clip(s.listError, 160)}), and no Service ${job} exists in ${preference(a).join(', ')}`
    : `no Service is named ${job} or labelled k8s-app=${job} or app.kubernetes.io/name=${job} in any namespace`;
  return {
    resolved: false,
    summary: `${a.name}: no Service for scrape job "${job}" was found${s.listError ? ' in the namespaces that could be read' : ' in any namespace'}`,
    rootCause:
      `${a.name} means Prometheus has no healthy target for job "${job}"; ${jobSource(a, job)}. Prometheus finds such targets through a Service (the job is named after it, or after its jobLabel), but ${searched}: ` +
      `the component is not deployed, its Service was deleted, renamed or relabelled, or it runs without one (on kubeadm, kube-scheduler and kube-controller-manager are static pods that listen on 127.0.0.1 and have no Service).`,
    quotes: [...s.quotes, ...alertQuote(a)],
    recommendations: [
      `Look for the component's Service and pods: \`kubectl get svc,pods -A -l k8s-app=${sh(job)}\` and \`kubectl get svc,pods -A -l app.kubernetes.io/name=${sh(job)}\``,
      `Check which ServiceMonitor should produce job "${job}" and what it selects: \`kubectl get servicemonitors -A\` (its selector, namespaceSelector and jobLabel)`,
      'Open Prometheus → Status → Service Discovery: which targets were dropped, and why',
    ],
  };
}

// ── KubeletDown: the nodes ────────────────────────────────────────────────────────────────────────

/** The nodes an Endpoints object lists (prometheus-operator's kubelet endpoints point at Nodes). */
function endpointNodes(endpoints: Record<string, unknown> | undefined): { nodes: string[]; addresses: string[] } {
  const nodes: string[] = [];
  const addresses: string[] = [];
  for (const subset of list(endpoints, 'subsets')) {
    for (const addr of [...list(subset, 'addresses'), ...list(subset, 'notReadyAddresses')]) {
      const ip = text(addr, 'ip');
      if (ip) addresses.push(ip);
      if (text(addr, 'targetRef.kind') === 'Node') {
        const n = text(addr, 'targetRef.name') ?? text(addr, 'nodeName');
        if (n) nodes.push(n);
      } else {
        const n = text(addr, 'nodeName');
        if (n) nodes.push(n);
      }
    }
  }
  return { nodes: [...new Set(nodes)], addresses: [...new Set(addresses)] };
}

function nodeList(ev: Evidence): ListItem[] | undefined {
  return ev.data('list_resources', { kind: 'Node' })?.items;
}

const notReadyRows = (rows: ListItem[]) => rows.filter((r) => r.node && r.node.status !== 'Ready');

function describeNode(node: string, why: string): Call {
  return { tool: 'describe_node', args: { name: node }, why };
}

function kubeletPlan(a: AlertInfo, ev: Evidence): Call[] {
  const s = searchService(a, ev, 'kubelet');
  const calls = [...s.calls];
  if (!s.done) return calls;
  const listNodes: Call = { tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Node', limit: NODE_LIST_LIMIT }, why: 'List the nodes and their Ready status: whose kubelets are down?' };
  if (s.found) {
    const { namespace: ns, name } = s.found;
    calls.push(
      { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Service', name, namespace: ns }, why: `Read Service ${ns}/${name}, through which Prometheus finds the kubelets.` },
      { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Endpoints', name, namespace: ns }, why: `Read its endpoints: which nodes' kubelets does Prometheus scrape?` },
    );
    const { nodes } = endpointNodes(ev.resource('Endpoints', name, ns));
    if (nodes.length <= MAX_NODES) {
      for (const n of nodes) calls.push(describeNode(n, `Describe node ${n}, a kubelet target of ${ns}/${name}: its Ready condition and the kubelet's message.`));
      return calls;
    }
    // Many nodes: their status from one list, then the NotReady ones among them.
    calls.push(listNodes);
    const rows = nodeList(ev);
    if (rows) {
      const named = new Set(nodes);
      const listed = new Set(rows.map((r) => r.name));
      const complete = !ev.data('list_resources', { kind: 'Node' })?.more;
      const suspects = [...notReadyRows(rows).filter((r) => named.has(r.name)).map((r) => r.name), ...(complete ? nodes.filter((n) => !listed.has(n)) : [])];
      for (const n of suspects.slice(0, MAX_NODES)) calls.push(describeNode(n, `Node ${n} is a kubelet target of ${ns}/${name} and is not Ready (or not listed): describe it.`));
    }
    return calls;
  }
  calls.push(listNodes);
  for (const r of notReadyRows(nodeList(ev) ?? []).slice(0, MAX_NODES)) calls.push(describeNode(r.name, `Node ${r.name} is ${r.node?.status}: describe it (its kubelet's message).`));
  return calls;
}

interface NodeState {
  name: string;
  status?: 'Ready' | 'NotReady' | 'Unknown';
  gone: boolean;
  error?: string;
}

function nodeState(ev: Evidence, name: string, rows: ListItem[] | undefined): NodeState | undefined {
  const d = ev.data('describe_node', { name });
  if (d) return { name, status: d.status, gone: false };
  const err = ev.failure('describe_node', { name });
  if (err) return { name, gone: isNotFound(err), error: err };
  const row = rows?.find((r) => r.name === name);
  return row?.node ? { name, status: row.node.status, gone: false } : undefined;
}

/** The node rule's finding for one node (the alert names none). */
function nodeDiagnosis(a: AlertInfo, ev: Evidence, node: string): Finding {
  return nodeRule.analyse({ ...a, node }, ev);
}

function readyLine(ev: Evidence, node: string): string | undefined {
  const d = ev.data('describe_node', { name: node });
  const c = d?.conditions.find((x) => x.type === 'Ready');
  return c ? `Ready=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${clip(c.message, 120)}` : ''})` : ''}` : d ? `status ${d.status}` : undefined;
}

const SCRAPE_PATH_RECS = (what: string) => [
  `Read the scrape error of the ${what} targets in Prometheus → Status → Targets (connection refused, x509, 401/403, timeout)`,
  `Check that Prometheus may read the kubelet's metrics: \`kubectl auth can-i get nodes/metrics --as=system:serviceaccount:monitoring:prometheus-k8s\``,
  'Check NetworkPolicies and firewalls between the Prometheus pods and the nodes\' port 10250',
];

/** No Service points Prometheus at the kubelets: prometheus-operator's, or the nodes themselves when some are NotReady. */
function kubeletServiceMissing(a: AlertInfo, ev: Evidence, s: ReturnType<typeof searchService>, rows: ReturnType<typeof nodeList>, lead: string): Finding {
  const bad = notReadyRows(rows ?? []);
  const base = notFoundFinding(a, 'kubelet', s);
  const operatorNote =
    'prometheus-operator creates Service kube-system/kubelet and keeps its endpoints in sync with the nodes when started with --kubelet-service=kube-system/kubelet, and kube-prometheus\'s kubelet ServiceMonitor selects it: without it Prometheus has no kubelet target.';
  const nodesQuote = rows ? quote('list_resources Node', (bad.length ? bad : rows).slice(0, 5).map((r) => `${r.name}  ${r.node?.status ?? '?'}`)) : [];
  const recs = ['Check prometheus-operator (its pod, and its --kubelet-service flag) and the kubelet Service: `kubectl get svc,endpoints -A -l app.kubernetes.io/name=kubelet`', ...base.recommendations];
  if (bad.length) {
    const nf = nodeDiagnosis(a, ev, bad[0].name);
    return {
      resolved: false,
      summary: `${a.name}: ${bad.length} of ${rows!.length} node(s) are NotReady (${nf.summary.replace(`${a.name}: `, '')}); no kubelet Service was found either`,
      rootCause:
        `${lead}. ${nf.rootCause}${bad.length > 1 ? ` Also not Ready: ${bad.slice(1, 5).map((r) => `${r.name} (${readyLine(ev, r.name) ?? r.node?.status})`).join(', ')}.` : ''} ` +
        `No Service for the kubelets was found either (no Service is named kubelet or labelled k8s-app=kubelet or app.kubernetes.io/name=kubelet${s.listError ? ' in the namespaces that could be read' : ' in any namespace'}): ${operatorNote}`,
      quotes: [...nf.quotes, ...nodesQuote, ...base.quotes],
      recommendations: [...nf.recommendations, ...recs],
    };
  }
  return {
    ...base,
    rootCause: `${base.rootCause} ${operatorNote}${rows?.length ? ` The ${rows.length} node(s) listed are all Ready, so the kubelets themselves post status.` : ''}`,
    quotes: [...base.quotes, ...nodesQuote],
    recommendations: recs,
  };
}

function kubeletFinding(a: AlertInfo, ev: Evidence): Finding {
  const s = searchService(a, ev, 'kubelet');
  const rows = nodeList(ev);
  const lead = `${a.name} names no node: ${jobSource(a, 'kubelet')}`;
  if (!s.found) return kubeletServiceMissing(a, ev, s, rows, lead);
  const { namespace: ns, name } = s.found;
  const svcErr = ev.resource('Service', name, ns) ? undefined : ev.failure('get_resource', { kind: 'Service', name, namespace: ns });
  const epObj = ev.resource('Endpoints', name, ns);
  const epErr = epObj ? undefined : ev.failure('get_resource', { kind: 'Endpoints', name, namespace: ns });
  const ep = endpointCounts(epObj);
  const { nodes, addresses } = endpointNodes(epObj);
  const found = foundSentence(a, 'kubelet', s);
  const quotes: Quote[] = [
    ...s.quotes,
    ...quote(`get_resource Service ${ns}/${name}`, [svcErr]),
    ...(epObj
      ? quote(`get_resource Endpoints ${ns}/${name}`, [`addresses: ${ep.ready} ready, ${ep.notReady} not ready`, nodes.length ? `nodes: ${nodes.slice(0, 6).join(', ')}${nodes.length > 6 ? ', …' : ''}` : undefined, ep.ports.length ? `ports: ${ep.ports.join(', ')}` : undefined])
      : quote(`get_resource Endpoints ${ns}/${name}`, [epErr])),
  ];
  const syncNote = `prometheus-operator keeps the endpoints of ${ns}/${name} in sync with the cluster's nodes (its --kubelet-service flag)`;
  if (!epObj || ep.ready + ep.notReady === 0) {
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${name} lists no kubelet address${epObj ? '' : ' (it has no Endpoints object)'}, so Prometheus has no kubelet target`,
      rootCause:
        `${found}. It ${epObj ? 'has no endpoint addresses' : `has no Endpoints object (${clip(epErr ?? 'not read', 160)})`}, so Prometheus discovers no kubelet to scrape and every kubelet target is gone. ` +
        `${syncNote}: it is not doing so (not running, started without that flag, or its node selector matches no node).`,
      quotes: [...quotes, ...alertQuote(a)],
      recommendations: [
        'Check prometheus-operator: its pod (`kubectl get pods -A -l app.kubernetes.io/name=prometheus-operator`), its logs, and its --kubelet-service / --kubelet-selector flags',
        `Compare with the nodes: \`kubectl get nodes -o wide\` and \`kubectl get endpoints -n ${ns} ${name} -o yaml\``,
      ],
    };
  }
  const states = nodes.map((n) => nodeState(ev, n, rows)).filter((x): x is NodeState => !!x);
  const gone = states.filter((x) => x.gone);
  const down = states.filter((x) => !x.gone && x.status && x.status !== 'Ready');
  const ready = states.filter((x) => x.status === 'Ready');
  const unseen = nodes.length - states.length;
  if (gone.length) {
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${name} points Prometheus at kubelets of nodes that no longer exist (${gone.slice(0, 3).map((x) => x.name).join(', ')})`,
      rootCause:
        `${found}. Its endpoints list ${addresses.length} kubelet address(es) for ${nodes.length} node(s), and ${gone.length === nodes.length ? 'none of those nodes exists any more' : `${gone.length} of them no longer exist`} (${gone.map((x) => x.name).join(', ')}: ${clip(gone[0].error ?? 'not found', 120)}): ` +
        `Prometheus scrapes addresses of deleted nodes. ${syncNote}; these endpoints are stale, so it is not running or not syncing.` +
        `${ready.length ? ` Nodes that exist and are Ready: ${ready.map((x) => x.name).join(', ')}.` : ''}`,
      quotes: [...quotes, ...gone.flatMap((x) => quote(`describe_node ${x.name}`, [clip(x.error ?? 'not found', 200)])), ...alertQuote(a)],
      recommendations: [
        'Check prometheus-operator: its pod (`kubectl get pods -A -l app.kubernetes.io/name=prometheus-operator`) and its logs (kubelet endpoints sync)',
        `Compare the endpoints with the nodes: \`kubectl get endpoints -n ${ns} ${name} -o yaml\` and \`kubectl get nodes -o wide\``,
      ],
    };
  }
  if (down.length) {
    const nf = nodeDiagnosis(a, ev, down[0].name);
    const rest = down.slice(1).map((x) => `${x.name} (${readyLine(ev, x.name) ?? x.status})`);
    const all = down.length === nodes.length;
    return {
      resolved: false,
      summary: `${a.name}: ${all ? `all ${nodes.length}` : `${down.length} of ${nodes.length}`} kubelet target node(s) behind Service ${ns}/${name} are NotReady — ${nf.summary.replace(new RegExp(`^${a.name}: (node \\S+ is NotReady — )?`), '')}`,
      rootCause:
        `${found}. Its endpoints list the kubelets of ${nodes.length} node(s) (${nodes.slice(0, 5).join(', ')}${nodes.length > 5 ? ', …' : ''}); ${all ? 'every one of them is' : `${down.length} of them are`} NotReady, so ${all ? 'no' : 'their'} kubelet answers Prometheus. ` +
        `${nf.rootCause}${rest.length ? ` Also NotReady: ${rest.join(', ')}.` : ''}` +
        (all || unseen || a.name !== 'KubeletDown' ? '' : ` The other node(s) (${ready.map((x) => x.name).join(', ')}) are Ready, yet ${a.name} fires only when no kubelet is scraped at all: their scrape fails too, so check the scrape path as well.`),
      quotes: [...quotes, ...nf.quotes],
      recommendations: [...nf.recommendations, ...(all || unseen || a.name !== 'KubeletDown' ? [] : SCRAPE_PATH_RECS('kubelet'))],
    };
  }
  return {
    resolved: false,
    summary: `${a.name}: the ${nodes.length || addresses.length} kubelet target(s) behind Service ${ns}/${name} are on Ready nodes — Prometheus cannot scrape them`,
    rootCause:
      `${found}. Its endpoints list ${addresses.length} kubelet address(es)${ep.ports.length ? ` (ports ${ep.ports.join(', ')})` : ''}${ready.length ? ` and the nodes behind them are Ready (${ready.map((x) => x.name).slice(0, 5).join(', ')})` : ''}, so the kubelets run and post their status: ` +
      'the scrape itself fails — Prometheus\'s RBAC for nodes/metrics, TLS or authentication on port 10250, a NetworkPolicy or firewall between Prometheus and the nodes, or the kubelet ServiceMonitor.',
    quotes: [...quotes, ...ready.flatMap((x) => quote(`describe_node ${x.name}`, [readyLine(ev, x.name)])), ...alertQuote(a)],
    recommendations: SCRAPE_PATH_RECS('kubelet'),
  };
}

// ── KubeAPIDown: the API server ───────────────────────────────────────────────────────────────────

const API = { namespace: 'default', name: 'kubernetes' };

function apiPlan(): Call[] {
  return [
    { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Service', name: API.name, namespace: API.namespace }, why: 'Read Service default/kubernetes, through which Prometheus finds the API server (job "apiserver"): does the API server answer at all?' },
    { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Endpoints', name: API.name, namespace: API.namespace }, why: 'Read its endpoints: which API server addresses would Prometheus scrape?' },
  ];
}

function apiFinding(a: AlertInfo, ev: Evidence): Finding {
  const svc = ev.resource('Service', API.name, API.namespace);
  const epObj = ev.resource('Endpoints', API.name, API.namespace);
  const src = `${API.namespace}/${API.name}`;
  const lead = `${a.name} names no object: ${jobSource(a, 'apiserver')}, which kube-prometheus scrapes through Service ${src}`;
  if (!svc) {
    const err = ev.failure('get_resource', { kind: 'Service', name: API.name, namespace: API.namespace });
    return {
      resolved: false,
      summary: `${a.name}: Service ${src} could not be read${err ? ` (${clip(err, 100)})` : ''}`,
      rootCause: `${lead}. Reading it through the API server failed${err ? `: ${clip(err, 240)}` : ''}, so whether the API server itself is down could not be told from here.`,
      quotes: [...quote(`get_resource Service ${src}`, [err]), ...alertQuote(a)],
      recommendations: ['Check the API server: `kubectl get --raw /readyz?verbose`, and the control plane\'s logs', 'Read the scrape error of job apiserver in Prometheus → Status → Targets'],
    };
  }
  const labels = (field(svc, 'metadata.labels') ?? {}) as Record<string, unknown>;
  const labelled = labels.component === 'apiserver' && labels.provider === 'kubernetes';
  const ep = endpointCounts(epObj);
  const addrs: string[] = [];
  for (const subset of list(epObj, 'subsets')) {
    const ports = list(subset, 'ports').map((p) => text(p, 'port')).filter(Boolean);
    for (const addr of list(subset, 'addresses')) {
      const ip = text(addr, 'ip');
      if (ip) addrs.push(ports.length ? `${ip}:${ports[0]}` : ip);
    }
  }
  const quotes: Quote[] = [
    ...quote(`get_resource Service ${src}`, [`labels: ${Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(', ') || '<none>'}`]),
    ...(epObj
      ? quote(`get_resource Endpoints ${src}`, [`ready addresses: ${ep.ready}${addrs.length ? ` (${addrs.slice(0, 5).join(', ')})` : ''}`, `notReadyAddresses: ${ep.notReady}`])
      : quote(`get_resource Endpoints ${src}`, [ev.failure('get_resource', { kind: 'Endpoints', name: API.name, namespace: API.namespace })])),
    ...alertQuote(a),
  ];
  const answers = `The API server is up: the operator read Service ${src}${epObj ? ' and its endpoints' : ''} through it`;
  if (!ep.ready) {
    return {
      resolved: false,
      summary: `${a.name}: the API server answers, but Service ${src} has no ready endpoint, so Prometheus has no apiserver target`,
      rootCause:
        `${lead}. ${answers}, yet ${src} lists ${epObj ? 'no ready address' : 'no endpoints'}: the API servers do not register themselves (their endpoint reconciler, --endpoint-reconciler-type, or --advertise-address), so Prometheus discovers nothing to scrape.`,
      quotes,
      recommendations: [`Read the endpoints and the API server flags: \`kubectl get endpoints -n default kubernetes -o yaml\`; the API servers' --advertise-address and --endpoint-reconciler-type`],
    };
  }
  return {
    resolved: false,
    summary: `${a.name}: the API server is up (Service ${src} has ${ep.ready} ready endpoint(s)) — Prometheus's path to it fails, not the API server`,
    rootCause:
      `${lead}. ${answers}, and they list ${ep.ready} ready address(es) (${addrs.slice(0, 3).join(', ')})${labelled ? ', with the labels component=apiserver and provider=kubernetes that kube-prometheus\'s ServiceMonitor selects' : ''}. ` +
      (labelled
        ? ''
        : `The Service lacks the labels component=apiserver and provider=kubernetes (it has ${Object.keys(labels).length ? Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(', ') : 'none'}): kube-prometheus's apiserver ServiceMonitor selects it by them and names the job after component, so Prometheus has no "apiserver" target. `) +
      `The cluster shows no failure of the API server, so the alert is about Prometheus discovering or scraping it: the kube-apiserver ServiceMonitor missing or not selected by the Prometheus, Prometheus's Role in namespace default (it must list endpoints there), a NetworkPolicy or firewall on Prometheus's egress to ${addrs[0] ?? 'those addresses'}, or its credentials for /metrics.`,
    quotes,
    recommendations: [
      'Open Prometheus → Status → Targets and Service Discovery for job apiserver: no target at all points to discovery, a down target to the scrape',
      'Check the ServiceMonitor and Prometheus\'s access: `kubectl get servicemonitors -A | grep -i apiserver`; `kubectl get rolebindings -n default | grep -i prometheus`; `kubectl auth can-i get /metrics --as=system:serviceaccount:monitoring:prometheus-k8s`',
      `Check NetworkPolicies on the Prometheus pods' egress to ${addrs[0] ?? 'the API server'}`,
    ],
  };
}

// ── the rule ──────────────────────────────────────────────────────────────────────────────────────

export const scrapeJobRule: Rule = {
  id: 'scrape-job',
  matches(a) {
    if (!scrapeJobOf(a)) return false;
    if (Object.hasOwn(DOWN_ALERT_JOBS, a.name)) return true;
    // TargetDown without a namespace label (a Prometheus outside the cluster, or relabelled away), or about
    // the kubelets (whose Service has no selector: the nodes are behind it).
    if (a.name === 'TargetDown' || a.name === 'PrometheusTargetMissing') return !a.namespace || scrapeJobOf(a) === 'kubelet';
    // Any other alert named "...Down" that carries the job it is about.
    return /Down$/.test(a.name) && !!a.scrapeJob && !a.pod;
  },
  plan(a, ev) {
    const job = scrapeJobOf(a)!;
    if (isApiServer(a)) return apiPlan();
    if (isKubelet(a)) return kubeletPlan(a, ev);
    if (a.namespace) return servicePlan(ev, a.namespace, a.service ?? job);
    const s = searchService(a, ev, job);
    return s.found ? [...s.calls, ...servicePlan(ev, s.found.namespace, s.found.name)] : s.calls;
  },
  analyse(a, ev) {
    const job = scrapeJobOf(a)!;
    if (isApiServer(a)) return apiFinding(a, ev);
    if (isKubelet(a)) return kubeletFinding(a, ev);
    if (a.namespace) return serviceFinding(a, ev, a.namespace, a.service ?? job, { job, lead: `${jobSource(a, job)}; the alert's namespace is ${a.namespace}` });
    const s = searchService(a, ev, job);
    if (!s.found) return notFoundFinding(a, job, s);
    return serviceFinding(a, ev, s.found.namespace, s.found.name, { job, lead: foundSentence(a, job, s), quotes: s.quotes });
  },
};

// TargetDown: Prometheus cannot scrape some targets of a job. From the Kubernetes side: does the
// Service still exist, does it have ready endpoints, and if not, what is wrong with its pods. The trace
// from one Service to its pods (servicePlan / serviceFinding) also serves the alerts that name only a
// scrape job, once scrapeJobs.ts has found the job's Service.
import { clip, field, isNotFound, list, podLine, text, worstPod, type Evidence, type PodLine } from '../evidence.js';
import { diagnosePod, podPlan, sentence, type PodProblem } from './pods.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';

function serviceName(a: AlertInfo): string | undefined {
  return a.service ?? a.scrapeJob;
}

/** A Service's pod selector as a label selector ("app=web"), from the object get_resource read. */
export function selectorOf(service: Record<string, unknown> | undefined): string | undefined {
  const sel = field(service, 'spec.selector');
  const parts = sel && typeof sel === 'object' ? Object.entries(sel as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`) : [];
  return parts.length ? parts.join(',') : undefined;
}

/** Ready and not-ready addresses of an Endpoints object (as get_resource read it). */
export function endpointCounts(endpoints: Record<string, unknown> | undefined): { ready: number; notReady: number; ports: string[] } {
  let ready = 0;
  let notReady = 0;
  const ports: string[] = [];
  for (const subset of list(endpoints, 'subsets')) {
    ready += list(subset, 'addresses').length;
    notReady += list(subset, 'notReadyAddresses').length;
    for (const p of list(subset, 'ports')) {
      const port = text(p, 'port');
      const name = text(p, 'name');
      if (port) ports.push(name ? `${name}:${port}` : port);
    }
  }
  return { ready, notReady, ports };
}

/** The pods list_resources read in the namespace, or undefined when it was not read. */
function podsListed(ev: Evidence, ns: string): PodLine[] | undefined {
  const l = ev.data('list_resources', { kind: 'Pod', namespace: ns });
  return l?.items.filter((i) => i.pod).map((i) => podLine({ ...i.pod!, name: i.name }));
}

/** What is wrong with a pod, in a few words (a summary's: "pod X ..."). */
const PROBLEM: Record<PodProblem, string> = {
  gone: 'is gone',
  unreadable: 'could not be examined',
  evicted: 'was evicted',
  unschedulable: 'cannot be scheduled (Pending)',
  imagePull: 'cannot pull its image',
  configError: 'cannot create its container',
  oomKilled: 'is OOMKilled',
  livenessKill: 'is killed by its liveness probe',
  crashLoop: 'is crash-looping',
  readiness: 'fails its readiness probe',
  notStarted: 'does not start its container',
  healthy: 'is healthy',
  unknown: 'is in an unclear state',
};

/** The reads from one Service to the pods behind it: the Service, its endpoints, its pods, the worst pod. */
export function servicePlan(ev: Evidence, ns: string, svc: string): Call[] {
  const calls: Call[] = [
    { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Service', name: svc, namespace: ns }, why: `Read Service ${ns}/${svc}: does it exist, which pods does it select, which ports?` },
    { tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Endpoints', name: svc, namespace: ns }, why: `Read the endpoints of ${svc}: how many pods are ready behind it?` },
  ];
  const selector = selectorOf(ev.resource('Service', svc, ns));
  if (selector) {
    calls.push({ tool: 'list_resources', args: { apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: selector }, why: `List the pods behind ${svc} (selector ${selector}) and their status.` });
    const worst = worstPod(podsListed(ev, ns) ?? []);
    if (worst) calls.push(...podPlan(ev, ns, worst.name));
    // Ready endpoints and no failing pod: what may stand between the scraper and the pods.
    if (!worst && endpointCounts(ev.resource('Endpoints', svc, ns)).ready > 0) {
      const first = podsListed(ev, ns)?.[0];
      if (first) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'Pod', name: first.name, namespace: ns }, why: `The pods behind ${svc} are ready: do they serve on the ports the Service sends to (its targetPorts)?` });
      calls.push({ tool: 'list_resources', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: ns }, why: `The pods behind ${svc} are ready: do NetworkPolicies in ${ns} restrict who may connect to them?` });
    }
  }
  return calls;
}

interface PortMismatch {
  name: string;
  targetPort: string;
  servedOn?: string;
  line: string;
  podLine: string;
}

/**
 * The Service ports whose targetPort no container of the pod declares: a number no containerPort has, or
 * a name no port has. When a container port has the Service port's name, that is where it moved.
 */
export function portMismatches(service: Record<string, unknown>, pod: Record<string, unknown> | undefined): PortMismatch[] {
  const declared = list(pod, 'spec.containers').flatMap((c) => list(c, 'ports').map((p) => ({ name: text(p, 'name'), port: text(p, 'containerPort') })));
  if (!declared.length) return [];
  const out: PortMismatch[] = [];
  for (const sp of list(service, 'spec.ports')) {
    const name = text(sp, 'name') ?? text(sp, 'port') ?? '?';
    const target = text(sp, 'targetPort') ?? text(sp, 'port');
    if (!target) continue;
    const served = /^\d+$/.test(target) ? declared.some((d) => d.port === target) : declared.some((d) => d.name === target);
    if (served) continue;
    const sameName = declared.find((d) => d.name && d.name === text(sp, 'name'));
    out.push({
      name,
      targetPort: target,
      servedOn: sameName?.port,
      line: `Service port ${name} (${text(sp, 'port') ?? '?'}) sends to targetPort ${target}, which no container of the pods declares${sameName ? `; the pods serve ${name} on containerPort ${sameName.port}` : ''}`,
      podLine: `container ports: ${declared.map((d) => `${d.name ? `${d.name}:` : ''}${d.port}`).join(', ')}`,
    });
  }
  // The ports that moved (their name is served elsewhere) first: they explain a scrape that fails.
  return out.sort((x, y) => Number(!!y.servedOn) - Number(!!x.servedOn));
}

export interface ServiceTraceOptions {
  /** The scrape job whose targets are down (for the wording). */
  job?: string;
  /** A sentence put before the root cause: how the Service was found. */
  lead?: string;
  /** Quotes put before the Service's own (the search that found it). */
  quotes?: Quote[];
}

/** Service ns/svc could not be read: gone (stale scrape targets) or unreadable. */
function missingServiceFinding(a: AlertInfo, ev: Evidence, ns: string, svc: string, o: { lead: string; job: string; before: Quote[]; after: Quote[] }): Finding {
  const { lead, job } = o;
  const err = ev.failure('get_resource', { kind: 'Service', name: svc, namespace: ns });
  return {
    resolved: false,
    summary: `${a.name}: Service ${ns}/${svc} ${isNotFound(err) ? 'does not exist' : 'could not be read'}`,
    rootCause:
      lead +
      (isNotFound(err)
        ? `Prometheus still scrapes job "${job}" but Service ${ns}/${svc} does not exist (${err}): the targets are stale (a ServiceMonitor/scrape config outliving its service) or the service was deleted by mistake.`
        : `Service ${ns}/${svc} could not be read${err ? `: ${err}` : ''}.`),
    quotes: [...o.before, ...quote(`get_resource Service ${ns}/${svc}`, [err]), ...o.after],
    recommendations: [`Recreate the service, or remove the stale ServiceMonitor/scrape config: \`kubectl get servicemonitors -A | grep ${svc}\``],
  };
}

/** The pods behind Service ns/svc are ready: the Service's ports, a NetworkPolicy, or the scrape itself. */
function healthyTargetsFinding(
  a: AlertInfo,
  ev: Evidence,
  t: { ns: string; svc: string; service: Record<string, unknown>; pods: PodLine[]; ep: ReturnType<typeof endpointCounts>; lead: string; quotes: Quote[] },
): Finding {
  const { ns, svc, service, pods, ep, lead, quotes } = t;
  const moved = pods[0] ? portMismatches(service, ev.resource('Pod', pods[0].name, ns)) : [];
  if (moved.length) {
    quotes.push(...quote(`get_resource Pod ${ns}/${pods[0].name}`, moved.map((m) => m.podLine)));
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${svc} sends port ${moved[0].name} to targetPort ${moved[0].targetPort}, where its pods do not listen${moved[0].servedOn ? ` (they serve it on ${moved[0].servedOn})` : ''}`,
      rootCause:
        `${lead}The pods behind Service ${ns}/${svc} are ready (${ep.ready} ready endpoint(s)), but the Service's ports do not match theirs: ${moved.map((m) => m.line).join('; ')}. ` +
        `The scrape (and any client) reaches a port nothing listens on.`,
      quotes,
      recommendations: moved.map((m) => `Set targetPort of the Service's port ${m.name} to ${m.servedOn ?? 'the port the pods listen on'} (or to the container port's name, so it follows the pods): \`kubectl edit service -n ${ns} ${svc}\``),
    };
  }
  const policies = (ev.data('list_resources', { kind: 'NetworkPolicy', namespace: ns })?.items ?? []).map((i) => i.name).filter(Boolean);
  if (policies.length) {
    quotes.push(...quote(`list_resources NetworkPolicy ${ns}`, [`NetworkPolicies: ${policies.join(', ')}`]));
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${svc} has ${ep.ready} ready endpoint(s) and healthy pods; NetworkPolicies in ${ns} (${policies.slice(0, 3).join(', ')}) may block the scrape`,
      rootCause:
        `${lead}Kubernetes shows ${ep.ready} ready endpoint(s) for Service ${ns}/${svc}${ep.ports.length ? ` (ports ${ep.ports.join(', ')})` : ''} and no unhealthy pod, so the pods run but Prometheus cannot reach them. ` +
        `Namespace ${ns} has NetworkPolicies (${policies.join(', ')}): unless one of them admits the Prometheus pods on the metrics port, they drop the scrape.`,
      quotes,
      recommendations: [
        `Read the policies: \`kubectl get networkpolicy -n ${ns} -o yaml\`; allow ingress from the monitoring namespace's Prometheus pods on the metrics port${ep.ports.length ? ` (${ep.ports.join(', ')})` : ''}`,
        'Read the scrape error in Prometheus → Status → Targets for this job (a timeout points to a dropped connection)',
      ],
    };
  }
  return {
    resolved: false,
    summary: `${a.name}: Service ${ns}/${svc} has ${ep.ready} ready endpoint(s) and its pods look healthy — the scrape itself fails`,
    rootCause:
      `${lead}Kubernetes shows ${ep.ready} ready endpoint(s) for Service ${ns}/${svc}${ep.ports.length ? ` (ports ${ep.ports.join(', ')})` : ''} and no unhealthy pod, so the pods run but Prometheus cannot scrape them: ` +
      `the metrics port/path in the ServiceMonitor or scrape config is wrong, a NetworkPolicy blocks Prometheus, TLS/auth fails, or the /metrics handler errors or times out.`,
    quotes,
    recommendations: [
      'Read the scrape error in Prometheus → Status → Targets for this job',
      `Try the endpoint from inside the cluster: \`kubectl run -n ${ns} curl --rm -it --image=curlimages/curl -- curl -sv http://${svc}.${ns}.svc:<port>/metrics\``,
      `Check NetworkPolicies in ${ns}: \`kubectl get networkpolicy -n ${ns}\``,
    ],
  };
}

/** What the reads of servicePlan show: why the targets behind Service ns/svc are down. */
export function serviceFinding(a: AlertInfo, ev: Evidence, ns: string, svc: string, o: ServiceTraceOptions = {}): Finding {
  const desc = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
  const alertQuote: Quote[] = desc ? [{ source: 'alert annotation', lines: [clip(desc, 400)] }] : [];
  const lead = o.lead ? `${sentence(o.lead)} ` : '';
  const job = o.job ?? a.scrapeJob ?? svc;
  const service = ev.resource('Service', svc, ns);
  if (!service) return missingServiceFinding(a, ev, ns, svc, { lead, job, before: o.quotes ?? [], after: alertQuote });
  const selector = selectorOf(service);
  const epYaml = ev.resource('Endpoints', svc, ns);
  const epErr = epYaml ? undefined : ev.failure('get_resource', { kind: 'Endpoints', name: svc, namespace: ns });
  const ep = endpointCounts(epYaml);
  const epText = epYaml ? `${ep.ready} ready and ${ep.notReady} not-ready endpoint address(es)` : isNotFound(epErr) ? 'no Endpoints object' : 'endpoints that could not be read';
  const listed = podsListed(ev, ns);
  const pods = listed ?? [];
  const worst = worstPod(pods);
  const bad = pods.filter((p) => worstPod([p]));
  const dg = worst ? diagnosePod(ev, ns, worst.name) : undefined;
  const quotes: Quote[] = [
    ...(o.quotes ?? []),
    ...quote(`get_resource Service ${ns}/${svc}`, [selector ? `selector: ${selector}` : 'selector: <none>']),
    ...(epYaml
      ? quote(`get_resource Endpoints ${ns}/${svc}`, [`ready addresses: ${ep.ready}`, `notReadyAddresses: ${ep.notReady}`, ep.ports.length ? `ports: ${ep.ports.join(', ')}` : undefined])
      : quote(`get_resource Endpoints ${ns}/${svc}`, [epErr])),
    ...quote(`list_resources Pod ${ns} ${selector ?? ''}`.trim(), pods.slice(0, 5).map((p) => p.line)),
    ...(dg?.quotes ?? []),
    ...alertQuote,
  ];
  if (!selector) {
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${svc} has no selector`,
      rootCause: `${lead}Service ${ns}/${svc} has no pod selector, so its endpoints are managed by hand (or by another controller); it has ${epText}. Prometheus cannot reach the targets it lists.`,
      quotes,
      recommendations: [`Check the manually managed endpoints: \`kubectl get endpoints -n ${ns} ${svc} -o yaml\``],
    };
  }
  if (!pods.length && listed !== undefined) {
    return {
      resolved: false,
      summary: `${a.name}: no pods match Service ${ns}/${svc} (selector ${selector})`,
      rootCause: `${lead}No pod in ${ns} matches the selector ${selector} of Service ${ns}/${svc}, so it has ${epText} and every scrape target of the job is gone: the workload was scaled to zero or deleted, or its labels changed.`,
      quotes,
      recommendations: [`Find the workload that should serve ${svc}: \`kubectl get deploy,sts,ds -n ${ns} --show-labels\`; scale it up or fix its labels`],
    };
  }
  if (dg && dg.problem !== 'healthy' && dg.problem !== 'gone') {
    const others = bad.filter((p) => p.name !== dg.pod);
    return {
      resolved: false,
      summary: `${a.name}: Service ${ns}/${svc} has ${ep.ready} ready endpoint(s); pod ${dg.pod}${dg.container ? ` (container ${dg.container})` : ''} ${PROBLEM[dg.problem]}`,
      rootCause:
        `${lead}The targets behind Service ${ns}/${svc} are down because its pods are not ready (${epYaml ? `${ep.ready} ready, ${ep.notReady} not ready` : epText}): ${bad.length} of the ${pods.length} pod(s) its selector ${selector} matches are unhealthy. ` +
        `${sentence(dg.cause)}${others.length ? ` Also unhealthy: ${others.slice(0, 4).map((p) => `${p.name} (${p.status}${p.lastTermination ? `, last ${p.lastTermination}` : ''})`).join(', ')}.` : ''}`,
      quotes,
      recommendations: dg.recommendations,
    };
  }
  return healthyTargetsFinding(a, ev, { ns, svc, service, pods, ep, lead, quotes });
}


export const targetDownRule: Rule = {
  id: 'target-down',
  matches: (a) => a.name === 'TargetDown' || a.name === 'PrometheusTargetMissing',
  plan(a, ev) {
    const svc = serviceName(a);
    if (!a.namespace || !svc) return [];
    return servicePlan(ev, a.namespace, svc);
  },
  analyse(a, ev) {
    const svc = serviceName(a);
    if (!a.namespace || !svc) {
      const desc = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
      return {
        resolved: false,
        summary: `${a.name}: targets of job ${a.scrapeJob ?? '?'} are down; the alert names no namespace/service`,
        rootCause: `The alert has no namespace/service labels (labels: ${Object.keys(a.labels).join(', ')}), so the scrape targets could not be matched to Kubernetes objects.`,
        quotes: desc ? [{ source: 'alert annotation', lines: [clip(desc, 400)] }] : [],
        recommendations: ['Open Prometheus → Status → Targets and read the scrape error of the job'],
      };
    }
    return serviceFinding(a, ev, a.namespace, svc);
  },
};

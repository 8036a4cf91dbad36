// TargetDown: Prometheus cannot scrape some targets of a job. From the Kubernetes side: does the
// Service still exist, does it have ready endpoints, and if not, what is wrong with its pods.
import { clip, field, isNotFound, list, podLine, text, worstPod, type Evidence, type PodLine } from '../evidence.js';
import { diagnosePod, podPlan, sentence } from './pods.js';
import { quote, type AlertInfo, type Call, type Quote, type Rule } from './types.js';

function serviceName(a: AlertInfo): string | undefined {
  return a.service ?? a.scrapeJob;
}

/** A Service's pod selector as a label selector ("app=web"), from the object get_resource read. */
function selectorOf(service: Record<string, unknown> | undefined): string | undefined {
  const sel = field(service, 'spec.selector');
  const parts = sel && typeof sel === 'object' ? Object.entries(sel as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`) : [];
  return parts.length ? parts.join(',') : undefined;
}

/** Ready and not-ready addresses of an Endpoints object (as get_resource read it). */
function endpointCounts(endpoints: Record<string, unknown> | undefined): { ready: number; notReady: number; ports: string[] } {
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

export const targetDownRule: Rule = {
  id: 'target-down',
  matches: (a) => a.name === 'TargetDown' || a.name === 'PrometheusTargetMissing',
  plan(a, ev) {
    const svc = serviceName(a);
    if (!a.namespace || !svc) return [];
    const ns = a.namespace;
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
        calls.push({ tool: 'list_resources', args: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: ns }, why: `The pods behind ${svc} are ready: do NetworkPolicies in ${ns} restrict who may connect to them?` });
      }
    }
    return calls;
  },
  analyse(a, ev) {
    const svc = serviceName(a);
    const desc = a.annotations.description ?? a.annotations.message ?? a.annotations.summary;
    const alertQuote: Quote[] = desc ? [{ source: 'alert annotation', lines: [clip(desc, 400)] }] : [];
    if (!a.namespace || !svc) {
      return {
        resolved: false,
        summary: `${a.name}: targets of job ${a.scrapeJob ?? '?'} are down; the alert names no namespace/service`,
        rootCause: `The alert has no namespace/service labels (labels: ${Object.keys(a.labels).join(', ')}), so the scrape targets could not be matched to Kubernetes objects.`,
        quotes: alertQuote,
        recommendations: ['Open Prometheus → Status → Targets and read the scrape error of the job'],
      };
    }
    const ns = a.namespace;
    const service = ev.resource('Service', svc, ns);
    if (!service) {
      const err = ev.failure('get_resource', { kind: 'Service', name: svc, namespace: ns });
      return {
        resolved: false,
        summary: `${a.name}: Service ${ns}/${svc} ${isNotFound(err) ? 'does not exist' : 'could not be read'}`,
        rootCause: isNotFound(err)
          ? `Prometheus still scrapes job "${a.scrapeJob ?? svc}" but Service ${ns}/${svc} does not exist (${err}): the targets are stale (a ServiceMonitor/scrape config outliving its service) or the service was deleted by mistake.`
          : `Service ${ns}/${svc} could not be read${err ? `: ${err}` : ''}.`,
        quotes: [...quote(`get_resource Service ${ns}/${svc}`, [err]), ...alertQuote],
        recommendations: [`Recreate the service, or remove the stale ServiceMonitor/scrape config: \`kubectl get servicemonitors -A | grep ${svc}\``],
      };
    }
    const selector = selectorOf(service);
    const epYaml = ev.resource('Endpoints', svc, ns);
    const ep = endpointCounts(epYaml);
    const listed = podsListed(ev, ns);
    const pods = listed ?? [];
    const worst = worstPod(pods);
    const dg = worst ? diagnosePod(ev, ns, worst.name) : undefined;
    const quotes: Quote[] = [
      ...quote(`get_resource Service ${ns}/${svc}`, [selector ? `selector: ${selector}` : 'selector: <none>']),
      ...(epYaml ? quote(`get_resource Endpoints ${ns}/${svc}`, [`ready addresses: ${ep.ready}`, `notReadyAddresses: ${ep.notReady}`, ep.ports.length ? `ports: ${ep.ports.join(', ')}` : undefined]) : []),
      ...quote(`list_resources Pod ${ns} ${selector ?? ''}`.trim(), pods.slice(0, 5).map((p) => p.line)),
      ...(dg?.quotes ?? []),
      ...alertQuote,
    ];
    if (!selector) {
      return {
        resolved: false,
        summary: `${a.name}: Service ${ns}/${svc} has no selector`,
        rootCause: `Service ${ns}/${svc} has no pod selector, so its endpoints are managed by hand (or by another controller)${epYaml ? `; it has ${ep.ready} ready address(es)` : ''}. Prometheus cannot reach the targets it lists.`,
        quotes,
        recommendations: [`Check the manually managed endpoints: \`kubectl get endpoints -n ${ns} ${svc} -o yaml\``],
      };
    }
    if (!pods.length && listed !== undefined) {
      return {
        resolved: false,
        summary: `${a.name}: no pods match Service ${ns}/${svc} (selector ${selector})`,
        rootCause: `No pod in ${ns} matches the selector ${selector} of Service ${ns}/${svc}, so it has no endpoints and every scrape target of the job is gone: the workload was scaled to zero or deleted, or its labels changed.`,
        quotes,
        recommendations: [`Find the workload that should serve ${svc}: \`kubectl get deploy,sts -n ${ns} --show-labels\`; scale it up or fix its labels`],
      };
    }
    if (dg && dg.problem !== 'healthy' && dg.problem !== 'gone') {
      return {
        resolved: false,
        summary: `${a.name}: Service ${ns}/${svc} has ${ep.ready} ready endpoint(s); pod ${dg.pod} is unhealthy (${dg.problem})`,
        rootCause: `The targets behind Service ${ns}/${svc} are down because its pods are not ready (${ep.ready} ready, ${ep.notReady} not ready). ${sentence(dg.cause)}`,
        quotes,
        recommendations: dg.recommendations,
      };
    }
    const policies = (ev.data('list_resources', { kind: 'NetworkPolicy', namespace: ns })?.items ?? []).map((i) => i.name).filter(Boolean);
    if (policies.length) {
      quotes.push(...quote(`list_resources NetworkPolicy ${ns}`, [`NetworkPolicies: ${policies.join(', ')}`]));
      return {
        resolved: false,
        summary: `${a.name}: Service ${ns}/${svc} has ${ep.ready} ready endpoint(s) and healthy pods; NetworkPolicies in ${ns} (${policies.slice(0, 3).join(', ')}) may block the scrape`,
        rootCause:
          `Kubernetes shows ${ep.ready} ready endpoint(s) for Service ${ns}/${svc}${ep.ports.length ? ` (ports ${ep.ports.join(', ')})` : ''} and no unhealthy pod, so the pods run but Prometheus cannot reach them. ` +
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
        `Kubernetes shows ${ep.ready} ready endpoint(s) for Service ${ns}/${svc}${ep.ports.length ? ` (ports ${ep.ports.join(', ')})` : ''} and no unhealthy pod, so the pods run but Prometheus cannot scrape them: ` +
        `the metrics port/path in the ServiceMonitor or scrape config is wrong, a NetworkPolicy blocks Prometheus, TLS/auth fails, or the /metrics handler errors or times out.`,
      quotes,
      recommendations: [
        'Read the scrape error in Prometheus → Status → Targets for this job',
        `Try the endpoint from inside the cluster: \`kubectl run -n ${ns} curl --rm -it --image=curlimages/curl -- curl -sv http://${svc}.${ns}.svc:<port>/metrics\``,
        `Check NetworkPolicies in ${ns}: \`kubectl get networkpolicy -n ${ns}\``,
      ],
    };
  },
};


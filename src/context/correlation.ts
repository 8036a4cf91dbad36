// Correlation: alerts that share a cause become one investigation. When an incident starts, it writes
// its correlation labels (node, workload, AlertManager group: hashes), then looks for a primary:
//   node     – a pod alert whose pod runs on a node with an open (firing) node incident;
//   workload – an earlier firing incident of the same alert about the same workload (another pod of it);
//   group    – an earlier incident of the same AlertManager group (spec.groupKey) within the window (opt-in:
//              it is only as good as the route's group_by, which the operator cannot see).
// Earlier means (creationTimestamp, name): every incident orders the same pair the same way, so two that
// start at once never link to each other. A candidate that is itself linked stands for its primary.
// Labels only find candidates: a candidate counts when its own spec derives the labels it was found by
// (labels can be edited where the admission policy is not installed), and, in alert namespace mode, when it
// lives in the incident's namespace or the operator's.
import type { AlertIncident, LinkRule, RelatedTo } from '../incident/types.js';
import { LABELS } from '../incident/types.js';
import type { IncidentDirectory } from '../incident/contracts.js';
import { alertIdentity, correlationLabels, nodeKey } from '../incident/identity.js';
import { mayLinkTo, type Tenancy } from '../incident/tenancy.js';

export interface CorrelationOptions {
  rules: ReadonlySet<LinkRule>;
  /** How far apart in creation two incidents of one workload or group may be. */
  windowMs: number;
  /** How long a pod alert on an unhealthy node waits for that node's incident to appear. */
  settleMs: number;
  /** Where primaries may live; unset: anywhere (operator namespace mode). */
  tenancy?: Tenancy;
  /** Many clusters: the cluster of the incidents this engine links, when not the local one (keys are per cluster). */
  cluster?: string;
}

export type Correlation = (
  | { kind: 'none' }
  /** Look again shortly: the pod's node is unhealthy and its incident may not have started yet. */
  | { kind: 'settle'; retryAfterMs: number }
  | { kind: 'link'; primary: AlertIncident; relatedTo: RelatedTo }
) & {
  /** The incident after its correlation labels were written (a new resourceVersion), when they were. */
  relabelled?: AlertIncident;
};

const MAX_CANDIDATES = 20;
const MAX_READS = 5;

const created = (x: { creationTimestamp?: string }) => Date.parse(x.creationTimestamp ?? '') || 0;
/** a before b, in the order every incident agrees on. */
function before(a: { creationTimestamp?: string; name: string; namespace: string }, b: { creationTimestamp?: string; name: string; namespace: string }): boolean {
  const d = created(a) - created(b);
  if (d !== 0) return d < 0;
  return `${a.namespace}/${a.name}` < `${b.namespace}/${b.name}`;
}

export async function correlate(inc: AlertIncident, dir: IncidentDirectory, o: CorrelationOptions, now: Date): Promise<Correlation> {
  const id = alertIdentity(inc.spec.alertname, inc.spec.labels, o.cluster);
  const obj = id.object;
  const self = { namespace: inc.metadata.namespace, name: inc.metadata.name, creationTimestamp: inc.metadata.creationTimestamp };
  let pod: { node: string; healthy: boolean } | undefined;
  if (o.rules.has('node') && obj.kind === 'workload' && obj.pod && obj.namespace) {
    pod = await dir.nodeOfPod(obj.namespace, obj.pod).catch(() => undefined);
    if (!pod && obj.node) pod = { node: obj.node, healthy: true };
  }
  // Labels first, so that an incident starting alongside this one finds it.
  const labels = correlationLabels(inc.spec, id, pod?.node);
  const have = inc.metadata.labels ?? {};
  const relabelled = Object.entries(labels).some(([k, v]) => have[k] !== v) ? await dir.setLabels(self.namespace, self.name, labels) : undefined;
  const withSelf = (c: Correlation): Correlation => (relabelled ? { ...c, relabelled } : c);

  const tries: Array<{ rule: LinkRule; match: Record<string, string>; ordered: boolean; reason: (p: AlertIncident) => string }> = [];
  if (pod && o.rules.has('node')) {
    tries.push({
      rule: 'node',
      match: { [LABELS.nodeIncident]: 'true', [LABELS.node]: nodeKey(pod.node, o.cluster) },
      ordered: false,
      reason: (p) => `pod ${obj.namespace}/${obj.pod} runs on node ${pod!.node}, which has an open ${p.spec.alertname} incident`,
    });
  }
  const wk = labels[LABELS.workload];
  if (wk && o.rules.has('workload')) {
    tries.push({ rule: 'workload', match: { [LABELS.workload]: wk }, ordered: true, reason: (p) => `the same alert for another pod of workload ${obj.namespace}/${obj.name} (${p.spec.labels.pod ? `pod ${p.spec.labels.pod}` : p.spec.alertname} came first)` });
  }
  const gk = labels[LABELS.group];
  // A node incident is a primary for its pods: it never follows a pod's incident of the same group.
  if (gk && o.rules.has('group') && obj.kind !== 'node') {
    tries.push({ rule: 'group', match: { [LABELS.group]: gk }, ordered: true, reason: (p) => `same AlertManager group as ${p.spec.alertname} (${inc.spec.groupKey}), within ${Math.round(o.windowMs / 60_000)}m` });
  }

  const mayLink = (p: AlertIncident) => !o.tenancy || mayLinkTo(inc, p, o.tenancy);
  const settle = (): Correlation | undefined => {
    // A pod on a sick node whose node incident has not shown up yet (alerts of one payload start together):
    // look again for a little while before linking elsewhere or investigating alone.
    if (!pod || pod.healthy || !o.rules.has('node')) return undefined;
    const age = now.getTime() - created(self);
    return created(self) && age < o.settleMs ? { kind: 'settle', retryAfterMs: Math.min(2_000, o.settleMs - age) } : undefined;
  };
  for (const t of tries) {
    if (t.rule !== 'node') {
      const wait = settle();
      if (wait) return withSelf(wait);
    }
    const selector = Object.entries(t.match).map(([k, v]) => `${k}=${v}`).join(',');
    const refs = (await dir.find(selector, MAX_CANDIDATES))
      .filter((r) => !(r.namespace === self.namespace && r.name === self.name))
      .filter((r) => !t.ordered || (before(r, self) && created(self) - created(r) <= o.windowMs))
      .sort((a, b) => (before(a, b) ? -1 : 1));
    let reads = 0;
    for (const ref of refs) {
      if (reads++ >= MAX_READS) break;
      let c = await dir.get(ref.namespace, ref.name);
      if (!c || !eligible(c, inc, t.rule) || !derives(c, t.match, o.cluster) || !mayLink(c)) continue;
      if (c.status?.relatedTo) {
        // Linked itself: its primary is ours, if that one is still there and is not us.
        const p = await dir.get(c.status.relatedTo.namespace, c.status.relatedTo.name);
        if (!p || (p.metadata.namespace === self.namespace && p.metadata.name === self.name) || p.status?.phase === 'Failed' || p.status?.relatedTo || !mayLink(p)) continue;
        c = p;
      }
      return withSelf({
        kind: 'link',
        primary: c,
        relatedTo: { name: c.metadata.name, namespace: c.metadata.namespace, rule: t.rule, reason: t.reason(c), linkedAt: now.toISOString() },
      });
    }
  }
  return withSelf(settle() ?? { kind: 'none' });
}

/** Does the candidate's own alert give it the labels it was found by? */
function derives(c: AlertIncident, match: Record<string, string>, cluster: string | undefined): boolean {
  // Its cluster too: the keys of one cluster never match another's, and a candidate of another cluster fails here.
  if (cluster !== undefined && c.spec.cluster !== cluster) return false;
  const own = correlationLabels(c.spec, alertIdentity(c.spec.alertname, c.spec.labels, cluster));
  return Object.entries(match).every(([k, v]) => own[k] === v);
}

function eligible(c: AlertIncident, self: AlertIncident, rule: LinkRule): boolean {
  if (c.spec.fingerprint === self.spec.fingerprint) return false; // a new firing of the same alert: recall covers it
  if (c.status?.phase === 'Failed') return false;
  if (c.metadata.annotations?.['alertagent.io/unlink'] === 'true') return false;
  if (rule === 'node' || rule === 'workload') return c.spec.status === 'firing';
  return true;
}

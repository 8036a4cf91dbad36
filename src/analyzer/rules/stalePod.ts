// A pod alert whose pod no longer exists is stale only when nothing of its workload still fails (issue 22).
// "The pod is gone" on its own proves nothing: a crash-looping Deployment replaces its pods all the time.
// So the rule re-checks what owned it: the Deployment or StatefulSet its name points to (its replicas and
// pods now), or, when that is gone too, the pods that share its owner's name (the same ReplicaSet by its
// pod-template-hash label). The finding is then resolved with that re-check as its proof, or names the
// workload's pod that still fails and why, or, when nothing could be read, stays resolved without proof
// (the engine then reports NeedsManualIntervention: "not borne out by the evidence").
import type { PodSummary } from '../../contracts/toolData.js';
import { clip, isNotFound, podLines, unhealthy, worstPod, type Evidence, type PodLine } from '../evidence.js';
import { diagnosePod, podPlan, sentence } from './pods.js';
import { quote, type AlertInfo, type Call, type Finding, type Rule } from './types.js';

type OwnerKind = 'Deployment' | 'StatefulSet';

/** What a pod's name says about its owner: "web-7d9f8c6b5-x2x9k" → Deployment web (ReplicaSet hash 7d9f8c6b5). */
export interface OwnerGuess {
  kind?: OwnerKind;
  name?: string;
  /** The ReplicaSet's pod-template-hash, for a Deployment's pod. */
  hash?: string;
  /** The names of the owner's other pods. */
  siblings?: RegExp;
  /** How the siblings are called in the report: "the pods of ReplicaSet web-7d9f8c6b5". */
  what: string;
  /** Their owner as the report names it: "ReplicaSet web-7d9f8c6b5", "web". */
  owner: string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function ownerGuess(pod: string): OwnerGuess {
  const rs = /^(.+)-([a-z0-9]{5,10})-([a-z0-9]{5})$/.exec(pod);
  if (rs) return { kind: 'Deployment', name: rs[1], hash: rs[2], siblings: new RegExp(`^${esc(rs[1])}-[a-z0-9]{5,10}-[a-z0-9]{5}$`), what: `the pods of ReplicaSet ${rs[1]}-${rs[2]}`, owner: `ReplicaSet ${rs[1]}-${rs[2]}` };
  const sts = /^(.+)-(\d+)$/.exec(pod);
  if (sts) return { kind: 'StatefulSet', name: sts[1], siblings: new RegExp(`^${esc(sts[1])}-\\d+$`), what: `the pods of ${sts[1]}`, owner: sts[1] };
  const other = /^(.+)-([a-z0-9]{5})$/.exec(pod);
  if (other) return { siblings: new RegExp(`^${esc(other[1])}-[a-z0-9]{5}$`), what: `the pods of ${other[1]}`, owner: other[1] };
  return { what: `pods like ${pod}`, owner: pod };
}

const DESCRIBE = { Deployment: 'describe_deployment', StatefulSet: 'describe_statefulset' } as const;

/** Whether describe_pod said the alert's pod is gone (NotFound). */
export function podGone(ev: Evidence, ns: string, pod: string): boolean {
  return !ev.data('describe_pod', { name: pod, namespace: ns }) && isNotFound(ev.failure('describe_pod', { name: pod, namespace: ns }));
}

/** The pod list the re-check reads when the owner is gone or unknown. */
function siblingsCall(ns: string, g: OwnerGuess): Call {
  return {
    tool: 'list_resources',
    args: { kind: 'Pod', namespace: ns, ...(g.hash ? { labelSelector: `pod-template-hash=${g.hash}` } : {}), limit: 100 },
    why: `The alert's pod is gone: are ${g.what} healthy now, or does the workload still fail?`,
  };
}

/** The re-check's calls, in order, given what was read so far. */
export function stalePodPlan(ev: Evidence, ns: string, pod: string): Call[] {
  if (!podGone(ev, ns, pod)) return [];
  const g = ownerGuess(pod);
  const calls: Call[] = [];
  let ownerGone = !g.kind;
  if (g.kind && g.name) {
    calls.push({ tool: DESCRIBE[g.kind], args: { name: g.name, namespace: ns }, why: `The alert's pod is gone: is ${g.kind.toLowerCase()} ${ns}/${g.name}, which its name points to, healthy now?` });
    const desc = ev.data(DESCRIBE[g.kind], { name: g.name, namespace: ns });
    const failed = ev.failure(DESCRIBE[g.kind], { name: g.name, namespace: ns });
    ownerGone = !desc && !!failed;
    // The owner still fails: look at its worst pod, as the workload rules do.
    const worst = desc ? worstPod(podLines(desc.pods)) : undefined;
    if (worst) calls.push(...podPlan(ev, ns, worst.name, { events: false }));
  }
  if (ownerGone && g.siblings) {
    calls.push(siblingsCall(ns, g));
    const listed = listedSiblings(ev, ns, pod, g);
    const worst = listed ? worstPod(listed) : undefined;
    if (worst) calls.push(...podPlan(ev, ns, worst.name, { events: false }));
  }
  return calls;
}

/** The owner's other pods from the re-check's pod list, or undefined when it was not read. */
function listedSiblings(ev: Evidence, ns: string, pod: string, g: OwnerGuess): PodLine[] | undefined {
  const call = siblingsCall(ns, g);
  const d = ev.data('list_resources', { kind: 'Pod', namespace: ns, ...(g.hash ? { labelSelector: call.args.labelSelector } : {}) });
  if (!d || d.more) return undefined;
  const pods: PodSummary[] = d.items.filter((i) => i.pod && i.name !== pod && (!g.siblings || g.siblings.test(i.name))).map((i) => ({ name: i.name, namespace: ns, ...i.pod! }));
  return podLines(pods);
}

interface Recheck {
  /** Nothing of the workload fails now: the proof of a stale alert. */
  healthy?: string;
  /** The workload still fails: what and why. */
  failing?: { summary: string; cause: string; quotes: Finding['quotes']; recommendations: string[] };
  /** What the re-check read, quoted. */
  quotes: Finding['quotes'];
}

function recheck(ev: Evidence, ns: string, pod: string): Recheck | undefined {
  const g = ownerGuess(pod);
  const failingPods = (pods: PodLine[], where: string): Recheck['failing'] => {
    const worst = worstPod(pods)!;
    const dg = diagnosePod(ev, ns, worst.name);
    const known = dg.problem !== 'unreadable' && dg.problem !== 'gone';
    return {
      summary: `pod ${ns}/${pod} no longer exists, but ${where} still fails: pod ${worst.name} is ${worst.status} (ready ${worst.ready}/${worst.total})`,
      cause: `Pod ${ns}/${pod} no longer exists, but ${where} still fails: ${known ? sentence(dg.cause) : `pod ${ns}/${worst.name} is ${worst.status} (ready ${worst.ready}/${worst.total}, restarts ${worst.restarts}).`}`,
      quotes: known ? dg.quotes : [],
      recommendations: known && dg.recommendations.length ? dg.recommendations : [`Investigate pod ${worst.name}: \`kubectl describe pod -n ${ns} ${worst.name}\``],
    };
  };
  if (g.kind && g.name) {
    const desc = ev.data(DESCRIBE[g.kind], { name: g.name, namespace: ns });
    if (desc) {
      const r = desc.replicas;
      const pods = podLines(desc.pods);
      const what = `${g.kind.toLowerCase()} ${ns}/${g.name}`;
      const line = `Replicas: ${r.desired} desired, ${r.ready} ready${r.available !== undefined ? `, ${r.available} available` : ''}${r.unavailable ? `, ${r.unavailable} unavailable` : ''}`;
      const quotes = quote(`${DESCRIBE[g.kind]} ${ns}/${g.name}`, [line, ...pods.slice(0, 5).map((p) => p.line)]);
      const bad = pods.filter(unhealthy);
      if (bad.length) return { failing: failingPods(bad, what), quotes };
      if (r.ready < r.desired || (r.unavailable ?? 0) > 0) {
        return { failing: { summary: `pod ${ns}/${pod} no longer exists, but ${what} has ${r.ready} of ${r.desired} replicas ready`, cause: `Pod ${ns}/${pod} no longer exists, but ${what} has only ${r.ready} of ${r.desired} replicas ready.`, quotes: [], recommendations: [`\`kubectl describe ${g.kind.toLowerCase()} -n ${ns} ${g.name}\``] }, quotes };
      }
      return { healthy: `${what}, which owned it, has ${r.ready} of ${r.desired} replicas ready and no failing pod now`, quotes };
    }
    if (!ev.failure(DESCRIBE[g.kind], { name: g.name, namespace: ns })) return undefined;
  }
  if (!g.siblings) return undefined;
  const siblings = listedSiblings(ev, ns, pod, g);
  if (!siblings) return undefined;
  const quotes = quote(`list_resources Pod ${ns}${g.hash ? ` (pod-template-hash=${g.hash})` : ''}`, siblings.length ? siblings.slice(0, 5).map((p) => p.line) : [`no other pod of ${g.owner} exists`]);
  const bad = siblings.filter(unhealthy);
  if (bad.length) return { failing: failingPods(bad, g.what), quotes };
  return {
    healthy:
      (siblings.length === 1
        ? `pod ${siblings[0].name}, the other pod of ${g.owner}, is Running and Ready now`
        : siblings.length
          ? `the ${siblings.length} other pods of ${g.owner} (${siblings.map((p) => p.name).slice(0, 3).join(', ')}${siblings.length > 3 ? ', …' : ''}) are Running and Ready now`
          : `no other pod of ${g.owner} exists now, so nothing of it is left to fail`) + (g.kind ? `; ${g.kind.toLowerCase()} ${ns}/${g.name} no longer exists` : ''),
    quotes,
  };
}

/**
 * A pod rule with the stale-pod re-check: when the alert's pod is gone, its plan reads the owner, and its
 * finding is resolved with proof, names what still fails, or (nothing readable) stays without proof.
 */
export function withStalePodCheck(rule: Rule): Rule {
  return {
    ...rule,
    plan: (a, ev) => {
      const own = rule.plan(a, ev);
      return a.namespace && a.pod && own.length ? [...own, ...stalePodPlan(ev, a.namespace, a.pod)] : own;
    },
    analyse: (a: AlertInfo, ev) => {
      const f = rule.analyse(a, ev);
      if (!f.resolved || f.recheck || !a.namespace || !a.pod || !podGone(ev, a.namespace, a.pod)) return f;
      const r = recheck(ev, a.namespace, a.pod);
      if (!r) {
        return { ...f, rootCause: `${f.rootCause} Whether its workload still fails could not be read, so this does not show the alert's condition gone.` };
      }
      if (r.healthy) return { ...f, rootCause: `${f.rootCause} It is stale: ${r.healthy}.`, quotes: [...f.quotes, ...r.quotes], recheck: `pod ${a.namespace}/${a.pod} no longer exists and ${r.healthy}` };
      const x = r.failing!;
      return {
        resolved: false,
        summary: `${a.name}: ${clip(x.summary, 240)}`,
        rootCause: x.cause,
        quotes: [...f.quotes, ...r.quotes, ...x.quotes],
        recommendations: x.recommendations,
      };
    },
  };
}

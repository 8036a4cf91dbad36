// Workload alerts: Deployments (replicas mismatch, rollout stuck), StatefulSets, DaemonSets, Jobs and
// HorizontalPodAutoscalers. The workload's own status says how far off it is; its worst pod says why.
import type { Condition as DataCondition, Event as DataEvent, PodSummary, WorkloadData } from '../../contracts/toolData.js';
import { clip, condition, conditions, cpuText, eventsBy, field, isNotFound, list, memoryText, podInfo, podLines, text, worstPod, type Evidence } from '../evidence.js';
import { hpaMemoryPlan, memoryNotLoad, memoryTarget } from './hpaMemory.js';
import { quotaHeldByOther, quotaHolderCalls } from './quota.js';
import { diagnosePod, podPlan, probeFix, sentence, type PodDiagnosis } from './pods.js';
import { podCauseBeyond, podCausePlan } from './podCauses.js';
import { hpaCeilingFix, parseQuotaRefusal, quotaRoomFix } from './fixes.js';
import { quote, type AlertInfo, type Call, type Finding, type Quote, type Rule } from './types.js';

type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

const DESCRIBE = {
  Deployment: 'describe_deployment',
  StatefulSet: 'describe_statefulset',
  DaemonSet: 'describe_daemonset',
  Job: 'describe_job',
} as const;

function nameFor(a: AlertInfo, kind: Kind | 'Job'): string | undefined {
  return kind === 'Deployment' ? a.deployment : kind === 'StatefulSet' ? a.statefulset : kind === 'DaemonSet' ? a.daemonset : (a.jobName ?? (a.labels.job_name || undefined));
}

function missingLabels(a: AlertInfo, what: string): Finding {
  return {
    resolved: false,
    summary: `${a.name} has no namespace/${what} labels: the rule-based analyzer cannot tell which ${what} is meant`,
    rootCause: `The alert carries no "namespace" and "${what}" labels (labels: ${Object.keys(a.labels).join(', ') || 'none'}).`,
    quotes: [],
    recommendations: [`Keep the namespace and ${what} labels in the alert rule`],
  };
}

/** A pod whose scheduling or start waits for a PersistentVolumeClaim (its conditions or events say so). */
const WAITS_FOR_VOLUME = /PersistentVolumeClaim|unbound/i;

/** The worst pod listed in a workload description, and the calls to examine it. */
function worstPodPlan(ev: Evidence, ns: string, pods: PodSummary[] | undefined): Call[] {
  const worst = worstPod(podLines(pods));
  if (!worst) return [];
  // The pod's own evidence, then the objects its failure may come from (podCauses.ts).
  const calls = [...podPlan(ev, ns, worst.name, { events: false }), ...podCausePlan(ev, ns, worst.name)];
  // A pod that waits for its volume: look at the claim.
  const pod = podInfo(ev.data('describe_pod', { name: worst.name, namespace: ns }));
  if ([...pod.conditions.map((c) => c.message ?? ''), ...pod.events.map((e) => e.message)].some((m) => WAITS_FOR_VOLUME.test(m))) {
    for (const v of pod.volumes.filter((x) => x.pvc).slice(0, 1)) {
      calls.push({ tool: 'describe_pvc', args: { name: v.pvc, namespace: ns }, why: `Pod ${worst.name} waits for PersistentVolumeClaim ${v.pvc}: check whether it is bound.` });
    }
  }
  return calls;
}

function worstPodDiagnosis(ev: Evidence, ns: string, pods: PodSummary[] | undefined): PodDiagnosis | undefined {
  const worst = worstPod(podLines(pods));
  if (!worst) return undefined;
  const dg = diagnosePod(ev, ns, worst.name);
  if (dg.problem === 'unreadable' && !ev.call('describe_pod', { name: worst.name, namespace: ns })) {
    // Not described (tool missing or budget): say what the workload's pod line shows.
    return { ...dg, problem: 'unknown', cause: `pod ${ns}/${worst.name} is ${worst.status} (ready ${worst.ready}/${worst.total}, restarts ${worst.restarts}${worst.lastTermination ? `, last termination ${worst.lastTermination}` : ''})`, quotes: [{ source: `pods of the workload`, lines: [worst.line] }] };
  }
  const beyond = podCauseBeyond(ev, dg);
  if (beyond) return { ...dg, cause: `${dg.cause.replace(/[.\s]+$/, '')}. ${beyond.sentence.replace(/\.$/, '')}`, quotes: [...dg.quotes, ...beyond.quotes], recommendations: [...beyond.recommendations, ...dg.recommendations] };
  if (dg.problem === 'unschedulable' && /PersistentVolumeClaim|unbound/i.test(dg.cause)) {
    const pvc = dg.info.volumes.find((v) => v.pvc)?.pvc;
    const pvcDesc = pvc ? ev.data('describe_pvc', { name: pvc, namespace: ns }) : undefined;
    if (pvc && pvcDesc) {
      const status = `Status: ${pvcDesc.phase}   Volume: ${pvcDesc.volumeName ?? '<none>'}   StorageClass: ${pvcDesc.storageClass ?? '<default>'}`;
      const warn = eventsBy([pvcDesc.events], /ProvisioningFailed|FailedBinding|ExternalProvisioning/)[0];
      dg.cause += `; its PersistentVolumeClaim ${pvc}: ${status ?? 'status unknown'}${warn ? ` — ${warn.reason}: ${clip(warn.message, 200)}` : ''}`;
      dg.quotes.push(...quote(`describe_pvc ${ns}/${pvc}`, [status, warn?.line]));
    }
  }
  return dg;
}

/** ReplicaSet/StatefulSet "FailedCreate" (quota, admission, security policy): pods are not even created. */
function failedCreate(ev: Evidence, ns: string, desc: { conditions: DataCondition[]; events: DataEvent[] } | undefined, src: string): { message: string; quotes: Quote[] } | undefined {
  const rf = condition(conditions(desc?.conditions), 'ReplicaFailure');
  const evs = eventsBy([desc?.events, ...ev.events(ns)], /^FailedCreate$/);
  if (rf?.status === 'True' || evs.length) {
    const message = evs[0]?.message ?? rf?.message ?? 'pods cannot be created';
    return { message, quotes: [...quote(src, [rf?.line]), ...quote(`events in namespace ${ns}`, evs.slice(0, 2).map((e) => e.line))] };
  }
  return undefined;
}

function podCauseText(dg: PodDiagnosis | undefined): string {
  if (!dg) return '';
  return sentence(dg.cause).replace(/\.$/, '');
}

// ── Deployments, StatefulSets, DaemonSets ─────────────────────────────────────────────────────────

const WORKLOAD_ALERTS: Record<string, Kind> = {
  KubeDeploymentReplicasMismatch: 'Deployment',
  KubeDeploymentRolloutStuck: 'Deployment',
  KubeDeploymentGenerationMismatch: 'Deployment',
  KubernetesDeploymentReplicasMismatch: 'Deployment',
  KubeStatefulSetReplicasMismatch: 'StatefulSet',
  KubeStatefulSetUpdateNotRolledOut: 'StatefulSet',
  KubeStatefulSetGenerationMismatch: 'StatefulSet',
  KubernetesStatefulsetDown: 'StatefulSet',
  KubeDaemonSetRolloutStuck: 'DaemonSet',
  KubeDaemonSetNotScheduled: 'DaemonSet',
  KubeDaemonSetMisScheduled: 'DaemonSet',
};

function counts(kind: Kind, desc: WorkloadData): { desired?: number; ready?: number; available?: number; updated?: number; total?: number; text: string; line?: string } {
  const c = desc.replicas;
  const order = kind === 'DaemonSet' ? (['desired', 'current', 'updated', 'ready', 'available', 'unavailable', 'misscheduled'] as const) : (['desired', 'current', 'updated', 'ready', 'available', 'unavailable', 'total'] as const);
  const l = `${kind === 'DaemonSet' ? 'Nodes' : 'Replicas'}: ${order.filter((k) => c[k] !== undefined).map((k) => `${k} ${c[k]}`).join(' | ')}`;
  return { desired: c.desired, ready: c.ready, available: c.available ?? c.ready, updated: c.updated, total: c.total, text: l, line: l };
}

export const workloadRule: Rule = {
  id: 'workload',
  matches: (a) => a.name in WORKLOAD_ALERTS,
  plan(a, ev) {
    const kind = WORKLOAD_ALERTS[a.name];
    const name = nameFor(a, kind);
    if (!a.namespace || !name) return [];
    const ns = a.namespace;
    const calls: Call[] = [
      { tool: DESCRIBE[kind], args: { name, namespace: ns }, why: `Describe ${kind.toLowerCase()} ${ns}/${name}: replicas, conditions, pod template and one line per pod.` },
      { tool: 'rollout_status', args: { kind, name, namespace: ns }, why: `Is the latest rollout of ${name} complete, progressing or failed (progress deadline)?` },
      { tool: 'get_events', args: { namespace: ns, limit: 40 }, why: `Read the recent events in namespace ${ns} (FailedCreate from quotas, FailedScheduling, BackOff, Unhealthy).` },
    ];
    const desc = ev.data(DESCRIBE[kind], { name, namespace: ns });
    // A quota that refuses the pods: read it, so that the evidence names it (and a raise of it is judged on it).
    const quota = parseQuotaRefusal(failedCreate(ev, ns, desc, '')?.message ?? '')?.quota;
    if (quota) calls.push({ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ResourceQuota', name: quota, namespace: ns }, why: `Read ResourceQuota ${ns}/${quota}, which refuses the pods: its hard limits against what is used.` });
    // And who uses its room: another workload that holds most of it is the cause, not the limit.
    if (quota) calls.push(...quotaHolderCalls(ev, ns, name));
    calls.push(...worstPodPlan(ev, ns, desc?.pods));
    if (kind === 'Deployment' && a.name !== 'KubeDeploymentReplicasMismatch') {
      calls.push({ tool: 'rollout_history', args: { name, namespace: ns }, why: `See which revisions exist and what changed in the latest rollout of ${name}.` });
    }
    return calls;
  },
  analyse(a, ev) {
    const kind = WORKLOAD_ALERTS[a.name];
    const name = nameFor(a, kind);
    if (!a.namespace || !name) return missingLabels(a, kind.toLowerCase());
    const ns = a.namespace;
    const tool = DESCRIBE[kind];
    const src = `${tool} ${ns}/${name}`;
    const desc = ev.data(tool, { name, namespace: ns });
    const what = `${kind.toLowerCase()} ${ns}/${name}`;
    if (!desc) {
      const err = ev.failure(tool, { name, namespace: ns });
      if (isNotFound(err)) {
        return { resolved: true, summary: `${a.name}: ${what} no longer exists`, rootCause: `The ${what} was deleted, so the alert is stale (${err}).`, quotes: quote(src, [err]), recommendations: [] };
      }
      return { resolved: false, summary: `${a.name}: ${what} could not be examined`, rootCause: `The ${what} could not be read${err ? `: ${err}` : ''}.`, quotes: quote(src, [err]), recommendations: [`Inspect it by hand: \`kubectl describe ${kind.toLowerCase()} -n ${ns} ${name}\``] };
    }
    const c = counts(kind, desc);
    const conds = conditions(desc.conditions);
    const progressing = condition(conds, 'Progressing');
    const deadline = progressing?.reason === 'ProgressDeadlineExceeded';
    const status = ev.data('rollout_status', { kind, name, namespace: ns });
    const rollout = status ? `rollout ${status.state} — ${status.message}` : undefined;
    const paused = desc.paused === true;
    const healthy =
      c.desired !== undefined &&
      c.ready === c.desired &&
      (c.available ?? c.ready) === c.desired &&
      (c.updated === undefined || c.updated === c.desired) &&
      (c.total === undefined || c.total === c.desired) &&
      !deadline &&
      !['progressing', 'failed', 'waiting'].includes(status?.state ?? '');
    const baseQuotes = quote(src, [c.line, progressing?.line, condition(conds, 'Available')?.line, condition(conds, 'ReplicaFailure')?.line, paused ? 'Paused: true' : undefined]);
    const rolloutQuote = quote(`rollout_status ${kind} ${ns}/${name}`, [rollout]);
    if (healthy) {
      return {
        resolved: true,
        summary: `${a.name}: ${what} has all ${c.desired} replicas ready and available now`,
        recheck: `${what} reads ${c.text} now`,
        rootCause: `The mismatch is gone: ${c.text}.${rollout ? ` ${rollout}.` : ''}`,
        quotes: [...baseQuotes, ...rolloutQuote],
        recommendations: [],
      };
    }
    const state = `${what} has ${c.available ?? c.ready ?? '?'} of ${c.desired ?? '?'} ${kind === 'DaemonSet' ? 'scheduled pods' : 'replicas'} available (${c.text.replace(/^(Replicas|Nodes):\s*/, '')})`;
    const deadlineText = deadline ? `; its rollout failed: ProgressDeadlineExceeded${progressing?.message ? ` — ${progressing.message}` : ''}` : '';
    const fc = failedCreate(ev, ns, desc, src);
    const dg = worstPodDiagnosis(ev, ns, desc.pods);
    const quotes: Quote[] = [...baseQuotes, ...rolloutQuote];
    const why = workloadCause({ ev, kind, name, ns, what, fc, dg, paused, c, rollout });
    const { cause, summaryCause } = why;
    const recs: string[] = [...why.recs];
    quotes.push(...why.quotes);
    if (kind === 'Deployment') {
      recs.push(`Inspect the rollout: \`kubectl rollout status deployment/${name} -n ${ns}\` and \`kubectl rollout history deployment/${name} -n ${ns}\``);
    }
    const history = ev.data('rollout_history', { name, namespace: ns });
    const historyLines = (history?.revisions ?? []).map(
      (r) => `${r.revision}${r.current ? ' (current)' : ''}  ${r.replicaSet}  ready ${r.ready}/${r.desired}  ${r.images.join(',') || '<no images>'}${r.changeCause ? `  ${r.changeCause}` : ''}`,
    );
    if (historyLines.length) quotes.push(...quote(`rollout_history ${ns}/${name}`, historyLines.slice(0, 3)));
    const finding: Finding = {
      resolved: false,
      summary: `${a.name}: ${what} has ${c.available ?? c.ready ?? '?'}/${c.desired ?? '?'} available — ${summaryCause}`,
      rootCause: `The ${state}${deadlineText.replace(/\.$/, '')}. ${sentence(cause)}`,
      quotes: [...quotes, ...(a.annotations.description ? [{ source: 'alert annotation', lines: [clip(a.annotations.description, 400)] }] : [])],
      recommendations: [...new Set(recs)],
    };
    if (desc.managedBy) keptInGit(finding, desc.managedBy, `${kind} ${ns}/${name}`, src, history?.revisions);
    const remediation = workloadRemediation({ ev, kind, name, ns, desc, revisions: history?.revisions.length ?? 0, fc, dg, paused, c, heldByOther: why.heldByOther });
    if (remediation) finding.remediation = remediation;
    return finding;
  },
};

interface CauseInput {
  ev: Evidence;
  kind: Kind;
  name: string;
  ns: string;
  what: string;
  fc: { message: string; quotes: Quote[] } | undefined;
  dg: PodDiagnosis | undefined;
  paused: boolean;
  c: ReturnType<typeof counts>;
  rollout: string | undefined;
}

/** Why a workload lacks replicas: pods refused at creation, a paused rollout, its worst pod, or none found. */
function workloadCause(i: CauseInput): { cause: string; summaryCause: string; quotes: Quote[]; recs: string[]; heldByOther?: boolean } {
  const { kind, name, ns, what, fc, dg, c, rollout } = i;
  if (fc) {
    const quota = /quota/i.test(fc.message);
    const held = quota ? quotaHeldByOther(i.ev, ns, name, fc.message) : undefined;
    return {
      cause: `Pods cannot be created: ${clip(fc.message, 400)}${held ? `. The quota's room is taken by another workload: ${held.text}` : ''}`,
      summaryCause: held ? `ResourceQuota used up by deployment ${held.holder.name}` : quota ? 'pods blocked by a ResourceQuota' : 'pods cannot be created',
      quotes: [...fc.quotes, ...(held?.quotes ?? [])],
      recs: held
        ? [
            `Check whether deployment ${held.holder.name} needs ${held.holder.pods} pods at these requests (scale it down or right-size its requests) before raising the quota, which would only give it more room: \`kubectl describe deployment -n ${ns} ${held.holder.name}\``,
            `If both workloads need the room, raise the ResourceQuota for both, or move one to a namespace of its own: \`kubectl describe resourcequota -n ${ns}\``,
          ]
        : [
            quota
              ? `Raise the ResourceQuota or lower the pods' requests: \`kubectl describe resourcequota -n ${ns}\``
              : `Fix what refuses the pod creation (admission webhook, PodSecurity, LimitRange): \`kubectl get events -n ${ns} --field-selector reason=FailedCreate\``,
          ],
      heldByOther: !!held,
    };
  }
  if (i.paused) return { cause: `The rollout of ${what} is paused (spec.paused=true), so it does not progress`, summaryCause: 'rollout paused', quotes: [], recs: [`Resume it when ready: \`kubectl rollout resume deployment/${name} -n ${ns}\``] };
  if (dg && dg.problem !== 'healthy' && dg.problem !== 'gone') {
    const doing: Partial<Record<PodDiagnosis['problem'], string>> = {
      unschedulable: 'cannot be scheduled',
      imagePull: 'cannot pull its image',
      oomKilled: 'is OOMKilled',
      crashLoop: 'is crash-looping',
      readiness: 'fails its readiness probe',
      livenessKill: 'fails its liveness probe',
      configError: 'cannot create its container',
    };
    return { cause: podCauseText(dg), summaryCause: `pod ${dg.pod} ${doing[dg.problem] ?? `is ${dg.info.status ?? 'unhealthy'}`}`, quotes: dg.quotes, recs: dg.recommendations };
  }
  if (c.desired !== undefined && c.total !== undefined && c.total < c.desired) {
    return {
      cause: `Only ${c.total} of ${c.desired} pods exist and no failing pod or FailedCreate event was found; the controller may still be creating them`,
      summaryCause: 'pods missing',
      quotes: [],
      recs: [`Check the controller's events: \`kubectl describe ${kind === 'Deployment' ? 'replicaset' : kind.toLowerCase()} -n ${ns} -l <selector>\``],
    };
  }
  return { cause: `No failing pod was found: the rollout may still be in progress${rollout ? ` (${rollout})` : ''}`, summaryCause: 'rollout not finished', quotes: [], recs: [`Watch the rollout: \`kubectl rollout status ${kind.toLowerCase()}/${name} -n ${ns}\``] };
}

/**
 * The one remediation: a rollback when a new revision's pods cannot start and an older revision exists; else a
 * raised bound where the diagnosis calls for one (fixes.ts): room in the quota (not when another workload holds
 * most of it), more time for a probe.
 */
function workloadRemediation(i: { ev: Evidence; kind: Kind; name: string; ns: string; desc: WorkloadData; revisions: number; fc: CauseInput['fc']; dg: PodDiagnosis | undefined; paused: boolean; c: ReturnType<typeof counts>; heldByOther?: boolean }): Call | undefined {
  const { kind, name, ns, desc, dg, fc } = i;
  if (kind === 'Deployment' && i.revisions >= 2 && dg && ['imagePull', 'crashLoop', 'configError'].includes(dg.problem) && !fc && !i.paused) {
    const current = desc.revision;
    const currentRs = desc.replicaSets?.find((r) => r.current)?.name;
    if (current && Number(current) > 1 && currentRs && dg.pod.startsWith(`${currentRs}-`)) {
      return {
        tool: 'rollback_deployment',
        args: { name, namespace: ns },
        why: `The pods of the current revision ${current} (ReplicaSet ${currentRs}) cannot run (${dg.problem}); roll ${name} back to its previous revision.`,
      };
    }
  }
  if (fc && kind !== 'DaemonSet') return i.heldByOther ? undefined : quotaRoomFix(fc.message, ns, (i.c.desired ?? 0) - (i.c.total ?? 0));
  if (!fc && !i.paused && dg) return probeFix(i.ev, dg);
  return undefined;
}

/**
 * Flux or Argo CD keeps the workload from Git: a direct fix is reverted by the next sync, so the fix is made in
 * Git (a rollback is still proposed: the dry run turns it into the change to make in Git, with its diff).
 */
function keptInGit(finding: Finding, managedBy: string, what: string, src: string, revisions: Array<{ revision: number; current: boolean; images: string[] }> | undefined): void {
  finding.quotes.push(...quote(src, [`Managed by: ${managedBy}`]));
  finding.rootCause = `${finding.rootCause} ${sentence(managedBy)}`;
  const previous = revisions?.find((r) => !r.current && r.images.length);
  const undoImage = previous && revisions?.find((r) => r.current)?.images.join(',') !== previous.images.join(',') ? ` (revision ${previous.revision} ran ${previous.images.join(', ')})` : '';
  finding.recommendations.unshift(`Make the fix in Git, where ${what} is kept: revert the change of the current revision${undoImage} in the manifest or values there; a change made with kubectl is undone by the next sync.`);
}

// ── Jobs ──────────────────────────────────────────────────────────────────────────────────────────

export const jobRule: Rule = {
  id: 'job',
  matches: (a) => ['KubeJobFailed', 'KubeJobNotCompleted', 'KubeJobCompletion', 'KubernetesJobFailed'].includes(a.name),
  plan(a, ev) {
    const name = nameFor(a, 'Job');
    if (!a.namespace || !name) return [];
    const ns = a.namespace;
    return [
      { tool: 'describe_job', args: { name, namespace: ns }, why: `Describe job ${ns}/${name}: succeeded/failed counts, backoff limit, conditions (BackoffLimitExceeded, DeadlineExceeded) and its pods.` },
      { tool: 'get_events', args: { namespace: ns, limit: 40 }, why: `Read the recent events in namespace ${ns} for the job and its pods.` },
      ...worstPodPlan(ev, ns, ev.data('describe_job', { name, namespace: ns })?.pods),
    ];
  },
  analyse(a, ev) {
    const name = nameFor(a, 'Job');
    if (!a.namespace || !name) return missingLabels(a, 'job_name');
    const ns = a.namespace;
    const src = `describe_job ${ns}/${name}`;
    const desc = ev.data('describe_job', { name, namespace: ns });
    if (!desc) {
      const err = ev.failure('describe_job', { name, namespace: ns });
      if (isNotFound(err)) {
        return { resolved: true, summary: `${a.name}: job ${ns}/${name} no longer exists`, rootCause: `The job was deleted (or cleaned up by its TTL), so the alert is stale (${err}).`, quotes: quote(src, [err]), recommendations: [] };
      }
      return { resolved: false, summary: `${a.name}: job ${ns}/${name} could not be examined`, rootCause: `The job could not be read${err ? `: ${err}` : ''}.`, quotes: quote(src, [err]), recommendations: [`\`kubectl describe job -n ${ns} ${name}\``] };
    }
    const conds = conditions(desc.conditions);
    const failed = conds.find((x) => (x.type === 'Failed' || x.type === 'FailureTarget') && x.status === 'True');
    const complete = conds.find((x) => (x.type === 'Complete' || x.type === 'SuccessCriteriaMet') && x.status === 'True');
    const completions = `Completions: ${desc.succeeded}/${desc.completions} succeeded   Active: ${desc.active}   Failed: ${desc.failed}`;
    const backoff = `Parallelism: ${desc.parallelism}   Backoff limit: ${desc.backoffLimit}`;
    if (complete && !failed) {
      return { resolved: true, recheck: `job ${ns}/${name} reads Complete now`, summary: `${a.name}: job ${ns}/${name} has completed`, rootCause: `The job completed successfully since the alert fired (${completions ?? complete.line}).`, quotes: quote(src, [completions, complete.line]), recommendations: [] };
    }
    const dg = worstPodDiagnosis(ev, ns, desc.pods);
    const podCause = dg && dg.problem !== 'healthy' ? ` ${podCauseText(dg)}.` : '';
    const reason = failed?.reason ?? (a.name === 'KubeJobNotCompleted' ? 'not completed in time' : 'failed');
    const reasonText =
      failed?.reason === 'BackoffLimitExceeded'
        ? `it failed: BackoffLimitExceeded — its pods failed more times than its backoff limit allows${failed.message ? ` ("${failed.message}")` : ''}`
        : failed?.reason === 'DeadlineExceeded'
          ? `it failed: DeadlineExceeded — it ran longer than its activeDeadlineSeconds${failed.message ? ` ("${failed.message}")` : ''}`
          : failed
            ? `it failed: ${failed.reason ?? 'Failed'}${failed.message ? ` — ${failed.message}` : ''}`
            : `it has not completed (${completions ?? 'no completion counts'})`;
    return {
      resolved: false,
      summary: `${a.name}: job ${ns}/${name} ${failed ? `failed (${reason})` : 'has not completed'}${dg && dg.problem !== 'healthy' ? `; pod ${dg.pod}: ${dg.problem}` : ''}`,
      rootCause: `Job ${ns}/${name}: ${reasonText}.${podCause}`,
      quotes: [...quote(src, [completions, backoff, failed?.line]), ...(dg?.quotes ?? [])],
      recommendations: [
        ...(dg?.recommendations ?? []),
        `Read the failed pod's log: \`kubectl logs -n ${ns} job/${name}\``,
        `After fixing the cause, re-run the job: \`kubectl create job -n ${ns} ${name}-retry --from=cronjob/<cronjob>\` (for a CronJob) or delete and re-apply the Job`,
      ],
    };
  },
};

// ── HorizontalPodAutoscalers ──────────────────────────────────────────────────────────────────────

interface HpaMetric {
  name: string;
  target?: string;
  current?: string;
}

/** An HPA metric's source: resource, containerResource, pods, object or external. */
const SOURCES = ['resource', 'containerResource', 'pods', 'object', 'external'];

function hpaMetrics(hpa: Record<string, unknown>): HpaMetric[] {
  const val = (v: unknown) => {
    const u = text(v, 'averageUtilization');
    if (u) return `${u}%`;
    return text(v, 'averageValue') ?? text(v, 'value');
  };
  const source = (m: unknown) => field(m, SOURCES.find((k) => field(m, k) !== undefined) ?? 'resource');
  const nameOf = (m: unknown) => text(source(m), 'name') ?? text(source(m), 'metric.name') ?? text(m, 'type') ?? 'metric';
  const targets = list(hpa, 'spec.metrics').map((m) => ({ name: nameOf(m), target: val(field(source(m), 'target')) }));
  const currents = list(hpa, 'status.currentMetrics').map((m) => ({ name: nameOf(m), current: val(field(source(m), 'current')) }));
  const out: HpaMetric[] = targets.map((t) => ({ ...t, current: currents.find((c) => c.name === t.name)?.current }));
  for (const c of currents) if (!out.some((o) => o.name === c.name)) out.push(c);
  return out;
}

export const hpaRule: Rule = {
  id: 'hpa',
  matches: (a) => ['KubeHpaMaxedOut', 'KubeHpaReplicasMismatch', 'KubernetesHpaScaleMaximum', 'KubernetesHpaScaleInability'].includes(a.name),
  plan(a, ev) {
    if (!a.namespace || !a.hpa) return [];
    const ns = a.namespace;
    const calls: Call[] = [
      { tool: 'get_resource', args: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: a.hpa, namespace: ns }, why: `Read HPA ${ns}/${a.hpa}: min/max replicas, metric targets, current metrics and conditions.` },
      { tool: 'get_events', args: { namespace: ns, involvedObjectName: a.hpa, limit: 20 }, why: `Read the HPA's events (scaling decisions, metric errors).` },
    ];
    const hpa = ev.resource('HorizontalPodAutoscaler', a.hpa, ns);
    const kind = text(hpa, 'spec.scaleTargetRef.kind');
    const target = text(hpa, 'spec.scaleTargetRef.name');
    if (target && (kind === 'Deployment' || kind === 'StatefulSet')) {
      calls.push({ tool: DESCRIBE[kind], args: { name: target, namespace: ns }, why: `Describe the scaled ${kind.toLowerCase()} ${target}: are its replicas healthy?` });
    }
    if (hpa) calls.push(...hpaMemoryPlan(hpa, ns));
    calls.push({ tool: 'top_pods', args: { namespace: ns, sortBy: 'cpu' }, why: `Current CPU/memory usage of the pods against their requests (what drives the HPA).` });
    return calls;
  },
  analyse(a, ev) {
    if (!a.namespace || !a.hpa) return missingLabels(a, 'horizontalpodautoscaler');
    const ns = a.namespace;
    const src = `get_resource HorizontalPodAutoscaler ${ns}/${a.hpa}`;
    const hpa = ev.resource('HorizontalPodAutoscaler', a.hpa, ns);
    if (!hpa) {
      const err = ev.failure('get_resource', { kind: 'HorizontalPodAutoscaler', name: a.hpa, namespace: ns });
      if (isNotFound(err)) return { resolved: true, summary: `${a.name}: HPA ${ns}/${a.hpa} no longer exists`, rootCause: `The HorizontalPodAutoscaler was deleted (${err}).`, quotes: quote(src, [err]), recommendations: [] };
      return { resolved: false, summary: `${a.name}: HPA ${ns}/${a.hpa} could not be examined`, rootCause: `The HPA could not be read${err ? `: ${err}` : ''}.`, quotes: quote(src, [err]), recommendations: [`\`kubectl describe hpa -n ${ns} ${a.hpa}\``] };
    }
    const max = Number(text(hpa, 'spec.maxReplicas'));
    const min = Number(text(hpa, 'spec.minReplicas') ?? 1);
    const current = Number(text(hpa, 'status.currentReplicas'));
    const desired = Number(text(hpa, 'status.desiredReplicas'));
    const targetKind = text(hpa, 'spec.scaleTargetRef.kind');
    const targetName = text(hpa, 'spec.scaleTargetRef.name');
    const metrics = hpaMetrics(hpa);
    const conds = list(hpa, 'status.conditions').map((c) => ({ type: text(c, 'type'), status: text(c, 'status'), reason: text(c, 'reason'), message: text(c, 'message') }));
    const limited = conds.find((c) => c.type === 'ScalingLimited' && c.status === 'True');
    const inactive = conds.find((c) => (c.type === 'ScalingActive' || c.type === 'AbleToScale') && c.status === 'False');
    const metricText = metrics.map((m) => `${m.name} at ${m.current ?? 'unknown'} against a target of ${m.target ?? 'unknown'}`).join('; ');
    const quotes: Quote[] = quote(src, [
      `maxReplicas: ${max}`,
      `minReplicas: ${min}`,
      `currentReplicas: ${current}`,
      `desiredReplicas: ${desired}`,
      ...metrics.map((m) => `metric ${m.name}: current ${m.current ?? '?'} / target ${m.target ?? '?'}`),
      ...conds.filter((c) => c.status === 'True' && c.type === 'ScalingLimited').map((c) => `condition ScalingLimited=True (${c.reason}): ${c.message ?? ''}`),
      ...(inactive ? [`condition ${inactive.type}=False (${inactive.reason}): ${inactive.message ?? ''}`] : []),
    ]);
    const targetDesc = targetKind && targetName && (targetKind === 'Deployment' || targetKind === 'StatefulSet') ? ev.data(DESCRIBE[targetKind], { name: targetName, namespace: ns }) : undefined;
    const dg = worstPodDiagnosis(ev, ns, targetDesc?.pods);
    const usage = ev.data('top_pods', { namespace: ns });
    if (usage) quotes.push(...quote(`top_pods ${ns}`, usage.rows.slice(0, 4).map((r) => `${r.pod}${r.container ? ` container ${r.container}` : ''}: cpu ${cpuText(r.cpu)}${r.cpuRequest ? ` (request ${cpuText(r.cpuRequest)})` : ''}, memory ${memoryText(r.memory)}`)));
    if (a.name === 'KubeHpaMaxedOut' || a.name === 'KubernetesHpaScaleMaximum') {
      if (Number.isFinite(current) && Number.isFinite(max) && current < max) {
        return { resolved: true, recheck: `HPA ${ns}/${a.hpa} reads ${current} of at most ${max} replicas now`, summary: `${a.name}: HPA ${ns}/${a.hpa} is below its maximum now (${current}/${max})`, rootCause: `The HPA runs ${current} replicas, below its maximum of ${max}; the load that maxed it out has passed.`, quotes, recommendations: [] };
      }
      const remediation = hpaCeilingFix({ name: a.hpa, namespace: ns, max, current, desired, limited: limited?.reason === 'TooManyReplicas', metrics, targetHealthy: !dg || dg.problem === 'healthy' });
      // Memory that does not follow the load (a fixed heap): the ceiling is not the problem (hpaMemory.ts).
      const notLoad = memoryNotLoad(ev, ns, hpa, memoryTarget(hpa));
      return {
        ...(remediation ? { remediation } : {}),
        resolved: false,
        summary: `${a.name}: HPA ${ns}/${a.hpa} is pinned at its maximum of ${max} replicas${metrics[0]?.current ? ` (${metrics[0].name} ${metrics[0].current} vs target ${metrics[0].target})` : ''}`,
        rootCause:
          `HPA ${ns}/${a.hpa} scales ${targetKind ?? 'its target'}/${targetName ?? '?'} and runs at its maxReplicas (${current}/${max}${Number.isFinite(desired) ? `, desired ${desired}` : ''}): ` +
          (metricText ? `${metricText}, so it would add replicas but may not.` : 'its metrics are above target.') +
          (limited ? ` Condition ScalingLimited=True (${limited.reason}): ${limited.message ?? ''}.` : '') +
          (dg && dg.problem !== 'healthy' ? ` Also, ${dg.cause}.` : '') +
          (notLoad ? ` ${notLoad.sentence}` : ''),
        quotes: [...quotes, ...(notLoad?.quotes ?? []), ...(dg?.quotes ?? [])],
        recommendations: notLoad ? [...notLoad.recommendations, `Check per-pod usage: \`kubectl top pods -n ${ns}\` against requests`] : [
          `If the load is legitimate, raise the ceiling: \`kubectl patch hpa ${a.hpa} -n ${ns} -p '{"spec":{"maxReplicas":${Number.isFinite(max) ? Math.ceil(max * 1.5) : '<n>'}}}'\` (check node capacity and quotas first)`,
          `Find out whether the load is expected (traffic increase) or abnormal (retry storm, a slow dependency, a hot loop after a release)`,
          `Check per-pod efficiency: \`kubectl top pods -n ${ns}\` against requests; right-size requests so utilization targets are meaningful`,
        ],
      };
    }
    return {
      resolved: Number.isFinite(current) && current === desired,
      ...(Number.isFinite(current) && current === desired ? { recheck: `HPA ${ns}/${a.hpa} reads ${current} replicas, as many as it wants, now` } : {}),
      summary: `${a.name}: HPA ${ns}/${a.hpa} wants ${desired} replicas and has ${current}`,
      rootCause:
        `HPA ${ns}/${a.hpa} desires ${desired} replicas of ${targetKind ?? 'its target'}/${targetName ?? '?'} but ${current} exist (min ${min}, max ${max}).` +
        (inactive ? ` ${inactive.type}=False (${inactive.reason}): ${inactive.message ?? ''}.` : '') +
        (dg && dg.problem !== 'healthy' ? ` ${podCauseText(dg)}.` : '') +
        (metricText ? ` Metrics: ${metricText}.` : ''),
      quotes: [...quotes, ...(dg?.quotes ?? [])],
      recommendations: [...(dg?.recommendations ?? []), `\`kubectl describe hpa -n ${ns} ${a.hpa}\``],
    };
  },
};

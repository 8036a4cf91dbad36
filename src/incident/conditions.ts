// Conditions are computed in one place from the phase, outcome and alert state, so they never
// contradict the phase. lastTransitionTime moves only when a condition's status flips.
import { toolName } from '../contracts/steps.js';
import type { AlertIncident, Condition, IncidentStatus } from './types.js';

type Desired = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function desiredConditions(inc: Pick<AlertIncident, 'spec'>, status: IncidentStatus): Desired[] {
  const phase = status.phase ?? 'Pending';
  const finished = phase === 'Reported' || phase === 'Failed';
  const reported: Desired =
    phase === 'Reported'
      ? { type: 'Reported', status: 'True', reason: status.outcome ?? 'Resolved', message: status.summary ?? 'report written' }
      : phase === 'Failed'
        ? { type: 'Reported', status: 'False', reason: 'Failed', message: status.failureReason ?? 'the investigation failed' }
        : { type: 'Reported', status: 'False', reason: 'InProgress', message: `investigation ${phase.toLowerCase()}` };
  const investigating: Desired = finished
    ? { type: 'Investigating', status: 'False', reason: phase === 'Failed' ? 'Failed' : 'Completed', message: phase === 'Failed' ? (status.failureReason ?? '') : 'investigation finished' }
    : { type: 'Investigating', status: phase === 'Pending' ? 'Unknown' : 'True', reason: phase, message: phaseMessage(status) };
  const firing: Desired =
    inc.spec.status === 'resolved'
      ? { type: 'AlertFiring', status: 'False', reason: 'AlertResolved', message: `AlertManager resolved the alert${inc.spec.endsAt ? ` at ${inc.spec.endsAt}` : ''}` }
      : { type: 'AlertFiring', status: 'True', reason: 'AlertFiring', message: `firing since ${inc.spec.startsAt}` };
  return [reported, investigating, firing, ...clusterConditions(inc, status)];
}

/**
 * Many clusters: ClusterKnown and ClusterReachable, from status.clusterProblem. Shown only on an incident
 * with a cluster (spec.cluster), so that a single-cluster operator's conditions stay as they were.
 */
function clusterConditions(inc: Pick<AlertIncident, 'spec'>, status: IncidentStatus): Desired[] {
  if (inc.spec.cluster === undefined) return [];
  const p = status.clusterProblem;
  const where = inc.spec.cluster ? `cluster ${inc.spec.cluster}` : 'no cluster';
  const known: Desired =
    p?.reason === 'UnknownCluster'
      ? { type: 'ClusterKnown', status: 'False', reason: 'UnknownCluster', message: p.message }
      : { type: 'ClusterKnown', status: 'True', reason: 'ClusterKnown', message: `investigated in ${where}` };
  const reachable: Desired =
    p?.reason === 'ClusterUnreachable'
      ? { type: 'ClusterReachable', status: 'False', reason: 'ClusterUnreachable', message: p.message }
      : p?.reason === 'UnknownCluster'
        ? { type: 'ClusterReachable', status: 'Unknown', reason: 'UnknownCluster', message: 'no credentials for this cluster' }
        : { type: 'ClusterReachable', status: 'True', reason: 'ClusterReachable', message: `the API server of ${where} answered` };
  return [known, reachable];
}

function phaseMessage(status: IncidentStatus): string {
  const last = status.steps?.at(-1);
  if (status.phase === 'AwaitingApproval' && last) return `step ${last.index} (${toolName(last.server, last.tool)}) waits for approval`;
  if (status.phase === 'Executing' && last) return `running step ${last.index}: ${toolName(last.server, last.tool)}`;
  if (status.phase === 'Verifying' && last) return `step ${last.index} verifies that the action worked`;
  const retry = status.attempts ? ` (retrying after ${status.attempts} failed attempt(s): ${status.lastError ?? 'error'})` : '';
  return `${status.steps?.length ?? 0} steps so far${retry}`;
}

export function withConditions(inc: AlertIncident, status: IncidentStatus, now: string): IncidentStatus {
  const generation = inc.metadata.generation;
  const old = new Map((inc.status?.conditions ?? []).map((c) => [c.type, c]));
  const conditions = desiredConditions(inc, status).map((d) => {
    const prev = old.get(d.type);
    const message = (d.message ?? '').slice(0, 1024);
    return {
      ...d,
      message,
      lastTransitionTime: prev && prev.status === d.status ? prev.lastTransitionTime : now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
  return { ...status, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

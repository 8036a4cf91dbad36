// rollout_history: a Deployment's revisions (its ReplicaSets), newest first.
import { RolloutHistoryOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { compact, isoOrUndefined, templateImageList } from '../data.js';
import { k8s } from '../errors.js';
import { age, table } from '../format.js';
import { namespaceArg, objectName } from '../schemas.js';
import { CHANGE_CAUSE_ANNOTATION, ownedReplicaSets, REVISION_ANNOTATION, revisionOf } from '../workloads.js';

type Data = OutputOf<'rollout_history'>;

export function rolloutHistoryText(d: Data, now: number): string {
  if (!d.revisions.length) return `Deployment ${d.namespace}/${d.name}: no ReplicaSets (no rollout history)`;
  const rows = d.revisions.map((r) => [
    `${r.revision}${r.current ? ' (current)' : ''}`,
    r.replicaSet,
    age(r.createdAt, now),
    `${r.ready}/${r.desired}`,
    r.images.join(', ') || '<none>',
    r.changeCause ?? '<none>',
  ]);
  return `Deployment ${d.namespace}/${d.name} rollout history (newest first; current revision ${d.currentRevision ?? '?'}):\n${table(['REVISION', 'REPLICASET', 'AGE', 'READY', 'IMAGES', 'CHANGE-CAUSE'], rows, { maxCell: 120 })}`;
}

export const rolloutHistory = defineTool({
  name: 'rollout_history',
  title: 'Rollout history of a deployment',
  description:
    "A Deployment's revisions (from its ReplicaSets' revision annotations), newest first: revision, ReplicaSet, age, replicas, container images and change-cause; marks the current one. " +
    'Use it to see what changed recently and which revision rollback_deployment would return to.',
  class: 'read',
  inputSchema: { name: objectName('deployment'), namespace: namespaceArg('deployment') },
  outputSchema: RolloutHistoryOutput,
  example: { name: 'web', namespace: 'shop' },
  async run(a, ctx) {
    const d = await k8s({ verb: 'get', resource: 'deployments', group: 'apps', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.readNamespacedDeployment({ name: a.name, namespace: a.namespace }),
    );
    const rss = await ownedReplicaSets(ctx, d);
    const current = d.metadata?.annotations?.[REVISION_ANNOTATION];
    const data: Data = {
      name: a.name,
      namespace: a.namespace,
      ...(current ? { currentRevision: current } : {}),
      revisions: rss.map((rs) =>
        compact({
          revision: revisionOf(rs),
          current: String(revisionOf(rs)) === current,
          replicaSet: rs.metadata?.name ?? '',
          createdAt: isoOrUndefined(rs.metadata?.creationTimestamp),
          ready: rs.status?.readyReplicas ?? 0,
          desired: rs.spec?.replicas ?? 0,
          images: templateImageList(rs.spec?.template),
          changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
        }),
      ),
    };
    return { text: rolloutHistoryText(data, ctx.now()), data };
  },
});

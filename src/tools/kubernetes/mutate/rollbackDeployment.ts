// rollback_deployment: back to an earlier revision's pod template, like `kubectl rollout undo`.
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { z } from 'zod';
import { RollbackOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { diffObjects } from '../diff.js';
import { ToolError, invalidArgument, k8s } from '../errors.js';
import { toPlain } from '../format.js';
import { namespaceArg, objectName } from '../schemas.js';
import { ownedReplicaSets, REVISION_ANNOTATION, revisionOf } from '../workloads.js';
import { FIELD_MANAGER, jsonPatch, readWorkload } from './common.js';

type Data = OutputOf<'rollback_deployment'>;

export function rollbackText(d: Data): string {
  if (!d.changed) {
    return `no change: the pod template of revision ${d.toRevision} (ReplicaSet ${d.replicaSet}) is the same as deployment ${d.namespace}/${d.name}'s current template`;
  }
  return [
    `rolled back deployment ${d.namespace}/${d.name} from revision ${d.fromRevision} to the pod template of revision ${d.toRevision} (ReplicaSet ${d.replicaSet}); the controller rolls it out as a new revision.`,
    'Pod template changes (before → after):',
    ...(d.changes.length ? d.changes.map((c) => `  ${c}`) : ['  <none visible>']),
    'Check progress with rollout_status.',
  ].join('\n');
}

// What `kubectl rollout undo` keeps from the deployment rather than taking from the ReplicaSet.
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** The ReplicaSet's pod template as the deployment's template (without the pod-template-hash label). */
export function templateFromReplicaSet(rs: V1ReplicaSet): V1PodTemplateSpec {
  const t = toPlain(rs.spec?.template ?? {}) as V1PodTemplateSpec & { metadata?: { labels?: Record<string, string> } };
  if (t.metadata?.labels) {
    delete t.metadata.labels['pod-template-hash'];
  }
  return t;
}

/** Which revision to go back to: the requested one, or the highest one below the current. */
export function chooseRevision(rss: V1ReplicaSet[], current: number, toRevision: number | undefined): V1ReplicaSet {
  const revisions = rss.map(revisionOf).filter((r) => r > 0);
  const available = [...new Set(revisions)].sort((x, y) => y - x).join(', ') || '<none>';
  if (toRevision !== undefined) {
    const rs = rss.find((r) => revisionOf(r) === toRevision);
    if (!rs) throw new ToolError(`not found: revision ${toRevision} (available revisions: ${available})`);
    return rs;
  }
  const older = rss.filter((r) => revisionOf(r) > 0 && revisionOf(r) < current).sort((x, y) => revisionOf(y) - revisionOf(x));
  if (!older.length) throw new ToolError(`no previous revision to roll back to (current revision ${current}; available revisions: ${available})`);
  return older[0];
}

function sameTemplate(a: unknown, b: unknown): boolean {
  return diffObjects(a, b, 1).length === 0;
}

export const rollbackDeployment = defineTool({
  name: 'rollback_deployment',
  title: 'Roll a deployment back',
  description:
    'Roll a Deployment back to an earlier revision, like `kubectl rollout undo`: copies the pod template of the ReplicaSet with that revision into the Deployment ' +
    '(which then rolls out as a new revision). Defaults to the previous revision. See rollout_history for the revisions.',
  class: 'mutating',
  inputSchema: {
    name: objectName('deployment'),
    namespace: namespaceArg('deployment'),
    toRevision: z.number().int().min(1).optional().describe('Revision number to return to (from rollout_history). Omit for the previous revision.'),
  },
  outputSchema: RollbackOutput,
  example: { name: 'web', namespace: 'shop' },
  aliases: { revision: 'toRevision', to: 'toRevision' },
  destructive: true,
  idempotent: false,
  async run(a, ctx) {
    const d = (await readWorkload(ctx, 'Deployment', a.name, a.namespace)) as V1Deployment;
    if (d.spec?.paused) {
      throw new ToolError(`refused: deployment ${a.name} in namespace ${a.namespace} is paused; a paused deployment cannot be rolled back until it is resumed`);
    }
    const rss = await ownedReplicaSets(ctx, d);
    const current = Number(d.metadata?.annotations?.[REVISION_ANNOTATION]) || Math.max(0, ...rss.map(revisionOf));
    if (a.toRevision !== undefined && a.toRevision === current) {
      throw invalidArgument(`revision ${current} is the current revision of deployment ${a.name}; nothing to roll back to`);
    }
    const rs = chooseRevision(rss, current, a.toRevision);
    const target = revisionOf(rs);
    const template = templateFromReplicaSet(rs);
    const beforeTemplate = toPlain(d.spec?.template ?? {});
    const base = { name: a.name, namespace: a.namespace, fromRevision: current, toRevision: target, replicaSet: rs.metadata?.name ?? '' };
    if (sameTemplate(beforeTemplate, template)) {
      const data: Data = { ...base, changed: false, changes: [] };
      return { text: rollbackText(data), data };
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {})) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
    const patch = [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ];
    const after = await k8s({ verb: 'patch', resource: 'deployments', group: 'apps', kind: 'deployment', name: a.name, namespace: a.namespace }, () =>
      ctx.apps.patchNamespacedDeployment({ name: a.name, namespace: a.namespace, body: patch, fieldManager: FIELD_MANAGER }, jsonPatch()),
    );
    const data: Data = { ...base, changed: true, changes: diffObjects(beforeTemplate, after.spec?.template ?? {}).map((c) => `spec.template.${c}`) };
    return { text: rollbackText(data), data };
  },
});

// rollout_restart: a rolling restart of a Deployment, StatefulSet or DaemonSet, like `kubectl rollout restart`.
import type { V1Deployment } from '@kubernetes/client-node';
import { RolloutRestartOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { ToolError } from '../errors.js';
import { namespaceArg, normalizeWorkloadKind, objectName, workloadKind, WORKLOAD_KINDS } from '../schemas.js';
import { patchWorkload, readWorkload } from './common.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

type Data = OutputOf<'rollout_restart'>;

export function rolloutRestartText(d: Data): string {
  return [
    `restarted ${d.kind} ${d.namespace}/${d.name}:`,
    `  spec.template.metadata.annotations["${RESTARTED_AT}"]: ${d.previousRestartedAt ?? '<unset>'} → ${d.restartedAt}`,
    `  generation: ${d.generation.before ?? '?'} → ${d.generation.after ?? '?'}`,
    `The controller now replaces the pods according to the update strategy; check progress with rollout_status.`,
  ].join('\n');
}

export const rolloutRestart = defineTool({
  name: 'rollout_restart',
  title: 'Restart a workload (rolling)',
  description:
    'Rolling restart of a Deployment, StatefulSet or DaemonSet, like `kubectl rollout restart`: sets the pod template annotation ' +
    `${RESTARTED_AT} to now, so the controller replaces every pod following the workload's update strategy. Follow up with rollout_status.`,
  inputSchema: { kind: workloadKind, name: objectName('workload'), namespace: namespaceArg('workload') },
  outputSchema: RolloutRestartOutput,
  class: 'mutating',
  example: { kind: 'Deployment', name: 'web', namespace: 'shop' },
  normalize: (args, notes) => normalizeWorkloadKind(args, notes, WORKLOAD_KINDS),
  destructive: true,
  idempotent: false,
  async run(a, ctx) {
    const before = await readWorkload(ctx, a.kind, a.name, a.namespace);
    if (a.kind === 'Deployment' && (before as V1Deployment).spec?.paused) {
      throw new ToolError(`refused: deployment ${a.name} in namespace ${a.namespace} is paused, so a restart would not roll out; it must be resumed first`);
    }
    if (a.kind === 'StatefulSet' && (before.spec as { updateStrategy?: { type?: string } } | undefined)?.updateStrategy?.type === 'OnDelete') {
      throw new ToolError(`refused: statefulset ${a.name} uses the OnDelete update strategy, so changing its template restarts nothing; delete its pods instead`);
    }
    const previous = before.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
    const stamp = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const after = await patchWorkload(ctx, a.kind, a.name, a.namespace, {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } },
    });
    const now = after.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
    const data: Data = {
      kind: a.kind,
      name: a.name,
      namespace: a.namespace,
      restartedAt: now ?? stamp,
      ...(previous ? { previousRestartedAt: previous } : {}),
      generation: { ...(before.metadata?.generation !== undefined ? { before: before.metadata.generation } : {}), ...(after.metadata?.generation !== undefined ? { after: after.metadata.generation } : {}) },
    };
    return { text: rolloutRestartText(data), data };
  },
});


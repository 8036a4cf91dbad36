// scale: set replicas through the scale subresource.
import type { V1Scale } from '@kubernetes/client-node';
import { z } from 'zod';
import { ScaleOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, type ToolContext } from '../context.js';
import { k8s, ToolError } from '../errors.js';
import { namespaceArg, normalizeWorkloadKind, objectName } from '../schemas.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

const SCALE_KINDS = ['Deployment', 'StatefulSet', 'ReplicaSet'] as const;
type ScaleKind = (typeof SCALE_KINDS)[number];

async function readScale(ctx: ToolContext, kind: ScaleKind, name: string, namespace: string): Promise<V1Scale> {
  const t = { verb: 'get', resource: `${kind.toLowerCase()}s/scale`, group: 'apps', kind: kind.toLowerCase(), name, namespace };
  switch (kind) {
    case 'Deployment':
      return k8s(t, () => ctx.apps.readNamespacedDeploymentScale({ name, namespace }));
    case 'StatefulSet':
      return k8s(t, () => ctx.apps.readNamespacedStatefulSetScale({ name, namespace }));
    case 'ReplicaSet':
      return k8s(t, () => ctx.apps.readNamespacedReplicaSetScale({ name, namespace }));
  }
}

async function patchScale(ctx: ToolContext, kind: ScaleKind, name: string, namespace: string, replicas: number): Promise<V1Scale> {
  const t = { verb: 'patch', resource: `${kind.toLowerCase()}s/scale`, group: 'apps', kind: kind.toLowerCase(), name, namespace };
  const req = { name, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER };
  switch (kind) {
    case 'Deployment':
      return k8s(t, () => ctx.apps.patchNamespacedDeploymentScale(req, mergePatch()));
    case 'StatefulSet':
      return k8s(t, () => ctx.apps.patchNamespacedStatefulSetScale(req, mergePatch()));
    case 'ReplicaSet':
      return k8s(t, () => ctx.apps.patchNamespacedReplicaSetScale(req, mergePatch()));
  }
}

/** A HorizontalPodAutoscaler that would undo a manual scale, if one targets the object (best effort). */
async function autoscalerFor(ctx: ToolContext, kind: string, name: string, namespace: string): Promise<string | undefined> {
  try {
    const list = await ctx.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
    const hpa = list.items.find((h) => h.spec?.scaleTargetRef?.kind === kind && h.spec?.scaleTargetRef?.name === name);
    return hpa ? `${hpa.metadata?.name} (min ${hpa.spec?.minReplicas ?? 1}, max ${hpa.spec?.maxReplicas})` : undefined;
  } catch {
    return undefined;
  }
}

type Data = OutputOf<'scale'>;

/** The text of a scale result: its data, and how many replicas existed before (status.replicas). */
export function scaleText(d: Data, existed: number): string {
  const { before, after } = d.replicas;
  if (!d.changed) return `no change: ${d.kind} ${d.namespace}/${d.name} already has spec.replicas ${before} (status: ${existed} replicas)`;
  return [
    `scaled ${d.kind} ${d.namespace}/${d.name}: spec.replicas ${before} → ${after}`,
    `(${existed} replicas existed before; the controller now ${after > before ? 'creates' : 'removes'} pods)`,
    ...(d.autoscaler ? [`warning: HorizontalPodAutoscaler ${d.autoscaler} targets this ${d.kind} and may change the replica count again`] : []),
  ].join('\n');
}

export const scale = defineTool({
  name: 'scale',
  title: 'Scale a workload',
  description:
    'Set the number of replicas of a Deployment, StatefulSet or ReplicaSet (through its scale subresource). Scaling to 0 stops all its pods. ' +
    'Reports the replica count before and after.',
  class: 'mutating',
  inputSchema: {
    kind: z.enum(SCALE_KINDS).describe('Kind of the workload: Deployment, StatefulSet or ReplicaSet (deploy, sts, rs and other spellings work too).'),
    name: objectName('workload'),
    namespace: namespaceArg('workload'),
    replicas: z.number().int().min(0).max(1000).describe('Desired number of replicas (0-1000).'),
  },
  outputSchema: ScaleOutput,
  example: { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 3 },
  aliases: { count: 'replicas', replicacount: 'replicas', to: 'replicas' },
  normalize: (args, notes) => normalizeWorkloadKind(args, notes, SCALE_KINDS),
  destructive: true,
  idempotent: true,
  async run(a, ctx) {
    if (a.kind === 'ReplicaSet') {
      const rs = await k8s({ verb: 'get', resource: 'replicasets', group: 'apps', name: a.name, namespace: a.namespace }, () =>
        ctx.apps.readNamespacedReplicaSet({ name: a.name, namespace: a.namespace }),
      );
      const owner = rs.metadata?.ownerReferences?.find((r) => r.controller);
      if (owner?.kind === 'Deployment') {
        throw new ToolError(`refused: ReplicaSet ${a.name} is managed by Deployment ${owner.name}, which would undo the change; scale the Deployment instead`);
      }
    }
    const before = await readScale(ctx, a.kind, a.name, a.namespace);
    const was = before.spec?.replicas ?? 0;
    const existed = before.status?.replicas ?? 0;
    const base = { kind: a.kind, name: a.name, namespace: a.namespace };
    if (was === a.replicas) {
      const data: Data = { ...base, changed: false, replicas: { before: was, after: was } };
      return { text: scaleText(data, existed), data };
    }
    const after = await patchScale(ctx, a.kind, a.name, a.namespace, a.replicas);
    const hpa = await autoscalerFor(ctx, a.kind, a.name, a.namespace);
    const data: Data = { ...base, changed: true, replicas: { before: was, after: after.spec?.replicas ?? a.replicas }, ...(hpa ? { autoscaler: hpa } : {}) };
    return { text: scaleText(data, existed), data };
  },
});

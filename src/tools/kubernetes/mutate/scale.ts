// scale: set replicas through the scale subresource.
import type { V1Scale } from '@kubernetes/client-node';
import { z } from 'zod';
import { defineTool, type ToolContext } from '../context.js';
import { k8s, ToolError } from '../errors.js';
import { ScaleOutput } from '../outputs.js';
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

export const scale = defineTool({
  name: 'scale',
  title: 'Scale a workload',
  description:
    'Set the number of replicas of a Deployment, StatefulSet or ReplicaSet (through its scale subresource). Scaling to 0 stops all its pods. ' +
    'Reports the replica count before and after.',
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
    const base = { kind: a.kind, name: a.name, namespace: a.namespace };
    if (was === a.replicas) {
      return { text: `no change: ${a.kind} ${a.namespace}/${a.name} already has spec.replicas ${was} (status: ${before.status?.replicas ?? 0} replicas)`, data: { ...base, changed: false, replicas: { before: was, after: was } } };
    }
    const after = await patchScale(ctx, a.kind, a.name, a.namespace, a.replicas);
    const hpa = await autoscalerFor(ctx, a.kind, a.name, a.namespace);
    const text = [
      `scaled ${a.kind} ${a.namespace}/${a.name}: spec.replicas ${was} → ${after.spec?.replicas ?? a.replicas}`,
      `(${before.status?.replicas ?? 0} replicas existed before; the controller now ${a.replicas > was ? 'creates' : 'removes'} pods)`,
      ...(hpa ? [`warning: HorizontalPodAutoscaler ${hpa} targets this ${a.kind} and may change the replica count again`] : []),
    ].join('\n');
    return { text, data: { ...base, changed: true, replicas: { before: was, after: after.spec?.replicas ?? a.replicas }, ...(hpa ? { autoscaler: hpa } : {}) } };
  },
});

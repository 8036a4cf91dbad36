// set_hpa_max_replicas: raise a HorizontalPodAutoscaler's ceiling, within the bound the config sets
// (FIX_HPA_MAX_REPLICAS_LIMIT, and FIX_HPA_MAX_FACTOR times the current maxReplicas). Only raises: a lower
// ceiling makes the HPA remove running replicas, a scale-down no investigation should make on its own.
// The patch carries the resourceVersion read, so the bound is judged against the value it replaces.
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { z } from 'zod';
import { SetHpaMaxReplicasOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, DEFAULT_RAISE_BOUNDS, type RaiseBounds, type ToolContext } from '../context.js';
import { invalidArgument, k8s } from '../errors.js';
import { namespaceArg, objectName } from '../schemas.js';
import { retryOnConflict } from '../../../util/retry.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

type Data = OutputOf<'set_hpa_max_replicas'>;

const target = (verb: string, name: string, namespace: string) => ({ verb, resource: 'horizontalpodautoscalers', group: 'autoscaling', kind: 'horizontalpodautoscaler', name, namespace });

/** The highest maxReplicas one change may set from `current`. */
export function hpaCeiling(current: number, b: RaiseBounds): number {
  return Math.max(current, Math.min(b.hpaMaxReplicasLimit, Math.floor(current * b.hpaMaxFactor)));
}

export function setHpaMaxReplicasText(d: Data): string {
  const hpa = `HorizontalPodAutoscaler ${d.namespace}/${d.name}${d.target ? ` (scales ${d.target})` : ''}`;
  if (!d.changed) return `no change: ${hpa} already has maxReplicas ${d.maxReplicas.before}`;
  return [
    `raised the ceiling of ${hpa}: spec.maxReplicas ${d.maxReplicas.before} → ${d.maxReplicas.after}`,
    `It runs ${d.currentReplicas ?? '?'} replicas and wants ${d.desiredReplicas ?? '?'} (min ${d.minReplicas ?? 1}); it may now add replicas up to ${d.maxReplicas.after} as its metrics ask.`,
  ].join('\n');
}

function refuseIfOutOfBounds(before: number, wanted: number, b: RaiseBounds, what: string): void {
  if (wanted < before) {
    throw invalidArgument(`refused: maxReplicas ${wanted} would lower the ceiling of ${what} from ${before} and make it remove running replicas; this tool only raises it`);
  }
  const ceiling = hpaCeiling(before, b);
  if (wanted > ceiling) {
    throw invalidArgument(
      `refused: maxReplicas ${wanted} is above the bound of one change for ${what}: at most ${ceiling} (FIX_HPA_MAX_REPLICAS_LIMIT=${b.hpaMaxReplicasLimit}, FIX_HPA_MAX_FACTOR=${b.hpaMaxFactor} × the current ${before})`,
    );
  }
}

async function readHpa(ctx: ToolContext, name: string, namespace: string): Promise<V2HorizontalPodAutoscaler> {
  return k8s(target('get', name, namespace), () => ctx.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace }));
}

export const setHpaMaxReplicas = defineTool({
  name: 'set_hpa_max_replicas',
  title: "Raise an HPA's maxReplicas",
  description:
    "Raise a HorizontalPodAutoscaler's maxReplicas (e.g. an HPA pinned at its maximum under legitimate load), within the operator's bound: at most FIX_HPA_MAX_FACTOR times the current value and never above FIX_HPA_MAX_REPLICAS_LIMIT. " +
    'Never lowers it. Reports the value before and after, and the bound.',
  class: 'mutating',
  inputSchema: {
    name: objectName('HorizontalPodAutoscaler'),
    namespace: namespaceArg('HorizontalPodAutoscaler'),
    maxReplicas: z.number().int().min(1).max(1000).describe('The new maxReplicas: higher than the current one, within the bound.'),
  },
  outputSchema: SetHpaMaxReplicasOutput,
  example: { name: 'frontend', namespace: 'shop', maxReplicas: 15 },
  aliases: { max: 'maxReplicas', replicas: 'maxReplicas', hpa: 'name', horizontalpodautoscaler: 'name' },
  destructive: false,
  idempotent: true,
  // The HPA controller writes its status every sync: a conflict is read again and judged again.
  run: (a, ctx) => retryOnConflict(() => raise(a, ctx), { attempts: 4 }),
});

async function raise(a: { name: string; namespace: string; maxReplicas: number }, ctx: ToolContext): Promise<{ text: string; data: Data }> {
  const bounds = ctx.raiseBounds ?? DEFAULT_RAISE_BOUNDS;
  const hpa = await readHpa(ctx, a.name, a.namespace);
  const before = hpa.spec?.maxReplicas ?? 0;
  refuseIfOutOfBounds(before, a.maxReplicas, bounds, `HorizontalPodAutoscaler ${a.namespace}/${a.name}`);
  const ref = hpa.spec?.scaleTargetRef;
  const base = {
    name: a.name,
    namespace: a.namespace,
    ...(hpa.spec?.minReplicas !== undefined ? { minReplicas: hpa.spec.minReplicas } : {}),
    ...(hpa.status?.currentReplicas !== undefined ? { currentReplicas: hpa.status.currentReplicas } : {}),
    ...(hpa.status?.desiredReplicas !== undefined ? { desiredReplicas: hpa.status.desiredReplicas } : {}),
    ...(ref ? { target: `${ref.kind} ${ref.name}` } : {}),
    ceiling: hpaCeiling(before, bounds),
  };
  if (a.maxReplicas === before) {
    const data: Data = { ...base, changed: false, maxReplicas: { before, after: before } };
    return { text: setHpaMaxReplicasText(data), data };
  }
  const after = await k8s(target('patch', a.name, a.namespace), () =>
    ctx.autoscaling.patchNamespacedHorizontalPodAutoscaler({ name: a.name, namespace: a.namespace, body: { metadata: { resourceVersion: hpa.metadata?.resourceVersion }, spec: { maxReplicas: a.maxReplicas } }, fieldManager: FIELD_MANAGER }, mergePatch()),
  );
  const data: Data = { ...base, changed: true, maxReplicas: { before, after: after.spec?.maxReplicas ?? a.maxReplicas } };
  return { text: setHpaMaxReplicasText(data), data };
}

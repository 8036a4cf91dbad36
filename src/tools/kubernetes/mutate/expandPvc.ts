// expand_pvc: grow a PersistentVolumeClaim in place by raising spec.resources.requests.storage. Kubernetes
// only lets a claim grow, and only when its StorageClass says allowVolumeExpansion: true; the volume's
// driver (the CSI resizer) then grows the volume and the kubelet the file system. Refused unless the claim
// is Bound, its StorageClass allows expansion, and the new size is larger than the current one and within
// the operator's bounds (FIX_PVC_MAX_SIZE, FIX_PVC_MAX_FACTOR): a volume cannot be shrunk back, so a typo
// such as "50Ti" must never reach the API server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { ExpandPvcOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, type PvcExpansionBounds, type ToolContext } from '../context.js';
import { invalidArgument, k8s, ToolError } from '../errors.js';
import { formatMemory, MEMORY_QUANTITY, parseQuantity } from '../quantity.js';
import { namespaceArg, objectName } from '../schemas.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

export const DEFAULT_PVC_EXPANSION: PvcExpansionBounds = { maxBytes: 2 ** 40, maxFactor: 2 };

type Data = OutputOf<'expand_pvc'>;

/** Whether a StorageClass allows expansion (read with the generic object client: no StorageV1Api in the context). */
async function storageClassAllowsExpansion(ctx: ToolContext, name: string): Promise<boolean> {
  const sc = await k8s({ verb: 'get', resource: 'storageclasses', group: 'storage.k8s.io', kind: 'storageclass', name }, () =>
    ctx.objects.read({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name } } as KubernetesObject & { metadata: { name: string } }),
  );
  return (sc as { allowVolumeExpansion?: boolean }).allowVolumeExpansion === true;
}

/** Why `size` cannot be the claim's new size (only larger, within the bounds), or undefined when it can. */
export function sizeProblem(size: string, current: string | undefined, bounds: PvcExpansionBounds): string | undefined {
  const want = parseQuantity(size);
  const now = parseQuantity(current);
  if (!MEMORY_QUANTITY.test(size) || want === undefined) return `invalid argument: size "${size}" is not a storage quantity; use e.g. "100Gi"`;
  if (now === undefined) return `the claim's current size ${current ?? '<unset>'} cannot be read, so growth cannot be bounded`;
  if (want <= now) return `refused: ${size} is not larger than the claim's current size ${current}; a volume can only grow (Kubernetes refuses to shrink a claim)`;
  if (want > bounds.maxBytes) return `refused: ${size} is above the largest size the operator may set (FIX_PVC_MAX_SIZE, ${formatMemory(bounds.maxBytes)}); a person must grow it that far`;
  if (want > now * bounds.maxFactor) {
    return `refused: ${size} is more than ${bounds.maxFactor} times the current size ${current} (FIX_PVC_MAX_FACTOR); ask for at most ${formatMemory(Math.floor(now * bounds.maxFactor))}`;
  }
  return undefined;
}

export function expandPvcText(d: Data): string {
  return [
    `expanded PersistentVolumeClaim ${d.namespace}/${d.name}: spec.resources.requests.storage ${d.size.before} → ${d.size.after} (storage class ${d.storageClass} allows volume expansion).`,
    `Capacity before: ${d.capacity ?? '<unknown>'}${d.volumeName ? ` (PersistentVolume ${d.volumeName})` : ''}. The volume's driver now grows the volume, then the kubelet its file system; status.capacity shows the new size when done ` +
      '(the condition FileSystemResizePending means the file system grows when a pod next mounts it).',
    'A volume cannot be shrunk back.',
  ].join('\n');
}

export const expandPvc = defineTool({
  name: 'expand_pvc',
  title: 'Expand a PersistentVolumeClaim',
  description:
    "Grow a Bound PersistentVolumeClaim to a larger size (spec.resources.requests.storage), when its StorageClass has allowVolumeExpansion: true. Only growth: a volume cannot shrink. " +
    'Bounded by the operator (at most FIX_PVC_MAX_FACTOR times the current size, at most FIX_PVC_MAX_SIZE). Reports the size before and after.',
  class: 'mutating',
  inputSchema: {
    name: objectName('PersistentVolumeClaim'),
    namespace: namespaceArg('PersistentVolumeClaim'),
    size: z.string().min(1).max(32).describe('The new, larger size, e.g. "100Gi" (binary suffixes Ki, Mi, Gi, Ti or decimal k, M, G, T).'),
  },
  outputSchema: ExpandPvcOutput,
  example: { name: 'data-postgres-0', namespace: 'shop', size: '100Gi' },
  aliases: { pvc: 'name', claim: 'name', storage: 'size', newsize: 'size', to: 'size' },
  destructive: false,
  idempotent: true,
  async run(a, ctx) {
    const t = { resource: 'persistentvolumeclaims', kind: 'persistentvolumeclaim', name: a.name, namespace: a.namespace };
    const pvc = await k8s({ ...t, verb: 'get' }, () => ctx.core.readNamespacedPersistentVolumeClaim({ name: a.name, namespace: a.namespace }));
    const label = `PersistentVolumeClaim ${a.namespace}/${a.name}`;
    const phase = pvc.status?.phase ?? 'Unknown';
    if (phase !== 'Bound') throw new ToolError(`refused: ${label} is ${phase}, not Bound; only a bound claim's volume can be expanded`);
    const storageClass = pvc.spec?.storageClassName;
    if (!storageClass) throw new ToolError(`refused: ${label} names no storage class, so whether its volume may be expanded cannot be told`);
    if (!(await storageClassAllowsExpansion(ctx, storageClass))) {
      throw new ToolError(`refused: storage class ${storageClass} of ${label} does not allow volume expansion (allowVolumeExpansion is not true); the data must move to a larger volume instead`);
    }
    const before = pvc.spec?.resources?.requests?.storage;
    const problem = sizeProblem(a.size, before, ctx.pvcExpansion ?? DEFAULT_PVC_EXPANSION);
    if (problem) throw problem.startsWith('invalid argument: ') ? invalidArgument(problem.slice('invalid argument: '.length)) : new ToolError(problem);
    const after = await k8s({ ...t, verb: 'patch' }, () =>
      ctx.core.patchNamespacedPersistentVolumeClaim({ name: a.name, namespace: a.namespace, body: { spec: { resources: { requests: { storage: a.size } } } }, fieldManager: FIELD_MANAGER }, mergePatch()),
    );
    const capacity = pvc.status?.capacity?.storage;
    const data: Data = {
      name: a.name,
      namespace: a.namespace,
      storageClass,
      ...(pvc.spec?.volumeName ? { volumeName: pvc.spec.volumeName } : {}),
      size: { before: before ?? '', after: after.spec?.resources?.requests?.storage ?? a.size },
      ...(capacity ? { capacity } : {}),
    };
    return { text: expandPvcText(data), data };
  },
});

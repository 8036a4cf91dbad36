// What `auto` must know about a proposed change before the policy decides, read with the operator's own
// ServiceAccount: the replicas a workload has now (to tell a scale-down) and whether a pod to delete has
// a controller that recreates it. Only the objects the call itself names are read, at most a few.
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { CallInspector } from '../../contracts/investigation.js';
import { key } from '../../policy/auto.js';
import { callIntents } from '../../policy/objects.js';
import { resolveWorkloadKind } from './kinds.js';

const SCALE_KINDS = ['Deployment', 'StatefulSet', 'ReplicaSet'] as const;
const MAX_READS = 5;

export function clusterInspector(kc: KubeConfig): CallInspector {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  // The workload itself, not its scale subresource: the read-only role may get it (the actions role,
  // which may read /scale, is bound only where actions may run).
  const readWorkload = (kind: (typeof SCALE_KINDS)[number], name: string, namespace: string) =>
    kind === 'Deployment'
      ? apps.readNamespacedDeployment({ name, namespace })
      : kind === 'StatefulSet'
        ? apps.readNamespacedStatefulSet({ name, namespace })
        : apps.readNamespacedReplicaSet({ name, namespace });

  return async (tool, args) => {
    const intents = callIntents(tool, args);
    const replicas: Record<string, number> = {};
    const controlledPods: string[] = [];
    for (const s of intents.scales.slice(0, MAX_READS)) {
      const o = s.object;
      const kind = o?.namespace ? resolveWorkloadKind(o.kind, SCALE_KINDS) : undefined;
      if (!o?.namespace || !kind || 'error' in kind) continue; // unread: counted as a scale-down
      const w = await readWorkload(kind.kind, o.name, o.namespace).catch(() => undefined);
      if (w) replicas[key(o)] = w.spec?.replicas ?? 1; // the API server's default
    }
    for (const p of intents.podDeletes.slice(0, MAX_READS)) {
      if (!p.namespace) continue;
      const pod = await core.readNamespacedPod({ name: p.name, namespace: p.namespace }).catch(() => undefined);
      if (pod?.metadata?.ownerReferences?.some((r) => r.controller === true)) controlledPods.push(key(p));
    }
    return { replicas, controlledPods };
  };
}

// delete_pod.
import { z } from 'zod';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { podRestarts, podStatus } from '../podFormat.js';
import { DeletePodOutput } from '../outputs.js';
import { namespaceArg, objectName } from '../schemas.js';

export const deletePod = defineTool({
  name: 'delete_pod',
  title: 'Delete a pod',
  description:
    'Delete one pod. A pod controlled by a ReplicaSet, StatefulSet, DaemonSet or Job is recreated by its controller (a way to restart a single stuck pod); ' +
    'a bare pod is gone for good. Reports what the pod was and whether it will be replaced.',
  inputSchema: {
    name: objectName('pod'),
    namespace: namespaceArg('pod'),
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("Seconds the pod gets to shut down; omit for the pod's own terminationGracePeriodSeconds. 0 deletes immediately."),
  },
  outputSchema: DeletePodOutput,
  example: { name: 'web-7d9f8c6b5-x2x9k', namespace: 'shop' },
  destructive: true,
  idempotent: false,
  async run(a, ctx) {
    const t = { verb: 'get', resource: 'pods', name: a.name, namespace: a.namespace };
    const pod = await k8s(t, () => ctx.core.readNamespacedPod({ name: a.name, namespace: a.namespace }));
    await k8s({ ...t, verb: 'delete' }, () =>
      ctx.core.deleteNamespacedPod({ name: a.name, namespace: a.namespace, gracePeriodSeconds: a.gracePeriodSeconds, body: { preconditions: { uid: pod.metadata?.uid } } }),
    );
    const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
    const text = [
      `deleted pod ${a.namespace}/${a.name}${a.gracePeriodSeconds !== undefined ? ` (grace period ${a.gracePeriodSeconds}s)` : ''}`,
      `  before: status ${podStatus(pod)}, restarts ${podRestarts(pod)}, node ${pod.spec?.nodeName ?? '<none>'}`,
      `  after: deletion requested (the pod terminates, then disappears)`,
      owner
        ? `It is controlled by ${owner.kind} ${owner.name}, which will create a replacement pod.`
        : 'warning: it had no controller, so nothing will recreate it.',
    ].join('\n');
    return {
      text,
      data: {
        name: a.name,
        namespace: a.namespace,
        ...(a.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: a.gracePeriodSeconds } : {}),
        before: { status: podStatus(pod), restarts: podRestarts(pod), ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}) },
        ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
        replaced: !!owner,
      },
    };
  },
});

// delete_pod: delete one pod; its controller, if any, replaces it.
import { z } from 'zod';
import { DeletePodOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { podRestarts, podStatus } from '../podFormat.js';
import { namespaceArg, objectName } from '../schemas.js';

type Data = OutputOf<'delete_pod'>;

export function deletePodText(d: Data): string {
  return [
    `deleted pod ${d.namespace}/${d.name}${d.gracePeriodSeconds !== undefined ? ` (grace period ${d.gracePeriodSeconds}s)` : ''}`,
    `  before: status ${d.before.status}, restarts ${d.before.restarts}, node ${d.before.node ?? '<none>'}`,
    `  after: deletion requested (the pod terminates, then disappears)`,
    d.owner ? `It is controlled by ${d.owner.kind} ${d.owner.name}, which will create a replacement pod.` : 'warning: it had no controller, so nothing will recreate it.',
  ].join('\n');
}

export const deletePod = defineTool({
  name: 'delete_pod',
  title: 'Delete a pod',
  description:
    'Delete one pod. A pod controlled by a ReplicaSet, StatefulSet, DaemonSet or Job is recreated by its controller (a way to restart a single stuck pod); ' +
    'a bare pod is gone for good. Reports what the pod was and whether it will be replaced.',
  class: 'mutating',
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
    const data: Data = {
      name: a.name,
      namespace: a.namespace,
      ...(a.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: a.gracePeriodSeconds } : {}),
      before: { status: podStatus(pod), restarts: podRestarts(pod), ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}) },
      ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
      replaced: !!owner,
    };
    return { text: deletePodText(data), data };
  },
});

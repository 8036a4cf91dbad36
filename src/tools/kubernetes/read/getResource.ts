// get_resource: one object of any kind, through the dynamic object API, as compact YAML and as data.
import { z } from 'zod';
import { GetResourceOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { fitObject, sanitizeObject, toYaml } from '../format.js';
import { groupOf, pluralOf } from '../kinds.js';
import { apiVersionArg, KIND_ALIASES, kindArg, normalizeKindArgs, optionalNamespace } from '../schemas.js';


/** A resource's data is bounded to this many bytes of JSON before the whole result is bounded. */
const OBJECT_DATA_BYTES = 12000;

export const getResource = defineTool({
  name: 'get_resource',
  title: 'Get a Kubernetes object',
  description:
    'Read one Kubernetes object of any kind and show it as compact YAML (managedFields and last-applied annotations removed). ' +
    'Secret contents are not readable by design: the operator\'s ServiceAccount holds no get, list or watch on Secrets, so kind Secret answers forbidden ' +
    '(with other credentials only its type, key names and sizes are shown, never values). To tell whether a Secret a pod needs exists, use describe_pod: ' +
    'the Secrets it references and its events, e.g. secret "NAME" not found. ' +
    'Prefer the describe_* tools for pods, workloads, nodes, PVCs and jobs: they add status details and events.',
  class: 'read',
  inputSchema: {
    apiVersion: apiVersionArg,
    kind: kindArg,
    name: z.string().min(1).max(253).regex(/^[^/\s]+$/, 'must be a plain object name').describe('Name of the object.'),
    namespace: optionalNamespace('Namespace of the object. Omit for cluster-scoped kinds (Node, Namespace, PersistentVolume, ClusterRole); if omitted for a namespaced kind, "default" is used.'),
  },
  outputSchema: GetResourceOutput,
  example: { kind: 'HorizontalPodAutoscaler', name: 'web', namespace: 'shop' },
  aliases: KIND_ALIASES,
  normalize: normalizeKindArgs,
  async run(a, ctx) {
    // normalize() has filled apiVersion for every kind it accepted.
    const apiVersion = a.apiVersion!;
    const obj = await k8s(
      { verb: 'get', resource: pluralOf(a.kind), group: groupOf(apiVersion), kind: a.kind.toLowerCase(), name: a.name, namespace: a.namespace },
      () => ctx.objects.read({ apiVersion, kind: a.kind, metadata: { name: a.name, ...(a.namespace ? { namespace: a.namespace } : {}) } }),
    );
    const clean = sanitizeObject({ apiVersion, kind: a.kind, ...obj });
    const where = (clean.metadata as { namespace?: string } | undefined)?.namespace;
    const header = `# ${a.kind} ${where ? `${where}/` : ''}${a.name} (${apiVersion})`;
    const note = a.kind === 'Secret' ? '\n# Secret values are hidden: only key names and sizes are shown.' : '';
    // The object as data, bounded on its own (the tool server bounds the whole result again).
    const fitted = fitObject(clean, OBJECT_DATA_BYTES);
    return {
      text: `${header}${note}\n${toYaml(clean)}`,
      data: { apiVersion, kind: a.kind, name: a.name, ...(where ? { namespace: where } : {}), object: fitted.data, ...(fitted.cut ? { truncated: true } : {}) },
    };
  },
});

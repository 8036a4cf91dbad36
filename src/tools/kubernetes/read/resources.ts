// get_resource and list_resources: any kind, through the dynamic object API.
import type { KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { defineTool } from '../context.js';
import { k8s } from '../errors.js';
import { sanitizeObject, table, toPlain, toYaml } from '../format.js';
import { optionalNamespace } from '../schemas.js';
import { summarize } from '../summaries.js';

const apiVersionArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/, 'must look like v1 or apps/v1')
  .describe('API version of the kind: "v1" for core kinds (Pod, Service, ConfigMap, Secret, Node, Event, PersistentVolumeClaim), "apps/v1" (Deployment, StatefulSet, DaemonSet, ReplicaSet), "batch/v1" (Job, CronJob), "networking.k8s.io/v1" (Ingress), "autoscaling/v2" (HorizontalPodAutoscaler), or a CRD\'s group/version.');
const kindArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a Kind in CamelCase, e.g. Deployment')
  .describe('Kind, case-sensitive and singular, e.g. Pod, Deployment, ConfigMap, Ingress.');

/** Lower-case plural guess for messages ("Deployment" -> "deployments"). */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s') || k.endsWith('x')) return `${k}es`;
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

export const getResource = defineTool({
  name: 'get_resource',
  title: 'Get a Kubernetes object',
  description:
    'Read one Kubernetes object of any kind and show it as compact YAML (managedFields and last-applied annotations removed). ' +
    'Secret values are never shown: for a Secret you get its type and key names only. ' +
    'Prefer the describe_* tools for pods, workloads, nodes, PVCs and jobs: they add status details and events.',
  inputSchema: {
    apiVersion: apiVersionArg,
    kind: kindArg,
    name: z.string().min(1).max(253).regex(/^[^/\s]+$/, 'must be a plain object name').describe('Name of the object.'),
    namespace: optionalNamespace('Namespace of the object. Omit for cluster-scoped kinds (Node, Namespace, PersistentVolume, ClusterRole); if omitted for a namespaced kind, "default" is used.'),
  },
  async run(a, ctx) {
    const obj = await k8s(
      { verb: 'get', resource: pluralOf(a.kind), group: groupOf(a.apiVersion), kind: a.kind.toLowerCase(), name: a.name, namespace: a.namespace },
      () => ctx.objects.read({ apiVersion: a.apiVersion, kind: a.kind, metadata: { name: a.name, ...(a.namespace ? { namespace: a.namespace } : {}) } }),
    );
    const clean = sanitizeObject({ apiVersion: a.apiVersion, kind: a.kind, ...obj });
    const where = (clean.metadata as { namespace?: string } | undefined)?.namespace;
    const header = `# ${a.kind} ${where ? `${where}/` : ''}${a.name} (${a.apiVersion})`;
    const note = a.kind === 'Secret' ? '\n# Secret values are hidden: only key names and sizes are shown.' : '';
    return `${header}${note}\n${toYaml(clean)}`;
  },
});

export const listResources = defineTool({
  name: 'list_resources',
  title: 'List Kubernetes objects',
  description:
    'List objects of any kind as a table (name, namespace, age and the status columns kubectl shows for that kind, e.g. READY/STATUS/RESTARTS for pods). ' +
    'Filter with label and field selectors. Secrets are listed with type and key names only, never values.',
  inputSchema: {
    apiVersion: apiVersionArg,
    kind: kindArg,
    namespace: optionalNamespace('Namespace to list in. Omit to list across all namespaces (or for cluster-scoped kinds).'),
    labelSelector: z.string().max(1000).optional().describe('Label selector, e.g. "app=web,tier!=cache" or "app in (a,b)".'),
    fieldSelector: z.string().max(1000).optional().describe('Field selector, e.g. "status.phase!=Running" or "spec.nodeName=node-1" (pods).'),
    limit: z.number().int().min(1).max(500).default(50).describe('Maximum number of objects to return (1-500, default 50).'),
  },
  async run(a, ctx) {
    const list = await k8s({ verb: 'list', resource: pluralOf(a.kind), group: groupOf(a.apiVersion), namespace: a.namespace }, () =>
      ctx.objects.list(a.apiVersion, a.kind, a.namespace, undefined, undefined, undefined, a.fieldSelector, a.labelSelector, a.limit),
    );
    const items = (list.items ?? []).map((i: KubernetesObject) => toPlain(i) as Record<string, unknown>);
    const scope = a.namespace ? `in namespace ${a.namespace}` : 'in all namespaces';
    const filters = [a.labelSelector && `labels ${a.labelSelector}`, a.fieldSelector && `fields ${a.fieldSelector}`].filter(Boolean).join(', ');
    const head = `${a.kind} (${a.apiVersion}) ${scope}${filters ? ` matching ${filters}` : ''}: ${items.length} shown`;
    const remaining = list.metadata?.remainingItemCount;
    const more = list.metadata?._continue
      ? `\n[more objects exist${remaining ? ` (${remaining} not shown)` : ''}; narrow the selectors or raise limit]`
      : '';
    if (!items.length) return `${head}\n<none>`;
    const withNamespace = !a.namespace && items.some((i) => (i.metadata as { namespace?: string } | undefined)?.namespace);
    const { headers, rows } = summarize(a.kind, items, ctx.now(), withNamespace);
    return `${head}\n${table(headers, rows)}${more}`;
  },
});


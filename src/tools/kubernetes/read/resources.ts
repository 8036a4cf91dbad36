// get_resource and list_resources: any kind, through the dynamic object API.
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { defineTool } from '../context.js';
import { isoOrUndefined, podSummary } from '../data.js';
import { k8s } from '../errors.js';
import { fitObject, sanitizeObject, table, toPlain, toYaml } from '../format.js';
import { lookupKind, resolveKind } from '../kinds.js';
import { GetResourceOutput, ListResourcesOutput, type ListItem } from '../outputs.js';
import { optionalNamespace } from '../schemas.js';
import { nodeRoles, nodeStatus } from './describeNode.js';
import { summarize } from '../summaries.js';

const apiVersionArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/, 'must look like v1 or apps/v1')
  .optional()
  .describe(
    'API version of the kind. Optional for built-in kinds (filled in: "v1" for Pod, Service, ConfigMap, Secret, Node, Event, PersistentVolumeClaim; "apps/v1" for Deployment, StatefulSet, DaemonSet, ReplicaSet; ' +
      '"batch/v1" for Job, CronJob; "networking.k8s.io/v1" for Ingress; "autoscaling/v2" for HorizontalPodAutoscaler, ...). Required for a custom resource (CRD): its group/version, e.g. "cert-manager.io/v1".',
  );
const kindArg = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9.\/-]*$/, 'must be a kind such as Deployment (or deploy, deployments)')
  .describe('Kind, e.g. Pod, Deployment, ConfigMap, Ingress; any case, plural or short name as kubectl accepts (po, deploy, sts, svc, pvc, no, cm, ns, ing, hpa, ...). For a CRD, its Kind with apiVersion.');

/** The kind and apiVersion to use, from any spelling; unknown kinds without apiVersion get the list of known ones. */
function normalizeKindArgs(args: Record<string, unknown>, notes: string[]): string | undefined {
  if (typeof args.kind !== 'string') return undefined;
  const r = resolveKind(args.kind, typeof args.apiVersion === 'string' ? args.apiVersion : undefined);
  if ('error' in r) return r.error;
  args.kind = r.kind;
  args.apiVersion = r.apiVersion;
  notes.push(...r.notes);
  return undefined;
}

const KIND_ALIASES = { resource: 'kind', resourcetype: 'kind', type: 'kind', objecttype: 'kind', resourcekind: 'kind', version: 'apiVersion', group: 'apiVersion', groupversion: 'apiVersion' };

/** Lower-case plural for messages ("Deployment" -> "deployments"): the known one, else a guess. */
export function pluralOf(kind: string): string {
  const known = lookupKind(kind);
  if (known) return known.plural;
  const k = kind.toLowerCase();
  if (k.endsWith('s') || k.endsWith('x')) return `${k}es`;
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** A resource's data is bounded to this many bytes of JSON before the whole result is bounded. */
const OBJECT_DATA_BYTES = 12000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type P = Record<string, any>;

/** One listed object as data: its table columns, and for pods and nodes their state as typed fields. */
function listItem(kind: string, o: P, headers: string[], row: string[]): ListItem {
  const columns: Record<string, string> = {};
  headers.forEach((h, i) => {
    if (!['NAME', 'NAMESPACE', 'AGE'].includes(h)) columns[h] = row[i] ?? '';
  });
  const item: ListItem = { name: o.metadata?.name ?? '', columns };
  if (o.metadata?.namespace) item.namespace = o.metadata.namespace;
  const created = isoOrUndefined(o.metadata?.creationTimestamp);
  if (created) item.createdAt = created;
  if (kind === 'Pod') {
    const { name: _n, namespace: _ns, createdAt: _c, ...pod } = podSummary(o as V1Pod);
    item.pod = pod;
  }
  if (kind === 'Node') {
    const node = o as V1Node;
    item.node = { status: nodeStatus(node), unschedulable: node.spec?.unschedulable ?? false, roles: nodeRoles(node), ...(node.status?.nodeInfo?.kubeletVersion ? { version: node.status.nodeInfo.kubeletVersion } : {}) };
  }
  return item;
}

export const getResource = defineTool({
  name: 'get_resource',
  title: 'Get a Kubernetes object',
  description:
    'Read one Kubernetes object of any kind and show it as compact YAML (managedFields and last-applied annotations removed). ' +
    'Secret contents are not readable by design: the operator\'s ServiceAccount holds no get, list or watch on Secrets, so kind Secret answers forbidden ' +
    '(with other credentials only its type, key names and sizes are shown, never values). To tell whether a Secret a pod needs exists, use describe_pod: ' +
    'the Secrets it references and its events, e.g. secret "NAME" not found. ' +
    'Prefer the describe_* tools for pods, workloads, nodes, PVCs and jobs: they add status details and events.',
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

export const listResources = defineTool({
  name: 'list_resources',
  title: 'List Kubernetes objects',
  description:
    'List objects of any kind as a table (name, namespace, age and the status columns kubectl shows for that kind, e.g. READY/STATUS/RESTARTS for pods). ' +
    'Filter with label and field selectors. Secret contents are not readable by design: kind Secret answers forbidden under the operator\'s ServiceAccount ' +
    '(with other credentials: type and key names only, never values); use describe_pod and get_events to see which Secrets a pod references and whether one is missing.',
  inputSchema: {
    apiVersion: apiVersionArg,
    kind: kindArg,
    namespace: optionalNamespace('Namespace to list in. Omit to list across all namespaces (or for cluster-scoped kinds).'),
    labelSelector: z.string().max(1000).optional().describe('Label selector, e.g. "app=web,tier!=cache" or "app in (a,b)".'),
    fieldSelector: z.string().max(1000).optional().describe('Field selector, e.g. "status.phase!=Running" or "spec.nodeName=node-1" (pods).'),
    limit: z.number().int().min(1).max(500).default(50).describe('Maximum number of objects to return (1-500, default 50).'),
  },
  outputSchema: ListResourcesOutput,
  example: { kind: 'Pod', namespace: 'shop', labelSelector: 'app=web' },
  aliases: { ...KIND_ALIASES, selector: 'labelSelector', labels: 'labelSelector', label: 'labelSelector', fields: 'fieldSelector', max: 'limit' },
  normalize: normalizeKindArgs,
  async run(a, ctx) {
    const apiVersion = a.apiVersion!;
    const list = await k8s({ verb: 'list', resource: pluralOf(a.kind), group: groupOf(apiVersion), namespace: a.namespace }, () =>
      ctx.objects.list(apiVersion, a.kind, a.namespace, undefined, undefined, undefined, a.fieldSelector, a.labelSelector, a.limit),
    );
    const items = (list.items ?? []).map((i: KubernetesObject) => toPlain(i) as Record<string, unknown>);
    const scope = a.namespace ? `in namespace ${a.namespace}` : 'in all namespaces';
    const filters = [a.labelSelector && `labels ${a.labelSelector}`, a.fieldSelector && `fields ${a.fieldSelector}`].filter(Boolean).join(', ');
    const head = `${a.kind} (${apiVersion}) ${scope}${filters ? ` matching ${filters}` : ''}: ${items.length} shown`;
    const remaining = list.metadata?.remainingItemCount;
    const more = list.metadata?._continue
      ? `\n[more objects exist${remaining ? ` (${remaining} not shown)` : ''}; narrow the selectors or raise limit]`
      : '';
    const data = {
      apiVersion,
      kind: a.kind,
      ...(a.namespace ? { namespace: a.namespace } : {}),
      ...(a.labelSelector ? { labelSelector: a.labelSelector } : {}),
      ...(a.fieldSelector ? { fieldSelector: a.fieldSelector } : {}),
      items: [] as ListItem[],
      more: !!list.metadata?._continue,
      ...(remaining ? { remaining } : {}),
    };
    if (!items.length) return { text: `${head}\n<none>`, data };
    const withNamespace = !a.namespace && items.some((i) => (i.metadata as { namespace?: string } | undefined)?.namespace);
    const { headers, rows } = summarize(a.kind, items, ctx.now(), withNamespace);
    data.items = items.map((o, i) => listItem(a.kind, o, headers, rows[i]));
    return { text: `${head}\n${table(headers, rows)}${more}`, data };
  },
});


// list_resources: objects of any kind as the table kubectl shows, and each row as data.
import type { KubernetesObject, V1Node, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { ListResourcesOutput, type ListItem } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { isoOrUndefined, podSummary } from '../data.js';
import { k8s } from '../errors.js';
import { table, toPlain } from '../format.js';
import { groupOf, pluralOf } from '../kinds.js';
import { apiVersionArg, KIND_ALIASES, kindArg, normalizeKindArgs, optionalNamespace } from '../schemas.js';
import { summarize } from '../summaries.js';
import { nodeRoles, nodeStatus } from './describeNode.js';

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

export const listResources = defineTool({
  name: 'list_resources',
  title: 'List Kubernetes objects',
  description:
    'List objects of any kind as a table (name, namespace, age and the status columns kubectl shows for that kind, e.g. READY/STATUS/RESTARTS for pods). ' +
    'Filter with label and field selectors. Secret contents are not readable by design: kind Secret answers forbidden under the operator\'s ServiceAccount ' +
    '(with other credentials: type and key names only, never values); use describe_pod and get_events to see which Secrets a pod references and whether one is missing.',
  class: 'read',
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

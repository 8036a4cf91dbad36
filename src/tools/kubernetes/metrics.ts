// The metrics API (metrics.k8s.io, served by metrics-server), read by top_pods and top_nodes.
import type { ToolContext } from './context.js';
import { describeApiError, httpCode, ToolError } from './errors.js';

export const METRICS_NOT_INSTALLED = 'metrics API (metrics-server) is not installed in this cluster';

interface Usage {
  cpu?: string;
  memory?: string;
}
export interface PodMetrics {
  metadata: { name: string; namespace?: string };
  containers?: Array<{ name: string; usage?: Usage }>;
}
export interface NodeMetrics {
  metadata: { name: string };
  usage?: Usage;
}

export async function metrics<T>(ctx: ToolContext, plural: 'pods' | 'nodes', namespace?: string, labelSelector?: string): Promise<T[]> {
  const group = 'metrics.k8s.io';
  const version = 'v1beta1';
  try {
    const res = (namespace
      ? await ctx.custom.listNamespacedCustomObject({ group, version, namespace, plural, labelSelector })
      : await ctx.custom.listClusterCustomObject({ group, version, plural, labelSelector })) as { items?: T[] };
    return res.items ?? [];
  } catch (err) {
    const code = httpCode(err);
    if (code === 404) throw new ToolError(`${METRICS_NOT_INSTALLED} (no ${group} API); usage figures are not available — use describe_pod/describe_node for requests, limits and OOMKilled terminations instead`, 404);
    if (code === 503) throw new ToolError(`metrics API (metrics-server) is registered but not available (HTTP 503); usage figures cannot be read right now`, 503);
    throw new ToolError(describeApiError(err, { verb: 'list', resource: plural, group, namespace }), code);
  }
}

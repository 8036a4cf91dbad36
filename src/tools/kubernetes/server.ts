// The built-in Kubernetes tool server: an in-process MCP server whose tools act with the operator's
// own credentials. Every tool returns bounded text; failures come back as `isError: true` results.
import type { KubeConfig } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BUILTIN_TOOLS } from './classes.js';
import { makeContext, type ToolContext, type ToolDef } from './context.js';
import { describeApiError } from './errors.js';
import { scrubCredentials, truncateOutput } from './format.js';
import { describePod } from './read/describePod.js';
import { describeNode } from './read/describeNode.js';
import { describePvc } from './read/describePvc.js';
import { describeDaemonSet, describeDeployment, describeJob, describeStatefulSet } from './read/describeWorkloads.js';
import { getEvents } from './read/events.js';
import { getPodLogs } from './read/logs.js';
import { getResource, listResources } from './read/resources.js';
import { rolloutHistory, rolloutStatus } from './read/rollout.js';
import { topNodes, topPods } from './read/top.js';
import { cordonNode, uncordonNode } from './mutate/nodes.js';
import { deletePod } from './mutate/pods.js';
import { setResources } from './mutate/resources.js';
import { rollbackDeployment, rolloutRestart } from './mutate/rollout.js';
import { scale } from './mutate/scale.js';

export const SERVER_NAME = 'kubernetes';
export const DEFAULT_MAX_OUTPUT_BYTES = 16000;

export const TOOL_DEFS: readonly ToolDef[] = [
  getResource,
  listResources,
  describePod,
  describeDeployment,
  describeStatefulSet,
  describeDaemonSet,
  describeNode,
  describePvc,
  describeJob,
  getEvents,
  getPodLogs,
  rolloutStatus,
  rolloutHistory,
  topPods,
  topNodes,
  rolloutRestart,
  scale,
  deletePod,
  cordonNode,
  uncordonNode,
  setResources,
  rollbackDeployment,
];

export interface KubernetesToolServerOptions {
  /** Upper bound of each tool result's text, in bytes (default 16000). */
  maxOutputBytes?: number;
  /** For tests: replaces the API clients / clock. */
  context?: Partial<ToolContext>;
}

/** Runs one tool: never throws, always bounded and scrubbed of credentials. */
export async function runTool(def: ToolDef, args: Record<string, unknown>, ctx: ToolContext, maxOutputBytes: number): Promise<CallToolResult> {
  let text: string;
  let isError = false;
  try {
    text = await def.run(args as never, ctx);
  } catch (err) {
    isError = true;
    text = describeApiError(err, { verb: BUILTIN_TOOLS[def.name] === 'read' ? 'get' : 'patch', resource: 'resources' });
  }
  const out = truncateOutput(scrubCredentials(text), maxOutputBytes);
  return isError ? { content: [{ type: 'text', text: out }], isError: true } : { content: [{ type: 'text', text: out }] };
}

export function createKubernetesToolServer(kc: KubeConfig, opts: KubernetesToolServerOptions = {}): McpServer {
  const maxOutputBytes = Math.max(256, opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  const ctx: ToolContext = { ...makeContext(kc), ...opts.context };
  const server = new McpServer(
    { name: SERVER_NAME, version: '0.1.0' },
    {
      instructions:
        "Kubernetes tools acting with the Alert Agent operator's own ServiceAccount. Read tools (get_*, list_*, describe_*, rollout_status/history, top_*) never change anything; " +
        'the other tools change the cluster and report exactly what changed. Secret values are never returned.',
    },
  );
  for (const def of TOOL_DEFS) {
    const cls = BUILTIN_TOOLS[def.name];
    if (!cls) throw new Error(`built-in tool ${def.name} is missing from BUILTIN_TOOLS`);
    const read = cls === 'read';
    server.registerTool(
      def.name,
      {
        title: def.title,
        description: def.description,
        inputSchema: def.inputSchema,
        annotations: {
          title: def.title,
          readOnlyHint: read,
          destructiveHint: read ? false : (def.destructive ?? true),
          idempotentHint: read ? true : (def.idempotent ?? false),
          openWorldHint: false,
        },
      },
      async (args: Record<string, unknown>) => runTool(def, args, ctx, maxOutputBytes),
    );
  }
  return server;
}

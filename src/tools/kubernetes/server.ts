// The built-in Kubernetes tool server: an in-process MCP server whose tools act with the operator's
// own credentials. Every tool returns bounded text and the same finding as structured data
// (`structuredContent`, with an `outputSchema` per tool); failures come back as `isError: true` results.
// The tools are the modules listed in TOOL_DEFS (read/*.ts, mutate/*.ts): each declares its arguments,
// result schema, class and scope, and BUILTIN_TOOLS / CLUSTER_SCOPED_TOOLS are read off them. It is served
// to ToolManager, whose call() redacts its results like those of every other server.
//
// It answers tools/list and tools/call itself rather than through McpServer.registerTool: the SDK checks
// arguments against the schema before a handler runs, drops unknown ones without a word and answers a
// mistake with a generic message. Here arguments are read tolerantly first (args.ts: kinds in any
// spelling, names in any case, numbers sent as strings), unknown ones are dropped with a note in the
// result, and a call that still cannot run is told what to send instead (the valid values and an example).
import type { KubeConfig } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { STEP_META } from '../../contracts/investigation.js';
import { redact } from '../../redaction/redact.js';
import { prepareArgs } from './args.js';
import { makeContext, type PrometheusSource, type ToolContext, type ToolDef } from './context.js';
import { describeApiError } from './errors.js';
import { suspendBeforeWrite } from './dryRun.js';
import { fitData, truncateOutput } from './format.js';
import { getResource } from './read/getResource.js';
import { listResources } from './read/listResources.js';
import { describePod } from './read/describePod.js';
import { describeDeployment } from './read/describeDeployment.js';
import { describeStatefulSet } from './read/describeStatefulSet.js';
import { describeDaemonSet } from './read/describeDaemonSet.js';
import { describeNode } from './read/describeNode.js';
import { describePvc } from './read/describePvc.js';
import { describeJob } from './read/describeJob.js';
import { getEvents } from './read/getEvents.js';
import { getPodLogs } from './read/getPodLogs.js';
import { rolloutStatus } from './read/rolloutStatus.js';
import { rolloutHistory } from './read/rolloutHistory.js';
import { topPods } from './read/topPods.js';
import { topNodes } from './read/topNodes.js';
import { recentChanges } from './read/recentChanges.js';
import { queryPrometheus } from './read/queryPrometheus.js';
import { rolloutRestart } from './mutate/rolloutRestart.js';
import { scale } from './mutate/scale.js';
import { deletePod } from './mutate/deletePod.js';
import { cordonNode } from './mutate/cordonNode.js';
import { uncordonNode } from './mutate/uncordonNode.js';
import { setResources } from './mutate/setResources.js';
import { rollbackDeployment } from './mutate/rollbackDeployment.js';
import { renewCertificate } from './mutate/renewCertificate.js';
import { expandPvc } from './mutate/expandPvc.js';
import { setProbeTiming } from './mutate/setProbeTiming.js';
import { setHpaMaxReplicas } from './mutate/setHpaMaxReplicas.js';
import { setQuotaHard } from './mutate/setQuotaHard.js';

export const SERVER_NAME = 'kubernetes';
export const DEFAULT_MAX_OUTPUT_BYTES = 16000;

/** The built-in tools, one module each (read/*.ts, mutate/*.ts), in the order tools/list offers them. */
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
  recentChanges,
  queryPrometheus,
  rolloutRestart,
  scale,
  deletePod,
  cordonNode,
  uncordonNode,
  setResources,
  rollbackDeployment,
  renewCertificate,
  expandPvc,
  setProbeTiming,
  setHpaMaxReplicas,
  setQuotaHard,
];

/**
 * Each built-in tool's class, by name: the built-in list the policy classifies these tools by (ToolManager,
 * src/tools/classify.ts), not by the MCP annotations, which are hints.
 */
export const BUILTIN_TOOLS: Record<string, 'read' | 'mutating'> = Object.fromEntries(TOOL_DEFS.map((d) => [d.name, d.class]));

/** Built-in mutating tools that change cluster-scoped objects, judged by their own allow-list. */
export const CLUSTER_SCOPED_TOOLS: ReadonlySet<string> = new Set(TOOL_DEFS.filter((d) => d.scope === 'cluster').map((d) => d.name));

export interface KubernetesToolServerOptions {
  /** Upper bound of each tool result's text, in bytes (default 16000). */
  maxOutputBytes?: number;
  /**
   * Upper bound of each tool result's structured data as JSON, in bytes (default a quarter of
   * maxOutputBytes): lists are shortened and long strings clipped to fit, marked `truncated`.
   */
  maxDataBytes?: number;
  /** The Prometheus that query_prometheus asks (PROMETHEUS_URL); without it that tool is not offered. */
  prometheus?: PrometheusSource;
  /** For tests: replaces the API clients / clock. */
  context?: Partial<ToolContext>;
}

/** The tools a server offers: query_prometheus only where a Prometheus is configured. */
export function offeredTools(ctx: Pick<ToolContext, 'prometheus'>): readonly ToolDef[] {
  return TOOL_DEFS.filter((d) => d.name !== queryPrometheus.name || !!ctx.prometheus);
}

export interface RunLimits {
  maxOutputBytes: number;
  maxDataBytes: number;
}

const noteLines = (notes: string[]) => notes.map((n) => `[note: ${n}]`).join('\n');

// What this server cuts to its bounds it redacts first (with the pass ToolManager.call() runs over every
// result): a secret cut in half is no longer recognisable, and secrets would spend the budget of what is
// kept. What fits goes out as it is and is redacted in ToolManager.call(), once.
function cutText(text: string, maxBytes: number): string {
  return Buffer.byteLength(text) <= maxBytes ? text : truncateOutput(redact(text), maxBytes);
}

function fitResult(data: Record<string, unknown>, maxBytes: number): { data: Record<string, unknown>; cut: boolean } {
  return Buffer.byteLength(JSON.stringify(data)) <= maxBytes ? { data, cut: false } : fitData(redact(data) as Record<string, unknown>, maxBytes);
}

/**
 * Runs one tool with the arguments as a caller sent them: never throws, always bounded. Redaction is
 * ToolManager.call()'s, over every result of every server (what is cut here is redacted before the cut).
 */
export async function runTool(def: ToolDef, rawArgs: unknown, ctx: ToolContext, limits: number | RunLimits, step?: string): Promise<CallToolResult> {
  const { maxOutputBytes, maxDataBytes } = typeof limits === 'number' ? { maxOutputBytes: limits, maxDataBytes: Math.floor(limits / 4) } : limits;
  const error = (text: string): CallToolResult => ({ content: [{ type: 'text', text: cutText(text, maxOutputBytes) }], isError: true });
  const prepared = prepareArgs(def, rawArgs);
  if ('error' in prepared) return error(prepared.error);
  const { args, notes } = prepared;
  let out: Awaited<ReturnType<ToolDef['run']>>;
  // GITOPS_MANAGED_WRITES=suspend: the GitOps manager of what the tool writes is suspended first (dryRun.ts).
  let suspended: Awaited<ReturnType<typeof suspendBeforeWrite>> = { notes: [] };
  try {
    suspended = await suspendBeforeWrite(def, args, ctx, step ?? 'alert-agent (no incident named)');
    notes.push(...suspended.notes);
    out = await def.run(args as never, ctx);
  } catch (err) {
    // A write that failed after the suspension: the manager syncs again at once (nothing to keep from it).
    await suspended.resume?.().catch(() => undefined);
    const text = describeApiError(err, { verb: def.class === 'read' ? 'get' : 'patch', resource: 'resources' });
    return error(notes.length ? `${text}\n${noteLines(notes)}` : text);
  }
  // Notes first, so that a cut never hides them from the caller.
  const head = notes.length ? `${noteLines(notes)}\n` : '';
  const text = head + cutText(out.text, Math.max(64, maxOutputBytes - Buffer.byteLength(head)));
  const allNotes = [...notes, ...(Array.isArray(out.data.notes) ? (out.data.notes as string[]) : [])];
  const fitted = fitResult({ ...out.data, ...(allNotes.length ? { notes: allNotes } : {}) }, maxDataBytes);
  const data = fitted.cut ? { ...fitted.data, truncated: true } : fitted.data;
  const valid = outputParser(def).safeParse(data);
  if (!valid.success) {
    // A bug of ours, not the caller's: say so rather than send data that contradicts the published schema.
    return error(`internal error: the structured result of ${def.name} does not match its output schema (${valid.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})\n${text}`);
  }
  return { content: [{ type: 'text', text }], structuredContent: data };
}

const parsers = new WeakMap<ToolDef, z.ZodTypeAny>();
function outputParser(def: ToolDef): z.ZodTypeAny {
  let p = parsers.get(def);
  if (!p) parsers.set(def, (p = z.object(def.outputSchema)));
  return p;
}

/** The tool as tools/list publishes it. */
function toolListing(def: ToolDef): Tool {
  const read = def.class === 'read';
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: toJsonSchemaCompat(z.object(def.inputSchema), { strictUnions: true, pipeStrategy: 'input' }) as Tool['inputSchema'],
    outputSchema: toJsonSchemaCompat(z.object(def.outputSchema), { strictUnions: true, pipeStrategy: 'output' }) as Tool['outputSchema'],
    annotations: {
      title: def.title,
      readOnlyHint: read,
      destructiveHint: read ? false : (def.destructive ?? true),
      idempotentHint: read ? true : (def.idempotent ?? false),
      openWorldHint: false,
    },
  };
}

export function createKubernetesToolServer(kc: KubeConfig, opts: KubernetesToolServerOptions = {}): McpServer {
  const maxOutputBytes = Math.max(256, opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  const limits: RunLimits = { maxOutputBytes, maxDataBytes: Math.max(256, opts.maxDataBytes ?? Math.floor(maxOutputBytes / 4)) };
  const ctx: ToolContext = { ...makeContext(kc), ...(opts.prometheus ? { prometheus: opts.prometheus } : {}), ...opts.context };
  const server = new McpServer(
    { name: SERVER_NAME, version: '0.1.0' },
    {
      capabilities: { tools: {} },
      instructions:
        "Kubernetes tools acting with the Alert Agent operator's own ServiceAccount. Read tools (get_*, list_*, describe_*, rollout_status/history, top_*, recent_changes, query_prometheus) never change anything; " +
        'the other tools change the cluster and report exactly what changed. Kinds may be given as kubectl accepts them (po, deploy, sts, svc, pvc, no, ...). ' +
        'Secret contents are not readable by design (no access to Secrets): ' +
        'a missing Secret shows in the pod\'s events and spec (describe_pod).',
    },
  );
  const defs = offeredTools(ctx);
  const byName = new Map(defs.map((d) => [d.name, d]));
  const listing = defs.map(toolListing);
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const def = byName.get(req.params.name);
    if (!def) {
      return { content: [{ type: 'text', text: `unknown tool ${req.params.name}; the tools are: ${defs.map((d) => d.name).join(', ')}` }], isError: true };
    }
    const step = req.params._meta?.[STEP_META];
    return runTool(def, req.params.arguments, ctx, limits, typeof step === 'string' ? step : undefined);
  });
  return server;
}

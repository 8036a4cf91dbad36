// Is a tool read-only or mutating? In order: the config's override, our own lists (the built-in
// server, and the common Kubernetes MCP servers from npm), the server's MCP annotations only if the
// config trusts that server, and otherwise mutating. Annotations are the server author's hints, and
// third-party "read-only" modes still allow apply, patch or exec, so by default they decide nothing.

export type ToolClass = 'read' | 'mutating';

/** Read-only tools of well-known third-party servers, by tool name (anything not listed is mutating). */
export const KNOWN_READ_TOOLS: ReadonlySet<string> = new Set([
  // mcp-server-kubernetes (Flux159)
  'kubectl_get', 'kubectl_describe', 'kubectl_logs', 'kubectl_context', 'kubectl_explain', 'explain_resource',
  'list_api_resources', 'ping', 'kubectl_api_resources',
  // kubernetes-mcp-server (containers/manusa)
  'pods_list', 'pods_list_in_namespace', 'pods_get', 'pods_log', 'pods_top', 'events_list', 'namespaces_list',
  'resources_list', 'resources_get', 'nodes_top', 'nodes_log', 'nodes_stats_summary', 'helm_list', 'projects_list',
]);

export interface ClassifyInput {
  tool: string;
  override?: ToolClass;
  builtin?: ToolClass;
  trusted: boolean;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export function classifyTool(i: ClassifyInput): { class: ToolClass; by: string } {
  if (i.override) return { class: i.override, by: 'servers_config.json' };
  if (i.builtin) return { class: i.builtin, by: 'built-in tool list' };
  if (KNOWN_READ_TOOLS.has(i.tool)) return { class: 'read', by: 'known read-only tool' };
  if (i.trusted && i.annotations?.readOnlyHint === true) return { class: 'read', by: 'trusted server annotation readOnlyHint' };
  return { class: 'mutating', by: 'default: not known to be read-only' };
}

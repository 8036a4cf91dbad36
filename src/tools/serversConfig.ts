// servers_config.json: the common MCP client format, plus optional keys of ours per server: `preset`
// (which well-known server this is, so its known read-only tools count as such), `trusted` (believe
// its readOnlyHint annotations) and `tools` (classify tools by name).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PRESETS, type Preset } from './classify.js';

const ToolClassOverrides = z.record(z.enum(['read', 'mutating'])).optional();
const PresetName = z
  .string()
  .refine((s): s is Preset => (PRESETS as string[]).includes(s), { message: `preset must be one of: ${PRESETS.join(', ')}` })
  .optional();

const StdioServer = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string()).optional(),
  cwd: z.string().optional(),
  preset: PresetName,
  trusted: z.boolean().default(false),
  tools: ToolClassOverrides,
  disabled: z.boolean().optional(),
});
const HttpServer = z.object({
  url: z.string().url(),
  headers: z.record(z.string()).optional(),
  preset: PresetName,
  trusted: z.boolean().default(false),
  tools: ToolClassOverrides,
  disabled: z.boolean().optional(),
});
export const ServerEntry = z.union([StdioServer, HttpServer]);
export type ServerEntry = z.infer<typeof ServerEntry>;
export type StdioServerEntry = z.infer<typeof StdioServer>;

const ServerName = z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/, 'server names are 1-32 letters, digits, _ or - (they prefix tool names)');
export const ServersConfig = z.object({
  mcpServers: z.record(ServerName, ServerEntry),
  /**
   * Many clusters: the MCP servers of each cluster other than the local one (whose servers are
   * `mcpServers`). An incident of cluster X is offered the built-in tools on X's credentials and these.
   */
  clusters: z.record(z.string(), z.object({ mcpServers: z.record(ServerName, ServerEntry).default({}) })).optional(),
});
export type ServersConfig = z.infer<typeof ServersConfig>;

export function loadServersConfig(path: string): ServersConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { mcpServers: {} };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ServersConfig.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Expands ${VAR} in env values and headers from the operator's environment, so secrets stay out of the file. */
export function expandEnv(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
}

const CLUSTER_VAR = '${CLUSTER}';

/**
 * The MCP servers of one cluster. `mcpServers` are the local cluster's, except an entry that says
 * `${CLUSTER}` somewhere (a URL, an argument, an env value, a header): that one is a template every
 * cluster gets, with its name in place (e.g. `"url": "http://mcp-${CLUSTER}.example/mcp"`). Another
 * cluster also gets its own `clusters.<name>.mcpServers`.
 */
export function clusterServersConfig(config: ServersConfig, cluster: string, local: boolean): ServersConfig {
  const templated = (e: ServerEntry) => JSON.stringify(e).includes(CLUSTER_VAR);
  // Replaced in the JSON text, the name escaped as a JSON string: whatever it holds, the entry stays one entry.
  const fill = (e: ServerEntry): ServerEntry => JSON.parse(JSON.stringify(e).replaceAll(CLUSTER_VAR, JSON.stringify(cluster).slice(1, -1))) as ServerEntry;
  const mcpServers: Record<string, ServerEntry> = {};
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    if (templated(entry)) mcpServers[name] = fill(entry);
    else if (local) mcpServers[name] = entry;
  }
  if (!local) Object.assign(mcpServers, config.clusters?.[cluster]?.mcpServers ?? {});
  return { mcpServers };
}

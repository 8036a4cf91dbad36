// The MCP client side: one connection per configured server (stdio or streamable HTTP) plus the built-in
// Kubernetes server over an in-memory transport. Lists their tools under `<server>__<tool>` names,
// classifies each, calls them with a timeout, and reconnects a server whose connection died.
// The stdio and streamable HTTP transports are imported when a configured server needs one (a few MB of
// memory, with their dependencies, that an operator with only the built-in server never uses).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { STEP_META, type ToolCallResult, type ToolCatalog, type ToolInfo } from '../contracts/investigation.js';
import { redact } from '../redaction/redact.js';
import { isolatedFetch } from './isolatedFetch.js';
import { classifyTool, identifyServer, type ToolClass } from './classify.js';
import { expandEnv, type ServerEntry, type ServersConfig } from './serversConfig.js';

export const NAME_SEPARATOR = '__';
const CONNECT_TIMEOUT_MS = 20_000;
const RECONNECT_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000];

export interface BuiltinServer {
  name: string;
  /** A fresh server per connection: an McpServer instance can be connected only once. */
  create: () => McpServer;
  classes: Record<string, ToolClass>;
  /** Its tools that change cluster-scoped objects. */
  clusterScoped?: ReadonlySet<string>;
}

interface Connection {
  name: string;
  entry?: ServerEntry;
  builtin?: BuiltinServer;
  client?: Client;
  tools: ToolInfo[];
  connecting?: Promise<void>;
  failures: number;
  nextAttemptAt: number;
  lastError?: string;
}

export class ToolManager implements ToolCatalog {
  private readonly conns = new Map<string, Connection>();
  private closing = false;

  constructor(
    config: ServersConfig,
    private readonly opts: { log: Logger; metrics?: Metrics; builtin?: BuiltinServer },
  ) {
    if (opts.builtin) this.conns.set(opts.builtin.name, { name: opts.builtin.name, builtin: opts.builtin, tools: [], failures: 0, nextAttemptAt: 0 });
    for (const [name, entry] of Object.entries(config.mcpServers)) {
      if (entry.disabled) continue;
      if (this.conns.has(name)) throw new Error(`servers_config.json: server name "${name}" is reserved for the built-in server`);
      this.conns.set(name, { name, entry, tools: [], failures: 0, nextAttemptAt: 0 });
    }
  }

  /** Connects every server; a server that fails is logged and tried again later, the others work. */
  async start(): Promise<void> {
    await Promise.all([...this.conns.values()].map((c) => this.ensure(c).catch(() => undefined)));
  }

  servers(): Array<{ name: string; connected: boolean; tools: number; lastError?: string }> {
    return [...this.conns.values()].map((c) => ({ name: c.name, connected: !!c.client, tools: c.tools.length, lastError: c.lastError }));
  }

  list(): ToolInfo[] {
    // A dead server's tools stay on offer: calling one reconnects it, or fails with a clear error.
    return [...this.conns.values()].flatMap((c) => c.tools);
  }

  find(name: string): ToolInfo | undefined {
    return this.list().find((t) => t.name === name);
  }

  async call(server: string, tool: string, args: Record<string, unknown>, opts: { timeoutMs: number; signal?: AbortSignal; step?: string }): Promise<ToolCallResult> {
    const started = performance.now();
    // The one redaction pass over tool results: whatever a server returned, built-in or external (its
    // text, its structured data, its error texts, and the errors of the call itself), leaves here through
    // redact(), before the engine stores it in the status, gives it to the LLM, or puts it in Events and logs.
    // Nothing before this point is relied on to have redacted.
    const done = (r: { ok: boolean; output?: string; error?: string; structured?: unknown }): ToolCallResult => {
      const durationMs = Math.round(performance.now() - started);
      this.opts.metrics?.toolCalls.inc({ server, tool, result: r.ok ? 'ok' : 'error' });
      this.opts.metrics?.toolDuration.observe({ server }, durationMs / 1000);
      const output = redact(r.output ?? '');
      // A tool's error line is cut from the redacted text, so that cutting never leaves half a secret unrecognised.
      const error = r.error !== undefined ? redact(r.error) : r.ok ? undefined : firstLine(output) || 'the tool reported an error';
      const result: ToolCallResult = { ok: r.ok, output, error, durationMs };
      // Structured data passes the same pass, by field names and value shapes, as the text.
      if (r.ok && r.structured && typeof r.structured === 'object' && !Array.isArray(r.structured)) result.structured = redact(r.structured) as Record<string, unknown>;
      return result;
    };
    const conn = this.conns.get(server);
    if (!conn) return done({ ok: false, error: `no MCP server named "${server}" is configured` });
    try {
      await this.ensure(conn, true);
    } catch (err) {
      return done({ ok: false, error: `MCP server "${server}" is not reachable: ${errorText(err)}` });
    }
    try {
      const res = await conn.client!.callTool({ name: tool, arguments: args, ...(opts.step && conn.builtin ? { _meta: { [STEP_META]: opts.step } } : {}) }, undefined, { timeout: opts.timeoutMs, signal: opts.signal });
      const output = contentText(res.content);
      return res.isError ? done({ ok: false, output }) : done({ ok: true, output, structured: res.structuredContent });
    } catch (err) {
      const msg = errorText(err);
      if (/timed out|timeout/i.test(msg)) return done({ ok: false, error: `the tool did not answer within ${opts.timeoutMs} ms` });
      // The connection may be gone (server crashed): drop it so the next call reconnects.
      if (/closed|not connected|EPIPE|ECONNRESET|ECONNREFUSED|fetch failed/i.test(msg)) this.drop(conn, msg);
      return done({ ok: false, error: `tool call failed: ${msg}` });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.conns.values()].map((c) => c.client?.close().catch(() => undefined)));
    for (const c of this.conns.values()) c.client = undefined;
  }

  private drop(conn: Connection, reason: string): void {
    const client = conn.client;
    conn.client = undefined;
    conn.lastError = reason;
    client?.close().catch(() => undefined);
    this.opts.log.warn('MCP server connection lost; it is reconnected on next use', { server: conn.name, reason });
  }

  private async ensure(conn: Connection, now = false): Promise<void> {
    if (conn.client) return;
    if (!conn.connecting) {
      if (!now && Date.now() < conn.nextAttemptAt) throw new Error(conn.lastError ?? 'waiting to reconnect');
      conn.connecting = this.connect(conn).finally(() => (conn.connecting = undefined));
    }
    return conn.connecting;
  }

  private async connect(conn: Connection): Promise<void> {
    const client = new Client({ name: 'alert-agent', version: '0.1.0' });
    try {
      const transport = await this.transport(conn);
      await withTimeout(client.connect(transport), CONNECT_TIMEOUT_MS, `connecting to MCP server "${conn.name}"`);
      client.onclose = () => {
        if (conn.client === client && !this.closing) this.drop(conn, 'connection closed');
      };
      const tools = [];
      let cursor: string | undefined;
      do {
        const page = await withTimeout(client.listTools(cursor ? { cursor } : undefined), CONNECT_TIMEOUT_MS, `listing tools of "${conn.name}"`);
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      conn.tools = tools.map((t) => this.toolInfo(conn, t));
      conn.client = client;
      conn.failures = 0;
      conn.lastError = undefined;
      this.opts.log.info('connected to MCP server', { server: conn.name, tools: conn.tools.length });
    } catch (err) {
      conn.failures++;
      conn.lastError = errorText(err);
      conn.nextAttemptAt = Date.now() + RECONNECT_BACKOFF_MS[Math.min(conn.failures - 1, RECONNECT_BACKOFF_MS.length - 1)];
      await client.close().catch(() => undefined);
      this.opts.log.warn('could not connect to MCP server', { server: conn.name, error: conn.lastError });
      throw err;
    }
  }

  private async transport(conn: Connection): Promise<Transport> {
    if (conn.builtin) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      void conn.builtin.create().connect(serverSide);
      return clientSide;
    }
    const entry = conn.entry!;
    if ('url' in entry) {
      const headers = Object.fromEntries(Object.entries(entry.headers ?? {}).map(([k, v]) => [k, expandEnv(v)]));
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      return new StreamableHTTPClientTransport(new URL(entry.url), { requestInit: { headers }, fetch: isolatedFetch });
    }
    const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    // The SDK passes a child only HOME, PATH and a few more: hand over how to reach the cluster explicitly.
    const inherited: Record<string, string> = {};
    for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_EXTRA_CA_CERTS']) {
      if (process.env[k]) inherited[k] = process.env[k]!;
    }
    const env = { ...getDefaultEnvironment(), ...inherited, ...Object.fromEntries(Object.entries(entry.env ?? {}).map(([k, v]) => [k, expandEnv(v)])) };
    const t = new StdioClientTransport({ command: entry.command, args: entry.args, env, cwd: entry.cwd, stderr: 'pipe' });
    t.stderr?.on('data', (chunk: Buffer) => this.opts.log.debug('MCP server stderr', { server: conn.name, line: chunk.toString().slice(0, 500) }));
    return t;
  }

  private toolInfo(conn: Connection, t: { name: string; description?: string; inputSchema: Record<string, unknown>; annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean } }): ToolInfo {
    const { class: cls, by } = classifyTool({
      tool: t.name,
      override: conn.entry?.tools?.[t.name],
      builtin: conn.builtin?.classes[t.name] ?? (conn.builtin ? 'mutating' : undefined),
      preset: conn.entry && (conn.entry.preset ?? ('command' in conn.entry ? identifyServer(conn.entry.command, conn.entry.args) : undefined)),
      trusted: conn.entry?.trusted ?? false,
      annotations: t.annotations,
    });
    return {
      name: `${conn.name}${NAME_SEPARATOR}${t.name}`.slice(0, 64),
      server: conn.name,
      tool: t.name,
      description: t.description ?? '',
      inputSchema: t.inputSchema,
      mutating: cls === 'mutating',
      ...(conn.builtin?.clusterScoped?.has(t.name) ? { scope: 'cluster' as const } : {}),
      classifiedBy: by,
    };
  }
}

/** The text of a tool result's content (not yet redacted: call() redacts it, and its structuredContent, with everything else). */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((c: { type?: string; text?: string; resource?: { text?: string; uri?: string } }) => {
      if (c.type === 'text') return c.text ?? '';
      if (c.type === 'resource') return c.resource?.text ?? `[resource ${c.resource?.uri ?? ''}]`;
      return `[${c.type ?? 'unknown'} content omitted]`;
    })
    .join('\n');
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0].slice(0, 500);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

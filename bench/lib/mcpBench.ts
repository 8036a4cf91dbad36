// A tiny MCP server (streamable HTTP, one session per client, in this process) for the operator to call as it calls
// any remote MCP server: `echo` answers at once with a line, `dump` with `bytes` bytes of log-like text.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export const SERVER = 'bench';

/** Log lines as a tool would return them (kubectl logs / events), `bytes` long. */
export function logText(bytes: number, seed = 0): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `2026-11-26T07:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String((i * 37 + seed) % 1000).padStart(3, '0')}Z ERROR checkout [req=${(i * 7919 + seed).toString(16)}] "POST /api/orders" failed: upstream payments-svc:8443 connect timeout after 5000ms (attempt ${(i % 5) + 1}/5)`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n').slice(0, bytes);
}

function build(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes its text.', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text}` }],
  }));
  server.registerTool(
    'dump',
    { description: 'Returns `bytes` bytes of container logs.', inputSchema: { bytes: z.number(), seed: z.number().optional() }, annotations: { readOnlyHint: true } },
    async ({ bytes, seed }) => ({ content: [{ type: 'text', text: logText(bytes, seed ?? 0) }] }),
  );
  return server;
}

export interface BenchMcp {
  url: string;
  /** A servers_config.json naming this server (its tools classified read-only). */
  serversConfigPath: string;
  calls: number;
  stop(): Promise<void>;
}

export async function startBenchMcp(): Promise<BenchMcp> {
  const state = { calls: 0 };
  // One server and transport per session (the operator opens one), built once: the tool stands for one
  // that answers at once, so what the benchmarks see is the operator's cost, not a server built per call.
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    if (body?.method === 'tools/call') state.calls++;
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: true, onsessioninitialized: (sid) => void sessions.set(sid, t) });
      t.onclose = () => void (t.sessionId && sessions.delete(t.sessionId));
      await build().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertagent-bench-'));
  const serversConfigPath = path.join(dir, 'servers_config.json');
  fs.writeFileSync(serversConfigPath, JSON.stringify({ mcpServers: { [SERVER]: { url, tools: { echo: 'read', dump: 'read' } } } }));
  return {
    url,
    serversConfigPath,
    get calls() {
      return state.calls;
    },
    async stop() {
      for (const t of sessions.values()) await t.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

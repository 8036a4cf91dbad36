// A tiny MCP server (streamable HTTP, one session per client, in a child process) for the operator to call as it calls
// any remote MCP server: `echo` answers at once with a line, `dump` with `bytes` bytes of log-like text.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { spawnNode } from './proc.js';

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
  stop(): Promise<void>;
}

/**
 * The server in a process of its own, as an MCP server runs beside the operator: its CPU is not the
 * operator's, and the operator's event loop does not wait for it (in one process, an echo at 5 calls in
 * flight took 12 ms at the median, mostly the SDK's server side; the operator's own share is what we measure).
 */
export async function startBenchMcp(): Promise<BenchMcp> {
  const child = spawnNode([fileURLToPath(import.meta.url), '--serve'], {}, { tsx: true });
  const { url } = (await child.announced) as { url: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alertagent-bench-'));
  const serversConfigPath = path.join(dir, 'servers_config.json');
  fs.writeFileSync(serversConfigPath, JSON.stringify({ mcpServers: { [SERVER]: { url, tools: { echo: 'read', dump: 'read' } } } }));
  return {
    url,
    serversConfigPath,
    async stop() {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function serve(): Promise<void> {
  // One server and transport per session (the operator opens one), built once: the tool stands for one
  // that answers at once, so what the benchmarks see is the operator's cost, not a server built per call.
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
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
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp` })}\n`);
  // gone with the benchmark: its stdin closes when the parent exits
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) await serve();

// A recording proxy in front of a real OpenAI-compatible endpoint (the `model` investigator): every
// request body the operator sends and the usage each answer reports, so that a real model's run is held
// to the same checks as the scripted ones: no planted secret in any prompt, and no call started once the
// incident's token budget was spent. It forwards as it gets (method, path, headers, body), on loopback.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  body: any;
  /** the endpoint's answer (its first choice's message), for EVAL_DUMP_REQUESTS */
  reply?: unknown;
  status: number;
  /** usage as the endpoint reported it (prompt + completion tokens), 0 when it did not */
  tokens: number;
  ms: number;
}

export interface RecordingProxy {
  /** http://127.0.0.1:PORT/v1 (or whatever path the target has) */
  baseURL: string;
  calls: RecordedCall[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(targetBaseURL: string): Promise<RecordingProxy> {
  const target = new URL(targetBaseURL.replace(/\/+$/, ''));
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const t0 = Date.now();
      // The operator's client adds the target's path after our own base path.
      const url = new URL(target.toString());
      url.pathname = target.pathname.replace(/\/+$/, '') + (req.url ?? '/').replace(/^\/v1(?=\/|$)/, '').replace(/^(?!\/)/, '/');
      url.search = new URL(req.url ?? '/', 'http://x').search;
      let body: any;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = raw.toString('utf8');
      }
      const record: RecordedCall | undefined = req.method === 'POST' ? { body, status: 0, tokens: 0, ms: 0 } : undefined;
      if (record) calls.push(record);
      try {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        const upstream = await fetch(url, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : raw });
        const text = await upstream.text();
        if (record) {
          record.status = upstream.status;
          record.ms = Date.now() - t0;
          try {
            const answer = JSON.parse(text);
            record.reply = answer?.choices?.[0]?.message;
            const u = answer?.usage;
            record.tokens = (Number(u?.prompt_tokens) || 0) + (Number(u?.completion_tokens) || 0);
          } catch {
            // not JSON: the operator's client says so itself
          }
        }
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch (err) {
        if (record) record.status = 502;
        res.writeHead(502, { 'content-type': 'application/json' });
        const cause = (err as { cause?: Error }).cause;
        res.end(JSON.stringify({ error: { message: `recording proxy: ${(err as Error).message}${cause ? ` (${cause.message})` : ""}`, type: "proxy_error" } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

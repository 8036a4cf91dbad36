/**
 * A scripted, OpenAI-compatible chat-completions server (node:http) for tests.
 *
 *   const llm = await startScriptedLlm();
 *   llm.script([{ toolCalls: [{ name: 'get_pod', arguments: { name: 'x' } }] }, { content: 'done' }]);
 *   new OpenAI({ baseURL: llm.baseURL, apiKey: 'test' })
 *
 * Serves POST /v1/chat/completions (non-streaming) and GET /v1/models. When nothing is scripted it
 * answers HTTP 500 "scripted LLM: no reply scripted" so a test that makes an unexpected call fails loudly.
 */
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface ToolCallReply {
  name: string;
  /** a JSON string, or an object that is JSON.stringify-ed */
  arguments: string | object;
  id?: string;
}

export interface MessageReply {
  content?: string;
  toolCalls?: ToolCallReply[];
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface FaultReply {
  /** http500/http429: OpenAI-style error JSON; malformed: status 200 with an invalid JSON body */
  fault: 'http500' | 'http429' | 'malformed';
  /** sets the Retry-After header (seconds) */
  retryAfterSeconds?: number;
}

export interface DelayedReply {
  delayMs: number;
  then: Reply;
}

export type Reply = MessageReply | FaultReply | DelayedReply;

export interface ScriptedLlm {
  /** http://127.0.0.1:port/v1 */
  baseURL: string;
  /** every chat.completions request body received, in order */
  requests: Array<{ body: any }>;
  /** append replies to the FIFO */
  script(replies: Reply[]): void;
  /** alternative to the FIFO: compute each reply (index = 0-based request number) */
  setResponder(fn: ((body: any, index: number) => Reply | Promise<Reply>) | null): void;
  /** replies still queued */
  pending(): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function estimateTokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

function openAiError(res: http.ServerResponse, status: number, message: string, type: string, code: string | null, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

export async function startScriptedLlm(opts: { model?: string } = {}): Promise<ScriptedLlm> {
  const model = opts.model ?? 'scripted-model';
  const queue: Reply[] = [];
  const requests: Array<{ body: any }> = [];
  let responder: ((body: any, index: number) => Reply | Promise<Reply>) | null = null;

  async function reply(res: http.ServerResponse, r: Reply, body: any, rawBody: string): Promise<void> {
    if ('delayMs' in r) {
      await sleep(r.delayMs);
      return reply(res, r.then, body, rawBody);
    }
    if ('fault' in r) {
      const headers: Record<string, string> = {};
      if (r.retryAfterSeconds !== undefined) headers['Retry-After'] = String(r.retryAfterSeconds);
      if (r.fault === 'http500') return openAiError(res, 500, 'scripted LLM: injected server error', 'server_error', null, headers);
      if (r.fault === 'http429') return openAiError(res, 429, 'scripted LLM: rate limit reached', 'rate_limit_exceeded', 'rate_limit_exceeded', headers);
      const bad = '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [ {"index": 0, "message": ';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(bad), ...headers });
      res.end(bad);
      return;
    }
    const toolCalls = (r.toolCalls ?? []).map((tc) => ({
      id: tc.id ?? `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      type: 'function' as const,
      function: { name: tc.name, arguments: typeof tc.arguments === 'string' ? tc.arguments : JSON.stringify(tc.arguments) },
    }));
    const content = r.content ?? null;
    const message: Record<string, unknown> = { role: 'assistant', content, refusal: null };
    if (toolCalls.length) message.tool_calls = toolCalls;
    const promptTokens = r.usage?.prompt_tokens ?? estimateTokens(rawBody);
    const completionTokens = r.usage?.completion_tokens ?? estimateTokens((content ?? '') + JSON.stringify(toolCalls));
    sendJson(res, 200, {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: typeof body?.model === 'string' ? body.model : model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: null,
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const p = url.pathname.replace(/\/+$/, '');
        try {
          if (req.method === 'GET' && (p === '/v1/models' || p === '/models')) {
            return sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'scripted' }] });
          }
          if (req.method === 'POST' && (p === '/v1/chat/completions' || p === '/chat/completions')) {
            const raw = Buffer.concat(chunks).toString('utf8');
            let body: any;
            try {
              body = JSON.parse(raw);
            } catch {
              return openAiError(res, 400, 'scripted LLM: request body is not JSON', 'invalid_request_error', null);
            }
            const index = requests.length;
            requests.push({ body });
            if (body?.stream === true) {
              return openAiError(res, 400, 'scripted LLM: streaming is not supported', 'invalid_request_error', null);
            }
            let r: Reply | undefined;
            if (responder) r = await responder(body, index);
            else r = queue.shift();
            if (!r) return openAiError(res, 500, 'scripted LLM: no reply scripted', 'server_error', 'no_reply_scripted');
            return await reply(res, r, body, raw);
          }
          openAiError(res, 404, `scripted LLM: unknown route ${req.method} ${url.pathname}`, 'invalid_request_error', null);
        } catch (e) {
          if (!res.headersSent) openAiError(res, 500, `scripted LLM: responder threw: ${String(e)}`, 'server_error', null);
          else res.destroy();
        }
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script(replies) {
      queue.push(...replies);
    },
    setResponder(fn) {
      responder = fn;
    },
    pending: () => queue.length,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

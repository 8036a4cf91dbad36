// An OpenAI-compatible chat-completions client (any provider by base URL). It knows nothing of
// Kubernetes: messages and tool definitions in, one assistant message and its token usage out.
// Retries of 408/409/429/5xx and timeouts (with backoff, honouring Retry-After) are the openai package's
// own; what is left after them is classed here as worth retrying later, or not.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletion, ChatCompletionMessage, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

export type { ChatCompletionMessage, ChatCompletionMessageParam, ChatCompletionTool };

export interface LlmOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  callsPerMinute: number;
  temperature?: number;
  onCall?: (result: 'ok' | 'error', seconds: number, usage?: LlmUsage) => void;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/** The provider could not answer now (rate limit, 5xx, timeout, connection): try again later. */
export class LlmUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
/** The provider refused the request itself (bad key, unknown model, 400): retrying will not help. */
export class LlmRequestError extends Error {}
/** The provider answered, but not with a usable chat completion (malformed JSON, no choices). */
export class LlmGarbageError extends Error {}

export class LlmClient {
  private readonly client: OpenAI;
  private readonly calls: number[] = [];

  constructor(private readonly opts: LlmOptions) {
    this.client = new OpenAI({
      // Local OpenAI-compatible servers need no key, but the package insists on one.
      apiKey: opts.apiKey || 'not-needed',
      baseURL: opts.baseURL,
      timeout: opts.timeoutMs,
      maxRetries: opts.maxRetries,
    });
  }

  get model(): string {
    return this.opts.model;
  }

  async chat(
    messages: ChatCompletionMessageParam[],
    tools?: ChatCompletionTool[],
  ): Promise<{ message: ChatCompletionMessage; usage: LlmUsage }> {
    await this.rateLimit();
    const started = performance.now();
    try {
      // The raw response, parsed here: a 200 whose body is not a chat completion is the model's
      // provider misbehaving, and gets its own error rather than a parser's exception.
      const response = await this.client.chat.completions
        .create({
          model: this.opts.model,
          messages,
          ...(tools?.length ? { tools, tool_choice: 'auto' as const, parallel_tool_calls: false } : {}),
          ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
        })
        .asResponse();
      const text = await response.text();
      let res: ChatCompletion;
      try {
        res = JSON.parse(text);
      } catch (err) {
        throw new LlmGarbageError(`the LLM's answer is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
      }
      const message = res?.choices?.[0]?.message;
      if (!message || typeof message !== 'object') throw new LlmGarbageError('the LLM answered without a message (no choices[0].message)');
      const usage = {
        promptTokens: res.usage?.prompt_tokens ?? estimateTokens(JSON.stringify(messages)),
        completionTokens: res.usage?.completion_tokens ?? estimateTokens(JSON.stringify(message)),
      };
      this.opts.onCall?.('ok', (performance.now() - started) / 1000, usage);
      return { message, usage };
    } catch (err) {
      this.opts.onCall?.('error', (performance.now() - started) / 1000);
      const timedOut = performance.now() - started >= this.opts.timeoutMs;
      throw classify(err, timedOut ? this.opts.timeoutMs : undefined);
    }
  }

  /** At most callsPerMinute calls in any 60 s window, across all incidents (a provider's quota is per key). */
  private async rateLimit(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.calls.length && now - this.calls[0] >= 60_000) this.calls.shift();
      if (this.calls.length < this.opts.callsPerMinute) {
        this.calls.push(now);
        return;
      }
      await new Promise((r) => setTimeout(r, 60_000 - (now - this.calls[0]) + 5));
    }
  }
}

function classify(err: unknown, timedOutAfterMs?: number): Error {
  if (err instanceof LlmGarbageError) return err;
  if (err instanceof APIConnectionTimeoutError || (err instanceof APIConnectionError && timedOutAfterMs)) {
    return new LlmUnavailableError(`LLM timed out: no answer within ${timedOutAfterMs ?? 'the timeout of'} ms`);
  }
  if (err instanceof APIConnectionError) return new LlmUnavailableError(`LLM unreachable: ${err.message}`);
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const detail = `${status} ${err.message}`.slice(0, 500);
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const retryAfter = Number(err.headers?.get?.('retry-after'));
      return new LlmUnavailableError(`LLM unavailable: ${detail}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    return new LlmRequestError(`LLM refused the request: ${detail}`);
  }
  // A 200 whose body is not JSON surfaces as a SyntaxError from the response parser.
  // (by name: fetch's JSON parser may throw another realm's SyntaxError)
  if (err instanceof Error && err.name === 'SyntaxError') return new LlmGarbageError(`the LLM's answer is not valid JSON: ${err.message.slice(0, 200)}`);
  return new LlmUnavailableError(`LLM call failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** A rough count (4 characters a token) for budgeting prompts before they are sent. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

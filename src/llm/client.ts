// An OpenAI-compatible chat-completions client (any provider by base URL). It knows nothing of
// Kubernetes: messages and tool definitions in, one assistant message and its token usage out.
// Retries of 408/409/429/5xx and timeouts (with backoff, honouring Retry-After) are the openai package's
// own; what is left after them is classed here as worth retrying later, or not.
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessage, ChatCompletionMessageParam, ChatCompletionTool, ChatCompletionToolChoiceOption } from 'openai/resources/chat/completions';

export type { ChatCompletionMessage, ChatCompletionMessageParam, ChatCompletionTool };

export interface LlmOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  callsPerMinute: number;
  temperature?: number;
  /**
   * How a reply that offers tools is asked for. `required`: a tool call, every time (the investigation
   * needs one per reply; servers that honour it constrain the model to one, llama.cpp's through a
   * grammar). Where the endpoint refuses it, "required" is emulated with a named tool_choice (see
   * completeEmulated), and where that is refused too, `auto` is used. `auto`: the model chooses between
   * a tool call and text.
   */
  toolChoice?: 'auto' | 'required';
  /** Upper bound of each reply's tokens (`max_tokens`), so that a small model that rambles stops. */
  maxCompletionTokens?: number;
  onCall?: (result: 'ok' | 'error', seconds: number, usage?: LlmUsage) => void;
  /** Told once when the endpoint refuses tool_choice "required" and it is emulated, or "auto" is used instead. */
  onNotice?: (message: string) => void;
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
    /** The HTTP status, when the provider answered with one. */
    readonly status?: number,
  ) {
    super(message);
  }
}
/** The provider refused the request itself (bad key, unknown model, 400): retrying will not help. */
export class LlmRequestError extends Error {}
/** The provider answered, but not with a usable chat completion (malformed JSON, no choices). */
export class LlmGarbageError extends Error {}

/**
 * The openai package, imported on the first call: about 10 MB of memory that an operator with the
 * rule-based analyzer never needs, while this module is loaded with the investigation engine in any case.
 */
let sdk: typeof import('openai') | undefined;

export class LlmClient {
  private client?: OpenAI;
  private readonly calls: number[] = [];

  constructor(private readonly opts: LlmOptions) {}

  private async openai(): Promise<OpenAI> {
    sdk ??= await import('openai');
    this.client ??= new sdk.default({
      // Local OpenAI-compatible servers need no key, but the package insists on one.
      apiKey: this.opts.apiKey || 'not-needed',
      baseURL: this.opts.baseURL,
      timeout: this.opts.timeoutMs,
      maxRetries: this.opts.maxRetries,
    });
    return this.client;
  }

  get model(): string {
    return this.opts.model;
  }

  /**
   * How a decision is asked for, once the endpoint has answered the first one: `required` (natively),
   * `emulated` (one function that wraps every tool, forced by name: see below), or `auto`.
   */
  get toolChoice(): 'auto' | 'required' | 'emulated' | 'unknown' {
    if ((this.opts.toolChoice ?? 'auto') === 'auto') return 'auto';
    return this.learned ?? 'unknown';
  }

  async chat(
    messages: ChatCompletionMessageParam[],
    tools?: ChatCompletionTool[],
  ): Promise<{ message: ChatCompletionMessage; usage: LlmUsage }> {
    await this.rateLimit();
    if (!tools?.length || this.opts.toolChoice !== 'required') return this.complete(messages, tools, 'auto');
    switch (this.learned) {
      case 'required':
        return this.complete(messages, tools, 'required');
      case 'emulated':
        return this.completeEmulated(messages, tools);
      case 'auto':
        return this.complete(messages, tools, 'auto');
    }
    // The first decision finds out what the endpoint honours, each probe without the client's retries
    // (a server that does not know an option fails at once: llama-cpp-python's chatml-function-calling
    // answers "required" with a 500, others with a 400).
    let refusal: Error;
    try {
      const reply = await this.complete(messages, tools, 'required', 0);
      this.learned = 'required';
      return reply;
    } catch (err) {
      if (!refused(err)) throw err;
      refusal = err as Error;
    }
    try {
      const reply = await this.completeEmulated(messages, tools, 0);
      this.learned = 'emulated';
      this.opts.onNotice?.(
        `the LLM endpoint refused tool_choice "required" (${refusal.message.slice(0, 200)}); a tool call is asked for as one function that wraps every tool, named in tool_choice`,
      );
      return reply;
    } catch (err) {
      if (!refused(err)) throw err;
    }
    const reply = await this.complete(messages, tools, 'auto');
    this.learned = 'auto';
    this.opts.onNotice?.(`the LLM endpoint refused tool_choice "required" and a named tool_choice (${refusal.message.slice(0, 200)}); asking with "auto"`);
    return reply;
  }

  private learned?: 'required' | 'emulated' | 'auto';

  /**
   * "required" where the endpoint does not take it: one function, `call_tool`, whose arguments are
   * `{"name": <a tool>, "arguments": <its arguments>}` (one schema branch per tool), forced by a named
   * tool_choice, which every OpenAI-compatible server we know honours; a server that turns schemas into
   * grammars (llama.cpp) then lets the model write nothing but a valid call. Earlier calls in the
   * transcript are shown the same way, and the reply is unwrapped into an ordinary tool call.
   */
  private async completeEmulated(messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[], maxRetries?: number): Promise<{ message: ChatCompletionMessage; usage: LlmUsage }> {
    const names = new Set(tools.flatMap((t) => (t.type === 'function' ? [t.function.name] : [])));
    let meta = WRAPPER_TOOL;
    while (names.has(meta)) meta += '_';
    const wrapper: ChatCompletionTool = {
      type: 'function',
      function: {
        name: meta,
        description: `Call exactly one tool: "name" is the tool (one of ${[...names].join(', ')}), "arguments" its arguments.`,
        parameters: {
          type: 'object',
          anyOf: tools.flatMap((t) =>
            t.type === 'function'
              ? [{ type: 'object', properties: { name: { const: t.function.name }, arguments: t.function.parameters ?? { type: 'object' } }, required: ['name', 'arguments'] }]
              : [],
          ),
        },
      },
    };
    const wrapped = messages.map((m): ChatCompletionMessageParam => {
      if (m.role !== 'assistant' || !m.tool_calls?.length) return m;
      return {
        ...m,
        tool_calls: m.tool_calls.map((c) => {
          if (c.type !== 'function') return c;
          let args: unknown;
          try {
            args = JSON.parse(c.function.arguments || '{}');
          } catch {
            args = {};
          }
          return { ...c, function: { name: meta, arguments: JSON.stringify({ name: c.function.name, arguments: args }) } };
        }),
      };
    });
    const reply = await this.complete(wrapped, [wrapper], { type: 'function', function: { name: meta } }, maxRetries);
    return { ...reply, message: unwrapCall(reply.message, meta) };
  }

  private async complete(
    messages: ChatCompletionMessageParam[],
    tools: ChatCompletionTool[] | undefined,
    toolChoice: ChatCompletionToolChoiceOption,
    maxRetries?: number,
  ): Promise<{ message: ChatCompletionMessage; usage: LlmUsage }> {
    const started = performance.now();
    try {
      // The raw response, parsed here: a 200 whose body is not a chat completion is the model's
      // provider misbehaving, and gets its own error rather than a parser's exception.
      const client = await this.openai();
      const response = await client.chat.completions
        .create(
          {
            model: this.opts.model,
            messages,
            ...(tools?.length ? { tools, tool_choice: toolChoice, parallel_tool_calls: false } : {}),
            ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
            ...(this.opts.maxCompletionTokens ? { max_tokens: this.opts.maxCompletionTokens } : {}),
          },
          maxRetries === undefined ? undefined : { maxRetries },
        )
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

/** The name of the function that wraps every tool when "required" is emulated. */
export const WRAPPER_TOOL = 'call_tool';

/** An endpoint's answer to an option it does not take: a refused request, or a server error at once. */
function refused(err: unknown): boolean {
  return err instanceof LlmRequestError || (err instanceof LlmUnavailableError && err.status !== undefined && err.status >= 500);
}

/**
 * The wrapper's call as the tool call it stands for. Arguments that do not read as `{"name", "arguments"}`
 * go to the content as written, where the investigator's parser looks for a call in any shape.
 */
export function unwrapCall(message: ChatCompletionMessage, wrapper = WRAPPER_TOOL): ChatCompletionMessage {
  const calls = message.tool_calls ?? [];
  if (!calls.some((c) => c.type === 'function' && c.function.name === wrapper)) return message;
  const out: ChatCompletionMessage = { ...message };
  delete (out as { function_call?: unknown }).function_call;
  const unwrapped: typeof calls = [];
  const unreadable: string[] = [];
  for (const c of calls) {
    if (c.type !== 'function' || c.function.name !== wrapper) {
      unwrapped.push(c);
      continue;
    }
    let v: { name?: unknown; arguments?: unknown } | undefined;
    try {
      v = JSON.parse(c.function.arguments);
    } catch {
      v = undefined;
    }
    if (v && typeof v.name === 'string' && v.name) {
      const args = typeof v.arguments === 'string' ? v.arguments : JSON.stringify(v.arguments ?? {});
      unwrapped.push({ ...c, function: { name: v.name, arguments: args } });
    } else {
      unreadable.push(c.function.arguments);
    }
  }
  if (unwrapped.length) out.tool_calls = unwrapped;
  else delete out.tool_calls;
  if (unreadable.length) out.content = [message.content ?? '', ...unreadable].filter(Boolean).join('\n');
  return out;
}

function classify(err: unknown, timedOutAfterMs?: number): Error {
  if (err instanceof LlmGarbageError) return err;
  // sdk is loaded: the call that failed needed it (unless importing it failed, which ends below).
  if (sdk && (err instanceof sdk.APIConnectionTimeoutError || (err instanceof sdk.APIConnectionError && timedOutAfterMs))) {
    return new LlmUnavailableError(`LLM timed out: no answer within ${timedOutAfterMs ?? 'the timeout of'} ms`);
  }
  if (sdk && err instanceof sdk.APIConnectionError) return new LlmUnavailableError(`LLM unreachable: ${err.message}`);
  if (sdk && err instanceof sdk.APIError) {
    const status = err.status ?? 0;
    const detail = `${status} ${err.message}`.slice(0, 500);
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      const retryAfter = Number(err.headers?.get?.('retry-after'));
      return new LlmUnavailableError(`LLM unavailable: ${detail}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined, status);
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

// The LLM as investigator: one chat completion per decision, its reply parsed into a Decision.
// Anything unusable in the reply becomes an `invalid` decision that is shown back to the model.
import { LlmClient, LlmGarbageError, LlmRequestError, LlmUnavailableError } from '../llm/client.js';
import { ESCALATE_TOOL, RESOLVE_TOOL, buildMessages, reportRequest, toolDefinitions, type PromptOptions } from './prompts.js';
import { selectTools, type ToolOffer } from './toolSelection.js';
import type { Decision, Report, ToolInfo, Usage } from '../contracts/investigation.js';
import { PermanentLlmError, TransientError } from '../contracts/errors.js';
import { recordedArguments, toolName } from '../contracts/steps.js';
import type { InvestigationContext, Investigator } from '../incident/contracts.js';

export interface LlmInvestigatorOptions extends PromptOptions {
  /** `relevant`: only the tools that fit the alert's objects are offered (toolSelection.ts). */
  tools?: ToolOffer;
}

export class LlmInvestigator implements Investigator {
  readonly kind = 'llm' as const;

  constructor(
    private readonly llm: LlmClient,
    private readonly limits: LlmInvestigatorOptions,
  ) {}

  /** The context as the model sees it: the offered tools only. Replies are still checked against every tool. */
  private offered(ctx: InvestigationContext): { ctx: InvestigationContext; opts: PromptOptions } {
    const offer = this.limits.tools ?? 'all';
    // Compact schemas unless told otherwise: fewer tokens, and grammars that llama.cpp can parse (prompts.ts).
    return { ctx: { ...ctx, tools: selectTools(ctx, offer) }, opts: { ...this.limits, compactTools: this.limits.compactTools ?? true } };
  }

  async decide(ctx: InvestigationContext): Promise<{ decision: Decision; usage?: Usage }> {
    const seen = this.offered(ctx);
    const messages = buildMessages(seen.ctx, seen.opts);
    let reply;
    try {
      reply = await this.llm.chat(messages, toolDefinitions(seen.ctx.tools, { compact: seen.opts.compactTools }));
    } catch (err) {
      if (err instanceof LlmGarbageError) return { decision: { kind: 'invalid', error: err.message, raw: '' } };
      throw mapError(err);
    }
    return { decision: refuseRepeat(parseDecision(reply.message, ctx), ctx.steps), usage: reply.usage };
  }

  async writeReport(ctx: InvestigationContext & { outcome: string; reason: string }): Promise<{ report: Report; usage?: Usage }> {
    const seen = this.offered(ctx);
    const messages = [...buildMessages(seen.ctx, seen.opts), { role: 'user' as const, content: reportRequest(ctx.outcome, ctx.reason) }];
    try {
      const { message, usage } = await this.llm.chat(messages);
      const markdown = typeof message.content === 'string' ? message.content.trim() : '';
      if (!markdown) throw new LlmGarbageError('the LLM wrote an empty report');
      return { report: { markdown }, usage };
    } catch (err) {
      if (err instanceof LlmGarbageError) throw new PermanentLlmError(err.message);
      throw mapError(err);
    }
  }
}

/** Step states of a call that changed (or may have changed) the cluster: after one, reading again is news. */
const CHANGED = new Set(['Running', 'Succeeded', 'Failed', 'Unknown']);

/**
 * A call the incident already made, with the same arguments and no change to the cluster since, tells
 * nothing new: it is refused with the step that made it, so that a model stuck in a loop is told so, and
 * one that keeps at it counts as unusable (the engine then hands over to the analyzer) instead of
 * spending the incident's budget on the same answer.
 */
export function refuseRepeat(d: Decision, steps: InvestigationContext['steps']): Decision {
  if (d.kind !== 'callTool') return d;
  const args = canonical(d.arguments);
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s.action !== 'callTool') continue;
    if (s.mutating && CHANGED.has(s.state ?? '')) return d;
    if (toolName(s.server, s.tool) !== d.tool) continue;
    const prior = recordedArguments(s);
    if (!prior || canonical(prior) !== args) continue;
    const outcome = s.result?.ok === false ? `it failed: ${(s.result.error ?? '').slice(0, 300)}` : 'its result is above';
    return {
      kind: 'invalid',
      error: `step ${s.index} already called ${d.tool} with these arguments (${outcome}); do not repeat a call: call another tool, change the arguments, or conclude with ${RESOLVE_TOOL} or ${ESCALATE_TOOL}`,
      raw: `${d.tool}(${JSON.stringify(d.arguments)})`,
    };
  }
  return d;
}

/** JSON with the keys of every object in order, so that equal arguments compare equal. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
}

function mapError(err: unknown): Error {
  if (err instanceof LlmUnavailableError) return new TransientError(err.message, err.retryAfterMs);
  if (err instanceof LlmRequestError) return new PermanentLlmError(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

type AssistantMessage = {
  content?: string | null;
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }> | null;
  /** The legacy (pre-tools) shape, which some servers still send for a single call. */
  function_call?: { name?: string; arguments?: string } | null;
};

/** A tool call as found in a reply, before it is checked against the tools. */
interface FoundCall {
  name: string;
  /** As sent: a JSON string (tool_calls, function_call), or already parsed (a call written in the content). */
  arguments: string | Record<string, unknown> | unknown;
  id?: string;
  /** The text of the reply besides the call. */
  reasoning: string;
  /** Where the call was found, for the record. */
  shape: 'tool_calls' | 'function_call' | 'content';
}

export function parseDecision(message: AssistantMessage, ctx: Pick<InvestigationContext, 'tools'>): Decision {
  const content = typeof message.content === 'string' ? message.content.trim() : '';
  const call = findCall(message, content, ctx.tools);
  if (!call) {
    return { kind: 'invalid', error: 'the reply called no tool (each reply must call exactly one tool, or resolve_incident / escalate_incident)', raw: content };
  }
  const name = resolveToolName(call.name, ctx.tools) ?? call.name;
  const rawArgs = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
  let args: unknown = call.arguments;
  if (typeof call.arguments === 'string') {
    try {
      args = call.arguments.trim() ? JSON.parse(call.arguments) : {};
    } catch {
      return { kind: 'invalid', error: `the arguments of ${name.slice(0, 100)} are not valid JSON`, raw: `${name}(${rawArgs})` };
    }
  }
  if (args === undefined || args === null) args = {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    return { kind: 'invalid', error: `the arguments of ${name.slice(0, 100)} must be a JSON object`, raw: `${name}(${rawArgs})` };
  }
  const a = args as Record<string, unknown>;
  const reasoning = call.reasoning;
  if (name === RESOLVE_TOOL || name === ESCALATE_TOOL) {
    const summary = String(a.summary ?? reasoning ?? '').trim();
    if (!summary) return { kind: 'invalid', error: `${name} needs a summary`, raw: `${name}(${rawArgs})` };
    const conclusion = { summary, rootCause: String(a.root_cause ?? a.rootCause ?? '').trim(), reasoning, toolCallId: call.id };
    return name === RESOLVE_TOOL ? { kind: 'resolve', ...conclusion } : { kind: 'escalate', ...conclusion };
  }
  if (!ctx.tools.some((t) => t.name === name)) {
    const known = ctx.tools.map((t) => t.name).slice(0, 40).join(', ');
    return { kind: 'invalid', error: `there is no tool named "${name.slice(0, 100)}"; the tools are: ${known}`, raw: `${name}(${rawArgs})` };
  }
  return { kind: 'callTool', tool: name, arguments: a, reasoning, toolCallId: call.id };
}

/**
 * The one tool call of a reply, in whichever shape the model wrote it: `tool_calls` (the first with a
 * name), the legacy `function_call`, or a call written in the content, as small models and servers
 * without a tool-call parser produce: `{"name": ..., "arguments": {...}}` (bare, in a ```json fence, in
 * <tool_call> tags, or in a list), `{"tool": ..., "args": ...}`, `{"function": {"name", "arguments"}}`,
 * the `functions.NAME:` lines of the ChatML function-calling format, or a Python-style call
 * `describe_pod(name="x", namespace="y")` (Gemma's tool_code blocks).
 */
function findCall(message: AssistantMessage, content: string, tools: ToolInfo[]): FoundCall | undefined {
  const native = message.tool_calls?.find((c) => c?.function?.name);
  if (native?.function?.name) return { name: native.function.name, arguments: native.function.arguments ?? '', id: native.id, reasoning: content, shape: 'tool_calls' };
  const legacy = message.function_call;
  if (legacy?.name) return { name: legacy.name, arguments: legacy.arguments ?? '', reasoning: content, shape: 'function_call' };
  if (!content) return undefined;
  return callInText(content, tools);
}

/** Names the model may use for a tool: exact, without the `functions.` prefix, or the tool's own name without its server. */
export function resolveToolName(name: string, tools: ToolInfo[]): string | undefined {
  const n = name.trim().replace(/^functions\./, '');
  if (n === RESOLVE_TOOL || n === ESCALATE_TOOL) return n;
  if (tools.some((t) => t.name === n)) return n;
  const lower = n.toLowerCase();
  const exact = tools.filter((t) => t.name.toLowerCase() === lower);
  if (exact.length === 1) return exact[0].name;
  const bare = tools.filter((t) => t.tool.toLowerCase() === lower);
  if (bare.length === 1) return bare[0].name;
  if (lower === RESOLVE_TOOL || lower === ESCALATE_TOOL) return lower;
  return undefined;
}

function callInText(text: string, tools: ToolInfo[]): FoundCall | undefined {
  const known = (name: unknown): name is string => typeof name === 'string' && name.trim().length > 0;
  const isTool = (name: string) => resolveToolName(name, tools) !== undefined;
  // 1. JSON: in fences or tags first, then the whole text, then each balanced object in it.
  const spans: Array<{ json: string; start: number; end: number }> = [];
  for (const m of text.matchAll(/```[a-zA-Z_]*[ \t]*\n?([\s\S]*?)```|<tool_call>([\s\S]*?)<\/tool_call>/g)) {
    spans.push({ json: (m[1] ?? m[2] ?? '').trim(), start: m.index!, end: m.index! + m[0].length });
  }
  spans.push({ json: text, start: 0, end: text.length });
  for (const o of balancedObjects(text)) spans.push(o);
  let unknown: FoundCall | undefined;
  for (const span of spans) {
    const call = callShape(parseJson(span.json));
    if (!call || !known(call.name)) continue;
    const reasoning = (text.slice(0, span.start) + text.slice(span.end)).replace(/<\/?tool_call>/g, '').trim();
    const found: FoundCall = { name: call.name, arguments: call.arguments, reasoning, shape: 'content' };
    if (isTool(call.name)) return found;
    // A call of a tool that does not exist is answered as such, unless a real one comes later; an
    // object that merely has a "name" (a pod's arguments) is no call at all.
    if (call.explicit) unknown ??= found;
  }
  // 2. `functions.NAME:` followed by the arguments (the ChatML function-calling format, when it lands in the content).
  const fn = /(?:^|\n)\s*functions\.([A-Za-z0-9_.-]+):\s*(\{[\s\S]*)?/.exec(text);
  if (fn && isTool(fn[1])) {
    const obj = fn[2] ? balancedObjects(fn[2])[0] : undefined;
    return { name: fn[1], arguments: obj?.json ?? '{}', reasoning: text.slice(0, fn.index).trim(), shape: 'content' };
  }
  // 3. A Python-style call of a known tool, alone on its line or in a fence.
  for (const m of text.matchAll(/(?:^|\n|`)\s*(?:print\()?([A-Za-z_][A-Za-z0-9_.]*)\(([^()]*)\)\)?\s*(?=$|\n|`)/g)) {
    if (!isTool(m[1])) continue;
    const args = pythonArgs(m[2]);
    if (args) return { name: m[1], arguments: args, reasoning: text.slice(0, m.index).replace(/```[a-z_]*\s*$/, '').trim(), shape: 'content' };
  }
  return unknown;
}

/** `{"name", "arguments"}` and the other shapes a call takes when written out as JSON. */
function callShape(v: unknown): { name: unknown; arguments: unknown; explicit: boolean } | undefined {
  if (Array.isArray(v)) return v.length ? callShape(v[0]) : undefined;
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.tool_calls)) return callShape(o.tool_calls[0]);
  if (o.function && typeof o.function === 'object') return callShape(o.function);
  if (o.function_call && typeof o.function_call === 'object') return callShape(o.function_call);
  const name = o.name ?? o.tool ?? o.tool_name ?? o.function ?? o.action;
  if (typeof name !== 'string') return undefined;
  const argKey = ['arguments', 'args', 'parameters', 'input', 'action_input'].find((k) => k in o);
  const explicit = argKey !== undefined || ['tool', 'tool_name', 'function', 'action'].some((k) => typeof o[k] === 'string');
  return { name, arguments: argKey ? o[argKey] : {}, explicit };
}

function parseJson(s: string): unknown {
  const t = s.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** Every top-level `{...}` of a text whose braces balance (strings respected), with where it stands. */
function balancedObjects(text: string): Array<{ json: string; start: number; end: number }> {
  const out: Array<{ json: string; start: number; end: number }> = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length && out.length < 20; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && depth > 0) {
      if (--depth === 0) out.push({ json: text.slice(start, i + 1), start, end: i + 1 });
    }
  }
  return out;
}

/** `name="x", replicas=2, previous=True` as an object, or undefined when it is not keyword arguments. */
function pythonArgs(s: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const rest = s.replace(/\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|True|False|true|false|None|null)\s*,?/g, (_, k: string, v: string) => {
    if (v.startsWith('"')) out[k] = JSON.parse(v);
    else if (v.startsWith("'")) out[k] = v.slice(1, -1).replace(/\\'/g, "'");
    else if (/^(True|true)$/.test(v)) out[k] = true;
    else if (/^(False|false)$/.test(v)) out[k] = false;
    else if (/^(None|null)$/.test(v)) out[k] = null;
    else out[k] = Number(v);
    return '';
  });
  return rest.trim() ? undefined : out;
}

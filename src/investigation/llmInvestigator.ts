// The LLM as investigator: one chat completion per decision, its reply parsed into a Decision.
// Anything unusable in the reply becomes an `invalid` decision that is shown back to the model.
import { LlmClient, LlmGarbageError, LlmRequestError, LlmUnavailableError } from '../llm/client.js';
import { ESCALATE_TOOL, RESOLVE_TOOL, buildMessages, reportRequest, toolDefinitions } from './prompts.js';
import { TransientError, type Decision, type InvestigationContext, type Investigator, type Report, type Usage } from './types.js';

export class PermanentLlmError extends Error {}

export class LlmInvestigator implements Investigator {
  readonly kind = 'llm' as const;

  constructor(
    private readonly llm: LlmClient,
    private readonly limits: { maxSteps: number; promptTokenBudget: number },
  ) {}

  async decide(ctx: InvestigationContext): Promise<{ decision: Decision; usage?: Usage }> {
    const messages = buildMessages(ctx, this.limits);
    let reply;
    try {
      reply = await this.llm.chat(messages, toolDefinitions(ctx.tools));
    } catch (err) {
      if (err instanceof LlmGarbageError) return { decision: { kind: 'invalid', error: err.message, raw: '' } };
      throw mapError(err);
    }
    return { decision: parseDecision(reply.message, ctx), usage: reply.usage };
  }

  async writeReport(ctx: InvestigationContext & { outcome: string; reason: string }): Promise<{ report: Report; usage?: Usage }> {
    const messages = [...buildMessages(ctx, this.limits), { role: 'user' as const, content: reportRequest(ctx.outcome, ctx.reason) }];
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

function mapError(err: unknown): Error {
  if (err instanceof LlmUnavailableError) return new TransientError(err.message, err.retryAfterMs);
  if (err instanceof LlmRequestError) return new PermanentLlmError(err.message);
  return err instanceof Error ? err : new Error(String(err));
}

type AssistantMessage = { content?: string | null; tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }> };

export function parseDecision(message: AssistantMessage, ctx: Pick<InvestigationContext, 'tools'>): Decision {
  const reasoning = typeof message.content === 'string' ? message.content.trim() : '';
  const call = message.tool_calls?.find((c) => c.function?.name);
  if (!call?.function?.name) {
    return { kind: 'invalid', error: 'the reply called no tool (each reply must call exactly one tool, or resolve_incident / escalate_incident)', raw: reasoning };
  }
  const name = call.function.name;
  const rawArgs = call.function.arguments ?? '';
  let args: unknown;
  try {
    args = rawArgs.trim() ? JSON.parse(rawArgs) : {};
  } catch {
    return { kind: 'invalid', error: `the arguments of ${name.slice(0, 100)} are not valid JSON`, raw: `${name}(${rawArgs})` };
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    return { kind: 'invalid', error: `the arguments of ${name.slice(0, 100)} must be a JSON object`, raw: `${name}(${rawArgs})` };
  }
  const a = args as Record<string, unknown>;
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

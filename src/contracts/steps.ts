// Reading a recorded step: its arguments (a JSON text in the CRD) parsed once per step object, and the
// name of its tool. Typed structurally, so that any layer may use them on an incident's steps.

/** Joins a server's name and its tool's: `<server>__<tool>`, the name a tool is offered and called by. */
export const TOOL_NAME_SEPARATOR = '__';

/** A tool's full name, unique across servers: `<server>__<tool>` (the parts as given, even undefined). */
export function toolName(server: string | undefined, tool: string | undefined): string {
  return `${server}${TOOL_NAME_SEPARATOR}${tool}`;
}

/**
 * A full name's parts. The tool is what follows the last separator (as the policy has always read it:
 * a tool whose own name holds `__` cannot be told from its server's), the server what precedes it.
 */
export function splitToolName(name: string): { server?: string; tool: string } {
  const parts = name.split(TOOL_NAME_SEPARATOR);
  const tool = parts.pop() ?? name;
  return parts.length ? { server: parts.join(TOOL_NAME_SEPARATOR), tool } : { tool };
}

/** The name of a step's tool as people read it: `<server>__<tool>`, or the bare tool when no server is recorded. */
export function stepToolName(step: { server?: string; tool?: string }): string {
  return step.server ? toolName(step.server, step.tool ?? '') : (step.tool ?? '');
}

type Args = Readonly<Record<string, unknown>>;
const parsed = new WeakMap<object, { text: string | undefined; value: Args | undefined }>();

/**
 * A step's arguments exactly as recorded when they are a JSON object (none recorded: `{}`), else
 * undefined: never run as `{}`. Parsed once per step object (and again only if its text changed);
 * the object is shared by every reader, so it must not be changed.
 */
export function recordedArguments(step: { arguments?: string }): Args | undefined {
  const hit = parsed.get(step);
  if (hit && hit.text === step.arguments) return hit.value;
  const value = parseObject(step.arguments ?? '{}');
  parsed.set(step, { text: step.arguments, value });
  return value;
}

/** A step's arguments to read from: `{}` when none are recorded or they are not a JSON object. */
export function stepArguments(step: { arguments?: string }): Args {
  return recordedArguments(step) ?? {};
}

function parseObject(s: string): Args | undefined {
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Args) : undefined;
  } catch {
    return undefined;
  }
}

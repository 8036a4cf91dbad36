// What the tests of the fixes share (fixes.test.ts, fixesStorage.test.ts): a built-in tool run as the tool
// server runs it, and a step as the engine records it (for undoOf).
import type { Step } from '../../src/incident/types.js';
import type { ToolContext } from '../../src/tools/kubernetes/context.js';
import { runTool, TOOL_DEFS } from '../../src/tools/kubernetes/server.js';

export const def = (name: string) => TOOL_DEFS.find((d) => d.name === name)!;

/** Runs a tool as the server does: its text, and its data (checked against its output schema) or its error. */
export async function runBuiltin(tool: string, args: Record<string, unknown>, context: ToolContext): Promise<{ text: string; data?: Record<string, unknown>; isError: boolean }> {
  const r = await runTool(def(tool), args, context, 16000);
  return { text: (r.content as Array<{ text: string }>).map((c) => c.text).join('\n'), data: r.structuredContent as Record<string, unknown> | undefined, isError: r.isError === true };
}

/** The step as the engine records it, for undoOf: before it ran (with the dry run's diff) or after (with its result). */
export function recordedStep(tool: string, args: Record<string, unknown>, o: { diff?: string; data?: Record<string, unknown> }): Step {
  return {
    index: 1,
    time: new Date().toISOString(),
    action: 'callTool',
    server: 'kubernetes',
    tool,
    arguments: JSON.stringify(args),
    mutating: true,
    ...(o.diff ? { dryRun: { ok: true, diff: o.diff } } : {}),
    ...(o.data ? { state: 'Succeeded', result: { ok: true, output: '', data: JSON.stringify(o.data) } } : {}),
  } as Step;
}

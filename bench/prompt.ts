// 5. Prompt size. One investigation of MAX_STEPS (20) tool calls, each returning 20 KB of logs (an MCP
// tool over streamable HTTP), through the real openai client against the scripted LLM, defaults for
// TOOL_OUTPUT_MAX_BYTES (8192) and PROMPT_TOKEN_BUDGET (48000). Tokens sent per LLM call, estimated from
// the request bodies the scripted LLM received (chars/4) and from the usage recorded in the status.
import { randomBytes } from 'node:crypto';
import { startScriptedLlm } from '../test/bed/scriptedLlm.js';
import { benchAlert, benchPayload, createNamespace, dist, fmt, isMain, listAll, operatorEnv, runStandalone, table, type BenchContext, type BenchResult } from './lib/common.js';
import { SERVER, startBenchMcp } from './lib/mcpBench.js';
import { watchIncidents } from './lib/watch.js';

const OUTPUT_BYTES = 20_000;

interface Round {
  sent: Array<{ bodyChars: number; messagesChars: number; toolsChars: number; messages: number; report: boolean }>;
  toolSteps: number;
  truncated: number;
  usagePrompt: number;
  llmCalls: number;
  phase: string;
  reason: string;
  budget: number;
  maxTokensPerIncident: number;
  statusBytes: number;
}

async function round(bed: BenchContext['bed'], mcpConfig: string, env: Record<string, string>): Promise<Round> {
  const d = await dist();
  const llm = await startScriptedLlm();
  const sent: Round['sent'] = [];
  llm.setResponder((body) => {
    const bodyChars = JSON.stringify(body).length;
    sent.push({ bodyChars, messagesChars: JSON.stringify(body.messages).length, toolsChars: JSON.stringify(body.tools ?? []).length, messages: body.messages.length, report: !body.tools });
    if (!body.tools) return { content: '## Summary\n\nPayments timeouts make checkout fail.\n\n## Root cause\n\npayments-svc does not answer on 8443.' };
    const i = sent.length;
    return { content: `Reading more logs (${i}).`, toolCalls: [{ name: `${SERVER}__dump`, arguments: { bytes: OUTPUT_BYTES, seed: i } }] };
  });
  const ns = await createNamespace(bed, 'prompt');
  const config = d.config.loadConfig(operatorEnv(ns, { OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'bench', SERVERS_CONFIG: mcpConfig, POLICY_MODE: 'observe', LLM_CALLS_PER_MINUTE: '100000', EVIDENCE_FIRST: 'false', ...env }));
  const op = await d.operator.startOperator(config, d.logger.createLogger({ level: 'error', format: 'text' }), { kubeConfig: bed.kc() });
  const watch = await watchIncidents(bed, ns);
  try {
    const res = await fetch(op.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(benchPayload([benchAlert(0, randomBytes(3).toString('hex'))])) });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    await watch.waitFinished(1, 300_000);
    await op.queue.idle();
    const [inc] = await listAll(bed, ns);
    const toolSteps = (inc.status?.steps ?? []).filter((s: any) => s.action === 'callTool');
    const conclusion = /Conclusion: (.*)/.exec(inc.status?.report ?? '')?.[1] ?? '';
    return {
      sent,
      toolSteps: toolSteps.length,
      truncated: toolSteps.filter((s: any) => s.result?.truncated).length,
      usagePrompt: inc.status?.usage?.promptTokens ?? 0,
      llmCalls: inc.status?.usage?.llmCalls ?? 0,
      phase: `${inc.status?.phase}/${inc.status?.outcome ?? ''}`,
      reason: conclusion,
      budget: config.PROMPT_TOKEN_BUDGET,
      maxTokensPerIncident: config.MAX_TOKENS_PER_INCIDENT,
      statusBytes: Buffer.byteLength(JSON.stringify(inc)),
    };
  } finally {
    watch.stop();
    await op.stop();
    await llm.stop();
  }
}

const tok = (chars: number) => Math.ceil(chars / 4);

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const mcp = await startBenchMcp();
  try {
    // As shipped, then with the per-incident token budget out of the way so that all 20 steps run.
    const defaults = await round(ctx.bed, mcp.serversConfigPath, {});
    const full = await round(ctx.bed, mcp.serversConfigPath, { MAX_TOKENS_PER_INCIDENT: '10000000' });
    // Outputs twice as large: the prompt budget must now elide old outputs.
    const big = await round(ctx.bed, mcp.serversConfigPath, { MAX_TOKENS_PER_INCIDENT: '10000000', TOOL_OUTPUT_MAX_BYTES: '16384' });
    const budget = full.budget;
    const calls = Math.max(full.sent.length, big.sent.length);
    const cell = (r: Round, i: number) => (r.sent[i] ? tok(r.sent[i].bodyChars) : '');
    const pct = (r: Round, i: number) => (r.sent[i] ? `${Math.round((tok(r.sent[i].bodyChars) / budget) * 100)}%` : '');
    table(
      `Prompt size per LLM call (body chars/4): 20 tool steps of ${OUTPUT_BYTES} bytes each, budget ${budget} tokens, MAX_TOKENS_PER_INCIDENT raised`,
      ['call', 'TOOL_OUTPUT_MAX_BYTES=8192 (default)', 'of budget', 'TOOL_OUTPUT_MAX_BYTES=16384', 'of budget'],
      Array.from({ length: calls }, (_, i) => [(full.sent[i] ?? big.sent[i]).report ? `${i + 1} (report)` : i + 1, cell(full, i), pct(full, i), cell(big, i), pct(big, i)]),
    );
    process.stdout.write(`(of which the tool definitions: ${tok(full.sent[0].toolsChars)} tokens)\n`);
    const rows = [
      ['defaults', defaults],
      ['MAX_TOKENS_PER_INCIDENT=10M', full],
      ['... and TOOL_OUTPUT_MAX_BYTES=16384', big],
    ] as const;
    const stats = (r: Round) => {
      const t = r.sent.map((s) => tok(s.bodyChars));
      return { max: Math.max(...t), mean: t.reduce((a, b) => a + b, 0) / t.length };
    };
    table(
      'Summary',
      ['config', 'tool steps', 'LLM calls', 'max tokens', 'mean tokens', 'max/budget', 'usage.promptTokens (status)', 'per call', 'outputs truncated', 'status bytes', 'ended'],
      rows.map(([label, r]) => {
        const s = stats(r);
        return [label, r.toolSteps, r.sent.length, s.max, s.mean, s.max / r.budget, r.usagePrompt, r.usagePrompt / Math.max(1, r.llmCalls), `${r.truncated}/${r.toolSteps}`, r.statusBytes, `${r.phase}: ${r.reason}`.slice(0, 80)];
      }),
    );
    const worst = Math.max(stats(defaults).max, stats(full).max, stats(big).max);
    const ratio = worst / budget;
    const failed =
      full.toolSteps < 20 ? `only ${full.toolSteps} tool steps ran (expected 20)` : ratio > 1 ? `a prompt of ${worst} tokens exceeds the budget of ${budget}` : undefined;
    return {
      name: 'prompt',
      ratio,
      ratioLabel: 'max prompt tokens / PROMPT_TOKEN_BUDGET',
      target: '<= 1',
      meetsTarget: ratio <= 1,
      failed,
      notes: [
        `20 steps: max ${stats(full).max} mean ${fmt(stats(full).mean)} tokens per call (budget ${budget})`,
        `defaults: stopped after ${defaults.toolSteps} steps (${defaults.reason.slice(0, 60)})`,
        `16 KB outputs: max ${stats(big).max} tokens`,
      ],
    };
  } finally {
    await mcp.stop();
  }
}

if (isMain(import.meta.url)) await runStandalone(run);

// The scripted LLM of the concurrency benchmark, in a process of its own (as a provider is): it answers
// each chat completion after a fixed delay with the investigation's script (a few tool calls, the
// conclusion, then the report), and counts how many calls it held at once. In the operator's process it
// would take the operator's event loop for every request and answer it serves.
import { fileURLToPath } from 'node:url';
import { startScriptedLlm, type Reply } from '../../test/bed/scriptedLlm.js';
import { spawnNode } from './proc.js';

export interface LlmStats {
  calls: number;
  /** Mean calls in flight over the window between `reset` and `stats`. */
  meanInflight: number;
  maxInflight: number;
}

export interface BenchLlm {
  baseURL: string;
  /** Starts a measuring window: counts and occupancy from now. */
  reset(): Promise<void>;
  stats(): Promise<LlmStats>;
  stop(): Promise<void>;
}

export async function startBenchLlm(o: { delayMs: number; toolCalls: number; tool: string }): Promise<BenchLlm> {
  const child = spawnNode([fileURLToPath(import.meta.url), '--serve', JSON.stringify(o)], {}, { tsx: true });
  const { baseURL, side } = (await child.announced) as { baseURL: string; side: string };
  const ask = async (path: string) => (await fetch(`${side}/bench/${path}`)).json();
  return {
    baseURL,
    reset: async () => void (await ask('reset')),
    stats: () => ask('stats') as Promise<LlmStats>,
    stop: () => child.stop(),
  };
}

async function serve(o: { delayMs: number; toolCalls: number; tool: string }): Promise<void> {
  const llm = await startScriptedLlm();
  let inflight = 0;
  let maxInflight = 0;
  let area = 0;
  let from = performance.now();
  let lastT = from;
  let calls = 0;
  const occupancy = (delta: number) => {
    const t = performance.now();
    area += inflight * (t - lastT);
    lastT = t;
    inflight += delta;
    maxInflight = Math.max(maxInflight, inflight);
  };
  llm.setResponder(async (body) => {
    calls++;
    occupancy(+1);
    await new Promise((r) => setTimeout(r, o.delayMs));
    occupancy(-1);
    if (!body.tools) return { content: '## Summary\n\nThe checkout pod crash loops.\n\n## Root cause\n\nA missing secret.' } as Reply;
    const done = (body.messages as Array<{ role: string }>).filter((m) => m.role === 'tool').length;
    return done < o.toolCalls
      ? { content: `Checking evidence ${done + 1}.`, toolCalls: [{ name: o.tool, arguments: { text: `evidence ${done + 1}` } }] }
      : { content: 'Concluding.', toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'checkout crash loops on a missing secret', root_cause: 'the secret checkout-db was deleted' } }] };
  });
  const { createServer } = await import('node:http');
  // A side door for the benchmark's own questions, on a port of its own.
  const side = createServer((req, res) => {
    if (req.url === '/bench/reset') {
      occupancy(0);
      area = 0;
      maxInflight = inflight;
      calls = 0;
      from = lastT = performance.now();
    }
    occupancy(0);
    const seconds = (performance.now() - from) / 1000;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ calls, meanInflight: seconds > 0 ? area / (seconds * 1000) : 0, maxInflight } satisfies LlmStats));
  });
  await new Promise<void>((r) => side.listen(0, '127.0.0.1', () => r()));
  const sidePort = (side.address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ baseURL: llm.baseURL, side: `http://127.0.0.1:${sidePort}` })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) await serve(JSON.parse(process.argv[3]));

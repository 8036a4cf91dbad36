// The operator is a real process, killed with SIGKILL between steps and started again: the incident
// finishes from its status alone, no step is repeated and none is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT, freePort } from '../bed/controlPlane.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, applyCrd, bed, createNamespace, eventually, finished, listIncidents, payload, post, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
let ns: string;
const procs: ChildProcess[] = [];

async function startProcess(): Promise<{ child: ChildProcess; webhook: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: bed().kubeconfigPath,
      NAMESPACE: ns,
      WEBHOOK_PORT: String(port),
      WEBHOOK_HOST: '127.0.0.1',
      METRICS_PORT: String(await freePort()),
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'test-key',
      LLM_MAX_RETRIES: '0',
      SERVERS_CONFIG: '/nonexistent.json',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  procs.push(child);
  const webhook = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${webhook}/readyz`).catch(() => undefined))?.ok, 30_000).catch((e) => {
    throw new Error(`operator did not become ready: ${e}\n${out}`);
  });
  return { child, webhook: `${webhook}/api/v1/alerts` };
}

beforeAll(async () => {
  await applyCrd();
  ns = await createNamespace('restart');
  llm = await startScriptedLlm();
  // Replies follow the conversation's position, not a queue: a restarted operator re-asks the same
  // question and gets the same answer, as a deterministic model would give.
  llm.setResponder((body) => {
    const msgs = body.messages as Array<{ role: string; content?: string }>;
    if (String(msgs.at(-1)?.content ?? '').includes('The investigation is over')) return { content: '## Summary\n\nRestart-proof.' };
    const done = msgs.filter((m) => m.role === 'tool').length;
    const replies: Reply[] = [
      { toolCalls: [{ name: 'kubernetes__get_events', arguments: { namespace: ns } }] },
      { delayMs: 4000, then: { toolCalls: [{ name: 'kubernetes__list_resources', arguments: { apiVersion: 'v1', kind: 'Pod', namespace: ns } }] } },
      { toolCalls: [{ name: 'resolve_incident', arguments: { summary: 'survived a restart', root_cause: 'none' } }] },
    ];
    return replies[Math.min(done, replies.length - 1)];
  });
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await llm?.stop();
});

it('continues after SIGKILL between steps without repeating or losing a step', async () => {
  const first = await startProcess();
  const a = alert({ alertname: 'RestartMe', namespace: ns });
  expect((await post(first.webhook, payload([a]))).status).toBe(200);
  // Step 1 is stored, and the LLM is thinking about step 2 (its answer takes 4 s): kill now.
  await waitForIncident(ns, (i) => i.status?.steps?.[0]?.state === 'Succeeded');
  await eventually(async () => llm.requests.length >= 2);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const asked = llm.requests.length;

  await startProcess();
  const inc = await waitForIncident(ns, (i) => finished(i), 60_000);
  expect(inc.status!.phase).toBe('Reported');
  expect(inc.status!.steps!.map((s) => [s.index, s.action, s.tool ?? null, s.state])).toEqual([
    [1, 'callTool', 'get_events', 'Succeeded'],
    [2, 'callTool', 'list_resources', 'Succeeded'],
    [3, 'resolve', null, 'Done'],
  ]);
  // The restarted operator continued the same conversation: its first question already held step 1.
  const resumed = llm.requests[asked].body.messages as Array<{ role: string }>;
  expect(resumed.filter((m) => m.role === 'tool')).toHaveLength(1);
  expect((await listIncidents(ns)).length).toBe(1);
});

// The operator is a real process, killed with SIGKILL between steps and started again: the incident
// finishes from its status alone, no step is repeated and none is lost.
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { startOperatorProcess, type OperatorProcess } from './processes.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, applyCrd, createNamespace, eventually, finished, listIncidents, payload, post, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
let ns: string;
const procs: ChildProcess[] = [];

async function startProcess(extraEnv: Record<string, string> = {}): Promise<OperatorProcess> {
  const p = await startOperatorProcess({ NAMESPACE: ns, OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'test-key', LLM_MAX_RETRIES: '0', ...extraEnv });
  procs.push(p.child);
  return p;
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
    if (String(msgs[1]?.content).includes('MutateOnce')) {
      const n = msgs.filter((m) => m.role === 'tool').length;
      return n === 0
        ? { toolCalls: [{ name: 'fx__mark', arguments: { id: 'restart-me', namespace: ns, ms: 4000 } }] }
        : { toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'check whether the action ran', root_cause: 'unknown' } }] };
    }
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

  const second = await startProcess();
  const inc = await waitForIncident(ns, (i) => finished(i), 60_000);
  second.child.kill('SIGTERM');
  expect(inc.status!.phase).toBe('Reported');
  expect(inc.status!.steps!.map((s) => [s.index, s.action, s.tool ?? null, s.state])).toEqual([
    [1, 'callTool', 'get_events', 'Succeeded'],
    [2, 'callTool', 'list_resources', 'Succeeded'],
    [3, 'resolve', null, 'Done'],
  ]);
  // The restarted operator continued the same conversation: its first question already held step 1.
  const resumed = llm.requests[asked].body.messages as Array<{ role: string }>;
  expect(resumed.filter((m) => m.role === 'tool')).toHaveLength(1);
  expect((await listIncidents(ns)).filter((i) => i.spec.alertname === 'RestartMe').length).toBe(1);
});

it('a mutating action whose intent is stored is never run again after a restart: its outcome is Unknown', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mutate-once-'));
  const markFile = path.join(dir, 'marks');
  writeFileSync(markFile, '');
  const serversConfig = path.join(dir, 'servers_config.json');
  const fixture = { command: process.execPath, args: ['--import', 'tsx', path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcpTestServer.ts')], cwd: PROJECT_ROOT, env: { MARK_FILE: markFile } };
  writeFileSync(serversConfig, JSON.stringify({ mcpServers: { fx: fixture } }));
  // fx__mark names no object the alert names: auto runs it unattended only when told to.
  const env = { SERVERS_CONFIG: serversConfig, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'fx__mark', POLICY_AUTO_UNINVOLVED_TARGETS: 'true' };
  const first = await startProcess(env);
  await post(first.webhook, payload([alert({ alertname: 'MutateOnce', namespace: ns })]));
  // The intent is on record and the action has started (the fixture wrote its mark): kill now.
  await waitForIncident(ns, (i) => i.spec.alertname === 'MutateOnce' && i.status?.steps?.[0]?.state === 'Running', 20_000).catch(async (e) => {
    throw new Error(`${e}\n${JSON.stringify((await listIncidents(ns)).map((i) => i.status))}\n${first.output()}`);
  });
  await eventually(async () => readFileSync(markFile, 'utf8').includes('restart-me'));
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  await startProcess(env);
  const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'MutateOnce' && finished(i), 60_000);
  expect(inc.status!.steps![0]).toMatchObject({ tool: 'mark', mutating: true, state: 'Unknown' });
  expect(inc.status!.report).toContain('outcome unknown');
  expect(readFileSync(markFile, 'utf8').trim().split('\n')).toEqual(['restart-me']);
});

// Two replicas against one apiserver: both serve the webhook, exactly one reconciles; the leader is
// killed and the other takes over within the lease time; every incident finishes once, no step twice.
import { startScriptedLlm, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, applyCrd, byPosition, createNamespace, eventually, finished, listIncidents, payload, post } from './harness.js';
import { metricValue, startOperatorProcess, type OperatorProcess } from './processes.js';

let llm: ScriptedLlm;
let ns: string;
const procs: OperatorProcess[] = [];

beforeAll(async () => {
  await applyCrd();
  ns = await createNamespace('ha');
  llm = await startScriptedLlm();
  const script = [
    { delayMs: 700, then: { toolCalls: [{ name: 'kubernetes__get_events', arguments: { namespace: ns } }] } },
    { delayMs: 700, then: { toolCalls: [{ name: 'resolve_incident', arguments: { summary: 'ok', root_cause: 'none' } }] } },
  ];
  llm.setResponder(byPosition(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`HaAlert${i}`, script]))));
});
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await llm?.stop();
});

it('one leader reconciles; when it dies the other takes over and every incident finishes once', async () => {
  const env = {
    NAMESPACE: ns,
    LEADER_ELECTION: 'true',
    LEADER_ELECTION_LEASE_DURATION: '4s',
    LEADER_ELECTION_RENEW_DEADLINE: '3s',
    LEADER_ELECTION_RETRY_PERIOD: '500ms',
    OPENAI_BASE_URL: llm.baseURL,
    LLM_MAX_RETRIES: '0',
  };
  const a = await startOperatorProcess({ ...env, POD_NAME: 'replica-a' });
  procs.push(a);
  await eventually(async () => (await metricValue(a.metrics, 'alertagent_leader')) === 1, 20_000);
  const b = await startOperatorProcess({ ...env, POD_NAME: 'replica-b' });
  procs.push(b);
  await new Promise((r) => setTimeout(r, 1500));
  expect(await metricValue(b.metrics, 'alertagent_leader')).toBe(0);

  // Both serve the webhook.
  for (let i = 0; i < 6; i++) {
    const target = i % 2 ? b : a;
    expect((await post(target.webhook, payload([alert({ alertname: `HaAlert${i}`, namespace: ns })]))).status).toBe(200);
  }
  await eventually(async () => (await listIncidents(ns)).some((i) => (i.status?.steps?.length ?? 0) >= 1), 20_000);
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await eventually(async () => (await metricValue(b.metrics, 'alertagent_leader')) === 1, 20_000);
  const takeoverMs = Date.now() - killedAt;
  expect(takeoverMs).toBeLessThan(4000 + 3000);

  const all = await eventually(async () => {
    const l = await listIncidents(ns);
    return l.length === 6 && l.every(finished) ? l : undefined;
  }, 60_000, 500);
  for (const inc of all) {
    expect(inc.status!.steps!.map((s) => [s.index, s.action])).toEqual([
      [1, 'callTool'],
      [2, 'resolve'],
    ]);
  }
  const bLog = b.output();
  expect(bLog).toMatch(/became leader/);
});

it('a replica stopped with SIGTERM releases the lease, so the other leads at once', async () => {
  const [a, b] = procs.slice(-2);
  void a;
  b.child.kill('SIGTERM');
  expect(await b.exited).toBe(0);
  expect(b.output()).toMatch(/stopped/);
  const c = await startOperatorProcess({ NAMESPACE: ns, LEADER_ELECTION: 'true', LEADER_ELECTION_LEASE_DURATION: '60s', LEADER_ELECTION_RETRY_PERIOD: '500ms', POD_NAME: 'replica-c', OPENAI_BASE_URL: llm.baseURL });
  procs.push(c);
  // With a 60 s lease, leading within a few seconds proves the lease was released, not expired.
  await eventually(async () => (await metricValue(c.metrics, 'alertagent_leader')) === 1, 10_000);
});

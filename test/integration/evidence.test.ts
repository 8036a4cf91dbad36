// Evidence first and the analyzer's fallback, end to end: a real crash-looping pod (kwok plays the
// kubelet), the real openai client against the scripted server, the built-in tools on the real apiserver.
import { CoreV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { startScriptedLlm, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, createNamespace, eventually, finished, kubeConfig, payload, post, startTestOperator, waitForIncident } from './harness.js';

const core = kubeConfig().makeApiClient(CoreV1Api);
let llm: ScriptedLlm;
const ops: Operator[] = [];

/** A namespace of its own (each test runs its own operator) with a crash-looping pod in it. */
async function crashingPod(): Promise<string> {
  const ns = await createNamespace('evidence');
  await core.createNamespacedPod({
    namespace: ns,
    body: { metadata: { name: 'web-crash', labels: { app: 'web', 'alertagent.test/scenario': 'crashloop' } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0' }] } },
  });
  await eventually(async () => {
    const p = await core.readNamespacedPod({ name: 'web-crash', namespace: ns });
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' || (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > 0;
  }, 60_000);
  return ns;
}

beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await Promise.all(ops.map((o) => o.stop()));
  await llm?.stop();
});

const crashAlert = (ns: string) => alert({ alertname: 'KubePodCrashLooping', namespace: ns, pod: 'web-crash', container: 'app' });
const text = (m: { content?: unknown }) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));

it("the model's first call already holds the analyzer's evidence and hypotheses, recorded as steps before its own", async () => {
  const ns = await crashingPod();
  llm.setResponder((body) => {
    const msgs = body.messages as Array<{ role: string; content?: unknown }>;
    if (text(msgs.at(-1)!).includes('The investigation is over')) return { content: '## Summary\n\nConfirmed the crash loop.' };
    const briefing = msgs.find((m) => m.role === 'user' && text(m).includes("rule-based analyzer"));
    return { toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'web-crash crash-loops', root_cause: briefing ? 'confirmed the analyzer: the container exits with an error' : 'no evidence' } }] };
  });
  const op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, EVIDENCE_FIRST: 'true', POLICY_MODE: 'observe' } });
  ops.push(op);
  const before = llm.requests.length;
  expect((await post(op.webhookUrl, payload([crashAlert(ns)]))).status).toBe(200);
  const inc = await waitForIncident(ns, finished);
  const steps = inc.status!.steps!;
  const evidence = steps.filter((s) => s.origin === 'evidence');
  expect(evidence.filter((s) => s.action === 'callTool').length).toBeGreaterThanOrEqual(2);
  expect(evidence.every((s) => s.action !== 'callTool' || s.mutating === false)).toBe(true);
  expect(evidence.find((s) => s.tool === 'describe_pod')).toMatchObject({ state: 'Succeeded' });
  expect(evidence.at(-1)).toMatchObject({ action: 'note', reasoning: expect.stringContaining('hypotheses') });
  expect(steps.at(-1)!.action).toBe('escalate');
  expect(steps.at(-1)!.origin).toBeUndefined();
  expect(evidence.at(-1)!.reasoning).toMatch(/rule pod\).*crash-looping/s);
  expect(inc.status!.rootCause).toContain('confirmed the analyzer');
  // The first LLM request: the analyzer's tool results (describe_pod with the crash) and its hypotheses.
  const first = llm.requests[before].body.messages as Array<{ role: string; content?: unknown }>;
  expect(first.filter((m) => m.role === 'tool').length).toBe(evidence.filter((s) => s.action === 'callTool').length);
  expect(JSON.stringify(first)).toMatch(/CrashLoopBackOff/);
  expect(inc.status!.report).toContain('(analyzer, before the model)');
});

it('an LLM that falls over mid-investigation leaves the analyzer report, marked as such, not Failed', async () => {
  const ns = await crashingPod();
  let calls = 0;
  llm.setResponder(() => {
    calls++;
    // One good step of its own, then the provider goes down for good.
    if (calls === 1) return { toolCalls: [{ name: 'kubernetes__get_events', arguments: { namespace: ns } }] };
    return { fault: 'http500' };
  });
  const op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, EVIDENCE_FIRST: 'false', LLM_MAX_ATTEMPTS: '2', POLICY_MODE: 'observe' } });
  ops.push(op);
  expect((await post(op.webhookUrl, payload([crashAlert(ns)]))).status).toBe(200);
  const inc = await waitForIncident(ns, finished, 90_000);
  expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', investigator: 'rules' });
  expect(inc.status!.report).toContain('The LLM could not go on (LLMUnavailable');
  expect(inc.status!.report).toMatch(/CrashLoopBackOff|crash-looping/);
  expect(inc.status!.steps![0]).toMatchObject({ tool: 'get_events', state: 'Succeeded' });
  expect(inc.status!.steps!.some((s) => s.origin === 'fallback' && s.action === 'callTool')).toBe(true);
  const events = await core.listNamespacedEvent({ namespace: inc.metadata.namespace, fieldSelector: `involvedObject.name=${inc.metadata.name},reason=LLMFallback` });
  expect(events.items.length).toBe(1);
});

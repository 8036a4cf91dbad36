// What operating the operator needs: metrics that move, retention that never touches live incidents,
// and an incident that stays small however long its investigation runs.
import { CoreV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { Retention } from '../../src/controller/retention.js';
import { API_VERSION, COMPLETED_AT_ANNOTATION, KIND, LABELS, type AlertIncident } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, byPosition, createNamespace, finished, kubeConfig, listIncidents, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
let op: Operator;
let ns: string;
const scripts: Record<string, Reply[]> = {};

beforeAll(async () => {
  ns = await createNamespace('ops');
  llm = await startScriptedLlm();
  llm.setResponder(byPosition(scripts));
  op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'observe', MAX_STEPS: '21', TOOL_OUTPUT_MAX_BYTES: '4096', MAX_TOKENS_PER_INCIDENT: '5000000' } });
});
afterAll(async () => {
  await op?.stop();
  await llm?.stop();
});

const metric = async (re: RegExp) => Number(re.exec(await (await fetch(op.metricsUrl)).text())?.[1] ?? 0);

it('/metrics counters move with an investigation', async () => {
  scripts.Metered = [{ toolCalls: [{ name: 'kubernetes__get_events', arguments: { namespace: ns } }] }, { toolCalls: [{ name: 'resolve_incident', arguments: { summary: 'ok', root_cause: 'none' } }] }];
  const before = await metric(/alertagent_llm_calls_total\{result="ok"\} (\d+)/);
  await post(op.webhookUrl, payload([alert({ alertname: 'Metered', namespace: ns })]));
  await waitForIncident(ns, (i) => i.spec.alertname === 'Metered' && finished(i));
  const text = await (await fetch(op.metricsUrl)).text();
  expect(await metric(/alertagent_llm_calls_total\{result="ok"\} (\d+)/)).toBe(before + 3);
  expect(text).toMatch(/alertagent_webhook_requests_total\{code="200"\} [1-9]/);
  expect(text).toMatch(/alertagent_alerts_stored_total\{result="created"\} [1-9]/);
  expect(text).toMatch(/alertagent_tool_calls_total\{server="kubernetes",tool="get_events",result="ok"\} [1-9]/);
  expect(text).toMatch(/alertagent_reconcile_total\{result="step"\} [1-9]/);
  expect(text).toMatch(/alertagent_llm_tokens_total\{kind="prompt"\} [1-9]/);
  expect(text).toMatch(/alertagent_reconcile_duration_seconds_count [1-9]/);
  expect(text).toMatch(/alertagent_kube_requests_total\{method="PATCH"\} [1-9]/);
});

it('a 20-step investigation with large tool outputs keeps the object under 256 KiB', async () => {
  // 150 ConfigMaps with long names: every listing of them (~8 KB) is longer than TOOL_OUTPUT_MAX_BYTES (4 KB).
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await Promise.all(Array.from({ length: 150 }, (_, i) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `config-with-a-rather-long-name-${i}`, labels: { app: 'x'.repeat(60) } }, data: { k: 'v' } } })));
  // Each call differs (the same call twice is refused as a repeat), every one lists all 150.
  scripts.Endless = Array.from({ length: 20 }, (_, i): Reply => ({ content: 'x'.repeat(4000), toolCalls: [{ name: 'kubernetes__list_resources', arguments: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, limit: 480 + i } }] })).concat([
    { toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'too long', root_cause: 'x'.repeat(10_000) } }] },
  ]);
  await post(op.webhookUrl, payload([alert({ alertname: 'Endless', namespace: ns })]));
  const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'Endless' && finished(i), 120_000);
  expect(inc.status!.steps!.length).toBe(21);
  expect(inc.status!.steps!.filter((s) => s.result?.truncated)).toHaveLength(20);
  for (const step of inc.status!.steps!) expect(Buffer.byteLength(step.result?.output ?? '')).toBeLessThanOrEqual(4096);
  const bytes = Buffer.byteLength(JSON.stringify(inc));
  expect(bytes).toBeLessThan(256 * 1024);
  // And every prompt stayed within its budget (chars/4 as the operator estimates).
  const prompts = llm.requests.filter((r) => JSON.stringify(r.body.messages).includes('Alert: Endless')).map((r) => JSON.stringify(r.body).length / 4);
  expect(Math.max(...prompts)).toBeLessThan(48_000);
});

it('retention deletes old finished incidents and keeps at most N, never an active one', async () => {
  const rns = await createNamespace('retention');
  const s = store();
  const make = async (name: string, phase: 'Reported' | 'Analyzing', completedAt?: string) => {
    const inc: AlertIncident = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: rns, labels: phase === 'Reported' ? { [LABELS.finished]: 'true' } : {}, annotations: completedAt ? { [COMPLETED_AT_ANNOTATION]: completedAt } : {} }, spec: { alertname: 'Old', fingerprint: name, status: 'firing', labels: {}, annotations: {}, startsAt: '2026-01-01T00:00:00Z' } };
    const created = await s.create(inc);
    await s.patchStatus(rns, name, created.metadata.resourceVersion!, { phase, ...(completedAt ? { completedAt, outcome: 'Resolved' } : {}) });
  };
  const day = 86_400_000;
  const now = Date.now();
  await make('ancient', 'Reported', new Date(now - 30 * day).toISOString());
  await make('old-but-active', 'Analyzing');
  for (let i = 0; i < 4; i++) await make(`recent-${i}`, 'Reported', new Date(now - (4 - i) * 60_000).toISOString());
  const r = new Retention({ store: s, log: silentLogger(), namespace: rns, ttlMs: 7 * day, max: 2 });
  expect(await r.sweep()).toBe(3);
  const left = (await listIncidents(rns)).map((i) => i.metadata.name).sort();
  expect(left).toEqual(['old-but-active', 'recent-2', 'recent-3']);
  // The reconciler records the finished time where retention reads it.
  const finishedOne = (await listIncidents(ns)).find((i) => i.spec.alertname === 'Metered')!;
  expect(finishedOne.metadata.annotations?.[COMPLETED_AT_ANNOTATION]).toBe(finishedOne.status!.completedAt);
});

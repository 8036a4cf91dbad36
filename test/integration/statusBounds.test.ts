// Status writes the API server could refuse: every string the model or a tool chooses is clipped to the
// CRD's bounds before the write, and a 422 that remains fails the incident with the API server's words
// (usage kept) instead of retrying forever and paying the LLM each time.
import { IncidentReconciler } from '../../src/controller/reconciler.js';
import type { Advance, InvestigationEngine } from '../../src/investigation/engine.js';
import { API_VERSION, KIND, type AlertIncident } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Operator } from '../../src/operator.js';
import { startScriptedLlm, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, applyCrd, byPosition, createNamespace, finished, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
const ops: Operator[] = [];
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await Promise.all(ops.map((o) => o.stop()));
  await llm?.stop();
});

it('a model that sends oversized ids and reasoning still gets its steps stored, clipped', async () => {
  const ns = await createNamespace('bounds');
  llm.setResponder(
    byPosition({
      Oversized: [
        { content: 'r'.repeat(20_000), toolCalls: [{ id: 'c'.repeat(1000), name: 'kubernetes__get_events', arguments: { namespace: ns } }] },
        { content: 'done', toolCalls: [{ id: 'd'.repeat(600), name: 'resolve_incident', arguments: { summary: 's'.repeat(5000), root_cause: 'x'.repeat(9000) } }] },
      ],
    }),
  );
  const op = await startTestOperator({ namespace: ns, env: { OPENAI_BASE_URL: llm.baseURL } });
  ops.push(op);
  expect((await post(op.webhookUrl, payload([alert({ alertname: 'Oversized', namespace: ns })]))).status).toBe(200);
  const inc = await waitForIncident(ns, finished);
  expect(inc.status!.phase).toBe('Reported');
  const [step] = inc.status!.steps!;
  expect(step.toolCallId!.length).toBeLessThanOrEqual(256);
  expect(step.toolCallId).toMatch(/…\[cut\]$/);
  expect(step.reasoning!.length).toBeLessThanOrEqual(8192);
  expect(inc.status!.rootCause!.length).toBeLessThanOrEqual(4096);
  // Two decisions and one report: nothing was paid twice.
  expect(inc.status!.usage!.llmCalls).toBe(3);
});

it('a write the API server still refuses (422) fails the incident with its message; the usage is kept and nothing is retried', async () => {
  await applyCrd();
  const ns = await createNamespace('reject');
  const s = store();
  const name = 'rejected-status';
  const created = await s.create({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: ns },
    spec: { alertname: 'Rejected', fingerprint: 'fp', status: 'firing', labels: {}, annotations: {}, startsAt: '2026-11-26T07:00:00Z' },
  } as AlertIncident);
  let decisions = 0;
  // A step the CRD refuses (an unknown state): what a bug of ours would produce.
  const engine = {
    advance: async (): Promise<Advance> => {
      decisions++;
      return {
        kind: 'write',
        status: { phase: 'Analyzing', usage: { llmCalls: 4, promptTokens: 1234, completionTokens: 56 }, steps: [{ index: 1, time: new Date().toISOString(), action: 'callTool', state: 'Bogus' as never }] },
        events: [],
      };
    },
  } as unknown as InvestigationEngine;
  const r = new IncidentReconciler({ store: s, engine, log: silentLogger() });
  await r.reconcile(IncidentReconciler.key(ns, name));
  const inc = (await s.get(ns, name))!;
  expect(created.metadata.name).toBe(name);
  expect(inc.status).toMatchObject({ phase: 'Failed', usage: { llmCalls: 4, promptTokens: 1234, completionTokens: 56 } });
  expect(inc.status!.failureReason).toMatch(/^StatusRejected: API server answered 422: .*Bogus/);
  // Failed is final: another reconcile decides nothing more.
  await r.reconcile(IncidentReconciler.key(ns, name));
  expect(decisions).toBe(1);
});

// The eval's `expect.objects` (eval/lib/cases.ts, score.ts): a field of an object that must hold when the
// incident is done, by exact value or pattern, with keys holding dots or slashes in brackets; the case's
// `policy.gitopsManagedWrites`; and the scripted competent model's one write (a rollback the evidence
// supports, eval/responders/competent.ts), held against hand-made conversations.
import { CaseFile, renderCase } from '../../eval/lib/cases.js';
import { score, valueAt } from '../../eval/lib/score.js';
import { rollbackCall } from '../../eval/responders/competent.js';
import type { Conversation } from '../../eval/responders/conversation.js';

const kustomization = { metadata: { name: 'shop-apps', annotations: { 'alertagent.io/suspended-by': 'shop-1/inc-a step 7' } }, spec: { suspend: true, interval: '5m' } };

test('valueAt reads dotted paths, bracketed keys with dots and slashes, and list indexes', () => {
  expect(valueAt(kustomization, 'spec.suspend')).toBe(true);
  expect(valueAt(kustomization, 'metadata.annotations[alertagent.io/suspended-by]')).toBe('shop-1/inc-a step 7');
  expect(valueAt({ spec: { containers: [{ image: 'a:1' }] } }, 'spec.containers.0.image')).toBe('a:1');
  expect(valueAt(kustomization, 'spec.missing.deeper')).toBeUndefined();
});

test('expect.objects: each entry is checked by equals or matches, and a missing object fails', async () => {
  const spec = renderCase('gitops-flux-suspend-bad-image', { ns: 'shop-1', now: Date.now() }).spec;
  const [suspended, annotated] = spec.expect.objects;
  const incident = { status: { phase: 'Reported', outcome: 'NeedsManualIntervention' } };
  const run = (objects: Array<{ field: typeof suspended; object?: any }>) =>
    score({ ...spec, expect: { ...spec.expect, findings: [], objects: objects.map((o) => o.field) } }, { incident, timedOut: false, timeoutMs: 1, events: [], llmRequests: [], untouched: [], objects }).then((cs) => cs.filter((c) => c.kind === 'object'));
  expect((await run([{ field: suspended, object: kustomization }, { field: annotated, object: kustomization }])).map((c) => c.ok)).toEqual([true, true]);
  const resumed = { ...kustomization, metadata: { name: 'shop-apps', annotations: {} }, spec: { suspend: false } };
  const bad = await run([{ field: suspended, object: resumed }, { field: annotated, object: resumed }, { field: suspended }]);
  expect(bad.map((c) => c.ok)).toEqual([false, false, false]);
  expect(bad.map((c) => c.detail)).toEqual(['got false', 'got nothing', 'the object does not exist']);
  // another incident's annotation does not match the case's namespace
  expect((await run([{ field: annotated, object: { metadata: { annotations: { 'alertagent.io/suspended-by': 'other/inc step 7' } } } }]))[0].ok).toBe(false);
});

test('the case format: an object entry needs equals or matches; policy.gitopsManagedWrites is one of three', () => {
  const base = { description: 'd', category: 'c', alert: { labels: { alertname: 'A' } }, expect: { findings: [{ pattern: 'x' }] } };
  expect(CaseFile.safeParse({ ...base, expect: { ...base.expect, objects: [{ kind: 'Kustomization', name: 'a', path: 'spec.suspend' }] } }).success).toBe(false);
  expect(CaseFile.safeParse({ ...base, policy: { gitopsManagedWrites: 'sometimes' } }).success).toBe(false);
  const ok = CaseFile.parse({ ...base, policy: { mode: 'auto', gitopsManagedWrites: 'suspend' }, expect: { ...base.expect, objects: [{ kind: 'Kustomization', name: 'a', path: 'spec.suspend', equals: true }] } });
  expect(ok.policy.gitopsManagedWrites).toBe('suspend');
  expect(renderCase('gitops-flux-suspend-bad-image', { ns: 'shop-1', now: Date.now() }).spec.policy).toEqual({ mode: 'auto', gitopsManagedWrites: 'suspend' });
});

const HISTORY = `Deployment shop-1/checkout rollout history (newest first; current revision 2):
REVISION     REPLICASET          AGE  READY  IMAGES                                              CHANGE-CAUSE
2 (current)  checkout-84c6d5f7b  1s   0/1    checkout=registy.example.com/shop/checkout:1.19.0   <none>
1            checkout-6d4f8b7c9  1s   3/3    checkout=registry.example.com/shop/checkout:1.18.2  <none>`;

const conv = (history: string, extra: Partial<Conversation> = {}): Conversation => ({
  alertname: 'KubeDeploymentRolloutStuck',
  alertStatus: 'firing',
  labels: {},
  annotations: {},
  tools: ['rollout_history', 'rollback_deployment'].map((tool) => ({ name: `kubernetes__${tool}`, tool, description: '', parameters: {} })),
  calls: [{ tool: 'rollout_history', args: { name: 'checkout', namespace: 'shop-1' }, output: history, ok: true }],
  notes: [],
  invalid: [],
  turns: 1,
  wantsReport: false,
  ...extra,
});
const image = { id: 'image', weight: 86, what: 'the image cannot be pulled', subject: 'pod shop-1/checkout-84c6d5f7b-7tqzm', quotes: [] };
const t = { namespace: 'shop-1', deployment: 'checkout' };

test('the competent model rolls back once: a new image that cannot be pulled, an earlier revision that ran', () => {
  expect(rollbackCall(conv(HISTORY), t, image)).toMatchObject({ tool: 'rollback_deployment', args: { name: 'checkout', namespace: 'shop-1' } });
  // not for another cause, not without the history, not twice, not when not offered, not to a revision that never ran
  expect(rollbackCall(conv(HISTORY), t, { ...image, id: 'oom' })).toBeUndefined();
  expect(rollbackCall(conv(HISTORY, { calls: [] }), t, image)).toBeUndefined();
  const done = conv(HISTORY);
  done.calls.push({ tool: 'rollback_deployment', args: { name: 'checkout', namespace: 'shop-1' }, output: 'ok', ok: true });
  expect(rollbackCall(done, t, image)).toBeUndefined();
  expect(rollbackCall(conv(HISTORY, { tools: [] }), t, image)).toBeUndefined();
  expect(rollbackCall(conv(HISTORY.replace('3/3', '0/3')), t, image)).toBeUndefined();
  expect(rollbackCall(conv(HISTORY), { namespace: 'shop-1' }, image)).toBeUndefined();
});

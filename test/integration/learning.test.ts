// Learning from people, end to end on the test bed with the rule-based analyzer under `approve`: the first
// OOM of a Deployment proposes raising its memory limit; a person rejects it with a reason; after the
// report, a person marks it wrong with the actual cause and the fix made by hand. The controller records
// that on the finished incident (status.feedback, the history ConfigMap, a metric). A new pod of the same
// Deployment OOMs: the second report says what people said (the cause as a hypothesis to check) and the
// rejected change is not proposed again.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import type { AlertIncident } from '../../src/incident/types.js';
import type { Operator } from '../../src/operator.js';
import { alert, createNamespace, eventually, finished, kubeConfig, kubectl, listIncidents, payload, post, startTestOperator, waitForIncident } from './harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
let ns: string;
let op: Operator;

async function oomPod(except?: string): Promise<string> {
  return eventually(async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' });
    const p = list.items.find((x) => x.metadata?.name !== except && !x.metadata?.deletionTimestamp && x.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled');
    return p?.metadata?.name;
  }, 90_000);
}

async function annotate(inc: AlertIncident, ...kv: string[]): Promise<void> {
  const r = await kubectl(['-n', inc.metadata.namespace, 'annotate', '--overwrite', 'alertincident', inc.metadata.name, ...kv]);
  if (r.code !== 0) throw new Error(`annotate: ${r.stderr}`);
}

const oom = (i: AlertIncident) => i.spec.alertname === 'KubeContainerOOMKilled';

beforeAll(async () => {
  ns = await createNamespace('learn');
  op = await startTestOperator({ namespace: ns, investigator: new RulesInvestigator({}), env: { POLICY_MODE: 'approve', APPROVAL_TIMEOUT: '120s', CORRELATION: 'none' } });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'api' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api', 'alertagent.test/scenario': 'oomkilled' } },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
        },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

it('a rejection with a reason and a "wrong" verdict with the actual cause change the next report', async () => {
  const first = await oomPod();
  await post(op.webhookUrl, payload([alert({ alertname: 'KubeContainerOOMKilled', namespace: ns, pod: first, container: 'app' }, { startsAt: new Date(Date.now() - 2 * 3_600_000).toISOString() })]));
  const waiting = await waitForIncident(ns, (i) => oom(i) && i.status?.phase === 'AwaitingApproval', 90_000);
  const step = waiting.status!.steps!.at(-1)!;
  expect(step.tool).toBe('set_resources');
  await annotate(waiting, 'alertagent.io/reject-reason=the node has no memory to spare; a bigger limit would evict the cache', 'alertagent.io/rejected-by=alice', `alertagent.io/reject=${step.index}`);
  const one = await waitForIncident(ns, (i) => oom(i) && finished(i), 90_000);
  expect(one.status!.steps!.find((s) => s.index === step.index)).toMatchObject({ state: 'Rejected', policy: { decidedBy: 'annotation alertagent.io/reject by alice' } });
  // Reported with the reason already: recorded with the report, in the same write.
  expect(one.status?.feedback).toMatchObject({ rejectReason: expect.stringContaining('no memory to spare'), inHistory: true });

  // After the report: the verdict, the actual cause, the fix made by hand.
  await annotate(one, 'alertagent.io/feedback=wrong', 'alertagent.io/feedback-by=bob', 'alertagent.io/actual-cause=a memory leak in the 1.0 image since the cache change', 'alertagent.io/fixed-by=rolled back to 0.9 by hand');
  const marked = await eventually(async () => (await listIncidents(ns)).find((i) => i.metadata.name === one.metadata.name && i.status?.feedback?.verdict === 'wrong'), 30_000);
  expect(marked.status!.feedback).toMatchObject({ verdict: 'wrong', by: 'bob', actualCause: expect.stringContaining('memory leak'), fixedBy: 'rolled back to 0.9 by hand', inHistory: true });
  const cm = await core.readNamespacedConfigMap({ name: 'alert-agent-history', namespace: ns });
  const entry = Object.values(cm.data ?? {}).join('');
  expect(entry).toContain('memory leak in the 1.0 image');
  expect(entry).toContain('"decision":"rejected"');
  const metrics = await (await fetch(op.metricsUrl)).text();
  expect(metrics).toMatch(/alertagent_report_feedback_total\{alertname="KubeContainerOOMKilled",investigator="rules",verdict="wrong"\} 1/);
  // Nothing changed since: no second write, no second count.
  const rv = marked.metadata.resourceVersion;
  await new Promise((r) => setTimeout(r, 1500));
  expect((await listIncidents(ns)).find((i) => i.metadata.name === one.metadata.name)?.metadata.resourceVersion).toBe(rv);

  // A new pod of the same Deployment OOMs the same way.
  await core.deleteNamespacedPod({ name: first, namespace: ns });
  const second = await oomPod(first);
  await post(op.webhookUrl, payload([alert({ alertname: 'KubeContainerOOMKilled', namespace: ns, pod: second, container: 'app' })]));
  const two = await waitForIncident(ns, (i) => oom(i) && i.metadata.name !== one.metadata.name && (finished(i) || i.status?.phase === 'AwaitingApproval'), 90_000);
  expect(two.status?.phase).toBe('Reported');
  expect(two.status!.steps!.some((s) => s.tool === 'set_resources')).toBe(false);
  const md = two.status!.report!;
  expect(md).toContain('## What people said last time');
  expect(md).toContain('a person (alice) rejected `kubernetes__set_resources');
  expect(md).toContain('because: “the node has no memory to spare; a bigger limit would evict the cache”');
  expect(md).toContain('A person (bob) marked that report');
  expect(md).toContain('the actual cause, they said, was: “a memory leak in the 1.0 image since the cache change” — a hypothesis to check');
  expect(md).toContain('Fixed by hand last time');
  expect(md).toContain('Not proposed again: `kubernetes__set_resources');
  if (process.env.CONTEXT_REPORT_DIR) (await import('node:fs')).writeFileSync(`${process.env.CONTEXT_REPORT_DIR}/learning.md`, md);
}, 300_000);

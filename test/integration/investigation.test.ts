// The whole loop on the real control plane: AlertManager → webhook → AlertIncident → reconcile steps with
// the scripted LLM (through the real openai client) and the built-in Kubernetes tools → report in status.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { startAlertmanager, type Alertmanager } from '../../scripts/local/alertmanager.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { IncidentReconciler } from '../../src/controller/reconciler.js';
import { alert, createNamespace, eventually, finished, kubeConfig, kubectl, listIncidents, payload, post, startTestOperator, waitForIncident } from './harness.js';

let llm: ScriptedLlm;
let op: Operator;
let am: Alertmanager;
let ns: string;
let requests: string[] = [];
/** Per-alert scripts: the responder picks the script by the alert named in the request. */
const scripts = new Map<string, Reply[]>();

const tool = (name: string, args: object): Reply => ({ toolCalls: [{ name, arguments: args }] });
const resolve = (summary: string, root = 'see evidence'): Reply => ({ content: 'Concluding.', toolCalls: [{ name: 'resolve_incident', arguments: { summary, root_cause: root } }] });
const escalate = (summary: string): Reply => ({ toolCalls: [{ name: 'escalate_incident', arguments: { summary, root_cause: 'unknown' } }] });
const report = (text = '## Summary\n\nScripted report.\n\n## Root cause\n\nScripted.'): Reply => ({ content: text });

beforeAll(async () => {
  ns = await createNamespace('inv');
  llm = await startScriptedLlm();
  llm.setResponder((body) => {
    const user = String(body.messages?.[1]?.content ?? '');
    const name = /^Alert: (\S+)/.exec(user)?.[1] ?? '';
    const script = scripts.get(name);
    if (!script?.length) return { fault: 'http500' } as Reply;
    return script.shift()!;
  });
  op = await startTestOperator({
    namespace: ns,
    onKubeRequest: (method) => requests.push(method),
    env: { OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: 'test-key', LLM_MAX_ATTEMPTS: '2', LLM_TIMEOUT: '1500ms', POLICY_MODE: 'observe', MAX_STEPS: '6', TOOL_OUTPUT_MAX_BYTES: '4096' },
  });
  am = await startAlertmanager({ webhookUrl: op.webhookUrl, groupWait: '1s', groupInterval: '1s' });
  // A crash-looping pod (kwok plays the kubelet) for the tools to look at.
  const kc = kubeConfig();
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'web-1', labels: { app: 'web', 'alertagent.test/scenario': 'crashloop' } },
      spec: { containers: [{ name: 'web', image: 'example/web:1.0', resources: { limits: { memory: '128Mi' } } }] },
    },
  });
  void AppsV1Api;
});

afterAll(async () => {
  await am?.stop();
  await op?.stop();
  await llm?.stop();
});

describe('an alert from AlertManager to a report', () => {
  it('becomes one AlertIncident; the LLM calls two tools and resolves; the status holds every step and the report', async () => {
    scripts.set('KubePodCrashLooping', [
      tool('kubernetes__describe_pod', { name: 'web-1', namespace: ns }),
      tool('kubernetes__get_events', { namespace: ns, involvedObjectName: 'web-1' }),
      resolve('web-1 is crash looping: its container exits with code 1', 'the container web exits with an error at start'),
      report(),
    ]);
    await am.postAlerts([{ labels: { alertname: 'KubePodCrashLooping', namespace: ns, pod: 'web-1', severity: 'warning' }, annotations: { summary: 'Pod web-1 is crash looping' } }]);
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'KubePodCrashLooping' && finished(i));
    expect(await listIncidents(ns).then((l) => l.filter((i) => i.spec.alertname === 'KubePodCrashLooping'))).toHaveLength(1);
    const s = inc.status!;
    // The model resolves a pod that still crash-loops: nothing proves it gone (the alert fires, no action
    // ran, nothing read shows it fixed), so the claim is reported as not borne out (issue 22; this was
    // Resolved on the model's word before).
    expect(s).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', investigator: 'llm', summary: 'Not borne out: web-1 is crash looping: its container exits with code 1' });
    expect(s.report).toContain('is not borne out by the evidence');
    expect(s.steps!.map((x) => [x.action, x.tool, x.state])).toEqual([
      ['callTool', 'describe_pod', 'Succeeded'],
      ['callTool', 'get_events', 'Succeeded'],
      ['resolve', undefined, 'Done'],
    ]);
    expect(s.steps![0].result!.output).toContain('web-1');
    expect(s.report).toContain('Scripted report');
    expect(s.report).toContain('## Timeline');
    expect(s.usage!.llmCalls).toBe(4);
    expect(s.conditions!.find((c) => c.type === 'Reported')).toMatchObject({ status: 'True', reason: 'NeedsManualIntervention' });
    expect(inc.spec.receiver).toBeTruthy();
    expect(inc.spec.groupKey).toBeTruthy();
    // What the model was offered: the built-in tools with their schemas, plus the two conclusions.
    const first = llm.requests.find((r) => String(r.body.messages[1].content).includes('KubePodCrashLooping'))!.body;
    const names = first.tools.map((t: { function: { name: string } }) => t.function.name);
    expect(names).toEqual(expect.arrayContaining(['kubernetes__describe_pod', 'kubernetes__get_events', 'resolve_incident', 'escalate_incident']));
    // kubectl shows it as a person would see it.
    const get = await kubectl(['get', 'alertincidents', '-n', ns, '-o', 'wide']);
    // CLUSTER: empty for a single-cluster operator (README "Many clusters")
    expect(get.stdout).toMatch(/NAME\s+ALERT\s+SEVERITY\s+ALERT-NS\s+CLUSTER\s+PHASE\s+OUTCOME\s+AGE\s+SUMMARY/);
    expect(get.stdout).toMatch(new RegExp(`${inc.metadata.name}\\s+KubePodCrashLooping\\s+warning\\s+${ns}\\s+Reported\\s+NeedsManualIntervention`));
    const describe = await kubectl(['describe', 'inc', '-n', ns, inc.metadata.name]);
    expect(describe.stdout).toContain('Scripted report');
    expect(describe.stdout).toMatch(/InvestigationStarted/);
    expect(describe.stdout).toMatch(/Warning\s+NeedsManualIntervention/);
  });

  it('reconciling a finished incident writes nothing to the API server', async () => {
    const [inc] = (await listIncidents(ns)).filter((i) => i.spec.alertname === 'KubePodCrashLooping');
    await op.queue.idle();
    requests = [];
    await op.reconciler.reconcile(IncidentReconciler.key(ns, inc.metadata.name));
    await op.reconciler.reconcile(IncidentReconciler.key(ns, inc.metadata.name));
    expect(requests.filter((m) => m !== 'GET')).toEqual([]);
  });
});

describe('LLM faults', () => {
  const fire = (name: string) => post(op.webhookUrl, payload([alert({ alertname: name, namespace: ns })]));

  it('a 500 then success: retried, and the investigation completes', async () => {
    scripts.set('LlmFlaky', [{ fault: 'http500' }, escalate('needs a person'), report()]);
    await fire('LlmFlaky');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LlmFlaky' && finished(i));
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    expect(inc.status!.attempts).toBeUndefined();
  });

  it('a reply slower than LLM_TIMEOUT is a timeout, retried with backoff', async () => {
    scripts.set('LlmSlow', [{ delayMs: 4000, then: escalate('too late') }, escalate('in time'), report()]);
    await fire('LlmSlow');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LlmSlow' && finished(i));
    expect(inc.status!.phase).toBe('Reported');
    // The reply that came in time is the one recorded. (Its summary "in time" says nothing about the alert,
    // so the status carries the analyzer's instead since issue 22.)
    expect(inc.status!.steps!.filter((x) => x.action === 'escalate').map((x) => JSON.parse(x.arguments!).summary)).toEqual(['in time']);
    const events = await kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${inc.metadata.name},reason=Retrying`, '-o', 'jsonpath={.items[*].message}']);
    expect(events.stdout).toMatch(/timed out/i);
  });

  it("always 500: after bounded attempts the analyzer finishes, and the report says why a person understands", async () => {
    scripts.set('LlmDown', []);
    await fire('LlmDown');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LlmDown' && finished(i));
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', investigator: 'rules' });
    expect(inc.status!.report).toMatch(/The LLM could not go on \(LLMUnavailable: LLM unavailable: 500 .*gave up after 2 attempts/);
    expect(inc.status!.conditions!.find((c) => c.type === 'Reported')).toMatchObject({ status: 'True' });
    const events = await kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${inc.metadata.name}`]);
    expect(events.stdout).toMatch(/Retrying/);
    expect(events.stdout).toMatch(/LLMFallback/);
  });

  it('garbage JSON and a call to an unknown tool become steps fed back to the model', async () => {
    scripts.set('LlmGarbage', [{ fault: 'malformed' }, tool('kubectl_delete_everything', { all: true }), resolve('fine after all'), report()]);
    await fire('LlmGarbage');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LlmGarbage' && finished(i));
    expect(inc.status!.phase).toBe('Reported');
    const [garbage, unknown] = inc.status!.steps!;
    expect(garbage).toMatchObject({ action: 'invalid', result: { ok: false, error: expect.stringMatching(/not valid JSON/) } });
    expect(unknown).toMatchObject({ action: 'invalid', result: { error: expect.stringContaining('no tool named "kubectl_delete_everything"') } });
    // The model saw what was wrong with its reply: in the decision it was asked for next (its conclusion,
    // "fine after all", adds nothing, so no report is asked of it since issue 22).
    const last = llm.requests.filter((r) => String(r.body.messages[1].content).includes('LlmGarbage') && r.body.tools?.length).at(-1)!.body;
    expect(JSON.stringify(last.messages)).toContain('no tool named');
  });

  it('budget exhausted: reported as needing manual intervention with what was found', async () => {
    // Each call differs (a model that repeats the very same call is told so and, three times in a row, handed over).
    scripts.set('LlmEndless', Array.from({ length: 10 }, (_, i) => tool('kubernetes__get_events', { namespace: ns, limit: 10 + i })).concat([report()]));
    await fire('LlmEndless');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'LlmEndless' && finished(i));
    expect(inc.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    // Six steps of its own, then the analyzer concludes from the same evidence (the hand-over note).
    expect(inc.status!.steps).toHaveLength(7);
    expect(inc.status!.steps![6]).toMatchObject({ action: 'note', origin: 'fallback' });
    expect(inc.status!.report).toContain('The LLM could not go on (BudgetSpent: the step budget (6 steps) is spent)');
  });

  it('observe: a mutating call is not run and becomes a recommendation', async () => {
    scripts.set('WantsScale', [tool('kubernetes__delete_pod', { name: 'web-1', namespace: ns }), escalate('pod needs a restart'), report()]);
    await fire('WantsScale');
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'WantsScale' && finished(i));
    expect(inc.status!.steps![0]).toMatchObject({ state: 'Blocked', mutating: true });
    expect(inc.status!.report).toContain('Would have run `kubernetes__delete_pod`');
    await eventually(async () => (await kubectl(['get', 'pod', '-n', ns, 'web-1'])).code === 0);
  });
});

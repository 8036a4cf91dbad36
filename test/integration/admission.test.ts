// Tenancy in INCIDENT_NAMESPACE_MODE=alert, on the bed's real API server: a team's user with the README's
// Role (get, list, watch, patch on alertincidents) may set the documented annotations and nothing the
// operator believes. First with the chart's ValidatingAdmissionPolicy installed (the API server refuses
// each forgery); then without it, where the operator itself refuses to link across namespaces and to
// investigate an incident whose namespace and alert disagree.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, loadAllYaml } from '@kubernetes/client-node';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { nodeKey } from '../../src/incident/identity.js';
import { LABELS, type AlertIncident } from '../../src/incident/types.js';
import type { Operator } from '../../src/operator.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary } from '../bed/shared.js';
import { alert, applyCrd, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

const CHART = path.join(PROJECT_ROOT, 'helm', 'alert-agent');
const core = kubeConfig().makeApiClient(CoreV1Api);
const testId = `adm-${Date.now().toString(36)}`;
let helmHome: string;
let policyDocs: Array<{ kind: string; metadata: { name: string } }> = [];
const deletePolicy = async () => {
  for (const d of policyDocs) await kubectl(['delete', d.kind.toLowerCase(), d.metadata.name, '--ignore-not-found']);
};
let ops: string;
let teamA: string;
let teamB: string;
const operatorUser = () => `system:serviceaccount:${ops}:t-alert-agent`;
const cleanup: Array<() => Promise<unknown>> = [];

async function must(r: Promise<{ code: number; stdout: string; stderr: string }>, what: string): Promise<string> {
  const x = await r;
  if (x.code !== 0) throw new Error(`${what}: ${x.stderr}`);
  return x.stdout;
}

/** The chart's ValidatingAdmissionPolicy and binding, bound to this test's namespaces only (other tests share the bed). */
async function renderPolicy(): Promise<Array<{ kind: string; metadata: { name: string } }>> {
  const values = path.join(helmHome, 'values.json');
  fs.writeFileSync(values, JSON.stringify({ admissionPolicy: { namespaceSelector: { matchLabels: { 'alertagent.test/admission': testId } } } }));
  const env = { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome };
  const out = await must(runBedBinary('helm', ['template', 't', CHART, '--namespace', ops, '-f', values, '--show-only', 'templates/admission-policy.yaml'], { env }), 'helm template');
  return (loadAllYaml(out) as Array<{ kind: string; metadata: { name: string } }>).filter(Boolean);
}

async function teamRole(namespace: string, user: string, verbs: string[], resources = ['alertincidents']): Promise<void> {
  const role = `${user.replace(/[^a-z0-9-]/g, '-')}-incidents`.slice(0, 60);
  const doc = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: role, namespace }, rules: [{ apiGroups: ['alertagent.io'], resources, verbs }] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: role, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
      subjects: [user.startsWith('system:serviceaccount:') ? { kind: 'ServiceAccount', name: user.split(':')[3], namespace: user.split(':')[2] } : { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
  await must(kubectl(['apply', '-f', '-'], doc.map((d) => JSON.stringify(d)).join('\n---\n')), 'apply role');
}

/** kubectl as someone else: the result, not an exception. */
const as = (user: string, args: string[], input?: string) => runBedBinary('kubectl', [...args, `--as=${user}`], { input });

function incidentBody(name: string, namespace: string, labels: Record<string, string>, alertname = 'KubePodCrashLooping'): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name, namespace, labels: { [LABELS.alertname]: alertname } },
    spec: { alertname, fingerprint: `fp-${name}`, status: 'firing', labels: { alertname, severity: 'warning', ...labels }, annotations: {}, startsAt: new Date().toISOString() },
  };
}

beforeAll(async () => {
  await applyCrd();
  helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-helm-'));
  ops = await createNamespace('adm-ops');
  teamA = await createNamespace('adm-team-a');
  teamB = await createNamespace('adm-team-b');
  for (const ns of [ops, teamA, teamB]) cleanup.push(() => core.deleteNamespace({ name: ns }));
}, 60_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
  if (helmHome) fs.rmSync(helmHome, { recursive: true, force: true });
});

describe('the admission policy, as a namespaced user', () => {
  const alice = 'alice@team-a.example';
  const bob = 'bob@team-a.example'; // a user whose Role was written too broadly: create and status too
  let name: string;

  beforeAll(async () => {
    for (const ns of [teamA, teamB]) await must(kubectl(['label', 'namespace', ns, `alertagent.test/admission=${testId}`]), 'label namespace');
    await teamRole(teamA, alice, ['get', 'list', 'watch', 'patch']);
    await teamRole(teamA, bob, ['get', 'list', 'watch', 'patch', 'create', 'update'], ['alertincidents', 'alertincidents/status']);
    await teamRole(teamA, operatorUser(), ['get', 'list', 'watch', 'patch', 'create', 'update'], ['alertincidents', 'alertincidents/status']);
    policyDocs = await renderPolicy();
    expect(policyDocs.map((d) => d.kind).sort()).toEqual(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    await must(kubectl(['apply', '-f', '-'], policyDocs.map((d) => JSON.stringify(d)).join('\n---\n')), 'apply policy');
    cleanup.push(deletePolicy);
    // The operator's ServiceAccount creates the incident, as the webhook does.
    name = `pod-crash-${testId}`;
    await must(as(operatorUser(), ['create', '-f', '-'], JSON.stringify(incidentBody(name, teamA, { namespace: teamA, pod: 'web-5d8f7c9b6-x7k2p' }))), 'create as the operator');
    // A new policy takes effect once the API server has compiled it: wait until it refuses.
    await eventually(async () => (await as(bob, ['create', '-n', teamA, '-f', '-'], JSON.stringify(incidentBody(`probe-${Date.now()}`, teamA, { namespace: teamA })))).code !== 0, 30_000, 500);
  }, 120_000);

  const patch = (user: string, p: object, extra: string[] = []) => as(user, ['-n', teamA, 'patch', 'alertincident', name, '--type=merge', '-p', JSON.stringify(p), ...extra]);

  it('refuses to create an AlertIncident for anyone but the operator, even with RBAC to create', async () => {
    const r = await as(bob, ['create', '-n', teamA, '-f', '-'], JSON.stringify(incidentBody('forged-by-bob', teamA, { namespace: teamA })));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("only the operator's ServiceAccount creates AlertIncidents");
  });

  it('refuses forged correlation labels', async () => {
    const r = await patch(alice, { metadata: { labels: { [LABELS.nodeIncident]: 'true', [LABELS.node]: nodeKey('worker-1') } } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('alertagent.io/ labels belong to the operator');
    expect(r.stderr).toContain(LABELS.nodeIncident);
    const drop = await as(alice, ['-n', teamA, 'label', 'alertincident', name, `${LABELS.alertname}-`]);
    expect(drop.code).not.toBe(0);
  });

  it('refuses edits of spec: the alert\'s labels and its status', async () => {
    for (const spec of [{ labels: { namespace: teamB, pod: 'db-0' } }, { status: 'resolved' }]) {
      const r = await patch(alice, { spec });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('spec is the alert as AlertManager sent it');
    }
  });

  it('refuses status writes by people, even with RBAC on the status subresource', async () => {
    const r = await patch(bob, { status: { phase: 'Reported', outcome: 'Resolved' } }, ['--subresource=status']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("only the operator's ServiceAccount writes an AlertIncident's status");
  });

  it('lets people set the documented annotations and their own labels, and nothing else of alertagent.io/', async () => {
    for (const a of ['approve=3', 'reject=3', 'unlink=true', 'reconcile-requested-at=now']) {
      const r = await as(alice, ['-n', teamA, 'annotate', '--overwrite', 'alertincident', name, `alertagent.io/${a}`]);
      expect({ a, code: r.code, err: r.stderr }).toEqual({ a, code: 0, err: '' });
    }
    expect((await as(alice, ['-n', teamA, 'label', 'alertincident', name, 'team=payments'])).code).toBe(0);
    expect((await as(alice, ['-n', teamA, 'annotate', 'alertincident', name, 'note=looked at it'])).code).toBe(0);
    // approved-by / rejected-by (the kubectl plugin writes them): only one's own name.
    expect((await as(alice, ['-n', teamA, 'annotate', '--overwrite', 'alertincident', name, `alertagent.io/approved-by=${alice}`])).code).toBe(0);
    const forged = await as(alice, ['-n', teamA, 'annotate', '--overwrite', 'alertincident', name, 'alertagent.io/rejected-by=admin']);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('set them to your own user name');
    const other = await as(alice, ['-n', teamA, 'annotate', 'alertincident', name, 'alertagent.io/completed-at=2020-01-01T00:00:00Z']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('alertagent.io/completed-at');
  });

  it('lets people say what the operator learns from (reason, verdict, actual cause, fix by hand) and ask for a pull request; feedback-by only with their own name', async () => {
    for (const a of ['reject-reason=scaling to 0 takes the shop down', 'feedback=wrong', `feedback-by=${alice}`, 'actual-cause=the database was down', 'fixed-by=restarted the database', 'open-pull-request=7']) {
      const r = await as(alice, ['-n', teamA, 'annotate', '--overwrite', 'alertincident', name, `alertagent.io/${a}`]);
      expect({ a, code: r.code, err: r.stderr }).toEqual({ a, code: 0, err: '' });
    }
    const forged = await as(alice, ['-n', teamA, 'annotate', '--overwrite', 'alertincident', name, 'alertagent.io/feedback-by=admin']);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('feedback-by');
    const other = await as(alice, ['-n', teamA, 'annotate', 'alertincident', name, 'alertagent.io/feedback-score=5']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('alertagent.io/feedback-score');
  });

  it('lets the operator\'s ServiceAccount write everything it writes', async () => {
    expect((await patch(operatorUser(), { metadata: { labels: { [LABELS.alertname]: 'KubePodCrashLooping' }, annotations: { 'alertagent.io/approved-by': 'alice' } } })).code).toBe(0);
    expect((await patch(operatorUser(), { spec: { status: 'resolved' } })).code).toBe(0);
    expect((await patch(operatorUser(), { status: { phase: 'Analyzing' } }, ['--subresource=status'])).code).toBe(0);
  });

  it('deploy/ ships the same rules as the chart', async () => {
    const docs = await renderPolicy();
    const plain = parseAllDocuments(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'admission-policy.yaml'), 'utf8')).map((d) => d.toJS());
    const chartPolicy = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy') as any;
    const plainPolicy = plain.find((d) => d.kind === 'ValidatingAdmissionPolicy');
    expect(chartPolicy.spec.validations).toEqual(plainPolicy.spec.validations);
    expect(chartPolicy.spec.variables).toEqual(plainPolicy.spec.variables);
    expect(chartPolicy.spec.matchConditions[0].expression).toBe(`request.userInfo.username != "${operatorUser()}"`);
    expect(plainPolicy.spec.matchConditions[0].expression).toBe('request.userInfo.username != "system:serviceaccount:alert-agent:alert-agent"');
    expect(parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'kustomization.yaml'), 'utf8')).resources).toContain('admission-policy.yaml');
  });
});

describe('without the admission policy, the operator holds the line itself', () => {
  let op: Operator;
  const node = `adm-node-${Date.now().toString(36)}`;

  beforeAll(async () => {
    await deletePolicy();
    for (const ns of [teamA, teamB]) await must(kubectl(['label', 'namespace', ns, 'alertagent.test/admission-']), 'unlabel namespace');
    await core.createNode({ body: { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } } });
    cleanup.push(() => core.deleteNode({ name: node }));
    const now = new Date().toISOString();
    const ready = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: now, lastTransitionTime: now }] } };
    await must(kubectl(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify(ready)]), 'node ready');
    op = await startTestOperator({ namespace: ops, investigator: new RulesInvestigator({}), env: { INCIDENT_NAMESPACE_MODE: 'alert', POLICY_MODE: 'observe', CORRELATION_TIMEOUT: '60s' } });
    cleanup.push(() => op.stop());
  }, 60_000);

  it('a forged node incident in team-a does not absorb team-b\'s pod alerts on that node', async () => {
    const first = alert({ alertname: 'KubePodCrashLooping', namespace: teamA, pod: 'api-5d8f7c9b6-x7k2p' });
    const r1 = await post(op.webhookUrl, payload([first]));
    expect(r1.status).toBeLessThan(300);
    const a = await waitForIncident(teamA, (i) => i.spec.fingerprint === first.fingerprint && finished(i), 60_000);
    // alice forges it into "an open node incident of <node>" (nothing stops her here: no policy installed).
    await must(kubectl(['-n', teamA, 'label', '--overwrite', 'alertincident', a.metadata.name, `${LABELS.nodeIncident}=true`, `${LABELS.node}=${nodeKey(node)}`]), 'forge labels');
    await core.createNamespacedPod({ namespace: teamB, body: { metadata: { name: 'db-0', labels: { app: 'db' } }, spec: { nodeName: node, containers: [{ name: 'db', image: 'registry.example/db:1.0' }] } } });
    const second = alert({ alertname: 'KubePodNotReady', namespace: teamB, pod: 'db-0' });
    const r2 = await post(op.webhookUrl, payload([second]));
    expect(r2.status).toBeLessThan(300);
    const b = await waitForIncident(teamB, (i) => i.spec.fingerprint === second.fingerprint && finished(i), 90_000);
    expect(b.status?.relatedTo).toBeUndefined();
    expect(b.status?.summary ?? '').not.toContain('Same cause as');
    expect(b.status?.steps?.length ?? 0).toBeGreaterThan(0); // investigated on its own
    const after = await store().get(teamA, a.metadata.name);
    expect(after?.status?.related ?? []).toEqual([]);
  }, 150_000);

  it('an incident whose namespace and alert disagree is refused, not investigated', async () => {
    // As a team could make it without the policy: an incident of team-a that names team-b's pod.
    const name = `edited-${testId}`;
    await must(kubectl(['create', '-f', '-'], JSON.stringify(incidentBody(name, teamA, { namespace: teamB, pod: 'db-0' }, 'KubePodNotReady'))), 'create');
    const inc = await eventually(async () => {
      const x = await store().get(teamA, name);
      return x && finished(x) ? x : undefined;
    }, 60_000);
    expect(inc.status?.phase).toBe('Failed');
    expect(inc.status?.failureReason).toContain('NamespaceMismatch');
    expect(inc.status?.steps ?? []).toEqual([]);
    expect(JSON.stringify(inc.status)).not.toContain('registry.example/db');
  }, 90_000);
});

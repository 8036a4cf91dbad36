// The deployment artefacts against the real apiserver: the helm chart (lint, every variant rendered and
// applied with --dry-run=server), the kustomize tree deploy/, the CRD being the single source, the env
// names matching src/config.ts, the pod passing PodSecurity "restricted", and the RBAC really granting
// what the operator needs and nothing it must not have (checked as the ServiceAccount itself).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  loadYaml,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { ConfigSchema, loadConfig } from '../../src/config.js';
import { evaluate, type PolicyConfig } from '../../src/policy/policy.js';
import { createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary, serviceAccountKubeConfig } from '../bed/shared.js';
import { alert, applyCrd, bed, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';
import { startScriptedLlm } from '../bed/scriptedLlm.js';

const CHART = path.join(PROJECT_ROOT, 'helm', 'alert-agent');
const CRD = path.join(PROJECT_ROOT, 'crds', 'alertagent.io_alertincidents.yaml');
const CHART_CRD = path.join(CHART, 'crds', 'alertagent.io_alertincidents.yaml');
const NS = 'alert-agent';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

const helm = (args: string[]) => runBedBinary('helm', args, { env: { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome } });

async function template(...set: string[]): Promise<string> {
  const r = await helm(['template', 't', CHART, '--namespace', NS, '--include-crds', ...set.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm template ${set.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** helm template with a values file (for keys --set cannot spell). */
async function templateValues(values: object): Promise<string> {
  const file = path.join(helmHome, `values-${Date.now().toString(36)}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  const r = await helm(['template', 't', CHART, '--namespace', NS, '-f', file]);
  if (r.code !== 0) throw new Error(`helm template -f ${JSON.stringify(values)}: ${r.stderr}`);
  return r.stdout;
}

/** NOTES.txt as `helm install` prints it (client-side dry run; release "notes": "t" is applied by kubectl here). */
async function notes(...set: string[]): Promise<string> {
  const r = await helm(['install', 'notes', CHART, '--namespace', NS, '--dry-run=client', '--skip-crds', ...set.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm install --dry-run: ${r.stderr}`);
  return r.stdout.slice(r.stdout.indexOf('NOTES:'));
}

const saUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

/** `kubectl auth can-i` as admin impersonating `user`: "yes" or "no". Namespace "*" = all namespaces; none = cluster scope. */
async function canI(user: string, verb: string, resource: string, namespace?: string): Promise<'yes' | 'no'> {
  const where = namespace === undefined ? [] : namespace === '*' ? ['--all-namespaces'] : ['--namespace', namespace];
  const r = await kubectl(['auth', 'can-i', verb, resource, `--as=${user}`, ...where]);
  const answer = r.stdout.trim().split(/\s+/)[0];
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i ${verb} ${resource}: ${r.stdout}${r.stderr}`);
  return answer;
}

/** Does a LabelSelector select these labels? */
function selects(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]) :
      e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]) :
      e.operator === 'Exists' ? has :
      !has;
    if (!ok) return false;
  }
  return true;
}

/** YAML stream → objects (documents with only comments dropped). */
function parse(stream: string): Obj[] {
  return stream
    .split(/^---\s*$/m)
    .filter((doc) => doc.split('\n').some((l) => l.trim() && !l.trim().startsWith('#')))
    .map((doc) => loadYaml(doc) as Obj);
}

const names = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name);

async function dryRunApply(manifests: string): Promise<string> {
  const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], manifests);
  if (r.code !== 0) throw new Error(`kubectl apply --dry-run=server: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** A CRD that accepts any spec: enough for the kinds the chart renders optionally to be served. */
function minimalCrd(group: string, version: string, kind: string, plural: string): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, listKind: `${kind}List`, singular: kind.toLowerCase() },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
}

/** Every env name the container gets (env + envFrom ConfigMap keys) must be a setting of src/config.ts. */
function envNames(objs: Obj[]): { names: string[]; configData: Record<string, string> } {
  const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
  const c = dep.spec!.template.spec!.containers[0];
  const cmName = c.envFrom?.[0]?.configMapRef?.name;
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cmName);
  expect(cm).toBeDefined();
  const configData = cm!.data as Record<string, string>;
  return { names: [...(c.env ?? []).map((e) => e.name), ...Object.keys(configData)], configData };
}
// Environment for the runtime itself, not settings of src/config.ts: NODE_OPTIONS caps the heap below the memory limit.
const NOT_CONFIG = new Set(['HOME', 'NODE_OPTIONS']);

let helmHome: string;

beforeAll(async () => {
  helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-helm-'));
  await applyCrd();
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: NS } } })
    .catch((e) => {
      if (!(e instanceof ApiException && e.code === 409)) throw e;
    });
  // the prometheus-operator kinds the chart can render
  for (const [plural, version, kind] of [
    ['servicemonitors', 'v1', 'ServiceMonitor'],
    ['alertmanagerconfigs', 'v1alpha1', 'AlertmanagerConfig'],
  ]) {
    if ((await kubectl(['get', 'crd', `${plural}.monitoring.coreos.com`])).code === 0) continue; // e.g. the real ones
    const r = await kubectl(['create', '-f', '-'], minimalCrd('monitoring.coreos.com', version, kind, plural));
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/alertmanagerconfigs.monitoring.coreos.com']);
  if (w.code !== 0) throw new Error(w.stderr);
});

afterAll(() => {
  if (helmHome) fs.rmSync(helmHome, { recursive: true, force: true });
});

describe('CRD: one source', () => {
  test("the chart's crds/ file is crds/alertagent.io_alertincidents.yaml, byte for byte (a symlink to it)", () => {
    expect(fs.lstatSync(CHART_CRD).isSymbolicLink()).toBe(true);
    expect(fs.realpathSync(CHART_CRD)).toBe(fs.realpathSync(CRD));
    expect(fs.readFileSync(CHART_CRD).equals(fs.readFileSync(CRD))).toBe(true);
  });

  test('helm package puts the CRD itself (not a link) into the chart archive', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-pkg-'));
    try {
      const r = await helm(['package', CHART, '--destination', out]);
      expect(r.code).toBe(0);
      const tgz = path.join(out, 'alert-agent-0.1.0.tgz');
      await promisify(execFile)('tar', ['-xzf', tgz, '-C', out]);
      const packed = path.join(out, 'alert-agent', 'crds', 'alertagent.io_alertincidents.yaml');
      expect(fs.lstatSync(packed).isFile()).toBe(true);
      expect(fs.readFileSync(packed).equals(fs.readFileSync(CRD))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('kubectl kustomize deploy/ includes the CRD from crds/, unchanged', async () => {
    const r = await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')]);
    expect(r.stderr).toBe('');
    const crd = parse(r.stdout).find((o) => o.kind === 'CustomResourceDefinition');
    expect(crd).toEqual(loadYaml(fs.readFileSync(CRD, 'utf8')));
  });
});

describe('helm chart', () => {
  test('helm lint is clean', async () => {
    const r = await helm(['lint', CHART]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    const strict = await helm(['lint', '--strict', CHART, '--set', 'metrics.serviceMonitor.enabled=true,alertmanagerConfig.enabled=true']);
    expect(strict.code).toBe(0);
  });

  test('default values: every object is accepted by the apiserver (dry-run=server)', async () => {
    const yaml = await template();
    const objs = parse(yaml);
    // approve, no allowedNamespaces: actions bound cluster-wide, node actions too (a person approves them)
    expect(names(objs, 'ClusterRole').sort()).toEqual(['t-alert-agent', 't-alert-agent-actions', 't-alert-agent-node-actions']);
    expect(names(objs, 'ClusterRoleBinding').sort()).toEqual(['t-alert-agent', 't-alert-agent-actions', 't-alert-agent-node-actions']);
    // The recall history: one ConfigMap in the release namespace (src/context/history.ts).
    expect(names(objs, 'Role').sort()).toEqual(['t-alert-agent-history', 't-alert-agent-leader-election']);
    expect(names(objs, 'RoleBinding').sort()).toEqual(['t-alert-agent-history', 't-alert-agent-leader-election']);
    expect(names(objs, 'Secret')).toEqual(['t-alert-agent-webhook']);
    expect(names(objs, 'NetworkPolicy')).toEqual(['t-alert-agent', 't-alert-agent-web']); // the web view's port: web-networkpolicy.yaml
    expect(names(objs, 'Deployment')).toEqual(['t-alert-agent']);
    expect(names(objs, 'Service')).toEqual(['t-alert-agent']);
    expect(names(objs, 'CustomResourceDefinition')).toEqual(['alertincidents.alertagent.io']);
    expect(names(objs, 'ServiceMonitor')).toEqual([]);
    expect(names(objs, 'AlertmanagerConfig')).toEqual([]);
    const out = await dryRunApply(yaml);
    expect(out).toMatch(/deployment.apps\/t-alert-agent (created|configured|unchanged) \(server dry run\)/);
  });

  test('policy.mode=observe: no mutating ClusterRole or binding', async () => {
    const yaml = await template('policy.mode=observe');
    const objs = parse(yaml);
    expect(names(objs, 'ClusterRole')).toEqual(['t-alert-agent']);
    expect(names(objs, 'ClusterRoleBinding')).toEqual(['t-alert-agent']);
    expect(objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 't-alert-agent-config')!.data.POLICY_MODE).toBe('observe');
    await dryRunApply(yaml);
  });

  test('ServiceMonitor and AlertmanagerConfig when enabled', async () => {
    const yaml = await template('metrics.serviceMonitor.enabled=true', 'alertmanagerConfig.enabled=true', 'webhook.bearerToken=s3cret');
    const objs = parse(yaml);
    const sm = objs.find((o) => o.kind === 'ServiceMonitor')!;
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(sm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'alert-agent', 'app.kubernetes.io/instance': 't' });
    const amc = objs.find((o) => o.kind === 'AlertmanagerConfig')!;
    expect(amc.apiVersion).toBe('monitoring.coreos.com/v1alpha1');
    expect(amc.spec.route.receiver).toBe('alert-agent');
    const hook = amc.spec.receivers[0].webhookConfigs[0];
    expect(hook.url).toBe('http://t-alert-agent.alert-agent.svc:10000/api/v1/alerts');
    expect(hook.httpConfig.authorization).toEqual({ type: 'Bearer', credentials: { name: 't-alert-agent-webhook', key: 'token' } });
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 't-alert-agent-webhook')!;
    expect(secret.stringData).toEqual({ token: 's3cret' });
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    const tokenEnv = dep.spec!.template.spec!.containers[0].env!.find((e) => e.name === 'WEBHOOK_BEARER_TOKEN');
    expect(tokenEnv?.valueFrom?.secretKeyRef).toEqual({ name: 't-alert-agent-webhook', key: 'token' });
    await dryRunApply(yaml);
  });

  test('invalid values fail the render with a message', async () => {
    const r = await helm(['template', 't', CHART, '--set', 'policy.mode=bogus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/policy.mode must be observe, approve or auto/);
  });

  test('env names are settings of src/config.ts, and the rendered defaults load', async () => {
    const { names: env, configData } = envNames(parse(await template('runbooks.Foo=bar', 'llm.baseURL=http://llm:8000/v1')));
    const known = new Set(Object.keys(ConfigSchema.shape));
    expect(env.filter((n) => !known.has(n) && !NOT_CONFIG.has(n))).toEqual([]);
    const cfg = loadConfig({ ...configData, NAMESPACE: NS, POD_NAME: 'p' });
    expect(cfg).toMatchObject({ POLICY_MODE: 'approve', LEADER_ELECTION: true, WEBHOOK_PORT: 10000, METRICS_PORT: 9090, RETENTION_TTL: 7 * 86400e3, analyzer: 'llm' });
  });

  test('the pod passes PodSecurity "restricted"', async () => {
    const nsName = `restricted-${Date.now().toString(36)}`;
    const r = await kubectl(['create', 'namespace', nsName]);
    expect(r.code).toBe(0);
    expect((await kubectl(['label', 'namespace', nsName, 'pod-security.kubernetes.io/enforce=restricted'])).code).toBe(0);
    for (const source of ['helm', 'kustomize'] as const) {
      const stream =
        source === 'helm' ? await template() : (await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout;
      const dep = parse(stream).find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pss-${source}`, namespace: nsName }, spec: { ...dep.spec!.template.spec, serviceAccountName: 'default' } };
      const res = await kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(pod));
      expect({ source, stderr: res.stderr, code: res.code }).toEqual({ source, stderr: '', code: 0 });
    }
  });
});

describe('deploy/ (kustomize)', () => {
  test('kubectl kustomize deploy/ | kubectl apply --dry-run=server', async () => {
    const r = await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')]);
    expect(r.code).toBe(0);
    const objs = parse(r.stdout);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/alert-agent',
        'ClusterRoleBinding/alert-agent',
        'ConfigMap/alert-agent-config',
        'ConfigMap/alert-agent-servers',
        'CustomResourceDefinition/alertincidents.alertagent.io',
        'Deployment/alert-agent',
        'Namespace/alert-agent',
        'Role/alert-agent-history',
        'Role/alert-agent-leader-election',
        'Role/alert-agent-tickets',
        'RoleBinding/alert-agent-history',
        'RoleBinding/alert-agent-leader-election',
        'RoleBinding/alert-agent-tickets',
        'Service/alert-agent',
        'ServiceAccount/alert-agent',
        'ValidatingAdmissionPolicy/alert-agent-incidents',
        'ValidatingAdmissionPolicyBinding/alert-agent-incidents',
      ].sort(),
    );
    await dryRunApply(r.stdout);
    await dryRunApply(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'actions-rbac.yaml'), 'utf8'));
  });

  test('env names are settings of src/config.ts, and the shipped ConfigMap loads', async () => {
    const objs = parse((await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout);
    const { names: env, configData } = envNames(objs);
    const known = new Set(Object.keys(ConfigSchema.shape));
    expect(env.filter((n) => !known.has(n) && !NOT_CONFIG.has(n))).toEqual([]);
    expect(loadConfig({ ...configData, NAMESPACE: NS })).toMatchObject({ POLICY_MODE: 'approve', analyzer: 'rules' });
    const servers = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'alert-agent-servers')!;
    expect(JSON.parse(servers.data['servers_config.json'])).toEqual(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'servers_config.json'), 'utf8')));
  });
});

describe('RBAC of the chart, as the ServiceAccount', () => {
  const SA = 't-alert-agent';
  let kc: KubeConfig;

  async function can(verb: string, resource: string, opts: { group?: string; subresource?: string; namespace?: string; name?: string } = {}) {
    const r = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: { verb, resource, group: opts.group ?? '', subresource: opts.subresource, namespace: opts.namespace, name: opts.name },
        },
      },
    });
    return r.status?.allowed === true;
  }

  /** Applies (for real) the ServiceAccount and RBAC objects of `helm template` with these values. */
  async function applyRbac(...set: string[]): Promise<void> {
    const kinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const objs = parse(await template(...set)).filter((o) => kinds.has(o.kind));
    const r = await kubectl(['apply', '-f', '-'], objs.map((o) => JSON.stringify(o)).join('\n'));
    if (r.code !== 0) throw new Error(r.stderr);
  }

  beforeAll(async () => {
    await applyRbac('policy.mode=observe');
    await kubectl(['delete', 'clusterrolebinding', 't-alert-agent-actions', '--ignore-not-found']);
    kc = await serviceAccountKubeConfig(NS, SA);
    await eventually(() => can('list', 'pods'), 10_000);
  });

  test('the read-only role: what the tools and the operator need, and no more', async () => {
    const expectations: Array<[boolean, string, string, Parameters<typeof can>[2]?]> = [
      [true, 'list', 'pods'],
      [true, 'watch', 'pods', { namespace: 'default' }],
      [true, 'get', 'pods', { subresource: 'log', namespace: 'default' }],
      [true, 'list', 'events', { group: 'events.k8s.io' }],
      [true, 'get', 'nodes'],
      [true, 'list', 'deployments', { group: 'apps' }],
      [true, 'list', 'controllerrevisions', { group: 'apps' }],
      [true, 'list', 'cronjobs', { group: 'batch' }],
      [true, 'list', 'horizontalpodautoscalers', { group: 'autoscaling' }],
      [true, 'list', 'poddisruptionbudgets', { group: 'policy' }],
      [true, 'list', 'networkpolicies', { group: 'networking.k8s.io' }],
      [true, 'list', 'storageclasses', { group: 'storage.k8s.io' }],
      [true, 'list', 'pods', { group: 'metrics.k8s.io' }],
      [true, 'create', 'alertincidents', { group: 'alertagent.io', namespace: 'default' }],
      [true, 'delete', 'alertincidents', { group: 'alertagent.io', namespace: 'default' }],
      [true, 'watch', 'alertincidents', { group: 'alertagent.io' }],
      [true, 'patch', 'alertincidents', { group: 'alertagent.io', subresource: 'status', namespace: 'default' }],
      [true, 'create', 'events', { namespace: 'default' }],
      [true, 'patch', 'events', { namespace: 'default' }],
      [true, 'get', 'leases', { group: 'coordination.k8s.io', namespace: NS }],
      [true, 'create', 'leases', { group: 'coordination.k8s.io', namespace: NS }],
      [true, 'update', 'leases', { group: 'coordination.k8s.io', namespace: NS }],

      [false, 'get', 'secrets', { namespace: 'default', name: 'any' }],
      [false, 'list', 'secrets', { namespace: 'default' }],
      [false, 'watch', 'secrets', { namespace: 'default' }],
      [false, 'update', 'leases', { group: 'coordination.k8s.io', namespace: 'kube-system' }],
      [false, 'delete', 'namespaces', { name: 'default' }],
      [false, 'create', 'deployments', { group: 'apps', namespace: 'default' }],
      [false, 'patch', 'deployments', { group: 'apps', namespace: 'default' }],
      [false, 'patch', 'deployments', { group: 'apps', subresource: 'scale', namespace: 'default' }],
      [false, 'delete', 'pods', { namespace: 'default' }],
      [false, 'patch', 'nodes'],
      [false, 'create', 'pods', { subresource: 'exec', namespace: 'default' }],
      [false, 'update', 'configmaps', { namespace: 'default' }],
      [false, 'create', 'clusterrolebindings', { group: 'rbac.authorization.k8s.io' }],
    ];
    const got: boolean[] = [];
    for (const [, verb, resource, opts] of expectations) got.push(await can(verb, resource, opts));
    expect(expectations.map(([, v, r, o], i) => `${v} ${o?.group ?? ''}/${r}${o?.subresource ? '/' + o.subresource : ''} ${o?.namespace ?? '*'}: ${got[i]}`)).toEqual(
      expectations.map(([want, v, r, o]) => `${v} ${o?.group ?? ''}/${r}${o?.subresource ? '/' + o.subresource : ''} ${o?.namespace ?? '*'}: ${want}`),
    );
  });

  test('by doing the calls: lists pods, creates an incident, patches its status, records an event; listing or reading Secrets is forbidden', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const admin = kubeConfig().makeApiClient(CoreV1Api);
    await admin
      .createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'rbac-probe' }, stringData: { password: 'hunter2' } } })
      .catch((e) => {
        if (!(e instanceof ApiException && e.code === 409)) throw e;
      });
    expect((await core.listPodForAllNamespaces({ limit: 1 })).items).toBeDefined();
    await expect(core.listNamespacedSecret({ namespace: NS })).rejects.toMatchObject({ code: 403 });
    await expect(core.listSecretForAllNamespaces({})).rejects.toMatchObject({ code: 403 });
    await expect(core.readNamespacedSecret({ namespace: NS, name: 'rbac-probe' })).rejects.toMatchObject({ code: 403 });
    await expect(core.deleteNamespace({ name: 'default' })).rejects.toMatchObject({ code: 403 });

    const custom = kc.makeApiClient(CustomObjectsApi);
    const name = `rbac-probe-${Date.now().toString(36)}`;
    const created = (await custom.createNamespacedCustomObject({
      group: 'alertagent.io',
      version: 'v1alpha1',
      namespace: NS,
      plural: 'alertincidents',
      body: minimalIncident(name),
    })) as Obj;
    expect(created.metadata.name).toBe(name);
    const patched = (await custom.patchNamespacedCustomObjectStatus(
      { group: 'alertagent.io', version: 'v1alpha1', namespace: NS, plural: 'alertincidents', name, body: { status: { phase: 'Analyzing' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Obj;
    expect(patched.status.phase).toBe('Analyzing');
    await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: NS,
      body: {
        metadata: { name: `${name}.probe` },
        involvedObject: { apiVersion: 'alertagent.io/v1alpha1', kind: 'AlertIncident', name, namespace: NS },
        reason: 'RbacProbe',
        message: 'rbac probe',
        type: 'Normal',
        source: { component: 'alert-agent' },
      },
    });
    await custom.deleteNamespacedCustomObject({ group: 'alertagent.io', version: 'v1alpha1', namespace: NS, plural: 'alertincidents', name });
  });

  test('the operator itself runs as that ServiceAccount: it investigates, and a change it may not make is a clear forbidden step', async () => {
    await kubeConfig().makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'default',
      body: { metadata: { name: 'rbac-web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'rbac-web' } }, template: { metadata: { labels: { app: 'rbac-web' } }, spec: { containers: [{ name: 'web', image: 'example/web:1' }] } } } },
    });
    const llm = await startScriptedLlm();
    llm.setResponder(
      byPosition({
        RbacProbe: [
          { toolCalls: [{ name: 'kubernetes__describe_deployment', arguments: { name: 'rbac-web', namespace: 'default' } }] },
          { toolCalls: [{ name: 'kubernetes__scale', arguments: { kind: 'Deployment', name: 'rbac-web', namespace: 'default', replicas: 3 } }] },
          { toolCalls: [{ name: 'escalate_incident', arguments: { summary: 'could not scale', root_cause: 'RBAC' } }] },
        ],
      }),
    );
    // The alert names no deployment: auto scales rbac-web unattended only when told to.
    const op = await startTestOperator({ namespace: NS, kubeConfig: kc, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__scale', POLICY_AUTO_UNINVOLVED_TARGETS: 'true' } });
    try {
      expect((await post(op.webhookUrl, payload([alert({ alertname: 'RbacProbe', namespace: 'default' })]))).status).toBe(200);
      const inc = await waitForIncident(NS, (i) => i.spec.alertname === 'RbacProbe' && finished(i));
      const [describe, scale] = inc.status!.steps!;
      expect(describe).toMatchObject({ tool: 'describe_deployment', state: 'Succeeded' });
      // Refused by the API server: in the dry run before it could run (an invalid step the model hears), or,
      // where the dry run's own read is what RBAC refuses first, by the call itself.
      expect(scale).toMatchObject({ tool: 'scale', result: { ok: false, error: expect.stringMatching(/forbidden: .*\(RBAC\)/) } });
      expect(['invalid', 'callTool']).toContain(scale.action);
      expect(inc.status!.phase).toBe('Reported');
      expect((await kubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'rbac-web', namespace: 'default' })).spec?.replicas).toBe(1);
    } finally {
      await op.stop();
      await llm.stop();
    }
  });

  test('the actions role, bound when policy.mode is not observe, allows the mutating tools', async () => {
    expect(await can('patch', 'deployments', { group: 'apps', subresource: 'scale', namespace: 'default' })).toBe(false);
    await applyRbac(); // policy.mode approve (the default)
    await eventually(() => can('patch', 'deployments', { group: 'apps', subresource: 'scale', namespace: 'default' }), 10_000);
    for (const [verb, resource, opts] of [
      ['patch', 'deployments', { group: 'apps', subresource: 'scale', namespace: 'default' }],
      ['patch', 'statefulsets', { group: 'apps', subresource: 'scale', namespace: 'default' }],
      ['update', 'replicasets', { group: 'apps', subresource: 'scale', namespace: 'default' }],
      ['patch', 'deployments', { group: 'apps', namespace: 'default' }],
      ['patch', 'daemonsets', { group: 'apps', namespace: 'default' }],
      ['delete', 'pods', { namespace: 'default' }],
      ['patch', 'nodes', {}],
    ] as const) {
      expect(`${verb} ${resource} ${await can(verb, resource, opts)}`).toBe(`${verb} ${resource} true`);
    }
    // still not
    expect(await can('create', 'deployments', { group: 'apps', namespace: 'default' })).toBe(false);
    expect(await can('delete', 'deployments', { group: 'apps', namespace: 'default' })).toBe(false);
    expect(await can('get', 'secrets', { namespace: 'default' })).toBe(false);
    expect(await can('delete', 'namespaces', { name: 'default' })).toBe(false);
  });

  test('no access to Secrets with every role of the chart bound: get, list and watch are "no" in kube-system, another namespace and cluster-wide', async () => {
    // every role of the default install is bound now: read-only, actions and node actions
    const user = saUser(NS, SA);
    await eventually(async () => (await canI(user, 'patch', 'nodes')) === 'yes', 10_000);
    const got: string[] = [];
    const sar: string[] = [];
    for (const ns of ['kube-system', 'default', NS, '*']) {
      for (const verb of ['get', 'list', 'watch']) {
        got.push(`${verb} secrets ${ns}: ${await canI(user, verb, 'secrets', ns)}`);
        sar.push(`${verb} secrets ${ns}: ${await can(verb, 'secrets', ns === '*' ? {} : { namespace: ns })}`);
      }
    }
    expect(got).toEqual(got.map((g) => g.replace(/: \w+$/, ': no')));
    expect(sar).toEqual(sar.map((g) => g.replace(/: \w+$/, ': false')));
  });

  test('the recall history: get/update on its one ConfigMap in the release namespace, nothing on other ConfigMaps or elsewhere', async () => {
    const user = saUser(NS, SA);
    const r = await kubectl(['auth', 'can-i', 'update', 'configmaps/t-alert-agent-history', '-n', NS, '--as', user]);
    expect(r.stdout.trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'update', 'configmaps/other', '-n', NS, '--as', user])).stdout.trim()).toBe('no');
    expect(await canI(user, 'update', 'configmaps', 'default')).toBe('no');
    expect(await canI(user, 'delete', 'configmaps', NS)).toBe('no');
  });

  test('the built-in tools, as the ServiceAccount, say that Secret contents are not readable by design', async () => {
    const server = createKubernetesToolServer(kc);
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'deploy-test', version: '1.0.0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      const call = async (name: string, args: Record<string, unknown>) => {
        const r = await client.callTool({ name, arguments: args });
        return { text: (r.content as Array<{ text: string }>).map((c) => c.text).join('\n'), isError: r.isError === true };
      };
      const results = {
        get: await call('get_resource', { apiVersion: 'v1', kind: 'Secret', name: 'rbac-probe', namespace: NS }),
        list: await call('list_resources', { apiVersion: 'v1', kind: 'Secret', namespace: NS }),
        listAll: await call('list_resources', { apiVersion: 'v1', kind: 'Secret' }),
      };
      for (const [what, r] of Object.entries(results)) {
        expect({ what, isError: r.isError }).toEqual({ what, isError: true });
        expect(r.text).toContain('Secret contents are not readable by design');
        expect(r.text).toContain('describe_pod');
        expect(r.text).not.toContain('Needed rule'); // no hint to grant it
        expect(r.text).not.toContain('hunter2');
      }
      expect(results.get.text).toMatch(new RegExp(`^forbidden: the operator's ServiceAccount may not get secrets in ${NS} \\(RBAC\\)`));
      expect(results.list.text).toMatch(new RegExp(`^forbidden: the operator's ServiceAccount may not list secrets in ${NS} \\(RBAC\\)`));
      expect(results.listAll.text).toMatch(/^forbidden: the operator's ServiceAccount may not list secrets in the cluster scope \(RBAC\)/);
      const { tools } = await client.listTools();
      for (const t of ['get_resource', 'list_resources', 'describe_pod']) {
        expect(tools.find((x) => x.name === t)?.description).toContain('not readable by design');
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('a pod waiting for a Secret that does not exist is diagnosed by the rule-based analyzer running as the ServiceAccount', async () => {
    const admin = kubeConfig().makeApiClient(CoreV1Api);
    const ns = await createNamespace('nosecret');
    const node = `nosecret-node-${Date.now().toString(36)}`; // no kwok annotation: nobody but this test writes its pods' status
    try {
      await admin.createNode({ body: { metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } } });
      const now = new Date().toISOString();
      const pod = await admin.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            nodeName: node,
            tolerations: [{ operator: 'Exists' }],
            containers: [{ name: 'app', image: 'registry.example/app:1.0', env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'web-db', key: 'url' } } }] }],
          },
        },
      });
      // what the kubelet reports for it
      const status = {
        status: {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: now },
          ],
          containerStatuses: [
            { name: 'app', image: 'registry.example/app:1.0', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "web-db" not found' } } },
          ],
        },
      };
      const r = await kubectl(['patch', 'pod', 'web', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
      expect(r.stderr).toBe('');
      await admin.createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name: 'web.missing-secret' },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: ns, uid: pod.metadata!.uid, fieldPath: 'spec.containers{app}' },
          reason: 'Failed',
          message: 'Error: secret "web-db" not found',
          type: 'Warning',
          count: 4,
          firstTimestamp: new Date(Date.now() - 60_000),
          lastTimestamp: new Date(),
          source: { component: 'kubelet', host: node },
        },
      });

      const op = await startTestOperator({ namespace: NS, kubeConfig: kc, investigator: new RulesInvestigator(), env: { POLICY_MODE: 'observe' } });
      try {
        expect((await post(op.webhookUrl, payload([alert({ alertname: 'KubeContainerWaiting', namespace: ns, pod: 'web', container: 'app', reason: 'CreateContainerConfigError' })]))).status).toBe(200);
        const inc = await waitForIncident(NS, (i) => i.spec.alertname === 'KubeContainerWaiting' && i.spec.labels?.namespace === ns && finished(i), 90_000);
        expect(inc.status?.phase).toBe('Reported');
        expect(inc.status?.investigator).toBe('rules');
        const calls = (inc.status?.steps ?? []).filter((s) => s.action === 'callTool');
        expect(calls.map((s) => `${s.tool}:${s.state}`)).toContain('describe_pod:Succeeded');
        expect(calls.filter((s) => s.state !== 'Succeeded').map((s) => `${s.tool}: ${s.result?.error}`)).toEqual([]); // nothing it needed was forbidden
        const describe = calls.find((s) => s.tool === 'describe_pod')!;
        expect(describe.result?.output).toContain('Secrets referenced: web-db (env DATABASE_URL of app)');
        expect(describe.result?.output).toContain('Error: secret "web-db" not found');
        expect(inc.status?.rootCause).toContain('CreateContainerConfigError): secret "web-db" not found');
        expect(inc.status?.report).toContain(`Create the missing secret "web-db" in namespace ${ns}`);
      } finally {
        await op.stop();
      }
    } finally {
      await admin.deleteNamespace({ name: ns }).catch(() => undefined);
      await admin.deleteNode({ name: node }).catch(() => undefined);
    }
  });
});

describe('no grant on Secrets anywhere (chart and deploy/)', () => {
  /** Every rule of every Role / ClusterRole in these objects that could read Secrets. */
  const secretRules = (objs: Obj[]) =>
    objs
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .flatMap((o) => (o.rules as Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }>).map((r) => ({ role: o.metadata.name, ...r })))
      .filter((r) => (r.apiGroups ?? []).some((g) => g === '' || g === '*') && (r.resources ?? []).some((x) => x === 'secrets' || x === '*' || x.startsWith('secrets/')));

  test('no rendered Role or ClusterRole names secrets (or *), whatever the values', async () => {
    for (const set of [[], ['policy.mode=auto', 'policy.allowedTools={kubernetes__scale,kubernetes__cordon_node}'], ['policy.allowedNamespaces={default}', 'rbac.nodeActions=always'], ['alertmanagerConfig.enabled=true']]) {
      expect({ set, rules: secretRules(parse(await template(...set))) }).toEqual({ set, rules: [] });
    }
    const kustomized = parse((await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout);
    const actions = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'actions-rbac.yaml'), 'utf8'));
    expect(secretRules([...kustomized, ...actions])).toEqual([]);
  });

  test('many clusters: the one grant is a Role that reads Secrets of the release namespace only, and only when on', async () => {
    for (const set of [['clusters.enabled=true'], ['clusters.secretSelector=alertagent.io/cluster-credentials=true']]) {
      const objs = parse(await template(...set));
      expect(secretRules(objs).map((r) => ({ role: r.role, verbs: r.verbs }))).toEqual([{ role: 't-alert-agent-cluster-credentials', verbs: ['get', 'list', 'watch'] }]);
      expect(objs.filter((o) => o.kind === 'ClusterRole' && secretRules([o]).length)).toEqual([]);
    }
    const member = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'member-cluster-rbac.yaml'), 'utf8'));
    expect(secretRules(member)).toEqual([]);
  });

  test('deploy/ applied for real: its ServiceAccount may not get, list or watch Secrets (kubectl auth can-i --as)', async () => {
    const stream = [(await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout, fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'actions-rbac.yaml'), 'utf8')].join('\n---\n');
    const kinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const objs = parse(stream).filter((o) => kinds.has(o.kind));
    const r = await kubectl(['apply', '-f', '-'], objs.map((o) => JSON.stringify(o)).join('\n'));
    expect(r.stderr).toBe('');
    const user = saUser('alert-agent', 'alert-agent');
    await eventually(async () => (await canI(user, 'patch', 'deployments', 'default')) === 'yes', 10_000);
    const got: string[] = [];
    for (const ns of ['kube-system', 'default', '*']) for (const verb of ['get', 'list', 'watch']) got.push(`${verb} secrets ${ns}: ${await canI(user, verb, 'secrets', ns)}`);
    expect(got).toEqual(got.map((g) => g.replace(/: \w+$/, ': no')));
  });
});

describe('webhook bearer token (chart)', () => {
  test('by default a token Secret is generated, wired to WEBHOOK_BEARER_TOKEN and into the AlertmanagerConfig', async () => {
    const yaml = await template('alertmanagerConfig.enabled=true');
    const objs = parse(yaml);
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 't-alert-agent-webhook')!;
    expect(secret.metadata.namespace).toBe(NS);
    expect(secret.stringData.token).toMatch(/^[A-Za-z0-9]{48}$/);
    // a new random token per render without a cluster; a real upgrade keeps it (lookup, tested below)
    const again = parse(await template('alertmanagerConfig.enabled=true')).find((o) => o.kind === 'Secret')!;
    expect(again.stringData.token).not.toBe(secret.stringData.token);
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    const tokenEnv = dep.spec!.template.spec!.containers[0].env!.find((e) => e.name === 'WEBHOOK_BEARER_TOKEN');
    expect(tokenEnv?.valueFrom?.secretKeyRef).toEqual({ name: 't-alert-agent-webhook', key: 'token' }); // required, not optional
    const amc = objs.find((o) => o.kind === 'AlertmanagerConfig')!;
    expect(amc.metadata.namespace).toBe(NS);
    expect(amc.spec.receivers[0].webhookConfigs[0].httpConfig.authorization).toEqual({ type: 'Bearer', credentials: { name: 't-alert-agent-webhook', key: 'token' } });
    await dryRunApply(yaml);
  });

  test('an AlertmanagerConfig in another namespace gets the same token next to it', async () => {
    const amNs = await createNamespace('monitoring');
    const yaml = await template('alertmanagerConfig.enabled=true', `alertmanagerConfig.namespace=${amNs}`);
    const secrets = parse(yaml).filter((o) => o.kind === 'Secret');
    expect(secrets.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([`${NS}/t-alert-agent-webhook`, `${amNs}/t-alert-agent-webhook`].sort());
    expect(secrets[0].stringData.token).toBe(secrets[1].stringData.token);
    await dryRunApply(yaml);
  });

  test('a given token or existingSecret is used as it is; requireToken=false is the explicit opt-out, and NOTES warn', async () => {
    const given = parse(await template('webhook.bearerToken=s3cret'));
    expect(given.find((o) => o.kind === 'Secret')!.stringData).toEqual({ token: 's3cret' });

    const existing = parse(await template('webhook.existingSecret=my-token', 'webhook.secretKey=t', 'alertmanagerConfig.enabled=true'));
    expect(names(existing, 'Secret')).toEqual([]);
    const dep = existing.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    expect(dep.spec!.template.spec!.containers[0].env!.find((e) => e.name === 'WEBHOOK_BEARER_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'my-token', key: 't' });
    expect(existing.find((o) => o.kind === 'AlertmanagerConfig')!.spec.receivers[0].webhookConfigs[0].httpConfig.authorization.credentials).toEqual({ name: 'my-token', key: 't' });

    const open = parse(await template('webhook.requireToken=false'));
    expect(names(open, 'Secret')).toEqual([]);
    const openDep = open.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    expect(openDep.spec!.template.spec!.containers[0].env!.map((e) => e.name)).not.toContain('WEBHOOK_BEARER_TOKEN');
    expect(await notes('webhook.requireToken=false')).toMatch(/WARNING: the webhook takes alerts from anyone/);
    const defaultNotes = await notes();
    expect(defaultNotes).toContain(`kubectl -n ${NS} get secret notes-alert-agent-webhook -o jsonpath='{.data.token}' | base64 -d`);
    expect(defaultNotes).toContain('credentials: <the token, see below>');
  });
});

describe('NetworkPolicy', () => {
  type Peer = { ns: Record<string, string>; pod: Record<string, string> };
  const AM: Peer = { ns: { 'kubernetes.io/metadata.name': 'monitoring' }, pod: { 'app.kubernetes.io/name': 'alertmanager', alertmanager: 'main' } };
  const PROM: Peer = { ns: { 'kubernetes.io/metadata.name': 'monitoring' }, pod: { 'app.kubernetes.io/name': 'prometheus', prometheus: 'k8s' } };
  const OTHER: Peer = { ns: { 'kubernetes.io/metadata.name': 'default' }, pod: { app: 'web' } };
  const SAME_NS: Peer = { ns: { 'kubernetes.io/metadata.name': NS }, pod: { app: 'debug' } };

  /** The ingress rules as plain data (client-node's loadYaml names `from` `_from`). */
  const ingressOf = (np: Obj): Array<{ ports?: Array<{ protocol?: string; port: number }>; from?: Array<Record<string, any>> }> =>
    JSON.parse(JSON.stringify(np.spec.ingress ?? [])).map(({ _from, ...r }: Record<string, any>) => ({ ...r, ...(_from ? { from: _from } : {}) }));

  /** Who may reach which port, by NetworkPolicy semantics (peers: namespace + pod selectors; no ipBlocks here). */
  function admitted(np: Obj, peer: Peer, port: number): boolean {
    const policyNs = np.metadata.namespace ?? NS;
    return ingressOf(np).some((rule) => {
      if (rule.ports?.length && !rule.ports.some((p) => p.port === port)) return false;
      if (!rule.from?.length) return true;
      return rule.from.some((f) => {
        if (f.ipBlock) return false;
        const nsOk = f.namespaceSelector ? selects(f.namespaceSelector, peer.ns) : peer.ns['kubernetes.io/metadata.name'] === policyNs;
        return nsOk && (f.podSelector ? selects(f.podSelector, peer.pod) : true);
      });
    });
  }

  test('on by default: the webhook port admits only AlertManager, the metrics port only Prometheus', async () => {
    const yaml = await template();
    const objs = parse(yaml);
    const np = objs.find((o) => o.kind === 'NetworkPolicy')!;
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    expect(np.spec.podSelector).toEqual(dep.spec!.selector);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const table = [AM, PROM, OTHER, SAME_NS].map((p) => `${p.pod['app.kubernetes.io/name'] ?? p.pod.app}: webhook ${admitted(np, p, 10000)}, metrics ${admitted(np, p, 9090)}, other ${admitted(np, p, 8080)}`);
    expect(table).toEqual([
      'alertmanager: webhook true, metrics false, other false',
      'prometheus: webhook false, metrics true, other false',
      'web: webhook false, metrics false, other false',
      'debug: webhook false, metrics false, other false',
    ]);
    await dryRunApply(yaml);
  });

  test('selectors and extra peers come from the values; networkPolicy.enabled=false renders none', async () => {
    const yaml = await templateValues({
      webhook: { port: 11000 },
      networkPolicy: {
        // maps merge with the chart's defaults: null drops a default label
        alertmanager: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': null, alertmanager: 'main' } }, extraFrom: [{ ipBlock: { cidr: '10.1.0.0/16' } }] },
        metricsScraper: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': null, app: 'vmagent' } } },
      },
    });
    const np = parse(yaml).find((o) => o.kind === 'NetworkPolicy')!;
    expect(ingressOf(np)).toEqual([
      { ports: [{ protocol: 'TCP', port: 11000 }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { alertmanager: 'main' } } }, { ipBlock: { cidr: '10.1.0.0/16' } }] },
      { ports: [{ protocol: 'TCP', port: 9090 }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { app: 'vmagent' } } }] },
    ]);
    expect(admitted(np, AM, 11000)).toBe(true);
    expect(admitted(np, { ...AM, ns: { 'kubernetes.io/metadata.name': 'elsewhere' } }, 11000)).toBe(false);
    await dryRunApply(yaml);
    expect(names(parse(await template('networkPolicy.enabled=false')), 'NetworkPolicy')).toEqual([]);
  });

  test('deploy/ ships the same policy as an optional file, outside the kustomization', async () => {
    const kustomized = parse((await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout);
    expect(names(kustomized, 'NetworkPolicy')).toEqual([]);
    const file = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'networkpolicy.yaml'), 'utf8');
    const np = parse(file)[0];
    const chartNp = parse(await template()).find((o) => o.kind === 'NetworkPolicy')!;
    expect(ingressOf(np)).toEqual(ingressOf(chartNp));
    const dep = kustomized.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    expect(np.spec.podSelector).toEqual(dep.spec!.selector);
    await dryRunApply(file);
  });
});

describe('actions RBAC follows policy.allowedNamespaces (rendered)', () => {
  const bindings = (objs: Obj[]) =>
    objs
      .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      .map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} -> ${o.roleRef.name}`)
      .sort();
  const readOnly = [
    'ClusterRoleBinding t-alert-agent -> t-alert-agent',
    `RoleBinding ${NS}/t-alert-agent-history -> t-alert-agent-history`,
    `RoleBinding ${NS}/t-alert-agent-leader-election -> t-alert-agent-leader-election`,
  ];
  const clusterActions = 'ClusterRoleBinding t-alert-agent-actions -> t-alert-agent-actions';
  const nodeActions = 'ClusterRoleBinding t-alert-agent-node-actions -> t-alert-agent-node-actions';
  const inNs = (ns: string) => `RoleBinding ${ns}/t-alert-agent-actions -> t-alert-agent-actions`;

  test.each([
    [[], [clusterActions, nodeActions]],
    [['policy.allowedNamespaces={team-a,team-b}'], [inNs('team-a'), inNs('team-b')]],
    [['policy.allowedNamespaces={team-a}', 'policy.allowedClusterTools={kubernetes__cordon_node}'], [inNs('team-a'), nodeActions]],
    [['policy.allowedNamespaces={team-a}', 'policy.allowedTools={kubernetes__cordon_node}'], [inNs('team-a')]], // the policy wants the cluster list
    [['policy.mode=auto', 'policy.allowedTools={kubernetes__scale}'], [clusterActions]],
    [['policy.mode=auto', 'policy.allowedClusterTools={kubernetes__uncordon_node}'], [nodeActions]], // no namespaced tool allow-listed
    [['policy.mode=auto', 'policy.allowedTools={kubernetes__scale}', 'policy.allowedClusterTools={kubernetes__uncordon_node}'], [clusterActions, nodeActions]],
    [['incidentNamespaceMode=alert'], [clusterActions, nodeActions]], // incidents without a namespace label stay with the operator
    [['rbac.nodeActions=never'], [clusterActions]],
    [['policy.mode=auto', 'policy.allowedTools={kubernetes__scale}', 'rbac.nodeActions=always'], [clusterActions, nodeActions]],
    [['policy.mode=auto'], []], // auto runs only allow-listed tools: none
    [['policy.mode=observe', 'rbac.nodeActions=always'], []],
  ])('%j', async (set, actions) => {
    const objs = parse(await template(...set));
    expect(bindings(objs)).toEqual([...readOnly, ...actions].sort());
    const subjects = objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding').flatMap((o) => o.subjects);
    expect(new Set(subjects.map((s: { name: string; namespace: string }) => `${s.namespace}/${s.name}`))).toEqual(new Set([`${NS}/t-alert-agent`]));
    // nodes only in the node role, which holds nothing else
    for (const role of objs.filter((o) => o.kind === 'ClusterRole')) {
      const resources = (role.rules as Array<{ resources: string[] }>).flatMap((r) => r.resources);
      if (role.metadata.name === 't-alert-agent-node-actions') expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['patch'] }]);
      else if (role.metadata.name === 't-alert-agent-actions') expect(resources).not.toContain('nodes');
    }
  });

  test('the bindings match what the policy (src/policy/policy.ts) can let run, for every case above', async () => {
    const cases = [
      [],
      ['policy.allowedNamespaces={team-a,team-b}'],
      ['policy.allowedNamespaces={team-a}', 'policy.allowedClusterTools={kubernetes__cordon_node}'],
      ['policy.allowedNamespaces={team-a}', 'policy.allowedTools={kubernetes__cordon_node}'],
      ['policy.mode=auto', 'policy.allowedTools={kubernetes__scale}'],
      ['policy.mode=auto', 'policy.allowedTools={kubernetes__scale}', 'policy.allowedNamespaces={team-b}'],
      ['policy.mode=auto', 'policy.allowedClusterTools={kubernetes__uncordon_node}'],
      ['policy.mode=auto'],
      ['incidentNamespaceMode=alert'],
      ['policy.mode=observe'],
    ];
    for (const set of cases) {
      const objs = parse(await template(...set));
      const data = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 't-alert-agent-config')!.data as Record<string, string>;
      const cfg = loadConfig({ ...data, NAMESPACE: NS });
      const policy: PolicyConfig = {
        mode: cfg.POLICY_MODE,
        allowedTools: cfg.POLICY_ALLOWED_TOOLS,
        allowedClusterTools: cfg.POLICY_ALLOWED_CLUSTER_TOOLS,
        allowedNamespaces: cfg.POLICY_ALLOWED_NAMESPACES,
        maxMutations: cfg.POLICY_MAX_MUTATIONS,
      };
      const runs = (tool: string, scope: 'cluster' | 'namespaced', args: Record<string, unknown>) =>
        evaluate({ tool, mutating: true, scope, arguments: args }, policy, { mutationsSoFar: 0 }).verdict !== 'block';
      const rb = bindings(objs);
      const nodeBound = rb.includes(nodeActions);
      for (const tool of ['kubernetes__cordon_node', 'kubernetes__uncordon_node']) {
        if (runs(tool, 'cluster', { name: 'node-1' })) expect({ set, tool, nodeBound }).toEqual({ set, tool, nodeBound: true });
      }
      expect({ set, nodeBound }).toEqual({ set, nodeBound: ['kubernetes__cordon_node', 'kubernetes__uncordon_node'].some((t) => runs(t, 'cluster', { name: 'node-1' })) });
      for (const ns of ['team-a', 'team-b', 'default', 'kube-system']) {
        const bound = rb.includes(clusterActions) || rb.includes(inNs(ns));
        // a namespaced change: any tool a person may approve, or under auto an allow-listed one
        const tools = policy.mode === 'auto' ? policy.allowedTools : ['kubernetes__scale'];
        const may = tools.some((t) => runs(t, 'namespaced', { kind: 'Deployment', name: 'web', namespace: ns, replicas: 2 }));
        // RBAC never refuses what the policy lets run; it grants no more, but for kube-system under a
        // cluster-wide binding (RBAC cannot say "all but one": NOTES say so)
        expect({ set, ns, bound }).toEqual({ set, ns, bound: may || (ns === 'kube-system' && rb.includes(clusterActions)) });
      }
    }
  });

  test('policy.gitopsManagedWrites=suspend: the gitops-suspend role, bound cluster-wide, as deploy/gitops-suspend-rbac.yaml; not without the actions role', async () => {
    const objs = parse(await template('policy.gitopsManagedWrites=suspend', 'policy.allowedNamespaces={team-a}'));
    expect(bindings(objs)).toContain('ClusterRoleBinding t-alert-agent-gitops-suspend -> t-alert-agent-gitops-suspend');
    const shipped = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'gitops-suspend-rbac.yaml'), 'utf8'));
    const rulesOf = (list: Obj[], name: string) => list.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name)?.rules;
    expect(rulesOf(objs, 't-alert-agent-gitops-suspend')).toEqual(rulesOf(shipped, 'alert-agent-gitops-suspend'));
    expect(rulesOf(shipped, 'alert-agent-gitops-suspend')).toEqual([
      { apiGroups: ['kustomize.toolkit.fluxcd.io'], resources: ['kustomizations'], verbs: ['get', 'patch'] },
      { apiGroups: ['helm.toolkit.fluxcd.io'], resources: ['helmreleases'], verbs: ['get', 'patch'] },
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'patch'] },
    ]);
    for (const set of [[], ['policy.gitopsManagedWrites=suspend', 'policy.mode=observe']]) {
      expect(bindings(parse(await template(...set))).filter((b) => b.includes('gitops-suspend'))).toEqual([]);
    }
    await dryRunApply(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'gitops-suspend-rbac.yaml'), 'utf8'));
  });

  test('bad values fail the render', async () => {
    for (const [set, msg] of [
      ['rbac.nodeActions=sometimes', /rbac.nodeActions must be auto, always or never/],
      ['policy.allowedNamespaces={Team_A}', /policy.allowedNamespaces: "Team_A" is not a namespace name/],
    ] as const) {
      const r = await helm(['template', 't', CHART, '--set', set]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(msg);
    }
  });

  test('deploy/ holds the same roles as the chart with the same settings (approve, no allowed namespaces)', async () => {
    const chart = parse(await template());
    const kustomized = parse((await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout);
    const actions = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'actions-rbac.yaml'), 'utf8'));
    const rulesOf = (objs: Obj[], name: string) => objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name)?.rules;
    expect(rulesOf(kustomized, 'alert-agent')).toEqual(rulesOf(chart, 't-alert-agent'));
    expect(rulesOf(actions, 'alert-agent-actions')).toEqual(rulesOf(chart, 't-alert-agent-actions'));
    expect(rulesOf(actions, 'alert-agent-node-actions')).toEqual(rulesOf(chart, 't-alert-agent-node-actions'));
    expect(actions.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      ['ClusterRole/alert-agent-actions', 'ClusterRole/alert-agent-node-actions', 'ClusterRoleBinding/alert-agent-actions', 'ClusterRoleBinding/alert-agent-node-actions'].sort(),
    );
  });
});

describe('a real helm install and upgrade on the apiserver: RBAC backs the policy, the token stays', () => {
  const REL = 'rb';
  const relNs = `trust-${Date.now().toString(36)}`;
  const user = saUser(relNs, 'rb-alert-agent');
  let teamA: string;
  let teamB: string;
  let token: string;

  const release = (verb: 'install' | 'upgrade', ...set: string[]) =>
    // The admission policy is cluster-wide and would hold every later test's incidents to this release's
    // ServiceAccount: admission.test.ts installs it bound to its own namespaces instead.
    helm([verb, REL, CHART, '--namespace', relNs, '--skip-crds', ...(verb === 'install' ? ['--create-namespace'] : []), '--set', 'admissionPolicy.enabled=false', ...set.flatMap((s) => (s.startsWith('--') ? [s] : ['--set', s]))]);
  const readToken = async () => {
    const s = await kubeConfig().makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: relNs, name: 'rb-alert-agent-webhook' });
    return Buffer.from(s.data!.token, 'base64').toString();
  };
  /** `kubectl auth can-i` answers for these checks, once the wanted one is visible (RBAC is cached). */
  async function answers(wait: [string, string, string?], checks: Array<[string, string, string?]>): Promise<string[]> {
    await eventually(async () => (await canI(user, ...wait)) === 'yes', 15_000);
    const out: string[] = [];
    for (const [verb, resource, ns] of checks) out.push(`${verb} ${resource} ${ns ?? '(cluster)'}: ${await canI(user, verb, resource, ns)}`);
    return out;
  }

  beforeAll(async () => {
    teamA = await createNamespace('team-a');
    teamB = await createNamespace('team-b');
  });

  afterAll(async () => {
    await helm(['uninstall', REL, '--namespace', relNs]);
    for (const ns of [relNs, teamA, teamB]) if (ns) await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  });

  test('policy.allowedNamespaces=[team-a]: the actions role holds in team-a only; kube-system and other namespaces say no', async () => {
    const r = await release('install', `policy.allowedNamespaces={${teamA}}`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/error/i) });
    expect(r.stdout).toContain('STATUS: deployed');
    const got = await answers(
      ['patch', 'deployments', teamA],
      [
        ['patch', 'deployments', teamA],
        ['patch', 'deployments/scale', teamA],
        ['delete', 'pods', teamA],
        ['patch', 'deployments', 'kube-system'],
        ['patch', 'deployments/scale', 'kube-system'],
        ['delete', 'pods', 'kube-system'],
        ['patch', 'deployments', teamB],
        ['patch', 'deployments', 'default'],
        ['patch', 'nodes'],
        ['list', 'secrets', 'kube-system'],
        ['get', 'secrets', teamA],
        ['watch', 'secrets', teamB],
      ],
    );
    expect(got).toEqual([
      `patch deployments ${teamA}: yes`,
      `patch deployments/scale ${teamA}: yes`,
      `delete pods ${teamA}: yes`,
      'patch deployments kube-system: no',
      'patch deployments/scale kube-system: no',
      'delete pods kube-system: no',
      `patch deployments ${teamB}: no`,
      'patch deployments default: no',
      'patch nodes (cluster): no',
      'list secrets kube-system: no',
      `get secrets ${teamA}: no`,
      `watch secrets ${teamB}: no`,
    ]);
    expect((await kubectl(['get', 'clusterrolebinding', 'rb-alert-agent-actions'])).code).not.toBe(0);
    expect(r.stdout).toContain(`Actions (ClusterRole rb-alert-agent-actions) are bound by a RoleBinding in these namespaces only:\n   ${teamA}.`);
    token = await readToken();
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  test('upgraded to no allowedNamespaces: bound cluster-wide (as NOTES say), node actions too; the generated token is unchanged', async () => {
    const r = await release('upgrade', '--reset-values'); // helm reuses the last values when none are given
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/error/i) });
    const got = await answers(
      ['patch', 'deployments', 'kube-system'],
      [
        ['patch', 'deployments', teamB],
        ['patch', 'deployments', 'kube-system'],
        ['patch', 'nodes'],
        ['list', 'secrets', 'kube-system'],
        ['get', 'secrets', relNs],
      ],
    );
    expect(got).toEqual([`patch deployments ${teamB}: yes`, 'patch deployments kube-system: yes', 'patch nodes (cluster): yes', 'list secrets kube-system: no', `get secrets ${relNs}: no`]);
    expect((await kubectl(['get', 'rolebinding', 'rb-alert-agent-actions', '-n', teamA])).code).not.toBe(0); // pruned by the upgrade
    expect(r.stdout).toContain('are bound CLUSTER-WIDE (ClusterRoleBinding), because\n   policy.allowedNamespaces is empty');
    expect(await readToken()).toBe(token);
    const notesOut = (await helm(['get', 'notes', REL, '--namespace', relNs])).stdout;
    expect(notesOut).toContain(`kubectl -n ${relNs} get secret rb-alert-agent-webhook -o jsonpath='{.data.token}' | base64 -d`);
  });

  test('the generated token is what the webhook then requires', async () => {
    const op = await startTestOperator({ namespace: relNs, env: { WEBHOOK_BEARER_TOKEN: token } });
    try {
      const body = payload([alert({ alertname: 'TokenProbe', namespace: relNs })]);
      expect((await post(op.webhookUrl, body)).status).toBe(401);
      expect((await post(op.webhookUrl, body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await post(op.webhookUrl, body, { authorization: `Bearer ${token}` })).status).toBe(200);
    } finally {
      await op.stop();
    }
  });
});

/** A small AlertIncident with the fields the CRD requires. */
function minimalIncident(name: string): object {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name },
    spec: { alertname: 'RbacProbe', fingerprint: '0123456789abcdef', status: 'firing', severity: 'warning', labels: { alertname: 'RbacProbe' }, startsAt: new Date().toISOString() },
  };
}

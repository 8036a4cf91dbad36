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
import { ConfigSchema, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../bed/controlPlane.js';
import { runBedBinary, serviceAccountKubeConfig } from '../bed/shared.js';
import { alert, applyCrd, bed, byPosition, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';
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
const NOT_CONFIG = new Set(['HOME']);

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
    expect(names(objs, 'ClusterRole').sort()).toEqual(['t-alert-agent', 't-alert-agent-actions']);
    expect(names(objs, 'ClusterRoleBinding').sort()).toEqual(['t-alert-agent', 't-alert-agent-actions']);
    expect(names(objs, 'Role')).toEqual(['t-alert-agent-leader-election']);
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
        'Role/alert-agent-leader-election',
        'RoleBinding/alert-agent-leader-election',
        'Service/alert-agent',
        'ServiceAccount/alert-agent',
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
      [true, 'list', 'secrets', { namespace: 'default' }],
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

  test('by doing the calls: lists pods and secrets, creates an incident, patches its status, records an event; reading a Secret is forbidden', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const admin = kubeConfig().makeApiClient(CoreV1Api);
    await admin
      .createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'rbac-probe' }, stringData: { password: 'hunter2' } } })
      .catch((e) => {
        if (!(e instanceof ApiException && e.code === 409)) throw e;
      });
    expect((await core.listPodForAllNamespaces({ limit: 1 })).items).toBeDefined();
    const secrets = await core.listNamespacedSecret({ namespace: NS });
    expect(secrets.items.map((s) => s.metadata?.name)).toContain('rbac-probe');
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
    const op = await startTestOperator({ namespace: NS, kubeConfig: kc, env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__scale' } });
    try {
      expect((await post(op.webhookUrl, payload([alert({ alertname: 'RbacProbe', namespace: 'default' })]))).status).toBe(200);
      const inc = await waitForIncident(NS, (i) => i.spec.alertname === 'RbacProbe' && finished(i));
      const [describe, scale] = inc.status!.steps!;
      expect(describe).toMatchObject({ tool: 'describe_deployment', state: 'Succeeded' });
      expect(scale).toMatchObject({ tool: 'scale', state: 'Failed', result: { ok: false, error: expect.stringMatching(/^forbidden: .*(RBAC)/) } });
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

// The deployment artefacts against the real apiserver: the helm chart (lint, every variant rendered and
// applied with --dry-run=server), the kustomize tree deploy/, the CRD being the single source, the env
// names matching src/config.ts, the pod passing PodSecurity "restricted", no grant on Secrets in any
// rendering, the webhook token and the NetworkPolicy. What the roles really grant is deployRbac.test.ts's.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { loadYaml, type V1Deployment } from '@kubernetes/client-node';
import { ConfigSchema, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { createNamespace, eventually, kubectl } from './harness.js';
import { CHART, CHART_CRD, CRD, NOT_CONFIG, NS, type Obj, canI, dryRunApply, envNames, helm, names, notes, parse, saUser, selects, template, templateValues, useDeployBed } from './deployKit.js';

useDeployBed();

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

// The RBAC of the deployment artefacts against the real apiserver: what the chart's and deploy/'s roles
// really grant, checked as the ServiceAccount itself (kubectl auth can-i, and the calls themselves), the
// actions role following the policy's namespaces, and a real helm install and upgrade.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppsV1Api, ApiException, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';
import { loadConfig } from '../../src/config.js';
import { evaluate, type PolicyConfig } from '../../src/policy/policy.js';
import { createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { serviceAccountKubeConfig } from '../bed/shared.js';
import { alert, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';
import { startScriptedLlm } from '../bed/scriptedLlm.js';
import { CHART, NS, type Obj, canI, dryRunApply, helm, parse, saUser, template, useDeployBed } from './deployKit.js';

useDeployBed();

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

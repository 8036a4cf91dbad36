// Many clusters, the pure parts: which cluster an alert belongs to, the identities (unchanged for the
// local cluster), credentials from the three Secret formats, a cluster's policy, and the dispatch of an
// incident to its cluster's engine (unknown, unreachable, rotated).
import { jest } from '@jest/globals';
import { parseClusterSecret } from '../../src/clusters/credentials.js';
import type { ClusterAccess } from '../../src/clusters/credentials.js';
import type { Clusters } from '../../src/clusters/registry.js';
import { alertIdentity, clusterKeyOf, correlationLabels, nodeKey } from '../../src/incident/identity.js';
import { incidentName } from '../../src/incident/naming.js';
import { withConditions } from '../../src/incident/conditions.js';
import type { AlertIncident } from '../../src/incident/types.js';
import { ClusterDispatch, clusterPolicy } from '../../src/investigation/clusterDispatch.js';
import type { PolicyConfig } from '../../src/policy/policy.js';
import { clusterOfAlert } from '../../src/webhook/intake.js';
import { createLogger } from '../../src/observability/logger.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const kubeconfig = (server: string, extra = '') => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
    certificate-authority-data: ${b64('CA')}
users:
- name: u
  user:
    token: sekret-token-value${extra}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`;

describe('the cluster of an alert', () => {
  const c = { label: 'cluster', local: 'mgmt' };
  it('is its cluster label, else the local cluster by default, else none when so configured', () => {
    expect(clusterOfAlert({ cluster: 'eu-1' }, c)).toBe('eu-1');
    expect(clusterOfAlert({}, c)).toBe('mgmt');
    expect(clusterOfAlert({}, { ...c, unlabelled: 'none' })).toBe('');
    expect(clusterOfAlert({ k8s_cluster: 'b' }, { ...c, label: 'k8s_cluster' })).toBe('b');
  });
});

describe('identities by cluster', () => {
  const labels = { namespace: 'shop', pod: 'web-5d8f7c9b6-x7k2p', node: 'n1' };
  it('stay exactly as before for the local cluster (nothing stored is duplicated on upgrade)', () => {
    const before = alertIdentity('KubePodCrashLooping', labels);
    expect(alertIdentity('KubePodCrashLooping', labels, clusterKeyOf({ cluster: 'mgmt' }, 'mgmt'))).toEqual(before);
    expect(before.key).toBe('KubePodCrashLooping|shop|workload/web');
    expect(incidentName('A', 'fp', 't', clusterKeyOf({ cluster: 'mgmt' }, 'mgmt'))).toBe(incidentName('A', 'fp', 't'));
  });
  it('differ between clusters: the same alert, node or workload in two clusters is two', () => {
    const a = alertIdentity('KubePodCrashLooping', labels, 'a');
    const b = alertIdentity('KubePodCrashLooping', labels, 'b');
    expect(a.hash).not.toBe(b.hash);
    expect(nodeKey('n1', 'a')).not.toBe(nodeKey('n1'));
    const spec = { alertname: 'KubePodCrashLooping', groupKey: 'g' };
    const la = correlationLabels(spec, a, 'n1');
    const lb = correlationLabels(spec, b, 'n1');
    for (const k of Object.keys(la)) expect(la[k]).not.toBe(lb[k]);
    expect(incidentName('A', 'fp', 't', 'a')).not.toBe(incidentName('A', 'fp', 't', 'b'));
  });
});

describe('cluster credentials from Secrets', () => {
  it('reads a Cluster API kubeconfig Secret', () => {
    const p = parseClusterSecret({
      metadata: { name: 'eu-1-kubeconfig', resourceVersion: '7', labels: { 'cluster.x-k8s.io/cluster-name': 'eu-1' } },
      data: { value: b64(kubeconfig('https://10.0.0.1:6443')) },
    });
    expect(p.ok && p.format).toBe('cluster-api');
    if (!p.ok) return;
    expect(p.access).toMatchObject({ name: 'eu-1', server: 'https://10.0.0.1:6443', version: '7' });
    expect(p.access.kc.getCurrentUser()?.token).toBe('sekret-token-value');
  });

  it('reads an Argo CD cluster Secret, named by alertagent.io/cluster when set, with its annotations', () => {
    const p = parseClusterSecret({
      metadata: {
        name: 'cluster-prod',
        labels: { 'argocd.argoproj.io/secret-type': 'cluster', 'alertagent.io/cluster': 'prod' },
        annotations: { 'alertagent.io/prometheus-url': 'http://prom.prod:9090', 'alertagent.io/policy-mode': 'observe' },
      },
      data: { name: b64('prod-argo'), server: b64('https://prod:6443'), config: b64(JSON.stringify({ bearerToken: 'tok', tlsClientConfig: { caData: b64('CA'), insecure: false } })) },
    });
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.access).toMatchObject({ name: 'prod', server: 'https://prod:6443', prometheusUrl: 'http://prom.prod:9090', policy: { mode: 'observe' } });
    expect(p.access.kc.getCurrentUser()?.token).toBe('tok');
    expect(p.access.kc.getCurrentCluster()?.caData).toBe(b64('CA'));
  });

  it('reads a plain kubeconfig Secret named by the Secret', () => {
    const p = parseClusterSecret({ metadata: { name: 'lab' }, data: { kubeconfig: b64(kubeconfig('https://lab:6443')) } });
    expect(p.ok && p.access.name).toBe('lab');
  });

  it('refuses file references and exec plugins, and never puts the Secret data in its reason', () => {
    const withFile = kubeconfig('https://x:6443').replace(`certificate-authority-data: ${b64('CA')}`, 'certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    const a = parseClusterSecret({ metadata: { name: 'x' }, data: { kubeconfig: b64(withFile) } });
    expect(a.ok).toBe(false);
    const withExec = kubeconfig('https://x:6443').replace('    token: sekret-token-value', '    exec: {command: /bin/sh, apiVersion: client.authentication.k8s.io/v1}');
    const b = parseClusterSecret({ metadata: { name: 'x' }, data: { kubeconfig: b64(withExec) } });
    expect(!b.ok && b.reason).toMatch(/exec/);
    const broken = parseClusterSecret({ metadata: { name: 'x' }, data: { kubeconfig: b64('token: sekret-token-value\n  : : [') } });
    expect(broken.ok).toBe(false);
    expect(JSON.stringify(broken)).not.toContain('sekret');
    const none = parseClusterSecret({ metadata: { name: 'x' }, data: { other: b64('sekret') } });
    expect(!none.ok && none.reason).toMatch(/no cluster credentials/);
  });
});

describe('a cluster policy', () => {
  const base: PolicyConfig = { mode: 'auto', allowedTools: ['kubernetes__scale'], allowedClusterTools: [], allowedNamespaces: [], maxMutations: 3 };
  it('is only ever stricter than the global one', () => {
    expect(clusterPolicy(base, { mode: 'observe' }).mode).toBe('observe');
    expect(clusterPolicy({ ...base, mode: 'observe' }, { mode: 'auto' }).mode).toBe('observe');
    expect(clusterPolicy(base, { allowedNamespaces: ['shop'] }).allowedNamespaces).toEqual(['shop']);
    expect(clusterPolicy({ ...base, allowedNamespaces: ['a'] }, { allowedNamespaces: ['b'] }).mode).toBe('observe');
    expect(clusterPolicy(base, { allowedTools: ['kubernetes__scale', 'kubernetes__delete_pod'] }).allowedTools).toEqual(['kubernetes__scale']);
    expect(clusterPolicy(base, undefined)).toBe(base);
  });
});

describe('the dispatch of an incident to its cluster', () => {
  const log = createLogger({ level: 'error', format: 'json' });
  const incident = (cluster?: string): AlertIncident => ({
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'i', namespace: 'ops' },
    spec: { alertname: 'A', fingerprint: 'f', status: 'firing', labels: {}, annotations: {}, startsAt: '2026-01-01T00:00:00Z', ...(cluster !== undefined && { cluster }) },
  });
  const access = (name: string, version: string): ClusterAccess => ({ name, version, server: `https://${name}`, source: 'test', kc: {} as ClusterAccess['kc'] });
  function setup(known: Record<string, ClusterAccess>, down = new Set<string>()) {
    const clusters: Clusters = {
      synced: true,
      get: (n) => known[n],
      names: () => Object.keys(known),
      probe: async (a) => {
        if (down.has(a.name)) throw new Error(`the API server at ${a.server} is unreachable (ECONNREFUSED)`);
      },
    };
    const localEngine = { advance: jest.fn(async () => ({ kind: 'noop' as const })) };
    const built: string[] = [];
    const closed: string[] = [];
    const dispatch = new ClusterDispatch({
      local: 'mgmt',
      localEngine,
      clusters,
      maxConcurrentPerCluster: 2,
      log,
      build: async (a) => {
        built.push(`${a.name}@${a.version}`);
        return { advance: async () => ({ kind: 'write', status: { phase: 'Analyzing' }, events: [] }), close: async () => void closed.push(`${a.name}@${a.version}`) };
      },
    });
    return { dispatch, localEngine, built, closed };
  }

  it('sends the local cluster and incidents without spec.cluster to the local engine', async () => {
    const { dispatch, localEngine, built } = setup({});
    await dispatch.advance(incident());
    await dispatch.advance(incident('mgmt'));
    expect(localEngine.advance).toHaveBeenCalledTimes(2);
    expect(built).toEqual([]);
  });

  it('ends an incident of an unknown cluster with ClusterKnown=False and how to add it, building nothing', async () => {
    const { dispatch, built } = setup({ b: access('b', '1') });
    const adv = await dispatch.advance(incident('nowhere'));
    expect(built).toEqual([]);
    expect(adv.kind).toBe('write');
    if (adv.kind !== 'write') return;
    expect(adv.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention', clusterProblem: { reason: 'UnknownCluster' } });
    expect(adv.status.report).toContain('nowhere-kubeconfig');
    const inc = incident('nowhere');
    const conditions = withConditions(inc, adv.status, '2026-01-01T00:00:00Z').conditions!;
    expect(conditions.find((c) => c.type === 'ClusterKnown')).toMatchObject({ status: 'False', reason: 'UnknownCluster' });
  });

  it('makes an incident of an unreachable cluster wait with ClusterReachable=False, and clears it once reachable', async () => {
    const down = new Set(['b']);
    const { dispatch } = setup({ b: access('b', '1') }, down);
    const adv = await dispatch.advance(incident('b'));
    expect(adv.kind === 'write' && adv.status.clusterProblem?.reason).toBe('ClusterUnreachable');
    expect(adv.kind === 'write' && adv.requeueAfterMs).toBeGreaterThan(0);
    const waiting = { ...incident('b'), status: adv.kind === 'write' ? adv.status : {} };
    expect(withConditions(waiting, waiting.status!, 'now').conditions!.find((c) => c.type === 'ClusterReachable')?.status).toBe('False');
    // the same problem again: a requeue, no write
    expect((await dispatch.advance(waiting)).kind).toBe('noop');
    down.delete('b');
    const next = await dispatch.advance(waiting);
    expect(next.kind === 'write' && next.status.clusterProblem).toBeUndefined();
  });

  it('holds one cluster to its share of steps in flight, not the others', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const known: Record<string, ClusterAccess> = { b: access('b', '1'), c: access('c', '1') };
    const clusters: Clusters = { synced: true, get: (n) => known[n], names: () => Object.keys(known), probe: async () => undefined };
    const dispatch = new ClusterDispatch({
      local: 'mgmt',
      localEngine: { advance: async () => ({ kind: 'noop' }) },
      clusters,
      maxConcurrentPerCluster: 1,
      log,
      build: async () => ({ advance: async () => (await gate, { kind: 'write', status: {}, events: [] }), close: async () => undefined }),
    });
    const first = dispatch.advance(incident('b'));
    await new Promise((r) => setImmediate(r));
    expect(await dispatch.advance(incident('b'))).toMatchObject({ kind: 'noop', requeueAfterMs: expect.any(Number) });
    const other = dispatch.advance(incident('c')); // another cluster is not held
    release();
    expect((await first).kind).toBe('write');
    expect((await other).kind).toBe('write');
  });

  it('rebuilds a cluster engine when its credentials change, closing the old one', async () => {
    const known = { b: access('b', '1') };
    const { dispatch, built, closed } = setup(known);
    await dispatch.advance(incident('b'));
    await dispatch.advance(incident('b'));
    known.b = access('b', '2');
    await dispatch.advance(incident('b'));
    await new Promise((r) => setImmediate(r));
    expect(built).toEqual(['b@1', 'b@2']);
    expect(closed).toEqual(['b@1']);
  });
});

describe('what people see of the cluster', () => {
  const inc = (cluster?: string): AlertIncident => ({
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: `i-${cluster ?? 'none'}`, namespace: 'ops', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { alertname: 'KubePodCrashLooping', fingerprint: 'f', status: 'firing', labels: { namespace: 'shop' }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', ...(cluster !== undefined && { cluster }) },
    status: { phase: 'Reported', outcome: 'NeedsManualIntervention', summary: 's' },
  });

  it('notifications name the cluster', async () => {
    const { buildView, plainText } = await import('../../src/notify/message.js');
    expect(plainText(buildView(inc('eu-1'), 'Reported'))).toContain('in namespace shop of cluster eu-1');
    expect(plainText(buildView(inc(), 'Reported'))).not.toContain('cluster');
  });

  it('the web list has a Cluster column and filter only when some incident has a cluster', async () => {
    const { listPage, matches } = await import('../../src/web/views.js');
    const { toRow } = await import('../../src/web/feed.js');
    const user = { username: 'u', groups: [], via: 'header' } as unknown as Parameters<typeof listPage>[0]['user'];
    const rows = [toRow(inc('eu-1')), toRow(inc('us-2'))];
    const many = String(listPage({ user, rows, filters: {}, severities: [], namespaces: [], clusters: ['eu-1', 'us-2'] }));
    expect(many).toContain('data-col="cluster"');
    expect(many).toContain('<select name="cluster">');
    expect(rows.filter((r) => matches(r, { cluster: 'us-2' })).map((r) => r.name)).toEqual(['i-us-2']);
    const single = String(listPage({ user, rows: [toRow(inc())], filters: {}, severities: [], namespaces: [], clusters: [] }));
    expect(single).not.toContain('Cluster');
  });
});

describe("a cluster's MCP servers", () => {
  it('are the templated entries with its name, plus its own section; the local cluster keeps the rest', async () => {
    const { ServersConfig, clusterServersConfig } = await import('../../src/tools/serversConfig.js');
    const config = ServersConfig.parse({
      mcpServers: { grafana: { url: 'http://grafana/mcp' }, prom: { url: 'http://prom-${CLUSTER}.example/mcp', headers: { 'X-Cluster': '${CLUSTER}' } } },
      clusters: { 'eu-1': { mcpServers: { argo: { command: 'argo-mcp', args: ['--cluster', 'eu-1'] } } } },
    });
    const eu = clusterServersConfig(config, 'eu-1', false);
    expect(Object.keys(eu.mcpServers).sort()).toEqual(['argo', 'prom']);
    expect(eu.mcpServers.prom).toMatchObject({ url: 'http://prom-eu-1.example/mcp', headers: { 'X-Cluster': 'eu-1' } });
    const local = clusterServersConfig(config, 'mgmt', true);
    expect(Object.keys(local.mcpServers).sort()).toEqual(['grafana', 'prom']);
    expect(local.mcpServers.prom).toMatchObject({ url: 'http://prom-mgmt.example/mcp' });
    // a name with JSON in it stays a value
    expect(clusterServersConfig(config, 'a"b', false).mcpServers.prom).toMatchObject({ headers: { 'X-Cluster': 'a"b' } });
  });
});

describe('the cluster registry', () => {
  it('learns, rotates, keeps the last good credentials on a botched rotation, and forgets', async () => {
    const { ClusterRegistry } = await import('../../src/clusters/registry.js');
    const { KubeConfig } = await import('@kubernetes/client-node');
    const local = new KubeConfig();
    local.loadFromOptions({ clusters: [{ name: 'l', server: 'https://local:6443', skipTLSVerify: false }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'l', user: 'u' }], currentContext: 'c' });
    const lines: string[] = [];
    const { Writable } = await import('node:stream');
    const stream = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const log = createLogger({ level: 'debug', format: 'json', stream });
    const reg = new ClusterRegistry({ kc: local, namespace: 'ops', selector: 'x=y', local: { name: 'mgmt', kc: local }, log });
    const secret = (rv: string, server: string) => ({ metadata: { name: 'eu-1-kubeconfig', resourceVersion: rv, labels: { 'cluster.x-k8s.io/cluster-name': 'eu-1' } }, data: { value: b64(kubeconfig(server)) } });
    expect(reg.synced).toBe(false);
    reg.apply('ADDED', secret('1', 'https://eu-1:6443'));
    expect(reg.names()).toEqual(['eu-1', 'mgmt']);
    reg.apply('MODIFIED', secret('2', 'https://eu-1-new:6443'));
    expect(reg.get('eu-1')).toMatchObject({ version: '2', server: 'https://eu-1-new:6443' });
    reg.apply('MODIFIED', { metadata: { name: 'eu-1-kubeconfig', resourceVersion: '3', labels: { 'cluster.x-k8s.io/cluster-name': 'eu-1' } }, data: { value: b64('not: [a kubeconfig') } });
    expect(reg.get('eu-1')?.version).toBe('2');
    // a second Secret for the same cluster, and one naming the local cluster, are ignored
    reg.apply('ADDED', { ...secret('4', 'https://evil:6443'), metadata: { name: 'other', resourceVersion: '4', labels: { 'alertagent.io/cluster': 'eu-1' } } });
    reg.apply('ADDED', { metadata: { name: 'mgmt-kubeconfig', resourceVersion: '5' }, data: { value: b64(kubeconfig('https://evil:6443')) } });
    expect(reg.get('eu-1')?.server).toBe('https://eu-1-new:6443');
    expect(reg.get('mgmt')?.server).toBe('https://local:6443');
    reg.apply('DELETED', secret('6', 'https://eu-1-new:6443'));
    expect(reg.names()).toEqual(['mgmt']);
    expect(lines.join('\n')).not.toContain('sekret-token-value');
  });
});

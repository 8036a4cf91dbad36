// Many clusters, the pure parts of the rest of issue 24: a cluster's webhook token (key `webhook-token` of
// its Secret: only its digest kept, rotated with the Secret, a token two clusters share refused), and the
// metrics' `cluster` label (none when many clusters are off; bounded to known clusters and `unknown`).
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { parseClusterSecret } from '../../src/clusters/credentials.js';
import { ClusterRegistry } from '../../src/clusters/registry.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const TOKEN_A = 'eu-1-webhook-token-0123456789';
const TOKEN_B = 'eu-2-webhook-token-9876543210';
const kubeconfig = (server: string) => `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: ${server}}}]
users: [{name: u, user: {token: member-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`;
const secret = (cluster: string, rv: string, token?: string) => ({
  metadata: { name: `${cluster}-kubeconfig`, resourceVersion: rv, labels: { 'cluster.x-k8s.io/cluster-name': cluster } },
  data: { value: b64(kubeconfig(`https://${cluster}:6443`)), ...(token !== undefined && { 'webhook-token': b64(token) }) },
});

function registry() {
  const local = new KubeConfig();
  local.loadFromOptions({ clusters: [{ name: 'l', server: 'https://local:6443', skipTLSVerify: false }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'l', user: 'u' }], currentContext: 'c' });
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
  const reg = new ClusterRegistry({ kc: local, namespace: 'ops', selector: 'x=y', local: { name: 'mgmt', kc: local }, log: createLogger({ level: 'debug', format: 'json', stream }) });
  return { reg, lines };
}

describe("a cluster's webhook token", () => {
  it('is read from the key webhook-token as a digest only; a short one fails the Secret', () => {
    const parsed = parseClusterSecret(secret('eu-1', '1', `  ${TOKEN_A}\n`));
    expect(parsed.ok && parsed.access.webhookTokenSha256?.length).toBe(32);
    expect(JSON.stringify(parsed.ok && parsed.access)).not.toContain(TOKEN_A);
    const none = parseClusterSecret(secret('eu-1', '1'));
    expect(none.ok && none.access.webhookTokenSha256).toBeUndefined();
    const short = parseClusterSecret(secret('eu-1', '1', 'short'));
    expect(short).toEqual({ ok: false, secret: 'eu-1-kubeconfig', reason: 'key `webhook-token`: shorter than 16 characters' });
  });

  it('tells its cluster; rotated, the old token is no one’s; shared by two clusters, it names both', () => {
    const { reg, lines } = registry();
    reg.apply('ADDED', secret('eu-1', '1', TOKEN_A));
    reg.apply('ADDED', secret('eu-2', '1', TOKEN_B));
    reg.apply('ADDED', secret('eu-3', '1'));
    expect(reg.clustersOfToken(TOKEN_A)).toEqual(['eu-1']);
    expect(reg.clustersOfToken(TOKEN_B)).toEqual(['eu-2']);
    expect(reg.clustersOfToken('')).toEqual([]);
    expect(reg.clustersOfToken(TOKEN_A.slice(0, -1))).toEqual([]);
    reg.apply('MODIFIED', secret('eu-1', '2', `${TOKEN_A}-rotated`));
    expect(reg.clustersOfToken(TOKEN_A)).toEqual([]);
    expect(reg.clustersOfToken(`${TOKEN_A}-rotated`)).toEqual(['eu-1']);
    reg.apply('MODIFIED', secret('eu-2', '2', `${TOKEN_A}-rotated`));
    expect(reg.clustersOfToken(`${TOKEN_A}-rotated`).sort()).toEqual(['eu-1', 'eu-2']);
    reg.apply('DELETED', secret('eu-2', '3'));
    expect(reg.clustersOfToken(`${TOKEN_A}-rotated`)).toEqual(['eu-1']);
    expect(lines.join('\n')).not.toContain('webhook-token-');
  });
});

describe('metrics by cluster', () => {
  it('off: no cluster label, the series exactly as before', async () => {
    const m = createMetrics();
    expect(m.clusterLabels('eu-1')).toEqual({});
    m.alertsStored.inc({ result: 'created', ...m.clusterLabels('eu-1') });
    m.reconcileDuration.observe(m.clusterLabels('eu-1'), 0.2);
    const text = await m.registry.metrics();
    expect(text).toContain('alertagent_alerts_stored_total{result="created"} 1');
    expect(text).toContain('alertagent_reconcile_duration_seconds_count 1');
    expect(text).not.toContain('cluster=');
  });

  it('on: the known clusters by name, any other (or none) as unknown', async () => {
    const m = createMetrics({ byCluster: true });
    expect(m.clusterLabels('eu-1')).toEqual({ cluster: 'unknown' }); // nothing known yet
    m.knowClusters((c) => c === 'eu-1' || c === 'mgmt');
    expect(m.clusterLabels('eu-1')).toEqual({ cluster: 'eu-1' });
    expect(m.clusterLabels('attacker-chosen-name')).toEqual({ cluster: 'unknown' });
    expect(m.clusterLabels(undefined)).toEqual({ cluster: 'unknown' });
    expect(m.clusterLabels('')).toEqual({ cluster: 'unknown' });
    m.incidentsByPhase.set({ phase: 'Investigating', outcome: '', ...m.clusterLabels('eu-1') }, 2);
    m.reconcileDuration.observe(m.clusterLabels('mgmt'), 0.2);
    const text = await m.registry.metrics();
    expect(text).toContain('alertagent_incidents{phase="Investigating",outcome="",cluster="eu-1"} 2');
    expect(text).toContain('alertagent_reconcile_duration_seconds_count{cluster="mgmt"} 1');
  });
});

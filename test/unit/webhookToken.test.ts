// A webhook reachable beyond loopback takes alerts only with a bearer token, unless WEBHOOK_REQUIRE_TOKEN=false
// says so: then it starts, and says at every start that it runs open.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterRegistry } from '../../src/clusters/registry.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createWebhookApp } from '../../src/webhook/app.js';
import type { AlertIntake } from '../../src/webhook/intake.js';
import { webhookExposure } from '../../src/webhook/exposure.js';

const cfg = (env: Record<string, string>) => loadConfig({ NAMESPACE: 'x', ...env });

describe('webhook token', () => {
  it('refuses a webhook beyond loopback without a token, naming both ways out', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'alert-agent.example']) {
      expect(() => webhookExposure(cfg({ WEBHOOK_HOST: host }))).toThrow(ConfigError);
      expect(() => webhookExposure(cfg({ WEBHOOK_HOST: host }))).toThrow(/WEBHOOK_BEARER_TOKEN.*WEBHOOK_REQUIRE_TOKEN=false/s);
    }
    expect(() => webhookExposure(cfg({}))).toThrow(/0\.0\.0\.0/);
  });

  it('starts with a token, on loopback, or with WEBHOOK_REQUIRE_TOKEN=false, and warns whenever it runs open', () => {
    expect(cfg({}).WEBHOOK_REQUIRE_TOKEN).toBe(true);
    expect(webhookExposure(cfg({ WEBHOOK_BEARER_TOKEN: 't' }))).toEqual({});
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      expect(webhookExposure(cfg({ WEBHOOK_HOST: host })).warning).toMatch(/no WEBHOOK_BEARER_TOKEN.*only from this machine/);
    }
    const open = webhookExposure(cfg({ WEBHOOK_HOST: '0.0.0.0', WEBHOOK_REQUIRE_TOKEN: 'false' }));
    expect(open.warning).toMatch(/takes alerts from anyone who can reach 0\.0\.0\.0.*WEBHOOK_REQUIRE_TOKEN=false/);
  });

  it('the process exits 2 with that message before it connects anywhere', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(process.cwd(), 'src', 'main.ts')], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: '/nonexistent', NAMESPACE: 'x', WEBHOOK_PORT: '0', METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(timer);
    expect({ code, out }).toEqual({ code: 2, out: expect.stringMatching(/WEBHOOK_HOST 0\.0\.0\.0.*WEBHOOK_BEARER_TOKEN/s) });
  }, 30_000);
});

describe("a cluster's webhook token before the clusters' Secrets are listed", () => {
  it('answers 503 (AlertManager retries) to a token that may be a cluster\'s, and still 200 to the global one', async () => {
    const local = new KubeConfig();
    local.loadFromOptions({ clusters: [{ name: 'l', server: 'https://local:6443' }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'l', user: 'u' }], currentContext: 'c' });
    // Not started: its Secrets are not listed yet.
    const registry = new ClusterRegistry({ kc: local, namespace: 'ops', selector: 'x=y', local: { name: 'mgmt', kc: local }, log: silentLogger() });
    const intake = { clustered: true, clusterOf: () => 'mgmt', foreignAlert: () => undefined, ingest: async (p: { alerts: unknown[] }) => p.alerts.map(() => 'created') } as unknown as AlertIntake;
    const app = createWebhookApp({ intake, log: silentLogger(), bearerToken: 'global-token', clusterTokens: registry, maxBodyBytes: 65536 });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/alerts`;
    const body = JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [{ status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-11-26T07:00:00Z' }] });
    const send = async (token?: string) => (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) } })).status;
    try {
      expect(await send('maybe-a-cluster-token-0123')).toBe(503);
      expect(await send('global-token')).toBe(200);
      expect(await send()).toBe(401);
    } finally {
      server.close();
    }
  });
});

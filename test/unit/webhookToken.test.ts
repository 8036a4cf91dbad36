// A webhook reachable beyond loopback takes alerts only with a bearer token, unless WEBHOOK_REQUIRE_TOKEN=false
// says so: then it starts, and says at every start that it runs open.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
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

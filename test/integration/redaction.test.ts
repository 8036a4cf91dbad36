// One redaction pass over every tool output, on the real control plane: secrets planted in ConfigMaps
// (app.properties with db.password and a DATABASE_URL, a PEM key, a GCP key file, an Azure connection string)
// and in a pod's literal env values and arguments, read back through ToolManager.call() from the built-in
// server and from two external servers over stdio (kubernetes-mcp-server from npm, and the fixture server
// that prints secrets); pod logs through the built-in get_pod_logs with only the log read stubbed (the bed's
// pods are kwok fakes with no kubelet to serve logs). None of the planted values may come back.
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { silentLogger } from '../../src/observability/logger.js';
import { BUILTIN_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import {
  APP_PROPERTIES,
  APP_YAML,
  AZURE_CONNECTION,
  GCP_SERVICE_ACCOUNT_JSON,
  LOG_LINES,
  NOTES,
  PEM_BODY_LINES,
  PEM_KEY,
  RSA_STYLE_PEM,
  SECRETS,
} from '../fixtures/secretCorpus.js';
import { bed, createNamespace, eventually, kubeConfig } from './harness.js';

const PLANTED = [...Object.values(SECRETS), ...PEM_BODY_LINES];
const BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin');
const fixture = { command: process.execPath, args: ['--import', 'tsx', path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcpTestServer.ts')], cwd: PROJECT_ROOT };

let ns: string;
let m: ToolManager;
const outputs: Array<{ what: string; text: string }> = [];

async function call(server: string, tool: string, args: Record<string, unknown>) {
  const r = await m.call(server, tool, args, { timeoutMs: 30_000 });
  outputs.push({ what: `${server}__${tool} ${JSON.stringify(args)}`, text: `${r.output}\n${r.error ?? ''}` });
  return r;
}

function expectNoSecret(text: string): void {
  for (const s of PLANTED) expect(text).not.toContain(s);
}

beforeAll(async () => {
  ns = await createNamespace('redact');
  const kc = kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: 'checkout-config', labels: { 'app.kubernetes.io/name': 'checkout' } },
      data: {
        'app.properties': APP_PROPERTIES,
        'app.yaml': APP_YAML,
        'tls.key': PEM_KEY,
        'legacy.pem': RSA_STYLE_PEM,
        'service-account.json': GCP_SERVICE_ACCOUNT_JSON,
        'azure.conf': AZURE_CONNECTION,
        'notes.txt': NOTES,
      },
    },
  });
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'checkout', labels: { app: 'checkout' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'ghcr.io/shop/checkout:1.4.2',
            args: [`--token=${SECRETS.argToken}`, '--port=8080', `--dsn=shop:${SECRETS.mysqlDsnPassword}@tcp(db:3306)/shop`],
            env: [
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'DB_PASSWORD', value: SECRETS.envDbPassword },
              { name: 'SIGNING_KEY', value: SECRETS.envSigningKey },
              // Harmless names, secret values: only the value shapes can catch these.
              { name: 'SETTINGS', value: `postgres://shop:${SECRETS.databaseUrlPassword}@db.shop.svc:5432/shop` },
              { name: 'UPSTREAM_HEADER', value: `Bearer ${SECRETS.jwt}` },
              { name: 'CLOUD', value: `${SECRETS.awsAccessKeyId} ${SECRETS.githubToken}` },
              { name: 'DB_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
            ],
          },
        ],
      },
    },
  });
  await eventually(async () => (await core.readNamespacedPod({ name: 'checkout', namespace: ns })).status?.phase === 'Running', 60_000);

  // The built-in server with the real API, except the log read: kwok pods have no kubelet to serve logs.
  const realCore = kc.makeApiClient(CoreV1Api);
  const stubbedCore = new Proxy(realCore, {
    get(target, prop, receiver) {
      if (prop === 'readNamespacedPodLog') return async () => LOG_LINES;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  m = new ToolManager(
    ServersConfig.parse({
      mcpServers: {
        k8s: { command: path.join(BIN, 'kubernetes-mcp-server'), args: ['--disable-multi-cluster'], env: { KUBECONFIG: bed().kubeconfigPath } },
        fx: fixture,
      },
    }),
    { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc, { context: { core: stubbedCore } }), classes: BUILTIN_TOOLS } },
  );
  await m.start();
});

afterAll(async () => {
  await m?.close();
  await kubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('secrets planted in a ConfigMap', () => {
  it('the built-in get_resource shows the ConfigMap, its keys and harmless settings, never the secrets', async () => {
    const r = await call('kubernetes', 'get_resource', { apiVersion: 'v1', kind: 'ConfigMap', name: 'checkout-config', namespace: ns });
    expect(r.ok).toBe(true);
    expectNoSecret(r.output);
    for (const v of ['name: checkout-config', 'app.properties', 'server.port=8080', 'db.password=[redacted]', 'DATABASE_URL=postgres://shop:[redacted:password]@db.shop.svc:5432/shop', 'key: app.kubernetes.io/name', 'secretName: checkout-tls', 'tls.key', 'client_email']) {
      expect(r.output).toContain(v);
    }
  });

  it('an external server (kubernetes-mcp-server over stdio) returns the raw ConfigMap: it is redacted all the same', async () => {
    const tools = m.list().map((t) => t.name);
    expect(tools).toContain('k8s__resources_get');
    const r = await call('k8s', 'resources_get', { apiVersion: 'v1', kind: 'ConfigMap', name: 'checkout-config', namespace: ns });
    expect(r.ok).toBe(true);
    expect(r.output).toContain('checkout-config');
    expect(r.output).toContain('server.port=8080');
    expect(r.output).toMatch(/\[redacted(:[a-z-]+)?\]/);
    expectNoSecret(r.output);
    const list = await call('k8s', 'resources_list', { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns });
    expect(list.ok).toBe(true);
    expectNoSecret(list.output);
  });
});

describe('secrets planted in pod env literals and arguments', () => {
  it('built-in describe_pod and get_resource', async () => {
    const d = await call('kubernetes', 'describe_pod', { name: 'checkout', namespace: ns });
    expect(d.ok).toBe(true);
    expectNoSecret(d.output);
    for (const v of ['LOG_LEVEL: debug', 'DB_PASSWORD: [redacted]', 'DB_URL: <from secret db key url>', 'ghcr.io/shop/checkout:1.4.2', '--port=8080', '[redacted:jwt]', '[redacted:aws-access-key]']) {
      expect(d.output).toContain(v);
    }
    const y = await call('kubernetes', 'get_resource', { apiVersion: 'v1', kind: 'Pod', name: 'checkout', namespace: ns });
    expect(y.ok).toBe(true);
    expectNoSecret(y.output);
    expect(y.output).toContain('image: ghcr.io/shop/checkout:1.4.2');
  });

  it('the external server: pods_get and resources_get of the pod', async () => {
    const p = await call('k8s', 'pods_get', { name: 'checkout', namespace: ns });
    expect(p.ok).toBe(true);
    expect(p.output).toContain('ghcr.io/shop/checkout:1.4.2');
    expect(p.output).toContain('LOG_LEVEL');
    expectNoSecret(p.output);
  });
});

describe('secrets in pod logs', () => {
  it('built-in get_pod_logs (a real pod; the log text stubbed) keeps the log readable and the secrets out', async () => {
    const r = await call('kubernetes', 'get_pod_logs', { name: 'checkout', namespace: ns });
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/^Logs of pod /);
    expect(r.output).toContain('level=error msg="payment failed" order=0b9f6b1e-3c2d-4f5a-9e8d-7c6b5a4d3e2f status=502');
    expect(r.output).toContain('panic: runtime error');
    expectNoSecret(r.output);
  });
});

describe('secrets printed by an external MCP server', () => {
  it.each(['text', 'json', 'resource'])('as %s', async (as) => {
    const r = await call('fx', 'leak', { as });
    expect(r.ok).toBe(true);
    expect(r.output).toContain('[redacted');
    expectNoSecret(r.output);
  });

  it('as an error result: the output and the error line alike', async () => {
    const r = await call('fx', 'leak', { as: 'error' });
    expect(r.ok).toBe(false);
    expect(r.error).toContain('upstream refused postgres://shop:[redacted:password]@db with Bearer [redacted');
    expectNoSecret(r.output);
    expectNoSecret(r.error ?? '');
  });
});

test('nothing any tool returned in this file holds a planted secret', () => {
  expect(outputs.length).toBeGreaterThanOrEqual(10);
  for (const o of outputs) {
    const leaked = PLANTED.filter((s) => o.text.includes(s));
    expect({ call: o.what, leaked }).toEqual({ call: o.what, leaked: [] });
  }
});

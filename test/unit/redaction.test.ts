// The one redaction pass (src/redaction/redact.ts): secret shapes and secret names out, everything the
// investigation needs in; ToolManager.call() as its choke point for every tool result (built-in in-process
// server included, pod logs included), and the logger's nested redaction. No cluster.
import { PassThrough } from 'node:stream';
import { KubeConfig, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { createLogger } from '../../src/observability/logger.js';
import { silentLogger } from '../../src/observability/logger.js';
import { isSecretName, redact as redactDeep, redact as redactText, redact as scrubCredentials } from '../../src/redaction/redact.js';
import { envValue, sanitizeObject, toYaml } from '../../src/tools/kubernetes/format.js';
import { BUILTIN_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';
import {
  ALL_TEXT,
  APP_PROPERTIES,
  APP_YAML,
  AZURE_CONNECTION,
  GCP_SERVICE_ACCOUNT_JSON,
  LOG_LINES,
  MUST_STAY_VISIBLE,
  NOTES,
  PEM_BODY_LINES,
  PEM_KEY,
  SECRETS,
} from '../fixtures/secretCorpus.js';
import { offlineKubeConfig } from '../fixtures/offlineKubeConfig.js';

const PLANTED = [...Object.values(SECRETS), ...PEM_BODY_LINES];

function expectNoSecret(text: string): void {
  for (const s of PLANTED) expect(text).not.toContain(s);
}

describe('secret shapes', () => {
  it('the whole corpus loses every planted value, and says what kind of thing was there', () => {
    const out = redactText(ALL_TEXT);
    expectNoSecret(out);
    for (const kind of [
      'private-key',
      'jwt',
      'aws-access-key',
      'github-token',
      'slack-token',
      'slack-webhook',
      'gcp-api-key',
      'password',
      'bearer-token',
      'basic-auth',
      'api-key',
      'gitlab-token',
    ]) {
      expect(out).toContain(`[redacted:${kind}]`);
    }
    // The keys stay, so the reader knows which setting held a secret.
    expect(out).toContain('db.password=[redacted]');
    expect(out).toContain('AccountKey=[redacted]');
    expect(out).toContain('DATABASE_URL=postgres://shop:[redacted:password]@db.shop.svc:5432/shop?sslmode=require');
    expect(out).toContain('server.port=8080');
    expect(out).toContain('"client_email": "checkout@shop-prod.iam.gserviceaccount.com"');
  });

  it.each([
    ['a PEM private key', PEM_KEY, '[redacted:private-key]'],
    ['a PEM key cut before its END line', PEM_KEY.slice(0, 120), '[redacted:private-key]'],
    ['a PEM key wrapped in base64 (kubeconfig client-key-data)', `client-key-data ${Buffer.from(PEM_KEY).toString('base64')}`, '[redacted:private-key]'],
    ['a JWT', `token ${SECRETS.jwt}`, '[redacted:jwt]'],
    ['an AWS access key id', `id ${SECRETS.awsAccessKeyId}.`, '[redacted:aws-access-key]'],
    ['a GitHub token', SECRETS.githubToken, '[redacted:github-token]'],
    ['a Slack token', SECRETS.slackToken, '[redacted:slack-token]'],
    ['a GCP API key', SECRETS.gcpApiKey, '[redacted:gcp-api-key]'],
    ['an OpenAI key', SECRETS.openAiKey, '[redacted:api-key]'],
    ['a password in a URL', `redis://:${SECRETS.databaseUrlPassword}@redis:6379/0`, 'redis://:[redacted:password]@redis:6379/0'],
    ['a password in a Go DSN', `shop:${SECRETS.mysqlDsnPassword}@tcp(db:3306)/shop`, 'shop:[redacted:password]@tcp(db:3306)/shop'],
    ['a bearer header', `Authorization: Bearer ${SECRETS.bearerToken}`, 'Authorization: Bearer [redacted'],
    ['a bearer token in prose', `sent bearer ${SECRETS.bearerToken} upstream`, 'bearer [redacted:bearer-token] upstream'],
    ['a basic credential', `Basic ${SECRETS.basicCredential}`, 'Basic [redacted:basic-auth]'],
    ['an Azure connection string', AZURE_CONNECTION, 'AccountName=shopstore;AccountKey=[redacted];EndpointSuffix=core.windows.net'],
    ['a GCP service-account key file', GCP_SERVICE_ACCOUNT_JSON, '"private_key": "[redacted'],
  ])('%s', (_what, text, expected) => {
    const out = redactText(text);
    expect(out).toContain(expected);
    expectNoSecret(out);
  });
});

describe('secret names', () => {
  it.each([
    ['properties', `db.password=${SECRETS.propsDbPassword}`, 'db.password=[redacted]'],
    ['spaced properties', `api_key = ${SECRETS.apiKeyProperty}`, 'api_key = [redacted]'],
    ['YAML', `  client_secret: ${SECRETS.clientSecretYaml}`, '  client_secret: [redacted]'],
    ['a YAML block scalar', `password: |\n  ${SECRETS.yamlBlockPassword}\n  more\nnext: 1`, 'password: [redacted]\nnext: 1'],
    ['JSON', `{"user":"bob","password": "${SECRETS.jsonPassword}","n":1}`, '{"user":"bob","password": "[redacted]","n":1}'],
    ['JSON inside a JSON string', `"{\\"password\\":\\"${SECRETS.jsonPassword}\\",\\"a\\":1}"`, '\\"password\\":\\"[redacted]\\"'],
    ['a properties line inside a JSON string', `"log=1\\ndb.password=${SECRETS.propsDbPassword}\\nx=2"`, '\\ndb.password=[redacted]\\nx=2'],
    ['a flag with =', `--db-password=${SECRETS.argToken} --port=80`, '--db-password=[redacted] --port=80'],
    ['a flag with a space', `--token ${SECRETS.argToken} --verbose`, '--token [redacted] --verbose'],
    ['a query string', `https://x/cb?code=1&access_token=${SECRETS.argToken}&state=2`, '&access_token=[redacted]&state=2'],
    ['a cookie header', `Cookie: session=${SECRETS.cookieValue}`, 'Cookie: [redacted]'],
    ['env-style name/value pairs in YAML', `- name: SIGNING_KEY\n  value: ${SECRETS.envSigningKey}\n- name: MODE\n  value: fast`, '- name: SIGNING_KEY\n  value: [redacted]\n- name: MODE\n  value: fast'],
    ['env-style pairs in YAML, value first', `- value: ${SECRETS.envSigningKey}\n  name: SIGNING_KEY`, '- value: [redacted]\n  name: SIGNING_KEY'],
    ['env-style pairs in JSON', `{"name":"DB_PASSWORD","value":"${SECRETS.envDbPassword}"},{"name":"MODE","value":"fast"}`, '{"name":"DB_PASSWORD","value":"[redacted]"},{"name":"MODE","value":"fast"}'],
    ['an XML element (a users.xml in a ConfigMap)', `<users><admin><password>${SECRETS.jsonPassword}</password><networks><ip>::/0</ip></networks></admin></users>`, '<admin><password>[redacted]</password><networks><ip>::/0</ip>'],
    ['an XML element with a namespace and attributes', `<db:token type="static">${SECRETS.argToken}</db:token>`, '<db:token type="static">[redacted]</db:token>'],
  ])('%s', (_what, text, expected) => {
    const out = redactText(text);
    expect(out).toContain(expected);
    expectNoSecret(out);
  });

  it('judges a name by its last word', () => {
    for (const n of ['password', 'DB_PASSWORD', 'db.password', 'PGPASSWORD', 'spring.datasource.password', 'clientSecret', 'client_secret', 'x-api-key', 'apiKey', 'AWS_SECRET_ACCESS_KEY', 'AccountKey', 'SharedAccessSignature', 'sig', 'private_key', 'tls.key', 'client-key-data', 'GITHUB_TOKEN', 'authToken', 'Authorization', 'auth', 'credentials', 'password_hash', 'redis_pass']) {
      expect([n, isSecretName(n)]).toEqual([n, true]);
    }
    for (const n of ['key', 'secretName', 'secretKeyRef', 'passwordFile', 'token-file', 'tokenExpirationSeconds', 'automountServiceAccountToken_enabled', 'publicKey', 'public_key', 'private_key_id', 'access_key_id', 'cache_key', 'max_tokens', 'promptTokens', 'password_min_length', 'keyRef', 'name', 'author', 'signal', 'bypass', 'nginx.ingress.kubernetes.io/auth-secret']) {
      expect([n, isSecretName(n)]).toEqual([n, false]);
    }
  });
});

describe('what must stay visible', () => {
  it.each(MUST_STAY_VISIBLE.map((v) => [v]))('%s', (v) => {
    expect(redactText(v)).toBe(v);
  });

  it('a pod dump keeps its names, images, references and ids while its literal secrets go', () => {
    const yaml = toYaml(
      sanitizeObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'checkout-7d9f8c6b5-xk2lp', uid: '0b9f6b1e-3c2d-4f5a-9e8d-7c6b5a4d3e2f', labels: { 'app.kubernetes.io/name': 'checkout' } },
        spec: {
          serviceAccountName: 'checkout',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'ghcr.io/shop/checkout:1.4.2',
              args: [`--token=${SECRETS.argToken}`, '--port=8080'],
              env: [
                { name: 'SETTINGS', value: `jdbc:postgresql://db/shop?user=shop&password=${SECRETS.envDbPassword}` },
                { name: 'UPSTREAM_AUTH', value: `Bearer ${SECRETS.jwt}` },
                { name: 'LOG_LEVEL', value: 'debug' },
                { name: 'DB_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              ],
            },
          ],
          volumes: [{ name: 'creds', secret: { secretName: 'db-creds' } }],
        },
      }),
    );
    const out = redactText(yaml);
    expectNoSecret(out);
    for (const v of ['checkout-7d9f8c6b5-xk2lp', '0b9f6b1e-3c2d-4f5a-9e8d-7c6b5a4d3e2f', 'app.kubernetes.io/name: checkout', 'image: ghcr.io/shop/checkout:1.4.2', '--port=8080', 'secretName: db-creds', 'key: password', 'name: db', 'LOG_LEVEL', 'value: debug', 'automountServiceAccountToken: false']) {
      expect(out).toContain(v);
    }
    expect(out).toBe(yaml); // already redacted by the built-in formatting: the second pass changes nothing
  });

  // A secret's name inside a sentence, followed by more prose, is no key: value pair.
  it.each([
    'Failed to pull image "registry.example/shop/api:1.2": failed to resolve reference "registry.example/shop/api:1.2": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.example/token?scope=repository%3Ashop%2Fapi%3Apull: 401 Unauthorized',
    'failed to fetch anonymous token: EOF',
    'error: could not refresh the access token: context deadline exceeded',
    'the projected service account token: expired 5 minutes ago, renewing',
    'Warning  FailedCreate  webhook rejected the client secret: field "data" is required',
    'time="2026-11-30T08:00:00Z" level=error msg="cannot read the api key: permission denied"',
    'could not validate the session cookie: signature mismatch',
  ])('prose: %s', (v) => {
    expect(redactText(v)).toBe(v);
  });

  it('a secret after its name in a sentence still goes when it is one token that is no plain word', () => {
    expect(redactText('login with password: hunter2x!')).toBe('login with password: [redacted]');
    expect(redactText(`retrying with token: ${SECRETS.argToken}`)).toBe('retrying with token: [redacted]');
    expect(redactText('token: unexpected status from GET')).toBe('token: [redacted]'); // a YAML key: its value, whatever it reads like
  });

  it('is idempotent', () => {
    const once = redactText(ALL_TEXT);
    expect(redactText(once)).toBe(once);
  });
});

describe('deep input', () => {
  // A custom resource or a tool's structured output 5000 levels deep: cut, never a stack overflow.
  const deep = (n: number, leaf: unknown, wrap: (x: unknown) => unknown) => {
    let v = leaf;
    for (let i = 0; i < n; i++) v = wrap(v);
    return v;
  };
  it('redactDeep, sanitizeObject and toYaml cut 5000-deep objects and arrays instead of throwing', () => {
    for (const v of [deep(5000, 'password=hunter2hunter2', (x) => ({ a: x })), deep(5000, 'x', (x) => [x])]) {
      expect(JSON.stringify(redactDeep(v))).toContain('[too deep]');
      const obj = { apiVersion: 'example.com/v1', kind: 'Deep', metadata: { name: 'd' }, spec: v };
      expect(JSON.stringify(sanitizeObject(obj))).toContain('[too deep]');
      expect(toYaml(obj)).toContain('[too deep]');
    }
    // The same as text (a tool that prints it): the value-shape patterns are not recursive either.
    expect(redactText(`${'{"a":'.repeat(5000)}"password=hunter2hunter2"${'}'.repeat(5000)}`)).not.toContain('hunter2hunter2');
  });
  it('a tool whose structured output is 5000 deep gives a redacted result, not an error', async () => {
    const create = () => {
      const s = new McpServer({ name: 'deep', version: '1' });
      s.registerTool('deep', { description: 'deep' }, async () => ({ content: [{ type: 'text' as const, text: 'ok' }], structuredContent: { d: deep(5000, 'x', (x) => ({ a: x })) } as Record<string, unknown> }));
      return s;
    };
    const m = new ToolManager(ServersConfig.parse({ mcpServers: {} }), { log: silentLogger(), builtin: { name: 'deep', create, classes: { deep: 'read' } } });
    try {
      await m.start();
      const res = await m.call('deep', 'deep', {}, { timeoutMs: 10_000 });
      expect({ ok: res.ok, error: res.error }).toEqual({ ok: true, error: undefined });
      expect(JSON.stringify(res.structured)).toContain('[too deep]');
    } finally {
      await m.close();
    }
  });
});

describe('the built-in formatting uses the same rules', () => {
  it('a ConfigMap with app.properties, a PEM and a service-account file', () => {
    const cm = sanitizeObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'checkout' },
      data: { 'app.properties': APP_PROPERTIES, 'app.yaml': APP_YAML, 'tls.key': PEM_KEY, 'sa.json': GCP_SERVICE_ACCOUNT_JSON, 'notes.txt': NOTES },
    });
    const text = toYaml(cm);
    expectNoSecret(text);
    expect(text).toContain('server.port=8080');
    expect(text).toContain('key: app.kubernetes.io/name');
  });
  it('env literal values with harmless names but secret shapes', () => {
    expect(envValue('SETTINGS', `postgres://shop:${SECRETS.databaseUrlPassword}@db/shop`)).toBe('postgres://shop:[redacted:password]@db/shop');
    expect(envValue('UPSTREAM', `Bearer ${SECRETS.jwt}`)).toBe('Bearer [redacted:jwt]');
    expect(envValue('DB_PASSWORD', SECRETS.envDbPassword)).toBe('[redacted]');
    expect(envValue('TOKEN_TTL', '3600')).toBe('3600');
  });
  it('scrubCredentials (every built-in tool result) no longer lets a properties file through', () => {
    const out = scrubCredentials(APP_PROPERTIES);
    expect(out).not.toContain(SECRETS.propsDbPassword);
    expect(out).not.toContain(SECRETS.databaseUrlPassword);
    expect(out).not.toContain(SECRETS.apiKeyProperty);
  });
});

describe('ToolManager.call() redacts every result', () => {
  const managers: ToolManager[] = [];
  afterAll(() => Promise.all(managers.map((m) => m.close())));

  it('of an in-process server that prints secrets, results and error texts alike', async () => {
    const create = () => {
      const s = new McpServer({ name: 'leaky', version: '1' });
      s.registerTool('leak', { description: 'prints secrets', inputSchema: { as: z.enum(['text', 'error', 'resource']) } }, async ({ as }) => {
        if (as === 'error') return { content: [{ type: 'text' as const, text: `login failed for postgres://shop:${SECRETS.databaseUrlPassword}@db with token ${SECRETS.jwt}\n${ALL_TEXT}` }], isError: true };
        if (as === 'resource') return { content: [{ type: 'resource' as const, resource: { uri: 'file:///app.properties', text: APP_PROPERTIES } }] };
        return { content: [{ type: 'text' as const, text: ALL_TEXT }] };
      });
      return s;
    };
    const m = new ToolManager(ServersConfig.parse({ mcpServers: {} }), { log: silentLogger(), builtin: { name: 'leaky', create, classes: { leak: 'read' } } });
    managers.push(m);
    await m.start();
    const ok = await m.call('leaky', 'leak', { as: 'text' }, { timeoutMs: 10_000 });
    expect(ok.ok).toBe(true);
    expectNoSecret(ok.output);
    expect(ok.output).toContain('[redacted:jwt]');
    const failed = await m.call('leaky', 'leak', { as: 'error' }, { timeoutMs: 10_000 });
    expect(failed.ok).toBe(false);
    expectNoSecret(failed.output);
    expectNoSecret(failed.error ?? '');
    expect(failed.error).toContain('[redacted:password]');
    const res = await m.call('leaky', 'leak', { as: 'resource' }, { timeoutMs: 10_000 });
    expectNoSecret(res.output);
  });

  it('of the built-in get_pod_logs (the log read stubbed: the bed runs kwok pods, which have no logs)', async () => {
    const pod: V1Pod = {
      metadata: { name: 'checkout-1', namespace: 'shop' },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'ghcr.io/shop/checkout:1.4.2' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: 'y', state: { running: {} } }] },
    };
    const core = {
      readNamespacedPod: async () => pod,
      readNamespacedPodLog: async () => LOG_LINES,
    } as unknown as CoreV1Api;
    const kc = offlineKubeConfig();
    const m = new ToolManager(ServersConfig.parse({ mcpServers: {} }), {
      log: silentLogger(),
      builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc, { context: { core } }), classes: BUILTIN_TOOLS },
    });
    managers.push(m);
    await m.start();
    const r = await m.call('kubernetes', 'get_pod_logs', { name: 'checkout-1', namespace: 'shop' }, { timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expectNoSecret(r.output);
    expect(r.output).toContain('level=error msg="payment failed" order=0b9f6b1e-3c2d-4f5a-9e8d-7c6b5a4d3e2f status=502');
    expect(r.output).toContain('image=ghcr.io/shop/checkout:1.4.2');
    expect(r.output).toContain('panic: runtime error');
  });
});

describe('the logger', () => {
  function capture(format: 'json' | 'text') {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    return { log: createLogger({ level: 'debug', format, stream }), lines };
  }
  const flush = () => new Promise((r) => setImmediate(r));

  it('redacts nested fields by name at any depth and secret shapes inside strings, without touching the caller\'s objects', async () => {
    const { log, lines } = capture('json');
    const meta = {
      request: { headers: { Authorization: `Bearer ${SECRETS.bearerToken}`, 'x-api-key': SECRETS.apiKeyProperty, accept: 'application/json' } },
      servers: [{ name: 'k8s', env: { KUBECONFIG: '/kube/config', GITHUB_TOKEN: SECRETS.githubToken } }, { name: 'db', url: `postgres://shop:${SECRETS.databaseUrlPassword}@db/shop` }],
      deep: { a: { b: { c: { d: [{ password: SECRETS.jsonPassword, credentials: { user: 'u', key: SECRETS.awsSecretAccessKey } }] } } } },
      line: `MCP server said: token=${SECRETS.argToken} and ${SECRETS.jwt}`,
      error: new Error(`connect failed: Authorization: Basic ${SECRETS.basicCredential}`),
      promptTokens: 1200,
      incident: 'kube-pod-crash-looping-58faf0297c',
    };
    const before = JSON.stringify(meta);
    log.info(`tool output ${SECRETS.slackToken}`, meta);
    await flush();
    expect(JSON.stringify(meta)).toBe(before);
    expect(lines).toHaveLength(1);
    const text = lines[0];
    expectNoSecret(text);
    const entry = JSON.parse(text);
    expect(entry.message).toBe('tool output [redacted:slack-token]');
    expect(entry.request.headers).toEqual({ Authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'application/json' });
    expect(entry.servers[0].env).toEqual({ KUBECONFIG: '/kube/config', GITHUB_TOKEN: '[redacted]' });
    expect(entry.servers[1].url).toBe('postgres://shop:[redacted:password]@db/shop');
    expect(entry.deep.a.b.c.d[0]).toEqual({ password: '[redacted]', credentials: '[redacted]' });
    expect(entry.line).toBe('MCP server said: token=[redacted] and [redacted:jwt]');
    expect(entry.error.message).toContain('Basic [redacted:basic-auth]');
    expect(entry.promptTokens).toBe(1200);
    expect(entry.incident).toBe('kube-pod-crash-looping-58faf0297c');
  });

  it('also in text format, and for top-level fields named like secrets', async () => {
    const { log, lines } = capture('text');
    log.warn('could not connect', { token: SECRETS.argToken, server: 'fx', reason: `401 for ${SECRETS.githubPat}` });
    await flush();
    expectNoSecret(lines.join('\n'));
    expect(lines[0]).toContain('"server":"fx"');
    expect(lines[0]).toContain('"token":"[redacted]"');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a', password: 'x' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ name: 'a', password: '[redacted]', self: '[circular]' });
  });
});

describe('cost', () => {
  it('16 KB of tool output takes well under a few milliseconds, pathological input included', () => {
    const dense = ALL_TEXT.repeat(Math.ceil(16_000 / ALL_TEXT.length)).slice(0, 16_000);
    const patho = [
      '://a:'.repeat(3200),
      'password'.repeat(2000),
      'eyJ' + 'a'.repeat(16_000),
      ('-----BEGIN ' + 'PRIVATE KEY-----').repeat(600),
      'key: '.repeat(3200),
      'a=b '.repeat(4000),
      '"name":"X","value":"'.repeat(800),
    ];
    for (const t of [dense, ...patho]) {
      for (let i = 0; i < 5; i++) redactText(t); // warm-up
      const n = 20;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) redactText(t);
      const ms = (performance.now() - t0) / n;
      // Measured ~0.3-1 ms on 2 cores; the bound only catches a regex gone quadratic.
      expect([t.slice(0, 20), ms < 25]).toEqual([t.slice(0, 20), true]);
    }
  });
});

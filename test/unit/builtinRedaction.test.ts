// Every path a built-in tool's output takes to the engine passes the one redaction of ToolManager.call():
// its text, its structured data, its error texts (an API failure quoting a value, a handler that throws,
// arguments echoed back), and what the tool server cuts to its bounds (redacted before the cut, so that no
// half secret is left for the pass to miss). No cluster: the API clients are stubs.
import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { silentLogger } from '../../src/observability/logger.js';
import { BUILTIN_TOOLS, createKubernetesToolServer, type KubernetesToolServerOptions } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';
import { LOG_LINES, PEM_BODY_LINES, SECRETS } from '../fixtures/secretCorpus.js';
import { offlineKubeConfig } from '../fixtures/offlineKubeConfig.js';

const PLANTED = [...Object.values(SECRETS), ...PEM_BODY_LINES];
const T = { timeoutMs: 10_000 };

function expectNoSecret(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  for (const s of PLANTED) expect(text).not.toContain(s);
}


const managers: ToolManager[] = [];
afterAll(() => Promise.all(managers.map((m) => m.close())));

async function builtin(opts: KubernetesToolServerOptions): Promise<ToolManager> {
  const kc = offlineKubeConfig();
  const m = new ToolManager(ServersConfig.parse({ mcpServers: {} }), { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc, opts), classes: BUILTIN_TOOLS } });
  managers.push(m);
  await m.start();
  return m;
}

const status = (code: number, message: string) => new ApiException(code, 'x', JSON.stringify({ kind: 'Status', code, reason: 'Invalid', message }), {});

const POD: V1Pod = {
  metadata: { name: 'checkout-1', namespace: 'shop', uid: 'u1' },
  spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'ghcr.io/shop/checkout:1.4.2' }] },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 2,
        image: 'x',
        imageID: 'y',
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        // Long enough to be clipped when the data is fitted to its budget, the secret right at the clip.
        lastState: { terminated: { exitCode: 1, reason: 'Error', message: `${'x'.repeat(378)} postgres://shop:${SECRETS.databaseUrlPassword}@db/shop ${'y'.repeat(300)}` } },
      },
    ],
  },
};

describe('a built-in result reaches the engine redacted, whatever path it takes', () => {
  it('an API failure that quotes a value, and a handler that throws', async () => {
    const core = {
      readNamespacedPod: async ({ name }: { name: string }) => {
        if (name === 'quoted') throw status(422, `Pod "quoted" is invalid: spec.containers[0].env[0].value: Invalid value: "postgres://shop:${SECRETS.databaseUrlPassword}@db/shop"`);
        throw new TypeError(`connect failed with Authorization: Bearer ${SECRETS.bearerToken}`);
      },
    } as unknown as CoreV1Api;
    const m = await builtin({ context: { core } });
    for (const name of ['quoted', 'thrown']) {
      const r = await m.call('kubernetes', 'describe_pod', { name, namespace: 'shop' }, T);
      expect({ name, ok: r.ok }).toEqual({ name, ok: false });
      expect(r.error).toMatch(/\[redacted/);
      expectNoSecret(r.output);
      expectNoSecret(r.error);
    }
  });

  it('arguments echoed back in an error or a note', async () => {
    const m = await builtin({ context: { core: {} as CoreV1Api } });
    const bad = await m.call('kubernetes', 'scale', { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: `token=${SECRETS.argToken}` }, T);
    expect(bad.ok).toBe(false);
    expectNoSecret(bad.output);
    expectNoSecret(bad.error);
  });

  it('a result over the server\'s bounds is redacted before it is cut, text and data', async () => {
    const core = {
      readNamespacedPod: async () => POD,
      readNamespacedPodLog: async () => Array.from({ length: 60 }, () => LOG_LINES).join('\n'),
      listNamespacedEvent: async () => ({ items: [], metadata: {} }),
    } as unknown as CoreV1Api;
    const m = await builtin({ context: { core }, maxOutputBytes: 2000, maxDataBytes: 1000 });
    const logs = await m.call('kubernetes', 'get_pod_logs', { name: 'checkout-1', namespace: 'shop', maxBytes: 64000, tailLines: 1000 }, T);
    expect(logs.ok).toBe(true);
    expect(logs.output).toMatch(/\[output truncated: \d+ of \d+ bytes shown\]$/);
    expectNoSecret(logs.output);
    expectNoSecret(logs.structured);
    const pod = await m.call('kubernetes', 'describe_pod', { name: 'checkout-1', namespace: 'shop' }, T);
    expect(pod.ok).toBe(true);
    expect(pod.structured).toMatchObject({ truncated: true });
    expectNoSecret(pod.output);
    expectNoSecret(pod.structured);
    // Not even the head of the password, which a cut at 400 characters before redaction would have kept.
    expect(JSON.stringify(pod.structured)).not.toContain(SECRETS.databaseUrlPassword.slice(0, 5));
    expect(JSON.stringify(pod.structured)).toContain('postgres://shop:[reda');
  });
});

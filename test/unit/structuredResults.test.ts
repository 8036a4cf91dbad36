// Structured tool results end to end without a cluster: the built-in tools answer with structuredContent
// that matches their outputSchema; ToolManager.call() carries it (redacted like the text) as `structured`;
// stored in a step as JSON, the analyzer reads it. External servers' text-only results carry none.
import { KubeConfig, type CoreV1Api, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { Evidence, podInfo, type StepResult } from '../../src/analyzer/evidence.js';
import type { Step } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { readOutput } from '../../src/contracts/toolData.js';
import { BUILTIN_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';
import { SECRETS } from '../fixtures/secretCorpus.js';
import { offlineKubeConfig } from '../fixtures/offlineKubeConfig.js';

function expectNoSecret(text: string): void {
  for (const s of Object.values(SECRETS)) expect(text).not.toContain(s);
}


const managers: ToolManager[] = [];
afterAll(() => Promise.all(managers.map((m) => m.close())));

async function manager(create: () => McpServer, classes: Record<string, 'read' | 'mutating'> = BUILTIN_TOOLS, name = 'kubernetes'): Promise<ToolManager> {
  const m = new ToolManager(ServersConfig.parse({ mcpServers: {} }), { log: silentLogger(), builtin: { name, create, classes } });
  managers.push(m);
  await m.start();
  return m;
}

const POD: V1Pod = {
  metadata: { name: 'checkout-1', namespace: 'shop', uid: 'u1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5', uid: 'rs', controller: true }] },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'app', image: 'ghcr.io/shop/checkout:1.4.2', resources: { requests: { memory: '64Mi' }, limits: { memory: '128Mi' } }, env: [{ name: 'DB_PASSWORD', value: SECRETS.envDbPassword }] }],
  },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 3,
        image: 'x',
        imageID: 'y',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
        // A termination message that leaks a credential: the data must not carry it.
        lastState: { terminated: { exitCode: 1, reason: 'Error', message: `cannot connect to postgres://shop:${SECRETS.databaseUrlPassword}@db/shop` } },
      },
    ],
  },
};
const EVENTS: CoreV1Event[] = [
  { metadata: { name: 'e1', namespace: 'shop' }, involvedObject: { kind: 'Pod', name: 'checkout-1' }, type: 'Warning', reason: 'BackOff', count: 7, message: `Back-off restarting failed container; upstream said Bearer ${SECRETS.jwt}`, lastTimestamp: new Date('2026-11-26T06:59:00Z') },
];
const core = {
  readNamespacedPod: async () => POD,
  listNamespacedEvent: async () => ({ items: EVENTS, metadata: {} }),
} as unknown as CoreV1Api;

describe('structured results through ToolManager.call()', () => {
  it('the built-in describe_pod: data that matches its schema, redacted like the text, readable by the analyzer', async () => {
    const m = await manager(() => createKubernetesToolServer(offlineKubeConfig(), { context: { core, now: () => Date.parse('2026-11-26T07:00:00Z') } }));
    const r = await m.call('kubernetes', 'describe_pod', { pod: 'checkout-1', namespace: 'shop', verbose: true }, { timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(r.output.split('\n').slice(0, 2)).toEqual(['[note: read pod as name]', '[note: ignored unknown argument verbose; this tool takes: name, namespace]']);
    expect(r.structured).toBeDefined();
    const json = JSON.stringify(r.structured);
    expectNoSecret(json);
    expectNoSecret(r.output);
    expect(json).toContain('[redacted:password]');
    expect(json).toContain('[redacted:jwt]');

    const d = readOutput('describe_pod', r.structured)!;
    expect(d).toMatchObject({ name: 'checkout-1', namespace: 'shop', status: 'CrashLoopBackOff', ready: 0, total: 1, restarts: 3, node: 'n1', owner: { kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5' } });
    expect(d.containers[0]).toMatchObject({ name: 'app', state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 1 }, limits: { memory: '128Mi' } });
    expect(d.events[0]).toMatchObject({ type: 'Warning', reason: 'BackOff', count: 7, object: 'Pod/checkout-1' });
    expect(d.notes).toEqual(['read pod as name', 'ignored unknown argument verbose; this tool takes: name, namespace']);

    // Stored in a step as the engine stores it (JSON), the analyzer reads the same facts.
    const step: Step = { index: 1, time: 't', action: 'callTool', server: 'kubernetes', tool: 'describe_pod', arguments: JSON.stringify({ pod: 'checkout-1', namespace: 'shop' }), state: 'Succeeded', result: { ok: true, output: r.output, data: JSON.stringify(r.structured) } as StepResult };
    const info = podInfo(new Evidence([step]).data('describe_pod', { name: 'checkout-1', namespace: 'shop' }));
    expect(info.status).toBe('CrashLoopBackOff');
    expect(info.containers[0].lastLine).toBe('Last state: Terminated: Error, exit code 1 — cannot connect to postgres://shop:[redacted:password]@db/shop');
  });

  it('a failed call carries no data; a server that returns text only carries none either', async () => {
    const m = await manager(() => createKubernetesToolServer(offlineKubeConfig(), { context: { core } }));
    const bad = await m.call('kubernetes', 'describe_pod', { namespace: 'shop' }, { timeoutMs: 10_000 });
    expect(bad.ok).toBe(false);
    expect(bad.structured).toBeUndefined();
    expect(bad.error).toBe('invalid arguments for describe_pod: name is required: Name of the pod');

    const text = await manager(() => {
      const s = new McpServer({ name: 'plain', version: '1' });
      s.registerTool('describe_pod', { description: 'text only', inputSchema: { name: z.string() } }, async () => ({ content: [{ type: 'text', text: 'Status: CrashLoopBackOff' }] }));
      return s;
    }, { describe_pod: 'read' }, 'plain');
    const r = await text.call('plain', 'describe_pod', { name: 'x' }, { timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: true, output: 'Status: CrashLoopBackOff' });
    expect(r.structured).toBeUndefined();
  });

  it("another server's structuredContent is redacted by field names and value shapes too", async () => {
    const m = await manager(() => {
      const s = new McpServer({ name: 'other', version: '1' });
      s.registerTool('leak', { description: 'returns secrets as data', inputSchema: {}, outputSchema: { config: z.record(z.unknown()), lines: z.array(z.string()) } }, async () => ({
        content: [{ type: 'text', text: 'see data' }],
        structuredContent: { config: { password: SECRETS.jsonPassword, nested: { apiToken: SECRETS.githubToken, port: 8080 } }, lines: [`AKIA key ${SECRETS.awsAccessKeyId}`, 'fine'] },
      }));
      return s;
    }, { leak: 'read' }, 'other');
    const r = await m.call('other', 'leak', {}, { timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expectNoSecret(JSON.stringify(r.structured));
    expect(r.structured).toMatchObject({ config: { password: '[redacted]', nested: { apiToken: '[redacted]', port: 8080 } }, lines: [expect.stringContaining('[redacted:aws-access-key]'), 'fine'] });
  });
});

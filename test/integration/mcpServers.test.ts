// servers_config.json servers next to the built-in one: a real third-party Kubernetes MCP server from
// npm (kubernetes-mcp-server) over stdio and over streamable HTTP against the bed's apiserver, and a
// fixture server that crashes and hangs, to prove reconnects, timeouts and classification.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { silentLogger } from '../../src/observability/logger.js';
import { ToolManager } from '../../src/tools/manager.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';
import { PROJECT_ROOT, freePort } from '../../scripts/local/controlPlane.js';
import { bed, createNamespace, eventually, kubeConfig } from './harness.js';

const BIN = path.join(PROJECT_ROOT, 'node_modules', '.bin');
const fixture = { command: process.execPath, args: ['--import', 'tsx', path.join(PROJECT_ROOT, 'test', 'fixtures', 'mcpTestServer.ts')], cwd: PROJECT_ROOT };
const children: ChildProcess[] = [];
const managers: ToolManager[] = [];
let ns: string;

function manager(config: unknown): ToolManager {
  const m = new ToolManager(ServersConfig.parse(config), { log: silentLogger() });
  managers.push(m);
  return m;
}

beforeAll(async () => {
  ns = await createNamespace('mcp');
  await kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'visible-to-mcp' }, data: { a: 'b' } } });
});
afterAll(async () => {
  await Promise.all(managers.map((m) => m.close()));
  for (const c of children) c.kill('SIGKILL');
});

describe('a third-party Kubernetes MCP server (kubernetes-mcp-server from npm)', () => {
  it('over stdio: lists its tools with our prefix and classes, and reads the real cluster', async () => {
    const m = manager({ mcpServers: { k8s: { command: path.join(BIN, 'kubernetes-mcp-server'), args: ['--disable-multi-cluster'], env: { KUBECONFIG: bed().kubeconfigPath } } } });
    await m.start();
    const tools = m.list();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('k8s__pods_list')).toMatchObject({ server: 'k8s', tool: 'pods_list', mutating: false, classifiedBy: 'known read-only tool of kubernetes-mcp-server' });
    // Its own annotations call these non-destructive or say nothing we trust: they count as mutating.
    expect(byName.get('k8s__resources_create_or_update')?.mutating).toBe(true);
    expect(byName.get('k8s__pods_delete')?.mutating).toBe(true);
    const r = await m.call('k8s', 'resources_list', { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { timeoutMs: 20_000 });
    expect(r.ok).toBe(true);
    expect(r.output).toContain('visible-to-mcp');
  });

  it('over streamable HTTP', async () => {
    const port = await freePort();
    const child = spawn(path.join(BIN, 'kubernetes-mcp-server'), ['--port', String(port), '--bind-address', '127.0.0.1', '--kubeconfig', bed().kubeconfigPath, '--disable-multi-cluster'], { stdio: 'ignore' });
    children.push(child);
    const m = manager({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp` } } });
    await eventually(async () => {
      await m.start();
      return m.list().length > 0;
    }, 30_000, 500);
    // Reached by URL, it could be any program: its tool names alone make nothing read-only.
    expect(m.find('remote__pods_list')).toMatchObject({ mutating: true, classifiedBy: 'default: not known to be read-only' });
    const named = manager({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp`, preset: 'kubernetes-mcp-server' } } });
    await named.start();
    expect(named.find('remote__pods_list')).toMatchObject({ mutating: false, classifiedBy: 'known read-only tool of kubernetes-mcp-server' });
    const r = await m.call('remote', 'resources_list', { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { timeoutMs: 20_000 });
    expect(r.ok).toBe(true);
    expect(r.output).toContain('visible-to-mcp');
  });
});

describe('failures of a configured server', () => {
  it('a server that crashes mid-investigation is reconnected on the next call', async () => {
    const m = manager({ mcpServers: { fx: fixture } });
    await m.start();
    const first = await m.call('fx', 'echo', { text: 'a' }, { timeoutMs: 10_000 });
    expect(first.ok).toBe(true);
    const crashed = await m.call('fx', 'crash', {}, { timeoutMs: 10_000 });
    expect(crashed).toMatchObject({ ok: false, error: expect.stringMatching(/tool call failed|closed/i) });
    const again = await eventually(async () => {
      const r = await m.call('fx', 'echo', { text: 'b' }, { timeoutMs: 10_000 });
      return r.ok ? r : undefined;
    }, 30_000, 500);
    expect(again.output).toMatch(/^echo: b/);
    // A new process answered.
    expect(again.output.match(/pid (\d+)/)![1]).not.toBe(first.output.match(/pid (\d+)/)![1]);
  });

  it('a tool call that hangs times out with a clear error', async () => {
    const m = manager({ mcpServers: { fx: fixture } });
    await m.start();
    const started = Date.now();
    const r = await m.call('fx', 'hang', {}, { timeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, error: 'the tool did not answer within 500 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await m.call('fx', 'echo', { text: 'still fine' }, { timeoutMs: 10_000 })).ok).toBe(true);
  });

  it('a server that cannot start leaves the others working, with a clear error for its tools', async () => {
    const m = manager({ mcpServers: { fx: fixture, broken: { command: '/nonexistent/mcp-server' } } });
    await m.start();
    expect(m.list().some((t) => t.server === 'fx')).toBe(true);
    const r = await m.call('broken', 'anything', {}, { timeoutMs: 2_000 });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('MCP server "broken" is not reachable') });
  });

  it('classifies: annotations count only for trusted servers; the config overrides all', async () => {
    const untrusted = manager({ mcpServers: { fx: fixture } });
    const trusted = manager({ mcpServers: { fx: { ...fixture, trusted: true } } });
    const overridden = manager({ mcpServers: { fx: { ...fixture, trusted: true, tools: { echo: 'mutating', mark: 'read' } } } });
    await Promise.all([untrusted.start(), trusted.start(), overridden.start()]);
    expect(untrusted.find('fx__echo')).toMatchObject({ mutating: true, classifiedBy: 'default: not known to be read-only' });
    expect(trusted.find('fx__echo')).toMatchObject({ mutating: false, classifiedBy: 'trusted server annotation readOnlyHint' });
    expect(trusted.find('fx__mark')?.mutating).toBe(true);
    expect(overridden.find('fx__echo')).toMatchObject({ mutating: true, classifiedBy: 'servers_config.json' });
    expect(overridden.find('fx__mark')?.mutating).toBe(false);
  });
});

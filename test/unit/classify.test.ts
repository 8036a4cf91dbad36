import { KNOWN_READ_TOOLS, classifyTool, identifyServer } from '../../src/tools/classify.js';
import { ServersConfig } from '../../src/tools/serversConfig.js';

describe('tool classes go by server identity, never by tool name alone', () => {
  it('a known read-only tool name from an unknown server is mutating', () => {
    for (const tool of ['ping', 'pods_get', 'kubectl_get', 'resources_list']) {
      expect(classifyTool({ tool, trusted: false })).toEqual({ class: 'mutating', by: 'default: not known to be read-only' });
    }
  });
  it('the same name from the server it belongs to is read-only', () => {
    expect(classifyTool({ tool: 'pods_get', preset: 'kubernetes-mcp-server', trusted: false })).toEqual({ class: 'read', by: 'known read-only tool of kubernetes-mcp-server' });
    expect(classifyTool({ tool: 'kubectl_get', preset: 'mcp-server-kubernetes', trusted: false }).class).toBe('read');
    // ...but not from the other known server
    expect(classifyTool({ tool: 'pods_get', preset: 'mcp-server-kubernetes', trusted: false }).class).toBe('mutating');
  });
  it('tools that can switch the context, exec or port-forward are never on a read list', () => {
    for (const tools of Object.values(KNOWN_READ_TOOLS)) {
      for (const t of tools) expect(t).not.toMatch(/context|exec|port_?forward|run|apply|patch|delete|scale|create/);
    }
    expect(classifyTool({ tool: 'kubectl_context', preset: 'mcp-server-kubernetes', trusted: false }).class).toBe('mutating');
  });
  it('the config override wins, then the built-in list', () => {
    expect(classifyTool({ tool: 'pods_get', preset: 'kubernetes-mcp-server', override: 'mutating', trusted: false }).class).toBe('mutating');
    expect(classifyTool({ tool: 'x', builtin: 'read', trusted: false }).class).toBe('read');
  });
});

describe('identifyServer: the package or image a stdio server runs', () => {
  it.each([
    ['/app/node_modules/.bin/kubernetes-mcp-server', [], 'kubernetes-mcp-server'],
    ['npx', ['-y', 'kubernetes-mcp-server@latest'], 'kubernetes-mcp-server'],
    ['npx', ['--yes', 'mcp-server-kubernetes'], 'mcp-server-kubernetes'],
    ['npx', ['-p', 'mcp-server-kubernetes@2.0.0', 'mcp-server-kubernetes'], 'mcp-server-kubernetes'],
    ['pnpm', ['dlx', 'kubernetes-mcp-server'], 'kubernetes-mcp-server'],
    ['docker', ['run', '-i', '--rm', '-e', 'KUBECONFIG=/k', '-v', '/k:/k', 'quay.io/containers/kubernetes_mcp_server:latest'], 'kubernetes-mcp-server'],
    ['podman', ['run', '--rm', 'docker.io/flux159/mcp-server-kubernetes:v1@sha256:abc'], 'mcp-server-kubernetes'],
  ])('%s %j → %s', (command, args, preset) => {
    expect(identifyServer(command, args)).toBe(preset);
  });
  it.each([
    ['npx', ['-y', 'evil-kubernetes-mcp-server']],
    ['npx', ['-y', '@evil/kubernetes-mcp-server']],
    ['node', ['server.js', 'kubernetes-mcp-server']],
    ['my-server', ['--name', 'kubernetes-mcp-server']],
    ['docker', ['run', '-e', 'quay.io/containers/kubernetes_mcp_server', 'evil/image']],
    ['docker', ['run', 'evil.io/kubernetes_mcp_server']],
  ])('%s %j is unknown', (command, args) => {
    expect(identifyServer(command, args)).toBeUndefined();
  });
  it('servers_config.json may name a preset, and only a known one', () => {
    expect(ServersConfig.parse({ mcpServers: { k: { url: 'http://127.0.0.1:1/mcp', preset: 'kubernetes-mcp-server' } } }).mcpServers.k.preset).toBe('kubernetes-mcp-server');
    expect(() => ServersConfig.parse({ mcpServers: { k: { url: 'http://127.0.0.1:1/mcp', preset: 'anything' } } })).toThrow(/preset must be one of/);
  });
});

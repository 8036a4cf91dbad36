// Is a tool read-only or mutating? In order: the config's override, our own lists (the built-in
// server, and the read-only tools of a few well-known Kubernetes MCP servers, *by that server's
// identity*), the server's MCP annotations only if the config trusts that server, and otherwise
// mutating. A tool name alone proves nothing: any server may call a tool `pods_get`, so a known list
// applies only to a server that is known to be that program (its npm package or image, or an explicit
// `preset` in servers_config.json). Annotations are the author's hints, and third-party "read-only"
// modes still allow apply, patch or exec, so by default they decide nothing.

export type ToolClass = 'read' | 'mutating';

/**
 * Read-only tools of well-known third-party servers (anything not listed is mutating). Tools that mostly
 * read but can change state or where later calls land are left out on purpose: context switching
 * (mcp-server-kubernetes' `kubectl_context` sets the current context), exec, port-forward, run.
 */
export const KNOWN_READ_TOOLS: Readonly<Record<string, ReadonlySet<string>>> = {
  // github.com/Flux159/mcp-server-kubernetes
  'mcp-server-kubernetes': new Set([
    'kubectl_get', 'kubectl_describe', 'kubectl_logs', 'kubectl_explain', 'explain_resource',
    'list_api_resources', 'kubectl_api_resources', 'ping',
  ]),
  // github.com/containers/kubernetes-mcp-server
  'kubernetes-mcp-server': new Set([
    'pods_list', 'pods_list_in_namespace', 'pods_get', 'pods_log', 'pods_top', 'events_list', 'namespaces_list',
    'resources_list', 'resources_get', 'nodes_top', 'nodes_log', 'nodes_stats_summary', 'helm_list', 'projects_list',
  ]),
};

export type Preset = keyof typeof KNOWN_READ_TOOLS;
export const PRESETS = Object.keys(KNOWN_READ_TOOLS) as Preset[];

/** Container images of the known servers, by repository path (registry and tag ignored). */
const KNOWN_IMAGES: Record<string, Preset> = {
  'flux159/mcp-server-kubernetes': 'mcp-server-kubernetes',
  'containers/kubernetes_mcp_server': 'kubernetes-mcp-server',
  'containers/kubernetes-mcp-server': 'kubernetes-mcp-server',
  'manusa/kubernetes_mcp_server': 'kubernetes-mcp-server',
};

/** Launchers whose first positional argument is the package they run. */
const PACKAGE_RUNNERS = new Set(['npx', 'bunx', 'pnpx']);
const DLX_RUNNERS = new Set(['pnpm', 'yarn', 'npm']);
const CONTAINER_RUNNERS = new Set(['docker', 'podman', 'nerdctl']);
/** Flags of `docker run` that take a value as the next argument (so that value is not the image). */
const CONTAINER_FLAGS_WITH_VALUE = new Set([
  '-e', '--env', '--env-file', '-v', '--volume', '--mount', '--network', '--net', '--name', '-p', '--publish', '-u', '--user',
  '-w', '--workdir', '--entrypoint', '--platform', '--pull', '-l', '--label', '--add-host', '--cpus', '-m', '--memory', '--hostname', '-h',
]);

/**
 * Which known server a stdio command runs, if any: the executable itself (a package's bin, e.g.
 * node_modules/.bin/kubernetes-mcp-server), the package given to npx/bunx/pnpx/`pnpm dlx`, or the image
 * given to `docker run`. Anything else is unknown, and all its tools count as mutating.
 */
export function identifyServer(command: string, args: readonly string[] = []): Preset | undefined {
  const base = basename(command);
  if (isPreset(base)) return base;
  if (PACKAGE_RUNNERS.has(base) || (DLX_RUNNERS.has(base) && (args[0] === 'dlx' || args[0] === 'exec'))) {
    const rest = PACKAGE_RUNNERS.has(base) ? args : args.slice(1);
    const pkg = packageArg(rest);
    return pkg && isPreset(pkg) ? pkg : undefined;
  }
  if (CONTAINER_RUNNERS.has(base) && args[0] === 'run') return KNOWN_IMAGES[imageRepo(imageArg(args.slice(1)) ?? '')];
  return undefined;
}

function packageArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-p' || a === '--package') return packageName(args[i + 1] ?? '');
    if (a.startsWith('--package=')) return packageName(a.slice('--package='.length));
    if (a.startsWith('-')) continue;
    return packageName(a);
  }
  return undefined;
}

/** `kubernetes-mcp-server@1.2.3` → `kubernetes-mcp-server`; scoped names keep their scope. */
function packageName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at > 0 ? spec.slice(0, at) : spec;
}

function imageArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (CONTAINER_FLAGS_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** `quay.io/containers/kubernetes_mcp_server:v1@sha256:…` → `containers/kubernetes_mcp_server`. */
function imageRepo(image: string): string {
  let ref = image.split('@')[0];
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  // A first part with a dot or a port is a registry host.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  return parts.slice(-2).join('/');
}

function basename(p: string): string {
  return p.split(/[\\/]/).pop()!.replace(/\.(cmd|exe)$/i, '');
}

function isPreset(s: string): s is Preset {
  return Object.prototype.hasOwnProperty.call(KNOWN_READ_TOOLS, s);
}

export interface ClassifyInput {
  tool: string;
  override?: ToolClass;
  builtin?: ToolClass;
  /** The server's identity (explicit preset or identified from its command), if it is a known one. */
  preset?: Preset;
  trusted: boolean;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export function classifyTool(i: ClassifyInput): { class: ToolClass; by: string } {
  if (i.override) return { class: i.override, by: 'servers_config.json' };
  if (i.builtin) return { class: i.builtin, by: 'built-in tool list' };
  if (i.preset && KNOWN_READ_TOOLS[i.preset].has(i.tool)) return { class: 'read', by: `known read-only tool of ${i.preset}` };
  if (i.trusted && i.annotations?.readOnlyHint === true) return { class: 'read', by: 'trusted server annotation readOnlyHint' };
  return { class: 'mutating', by: 'default: not known to be read-only' };
}

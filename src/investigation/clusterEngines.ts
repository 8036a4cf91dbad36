// Many clusters, wired: the registry of the clusters' credentials and the dispatch of each incident to
// the engine of its cluster. Another cluster's engine is the local engine's deps with everything that
// acts on a cluster built again on that cluster's KubeConfig (src/operator/ hands over how it builds
// those for the local one, so both are built the same way): the tools (the built-in server and the
// cluster's MCP servers), the policy's reads, the dry run, the verifier, correlation's pod and node reads.
import type { KubeConfig } from '@kubernetes/client-node';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ClusterAccess } from '../clusters/credentials.js';
import { ClusterRegistry } from '../clusters/registry.js';
import type { Config } from '../config.js';
import type { DryRunner } from '../contracts/investigation.js';
import type { IncidentDirectory } from '../incident/contracts.js';
import type { AlertIncident } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { shareKeepAliveAgent } from '../runtime/keepAlive.js';
import { clusterInspector } from '../tools/kubernetes/callFacts.js';
import type { PrometheusSource, ToolContext } from '../tools/kubernetes/context.js';
import { createVerifier } from '../tools/kubernetes/verify.js';
import { ToolManager, type BuiltinServer } from '../tools/manager.js';
import { clusterServersConfig, loadServersConfig } from '../tools/serversConfig.js';
import { ClusterDispatch, clusterPolicy, type ClusterEngine } from './clusterDispatch.js';
import { InvestigationEngine, type EngineDeps } from './engine.js';

export interface ClusterEnginesOptions {
  config: Config;
  /** The management cluster's (the local one's): where the credentials Secrets are. */
  kc: KubeConfig;
  log: Logger;
  metrics: Metrics;
  localEngine: InvestigationEngine;
  /** The local engine's deps: the investigator, limits, history, ... are shared by every cluster. */
  base: EngineDeps;
  /** The local built-in server's entry (name and classes), when BUILTIN_KUBERNETES_TOOLS. */
  builtin?: BuiltinServer;
  toolServerOf(kc: KubeConfig, prometheus: PrometheusSource | undefined): McpServer;
  toolContextOf(kc: KubeConfig): ToolContext;
  dryRunOf(ctx: ToolContext, builtinServer: string | undefined): DryRunner;
  /** Correlation's directory, reading pods and nodes with this KubeConfig. */
  directoryOf(kc: KubeConfig): IncidentDirectory;
}

export function clusterEngines(o: ClusterEnginesOptions): { registry: ClusterRegistry; dispatch: ClusterDispatch } {
  const { config, log } = o;
  const registry = new ClusterRegistry({
    kc: o.kc,
    namespace: config.NAMESPACE,
    selector: config.CLUSTER_SECRET_SELECTOR,
    local: { name: config.LOCAL_CLUSTER_NAME, kc: o.kc },
    log: log.child({ component: 'clusters' }),
  });
  const dispatch = new ClusterDispatch({
    local: config.LOCAL_CLUSTER_NAME,
    localEngine: o.localEngine,
    clusters: registry,
    build: (access) => buildClusterEngine(o, access),
    maxConcurrentPerCluster: config.CLUSTER_MAX_CONCURRENT_INVESTIGATIONS,
    clusterLabel: config.CLUSTER_LABEL,
    log: log.child({ component: 'clusters' }),
    onProbe: (cluster, up) => o.metrics.clusterReachable.set({ cluster }, up ? 1 : 0),
  });
  return { registry, dispatch };
}

async function buildClusterEngine(o: ClusterEnginesOptions, access: ClusterAccess): Promise<ClusterEngine> {
  const { config, base } = o;
  const kc = shareKeepAliveAgent(access.kc);
  // Only the URL and timeout: the global Prometheus's token belongs to the local cluster's Prometheus.
  const prometheus = access.prometheusUrl ? { url: access.prometheusUrl, timeoutMs: config.PROMETHEUS_TIMEOUT } : undefined;
  const builtin: BuiltinServer | undefined = o.builtin && { ...o.builtin, create: () => o.toolServerOf(kc, prometheus) };
  const tools = new ToolManager(clusterServersConfig(loadServersConfig(config.SERVERS_CONFIG), access.name, false), { log: o.log.child({ cluster: access.name }), metrics: o.metrics, builtin });
  await tools.start();
  const ctx = o.toolContextOf(kc);
  const engine = new InvestigationEngine({
    ...base,
    cluster: access.name,
    tools,
    policy: clusterPolicy(base.policy, access.policy),
    inspect: clusterInspector(kc),
    dryRun: o.dryRunOf(ctx, builtin?.name),
    verifier: builtin ? createVerifier(ctx, builtin.name) : undefined,
    correlation: base.correlation && { ...base.correlation, cluster: access.name, directory: o.directoryOf(kc) },
  });
  return { advance: (inc: AlertIncident) => engine.advance(inc), learn: (inc: AlertIncident) => engine.learn(inc), close: () => tools.close() };
}

// The investigation engine as the configuration makes it: the tools, the investigator (the LLM or the
// rule-based analyzer), the engine's deps, and with many clusters one engine per cluster behind a dispatch.
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config.js';
import { RulesInvestigator } from '../analyzer/rulesInvestigator.js';
import { StoreDirectory } from '../context/directory.js';
import { ConfigMapHistory } from '../context/history.js';
import type { Investigator } from '../incident/contracts.js';
import type { Tenancy } from '../incident/tenancy.js';
import type { AlertIncident } from '../incident/types.js';
import { clusterEngines, type ClusterEnginesOptions } from '../investigation/clusterEngines.js';
import { InvestigationEngine, type EngineDeps } from '../investigation/engine.js';
import { LlmInvestigator } from '../investigation/llmInvestigator.js';
import { LlmClient } from '../llm/client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import { clusterInspector } from '../tools/kubernetes/callFacts.js';
import { makeContext, type PrometheusSource, type PvcExpansionBounds, type RaiseBounds, type ToolContext } from '../tools/kubernetes/context.js';
import { createDryRunner } from '../tools/kubernetes/dryRun.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, TOOL_DEFS, createKubernetesToolServer } from '../tools/kubernetes/server.js';
import { createVerifier } from '../tools/kubernetes/verify.js';
import { ToolManager, type BuiltinServer } from '../tools/manager.js';
import { clusterServersConfig, loadServersConfig } from '../tools/serversConfig.js';
import { parseQuantity } from '../util/quantity.js';
import type { Clients } from './runtime.js';

/**
 * What acts on one cluster, on its KubeConfig: the local cluster's here, every other one's in
 * investigation/clusterEngines.ts (many clusters). The tool server, the dry run's and verifier's context.
 */
type ClusterActing = Pick<ClusterEnginesOptions, 'toolServerOf' | 'toolContextOf' | 'dryRunOf'>;

function clusterActing(config: Config): ClusterActing {
  return {
    toolServerOf: (ckc, prometheus) =>
      createKubernetesToolServer(ckc, { maxOutputBytes: config.TOOL_OUTPUT_MAX_BYTES * 2, prometheus, context: { raiseBounds: raiseBounds(config), pvcExpansion: pvcExpansion(config), argoNamespace: config.ARGOCD_NAMESPACE, gitopsWrites: config.GITOPS_MANAGED_WRITES } }),
    toolContextOf: (ckc): ToolContext => ({ ...makeContext(ckc), raiseBounds: raiseBounds(config), pvcExpansion: pvcExpansion(config), argoNamespace: config.ARGOCD_NAMESPACE }),
    dryRunOf: (ctx, server) => createDryRunner(ctx, { builtinServer: server, defs: TOOL_DEFS, gitops: { managedWrites: config.GITOPS_MANAGED_WRITES, argoNamespace: config.ARGOCD_NAMESPACE } }),
  };
}

export interface Engines {
  tools: ToolManager;
  investigator: Investigator;
  /** The local cluster's engine. */
  engine: InvestigationEngine;
  /** Many clusters: the clusters' credentials and the dispatch of each incident to its cluster's engine. */
  multi?: ReturnType<typeof clusterEngines>;
}

interface EngineInputs {
  clients: Clients;
  informer: Informer<AlertIncident> | undefined;
  mgr: Manager;
  tenancy: Tenancy;
  watchNamespace: string | undefined;
  /** Replaces the investigator chosen by config (tests). */
  investigator?: Investigator;
}

export async function buildEngines(config: Config, log: Logger, d: EngineInputs): Promise<Engines> {
  const { kc, metrics, store } = d.clients;
  const acting = clusterActing(config);
  const builtin: BuiltinServer | undefined = config.BUILTIN_KUBERNETES_TOOLS
    ? {
        name: 'kubernetes',
        create: () => acting.toolServerOf(kc, prometheusSource(config)),
        classes: BUILTIN_TOOLS,
        clusterScoped: CLUSTER_SCOPED_TOOLS,
      }
    : undefined;
  // Many clusters: the local cluster's servers, with `${CLUSTER}` templates filled with its name.
  const servers = loadServersConfig(config.SERVERS_CONFIG);
  const tools = new ToolManager(config.CLUSTERS_ENABLED ? clusterServersConfig(servers, config.LOCAL_CLUSTER_NAME, true) : servers, { log, metrics, builtin });
  await tools.start();

  const runbooks = loadRunbooks(config.RUNBOOKS_DIR);
  const investigator = d.investigator ?? makeInvestigator(config, metrics, runbooks, log);
  const deps = engineDeps(config, { ...d, tools, investigator, runbooks, builtin, acting });
  const engine = new InvestigationEngine(deps);
  // Many clusters (README "Many clusters"): each incident goes to the engine of its cluster, built on
  // that cluster's credentials the same way as the local engine above.
  const multi = config.CLUSTERS_ENABLED
    ? clusterEngines({
        config,
        kc,
        log,
        metrics,
        localEngine: engine,
        base: deps,
        builtin,
        ...acting,
        directoryOf: (ckc) => new StoreDirectory(store, ckc, d.watchNamespace, d.informer),
      })
    : undefined;
  // The incidents' metrics name the clusters the registry knows, and no other (a bounded label).
  if (multi) metrics.knowClusters((name) => multi.registry.get(name) !== undefined);
  return { tools, investigator, engine, multi };
}

interface DepsInputs extends EngineInputs {
  tools: ToolManager;
  investigator: Investigator;
  runbooks: Record<string, string>;
  builtin: BuiltinServer | undefined;
  acting: ClusterActing;
}

/** The local engine's deps; another cluster's engine starts from these (investigation/clusterEngines.ts). */
function engineDeps(config: Config, d: DepsInputs): EngineDeps {
  const { kc, store } = d.clients;
  const { investigator, runbooks, builtin, tenancy } = d;
  // The analyzer backs every LLM investigation: its evidence first (when on), and its report when the LLM cannot go on.
  const analyzer = investigator.kind === 'llm' ? new RulesInvestigator({ runbooks }) : undefined;
  // The dry run runs the tools themselves: the same bounds as the tool server's.
  const toolContext = d.acting.toolContextOf(kc);
  return {
    investigator,
    tenancy,
    evidence: config.EVIDENCE_FIRST ? analyzer : undefined,
    fallback: analyzer,
    tools: d.tools,
    runbook: (inc) => runbooks[inc.spec.alertname],
    // Per-namespace incidents: RBAC on AlertIncidents there is the approval boundary, so their actions
    // stay there. Incidents in the operator's namespace are approved by whoever runs the operator.
    actionNamespace: (inc) =>
      config.INCIDENT_NAMESPACE_MODE === 'alert' && inc.metadata.namespace !== config.NAMESPACE ? inc.metadata.namespace : undefined,
    canAct: () => d.mgr.isLeader(),
    history: config.RECALL ? new ConfigMapHistory(kc, { namespace: config.NAMESPACE, name: config.RECALL_CONFIGMAP, maxEntries: config.RECALL_MAX_IDENTITIES }) : undefined,
    correlation: config.CORRELATION.length
      ? {
          directory: new StoreDirectory(store, kc, config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE, d.informer),
          rules: new Set(config.CORRELATION),
          windowMs: config.CORRELATION_WINDOW,
          settleMs: 20_000,
          timeoutMs: config.CORRELATION_TIMEOUT,
          tenancy,
        }
      : undefined,
    policy: {
      mode: config.POLICY_MODE,
      allowedTools: config.POLICY_ALLOWED_TOOLS,
      allowedClusterTools: config.POLICY_ALLOWED_CLUSTER_TOOLS,
      allowedNamespaces: config.POLICY_ALLOWED_NAMESPACES,
      maxMutations: config.POLICY_MAX_MUTATIONS,
      autoScaleDown: config.POLICY_AUTO_SCALE_DOWN,
      autoDeleteUnownedPods: config.POLICY_AUTO_DELETE_UNOWNED_PODS,
      autoUninvolvedTargets: config.POLICY_AUTO_UNINVOLVED_TARGETS,
    },
    inspect: clusterInspector(kc),
    // Issue 22: a change is judged by the API server before it is shown or run, and checked after it ran.
    dryRun: d.acting.dryRunOf(toolContext, builtin?.name),
    verifier: builtin ? createVerifier(toolContext, builtin.name) : undefined,
    limits: {
      maxSteps: config.MAX_STEPS,
      maxTokensPerIncident: config.MAX_TOKENS_PER_INCIDENT,
      toolOutputMaxBytes: config.TOOL_OUTPUT_MAX_BYTES,
      toolTimeoutMs: config.TOOL_TIMEOUT,
      approvalTimeoutMs: config.APPROVAL_TIMEOUT,
      maxInvalidReplies: 3,
      maxAttempts: config.LLM_MAX_ATTEMPTS,
      verifyTimeoutMs: config.VERIFY_TIMEOUT,
    },
  };
}

function makeInvestigator(config: Config, metrics: Metrics, runbooks: Record<string, string>, log?: Logger): Investigator {
  if (config.analyzer === 'rules') return new RulesInvestigator({ runbooks });
  const llm = new LlmClient({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    model: config.LLM_MODEL,
    timeoutMs: config.LLM_TIMEOUT,
    maxRetries: config.LLM_MAX_RETRIES,
    callsPerMinute: config.LLM_CALLS_PER_MINUTE,
    temperature: config.LLM_TEMPERATURE,
    toolChoice: config.LLM_TOOL_CHOICE,
    maxCompletionTokens: config.LLM_MAX_COMPLETION_TOKENS,
    onNotice: (message) => log?.warn(message),
    onCall: (result, seconds, usage) => {
      metrics.llmCalls.inc({ result });
      metrics.llmLatency.observe(seconds);
      if (usage) {
        metrics.llmTokens.inc({ kind: 'prompt' }, usage.promptTokens);
        metrics.llmTokens.inc({ kind: 'completion' }, usage.completionTokens);
      }
    },
  });
  return new LlmInvestigator(llm, { maxSteps: config.MAX_STEPS, promptTokenBudget: config.PROMPT_TOKEN_BUDGET, tools: config.LLM_TOOLS, toolResults: config.LLM_TOOL_RESULTS });
}

/** Runbook text per alert: `<alertname>.md` (or .txt) files in a directory, e.g. a mounted ConfigMap. */
export function loadRunbooks(dir?: string): Record<string, string> {
  if (!dir) return {};
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) {
    const m = /^([^.].*)\.(md|txt)$/.exec(f);
    if (m) out[m[1]] = readFileSync(path.join(dir, f), 'utf8').slice(0, 16_000);
  }
  return out;
}

/** How far set_hpa_max_replicas and set_quota_hard may raise a bound in one change. */
function raiseBounds(config: Config): RaiseBounds {
  return { hpaMaxReplicasLimit: config.FIX_HPA_MAX_REPLICAS_LIMIT, hpaMaxFactor: config.FIX_HPA_MAX_FACTOR, quotaMaxFactor: config.FIX_QUOTA_MAX_FACTOR };
}

/** How far expand_pvc may grow a claim in one change (FIX_PVC_MAX_SIZE, FIX_PVC_MAX_FACTOR). */
function pvcExpansion(config: Config): PvcExpansionBounds {
  return { maxBytes: parseQuantity(config.FIX_PVC_MAX_SIZE) ?? 2 ** 40, maxFactor: config.FIX_PVC_MAX_FACTOR };
}

/** The Prometheus of query_prometheus, from PROMETHEUS_URL and its token settings; undefined when unset. */
function prometheusSource(config: Config): PrometheusSource | undefined {
  if (!config.PROMETHEUS_URL) return undefined;
  return {
    url: config.PROMETHEUS_URL,
    bearerToken: config.PROMETHEUS_BEARER_TOKEN,
    bearerTokenFile: config.PROMETHEUS_BEARER_TOKEN_FILE,
    timeoutMs: config.PROMETHEUS_TIMEOUT,
  };
}

// Wiring: config → clients → webhook server + controller + metrics. The only place that knows every part.
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from './config.js';
import { IncidentStore } from './incident/store.js';
import { shareKeepAliveAgent } from './kube/keepAlive.js';
import { IncidentReconciler, UNFINISHED_SELECTOR } from './controller/reconciler.js';
import { WorkQueue } from './controller/queue.js';
import { IncidentWatcher } from './controller/watcher.js';
import { LeaderElector } from './controller/leader.js';
import { Retention } from './controller/retention.js';
import { andSelectors, shardLeaseName, shardSelector } from './incident/shard.js';
import { InvestigationEngine } from './investigation/engine.js';
import type { Tenancy } from './incident/tenancy.js';
import { ConfigMapHistory } from './context/history.js';
import { StoreDirectory } from './context/directory.js';
import { clusterInspector } from './tools/kubernetes/callFacts.js';
import { LlmInvestigator } from './investigation/llmInvestigator.js';
import type { Investigator } from './investigation/types.js';
import { LlmClient } from './llm/client.js';
import { createEventRecorder } from './observability/events.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { ToolManager, type BuiltinServer } from './tools/manager.js';
import { loadServersConfig } from './tools/serversConfig.js';
import { createKubernetesToolServer } from './tools/kubernetes/server.js';
import type { PrometheusSource } from './tools/kubernetes/context.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS } from './tools/kubernetes/classes.js';
import { createWebhookApp } from './webhook/app.js';
import { webhookExposure } from './webhook/exposure.js';
import { RulesInvestigator } from './analyzer/rulesInvestigator.js';
import { AlertIntake } from './webhook/intake.js';
// Notifications and the web view are imported only when configured (below): nodemailer, marked and
// sanitize-html are several MB of memory that most operators never use.
import type { Notifier } from './notify/notifier.js';

export interface Operator {
  webhookUrl: string;
  metricsUrl: string;
  /** The web view's base URL, when WEB_ENABLED. */
  webUrl?: string;
  metrics: Metrics;
  queue: WorkQueue;
  reconciler: IncidentReconciler;
  tools: ToolManager;
  retention: Retention;
  /** The notification queue, when sinks are configured. */
  notifier?: Notifier;
  /** True while this replica runs the controller (always, without leader election). */
  leading(): boolean;
  /** Stops taking work, lets the step in flight finish, closes servers and MCP connections. */
  stop(): Promise<void>;
}

export interface OperatorOverrides {
  kubeConfig?: KubeConfig;
  /** Replaces the investigator chosen by config (tests, the rule-based analyzer). */
  investigator?: Investigator;
  /** Counts every request this operator sends for AlertIncidents. */
  onKubeRequest?: (method: string, url: string) => void;
  /** Run the controller (default true); false serves only the webhook. */
  controller?: boolean;
  /** Called when this replica loses the leader lease; main.ts exits so that Kubernetes restarts it. */
  onLeadershipLost?: () => void;
  /** Replaces the file NOTIFICATIONS_CONFIG names (tests). */
  notifications?: import('./notify/config.js').NotificationsConfig;
}

/** Steps a worker takes in a row on one incident before it lets the others in the queue have a turn. */
const STEPS_PER_TURN = 16;

export async function startOperator(config: Config, log: Logger, o: OperatorOverrides = {}): Promise<Operator> {
  // Before anything connects or listens: an open webhook beyond loopback is refused unless configured so.
  const { warning: openWebhook } = webhookExposure(config);
  if (openWebhook) log.warn(openWebhook, { host: config.WEBHOOK_HOST, port: config.WEBHOOK_PORT });
  const kc = shareKeepAliveAgent(o.kubeConfig ?? defaultKubeConfig());
  const metrics = createMetrics();
  const store = new IncidentStore(kc, (method, url) => {
    metrics.kubeRequests.inc({ method });
    o.onKubeRequest?.(method, url);
  });

  const builtin: BuiltinServer | undefined = config.BUILTIN_KUBERNETES_TOOLS
    ? {
        name: 'kubernetes',
        create: () => createKubernetesToolServer(kc, { maxOutputBytes: config.TOOL_OUTPUT_MAX_BYTES * 2, prometheus: prometheusSource(config) }),
        classes: BUILTIN_TOOLS,
        clusterScoped: CLUSTER_SCOPED_TOOLS,
      }
    : undefined;
  const tools = new ToolManager(loadServersConfig(config.SERVERS_CONFIG), { log, metrics, builtin });
  await tools.start();

  const runbooks = loadRunbooks(config.RUNBOOKS_DIR);
  const investigator = o.investigator ?? makeInvestigator(config, metrics, runbooks, log);
  // The analyzer backs every LLM investigation: its evidence first (when on), and its report when the LLM cannot go on.
  const analyzer = investigator.kind === 'llm' ? new RulesInvestigator({ runbooks }) : undefined;
  const tenancy: Tenancy = { mode: config.INCIDENT_NAMESPACE_MODE, operatorNamespace: config.NAMESPACE };
  const engine = new InvestigationEngine({
    investigator,
    tenancy,
    evidence: config.EVIDENCE_FIRST ? analyzer : undefined,
    fallback: analyzer,
    tools,
    runbook: (inc) => runbooks[inc.spec.alertname],
    // Per-namespace incidents: RBAC on AlertIncidents there is the approval boundary, so their actions
    // stay there. Incidents in the operator's namespace are approved by whoever runs the operator.
    actionNamespace: (inc) =>
      config.INCIDENT_NAMESPACE_MODE === 'alert' && inc.metadata.namespace !== config.NAMESPACE ? inc.metadata.namespace : undefined,
    canAct: () => !elector || elector.isLeader(),
    history: config.RECALL ? new ConfigMapHistory(kc, { namespace: config.NAMESPACE, name: config.RECALL_CONFIGMAP, maxEntries: config.RECALL_MAX_IDENTITIES }) : undefined,
    correlation: config.CORRELATION.length
      ? {
          directory: new StoreDirectory(store, kc, config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE),
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
    limits: {
      maxSteps: config.MAX_STEPS,
      maxTokensPerIncident: config.MAX_TOKENS_PER_INCIDENT,
      toolOutputMaxBytes: config.TOOL_OUTPUT_MAX_BYTES,
      toolTimeoutMs: config.TOOL_TIMEOUT,
      approvalTimeoutMs: config.APPROVAL_TIMEOUT,
      maxInvalidReplies: 3,
      maxAttempts: config.LLM_MAX_ATTEMPTS,
    },
  });
  const events = createEventRecorder(kc, 'alert-agent', log);
  const reconciler = new IncidentReconciler({ store, engine, events, log, metrics, workers: config.MAX_CONCURRENT_INVESTIGATIONS });
  const queue = new WorkQueue({
    concurrency: config.MAX_CONCURRENT_INVESTIGATIONS,
    onError: () => undefined, // the reconciler logs with the incident's name
    onDepth: (d) => metrics.queueDepth.set(d),
    onActive: (a) => metrics.activeInvestigations.set(a),
    maxTurns: STEPS_PER_TURN,
  });
  const watchNamespace = config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE;
  // Sharding: this replica's controller (and notifier) sees only its shard's incidents (src/incident/shard.ts).
  const shardSel = shardSelector(config.SHARD, config.SHARD_COUNT);
  const watcher = new IncidentWatcher({
    kc,
    store,
    log,
    namespace: watchNamespace,
    labelSelector: andSelectors(UNFINISHED_SELECTOR, shardSel),
    onEvent: (type, obj) => {
      const key = reconciler.observe(type, obj);
      if (key) queue.add(key);
    },
    onLifecycle: (e) => metrics.watchEvents.inc({ event: e }),
  });

  // Notifications: their own watch of every stored incident (finished ones too: the controller's watch
  // drops those) and their own queue, run by the same replica as the controller.
  const notifyConfig = o.notifications ?? (config.NOTIFICATIONS_CONFIG ? (await import('./notify/config.js')).loadNotificationsConfig(config.NOTIFICATIONS_CONFIG) : undefined);
  const notifier = notifyConfig?.sinks.length
    ? new (await import('./notify/notifier.js')).Notifier({ config: notifyConfig, store, log: log.child({ component: 'notify' }), registry: metrics.registry, tenancy })
    : undefined;
  const notifyWatcher = notifier
    ? new IncidentWatcher({ kc, store, log, namespace: watchNamespace, labelSelector: shardSel, onEvent: (type, obj) => notifier.observe(type, obj) })
    : undefined;

  const intake = new AlertIntake(store, { namespace: config.NAMESPACE, namespaceMode: config.INCIDENT_NAMESPACE_MODE, shardCount: config.SHARD_COUNT });
  const runController = o.controller ?? true;
  const app = createWebhookApp({
    intake,
    log,
    metrics,
    bearerToken: config.WEBHOOK_BEARER_TOKEN,
    maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
    maxAlerts: config.WEBHOOK_MAX_ALERTS,
    ready: async () => {
      if (controllerRunning && !watcher.synced) return false;
      await store.list({ namespace: config.NAMESPACE, limit: 1 });
      return true;
    },
  });
  const webhookServer = app.listen(config.WEBHOOK_PORT, config.WEBHOOK_HOST);
  await once(webhookServer, 'listening');

  const metricsApp = express();
  metricsApp.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  metricsApp.get('/healthz', (_req, res) => void res.send('ok'));
  const metricsServer = metricsApp.listen(config.METRICS_PORT, config.WEBHOOK_HOST);
  await once(metricsServer, 'listening');

  // The web view runs on every replica, leader or not, with a watch of its own (all incidents, finished too).
  let webServer: Server | undefined;
  let webEvents: ReturnType<typeof createEventRecorder> | undefined;
  let webWatcher: IncidentWatcher | undefined;
  if (config.WEB_ENABLED) {
    const [{ IncidentFeed }, { createWebApp }] = await Promise.all([import('./web/feed.js'), import('./web/server.js')]);
    const feed = new IncidentFeed();
    webWatcher = new IncidentWatcher({ kc, store, log, namespace: watchNamespace, onEvent: (type, obj) => feed.apply(type, obj), onSynced: () => feed.listed() });
    const webApp = createWebApp({
      kc,
      store,
      feed,
      log,
      events: (webEvents = createEventRecorder(kc, 'alert-agent-web', log)),
      auth: config.WEB_AUTH,
      proxyUserHeader: config.WEB_PROXY_USER_HEADER,
      proxyGroupsHeader: config.WEB_PROXY_GROUPS_HEADER,
      publicUrl: config.WEB_PUBLIC_URL,
      proxySecret: config.WEB_PROXY_SECRET,
      proxySecretHeader: config.WEB_PROXY_SECRET_HEADER,
      insecureCookie: config.WEB_INSECURE_COOKIE,
      sessionTtlMs: config.WEB_SESSION_TTL,
      sessionReviewMs: config.WEB_SESSION_REVIEW_INTERVAL,
      maxSessions: config.WEB_MAX_SESSIONS,
      streamsPerUser: config.WEB_STREAMS_PER_USER,
      streamsMax: config.WEB_STREAMS_MAX,
      streamMaxBufferBytes: config.WEB_STREAM_MAX_BUFFER_BYTES,
    });
    webServer = webApp.listen(config.WEB_PORT, config.WEBHOOK_HOST);
    await once(webServer, 'listening');
    void webWatcher.start();
  }

  const retention = new Retention({ store, log, metrics, namespace: watchNamespace, ttlMs: config.RETENTION_TTL, max: config.RETENTION_MAX });
  let controllerRunning = false;
  const startController = async () => {
    controllerRunning = true;
    queue.start((key) => reconciler.reconcile(key));
    await watcher.start();
    if (config.SHARD === 0) retention.start(); // once per cluster: it sweeps every shard's finished incidents
    notifier?.start();
    await notifyWatcher?.start();
  };
  const stopController = async () => {
    controllerRunning = false;
    watcher.stop();
    retention.stop();
    notifyWatcher?.stop();
    await Promise.all([queue.shutdown(), notifier?.stop()]);
    await events.flush();
  };
  let elector: LeaderElector | undefined;
  if (runController && config.LEADER_ELECTION) {
    // Every replica serves the webhook; only the lease holder reconciles.
    elector = new LeaderElector({
      kc,
      namespace: config.NAMESPACE,
      name: shardLeaseName(config.LEADER_ELECTION_ID, config.SHARD, config.SHARD_COUNT),
      identity: config.POD_NAME ?? `${hostname()}-${process.pid}`,
      log,
      leaseDurationMs: config.LEADER_ELECTION_LEASE_DURATION,
      renewDeadlineMs: config.LEADER_ELECTION_RENEW_DEADLINE,
      retryPeriodMs: config.LEADER_ELECTION_RETRY_PERIOD,
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        log.info('became leader: reconciling');
        void startController();
      },
      onStoppedLeading: () => {
        metrics.isLeader.set(0);
        log.error('lost the leader lease: stopping the controller');
        void stopController().then(() => o.onLeadershipLost?.());
      },
    });
    elector.start();
  } else if (runController) {
    await startController();
  }
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  log.info('alert-agent started', {
    webhook: `${url(webhookServer)}/api/v1/alerts`,
    metrics: `${url(metricsServer)}/metrics`,
    web: webServer ? url(webServer) : 'off',
    namespace: config.NAMESPACE,
    shard: config.SHARD_COUNT > 1 ? `${config.SHARD} of ${config.SHARD_COUNT}` : 'off',
    investigator: investigator.kind,
    policy: config.POLICY_MODE,
    tools: tools.list().length,
  });

  return {
    webhookUrl: `${url(webhookServer)}/api/v1/alerts`,
    metricsUrl: `${url(metricsServer)}/metrics`,
    webUrl: webServer ? url(webServer) : undefined,
    metrics,
    queue,
    reconciler,
    tools,
    retention,
    notifier,
    leading: () => controllerRunning,
    async stop() {
      // Stop taking work, let the step in flight finish and persist, then hand the lease over at once.
      webhookServer.close();
      webWatcher?.stop();
      webServer?.close();
      webServer?.closeAllConnections();
      // an approval's Event is queued, not awaited: it goes out before the process does
      await webEvents?.flush();
      await stopController();
      await elector?.release().catch(() => undefined);
      elector?.stop();
      webhookServer.closeAllConnections();
      metricsServer.closeAllConnections();
      await Promise.all([new Promise((r) => webhookServer.close(r)), new Promise((r) => metricsServer.close(r))]);
      await tools.close();
      notifier?.close();
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

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
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

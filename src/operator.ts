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
import { slimManagedFields } from './incident/owners.js';
import { AlertIncident, GROUP, PLURAL, VERSION } from './incident/types.js';
import { shareKeepAliveAgent } from './runtime/keepAlive.js';
import { Informer, type Subscription } from './runtime/informer.js';
import { Manager } from './runtime/manager.js';
import { WorkQueue } from './runtime/queue.js';
import { FINISHED_SELECTOR, IncidentReconciler, UNFINISHED_SELECTOR } from './controller/reconciler.js';
import { Retention } from './controller/retention.js';
import { andSelectors, shardLeaseName, shardSelector } from './incident/shard.js';
import { InvestigationEngine, type EngineDeps } from './investigation/engine.js';
import { clusterEngines } from './investigation/clusterEngines.js';
import type { Tenancy } from './incident/tenancy.js';
import { ConfigMapHistory } from './context/history.js';
import { StoreDirectory } from './context/directory.js';
import { clusterInspector } from './tools/kubernetes/callFacts.js';
import { LlmInvestigator } from './investigation/llmInvestigator.js';
import type { Investigator } from './incident/contracts.js';
import { LlmClient } from './llm/client.js';
import { createEventRecorder } from './runtime/events.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { ToolManager, type BuiltinServer } from './tools/manager.js';
import { clusterServersConfig, loadServersConfig } from './tools/serversConfig.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, TOOL_DEFS, createKubernetesToolServer } from './tools/kubernetes/server.js';
import { makeContext, type PrometheusSource, type PvcExpansionBounds, type RaiseBounds, type ToolContext } from './tools/kubernetes/context.js';
import { parseQuantity } from './util/quantity.js';
import { createDryRunner } from './tools/kubernetes/dryRun.js';
import { createVerifier } from './tools/kubernetes/verify.js';
import { createWebhookApp } from './webhook/app.js';
import { expressServer } from './util/http.js';
import { webhookExposure } from './webhook/exposure.js';
import { RulesInvestigator } from './analyzer/rulesInvestigator.js';
import { AlertIntake } from './webhook/intake.js';
// Notifications and the web view are imported only when configured (below): nodemailer, marked and
// sanitize-html are several MB of memory that most operators never use.
import type { Notifier } from './notify/notifier.js';
import type { Ticketer } from './tickets/ticketer.js';

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
  /** The ticket queue, when trackers are configured (TICKETS_CONFIG). */
  tickets?: Ticketer;
  /** The one informer of AlertIncidents of this process (every consumer reads it), when anything reads them. */
  informer?: Informer<AlertIncident>;
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
  /** Replaces the Git provider GITOPS_GIT_PROVIDER names (tests). */
  gitProvider?: import('./gitops/provider.js').GitProvider;
  /** Replaces the file NOTIFICATIONS_CONFIG names (tests). */
  notifications?: import('./notify/config.js').NotificationsConfig;
  /** Replaces the file TICKETS_CONFIG names, and the ticket systems or the links store it would build (tests). */
  tickets?: {
    config?: import('./tickets/config.js').TicketsConfig;
    systems?: Record<string, import('./tickets/providers/index.js').TicketSystem>;
    links?: import('./tickets/links.js').TicketLinks;
  };
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

  // One informer of AlertIncidents for the whole process; its selection is the union of what runs here
  // needs. The controller: the unfinished incidents of its shard (src/incident/shard.ts); the notifier:
  // every incident of its shard, finished ones too; the web view: every incident, on every replica. Each
  // subscribes with its own selector, matched in the informer. Whole objects are kept within a budget
  // (2 MiB of JSON, more with more than 16 workers): those a step, a delivery or a lookup reads next.
  const runController = o.controller ?? true;
  const watchNamespace = config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE;
  const shardSel = shardSelector(config.SHARD, config.SHARD_COUNT);
  const controllerSel = andSelectors(UNFINISHED_SELECTOR, shardSel);
  const notifyConfig = o.notifications ?? (config.NOTIFICATIONS_CONFIG ? (await import('./notify/config.js')).loadNotificationsConfig(config.NOTIFICATIONS_CONFIG) : undefined);
  const informer =
    runController || config.WEB_ENABLED
      ? new Informer<AlertIncident>({
          resource: PLURAL,
          apiPath: `/apis/${GROUP}/${VERSION}`,
          plural: PLURAL,
          namespace: watchNamespace,
          // Finished incidents of the shard too: the controller records what people say of them afterwards (feedback).
          labelSelector: config.WEB_ENABLED ? undefined : runController ? shardSel : controllerSel,
          list: (q) => store.list(q),
          parse: (raw) => {
            const parsed = AlertIncident.safeParse(raw);
            if (parsed.success) return slimManagedFields(parsed.data);
            const meta = (raw as { metadata?: { namespace?: string; name?: string } })?.metadata;
            log.warn('ignoring an AlertIncident that does not match the schema', { incident: meta?.name, namespace: meta?.namespace, error: parsed.error.issues[0]?.message });
            return undefined;
          },
          kc,
          log,
          maxBytes: Math.max(2, config.MAX_CONCURRENT_INVESTIGATIONS / 8) * 1024 * 1024,
          onLifecycle: (e) => metrics.watchEvents.inc({ event: e }),
          registry: metrics.registry,
        })
      : undefined;
  // What runs: every replica serves the webhook (and the web view); only the lease holder of the shard
  // reconciles, notifies and sweeps.
  const mgr = new Manager({
    log,
    election:
      runController && config.LEADER_ELECTION
        ? {
            kc,
            namespace: config.NAMESPACE,
            name: shardLeaseName(config.LEADER_ELECTION_ID, config.SHARD, config.SHARD_COUNT),
            identity: config.POD_NAME ?? `${hostname()}-${process.pid}`,
            leaseDurationMs: config.LEADER_ELECTION_LEASE_DURATION,
            renewDeadlineMs: config.LEADER_ELECTION_RENEW_DEADLINE,
            retryPeriodMs: config.LEADER_ELECTION_RETRY_PERIOD,
          }
        : undefined,
    onLeading: (leading) => metrics.isLeader.set(leading ? 1 : 0),
    onLeadershipLost: () => o.onLeadershipLost?.(),
  });

  // What acts on one cluster, on its KubeConfig: the local cluster's here, every other one's in
  // investigation/clusterEngines.ts (many clusters). The tool server, the dry run's and verifier's context.
  const toolServerOf = (ckc: KubeConfig, prometheus: PrometheusSource | undefined) =>
    createKubernetesToolServer(ckc, { maxOutputBytes: config.TOOL_OUTPUT_MAX_BYTES * 2, prometheus, context: { raiseBounds: raiseBounds(config), pvcExpansion: pvcExpansion(config) } });
  const toolContextOf = (ckc: KubeConfig): ToolContext => ({ ...makeContext(ckc), raiseBounds: raiseBounds(config), pvcExpansion: pvcExpansion(config), argoNamespace: config.ARGOCD_NAMESPACE });
  const dryRunOf = (ctx: ToolContext, server: string | undefined) =>
    createDryRunner(ctx, { builtinServer: server, defs: TOOL_DEFS, gitops: { managedWrites: config.GITOPS_MANAGED_WRITES, argoNamespace: config.ARGOCD_NAMESPACE } });
  const builtin: BuiltinServer | undefined = config.BUILTIN_KUBERNETES_TOOLS
    ? {
        name: 'kubernetes',
        create: () => toolServerOf(kc, prometheusSource(config)),
        classes: BUILTIN_TOOLS,
        clusterScoped: CLUSTER_SCOPED_TOOLS,
      }
    : undefined;
  // Many clusters: the local cluster's servers, with `${CLUSTER}` templates filled with its name.
  const servers = loadServersConfig(config.SERVERS_CONFIG);
  const tools = new ToolManager(config.CLUSTERS_ENABLED ? clusterServersConfig(servers, config.LOCAL_CLUSTER_NAME, true) : servers, { log, metrics, builtin });
  await tools.start();

  const runbooks = loadRunbooks(config.RUNBOOKS_DIR);
  const investigator = o.investigator ?? makeInvestigator(config, metrics, runbooks, log);
  // The analyzer backs every LLM investigation: its evidence first (when on), and its report when the LLM cannot go on.
  const analyzer = investigator.kind === 'llm' ? new RulesInvestigator({ runbooks }) : undefined;
  const tenancy: Tenancy = { mode: config.INCIDENT_NAMESPACE_MODE, operatorNamespace: config.NAMESPACE };
  // The dry run runs the tools themselves: the same bounds as the tool server's.
  const toolContext = toolContextOf(kc);
  const engineDeps: EngineDeps = {
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
    canAct: () => mgr.isLeader(),
    history: config.RECALL ? new ConfigMapHistory(kc, { namespace: config.NAMESPACE, name: config.RECALL_CONFIGMAP, maxEntries: config.RECALL_MAX_IDENTITIES }) : undefined,
    correlation: config.CORRELATION.length
      ? {
          directory: new StoreDirectory(store, kc, config.INCIDENT_NAMESPACE_MODE === 'alert' ? undefined : config.NAMESPACE, informer),
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
    dryRun: dryRunOf(toolContext, builtin?.name),
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
  const engine = new InvestigationEngine(engineDeps);
  // Many clusters (README "Many clusters"): each incident goes to the engine of its cluster, built on
  // that cluster's credentials the same way as the local engine above.
  const multi = config.CLUSTERS_ENABLED
    ? clusterEngines({
        config,
        kc,
        log,
        metrics,
        localEngine: engine,
        base: engineDeps,
        builtin,
        toolServerOf,
        toolContextOf,
        dryRunOf,
        directoryOf: (ckc) => new StoreDirectory(store, ckc, watchNamespace, informer),
      })
    : undefined;
  const clusters = multi?.registry;
  const dispatch = multi?.dispatch;
  const events = createEventRecorder(kc, 'alert-agent', log);
  const reconciler = new IncidentReconciler({ store, engine: dispatch ?? engine, events, log, metrics, cache: informer, canWrite: () => mgr.isLeader() });
  const queue = new WorkQueue({
    concurrency: config.MAX_CONCURRENT_INVESTIGATIONS,
    onError: () => undefined, // the reconciler logs with the incident's name
    onDepth: (d) => metrics.queueDepth.set(d),
    onActive: (a) => metrics.activeInvestigations.set(a),
    maxTurns: STEPS_PER_TURN,
  });
  // Notifications: their own queue, on the same informer, run by the same replica as the controller.
  const notifier = notifyConfig?.sinks.length
    ? new (await import('./notify/notifier.js')).Notifier({ config: notifyConfig, store, log: log.child({ component: 'notify' }), registry: metrics.registry, tenancy, cache: informer })
    : undefined;
  // Tickets (src/tickets): their own queue beside the notifier's, on the same informer, on the same replica.
  const ticketsConfig = o.tickets?.config ?? (config.TICKETS_CONFIG ? (await import('./tickets/config.js')).loadTicketsConfig(config.TICKETS_CONFIG) : undefined);
  const tickets = ticketsConfig?.trackers.length
    ? new (await import('./tickets/ticketer.js')).Ticketer({
        config: ticketsConfig,
        store,
        links: o.tickets?.links ?? new (await import('./tickets/links.js')).ConfigMapTicketLinks(kc, { namespace: config.NAMESPACE, name: config.TICKETS_CONFIGMAP }),
        systems: o.tickets?.systems,
        log: log.child({ component: 'tickets' }),
        registry: metrics.registry,
        tenancy,
        cache: informer,
        localCluster: config.CLUSTERS_ENABLED ? config.LOCAL_CLUSTER_NAME : undefined,
      })
    : undefined;

  // Changes proposed in Git (src/gitops): pull requests on their own queue, on the same informer and replica.
  const gitops = config.GITOPS_GIT_PROVIDER ? (await import('./gitops/setup.js')).createGitProposer(config, { store, log, kc, cache: informer, registry: metrics.registry, provider: o.gitProvider, clusters: multi?.registry }) : undefined;

  const intake = new AlertIntake(store, {
    namespace: config.NAMESPACE,
    namespaceMode: config.INCIDENT_NAMESPACE_MODE,
    shardCount: config.SHARD_COUNT,
    clusters: config.CLUSTERS_ENABLED ? { label: config.CLUSTER_LABEL, local: config.LOCAL_CLUSTER_NAME, unlabelled: config.UNLABELLED_ALERTS_CLUSTER } : undefined,
  });
  const app = createWebhookApp({
    intake,
    log,
    metrics,
    bearerToken: config.WEBHOOK_BEARER_TOKEN,
    maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
    maxAlerts: config.WEBHOOK_MAX_ALERTS,
    ready: async () => {
      if (mgr.leading() && informer && !informer.synced) return false;
      await store.list({ namespace: config.NAMESPACE, limit: 1 });
      return true;
    },
  });
  // express's app.listen, with requests born on express's prototypes (src/util/http.ts: ~50 µs less per request)
  const webhookServer = expressServer(app).listen(config.WEBHOOK_PORT, config.WEBHOOK_HOST);
  await once(webhookServer, 'listening');

  const metricsApp = express();
  metricsApp.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  metricsApp.get('/healthz', (_req, res) => void res.send('ok'));
  const metricsServer = metricsApp.listen(config.METRICS_PORT, config.WEBHOOK_HOST);
  await once(metricsServer, 'listening');

  // What runs, in order (runtime/manager.ts): the informer first, then who reads it.
  if (informer) mgr.add({ name: 'informer', start: () => informer.start(), stop: () => informer.stop() }, { leaderOnly: !config.WEB_ENABLED });
  // The clusters' Secrets, watched by the replica that investigates.
  if (clusters && runController) mgr.add({ name: 'clusters', start: () => clusters.start(), stop: () => clusters.stop() }, { leaderOnly: true });

  // The web view runs on every replica, leader or not: its feed reads every incident, finished ones too.
  let webServer: Server | undefined;
  let webEvents: ReturnType<typeof createEventRecorder> | undefined;
  if (config.WEB_ENABLED) {
    const [{ IncidentFeed }, { createWebApp }] = await Promise.all([import('./web/feed.js'), import('./web/server.js')]);
    const feed = new IncidentFeed();
    let feedSub: Subscription | undefined;
    mgr.add(
      {
        name: 'web feed',
        start: () => void (feedSub = informer!.subscribe({ onEvent: (type, inc) => feed.onEvent(type, inc), onSynced: () => feed.listed() })),
        stop: () => feedSub?.unsubscribe(),
      },
      { leaderOnly: false },
    );
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
  }

  const retention = new Retention({ store, log, metrics, namespace: watchNamespace, ttlMs: config.RETENTION_TTL, max: config.RETENTION_MAX });
  if (runController) {
    let controllerSub: Subscription | undefined;
    let learningSub: Subscription | undefined;
    mgr.add(
      {
        name: 'controller',
        start: async () => {
          queue.start((key) => reconciler.reconcile(key));
          controllerSub = informer!.subscribe({
            labelSelector: controllerSel,
            onEvent: (type, inc) => {
              const key = reconciler.observe(type, inc);
              if (key) queue.add(key);
            },
          });
          // Learning from people: a finished incident is enqueued only when its feedback annotations changed.
          learningSub = informer!.subscribe({
            labelSelector: andSelectors(FINISHED_SELECTOR, shardSel),
            onEvent: (type, inc) => {
              const key = reconciler.observeFinished(type, inc);
              if (key) queue.add(key);
            },
          });
          await Promise.all([controllerSub.synced, learningSub.synced]);
        },
        // Stops taking work and lets the step in flight finish and persist.
        stop: async () => {
          controllerSub?.unsubscribe();
          learningSub?.unsubscribe();
          await queue.shutdown();
          await events.flush();
        },
      },
      { leaderOnly: true },
    );
    // Once per cluster: shard 0 sweeps every shard's finished incidents.
    if (config.SHARD === 0) mgr.add({ name: 'retention', start: () => retention.start(), stop: () => retention.stop() }, { leaderOnly: true });
    if (notifier) {
      let notifierSub: Subscription | undefined;
      mgr.add(
        {
          name: 'notifier',
          start: async () => {
            notifier.start();
            notifierSub = informer!.subscribe({ labelSelector: shardSel, onEvent: (type, inc) => notifier.observe(type, inc) });
            await notifierSub.synced;
          },
          stop: async () => {
            notifierSub?.unsubscribe();
            await notifier.stop();
          },
        },
        { leaderOnly: true },
      );
    }
    if (gitops) {
      let gitopsSub: Subscription | undefined;
      mgr.add(
        {
          name: 'gitops',
          start: async () => {
            gitops.start();
            gitopsSub = informer!.subscribe({ labelSelector: shardSel, onEvent: (type, inc) => gitops.observe(type, inc) });
            await gitopsSub.synced;
          },
          stop: async () => {
            gitopsSub?.unsubscribe();
            await gitops.stop();
          },
        },
        { leaderOnly: true },
      );
    }
    if (tickets) {
      let ticketsSub: Subscription | undefined;
      mgr.add(
        {
          name: 'tickets',
          start: async () => {
            tickets.start();
            ticketsSub = informer!.subscribe({ labelSelector: shardSel, onEvent: (type, inc) => tickets.observe(type, inc) });
            await ticketsSub.synced;
          },
          stop: async () => {
            ticketsSub?.unsubscribe();
            await tickets.stop();
          },
        },
        { leaderOnly: true },
      );
    }
  }
  await mgr.start();
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
    tickets,
    informer,
    leading: () => mgr.leading(),
    async stop() {
      // Stop taking work, let the step in flight finish and persist, then hand the lease over at once.
      webhookServer.close();
      webServer?.close();
      webServer?.closeAllConnections();
      // an approval's Event is queued, not awaited: it goes out before the process does
      await webEvents?.flush();
      // the leader's runnables (the step in flight finishes), the lease handed over, then the rest
      await mgr.stop();
      webhookServer.closeAllConnections();
      metricsServer.closeAllConnections();
      await Promise.all([new Promise((r) => webhookServer.close(r)), new Promise((r) => metricsServer.close(r))]);
      await tools.close();
      clusters?.stop();
      await dispatch?.close();
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
/** How far set_hpa_max_replicas and set_quota_hard may raise a bound in one change. */
function raiseBounds(config: Config): RaiseBounds {
  return { hpaMaxReplicasLimit: config.FIX_HPA_MAX_REPLICAS_LIMIT, hpaMaxFactor: config.FIX_HPA_MAX_FACTOR, quotaMaxFactor: config.FIX_QUOTA_MAX_FACTOR };
}

/** How far expand_pvc may grow a claim in one change (FIX_PVC_MAX_SIZE, FIX_PVC_MAX_FACTOR). */
function pvcExpansion(config: Config): PvcExpansionBounds {
  return { maxBytes: parseQuantity(config.FIX_PVC_MAX_SIZE) ?? 2 ** 40, maxFactor: config.FIX_PVC_MAX_FACTOR };
}

function prometheusSource(config: Config): PrometheusSource | undefined {
  if (!config.PROMETHEUS_URL) return undefined;
  return {
    url: config.PROMETHEUS_URL,
    bearerToken: config.PROMETHEUS_BEARER_TOKEN,
    bearerTokenFile: config.PROMETHEUS_BEARER_TOKEN_FILE,
    timeoutMs: config.PROMETHEUS_TIMEOUT,
  };
}

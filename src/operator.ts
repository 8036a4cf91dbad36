// Wiring: the list of what runs. The only place that knows every part; each is built in src/operator/:
// the clients and the informer (runtime.ts), the engine(s) (engine.ts), the controller (controller.ts),
// the queues beside it (queues.ts), what listens (servers.ts).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from './config.js';
import type { IncidentReconciler } from './controller/reconciler.js';
import { Retention } from './controller/retention.js';
import type { Investigator } from './incident/contracts.js';
import type { Tenancy } from './incident/tenancy.js';
import type { AlertIncident } from './incident/types.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Informer } from './runtime/informer.js';
import type { Manager } from './runtime/manager.js';
import type { WorkQueue } from './runtime/queue.js';
import type { ToolManager } from './tools/manager.js';
import { addLeaderRunnables, buildController } from './operator/controller.js';
import { buildEngines, type Engines } from './operator/engine.js';
import { buildSideQueues, loadNotifications } from './operator/queues.js';
import { addWatches, buildClients, incidentInformer, runnableManager, selectionOf } from './operator/runtime.js';
import { checkWebhookExposure, serveMetrics, serveWebView, serveWebhook, type WebView } from './operator/servers.js';
// Notifications and the web view are imported only when configured (src/operator/queues.ts, servers.ts):
// nodemailer, marked and sanitize-html are several MB of memory that most operators never use.
import type { Notifier } from './notify/notifier.js';
import type { Ticketer } from './tickets/ticketer.js';

export { loadRunbooks } from './operator/engine.js';

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

export async function startOperator(config: Config, log: Logger, o: OperatorOverrides = {}): Promise<Operator> {
  checkWebhookExposure(config, log);
  // The clients, the one informer of AlertIncidents and the manager of what runs (src/operator/runtime.ts).
  const clients = buildClients(o.kubeConfig, o.onKubeRequest, config.CLUSTERS_ENABLED);
  const runController = o.controller ?? true;
  const selection = selectionOf(config);
  const notifications = await loadNotifications(config, o.notifications);
  const informer = incidentInformer(config, log, clients, selection, runController);
  const mgr = runnableManager(config, log, clients, runController, () => o.onLeadershipLost?.());

  // The engine (one per cluster with many clusters), the controller on it, the queues beside it.
  const tenancy: Tenancy = { mode: config.INCIDENT_NAMESPACE_MODE, operatorNamespace: config.NAMESPACE };
  const engines = await buildEngines(config, log, { clients, informer, mgr, tenancy, watchNamespace: selection.watchNamespace, investigator: o.investigator });
  const controller = buildController(config, log, clients, engines, informer, mgr);
  const queues = await buildSideQueues(config, log, { clients, informer, tenancy, notifications, tickets: o.tickets, gitProvider: o.gitProvider, clusters: engines.multi?.registry });

  // The faces that listen on every replica; then what runs, in order: the informer first, then who reads it.
  const webhookServer = await serveWebhook(config, log, clients, mgr, informer, engines.multi?.registry);
  const metricsServer = await serveMetrics(config, clients.metrics);
  addWatches(mgr, config, informer, engines.multi?.registry);
  const web = config.WEB_ENABLED ? await serveWebView(config, log, clients, mgr, informer!) : undefined;
  const retention = new Retention({ store: clients.store, log, metrics: clients.metrics, namespace: selection.watchNamespace, ttlMs: config.RETENTION_TTL, max: config.RETENTION_MAX });
  if (runController) addLeaderRunnables(mgr, config, { controller, retention, queues, informer: informer!, selection });

  await mgr.start();
  const urls = urlsOf(webhookServer, metricsServer, web);
  log.info('alert-agent started', {
    webhook: urls.webhookUrl,
    metrics: urls.metricsUrl,
    web: urls.webUrl ?? 'off',
    namespace: config.NAMESPACE,
    shard: config.SHARD_COUNT > 1 ? `${config.SHARD} of ${config.SHARD_COUNT}` : 'off',
    investigator: engines.investigator.kind,
    policy: config.POLICY_MODE,
    tools: engines.tools.list().length,
  });
  return {
    ...urls,
    metrics: clients.metrics,
    queue: controller.queue,
    reconciler: controller.reconciler,
    tools: engines.tools,
    retention,
    notifier: queues.notifier,
    tickets: queues.tickets,
    informer,
    leading: () => mgr.leading(),
    stop: () => stopOperator({ mgr, webhookServer, metricsServer, web, engines, notifier: queues.notifier }),
  };
}

function urlsOf(webhookServer: Server, metricsServer: Server, web: WebView | undefined): Pick<Operator, 'webhookUrl' | 'metricsUrl' | 'webUrl'> {
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { webhookUrl: `${url(webhookServer)}/api/v1/alerts`, metricsUrl: `${url(metricsServer)}/metrics`, webUrl: web ? url(web.server) : undefined };
}

/** Stop taking work, let the step in flight finish and persist, then hand the lease over at once. */
async function stopOperator(p: { mgr: Manager; webhookServer: Server; metricsServer: Server; web?: WebView; engines: Engines; notifier?: Notifier }): Promise<void> {
  const { mgr, webhookServer, metricsServer, web } = p;
  webhookServer.close();
  web?.server.close();
  web?.server.closeAllConnections();
  // an approval's Event is queued, not awaited: it goes out before the process does
  await web?.events.flush();
  // the leader's runnables (the step in flight finishes), the lease handed over, then the rest
  await mgr.stop();
  webhookServer.closeAllConnections();
  metricsServer.closeAllConnections();
  await Promise.all([new Promise((r) => webhookServer.close(r)), new Promise((r) => metricsServer.close(r))]);
  await p.engines.tools.close();
  p.engines.multi?.registry.stop();
  await p.engines.multi?.dispatch.close();
  p.notifier?.close();
}

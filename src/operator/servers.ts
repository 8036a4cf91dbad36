// What listens: the webhook (every replica), the metrics and health port, and the web view when
// WEB_ENABLED. Each resolves once its port listens.
import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import type { Config } from '../config.js';
import type { AlertIncident } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createEventRecorder } from '../runtime/events.js';
import type { Informer, Subscription } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import { expressServer } from '../util/http.js';
import { createWebhookApp, type ClusterTokens } from '../webhook/app.js';
import { webhookExposure } from '../webhook/exposure.js';
import { AlertIntake } from '../webhook/intake.js';
import type { Clients } from './runtime.js';

/** Before anything connects or listens: an open webhook beyond loopback is refused unless configured so. */
export function checkWebhookExposure(config: Config, log: Logger): void {
  const { warning: openWebhook } = webhookExposure(config);
  if (openWebhook) log.warn(openWebhook, { host: config.WEBHOOK_HOST, port: config.WEBHOOK_PORT });
}

/** `clusterTokens`: many clusters, the registry of the clusters (their webhook tokens); it runs on every replica, as the webhook does. */
export async function serveWebhook(config: Config, log: Logger, c: Clients, mgr: Manager, informer: Informer<AlertIncident> | undefined, clusterTokens?: ClusterTokens): Promise<Server> {
  const { metrics, store } = c;
  const intake = new AlertIntake(store, {
    namespace: config.NAMESPACE,
    namespaceMode: config.INCIDENT_NAMESPACE_MODE,
    shardCount: config.SHARD_COUNT,
    shardBy: config.SHARD_BY,
    clusters: config.CLUSTERS_ENABLED ? { label: config.CLUSTER_LABEL, local: config.LOCAL_CLUSTER_NAME, unlabelled: config.UNLABELLED_ALERTS_CLUSTER } : undefined,
  });
  const app = createWebhookApp({
    intake,
    log,
    metrics,
    bearerToken: config.WEBHOOK_BEARER_TOKEN,
    clusterTokens,
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
  return webhookServer;
}

export async function serveMetrics(config: Config, metrics: Metrics): Promise<Server> {
  const metricsApp = express();
  metricsApp.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  metricsApp.get('/healthz', (_req, res) => void res.send('ok'));
  const metricsServer = metricsApp.listen(config.METRICS_PORT, config.WEBHOOK_HOST);
  await once(metricsServer, 'listening');
  return metricsServer;
}

export interface WebView {
  server: Server;
  /** The recorder of approvals' Events: flushed on stop, before the process goes. */
  events: ReturnType<typeof createEventRecorder>;
}

/**
 * The web view runs on every replica, leader or not: its feed reads every incident, finished ones too.
 * Its modules (marked, sanitize-html) are imported only here, when WEB_ENABLED.
 */
export async function serveWebView(config: Config, log: Logger, c: Clients, mgr: Manager, informer: Informer<AlertIncident>): Promise<WebView> {
  const { kc, store } = c;
  const [{ IncidentFeed }, { createWebApp }] = await Promise.all([import('../web/feed.js'), import('../web/server.js')]);
  const feed = new IncidentFeed();
  let feedSub: Subscription | undefined;
  mgr.add(
    {
      name: 'web feed',
      start: () => void (feedSub = informer.subscribe({ onEvent: (type, inc) => feed.onEvent(type, inc), onSynced: () => feed.listed() })),
      stop: () => feedSub?.unsubscribe(),
    },
    { leaderOnly: false },
  );
  const events = createEventRecorder(kc, 'alert-agent-web', log);
  const webApp = createWebApp({
    kc,
    store,
    feed,
    log,
    events,
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
  const server = webApp.listen(config.WEB_PORT, config.WEBHOOK_HOST);
  await once(server, 'listening');
  return { server, events };
}

// The HTTP face of the operator for AlertManager: POST /api/v1/alerts (+ health). It knows nothing of the
// controller or the LLM: it only turns payloads into stored AlertIncidents and says whether it could.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { apiErrorMessage } from '../incident/store.js';
import { AlertIntake, UnstorableAlertError, type StoreResult } from './intake.js';
import { z } from 'zod';
import { DEFAULT_MAX_ALERTS, MAX_JSON_DEPTH, WebhookPayload, describeIssues, findLoneSurrogate, jsonDepthExceeds } from './payload.js';
import { GenericAlert, fromGeneric, fromGrafana, genericAlerts } from './sources.js';
import { describeInvalidUtf8, invalidUtf8Offset } from './utf8.js';

export interface WebhookOptions {
  intake: AlertIntake;
  log: Logger;
  metrics?: Metrics;
  bearerToken?: string;
  maxBodyBytes: number;
  /** More alerts in one payload get 413 (WEBHOOK_MAX_ALERTS; AlertManager's `max_alerts` should match). */
  maxAlerts?: number;
  /** Many clusters: the clusters' own webhook tokens (keys `webhook-token` of their Secrets). */
  clusterTokens?: ClusterTokens;
  /** Extra readiness check (API reachable, CRD installed); the webhook is ready when it resolves true. */
  ready?: () => Promise<boolean>;
}

/** Many clusters: which cluster a bearer token is (clusters/registry.ts). */
export interface ClusterTokens {
  /** Whether the clusters' Secrets were listed once: before that, an unknown token may be a cluster's. */
  readonly synced: boolean;
  /** The clusters whose webhook token this is (several: a token two Secrets share, refused). */
  clustersOfToken(token: string): string[];
}

export function createWebhookApp(opts: WebhookOptions): express.Express {
  const { log, metrics } = opts;
  const h: Handling = { intake: opts.intake, log, metrics, maxAlerts: opts.maxAlerts ?? DEFAULT_MAX_ALERTS };
  const app = express();
  app.disable('x-powered-by');
  // Every answer is a fresh JSON of a few bytes: hashing it for an ETag (express's default) helps no one.
  app.set('etag', false);

  app.use((req, res, next) => {
    res.on('finish', () => {
      if (req.path.startsWith('/api/')) metrics?.webhookRequests.inc({ code: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', async (_req, res) => {
    const ok = opts.ready ? await opts.ready().catch(() => false) : true;
    res.status(ok ? 200 : 503).type('text/plain').send(ok ? 'ok' : 'not ready');
  });

  const auth = bearerAuth(opts);
  const body = jsonBody(opts.maxBodyBytes);
  // Many clusters: an AlertManager whose alerts carry no cluster label posts to its cluster's path, and
  // its alerts without the label belong to that cluster (README "Many clusters").
  app.post('/api/v1/alerts', auth, body, (req, res) => alertmanager(h, req, res, tokenSender(res)));
  app.post('/api/v1/alerts/clusters/:cluster', auth, body, (req, res) => clusterAlertmanager(h, req, res));
  // Grafana Alerting's webhook contact point (src/webhook/sources.ts): the same checks and intake.
  app.post('/api/v1/grafana', auth, body, (req, res) => grafana(h, req, res, tokenSender(res)));
  // Anything else: one alert, an array, or {"alerts": [...]} of {alertname, labels, annotations, startsAt, status}.
  app.post('/api/v1/generic', auth, body, (req, res) => generic(h, req, res, tokenSender(res)));

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found: AlertManager should POST to /api/v1/alerts (Grafana to /api/v1/grafana, anything else to /api/v1/generic)' });
  });
  app.use(errorHandler(log, opts.maxBodyBytes));
  return app;
}

/** What every alert route needs: where alerts go, what is logged and counted, the bound on alerts per payload. */
interface Handling {
  intake: AlertIntake;
  log: Logger;
  metrics?: Metrics;
  maxAlerts: number;
}

/**
 * The global token (WEBHOOK_BEARER_TOKEN) lets a sender speak for any cluster; a cluster's own token
 * (many clusters) makes the sender that cluster's, for the routes below (`res.locals.tokenCluster`).
 * Without a global token the webhook is open, as before, and a cluster token still binds its sender.
 * Tokens are compared as sha256 digests, in constant time, and never logged.
 */
function bearerAuth(opts: WebhookOptions): RequestHandler {
  const globalDigest = opts.bearerToken ? createHash('sha256').update(opts.bearerToken).digest() : undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (globalDigest && timingSafeEqual(createHash('sha256').update(given).digest(), globalDigest)) return next();
    const tokens = opts.clusterTokens;
    const clusters = given && tokens ? tokens.clustersOfToken(given) : [];
    if (clusters.length === 1) {
      res.locals.tokenCluster = clusters[0];
      return next();
    }
    if (clusters.length > 1) {
      opts.log.warn('a webhook token is the token of several clusters; refused', { clusters: clusters.join(', ') });
      res.status(403).json({ error: `this token is the webhook token of several clusters (${clusters.join(', ')}): give each cluster its own` });
      return;
    }
    if (given && tokens && !tokens.synced) {
      // Maybe a cluster's token whose Secret is not listed yet: a 5xx, which AlertManager retries.
      res.status(503).json({ error: "the clusters' Secrets are not read yet: retry" });
      return;
    }
    if (!globalDigest) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'missing or wrong bearer token' });
  };
}

/**
 * AlertManager sends application/json; accept any content type so a curl without -H still works.
 * body-parser would decode invalid UTF-8 with replacement characters: `verify` refuses it first.
 */
function jsonBody(maxBodyBytes: number): RequestHandler {
  return express.json({
    limit: maxBodyBytes,
    type: () => true,
    strict: true,
    verify: (_req, _res, buf, encoding) => {
      if (encoding && !/^utf-?8$/i.test(encoding)) return; // utf-16/32 bodies: iconv decodes those
      const at = invalidUtf8Offset(buf);
      if (at >= 0) throw Object.assign(new Error(describeInvalidUtf8(buf, at)), { status: 400, type: 'encoding.invalid' });
    },
  });
}

/** Too deep, too many alerts, or a lone surrogate: answered here (true) before any schema runs. */
function refused(h: Handling, res: Response, count: number, body: unknown, source: string, groupKey?: string): boolean {
  const { log, maxAlerts } = h;
  // First, before anything walks the body: JSON.parse builds any depth without recursion, but a
  // recursive walk of 5000 levels overflows the stack (a 500 instead of a 400).
  if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
    const message = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
    log.warn('rejected webhook payload', { reason: message, source });
    res.status(400).json({ error: `invalid ${source} payload: ${message}` });
    return true;
  }
  // Counted before the schema, so a huge payload is not validated alert by alert first. AlertManager
  // does not retry a 4xx: its `max_alerts` is what keeps a large group under the bound.
  if (count > maxAlerts) {
    const message = `payload holds ${count} alerts, more than the ${maxAlerts} one payload may hold (WEBHOOK_MAX_ALERTS)${source === 'AlertManager' ? `: set max_alerts: ${maxAlerts} (or less) in AlertManager's webhook_config for this receiver` : ': send them in smaller batches'}`;
    log.warn('rejected webhook payload', { reason: message, groupKey, source });
    res.status(413).json({ error: message });
    return true;
  }
  const lone = findLoneSurrogate(body);
  if (lone) {
    const message = `${lone}: holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which no UTF-8 text can store`;
    log.warn('rejected webhook payload', { reason: message, source });
    res.status(400).json({ error: `invalid ${source} payload: ${message}` });
    return true;
  }
  return false;
}

/**
 * Many clusters: the cluster a sender speaks for. `byToken`: it presented that cluster's own token, and
 * may not speak for another; otherwise (a per-cluster path) only its unlabelled alerts are that cluster's.
 */
interface Sender {
  cluster: string;
  byToken: boolean;
}

const tokenSender = (res: Response): Sender | undefined => (res.locals.tokenCluster ? { cluster: res.locals.tokenCluster as string, byToken: true } : undefined);

/** Stores every alert of the payload, then answers: 200 only once all are stored. */
async function store(h: Handling, res: Response, payload: WebhookPayload, source: string, sender?: Sender): Promise<void> {
  const { intake, log, metrics } = h;
  const foreign = sender?.byToken ? intake.foreignAlert(payload, sender.cluster) : undefined;
  if (foreign) {
    // Nothing of the payload is stored: a member cluster's AlertManager cannot speak for another cluster.
    const message = `alert ${foreign.index} names cluster "${foreign.cluster.slice(0, 64)}" but the bearer token is cluster "${sender!.cluster}"'s: a cluster's token sends only that cluster's alerts`;
    log.warn('refused alerts for another cluster', { cluster: sender!.cluster, named: foreign.cluster.slice(0, 64), source });
    res.status(403).json({ error: message });
    return;
  }
  // Counted once per payload and label value (a counter's inc costs the same for 1 as for 100).
  const resolved = payload.alerts.filter((a) => a.status === 'resolved').length;
  if (payload.alerts.length > resolved) metrics?.alertsReceived.inc({ status: 'firing' }, payload.alerts.length - resolved);
  if (resolved) metrics?.alertsReceived.inc({ status: 'resolved' }, resolved);
  try {
    const results = await intake.ingest(payload, sender?.cluster);
    const created = results.filter((r) => r === 'created').length;
    const updated = results.length - created;
    if (metrics && intake.clustered) countStored(metrics, results, payload.alerts.map((a) => intake.clusterOf(a.labels, sender?.cluster)));
    else if (metrics) {
      if (created) metrics.alertsStored.inc({ result: 'created' }, created);
      if (updated) metrics.alertsStored.inc({ result: 'updated' }, updated);
    }
    // winston formats (timestamp, redaction) before its transports drop a line below their level:
    // ask first, or every request pays for a line that is never written.
    if (log.isInfoEnabled()) log.info('stored alerts', { alerts: results.length, created, updated, groupKey: payload.groupKey, source });
    res.status(200).json({ stored: results.length, created, updated });
  } catch (err) {
    if (err instanceof UnstorableAlertError) {
      log.warn('alert refused by the API server', { error: err.message, source });
      res.status(400).json({ error: `alert cannot be stored: ${err.message}` });
      return;
    }
    const message = apiErrorMessage(err);
    log.error(`could not store alerts; ${source} will retry`, { error: message });
    res.status(503).json({ error: `could not store the alerts, retry later: ${message}` });
  }
}

/** alertsStored, one inc per series (result, and with many clusters the alert's cluster) rather than per alert. */
function countStored(metrics: Metrics, results: StoreResult[], clusters: Array<string | undefined>): void {
  const series = new Map<string, { labels: { result: string; cluster?: string }; n: number }>();
  for (const [i, result] of results.entries()) {
    const labels = { result, ...metrics.clusterLabels(clusters[i]) };
    const key = `${labels.result}\n${labels.cluster ?? ''}`;
    const s = series.get(key);
    if (s) s.n++;
    else series.set(key, { labels, n: 1 });
  }
  for (const { labels, n } of series.values()) metrics.alertsStored.inc(labels, n);
}

async function alertmanager(h: Handling, req: Request, res: Response, sender?: Sender): Promise<void> {
  const count = Array.isArray(req.body?.alerts) ? req.body.alerts.length : 0;
  if (refused(h, res, count, req.body, 'AlertManager', req.body?.groupKey)) return;
  const parsed = WebhookPayload.safeParse(req.body);
  if (!parsed.success) {
    const message = describeIssues(parsed.error);
    h.log.warn('rejected webhook payload', { reason: message });
    res.status(400).json({ error: `invalid AlertManager payload: ${message}` });
    return;
  }
  const payload = parsed.data;
  if (payload.truncatedAlerts) {
    h.log.warn('AlertManager left alerts out of this notification (max_alerts)', { truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey });
  }
  await store(h, res, payload, 'AlertManager', sender);
}

function clusterAlertmanager(h: Handling, req: Request, res: Response): Promise<void> | undefined {
  const { intake } = h;
  const cluster = String(req.params.cluster);
  if (!intake.clustered || !/^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,252}$/.test(cluster)) {
    res.status(404).json({ error: intake.clustered ? `not a cluster name: ${cluster.slice(0, 64)}` : 'not found: many clusters are off (CLUSTERS_ENABLED); POST to /api/v1/alerts' });
    return;
  }
  const byToken = tokenSender(res);
  if (byToken && byToken.cluster !== cluster) {
    res.status(403).json({ error: `the bearer token is cluster "${byToken.cluster}"'s, not "${cluster.slice(0, 64)}"'s: a cluster's token posts only to its own path (or /api/v1/alerts)` });
    return;
  }
  return alertmanager(h, req, res, byToken ?? { cluster, byToken: false });
}

async function grafana(h: Handling, req: Request, res: Response, sender?: Sender): Promise<void> {
  const count = Array.isArray(req.body?.alerts) ? req.body.alerts.length : 0;
  if (refused(h, res, count, req.body, 'Grafana', req.body?.groupKey)) return;
  let converted: unknown;
  try {
    converted = fromGrafana(req.body).payload;
  } catch (err) {
    res.status(400).json({ error: `invalid Grafana payload: ${(err as Error).message}` });
    return;
  }
  const parsed = WebhookPayload.safeParse(converted);
  if (!parsed.success) {
    const message = describeIssues(parsed.error);
    h.log.warn('rejected Grafana payload', { reason: message });
    res.status(400).json({ error: `invalid Grafana payload: ${message}` });
    return;
  }
  if (parsed.data.truncatedAlerts) h.log.warn('Grafana left alerts out of this notification', { truncatedAlerts: parsed.data.truncatedAlerts });
  await store(h, res, parsed.data, 'Grafana', sender);
}

async function generic(h: Handling, req: Request, res: Response, sender?: Sender): Promise<void> {
  const raw = genericAlerts(req.body);
  if (refused(h, res, raw.length, req.body, 'generic')) return;
  if (raw.length === 0) {
    res.status(400).json({ error: 'invalid generic payload: it holds no alerts' });
    return;
  }
  const parsed = z.array(GenericAlert).safeParse(raw);
  if (!parsed.success) {
    const message = describeIssues(parsed.error);
    h.log.warn('rejected generic payload', { reason: message });
    res.status(400).json({ error: `invalid generic payload: ${message} (each alert: {alertname, startsAt, status?, labels?, annotations?, endsAt?, severity?, generatorURL?, fingerprint?})` });
    return;
  }
  const checked = WebhookPayload.safeParse(fromGeneric(parsed.data));
  if (!checked.success) {
    res.status(400).json({ error: `invalid generic payload: ${describeIssues(checked.error)}` });
    return;
  }
  await store(h, res, checked.data, 'generic', sender);
}

/** Body-parser errors (bad JSON, too large) and anything unexpected end here, as JSON a person can read. */
function errorHandler(log: Logger, maxBodyBytes: number) {
  return (err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'encoding.invalid') {
      log.warn('rejected webhook payload', { reason: err.message });
      res.status(400).json({ error: err.message });
    } else if (err.type === 'entity.too.large') {
      res.status(413).json({ error: `payload larger than ${maxBodyBytes} bytes` });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: `malformed JSON: ${err.message}` });
    } else if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message ?? 'bad request' });
    } else {
      log.error('webhook error', { error: err.message });
      res.status(500).json({ error: 'internal error' });
    }
  };
}

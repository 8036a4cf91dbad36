// The HTTP face of the operator for AlertManager: POST /api/v1/alerts (+ health). It knows nothing of the
// controller or the LLM: it only turns payloads into stored AlertIncidents and says whether it could.
import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { apiErrorMessage } from '../incident/store.js';
import { AlertIntake, UnstorableAlertError } from './intake.js';
import { DEFAULT_MAX_ALERTS, WebhookPayload, describeIssues, findLoneSurrogate } from './payload.js';
import { describeInvalidUtf8, invalidUtf8Offset } from './utf8.js';

export interface WebhookOptions {
  intake: AlertIntake;
  log: Logger;
  metrics?: Metrics;
  bearerToken?: string;
  maxBodyBytes: number;
  /** More alerts in one payload get 413 (WEBHOOK_MAX_ALERTS; AlertManager's `max_alerts` should match). */
  maxAlerts?: number;
  /** Extra readiness check (API reachable, CRD installed); the webhook is ready when it resolves true. */
  ready?: () => Promise<boolean>;
}

export function createWebhookApp(opts: WebhookOptions): express.Express {
  const { intake, log, metrics } = opts;
  const maxAlerts = opts.maxAlerts ?? DEFAULT_MAX_ALERTS;
  const app = express();
  app.disable('x-powered-by');

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

  const auth = (req: Request, res: Response, next: NextFunction) => {
    if (!opts.bearerToken) return next();
    const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(opts.bearerToken);
    if (a.length === b.length && timingSafeEqual(a, b)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'missing or wrong bearer token' });
  };

  // AlertManager sends application/json; accept any content type so a curl without -H still works.
  // body-parser would decode invalid UTF-8 with replacement characters: `verify` refuses it first.
  const body = express.json({
    limit: opts.maxBodyBytes,
    type: () => true,
    strict: true,
    verify: (_req, _res, buf, encoding) => {
      if (encoding && !/^utf-?8$/i.test(encoding)) return; // utf-16/32 bodies: iconv decodes those
      const at = invalidUtf8Offset(buf);
      if (at >= 0) throw Object.assign(new Error(describeInvalidUtf8(buf, at)), { status: 400, type: 'encoding.invalid' });
    },
  });

  app.post('/api/v1/alerts', auth, body, async (req, res) => {
    // Counted before the schema, so a huge payload is not validated alert by alert first. AlertManager
    // does not retry a 4xx: its `max_alerts` is what keeps a large group under the bound.
    const count = Array.isArray(req.body?.alerts) ? req.body.alerts.length : 0;
    if (count > maxAlerts) {
      const message = `payload holds ${count} alerts, more than the ${maxAlerts} one payload may hold (WEBHOOK_MAX_ALERTS): set max_alerts: ${maxAlerts} (or less) in AlertManager's webhook_config for this receiver`;
      log.warn('rejected webhook payload', { reason: message, groupKey: req.body?.groupKey });
      res.status(413).json({ error: message });
      return;
    }
    const lone = findLoneSurrogate(req.body);
    if (lone) {
      const message = `${lone}: holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which no UTF-8 text can store`;
      log.warn('rejected webhook payload', { reason: message });
      res.status(400).json({ error: `invalid AlertManager payload: ${message}` });
      return;
    }
    const parsed = WebhookPayload.safeParse(req.body);
    if (!parsed.success) {
      const message = describeIssues(parsed.error);
      log.warn('rejected webhook payload', { reason: message });
      res.status(400).json({ error: `invalid AlertManager payload: ${message}` });
      return;
    }
    const payload = parsed.data;
    if (payload.truncatedAlerts) {
      log.warn('AlertManager left alerts out of this notification (max_alerts)', { truncatedAlerts: payload.truncatedAlerts, groupKey: payload.groupKey });
    }
    for (const a of payload.alerts) metrics?.alertsReceived.inc({ status: a.status });
    try {
      const results = await intake.ingest(payload);
      for (const r of results) metrics?.alertsStored.inc({ result: r });
      const created = results.filter((r) => r === 'created').length;
      log.info('stored alerts', { alerts: results.length, created, updated: results.length - created, groupKey: payload.groupKey });
      res.status(200).json({ stored: results.length, created, updated: results.length - created });
    } catch (err) {
      if (err instanceof UnstorableAlertError) {
        log.warn('alert refused by the API server', { error: err.message });
        res.status(400).json({ error: `alert cannot be stored: ${err.message}` });
        return;
      }
      const message = apiErrorMessage(err);
      log.error('could not store alerts; AlertManager will retry', { error: message });
      res.status(503).json({ error: `could not store the alerts, retry later: ${message}` });
    }
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found: AlertManager should POST to /api/v1/alerts' });
  });

  // Body-parser errors (bad JSON, too large) and anything unexpected end here, as JSON a person can read.
  app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'encoding.invalid') {
      log.warn('rejected webhook payload', { reason: err.message });
      res.status(400).json({ error: err.message });
    } else if (err.type === 'entity.too.large') {
      res.status(413).json({ error: `payload larger than ${opts.maxBodyBytes} bytes` });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ error: `malformed JSON: ${err.message}` });
    } else if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message ?? 'bad request' });
    } else {
      log.error('webhook error', { error: err.message });
      res.status(500).json({ error: 'internal error' });
    }
  });
  return app;
}

// The HTTP face of the operator for AlertManager: POST /api/v1/alerts (+ health). It knows nothing of the
// controller or the LLM: it only turns payloads into stored AlertIncidents and says whether it could.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { apiErrorMessage } from '../incident/store.js';
import { AlertIntake, UnstorableAlertError } from './intake.js';
import { z } from 'zod';
import { DEFAULT_MAX_ALERTS, MAX_JSON_DEPTH, type WebhookPayload, describeIssues, findLoneSurrogate, jsonDepthExceeds, parseWebhookPayload } from './payload.js';
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
  /** Extra readiness check (API reachable, CRD installed); the webhook is ready when it resolves true. */
  ready?: () => Promise<boolean>;
}

export function createWebhookApp(opts: WebhookOptions): express.Express {
  const { intake, log, metrics } = opts;
  const maxAlerts = opts.maxAlerts ?? DEFAULT_MAX_ALERTS;
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

  const authorized = (header: string | undefined): boolean => {
    if (!opts.bearerToken) return true;
    const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(opts.bearerToken);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const auth = (req: Request, res: Response, next: NextFunction) => {
    if (authorized(req.get('authorization'))) return next();
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

  /** Too deep, too many alerts, or a lone surrogate: answered here (true) before any schema runs. */
  const refused = (res: Reply, count: number, body: unknown, source: string, groupKey?: string): boolean => {
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
  };

  /** Stores every alert of the payload, then answers: 200 only once all are stored. */
  const store = async (res: Reply, payload: WebhookPayload, source: string) => {
    // Counted once per payload and label value (a counter's inc costs the same for 1 as for 100).
    const resolved = payload.alerts.filter((a) => a.status === 'resolved').length;
    if (payload.alerts.length > resolved) metrics?.alertsReceived.inc({ status: 'firing' }, payload.alerts.length - resolved);
    if (resolved) metrics?.alertsReceived.inc({ status: 'resolved' }, resolved);
    try {
      const results = await intake.ingest(payload);
      const created = results.filter((r) => r === 'created').length;
      const updated = results.length - created;
      if (created) metrics?.alertsStored.inc({ result: 'created' }, created);
      if (updated) metrics?.alertsStored.inc({ result: 'updated' }, updated);
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
  };

  /** POST /api/v1/alerts once the body is parsed: by express's route, or by the lean path (leanAlerts). */
  const alertManager = async (res: Reply, body: any) => {
    const count = Array.isArray(body?.alerts) ? body.alerts.length : 0;
    if (refused(res, count, body, 'AlertManager', body?.groupKey)) return;
    const parsed = parseWebhookPayload(body);
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
    await store(res, payload, 'AlertManager');
  };
  app.post('/api/v1/alerts', auth, body, async (req, res) => alertManager(res, req.body));

  // Grafana Alerting's webhook contact point (src/webhook/sources.ts): the same checks and intake.
  app.post('/api/v1/grafana', auth, body, async (req, res) => {
    const count = Array.isArray(req.body?.alerts) ? req.body.alerts.length : 0;
    if (refused(res, count, req.body, 'Grafana', req.body?.groupKey)) return;
    let converted: unknown;
    try {
      converted = fromGrafana(req.body).payload;
    } catch (err) {
      res.status(400).json({ error: `invalid Grafana payload: ${(err as Error).message}` });
      return;
    }
    const parsed = parseWebhookPayload(converted);
    if (!parsed.success) {
      const message = describeIssues(parsed.error);
      log.warn('rejected Grafana payload', { reason: message });
      res.status(400).json({ error: `invalid Grafana payload: ${message}` });
      return;
    }
    if (parsed.data.truncatedAlerts) log.warn('Grafana left alerts out of this notification', { truncatedAlerts: parsed.data.truncatedAlerts });
    await store(res, parsed.data, 'Grafana');
  });

  // Anything else: one alert, an array, or {"alerts": [...]} of {alertname, labels, annotations, startsAt, status}.
  app.post('/api/v1/generic', auth, body, async (req, res) => {
    const raw = genericAlerts(req.body);
    if (refused(res, raw.length, req.body, 'generic')) return;
    if (raw.length === 0) {
      res.status(400).json({ error: 'invalid generic payload: it holds no alerts' });
      return;
    }
    const parsed = z.array(GenericAlert).safeParse(raw);
    if (!parsed.success) {
      const message = describeIssues(parsed.error);
      log.warn('rejected generic payload', { reason: message });
      res.status(400).json({ error: `invalid generic payload: ${message} (each alert: {alertname, startsAt, status?, labels?, annotations?, endsAt?, severity?, generatorURL?, fingerprint?})` });
      return;
    }
    const checked = parseWebhookPayload(fromGeneric(parsed.data));
    if (!checked.success) {
      res.status(400).json({ error: `invalid generic payload: ${describeIssues(checked.error)}` });
      return;
    }
    await store(res, checked.data, 'generic');
  });

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not found: AlertManager should POST to /api/v1/alerts (Grafana to /api/v1/grafana, anything else to /api/v1/generic)' });
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

  // The lean path: AlertManager's common request (POST /api/v1/alerts, a Content-Length within the bound,
  // JSON in UTF-8, no Content-Encoding, the token if one is required) is answered before express, with
  // the same checks and answers as the route above (the same functions; body-parser's reading rebuilt for
  // that one case). Express costs ~80 µs of set-up per request before its first middleware runs, and its
  // router and body-parser ~80 µs more: as much as the webhook's own work on a 1-alert payload apart from
  // the create. Anything else (another path or method, chunked, compressed, another charset, no or a
  // wrong token) goes to express untouched, body unread.
  const leanAlerts = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== '/api/v1/alerts') return false;
    const h = req.headers;
    if (h['content-encoding'] !== undefined && h['content-encoding'].toLowerCase() !== 'identity') return false;
    if (h['content-type'] !== undefined && !LEAN_CONTENT_TYPE.test(h['content-type'])) return false;
    const lengthHeader = h['content-length'];
    if (lengthHeader === undefined || !/^\d+$/.test(lengthHeader) || h['transfer-encoding'] !== undefined) return false;
    const length = Number(lengthHeader);
    if (length === 0 || length > opts.maxBodyBytes) return false;
    if (!authorized(h.authorization)) return false;

    res.on('finish', () => metrics?.webhookRequests.inc({ code: String(res.statusCode) }));
    const reply = leanReply(res);
    const chunks: Buffer[] = [];
    // A sender gone mid-body: nothing to answer (body-parser's 400 would go nowhere either).
    req.on('error', () => undefined);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const bad = invalidUtf8Offset(buf);
        if (bad >= 0) {
          const message = describeInvalidUtf8(buf, bad);
          log.warn('rejected webhook payload', { reason: message });
          reply.status(400).json({ error: message });
          return;
        }
        let parsed: unknown;
        try {
          parsed = parseJsonBody(buf.toString('utf8'));
        } catch (err) {
          reply.status(400).json({ error: `malformed JSON: ${(err as Error).message}` });
          return;
        }
        await alertManager(reply, parsed);
      })().catch((err: Error) => {
        log.error('webhook error', { error: err.message });
        if (!res.headersSent) reply.status(500).json({ error: 'internal error' });
      });
    });
    return true;
  };
  // operator.ts serves the app with app.listen: express's own listen (http.createServer(this).listen),
  // with the lean path in front.
  const listen = app.listen;
  app.listen = function (...args: unknown[]) {
    const front = (req: IncomingMessage, res: ServerResponse) => {
      if (!leanAlerts(req, res)) app(req as Request, res as Response);
    };
    return (listen as (...a: unknown[]) => ReturnType<typeof app.listen>).apply(front, args);
  } as typeof app.listen;
  return app;
}

/** What the handlers answer with: express's res, or the lean path's stand-in for it. */
interface Reply {
  status(code: number): { json(body: unknown): void };
}

function leanReply(res: ServerResponse): Reply {
  return {
    status: (code: number) => ({
      json(body: unknown) {
        // as express's res.json: JSON.stringify, this Content-Type, a Content-Length
        const text = JSON.stringify(body);
        res.writeHead(code, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      },
    }),
  };
}

// application/json with at most a UTF-8 charset, as AlertManager sends it (anything else: body-parser).
const LEAN_CONTENT_TYPE = /^application\/json\s*(;\s*charset=("?)utf-8\2\s*)?$/i;

const FIRST_NON_WHITESPACE = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/;

/**
 * body-parser's strict JSON (express.json({strict: true}), body-parser 2.x lib/types/json.js) on an
 * already valid UTF-8 text, with the same error messages: iconv drops a leading BOM, an empty body is {},
 * only an object or an array at the top, and a strict violation reads as JSON.parse would word it.
 */
export function parseJsonBody(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  if (body[0] !== '{' && body[0] !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(body)![1];
    if (first !== '{' && first !== '[') throw strictSyntaxError(body, first);
  }
  return JSON.parse(body);
}

function strictSyntaxError(str: string, char: string): SyntaxError {
  const index = str.indexOf(char);
  const partial = index !== -1 ? str.substring(0, index) + '#'.repeat(str.length - index) : '';
  try {
    JSON.parse(partial);
    return new SyntaxError('strict violation');
  } catch (e) {
    return new SyntaxError((e as Error).message.replace(/#+/g, (placeholder) => str.substring(index, index + placeholder.length)));
  }
}

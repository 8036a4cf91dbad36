// The web view: the incident list (live through server-sent events), the incident page, and approve /
// reject buttons that do exactly what `kubectl annotate ... alertagent.io/approve=<step>` does, for a
// person the cluster's RBAC lets patch the incident. Its own port (WEB_PORT), off unless WEB_ENABLED.
// The routes are in routes/: signing in (session.ts), reading (incidents.ts), deciding (decisions.ts).
import express from 'express';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { IncidentStore } from '../incident/store.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../observability/logger.js';
import { Access, kubeReviewer, type Reviewer, type WebAuthMode } from './auth.js';
import { APP_JS, STYLE_CSS } from './assets.js';
import type { IncidentFeed } from './feed.js';
import { Sessions } from './sessions.js';
import { DEFAULT_STREAM_LIMITS, LiveStreams } from './streams.js';
import { fail, type WebContext } from './routes/context.js';
import { addDecisionRoutes } from './routes/decisions.js';
import { addIncidentRoutes } from './routes/incidents.js';
import { addSessionRoutes, requireUser } from './routes/session.js';

export { CSRF_COOKIE, SESSION_COOKIE } from './routes/context.js';

export interface WebOptions {
  kc: KubeConfig;
  store: IncidentStore;
  feed: IncidentFeed;
  log: Logger;
  events: EventRecorder;
  auth: WebAuthMode;
  proxyUserHeader?: string;
  proxyGroupsHeader?: string;
  /** WEB_PROXY_SECRET / WEB_PROXY_SECRET_HEADER: required with auth=proxy. */
  proxySecret?: string;
  proxySecretHeader?: string;
  /** The URL people open (WEB_PUBLIC_URL). */
  publicUrl?: string;
  /** WEB_INSECURE_COOKIE: cookies without Secure (plain http on a host other than localhost). */
  insecureCookie?: boolean;
  /** WEB_SESSION_TTL, WEB_SESSION_REVIEW_INTERVAL, WEB_MAX_SESSIONS (defaults 8 h, 5 min, 10 000). */
  sessionTtlMs?: number;
  sessionReviewMs?: number;
  maxSessions?: number;
  /** WEB_STREAMS_PER_USER, WEB_STREAMS_MAX, WEB_STREAM_MAX_BUFFER_BYTES (defaults 8, 200, 1 MiB). */
  streamsPerUser?: number;
  streamsMax?: number;
  streamMaxBufferBytes?: number;
  /** Replaces the TokenReview / SubjectAccessReview client (unit tests). */
  reviewer?: Reviewer;
  /** How long a review's answer is reused (default 30 s). */
  reviewTtlMs?: number;
  /** The clock of sessions and review caches (unit tests). */
  now?: () => number;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function createWebApp(o: WebOptions): express.Express {
  const ctx = webContext(o);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/static/style.css', (_req, res) => void res.type('text/css').setHeader('Cache-Control', 'max-age=300').send(STYLE_CSS));
  app.get('/static/app.js', (_req, res) => void res.type('application/javascript').setHeader('Cache-Control', 'max-age=300').send(APP_JS));
  app.use(express.urlencoded({ extended: false, limit: '32kb' }));

  addSessionRoutes(app, ctx);
  // Everything below needs a user.
  app.use(requireUser(ctx));
  addIncidentRoutes(app, ctx);
  addDecisionRoutes(app, ctx);

  app.use((_req: express.Request, res: express.Response) => fail(res, 404, 'Not found.', res.locals.user));
  return app;
}

/** The parts every route shares, built once per app. */
function webContext(o: WebOptions): WebContext {
  const now = o.now ?? Date.now;
  const sessions = new Sessions({ ttlMs: o.sessionTtlMs ?? 8 * 3600_000, reviewMs: o.sessionReviewMs ?? 5 * 60_000, max: o.maxSessions ?? 10_000, now });
  const access = new Access(o.reviewer ?? kubeReviewer(o.kc), {
    mode: o.auth,
    proxyUserHeader: o.proxyUserHeader ?? 'X-Forwarded-User',
    proxyGroupsHeader: o.proxyGroupsHeader ?? 'X-Forwarded-Groups',
    proxySecret: o.proxySecret,
    proxySecretHeader: o.proxySecretHeader,
    sessions,
    ttlMs: o.reviewTtlMs,
    now,
  });
  const streams = new LiveStreams({
    feed: o.feed,
    access,
    log: o.log,
    limits: {
      perUser: o.streamsPerUser ?? DEFAULT_STREAM_LIMITS.perUser,
      total: o.streamsMax ?? DEFAULT_STREAM_LIMITS.total,
      maxBufferedBytes: o.streamMaxBufferBytes ?? DEFAULT_STREAM_LIMITS.maxBufferedBytes,
    },
  });
  const api = o.kc.makeApiClient(CustomObjectsApi);
  // Secure unless told otherwise: browsers accept Secure cookies on https and on http://localhost.
  const cookieAttrs = `Path=/; HttpOnly; SameSite=Strict${o.insecureCookie ? '' : '; Secure'}`;
  return { store: o.store, feed: o.feed, log: o.log, events: o.events, auth: o.auth, sessions, access, streams, api, cookieAttrs };
}

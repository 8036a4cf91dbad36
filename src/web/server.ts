// The web view: the incident list (live through server-sent events), the incident page, and approve /
// reject buttons that do exactly what `kubectl annotate ... alertagent.io/approve=<step>` does, for a
// person the cluster's RBAC lets patch the incident. Its own port (WEB_PORT), off unless WEB_ENABLED.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { stepToolName } from '../contracts/steps.js';
import { ANNOTATIONS, GROUP, PLURAL, VERSION, type AlertIncident } from '../incident/types.js';
import { LIMITS } from '../incident/limits.js';
import { apiErrorMessage, isConflict, isNotFound, type IncidentStore } from '../incident/store.js';
import type { EventRecorder } from '../runtime/events.js';
import type { Logger } from '../observability/logger.js';
import { Access, kubeReviewer, type Reviewer, type WebAuthMode, type WebUser } from './auth.js';
import { APP_JS, STYLE_CSS } from './assets.js';
import type { IncidentFeed, Row } from './feed.js';
import { Sessions } from './sessions.js';
import { DEFAULT_STREAM_LIMITS, LiveStreams } from './streams.js';
import { APPROVED_BY, FILTER_KEYS, REJECTED_BY, errorPage, incidentPage, incidentPath, listPage, loginPage, matches, type Filters } from './views.js';

export const SESSION_COOKIE = 'alertagent_session';
/** The cookie of earlier versions, which held the raw token: never read, cleared when seen. */
const OLD_TOKEN_COOKIE = 'alertagent_token';
export const CSRF_COOKIE = 'alertagent_csrf';

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

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      /* a malformed cookie is no cookie */
    }
  }
  return out;
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function filtersOf(req: Request): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = req.query[k];
    if (typeof v === 'string' && v) f[k] = v.slice(0, 253);
  }
  return f;
}

export function createWebApp(o: WebOptions): express.Express {
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

  const page = (res: Response, status: number, body: { value: string }) => void res.status(status).type('html').send(body.value);
  const fail = (res: Response, status: number, message: string, user?: WebUser) => page(res, status, errorPage(status, message, user));

  // Requests that change something: no cross-site form posts (Origin / Sec-Fetch-Site), and for
  // anything a browser authenticates by itself (cookie, proxy) the double-submit CSRF token.
  const crossSite = (req: Request) => {
    const site = req.headers['sec-fetch-site'];
    if (site) return site === 'cross-site' || site === 'same-site';
    const origin = req.headers.origin;
    if (!origin || origin === 'null') return false; // unknown: the CSRF token decides
    try {
      return new URL(origin).host !== req.headers.host;
    } catch {
      return true;
    }
  };
  const csrfOf = (req: Request, res: Response): string => {
    const have = cookies(req)[CSRF_COOKIE];
    if (have && /^[A-Za-z0-9_-]{20,}$/.test(have)) return have;
    const fresh = randomBytes(24).toString('base64url');
    res.append('Set-Cookie', `${CSRF_COOKIE}=${fresh}; ${cookieAttrs}`);
    return fresh;
  };

  app.get('/login', (req, res) => page(res, 200, loginPage({ proxy: o.auth === 'proxy', next: typeof req.query.next === 'string' ? req.query.next : '/' })));
  app.post('/login', async (req, res) => {
    if (crossSite(req)) return fail(res, 403, 'cross-site request refused');
    if (o.auth === 'proxy') return fail(res, 400, 'this view takes the identity from its authenticating proxy');
    const token = String(req.body?.token ?? '').trim();
    const next = String(req.body?.next ?? '/');
    const safeNext = next.startsWith('/') && !next.startsWith('//') ? next : '/';
    if (!token || token.length > 16_384) return page(res, 401, loginPage({ error: 'Give a bearer token.', next: safeNext }));
    let user;
    try {
      user = await access.review(token);
    } catch (err) {
      o.log.warn('web: TokenReview failed', { error: apiErrorMessage(err) });
      return page(res, 503, loginPage({ error: 'The API server could not review the token; try again.', next: safeNext }));
    }
    if (!user) return page(res, 401, loginPage({ error: 'The API server did not accept this token.', next: safeNext }));
    // The token stays here; the browser gets a random session id.
    sessions.delete(cookies(req)[SESSION_COOKIE]);
    res.append('Set-Cookie', `${SESSION_COOKIE}=${sessions.create(token, user)}; ${cookieAttrs}; Max-Age=${sessions.cookieMaxAge}`);
    res.redirect(303, safeNext);
  });
  app.post('/logout', (req, res) => {
    if (crossSite(req)) return fail(res, 403, 'cross-site request refused');
    sessions.delete(cookies(req)[SESSION_COOKIE]);
    res.append('Set-Cookie', `${SESSION_COOKIE}=; ${cookieAttrs}; Max-Age=0`);
    res.redirect(303, '/login');
  });

  // Everything below needs a user.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    let user: WebUser | undefined;
    try {
      user = await access.identify(req.headers, cookies(req)[SESSION_COOKIE]);
    } catch (err) {
      o.log.warn('web: TokenReview failed', { error: apiErrorMessage(err) });
      return fail(res, 503, 'The API server could not review the credentials; try again.');
    }
    if (!user) {
      if (cookies(req)[OLD_TOKEN_COOKIE] !== undefined) res.append('Set-Cookie', `${OLD_TOKEN_COOKIE}=; ${cookieAttrs}; Max-Age=0`);
      if (req.method === 'GET' && req.headers.authorization === undefined && (req.headers.accept ?? '').includes('text/html')) {
        return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      res.setHeader('WWW-Authenticate', 'Bearer');
      return fail(res, 401, o.auth === 'proxy' ? 'The authenticating proxy named no user.' : 'Sign in with a Kubernetes bearer token.');
    }
    res.locals.user = user;
    next();
  });
  const userOf = (res: Response) => res.locals.user as WebUser;
  const guarded = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) =>
    fn(req, res).catch((err) => {
      o.log.warn('web: request failed', { path: req.path, error: apiErrorMessage(err) });
      if (!res.headersSent) fail(res, 502, `The API server answered with an error: ${apiErrorMessage(err)}`, res.locals.user);
    });

  const visibleRows = async (user: WebUser): Promise<Row[]> => {
    const allowed = await access.listable(user, o.feed.namespaces());
    return o.feed.all().filter((r) => allowed.has(r.namespace));
  };

  app.get(
    '/',
    guarded(async (req, res) => {
      const user = userOf(res);
      const rows = await visibleRows(user);
      const filters = filtersOf(req);
      const uniq = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();
      page(res, 200, listPage({ user, rows: rows.filter((r) => matches(r, filters)), filters, severities: uniq(rows.map((r) => r.severity)), namespaces: uniq(rows.map((r) => r.namespace)), clusters: uniq(rows.map((r) => r.cluster)) }));
    }),
  );

  app.get(
    '/api/incidents',
    guarded(async (req, res) => {
      const filters = filtersOf(req);
      res.json({ items: (await visibleRows(userOf(res))).filter((r) => matches(r, filters)) });
    }),
  );

  app.get('/events', streams.handle);

  const related = async (user: WebUser, inc: AlertIncident): Promise<Row[]> => {
    const alertNs = inc.spec.labels.namespace ?? '';
    const rows = (await visibleRows(user)).filter(
      (r) => !(r.namespace === inc.metadata.namespace && r.name === inc.metadata.name) && (r.fingerprint === inc.spec.fingerprint || (r.alertname === inc.spec.alertname && r.alertNamespace === alertNs)),
    );
    return rows.slice(0, 10);
  };

  const NOTICES: Record<string, string> = {
    approved: 'Approved: the operator runs the step next.',
    rejected: 'Rejected: the operator goes on without it.',
    feedback: 'Thank you: the next incident of this alert will read what you said.',
  };

  /** The incident of /incidents/:ns/:name if the person may get it; otherwise the 403 or 404 page is sent. */
  const readable = async (req: Request, res: Response): Promise<AlertIncident | undefined> => {
    const user = userOf(res);
    const { ns, name } = req.params as { ns: string; name: string };
    if (!(await access.can(user, 'get', ns, name))) return void fail(res, 403, `You may not get alertincidents in namespace ${ns}.`, user);
    const inc = await o.store.get(ns, name);
    if (!inc) return void fail(res, 404, `No incident ${ns}/${name}.`, user);
    return inc;
  };

  app.get(
    '/incidents/:ns/:name',
    guarded(async (req, res) => {
      const user = userOf(res);
      const { ns, name } = req.params as { ns: string; name: string };
      const inc = await readable(req, res);
      if (!inc) return;
      const canApprove = inc.status?.phase === 'AwaitingApproval' && (await access.can(user, 'patch', ns, name));
      const canFeedback = inc.status?.phase === 'Reported' && (await access.can(user, 'patch', ns, name));
      const notice = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
      page(res, 200, incidentPage({ user, inc, canApprove, canFeedback, csrf: csrfOf(req, res), related: await related(user, inc), notice }));
    }),
  );

  app.get(
    '/incidents/:ns/:name/report.md',
    guarded(async (req, res) => {
      const inc = await readable(req, res);
      if (!inc) return;
      res.type('text/markdown; charset=utf-8').send(inc.status?.report ?? '');
    }),
  );

  const decide = (decision: 'approve' | 'reject') =>
    guarded(async (req, res) => {
      const user = userOf(res);
      const { ns, name } = req.params as { ns: string; name: string };
      if (crossSite(req)) return fail(res, 403, 'cross-site request refused', user);
      if (!(await access.can(user, 'patch', ns, name))) return fail(res, 403, `You may not patch alertincidents in namespace ${ns}, so you may not ${decision} its actions.`, user);
      if (user.via !== 'header') {
        const sent = String(req.body?.csrf ?? '');
        const have = cookies(req)[CSRF_COOKIE] ?? '';
        if (!sameString(sent, have)) return fail(res, 403, 'The form is stale or was not sent by this page (CSRF token mismatch): reload the incident and try again.', user);
      }
      const step = Number(req.body?.step);
      if (!Number.isInteger(step) || step < 1) return fail(res, 400, 'Which step? (a positive step index)', user);
      // A rejection may say why: the next incident of this alert reads it (src/context/feedback.ts).
      const reason = decision === 'reject' ? String(req.body?.reason ?? '').trim().slice(0, LIMITS.feedbackText) : '';
      const inc = await o.store.get(ns, name);
      if (!inc) return fail(res, 404, `No incident ${ns}/${name}.`, user);
      const last = inc.status?.steps?.at(-1);
      if (inc.status?.phase !== 'AwaitingApproval' || last?.state !== 'AwaitingApproval' || last.index !== step) {
        return fail(res, 409, `Step ${step} of ${name} is not waiting for approval (any more).`, user);
      }
      const ann = inc.metadata.annotations ?? {};
      const key = decision === 'approve' ? ANNOTATIONS.approve : ANNOTATIONS.reject;
      if (ann[key] === String(step)) return fail(res, 409, `Step ${step} was already ${decision}d${ann[decision === 'approve' ? APPROVED_BY : REJECTED_BY] ? ` by ${ann[decision === 'approve' ? APPROVED_BY : REJECTED_BY]}` : ''}.`, user);
      try {
        // Conditional on the version read: the step approved is the step shown.
        await api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: ns,
            plural: PLURAL,
            name,
            body: { metadata: { resourceVersion: inc.metadata.resourceVersion, annotations: { [key]: String(step), [decision === 'approve' ? APPROVED_BY : REJECTED_BY]: user.username, ...(reason ? { [ANNOTATIONS.rejectReason]: reason } : {}) } } },
          },
          mergePatch,
        );
      } catch (err) {
        if (isConflict(err)) return fail(res, 409, 'The incident changed while you looked at it: reload it and decide again.', user);
        if (isNotFound(err)) return fail(res, 404, `No incident ${ns}/${name}.`, user);
        throw err;
      }
      const tool = stepToolName(last);
      await o.events(inc, 'Normal', decision === 'approve' ? 'ApprovedInWebView' : 'RejectedInWebView', `step ${step} (${tool} ${last.arguments ?? ''}) ${decision}d by ${user.username} in the web view`);
      o.log.info(`web: step ${decision}d`, { incident: `${ns}/${name}`, step, user: user.username });
      res.redirect(303, `${incidentPath(ns, name)}?done=${decision}d`);
    });
  app.post('/incidents/:ns/:name/approve', decide('approve'));
  app.post('/incidents/:ns/:name/reject', decide('reject'));

  // A verdict on a finished report, with the actual cause when it was wrong: what `kubectl alertincident
  // feedback` sets, with the same authorization as approving (patch on the incident) and feedback-by pinned
  // to the signed-in user, as the admission policy pins it.
  app.post(
    '/incidents/:ns/:name/feedback',
    guarded(async (req, res) => {
      const user = userOf(res);
      const { ns, name } = req.params as { ns: string; name: string };
      if (crossSite(req)) return fail(res, 403, 'cross-site request refused', user);
      if (!(await access.can(user, 'patch', ns, name))) return fail(res, 403, `You may not patch alertincidents in namespace ${ns}, so you may not give feedback on its report.`, user);
      if (user.via !== 'header' && !sameString(String(req.body?.csrf ?? ''), cookies(req)[CSRF_COOKIE] ?? '')) {
        return fail(res, 403, 'The form is stale or was not sent by this page (CSRF token mismatch): reload the incident and try again.', user);
      }
      const verdict = String(req.body?.verdict ?? '');
      if (verdict !== 'correct' && verdict !== 'wrong') return fail(res, 400, 'Say whether the report was correct or wrong.', user);
      const cause = String(req.body?.cause ?? '').trim().slice(0, LIMITS.feedbackText);
      const inc = await o.store.get(ns, name);
      if (!inc) return fail(res, 404, `No incident ${ns}/${name}.`, user);
      if (inc.status?.phase !== 'Reported') return fail(res, 409, `${name} has no finished report to judge yet.`, user);
      // A report marked correct has no other actual cause: one given before is removed (null in a merge patch).
      const actual = cause ? { [ANNOTATIONS.actualCause]: cause } : verdict === 'correct' ? { [ANNOTATIONS.actualCause]: null } : {};
      try {
        await api.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { metadata: { annotations: { [ANNOTATIONS.feedback]: verdict, [ANNOTATIONS.feedbackBy]: user.username, ...actual } } } },
          mergePatch,
        );
      } catch (err) {
        if (isNotFound(err)) return fail(res, 404, `No incident ${ns}/${name}.`, user);
        throw err;
      }
      await o.events(inc, 'Normal', 'FeedbackInWebView', `report marked ${verdict} by ${user.username} in the web view${cause ? `; actual cause: ${cause.slice(0, 300)}` : ''}`);
      o.log.info('web: report feedback', { incident: `${ns}/${name}`, verdict, user: user.username });
      res.redirect(303, `${incidentPath(ns, name)}?done=feedback`);
    }),
  );

  app.use((_req: Request, res: Response) => fail(res, 404, 'Not found.', res.locals.user));
  return app;
}

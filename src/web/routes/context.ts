// What every route of the web view shares: the parts built once per app (sessions, access reviews, live
// streams, the API client), how a request's cookies and filters are read, and how a page or an error is
// answered.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { apiErrorMessage, type IncidentStore } from '../../incident/store.js';
import type { Logger } from '../../observability/logger.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Access, WebAuthMode, WebUser } from '../auth.js';
import type { IncidentFeed } from '../feed.js';
import type { Sessions } from '../sessions.js';
import type { LiveStreams } from '../streams.js';
import { FILTER_KEYS, errorPage, type Filters } from '../views.js';

export const SESSION_COOKIE = 'alertagent_session';
/** The cookie of earlier versions, which held the raw token: never read, cleared when seen. */
export const OLD_TOKEN_COOKIE = 'alertagent_token';
export const CSRF_COOKIE = 'alertagent_csrf';

export interface WebContext {
  store: IncidentStore;
  feed: IncidentFeed;
  log: Logger;
  events: EventRecorder;
  auth: WebAuthMode;
  sessions: Sessions;
  access: Access;
  streams: LiveStreams;
  api: CustomObjectsApi;
  /** The attributes of every cookie set: Secure unless WEB_INSECURE_COOKIE. */
  cookieAttrs: string;
}

export function cookies(req: Request): Record<string, string> {
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

export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function filtersOf(req: Request): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = req.query[k];
    if (typeof v === 'string' && v) f[k] = v.slice(0, 253);
  }
  return f;
}

export const page = (res: Response, status: number, body: { value: string }) => void res.status(status).type('html').send(body.value);
export const fail = (res: Response, status: number, message: string, user?: WebUser) => page(res, status, errorPage(status, message, user));

/**
 * Requests that change something: no cross-site form posts (Origin / Sec-Fetch-Site), and for
 * anything a browser authenticates by itself (cookie, proxy) the double-submit CSRF token (csrfOf).
 */
export function crossSite(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site) return site === 'cross-site' || site === 'same-site';
  const origin = req.headers.origin;
  if (!origin || origin === 'null') return false; // unknown: the CSRF token decides
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export function csrfOf(ctx: WebContext, req: Request, res: Response): string {
  const have = cookies(req)[CSRF_COOKIE];
  if (have && /^[A-Za-z0-9_-]{20,}$/.test(have)) return have;
  const fresh = randomBytes(24).toString('base64url');
  res.append('Set-Cookie', `${CSRF_COOKIE}=${fresh}; ${ctx.cookieAttrs}`);
  return fresh;
}

/** The signed-in user: set by the routes' guard (routes/session.ts) before any route that reads it. */
export const userOf = (res: Response) => res.locals.user as WebUser;

/** A route that reads the API server: its error becomes a 502 page (when nothing was sent yet) and a log line. */
export const guarded = (ctx: WebContext, fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) =>
  fn(req, res).catch((err) => {
    ctx.log.warn('web: request failed', { path: req.path, error: apiErrorMessage(err) });
    if (!res.headersSent) fail(res, 502, `The API server answered with an error: ${apiErrorMessage(err)}`, res.locals.user);
  });

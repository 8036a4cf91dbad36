// Signing in and out, and the guard before every other route: who the person is (a session, a bearer
// token, or the authenticating proxy's headers), or the login page / 401 when no one.
import type { Express, NextFunction, Request, Response } from 'express';
import { apiErrorMessage } from '../../incident/store.js';
import type { WebUser } from '../auth.js';
import { loginPage } from '../views.js';
import { OLD_TOKEN_COOKIE, SESSION_COOKIE, cookies, crossSite, fail, page, type WebContext } from './context.js';

export function addSessionRoutes(app: Express, ctx: WebContext): void {
  const { access, sessions, cookieAttrs } = ctx;
  app.get('/login', (req, res) => page(res, 200, loginPage({ proxy: ctx.auth === 'proxy', next: typeof req.query.next === 'string' ? req.query.next : '/' })));
  app.post('/login', async (req, res) => {
    if (crossSite(req)) return fail(res, 403, 'cross-site request refused');
    if (ctx.auth === 'proxy') return fail(res, 400, 'this view takes the identity from its authenticating proxy');
    const token = String(req.body?.token ?? '').trim();
    const next = String(req.body?.next ?? '/');
    const safeNext = next.startsWith('/') && !next.startsWith('//') ? next : '/';
    if (!token || token.length > 16_384) return page(res, 401, loginPage({ error: 'Give a bearer token.', next: safeNext }));
    let user;
    try {
      user = await access.review(token);
    } catch (err) {
      ctx.log.warn('web: TokenReview failed', { error: apiErrorMessage(err) });
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
}

/** Everything after this guard needs a user: it is put in res.locals.user (routes/context.ts userOf). */
export function requireUser(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    let user: WebUser | undefined;
    try {
      user = await ctx.access.identify(req.headers, cookies(req)[SESSION_COOKIE]);
    } catch (err) {
      ctx.log.warn('web: TokenReview failed', { error: apiErrorMessage(err) });
      return fail(res, 503, 'The API server could not review the credentials; try again.');
    }
    if (!user) {
      if (cookies(req)[OLD_TOKEN_COOKIE] !== undefined) res.append('Set-Cookie', `${OLD_TOKEN_COOKIE}=; ${ctx.cookieAttrs}; Max-Age=0`);
      if (req.method === 'GET' && req.headers.authorization === undefined && (req.headers.accept ?? '').includes('text/html')) {
        return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
      }
      res.setHeader('WWW-Authenticate', 'Bearer');
      return fail(res, 401, ctx.auth === 'proxy' ? 'The authenticating proxy named no user.' : 'Sign in with a Kubernetes bearer token.');
    }
    res.locals.user = user;
    next();
  };
}

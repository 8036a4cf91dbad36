// What a person reads: the incident list (a page, its JSON, its live stream) and one incident's page and
// report, each limited to the namespaces the person may get alertincidents in.
import type { Express, Request, Response } from 'express';
import type { AlertIncident } from '../../incident/types.js';
import type { WebUser } from '../auth.js';
import type { Row } from '../feed.js';
import { incidentPage, listPage, matches } from '../views.js';
import { csrfOf, fail, filtersOf, guarded, page, userOf, type WebContext } from './context.js';

const NOTICES: Record<string, string> = {
  approved: 'Approved: the operator runs the step next.',
  rejected: 'Rejected: the operator goes on without it.',
  feedback: 'Thank you: the next incident of this alert will read what you said.',
};

export function addIncidentRoutes(app: Express, ctx: WebContext): void {
  app.get(
    '/',
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const rows = await visibleRows(ctx, user);
      const filters = filtersOf(req);
      const uniq = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();
      page(res, 200, listPage({ user, rows: rows.filter((r) => matches(r, filters)), filters, severities: uniq(rows.map((r) => r.severity)), namespaces: uniq(rows.map((r) => r.namespace)), clusters: uniq(rows.map((r) => r.cluster)) }));
    }),
  );

  app.get(
    '/api/incidents',
    guarded(ctx, async (req, res) => {
      const filters = filtersOf(req);
      res.json({ items: (await visibleRows(ctx, userOf(res))).filter((r) => matches(r, filters)) });
    }),
  );

  app.get('/events', ctx.streams.handle);

  app.get(
    '/incidents/:ns/:name',
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const { ns, name } = req.params as { ns: string; name: string };
      const inc = await readable(ctx, req, res);
      if (!inc) return;
      const canApprove = inc.status?.phase === 'AwaitingApproval' && (await ctx.access.can(user, 'patch', ns, name));
      const canFeedback = inc.status?.phase === 'Reported' && (await ctx.access.can(user, 'patch', ns, name));
      const notice = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
      page(res, 200, incidentPage({ user, inc, canApprove, canFeedback, csrf: csrfOf(ctx, req, res), related: await related(ctx, user, inc), notice }));
    }),
  );

  app.get(
    '/incidents/:ns/:name/report.md',
    guarded(ctx, async (req, res) => {
      const inc = await readable(ctx, req, res);
      if (!inc) return;
      res.type('text/markdown; charset=utf-8').send(inc.status?.report ?? '');
    }),
  );
}

async function visibleRows(ctx: WebContext, user: WebUser): Promise<Row[]> {
  const allowed = await ctx.access.listable(user, ctx.feed.namespaces());
  return ctx.feed.all().filter((r) => allowed.has(r.namespace));
}

async function related(ctx: WebContext, user: WebUser, inc: AlertIncident): Promise<Row[]> {
  const alertNs = inc.spec.labels.namespace ?? '';
  const rows = (await visibleRows(ctx, user)).filter(
    (r) => !(r.namespace === inc.metadata.namespace && r.name === inc.metadata.name) && (r.fingerprint === inc.spec.fingerprint || (r.alertname === inc.spec.alertname && r.alertNamespace === alertNs)),
  );
  return rows.slice(0, 10);
}

/** The incident of /incidents/:ns/:name if the person may get it; otherwise the 403 or 404 page is sent. */
async function readable(ctx: WebContext, req: Request, res: Response): Promise<AlertIncident | undefined> {
  const user = userOf(res);
  const { ns, name } = req.params as { ns: string; name: string };
  if (!(await ctx.access.can(user, 'get', ns, name))) return void fail(res, 403, `You may not get alertincidents in namespace ${ns}.`, user);
  const inc = await ctx.store.get(ns, name);
  if (!inc) return void fail(res, 404, `No incident ${ns}/${name}.`, user);
  return inc;
}

// What a person decides: approve or reject the step waiting for approval (what `kubectl annotate ...
// alertagent.io/approve=<step>` does), and a verdict on a finished report. Each needs patch on the
// incident, a same-site request, and (unless the identity came in a header) the CSRF token.
import type { Express } from 'express';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { stepToolName } from '../../contracts/steps.js';
import { LIMITS } from '../../incident/limits.js';
import { isConflict, isNotFound } from '../../incident/store.js';
import { ANNOTATIONS, GROUP, PLURAL, VERSION } from '../../incident/types.js';
import { APPROVED_BY, REJECTED_BY, incidentPath } from '../views.js';
import { CSRF_COOKIE, cookies, crossSite, fail, guarded, sameString, userOf, type WebContext } from './context.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function addDecisionRoutes(app: Express, ctx: WebContext): void {
  app.post('/incidents/:ns/:name/approve', decide(ctx, 'approve'));
  app.post('/incidents/:ns/:name/reject', decide(ctx, 'reject'));
  app.post('/incidents/:ns/:name/feedback', feedback(ctx));
}

function decide(ctx: WebContext, decision: 'approve' | 'reject') {
  return guarded(ctx, async (req, res) => {
    const user = userOf(res);
    const { ns, name } = req.params as { ns: string; name: string };
    if (crossSite(req)) return fail(res, 403, 'cross-site request refused', user);
    if (!(await ctx.access.can(user, 'patch', ns, name))) return fail(res, 403, `You may not patch alertincidents in namespace ${ns}, so you may not ${decision} its actions.`, user);
    if (user.via !== 'header') {
      const sent = String(req.body?.csrf ?? '');
      const have = cookies(req)[CSRF_COOKIE] ?? '';
      if (!sameString(sent, have)) return fail(res, 403, 'The form is stale or was not sent by this page (CSRF token mismatch): reload the incident and try again.', user);
    }
    const step = Number(req.body?.step);
    if (!Number.isInteger(step) || step < 1) return fail(res, 400, 'Which step? (a positive step index)', user);
    // A rejection may say why: the next incident of this alert reads it (src/context/feedback.ts).
    const reason = decision === 'reject' ? String(req.body?.reason ?? '').trim().slice(0, LIMITS.feedbackText) : '';
    const inc = await ctx.store.get(ns, name);
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
      await ctx.api.patchNamespacedCustomObject(
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
    await ctx.events(inc, 'Normal', decision === 'approve' ? 'ApprovedInWebView' : 'RejectedInWebView', `step ${step} (${tool} ${last.arguments ?? ''}) ${decision}d by ${user.username} in the web view`);
    ctx.log.info(`web: step ${decision}d`, { incident: `${ns}/${name}`, step, user: user.username });
    res.redirect(303, `${incidentPath(ns, name)}?done=${decision}d`);
  });
}

/**
 * A verdict on a finished report, with the actual cause when it was wrong: what `kubectl alertincident
 * feedback` sets, with the same authorization as approving (patch on the incident) and feedback-by pinned
 * to the signed-in user, as the admission policy pins it.
 */
function feedback(ctx: WebContext) {
  return guarded(ctx, async (req, res) => {
    const user = userOf(res);
    const { ns, name } = req.params as { ns: string; name: string };
    if (crossSite(req)) return fail(res, 403, 'cross-site request refused', user);
    if (!(await ctx.access.can(user, 'patch', ns, name))) return fail(res, 403, `You may not patch alertincidents in namespace ${ns}, so you may not give feedback on its report.`, user);
    if (user.via !== 'header' && !sameString(String(req.body?.csrf ?? ''), cookies(req)[CSRF_COOKIE] ?? '')) {
      return fail(res, 403, 'The form is stale or was not sent by this page (CSRF token mismatch): reload the incident and try again.', user);
    }
    const verdict = String(req.body?.verdict ?? '');
    if (verdict !== 'correct' && verdict !== 'wrong') return fail(res, 400, 'Say whether the report was correct or wrong.', user);
    const cause = String(req.body?.cause ?? '').trim().slice(0, LIMITS.feedbackText);
    const inc = await ctx.store.get(ns, name);
    if (!inc) return fail(res, 404, `No incident ${ns}/${name}.`, user);
    if (inc.status?.phase !== 'Reported') return fail(res, 409, `${name} has no finished report to judge yet.`, user);
    // A report marked correct has no other actual cause: one given before is removed (null in a merge patch).
    const actual = cause ? { [ANNOTATIONS.actualCause]: cause } : verdict === 'correct' ? { [ANNOTATIONS.actualCause]: null } : {};
    try {
      await ctx.api.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body: { metadata: { annotations: { [ANNOTATIONS.feedback]: verdict, [ANNOTATIONS.feedbackBy]: user.username, ...actual } } } },
        mergePatch,
      );
    } catch (err) {
      if (isNotFound(err)) return fail(res, 404, `No incident ${ns}/${name}.`, user);
      throw err;
    }
    await ctx.events(inc, 'Normal', 'FeedbackInWebView', `report marked ${verdict} by ${user.username} in the web view${cause ? `; actual cause: ${cause.slice(0, 300)}` : ''}`);
    ctx.log.info('web: report feedback', { incident: `${ns}/${name}`, verdict, user: user.username });
    res.redirect(303, `${incidentPath(ns, name)}?done=feedback`);
  });
}

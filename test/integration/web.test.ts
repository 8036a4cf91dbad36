// The web view in a real browser (Debian's headless Chromium driven by playwright-core; no browser
// download) against the operator on the real apiserver with RBAC: people are ServiceAccounts with
// tokens from the TokenRequest API and namespaced Roles, exactly as a team would be.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Operator } from '../../src/operator.js';
import { Access, kubeReviewer } from '../../src/web/auth.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary, serviceAccountKubeconfig } from '../bed/shared.js';
import { startScriptedLlm, type Reply, type ScriptedLlm } from '../bed/scriptedLlm.js';
import { alert, byPosition, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, store, waitForIncident } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.WEB_SCREENSHOTS ? path.join(PROJECT_ROOT, 'docs') : undefined;

/** Debian's chromium, installed with apt when missing (so .ci/run passes on a fresh machine). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium'], { env, stdio: 'ignore', timeout: 900_000 });
}

let llm: ScriptedLlm;
let op: Operator;
let browser: Browser;
let opNs: string;
let teamA: string;
let teamB: string;
let approver: { token: string; user: string };
let viewer: { token: string; user: string };
const scripts: Record<string, Reply[]> = {};
const call = (name: string, args: object, content = 'Looking.'): Reply => ({ content, toolCalls: [{ name, arguments: args }] });
const resolve = (summary: string, rootCause: string): Reply => ({ toolCalls: [{ name: 'resolve_incident', arguments: { summary, root_cause: rootCause } }] });

// Markup that must stay text wherever it comes from: alert annotations, tool output, the model's report.
const EVIL_HTML = '<script>window.__pwned = "script"</script><img src="http://evil.invalid/i.png" onerror="window.__pwned=\'img\'"><iframe src="http://evil.invalid/f"></iframe>';
const EVIL_MD = '![tracker](http://evil.invalid/md.png) [click me](javascript:window.__pwned=1) <a href="http://evil.invalid/a" onclick="window.__pwned=2">a</a>';

async function person(ns: string, name: string, verbs: string[]): Promise<{ token: string; user: string }> {
  const file = await serviceAccountKubeconfig(ns, name);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules: [{ apiGroups: ['alertagent.io'], resources: ['alertincidents'], verbs }] } });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }] },
  });
  return { token: kc.getCurrentUser()!.token!, user: `system:serviceaccount:${ns}:${name}` };
}

async function fire(name: string, ns: string, over: Record<string, unknown> = {}) {
  const r = await post(op.webhookUrl, payload([alert({ alertname: name, namespace: ns }, over)]));
  expect(r.status).toBe(200);
}

/** A browser context signed in through the login form; records every request the pages make. */
async function signedIn(token: string): Promise<{ ctx: BrowserContext; page: Page; requests: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  ctx.on('request', (r) => requests.push(r.url()));
  const page = await ctx.newPage();
  await page.goto(`${op.webUrl}/`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Kubernetes bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${op.webUrl}/`, { waitUntil: 'domcontentloaded' }).catch(async (err) => {
    throw new Error(`${err}\nat ${page.url()}:\n${await page.content()}`);
  });
  return { ctx, page, requests };
}

const outside = (requests: string[]) => requests.filter((u) => !u.startsWith(op.webUrl!) && !u.startsWith('data:') && u !== 'about:blank');

beforeAll(async () => {
  ensureChromium();
  llm = await startScriptedLlm();
  llm.setResponder(byPosition(scripts, { content: `## Summary\n\nThe **report** of the scripted model.\n\n- one\n- two\n\n${EVIL_HTML}\n\n${EVIL_MD}` }));
  opNs = await createNamespace('web-op');
  teamA = await createNamespace('web-a');
  teamB = await createNamespace('web-b');
  approver = await person(teamA, 'alice', ['get', 'list', 'watch', 'patch']);
  viewer = await person(teamA, 'bob', ['get', 'list', 'watch']);
  await kubeConfig()
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({
      namespace: teamA,
      body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'example/web:1' }] } } } },
    });
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedConfigMap({ namespace: teamA, body: { metadata: { name: 'notes' }, data: { note: `${EVIL_HTML} ${EVIL_MD}` } } });
  op = await startTestOperator({
    namespace: opNs,
    env: { OPENAI_BASE_URL: llm.baseURL, POLICY_MODE: 'approve', INCIDENT_NAMESPACE_MODE: 'alert', APPROVAL_TIMEOUT: '120s', WEB_ENABLED: 'true', WEB_PORT: '0' },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await op?.stop();
  await llm?.stop();
});

it('asks for credentials: the pages redirect to the login form, the API answers 401, a bad token is refused', async () => {
  const page = await fetch(`${op.webUrl}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  expect(page.status).toBe(303);
  expect(page.headers.get('location')).toMatch(/^\/login/);
  expect((await fetch(`${op.webUrl}/api/incidents`)).status).toBe(401);
  expect((await fetch(`${op.webUrl}/api/incidents`, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
  const login = await fetch(`${op.webUrl}/login`, { method: 'POST', body: new URLSearchParams({ token: 'not-a-token' }), redirect: 'manual' });
  expect(login.status).toBe(401);
});

it('the list shows a newly created incident without a reload, and only from namespaces the person may list', async () => {
  scripts.WebLive = [resolve('live one', 'nothing')];
  scripts.WebOther = [resolve('other team', 'nothing')];
  const { ctx, page, requests } = await signedIn(viewer.token);
  await expect(page.getByTestId('user').textContent()).resolves.toBe(viewer.user);
  await page.waitForSelector('#live-state[data-state="open"]');
  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  await fire('WebOther', teamB);
  await fire('WebLive', teamA);
  const row = page.locator('#incidents tbody tr', { hasText: 'WebLive' });
  await row.waitFor({ timeout: 30_000 });
  // Live: the phase follows the investigation to the end, still without a reload.
  await page.locator('#incidents tbody tr', { hasText: 'WebLive' }).locator('.badge.phase-Reported').waitFor({ timeout: 60_000 });
  // The model resolved without proof (the alert still fires, nothing was verified): the list says so.
  await expect(row.locator('td.summary').textContent()).resolves.toBe('Not borne out: live one');
  expect(navigations).toBe(0);
  await waitForIncident(teamB, (i) => i.spec.alertname === 'WebOther' && finished(i));
  await page.reload();
  expect(await page.locator('#incidents tbody tr', { hasText: 'WebOther' }).count()).toBe(0);
  expect(await page.locator('#incidents').textContent()).not.toContain(teamB);
  expect(outside(requests)).toEqual([]);
  await ctx.close();
});

it('renders the report; markup injected through alert annotations, tool outputs and the report stays inert', async () => {
  scripts.WebInjected = [call('kubernetes__get_resource', { kind: 'ConfigMap', name: 'notes', namespace: teamA }, EVIL_HTML), resolve(`summary ${EVIL_HTML}`, `root cause ${EVIL_MD}`)];
  await fire('WebInjected', teamA, { annotations: { summary: EVIL_HTML, description: EVIL_MD } });
  const inc = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebInjected' && finished(i));
  expect(inc.status!.steps![0].result?.output ?? '').toContain('evil.invalid');
  const { ctx, page, requests } = await signedIn(approver.token);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(`${op.webUrl}/incidents/${teamA}/${inc.metadata.name}`);
  // Rendered: Markdown headings and lists are elements.
  const report = page.getByTestId('report');
  await expect(report.locator('h2', { hasText: 'Summary' }).count()).resolves.toBeGreaterThan(0);
  await expect(report.locator('strong', { hasText: 'report' }).count()).resolves.toBeGreaterThan(0);
  // Inert: no script, image, iframe or handler made it into the DOM; the markup shows as text.
  expect(await page.locator('script, img, iframe, [onerror], [onclick]').count()).toBe(0);
  expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
  await expect(page.locator('.kv dd', { hasText: '<script>' }).count()).resolves.toBeGreaterThan(0);
  // Open every folded output, so whatever it holds is laid out and shown.
  for (const d of await page.locator('details').all()) await d.locator('summary').click();
  await expect(page.locator('pre.output', { hasText: '<img src=' }).count()).resolves.toBeGreaterThan(0);
  expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
  expect(dialogs).toEqual([]);
  expect(outside(requests)).toEqual([]);
  await ctx.close();
});

it('approve: the page shows the step and arguments that run; a click runs the action once and records who approved', async () => {
  const args = { kind: 'Deployment', name: 'web', namespace: teamA, replicas: 3 };
  scripts.WebApprove = [call('kubernetes__scale', args, 'Scaling up.'), resolve('scaled web to 3', 'too few replicas')];
  await fire('WebApprove', teamA);
  let inc = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebApprove' && i.status?.phase === 'AwaitingApproval');
  const step = inc.status!.steps!.at(-1)!;
  const url = `${op.webUrl}/incidents/${teamA}/${inc.metadata.name}`;

  // A person without `patch`: no buttons, and 403 when posting anyway (header or cookie + CSRF).
  const denied = await fetch(`${url}/approve`, { method: 'POST', headers: { authorization: `Bearer ${viewer.token}` }, body: new URLSearchParams({ step: String(step.index) }) });
  expect(denied.status).toBe(403);
  const v = await signedIn(viewer.token);
  await v.page.goto(url);
  expect(await v.page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
  await expect(v.page.locator('.approval').textContent()).resolves.toContain('You may not approve');
  await v.ctx.close();

  const { ctx, page } = await signedIn(approver.token);
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'web-list.png'), fullPage: false });
  }
  await page.goto(url);
  await expect(page.getByRole('heading', { name: `Waiting for approval: step ${step.index}` }).count()).resolves.toBe(1);
  await expect(page.getByTestId('approval-tool').textContent()).resolves.toBe('kubernetes__scale');
  expect(JSON.parse((await page.getByTestId('approval-args').textContent())!)).toEqual(JSON.parse(step.arguments!));
  // And what it would change, from the API server's dry run of the same call (issue 22).
  await expect(page.getByTestId('approval-diff').textContent()).resolves.toBe(`Deployment ${teamA}/web (scale):\n  spec.replicas: 1 → 3`);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'web-approval.png'), fullPage: false });

  // Without the page's CSRF token the cookie alone is refused.
  const cookieHeader = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const forged = await fetch(`${url}/approve`, { method: 'POST', headers: { cookie: cookieHeader.replace(/alertagent_csrf=[^;]+/, 'alertagent_csrf=forgedforgedforgedforged') }, body: new URLSearchParams({ step: String(step.index), csrf: 'x' }), redirect: 'manual' });
  expect(forged.status).toBe(403);

  await page.getByRole('button', { name: `Approve step ${step.index}` }).click();
  await page.waitForURL(/done=approved/);
  await expect(page.getByTestId('approved-by').textContent()).resolves.toBe(approver.user);

  inc = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebApprove' && finished(i));
  expect(inc.metadata.annotations?.['alertagent.io/approve']).toBe(String(step.index));
  expect(inc.metadata.annotations?.['alertagent.io/approved-by']).toBe(approver.user);
  const scaleSteps = inc.status!.steps!.filter((s) => s.tool === 'scale');
  expect(scaleSteps).toHaveLength(1);
  expect(scaleSteps[0]).toMatchObject({ index: step.index, state: 'Succeeded', arguments: step.arguments });
  expect((await kubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: teamA })).spec?.replicas).toBe(3);
  const events = await kubectl(['get', 'events', '-n', teamA, '--field-selector', `involvedObject.name=${inc.metadata.name}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
  expect(events.stdout).toMatch(new RegExp(`ApprovedInWebView: step ${step.index} \\(kubernetes__scale .*\\) approved by ${approver.user}`));
  expect(events.stdout).toContain('ActionApproved');

  // A second approval of the same step (a double click, a stale tab) changes nothing.
  const again = await page.request.post(`${url}/approve`, { form: { step: String(step.index), csrf: (await ctx.cookies()).find((c) => c.name === 'alertagent_csrf')!.value } });
  expect(again.status()).toBe(409);
  await ctx.close();
});

it('kubectl alertincident (the plugin): approve runs the waiting step as the person, report prints the Markdown, open the URL', async () => {
  const args = { kind: 'Deployment', name: 'web', namespace: teamA, replicas: 4 };
  scripts.WebPlugin = [call('kubernetes__scale', args, 'Scaling up.'), resolve('scaled web to 4', 'too few replicas')];
  await fire('WebPlugin', teamA);
  const inc = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebPlugin' && i.status?.phase === 'AwaitingApproval');
  const b = (await import('../bed/shared.js')).bed();
  const plugin = (kubeconfig: string, ...a: string[]) =>
    runBedBinary('kubectl', ['alertincident', ...a, '-n', teamA], { env: { KUBECONFIG: kubeconfig, PATH: `${path.join(PROJECT_ROOT, 'scripts')}:${b.binDir}:${process.env.PATH}`, ALERTAGENT_WEB_URL: op.webUrl } });
  // bob may not patch: refused by the API server, nothing changes.
  const bobKc = await serviceAccountKubeconfig(teamA, 'bob');
  const refused = await plugin(bobKc, 'approve', inc.metadata.name);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/forbidden/i);
  const aliceKc = await serviceAccountKubeconfig(teamA, 'alice');
  expect((await plugin(aliceKc, 'approve', inc.metadata.name, '99')).code).not.toBe(0);
  const ok = await plugin(aliceKc, 'approve', inc.metadata.name);
  expect(ok.stdout).toContain(`step ${inc.status!.steps!.at(-1)!.index}: kubernetes__scale`);
  expect(ok.stdout).toContain(`approved by ${approver.user}`);
  const done = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebPlugin' && finished(i));
  expect(done.status!.steps!.filter((s) => s.tool === 'scale').map((s) => s.state)).toEqual(['Succeeded']);
  expect((await kubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'web', namespace: teamA })).spec?.replicas).toBe(4);
  const report = await plugin(bobKc, 'report', inc.metadata.name);
  expect(report.code).toBe(0);
  expect(report.stdout.trimEnd()).toBe(done.status!.report!.trimEnd());
  expect((await plugin(bobKc, 'open', inc.metadata.name)).stdout.trim()).toBe(`${op.webUrl}/incidents/${teamA}/${inc.metadata.name}`);
});

it('feedback: a person who may patch marks a finished report wrong with the actual cause; the controller records it; the plugin sets it too', async () => {
  const inc = await waitForIncident(teamA, (i) => i.spec.alertname === 'WebApprove' && finished(i));
  const url = `${op.webUrl}/incidents/${teamA}/${inc.metadata.name}`;
  const v = await signedIn(viewer.token);
  await v.page.goto(url);
  expect(await v.page.getByRole('button', { name: 'Wrong' }).count()).toBe(0);
  await v.ctx.close();
  const denied = await fetch(`${url}/feedback`, { method: 'POST', headers: { authorization: `Bearer ${viewer.token}` }, body: new URLSearchParams({ verdict: 'wrong' }) });
  expect(denied.status).toBe(403);

  const { ctx, page } = await signedIn(approver.token);
  await page.goto(url);
  await page.getByLabel('Actual cause (optional)').fill('the load test <b>doubled</b> traffic');
  await page.getByRole('button', { name: 'Wrong' }).click();
  await page.waitForURL(/done=feedback/);
  const marked = await waitForIncident(teamA, (i) => i.metadata.name === inc.metadata.name && i.status?.feedback?.verdict === 'wrong');
  expect(marked.metadata.annotations).toMatchObject({ 'alertagent.io/feedback': 'wrong', 'alertagent.io/feedback-by': approver.user, 'alertagent.io/actual-cause': 'the load test <b>doubled</b> traffic' });
  expect(marked.status!.feedback).toMatchObject({ verdict: 'wrong', by: approver.user, actualCause: 'the load test <b>doubled</b> traffic', inHistory: true });
  await page.goto(url);
  await expect(page.getByTestId('feedback-verdict').textContent()).resolves.toBe('wrong');
  await expect(page.getByTestId('feedback-cause').textContent()).resolves.toBe('the load test <b>doubled</b> traffic');
  await ctx.close();

  // The plugin, as alice: correct drops the earlier cause.
  const b = (await import('../bed/shared.js')).bed();
  const aliceKc = await serviceAccountKubeconfig(teamA, 'alice');
  const r = await runBedBinary('kubectl', ['alertincident', 'feedback', inc.metadata.name, 'correct', '-n', teamA], { env: { KUBECONFIG: aliceKc, PATH: `${path.join(PROJECT_ROOT, 'scripts')}:${b.binDir}:${process.env.PATH}` } });
  expect(r.stdout).toContain(`report marked correct by ${approver.user}`);
  const correct = await waitForIncident(teamA, (i) => i.metadata.name === inc.metadata.name && i.status?.feedback?.verdict === 'correct');
  expect(correct.status!.feedback!.actualCause).toBeUndefined();
});

it('a token without the verbs sees nothing of namespaces it may not list: 403 on their pages, nothing in the API or the live feed', async () => {
  scripts.WebHidden = [resolve('hidden', 'nothing')];
  await fire('WebHidden', teamB);
  const hidden = await waitForIncident(teamB, (i) => i.spec.alertname === 'WebHidden');
  const auth = { authorization: `Bearer ${viewer.token}` };
  const page = await fetch(`${op.webUrl}/incidents/${teamB}/${hidden.metadata.name}`, { headers: auth });
  expect(page.status).toBe(403);
  expect(await page.text()).not.toContain('WebHidden');
  expect((await fetch(`${op.webUrl}/incidents/${teamB}/${hidden.metadata.name}/report.md`, { headers: auth })).status).toBe(403);
  const api = (await (await fetch(`${op.webUrl}/api/incidents`, { headers: auth })).json()) as { items: Array<{ namespace: string }> };
  expect(api.items.length).toBeGreaterThan(0);
  expect(new Set(api.items.map((r) => r.namespace))).toEqual(new Set([teamA]));
  // The live feed: a change in team B is not sent, one in team A is.
  const ctrl = new AbortController();
  const res = await fetch(`${op.webUrl}/events`, { headers: auth, signal: ctrl.signal });
  let seen = '';
  const reading = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) seen += dec.decode(chunk);
  })().catch(() => undefined);
  await store().patchMetadata(teamB, hidden.metadata.name, { annotations: { 'example.com/touched': 'b' } });
  scripts.WebSeen = [resolve('seen', 'nothing')];
  await fire('WebSeen', teamA);
  await eventually(async () => seen.includes('WebSeen') || undefined, 30_000, 200);
  ctrl.abort();
  await reading;
  expect(seen).not.toContain(teamB);
  // And an admin (cluster-wide list) sees both.
  const adminToken = (await kubectl(['create', 'token', 'default', '-n', opNs])).stdout.trim();
  await kubectl(['create', 'clusterrolebinding', `web-admin-${opNs}`, '--clusterrole=cluster-admin', `--serviceaccount=${opNs}:default`]);
  await eventually(async () => {
    const all = (await (await fetch(`${op.webUrl}/api/incidents`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { items: Array<{ namespace: string }> };
    const nss = new Set(all.items.map((r) => r.namespace));
    return nss.has(teamA) && nss.has(teamB) ? true : undefined;
  }, 45_000, 1000);
});

it('anonymous-readonly asks the API server as system:anonymous: a visitor sees only the namespaces RBAC lets anonymous list', async () => {
  const open = await createNamespace('web-anon');
  const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace: open, body: { metadata: { name: 'anon-read' }, rules: [{ apiGroups: ['alertagent.io'], resources: ['alertincidents'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createNamespacedRoleBinding({
    namespace: open,
    body: { metadata: { name: 'anon-read' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'anon-read' }, subjects: [{ kind: 'Group', name: 'system:unauthenticated', apiGroup: 'rbac.authorization.k8s.io' }] },
  });
  // The operator's own reviewer (its ServiceAccount's rights do not matter: it only asks), no cache.
  const access = new Access(kubeReviewer(kubeConfig()), { mode: 'anonymous-readonly', proxyUserHeader: 'X-Forwarded-User', proxyGroupsHeader: 'X-Forwarded-Groups', ttlMs: 0 });
  const anon = (await access.identify({}, undefined))!;
  expect(anon).toMatchObject({ username: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' });
  await eventually(async () => (await access.can(anon, 'list', open)) || undefined, 30_000, 200);
  expect([...(await access.listable(anon, [open, teamA, teamB, opNs]))]).toEqual([open]);
  expect(await access.can(anon, 'get', teamA, 'anything')).toBe(false);
  expect(await access.can(anon, 'patch', open, 'anything')).toBe(false); // read only, whatever RBAC says
});

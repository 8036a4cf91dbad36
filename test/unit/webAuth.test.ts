// Who the web view believes: proxy headers only with the proxy's shared secret, a login that keeps the
// token on the server (the cookie holds a random session id), sessions that expire and are re-reviewed,
// and anonymous readers who see what SubjectAccessReview allows system:anonymous, not everything.
import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config.js';
import { listed, startWeb, type TestWeb } from './webFixture.js';

const SECRET = 'proxy-secret-0123456789abcdef';
const MIN = 60_000;

let web: TestWeb | undefined;
afterEach(async () => {
  await web?.close();
  web = undefined;
});

describe('WEB_AUTH=proxy', () => {
  const spoof = { 'x-forwarded-user': 'mallory', 'x-forwarded-groups': 'system:masters' };

  it('refuses to start without WEB_PROXY_SECRET', () => {
    expect(() => loadConfig({ NAMESPACE: 'x', WEB_AUTH: 'proxy' })).toThrow(ConfigError);
    expect(() => loadConfig({ NAMESPACE: 'x', WEB_AUTH: 'proxy' })).toThrow(/WEB_PROXY_SECRET/);
    expect(() => loadConfig({ NAMESPACE: 'x', WEB_AUTH: 'proxy', WEB_PROXY_SECRET: 'short' })).toThrow(/WEB_PROXY_SECRET/);
    expect(loadConfig({ NAMESPACE: 'x', WEB_AUTH: 'proxy', WEB_PROXY_SECRET: SECRET })).toMatchObject({ WEB_PROXY_SECRET: SECRET, WEB_PROXY_SECRET_HEADER: 'X-Alert-Agent-Proxy-Secret' });
  });

  it('identity headers without the secret, or with a wrong one, get 401; with the secret they name the user', async () => {
    web = await startWeb({ auth: 'proxy', proxySecret: SECRET });
    expect(await listed(web, spoof)).toBe(401);
    expect(await listed(web, { ...spoof, 'x-alert-agent-proxy-secret': 'wrong' })).toBe(401);
    expect(await listed(web, { ...spoof, 'x-alert-agent-proxy-secret': SECRET.slice(0, -1) + 'X' })).toBe(401);
    expect(await listed(web, { ...spoof, 'x-alert-agent-proxy-secret': `${SECRET} ` + SECRET })).toBe(401);
    expect(await listed(web, { ...spoof, 'x-alert-agent-proxy-secret': SECRET })).toEqual(['public', 'team-a', 'team-b']);
    expect(await listed(web, { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'team-a', 'x-alert-agent-proxy-secret': SECRET })).toEqual(['team-a']);
  });

  it('the header that carries the secret is configurable; the web app refuses proxy mode without a secret', async () => {
    web = await startWeb({ auth: 'proxy', proxySecret: SECRET, proxySecretHeader: 'X-Proxy-Proof' });
    expect(await listed(web, { ...spoof, 'x-alert-agent-proxy-secret': SECRET })).toBe(401);
    expect(await listed(web, { ...spoof, 'x-proxy-proof': SECRET })).toEqual(['public', 'team-a', 'team-b']);
    await web.close();
    web = undefined;
    await expect(startWeb({ auth: 'proxy' })).rejects.toThrow(/proxy secret/i);
  });
});

/** POST /login with a token; the Set-Cookie headers and the session cookie's value. */
async function login(w: TestWeb, token: string): Promise<{ status: number; setCookies: string[]; session?: string }> {
  const r = await fetch(`${w.url}/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
  const setCookies = r.headers.getSetCookie();
  const session = setCookies.map((c) => /^alertagent_session=([^;]*)/.exec(c)?.[1]).find(Boolean);
  return { status: r.status, setCookies, session };
}
const withSession = (id: string) => ({ cookie: `alertagent_session=${id}` });

describe('login sessions', () => {
  it('the cookie holds a random session id, not the token nor anything made from it; Secure by default', async () => {
    web = await startWeb();
    const a = await login(web, 'tok-alice');
    expect(a.status).toBe(303);
    expect(a.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const all = a.setCookies.join('\n');
    expect(all).not.toContain('tok-alice');
    for (const enc of ['hex', 'base64', 'base64url'] as const) expect(all).not.toContain(createHash('sha256').update('tok-alice').digest(enc));
    expect(all).not.toContain(Buffer.from('tok-alice').toString('base64'));
    // The same token twice: two unrelated ids.
    const b = await login(web, 'tok-alice');
    expect(b.session).not.toBe(a.session);
    for (const c of a.setCookies) expect(c).toMatch(/; Secure/);
    expect(a.setCookies.find((c) => c.startsWith('alertagent_session='))).toMatch(/HttpOnly; SameSite=Strict; Secure; Max-Age=28800/);
    expect(await listed(web, withSession(a.session!))).toEqual(['team-a']);
    expect(await listed(web, withSession(b.session!))).toEqual(['team-a']);
  });

  it('refuses the old cookie that held the raw token, and an unknown session id', async () => {
    web = await startWeb();
    expect(await listed(web, { cookie: 'alertagent_token=tok-alice' })).toBe(401);
    expect(await listed(web, withSession('A'.repeat(43)))).toBe(401);
    expect(await listed(web, { authorization: 'Bearer tok-alice' })).toEqual(['team-a']);
  });

  it('expires after WEB_SESSION_TTL, ends when a re-review no longer accepts the token, and at logout', async () => {
    web = await startWeb({ sessionTtlMs: 60 * MIN, sessionReviewMs: 5 * MIN });
    const s = (await login(web, 'tok-alice')).session!;
    const reviews = web.reviewer.tokenReviews;
    web.clock.now += 4 * MIN;
    expect(await listed(web, withSession(s))).toEqual(['team-a']);
    expect(web.reviewer.tokenReviews).toBe(reviews); // within the review interval: no new TokenReview
    web.clock.now += 2 * MIN;
    expect(await listed(web, withSession(s))).toEqual(['team-a']);
    expect(web.reviewer.tokenReviews).toBe(reviews + 1); // re-reviewed, still valid
    web.clock.now += 55 * MIN;
    expect(await listed(web, withSession(s))).toBe(401); // 61 minutes: past the TTL

    const bob = (await login(web, 'tok-bob')).session!;
    expect(await listed(web, withSession(bob))).toEqual(['team-b']);
    web.reviewer.tokens.delete('tok-bob'); // the token is revoked (or its ServiceAccount deleted)
    web.clock.now += 2 * MIN;
    expect(await listed(web, withSession(bob))).toEqual(['team-b']); // not yet re-reviewed
    web.clock.now += 4 * MIN;
    expect(await listed(web, withSession(bob))).toBe(401);

    const carol = (await login(web, 'tok-carol')).session!;
    const out = await fetch(`${web.url}/logout`, { method: 'POST', headers: withSession(carol), redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join('\n')).toMatch(/alertagent_session=;.*Max-Age=0/);
    expect(await listed(web, withSession(carol))).toBe(401); // the id is gone on the server, whatever the browser keeps
  });

  it('keeps at most WEB_MAX_SESSIONS: the oldest goes first', async () => {
    web = await startWeb({ maxSessions: 2 });
    const first = (await login(web, 'tok-alice')).session!;
    const second = (await login(web, 'tok-bob')).session!;
    const third = (await login(web, 'tok-carol')).session!;
    expect(await listed(web, withSession(first))).toBe(401);
    expect(await listed(web, withSession(second))).toEqual(['team-b']);
    expect(await listed(web, withSession(third))).toEqual(['team-a']);
  });

  it('WEB_INSECURE_COOKIE=true drops Secure (plain HTTP on a host name other than localhost)', async () => {
    web = await startWeb({ insecureCookie: true });
    const a = await login(web, 'tok-alice');
    expect(a.setCookies.length).toBeGreaterThan(0);
    for (const c of a.setCookies) expect(c).not.toMatch(/Secure/);
    expect(loadConfig({ NAMESPACE: 'x', WEB_INSECURE_COOKIE: 'true' }).WEB_INSECURE_COOKIE).toBe(true);
    // A public URL on plain http elsewhere than localhost would lose the Secure cookie: said at start-up.
    expect(() => loadConfig({ NAMESPACE: 'x', WEB_ENABLED: 'true', WEB_PUBLIC_URL: 'http://alerts.example.com' })).toThrow(/WEB_INSECURE_COOKIE/);
    expect(loadConfig({ NAMESPACE: 'x', WEB_ENABLED: 'true', WEB_PUBLIC_URL: 'http://alerts.example.com', WEB_INSECURE_COOKIE: 'true' }).WEB_INSECURE_COOKIE).toBe(true);
    expect(loadConfig({ NAMESPACE: 'x', WEB_ENABLED: 'true', WEB_PUBLIC_URL: 'http://127.0.0.1:8080' }).WEB_PUBLIC_URL).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ NAMESPACE: 'x' })).toMatchObject({ WEB_INSECURE_COOKIE: false, WEB_SESSION_TTL: 8 * 3600e3, WEB_SESSION_REVIEW_INTERVAL: 5 * MIN, WEB_MAX_SESSIONS: 10_000 });
  });
});

describe('WEB_AUTH=anonymous-readonly', () => {
  it('asks SubjectAccessReview as system:anonymous and shows only what it allows; never approves', async () => {
    web = await startWeb({ auth: 'anonymous-readonly' });
    expect(await listed(web, {})).toEqual(['public']);
    expect(web.reviewer.asked.length).toBeGreaterThan(0);
    for (const a of web.reviewer.asked) expect(a).toMatchObject({ user: 'system:anonymous', groups: ['system:unauthenticated'] });
    const page = await fetch(`${web.url}/incidents/team-a/inc-team-a`);
    expect(page.status).toBe(403);
    // Even where SAR would let system:anonymous patch, the anonymous reader approves nothing.
    web.reviewer.readers['*'] = ['system:unauthenticated'];
    const approve = await fetch(`${web.url}/incidents/public/inc-public/approve`, { method: 'POST', body: new URLSearchParams({ step: '1' }) });
    expect(approve.status).toBe(403);
    // A signed-in person is still reviewed as themself.
    expect(await listed(web, { authorization: 'Bearer tok-bob' })).toEqual(['team-b']);
  });
});

// The web view on a real HTTP server with a fake cluster: a Reviewer that answers TokenReviews and
// SubjectAccessReviews from tables, a feed filled by hand, no API server (the pages that read one are not
// what these tests look at).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../src/observability/logger.js';
import type { IncidentStore } from '../../src/incident/store.js';
import type { Reviewer, Verb, WebUser } from '../../src/web/auth.js';
import { IncidentFeed } from '../../src/web/feed.js';
import { createWebApp, type WebOptions } from '../../src/web/server.js';

type Who = Omit<WebUser, 'via'>;

/** Tokens the fake TokenReview accepts (delete one to revoke it), and who may do what where. */
export class FakeReviewer implements Reviewer {
  tokens = new Map<string, Who>([
    ['tok-alice', { username: 'alice', groups: ['team-a'] }],
    ['tok-bob', { username: 'bob', groups: ['team-b'] }],
    ['tok-carol', { username: 'carol', groups: ['team-a'] }],
  ]);
  /** namespace → groups that may get/list there ('*': any namespace, '' included). */
  readers: Record<string, string[]> = { 'team-a': ['team-a'], 'team-b': ['team-b'], public: ['system:unauthenticated'], '*': ['system:masters'] };
  tokenReviews = 0;
  asked: Array<{ user: string; groups: string[]; verb: Verb; namespace: string }> = [];

  async tokenReview(token: string): Promise<Who | undefined> {
    this.tokenReviews++;
    return this.tokens.get(token);
  }

  async canI(user: Who, verb: Verb, namespace: string): Promise<boolean> {
    this.asked.push({ user: user.username, groups: user.groups, verb, namespace });
    const may = (ns: string) => (this.readers[ns] ?? []).some((g) => user.groups.includes(g));
    return may('*') || (namespace !== '' && may(namespace));
  }
}

export function incident(namespace: string, name: string, summary = 'a summary'): unknown {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name, namespace, creationTimestamp: '2026-12-01T10:00:00Z' },
    spec: { alertname: 'KubePodCrashLooping', fingerprint: `fp-${name}`, status: 'firing', labels: { namespace }, annotations: {}, startsAt: '2026-12-01T10:00:00Z' },
    status: { phase: 'Analyzing', summary },
  };
}

export interface TestWeb {
  url: string;
  feed: IncidentFeed;
  reviewer: FakeReviewer;
  clock: { now: number };
  server: http.Server;
  close(): Promise<void>;
}

/**
 * The web view on 127.0.0.1:<random port>. `extra` is passed as WebOptions without type checks, so a test
 * can name options a build may not have yet (and fail on behaviour, not on compilation).
 */
export async function startWeb(extra: Record<string, unknown> = {}): Promise<TestWeb> {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'fake', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'nobody' });
  const feed = new IncidentFeed();
  for (const ns of ['team-a', 'team-b', 'public']) feed.apply('ADDED', incident(ns, `inc-${ns}`));
  feed.listed();
  const reviewer = new FakeReviewer();
  const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
  const store = { get: async () => undefined } as unknown as IncidentStore;
  const options = { kc, store, feed, log: silentLogger(), events: async () => undefined, auth: 'token', reviewer, now: () => clock.now, ...extra } as unknown as WebOptions;
  const server = createWebApp(options).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    feed,
    reviewer,
    clock,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The namespaces of the incidents /api/incidents lists for these headers (or the status when not 200). */
export async function listed(web: TestWeb, headers: Record<string, string>): Promise<string[] | number> {
  const r = await fetch(`${web.url}/api/incidents`, { headers });
  if (r.status !== 200) return r.status;
  return ((await r.json()) as { items: Array<{ namespace: string }> }).items.map((i) => i.namespace).sort();
}

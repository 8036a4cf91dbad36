// Who is asking, and may they? The cluster decides both: a bearer token is checked with a TokenReview
// (from the Authorization header, or kept in a server-side session by the login form), an authenticating
// proxy's headers name the user (WEB_AUTH=proxy, only with the proxy's shared secret), and every read or
// approval is then a SubjectAccessReview for that user on alertincidents in the namespace, anonymous
// readers included (as system:anonymous). The operator's own ServiceAccount only asks (tokenreviews
// create, subjectaccessreviews create); it never lends its rights: a person sees and approves exactly
// what `kubectl auth can-i` says they may.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../incident/types.js';
import type { Sessions } from './sessions.js';

export type WebAuthMode = 'token' | 'proxy' | 'anonymous-readonly';
export type Verb = 'get' | 'list' | 'watch' | 'patch';

export interface WebUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  /** How the user was identified: the session cookie set by the login form, an Authorization header, proxy headers, or nobody. */
  via: 'cookie' | 'header' | 'proxy' | 'anonymous';
}

/** The parts of the cluster's review APIs this module needs (tests can fake them). */
export interface Reviewer {
  tokenReview(token: string): Promise<Omit<WebUser, 'via'> | undefined>;
  canI(user: Omit<WebUser, 'via'>, verb: Verb, namespace: string, name?: string): Promise<boolean>;
}

export function kubeReviewer(kc: KubeConfig): Reviewer {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async tokenReview(token) {
      const r = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
      const u = r.status?.user;
      if (!r.status?.authenticated || !u?.username) return undefined;
      return { username: u.username, uid: u.uid, groups: u.groups ?? [], extra: u.extra };
    },
    async canI(user, verb, namespace, name) {
      const r = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra,
            resourceAttributes: { group: GROUP, resource: PLURAL, verb, namespace: namespace || undefined, name },
          },
        },
      });
      return r.status?.allowed === true && r.status?.denied !== true;
    },
  };
}

interface Cached<T> {
  value: T;
  until: number;
}

/** Caches reviews for a short while (a page and its live updates ask the same questions many times). */
export class Access {
  private readonly tokens = new Map<string, Cached<Omit<WebUser, 'via'> | undefined>>();
  private readonly decisions = new Map<string, Cached<boolean>>();

  constructor(
    private readonly reviewer: Reviewer,
    private readonly o: {
      mode: WebAuthMode;
      proxyUserHeader: string;
      proxyGroupsHeader: string;
      /** WEB_AUTH=proxy: the proxy proves itself with this secret in `proxySecretHeader` (required in that mode). */
      proxySecret?: string;
      proxySecretHeader?: string;
      sessions?: Sessions;
      ttlMs?: number;
      now?: () => number;
    },
  ) {
    if (o.mode === 'proxy' && !o.proxySecret) throw new Error('WEB_AUTH=proxy needs a proxy secret (WEB_PROXY_SECRET): the identity headers alone prove nothing');
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** The user behind a request's headers and session cookie, or undefined (then: log in, or 401). */
  async identify(headers: Record<string, string | string[] | undefined>, sessionId: string | undefined): Promise<WebUser | undefined> {
    const auth = one(headers['authorization']);
    const bearer = auth && /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (this.o.mode === 'proxy') {
      // Anyone who reaches the port can send identity headers: only the proxy knows the secret.
      if (!this.fromProxy(headers)) return undefined;
      const name = one(headers[this.o.proxyUserHeader.toLowerCase()])?.trim();
      if (!name) return undefined;
      const groups = (one(headers[this.o.proxyGroupsHeader.toLowerCase()]) ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      return { username: name, groups: [...new Set([...groups, 'system:authenticated'])], via: 'proxy' };
    }
    if (bearer) {
      const u = await this.review(bearer);
      return u && { ...u, via: 'header' };
    }
    if (sessionId) {
      const u = await this.o.sessions?.user(sessionId, (t) => this.review(t));
      if (u) return { ...u, via: 'cookie' };
    }
    if (this.o.mode === 'anonymous-readonly') return { username: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' };
    return undefined;
  }

  /** Constant time: both sides are hashed to 32 bytes first, so neither length nor content leaks. */
  private fromProxy(headers: Record<string, string | string[] | undefined>): boolean {
    const sent = one(headers[(this.o.proxySecretHeader ?? 'X-Alert-Agent-Proxy-Secret').toLowerCase()]);
    if (!sent || !this.o.proxySecret) return false;
    const digest = (s: string) => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(sent), digest(this.o.proxySecret));
  }

  async review(token: string): Promise<Omit<WebUser, 'via'> | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.tokens.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await this.reviewer.tokenReview(token);
    this.remember(this.tokens, key, value);
    return value;
  }

  /**
   * May this user do `verb` on alertincidents in `namespace` ('' = in every namespace)? An anonymous
   * reader (WEB_AUTH=anonymous-readonly) is asked about as system:anonymous like anyone else, so it sees
   * what the cluster lets anonymous requests read, and patches nothing whatever RBAC says.
   */
  async can(user: WebUser, verb: Verb, namespace: string, name?: string): Promise<boolean> {
    if (user.via === 'anonymous' && verb === 'patch') return false;
    const key = JSON.stringify([user.username, user.uid, user.groups, verb, namespace, name ?? '']);
    const hit = this.decisions.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await this.reviewer.canI(user, verb, namespace, name);
    this.remember(this.decisions, key, value);
    return value;
  }

  /** The namespaces among `namespaces` whose incidents this user may list. */
  async listable(user: WebUser, namespaces: Iterable<string>): Promise<Set<string>> {
    const all = [...new Set(namespaces)];
    if (await this.can(user, 'list', '')) return new Set(all);
    const ok = await Promise.all(all.map(async (ns) => [ns, await this.can(user, 'list', ns)] as const));
    return new Set(ok.filter(([, y]) => y).map(([ns]) => ns));
  }

  private remember<T>(m: Map<string, Cached<T>>, key: string, value: T): void {
    if (m.size > 5000) m.clear();
    m.set(key, { value, until: this.now() + (this.o.ttlMs ?? 30_000) });
  }
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

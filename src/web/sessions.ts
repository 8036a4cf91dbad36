// Login sessions of the web view. The login form's token stays in this process: the browser's cookie holds
// only a random id (32 bytes from crypto.randomBytes), so a stolen cookie is worth one session on this
// replica, never the person's Kubernetes credentials, and logout really ends it. A TokenReview says nothing
// of when a token expires, so a session has its own lifetime and its token is reviewed again every
// `reviewMs` (a revoked token, a deleted ServiceAccount end the session within that interval).
import { randomBytes } from 'node:crypto';
import type { WebUser } from './auth.js';

type Who = Omit<WebUser, 'via'>;

interface Session {
  token: string;
  user: Who;
  expires: number;
  reviewedAt: number;
}

export interface SessionOptions {
  ttlMs: number;
  reviewMs: number;
  max: number;
  now: () => number;
}

const ID = /^[A-Za-z0-9_-]{43}$/;

export class Sessions {
  // A Map keeps insertion order: the first entry is the oldest session, the one dropped when full.
  private readonly byId = new Map<string, Session>();

  constructor(private readonly o: SessionOptions) {}

  get size(): number {
    return this.byId.size;
  }

  /** A new session for a reviewed token; the id goes in the cookie. */
  create(token: string, user: Who): string {
    const id = randomBytes(32).toString('base64url');
    const now = this.o.now();
    // Sessions expire in the order they were made (one lifetime for all): drop the expired ones at the head,
    // then the oldest while full.
    for (const [old, s] of this.byId) {
      if (s.expires > now && this.byId.size < this.o.max) break;
      this.byId.delete(old);
    }
    this.byId.set(id, { token, user, expires: now + this.o.ttlMs, reviewedAt: now });
    return id;
  }

  /**
   * The user of a live session, re-reviewing its token when due (`review` is the TokenReview; undefined =
   * no longer accepted). Undefined for an unknown, expired or no longer accepted session.
   */
  async user(id: string | undefined, review: (token: string) => Promise<Who | undefined>): Promise<Who | undefined> {
    if (!id || !ID.test(id)) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    const now = this.o.now();
    if (now >= s.expires) {
      this.byId.delete(id);
      return undefined;
    }
    if (now - s.reviewedAt >= this.o.reviewMs) {
      const user = await review(s.token); // an API error propagates: 503, the session stays
      if (!user) {
        this.byId.delete(id);
        return undefined;
      }
      s.user = user;
      s.reviewedAt = now;
    }
    return s.user;
  }

  delete(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** Seconds the cookie should live: the session's lifetime. */
  get cookieMaxAge(): number {
    return Math.max(1, Math.floor(this.o.ttlMs / 1000));
  }
}

// The live feed (/events): server-sent events of the incident list, each after its namespace's review.
// Every open stream holds a socket and whatever it has not sent yet, so: streams are capped per user and
// in all (429 beyond), a stream stops writing when the socket pushes back (res.write returned false) and
// resumes on 'drain', and a stream whose unsent output passes a bound (a page that does not read, a
// phone gone to sleep) is closed; the page's EventSource reconnects and reloads the list. An event is
// serialised once and the same string is queued on every stream, so a backlog costs little per stream.
import type { Request, Response } from 'express';
import type { Logger } from '../observability/logger.js';
import type { Access, WebUser } from './auth.js';
import type { FeedEvent, IncidentFeed } from './feed.js';

export interface StreamLimits {
  /** Open streams one user may have (anonymous readers share one user). */
  perUser: number;
  total: number;
  /** Unsent bytes (the socket's buffer plus what waits for 'drain') beyond which a stream is closed. */
  maxBufferedBytes: number;
  heartbeatMs?: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { perUser: 8, total: 200, maxBufferedBytes: 1024 * 1024 };

// Events waiting for their namespace's review (normally answered from the cache at once). Bounded in
// count too, so a hung SubjectAccessReview cannot grow a queue without end.
const MAX_QUEUED_EVENTS = 10_000;

interface Queued {
  namespace: string;
  chunk: string;
}

export class LiveStreams {
  private readonly perUser = new Map<string, number>();
  private readonly chunks = new WeakMap<FeedEvent, string>();
  private open = 0;
  /** Streams closed for not reading (for tests and logs). */
  dropped = 0;

  constructor(private readonly o: { feed: IncidentFeed; access: Access; log: Logger; limits: StreamLimits }) {}

  get count(): number {
    return this.open;
  }

  /** The express handler of GET /events (after authentication: res.locals.user). */
  readonly handle = (_req: Request, res: Response): void => {
    const user = res.locals.user as WebUser;
    const { perUser, total } = this.o.limits;
    const mine = this.perUser.get(user.username) ?? 0;
    if (mine >= perUser || this.open >= total) {
      res.setHeader('Retry-After', '30');
      res.status(429).type('text/plain').send(mine >= perUser ? `Too many live updates open: at most ${perUser} live streams per user.` : 'Too many live updates open on this server; try again later.');
      return;
    }
    this.perUser.set(user.username, mine + 1);
    this.open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.open--;
      const n = (this.perUser.get(user.username) ?? 1) - 1;
      if (n > 0) this.perUser.set(user.username, n);
      else this.perUser.delete(user.username);
    };
    res.on('close', release);
    this.stream(res, user);
  };

  private chunkOf(e: FeedEvent): string {
    let c = this.chunks.get(e);
    if (c === undefined) {
      c = `event: ${e.type}\ndata: ${JSON.stringify(e.type === 'upsert' ? e.row : { namespace: e.namespace, name: e.name })}\n\n`;
      this.chunks.set(e, c);
    }
    return c;
  }

  private stream(res: Response, user: WebUser): void {
    const { access, feed, log, limits } = this.o;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 3000\n: connected\n\n');
    const queue: Queued[] = [];
    let queuedBytes = 0;
    let paused = false; // the socket pushed back: nothing is written until 'drain'
    let pumping = false;
    let closed = false;
    let stalled = 0;

    const close = (why: string) => {
      if (closed) return;
      closed = true;
      queue.length = 0;
      this.dropped++;
      log.debug('web: live stream closed', { user: user.username, reason: why });
      res.destroy();
    };
    // Only what the client has not taken counts: a healthy page keeps its socket drained.
    const behind = () => paused && res.writableLength + queuedBytes > limits.maxBufferedBytes;

    // A write the socket did not take at once pauses the stream until 'drain'.
    const write = (chunk: string) => {
      if (res.write(chunk)) return;
      paused = true;
      if (behind()) return close('its unsent output passed WEB_STREAM_MAX_BUFFER_BYTES');
      res.once('drain', () => {
        paused = false;
        stalled = 0;
        void pump();
      });
    };
    // Events in order, each after its namespace's review (answers are cached, so mostly at once).
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      try {
        while (queue.length && !paused && !closed) {
          const next = queue[0];
          const ok = await access.can(user, 'list', next.namespace).catch(() => false);
          queue.shift();
          queuedBytes -= next.chunk.length;
          if (ok && !closed) write(next.chunk);
        }
      } finally {
        pumping = false;
      }
    };
    const send = (e: FeedEvent) => {
      if (closed) return;
      const chunk = this.chunkOf(e);
      queue.push({ namespace: e.type === 'upsert' ? e.row.namespace : e.namespace, chunk });
      queuedBytes += chunk.length;
      if (behind() || queue.length > MAX_QUEUED_EVENTS) return close('it does not read its events');
      void pump();
    };
    const unsubscribe = feed.subscribe(send);
    // Keep-alives go out only when nothing else waits; a stream still pushed back at two beats in a row
    // (about a minute without taking a byte) is gone.
    const beat = setInterval(() => {
      if (!paused) {
        if (!queue.length) write(': keep-alive\n\n');
      } else if (++stalled >= 2) close('it took nothing for two keep-alive intervals');
    }, limits.heartbeatMs ?? 25_000);
    const stop = () => {
      closed = true;
      queue.length = 0;
      unsubscribe();
      clearInterval(beat);
    };
    res.on('close', stop);
  }
}

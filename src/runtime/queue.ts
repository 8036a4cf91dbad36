// A work queue of keys in the manner of client-go's: a key waits at most once, is never processed by
// two workers at once (an add while it runs marks it to run again after), failures back off per key
// (the one exponential formula of runtime/retry.ts; a success forgets them), and a delayed add replaces
// the key's earlier timer.
import { backoffDelay } from '../util/retry.js';

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number; requeue?: boolean } | void>;

export interface QueueOptions {
  concurrency: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, err: unknown) => void;
  onDepth?: (depth: number) => void;
  onActive?: (active: number) => void;
  /**
   * Turns in a row a worker gives a key whose handler asks to run again at once (default 1: back to the
   * end of the queue). An investigation is a chain of steps, each persisted before the next: running the
   * next one on the same worker starts it from the object just written instead of a GET, and ends
   * incidents in the order they came instead of all of them late.
   */
  maxTurns?: number;
}

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private handler?: Handler;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: QueueOptions) {}

  start(handler: Handler): void {
    this.handler = handler;
    this.pump();
  }

  add(key: string): void {
    if (this.stopping) return;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.opts.onDepth?.(this.pending.length);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) return this.add(key);
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  /** Retry after a failure: 1 s, 2 s, 4 s ... up to maxDelayMs, per key. */
  addRateLimited(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.addAfter(key, backoffDelay(n, { baseMs: this.opts.baseDelayMs ?? 1_000, maxMs: this.opts.maxDelayMs ?? 300_000 }));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get depth(): number {
    return this.pending.length;
  }

  get active(): number {
    return this.running.size;
  }

  /** Stops taking work; resolves once the handlers in flight have finished. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or running (tests and benchmarks). */
  async idle(): Promise<void> {
    if (this.running.size === 0 && this.pending.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (!this.handler) return;
    while (!this.stopping && this.running.size < this.opts.concurrency && this.pending.length) {
      const key = this.pending.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      this.opts.onDepth?.(this.pending.length);
      this.opts.onActive?.(this.running.size);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      for (let turn = 1; ; turn++) {
        const res = await this.handler!(key);
        this.forget(key);
        if (res?.requeue && turn < (this.opts.maxTurns ?? 1) && !this.stopping) {
          // the next turn reads whatever made the key dirty meanwhile
          this.dirty.delete(key);
          continue;
        }
        if (res?.requeue) this.dirty.add(key);
        else if (res?.requeueAfterMs !== undefined) this.addAfter(key, res.requeueAfterMs);
        break;
      }
    } catch (err) {
      this.opts.onError?.(key, err);
      this.running.delete(key);
      this.dirty.delete(key);
      this.addRateLimited(key);
      this.finish();
      return;
    }
    this.running.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    this.finish();
  }

  private finish(): void {
    this.opts.onActive?.(this.running.size);
    this.pump();
    if (this.running.size === 0 && (this.pending.length === 0 || this.stopping)) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

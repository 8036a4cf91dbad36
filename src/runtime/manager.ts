// The manager of runnables (controller-runtime's manager): what runs on every replica starts at once;
// what only the leader may run starts when this replica acquires the Lease (or at once without leader
// election) and stops when it loses it. Runnables of a group are started in the order they were added,
// each one's synchronous part before the next (so consumers subscribe to an informer before its first
// list arrives and nothing is listed twice), then awaited together; they stop together, in reverse.
import type { Logger } from '../observability/logger.js';
import { LeaderElector, type LeaderElectorOptions } from './lease.js';

export interface Runnable {
  name: string;
  /** Resolves once it runs (e.g. its informer listed everything). */
  start(): void | Promise<void>;
  /** Stops taking work and resolves when the work in flight has finished. */
  stop(): void | Promise<void>;
}

export interface ManagerOptions {
  log: Logger;
  /** Leader election: leader-only runnables run while this replica holds this Lease. Without it they run at once. */
  election?: Omit<LeaderElectorOptions, 'log' | 'onStartedLeading' | 'onStoppedLeading'>;
  /** Told when this replica starts or stops leading (the leader gauge). */
  onLeading?: (leading: boolean) => void;
  /** Called after the leader-only runnables stopped because the Lease was lost (main.ts exits). */
  onLeadershipLost?: () => void;
}

export class Manager {
  private readonly everyReplica: Runnable[] = [];
  private readonly leaderOnly: Runnable[] = [];
  private elector?: LeaderElector;
  private running = false;
  private stopping?: Promise<void>;

  constructor(private readonly o: ManagerOptions) {}

  add(r: Runnable, opts: { leaderOnly: boolean }): void {
    (opts.leaderOnly ? this.leaderOnly : this.everyReplica).push(r);
  }

  /** True while the leader-only runnables run. */
  leading(): boolean {
    return this.running;
  }

  /** True while this replica may act as the leader: it holds the Lease within its renew deadline (always, without election). */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** Starts the every-replica runnables, then runs for the Lease (or starts the leader-only ones at once). */
  async start(): Promise<void> {
    await startAll(this.everyReplica);
    if (!this.leaderOnly.length) return;
    if (!this.o.election) {
      await this.startLeading();
      return;
    }
    this.elector = new LeaderElector({
      ...this.o.election,
      log: this.o.log,
      onStartedLeading: () => {
        this.o.onLeading?.(true);
        this.o.log.info('became leader: reconciling');
        this.startLeading().catch((err) => this.o.log.error('the leader\'s runnables failed to start', { error: (err as Error)?.message ?? String(err) }));
      },
      onStoppedLeading: () => {
        this.o.onLeading?.(false);
        this.o.log.error('lost the leader lease: stopping the controller');
        void this.stopLeading().then(() => this.o.onLeadershipLost?.());
      },
    });
    this.elector.start();
  }

  /** Stops the leader-only runnables (letting their work in flight finish), hands the Lease over, then stops the rest. */
  async stop(): Promise<void> {
    await this.stopLeading();
    await this.elector?.release().catch(() => undefined);
    this.elector?.stop();
    await stopAll(this.everyReplica, this.o.log);
  }

  private async startLeading(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await startAll(this.leaderOnly);
  }

  private stopLeading(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    this.stopping = stopAll(this.leaderOnly, this.o.log);
    return this.stopping;
  }
}

async function startAll(rs: Runnable[]): Promise<void> {
  const started: Array<void | Promise<void>> = [];
  for (const r of rs) started.push(r.start());
  await Promise.all(started);
}

async function stopAll(rs: Runnable[], log: Logger): Promise<void> {
  await Promise.all(
    [...rs].reverse().map(async (r) => {
      try {
        await r.stop();
      } catch (err) {
        log.warn('a runnable failed to stop', { runnable: r.name, error: (err as Error)?.message ?? String(err) });
      }
    }),
  );
}

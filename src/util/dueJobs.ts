// Jobs that run at a time, a few at once, one at a time per lock: the delivery loop the notifier and the
// ticketer share (each decides what a job is and what running it does; this only decides when). A job is
// keyed: a second job with a key already held is not added, and a job that was dropped or replaced
// while it waited never runs (the `current` check at each step).

export interface DueJob {
  /** One job per key at a time. */
  key: string;
  /** Jobs with the same lock never run at once (e.g. one delivery per sink and alert identity). */
  lock: string;
  /** When it may run (epoch ms). */
  dueAt: number;
  timer?: NodeJS.Timeout;
  queued?: boolean;
}

export interface DueJobsOptions<J extends DueJob> {
  /** How many jobs run at once (the delivery's concurrency). */
  concurrency: number;
  /** Runs a job; it settles when the job is done (its own retries call `schedule` again). */
  run: (job: J) => Promise<void>;
  now: () => number;
}

export class DueJobs<J extends DueJob> {
  private readonly jobs = new Map<string, J>();
  private readonly ready: J[] = [];
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private active = 0;
  private running = false;

  constructor(private readonly o: DueJobsOptions<J>) {}

  get size(): number {
    return this.jobs.size;
  }

  get isRunning(): boolean {
    return this.running;
  }

  has(key: string): boolean {
    return this.jobs.has(key);
  }

  /** Whether `job` is still the one held under its key (not dropped, not replaced). */
  current(job: J): boolean {
    return this.jobs.get(job.key) === job;
  }

  values(): IterableIterator<J> {
    return this.jobs.values();
  }

  /** Holds `job` under its key and schedules it at its dueAt. */
  add(job: J): void {
    this.jobs.set(job.key, job);
    this.schedule(job);
  }

  drop(key: string): void {
    const j = this.jobs.get(key);
    if (!j) return;
    clearTimeout(j.timer);
    this.jobs.delete(key);
  }

  dropWhere(match: (job: J) => boolean): void {
    for (const [k, j] of this.jobs) if (match(j)) this.drop(k);
  }

  /** (Re)schedules a held job at its dueAt: queued at once when due, else on a timer. */
  schedule(job: J): void {
    clearTimeout(job.timer);
    if (!this.running) return;
    const enqueue = () => {
      if (!this.running || !this.current(job) || job.queued) return;
      job.queued = true;
      this.ready.push(job);
      this.pump();
    };
    const delay = job.dueAt - this.o.now();
    if (delay <= 0) enqueue();
    else job.timer = setTimeout(enqueue, Math.min(delay, 2 ** 31 - 1));
  }

  start(): void {
    this.running = true;
    for (const j of this.jobs.values()) this.schedule(j);
  }

  /** Stops running jobs: those in flight finish (each bounded by its own timeout) before this resolves. */
  async stop(): Promise<void> {
    this.running = false;
    for (const j of this.jobs.values()) clearTimeout(j.timer);
    this.jobs.clear();
    this.ready.length = 0;
    await Promise.allSettled([...this.inflight]);
  }

  private pump(): void {
    while (this.running && this.active < this.o.concurrency) {
      const i = this.ready.findIndex((j) => !this.busy.has(j.lock));
      if (i < 0) return;
      const [job] = this.ready.splice(i, 1);
      job.queued = false;
      if (!this.current(job)) continue;
      this.active++;
      this.busy.add(job.lock);
      const p = this.o.run(job).finally(() => {
        this.active--;
        this.busy.delete(job.lock);
        this.inflight.delete(p);
        this.pump();
      });
      this.inflight.add(p);
    }
  }
}

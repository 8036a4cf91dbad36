// Leader election on a coordination.k8s.io/v1 Lease, the algorithm of client-go's leaderelection
// package (which controller-runtime uses), with the same default timings:
//
//   leaseDuration 15s  how long a lease is good for after its holder last renewed it; a candidate
//                      takes over a lease whose record has not changed for this long (measured on the
//                      candidate's own clock from when it first saw that record, so clock skew
//                      between replicas does not matter)
//   renewDeadline 10s  how long the leader keeps retrying a failed renewal before it gives up and
//                      calls onStoppedLeading (the process then exits, like controller-runtime)
//   retryPeriod    2s  the pause between attempts (candidates add up to 1.2× jitter)
//
// Every write is an update with the lease's resourceVersion, so two candidates racing for an expired
// lease cannot both win: the loser gets 409 Conflict and stays a follower.
import {
  ApiException,
  CoordinationV1Api,
  KubeConfig,
  ServerConfiguration,
  V1MicroTime,
  createConfiguration,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';

export interface LeaderElectorOptions {
  kc: KubeConfig;
  /** Namespace of the Lease: the operator's own. */
  namespace: string;
  /** Name of the Lease (LEADER_ELECTION_ID). */
  name: string;
  /** Unique per replica: the pod name. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  /** Called once, when this replica acquires the lease. */
  onStartedLeading: () => void;
  /**
   * Called once, when this replica loses the lease involuntarily (renewals failed for renewDeadline,
   * or another replica took the lease). The elector has stopped by then; it does not run for the
   * lease again. Not called by stop() or release().
   */
  onStoppedLeading: () => void;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
const JITTER_FACTOR = 1.2;

const statusCode = (err: unknown): number | undefined => (err instanceof ApiException ? err.code : undefined);

function errorText(err: unknown): string {
  if (err instanceof ApiException) {
    let msg: string | undefined;
    try {
      msg = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body)?.message;
    } catch {
      /* not JSON */
    }
    return `API server answered ${err.code}${msg ? `: ${msg}` : ''}`;
  }
  if (err instanceof Error && err.name === 'AbortError') return 'request timed out';
  return err instanceof Error ? err.message : String(err);
}

/** The fields whose change shows that the holder is alive (client-go compares the whole record). */
function recordKey(spec: V1LeaseSpec | undefined): string {
  return JSON.stringify([
    spec?.holderIdentity ?? '',
    spec?.leaseDurationSeconds ?? 0,
    String(spec?.acquireTime ?? ''),
    String(spec?.renewTime ?? ''),
    spec?.leaseTransitions ?? 0,
  ]);
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly onStartedLeading: () => void;
  private readonly onStoppedLeading: () => void;

  private leading = false;
  private stopped = false;
  private started = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private sleepTimer?: NodeJS.Timeout;
  /** Last successful acquire/renew, on this process's clock. */
  private lastRenew = 0;
  /** The lease record last read and when it was first seen in that state (our clock). */
  private observed?: { key: string; at: number; spec: V1LeaseSpec };
  /** Timeout applied to the next API request (the middleware reads it). */
  private requestTimeoutMs: number;

  constructor(opts: LeaderElectorOptions) {
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    this.log = opts.log;
    this.onStartedLeading = opts.onStartedLeading;
    this.onStoppedLeading = opts.onStoppedLeading;
    if (!opts.identity) throw new Error('leader election: identity must not be empty');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new Error('leader election: renewDeadline must be greater than 1.2 × retryPeriod');
    }
    // The Lease stores whole seconds.
    this.leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    this.requestTimeoutMs = this.renewDeadlineMs;

    const cluster = opts.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const timeout = {
      pre: async (ctx: RequestContext) => {
        ctx.setSignal(AbortSignal.timeout(Math.max(1, this.requestTimeoutMs)));
        return ctx;
      },
      post: async (ctx: ResponseContext) => ctx,
    };
    this.api = new CoordinationV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: opts.kc },
        promiseMiddleware: [timeout],
      }),
    );
  }

  /** Starts running for the lease (and, once leader, renewing it) in the background. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.log.info('leader election: waiting for the lease', { lease: `${this.namespace}/${this.name}`, identity: this.identity });
    this.loop = this.run().catch((err) => {
      this.log.error('leader election loop failed', { error: errorText(err) });
    });
  }

  /** True while this replica holds the lease and its last renewal is within the renew deadline. */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew < this.renewDeadlineMs;
  }

  /** Stops the loop without giving the lease up: another replica takes over once it expires. */
  stop(): void {
    this.stopped = true;
    this.leading = false;
    this.interruptSleep();
  }

  /**
   * Graceful shutdown: stops the loop and, if this replica holds the lease, empties it
   * (holderIdentity '', leaseDurationSeconds 1) so that another replica acquires it at its next try
   * instead of waiting for the lease to expire. Call it after the work of the leader has stopped.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    this.stop();
    await this.loop;
    if (!wasLeading) return;
    this.requestTimeoutMs = this.renewDeadlineMs;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
      if (lease.spec?.holderIdentity !== this.identity) {
        this.log.info('leader election: lease already held by another replica; nothing to release', { holder: lease.spec?.holderIdentity });
        return;
      }
      const now = new V1MicroTime();
      lease.spec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease });
      this.log.info('leader election: released the lease', { lease: `${this.namespace}/${this.name}` });
    } catch (err) {
      this.log.warn('leader election: could not release the lease; it expires on its own', { error: errorText(err) });
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.leading) {
        const left = this.lastRenew + this.renewDeadlineMs - Date.now();
        if (left <= 0) return this.lose();
        this.requestTimeoutMs = left; // a renewal that hangs must not outlive the deadline
      } else {
        this.requestTimeoutMs = this.renewDeadlineMs;
      }
      const ok = await this.tryAcquireOrRenew();
      if (this.stopped) return;
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info('leader election: acquired the lease; this replica leads', {
            lease: `${this.namespace}/${this.name}`,
            identity: this.identity,
          });
          this.call(this.onStartedLeading, 'onStartedLeading');
          if (this.stopped) return;
        }
      }
      if (this.leading) {
        await this.sleep(Math.min(this.retryPeriodMs, Math.max(0, this.lastRenew + this.renewDeadlineMs - Date.now())));
      } else {
        await this.sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR));
      }
    }
  }

  private lose(): void {
    this.leading = false;
    this.stopped = true;
    this.log.error('leader election: could not renew the lease within the renew deadline; leadership lost', {
      lease: `${this.namespace}/${this.name}`,
      renewDeadlineMs: this.renewDeadlineMs,
    });
    this.call(this.onStoppedLeading, 'onStoppedLeading');
  }

  /** One attempt: true when this replica holds the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (statusCode(err) !== 404) {
        this.log.warn('leader election: could not read the lease', { error: errorText(err) });
        return false;
      }
      const spec: V1LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      };
      try {
        const created = await this.api.createNamespacedLease({
          namespace: this.namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec },
        });
        this.observe(created.spec);
        return true;
      } catch (e) {
        if (statusCode(e) !== 409) this.log.warn('leader election: could not create the lease', { error: errorText(e) });
        return false;
      }
    }

    const old = lease.spec ?? {};
    this.observe(old);
    const holder = old.holderIdentity ?? '';
    const ours = holder === this.identity;
    if (holder && !ours) {
      const validForMs = (old.leaseDurationSeconds ?? 0) * 1000;
      if (this.observed!.at + validForMs > Date.now()) {
        if (this.leading) this.log.warn('leader election: the lease is held by another replica', { holder });
        return false; // held by someone else and not expired
      }
    }

    lease.spec = {
      ...old,
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: ours && old.acquireTime ? old.acquireTime : now,
      renewTime: now,
      leaseTransitions: ours ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
    };
    try {
      // resourceVersion from the read: a concurrent writer makes this fail with 409
      const updated = await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease });
      this.observe(updated.spec);
      if (!ours) this.log.info('leader election: took over the lease', { previousHolder: holder || '(released)' });
      return true;
    } catch (err) {
      if (statusCode(err) !== 409) this.log.warn('leader election: could not update the lease', { error: errorText(err) });
      return false;
    }
  }

  private observe(spec: V1LeaseSpec | undefined): void {
    const key = recordKey(spec);
    if (this.observed?.key !== key) this.observed = { key, at: Date.now(), spec: spec ?? {} };
  }

  private call(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`leader election: ${what} threw`, { error: errorText(err) });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private interruptSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
  }
}

// The one backoff formula and the one retry on conflict of the operator (client-go's wait.Backoff and
// retry.RetryOnConflict): the delay before attempt n+1 is base × 2^(n-1), capped, with a little jitter so
// that many keys failing at once do not come back at once. It knows nothing of the product and imports
// nothing. Used by the work queue, the informer's reconnects, the notifier, the webhook's intake, the
// recall history and correlation's writes.

export interface Backoff {
  /** The delay after the first failure. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
  /** ± this fraction of the delay, at random (default 0.1). */
  jitter?: number;
}

/** The delay after `failures` failures in a row (1 = the first): base × 2^(failures-1), capped, jittered. */
export function backoffDelay(failures: number, b: Backoff, random: () => number = Math.random): number {
  const d = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 52)));
  const j = b.jitter ?? 0.1;
  return j > 0 ? d * (1 - j + random() * 2 * j) : d;
}

/** client-go's DefaultRetry: a few quick attempts, for writes that lost a race with another writer. */
export const CONFLICT_BACKOFF: Backoff = { baseMs: 10, maxMs: 1_000, jitter: 0.5 };

/** The HTTP status of an error of client-node (ApiException.code) or of a watch (statusCode). */
function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const code = e?.code ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isConflictError = (err: unknown) => httpStatus(err) === 409;

/**
 * Runs `attempt` (given its number, from 1) until it does not fail with a conflict (409), at most
 * `attempts` times, waiting the conflict backoff in between. The attempt reads what it writes on: the
 * first may start from a cached copy, a later one must read again (the copy was stale: that is what the
 * 409 said). Other errors, and the last conflict, are thrown.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  o: { attempts?: number; backoff?: Backoff; retriable?: (err: unknown) => boolean } = {},
): Promise<T> {
  const max = o.attempts ?? 5;
  const retriable = o.retriable ?? isConflictError;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= max || !retriable(err)) throw err;
      await new Promise((r) => setTimeout(r, backoffDelay(n, o.backoff ?? CONFLICT_BACKOFF)));
    }
  }
}

/**
 * The wait before delivery attempt `attempts`+1 to an outside service (a notification sink, a ticket
 * system): our backoff, or longer when the service said when it takes more (Retry-After, up to an hour).
 */
export function deliveryRetryDelay(attempts: number, d: { initialBackoff: number; maxBackoff: number }, retryAfterMs?: number): number {
  const backoff = backoffDelay(attempts, { baseMs: d.initialBackoff, maxMs: d.maxBackoff, jitter: 0.2 });
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, 3_600_000));
}

// One HTTP request to a sink, with a timeout, and what its answer means for a retry.
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** 5xx, 429, 408, network errors and timeouts: another attempt may succeed. */
    readonly retryable: boolean,
    /** From Retry-After (429/503), when the sink said when to come back. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(h: string | null, now = Date.now()): number | undefined {
  if (!h) return undefined;
  if (/^\d+(\.\d+)?$/.test(h.trim())) return Math.round(Number(h) * 1000);
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export interface HttpAnswer {
  status: number;
  text: string;
  headers: Headers;
}

export async function postJson(url: string, body: unknown, opts: { timeoutMs: number; headers?: Record<string, string>; raw?: string }): Promise<HttpAnswer> {
  const text = opts.raw ?? JSON.stringify(body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'alert-agent', ...opts.headers },
      body: text,
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : `${e.message}${(e as { cause?: Error }).cause ? `: ${(e as { cause?: Error }).cause!.message}` : ''}`;
    throw new DeliveryError(`${hostOf(url)}: ${why}`, true);
  }
  const answer = { status: res.status, text: (await res.text().catch(() => '')).slice(0, 2000), headers: res.headers };
  if (res.status >= 200 && res.status < 300) return answer;
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  throw new DeliveryError(`${hostOf(url)} answered ${res.status}${answer.text ? `: ${answer.text.slice(0, 300)}` : ''}`, retryable, retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined);
}

/** Only the host goes into records and logs: a webhook URL's path is its secret (Slack, Teams). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'sink';
  }
}

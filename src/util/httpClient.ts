// Outgoing HTTP to a third party (a notification sink, a ticket system): one request with a timeout, and
// what its answer means for a retry (5xx, 429, 408 and network errors may succeed later; Retry-After says
// when). Only the host goes into errors: a webhook URL's path can be its secret.
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** 5xx, 429, 408, network errors and timeouts: another attempt may succeed. */
    readonly retryable: boolean,
    /** From Retry-After (429/503), when the server said when to come back. */
    readonly retryAfterMs?: number,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
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

export interface RequestOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** The body as it is sent (signed bodies); else the JSON of `body`. */
  raw?: string;
  /** Bytes of the answer kept (default 2000: enough for an error; more for answers that are read). */
  maxAnswer?: number;
}

/** Any method; a body (JSON) only when given. Resolves on 2xx, throws DeliveryError otherwise. */
export async function requestJson(method: string, url: string, body: unknown, opts: RequestOptions): Promise<HttpAnswer> {
  const text = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...(text !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), 'user-agent': 'alert-agent', ...opts.headers },
      body: text,
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : `${e.message}${(e as { cause?: Error }).cause ? `: ${(e as { cause?: Error }).cause!.message}` : ''}`;
    throw new DeliveryError(`${hostOf(url)}: ${why}`, true);
  }
  const answer = { status: res.status, text: (await res.text().catch(() => '')).slice(0, opts.maxAnswer ?? 2000), headers: res.headers };
  if (res.status >= 200 && res.status < 300) return answer;
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  throw new DeliveryError(
    `${hostOf(url)} answered ${res.status}${answer.text ? `: ${answer.text.slice(0, 300)}` : ''}`,
    retryable,
    retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined,
    res.status,
  );
}

export function postJson(url: string, body: unknown, opts: RequestOptions): Promise<HttpAnswer> {
  return requestJson('POST', url, body, opts);
}

/** Only the host goes into records and logs: a webhook URL's path is its secret (Slack, Teams). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'sink';
  }
}

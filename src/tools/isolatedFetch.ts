// The MCP SDK's HTTP client transports hand one AbortSignal (the connection's) to every fetch, and
// Node's fetch (undici) adds an abort listener to the signal it is given that goes only when the request
// is garbage-collected: over a long-lived connection, every tool call leaves one behind (Node warns past
// 1500; mcphub#1062 measured ~40 000 in a pod). Each request here gets a signal of its own, tied to the
// connection's by one listener that is removed as soon as the request is done with, so closing the
// connection still cancels what is in flight.
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

const NULL_BODY = new Set([101, 204, 205, 304]);

export const isolatedFetch: FetchLike = async (url, init) => {
  const parent = init?.signal;
  if (!parent) return fetch(url, init);
  const own = new AbortController();
  const bridge = () => own.abort(parent.reason);
  if (parent.aborted) bridge();
  else parent.addEventListener('abort', bridge, { once: true });
  const done = () => parent.removeEventListener('abort', bridge);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: own.signal });
  } catch (err) {
    done();
    throw err;
  }
  // A JSON answer is read at once; an event stream lives on, and closing the connection must still end it.
  if (!res.body || NULL_BODY.has(res.status) || !/text\/event-stream/i.test(res.headers.get('content-type') ?? '')) {
    done();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          done();
          c.close();
        } else c.enqueue(value);
      } catch (err) {
        done();
        c.error(err);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
};

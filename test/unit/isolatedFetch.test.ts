// isolatedFetch: no abort listener is left on the connection's signal however many requests it carries,
// and aborting that signal still ends a request in flight and an open event stream.
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isolatedFetch } from '../../src/tools/isolatedFetch.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    } else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      // stays open until the client goes
    } else if (req.url === '/accepted') {
      res.writeHead(202).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it('leaves no listener on the shared signal after 300 requests (Node fetch leaves one per request)', async () => {
  const shared = new AbortController();
  for (let i = 0; i < 300; i++) {
    const res = await isolatedFetch(`${base}${i % 2 ? '/json' : '/accepted'}`, { method: 'POST', signal: shared.signal });
    if (res.status === 200) expect(await res.json()).toEqual({ ok: true });
  }
  expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);

  // what it guards against: the same with Node's fetch keeps a listener per request until GC
  const plain = new AbortController();
  for (let i = 0; i < 50; i++) await (await fetch(`${base}/json`, { signal: plain.signal })).json();
  expect(getEventListeners(plain.signal, 'abort').length).toBeGreaterThanOrEqual(50);
});

it('an event stream stays tied to the shared signal while open: aborting it ends the stream, and the listener goes', async () => {
  const shared = new AbortController();
  const res = await isolatedFetch(`${base}/stream`, { signal: shared.signal });
  const reader = res.body!.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: one');
  expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
  const next = reader.read();
  shared.abort(new Error('connection closed'));
  await expect(next).rejects.toThrow();
  expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
});

it('a signal already aborted fails the request at once', async () => {
  const shared = new AbortController();
  shared.abort(new Error('closed'));
  await expect(isolatedFetch(`${base}/json`, { signal: shared.signal })).rejects.toThrow();
});

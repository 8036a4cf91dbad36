// The live feed (/events) cannot take the pod down: streams are capped per user and in all (429 beyond),
// a page that does not read is closed once its unsent output passes the bound, and a page that reads gets
// every change in order.
import * as net from 'node:net';
import { incident, startWeb, type TestWeb } from './webFixture.js';

let web: TestWeb | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await web?.close();
  web = undefined;
});

/** An /events request on a raw socket that reads the status line and then never reads again. */
async function idleStream(w: TestWeb, token: string): Promise<{ status: number; socket: net.Socket }> {
  const socket = net.connect(Number(new URL(w.url).port), '127.0.0.1');
  sockets.push(socket);
  socket.write(`GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
  const first = await new Promise<string>((resolve, reject) => {
    socket.once('data', (d) => resolve(d.toString()));
    socket.once('error', reject);
  });
  socket.pause(); // from here on nothing is read: the kernel's buffers fill, then the server's
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(first)?.[1]), socket };
}

/** An /events stream that is read to the end: the status and everything received so far. */
async function readingStream(w: TestWeb, token: string): Promise<{ status: number; text: () => string; stop: () => void }> {
  const ctrl = new AbortController();
  const r = await fetch(`${w.url}/events`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  let text = '';
  if (r.status === 200) {
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) text += dec.decode(chunk);
    })().catch(() => undefined);
  } else text = await r.text();
  return { status: r.status, text: () => text, stop: () => ctrl.abort() };
}

async function eventually<T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('caps streams per user and in all: 429 beyond, and a closed stream frees its place', async () => {
  web = await startWeb({ streamsPerUser: 2, streamsMax: 3 });
  const a1 = await readingStream(web, 'tok-alice');
  const a2 = await readingStream(web, 'tok-alice');
  expect([a1.status, a2.status]).toEqual([200, 200]);
  const a3 = await readingStream(web, 'tok-alice');
  expect(a3.status).toBe(429);
  expect(a3.text()).toMatch(/2 live streams per user/);
  const b1 = await readingStream(web, 'tok-bob');
  expect(b1.status).toBe(200);
  const c1 = await readingStream(web, 'tok-carol');
  expect(c1.status).toBe(429); // 3 open in all
  a1.stop();
  const c2 = await eventually(async () => {
    const s = await readingStream(web!, 'tok-carol');
    return s.status === 200 ? s : undefined;
  });
  c2.stop();
  for (const s of [a2, b1]) s.stop();
});

it('closes a stream that does not read once its unsent output passes the bound; a reading one gets every change', async () => {
  web = await startWeb({ streamsPerUser: 8, streamsMax: 2, streamMaxBufferBytes: 64 * 1024 });
  const idle = await idleStream(web, 'tok-alice');
  expect(idle.status).toBe(200);
  const reader = await readingStream(web, 'tok-carol');
  expect(reader.status).toBe(200);
  expect((await readingStream(web, 'tok-bob')).status).toBe(429); // both places taken
  // 2 000 changes of ~2 KB: 4 MB that the idle page never reads (more than the kernel's socket buffers).
  for (let i = 0; i < 2000; i++) {
    web.feed.apply('MODIFIED', incident('team-a', 'inc-team-a', `change ${i} ${'x'.repeat(2000)}`));
    if (i % 20 === 0) await new Promise((r) => setImmediate(r)); // changes arrive over time, as from a watch
  }
  // The server closed it: its place is free again (the paused socket itself may not notice until it reads).
  const bob = await eventually(async () => {
    const s = await readingStream(web!, 'tok-bob');
    return s.status === 200 ? s : undefined;
  });
  bob.stop();
  // The page that reads got all 2 000, in order.
  await until(() => reader.text().includes('change 1999 '));
  const seen = [...reader.text().matchAll(/"summary":"change (\d+) /g)].map((m) => Number(m[1]));
  expect(seen).toEqual([...Array(2000).keys()]);
  reader.stop();
});

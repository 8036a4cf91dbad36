// The web view's live feed under idle pages: N streams on /events that never read (a tab in the
// background of a sleeping laptop, or someone opening streams on purpose) while M incidents change. The
// web app runs in a process of its own, with the chart's heap cap and young generation, a fake cluster
// (every token `tok-<i>` is user i and may list everything) and a feed filled by hand; this process opens
// the streams on raw sockets that read the response head and then nothing. Printed: the server's heap
// and RSS before, after the changes, and after a GC, and its open connections.
//
//   node --import tsx bench/webStreams.ts                                 # 500 streams, 1 000 changes
//   BENCH_WEB_STREAMS=200 BENCH_WEB_CHANGES=5000 node --import tsx bench/webStreams.ts
//   BENCH_WEB_SRC=/tmp/old/src node --import tsx bench/webStreams.ts      # another tree's src/, for before/after
// No control plane is needed.
import { fork } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(process.env.BENCH_WEB_SRC || path.join(HERE, '..', 'src'));
const STREAMS = Number(process.env.BENCH_WEB_STREAMS ?? 500);
const CHANGES = Number(process.env.BENCH_WEB_CHANGES ?? 1000);
const SUMMARY_BYTES = Number(process.env.BENCH_WEB_SUMMARY_BYTES ?? 600);
const MB = 1024 * 1024;

type Mem = { rss: number; heapUsed: number; external: number; connections: number };
type Msg = { port?: number; mem?: Mem; done?: true };

/** The server process: the web app, and on request a batch of changes or a measurement. */
async function server(): Promise<void> {
  const load = (rel: string) => import(pathToFileURL(path.join(SRC, rel)).href);
  const [{ createWebApp }, { IncidentFeed }, { silentLogger }, { KubeConfig }] = await Promise.all([load('web/server.ts'), load('web/feed.ts'), load('observability/logger.ts'), import('@kubernetes/client-node')]);
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'fake', server: 'https://127.0.0.1:1', skipTLSVerify: true }, { name: 'nobody' });
  const feed = new IncidentFeed();
  const incident = (i: number, change: number) => ({
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: `inc-${i}`, namespace: `team-${i % 10}`, creationTimestamp: '2026-12-01T10:00:00Z' },
    spec: { alertname: 'KubePodCrashLooping', fingerprint: `fp-${i}`, status: 'firing', labels: { namespace: `team-${i % 10}` }, annotations: {}, startsAt: '2026-12-01T10:00:00Z' },
    status: { phase: 'Analyzing', summary: `change ${change}: ${'x'.repeat(SUMMARY_BYTES)}` },
  });
  for (let i = 0; i < 100; i++) feed.apply('ADDED', incident(i, 0));
  feed.listed();
  const reviewer = {
    tokenReview: async (t: string) => (t.startsWith('tok-') ? { username: `user-${t.slice(4)}`, groups: ['readers'] } : undefined),
    canI: async () => true,
  };
  const app = createWebApp({ kc, store: { get: async () => undefined }, feed, log: silentLogger(), events: async () => undefined, auth: 'token', reviewer, streamsMax: 100_000 });
  const srv = app.listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const measure = async (): Promise<Mem> => {
    const connections = await new Promise<number>((r) => srv.getConnections((_e: unknown, n: number) => r(n)));
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections };
  };
  process.on('message', async (m: { changes?: number; measure?: boolean; gc?: boolean }) => {
    if (m.changes) {
      // As from a watch: a few changes per turn of the event loop.
      for (let c = 1; c <= m.changes; c++) {
        feed.apply('MODIFIED', incident(c % 100, c));
        if (c % 10 === 0) await new Promise((r) => setImmediate(r));
      }
      process.send!({ done: true });
    }
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    if (m.measure) process.send!({ mem: await measure() });
  });
  process.send!({ port: (srv.address() as net.AddressInfo).port });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    env: { ...process.env, NODE_ENV: 'production' },
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=128', '--max-semi-space-size=2'],
  });
  let exit: string | undefined;
  child.on('exit', (code, sig) => (exit = `server exited (${code ?? sig})`));
  const next = () => new Promise<Msg>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Msg));
    child.once('exit', () => reject(new Error(exit)));
  });
  const port = (await next()).port!;
  const ask = async (m: object) => {
    child.send(m);
    return next();
  };
  const settle = () => new Promise((r) => setTimeout(r, 2000));
  const rows: Array<[string, Mem]> = [];
  rows.push(['no streams', (await ask({ gc: true, measure: true })).mem!]);
  const sockets: net.Socket[] = [];
  let opened = 0;
  for (let i = 0; i < STREAMS; i++) {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => undefined);
    s.write(`GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-${i}\r\n\r\n`);
    const head = await new Promise<string>((r) => s.once('data', (d) => r(d.toString())));
    if (head.startsWith('HTTP/1.1 200')) opened++;
    s.pause(); // never read again
  }
  await settle();
  rows.push([`${opened} idle streams`, (await ask({ gc: true, measure: true })).mem!]);
  try {
    await ask({ changes: CHANGES });
    await settle();
    rows.push([`after ${CHANGES} changes`, (await ask({ measure: true })).mem!]);
    rows.push(['after a GC', (await ask({ gc: true, measure: true })).mem!]);
  } catch (err) {
    rows.push([`${CHANGES} changes: ${String(err)}`, { rss: 0, heapUsed: 0, external: 0, connections: 0 }]);
  }
  const f = (n: number) => (n / MB).toFixed(1).padStart(8);
  process.stdout.write(`src: ${SRC}; ${STREAMS} streams that never read, ${CHANGES} changes of ~${SUMMARY_BYTES + 250} B\n`);
  process.stdout.write(`${'moment'.padEnd(36)} ${'RSS MB'.padStart(8)} ${'heap MB'.padStart(8)} ${'ext MB'.padStart(8)} connections\n`);
  for (const [name, m] of rows) process.stdout.write(`${name.padEnd(36)} ${f(m.rss)} ${f(m.heapUsed)} ${f(m.external)} ${m.connections}\n`);
  for (const s of sockets) s.destroy();
  child.kill();
}

if (process.argv.includes('--server')) await server();
else await main();

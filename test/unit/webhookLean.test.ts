// The webhook's lean path for POST /api/v1/alerts (src/webhook/app.ts: answered before express when the
// request is AlertManager's common one) answers exactly as the express route does: the same server
// with and without it, the same requests, the same status, headers that matter and body.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookApp, parseJsonBody } from '../../src/webhook/app.js';
import type { AlertIntake } from '../../src/webhook/intake.js';
import { UnstorableAlertError } from '../../src/webhook/intake.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-1', severity: 'warning' },
  annotations: { summary: 'Pod is crash looping' },
  startsAt: '2026-11-26T07:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: 'c0ffee',
  ...over,
});
const payload = (alerts: unknown[], over: Record<string, unknown> = {}) => JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'r', externalURL: 'http://am', alerts, ...over });

interface Server {
  url: string;
  close(): Promise<void>;
  stored: string[];
  metrics: ReturnType<typeof createMetrics>;
  /** Requests express handled (the rest took the lean path). */
  viaExpress(): number;
}

async function serve(lean: boolean, env: { bearerToken?: string; maxAlerts?: number } = {}): Promise<Server> {
  const stored: string[] = [];
  const intake = {
    async ingest(p: { alerts: Array<{ labels: Record<string, string> }> }) {
      if (p.alerts.some((a) => a.labels.fail === '422')) throw new UnstorableAlertError('spec.labels: Invalid value');
      if (p.alerts.some((a) => a.labels.fail === '503')) throw new Error('connect ECONNREFUSED');
      for (const a of p.alerts) stored.push(a.labels.alertname);
      return p.alerts.map(() => 'created');
    },
  } as unknown as AlertIntake;
  const metrics = createMetrics();
  const app = createWebhookApp({ intake, log: silentLogger(), metrics, bearerToken: env.bearerToken, maxBodyBytes: 64 * 1024, maxAlerts: env.maxAlerts ?? 5 });
  let viaExpress = 0;
  const handle = (app as unknown as { handle: (...a: unknown[]) => unknown }).handle;
  (app as unknown as { handle: (...a: unknown[]) => unknown }).handle = function (this: unknown, ...a: unknown[]) {
    viaExpress++;
    return handle.apply(this, a);
  };
  const server: http.Server = lean ? app.listen(0, '127.0.0.1') : http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stored, metrics, viaExpress: () => viaExpress, close: () => new Promise((r) => server.close(() => r())) };
}

/** Raw HTTP (no fetch: it would add or fix headers), Content-Length set unless chunked. */
function send(url: string, body: Buffer | string, headers: Record<string, string> = {}, opts: { path?: string; method?: string; chunked?: boolean } = {}) {
  return new Promise<{ status: number; type?: string; body: string; auth?: string }>((resolve, reject) => {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const req = http.request(`${url}${opts.path ?? '/api/v1/alerts'}`, { method: opts.method ?? 'POST', headers: { ...(opts.chunked ? {} : { 'content-length': String(data.length) }), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: text, auth: res.headers['www-authenticate'] as string | undefined }));
    });
    req.on('error', reject);
    if (opts.chunked) {
      req.write(data.subarray(0, 1));
      req.end(data.subarray(1));
    } else req.end(data);
  });
}

const json = { 'content-type': 'application/json' };
// Nesting that a recursive walk of the parsed body would not survive (it answered 500: "Maximum call stack size exceeded").
const deepArrays = `{"version":"4","groupKey":"g","receiver":"r","alerts":[],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
const deepObjects = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
const cases: Array<[string, Buffer | string, Record<string, string>, { path?: string; method?: string; chunked?: boolean }?]> = [
  ['a payload of 2', payload([alert(), alert({ fingerprint: 'b', labels: { alertname: 'B' } })]), json],
  ['no content type', payload([alert()]), {}],
  ['charset=utf-8', payload([alert()]), { 'content-type': 'application/json; charset=utf-8' }],
  ['charset="UTF-8"', payload([alert()]), { 'content-type': 'application/json; charset="UTF-8"' }],
  ['text/plain (express)', payload([alert()]), { 'content-type': 'text/plain' }],
  ['charset latin1 (express)', payload([alert()]), { 'content-type': 'application/json; charset=latin1' }],
  ['chunked (express)', payload([alert()]), json, { chunked: true }],
  ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payload([alert()]))]), json],
  ['leading whitespace', ` \n\t${payload([alert()])}`, json],
  ['malformed JSON', '{"version": "4", "alerts": [', json],
  ['not JSON', 'hello', json],
  ['whitespace then not JSON', '   x{}', json],
  ['a JSON string', '"x"', json],
  ['a JSON array', '[1,2]', json],
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"version":"4","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), json],
  ['a lone surrogate', payload([alert({ labels: { alertname: 'x\\udc00' } })]).replace('x\\\\udc00', 'x\\udc00'), json],
  ['too many alerts', payload(Array.from({ length: 6 }, (_, i) => alert({ fingerprint: String(i) }))), json],
  ['wrong schema', payload([alert({ startsAt: 'not a time' })]), json],
  ['no alerts', payload([]), json],
  ['truncated alerts', payload([alert()], { truncatedAlerts: 3 }), json],
  ['refused by the API server (422)', payload([alert({ labels: { alertname: 'x', fail: '422' } })]), json],
  ['API server down (503)', payload([alert({ labels: { alertname: 'x', fail: '503' } })]), json],
  ['over maxBodyBytes', payload([alert({ annotations: { d: 'x'.repeat(70 * 1024) } })]), json],
  ['empty body', '', json],
  ['another path', payload([alert()]), json, { path: '/api/v1/alerts/' }],
  ['a query string', payload([alert()]), json, { path: '/api/v1/alerts?x=1' }],
  ['gzip said (express)', payload([alert()]), { ...json, 'content-encoding': 'gzip' }],
  ['5000-deep arrays', deepArrays, json],
  ['5000-deep objects', deepObjects, json],
  ['5000-deep (express)', deepObjects, { 'content-type': 'text/plain' }],
];

describe('lean path = express route', () => {
  let lean: Server;
  let plain: Server;
  beforeAll(async () => {
    lean = await serve(true);
    plain = await serve(false);
  });
  afterAll(async () => {
    await lean.close();
    await plain.close();
  });

  // every row with its 4 values: jest takes a test function with more parameters than the row for one that wants done()
  it.each(cases.map(([name, body, headers, opts]) => [name, body, headers, opts ?? {}] as const))('%s', async (_name, body, headers, opts) => {
    const before = lean.viaExpress();
    const a = await send(lean.url, body, headers, opts);
    const b = await send(plain.url, body, headers, opts);
    expect(a).toEqual(b);
    expect(lean.stored).toEqual(plain.stored);
    // AlertManager's common requests take the lean path; the others go to express
    const common = !/express|another path|query string|maxBodyBytes|empty body/.test(_name);
    expect({ name: _name, lean: lean.viaExpress() === before }).toEqual({ name: _name, lean: common });
  });

  it('counts requests by code alike', async () => {
    const counts = async (s: Server) => (await s.metrics.registry.getSingleMetricAsString('alertagent_webhook_requests_total')).split('\n').filter((l) => !l.startsWith('#')).sort();
    expect(await counts(lean)).toEqual(await counts(plain));
    expect((await counts(lean)).length).toBeGreaterThan(3);
  });
});

describe('nesting depth', () => {
  it('a 5000-deep body gets 400 naming the bound, on the lean path, through express, and on every route', async () => {
    const lean = await serve(true);
    try {
      const routes: Array<[string, Record<string, string>, string]> = [
        ['/api/v1/alerts', json, 'AlertManager'],
        ['/api/v1/alerts', { 'content-type': 'text/plain' }, 'AlertManager'],
        ['/api/v1/grafana', json, 'Grafana'],
        ['/api/v1/generic', json, 'generic'],
      ];
      for (const [path, headers, source] of routes) {
        for (const body of [deepArrays, deepObjects, `[${deepObjects}]`]) {
          const r = await send(lean.url, body, headers, { path });
          expect({ path, status: r.status, body: JSON.parse(r.body) }).toEqual({ path, status: 400, body: { error: `invalid ${source} payload: JSON nested deeper than 64 levels` } });
        }
      }
      // 64 levels are fine (the bound is not off by one): a wrong schema, not a depth error.
      const at64 = `{"version":"4","groupKey":"g","receiver":"r","alerts":[],"x":${'['.repeat(63)}${']'.repeat(63)}}`;
      expect(JSON.parse((await send(lean.url, at64, json)).body).error).not.toMatch(/deeper/);
      expect(lean.stored).toEqual([]);
    } finally {
      await lean.close();
    }
  });
});

describe('lean path with a bearer token', () => {
  it('answers as express does, token or not', async () => {
    const lean = await serve(true, { bearerToken: 's3cret' });
    const plain = await serve(false, { bearerToken: 's3cret' });
    try {
      for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret', 'bearer s3cret']) {
        const headers = { ...json, ...(auth ? { authorization: auth } : {}) };
        const a = await send(lean.url, payload([alert()]), headers);
        expect(a).toEqual(await send(plain.url, payload([alert()]), headers));
        expect(a.status).toBe(auth && auth.endsWith('s3cret') ? 200 : 401);
      }
    } finally {
      await lean.close();
      await plain.close();
    }
  });
});

describe('parseJsonBody', () => {
  it('words errors as JSON.parse does', () => {
    expect(() => parseJsonBody('hello')).toThrow(SyntaxError);
    expect(() => parseJsonBody('{"a":')).toThrow(SyntaxError);
    expect(parseJsonBody('')).toEqual({});
    expect(parseJsonBody('\ufeff{"a":1}')).toEqual({ a: 1 });
  });
});

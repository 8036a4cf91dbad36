// The webhook's one path (express + zod, src/webhook/app.ts) answers every request AlertManager or
// anyone else may send: the status, the JSON error a person reads, and what got stored. Each answer is
// what express's route gave before the lean path was removed (the same server answered the same way).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookApp } from '../../src/webhook/app.js';
import type { AlertIntake } from '../../src/webhook/intake.js';
import { UnstorableAlertError } from '../../src/webhook/intake.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { expressServer } from '../../src/util/http.js';

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
}

async function serve(env: { bearerToken?: string; maxAlerts?: number } = {}): Promise<Server> {
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
  // as operator.ts serves it
  const server: http.Server = expressServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stored, metrics, close: () => new Promise((r) => server.close(() => r())) };
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
type Answer = { status: number; body: unknown; stored: number };
/** Stored, all n alerts of it. */
const ok = (n: number): Answer => ({ status: 200, body: { stored: n, created: n, updated: 0 }, stored: n });
/** Refused with this status and error, nothing stored. */
const no = (status: number, error: string): Answer => ({ status, body: { error }, stored: 0 });
const cases: Array<[string, Buffer | string, Record<string, string>, Answer, { path?: string; method?: string; chunked?: boolean }?]> = [
  ['a payload of 2', payload([alert(), alert({ fingerprint: 'b', labels: { alertname: 'B' } })]), json, ok(2)],
  ['no content type', payload([alert()]), {}, ok(1)],
  ['charset=utf-8', payload([alert()]), { 'content-type': 'application/json; charset=utf-8' }, ok(1)],
  ['charset="UTF-8"', payload([alert()]), { 'content-type': 'application/json; charset="UTF-8"' }, ok(1)],
  ['text/plain', payload([alert()]), { 'content-type': 'text/plain' }, ok(1)],
  ['charset latin1', payload([alert()]), { 'content-type': 'application/json; charset=latin1' }, no(415, 'unsupported charset "LATIN1"')],
  ['chunked', payload([alert()]), json, ok(1), { chunked: true }],
  ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payload([alert()]))]), json, ok(1)],
  ['leading whitespace', ` \n\t${payload([alert()])}`, json, ok(1)],
  ['malformed JSON', '{"version": "4", "alerts": [', json, no(400, 'malformed JSON: Unexpected end of JSON input')],
  ['not JSON', 'hello', json, no(400, `malformed JSON: Unexpected token 'h', "hello" is not valid JSON`)],
  ['whitespace then not JSON', '   x{}', json, no(400, `malformed JSON: Unexpected token 'x', "   x{}" is not valid JSON`)],
  ['a JSON string', '"x"', json, no(400, `malformed JSON: Unexpected token '"', ""x"" is not valid JSON`)],
  ['a JSON array', '[1,2]', json, no(400, 'invalid AlertManager payload: (body): Expected object, received array')],
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"version":"4","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), json, no(400, 'body is not valid UTF-8 at byte 20 (0xc3 0x28 0x22 0x7d); AlertManager sends UTF-8, and a replaced byte would change label values and fingerprints')],
  ['a lone surrogate', payload([alert({ labels: { alertname: 'x\\udc00' } })]).replace('x\\\\udc00', 'x\\udc00'), json, no(400, 'invalid AlertManager payload: alerts[0].labels.alertname: holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which no UTF-8 text can store')],
  ['too many alerts', payload(Array.from({ length: 6 }, (_, i) => alert({ fingerprint: String(i) }))), json, no(413, "payload holds 6 alerts, more than the 5 one payload may hold (WEBHOOK_MAX_ALERTS): set max_alerts: 5 (or less) in AlertManager's webhook_config for this receiver")],
  ['wrong schema', payload([alert({ startsAt: 'not a time' })]), json, no(400, 'invalid AlertManager payload: alerts[0].startsAt: not an RFC 3339 timestamp')],
  ['no alerts', payload([]), json, no(400, 'invalid AlertManager payload: alerts: the payload holds no alerts')],
  ['truncated alerts', payload([alert()], { truncatedAlerts: 3 }), json, ok(1)],
  ['refused by the API server (422)', payload([alert({ labels: { alertname: 'x', fail: '422' } })]), json, no(400, 'alert cannot be stored: spec.labels: Invalid value')],
  ['API server down (503)', payload([alert({ labels: { alertname: 'x', fail: '503' } })]), json, no(503, 'could not store the alerts, retry later: connect ECONNREFUSED')],
  ['over maxBodyBytes', payload([alert({ annotations: { d: 'x'.repeat(70 * 1024) } })]), json, no(413, 'payload larger than 65536 bytes')],
  ['empty body', '', json, no(400, 'invalid AlertManager payload: version: Required; alerts: Required')],
  ['another path', payload([alert()]), json, ok(1), { path: '/api/v1/alerts/' }],
  ['a query string', payload([alert()]), json, ok(1), { path: '/api/v1/alerts?x=1' }],
  // zlib's "incorrect header check" in node; under jest's VM the error is of another realm and
  // http-errors words it "Bad Request"
  ['gzip said', payload([alert()]), { ...json, 'content-encoding': 'gzip' }, no(400, expect.stringMatching(/^(incorrect header check|Bad Request)$/) as unknown as string)],
  ['5000-deep arrays', deepArrays, json, no(400, 'invalid AlertManager payload: JSON nested deeper than 64 levels')],
  ['5000-deep objects', deepObjects, json, no(400, 'invalid AlertManager payload: JSON nested deeper than 64 levels')],
  ['5000-deep objects as text/plain', deepObjects, { 'content-type': 'text/plain' }, no(400, 'invalid AlertManager payload: JSON nested deeper than 64 levels')],
];

describe('one path: express + zod', () => {
  let s: Server;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => s.close());

  // every row with its 5 values: jest takes a test function with more parameters than the row for one that wants done()
  it.each(cases.map(([name, body, headers, answer, opts]) => [name, body, headers, answer, opts ?? {}] as const))('%s', async (_name, body, headers, answer, opts) => {
    const before = s.stored.length;
    const r = await send(s.url, body, headers, opts);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect({ status: r.status, body: JSON.parse(r.body), stored: s.stored.length - before }).toEqual(answer);
  });

  it('counts requests by code', async () => {
    const counts = (await s.metrics.registry.getSingleMetricAsString('alertagent_webhook_requests_total')).split('\n').filter((l) => !l.startsWith('#'));
    const byCode = Object.fromEntries(counts.map((l) => [/code="(\d+)"/.exec(l)![1], Number(l.split(' ').pop())]));
    const expected: Record<string, number> = {};
    for (const [, , , a] of cases) expected[a.status] = (expected[a.status] ?? 0) + 1;
    expect(byCode).toEqual(expected);
  });
});

describe('nesting depth', () => {
  it('a 5000-deep body gets 400 naming the bound, whatever the content type, on every route', async () => {
    const s = await serve();
    try {
      const routes: Array<[string, Record<string, string>, string]> = [
        ['/api/v1/alerts', json, 'AlertManager'],
        ['/api/v1/alerts', { 'content-type': 'text/plain' }, 'AlertManager'],
        ['/api/v1/grafana', json, 'Grafana'],
        ['/api/v1/generic', json, 'generic'],
      ];
      for (const [path, headers, source] of routes) {
        for (const body of [deepArrays, deepObjects, `[${deepObjects}]`]) {
          const r = await send(s.url, body, headers, { path });
          expect({ path, status: r.status, body: JSON.parse(r.body) }).toEqual({ path, status: 400, body: { error: `invalid ${source} payload: JSON nested deeper than 64 levels` } });
        }
      }
      // 64 levels are fine (the bound is not off by one): a wrong schema, not a depth error.
      const at64 = `{"version":"4","groupKey":"g","receiver":"r","alerts":[],"x":${'['.repeat(63)}${']'.repeat(63)}}`;
      expect(JSON.parse((await send(s.url, at64, json)).body).error).not.toMatch(/deeper/);
      expect(s.stored).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('a bearer token', () => {
  it('401 with WWW-Authenticate without the right one, 200 with it (the scheme in any case)', async () => {
    const s = await serve({ bearerToken: 's3cret' });
    try {
      for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret', 'bearer s3cret', 'Bearer s3cret2', 'Basic s3cret']) {
        const headers = { ...json, ...(auth ? { authorization: auth } : {}) };
        const r = await send(s.url, payload([alert()]), headers);
        const ok = auth === 'Bearer s3cret' || auth === 'bearer s3cret';
        expect({ auth, status: r.status, www: r.auth, body: JSON.parse(r.body) }).toEqual(
          ok ? { auth, status: 200, www: undefined, body: { stored: 1, created: 1, updated: 0 } } : { auth, status: 401, www: 'Bearer', body: { error: 'missing or wrong bearer token' } },
        );
      }
      expect(s.stored).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});

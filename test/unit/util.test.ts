// src/util: the one copy of each small helper (quantities, clipping, HTML escaping, ages, the express server).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vm from 'node:vm';
import express from 'express';
import { parseQuantity } from '../../src/util/quantity.js';
import { clip, oneLine } from '../../src/util/text.js';
import { escapeHtml } from '../../src/util/html.js';
import { age } from '../../src/util/time.js';
import { expressServer } from '../../src/util/http.js';
import { APP_JS } from '../../src/web/assets.js';
import { DueJobs, type DueJob } from '../../src/util/dueJobs.js';
import { SerialByKey } from '../../src/util/serialByKey.js';
import { deliveryRetryDelay } from '../../src/util/retry.js';

describe('parseQuantity', () => {
  it.each<[string | number | undefined | null, number | undefined]>([
    ['250m', 0.25],
    ['2', 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['+1', 1],
    ['-2Gi', -2 * 2 ** 30],
    ['128Mi', 128 * 2 ** 20],
    ['1Ki', 1024],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['1k', 1000],
    ['1M', 1e6],
    ['1E', 1e18], // exa: the tools' parser read it as an exponent of nothing (1)
    ['1e3', 1000],
    ['1E3', 1000],
    ['2e-3', 0.002],
    ['500u', 0.0005],
    ['100n', 1e-7],
    [' 1Gi ', 2 ** 30],
    [3, 3],
    ['1K', undefined], // not a Kubernetes suffix (the analyzer's parser took it for k)
    ['1 Gi', undefined],
    ['Gi', undefined],
    ['1.Gi', undefined],
    ['', undefined],
    ['abc', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('%p', (q, want) => {
    const got = parseQuantity(q);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 12);
  });
});

describe('clip', () => {
  it('leaves short text alone and cuts long text to max with the mark', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
    expect(clip('abcdefghij', 8, '…[cut]')).toBe('ab…[cut]');
    expect(clip('abcdefghij', 5, '…[cut]')).toBe('…[cut]'); // the mark alone when there is no room for more (as the CRD's clip always did)
    expect(clip(undefined, 3)).toBeUndefined();
    expect(clip('', 0)).toBe('');
  });

  it('never splits a surrogate pair, and never goes over max', () => {
    const fire = '🔥'; // 2 UTF-16 units
    expect(clip(`ab${fire}cd`, 4)).toBe('ab…');
    expect(clip(`a${fire}cd`, 4)).toBe(`a${fire}…`);
    for (let max = 1; max < 12; max++) {
      const out = clip(`${fire}x${fire}${fire}yz${fire}`, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });
});

describe('oneLine', () => {
  it('folds every run of whitespace to one space and trims', () => {
    expect(oneLine('  a\n\tb  \r\n c \n')).toBe('a b c');
    expect(oneLine('')).toBe('');
  });
});

describe('escapeHtml', () => {
  it('escapes what could open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`=</a>`)).toBe('&#60;a href&#61;&#34;x&#34; onclick&#61;&#39;y&#39;&#62;&#38;&#96;&#61;&#60;/a&#62;');
    expect(escapeHtml('plain text, ünï 🔥')).toBe('plain text, ünï 🔥');
  });
});

describe('age', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const cases: Array<[string, string]> = [
    ['2026-12-01T12:00:00Z', '0s'],
    ['2026-12-01T12:00:05Z', '0s'], // in the future
    ['2026-12-01T11:58:01Z', '119s'],
    ['2026-12-01T11:58:00Z', '2m'],
    ['2026-12-01T10:00:01Z', '119m'],
    ['2026-12-01T10:00:00Z', '2h'],
    ['2026-11-29T12:00:01Z', '47h'],
    ['2026-11-29T12:00:00Z', '2d'],
    ['2025-12-01T12:00:00Z', '365d'],
    ['not a time', ''],
  ];
  it.each(cases)('%s', (iso, want) => expect(age(iso, now)).toBe(want));

  it("the web view's browser copy (src/web/assets.ts) answers the same", () => {
    const src = /\n {2}function age\(iso\) \{[\s\S]*?\n {2}\}\n/.exec(APP_JS)?.[0];
    expect(src).toBeDefined();
    const browserAge = vm.runInNewContext(`(function () { ${src}; return age; })()`, { Date: { parse: Date.parse, now: () => now }, Math, isFinite }) as (iso: string) => string;
    for (const [iso, want] of cases) expect({ iso, got: browserAge(iso) }).toEqual({ iso, got: want });
  });
});

describe('expressServer', () => {
  it("serves the app with requests and responses born on express's prototypes", async () => {
    const app = express();
    const seen: unknown[] = [];
    app.post('/x', express.json(), (req, res) => {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response, req instanceof http.IncomingMessage, res instanceof http.ServerResponse);
      res.status(201).json({ got: req.body, type: req.get('content-type') });
    });
    const server = expressServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await fetch(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect({ status: r.status, body: await r.json() }).toEqual({ status: 201, body: { got: { a: 1 }, type: 'application/json' } });
      expect(seen).toEqual([true, true, true, true]);
      expect((await fetch(`${url}/nothing`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('DueJobs (the delivery loop of the notifier and the ticketer)', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));
  function harness(concurrency: number) {
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const jobs = new DueJobs<DueJob>({
      concurrency,
      now: () => Date.now(),
      run: (job) => new Promise<void>((done) => {
        started.push(job.key);
        release.set(job.key, () => { jobs.drop(job.key); done(); });
      }),
    });
    return { jobs, started, release };
  }

  it('runs at most `concurrency` at once, one at a time per lock, and a key once', async () => {
    const { jobs, started, release } = harness(2);
    jobs.start();
    jobs.add({ key: 'a', lock: 'x', dueAt: 0 });
    jobs.add({ key: 'b', lock: 'x', dueAt: 0 });
    jobs.add({ key: 'c', lock: 'y', dueAt: 0 });
    jobs.add({ key: 'd', lock: 'z', dueAt: 0 });
    expect(jobs.has('a')).toBe(true);
    await tick();
    expect(started).toEqual(['a', 'c']);
    release.get('a')!();
    await tick();
    expect(started).toEqual(['a', 'c', 'b']);
    release.get('c')!();
    await tick();
    expect(started).toEqual(['a', 'c', 'b', 'd']);
    release.get('b')!();
    release.get('d')!();
    await jobs.stop();
    expect(jobs.size).toBe(0);
  });

  it('waits for dueAt, never runs a dropped or replaced job, and runs nothing before start or after stop', async () => {
    const { jobs, started, release } = harness(4);
    jobs.add({ key: 'early', lock: '1', dueAt: 0 });
    await tick();
    expect(started).toEqual([]);
    jobs.start();
    jobs.add({ key: 'later', lock: '2', dueAt: Date.now() + 40 });
    jobs.add({ key: 'gone', lock: '3', dueAt: Date.now() + 20 });
    jobs.drop('gone');
    const old = { key: 'replaced', lock: '4', dueAt: Date.now() + 20 };
    jobs.add(old);
    jobs.add({ key: 'replaced', lock: '4', dueAt: Date.now() + 1_000_000 });
    expect(jobs.current(old)).toBe(false);
    await tick();
    expect(started).toEqual(['early']);
    await new Promise((r) => setTimeout(r, 60));
    expect(started).toEqual(['early', 'later']);
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await tick();
    expect(stopped).toBe(false);
    release.get('early')!();
    release.get('later')!();
    await stopping;
    jobs.add({ key: 'after', lock: '5', dueAt: 0 });
    await tick();
    expect(started).toEqual(['early', 'later']);
  });
});

describe('SerialByKey and deliveryRetryDelay', () => {
  it('one write at a time per key, in order, a failure not stopping the next', async () => {
    const serial = new SerialByKey();
    const order: string[] = [];
    const slow = (tag: string, ms: number, fail = false) => () => new Promise<string>((ok, no) => setTimeout(() => { order.push(tag); fail ? no(new Error(tag)) : ok(tag); }, ms));
    const a = serial.run('k', slow('a1', 30, true));
    const b = serial.run('k', slow('a2', 1));
    const c = serial.run('other', slow('b1', 5));
    await expect(a).rejects.toThrow('a1');
    await expect(b).resolves.toBe('a2');
    await c;
    expect(order).toEqual(['b1', 'a1', 'a2']);
  });

  it('Retry-After wins over the backoff, up to an hour', () => {
    const d = { initialBackoff: 1_000, maxBackoff: 60_000 };
    expect(deliveryRetryDelay(1, d)).toBeLessThanOrEqual(1_200);
    expect(deliveryRetryDelay(1, d, 30_000)).toBe(30_000);
    expect(deliveryRetryDelay(1, d, 10 * 3_600_000)).toBe(3_600_000);
  });
});

// The webhook against the real apiserver: idempotent intake, counts, concurrency, and bad input.
import type { Operator } from '../../src/operator.js';
import { alert, createNamespace, listIncidents, payload, post, startTestOperator } from './harness.js';
import { startOperatorProcess } from './processes.js';

let op: Operator;
let ns: string;

/** POSTs raw bytes, as a sender with another idea of text would. */
async function postBytes(url: string, bytes: Uint8Array): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** The JSON of a payload with `marker` (an ASCII string in it) replaced by raw bytes; and where they start. */
function withRawBytes(body: unknown, marker: string, raw: number[]): { bytes: Uint8Array; at: number } {
  const json = Buffer.from(JSON.stringify(body));
  const at = json.indexOf(marker);
  return { bytes: Buffer.concat([json.subarray(0, at), Buffer.from(raw), json.subarray(at + marker.length)]), at };
}

beforeAll(async () => {
  ns = await createNamespace('webhook');
  op = await startTestOperator({ namespace: ns, controller: false, env: { WEBHOOK_MAX_BODY_BYTES: String(4 * 1024 * 1024) } });
});
afterAll(async () => op?.stop());

describe('POST /api/v1/alerts', () => {
  it('stores one incident per alert, and the same notification 5 times plus 2 at once leaves one object with count 7', async () => {
    const a = alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-1' });
    for (let i = 0; i < 5; i++) expect((await post(op.webhookUrl, payload([a]))).status).toBe(200);
    const both = await Promise.all([post(op.webhookUrl, payload([a])), post(op.webhookUrl, payload([a]))]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const mine = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint);
    expect(mine).toHaveLength(1);
    expect(mine[0].spec.notifications?.count).toBe(7);
    expect(mine[0].metadata.name).toMatch(/^kube-pod-crash-looping-[0-9a-f]{10}$/);
    expect(mine[0].spec).toMatchObject({ alertname: 'KubePodCrashLooping', severity: 'warning', status: 'firing', receiver: 'alert-agent', externalURL: 'http://alertmanager.test' });
  });

  it('a resolved notification updates the incident; a re-fire after resolution makes a new one', async () => {
    const a = alert({ alertname: 'KubeJobFailed', namespace: 'batch', job_name: 'nightly' });
    await post(op.webhookUrl, payload([a]));
    const r = await post(op.webhookUrl, payload([{ ...a, status: 'resolved', endsAt: '2026-11-26T07:30:00Z' }], { status: 'resolved' }));
    expect(r.status).toBe(200);
    let mine = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint);
    expect(mine).toHaveLength(1);
    expect(mine[0].spec).toMatchObject({ status: 'resolved', endsAt: '2026-11-26T07:30:00Z', notifications: { count: 2 } });
    await post(op.webhookUrl, payload([{ ...a, startsAt: '2026-11-26T09:00:00Z' }]));
    mine = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint);
    expect(mine).toHaveLength(2);
    expect(mine.map((i) => i.spec.status).sort()).toEqual(['firing', 'resolved']);
  });

  it('stores label and annotation values of any content: unicode, quotes, 10 KB', async () => {
    const weird = 'ünïcødé 🔥 "quoted" \'single\' \\ back\\slash\n newline <tag> {{ template }} ${env} `tick`';
    const long = 'x'.repeat(10 * 1024);
    const a = alert({ alertname: 'Ünïcødé Alert "quoted"', namespace: 'shop', weird, long }, { annotations: { description: weird + long } });
    const r = await post(op.webhookUrl, payload([a]));
    expect(r.status).toBe(200);
    const [inc] = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint);
    expect(inc.spec.labels.weird).toBe(weird);
    expect(inc.spec.labels.long).toBe(long);
    expect(inc.spec.annotations.description).toBe(weird + long);
    expect(inc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('stores multi-byte UTF-8 byte-exact: emoji, CJK, combining marks, 4-byte characters, sent as raw bytes', async () => {
    const values = {
      emoji: '🔥🚒 👩‍👩‍👧 🇯🇵',
      cjk: '数据库连接失败 データベース 데이터베이스',
      combining: 'cafe\u0301 (decomposed) vs café (composed)',
      astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎𠜱𠝹',
      rtl: 'שגיאה خطأ',
    };
    const a = alert({ alertname: 'Utf8Exact', namespace: 'shop', ...values }, { annotations: { description: Object.values(values).join(' | ') } });
    const bytes = Buffer.from(JSON.stringify(payload([a])), 'utf8');
    const r = await postBytes(op.webhookUrl, bytes);
    expect(r.status).toBe(200);
    const [inc] = (await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint);
    for (const [k, v] of Object.entries(values)) {
      expect(Buffer.from(inc.spec.labels[k], 'utf8').equals(Buffer.from(v, 'utf8'))).toBe(true);
      expect(inc.spec.labels[k]).not.toContain('\ufffd');
    }
    expect(inc.spec.annotations.description).toBe(Object.values(values).join(' | '));
    // not normalized: the decomposed é stays two code points
    expect(inc.spec.labels.combining.normalize('NFC')).not.toBe(inc.spec.labels.combining);
  });

  it('stores many alerts of one payload, and answers only when all are stored', async () => {
    const alerts = Array.from({ length: 50 }, (_, i) => alert({ alertname: 'TargetDown', job: `job-${i}` }));
    const r = await post(op.webhookUrl, payload(alerts));
    expect(r).toMatchObject({ status: 200, body: { stored: 50, created: 50 } });
    const fps = new Set(alerts.map((a) => a.fingerprint));
    expect((await listIncidents(ns)).filter((i) => fps.has(i.spec.fingerprint))).toHaveLength(50);
  });

  describe('bad input gets a clear 4xx, stores nothing, and the process stays up', () => {
    let before: number;
    beforeEach(async () => {
      before = (await listIncidents(ns)).length;
    });
    afterEach(async () => {
      expect((await listIncidents(ns)).length).toBe(before);
      expect((await fetch(op.webhookUrl.replace('/api/v1/alerts', '/healthz'))).status).toBe(200);
    });

    it('malformed JSON → 400', async () => {
      const r = await post(op.webhookUrl, '{"version": "4", "alerts": [');
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/malformed JSON/);
    });
    it('wrong schema → 400 naming the field', async () => {
      const r = await post(op.webhookUrl, payload([alert({ alertname: 'X' }, { startsAt: 'not a time' })]));
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('alerts[0].startsAt');
    });
    it('a bad alert among good ones stores none of them', async () => {
      const r = await post(op.webhookUrl, payload([alert({ alertname: 'Good' }), alert({ alertname: 'Bad' }, { status: 'weird' })]));
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('alerts[1].status');
    });
    it('empty alerts → 400', async () => {
      const r = await post(op.webhookUrl, payload([]));
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('no alerts');
    });
    it('a 10 MB body → 413', async () => {
      const r = await post(op.webhookUrl, payload([alert({ alertname: 'Huge' }, { annotations: { d: 'x'.repeat(10 * 1024 * 1024) } })]));
      expect(r.status).toBe(413);
      expect(r.body.error).toMatch(/larger than/);
    });
    it('invalid UTF-8 → 400 naming the byte, and nothing stored (a lone 0xFF, Latin-1 é, a cut sequence)', async () => {
      const a = alert({ alertname: 'BadBytes', namespace: 'shop', pod: 'MARKER' });
      for (const raw of [[0xff], [0x63, 0x61, 0x66, 0xe9], [0xe4, 0xb8]]) {
        const { bytes, at } = withRawBytes(payload([a]), 'MARKER', raw);
        const r = await postBytes(op.webhookUrl, bytes);
        expect(r.status).toBe(400);
        const offset = raw[0] === 0x63 ? at + 3 : at;
        expect(r.body.error).toContain(`body is not valid UTF-8 at byte ${offset}`);
      }
      expect((await listIncidents(ns)).filter((i) => i.spec.fingerprint === a.fingerprint)).toEqual([]);
    });
    it('a lone surrogate escape (\\udc00: valid bytes, no UTF-8 text) → 400 naming the field', async () => {
      const a = alert({ alertname: 'LoneSurrogate', pod: 'MARKER' });
      const r = await post(op.webhookUrl, JSON.stringify(payload([a])).replace('MARKER', 'web-\\udc00'));
      expect(r.status).toBe(400);
      expect(r.body.error).toContain('alerts[0].labels.pod');
    });
    it('more alerts than WEBHOOK_MAX_ALERTS (default 1000) → 413 naming the bound and max_alerts', async () => {
      const alerts = Array.from({ length: 1001 }, (_, i) => alert({ alertname: 'TooMany', job: `job-${i}` }));
      const r = await post(op.webhookUrl, payload(alerts));
      expect(r.status).toBe(413);
      expect(r.body.error).toMatch(/1001 alerts, more than the 1000 .*WEBHOOK_MAX_ALERTS.*max_alerts: 1000/);
    });
    it('not JSON at all → 400', async () => {
      const r = await post(op.webhookUrl, 'hello');
      expect(r.status).toBe(400);
    });
  });
});

describe('WEBHOOK_MAX_ALERTS=3', () => {
  let small: Operator;
  beforeAll(async () => {
    small = await startTestOperator({ namespace: ns, controller: false, env: { WEBHOOK_MAX_ALERTS: '3' } });
  });
  afterAll(async () => small?.stop());

  it('stores a payload of 3 alerts, answers 413 to one of 4 and stores none of those', async () => {
    const three = Array.from({ length: 3 }, (_, i) => alert({ alertname: 'Bound', job: `ok-${i}` }));
    expect(await post(small.webhookUrl, payload(three))).toMatchObject({ status: 200, body: { stored: 3 } });
    const four = Array.from({ length: 4 }, (_, i) => alert({ alertname: 'Bound', job: `over-${i}` }));
    const r = await post(small.webhookUrl, payload(four));
    expect(r.status).toBe(413);
    expect(r.body.error).toContain('set max_alerts: 3');
    const fps = new Set(four.map((a) => a.fingerprint));
    expect((await listIncidents(ns)).filter((i) => fps.has(i.spec.fingerprint))).toEqual([]);
  });
});

describe('bearer token', () => {
  let secured: Operator;
  beforeAll(async () => {
    secured = await startTestOperator({ namespace: ns, controller: false, env: { WEBHOOK_BEARER_TOKEN: 's3cret-token' } });
  });
  afterAll(async () => secured?.stop());

  it('answers 401 without the token and 200 with it', async () => {
    const body = payload([alert({ alertname: 'Auth' })]);
    expect((await post(secured.webhookUrl, body)).status).toBe(401);
    expect((await post(secured.webhookUrl, body, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(secured.webhookUrl, body, { authorization: 'Bearer s3cret-token' })).status).toBe(200);
  });

  it('beyond loopback without a token the process refuses to start; WEBHOOK_REQUIRE_TOKEN=false starts it open, with a warning', async () => {
    const refused = await startOperatorProcess({ NAMESPACE: ns, WEBHOOK_HOST: '0.0.0.0' }, { waitReady: false });
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/WEBHOOK_BEARER_TOKEN: not set, and the webhook listens on WEBHOOK_HOST 0\.0\.0\.0.*WEBHOOK_REQUIRE_TOKEN=false/s);

    const open = await startOperatorProcess({ NAMESPACE: ns, WEBHOOK_HOST: '0.0.0.0', WEBHOOK_REQUIRE_TOKEN: 'false' });
    try {
      expect((await post(open.webhook, payload([alert({ alertname: 'OpenOnPurpose' })]))).status).toBe(200);
      expect(open.output()).toMatch(/"level":"warn".*the webhook runs open: no WEBHOOK_BEARER_TOKEN, it takes alerts from anyone who can reach 0\.0\.0\.0/);
    } finally {
      open.child.kill('SIGTERM');
      await open.exited;
    }
  }, 60_000);
});

describe('INCIDENT_NAMESPACE_MODE=alert', () => {
  let teamNs: string;
  let byAlert: Operator;
  beforeAll(async () => {
    teamNs = await createNamespace('team');
    byAlert = await startTestOperator({ namespace: ns, controller: false, env: { INCIDENT_NAMESPACE_MODE: 'alert' } });
  });
  afterAll(async () => byAlert?.stop());

  it("puts an incident in the alert's namespace, or the operator's when that namespace does not exist", async () => {
    const inTeam = alert({ alertname: 'TeamAlert', namespace: teamNs });
    const nowhere = alert({ alertname: 'TeamAlert', namespace: 'no-such-namespace' });
    expect((await post(byAlert.webhookUrl, payload([inTeam, nowhere]))).status).toBe(200);
    expect((await listIncidents(teamNs)).map((i) => i.spec.fingerprint)).toEqual([inTeam.fingerprint]);
    expect((await listIncidents(ns)).filter((i) => i.spec.fingerprint === nowhere.fingerprint)).toHaveLength(1);
    // A repeat finds the same objects.
    expect((await post(byAlert.webhookUrl, payload([inTeam, nowhere]))).status).toBe(200);
    expect((await listIncidents(teamNs))[0].spec.notifications?.count).toBe(2);
  });
});

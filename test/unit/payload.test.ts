import { WebhookPayload, describeIssues, findLoneSurrogate } from '../../src/webhook/payload.js';
import { describeInvalidUtf8, invalidUtf8Offset } from '../../src/webhook/utf8.js';
import { mergeNotification, specFromAlert } from '../../src/webhook/intake.js';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-1', severity: 'warning' },
  annotations: { summary: 'Pod is crash looping' },
  startsAt: '2026-11-26T07:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint: 'c0ffee',
  ...over,
});
const payload = (alerts: unknown[], over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="KubePodCrashLooping"}',
  status: 'firing',
  receiver: 'alert-agent',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  truncatedAlerts: 0,
  alerts,
  ...over,
});

describe('AlertManager payload', () => {
  it('accepts version 4 and fields newer AlertManagers add', () => {
    const r = WebhookPayload.safeParse(payload([alert()], { notification_reason: 'new', routeLabels: { a: 'b' } }));
    expect(r.success).toBe(true);
  });

  it.each([
    [payload([]), 'alerts: the payload holds no alerts'],
    [payload([alert()], { version: '3' }), 'version'],
    [payload([alert({ startsAt: 'yesterday' })]), 'alerts[0].startsAt'],
    [payload([alert({ labels: { alertname: 7 } })]), 'alerts[0].labels.alertname'],
    [payload([alert({ status: 'pending' })]), 'alerts[0].status'],
    [payload([alert({ labels: {} })]), 'alerts[0].labels'],
    [{ alerts: 'nope' }, 'version'],
  ])('names the bad field (%#)', (body, field) => {
    const r = WebhookPayload.safeParse(body);
    expect(r.success).toBe(false);
    if (!r.success) expect(describeIssues(r.error)).toContain(field);
  });

  it('refuses an alert too big for one incident', () => {
    const r = WebhookPayload.safeParse(payload([alert({ annotations: { description: 'x'.repeat(300 * 1024) } })]));
    expect(r.success).toBe(false);
    if (!r.success) expect(describeIssues(r.error)).toMatch(/alerts\[0\].*bytes/);
  });

  it('turns an alert into a spec, dropping the zero endsAt of a firing alert', () => {
    const p = WebhookPayload.parse(payload([alert()]));
    const spec = specFromAlert(p.alerts[0], p, '2026-11-26T07:00:01Z');
    expect(spec).toMatchObject({ alertname: 'KubePodCrashLooping', severity: 'warning', status: 'firing', fingerprint: 'c0ffee', receiver: 'alert-agent' });
    expect(spec.endsAt).toBeUndefined();
    expect(spec.notifications).toEqual({ count: 1, firstReceivedAt: '2026-11-26T07:00:01Z', lastReceivedAt: '2026-11-26T07:00:01Z' });
  });

  it('counts repeats and keeps resolved final for one firing', () => {
    const p = WebhookPayload.parse(payload([alert()]));
    const first = specFromAlert(p.alerts[0], p, 't1');
    const resolved = specFromAlert(WebhookPayload.parse(payload([alert({ status: 'resolved', endsAt: '2026-11-26T08:00:00Z' })])).alerts[0], p, 't2');
    const patch = mergeNotification(first, resolved);
    expect(patch).toMatchObject({ status: 'resolved', endsAt: '2026-11-26T08:00:00Z', notifications: { count: 2, firstReceivedAt: 't1', lastReceivedAt: 't2' } });
    const late = mergeNotification({ ...first, status: 'resolved' }, specFromAlert(p.alerts[0], p, 't3'));
    expect(late.status).toBeUndefined();
  });
});

describe('the payload check, case by case', () => {
  // What zod answers for each shape a sender may post: 'ok', or the issues as the 400 words them.
  const cases: Array<[string, unknown, string]> = [
    ['a typical payload', payload([alert(), alert({ fingerprint: 'beef', labels: { alertname: 'B' } })]), 'ok'],
    ['fields newer AlertManagers add, on the payload and on an alert', payload([alert({ extra: 1 })], { notification_reason: 'new', routeLabels: { a: 'b' } }), 'ok'],
    ['no annotations (default {})', payload([{ ...alert(), annotations: undefined }]), 'ok'],
    ['annotations absent', payload([(({ annotations: _a, ...rest }) => rest)(alert())]), 'ok'],
    ['only the required fields', { version: '4', alerts: [{ status: 'resolved', labels: { a: 'b' }, startsAt: '2026-11-26T07:00:00Z' }] }, 'ok'],
    ['optional fields absent from the alert', payload([(({ endsAt: _e, generatorURL: _g, fingerprint: _f, ...rest }) => rest)(alert())]), 'ok'],
    ['keys in another order', { alerts: [{ fingerprint: 'f', startsAt: '2026-01-01T00:00:00Z', labels: { z: '1', a: '2' }, status: 'firing' }], version: '4', receiver: 'r' }, 'ok'],
    ['a __proto__ label', JSON.parse('{"version":"4","alerts":[{"status":"firing","labels":{"__proto__":"x","a":"b"},"startsAt":"2026-01-01T00:00:00Z"}]}'), 'ok'],
    ['only a __proto__ label', JSON.parse('{"version":"4","alerts":[{"status":"firing","labels":{"__proto__":"x"},"startsAt":"2026-01-01T00:00:00Z"}]}'), 'alerts[0].labels: an alert needs at least one label'],
    ['a fingerprint of 256 characters', payload([alert({ fingerprint: 'f'.repeat(256) })]), 'ok'],
    ['a fingerprint of 257 characters', payload([alert({ fingerprint: 'f'.repeat(257) })]), 'alerts[0].fingerprint: String must contain at most 256 character(s)'],
    ['truncatedAlerts Infinity', payload([alert()], { truncatedAlerts: Infinity }), 'ok'],
    ['truncatedAlerts a string', payload([alert()], { truncatedAlerts: '3' }), 'truncatedAlerts: Expected number, received string'],
    ['groupKey null', payload([alert()], { groupKey: null }), 'groupKey: Expected string, received null'],
    ['commonLabels with a number', payload([alert()], { commonLabels: { a: 1 } }), 'commonLabels.a: label and annotation values must be strings'],
    ['status pending', payload([alert()], { status: 'pending' }), "status: Invalid enum value. Expected 'firing' | 'resolved', received 'pending'"],
    ['an alert that is an array', payload([[1]]), 'alerts[0]: Expected object, received array'],
    ['no alerts', payload([]), 'alerts: the payload holds no alerts'],
    ['version 3', payload([alert()], { version: '3' }), 'version: only version "4" of the AlertManager webhook payload is understood'],
    ['a bad startsAt', payload([alert({ startsAt: 'yesterday' })]), 'alerts[0].startsAt: not an RFC 3339 timestamp'],
    ['a bad endsAt', payload([alert({ endsAt: 'tomorrow' })]), 'alerts[0].endsAt: not an RFC 3339 timestamp'],
    ['endsAt null', payload([alert({ endsAt: null })]), 'alerts[0].endsAt: Expected string, received null'],
    ['a numeric label', payload([alert({ labels: { alertname: 7 } })]), 'alerts[0].labels.alertname: label and annotation values must be strings'],
    ['no labels', payload([alert({ labels: {} })]), 'alerts[0].labels: an alert needs at least one label'],
    ['labels an array', payload([alert({ labels: ['a'] })]), 'alerts[0].labels: Expected object, received array'],
    ['an alert just under the size bound', payload([alert({ annotations: { description: 'x'.repeat(256 * 1024 - 200) } })]), 'ok'],
    ['an alert over the size bound', payload([alert({ annotations: { description: 'x'.repeat(300 * 1024) } })]), 'alerts[0]: labels and annotations take 307307 bytes, more than the 262144 an incident can hold'],
    ['escapes that grow in JSON', payload([alert({ annotations: { description: '\u0001'.repeat(50 * 1024) } })]), 'alerts[0]: labels and annotations take 307307 bytes, more than the 262144 an incident can hold'],
    ['unicode', payload([alert({ labels: { alertname: 'Ünï 🔥', 'ключ': '值' } })]), 'ok'],
    ['not an object', 'hello', '(body): Expected object, received string'],
    ['null', null, '(body): Expected object, received null'],
    ['an array', [payload([alert()])], '(body): Expected object, received array'],
  ];
  it.each(cases)('%s', (_name, body, answer) => {
    const r = WebhookPayload.safeParse(body);
    expect(r.success ? 'ok' : describeIssues(r.error)).toBe(answer);
  });

  it('keeps the known keys only, defaults annotations to {}, and does not share the records of the body', () => {
    const body = payload([{ ...alert({ extra: 1 }), annotations: undefined }], { notification_reason: 'new' });
    const out = WebhookPayload.parse(body);
    expect(Object.keys(out)).not.toContain('notification_reason');
    expect(Object.keys(out.alerts[0])).not.toContain('extra');
    expect(out.alerts[0].annotations).toEqual({});
    expect(out.alerts[0].labels).not.toBe((body.alerts[0] as { labels: unknown }).labels);
    expect(out.alerts[0].labels).toEqual((body.alerts[0] as { labels: unknown }).labels);
  });
});

describe('strict UTF-8', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const decodes = (b: Uint8Array) => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['ASCII', [0x7b, 0x7d], -1],
    ['é, 中, 🔥', [...Buffer.from('é中🔥')], -1],
    ['a lone 0xFF', [0x61, 0xff, 0x62], 1],
    ['a continuation byte first', [0x61, 0x80], 1],
    ['a truncated 2-byte sequence', [0x61, 0x62, 0xc3, 0x28], 2],
    ['a truncated sequence at the end', [0x61, 0xe4, 0xb8], 1],
    ['an overlong "/" (C0 AF)', [0xc0, 0xaf], 0],
    ['an overlong 3-byte form (E0 80 AF)', [0x20, 0xe0, 0x80, 0xaf], 1],
    ['a UTF-16 surrogate (ED A0 80)', [0xed, 0xa0, 0x80], 0],
    ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], 0],
    ['Latin-1 "café" (E9)', [0x63, 0x61, 0x66, 0xe9], 3],
  ])('%s', (_name, bytes, offset) => {
    const buf = Uint8Array.from(bytes as number[]);
    expect(invalidUtf8Offset(buf)).toBe(offset);
    expect(decodes(buf)).toBe(offset === -1);
  });

  it('agrees with a fatal TextDecoder on 20 000 random byte strings, and the bytes before the offset decode', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = [[0x41], [0xc3, 0xa9], [0xe4, 0xb8, 0xad], [0xf0, 0x9f, 0x94, 0xa5], [0xed, 0x9f, 0xbf], [0xf4, 0x8f, 0xbf, 0xbf]];
    for (let n = 0; n < 20_000; n++) {
      const bytes: number[] = [];
      const len = Math.floor(rnd() * 12);
      for (let i = 0; i < len; i++) {
        // mostly valid pieces, sometimes one random byte: invalid spots land anywhere
        if (rnd() < 0.8) bytes.push(...pieces[Math.floor(rnd() * pieces.length)]);
        else bytes.push(Math.floor(rnd() * 256));
      }
      const buf = Uint8Array.from(bytes);
      const off = invalidUtf8Offset(buf);
      expect({ bytes, valid: off === -1 }).toEqual({ bytes, valid: decodes(buf) });
      if (off >= 0) expect(decodes(buf.subarray(0, off))).toBe(true);
    }
  });

  it('names the byte and shows it', () => {
    expect(describeInvalidUtf8(Uint8Array.from([0x61, 0xff, 0x62]), 1)).toMatch(/^body is not valid UTF-8 at byte 1 \(0xff 0x62\)/);
  });

  it('finds a lone surrogate escape in a value or a key, and nothing in proper pairs', () => {
    expect(findLoneSurrogate(JSON.parse('{"alerts":[{"labels":{"a":"ok 🔥","b":"x\\udc00y"}}]}'))).toBe('alerts[0].labels.b');
    expect(findLoneSurrogate(JSON.parse('{"alerts":[{"labels":{"\\ud800":"v"}}]}'))).toBe('alerts[0].labels.\ud800 (the key)');
    expect(findLoneSurrogate(JSON.parse('{"a":"\\ud83d\\udd25 中文","b":[1,null,true]}'))).toBeUndefined();
  });
});

import { WebhookPayload, describeIssues } from '../../src/webhook/payload.js';
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

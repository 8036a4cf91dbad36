import { fingerprintOf, incidentName } from '../../src/incident/naming.js';

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('incidentName', () => {
  it('is deterministic, readable and a DNS-1123 label', () => {
    const a = incidentName('KubePodCrashLooping', 'abc123', '2026-11-26T07:00:00Z');
    expect(a).toBe(incidentName('KubePodCrashLooping', 'abc123', '2026-11-26T07:00:00Z'));
    expect(a).toMatch(/^kube-pod-crash-looping-[0-9a-f]{10}$/);
    expect(a).toMatch(DNS1123);
  });

  it('differs for another firing of the same alert (startsAt) and another alert (fingerprint)', () => {
    const base = incidentName('X', 'fp', '2026-01-01T00:00:00Z');
    expect(incidentName('X', 'fp', '2026-01-01T00:05:00Z')).not.toBe(base);
    expect(incidentName('X', 'fp2', '2026-01-01T00:00:00Z')).not.toBe(base);
  });

  it.each([
    ['', 'empty'],
    ['日本語のアラート', 'unicode only'],
    ['---', 'dashes only'],
    ['A'.repeat(500), 'very long'],
    ['Weird "quoted" name\n\t with $pecial/chars..', 'odd characters'],
    ['émoji 🔥 Alert', 'emoji'],
  ])('stays a valid name of at most 63 characters for %s (%s)', (alertname) => {
    const n = incidentName(alertname, 'fp', '2026-01-01T00:00:00Z');
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(DNS1123);
  });

  it('derives a stable fingerprint from labels regardless of order', () => {
    expect(fingerprintOf({ a: '1', b: '2' })).toBe(fingerprintOf({ b: '2', a: '1' }));
    expect(fingerprintOf({ a: '1' })).not.toBe(fingerprintOf({ a: '2' }));
  });
});

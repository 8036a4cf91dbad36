import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { CRD_FILE, crdObject, crdText, schemaOf } from '../../scripts/crd.js';
import { crd, listMap } from '../../src/incident/crdMarkers.js';
import { LIMITS } from '../../src/incident/limits.js';
import { AlertIncident, IncidentStatus } from '../../src/incident/types.js';

type Schema = Record<string, any>;

describe('the CRD made from the zod schemas (npm run crd)', () => {
  it('is the committed crds/alertagent.io_alertincidents.yaml, byte for byte', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toBe(crdText());
  });

  it('reads back (as YAML 1.1, like kubectl) as the object it was written from', () => {
    expect(parse(crdText(), { version: '1.1' })).toEqual(JSON.parse(JSON.stringify(crdObject())));
  });

  const status = (crdObject() as Schema).spec.versions[0].schema.openAPIV3Schema.properties.status.properties;

  it('keys the lists that several writers share, for server-side apply', () => {
    const keys = (s: Schema) => [s['x-kubernetes-list-type'], s['x-kubernetes-list-map-keys']];
    expect(keys(status.conditions)).toEqual(['map', ['type']]);
    expect(keys(status.notifications)).toEqual(['map', ['sink', 'event']]);
    expect(keys(status.related)).toEqual(['map', ['namespace', 'name']]);
  });

  it('holds the bounds the operator clips to', () => {
    expect(status.summary.maxLength).toBe(LIMITS.summary);
    expect(status.steps.maxItems).toBe(LIMITS.steps);
    expect(status.steps.items.properties.arguments.maxLength).toBe(LIMITS.stepArguments);
    expect(status.notifications.maxItems).toBe(LIMITS.notifications);
    expect(status.recall.properties.occurrences.items.properties.actions.items.maxLength).toBe(LIMITS.recallAction);
  });
});

describe('the markers', () => {
  it('change nothing at run time: a string the API server counts within its bound reads back', () => {
    // 1024 code points, 2048 UTF-16 units: the API server stores it, so zod must read it.
    const inc = { metadata: { name: 'n', namespace: 'ns' }, spec: { alertname: '😀'.repeat(1024), fingerprint: 'f', status: 'firing', startsAt: 's' } };
    expect(AlertIncident.safeParse(inc).success).toBe(true);
    expect(IncidentStatus.safeParse({ summary: 'x'.repeat(LIMITS.summary * 2) }).success).toBe(true);
  });

  it('survive describe(), optional() and further checks', () => {
    const s = crd(z.string(), { maxLength: 7 }).describe('d').optional();
    expect(schemaOf(s)).toEqual({ schema: { type: 'string', maxLength: 7, description: 'd' }, optional: true });
    expect(schemaOf(crd(z.number().int(), { format: 'int64' }).nonnegative()).schema).toEqual({ type: 'integer', format: 'int64', minimum: 0 });
  });
});

describe('the walker refuses what a structural schema cannot hold', () => {
  it.each([
    ['a union of types', z.union([z.string(), z.boolean()])],
    ['a recursive schema', z.lazy(() => z.string())],
    ['a transform', z.string().transform((s) => s.length)],
    ['a map list keyed by an optional field', listMap(z.array(z.object({ a: z.string().optional() })), 'a')],
    ['a map list keyed by a field that is not there', listMap(z.array(z.object({ a: z.string() })), 'b')],
    ['a bound on a non-string', crd(z.number(), { maxLength: 3 })],
  ])('%s', (_, t) => {
    expect(() => schemaOf(t)).toThrow();
  });

  it('but takes an int-or-string and free-form JSON', () => {
    expect(schemaOf(z.union([z.number().int(), z.string()])).schema).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(schemaOf(z.unknown()).schema).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(schemaOf(z.object({}).passthrough()).schema).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: {} });
  });
});

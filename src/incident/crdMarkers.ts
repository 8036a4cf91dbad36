// What a zod schema cannot say about a field of the CRD, kept on the schema itself (as kubebuilder keeps
// `+kubebuilder:validation:...` markers on Go fields): scripts/crd.ts reads them when it writes
// crds/alertagent.io_alertincidents.yaml. They change nothing at run time: zod validates as before.
//
// Why a string's bound is a marker and not zod's `.max()`: the API server counts a string's length in
// code points, zod in UTF-16 units. With `.max()`, zod would refuse on read an object the API server
// stored (an alert name of emoji), and the reconciler would never see it. What we write is clipped to
// the bound in UTF-16 units (limits.ts), which is never more code points than the CRD allows.
import type { ZodTypeAny } from 'zod';

export interface CrdMarkers {
  /** `maxLength`, in characters (code points, as the API server counts them). */
  maxLength?: number;
  /** `format`: `date-time` (RFC 3339, checked by the API server) or `int64`. */
  format?: 'date-time' | 'int64';
  /** `x-kubernetes-list-type`: how server-side apply merges the list. */
  listType?: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` of a `map` list: required scalar fields of its items. */
  listMapKeys?: readonly string[];
  /** `x-kubernetes-preserve-unknown-fields`: the API server keeps fields the schema does not name. */
  preserveUnknownFields?: boolean;
}

const KEY = 'crdMarkers';

/**
 * The same schema with these markers added. They live in the schema's definition, which zod copies into
 * whatever is made from it (`.describe()`, `.nonnegative()`, ...) and wraps (`.optional()`, `.default()`).
 */
export function crd<T extends ZodTypeAny>(schema: T, markers: CrdMarkers): T {
  const Ctor = schema.constructor as new (def: unknown) => T;
  return new Ctor({ ...schema._def, [KEY]: { ...crdMarkers(schema), ...markers } });
}

/** The markers set on this schema itself (not on what it wraps). */
export function crdMarkers(schema: ZodTypeAny): CrdMarkers | undefined {
  return (schema._def as Record<string, unknown>)[KEY] as CrdMarkers | undefined;
}

/** An array merged by server-side apply as a map keyed by these fields of its items. */
export function listMap<T extends ZodTypeAny>(schema: T, ...keys: string[]): T {
  return crd(schema, { listType: 'map', listMapKeys: keys });
}

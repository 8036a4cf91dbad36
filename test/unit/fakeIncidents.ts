// An apiserver of AlertIncidents in memory for unit tests of the runtime and its consumers: GETs, lists,
// label patches, merge patches and server-side applies of status (each field owned by the manager that
// applied it last: a field a manager leaves out of its next apply is removed if it held it alone), a
// watch that tests drive, and resourceVersions counted up.
import { UNFINISHED_SELECTOR } from '../../src/controller/reconciler.js';
import { slimManagedFields } from '../../src/incident/owners.js';
import { AlertIncident, type IncidentStatus } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Informer, type WatchFn } from '../../src/runtime/informer.js';

export const NS = 'ops';

/** An incident as the watch delivers it (parsed JSON: flat strings); `padBytes` of text in spec and again in status. */
export function incident(name: string, rv: number, status: IncidentStatus = { phase: 'Analyzing' }, padBytes = 0, labels?: Record<string, string>): AlertIncident {
  const pad = padBytes ? `${name} `.repeat(Math.ceil(padBytes / (name.length + 1))).slice(0, padBytes) : undefined;
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'alertagent.io/v1alpha1',
      kind: 'AlertIncident',
      metadata: { name, namespace: NS, resourceVersion: String(rv), generation: 1, ...(labels && { labels }) },
      spec: {
        alertname: 'KubePodCrashLooping',
        fingerprint: name,
        status: 'firing',
        labels: { namespace: 'shop', pod: name },
        annotations: pad ? { description: pad } : {},
        startsAt: '2026-11-26T07:00:00Z',
      },
      status: pad ? { ...status, report: pad } : status,
    }),
  );
}

const conflict = () => Object.assign(new Error('conflict'), { code: 409 });
const notFound = () => Object.assign(new Error('not found'), { code: 404 });

export class FakeStore {
  objects = new Map<string, AlertIncident>();
  /** Per object: status field → the manager that holds it. */
  owners = new Map<string, Map<string, string>>();
  gets = 0;
  lists = 0;
  applies: Array<{ name: string; manager: string; fields: string[] }> = [];
  rv = 1000;
  /** Every stored state, in order: what the watch would deliver. */
  onChange?: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: AlertIncident) => void;

  put(inc: AlertIncident, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): AlertIncident {
    const stored = structuredClone(inc);
    stored.metadata.resourceVersion = String(++this.rv);
    const own = this.owners.get(inc.metadata.name);
    if (own?.size) {
      const by = new Map<string, string[]>();
      for (const [f, m] of own) by.set(m, [...(by.get(m) ?? []), f]);
      (stored.metadata as Record<string, unknown>).managedFields = [...by].map(([manager, fields]) => ({
        manager,
        operation: manager === 'node-fetch' ? 'Update' : 'Apply',
        subresource: 'status',
        fieldsV1: { 'f:status': Object.fromEntries(fields.map((f) => [`f:${f}`, {}])) },
      }));
    }
    this.objects.set(inc.metadata.name, stored);
    this.onChange?.(type, structuredClone(stored));
    return structuredClone(stored);
  }

  create(inc: AlertIncident): AlertIncident {
    return this.put(inc, 'ADDED');
  }

  async get(_ns: string, name: string) {
    this.gets++;
    const o = this.objects.get(name);
    return o && structuredClone(o);
  }

  async list(_o: unknown) {
    this.lists++;
    return { items: [...this.objects.values()].map((o) => structuredClone(o)), resourceVersion: String(this.rv) };
  }

  /** A merge patch of status, as an older operator or a person writes it (manager node-fetch). */
  async patchStatus(_ns: string, name: string, rv: string, body: Record<string, unknown>) {
    const o = this.objects.get(name)!;
    if (o.metadata.resourceVersion !== rv) throw conflict();
    const status: Record<string, unknown> = { ...o.status };
    const own = this.ownersOf(name);
    for (const [k, v] of Object.entries(body)) {
      if (v === null) {
        delete status[k];
        own.delete(k);
      } else {
        status[k] = v;
        own.set(k, 'node-fetch');
      }
    }
    return this.put({ ...o, status: status as IncidentStatus });
  }

  async applyStatus(_ns: string, name: string, body: IncidentStatus, o: { fieldManager: string; resourceVersion?: string }) {
    const cur = this.objects.get(name);
    if (!cur) throw notFound();
    if (o.resourceVersion && cur.metadata.resourceVersion !== o.resourceVersion) throw conflict();
    this.applies.push({ name, manager: o.fieldManager, fields: Object.keys(body) });
    const status: Record<string, unknown> = { ...cur.status };
    const own = this.ownersOf(name);
    for (const [f, m] of [...own]) {
      if (m === o.fieldManager && !(f in body)) {
        delete status[f];
        own.delete(f);
      }
    }
    for (const [k, v] of Object.entries(body)) {
      if (v === undefined) continue;
      status[k] = v;
      own.set(k, o.fieldManager);
    }
    return this.put({ ...cur, status: status as IncidentStatus });
  }

  async patchMetadata(_ns: string, name: string, meta: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> }) {
    const o = this.objects.get(name)!;
    const labels = { ...o.metadata.labels, ...meta.labels } as Record<string, string>;
    for (const [k, v] of Object.entries(labels)) if (v === null) delete labels[k];
    return this.put({ ...o, metadata: { ...o.metadata, labels, annotations: { ...o.metadata.annotations, ...(meta.annotations as Record<string, string>) } } });
  }

  private ownersOf(name: string): Map<string, string> {
    let own = this.owners.get(name);
    if (!own) this.owners.set(name, (own = new Map()));
    return own;
  }
}

/** A watch the test drives: `emit` delivers an event to the open watch, `end` closes it (with an error or not). */
export function fakeWatch() {
  let handler: ((type: string, obj: unknown) => void) | undefined;
  let done: ((err: unknown) => void) | undefined;
  const w = {
    opened: 0,
    open: 0,
    queries: [] as Array<Record<string, unknown>>,
    fn: (async (_path, query, onEvent, onDone) => {
      w.opened++;
      w.open++;
      w.queries.push(query);
      handler = onEvent;
      done = onDone;
      let closed = false;
      return {
        abort: () => {
          if (closed) return;
          closed = true;
          w.open--;
        },
      };
    }) as WatchFn,
    emit(type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK', obj: unknown) {
      handler?.(type, structuredClone(obj));
    },
    end(err: unknown = null) {
      w.open--;
      done?.(err);
    },
  };
  return w;
}

export const tick = () => new Promise((r) => setImmediate(r));

/**
 * The informer of unfinished incidents as the controller runs it, over `store` and a watch the test drives
 * (`w`, from fakeWatch()); `maxObjects` bounds its cache.
 */
export function unfinishedInformer(store: FakeStore, w: ReturnType<typeof fakeWatch>, maxObjects?: number): Informer<AlertIncident> {
  return new Informer<AlertIncident>({
    resource: 'alertincidents',
    apiPath: '/apis/alertagent.io/v1alpha1',
    plural: 'alertincidents',
    namespace: NS,
    labelSelector: UNFINISHED_SELECTOR,
    list: (q) => store.list(q),
    parse: (raw) => slimManagedFields(AlertIncident.parse(raw)),
    watch: w.fn,
    log: silentLogger(),
    maxObjects,
  });
}

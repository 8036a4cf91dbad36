// Recall: a compact, bounded history of past incidents per alert identity, kept in one ConfigMap in the
// operator's namespace so that it outlives the incidents retention deletes. Each data key is an
// identity's hash; each value a small JSON entry (count, first and last time, the newest occurrences with
// their outcome, summary, root cause and actions, all clipped). Writes are read-modify-write with the
// ConfigMap's resourceVersion (a 409 re-reads and retries), and an incident recorded twice (a retried
// report) replaces its own occurrence, so recording is idempotent.
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { retryOnConflict } from '../util/retry.js';
import { clip as cut } from '../util/text.js';
import type { PastDecision, PeopleFeedback } from '../incident/types.js';
import { keepNewest } from '../util/boundedData.js';

export interface Occurrence {
  incident: string;
  namespace?: string;
  /** When the alert started firing. */
  time: string;
  outcome?: string;
  summary?: string;
  rootCause?: string;
  /** The changes that ran (or were proposed and not run), one line each. */
  actions?: string[];
  /** What people decided on its proposed changes, and said of its report (./feedback.ts; bounded there). */
  decisions?: PastDecision[];
  feedback?: PeopleFeedback;
}

export interface HistoryEntry {
  key: string;
  /** The object, as a report names it. */
  object?: string;
  /** Incidents recorded for this identity, ever (the occurrences list holds only the newest). */
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** Newest first. */
  occurrences: Occurrence[];
}

/** The history as the engine sees it (src/operator/ wires the ConfigMap one). */
export interface IncidentHistory {
  lookup(hash: string): Promise<HistoryEntry | undefined>;
  record(hash: string, key: string, object: string, occurrence: Occurrence): Promise<void>;
}

export const HISTORY_BOUNDS = {
  occurrences: 5,
  summary: 300,
  rootCause: 600,
  actions: 3,
  action: 200,
  /** The ConfigMap's data, in bytes (the API server's limit for an object is about 1.5 MiB; a ConfigMap's 1 MiB). */
  bytes: 768 * 1024,
} as const;


/** The entry with one more occurrence (or the same incident's replaced): pure, bounded. */
export function addOccurrence(prev: HistoryEntry | undefined, key: string, object: string, occ: Occurrence, maxOccurrences: number = HISTORY_BOUNDS.occurrences): HistoryEntry {
  const o: Occurrence = {
    incident: occ.incident,
    ...(occ.namespace ? { namespace: occ.namespace } : {}),
    time: occ.time,
    ...(occ.outcome ? { outcome: occ.outcome } : {}),
    ...(occ.summary ? { summary: cut(occ.summary, HISTORY_BOUNDS.summary) } : {}),
    ...(occ.rootCause ? { rootCause: cut(occ.rootCause, HISTORY_BOUNDS.rootCause) } : {}),
    ...(occ.actions?.length ? { actions: occ.actions.slice(0, HISTORY_BOUNDS.actions).map((a) => cut(a, HISTORY_BOUNDS.action)!) } : {}),
    ...(occ.decisions?.length ? { decisions: occ.decisions } : {}),
    ...(occ.feedback ? { feedback: occ.feedback } : {}),
  };
  const same = (x: Occurrence) => x.incident === o.incident && (x.namespace ?? '') === (o.namespace ?? '');
  const known = prev?.occurrences.some(same) ?? false;
  const occurrences = [o, ...(prev?.occurrences ?? []).filter((x) => !same(x))].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, maxOccurrences);
  const times = [o.time, prev?.firstSeen, prev?.lastSeen].filter((t): t is string => !!t).sort((a, b) => Date.parse(a) - Date.parse(b));
  return { key, object, count: (prev?.count ?? 0) + (known ? 0 : 1), firstSeen: times[0], lastSeen: times.at(-1)!, occurrences };
}

/** The data within the bounds: at most `maxEntries` identities and `bytes`, the least recently seen dropped first. */
export function boundData(data: Record<string, string>, maxEntries: number, bytes: number = HISTORY_BOUNDS.bytes): Record<string, string> {
  return keepNewest(data, (v) => Date.parse(parseEntry(v)?.lastSeen ?? ''), maxEntries, bytes);
}

export function parseEntry(v: string | undefined): HistoryEntry | undefined {
  if (!v) return undefined;
  try {
    const e = JSON.parse(v) as HistoryEntry;
    return e && typeof e === 'object' && Array.isArray(e.occurrences) && typeof e.count === 'number' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** How long a read of the ConfigMap answers lookups: a burst of incidents shares one GET. */
const READ_FRESH_MS = 2_000;

interface PendingRecord {
  hash: string;
  key: string;
  object: string;
  occurrence: Occurrence;
  done: (err?: unknown) => void;
}

/**
 * The history in a ConfigMap. RBAC: get/update on that one name, create on configmaps, in its namespace.
 * One object for every alert: under a burst, a read per lookup and a read-modify-write per report would
 * make it the hottest object of the namespace (and 409 on itself). Lookups within READ_FRESH_MS share a
 * read, and records waiting while one is written go out together in the next write. Every write is
 * still conditional on the resourceVersion it read, so other replicas' records are never undone.
 */
export class ConfigMapHistory implements IncidentHistory {
  private readonly api: CoreV1Api;
  private last?: { cm: V1ConfigMap | undefined; at: number };
  private reading?: Promise<V1ConfigMap | undefined>;
  private readonly pending: PendingRecord[] = [];
  private writing = false;

  constructor(
    kc: KubeConfig,
    private readonly o: { namespace: string; name: string; maxEntries: number },
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async lookup(hash: string): Promise<HistoryEntry | undefined> {
    const cm = await this.current();
    return parseEntry(cm?.data?.[hash]);
  }

  record(hash: string, key: string, object: string, occurrence: Occurrence): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ hash, key, object, occurrence, done: (err) => (err ? reject(err) : resolve()) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0);
        const err = await this.write(batch).then(() => undefined, (e: unknown) => e ?? new Error('history write failed'));
        for (const r of batch) r.done(err);
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: PendingRecord[]): Promise<void> {
    // 409: someone wrote first (or created it first): read again and reapply.
    await retryOnConflict(
      async (attempt) => {
        const cm = attempt === 1 ? await this.current() : await this.reread();
        const data = { ...(cm?.data ?? {}) };
        for (const r of batch) data[r.hash] = JSON.stringify(addOccurrence(parseEntry(data[r.hash]), r.key, r.object, r.occurrence));
        const body: V1ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: this.o.name,
            namespace: this.o.namespace,
            labels: { 'app.kubernetes.io/managed-by': 'alert-agent', 'app.kubernetes.io/component': 'history' },
            ...(cm?.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}),
          },
          data: boundData(data, this.o.maxEntries),
        };
        try {
          const saved = cm
            ? await this.api.replaceNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace, body })
            : await this.api.createNamespacedConfigMap({ namespace: this.o.namespace, body });
          this.keep(saved);
        } catch (err) {
          this.last = undefined;
          throw err;
        }
      },
      // writers of one ConfigMap in bursts (every replica's recall): spread the retries out
      { attempts: 6, backoff: { baseMs: 50, maxMs: 800, jitter: 0.6 }, retriable: (err) => code(err) === 409 },
    );
  }

  /** The ConfigMap as read or written within READ_FRESH_MS, else as read now (one GET for all who ask meanwhile). */
  private current(): Promise<V1ConfigMap | undefined> {
    if (this.last && Date.now() - this.last.at < READ_FRESH_MS) return Promise.resolve(this.last.cm);
    return this.reread();
  }

  private reread(): Promise<V1ConfigMap | undefined> {
    this.reading ??= this.read()
      .then((cm) => {
        this.keep(cm);
        return cm;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Held for READ_FRESH_MS only: the ConfigMap may be most of a MiB, and an idle operator needs none of it. */
  private keep(cm: V1ConfigMap | undefined): void {
    const last = { cm, at: Date.now() };
    this.last = last;
    setTimeout(() => {
      if (this.last === last) this.last = undefined;
    }, READ_FRESH_MS).unref();
  }

  private async read(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.api.readNamespacedConfigMap({ name: this.o.name, namespace: this.o.namespace });
    } catch (err) {
      if (code(err) === 404) return undefined;
      throw err;
    }
  }
}

function code(err: unknown): number | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'number' ? c : undefined;
}

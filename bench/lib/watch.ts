// Watches a namespace's AlertIncidents from the benchmark's side: how many are finished (labelled
// alertagent.io/finished=true), and optionally every status each one went through.
import { Watch } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, sleep, type Bed } from './common.js';

export interface IncidentWatch {
  finished: Set<string>;
  /** Every distinct status seen, in order, of the first incident (when recordStatuses). */
  statuses: Map<string, unknown[]>;
  waitFinished(n: number, timeoutMs: number): Promise<void>;
  stop(): void;
}

/** recordStatuses: of the first incident seen only (comparing every status of every incident would take the event loop the operator shares). */
export async function watchIncidents(bed: Bed, namespace: string, opts: { recordStatuses?: boolean } = {}): Promise<IncidentWatch> {
  const finished = new Set<string>();
  const statuses = new Map<string, unknown[]>();
  let failure: unknown;
  const abort = await new Watch(bed.kc()).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
    { allowWatchBookmarks: false },
    (type, obj: any) => {
      const name = obj?.metadata?.name;
      if (!name || type === 'DELETED') return;
      if (obj.metadata.labels?.['alertagent.io/finished'] === 'true') finished.add(name);
      if (opts.recordStatuses && obj.status && (statuses.size === 0 || statuses.has(name))) {
        const list = statuses.get(name) ?? [];
        const last = list.at(-1);
        if (JSON.stringify(last) !== JSON.stringify(obj.status)) list.push(obj.status);
        statuses.set(name, list);
      }
    },
    (err) => {
      if (err && !(err as Error).message?.includes('aborted')) failure = err;
    },
  );
  return {
    finished,
    statuses,
    async waitFinished(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (finished.size < n) {
        if (failure) throw new Error(`watch failed: ${String(failure)}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${finished.size} of ${n} incidents finished`);
        await sleep(20);
      }
    },
    stop: () => abort.abort(),
  };
}

// Kubernetes Events on AlertIncidents, so `kubectl describe` and `kubectl get events` tell the story.
// A repeat of the same reason and message on the same object bumps the count of one Event instead of
// creating another (what client-go's event correlator does). Like client-go's recorder, recording does
// not wait for the API server: Events go out in order from a bounded queue of their own, so a worker
// moves on to the next step instead of holding its slot for a round trip that decides nothing.
import { createHash } from 'node:crypto';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_VERSION, KIND, type AlertIncident } from '../incident/types.js';
import { apiErrorMessage, isConflict } from '../incident/store.js';
import type { Logger } from '../observability/logger.js';

export type EventType = 'Normal' | 'Warning';
export type EventRecorder = (incident: AlertIncident, type: EventType, reason: string, message: string) => Promise<void>;

/** Events waiting to be sent, at most (client-go's recorder keeps 1000 too); past it, new ones are dropped with a warning. */
const MAX_QUEUED = 1000;

/** Queues the Event and returns at once; `flush` resolves once every queued Event has been sent (or given up). */
export function createEventRecorder(kc: KubeConfig, component: string, log: Logger): EventRecorder & { flush(): Promise<void> } {
  const send = eventSender(kc, component, log);
  const queued: Array<Parameters<EventRecorder>> = [];
  let draining: Promise<void> | undefined;
  const drain = async () => {
    while (queued.length) await send(...queued.shift()!).catch((err) => log.warn('could not record event', { error: apiErrorMessage(err) }));
    draining = undefined;
  };
  const record = async (...e: Parameters<EventRecorder>) => {
    if (queued.length >= MAX_QUEUED) {
      log.warn('too many Events waiting: dropping one', { incident: e[0].metadata.name, reason: e[2] });
      return;
    }
    queued.push(e);
    draining ??= drain();
  };
  return Object.assign(record, { flush: async () => void (await draining) });
}

function eventSender(kc: KubeConfig, component: string, log: Logger): EventRecorder {
  const core = kc.makeApiClient(CoreV1Api);
  const host = process.env.POD_NAME ?? 'local';
  return async (incident, type, reason, message) => {
    const { namespace, name, uid, resourceVersion } = incident.metadata;
    const msg = message.length > 1024 ? message.slice(0, 1021) + '...' : message;
    const eventName = `${name}.${createHash('sha1').update(`${type}|${reason}|${msg}`).digest('hex').slice(0, 12)}`;
    const now = new Date().toISOString();
    try {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: eventName, namespace },
          involvedObject: { apiVersion: API_VERSION, kind: KIND, name, namespace, uid, resourceVersion },
          type,
          reason,
          message: msg,
          count: 1,
          firstTimestamp: now as unknown as Date,
          lastTimestamp: now as unknown as Date,
          source: { component, host },
          reportingComponent: component,
          reportingInstance: host,
        },
      });
    } catch (err) {
      if (!isConflict(err)) {
        log.warn('could not record event', { incident: name, reason, error: apiErrorMessage(err) });
        return;
      }
      try {
        const existing = await core.readNamespacedEvent({ namespace, name: eventName });
        await core.patchNamespacedEvent(
          { namespace, name: eventName, body: { count: (existing.count ?? 1) + 1, lastTimestamp: now } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      } catch (e) {
        log.warn('could not update event', { incident: name, reason, error: apiErrorMessage(e) });
      }
    }
  };
}

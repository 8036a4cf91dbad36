// The controller as the operator runs it: the reconciler on its work queue, and what only the lease holder
// of the shard runs (runtime/manager.ts), in the order it starts: the controller, retention, then the
// queues beside it (notifier, gitops, tickets), each subscribed to the shared informer.
import type { Config } from '../config.js';
import { IncidentReconciler } from '../controller/reconciler.js';
import { Retention } from '../controller/retention.js';
import type { AlertIncident } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import { createEventRecorder } from '../runtime/events.js';
import type { EventType, Informer, Subscription } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import { WorkQueue } from '../runtime/queue.js';
import type { Engines } from './engine.js';
import type { SideQueues } from './queues.js';
import type { Clients, Selection } from './runtime.js';

/** Steps a worker takes in a row on one incident before it lets the others in the queue have a turn. */
const STEPS_PER_TURN = 16;

export interface Controller {
  reconciler: IncidentReconciler;
  queue: WorkQueue;
  /** The controller's Event recorder: flushed when the controller stops. */
  events: ReturnType<typeof createEventRecorder>;
}

export function buildController(config: Config, log: Logger, c: Clients, engines: Engines, informer: Informer<AlertIncident> | undefined, mgr: Manager): Controller {
  const { kc, metrics, store } = c;
  const events = createEventRecorder(kc, 'alert-agent', log);
  const engine = engines.multi?.dispatch ?? engines.engine;
  const reconciler = new IncidentReconciler({ store, engine, events, log, metrics, cache: informer, canWrite: () => mgr.isLeader() });
  const queue = new WorkQueue({
    concurrency: config.MAX_CONCURRENT_INVESTIGATIONS,
    onError: () => undefined, // the reconciler logs with the incident's name
    onDepth: (d) => metrics.queueDepth.set(d),
    onActive: (a) => metrics.activeInvestigations.set(a),
    maxTurns: STEPS_PER_TURN,
  });
  return { reconciler, queue, events };
}

/** The lease holder's runnables; their informer exists whenever the controller runs. */
export function addLeaderRunnables(
  mgr: Manager,
  config: Config,
  d: { controller: Controller; retention: Retention; queues: SideQueues; informer: Informer<AlertIncident>; selection: Selection },
): void {
  const { informer, selection } = d;
  mgr.add(controllerRunnable(d.controller, informer, selection), { leaderOnly: true });
  // Once per cluster: shard 0 sweeps every shard's finished incidents.
  if (config.SHARD === 0) mgr.add({ name: 'retention', start: () => d.retention.start(), stop: () => d.retention.stop() }, { leaderOnly: true });
  const { notifier, gitops, tickets } = d.queues;
  if (notifier) mgr.add(observerRunnable('notifier', notifier, informer, selection.shard), { leaderOnly: true });
  if (gitops) mgr.add(observerRunnable('gitops', gitops, informer, selection.shard), { leaderOnly: true });
  if (tickets) mgr.add(observerRunnable('tickets', tickets, informer, selection.shard), { leaderOnly: true });
}

function controllerRunnable({ reconciler, queue, events }: Controller, informer: Informer<AlertIncident>, selection: Selection) {
  let controllerSub: Subscription | undefined;
  let learningSub: Subscription | undefined;
  return {
    name: 'controller',
    start: async () => {
      queue.start((key) => reconciler.reconcile(key));
      controllerSub = informer.subscribe({
        labelSelector: selection.controller,
        onEvent: (type, inc) => {
          const key = reconciler.observe(type, inc);
          if (key) queue.add(key);
        },
      });
      // Learning from people: a finished incident is enqueued only when its feedback annotations changed.
      learningSub = informer.subscribe({
        labelSelector: selection.finished,
        onEvent: (type, inc) => {
          const key = reconciler.observeFinished(type, inc);
          if (key) queue.add(key);
        },
      });
      await Promise.all([controllerSub.synced, learningSub.synced]);
    },
    // Stops taking work and lets the step in flight finish and persist.
    stop: async () => {
      controllerSub?.unsubscribe();
      learningSub?.unsubscribe();
      await queue.shutdown();
      await events.flush();
    },
  };
}

/** A queue that observes the incidents of its shard (the notifier, gitops, tickets). */
interface IncidentObserver {
  start(): void;
  observe(type: EventType, inc: AlertIncident): void;
  stop(): Promise<void>;
}

function observerRunnable(name: string, observer: IncidentObserver, informer: Informer<AlertIncident>, labelSelector: string | undefined) {
  let sub: Subscription | undefined;
  return {
    name,
    start: async () => {
      observer.start();
      sub = informer.subscribe({ labelSelector, onEvent: (type, inc) => observer.observe(type, inc) });
      await sub.synced;
    },
    stop: async () => {
      sub?.unsubscribe();
      await observer.stop();
    },
  };
}

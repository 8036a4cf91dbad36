// The queues beside the controller: notifications (src/notify), tickets (src/tickets) and changes proposed
// in Git (src/gitops). Each has its own queue on the shared informer and runs on the controller's replica.
// Each is imported only when configured: nodemailer, marked and sanitize-html are several MB of memory
// that most operators never use.
import type { Config } from '../config.js';
import type { ClusterRegistry } from '../clusters/registry.js';
import type { GitProposer } from '../gitops/proposer.js';
import type { GitProvider } from '../gitops/provider.js';
import type { Tenancy } from '../incident/tenancy.js';
import type { AlertIncident } from '../incident/types.js';
import type { NotificationsConfig } from '../notify/config.js';
import type { Notifier } from '../notify/notifier.js';
import type { Logger } from '../observability/logger.js';
import type { Informer } from '../runtime/informer.js';
import type { TicketsConfig } from '../tickets/config.js';
import type { TicketLinks } from '../tickets/links.js';
import type { TicketSystem } from '../tickets/providers/index.js';
import type { Ticketer } from '../tickets/ticketer.js';
import type { Clients } from './runtime.js';

/** The file NOTIFICATIONS_CONFIG names (or the one given), read before anything connects: a bad file stops the start. */
export async function loadNotifications(config: Config, given?: NotificationsConfig): Promise<NotificationsConfig | undefined> {
  return given ?? (config.NOTIFICATIONS_CONFIG ? (await import('../notify/config.js')).loadNotificationsConfig(config.NOTIFICATIONS_CONFIG) : undefined);
}

export interface SideQueues {
  notifier?: Notifier;
  tickets?: Ticketer;
  gitops?: GitProposer;
}

interface SideQueueInputs {
  clients: Clients;
  informer: Informer<AlertIncident> | undefined;
  tenancy: Tenancy;
  notifications: NotificationsConfig | undefined;
  /** Replaces the file TICKETS_CONFIG names, and the ticket systems or the links store it would build (tests). */
  tickets?: { config?: TicketsConfig; systems?: Record<string, TicketSystem>; links?: TicketLinks };
  /** Replaces the Git provider GITOPS_GIT_PROVIDER names (tests). */
  gitProvider?: GitProvider;
  /** Many clusters: a change proposed for another cluster's object is looked up there. */
  clusters?: ClusterRegistry;
}

export async function buildSideQueues(config: Config, log: Logger, d: SideQueueInputs): Promise<SideQueues> {
  const { kc, metrics, store } = d.clients;
  const { informer, tenancy } = d;
  // Many clusters: the faces' counters carry the incidents' bounded `cluster` label too; off, none.
  const clusterLabels = metrics.byCluster ? metrics.clusterLabels : undefined;
  // Notifications: their own queue, on the same informer, run by the same replica as the controller.
  const notifyConfig = d.notifications;
  const notifier = notifyConfig?.sinks.length
    ? new (await import('../notify/notifier.js')).Notifier({ config: notifyConfig, store, log: log.child({ component: 'notify' }), registry: metrics.registry, clusterLabels, tenancy, cache: informer })
    : undefined;
  // Tickets (src/tickets): their own queue beside the notifier's, on the same informer, on the same replica.
  const ticketsConfig = d.tickets?.config ?? (config.TICKETS_CONFIG ? (await import('../tickets/config.js')).loadTicketsConfig(config.TICKETS_CONFIG) : undefined);
  const tickets = ticketsConfig?.trackers.length
    ? new (await import('../tickets/ticketer.js')).Ticketer({
        config: ticketsConfig,
        store,
        links: d.tickets?.links ?? new (await import('../tickets/links.js')).ConfigMapTicketLinks(kc, { namespace: config.NAMESPACE, name: config.TICKETS_CONFIGMAP }),
        systems: d.tickets?.systems,
        log: log.child({ component: 'tickets' }),
        registry: metrics.registry,
        clusterLabels,
        tenancy,
        cache: informer,
        localCluster: config.CLUSTERS_ENABLED ? config.LOCAL_CLUSTER_NAME : undefined,
      })
    : undefined;

  // Changes proposed in Git (src/gitops): pull requests on their own queue, on the same informer and replica.
  const gitops = config.GITOPS_GIT_PROVIDER
    ? (await import('../gitops/setup.js')).createGitProposer(config, { store, log, kc, cache: informer, registry: metrics.registry, clusterLabels, provider: d.gitProvider, clusters: d.clusters })
    : undefined;
  return { notifier, tickets, gitops };
}

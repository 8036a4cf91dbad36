// Prometheus metrics of the whole operator, in one registry served on METRICS_PORT.
//
// Many clusters (`byCluster`): the metrics that count incidents (stored, by phase and outcome, finished,
// reconciles and their duration, feedback, and the faces' notifications, tickets and Git changes) carry a
// `cluster` label; off, they have exactly the labels they had. Its values are the clusters the operator
// knows and `unknown` (an alert may name any cluster: a label value per name would let anyone who can
// post an alert grow the series without bound).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The value of the `cluster` label for a cluster the operator does not know (or an incident of no cluster). */
export const UNKNOWN_CLUSTER = 'unknown';

export function createMetrics(opts: { byCluster?: boolean } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'alertagent_' });
  const r = [registry];
  const cl: string[] = opts.byCluster ? ['cluster'] : [];
  let known: (cluster: string) => boolean = () => false;
  return {
    registry,
    /** Many clusters on: the incidents' series (and the faces' counters, given `clusterLabels`) carry `cluster`. */
    byCluster: opts.byCluster === true,
    /** The `cluster` label of an incident's series: none when byCluster is off; `unknown` for a cluster not known. */
    clusterLabels(cluster: string | undefined): { cluster?: string } {
      if (!opts.byCluster) return {};
      return { cluster: cluster && known(cluster) ? cluster : UNKNOWN_CLUSTER };
    },
    /** Which clusters are known (the clusters' registry, once it exists): only those get a label value of their own. */
    knowClusters(isKnown: (cluster: string) => boolean): void {
      known = isKnown;
    },
    webhookRequests: new Counter({ name: 'alertagent_webhook_requests_total', help: 'Webhook requests by HTTP status code.', labelNames: ['code'], registers: r }),
    alertsReceived: new Counter({ name: 'alertagent_alerts_received_total', help: 'Alerts received in valid payloads.', labelNames: ['status'], registers: r }),
    alertsStored: new Counter({ name: 'alertagent_alerts_stored_total', help: 'Alerts stored as AlertIncidents, by what happened.', labelNames: ['result', ...cl], registers: r }),
    incidentsByPhase: new Gauge({ name: 'alertagent_incidents', help: 'Incidents this replica last saw, by phase and outcome.', labelNames: ['phase', 'outcome', ...cl], registers: r }),
    incidentsFinished: new Counter({ name: 'alertagent_incidents_finished_total', help: 'Incidents that finished, by outcome (Resolved, NeedsManualIntervention, Failed); counted once, by the replica that owned the incident.', labelNames: ['outcome', ...cl], registers: r }),
    reconcileTotal: new Counter({ name: 'alertagent_reconcile_total', help: 'Reconciles by result.', labelNames: ['result', ...cl], registers: r }),
    reconcileDuration: new Histogram({ name: 'alertagent_reconcile_duration_seconds', help: 'Time of one reconcile (one step).', labelNames: cl, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: r }),
    queueDepth: new Gauge({ name: 'alertagent_queue_depth', help: 'Keys waiting in the work queue.', registers: r }),
    activeInvestigations: new Gauge({ name: 'alertagent_investigations_active', help: 'Reconciles running now.', registers: r }),
    llmCalls: new Counter({ name: 'alertagent_llm_calls_total', help: 'LLM calls by result.', labelNames: ['result'], registers: r }),
    llmTokens: new Counter({ name: 'alertagent_llm_tokens_total', help: 'LLM tokens by kind.', labelNames: ['kind'], registers: r }),
    llmLatency: new Histogram({ name: 'alertagent_llm_latency_seconds', help: 'LLM call latency.', buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120], registers: r }),
    toolCalls: new Counter({ name: 'alertagent_tool_calls_total', help: 'Tool calls by server, tool and result.', labelNames: ['server', 'tool', 'result'], registers: r }),
    toolDuration: new Histogram({ name: 'alertagent_tool_call_duration_seconds', help: 'Tool call duration.', labelNames: ['server'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: r }),
    policyBlocks: new Counter({ name: 'alertagent_policy_blocks_total', help: 'Tool calls the policy did not let run, by verdict.', labelNames: ['verdict'], registers: r }),
    approvalsWaiting: new Gauge({ name: 'alertagent_approvals_waiting', help: 'Incidents waiting for a person to approve an action.', registers: r }),
    kubeRequests: new Counter({ name: 'alertagent_kube_requests_total', help: 'Requests to the API server for AlertIncidents, by method.', labelNames: ['method'], registers: r }),
    watchEvents: new Counter({ name: 'alertagent_watch_events_total', help: 'Watch lifecycle events (connect, relist, expired, error).', labelNames: ['event'], registers: r }),
    isLeader: new Gauge({ name: 'alertagent_leader', help: '1 when this replica holds the leader lease.', registers: r }),
    clusterReachable: new Gauge({ name: 'alertagent_cluster_reachable', help: "Many clusters: 1 when the cluster's API server answered the last probe before a step, 0 when it did not, by cluster.", labelNames: ['cluster'], registers: r }),
    reportFeedback: new Counter({ name: 'alertagent_report_feedback_total', help: 'Reports people marked correct or wrong (alertagent.io/feedback), by alert, investigator and verdict; a changed verdict counts again.', labelNames: ['alertname', 'investigator', 'verdict', ...cl], registers: r }),
    retentionDeleted: new Counter({ name: 'alertagent_retention_deleted_total', help: 'Reported incidents deleted by retention.', labelNames: ['reason'], registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

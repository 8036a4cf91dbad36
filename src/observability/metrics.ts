// Prometheus metrics of the whole operator, in one registry served on METRICS_PORT.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'alertagent_' });
  const r = [registry];
  return {
    registry,
    webhookRequests: new Counter({ name: 'alertagent_webhook_requests_total', help: 'Webhook requests by HTTP status code.', labelNames: ['code'], registers: r }),
    alertsReceived: new Counter({ name: 'alertagent_alerts_received_total', help: 'Alerts received in valid payloads.', labelNames: ['status'], registers: r }),
    alertsStored: new Counter({ name: 'alertagent_alerts_stored_total', help: 'Alerts stored as AlertIncidents, by what happened.', labelNames: ['result'], registers: r }),
    incidentsByPhase: new Gauge({ name: 'alertagent_incidents', help: 'Incidents this replica last saw, by phase and outcome.', labelNames: ['phase', 'outcome'], registers: r }),
    reconcileTotal: new Counter({ name: 'alertagent_reconcile_total', help: 'Reconciles by result.', labelNames: ['result'], registers: r }),
    reconcileDuration: new Histogram({ name: 'alertagent_reconcile_duration_seconds', help: 'Time of one reconcile (one step).', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: r }),
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
    reportFeedback: new Counter({ name: 'alertagent_report_feedback_total', help: 'Reports people marked correct or wrong (alertagent.io/feedback), by alert, investigator and verdict; a changed verdict counts again.', labelNames: ['alertname', 'investigator', 'verdict'], registers: r }),
    retentionDeleted: new Counter({ name: 'alertagent_retention_deleted_total', help: 'Reported incidents deleted by retention.', labelNames: ['reason'], registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

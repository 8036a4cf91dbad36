// The built-in Kubernetes tool server's tools and whether each only reads or changes the cluster.
// The policy layer classifies built-in tools by this list (not by the MCP annotations, which are hints).
// Kept free of imports so that policy code can use it without loading the Kubernetes client.

export const BUILTIN_TOOLS: Record<string, 'read' | 'mutating'> = {
  // read
  get_resource: 'read',
  list_resources: 'read',
  describe_pod: 'read',
  describe_deployment: 'read',
  describe_statefulset: 'read',
  describe_daemonset: 'read',
  describe_node: 'read',
  describe_pvc: 'read',
  describe_job: 'read',
  get_events: 'read',
  get_pod_logs: 'read',
  rollout_status: 'read',
  rollout_history: 'read',
  top_pods: 'read',
  top_nodes: 'read',
  recent_changes: 'read',
  query_prometheus: 'read',
  // mutating
  rollout_restart: 'mutating',
  scale: 'mutating',
  delete_pod: 'mutating',
  cordon_node: 'mutating',
  uncordon_node: 'mutating',
  set_resources: 'mutating',
  rollback_deployment: 'mutating',
};

/** Built-in mutating tools that change cluster-scoped objects, judged by their own allow-list. */
export const CLUSTER_SCOPED_TOOLS: ReadonlySet<string> = new Set(['cordon_node', 'uncordon_node']);

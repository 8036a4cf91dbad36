// Every setting of the operator, from environment variables, validated once at start-up.
// The README's configuration table and the helm chart's values follow this schema.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseQuantity } from './util/quantity.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
/** Durations as "30s", "5m", "2h", "7d" or plain milliseconds. */
const duration = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration like 30s, 5m, 2h or 7d` });
        return z.NEVER;
      }
      const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[(m[2] ?? 'ms') as 'ms'];
      return Number(m[1]) * unit;
    });

export const ConfigSchema = z.object({
  WEBHOOK_PORT: int(10000),
  WEBHOOK_HOST: z.string().default('0.0.0.0'),
  WEBHOOK_BEARER_TOKEN: z.string().optional(),
  /** Refuse to start a webhook reachable beyond loopback (WEBHOOK_HOST) without WEBHOOK_BEARER_TOKEN; `false` lets it run open, with a warning at every start. */
  WEBHOOK_REQUIRE_TOKEN: bool.default('true'),
  WEBHOOK_MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024),
  /** Alerts in one payload; more get 413 (set AlertManager's `max_alerts` to match). */
  WEBHOOK_MAX_ALERTS: int(1000, 1),
  METRICS_PORT: int(9090),

  /** The web view (incident list and pages, approvals) on its own port. */
  WEB_ENABLED: bool.default('false'),
  WEB_PORT: int(8080),
  /** `token`: a bearer token (header or login form) checked with TokenReview; `proxy`: the user from an authenticating proxy's headers; `anonymous-readonly`: also lets anyone without credentials read. SubjectAccessReview decides in every mode. */
  WEB_AUTH: z.enum(['token', 'proxy', 'anonymous-readonly']).default('token'),
  WEB_PROXY_USER_HEADER: z.string().default('X-Forwarded-User'),
  WEB_PROXY_GROUPS_HEADER: z.string().default('X-Forwarded-Groups'),
  /** WEB_AUTH=proxy: the shared secret the proxy adds to every request (in WEB_PROXY_SECRET_HEADER); without it the identity headers are ignored, since anyone who reaches the port could send them. */
  WEB_PROXY_SECRET: z.string().optional(),
  WEB_PROXY_SECRET_HEADER: z.string().default('X-Alert-Agent-Proxy-Secret'),
  /** The URL people open the web view at (printed links). */
  WEB_PUBLIC_URL: z.string().url().optional(),
  /** Cookies are Secure (browsers accept that on https and on http://localhost / 127.0.0.1); `true` drops it, for plain http on another host name. */
  WEB_INSECURE_COOKIE: bool.default('false'),
  /** A login's server-side session lasts at most this long; its token is reviewed again (TokenReview) at least every WEB_SESSION_REVIEW_INTERVAL. */
  WEB_SESSION_TTL: duration('8h'),
  WEB_SESSION_REVIEW_INTERVAL: duration('5m'),
  /** Sessions kept in memory (per replica); beyond, the oldest is dropped. */
  WEB_MAX_SESSIONS: int(10_000, 1),
  /** Live-feed streams (/events) per user and in all; more get 429. */
  WEB_STREAMS_PER_USER: int(8, 1),
  WEB_STREAMS_MAX: int(200, 1),
  /** A stream whose unsent output passes this many bytes (a page that does not read) is closed. */
  WEB_STREAM_MAX_BUFFER_BYTES: int(1024 * 1024, 16 * 1024),

  /** Where incidents are created by default: the operator's own namespace. */
  NAMESPACE: z.string().optional(),
  /** `operator`: every incident in NAMESPACE; `alert`: in the alert's `namespace` label when it exists. */
  INCIDENT_NAMESPACE_MODE: z.enum(['operator', 'alert']).default('operator'),

  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  LLM_MODEL: z.string().default('gpt-4o-mini'),
  LLM_TIMEOUT: duration('60s'),
  LLM_MAX_RETRIES: int(3),
  LLM_CALLS_PER_MINUTE: int(60, 1),
  /** Reconciles in a row that may find the LLM unavailable (each after the client's own retries) before the incident fails. */
  LLM_MAX_ATTEMPTS: int(5, 1),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  /** `required`: every reply that offers tools must call one (falls back to `auto` where the endpoint refuses it); `auto`: the model may answer in text. */
  LLM_TOOL_CHOICE: z.enum(['auto', 'required']).default('required'),
  /** `relevant`: offer only the tools that fit the alert's objects; `all`: every tool of every server. */
  LLM_TOOLS: z.enum(['all', 'relevant']).default('relevant'),
  /** `user`: tool results also go in a user message, for servers whose chat template drops `tool` messages (llama-cpp-python's chatml-function-calling). */
  LLM_TOOL_RESULTS: z.enum(['tool', 'user']).default('tool'),
  /** Upper bound of the tokens of one reply (`max_tokens`); unset: the provider's own. */
  LLM_MAX_COMPLETION_TOKENS: z.coerce.number().int().min(16).optional(),
  /** `auto`: the LLM when one is configured, else the rule-based analyzer. */
  ANALYZER: z.enum(['auto', 'llm', 'rules']).default('auto'),

  /** With an LLM: run the rule-based analyzer's read-only evidence plan first and give the model its results and hypotheses. */
  EVIDENCE_FIRST: bool.default('true'),
  SERVERS_CONFIG: z.string().default('servers_config.json'),
  /** A directory of `<alertname>.md` runbooks given to the investigator and quoted in reports. */
  RUNBOOKS_DIR: z.string().optional(),
  BUILTIN_KUBERNETES_TOOLS: bool.default('true'),
  /** The Prometheus the built-in tool query_prometheus asks (and the analyzer, for memory/CPU/volume trends); unset: no such tool. */
  PROMETHEUS_URL: z.string().url().optional(),
  /** Sent as `Authorization: Bearer …` to PROMETHEUS_URL; or PROMETHEUS_BEARER_TOKEN_FILE, read at each query (rotating tokens). */
  PROMETHEUS_BEARER_TOKEN: z.string().optional(),
  PROMETHEUS_BEARER_TOKEN_FILE: z.string().optional(),
  PROMETHEUS_TIMEOUT: duration('15s'),

  POLICY_MODE: z.enum(['observe', 'approve', 'auto']).default('approve'),
  /** Tools a policy of `auto` may run without a person (names as offered to the model, e.g. kubernetes__scale). */
  POLICY_ALLOWED_TOOLS: list,
  /**
   * Cluster-scoped tools (kubernetes__cordon_node, kubernetes__uncordon_node) that may run at all where
   * POLICY_ALLOWED_NAMESPACES is set, and without a person under `auto`.
   */
  POLICY_ALLOWED_CLUSTER_TOOLS: list,
  /** Namespaces mutating tools may touch; empty = any but kube-system. */
  POLICY_ALLOWED_NAMESPACES: list,
  POLICY_MAX_MUTATIONS: int(3),
  /** Under `auto`, lowering a workload's replicas (to zero too) runs without a person; otherwise it waits for approval. */
  POLICY_AUTO_SCALE_DOWN: bool.default('false'),
  /** Under `auto`, deleting a pod that no controller recreates runs without a person; otherwise it waits for approval. */
  POLICY_AUTO_DELETE_UNOWNED_PODS: bool.default('false'),
  /** Under `auto`, actions on objects the alert and the analyzer's evidence did not name run without a person; otherwise they wait. */
  POLICY_AUTO_UNINVOLVED_TARGETS: bool.default('false'),
  /**
   * A change to an object Flux or Argo CD keeps from Git (their labels or tracking annotation, on it or up its
   * controller chain): `propose` does not write it (the next sync would revert it) and puts the change to
   * make in Git in the report; `allow` writes it, with a warning that it will be reverted; `suspend` suspends
   * the Flux Kustomization/HelmRelease or turns off the Argo CD Application's automated sync, writes it, and
   * proposes it in Git too (the manager is resumed when that is merged; the actions role gets patch on them).
   */
  GITOPS_MANAGED_WRITES: z.enum(['propose', 'allow', 'suspend']).default('propose'),
  /** Where Argo CD's Applications live (an Application named by a resource's tracking label is looked up here). */
  ARGOCD_NAMESPACE: z.string().default('argocd'),
  /** Where changes proposed in Git become pull/merge requests: `github`, `gitlab`, or empty (the report carries the change; nothing is opened). */
  GITOPS_GIT_PROVIDER: z.enum(['', 'github', 'gitlab']).default(''),
  /** The provider's REST API (default https://api.github.com, https://gitlab.com/api/v4). */
  GITOPS_GIT_API_URL: z.string().url().optional(),
  /** The host of the repository URLs that belong to the provider (default github.com, gitlab.com): other repositories get no pull request. */
  GITOPS_GIT_HOST: z.string().optional(),
  /** The provider's token (from a Secret): contents and pull requests write on the repositories, nothing else. */
  GITOPS_GIT_TOKEN: z.string().optional(),
  /** The branch a pull request goes to when the source follows HEAD. */
  GITOPS_GIT_BASE_BRANCH: z.string().min(1).default('main'),
  /** From opening a pull request to the cluster showing its change: past it, the change is recorded TimedOut. */
  GITOPS_SYNC_TIMEOUT: duration('24h'),
  /** How often an open pull request, and a merged one's sync, are checked. */
  GITOPS_POLL_INTERVAL: duration('1m'),
  APPROVAL_TIMEOUT: duration('1h'),
  /** After an action of the built-in tools ran, how long its verification may take (rollout complete, pods Ready, the alert's condition gone) before the incident needs a person; 0 turns verification off. */
  VERIFY_TIMEOUT: duration('5m'),
  /** set_hpa_max_replicas never sets an HPA's maxReplicas above this, whoever asks. */
  FIX_HPA_MAX_REPLICAS_LIMIT: int(50, 1),
  /** Nor above this multiple of its current maxReplicas (2: at most double it in one change). */
  FIX_HPA_MAX_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /** set_quota_hard never raises a ResourceQuota's hard limit above this multiple of the current one. */
  FIX_QUOTA_MAX_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /** expand_pvc never grows a PersistentVolumeClaim beyond this size (a quantity: 500Gi, 1Ti, 2T), whoever asks. */
  FIX_PVC_MAX_SIZE: z
    .string()
    .default('1Ti')
    .refine((q) => /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(q.trim()) && (parseQuantity(q) ?? 0) > 0, { message: 'must be a storage quantity such as 500Gi or 1Ti' }),
  /** Nor beyond this multiple of its current size (2: at most double it in one change; a volume cannot shrink back). */
  FIX_PVC_MAX_FACTOR: z.coerce.number().min(1).max(100).default(2),

  MAX_STEPS: int(20, 1),
  // 20 steps at the full prompt budget: the step budget, not the token budget, ends a normal investigation.
  MAX_TOKENS_PER_INCIDENT: int(1_000_000, 1000),
  PROMPT_TOKEN_BUDGET: int(48_000, 2000),
  TOOL_OUTPUT_MAX_BYTES: int(8192, 256),
  TOOL_TIMEOUT: duration('30s'),
  MAX_CONCURRENT_INVESTIGATIONS: int(5, 1),

  LEADER_ELECTION: bool.default('false'),
  LEADER_ELECTION_ID: z.string().default('alert-agent-leader'),
  LEADER_ELECTION_LEASE_DURATION: duration('15s'),
  LEADER_ELECTION_RENEW_DEADLINE: duration('10s'),
  LEADER_ELECTION_RETRY_PERIOD: duration('2s'),
  POD_NAME: z.string().optional(),
  /** Shards that share the investigations (each with its own leader Lease); 1 = no sharding. The webhook labels new incidents alertagent.io/shard from the alert's fingerprint. */
  SHARD_COUNT: int(1, 1),
  /** The shard this replica's controller runs (0 … SHARD_COUNT-1); shard 0 also takes unlabelled incidents and runs retention. */
  SHARD: int(0),
  /** What picks a new incident's shard: `fingerprint` (the alert's), or `cluster` (the incident's cluster: one shard investigates a whole cluster; needs many clusters on). */
  SHARD_BY: z.enum(['fingerprint', 'cluster']).default('fingerprint'),
  /** Recall: keep a bounded history of past incidents per alert identity in a ConfigMap of NAMESPACE (it outlives retention). */
  RECALL: bool.default('true'),
  RECALL_CONFIGMAP: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/).default('alert-agent-history'),
  /** Alert identities kept in the history (the least recently seen go first); the ConfigMap also stays under 768 KiB. */
  RECALL_MAX_IDENTITIES: int(500, 1),
  /** Correlation rules in force: `node`, `workload`, `group` (comma-separated; `group` is opt-in); `none` turns correlation off. */
  CORRELATION: z
    .string()
    .default('node,workload')
    .transform((s, ctx) => {
      const rules = s.split(',').map((x) => x.trim()).filter((x) => x && x !== 'none');
      const bad = rules.filter((r) => !['node', 'workload', 'group'].includes(r));
      if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown correlation rule(s) ${bad.join(', ')}: use node, workload, group or none` });
      return rules as Array<'node' | 'workload' | 'group'>;
    }),
  /** How far apart two incidents of one workload or one AlertManager group may start to be linked. */
  CORRELATION_WINDOW: duration('10m'),
  /** How long a linked incident waits for its primary's report before it investigates on its own. */
  CORRELATION_TIMEOUT: duration('15m'),
  RETENTION_TTL: duration('7d'),
  RETENTION_MAX: int(1000, 1),

  /** Many clusters (README "Many clusters"): each alert is investigated in the cluster its CLUSTER_LABEL names; on by itself when CLUSTER_SECRET_SELECTOR is set. Off: every alert is the local cluster's, as before. */
  CLUSTERS_ENABLED: bool.default('false'),
  /** The alert label that names its cluster (kube-prometheus sets it as an external label). */
  CLUSTER_LABEL: z.string().default('cluster'),
  /** The name of the cluster the operator runs in (reached with its own ServiceAccount). */
  LOCAL_CLUSTER_NAME: z.string().regex(/^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,62}$/).default('local'),
  /** The cluster of an alert without CLUSTER_LABEL: by default the local one; `none`: such an alert is investigated nowhere. */
  UNLABELLED_ALERTS_CLUSTER: z.string().optional(),
  /** Label selector of the Secrets in NAMESPACE that hold the clusters' credentials (Cluster API kubeconfig, Argo CD cluster, or plain kubeconfig Secrets). */
  CLUSTER_SECRET_SELECTOR: z.string().optional(),
  /** Steps of one cluster's incidents in flight at once (within MAX_CONCURRENT_INVESTIGATIONS): one slow cluster cannot hold every worker. */
  CLUSTER_MAX_CONCURRENT_INVESTIGATIONS: int(2, 1),

  /** The notifications file (sinks, routing, delivery; YAML or JSON); unset: no notifications. */
  NOTIFICATIONS_CONFIG: z.string().optional(),
  /** The tickets file (Jira, GitHub, GitLab trackers and when they open a ticket; YAML or JSON); unset: no tickets. */
  TICKETS_CONFIG: z.string().optional(),
  /** The ConfigMap (in NAMESPACE) that keeps each alert identity's ticket, so a refire finds it after retention. */
  TICKETS_CONFIGMAP: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/).default('alert-agent-tickets'),

  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  LOG_FORMAT: z.enum(['json', 'text', 'auto']).default('auto'),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
});

export type Config = z.infer<typeof ConfigSchema> & { NAMESPACE: string; analyzer: 'llm' | 'rules' };

export class ConfigError extends Error {}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings (as helm renders unset values) mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const llmConfigured = Boolean(c.OPENAI_API_KEY || c.OPENAI_BASE_URL);
  if (c.ANALYZER === 'llm' && !llmConfigured) {
    throw new ConfigError('invalid configuration:\n  ANALYZER: "llm" needs OPENAI_API_KEY or OPENAI_BASE_URL');
  }
  if (c.GITOPS_GIT_PROVIDER && !c.GITOPS_GIT_TOKEN) {
    throw new ConfigError(`invalid configuration:\n  GITOPS_GIT_PROVIDER: "${c.GITOPS_GIT_PROVIDER}" needs GITOPS_GIT_TOKEN (a token that may push branches and open pull requests)`);
  }
  if (c.SHARD >= c.SHARD_COUNT) {
    throw new ConfigError(`invalid configuration:\n  SHARD: ${c.SHARD} is not a shard of SHARD_COUNT ${c.SHARD_COUNT} (0 … ${c.SHARD_COUNT - 1})`);
  }
  if (c.SHARD_BY === 'cluster' && !c.CLUSTERS_ENABLED && !c.CLUSTER_SECRET_SELECTOR) {
    throw new ConfigError('invalid configuration:\n  SHARD_BY: "cluster" needs many clusters on (CLUSTERS_ENABLED or CLUSTER_SECRET_SELECTOR); without them every incident is the local cluster\'s');
  }
  checkWeb(c);
  const analyzer = c.ANALYZER === 'auto' ? (llmConfigured ? 'llm' : 'rules') : c.ANALYZER;
  return { ...c, NAMESPACE: c.NAMESPACE ?? inClusterNamespace() ?? 'default', analyzer, CLUSTERS_ENABLED: c.CLUSTERS_ENABLED || !!c.CLUSTER_SECRET_SELECTOR };
}

/** Web settings that would leave the view open to spoofing or unusable in a browser. */
function checkWeb(c: z.infer<typeof ConfigSchema>): void {
  if (c.WEB_AUTH === 'proxy' && (c.WEB_PROXY_SECRET ?? '').length < 16) {
    throw new ConfigError(
      'invalid configuration:\n  WEB_PROXY_SECRET: WEB_AUTH=proxy needs a shared secret of at least 16 characters that the proxy sends in ' +
        `${c.WEB_PROXY_SECRET_HEADER} (else anyone who reaches the port could name any user in ${c.WEB_PROXY_USER_HEADER})`,
    );
  }
  const url = c.WEB_PUBLIC_URL ? new URL(c.WEB_PUBLIC_URL) : undefined;
  if (c.WEB_ENABLED && url?.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && !c.WEB_INSECURE_COOKIE) {
    throw new ConfigError(`invalid configuration:\n  WEB_PUBLIC_URL: browsers drop the Secure sign-in cookie on plain http at ${url.host}: serve it over https, or set WEB_INSECURE_COOKIE=true`);
  }
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

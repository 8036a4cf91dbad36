// The GitOps queue as the configuration makes it (src/operator/ loads this only when GITOPS_GIT_PROVIDER is set).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Clusters } from '../clusters/registry.js';
import type { Config } from '../config.js';
import type { IncidentStore } from '../incident/store.js';
import type { AlertIncident } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import { GitHubProvider } from './github.js';
import { GitLabProvider } from './gitlab.js';
import { GitProposer, managerResumer, objectReader, type ProposerOptions } from './proposer.js';
import type { GitProvider } from './provider.js';

export function createGitProposer(
  config: Config,
  d: { store: IncidentStore; log: Logger; kc: KubeConfig; cache?: ProposerOptions['cache']; registry: Registry; clusterLabels?: ProposerOptions['clusterLabels']; provider?: GitProvider; clusters?: Clusters },
): GitProposer {
  const github = config.GITOPS_GIT_PROVIDER === 'github';
  const kcOf = (inc: AlertIncident) => (config.CLUSTERS_ENABLED && inc.spec.cluster && inc.spec.cluster !== config.LOCAL_CLUSTER_NAME ? d.clusters?.get(inc.spec.cluster)?.kc : d.kc);
  const api = { apiURL: config.GITOPS_GIT_API_URL ?? (github ? 'https://api.github.com' : 'https://gitlab.com/api/v4'), token: config.GITOPS_GIT_TOKEN ?? '', timeoutMs: 15_000 };
  return new GitProposer({
    provider: d.provider ?? (github ? new GitHubProvider(api) : new GitLabProvider(api)),
    host: config.GITOPS_GIT_HOST ?? (github ? 'github.com' : 'gitlab.com'),
    baseBranch: config.GITOPS_GIT_BASE_BRANCH,
    store: d.store,
    log: d.log.child({ component: 'gitops' }),
    policyMode: config.POLICY_MODE,
    syncTimeoutMs: config.GITOPS_SYNC_TIMEOUT,
    pollMs: config.GITOPS_POLL_INTERVAL,
    // The synced check reads the object in the incident's own cluster (many clusters: its credentials).
    readObject: objectReader(kcOf),
    // GITOPS_MANAGED_WRITES=suspend: the manager a step suspended is resumed there once its change is merged.
    resumeManager: managerResumer(kcOf),
    cache: d.cache,
    registry: d.registry,
    clusterLabels: d.clusterLabels,
  });
}

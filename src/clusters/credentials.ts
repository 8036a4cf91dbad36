// A cluster's credentials from one Secret, in the three conventions fleets already use:
//   Cluster API   `<cluster>-kubeconfig`, key `value` (a kubeconfig), label cluster.x-k8s.io/cluster-name
//   Argo CD       label argocd.argoproj.io/secret-type=cluster, keys `name`, `server`, `config` (JSON:
//                 bearerToken or username/password, tlsClientConfig {caData, certData, keyData, insecure, serverName})
//   plain         key `kubeconfig`, the cluster named by the label alertagent.io/cluster or the Secret's name
// The label alertagent.io/cluster names the cluster in every format (the value of the alerts' cluster
// label, when that differs from the Cluster API or Argo CD name). Annotations on the Secret add what the
// operator needs per cluster: its Prometheus and a stricter policy. A key `webhook-token` makes the
// AlertManager that presents it (Authorization: Bearer) this cluster's: only its sha256 is kept.
//
// Pure: a Secret in, a KubeConfig or a reason out. Nothing of a Secret's data ever goes into a message:
// a YAML parser's error quotes the text it failed on, so only the key and the line are told.
import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';

export const CLUSTER_NAME_LABEL = 'alertagent.io/cluster';
export const CAPI_CLUSTER_LABEL = 'cluster.x-k8s.io/cluster-name';
export const ARGOCD_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
export const ANNOTATIONS = {
  prometheusUrl: 'alertagent.io/prometheus-url',
  policyMode: 'alertagent.io/policy-mode',
  allowedNamespaces: 'alertagent.io/allowed-namespaces',
  allowedTools: 'alertagent.io/allowed-tools',
} as const;

/** The Secret's key that holds this cluster's webhook token (README "Many clusters"). */
export const WEBHOOK_TOKEN_KEY = 'webhook-token';
/** Shorter tokens are refused: a member cluster's token must not be guessable. */
export const MIN_WEBHOOK_TOKEN_LENGTH = 16;

export type CredentialFormat = 'cluster-api' | 'argocd' | 'kubeconfig';

/** What the operator holds of one cluster. */
export interface ClusterAccess {
  name: string;
  kc: KubeConfig;
  /** The API server's URL (for messages: never a credential). */
  server: string;
  /** Changes when the credentials change (the Secret's resourceVersion): clients built on an older one are rebuilt. */
  version: string;
  /** Where the credentials came from: `Secret <name> (<format>)`, or the operator's own for the local cluster. */
  source: string;
  /** This cluster's Prometheus (annotation alertagent.io/prometheus-url). */
  prometheusUrl?: string;
  /** Stricter rules for this cluster than the global policy (annotations): never looser. */
  policy?: ClusterPolicy;
  /** sha256 of the cluster's webhook token (key `webhook-token`): the token itself is not kept. */
  webhookTokenSha256?: Buffer;
}

export interface ClusterPolicy {
  /** `observe`: this cluster is observe-only. */
  mode?: 'observe' | 'approve' | 'auto';
  allowedNamespaces?: string[];
  allowedTools?: string[];
}

export interface SecretLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

export type Parsed = { ok: true; access: ClusterAccess; format: CredentialFormat } | { ok: false; secret: string; reason: string };

const decode = (b64: string | undefined): string | undefined => (b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8'));

/** The cluster a Secret holds credentials for, or why it holds none we can use. */
export function parseClusterSecret(secret: SecretLike): Parsed {
  const meta = secret.metadata ?? {};
  const secretName = meta.name ?? '';
  const labels = meta.labels ?? {};
  const data = secret.data ?? {};
  const version = meta.resourceVersion ?? '';
  const fail = (reason: string): Parsed => ({ ok: false, secret: secretName, reason });
  try {
    let format: CredentialFormat;
    let fallbackName: string;
    let kc: KubeConfig;
    if (labels[ARGOCD_TYPE_LABEL] === 'cluster') {
      format = 'argocd';
      fallbackName = decode(data.name) || secretName;
      kc = argoKubeConfig(fallbackName, decode(data.server), decode(data.config));
    } else if (data.value !== undefined && (labels[CAPI_CLUSTER_LABEL] || secretName.endsWith('-kubeconfig'))) {
      format = 'cluster-api';
      fallbackName = labels[CAPI_CLUSTER_LABEL] || secretName.replace(/-kubeconfig$/, '');
      kc = kubeConfigFromYaml(decode(data.value)!, 'value');
    } else if (data.kubeconfig !== undefined) {
      format = 'kubeconfig';
      fallbackName = secretName;
      kc = kubeConfigFromYaml(decode(data.kubeconfig)!, 'kubeconfig');
    } else {
      return fail('holds no cluster credentials: no Argo CD cluster label, no Cluster API key `value`, no key `kubeconfig`');
    }
    const name = labels[CLUSTER_NAME_LABEL] || fallbackName;
    const server = kc.getCurrentCluster()?.server ?? '';
    const access: ClusterAccess = {
      name,
      kc,
      server,
      version,
      source: `Secret ${secretName} (${format})`,
      ...annotationsOf(meta.annotations ?? {}),
      ...webhookTokenOf(data),
    };
    return { ok: true, access, format };
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** A kubeconfig from a Secret's key: its current context, with everything it needs inline. */
export function kubeConfigFromYaml(text: string, key: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    // js-yaml's message quotes the failing text (a key, a token): only where it failed is told.
    const line = (err as { mark?: { line?: number } }).mark?.line;
    throw new Error(`key \`${key}\` is not a kubeconfig${line !== undefined ? ` (YAML error at line ${line + 1})` : ''}`);
  }
  checkInline(kc, key);
  return kc;
}

/**
 * Credentials are inline data only. A file path in a Secret's kubeconfig would read the operator's own
 * files (its ServiceAccount token, sent to whatever server the kubeconfig names), and an exec or
 * auth-provider plugin would run a program: both are refused.
 */
function checkInline(kc: KubeConfig, key: string): void {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.server) throw new Error(`key \`${key}\`: the current context names no cluster with a server`);
  if (cluster.caFile) throw new Error(`key \`${key}\`: certificate-authority (a file) is not supported; use certificate-authority-data`);
  if (user?.certFile || user?.keyFile) throw new Error(`key \`${key}\`: client-certificate/client-key (files) are not supported; use the -data fields`);
  if (user?.authProvider) throw new Error(`key \`${key}\`: auth-provider plugins are not supported; use a token or a client certificate`);
  if (user?.exec) throw new Error(`key \`${key}\`: exec credential plugins are not supported; use a token or a client certificate`);
}

interface ArgoConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: { caData?: string; certData?: string; keyData?: string; insecure?: boolean; serverName?: string };
  execProviderConfig?: unknown;
  awsAuthConfig?: unknown;
}

/** Argo CD's declarative cluster Secret (operator-manual/declarative-setup: clusters). */
function argoKubeConfig(name: string, server: string | undefined, configJson: string | undefined): KubeConfig {
  if (!server) throw new Error('Argo CD cluster Secret without `server`');
  let config: ArgoConfig;
  try {
    config = JSON.parse(configJson ?? '{}') as ArgoConfig;
  } catch {
    throw new Error('Argo CD cluster Secret: `config` is not JSON');
  }
  if (config.execProviderConfig || config.awsAuthConfig) throw new Error('Argo CD cluster Secret: execProviderConfig and awsAuthConfig are not supported; use bearerToken or a client certificate');
  const tls = config.tlsClientConfig ?? {};
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server, caData: tls.caData, skipTLSVerify: tls.insecure === true, tlsServerName: tls.serverName }],
    users: [{ name, token: config.bearerToken, certData: tls.certData, keyData: tls.keyData, username: config.username, password: config.password }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function annotationsOf(a: Record<string, string>): Pick<ClusterAccess, 'prometheusUrl' | 'policy'> {
  const out: Pick<ClusterAccess, 'prometheusUrl' | 'policy'> = {};
  const url = a[ANNOTATIONS.prometheusUrl]?.trim();
  if (url) {
    const parsed = new URL(url); // a malformed URL fails the Secret: better than a PromQL tool that never answers
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${ANNOTATIONS.prometheusUrl}: not an http(s) URL`);
    out.prometheusUrl = url;
  }
  const mode = a[ANNOTATIONS.policyMode]?.trim();
  if (mode && mode !== 'observe' && mode !== 'approve' && mode !== 'auto') throw new Error(`${ANNOTATIONS.policyMode}: "${mode}" is not observe, approve or auto`);
  const policy: ClusterPolicy = {
    ...(mode && { mode: mode as ClusterPolicy['mode'] }),
    ...(a[ANNOTATIONS.allowedNamespaces] !== undefined && { allowedNamespaces: list(a[ANNOTATIONS.allowedNamespaces]) }),
    ...(a[ANNOTATIONS.allowedTools] !== undefined && { allowedTools: list(a[ANNOTATIONS.allowedTools]) }),
  };
  if (Object.keys(policy).length) out.policy = policy;
  return out;
}

/** The digest of the key `webhook-token`, if the Secret has one; a token too short to be secret fails the Secret. */
function webhookTokenOf(data: Record<string, string>): Pick<ClusterAccess, 'webhookTokenSha256'> {
  if (data[WEBHOOK_TOKEN_KEY] === undefined) return {};
  const token = decode(data[WEBHOOK_TOKEN_KEY])!.trim();
  if (token.length < MIN_WEBHOOK_TOKEN_LENGTH) throw new Error(`key \`${WEBHOOK_TOKEN_KEY}\`: shorter than ${MIN_WEBHOOK_TOKEN_LENGTH} characters`);
  return { webhookTokenSha256: tokenDigest(token) };
}

/** sha256 of a bearer token: what is kept and compared (fixed length, so timingSafeEqual applies to any token). */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

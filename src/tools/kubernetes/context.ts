// What every built-in tool gets (API clients made from the operator's KubeConfig), and what a tool is: one
// declaration per tool (read/*.ts, mutate/*.ts) with its arguments, its result's schema, its class and
// scope, and how it runs; server.ts lists them and serves them over MCP.
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import type { z } from 'zod';

export interface ToolContext {
  core: CoreV1Api;
  apps: AppsV1Api;
  autoscaling: AutoscalingV2Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  /** Current time in ms (a function so that tests can pin it). */
  now(): number;
  /** Where Argo CD's Applications live (ARGOCD_NAMESPACE; default argocd): see gitops.ts. */
  argoNamespace?: string;
  /**
   * What to do with a change to an object Flux or Argo CD keeps from Git (GITOPS_MANAGED_WRITES): under
   * `suspend`, a mutating tool suspends the manager before it writes (suspend.ts); absent: as `propose`.
   */
  gitopsWrites?: 'propose' | 'allow' | 'suspend';
  /** Where query_prometheus sends its queries (PROMETHEUS_URL); absent: the tool is not offered. */
  prometheus?: PrometheusSource;
  /** How far expand_pvc may grow a claim (FIX_PVC_MAX_SIZE, FIX_PVC_MAX_FACTOR); absent: its defaults. */
  pvcExpansion?: PvcExpansionBounds;
  /** How far set_hpa_max_replicas and set_quota_hard may raise a bound (FIX_HPA_*, FIX_QUOTA_MAX_FACTOR); absent: DEFAULT_RAISE_BOUNDS. */
  raiseBounds?: RaiseBounds;
}

export interface RaiseBounds {
  /** The highest maxReplicas set_hpa_max_replicas may set (FIX_HPA_MAX_REPLICAS_LIMIT). */
  hpaMaxReplicasLimit: number;
  /** The highest new maxReplicas as a multiple of the current one (FIX_HPA_MAX_FACTOR). */
  hpaMaxFactor: number;
  /** The highest new hard limit of a ResourceQuota as a multiple of the current one (FIX_QUOTA_MAX_FACTOR). */
  quotaMaxFactor: number;
}

/** The settings' defaults (src/config.ts), for a context made without them. */
export const DEFAULT_RAISE_BOUNDS: RaiseBounds = { hpaMaxReplicasLimit: 50, hpaMaxFactor: 2, quotaMaxFactor: 2 };

export interface PvcExpansionBounds {
  /** The largest size a claim may be grown to, in bytes. */
  maxBytes: number;
  /** The largest new size as a multiple of the current one. */
  maxFactor: number;
}

export interface PrometheusSource {
  /** Base URL, e.g. http://prometheus-operated.monitoring.svc:9090 (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  bearerToken?: string;
  /** A file holding the token, read at each call (a projected ServiceAccount token rotates). */
  bearerTokenFile?: string;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

export function makeContext(kc: KubeConfig): ToolContext {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    batch: kc.makeApiClient(BatchV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
    now: () => Date.now(),
  };
}

/** What a tool returns: text for people and models, and the same finding as data (its MCP structuredContent). */
export interface ToolOutput<D = Record<string, unknown>> {
  text: string;
  data: D;
}

export interface ToolDef<S extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /**
   * `read`: never changes anything; `mutating`: changes the cluster. The policy classifies the built-in
   * tools by this (BUILTIN_TOOLS in server.ts), not by the MCP annotations derived from it, which are hints.
   */
  class: 'read' | 'mutating';
  /** `cluster`: a mutating tool that changes cluster-scoped objects (nodes), judged by its own allow-list. */
  scope?: 'cluster';
  inputSchema: S;
  /** The shape of `data` (published as the tool's outputSchema; the schemas are in src/contracts/toolData.ts). */
  outputSchema: O;
  /** A valid call's arguments, shown when a call's arguments are wrong. */
  example: Record<string, unknown>;
  /** Other names a caller may use for an argument (lower case, without "_" or "-"), e.g. { tail: 'tailLines' }. */
  aliases?: Record<string, string>;
  /** Mutating tools only: may the change destroy something (data, running pods)? */
  destructive?: boolean;
  /** Does calling it twice with the same arguments leave the same state? */
  idempotent?: boolean;
  /**
   * Tool-specific tolerance, after the generic one (argument names, case, numbers as strings): rewrites
   * `args` in place (e.g. a kind in any spelling), pushes what it changed to `notes`, and returns an error
   * message that says what to send instead when the arguments cannot be used.
   */
  normalize?(args: Record<string, unknown>, notes: string[]): string | undefined;
  /** Returns the text and data for the investigator; throws ToolError (or anything) on failure. */
  run(args: z.objectOutputType<S, z.ZodTypeAny>, ctx: ToolContext): Promise<ToolOutput<z.infer<z.ZodObject<O>>>>;
}

/** Keeps the argument and output types of one tool while allowing a heterogeneous list. */
export function defineTool<S extends z.ZodRawShape, O extends z.ZodRawShape>(def: ToolDef<S, O>): ToolDef {
  return def as unknown as ToolDef;
}

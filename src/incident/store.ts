// Reads and writes AlertIncidents on the API server. This is the only code that talks to the
// alertincidents resource, so it is also where API calls are counted (see requestCounter).
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { API_VERSION, AlertIncident, GROUP, KIND, PLURAL, VERSION, type IncidentSpec, type IncidentStatus } from './types.js';
import type { FieldManager } from './owners.js';

export type RequestObserver = (method: string, url: string) => void;

/** Status codes the callers branch on. Anything else is an error to retry later. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
/** 422: the API server's validation (the CRD's schema) refused the object. */
export const isInvalid = (err: unknown) => statusCode(err) === 422;

/** A message fit for a log line or an HTTP answer: the API server's own `message`, never the request. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const msg = (body as { message?: string } | undefined)?.message;
    return `API server answered ${err.code}${msg ? `: ${msg}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The shared informer's cache as the queues beside the controller see it: read from it, tell it our writes. */
export interface IncidentCacheView {
  /** The whole object, if the cache holds it. */
  get(namespace: string, name: string): AlertIncident | undefined;
  /** The API server's answer to a write or read of ours: the newest state of the object. */
  observed(inc: AlertIncident): void;
}

/** The incident as the cache holds it, else as the API server answers (which then goes into the cache). */
export async function readThrough(store: Pick<IncidentStore, 'get'>, cache: IncidentCacheView | undefined, namespace: string, name: string): Promise<AlertIncident | undefined> {
  const cached = cache?.get(namespace, name);
  if (cached) return cached;
  const inc = await store.get(namespace, name);
  if (inc) cache?.observed(inc);
  return inc;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

export class IncidentStore {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig, observe?: RequestObserver) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const middleware = observe
      ? [
          {
            pre: async (ctx: RequestContext) => {
              observe(ctx.getHttpMethod(), ctx.getUrl());
              return ctx;
            },
            post: async (ctx: ResponseContext) => ctx,
          },
        ]
      : [];
    this.api = new CustomObjectsApi(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: kc },
        promiseMiddleware: middleware,
      }),
    );
  }

  async get(namespace: string, name: string): Promise<AlertIncident | undefined> {
    try {
      const raw = await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
      return AlertIncident.parse(raw);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(incident: AlertIncident): Promise<AlertIncident> {
    return AlertIncident.parse(await this.insert(incident));
  }

  /**
   * Creates the object and answers the API server's copy unchecked: the webhook needs only to know that
   * it was stored (the schema check of the answer cost it about as much as its own check of the alert).
   */
  async insert(incident: AlertIncident): Promise<unknown> {
    return this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: incident.metadata.namespace,
      plural: PLURAL,
      body: incident,
    });
  }

  /**
   * Merge-patches spec (and labels); resourceVersion makes it fail with 409 if someone wrote first. The
   * webhook's merge of a repeated notification: it needs only to know that the write went through, so the
   * answer is not schema-checked.
   */
  async patchSpec(namespace: string, name: string, resourceVersion: string, spec: Partial<IncidentSpec>): Promise<void> {
    await this.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { metadata: { resourceVersion }, spec } },
      mergePatch,
    );
  }

  async patchMetadata(
    namespace: string,
    name: string,
    metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
  ): Promise<AlertIncident> {
    const raw = await this.api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { metadata } },
      mergePatch,
    );
    return AlertIncident.parse(raw);
  }

  /**
   * Writes the whole status through the status subresource. Merge patch replaces lists whole (RFC 7386),
   * which is what we want for steps and conditions; the resourceVersion precondition turns a write based
   * on a stale read into a 409 instead of a lost update.
   */
  async patchStatus(
    namespace: string,
    name: string,
    resourceVersion: string,
    status: IncidentStatus,
  ): Promise<AlertIncident> {
    const raw = await this.api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { metadata: { resourceVersion }, status } },
      mergePatch,
    );
    return AlertIncident.parse(raw);
  }

  /**
   * Server-side apply of the fields one writer owns (owners.ts), through the status subresource: the API
   * server keeps every other writer's fields as they are, so nothing is read or merged here. With
   * `resourceVersion` it is conditional (409 if the object changed since): for a writer that must not
   * lose a race with itself. The answer is the object as stored (schema-checked).
   */
  async applyStatus(
    namespace: string,
    name: string,
    status: IncidentStatus,
    o: { fieldManager: FieldManager; resourceVersion?: string },
  ): Promise<AlertIncident> {
    const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace, ...(o.resourceVersion && { resourceVersion: o.resourceVersion }) }, status };
    const raw = await this.api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body, fieldManager: o.fieldManager, force: true },
      applyPatch,
    );
    return AlertIncident.parse(raw);
  }

  async delete(namespace: string, name: string, resourceVersion?: string): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
        body: resourceVersion ? { preconditions: { resourceVersion } } : undefined,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * One page of metadata only (PartialObjectMetadataList): what retention needs to choose, without
   * pulling every finished report into memory.
   */
  async listMetadata(opts: { namespace?: string; labelSelector?: string; limit?: number; continueToken?: string }): Promise<{
    items: Array<{ metadata: { namespace: string; name: string; resourceVersion: string; creationTimestamp?: string; annotations?: Record<string, string> } }>;
    continueToken?: string;
  }> {
    const common = { group: GROUP, version: VERSION, plural: PLURAL, labelSelector: opts.labelSelector, limit: opts.limit, _continue: opts.continueToken };
    const accept = setHeaderOptions('Accept', 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
    const raw = (
      opts.namespace
        ? await this.api.listNamespacedCustomObject({ ...common, namespace: opts.namespace }, accept)
        : await this.api.listClusterCustomObject(common, accept)
    ) as { items?: never[]; metadata?: { continue?: string } };
    return { items: raw.items ?? [], continueToken: raw.metadata?.continue || undefined };
  }

  /** One page of a list; namespace undefined lists across all namespaces. */
  async list(opts: {
    namespace?: string;
    labelSelector?: string;
    limit?: number;
    continueToken?: string;
    resourceVersion?: string;
  }): Promise<{ items: unknown[]; resourceVersion: string; continueToken?: string }> {
    const common = {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      labelSelector: opts.labelSelector,
      limit: opts.limit,
      _continue: opts.continueToken,
      resourceVersion: opts.resourceVersion,
    };
    const raw = (
      opts.namespace
        ? await this.api.listNamespacedCustomObject({ ...common, namespace: opts.namespace })
        : await this.api.listClusterCustomObject(common)
    ) as { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
    return {
      items: raw.items ?? [],
      resourceVersion: raw.metadata?.resourceVersion ?? '',
      continueToken: raw.metadata?.continue || undefined,
    };
  }
}

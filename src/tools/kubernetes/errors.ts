// Turning Kubernetes API failures into short, exact messages for the investigator. Every tool handler
// ends up with one of these strings as an `isError: true` result; nothing is thrown out of a handler.
// They quote the API server as it answered: like every tool result, they are redacted in ToolManager.call().
import { ApiException } from '@kubernetes/client-node';
import { knownKindsList, suggestKind } from './kinds.js';

/** A failure whose message is ready to show to the investigator as it is. */
export class ToolError extends Error {
  constructor(
    message: string,
    /** HTTP status of the API failure behind it, if any. */
    readonly code?: number,
  ) {
    super(message);
  }
}

export function invalidArgument(message: string): ToolError {
  return new ToolError(`invalid argument: ${message}`);
}

/** What a request was about, so that a failure can say what was not found or not allowed. */
export interface Target {
  /** RBAC verb: get, list, patch, delete, update, create. */
  verb: string;
  /** Plural resource, with subresource if any: pods, pods/log, deployments/scale. */
  resource: string;
  /** API group ('' or undefined for core). */
  group?: string;
  /** Singular kind in lower case for "not found" messages: pod, deployment. Defaults from `resource`. */
  kind?: string;
  name?: string;
  namespace?: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ message?: string; field?: string }> };
}

function statusOf(body: unknown): StatusBody | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'object') return body as StatusBody;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object') return parsed as StatusBody;
    } catch {
      return body.trim() ? { message: body.trim().slice(0, 500) } : undefined;
    }
  }
  return undefined;
}

function singular(resource: string): string {
  const base = resource.split('/')[0];
  const irregular: Record<string, string> = {
    persistentvolumeclaims: 'persistentvolumeclaim',
    ingresses: 'ingress',
    endpoints: 'endpoints',
    statuses: 'status',
    classes: 'class',
    policies: 'policy',
  };
  if (irregular[base]) return irregular[base];
  if (base.endsWith('ies')) return base.slice(0, -3) + 'y';
  if (base.endsWith('sses')) return base.slice(0, -2);
  if (base.endsWith('s')) return base.slice(0, -1);
  return base;
}

function where(namespace: string | undefined): string {
  return namespace ? namespace : 'the cluster scope';
}

/**
 * Why a Secret cannot be read, and where to look instead. The operator holds no get, list or watch on
 * Secrets by design (each returns the values), so this is the answer, not a permission to ask for.
 */
export const SECRETS_BY_DESIGN =
  'Secret contents are not readable by design: the operator holds no get, list or watch on Secrets, and none should be granted. ' +
  'To tell whether a Secret a pod needs is missing, read the pod instead: describe_pod shows which Secrets it references (env, envFrom, volumes, imagePullSecrets) ' +
  'and its events say `secret "NAME" not found` (CreateContainerConfigError, FailedMount) when one does not exist.';

/** The RBAC rule that would allow a request, as one line (for forbidden messages). */
export function ruleLine(verb: string, resource: string, group: string | undefined): string {
  return `apiGroups ["${group ?? ''}"], resources ["${resource}"], verbs ["${verb}"]`;
}

/** A clear one-paragraph message for a failed request. Never includes credentials. */
export function describeApiError(err: unknown, target: Target): string {
  if (err instanceof ToolError) return err.message;
  const kind = target.kind ?? singular(target.resource);
  const msg = err instanceof Error ? err.message : String(err);

  if (err instanceof ApiException) {
    const code = (err as ApiException<unknown>).code;
    const status = statusOf((err as ApiException<unknown>).body);
    const detail = status?.message ?? '';
    // KubernetesObjectApi wraps discovery failures ("which resource is this kind?") like this.
    if (msg.startsWith('Failed to fetch resource metadata')) {
      if (code === 404) return `invalid argument: API group/version of this kind is not served by this cluster (${msg.split(':')[0].replace('Failed to fetch resource metadata for ', '')}); check apiVersion, e.g. apps/v1 for Deployment`;
    }
    switch (code) {
      case 404: {
        if (target.name) {
          return `not found: ${kind} ${target.name}${target.namespace ? ` in namespace ${target.namespace}` : ''}`;
        }
        return `not found: ${target.resource}${target.namespace ? ` in namespace ${target.namespace}` : ''}${detail ? ` (${detail})` : ''}`;
      }
      case 403: {
        // The API server names what it refused exactly; prefer that over what we meant to do.
        const m = /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(detail);
        const verb = m?.[1] ?? target.verb;
        const resource = m?.[2] ?? target.resource;
        const group = m ? m[3] : target.group;
        const ns = m ? m[4] : target.namespace;
        if (resource === 'secrets' && !group) return `forbidden: the operator's ServiceAccount may not ${verb} secrets in ${where(ns)} (RBAC). ${SECRETS_BY_DESIGN}`;
        return `forbidden: the operator's ServiceAccount may not ${verb} ${resource} in ${where(ns)} (RBAC). Needed rule: ${ruleLine(verb, resource, group)}.`;
      }
      case 401:
        return `unauthorized: the Kubernetes API server rejected the operator's credentials (expired or invalid token)`;
      case 400:
      case 422: {
        const causes = status?.details?.causes?.map((c) => c.message).filter(Boolean) ?? [];
        const text = detail || causes.join('; ') || 'the API server rejected the request';
        return `invalid argument: ${text}`;
      }
      case 409:
        return `conflict: ${detail || 'the object was changed concurrently'} (read it again and retry)`;
      case 410:
        return `gone: ${detail || 'the requested resource version is too old'}`;
      case 429:
        return `rate limited by the Kubernetes API server: ${detail || 'too many requests'} (retry later)`;
      default:
        return `Kubernetes API error (HTTP ${code})${detail ? `: ${detail}` : ''}`;
    }
  }

  const unknownKind = /^Unrecognized API version and kind: (\S+) (\S+)/.exec(msg);
  if (unknownKind) {
    const [, apiVersion, kind] = unknownKind;
    const near = suggestKind(kind);
    return (
      `invalid argument: kind ${kind} is not served under apiVersion ${apiVersion}` +
      (near ? `; did you mean ${near.kind} (${near.apiVersion})? e.g. {"kind":"${near.kind}","name":"..."}` : '') +
      `. Built-in kinds need no apiVersion and may be spelt as kubectl accepts them (${knownKindsList()}); ` +
      'a custom resource needs its group/version and its Kind as its CRD defines it (kubectl api-resources lists them)'
    );
  }
  const name = err instanceof Error ? err.name : '';
  const sysCode = (err as { code?: unknown })?.code;
  if (name === 'FetchError' || name === 'AbortError' || (typeof sysCode === 'string' && /^E[A-Z]+/.test(sysCode))) {
    return `cannot reach the Kubernetes API server: ${msg}`;
  }
  return `error: ${msg}`;
}

/** Runs one API request; a failure becomes a ToolError with a clear message. */
export async function k8s<T>(target: Target, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ToolError(describeApiError(err, target), err instanceof ToolError ? err.code : httpCode(err));
  }
}

/** The HTTP status of an API failure, if it is one. */
export function httpCode(err: unknown): number | undefined {
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

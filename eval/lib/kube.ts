// A small admin client for the eval's bare control plane: raw REST with the bed's admin client
// certificate, API discovery (kind → resource), and the writes a case needs (objects, then the status a
// kubelet or controller would have written, through the status subresource).
import { adminRequest, type ApiResponse } from '../../scripts/local/controlPlane.js';

export interface ResourceInfo {
  /** plural resource name, e.g. deployments */
  plural: string;
  namespaced: boolean;
  /** the resource has a /status subresource */
  status: boolean;
}

export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class Kube {
  private readonly discovery = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(
    readonly dir: string,
    readonly server: string,
  ) {}

  async request(method: string, path: string, body?: unknown, timeoutMs = 15000): Promise<ApiResponse> {
    return adminRequest(this.dir, this.server, method, path, body, timeoutMs);
  }

  /** The request, failing unless the status is 2xx (or one of `allow`). */
  async must(method: string, path: string, body?: unknown, allow: number[] = []): Promise<any> {
    const r = await this.request(method, path, body);
    if ((r.status < 200 || r.status >= 300) && !allow.includes(r.status)) {
      throw new KubeError(`${method} ${path}: HTTP ${r.status} ${r.body?.message ?? r.text.slice(0, 400)}`, r.status);
    }
    return r.body;
  }

  /** kind → resource for one apiVersion, from the API server's discovery documents. */
  private resources(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let p = this.discovery.get(apiVersion);
    if (!p) {
      p = (async () => {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const body = await this.must('GET', path);
        const out = new Map<string, ResourceInfo>();
        const names = new Set<string>((body.resources ?? []).map((r: { name: string }) => r.name));
        for (const r of body.resources ?? []) {
          if (String(r.name).includes('/')) continue;
          out.set(r.kind, { plural: r.name, namespaced: !!r.namespaced, status: names.has(`${r.name}/status`) });
        }
        return out;
      })();
      p.catch(() => this.discovery.delete(apiVersion));
      this.discovery.set(apiVersion, p);
    }
    return p;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = (await this.resources(apiVersion)).get(kind);
    if (!info) {
      // a CRD created a moment ago: ask again once
      this.discovery.delete(apiVersion);
      const again = (await this.resources(apiVersion)).get(kind);
      if (!again) throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}`);
      return again;
    }
    return info;
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (r.namespaced && !namespace) throw new Error(`${kind} is namespaced: a namespace is needed`);
    return r.namespaced ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`;
  }

  async objectPath(apiVersion: string, kind: string, name: string, namespace?: string): Promise<string> {
    return `${await this.collectionPath(apiVersion, kind, namespace)}/${encodeURIComponent(name)}`;
  }

  /** The object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<any | undefined> {
    const r = await this.request('GET', await this.objectPath(apiVersion, kind, name, namespace));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new KubeError(`GET ${kind} ${namespace ?? ''}/${name}: HTTP ${r.status} ${r.text.slice(0, 300)}`, r.status);
    return r.body;
  }

  async ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }, [409]);
  }

  /** Creates (or, when it exists, replaces) a cluster object from a plain manifest. */
  async apply(obj: any): Promise<any> {
    const ns = obj.metadata?.namespace;
    const coll = await this.collectionPath(obj.apiVersion, obj.kind, ns);
    const r = await this.request('POST', coll, obj);
    if (r.status === 409) {
      const path = `${coll}/${encodeURIComponent(obj.metadata.name)}`;
      const cur = await this.must('GET', path);
      return this.must('PUT', path, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
    }
    if (r.status < 200 || r.status >= 300) throw new KubeError(`create ${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata?.name}: HTTP ${r.status} ${r.body?.message ?? r.text.slice(0, 400)}`, r.status);
    return r.body;
  }

  async waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}`);
  }
}

// Who keeps an object as it is in Git (issue 25). Flux and Argo CD re-apply what Git says: a direct write to
// an object they manage is reverted at their next sync (Argo CD with self-heal: within seconds), so a fix
// made with the API "works" until then and the incident comes back. Before a change is shown or run, the
// dry run asks this module whether its target (or an owner up its controller chain: a Pod's ReplicaSet's
// Deployment) is managed, and by what: the Flux Kustomization or HelmRelease, or the Argo CD Application,
// with where its manifests come from.
//
// How each tells its objects (read from their documentation):
// - Flux labels every object it applies: kustomize.toolkit.fluxcd.io/name + /namespace (a Kustomization),
//   helm.toolkit.fluxcd.io/name + /namespace (a HelmRelease).
// - Argo CD tracks by the annotation argocd.argoproj.io/tracking-id `<app>:<group>/<kind>:<namespace>/<name>`
//   (`<app-namespace>_<app>` with applications in any namespace), trusted only when it names the object it
//   sits on (a copied manifest keeps a stale one; Argo CD checks the same), or by a label
//   (argocd.argoproj.io/instance, or app.kubernetes.io/instance, which Helm sets too: that one counts only
//   when an Application of that name exists).
// What is read beyond the labels (the manager object, its source) is best effort: forbidden or missing
// leaves the ownership known from the labels, without the repository.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ToolContext } from './context.js';
import { lookupKind } from './kinds.js';

export interface GitOpsOwner {
  tool: 'Flux' | 'Argo CD';
  /** The object that says what Git holds: a Kustomization, a HelmRelease or an Application. */
  manager: { kind: 'Kustomization' | 'HelmRelease' | 'Application'; name: string; namespace: string };
  /** The object whose labels or annotation said so (the target, or an owner up its chain): `Deployment shop/web`. */
  via: string;
  /** Where the manifests come from, when the manager object could be read. */
  source?: { kind?: string; name?: string; url?: string; path?: string; revision?: string; chart?: string };
  /** How soon a direct change is undone, in words. */
  reverts: string;
  /** The manager does not sync now (Flux `suspend`, Argo CD without automated sync). */
  paused: boolean;
}

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string>; name?: string; namespace?: string };
type ManagerRef = GitOpsOwner['manager'] & { tool: GitOpsOwner['tool']; weak?: boolean };

const FLUX_KUSTOMIZE = 'kustomize.toolkit.fluxcd.io';
const FLUX_HELM = 'helm.toolkit.fluxcd.io';
const ARGO_TRACKING = 'argocd.argoproj.io/tracking-id';
const ARGO_LABELS = ['argocd.argoproj.io/instance', 'app.kubernetes.io/instance'];
/** Steps up a controller chain (Pod → ReplicaSet → Deployment is two). */
const MAX_OWNER_HOPS = 3;

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/** The manager an object's own metadata names, or undefined (pure). `argoNamespace`: where Applications live by default. */
export function managerFromMetadata(obj: { apiVersion?: string; kind?: string; metadata?: Meta }, argoNamespace: string): ManagerRef | undefined {
  const labels = obj.metadata?.labels ?? {};
  const ns = obj.metadata?.namespace ?? '';
  if (labels[`${FLUX_KUSTOMIZE}/name`]) {
    return { tool: 'Flux', kind: 'Kustomization', name: labels[`${FLUX_KUSTOMIZE}/name`], namespace: labels[`${FLUX_KUSTOMIZE}/namespace`] ?? ns };
  }
  if (labels[`${FLUX_HELM}/name`]) {
    return { tool: 'Flux', kind: 'HelmRelease', name: labels[`${FLUX_HELM}/name`], namespace: labels[`${FLUX_HELM}/namespace`] ?? ns };
  }
  const tracking = obj.metadata?.annotations?.[ARGO_TRACKING];
  const m = tracking ? /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(tracking) : null;
  if (m && m[3] === obj.kind && m[2] === groupOf(obj.apiVersion ?? '') && m[4] === ns && m[5] === obj.metadata?.name) {
    const [appNs, app] = m[1].includes('_') ? m[1].split('_', 2) : [argoNamespace, m[1]];
    return { tool: 'Argo CD', kind: 'Application', name: app, namespace: appNs };
  }
  for (const label of ARGO_LABELS) {
    if (labels[label]) return { tool: 'Argo CD', kind: 'Application', name: labels[label], namespace: argoNamespace, weak: label === 'app.kubernetes.io/instance' };
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Reads a custom object; undefined when missing or not readable. */
async function readCustom(ctx: ToolContext, group: string, version: string, plural: string, namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return rec(await ctx.custom.getNamespacedCustomObject({ group, version, plural, namespace, name }));
  } catch {
    return undefined;
  }
}

const label = (o: { kind?: string; metadata?: Meta }) => `${o.kind ?? 'object'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? ''}`;

/** The whole answer for one manager: its source and how soon it reverts a change; undefined for an Application that does not exist (a weak label). */
async function describeManager(ctx: ToolContext, ref: ManagerRef, via: string): Promise<GitOpsOwner | undefined> {
  const manager = { kind: ref.kind, name: ref.name, namespace: ref.namespace };
  if (ref.kind === 'Application') {
    const app = await readCustom(ctx, 'argoproj.io', 'v1alpha1', 'applications', ref.namespace, ref.name);
    if (!app && ref.weak) return undefined;
    const spec = rec(app?.spec);
    const src = rec(spec.source ?? (Array.isArray(spec.sources) ? spec.sources[0] : undefined));
    const automated = app ? rec(spec.syncPolicy).automated : undefined;
    const selfHeal = rec(automated).selfHeal === true;
    const reverts = !app ? 'at its next sync' : !automated ? 'not by itself (automated sync is off), but at the next manual sync' : selfHeal ? 'within seconds (self-heal is on)' : 'at the next change in Git (automated sync, self-heal off)';
    return {
      tool: 'Argo CD',
      manager,
      via,
      ...(app ? { source: { url: str(src.repoURL), path: str(src.path), revision: str(src.targetRevision) ?? 'HEAD', chart: str(src.chart) } } : {}),
      reverts,
      paused: !!app && !automated,
    };
  }
  const flux = ref.kind === 'Kustomization' ? ['kustomize.toolkit.fluxcd.io', 'v1', 'kustomizations'] : ['helm.toolkit.fluxcd.io', 'v2', 'helmreleases'];
  const obj = await readCustom(ctx, flux[0], flux[1], flux[2], ref.namespace, ref.name);
  const spec = rec(obj?.spec);
  const paused = spec.suspend === true;
  const interval = str(spec.interval);
  const reverts = paused ? 'not while it is suspended, but when it is resumed' : `at its next reconcile${interval ? ` (every ${interval})` : ''}`;
  const sourceRef = rec(ref.kind === 'Kustomization' ? spec.sourceRef : rec(rec(spec.chart).spec).sourceRef ?? spec.chartRef);
  const source: GitOpsOwner['source'] = obj ? { kind: str(sourceRef.kind), name: str(sourceRef.name), path: str(spec.path), chart: str(rec(rec(spec.chart).spec).chart) } : undefined;
  if (source?.kind === 'GitRepository' && source.name) {
    const repo = await readCustom(ctx, 'source.toolkit.fluxcd.io', 'v1', 'gitrepositories', str(sourceRef.namespace) ?? ref.namespace, source.name);
    const gitRef = rec(rec(repo?.spec).ref);
    source.url = str(rec(repo?.spec).url);
    source.revision = str(gitRef.branch) ?? str(gitRef.tag) ?? str(gitRef.semver) ?? str(gitRef.commit);
  }
  return { tool: 'Flux', manager, via, ...(source ? { source } : {}), reverts, paused };
}

/**
 * The GitOps manager of an object, looked up on the object and up its controller chain; undefined when
 * nothing manages it from Git. Reads with the caller's clients (in a dry run: the dry-run ones, reads pass).
 */
export async function gitopsOwner(
  ctx: ToolContext,
  target: { kind: string; name: string; namespace?: string },
  argoNamespace = ctx.argoNamespace ?? 'argocd',
  /** The target as the caller already read it (saves a read). */
  read?: KubernetesObject,
): Promise<GitOpsOwner | undefined> {
  const known = lookupKind(target.kind);
  if (!known) return undefined;
  let ref: { apiVersion: string; kind: string; name: string; namespace?: string } | undefined = { apiVersion: known.apiVersion, kind: known.kind, name: target.name, namespace: target.namespace };
  for (let hop = 0; ref && hop <= MAX_OWNER_HOPS; hop++) {
    let obj: KubernetesObject;
    try {
      obj = hop === 0 && read ? { apiVersion: ref.apiVersion, kind: ref.kind, ...read } : await ctx.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } } as KubernetesObject & { metadata: { name: string } });
    } catch {
      return undefined;
    }
    const found = managerFromMetadata(obj as { apiVersion?: string; kind?: string; metadata?: Meta }, argoNamespace);
    if (found) {
      const owner = await describeManager(ctx, found, label(obj as { kind?: string; metadata?: Meta }));
      if (owner) return owner;
    }
    const up = obj.metadata?.ownerReferences?.find((r) => r.controller);
    ref = up ? { apiVersion: up.apiVersion, kind: up.kind, name: up.name, namespace: ref.namespace } : undefined;
  }
  return undefined;
}

/** One sentence for the evidence and the report: "Deployment shop/web is managed by Flux Kustomization …". */
export function describeOwner(o: GitOpsOwner): string {
  const s = o.source;
  const where = s
    ? [s.url ? `${s.kind === 'GitRepository' || o.tool === 'Argo CD' ? 'repository' : (s.kind ?? 'source')} ${s.url}` : s.name ? `${s.kind ?? 'source'} ${s.name}` : '', s.path ? `path ${s.path}` : '', s.chart ? `chart ${s.chart}` : '', s.revision ? `revision ${s.revision}` : '']
        .filter(Boolean)
        .join(', ')
    : '';
  return `${o.via} is managed by ${o.tool} ${o.manager.kind} ${o.manager.namespace}/${o.manager.name}${where ? ` (${where})` : ''}; a direct change is reverted ${o.reverts}`;
}

/** The describe tools' part: a "Managed by:" line and `managedBy`, or nothing for an object Git does not keep. */
export async function managedByPart(ctx: ToolContext, target: { kind: string; name: string; namespace: string }, read: KubernetesObject): Promise<{ lines: string[]; data: { managedBy?: string } }> {
  const owner = await gitopsOwner(ctx, target, undefined, read);
  if (!owner) return { lines: [], data: {} };
  const text = describeOwner(owner);
  return { lines: [`Managed by: ${text}`], data: { managedBy: text } };
}

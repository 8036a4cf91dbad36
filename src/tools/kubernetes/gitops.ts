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
// An object a Helm chart renders (a HelmRelease, an Application with a Helm source) is changed through the
// chart's values, so what matters is where that HelmRelease or Application is kept in Git: it is told the
// same way, from its own labels or tracking (the Flux Kustomization that applies it, the app-of-apps
// Application), and that one's repository and path are where the values are patched.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ValuesHolder } from '../../contracts/gitChange.js';
import type { ToolContext } from './context.js';
import { lookupKind } from './kinds.js';

export interface GitOpsOwner {
  tool: 'Flux' | 'Argo CD';
  /** The object that says what Git holds: a Kustomization, a HelmRelease or an Application. */
  manager: { kind: 'Kustomization' | 'HelmRelease' | 'Application'; name: string; namespace: string };
  /** The object whose labels or annotation said so (the target, or an owner up its chain): `Deployment shop/web`. */
  via: string;
  /**
   * Where the manifests come from, when the manager object could be read. With `values` (a Helm chart
   * renders the object): url, path and revision say where the HelmRelease or Application itself is kept.
   */
  source?: { kind?: string; name?: string; url?: string; path?: string; revision?: string; chart?: string; values?: ValuesHolder };
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
async function describeManager(ctx: ToolContext, ref: ManagerRef, via: string, argoNamespace: string, allowValues = true): Promise<GitOpsOwner | undefined> {
  const manager = { kind: ref.kind, name: ref.name, namespace: ref.namespace };
  if (ref.kind === 'Application') {
    const app = await readCustom(ctx, 'argoproj.io', 'v1alpha1', 'applications', ref.namespace, ref.name);
    if (!app && ref.weak) return undefined;
    const spec = rec(app?.spec);
    const src = rec(spec.source ?? (Array.isArray(spec.sources) ? spec.sources[0] : undefined));
    const automated = app ? rec(spec.syncPolicy).automated : undefined;
    const selfHeal = rec(automated).selfHeal === true;
    const reverts = !app ? 'at its next sync' : !automated ? 'not by itself (automated sync is off), but at the next manual sync' : selfHeal ? 'within seconds (self-heal is on)' : 'at the next change in Git (automated sync, self-heal off)';
    const own = { url: str(src.repoURL), path: str(src.path), revision: str(src.targetRevision) ?? 'HEAD', chart: str(src.chart) };
    const helm = rec(src.helm);
    const rendered = !!own.chart || helm.valuesObject !== undefined || typeof helm.values === 'string';
    const source = app && rendered && allowValues ? { chart: own.chart, ...(await valuesSource(ctx, app, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: ref.name, namespace: ref.namespace }, argoNamespace, own)) } : own;
    return { tool: 'Argo CD', manager, via, ...(app ? { source } : {}), reverts, paused: !!app && !automated };
  }
  const flux = ref.kind === 'Kustomization' ? ['kustomize.toolkit.fluxcd.io', 'v1', 'kustomizations'] : ['helm.toolkit.fluxcd.io', 'v2', 'helmreleases'];
  const obj = await readCustom(ctx, flux[0], flux[1], flux[2], ref.namespace, ref.name);
  const spec = rec(obj?.spec);
  const paused = spec.suspend === true;
  const interval = str(spec.interval);
  const reverts = paused ? 'not while it is suspended, but when it is resumed' : `at its next reconcile${interval ? ` (every ${interval})` : ''}`;
  const sourceRef = rec(ref.kind === 'Kustomization' ? spec.sourceRef : rec(rec(spec.chart).spec).sourceRef ?? spec.chartRef);
  let source: GitOpsOwner['source'] = obj ? { kind: str(sourceRef.kind), name: str(sourceRef.name), path: str(spec.path), chart: str(rec(rec(spec.chart).spec).chart) } : undefined;
  if (source?.kind === 'GitRepository' && source.name) {
    const repo = await readCustom(ctx, 'source.toolkit.fluxcd.io', 'v1', 'gitrepositories', str(sourceRef.namespace) ?? ref.namespace, source.name);
    const gitRef = rec(rec(repo?.spec).ref);
    source.url = str(rec(repo?.spec).url);
    source.revision = str(gitRef.branch) ?? str(gitRef.tag) ?? str(gitRef.semver) ?? str(gitRef.commit);
  }
  if (obj && source && ref.kind === 'HelmRelease' && allowValues) {
    source = { chart: source.chart, ...(await valuesSource(ctx, obj, { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: ref.name, namespace: ref.namespace }, argoNamespace, source)) };
  }
  return { tool: 'Flux', manager, via, ...(source ? { source } : {}), reverts, paused };
}

/**
 * Where a HelmRelease or Application whose Helm values render the object is kept in Git: the repository,
 * path and revision of the Kustomization or Application that applies it (from its own labels or tracking),
 * with the holder; when none does, the holder says so (`untraced`) and `fallback` (its chart's source) stays.
 */
async function valuesSource(ctx: ToolContext, obj: Record<string, unknown>, holder: ValuesHolder, argoNamespace: string, fallback: NonNullable<GitOpsOwner['source']>): Promise<NonNullable<GitOpsOwner['source']>> {
  const parentRef = managerFromMetadata({ apiVersion: holder.apiVersion, kind: holder.kind, metadata: rec(obj.metadata) as Meta }, argoNamespace);
  const usable = parentRef && parentRef.kind !== 'HelmRelease' && !(parentRef.kind === holder.kind && parentRef.name === holder.name && parentRef.namespace === holder.namespace);
  const parent = usable ? await describeManager(ctx, parentRef, `${holder.kind} ${holder.namespace}/${holder.name}`, argoNamespace, false) : undefined;
  const at = parent?.source;
  if (at?.url) return { kind: at.kind, name: at.name, url: at.url, path: at.path, revision: at.revision, values: holder };
  const why = parentRef
    ? `${parentRef.tool} ${parentRef.kind} ${parentRef.namespace}/${parentRef.name}, which applies it, could not be read or names no repository`
    : `it carries no label or tracking of what applies it (a Flux Kustomization's ${FLUX_KUSTOMIZE}/name, an app-of-apps Application's ${ARGO_TRACKING})`;
  return { ...fallback, values: { ...holder, untraced: `where ${holder.kind} ${holder.namespace}/${holder.name} is kept in Git is not known: ${why}` } };
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
      const owner = await describeManager(ctx, found, label(obj as { kind?: string; metadata?: Meta }), argoNamespace);
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
  const at = (chart: boolean) =>
    s
      ? [s.url ? `${s.kind === 'GitRepository' || o.tool === 'Argo CD' || s.values ? 'repository' : (s.kind ?? 'source')} ${s.url}` : s.name ? `${s.kind ?? 'source'} ${s.name}` : '', s.path ? `path ${s.path}` : '', chart && s.chart ? `chart ${s.chart}` : '', s.revision ? `revision ${s.revision}` : '']
          .filter(Boolean)
          .join(', ')
      : '';
  const v = s?.values;
  // Rendered by a Helm chart: the repository is where the HelmRelease or Application is kept, not the chart's.
  const where = !v ? at(true) : v.untraced ? `${at(true)}; ${v.untraced}` : `${s?.chart ? `chart ${s.chart}; ` : ''}its values in ${v.kind} ${v.namespace}/${v.name}, kept in ${at(false)}`;
  return `${o.via} is managed by ${o.tool} ${o.manager.kind} ${o.manager.namespace}/${o.manager.name}${where ? ` (${where.replace(/^; /, '')})` : ''}; a direct change is reverted ${o.reverts}`;
}

/** The describe tools' part: a "Managed by:" line and `managedBy`, or nothing for an object Git does not keep. */
export async function managedByPart(ctx: ToolContext, target: { kind: string; name: string; namespace: string }, read: KubernetesObject): Promise<{ lines: string[]; data: { managedBy?: string } }> {
  const owner = await gitopsOwner(ctx, target, undefined, read);
  if (!owner) return { lines: [], data: {} };
  const text = describeOwner(owner);
  return { lines: [`Managed by: ${text}`], data: { managedBy: text } };
}

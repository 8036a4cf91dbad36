// Suspend-and-fix (issue 25, GITOPS_MANAGED_WRITES=suspend): a change to an object Flux or Argo CD keeps
// from Git is written only after its manager stops syncing, so that the next sync does not revert it, and the
// manager syncs again once Git holds the change (the GitOps queue resumes it when the pull request is merged).
//   - Flux Kustomization / HelmRelease: `spec.suspend: true` (what `flux suspend` does).
//   - Argo CD Application: automated sync off, i.e. `spec.syncPolicy.automated` removed (what
//     `argocd app set --sync-policy none` does); what it was is kept in an annotation on the Application,
//     so that the resume restores it exactly (self-heal, prune, allowEmpty as they were).
// Ours is told by the annotation alertagent.io/suspended-by (`<incident ns>/<incident name> step <N>`): a
// manager a person suspended (suspend already true, or no automated sync, without our annotation) is never
// touched, and it is never resumed by us; only the suspension whose annotation names the step is undone.
import type { ManagerSuspension } from '../../contracts/gitChange.js';
import type { ToolContext } from './context.js';
import { ToolError, describeApiError, httpCode } from './errors.js';
import { FIELD_MANAGER, mergePatch } from './mutate/common.js';

export const SUSPENDED_BY = 'alertagent.io/suspended-by';
export const SUSPENDED_AT = 'alertagent.io/suspended-at';
/** Argo CD only: `spec.syncPolicy.automated` as it was before we removed it (JSON). */
export const SUSPENDED_SYNC = 'alertagent.io/suspended-sync';

export type ManagerKind = ManagerSuspension['kind'];

/** A GitOps manager: the object whose sync is suspended. */
export type ManagerRef = Pick<ManagerSuspension, 'kind' | 'name' | 'namespace'>;

/** What was (or, in a dry run, would be) suspended: recorded on the step (`dryRun.suspend`). */
export type Suspension = ManagerSuspension;

const API: Record<ManagerKind, { group: string; version: string; plural: string }> = {
  Kustomization: { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' },
  HelmRelease: { group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases' },
  Application: { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' },
};

type Obj = { metadata?: { annotations?: Record<string, string>; resourceVersion?: string }; spec?: Record<string, unknown> };

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const toolOf = (kind: ManagerKind): Suspension['tool'] => (kind === 'Application' ? 'Argo CD' : 'Flux');

/** `Flux Kustomization flux-system/apps`. */
export const managerLabel = (m: ManagerRef): string => `${toolOf(m.kind)} ${m.kind} ${m.namespace}/${m.name}`;

/** Whether it syncs now: Flux not suspended, Argo CD with automated sync (pure). */
export function syncing(kind: ManagerKind, obj: Obj): boolean {
  return kind === 'Application' ? rec(obj.spec?.syncPolicy).automated !== undefined && rec(obj.spec?.syncPolicy).automated !== null : obj.spec?.suspend !== true;
}

/** The merge patch that suspends `obj` for `by` at `at` (pure). */
export function suspendPatch(kind: ManagerKind, obj: Obj, by: string, at: string): Record<string, unknown> {
  const annotations: Record<string, string> = { [SUSPENDED_BY]: by, [SUSPENDED_AT]: at };
  // The resourceVersion makes the patch fail on a manager changed since it was read (a person suspending it meanwhile).
  const metadata = { annotations, ...(obj.metadata?.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}) };
  if (kind !== 'Application') return { metadata, spec: { suspend: true } };
  annotations[SUSPENDED_SYNC] = JSON.stringify(rec(obj.spec?.syncPolicy).automated ?? {});
  return { metadata, spec: { syncPolicy: { automated: null } } };
}

/** The merge patch that undoes suspendPatch (pure): suspend false, or the automated sync as it was; our annotations removed. */
export function resumePatch(kind: ManagerKind, obj: Obj): Record<string, unknown> {
  const metadata = { annotations: { [SUSPENDED_BY]: null, [SUSPENDED_AT]: null, ...(kind === 'Application' ? { [SUSPENDED_SYNC]: null } : {}) } };
  if (kind !== 'Application') return { metadata, spec: { suspend: false } };
  let automated: unknown = {};
  try {
    automated = JSON.parse(obj.metadata?.annotations?.[SUSPENDED_SYNC] ?? '{}');
  } catch {
    automated = {};
  }
  return { metadata, spec: { syncPolicy: { automated: rec(automated) } } };
}

/** Whether we hold it suspended, and for whom: undefined when not suspended by the operator (pure). */
export const suspendedBy = (obj: Obj): string | undefined => obj.metadata?.annotations?.[SUSPENDED_BY];

/** The command a person runs to resume it (pure). */
export function resumeCommand(s: Suspension): string {
  if (s.kind === 'Application') {
    // Argo CD's CLI names an Application outside its own namespace as <namespace>/<name>.
    const app = s.namespace === 'argocd' ? s.name : `${s.namespace}/${s.name}`;
    return `argocd app set ${app} --sync-policy automated${s.selfHeal ? ' --self-heal' : ''}${s.prune ? ' --auto-prune' : ''}`;
  }
  return `flux resume ${s.kind.toLowerCase()} -n ${s.namespace} ${s.name}`;
}

export async function readManager(ctx: ToolContext, m: ManagerRef): Promise<Obj> {
  const a = API[m.kind];
  return rec(await ctx.custom.getNamespacedCustomObject({ group: a.group, version: a.version, plural: a.plural, namespace: m.namespace, name: m.name })) as Obj;
}

async function patchManager(ctx: ToolContext, m: ManagerRef, body: Record<string, unknown>): Promise<Obj> {
  const a = API[m.kind];
  return rec(await ctx.custom.patchNamespacedCustomObject({ group: a.group, version: a.version, plural: a.plural, namespace: m.namespace, name: m.name, body, fieldManager: FIELD_MANAGER }, mergePatch())) as Obj;
}

const why = (err: unknown, m: ManagerRef, verb: string) => describeApiError(err, { verb, resource: API[m.kind].plural, group: API[m.kind].group, name: m.name, namespace: m.namespace });

/** What the step records: the manager, and Argo CD's sync options as they are (to print the resume command). */
function suspensionOf(m: ManagerRef, obj: Obj): Suspension {
  const automated = rec(rec(obj.spec?.syncPolicy).automated);
  return { tool: toolOf(m.kind), ...m, ...(m.kind === 'Application' ? { selfHeal: automated.selfHeal === true, prune: automated.prune === true } : {}) };
}

/**
 * Suspends `m` for `by` (on the caller's clients: in a dry run, a dryRun=All patch). Refused (ToolError) when
 * it cannot be read or patched, or when it does not sync now without our annotation (a person paused it: it is
 * theirs). Already suspended by the operator: left as it is (`already`), its first suspension's record kept.
 */
export async function suspendManager(ctx: ToolContext, m: ManagerRef, by: string, at: string): Promise<{ suspension: Suspension; already: boolean }> {
  let obj: Obj;
  try {
    obj = await readManager(ctx, m);
  } catch (err) {
    throw new ToolError(`refused: ${managerLabel(m)} cannot be read to suspend it (${why(err, m, 'get')})`, httpCode(err));
  }
  const ours = suspendedBy(obj);
  if (ours) return { suspension: suspensionOf(m, obj), already: true };
  if (!syncing(m.kind, obj)) {
    throw new ToolError(`refused: ${managerLabel(m)} was ${m.kind === 'Application' ? 'taken off automated sync' : 'suspended'} by a person, not by the operator: it is left as they set it, so the change is made in Git instead`);
  }
  try {
    await patchManager(ctx, m, suspendPatch(m.kind, obj, by, at));
  } catch (err) {
    throw new ToolError(`refused: ${managerLabel(m)} could not be suspended (${why(err, m, 'patch')})`, httpCode(err));
  }
  return { suspension: suspensionOf(m, obj), already: false };
}

/**
 * Resumes `m` if the operator suspended it for `by` (the annotation names it); anything else is left alone.
 * `resumed`: it was ours and now syncs again; `notOurs`: a person's, or another step's, suspension (untouched);
 * `gone`: the manager no longer exists.
 */
export async function resumeManager(ctx: ToolContext, m: ManagerRef, by: string): Promise<'resumed' | 'notOurs' | 'gone'> {
  let obj: Obj;
  try {
    obj = await readManager(ctx, m);
  } catch (err) {
    if (httpCode(err) === 404) return 'gone';
    throw err;
  }
  if (suspendedBy(obj) !== by) return 'notOurs';
  await patchManager(ctx, m, resumePatch(m.kind, obj));
  return 'resumed';
}

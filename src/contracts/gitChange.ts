// A change kept out of the cluster because Flux or Argo CD keeps its target from Git (issue 25), as data:
// the dry run (src/tools/kubernetes/dryRun.ts) writes it, the incident keeps it on the refused step
// (`dryRun.gitChange`, JSON), and the pull-request face (src/gitops/) applies it to the manifest in Git.

/** One segment of a field's path: a key, or an item of a named list (containers, env, ports) by its name. */
export type PathSegment = string | { name: string };

export interface FieldChange {
  path: PathSegment[];
  /** As the cluster holds it now (absent: unset). The manifest in Git must hold the same, or it is not patched. */
  before?: string | number | boolean | null;
  /** As the fix would make it (absent: removed). */
  after?: string | number | boolean | null;
}

/** The HelmRelease (Flux) or Application (Argo CD) whose Helm values render the object (issue 25). */
export interface ValuesHolder {
  apiVersion: string;
  kind: 'HelmRelease' | 'Application';
  name: string;
  namespace: string;
  /** Why where the holder itself is kept in Git is not known (then nothing is patched). */
  untraced?: string;
}

export interface GitChange {
  /** Who keeps the object, in one sentence (src/tools/kubernetes/gitops.ts describeOwner). */
  owner: string;
  tool: 'Flux' | 'Argo CD';
  manager: { kind: string; name: string; namespace: string };
  /**
   * Where its manifests are: the repository, the directory and the branch or revision. With `values`, the
   * object is rendered by a Helm chart: the change is made to the values of that HelmRelease or Application,
   * and url/path/revision say where that manager's own manifest is kept.
   */
  source: { url?: string; path?: string; revision?: string; chart?: string; values?: ValuesHolder };
  object: { apiVersion: string; kind: string; name: string; namespace?: string };
  changes: FieldChange[];
}

/**
 * A GitOps manager the operator suspends before a change to what it keeps (GITOPS_MANAGED_WRITES=suspend,
 * src/tools/kubernetes/suspend.ts): kept on the step (`dryRun.suspend`) so that the GitOps queue resumes it
 * once Git holds the change, and the report says how to resume it by hand.
 */
export interface ManagerSuspension {
  tool: 'Flux' | 'Argo CD';
  kind: 'Kustomization' | 'HelmRelease' | 'Application';
  name: string;
  namespace: string;
  /** Argo CD: the automated sync's options as they were (restored by the resume). */
  selfHeal?: boolean;
  prune?: boolean;
}

/** `spec.template.spec.containers[web].image`, as the dry run's diff writes it. */
export function pathText(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'string' ? `${i ? '.' : ''}${s}` : `[${s.name}]`)).join('');
}

/** The change kept on a step, parsed (undefined when absent or not one). */
export function parseGitChange(json: string | undefined): GitChange | undefined {
  if (!json) return undefined;
  try {
    const c = JSON.parse(json) as GitChange;
    return c && typeof c === 'object' && Array.isArray(c.changes) && c.object && typeof c.object.kind === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

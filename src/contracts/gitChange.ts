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

export interface GitChange {
  /** Who keeps the object, in one sentence (src/tools/kubernetes/gitops.ts describeOwner). */
  owner: string;
  tool: 'Flux' | 'Argo CD';
  manager: { kind: string; name: string; namespace: string };
  /** Where its manifests are: the repository, the directory and the branch or revision. */
  source: { url?: string; path?: string; revision?: string; chart?: string };
  object: { apiVersion: string; kind: string; name: string; namespace?: string };
  changes: FieldChange[];
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

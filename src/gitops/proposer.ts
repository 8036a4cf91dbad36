// The GitOps queue (issue 25): for changes the dry run kept out of the cluster because Flux or Argo CD keeps
// their target from Git, a branch and a pull/merge request with the change applied to the manifest, then
// the wait for it to be merged and for the cluster to show it. Built like a controller (cert-manager's
// model): informer events only enqueue incident keys; a worker reads the incident from the cache, does what
// is due (due.ts) and records it in status.gitChanges, this queue's own field (server-side apply as
// alert-agent-gitops). Never two pull requests for one step: the branch is named after the incident and
// step, and the pull request from it is looked up before one is opened (a crash between opening and
// recording finds it again).
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';
import type { FieldChange, GitChange, ManagerSuspension } from '../contracts/gitChange.js';
import { clip, LIMITS } from '../incident/limits.js';
import { FIELD_MANAGERS } from '../incident/owners.js';
import { apiErrorMessage, isNotFound, readThrough, type IncidentCacheView, type IncidentStore } from '../incident/store.js';
import type { AlertIncident, GitChangeRecord } from '../incident/types.js';
import type { Logger } from '../observability/logger.js';
import { WorkQueue } from '../runtime/queue.js';
import { makeContext } from '../tools/kubernetes/context.js';
import { resumeManager } from '../tools/kubernetes/suspend.js';
import { DeliveryError } from '../util/httpClient.js';
import { bodyOf, branchOf, titleOf } from './content.js';
import { dueGitWork, type GitWork } from './due.js';
import { patchManifest, isManifestPath, unpatchable, type RepoFile } from './manifest.js';
import { repositoryOf, type GitProvider } from './provider.js';

export interface ProposerOptions {
  provider: GitProvider;
  /** The host whose repository URLs belong to the provider (github.com, gitlab.example.com). */
  host: string;
  /** The branch to propose against when the source follows HEAD. */
  baseBranch: string;
  store: IncidentStore;
  log: Logger;
  /** The operator's policy mode: under `auto` a pull request opens without a person asking. */
  policyMode: string;
  /** From opening to the cluster showing the change. */
  syncTimeoutMs: number;
  pollMs: number;
  /** Reads the object a change is about, in the incident's cluster (the synced check). */
  readObject: (inc: AlertIncident, o: GitChange['object']) => Promise<KubernetesObject | undefined>;
  /**
   * Resumes the GitOps manager a step suspended (GITOPS_MANAGED_WRITES=suspend) in the incident's cluster, if the
   * operator suspended it for that step (its annotation says so): `resumed`, `notOurs` (left alone), `gone`, or
   * `unreachable` (no credentials for the cluster now). Absent: never resumed here (the report says how to).
   */
  resumeManager?: (inc: AlertIncident, m: ManagerSuspension, by: string) => Promise<'resumed' | 'notOurs' | 'gone' | 'unreachable'>;
  cache?: IncidentCacheView;
  registry?: Registry;
  /**
   * Many clusters: the bounded `cluster` label of an incident's series (observability/metrics.ts's
   * clusterLabels). Absent: the counter has no `cluster` label, its series as they were.
   */
  clusterLabels?: (cluster: string | undefined) => { cluster?: string };
  now?: () => number;
}

/** Files read from the source's path at most: a monorepo's whole tree is not what a proposal patches. */
const MAX_FILES = 200;

/** The object's value at a change's path (named list items by name). */
function valueAt(obj: unknown, c: FieldChange): unknown {
  let node: unknown = obj;
  for (const seg of c.path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = typeof seg === 'string' ? (node as Record<string, unknown>)[seg] : (node as Array<{ name?: unknown }>).find?.((x) => x?.name === seg.name);
  }
  return node;
}

/** A readObject through the generic object API of the incident's cluster (`kcOf`; undefined: not reachable now). */
export function objectReader(kcOf: (inc: AlertIncident) => KubeConfig | undefined): ProposerOptions['readObject'] {
  return async (inc, o) => {
    const kc = kcOf(inc);
    if (!kc) return undefined;
    const api = KubernetesObjectApi.makeApiClient(kc);
    try {
      return await api.read({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}

/** A resumeManager on the incident's cluster (`kcOf`), through suspend.ts. */
export function managerResumer(kcOf: (inc: AlertIncident) => KubeConfig | undefined): NonNullable<ProposerOptions['resumeManager']> {
  return async (inc, m, by) => {
    const kc = kcOf(inc);
    return kc ? resumeManager(makeContext(kc), m, by) : 'unreachable';
  };
}

/** What suspend.ts annotates a manager with for a step: `<ns>/<incident> step <N>` (as execute.ts tells the tool). */
export const suspendedFor = (inc: AlertIncident, step: number): string => `${inc.metadata.namespace}/${inc.metadata.name} step ${step}`;

export class GitProposer {
  private readonly queue: WorkQueue;
  private readonly results?: Counter<'provider' | 'state' | 'cluster'>;

  constructor(private readonly o: ProposerOptions) {
    this.queue = new WorkQueue({ concurrency: 2, baseDelayMs: 2_000, maxDelayMs: 5 * 60_000, onError: (key, err) => o.log.warn('a change proposed in Git is retried', { incident: key, error: (err as Error).message }) });
    if (o.registry) {
      this.results = new Counter({ name: 'alert_agent_git_changes_total', help: 'Changes proposed in Git by the state they reached (Open, Merged, Synced, Closed, TimedOut, Failed)', labelNames: ['provider', 'state', ...(o.clusterLabels ? ['cluster' as const] : [])], registers: [o.registry] });
    }
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  start(): void {
    this.queue.start((key) => this.reconcile(key));
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  /** Informer events: enqueue the incident when anything is due for it (handlers only enqueue). */
  observe(type: 'ADDED' | 'MODIFIED' | 'DELETED', inc: AlertIncident): void {
    if (type !== 'DELETED' && dueGitWork(inc, this.o.policyMode).length) this.queue.add(`${inc.metadata.namespace}/${inc.metadata.name}`);
  }

  private read(namespace: string, name: string): Promise<AlertIncident | undefined> {
    return readThrough(this.o.store, this.o.cache, namespace, name);
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const [namespace, name] = key.split('/');
    const inc = await this.read(namespace, name);
    if (!inc) return;
    const records = new Map((inc.status?.gitChanges ?? []).map((r) => [r.step, r]));
    let changed = false;
    let follow = false;
    for (const w of dueGitWork(inc, this.o.policyMode)) {
      const record = w.kind === 'open' ? await this.open(inc, w) : await this.follow(inc, w);
      if (JSON.stringify(record) !== JSON.stringify(records.get(w.step))) {
        records.set(w.step, record);
        changed = true;
        this.results?.inc({ provider: this.o.provider.kind, state: record.state, ...this.o.clusterLabels?.(inc.spec.cluster) });
      }
      if (record.state === 'Open' || record.state === 'Merged') follow = true;
    }
    if (changed) await this.record(inc, [...records.values()]);
    return follow ? { requeueAfterMs: this.o.pollMs } : undefined;
  }

  private base(w: GitWork): { repo?: string; ref?: string; why?: string } {
    const src = w.change.source;
    const repo = repositoryOf(src.url, this.o.host);
    if (!repo) return { why: `the repository ${src.url ?? '(unknown: the manager object could not be read)'} is not on the configured Git host ${this.o.host}` };
    const rev = src.revision && src.revision !== 'HEAD' ? src.revision : this.o.baseBranch;
    if (/^[0-9a-f]{40}$/i.test(rev) || /^v?\d+\.\d+/.test(rev) || /[*^~<>=]/.test(rev)) return { why: `the source follows ${rev}, a tag, version or commit, not a branch a pull request could go to` };
    return { repo, ref: rev };
  }

  private async open(inc: AlertIncident, w: Extract<GitWork, { kind: 'open' }>): Promise<GitChangeRecord> {
    const p = this.o.provider;
    const time = new Date(this.now()).toISOString();
    const failed = (message: string, extra: Partial<GitChangeRecord> = {}): GitChangeRecord => ({ step: w.step, state: 'Failed', provider: p.kind, message: clip(message, LIMITS.ticketError), time, ...extra });
    const { repo, ref, why } = this.base(w);
    if (!repo || !ref) return failed(unpatchable(w.change) ?? why ?? 'no repository');
    const branch = branchOf(inc, w.step);
    const where = { repository: repo, branch };
    try {
      const existing = await p.findPullRequest(repo, branch);
      if (existing) return { step: w.step, state: existing.state === 'merged' ? 'Merged' : existing.state === 'open' ? 'Open' : 'Closed', provider: p.kind, ...where, number: existing.number, url: existing.url, openedAt: time, time, message: 'found by its branch (opened before a restart)' };
      const paths = (await p.listFiles(repo, ref, w.change.source.path ?? '')).filter(isManifestPath).slice(0, MAX_FILES);
      const files: RepoFile[] = [];
      for (const path of paths) {
        const f = await p.readFile(repo, ref, path);
        if (f) files.push({ path, content: f.content });
      }
      const patched = patchManifest(files, w.change);
      if (!patched.ok) return failed(`the manifest in ${repo} was not patched: ${patched.reason}`, where);
      await p.createBranch(repo, branch, ref);
      const onBranch = await p.readFile(repo, branch, patched.path);
      if (onBranch?.content !== patched.content) {
        await p.commitFile(repo, branch, patched.path, patched.content, `${titleOf(inc, w.change)}\n\nProposed by Alert Agent for incident ${inc.metadata.namespace}/${inc.metadata.name}, step ${w.step}.`, onBranch?.sha);
      }
      const pr = await p.openPullRequest(repo, { branch, base: ref, title: titleOf(inc, w.change), body: bodyOf(inc, w.change, patched.path, patched.changed, w.step) });
      this.o.log.info('opened a pull request for a change proposed in Git', { incident: inc.metadata.name, namespace: inc.metadata.namespace, url: pr.url });
      return { step: w.step, state: 'Open', provider: p.kind, ...where, number: pr.number, url: pr.url, openedAt: time, time };
    } catch (err) {
      if (err instanceof DeliveryError && !err.retryable) return failed(err.message, where);
      throw err; // retried with backoff by the queue
    }
  }

  private async follow(inc: AlertIncident, w: Extract<GitWork, { kind: 'follow' }>): Promise<GitChangeRecord> {
    const r = w.record;
    const time = new Date(this.now()).toISOString();
    const late = this.now() - Date.parse(r.openedAt ?? r.time) > this.o.syncTimeoutMs;
    let state = r.state;
    if (state === 'Open' && r.repository && r.number !== undefined) {
      const pr = await this.o.provider.pullRequest(r.repository, r.number);
      state = pr.state === 'merged' ? 'Merged' : pr.state === 'closed' ? 'Closed' : 'Open';
    }
    let resumed = '';
    if (state === 'Merged' && w.suspend && this.o.resumeManager) {
      // Git holds the change now: the manager the step suspended syncs again (and applies what was merged).
      const answer = await this.o.resumeManager(inc, w.suspend, suspendedFor(inc, w.step));
      if (answer === 'unreachable') {
        const message = 'merged; the cluster cannot be reached now to resume the manager the step suspended';
        return r.state === state && r.message === message ? r : { ...r, state, time, message };
      }
      if (answer === 'resumed') {
        resumed = `; ${w.suspend.tool} ${w.suspend.kind} ${w.suspend.namespace}/${w.suspend.name} resumed`;
        this.o.log.info('resumed the GitOps manager a step suspended, its change being merged', { incident: inc.metadata.name, namespace: inc.metadata.namespace, manager: `${w.suspend.kind} ${w.suspend.namespace}/${w.suspend.name}` });
      }
    }
    if (state === 'Merged') {
      const obj = await this.o.readObject(inc, w.change.object);
      const shows = !!obj && w.change.changes.every((c) => String(valueAt(obj, c) ?? '') === String(c.after ?? ''));
      if (shows) return { ...r, state: 'Synced', time, message: `merged, and the cluster shows the change${resumed}` };
    }
    if (late && (state === 'Open' || state === 'Merged')) {
      return { ...r, state: 'TimedOut', time, message: state === 'Open' ? 'not merged within the timeout' : 'merged, but the cluster did not show the change within the timeout (is the Kustomization or Application syncing?)' };
    }
    if (resumed) return { ...r, state, time, message: `merged${resumed}; waiting for the cluster to show the change` };
    const closed = w.suspend ? `closed without being merged; ${w.suspend.tool} ${w.suspend.kind} ${w.suspend.namespace}/${w.suspend.name} stays suspended (see the report)` : 'closed without being merged';
    return state === r.state ? r : { ...r, state, time, ...(state === 'Closed' ? { message: closed } : { message: 'merged; waiting for the cluster to show the change' }) };
  }

  private async record(inc: AlertIncident, list: GitChangeRecord[]): Promise<void> {
    try {
      const saved = await this.o.store.applyStatus(inc.metadata.namespace, inc.metadata.name, { gitChanges: list.sort((a, b) => a.step - b.step).slice(-LIMITS.gitChanges) }, { fieldManager: FIELD_MANAGERS.gitops });
      this.o.cache?.observed(saved);
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`recording status.gitChanges failed: ${apiErrorMessage(err)}`);
    }
  }
}

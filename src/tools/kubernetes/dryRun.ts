// The dry run of a proposed change (issue 22; DESIGN.md, "Outcomes and tenancy"): before a mutating call
// is shown to a person or run under `auto`, the API server judges it. In order:
//   1. Names: every object name and namespace the call names must be one Kubernetes can hold (a call on
//      `{"name": "kubernetes__get_resource", "namespace": "billing_invoices-…"}` is refused here).
//   2. Namespaces: each one the call names must exist (a GET each).
//   3. A built-in tool runs exactly as it would (the same argument reading, the same code), but on API
//      clients whose every write carries `dryRun: 'All'` (dryRunContext): the API server validates and
//      admits the write and answers with the object as it would be, and nothing is stored. What it
//      answered is compared with what the tool read before: the diff a person approves. The mode is the
//      engine's, passed out of band (the tool's arguments are the model's, and carry no such switch), and
//      it fails closed: in it, any call that is not a read, a list or a dry-run write throws.
//   4. A tool of another MCP server cannot be dry-run: the objects its arguments name (kind, namespace,
//      name; src/policy/objects.ts) are read with the operator's client, and a missing one refuses it.
// A refusal is a reason for the investigator (the call can never run as asked); a failure to reach the API
// server is a TransientError (the step is tried again later), never a refusal.
import type { KubernetesObject } from '@kubernetes/client-node';
import { TransientError } from '../../contracts/errors.js';
import type { DryRunner, DryRunVerdict, ProposedChange } from '../../contracts/investigation.js';
import { callIntents } from '../../policy/objects.js';
import { callTargets } from '../../policy/targets.js';
import type { ObjectRef } from '../../policy/policy.js';
import { redact } from '../../redaction/redact.js';
import { prepareArgs } from './args.js';
import type { ToolContext, ToolDef } from './context.js';
import type { GitChange } from '../../contracts/gitChange.js';
import { diffObjects, fieldChanges } from './diff.js';
import { describeOwner, gitopsOwner } from './gitops.js';
import { SUSPENDED_BY, managerLabel, resumeCommand, resumeManager, suspendManager, type ManagerRef } from './suspend.js';
import { ToolError, describeApiError, httpCode } from './errors.js';
import { toPlain } from './format.js';
import { lookupKind } from './kinds.js';

const READ = /^(read|list|get)/;
const WRITE = /^(patch|delete|create|replace)/;
/** Lines of a diff shown per object, and in all. */
const MAX_LINES_PER_OBJECT = 10;
const MAX_LINES = 16;
/** Objects and namespaces a call is checked on, at most. */
const MAX_READS = 5;

/** A write the tool made in a dry run: what it acted on, what was read of it before, what the API server answered. */
interface DryWrite {
  verb: string;
  /** The object's kind as the API method names it (Deployment, Pod, Node), and a subresource (scale). */
  kind: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  before?: unknown;
  after: unknown;
}

interface Capture {
  reads: Map<string, unknown>;
  writes: DryWrite[];
}

/** `patchNamespacedDeploymentScale` → { verb: patch, kind: Deployment, subresource: scale }. */
function parseMethod(method: string): { verb: string; kind: string; subresource?: string } {
  const verb = /^deleteCollection/.test(method) ? 'deleteCollection' : (/^[a-z]+/.exec(method)?.[0] ?? method);
  let rest = method.slice(verb.length).replace(/^Namespaced/, '');
  let subresource: string | undefined;
  const sub = /(Scale|Status|Ephemeralcontainers|Eviction|Binding)$/.exec(rest);
  if (sub && sub.index > 0) {
    subresource = sub[1].toLowerCase();
    rest = rest.slice(0, sub.index);
  }
  return { verb, kind: rest, ...(subresource ? { subresource } : {}) };
}

const keyOf = (kind: string, subresource: string | undefined, p: { name?: unknown; namespace?: unknown } | undefined) =>
  `${kind}/${subresource ?? ''}|${String(p?.namespace ?? '')}|${String(p?.name ?? '')}`;

/**
 * An API client (client-node's object-parameter API: `method({ name, namespace, body, ... })`) on which every
 * write carries `dryRun: 'All'` and is recorded with the object read before it; reads pass and are
 * remembered; anything else (exec, attach, proxy) throws.
 */
function dryRunClient<T extends object>(api: T, cap: Capture): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (READ.test(prop)) {
        return async (...args: unknown[]) => {
          const r = await fn.apply(target, args);
          // `get…`: the custom objects client's reads (getNamespacedCustomObjectStatus), diffed like `read…`.
          if (/^(read|get)/.test(prop)) {
            const m = parseMethod(prop);
            cap.reads.set(keyOf(m.kind, m.subresource, args[0] as { name?: unknown; namespace?: unknown }), r);
          }
          return r;
        };
      }
      if (WRITE.test(prop)) {
        return async (param: Record<string, unknown> | undefined, ...rest: unknown[]) => {
          const m = parseMethod(prop);
          const after = await fn.apply(target, [{ ...(param ?? {}), dryRun: 'All' }, ...rest]);
          const before = cap.reads.get(keyOf(m.kind, m.subresource, param));
          // A custom object is labelled by its own kind (Certificate), not the client's "CustomObject".
          if (m.kind === 'CustomObject' && typeof (after as { kind?: unknown } | undefined)?.kind === 'string') m.kind = (after as { kind: string }).kind;
          cap.writes.push({ ...m, name: param?.name as string | undefined, namespace: param?.namespace as string | undefined, before, after });
          return after;
        };
      }
      return () => {
        throw new ToolError(`internal error: ${prop} is not allowed in a dry run`);
      };
    },
  });
}

/** The generic object API (positional arguments): reads pass, writes are refused in a dry run. */
function readOnlyObjects<T extends object>(api: T): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
      // Bound to the client itself: a read calls its own helpers (specUriPath, requestPromise), which are no writes.
      if (READ.test(prop)) return (value as (...args: unknown[]) => unknown).bind(target);
      return () => {
        throw new ToolError(`internal error: ${prop} is not allowed in a dry run`);
      };
    },
  });
}

/** The tools' context in dry-run mode: the same clients, every write a server-side dry run (see above). */
export function dryRunContext(ctx: ToolContext): { ctx: ToolContext; capture: Capture } {
  const capture: Capture = { reads: new Map(), writes: [] };
  return {
    capture,
    ctx: {
      ...ctx,
      core: dryRunClient(ctx.core, capture),
      apps: dryRunClient(ctx.apps, capture),
      autoscaling: dryRunClient(ctx.autoscaling, capture),
      batch: dryRunClient(ctx.batch, capture),
      custom: dryRunClient(ctx.custom, capture),
      objects: readOnlyObjects(ctx.objects),
    },
  };
}

/** The metadata the API server sets on every write: not what a change is about. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

function comparable(obj: unknown, subresource?: string): unknown {
  const plain = toPlain(obj) as Record<string, unknown> | undefined;
  if (!plain || typeof plain !== 'object') return plain;
  // A write through the status subresource changes only the status (renew_certificate's Issuing condition).
  if (subresource === 'status') return { status: plain.status };
  const { status: _status, ...rest } = plain;
  void _status;
  const meta = rest.metadata && typeof rest.metadata === 'object' ? { ...(rest.metadata as Record<string, unknown>) } : undefined;
  if (meta) for (const k of SERVER_METADATA) delete meta[k];
  return meta ? { ...rest, metadata: meta } : rest;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A map that one side lacks is compared as an empty one, so that an added annotation reads
 * `…annotations.kubectl.kubernetes.io/restartedAt: <unset> → …` rather than a whole map against `<unset>`.
 */
function align(a: unknown, b: unknown): [unknown, unknown] {
  if (!isPlainObject(a) && !isPlainObject(b)) return [a, b];
  if (a !== undefined && !isPlainObject(a)) return [a, b];
  if (b !== undefined && !isPlainObject(b)) return [a, b];
  const x: Record<string, unknown> = { ...(a ?? {}) };
  const y: Record<string, unknown> = { ...(b ?? {}) };
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) [x[k], y[k]] = align(x[k], y[k]);
  return [x, y];
}

/** What a dry-run write would change, as a few lines: `Deployment shop/web (scale):` then `  spec.replicas: 3 → 0`. */
export function describeWrites(writes: readonly DryWrite[]): string[] {
  const out: string[] = [];
  for (const w of writes) {
    const label = `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name ?? ''}${w.subresource ? ` (${w.subresource})` : ''}`;
    if (w.verb === 'delete' || w.verb === 'deleteCollection') {
      const owner = (w.before as { metadata?: { ownerReferences?: Array<{ controller?: boolean; kind: string; name: string }> } } | undefined)?.metadata?.ownerReferences?.find((r) => r.controller);
      const what = w.kind === 'Pod' ? (owner ? `; its ${owner.kind} ${owner.name} creates a replacement` : '; no controller recreates it') : '';
      out.push(`${label}: exists → deleted${what}`);
    } else if (w.verb === 'create') {
      out.push(`${label}: created`);
    } else {
      const [before, after] = align(comparable(w.before, w.subresource), comparable(w.after, w.subresource));
      const lines = diffObjects(before, after, MAX_LINES_PER_OBJECT);
      out.push(...(lines.length ? [`${label}:`, ...lines.map((l) => `  ${l}`)] : [`${label}: no field would change`]));
    }
  }
  return out.length > MAX_LINES ? [...out.slice(0, MAX_LINES - 1), `… ${out.length - MAX_LINES + 1} more lines`] : out;
}

/** A failure worth trying again (the API server unreachable or overloaded), not the API server's judgment. */
function transient(err: unknown): boolean {
  const code = err instanceof ToolError ? err.code : httpCode(err);
  if (code !== undefined) return code >= 500 || code === 429 || code === 401;
  const msg = err instanceof Error ? err.message : String(err);
  return /^cannot reach the Kubernetes API server|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|fetch failed/i.test(msg);
}

/** What to do with a change to an object Flux or Argo CD keeps from Git (GITOPS_MANAGED_WRITES, see gitops.ts). */
export interface GitOpsOptions {
  /**
   * `propose`: refuse the direct write and give the change to make in Git instead; `allow`: write, and say it
   * will be reverted; `suspend`: write after suspending the manager (suspend.ts), and propose the change in Git.
   */
  managedWrites: 'propose' | 'allow' | 'suspend';
  /** Where Argo CD's Applications live (ARGOCD_NAMESPACE). */
  argoNamespace: string;
}

/** Tools whose effect is done once they ran (pods replaced, a node cordoned): a later sync has nothing to revert. */
const ONE_SHOT = new Set(['rollout_restart', 'delete_pod', 'cordon_node', 'uncordon_node']);

/**
 * The first object a dry run would write that Flux or Argo CD manages: who manages it, and the change as data
 * for a patch of its manifest in Git (absent when it is no plain field change, or a subresource's).
 */
async function gitopsManaged(def: ToolDef, writes: readonly DryWrite[], ctx: ToolContext, o: Pick<GitOpsOptions, 'argoNamespace'>): Promise<{ owner: string; manager: ManagerRef; change?: GitChange } | undefined> {
  if (ONE_SHOT.has(def.name)) return undefined;
  for (const w of writes) {
    if (w.verb.startsWith('delete') || !w.name) continue;
    const owner = await gitopsOwner(ctx, { kind: w.kind, name: w.name, namespace: w.namespace }, o.argoNamespace);
    if (!owner) continue;
    const known = lookupKind(w.kind);
    const changes = !w.subresource && known ? fieldChanges(comparable(w.before), comparable(w.after)) : undefined;
    const change: GitChange | undefined =
      changes?.length && known
        ? { owner: describeOwner(owner), tool: owner.tool, manager: owner.manager, source: owner.source ?? {}, object: { apiVersion: known.apiVersion, kind: known.kind, name: w.name, ...(w.namespace ? { namespace: w.namespace } : {}) }, changes }
        : undefined;
    return { owner: describeOwner(owner), manager: owner.manager, ...(change ? { change } : {}) };
  }
  return undefined;
}

/** Runs a built-in mutating tool in dry-run mode: the API server's answer, as the diff of what would change. */
export async function dryRunTool(def: ToolDef, rawArgs: Record<string, unknown>, ctx: ToolContext, gitops?: GitOpsOptions): Promise<DryRunVerdict> {
  const prepared = prepareArgs(def, rawArgs);
  if ('error' in prepared) return { kind: 'rejected', reason: prepared.error };
  const dry = dryRunContext(ctx);
  let text: string;
  try {
    text = (await def.run(prepared.args as never, dry.ctx)).text;
  } catch (err) {
    const message = describeApiError(err, { verb: 'patch', resource: 'resources' });
    if (transient(err)) throw new TransientError(`the dry run of ${def.name} could not reach the API server: ${message}`);
    return { kind: 'rejected', reason: `the API server refused it in a dry run: ${message}` };
  }
  const diff = redact(dry.capture.writes.length ? describeWrites(dry.capture.writes) : [`no change: ${text.split('\n', 1)[0]}`]) as string[];
  const managed = gitops && dry.capture.writes.length ? await gitopsManaged(def, dry.capture.writes, ctx, gitops) : undefined;
  if (managed && gitops?.managedWrites === 'suspend') return suspendVerdict(ctx, managed, dry.capture.writes);
  if (managed && gitops?.managedWrites === 'propose') {
    return { kind: 'rejected', reason: `${managed.owner}: make this change in Git instead (the operator proposes it there, it does not write it to the cluster)`, gitops: managed.owner, diff, ...(managed.change ? { gitChange: managed.change } : {}) };
  }
  const note = 'server-side dry run (dryRun=All): the API server validated and admitted the change and stored nothing';
  return { kind: 'accepted', diff, note: managed ? `${note}. Warning: ${managed.owner}` : note };
}

/** What the dry run writes as `alertagent.io/suspended-by` (the incident and step are not known before the step is). */
const DRY_RUN_BY = '(this incident) step (this step)';

/**
 * GITOPS_MANAGED_WRITES=suspend: the suspend patch of the manager is dry-run too, and shown first; accepted with
 * the change still proposed in Git. A manager that cannot be suspended (unreadable, forbidden, or paused by a
 * person): refused as under `propose`, with the reason.
 */
async function suspendVerdict(ctx: ToolContext, managed: NonNullable<Awaited<ReturnType<typeof gitopsManaged>>>, writes: readonly DryWrite[]): Promise<DryRunVerdict> {
  const git = { gitops: managed.owner, ...(managed.change ? { gitChange: managed.change } : {}) };
  const dry = dryRunContext(ctx);
  let suspension;
  try {
    suspension = (await suspendManager(dry.ctx, managed.manager, DRY_RUN_BY, new Date(ctx.now()).toISOString())).suspension;
  } catch (err) {
    if (transient(err)) throw new TransientError(`the dry run of the suspension of ${managerLabel(managed.manager)} could not reach the API server: ${(err as Error).message}`);
    const reason = (err as Error).message.replace(/^refused: /, '');
    return { kind: 'rejected', reason: `${managed.owner}; ${reason}: make this change in Git instead (the operator proposes it there, it does not write it to the cluster)`, diff: redact(describeWrites(writes)) as string[], ...git };
  }
  const diff = redact(describeWrites([...dry.capture.writes, ...writes])) as string[];
  const resumed = managed.change ? 'it is resumed when the change is in Git' : `resume it once the change is in Git: \`${resumeCommand(suspension)}\``;
  const note = `server-side dry run (dryRun=All) of both writes: ${managerLabel(managed.manager)} is suspended before the change so its next sync does not revert it; ${resumed}`;
  return { kind: 'accepted', diff, note, suspend: suspension, ...git };
}

/**
 * Before a built-in mutating tool writes for real under GITOPS_MANAGED_WRITES=suspend (server.ts runTool): the
 * same dry run finds the manager of what it would write, which is suspended first for `by` (`<ns>/<incident>
 * step <N>`). Throws ToolError when it cannot be (the write must not happen then). `resume`: undoes a suspension
 * made here, for a write that then failed; absent when nothing was suspended (or it already was, by us).
 */
export async function suspendBeforeWrite(def: ToolDef, args: Record<string, unknown>, ctx: ToolContext, by: string): Promise<{ notes: string[]; resume?: () => Promise<unknown> }> {
  if (ctx.gitopsWrites !== 'suspend' || def.class !== 'mutating') return { notes: [] };
  const dry = dryRunContext(ctx);
  try {
    await def.run(args as never, dry.ctx);
  } catch {
    return { notes: [] }; // the write itself fails the same way, and says why
  }
  const managed = ONE_SHOT.has(def.name) ? undefined : await gitopsManaged(def, dry.capture.writes, ctx, { argoNamespace: ctx.argoNamespace ?? 'argocd' });
  if (!managed) return { notes: [] };
  const { already } = await suspendManager(ctx, managed.manager, by, new Date(ctx.now()).toISOString());
  const label = managerLabel(managed.manager);
  if (already) return { notes: [`${label} was already suspended by the operator; left as it is`] };
  return {
    notes: [`${label} was suspended before the change (${SUSPENDED_BY}: ${by}) so its next sync does not revert it; it is resumed when the change is in Git`],
    resume: () => resumeManager(ctx, managed.manager, by),
  };
}

// ── names and objects ────────────────────────────────────────────────────────────────────────────

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kinds whose names are path segments rather than DNS names (system:… roles). */
const FREE_NAMES = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

const looksLikeTool = (s: string) => (s.includes('__') ? ' (it looks like the name of a tool, not of an object)' : '');

/** Why a name or namespace cannot be one Kubernetes holds, for each one the call names; empty when all can. */
export function invalidNames(objects: readonly ObjectRef[], namespaces: readonly string[]): string[] {
  const out: string[] = [];
  for (const ns of new Set(namespaces)) {
    if (ns.length > 63 || !LABEL.test(ns)) {
      out.push(`"${ns.slice(0, 100)}" is not a valid namespace name: a namespace is lower-case letters, digits and "-" (a DNS-1123 label, at most 63 characters)${looksLikeTool(ns)}`);
    }
  }
  for (const o of objects) {
    const known = o.kind ? lookupKind(o.kind) : undefined;
    if (!known || FREE_NAMES.has(known.kind)) continue;
    if (o.name.length > 253 || !SUBDOMAIN.test(o.name)) {
      out.push(`"${o.name.slice(0, 100)}" is not a valid ${known.kind} name: a name is lower-case letters, digits, "-" and "." (a DNS-1123 subdomain, at most 253 characters)${looksLikeTool(o.name)}`);
    }
  }
  return out;
}

/** Tools of other servers that make new objects: their targets need not exist yet. */
const CREATES = /create|apply|install|generate|(^|[_.-])(new|run)([_.-]|$)/i;

export interface DryRunnerOptions {
  /** The built-in tool server's name (`kubernetes`), when it runs: its tools get a server-side dry run. */
  builtinServer?: string;
  /** The built-in tools (TOOL_DEFS). */
  defs: readonly ToolDef[];
  /** Changes to objects Flux or Argo CD manage (absent: not looked for). */
  gitops?: GitOpsOptions;
}

/** The operator's dry runner (wired in src/operator.ts): see the top of this file. */
export function createDryRunner(ctx: ToolContext, o: DryRunnerOptions): DryRunner {
  return async (call, { timeoutMs }) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransientError(`the dry run of ${call.tool} did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([judge(ctx, o, call), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

async function judge(ctx: ToolContext, o: DryRunnerOptions, call: ProposedChange): Promise<DryRunVerdict> {
  const builtin = o.builtinServer !== undefined && call.server === o.builtinServer;
  const intents = callIntents(call.tool, call.arguments);
  const targets = callTargets(call.arguments);
  const bad = invalidNames(intents.objects, targets.namespaces);
  if (bad.length) return { kind: 'rejected', reason: bad.join('; ') };

  const creates = !builtin && (CREATES.test(call.tool) || targets.manifests.length > 0);
  if (!creates) {
    for (const ns of targets.namespaces.slice(0, MAX_READS)) {
      const missing = await absent(() => ctx.core.readNamespace({ name: ns }));
      if (missing) return { kind: 'rejected', reason: `namespace "${ns}" does not exist` };
    }
  }
  if (builtin) {
    const def = o.defs.find((d) => d.name === call.tool);
    if (!def || def.class !== 'mutating') return { kind: 'unchecked', note: `${call.tool} is not a mutating built-in tool` };
    return dryRunTool(def, call.arguments, ctx, o.gitops);
  }
  if (creates) return { kind: 'unchecked', note: `server "${call.server}" does no server-side dry run, and ${call.tool} may make new objects: nothing was checked but the names` };
  const read: string[] = [];
  for (const obj of intents.objects.slice(0, MAX_READS)) {
    const known = obj.kind ? lookupKind(obj.kind) : undefined;
    if (!known || (known.namespaced && !obj.namespace)) continue;
    const label = `${known.kind} ${known.namespaced ? `${obj.namespace}/` : ''}${obj.name}`;
    const spec: KubernetesObject = { apiVersion: known.apiVersion, kind: known.kind, metadata: { name: obj.name, ...(known.namespaced ? { namespace: obj.namespace } : {}) } };
    const missing = await absent(() => ctx.objects.read(spec as KubernetesObject & { metadata: { name: string } }));
    if (missing === undefined) continue; // not readable (RBAC): cannot be told
    if (missing) return { kind: 'rejected', reason: `${label} does not exist` };
    read.push(label);
  }
  if (!read.length) return { kind: 'unchecked', note: `server "${call.server}" does no server-side dry run, and the object ${call.tool} acts on cannot be told from its arguments: nothing was checked but the names` };
  return { kind: 'accepted', diff: [], note: `server "${call.server}" does no server-side dry run: its target was read and exists (${read.join(', ')}); what the call would change is not known` };
}

/** true: the API server says it does not exist; false: it exists; undefined: not readable (forbidden). Throws TransientError. */
async function absent(read: () => Promise<unknown>): Promise<boolean | undefined> {
  try {
    await read();
    return false;
  } catch (err) {
    const code = httpCode(err);
    if (code === 404) return true;
    if (code === 403) return undefined;
    if (transient(err) || code === undefined) throw new TransientError(`a dry-run read could not reach the API server: ${describeApiError(err, { verb: 'get', resource: 'resources' })}`);
    return undefined;
  }
}

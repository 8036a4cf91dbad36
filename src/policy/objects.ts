// What a call acts on, as far as its arguments tell, and the two uses `auto` treats apart from the rest:
// setting replicas (a scale-down when lower than now) and deleting pods. Read from the arguments alone,
// like the namespaces (targets.ts): the call's own name and kind keys, a kubectl command line's objects
// (`delete pod web-1`, `scale deployment/web --replicas=0`), manifests, and `replicas` anywhere.
import { splitToolName } from '../contracts/steps.js';
import { readArgv, shellWords } from './argv.js';
import { callTargets, isObject, keyOf, topLevelNamespace } from './targets.js';
import type { ObjectRef } from './policy.js';

export interface CallIntents {
  /** Objects the call acts on. */
  objects: ObjectRef[];
  /** Why (part of) what the call acts on cannot be told. */
  unknownObject?: string;
  /** Replica counts the call sets; `object` undefined when it cannot be told which; NaN when unreadable. */
  scales: Array<{ object?: ObjectRef; replicas: number }>;
  /** Pods (or objects that may be pods) the call deletes. */
  podDeletes: ObjectRef[];
  /** It deletes pods it does not name (a selector, --all). */
  unknownPods: boolean;
}

/** Name keys at the top of a call's arguments, with the kind the key itself implies. */
const NAME_KEYS: Record<string, string | undefined> = {
  name: undefined,
  resourcename: undefined,
  objectname: undefined,
  podname: 'Pod',
  pod: 'Pod',
  deployment: 'Deployment',
  deploymentname: 'Deployment',
  statefulset: 'StatefulSet',
  workload: undefined,
  node: 'Node',
  nodename: 'Node',
};
const KIND_KEYS = new Set(['kind', 'resource', 'resourcetype', 'resourcekind']);
const COMMAND_KEYS = new Set(['command', 'cmd', 'args', 'argv', 'arguments', 'flags', 'kubectl']);
/** kubectl verbs followed by a sub-verb before the objects (`rollout restart deployment/web`). */
const SUB_VERBS = new Set(['rollout', 'set', 'create', 'auth', 'config', 'certificate', 'top', 'kubectl']);
const DELETE_TOOL = /delete|evict|remove|kill/i;
const REPLICAS_TEXT = /\breplicas\b["']?\s*[:=]\s*["']?(-?\d+)?/gi;

export const isPodKind = (k?: string) => k !== undefined && /^(pods?|po)$/i.test(k);

export function callIntents(tool: string, args: Record<string, unknown>): CallIntents {
  const toolName = splitToolName(tool).tool;
  const ns = topLevelNamespace(args);
  const out: CallIntents = { objects: [], scales: [], podDeletes: [], unknownPods: false };
  const unknown = (why: string) => (out.unknownObject ??= why);

  const own = ownObject(toolName, args, ns);
  if (own) out.objects.push(own);
  const cmd = commandObjects(args, ns);
  out.objects.push(...cmd.objects);
  if (cmd.unknown) unknown(cmd.unknown);
  for (const m of callTargets(args).manifests) {
    if (!m.name) unknown(`a ${m.kind} in the arguments has no name`);
    const object = m.name ? { kind: m.kind, namespace: m.namespace ?? ns, name: m.name } : undefined;
    if (object) out.objects.push(object);
    if (m.replicas !== undefined) out.scales.push({ object, replicas: Number(m.replicas) });
  }
  if (!out.objects.length) unknown('the arguments name no object');

  // Replicas set anywhere else (a scale tool's argument, a patch body, --replicas) act on the call's objects.
  const single = out.objects.length === 1 ? out.objects[0] : undefined;
  for (const r of [...replicasOf(args, toolName), ...cmd.replicas]) out.scales.push({ object: own ?? single ?? cmd.objects[0], replicas: r });

  const deletes = DELETE_TOOL.test(toolName) || cmd.verb === 'delete';
  if (deletes) {
    for (const o of out.objects) if (isPodKind(o.kind) || o.kind === undefined) out.podDeletes.push(o);
    if (cmd.selects || !out.objects.length) out.unknownPods = true;
  }
  return out;
}

function ownObject(toolName: string, args: Record<string, unknown>, ns?: string): ObjectRef | undefined {
  let kind: string | undefined;
  for (const [k, v] of Object.entries(args)) if (KIND_KEYS.has(keyOf(k)) && typeof v === 'string' && /^[A-Za-z.]+$/.test(v)) kind = v;
  for (const [k, v] of Object.entries(args)) {
    const key = keyOf(k);
    if (key in NAME_KEYS && typeof v === 'string' && v) return { kind: boundKindOfTool(toolName) ?? kind ?? NAME_KEYS[key] ?? kindOfTool(toolName), namespace: ns, name: v };
  }
  return undefined;
}

/**
 * The kind of the tools that raise a bound (set_quota_hard, set_hpa_max_replicas): their name says what
 * they act on, and set_quota_hard's `resource` is a quota's resource name (pods, requests.cpu), not a kind.
 */
function boundKindOfTool(toolName: string): string | undefined {
  if (/quota/i.test(toolName)) return 'ResourceQuota';
  if (/(^|[_.-])hpa([_.-]|$)|horizontalpodautoscaler/i.test(toolName)) return 'HorizontalPodAutoscaler';
  return undefined;
}

/** The kind a tool's own name implies (`delete_pod`, `pods_delete`, `cordon_node`). */
function kindOfTool(toolName: string): string | undefined {
  if (/pod/i.test(toolName)) return 'Pod';
  if (/node/i.test(toolName)) return 'Node';
  if (/statefulset/i.test(toolName)) return 'StatefulSet';
  if (/deploy/i.test(toolName)) return 'Deployment';
  return undefined;
}

/** The objects of a kubectl command line given in the command-like arguments (`command`, `args`, ...). */
function commandObjects(args: Record<string, unknown>, ns?: string) {
  const words: string[] = [];
  for (const [k, v] of Object.entries(args)) {
    if (!COMMAND_KEYS.has(keyOf(k))) continue;
    if (typeof v === 'string') words.push(...(shellWords(v) ?? v.split(/\s+/)));
    else if (Array.isArray(v)) words.push(...v.filter((w): w is string => typeof w === 'string'));
  }
  const r = readArgv(words);
  const where = r.namespaces.find((n): n is string => !!n) ?? ns;
  let pos = r.positionals;
  if (pos[0] === 'kubectl') pos = pos.slice(1);
  const verb = pos[0];
  const rest = SUB_VERBS.has(verb ?? '') ? pos.slice(2) : pos.slice(1);
  const objects: ObjectRef[] = [];
  let kind: string | undefined;
  for (const w of rest) {
    const slash = w.indexOf('/');
    if (slash > 0) objects.push({ kind: w.slice(0, slash), namespace: where, name: w.slice(slash + 1) });
    else if (kind === undefined) kind = w;
    else objects.push({ kind: kind.includes(',') ? undefined : kind, namespace: where, name: w });
  }
  const replicas = r.replicas.map((v) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN));
  const unknown = words.length && (r.selects || !objects.length) ? 'the command acts on objects it does not name' : undefined;
  return { objects, verb, replicas, selects: words.length > 0 && (r.selects || !objects.length) && isPodKind(kind), unknown };
}

/** Replica counts set outside manifests and command lines: `replicas` keys at any depth, and in text. */
function replicasOf(args: Record<string, unknown>, toolName: string): number[] {
  const found: number[] = [];
  const scaleTool = /scale/i.test(toolName);
  const walk = (v: unknown, depth: number, key?: string) => {
    if (depth > 10) return;
    if (key !== undefined && (key === 'replicas' || key === 'replicacount' || (scaleTool && depth === 1 && (key === 'count' || key === 'to')))) {
      found.push(typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN);
      return;
    }
    if (typeof v === 'string') {
      // Text: a patch body, or a command line (its --replicas are read again: a count read twice is harmless).
      if (/\bkind\b["']?\s*:/i.test(v)) return; // a manifest: its replicas come with its object
      for (const m of v.matchAll(REPLICAS_TEXT)) found.push(m[1] !== undefined ? Number(m[1]) : NaN);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (isObject(v) && !(depth > 0 && typeof v.kind === 'string')) {
      for (const [k, x] of Object.entries(v)) walk(x, depth + 1, keyOf(k));
    }
  };
  walk(args, 0);
  return found;
}

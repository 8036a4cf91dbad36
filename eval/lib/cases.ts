// The eval's cases: one folder per case under eval/cases/<name>/ with
//   case.yaml     what the case is, the alert as AlertManager sends it, and what is expected
//   cluster.yaml  the cluster state: plain manifests, each with the `status` a kubelet or controller
//                 would have written (applied through the status subresource), and core/v1 Events
// Both files are templates: {{ns}} is the case's namespace for this run, {{ago:10m}} / {{in:6d}} a time
// relative to now (RFC 3339), so that ages and expiry dates read as they would in a live cluster.
// In cluster.yaml, {{uid:Kind/name}} is the uid of an object created before (e.g. a Job's, in its pods' labels).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';

const Field = z.enum(['conclusion', 'summary', 'rootCause', 'report', 'any']);
export type Field = z.infer<typeof Field>;

const Pattern = z.object({
  /** A regular expression (JavaScript syntax, case-insensitive). */
  pattern: z.string().min(1),
  /** Where to look: conclusion (summary + root cause, the default), summary, rootCause, report, any. */
  in: Field.default('conclusion'),
  /** What the pattern stands for, shown when it is missing. */
  why: z.string().optional(),
});
export type Pattern = z.infer<typeof Pattern>;

const ObjectRef = z.object({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  /** Defaults to the case's namespace for namespaced kinds. */
  namespace: z.string().optional(),
});
export type ObjectRef = z.infer<typeof ObjectRef>;

/**
 * A field of an object that must hold when the incident is done (e.g. the Flux Kustomization suspended with
 * our annotation): `path` is dot-separated from the object's root, `[...]` quoting a key with dots or slashes
 * (`metadata.annotations[alertagent.io/suspended-by]`); `equals` compares the value exactly (any YAML value),
 * `matches` a regular expression (case-insensitive) against it as a string. One of the two is required.
 */
const ObjectField = ObjectRef.extend({
  path: z.string().min(1),
  equals: z.unknown().optional(),
  matches: z.string().optional(),
  why: z.string().optional(),
}).refine((o) => o.equals !== undefined || o.matches !== undefined, { message: 'an expected object field needs equals or matches' });
export type ObjectField = z.infer<typeof ObjectField>;

/** An earlier incident of the same alert (lib/before.ts): investigated by the rule-based analyzer, then annotated by people. */
export const Before = z.object({
  /** When the earlier incident's alert started firing (before the case's own). */
  startsAgo: z.string().default('3h'),
  /** Reject the change it waits to have approved (policy approve), saying why. */
  reject: z.object({ reason: z.string().min(1), by: z.string().default('alice') }).optional(),
  /** Annotations people set once it is reported (alertagent.io/feedback, actual-cause, fixed-by, ...). */
  annotations: z.record(z.string()).default({}),
});
export type Before = z.infer<typeof Before>;

export const CaseFile = z.object({
  description: z.string(),
  category: z.string(),
  /** The namespace's name before the run's random suffix (a team's name, never a hint of the cause). */
  namespace: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/).default('apps'),
  alert: z.object({
    labels: z.record(z.string()),
    annotations: z.record(z.string()).default({}),
    status: z.enum(['firing', 'resolved']).default('firing'),
    /** How long ago the alert started firing (default 15m). */
    startsAgo: z.string().default('15m'),
  }),
  expect: z.object({
    /** The incident must end Reported with this outcome (any outcome when left out). */
    outcome: z.enum(['Resolved', 'NeedsManualIntervention']).optional(),
    findings: z.array(Pattern).min(1),
    /** Patterns that must not match (a misleading alert's false cause). */
    absent: z.array(Pattern).default([]),
    /** Objects that must still exist unchanged (same resourceVersion) when the incident is done; "*" = every object of cluster.yaml. */
    untouched: z.union([z.literal('*'), z.array(ObjectRef)]).default([]),
    /** Fields of objects that must hold when the incident is done (score.ts). */
    objects: z.array(ObjectField).default([]),
    /** Strings that must never appear in the incident, its Events, or what was sent to the model. */
    secrets: z.array(z.string().min(6)).default([]),
  }),
  /** Policy for this case (default: auto, every built-in action allowed in the case's namespace). */
  policy: z
    .object({
      mode: z.enum(['observe', 'approve', 'auto']).optional(),
      /** GITOPS_MANAGED_WRITES for this case (default propose): suspend writes after suspending the manager. */
      gitopsManagedWrites: z.enum(['propose', 'suspend', 'allow']).optional(),
    })
    .default({}),
  /** An earlier incident of the same alert that people gave feedback on, run first (learning from people). */
  before: Before.optional(),
  /**
   * A Git host for changes proposed in Git (lib/gitHost.ts): a stand-in of its REST API over a bare repository
   * holding `files`, whose repository URLs are on `host`. Each change the run proposes in Git must get exactly
   * one pull request, recorded Open in status.gitChanges.
   */
  git: z
    .object({
      provider: z.enum(['github', 'gitlab']),
      host: z.string(),
      repository: z.string(),
      files: z.record(z.string()),
    })
    .optional(),
});
export type CaseFile = z.infer<typeof CaseFile>;

export interface Case extends CaseFile {
  name: string;
  dir: string;
}

export interface Rendered {
  spec: Case;
  /** Manifests in document order, templated for one namespace. */
  objects: any[];
}

export const CASES_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'cases');

/** Duration like 90s, 15m, 2h, 6d → milliseconds. */
export function durationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim());
  if (!m) throw new Error(`"${s}" is not a duration like 30s, 15m, 2h or 6d`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 'ms'];
}

/** Fills {{ns}}, {{ago:D}} and {{in:D}}. */
export function template(text: string, vars: { ns: string; now: number }): string {
  return text.replace(/\{\{\s*(ns|ago|in)(?::\s*([^}\s]+))?\s*\}\}/g, (_m, key: string, arg?: string) => {
    if (key === 'ns') return vars.ns;
    if (!arg) throw new Error(`{{${key}}} needs a duration, e.g. {{${key}:5m}}`);
    const t = key === 'ago' ? vars.now - durationMs(arg) : vars.now + durationMs(arg);
    return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  });
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Case folders, optionally filtered by globs ("pod-*", "node-notready-kubelet"). */
export function listCases(globs: string[] = []): string[] {
  const all = fs
    .readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(CASES_DIR, d.name, 'case.yaml')))
    .map((d) => d.name)
    .sort();
  if (!globs.length) return all;
  const res = globs.flatMap((g) => g.split(',')).filter(Boolean).map(globToRegExp);
  return all.filter((n) => res.some((r) => r.test(n)));
}

/**
 * The alert as an investigator could echo it without reading anything: its labels and annotations,
 * rendered the ways a summary or report might repeat them (one line, `key: value` lines, JSON).
 */
export function alertEcho(alert: Pick<CaseFile['alert'], 'labels' | 'annotations'>): string[] {
  const entries = [...Object.entries(alert.labels), ...Object.entries(alert.annotations)];
  return [
    entries.map(([, v]) => v).join(' '),
    entries.map(([k, v]) => `${k}=${v}`).join(' '),
    entries.map(([k, v]) => `${k}: ${v}`).join('\n'),
    JSON.stringify({ labels: alert.labels, annotations: alert.annotations }),
  ];
}

/**
 * A case's defects: `findings` patterns that an echo of the alert's own labels and annotations already
 * satisfies (a report that only repeats the alert would pass them, so they measure nothing).
 */
export function caseDefects(spec: Pick<Case, 'name' | 'alert'> & { expect: Pick<Case['expect'], 'findings'> }): string[] {
  const echo = alertEcho(spec.alert);
  const out: string[] = [];
  for (const p of spec.expect.findings) {
    const re = new RegExp(p.pattern, 'i');
    const hit = echo.map((t) => re.exec(t)).find((m) => m);
    if (hit) out.push(`eval/cases/${spec.name}/case.yaml: finding /${p.pattern}/ matches the alert itself ("${hit[0].slice(0, 80)}"): make it name what only the evidence shows`);
  }
  return out;
}

/** Reads and checks one case for a namespace (templates filled). */
export function renderCase(name: string, vars: { ns: string; now: number }): Rendered {
  const dir = path.join(CASES_DIR, name);
  const caseText = template(fs.readFileSync(path.join(dir, 'case.yaml'), 'utf8'), vars);
  const parsed = CaseFile.safeParse(parseYaml(caseText));
  if (!parsed.success) {
    throw new Error(`eval/cases/${name}/case.yaml: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  for (const p of [...parsed.data.expect.findings, ...parsed.data.expect.absent, ...parsed.data.expect.objects.filter((o) => o.matches !== undefined).map((o) => ({ pattern: o.matches! }))]) {
    try {
      new RegExp(p.pattern, 'i');
    } catch (e) {
      throw new Error(`eval/cases/${name}/case.yaml: bad pattern ${p.pattern}: ${String(e)}`);
    }
  }
  const clusterFile = path.join(dir, 'cluster.yaml');
  const objects: any[] = [];
  if (fs.existsSync(clusterFile)) {
    const docs = parseAllDocuments(template(fs.readFileSync(clusterFile, 'utf8'), vars));
    for (const d of docs) {
      if (d.errors.length) throw new Error(`eval/cases/${name}/cluster.yaml: ${d.errors[0].message}`);
      const o = d.toJSON();
      if (!o) continue;
      if (!o.apiVersion || !o.kind || (!o.metadata?.name && o.kind !== 'Event')) throw new Error(`eval/cases/${name}/cluster.yaml: every object needs apiVersion, kind and metadata.name (Events may leave the name out) (got ${JSON.stringify(o).slice(0, 120)})`);
      objects.push(o);
    }
  }
  return { spec: { ...parsed.data, name, dir }, objects };
}

// set_probe_timing: give a container's liveness, readiness or startup probe more time (initialDelaySeconds,
// periodSeconds, timeoutSeconds, failureThreshold) in a workload's pod template. Only those fields are
// written, by a JSON patch guarded by tests of the container's name and of each value read, so a change
// made between the read and the write is refused rather than overwritten. The probe's handler (command,
// path, port) is never touched. It only relaxes a probe: a stricter one restarts or unreadies pods sooner,
// which is not a fix an investigation should make on its own.
import type { V1Probe } from '@kubernetes/client-node';
import { z } from 'zod';
import { SetProbeTimingOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { invalidArgument, ToolError } from '../errors.js';
import { namespaceArg, normalizeWorkloadKind, objectName, workloadKind, WORKLOAD_KINDS } from '../schemas.js';
import { patchWorkload, readWorkloadContainer } from './common.js';

export const PROBES = ['liveness', 'readiness', 'startup'] as const;
export type ProbeName = (typeof PROBES)[number];
type Field = 'initialDelaySeconds' | 'periodSeconds' | 'timeoutSeconds' | 'failureThreshold';

/** The fields, their bounds, and Kubernetes' value when the spec leaves them unset. */
export const PROBE_FIELDS: Record<Field, { min: number; max: number; unset: number; unit: string }> = {
  initialDelaySeconds: { min: 0, max: 600, unset: 0, unit: 's' },
  periodSeconds: { min: 1, max: 600, unset: 10, unit: 's' },
  timeoutSeconds: { min: 1, max: 600, unset: 1, unit: 's' },
  failureThreshold: { min: 1, max: 30, unset: 3, unit: '' },
};
const FIELDS = Object.keys(PROBE_FIELDS) as Field[];

type Data = OutputOf<'set_probe_timing'>;
type Change = Data['changes'][number];
type JsonPatchOp = { op: 'add' | 'test'; path: string; value: unknown };

const probeKey = (p: ProbeName) => `${p}Probe` as const;
const fmt = (f: Field, v: number) => `${v}${PROBE_FIELDS[f].unit}`;

export function setProbeTimingText(d: Data): string {
  const where = `the ${d.probe} probe of container ${d.container} in ${d.kind} ${d.namespace}/${d.name}`;
  if (!d.changed) return `no change: ${where} already has ${d.changes.map((c) => `${c.field} ${fmt(c.field as Field, c.before)}`).join(', ')}`;
  return [
    `set the timing of ${where}:`,
    ...d.changes.map((c) => `  ${c.field}: ${fmt(c.field as Field, c.before)}${c.wasSet ? '' : ' (unset: the default)'} → ${fmt(c.field as Field, c.after)}`),
    `The pod template changed (generation ${d.generation.before ?? '?'} → ${d.generation.after ?? '?'}), so the ${d.kind} rolls out new pods; check with rollout_status.`,
  ].join('\n');
}

/**
 * What to change and the JSON patch that does it (guarded by tests of the container's name and of every
 * value read); throws ToolError for a value that would tighten the probe or leave its bounds.
 */
export function probePatch(probe: V1Probe, base: string, wanted: Partial<Record<Field, number>>): { changes: Change[]; ops: JsonPatchOp[] } {
  const changes: Change[] = [];
  const problems: string[] = [];
  for (const f of FIELDS) {
    const after = wanted[f];
    if (after === undefined) continue;
    const written = probe[f];
    const before = written ?? PROBE_FIELDS[f].unset;
    const { min, max } = PROBE_FIELDS[f];
    if (after < min || after > max) problems.push(`${f} ${after} is outside ${min}..${max}`);
    else if (after < before) problems.push(`${f} ${fmt(f, after)} would lower it from ${fmt(f, before)}: this tool only gives a probe more time; tighten a probe by editing the workload`);
    changes.push({ field: f, before, after, wasSet: written !== undefined });
  }
  if (problems.length) throw invalidArgument(`refused: ${problems.join('; ')}`);
  if (!changes.length) throw invalidArgument(`give at least one of ${FIELDS.join(', ')}`);
  const ops: JsonPatchOp[] = [];
  for (const c of changes) {
    if (c.after === c.before) continue;
    const path = `${base}/${c.field}`;
    if (c.wasSet) ops.push({ op: 'test', path, value: c.before });
    ops.push({ op: 'add', path, value: c.after });
  }
  return { changes, ops };
}

export const setProbeTiming = defineTool({
  name: 'set_probe_timing',
  title: "Give a container's probe more time",
  description:
    "Raise the timing of one container's liveness, readiness or startup probe in a Deployment, StatefulSet or DaemonSet pod template: initialDelaySeconds, periodSeconds, timeoutSeconds, failureThreshold " +
    '(e.g. a liveness probe that times out on a slow but healthy app). Only the given fields change, only upwards; the probe\'s command, path and port never do. ' +
    'The workload then rolls out new pods. Reports each value before → after.',
  class: 'mutating',
  inputSchema: {
    kind: workloadKind,
    name: objectName('workload'),
    namespace: namespaceArg('workload'),
    container: z.string().min(1).max(253).describe('Name of the container in the pod template.'),
    probe: z.enum(PROBES).describe('Which probe: liveness, readiness or startup.'),
    initialDelaySeconds: z.number().int().min(0).max(600).optional().describe('Seconds after the container starts before the first probe (0-600).'),
    periodSeconds: z.number().int().min(1).max(600).optional().describe('Seconds between probes (1-600).'),
    timeoutSeconds: z.number().int().min(1).max(600).optional().describe('Seconds a probe may take before it counts as failed (1-600).'),
    failureThreshold: z.number().int().min(1).max(30).optional().describe('Failures in a row before the kubelet acts (1-30).'),
  },
  outputSchema: SetProbeTimingOutput,
  example: { kind: 'Deployment', name: 'api', namespace: 'shop', container: 'api', probe: 'liveness', timeoutSeconds: 5 },
  aliases: { timeout: 'timeoutSeconds', period: 'periodSeconds', delay: 'initialDelaySeconds', initialdelay: 'initialDelaySeconds', failures: 'failureThreshold', threshold: 'failureThreshold', probetype: 'probe' },
  normalize: (args, notes) => {
    if (typeof args.probe === 'string') {
      const p = args.probe.toLowerCase().replace(/probe$/, '');
      if (p !== args.probe) notes.push(`probe "${args.probe}" read as "${p}"`);
      args.probe = p;
    }
    return normalizeWorkloadKind(args, notes, WORKLOAD_KINDS);
  },
  destructive: true,
  idempotent: true,
  async run(a, ctx) {
    const { workload: w, container, index } = await readWorkloadContainer(ctx, a);
    const probe = container[probeKey(a.probe)];
    if (!probe) {
      const has = PROBES.filter((p) => container[probeKey(p)]);
      throw new ToolError(`refused: container ${a.container} of ${a.kind} ${a.namespace}/${a.name} has no ${a.probe} probe (it has ${has.length ? has.join(', ') : 'no probes'}); this tool changes the timing of an existing probe, it does not add one`);
    }
    const base = `/spec/template/spec/containers/${index}`;
    const { changes, ops } = probePatch(probe, `${base}/${probeKey(a.probe)}`, a);
    const head = { kind: a.kind, name: a.name, namespace: a.namespace, container: a.container, probe: a.probe };
    const genBefore = w.metadata?.generation !== undefined ? { before: w.metadata.generation } : {};
    if (!ops.length) {
      const data: Data = { ...head, changed: false, changes, generation: { ...genBefore, ...(w.metadata?.generation !== undefined ? { after: w.metadata.generation } : {}) } };
      return { text: setProbeTimingText(data), data };
    }
    const after = await patchWorkload(ctx, a.kind, a.name, a.namespace, [{ op: 'test', path: `${base}/name`, value: a.container }, ...ops]);
    const now = after.spec?.template?.spec?.containers?.find((c) => c.name === a.container)?.[probeKey(a.probe)];
    const data: Data = {
      ...head,
      changed: true,
      changes: changes.map((c) => ({ ...c, after: now?.[c.field as Field] ?? c.after })),
      generation: { ...genBefore, ...(after.metadata?.generation !== undefined ? { after: after.metadata.generation } : {}) },
    };
    return { text: setProbeTimingText(data), data };
  },
});

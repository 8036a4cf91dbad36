// set_resources: change one container's CPU/memory requests and limits in a workload's pod template.
import type { V1Container } from '@kubernetes/client-node';
import { z } from 'zod';
import { SetResourcesOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { invalidArgument } from '../errors.js';
import { formatCpu, formatMemory, parseQuantity, validateCpu, validateMemory } from '../quantity.js';
import { namespaceArg, normalizeWorkloadKind, objectName, workloadKind, WORKLOAD_KINDS } from '../schemas.js';
import { patchWorkload, readWorkloadContainer } from './common.js';

const amounts = (what: string) =>
  z
    .object({
      cpu: z.string().max(32).optional().describe(`CPU ${what}: cores ("0.5", "2") or millicores ("250m").`),
      memory: z.string().max(32).optional().describe(`Memory ${what}: e.g. "256Mi", "1Gi" (binary) or "500M" (decimal).`),
    })
    .strict();

type Amounts = { cpu?: string; memory?: string };
type JsonPatchOp = { op: 'add' | 'replace' | 'test'; path: string; value: unknown };

export interface ResourceChange {
  ops: JsonPatchOp[];
  /** "limits.memory: 128Mi → 256Mi" */
  changes: string[];
  /** The same as data. */
  fields: Array<{ field: string; before?: string; after: string }>;
}

type Data = OutputOf<'set_resources'>;
type Field = ResourceChange['fields'][number];

/** "limits.memory: 128Mi → 256Mi" */
const changeLine = (f: Field) => `${f.field}: ${f.before ?? '<unset>'} → ${f.after}`;

const quantities = (m: Record<string, string>) => (Object.keys(m).length ? Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ') : 'none');

export function setResourcesText(d: Data): string {
  return [
    `set resources of container ${d.container} in ${d.kind} ${d.namespace}/${d.name}:`,
    ...d.changes.map((c) => `  ${changeLine(c)}`),
    `Now: requests ${quantities(d.requests)}; limits ${quantities(d.limits)}.`,
    `The pod template changed (generation ${d.generation.before ?? '?'} → ${d.generation.after ?? '?'}), so the ${d.kind} rolls out new pods; check with rollout_status.`,
  ].join('\n');
}

/**
 * The JSON patch that sets the given requests/limits on containers[index], guarded by a test of the
 * container's name; validates quantities and request <= limit. Throws ToolError on bad input.
 */
export function resourcePatch(container: V1Container, index: number, requests: Amounts | undefined, limits: Amounts | undefined): ResourceChange {
  const problems: string[] = [];
  for (const [section, vals] of [
    ['requests', requests],
    ['limits', limits],
  ] as const) {
    if (vals?.cpu !== undefined) {
      const p = validateCpu(vals.cpu, `${section}.cpu`);
      if (p) problems.push(p);
    }
    if (vals?.memory !== undefined) {
      const p = validateMemory(vals.memory, `${section}.memory`);
      if (p) problems.push(p);
    }
  }
  if (problems.length) throw invalidArgument(problems.join('; '));
  const wanted = [requests?.cpu, requests?.memory, limits?.cpu, limits?.memory].filter((v) => v !== undefined);
  if (!wanted.length) throw invalidArgument('give at least one of requests.cpu, requests.memory, limits.cpu, limits.memory');

  const cur = container.resources ?? {};
  const next = {
    requests: { ...(cur.requests ?? {}), ...stripUndefined(requests) } as Record<string, string>,
    limits: { ...(cur.limits ?? {}), ...stripUndefined(limits) } as Record<string, string>,
  };
  for (const res of ['cpu', 'memory'] as const) {
    const req = parseQuantity(next.requests[res]);
    const lim = parseQuantity(next.limits[res]);
    if (req !== undefined && lim !== undefined && req > lim) {
      const fmt = res === 'cpu' ? formatCpu : formatMemory;
      throw invalidArgument(`${res} request ${next.requests[res]} (${fmt(req)}) would exceed its limit ${next.limits[res]} (${fmt(lim)}); raise the limit too or lower the request`);
    }
  }

  const base = `/spec/template/spec/containers/${index}`;
  const ops: JsonPatchOp[] = [{ op: 'test', path: `${base}/name`, value: container.name }];
  const fields: ResourceChange['fields'] = [];
  if (!container.resources) ops.push({ op: 'add', path: `${base}/resources`, value: {} });
  for (const [section, vals] of [
    ['requests', requests],
    ['limits', limits],
  ] as const) {
    const set = stripUndefined(vals);
    if (!Object.keys(set).length) continue;
    const existing = (cur[section] ?? undefined) as Record<string, string> | undefined;
    if (!existing) ops.push({ op: 'add', path: `${base}/resources/${section}`, value: {} });
    for (const [res, value] of Object.entries(set)) {
      ops.push({ op: 'add', path: `${base}/resources/${section}/${res}`, value });
      fields.push({ field: `${section}.${res}`, ...(existing?.[res] !== undefined ? { before: existing[res] } : {}), after: value });
    }
  }
  return { ops, changes: fields.map(changeLine), fields };
}

function stripUndefined(a: Amounts | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (a?.cpu !== undefined) out.cpu = a.cpu;
  if (a?.memory !== undefined) out.memory = a.memory;
  return out;
}

export const setResources = defineTool({
  name: 'set_resources',
  title: 'Set container resources',
  description:
    "Change one container's CPU/memory requests and/or limits in a Deployment, StatefulSet or DaemonSet pod template (e.g. raise a memory limit after OOMKilled). " +
    'Only the given values change; the workload then rolls out new pods. Reports each value before → after.',
  class: 'mutating',
  inputSchema: {
    kind: workloadKind,
    name: objectName('workload'),
    namespace: namespaceArg('workload'),
    container: z.string().min(1).max(253).describe('Name of the container in the pod template.'),
    requests: amounts('request').optional().describe('New requests (only the given resources change).'),
    limits: amounts('limit').optional().describe('New limits (only the given resources change).'),
  },
  outputSchema: SetResourcesOutput,
  example: { kind: 'Deployment', name: 'api', namespace: 'shop', container: 'api', limits: { memory: '256Mi' } },
  normalize: (args, notes) => normalizeWorkloadKind(args, notes, WORKLOAD_KINDS),
  destructive: true,
  idempotent: true,
  async run(a, ctx) {
    const { workload: w, container, index } = await readWorkloadContainer(ctx, a);
    const { ops, fields } = resourcePatch(container, index, a.requests, a.limits);
    const after = await patchWorkload(ctx, a.kind, a.name, a.namespace, ops);
    const res = after.spec?.template?.spec?.containers?.find((c) => c.name === a.container)?.resources;
    const data: Data = {
      kind: a.kind,
      name: a.name,
      namespace: a.namespace,
      container: a.container,
      changes: fields,
      requests: { ...((res?.requests as Record<string, string> | undefined) ?? {}) },
      limits: { ...((res?.limits as Record<string, string> | undefined) ?? {}) },
      generation: { ...(w.metadata?.generation !== undefined ? { before: w.metadata.generation } : {}), ...(after.metadata?.generation !== undefined ? { after: after.metadata.generation } : {}) },
    };
    return { text: setResourcesText(data), data };
  },
});

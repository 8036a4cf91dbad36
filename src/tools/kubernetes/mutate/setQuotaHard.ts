// set_quota_hard: raise one hard limit of a ResourceQuota (pods, requests.cpu, limits.memory, ...), within
// FIX_QUOTA_MAX_FACTOR times the current one. Only raises: a lower limit refuses the namespace's next
// pods, which is not a fix. The patch carries the resourceVersion read, so the bound is judged against the
// value that is replaced (a concurrent change makes the API server refuse it with a conflict).
import type { V1ResourceQuota } from '@kubernetes/client-node';
import { z } from 'zod';
import { SetQuotaHardOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, DEFAULT_RAISE_BOUNDS, type ToolContext } from '../context.js';
import { invalidArgument, k8s, ToolError } from '../errors.js';
import { ANY_QUANTITY, parseQuantity } from '../quantity.js';
import { namespaceArg, objectName } from '../schemas.js';
import { retryOnConflict } from '../../../util/retry.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

type Data = OutputOf<'set_quota_hard'>;

const target = (verb: string, name: string, namespace: string) => ({ verb, resource: 'resourcequotas', kind: 'resourcequota', name, namespace });

/** "4" × 2 → "8", "2Gi" × 1.5 → "3Gi", "500m" × 2 → "1000m": the quantity scaled, in its own unit. */
export function scaleQuantity(q: string, factor: number): string {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(.*)$/.exec(q.trim());
  if (!m) return q;
  const scaled = Math.floor(Number(m[1]) * factor * 1000) / 1000;
  return `${scaled}${m[2]}`;
}

export function setQuotaHardText(d: Data): string {
  const q = `ResourceQuota ${d.namespace}/${d.name}`;
  if (!d.changed) return `no change: ${q} already has hard ${d.resource} ${d.hard.before}`;
  return [
    `raised the hard limit of ${q}: ${d.resource} ${d.hard.before} → ${d.hard.after}${d.used !== undefined ? ` (used: ${d.used})` : ''}`,
    'The quota controller updates status.hard; objects the quota refused are admitted again once their controller retries.',
  ].join('\n');
}

async function readQuota(ctx: ToolContext, name: string, namespace: string): Promise<V1ResourceQuota> {
  return k8s(target('get', name, namespace), () => ctx.core.readNamespacedResourceQuota({ name, namespace }));
}

export const setQuotaHard = defineTool({
  name: 'set_quota_hard',
  title: "Raise a ResourceQuota's hard limit",
  description:
    "Raise one hard limit of a ResourceQuota (e.g. pods, requests.cpu, limits.memory) when the quota refuses a workload's pods, within the operator's bound: at most FIX_QUOTA_MAX_FACTOR times the current limit. " +
    'Never lowers it, and only changes a limit the quota already has. Reports the limit before and after, and what is used.',
  class: 'mutating',
  inputSchema: {
    name: objectName('ResourceQuota'),
    namespace: namespaceArg('ResourceQuota'),
    resource: z.string().min(1).max(253).regex(/^[a-z0-9A-Z][-a-zA-Z0-9_./]*$/, 'must be a resource name such as pods, requests.cpu or limits.memory').describe('The hard limit to raise, as spec.hard names it: pods, requests.cpu, limits.memory, count/services, ...'),
    value: z.string().min(1).max(32).regex(ANY_QUANTITY, 'must be a quantity such as 10, 4, 8Gi or 2500m').describe('The new limit, a quantity: "10", "4", "8Gi", "2500m".'),
  },
  outputSchema: SetQuotaHardOutput,
  example: { name: 'compute-quota', namespace: 'shop', resource: 'pods', value: '10' },
  aliases: { quota: 'name', resourcequota: 'name', hard: 'value', limit: 'value', quantity: 'value' },
  destructive: false,
  idempotent: true,
  // The quota controller writes status.used as objects come and go: a conflict is read again and judged again.
  run: (a, ctx) => retryOnConflict(() => raise(a, ctx), { attempts: 4 }),
});

async function raise(a: { name: string; namespace: string; resource: string; value: string }, ctx: ToolContext): Promise<{ text: string; data: Data }> {
  const factor = (ctx.raiseBounds ?? DEFAULT_RAISE_BOUNDS).quotaMaxFactor;
  const quota = await readQuota(ctx, a.name, a.namespace);
  const hard = quota.spec?.hard ?? {};
  const what = `ResourceQuota ${a.namespace}/${a.name}`;
  const before = hard[a.resource];
  if (before === undefined) {
    throw new ToolError(`refused: ${what} has no hard limit for ${a.resource} (its limits: ${Object.keys(hard).join(', ') || '<none>'}); this tool raises an existing limit, it does not add one`);
  }
  const was = parseQuantity(before);
  const wanted = parseQuantity(a.value);
  if (was === undefined || wanted === undefined) throw invalidArgument(`cannot compare ${a.value} with the current ${a.resource} limit ${before}`);
  const ceiling = scaleQuantity(before, factor);
  if (wanted < was) throw invalidArgument(`refused: ${a.resource} ${a.value} would lower the limit of ${what} from ${before}; this tool only raises it`);
  if (wanted > was * factor) throw invalidArgument(`refused: ${a.resource} ${a.value} is above the bound of one change for ${what}: at most ${ceiling} (FIX_QUOTA_MAX_FACTOR=${factor} × the current ${before})`);
  const used = quota.status?.used?.[a.resource];
  const base = { name: a.name, namespace: a.namespace, resource: a.resource, ceiling, ...(used !== undefined ? { used } : {}) };
  if (wanted === was) {
    const data: Data = { ...base, changed: false, hard: { before, after: before } };
    return { text: setQuotaHardText(data), data };
  }
  const body = { metadata: { resourceVersion: quota.metadata?.resourceVersion }, spec: { hard: { [a.resource]: a.value } } };
  const after = await k8s(target('patch', a.name, a.namespace), () =>
    ctx.core.patchNamespacedResourceQuota({ name: a.name, namespace: a.namespace, body, fieldManager: FIELD_MANAGER }, mergePatch()),
  );
  const data: Data = { ...base, changed: true, hard: { before, after: after.spec?.hard?.[a.resource] ?? a.value } };
  return { text: setQuotaHardText(data), data };
}

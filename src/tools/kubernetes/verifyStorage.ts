// Verification of the fixes for what a workload stores: expand_pvc and renew_certificate (verify.ts runs them).
//   expand_pvc: the claim still asks for the new size, and status.capacity has reached it. A resize the
//     kubelet has still to finish (FileSystemResizePending) or one that failed (ControllerResizeError,
//     NodeResizeError, a VolumeResizeFailed event) is reported, and is not a pass: the space is not there yet.
//   renew_certificate: passes only when the Certificate is Ready=True with a notAfter later than before the
//     renewal (a new certificate was issued); until then the lines say how far it got (Issuing=True: the
//     request was accepted, issuance pending; a new CertificateRequest and its state; the revision).
//     Without cert-manager running, nothing issues it, and the verification says so rather than pass.
import type { VerificationCheck } from '../../contracts/investigation.js';
import type { ToolContext } from './context.js';
import { describeApiError, httpCode } from './errors.js';
import { CERT_GROUP, newestRequest, REVISION_ANNOTATION } from './mutate/renewCertificate.js';
import { parseQuantity } from './quantity.js';

export type StorageTarget =
  | { check: 'pvcSize'; name: string; namespace: string; size: string; before?: string }
  | { check: 'certificate'; name: string; namespace: string; notAfter?: string; revision?: number; previousRequest?: string };

const STORAGE_CHECKS = new Set(['pvcSize', 'certificate']);
export const isStorageTarget = (t: { check?: unknown }): t is StorageTarget => typeof t.check === 'string' && STORAGE_CHECKS.has(t.check);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const RESIZE_FAILED = new Set(['ControllerResizeError', 'NodeResizeError']);

/** The plan of expand_pvc and renew_certificate, or undefined for any other tool. */
export function planStorageVerification(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined): { what: string; target: StorageTarget } | undefined {
  const name = str(data?.name) ?? str(args.name);
  const namespace = str(data?.namespace) ?? str(args.namespace);
  if (!name || !namespace) return undefined;
  if (tool === 'expand_pvc') {
    const size = data?.size as { before?: unknown; after?: unknown } | undefined;
    const after = str(size?.after) ?? str(args.size);
    if (!after) return undefined;
    const target: StorageTarget = { check: 'pvcSize', name, namespace, size: after, ...(str(size?.before) ? { before: str(size?.before) } : {}) };
    return { what: `PersistentVolumeClaim ${namespace}/${name} has grown: status.capacity reaches ${after}`, target };
  }
  if (tool === 'renew_certificate') {
    const notAfter = str(data?.notAfter);
    const revision = num(data?.revision);
    const previousRequest = str((data?.previousRequest as { uid?: unknown } | undefined)?.uid);
    const target: StorageTarget = { check: 'certificate', name, namespace, ...(notAfter ? { notAfter } : {}), ...(revision !== undefined ? { revision } : {}), ...(previousRequest ? { previousRequest } : {}) };
    return { what: `Certificate ${namespace}/${name} is re-issued: Ready=True with a notAfter later than ${notAfter ?? 'none (never issued)'}`, target };
  }
  return undefined;
}

export async function checkStorageTarget(ctx: Pick<ToolContext, 'core' | 'custom'>, t: StorageTarget): Promise<VerificationCheck> {
  try {
    return t.check === 'pvcSize' ? await pvcCheck(ctx, t) : await certificateCheck(ctx, t);
  } catch (err) {
    const kind = t.check === 'pvcSize' ? 'persistentvolumeclaims' : 'certificates';
    const gone = httpCode(err) === 404;
    return { ok: false, lines: [gone ? `${t.check === 'pvcSize' ? 'PersistentVolumeClaim' : 'Certificate'} ${t.namespace}/${t.name}: not found` : `could not read it: ${describeApiError(err, { verb: 'get', resource: kind, name: t.name, namespace: t.namespace })}`] };
  }
}

async function pvcCheck(ctx: Pick<ToolContext, 'core'>, t: Extract<StorageTarget, { check: 'pvcSize' }>): Promise<VerificationCheck> {
  const pvc = await ctx.core.readNamespacedPersistentVolumeClaim({ name: t.name, namespace: t.namespace });
  const want = parseQuantity(t.size) ?? Infinity;
  const requested = pvc.spec?.resources?.requests?.storage;
  const capacity = pvc.status?.capacity?.storage;
  const label = `PersistentVolumeClaim ${t.namespace}/${t.name}`;
  const lines: string[] = [];
  const asked = (parseQuantity(requested) ?? 0) >= want;
  const grown = (parseQuantity(capacity) ?? 0) >= want;
  lines.push(`${label}: requests ${requested ?? '<unset>'}${asked ? '' : ` (not the ${t.size} set: another writer changed it)`}, capacity ${capacity ?? '<unset>'}${t.before ? ` (was ${t.before})` : ''}: ${grown ? 'expanded' : 'not expanded yet'}`);
  const conditions = pvc.status?.conditions ?? [];
  for (const c of conditions.filter((x) => x.status === 'True')) {
    const what = c.type === 'FileSystemResizePending' ? 'the volume grew; its file system grows when a pod next mounts it' : RESIZE_FAILED.has(c.type) ? 'the resize failed' : 'resize in progress';
    lines.push(`condition ${c.type}${c.reason ? ` (${c.reason})` : ''}: ${what}${c.message ? `: ${c.message.slice(0, 300)}` : ''}`);
  }
  const failedEvent = await latestWarning(ctx, t.namespace, t.name);
  if (failedEvent) lines.push(failedEvent);
  if (!grown && !conditions.length && !failedEvent) lines.push('no resize condition yet: the volume\'s CSI driver (external-resizer) has not acted on the request');
  return { ok: asked && grown, lines };
}

/** The newest Warning event of the claim (VolumeResizeFailed, ...), as one line; bounded and best effort. */
async function latestWarning(ctx: Pick<ToolContext, 'core'>, namespace: string, name: string): Promise<string | undefined> {
  try {
    const list = await ctx.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},involvedObject.kind=PersistentVolumeClaim,type=Warning`, limit: 20 });
    const at = (e: (typeof list.items)[number]) => Date.parse(String(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '')) || 0;
    const e = [...list.items].sort((a, b) => at(b) - at(a))[0];
    return e ? `event ${e.reason}: ${String(e.message ?? '').slice(0, 300)}` : undefined;
  } catch {
    return undefined;
  }
}

type Cond = { type?: string; status?: string; reason?: string; message?: string };
const condLine = (c: Cond) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message.slice(0, 300)}` : ''}`;

async function certificateCheck(ctx: Pick<ToolContext, 'custom'>, t: Extract<StorageTarget, { check: 'certificate' }>): Promise<VerificationCheck> {
  const cert = (await ctx.custom.getNamespacedCustomObject({ group: CERT_GROUP, version: 'v1', namespace: t.namespace, plural: 'certificates', name: t.name })) as { metadata?: { uid?: string }; status?: { conditions?: Cond[]; notAfter?: string; revision?: number } };
  const label = `Certificate ${t.namespace}/${t.name}`;
  const conditions = cert.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const issuing = conditions.find((c) => c.type === 'Issuing');
  const notAfter = cert.status?.notAfter;
  const later = !!notAfter && (!t.notAfter || Date.parse(notAfter) > Date.parse(t.notAfter));
  const renewed = ready?.status === 'True' && later;
  const revision = cert.status?.revision;
  const lines = [
    `${label}: ${ready ? condLine(ready) : 'no Ready condition'}; notAfter ${notAfter ?? '<none>'}${t.notAfter ? ` (was ${t.notAfter}${later ? ', now later' : ', not later yet'})` : ''}; revision ${revision ?? '<none>'}${t.revision !== undefined ? ` (was ${t.revision})` : ''}`,
  ];
  if (issuing?.status === 'True') lines.push(`${condLine(issuing)}: renewal requested, issuance pending`);
  else if (issuing) lines.push(condLine(issuing));
  // New: any but the newest one before the renewal (by uid: cert-manager may reuse a failed request's name).
  const request = await newestRequest(ctx, cert, t.name, t.namespace, t.previousRequest).catch(() => undefined);
  const requestRevision = Number(request?.metadata?.annotations?.[REVISION_ANNOTATION]) || undefined;
  if (request && (t.previousRequest || t.revision === undefined || (requestRevision ?? 0) > t.revision)) {
    const rc = (Array.isArray(request.status?.conditions) ? request.status.conditions : []) as Cond[];
    lines.push(`new CertificateRequest ${request.metadata?.name}${requestRevision ? ` (revision ${requestRevision})` : ''}: ${rc.map(condLine).join('; ') || 'no conditions yet'}`);
  } else if (!renewed) {
    lines.push('no new CertificateRequest yet: cert-manager has not acted on the request (is its controller running?)');
  }
  return { ok: renewed, lines };
}

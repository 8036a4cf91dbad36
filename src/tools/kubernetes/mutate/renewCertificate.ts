// renew_certificate: ask cert-manager to issue a cert-manager.io/v1 Certificate again now, as `cmctl renew`
// does: the status condition Issuing=True (reason ManuallyTriggered) written through the status subresource,
// refused when an issuance is already under way. cert-manager's controllers then create a new
// CertificateRequest (an ACME Order and Challenges for an ACME issuer) and, when it is signed, put the new
// certificate into the Certificate's Secret. Before writing, it reads why the last issuance failed (the
// newest CertificateRequest, its Order, failing Challenges), so that a person sees whether asking again can
// help at all.
import { RenewCertificateOutput, type OutputOf } from '../../../contracts/toolData.js';
import { defineTool, type ToolContext } from '../context.js';
import { k8s, ToolError } from '../errors.js';
import { namespaceArg, objectName } from '../schemas.js';
import { FIELD_MANAGER, mergePatch } from './common.js';

export const CERT_GROUP = 'cert-manager.io';
export const ACME_GROUP = 'acme.cert-manager.io';
const VERSION = 'v1';
/** Objects of one kind read in a namespace to find the Certificate's requests, orders and challenges. */
const MAX_LISTED = 200;
const MAX_CHALLENGES = 5;
export const REVISION_ANNOTATION = 'cert-manager.io/certificate-revision';
const NAME_ANNOTATION = 'cert-manager.io/certificate-name';
export const MANUAL_TRIGGER = { reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered' };

type Data = OutputOf<'renew_certificate'>;
type Failure = NonNullable<Data['lastFailure']>;
type Cond = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number };
// Custom objects come back as plain JSON.
type Obj = { metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; creationTimestamp?: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid?: string; kind?: string }> }; spec?: any; status?: any };

const conditionsOf = (o: Obj | undefined): Cond[] => (Array.isArray(o?.status?.conditions) ? o!.status.conditions : []);
const condOf = (c: Cond) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message.slice(0, 300) } : {}) });
const ownedBy = (o: Obj, uid: string | undefined) => !!uid && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
const revisionOf = (o: Obj) => Number(o.metadata?.annotations?.[REVISION_ANNOTATION]) || 0;
const created = (o: Obj) => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;

/** Reads the objects of one plural of a group in a namespace (bounded). */
export async function listCustom(ctx: Pick<ToolContext, 'custom'>, group: string, plural: string, namespace: string): Promise<Obj[]> {
  const list = await k8s({ verb: 'list', resource: plural, group, namespace }, () => ctx.custom.listNamespacedCustomObject({ group, version: VERSION, namespace, plural, limit: MAX_LISTED }));
  return Array.isArray((list as { items?: unknown }).items) ? ((list as { items: Obj[] }).items) : [];
}

/** The Certificate's newest CertificateRequest (highest revision, then newest), if any; `exceptUid`: not that one. */
export async function newestRequest(ctx: Pick<ToolContext, 'custom'>, cert: Obj, name: string, namespace: string, exceptUid?: string): Promise<Obj | undefined> {
  const requests = (await listCustom(ctx, CERT_GROUP, 'certificaterequests', namespace)).filter(
    (r) => (ownedBy(r, cert.metadata?.uid) || r.metadata?.annotations?.[NAME_ANNOTATION] === name) && (!exceptUid || r.metadata?.uid !== exceptUid),
  );
  return requests.sort((a, b) => revisionOf(b) - revisionOf(a) || created(b) - created(a))[0];
}

/** Why the last issuance failed: the newest request's failing conditions, its Order and failing Challenges. */
async function lastFailure(ctx: ToolContext, request: Obj | undefined): Promise<Failure | undefined> {
  if (!request) return undefined;
  const namespace = request.metadata?.namespace ?? '';
  const failing = conditionsOf(request).filter((c) => (c.type === 'Ready' && c.status !== 'True') || ((c.type === 'InvalidRequest' || c.type === 'Denied') && c.status === 'True'));
  const out: Failure = { challenges: [] };
  if (failing.length) out.certificateRequest = { name: request.metadata?.name ?? '', ...(revisionOf(request) ? { revision: String(revisionOf(request)) } : {}), conditions: failing.map(condOf) };
  // Only an ACME issuer makes Orders; an Order that is not valid says why the CA did not sign.
  const orders = (await listCustom(ctx, ACME_GROUP, 'orders', namespace).catch(() => [] as Obj[])).filter((o) => ownedBy(o, request.metadata?.uid));
  const order = orders.sort((a, b) => created(b) - created(a))[0];
  if (order && order.status?.state !== 'valid') {
    out.order = { name: order.metadata?.name ?? '', ...(order.status?.state ? { state: String(order.status.state) } : {}), ...(order.status?.reason ? { reason: String(order.status.reason).slice(0, 300) } : {}) };
    const challenges = (await listCustom(ctx, ACME_GROUP, 'challenges', namespace).catch(() => [] as Obj[])).filter((c) => ownedBy(c, order.metadata?.uid) && c.status?.state !== 'valid');
    out.challenges = challenges.slice(0, MAX_CHALLENGES).map((c) => ({
      name: c.metadata?.name ?? '',
      ...(c.spec?.type ? { type: String(c.spec.type) } : {}),
      ...(c.spec?.dnsName ? { dnsName: String(c.spec.dnsName) } : {}),
      ...(c.status?.state ? { state: String(c.status.state) } : {}),
      ...(c.status?.reason ? { reason: String(c.status.reason).slice(0, 300) } : {}),
    }));
  }
  return out.certificateRequest || out.order || out.challenges.length ? out : undefined;
}

const condText = (c: { type: string; status: string; reason?: string; message?: string }) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;

export function renewCertificateText(d: Data): string {
  const f = d.lastFailure;
  return [
    `renewal requested for Certificate ${d.namespace}/${d.name}: set ${condText(d.issuing)}, as \`cmctl renew\` does.`,
    `cert-manager now creates a new CertificateRequest${d.issuer ? ` for ${d.issuer}` : ''} and, once it is signed, replaces the certificate in Secret ${d.secretName ?? '?'}.`,
    `Before: notAfter ${d.notAfter ?? '<not issued>'}, renewalTime ${d.renewalTime ?? '?'}, revision ${d.revision ?? '<none>'}.`,
    ...(f
      ? [
          'The last issuance failed:',
          ...(f.certificateRequest ? [`  CertificateRequest ${f.certificateRequest.name}${f.certificateRequest.revision ? ` (revision ${f.certificateRequest.revision})` : ''}: ${f.certificateRequest.conditions.map(condText).join('; ')}`] : []),
          ...(f.order ? [`  Order ${f.order.name}: state ${f.order.state ?? '?'}${f.order.reason ? `: ${f.order.reason}` : ''}`] : []),
          ...f.challenges.map((c) => `  Challenge ${c.name}${c.type ? ` (${c.type}${c.dnsName ? ` for ${c.dnsName}` : ''})` : ''}: state ${c.state ?? '?'}${c.reason ? `: ${c.reason}` : ''}`),
          'Unless that cause is gone, the new issuance fails the same way.',
        ]
      : ['No failed CertificateRequest, Order or Challenge was found for it.']),
  ].join('\n');
}

export const renewCertificate = defineTool({
  name: 'renew_certificate',
  title: 'Renew a cert-manager Certificate',
  description:
    'Ask cert-manager to issue a Certificate (cert-manager.io/v1) again now, like `cmctl renew`: sets its Issuing condition to True (ManuallyTriggered). ' +
    'Refused while an issuance is already under way. Reports the expiry and why the last issuance failed (CertificateRequest, ACME Order and Challenges). ' +
    'Re-issuance replaces the certificate in its Secret; it helps when the renewal was missed or failed for a cause that is now fixed (the issuer is Ready).',
  class: 'mutating',
  inputSchema: {
    name: objectName('Certificate'),
    namespace: namespaceArg('Certificate'),
  },
  outputSchema: RenewCertificateOutput,
  example: { name: 'api-tls', namespace: 'shop' },
  aliases: { certificate: 'name', cert: 'name' },
  destructive: false,
  idempotent: false,
  async run(a, ctx) {
    const ref = { group: CERT_GROUP, version: VERSION, namespace: a.namespace, plural: 'certificates', name: a.name };
    const t = { resource: 'certificates', group: CERT_GROUP, kind: 'certificate', name: a.name, namespace: a.namespace };
    // Read through the status subresource: the object it patches (a dry run diffs against this read).
    const cert = (await k8s({ ...t, verb: 'get' }, () => ctx.custom.getNamespacedCustomObjectStatus(ref))) as Obj;
    const conditions = conditionsOf(cert);
    const issuing = conditions.find((c) => c.type === 'Issuing');
    if (issuing?.status === 'True') {
      throw new ToolError(
        `refused: Certificate ${a.namespace}/${a.name} is already being issued (${condText(condOf(issuing))}${issuing.lastTransitionTime ? `, since ${issuing.lastTransitionTime}` : ''}); ` +
          'asking again changes nothing: read its newest CertificateRequest to see why the issuance does not finish',
      );
    }
    // What failed before is reported when it can be read; it never stands in the way of the renewal.
    const request = await newestRequest(ctx, cert, a.name, a.namespace).catch(() => undefined);
    const failure = await lastFailure(ctx, request).catch(() => undefined);
    const condition: Cond = { type: 'Issuing', status: 'True', ...MANUAL_TRIGGER, lastTransitionTime: new Date(Math.floor(ctx.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'), ...(cert.metadata?.generation ? { observedGeneration: cert.metadata.generation } : {}) };
    // A merge patch replaces the whole list: every other condition is sent back as it was, and the
    // resourceVersion makes it fail (409) rather than overwrite what cert-manager wrote in between.
    const body = { metadata: { resourceVersion: cert.metadata?.resourceVersion }, status: { conditions: [...conditions.filter((c) => c.type !== 'Issuing'), condition] } };
    const after = (await k8s({ ...t, verb: 'patch', resource: 'certificates/status' }, () =>
      ctx.custom.patchNamespacedCustomObjectStatus({ ...ref, body, fieldManager: FIELD_MANAGER }, mergePatch()),
    )) as Obj;
    const written = conditionsOf(after).find((c) => c.type === 'Issuing') ?? condition;
    const issuerRef = cert.spec?.issuerRef as { name?: string; kind?: string } | undefined;
    const data: Data = {
      name: a.name,
      namespace: a.namespace,
      ...(issuerRef?.name ? { issuer: `${issuerRef.kind ?? 'Issuer'} ${issuerRef.name}` } : {}),
      ...(cert.spec?.secretName ? { secretName: String(cert.spec.secretName) } : {}),
      ...(cert.status?.notAfter ? { notAfter: String(cert.status.notAfter) } : {}),
      ...(cert.status?.renewalTime ? { renewalTime: String(cert.status.renewalTime) } : {}),
      ...(typeof cert.status?.revision === 'number' ? { revision: cert.status.revision } : {}),
      ...(request?.metadata?.name && request.metadata.uid ? { previousRequest: { name: request.metadata.name, uid: request.metadata.uid } } : {}),
      issuing: condOf(written),
      ...(failure ? { lastFailure: failure } : {}),
    };
    return { text: renewCertificateText(data), data };
  },
});

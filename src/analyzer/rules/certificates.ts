// cert-manager alerts (CertManagerCertNotReady, CertManagerCertExpirySoon, ...): the Certificate's
// conditions and expiry, then its Issuer's readiness. The mixin's `namespace` label is cert-manager's own
// (where it was scraped); the Certificate's namespace is `exported_namespace`.
import { clip, isNotFound, type Evidence } from '../evidence.js';
import { quote, type AlertInfo, type Call, type Quote, type Rule } from './types.js';

const API = 'cert-manager.io/v1';

function target(a: AlertInfo): { name?: string; namespace?: string } {
  return { name: a.labels.name ?? a.labels.certificate, namespace: a.labels.exported_namespace ?? a.namespace };
}

/** The object get_resource read (its structured result), if it was read. */
function objectOf(ev: Evidence, kind: string, name: string, namespace?: string): any {
  return ev.data('get_resource', { kind, name, ...(namespace ? { namespace } : {}) })?.object;
}

const conditions = (o: any): Array<{ type?: string; status?: string; reason?: string; message?: string }> => (Array.isArray(o?.status?.conditions) ? o.status.conditions : []);
const condLine = (c: { type?: string; status?: string; reason?: string; message?: string }) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${clip(c.message, 300)}` : ''}`;

function issuerCall(cert: any, ns: string): Call | undefined {
  const ref = cert?.spec?.issuerRef;
  if (!ref?.name) return undefined;
  const kind = ref.kind ?? 'Issuer';
  return { tool: 'get_resource', args: { apiVersion: API, kind, name: ref.name, ...(kind === 'ClusterIssuer' ? {} : { namespace: ns }) }, why: `The certificate is issued by ${kind} ${ref.name}: is it ready?` };
}

export const certificateRule: Rule = {
  id: 'certificate',
  matches: (a) => /^CertManagerCert/.test(a.name) || (/certificate/i.test(a.name) && !!(a.labels.name ?? a.labels.certificate)),
  plan(a, ev: Evidence) {
    const t = target(a);
    if (!t.name || !t.namespace) return [];
    const calls: Call[] = [
      { tool: 'get_resource', args: { apiVersion: API, kind: 'Certificate', name: t.name, namespace: t.namespace }, why: `Read Certificate ${t.namespace}/${t.name}: its Ready/Issuing conditions, expiry (notAfter) and renewal time.` },
    ];
    const issuer = issuerCall(objectOf(ev, 'Certificate', t.name, t.namespace), t.namespace);
    if (issuer) calls.push(issuer);
    calls.push({ tool: 'get_events', args: { namespace: t.namespace, involvedObjectName: t.name, limit: 20 }, why: `Read the certificate's events (issuance, order and challenge failures).` });
    return calls;
  },
  analyse(a, ev) {
    const t = target(a);
    if (!t.name || !t.namespace) {
      return { resolved: false, summary: `${a.name}: the alert names no certificate`, rootCause: 'The alert has no name/exported_namespace labels, so no Certificate could be read.', quotes: [], recommendations: ['`kubectl get certificates -A` and look for Ready=False'] };
    }
    const what = `Certificate ${t.namespace}/${t.name}`;
    const src = `get_resource Certificate ${t.namespace}/${t.name}`;
    const cert = objectOf(ev, 'Certificate', t.name, t.namespace);
    if (!cert) {
      const err = ev.failure('get_resource', { kind: 'Certificate', name: t.name, namespace: t.namespace });
      if (isNotFound(err)) return { resolved: true, summary: `${a.name}: ${what} no longer exists`, rootCause: `The certificate was deleted, so the alert is stale (${clip(err ?? '', 200)}).`, quotes: quote(src, [err]), recommendations: [] };
      return { resolved: false, summary: `${a.name}: ${what} could not be read`, rootCause: `The certificate could not be read${err ? `: ${clip(err, 300)}` : ''}.`, quotes: quote(src, [err]), recommendations: [`\`kubectl describe certificate -n ${t.namespace} ${t.name}\``] };
    }
    const ready = conditions(cert).find((c) => c.type === 'Ready');
    const issuing = conditions(cert).find((c) => c.type === 'Issuing');
    const notAfter = cert.status?.notAfter as string | undefined;
    const days = notAfter ? Math.round(((Date.parse(notAfter) - Date.now()) / 86400e3) * 10) / 10 : undefined;
    const quotes: Quote[] = quote(src, [ready && condLine(ready), issuing && condLine(issuing), notAfter && `notAfter: ${notAfter}${cert.status?.renewalTime ? `, renewalTime: ${cert.status.renewalTime}` : ''}`]);
    const ref = cert.spec?.issuerRef;
    const issuer = ref?.name ? objectOf(ev, ref.kind ?? 'Issuer', ref.name) : undefined;
    const issuerReady = conditions(issuer).find((c) => c.type === 'Ready');
    const issuerName = ref?.name ? `${ref.kind ?? 'Issuer'} ${ref.name}` : 'its issuer';
    if (issuerReady) quotes.push(...quote(`get_resource ${ref.kind ?? 'Issuer'} ${ref.name}`, [condLine(issuerReady)]));
    const causes: string[] = [];
    if (ready?.status !== 'True' && ready) causes.push(`${what} is not Ready: ${condLine(ready)}`);
    if (days !== undefined) causes.push(days < 0 ? `it expired ${-days} days ago (notAfter ${notAfter})` : `it expires in ${days} days (notAfter ${notAfter})${cert.status?.renewalTime && Date.parse(cert.status.renewalTime) < Date.now() ? `; its renewal was due at ${cert.status.renewalTime} and has not happened` : ''}`);
    if (issuing?.status === 'False' && issuing.message && issuing.message !== ready?.message) causes.push(`issuance: ${condLine(issuing)}`);
    if (issuerReady && issuerReady.status !== 'True') causes.push(`${issuerName} is not ready, so nothing can be issued or renewed: ${condLine(issuerReady)}`);
    const healthy = ready?.status === 'True' && (days === undefined || days > 14) && issuerReady?.status !== 'False';
    // A renewal (cmctl renew) can help only with a Ready issuer and no issuance under way (the tool refuses that).
    const underWay = issuing?.status === 'True';
    const renewable = !healthy && issuerReady?.status === 'True' && !underWay;
    const failed = ready?.status !== 'True' || issuing?.status === 'False';
    return {
      resolved: healthy,
      ...(renewable
        ? {
            remediation: {
              tool: 'renew_certificate',
              args: { name: t.name, namespace: t.namespace },
              why: failed
                ? `${issuerName} is Ready: ask cert-manager to issue ${what} again now rather than after its retry backoff (up to 32h); it fails the same way unless the cause above is fixed.`
                : `${issuerName} is Ready and ${what} expires in ${days} days: ask cert-manager to renew it now.`,
            },
          }
        : {}),
      ...(healthy ? { recheck: `${what} reads Ready=True now, not close to expiry` } : {}),
      summary: healthy
        ? `${a.name}: ${what} is Ready and not close to expiry now`
        : `${a.name}: ${what} ${ready?.status !== 'True' ? 'is not Ready' : `expires in ${days} days`}${issuerReady?.status === 'False' ? ` — ${issuerName} is not ready` : ''}`,
      rootCause: causes.length ? `${causes.map((c) => c.charAt(0).toUpperCase() + c.slice(1)).join('. ')}.` : `${what} shows no failing condition.`,
      quotes,
      recommendations: [
        ...(issuerReady?.status === 'False' ? [`Fix ${issuerName} first (its message says what is missing): \`kubectl describe ${String(ref.kind ?? 'issuer').toLowerCase()} ${ref.name}${ref.kind === 'ClusterIssuer' ? '' : ` -n ${t.namespace}`}\``] : []),
        ...(renewable ? [`Renew it now (the built-in fix \`renew_certificate\`, proposed under the policy): \`cmctl renew -n ${t.namespace} ${t.name}\``] : []),
        ...(!healthy && issuerReady?.status === 'False' ? [`Do not renew ${what} (cmctl renew) before ${issuerName} is Ready: a renewal now fails the same way`] : []),
        ...(!healthy && underWay ? [`An issuance is already under way (${condLine(issuing)}): renewing again changes nothing; its newest CertificateRequest says why it does not finish`] : []),
        `Inspect the issuance: \`kubectl describe certificate -n ${t.namespace} ${t.name}\` and \`kubectl get certificaterequests,orders,challenges -n ${t.namespace}\``,
        ...(/acme|challenge|order/i.test(ready?.message ?? '') ? ['For an ACME HTTP-01 failure, check that the challenge path is reachable through the ingress from the internet (the CA reports what it got)'] : []),
      ],
    };
  },
};

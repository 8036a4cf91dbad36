// The built-in fixes for what a workload stores (issue 23): expand_pvc and renew_certificate, on the real
// control plane. The bed has no storage provisioner and no cert-manager: a PersistentVolume is bound to its
// claim by hand (claimRef), and the test plays the parts of the CSI resizer (it writes the grown capacity)
// and of cert-manager's controllers (a new CertificateRequest, the Certificate Ready with a later notAfter),
// only where a test says so. cert-manager's CRDs (eval/bed/cert-manager-crds.yaml) are applied idempotently
// and never deleted: they are cluster-wide and shared with the eval. Each tool: its dry run's diff (nothing
// stored), it runs, its verification (never a pass before the resize / the re-issuance happened), its undo
// text, its refusals. Then through the operator with the rule-based analyzer: it proposes each fix; under
// `approve` the call waits with the dry run's diff; under `auto` it runs and is verified (Resolved), or, with
// nobody issuing the certificate, ends NeedsManualIntervention saying the issuance is pending.
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, StorageV1Api } from '@kubernetes/client-node';
import type { Operator } from '../../src/operator.js';
import { undoOf } from '../../src/investigation/report.js';
import { makeContext, type ToolContext } from '../../src/tools/kubernetes/context.js';
import { dryRunTool } from '../../src/tools/kubernetes/dryRun.js';
import { mergePatch } from '../../src/tools/kubernetes/mutate/common.js';
import { createVerifier } from '../../src/tools/kubernetes/verify.js';
import { def, recordedStep, runBuiltin } from './fixKit.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { alert, applyCrd, createNamespace, eventually, finished, kubeConfig, kubectl, payload, post, startTestOperator, waitForIncident } from './harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const storage = kc.makeApiClient(StorageV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ctx: ToolContext = makeContext(kc);
const verifier = createVerifier(ctx, 'kubernetes');
/** Cluster-scoped objects this file made (StorageClasses, PersistentVolumes), deleted at the end. */
const made: Array<() => Promise<unknown>> = [];

const run = (tool: string, args: Record<string, unknown>, context: ToolContext = ctx) => runBuiltin(tool, args, context);

const step = recordedStep;

beforeAll(async () => {
  await applyCrd();
  const r = await kubectl(['apply', '-f', path.join(PROJECT_ROOT, 'eval', 'bed', 'cert-manager-crds.yaml')]);
  // Idempotent; it may warn that the eval applied them before without kubectl's annotation.
  expect([r.code, r.code ? r.stderr : '']).toEqual([0, '']);
  for (const crd of ['certificates.cert-manager.io', 'issuers.cert-manager.io', 'certificaterequests.cert-manager.io', 'orders.acme.cert-manager.io', 'challenges.acme.cert-manager.io']) {
    expect((await kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`])).code).toBe(0);
  }
});
afterAll(async () => {
  for (const undo of made) await undo().catch(() => undefined);
});

// ── the bed's stand-ins for a provisioner, a resizer and cert-manager ─────────────────────────────

/** A StorageClass, a PersistentVolume bound by hand to a claim of `size`, and the claim, Bound. */
async function boundClaim(ns: string, name: string, size: string, allowVolumeExpansion = true): Promise<string> {
  const sc = `${ns}-${allowVolumeExpansion ? 'grow' : 'fixed'}`;
  await storage.createStorageClass({ body: { metadata: { name: sc }, provisioner: 'example.com/none', allowVolumeExpansion, volumeBindingMode: 'Immediate' } }).catch(() => undefined);
  made.push(() => storage.deleteStorageClass({ name: sc }));
  const pv = `${ns}-${name}`;
  await core.createPersistentVolume({ body: { metadata: { name: pv }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: sc, hostPath: { path: `/tmp/${pv}` }, claimRef: { namespace: ns, name }, persistentVolumeReclaimPolicy: 'Retain' } } });
  made.push(() => core.deletePersistentVolume({ name: pv }));
  await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: sc, volumeName: pv, resources: { requests: { storage: size } } } } });
  await eventually(async () => (await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns })).status?.phase === 'Bound', 30_000, 250);
  return pv;
}

/** What the CSI resizer and the kubelet would write once the volume grew. */
async function resized(ns: string, name: string, size: string): Promise<void> {
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name, namespace: ns });
  expect((await kubectl(['patch', 'pv', pvc.spec!.volumeName!, '--type=merge', '-p', JSON.stringify({ spec: { capacity: { storage: size } } })])).code).toBe(0);
  const r = await kubectl(['patch', 'pvc', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { capacity: { storage: size } } })]);
  expect([r.code, r.stderr]).toEqual([0, '']);
}

const CM = { group: 'cert-manager.io', version: 'v1' };
const ACME = { group: 'acme.cert-manager.io', version: 'v1' };
const inDays = (d: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + d * 86400e3).toISOString().replace('.000Z', 'Z');

/** Creates a custom object and writes its status (a controller's part), returning it. */
async function object(api: { group: string; version: string }, ns: string, plural: string, body: Record<string, any>, status?: Record<string, unknown>): Promise<any> {
  const created = (await custom.createNamespacedCustomObject({ ...api, namespace: ns, plural, body })) as any;
  if (!status) return created;
  return custom.patchNamespacedCustomObjectStatus({ ...api, namespace: ns, plural, name: created.metadata.name, body: { status } }, mergePatch());
}

/**
 * An Issuer (Ready or not) and a Certificate issued 85 days ago that expires in 5 days, whose renewal
 * failed: CertificateRequest revision 2 Ready=False, its Order errored, a Challenge invalid (a 404).
 */
async function expiringCertificate(ns: string, name: string, issuerReady = true): Promise<void> {
  // One Issuer per namespace, shared by its certificates.
  await object(CM, ns, 'issuers', { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'letsencrypt' }, spec: { acme: { server: 'https://acme.example/directory' } } }, {
    conditions: [issuerReady ? { type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: 'The ACME account was registered' } : { type: 'Ready', status: 'False', reason: 'ErrInitIssuer', message: 'secret "acme-key" not found' }],
  }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const cert = await object(CM, ns, 'certificates', { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name }, spec: { secretName: name, dnsNames: ['www.shop.example'], issuerRef: { name: 'letsencrypt', kind: 'Issuer' } } }, {
    notBefore: inDays(-85),
    notAfter: inDays(5),
    renewalTime: inDays(-25),
    revision: 1,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: inDays(-85) },
      { type: 'Issuing', status: 'False', reason: 'Failed', message: 'The certificate request has failed to complete and will be retried', lastTransitionTime: inDays(-1) },
    ],
  });
  const owner = (o: any, kind: string, apiVersion: string) => [{ apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid, controller: true }];
  const cr = await object(CM, ns, 'certificaterequests', { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', metadata: { name: `${name}-2`, annotations: { 'cert-manager.io/certificate-name': name, 'cert-manager.io/certificate-revision': '2' }, ownerReferences: owner(cert, 'Certificate', 'cert-manager.io/v1') }, spec: { request: 'LS0t', issuerRef: { name: 'letsencrypt', kind: 'Issuer' } } }, {
    conditions: [{ type: 'Ready', status: 'False', reason: 'Failed', message: 'Failed to wait for order resource to become ready: order is in "errored" state' }],
  });
  const order = await object(ACME, ns, 'orders', { apiVersion: 'acme.cert-manager.io/v1', kind: 'Order', metadata: { name: `${name}-2-1234`, ownerReferences: owner(cr, 'CertificateRequest', 'cert-manager.io/v1') }, spec: { request: 'LS0t', dnsNames: ['www.shop.example'], issuerRef: { name: 'letsencrypt' } } }, { state: 'errored', reason: 'Failed to finalize Order: 403 urn:ietf:params:acme:error:unauthorized' });
  await object(ACME, ns, 'challenges', { apiVersion: 'acme.cert-manager.io/v1', kind: 'Challenge', metadata: { name: `${name}-2-1234-99`, ownerReferences: owner(order, 'Order', 'acme.cert-manager.io/v1') }, spec: { type: 'HTTP-01', dnsName: 'www.shop.example', url: 'https://acme.example/chall/1', key: 'k', token: 't', issuerRef: { name: 'letsencrypt' } } }, {
    state: 'invalid',
    reason: 'Invalid response from http://www.shop.example/.well-known/acme-challenge/t: 404',
    presented: true,
  });
}

const readCert = async (ns: string, name: string): Promise<any> => custom.getNamespacedCustomObject({ ...CM, namespace: ns, plural: 'certificates', name });

/** What cert-manager does once the issuer signs: a new CertificateRequest, then the Certificate Ready with a later notAfter. */
async function issued(ns: string, name: string): Promise<void> {
  const cert = await readCert(ns, name);
  const revision = (cert.status?.revision ?? 0) + 1;
  await object(CM, ns, 'certificaterequests', { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', metadata: { name: `${name}-${revision}-new`, annotations: { 'cert-manager.io/certificate-name': name, 'cert-manager.io/certificate-revision': String(revision) }, ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name, uid: cert.metadata.uid, controller: true }] }, spec: { request: 'LS0t', issuerRef: { name: 'letsencrypt' } } }, {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Issued', message: 'Certificate fetched from issuer successfully' }],
  });
  await custom.patchNamespacedCustomObjectStatus({ ...CM, namespace: ns, plural: 'certificates', name, body: { status: { notBefore: inDays(0), notAfter: inDays(90), renewalTime: inDays(60), revision, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }] } } }, mergePatch());
}

async function checkOnce(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined) {
  const plan = verifier.plan({ server: 'kubernetes', tool, arguments: args, data, alertLabels: {} });
  expect(plan).toBeDefined();
  return { plan: plan!, check: () => verifier.check(plan!.target, new Date()) };
}

// ── the tools ─────────────────────────────────────────────────────────────────────────────────────

describe('expand_pvc on the bed', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('pvc');
  });

  it('dry run: the diff of the size and the undo before it runs; nothing stored', async () => {
    await boundClaim(ns, 'dry', '1Gi');
    const args = { name: 'dry', namespace: ns, size: '2Gi' };
    const v = await dryRunTool(def('expand_pvc'), args, ctx);
    expect(v).toEqual({ kind: 'accepted', diff: [`PersistentVolumeClaim ${ns}/dry:`, '  spec.resources.requests.storage: 1Gi → 2Gi'], note: expect.stringContaining('dryRun=All') });
    expect(undoOf(step('expand_pvc', args, { diff: (v as { diff: string[] }).diff.join('\n') }))).toMatch(new RegExp(`^a volume cannot shrink: .*PersistentVolumeClaim ${ns}/dry once it grew \\(it was 1Gi\\)`));
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'dry', namespace: ns })).spec?.resources?.requests?.storage).toBe('1Gi');
  });

  it('runs; the verification fails until the volume has grown, then passes; the undo says it cannot shrink', async () => {
    await boundClaim(ns, 'data', '1Gi');
    const args = { name: 'data', namespace: ns, size: '2Gi' };
    const r = await run('expand_pvc', args);
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({ name: 'data', namespace: ns, storageClass: `${ns}-grow`, size: { before: '1Gi', after: '2Gi' }, capacity: '1Gi' });
    expect(r.text).toContain(`expanded PersistentVolumeClaim ${ns}/data: spec.resources.requests.storage 1Gi → 2Gi`);
    const { plan, check } = await checkOnce('expand_pvc', args, r.data);
    expect(plan.what).toBe(`PersistentVolumeClaim ${ns}/data has grown: status.capacity reaches 2Gi`);
    const before = await check();
    expect(before.ok).toBe(false);
    expect(before.lines[0]).toBe(`PersistentVolumeClaim ${ns}/data: requests 2Gi, capacity 1Gi (was 1Gi): not expanded yet`);
    await resized(ns, 'data', '2Gi');
    const after = await check();
    expect(after).toMatchObject({ ok: true, lines: expect.arrayContaining([`PersistentVolumeClaim ${ns}/data: requests 2Gi, capacity 2Gi (was 1Gi): expanded`]) });
    expect(undoOf(step('expand_pvc', args, { data: r.data }))).toContain('(it was 1Gi)');
  });

  it('refuses to shrink, to pass its bounds, a class without expansion, a claim not Bound, a claim that is not there', async () => {
    await boundClaim(ns, 'keep', '10Gi');
    await boundClaim(ns, 'fixed', '1Gi', false);
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'pending' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: `${ns}-grow`, volumeName: 'no-such-pv', resources: { requests: { storage: '1Gi' } } } } });
    const refused = async (args: Record<string, unknown>, context?: ToolContext) => {
      const r = await run('expand_pvc', { namespace: ns, ...args }, context);
      expect(r.isError).toBe(true);
      return r.text;
    };
    expect(await refused({ name: 'keep', size: '5Gi' })).toBe(`refused: 5Gi is not larger than the claim's current size 10Gi; a volume can only grow (Kubernetes refuses to shrink a claim)`);
    expect(await refused({ name: 'keep', size: '30Gi' })).toBe('refused: 30Gi is more than 2 times the current size 10Gi (FIX_PVC_MAX_FACTOR); ask for at most 20Gi');
    expect(await refused({ name: 'keep', size: '15Gi' }, { ...ctx, pvcExpansion: { maxBytes: 12 * 2 ** 30, maxFactor: 2 } })).toContain('above the largest size the operator may set (FIX_PVC_MAX_SIZE, 12Gi)');
    expect(await refused({ name: 'keep', size: 'lots' })).toContain('invalid argument: size "lots" is not a storage quantity');
    expect(await refused({ name: 'fixed', size: '2Gi' })).toContain(`refused: storage class ${ns}-fixed of PersistentVolumeClaim ${ns}/fixed does not allow volume expansion`);
    expect(await refused({ name: 'pending', size: '2Gi' })).toBe(`refused: PersistentVolumeClaim ${ns}/pending is Pending, not Bound; only a bound claim's volume can be expanded`);
    expect(await refused({ name: 'nothing', size: '2Gi' })).toBe(`not found: persistentvolumeclaim nothing in namespace ${ns}`);
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'keep', namespace: ns })).spec?.resources?.requests?.storage).toBe('10Gi');
  });
});

describe('renew_certificate on the bed', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace('cert');
  });

  it('dry run: the Issuing condition it would write, through the status subresource; nothing stored', async () => {
    await expiringCertificate(ns, 'dry-tls');
    const v = await dryRunTool(def('renew_certificate'), { name: 'dry-tls', namespace: ns }, ctx);
    expect(v.kind).toBe('accepted');
    const diff = (v as { diff: string[] }).diff;
    expect(diff[0]).toBe(`Certificate ${ns}/dry-tls (status):`);
    expect(diff).toEqual(expect.arrayContaining(['  status.conditions[Issuing].status: False → True', '  status.conditions[Issuing].reason: Failed → ManuallyTriggered', '  status.conditions[Issuing].message: The certificate request has failed to complete and will be retried → Certificate re-issuance manually triggered']));
    expect((await readCert(ns, 'dry-tls')).status.conditions.find((c: any) => c.type === 'Issuing').status).toBe('False');
  });

  it('runs as cmctl renew does, reports why the last issuance failed, refuses a second time; verified only once re-issued', async () => {
    await expiringCertificate(ns, 'web-tls');
    const args = { name: 'web-tls', namespace: ns };
    const r = await run('renew_certificate', args);
    expect(r.isError).toBe(false);
    expect(r.data).toMatchObject({
      name: 'web-tls',
      issuer: 'Issuer letsencrypt',
      secretName: 'web-tls',
      revision: 1,
      issuing: { type: 'Issuing', status: 'True', reason: 'ManuallyTriggered', message: 'Certificate re-issuance manually triggered' },
      lastFailure: {
        certificateRequest: { name: 'web-tls-2', revision: '2', conditions: [{ type: 'Ready', status: 'False', reason: 'Failed' }] },
        order: { name: 'web-tls-2-1234', state: 'errored', reason: expect.stringContaining('403') },
        challenges: [{ name: 'web-tls-2-1234-99', type: 'HTTP-01', dnsName: 'www.shop.example', state: 'invalid', reason: expect.stringContaining(': 404') }],
      },
    });
    expect(r.text).toContain('Challenge web-tls-2-1234-99 (HTTP-01 for www.shop.example): state invalid');
    const conditions = (await readCert(ns, 'web-tls')).status.conditions;
    expect(conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['Ready=True', 'Issuing=True']);

    const again = await run('renew_certificate', args);
    expect(again).toMatchObject({ isError: true, text: expect.stringMatching(/^refused: Certificate .*web-tls is already being issued \(Issuing=True \(ManuallyTriggered\)/) });

    const { plan, check } = await checkOnce('renew_certificate', args, r.data);
    expect(plan.what).toMatch(/^Certificate .*web-tls is re-issued: Ready=True with a notAfter later than 20/);
    const pending = await check();
    expect(pending.ok).toBe(false);
    expect(pending.lines).toEqual(expect.arrayContaining([
      'Issuing=True (ManuallyTriggered): Certificate re-issuance manually triggered: renewal requested, issuance pending',
      'no new CertificateRequest yet: cert-manager has not acted on the request (is its controller running?)',
    ]));
    await issued(ns, 'web-tls');
    const done = await check();
    expect(done.ok).toBe(true);
    expect(done.lines[0]).toMatch(/Ready=True \(Ready\).*; notAfter .* \(was .*, now later\); revision 2 \(was 1\)/);
    expect(done.lines[1]).toBe('new CertificateRequest web-tls-2-new (revision 2): Ready=True (Issued): Certificate fetched from issuer successfully');
    expect(undoOf(step('renew_certificate', args, { data: r.data }))).toMatch(/^nothing to undo: re-issuance replaces the certificate in the Certificate's Secret/);
  });

  it('refuses a Certificate that is not there', async () => {
    expect(await run('renew_certificate', { name: 'nothing', namespace: ns })).toMatchObject({ isError: true, text: `not found: certificate nothing in namespace ${ns}` });
  });
});

// ── through the operator, with the rule-based analyzer ────────────────────────────────────────────

describe('through the operator (rule-based analyzer)', () => {
  const ops: Operator[] = [];
  afterAll(async () => {
    await Promise.all(ops.map((o) => o.stop()));
  });
  const pvcAlert = (ns: string) => alert({ alertname: 'KubePersistentVolumeFillingUp', namespace: ns, persistentvolumeclaim: 'data' }, { annotations: { description: `The PersistentVolume claimed by data in Namespace ${ns} is only 3% free.` } });
  const certAlert = (ns: string) => alert({ alertname: 'CertManagerCertExpirySoon', name: 'web-tls', exported_namespace: ns, namespace: 'cert-manager' });

  it('approve: each fix is proposed and waits for a person with the dry run\'s diff and its undo; nothing is changed', async () => {
    const ns = await createNamespace('store-approve');
    await boundClaim(ns, 'data', '1Gi');
    await expiringCertificate(ns, 'web-tls');
    const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', POLICY_MODE: 'approve', APPROVAL_TIMEOUT: '120s' } });
    ops.push(op);
    const cases: Array<[string, ReturnType<typeof alert>, string, Record<string, unknown>, string, RegExp]> = [
      ['KubePersistentVolumeFillingUp', pvcAlert(ns), 'expand_pvc', { name: 'data', namespace: ns, size: '2Gi' }, `PersistentVolumeClaim ${ns}/data:\n  spec.resources.requests.storage: 1Gi → 2Gi`, /How to undo it: a volume cannot shrink: .*\(it was 1Gi\)/],
      ['CertManagerCertExpirySoon', certAlert(ns), 'renew_certificate', { name: 'web-tls', namespace: ns }, 'status.conditions[Issuing].reason: Failed → ManuallyTriggered', /How to undo it: nothing to undo: re-issuance replaces the certificate/],
    ];
    for (const [alertname, a, tool, args, diff, undo] of cases) {
      await post(op.webhookUrl, payload([a]));
      const inc = await waitForIncident(ns, (i) => i.spec.alertname === alertname && i.status?.phase === 'AwaitingApproval', 60_000);
      const s = inc.status!.steps!.at(-1)!;
      expect(s).toMatchObject({ state: 'AwaitingApproval', tool, dryRun: { ok: true, diff: expect.stringContaining(diff) } });
      expect(JSON.parse(s.arguments!)).toEqual(args);
      expect(s.reasoning).toContain('Proposed fix:');
      expect(inc.status!.report).toMatch(undo);
      await kubectl(['annotate', 'inc', '-n', ns, inc.metadata.name, `alertagent.io/reject=${s.index}`]);
    }
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns })).spec?.resources?.requests?.storage).toBe('1Gi');
    expect((await readCert(ns, 'web-tls')).status.conditions.find((c: any) => c.type === 'Issuing').status).toBe('False');
  });

  it('auto: each fix runs and is verified once the resize / the re-issuance happened → Resolved', async () => {
    const ns = await createNamespace('store-auto');
    await boundClaim(ns, 'data', '1Gi');
    await expiringCertificate(ns, 'web-tls');
    const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__expand_pvc,kubernetes__renew_certificate', POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '60s' } });
    ops.push(op);
    await post(op.webhookUrl, payload([pvcAlert(ns)]));
    await eventually(async () => (await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns })).spec?.resources?.requests?.storage === '2Gi', 60_000, 250);
    await resized(ns, 'data', '2Gi');
    await post(op.webhookUrl, payload([certAlert(ns)]));
    await eventually(async () => (await readCert(ns, 'web-tls')).status.conditions.some((c: any) => c.type === 'Issuing' && c.reason === 'ManuallyTriggered'), 60_000, 250);
    await issued(ns, 'web-tls');
    for (const [alertname, tool] of [['KubePersistentVolumeFillingUp', 'expand_pvc'], ['CertManagerCertExpirySoon', 'renew_certificate']]) {
      const inc = await waitForIncident(ns, (i) => i.spec.alertname === alertname && finished(i), 90_000);
      const st = inc.status!;
      const fix = st.steps!.find((x) => x.tool === tool)!;
      expect(fix).toMatchObject({ state: 'Succeeded', dryRun: { ok: true } });
      expect(st.steps!.find((x) => x.index === fix.index + 1)).toMatchObject({ action: 'verify', state: 'Succeeded' });
      expect(st).toMatchObject({ phase: 'Reported', outcome: 'Resolved' });
      expect(st.report).toMatch(new RegExp(`Outcome: Resolved because step ${fix.index} \\(kubernetes__${tool}\\) ran and step ${fix.index + 1} verified it`));
    }
  });

  it('auto with nobody issuing the certificate: the renewal is requested, and the incident is not called resolved', async () => {
    const ns = await createNamespace('store-pending');
    await expiringCertificate(ns, 'web-tls');
    const op = await startTestOperator({ namespace: ns, env: { ANALYZER: 'rules', POLICY_MODE: 'auto', POLICY_ALLOWED_TOOLS: 'kubernetes__renew_certificate', POLICY_ALLOWED_NAMESPACES: ns, VERIFY_TIMEOUT: '6s' } });
    ops.push(op);
    await post(op.webhookUrl, payload([certAlert(ns)]));
    const inc = await waitForIncident(ns, (i) => i.spec.alertname === 'CertManagerCertExpirySoon' && finished(i), 60_000);
    const st = inc.status!;
    expect(st.steps!.find((x) => x.tool === 'renew_certificate')).toMatchObject({ state: 'Succeeded' });
    const v = st.steps!.find((x) => x.action === 'verify')!;
    expect(v).toMatchObject({ state: 'Failed' });
    expect(v.result!.output).toContain('renewal requested, issuance pending');
    expect(st.outcome).toBe('NeedsManualIntervention');
    expect(st.report).toContain('nothing to undo: re-issuance replaces the certificate');
  });
});

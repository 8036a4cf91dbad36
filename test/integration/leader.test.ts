// Leader election against the real apiserver: real Leases, real optimistic concurrency, real RBAC.
// Timings are shortened (lease 3 s, renew deadline 2 s, retry 0.5 s); the algorithm is the same.
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { LeaderElector } from '../../src/runtime/lease.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { serviceAccountKubeConfig } from '../bed/shared.js';
import { createNamespace, eventually, kubeConfig } from './harness.js';

const LEASE_MS = 3000;
const RENEW_MS = 2000;
const RETRY_MS = 500;
/** a follower's pause between tries is retry × (1 + up to 1.2) */
const MAX_PAUSE = RETRY_MS * 2.2;

const log = process.env.ALERT_AGENT_TEST_LOGS ? createLogger({ level: 'debug', format: 'text' }) : silentLogger();

interface Candidate {
  id: string;
  elector: LeaderElector;
  started: number[];
  stopped: number[];
}

let ns: string;
const all: Candidate[] = [];

function candidate(lease: string, id: string, kc = kubeConfig(), timings: { lease?: number; renew?: number; retry?: number } = {}): Candidate {
  const c: Candidate = { id, started: [], stopped: [], elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    kc,
    namespace: ns,
    name: lease,
    identity: id,
    leaseDurationMs: timings.lease ?? LEASE_MS,
    renewDeadlineMs: timings.renew ?? RENEW_MS,
    retryPeriodMs: timings.retry ?? RETRY_MS,
    log,
    onStartedLeading: () => c.started.push(Date.now()),
    onStoppedLeading: () => c.stopped.push(Date.now()),
  });
  all.push(c);
  return c;
}

const leaseName = (p: string) => `${p}-${randomBytes(3).toString('hex')}`;
const readLease = (name: string) => kubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: ns });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ns = await createNamespace('leader');
});

afterEach(() => {
  for (const c of all.splice(0)) c.elector.stop();
});

test('of two candidates exactly one leads, and it holds the Lease', async () => {
  const name = leaseName('pair');
  const a = candidate(name, 'replica-a');
  const b = candidate(name, 'replica-b');
  a.elector.start();
  b.elector.start();
  const leader = await eventually(async () => [a, b].find((c) => c.elector.isLeader()), 10_000, 50);
  const follower = leader === a ? b : a;

  // for a few renewal periods: one leader, the same one, and the Lease names it
  for (let i = 0; i < 8; i++) {
    expect([a, b].filter((c) => c.elector.isLeader()).map((c) => c.id)).toEqual([leader.id]);
    await sleep(RETRY_MS / 2);
  }
  const lease = await readLease(name);
  expect(lease.spec?.holderIdentity).toBe(leader.id);
  expect(lease.spec?.leaseDurationSeconds).toBe(LEASE_MS / 1000);
  expect(lease.spec?.leaseTransitions).toBe(0);
  expect(leader.started).toHaveLength(1);
  expect(follower.started).toHaveLength(0);
  expect([...a.stopped, ...b.stopped]).toHaveLength(0);
});

test('a leader that stops without releasing is replaced once the lease expires', async () => {
  const name = leaseName('expire');
  const a = candidate(name, 'replica-a');
  a.elector.start();
  await eventually(async () => a.elector.isLeader(), 10_000, 50);
  const b = candidate(name, 'replica-b');
  b.elector.start();
  await sleep(RETRY_MS * 3);
  expect(b.elector.isLeader()).toBe(false);

  const renewedBefore = new Date(String((await readLease(name)).spec?.renewTime)).getTime();
  a.elector.stop(); // like SIGKILL: no release
  const stoppedAt = Date.now();
  expect(a.elector.isLeader()).toBe(false);
  await eventually(async () => b.elector.isLeader(), LEASE_MS + 2 * MAX_PAUSE + 2000, 25);
  const took = b.started[0] - stoppedAt;

  // not before the lease ran out (counted from a's last renewal, which b saw), and soon after
  expect(b.started[0] - renewedBefore).toBeGreaterThanOrEqual(LEASE_MS - 100);
  expect(took).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS - 100);
  expect(took).toBeLessThanOrEqual(LEASE_MS + 2 * MAX_PAUSE + 500);
  const lease = await readLease(name);
  expect(lease.spec?.holderIdentity).toBe('replica-b');
  expect(lease.spec?.leaseTransitions).toBe(1);
  expect(a.stopped).toHaveLength(0); // stop() is deliberate, not a loss
});

test('release() hands the lease over at once', async () => {
  // a long lease: without release the follower would wait 20 s
  const timings = { lease: 20_000, renew: 10_000, retry: RETRY_MS };
  const name = leaseName('release');
  const a = candidate(name, 'replica-a', kubeConfig(), timings);
  a.elector.start();
  await eventually(async () => a.elector.isLeader(), 10_000, 50);
  const b = candidate(name, 'replica-b', kubeConfig(), timings);
  b.elector.start();
  await sleep(RETRY_MS * 3);
  expect(b.elector.isLeader()).toBe(false);

  await a.elector.release();
  const releasedAt = Date.now();
  expect(a.elector.isLeader()).toBe(false);
  const released = await readLease(name);
  // either still empty, or b already has it
  expect(['', 'replica-b']).toContain(released.spec?.holderIdentity ?? '');

  await eventually(async () => b.elector.isLeader(), 2 * MAX_PAUSE + 2000, 25);
  expect(b.started[0] - releasedAt).toBeLessThanOrEqual(MAX_PAUSE + 500);
  const lease = await readLease(name);
  expect(lease.spec?.holderIdentity).toBe('replica-b');
  expect(lease.spec?.leaseDurationSeconds).toBe(20);
  expect(a.stopped).toHaveLength(0);
});

test('a leader whose renewals fail for the renew deadline calls onStoppedLeading', async () => {
  // A ServiceAccount allowed to use Leases in the namespace by a RoleBinding; deleting the binding
  // makes every renewal fail with 403, as a broken apiserver connection would.
  const sa = `elector-${randomBytes(3).toString('hex')}`;
  const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: sa },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: sa },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
  });
  const kc = await serviceAccountKubeConfig(ns, sa);
  const name = leaseName('deadline');
  const a = candidate(name, 'replica-a', kc);
  a.elector.start();
  await eventually(async () => a.elector.isLeader(), 10_000, 50);
  expect(a.started).toHaveLength(1);

  await rbac.deleteNamespacedRoleBinding({ name: sa, namespace: ns });
  const revokedAt = Date.now();
  await eventually(async () => a.stopped.length > 0, RENEW_MS + 3 * RETRY_MS + 3000, 25);
  const lostAfter = a.stopped[0] - revokedAt;
  expect(a.elector.isLeader()).toBe(false);
  expect(a.stopped).toHaveLength(1);
  // the deadline counts from the last successful renewal, which was at most one retry before revocation
  expect(lostAfter).toBeGreaterThanOrEqual(RENEW_MS - RETRY_MS - 100);
  expect(lostAfter).toBeLessThanOrEqual(RENEW_MS + 1000);
  // it does not run for the lease again after losing it
  await sleep(RETRY_MS * 3);
  expect(a.started).toHaveLength(1);
  expect(a.stopped).toHaveLength(1);
});

/**
 * Changes proposed in Git become pull/merge requests (issue 25): the GitOps queue (src/gitops) against
 * stand-ins of GitHub's and GitLab's REST APIs backed by a real bare Git repository
 * (test/fixtures/gitHosts.ts), with incidents and the Deployment on the bed's API server. Shown: a pull
 * request only once a person asks (or under `auto`); the manifest patched where it holds the value and
 * nowhere else (checked with git itself); faults and a lost record never make two; merged, then Synced
 * once the cluster shows the change; refused where the manifest does not say what the cluster has.
 */
import { execFileSync } from 'node:child_process';
import { AppsV1Api } from '@kubernetes/client-node';
import type { GitChange } from '../../src/contracts/gitChange.js';
import { OPEN_PULL_REQUEST } from '../../src/gitops/due.js';
import { GitHubProvider } from '../../src/gitops/github.js';
import { GitLabProvider } from '../../src/gitops/gitlab.js';
import type { GitProvider } from '../../src/gitops/provider.js';
import { GitProposer, objectReader } from '../../src/gitops/proposer.js';
import { FIELD_MANAGERS } from '../../src/incident/owners.js';
import { API_VERSION, KIND, type AlertIncident } from '../../src/incident/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { bareRepository, removeRepository, startGitHost, type GitHost } from '../fixtures/gitHosts.js';
import { applyCrd, createNamespace, eventually, kubeConfig, store } from './harness.js';

const TOKEN = 'gitops-test-token-1234';
const BAD = 'registy.example.com/shop/checkout:1.19.0';
const GOOD = 'registry.example.com/shop/checkout:1.18.2';
const MANIFEST = `# checkout: the shop's payment front
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: { app: checkout }   # kept by Flux
spec:
  replicas: 3
  selector: { matchLabels: { app: checkout } }
  template:
    metadata: { labels: { app: checkout } }
    spec:
      containers:
        - name: checkout
          image: ${BAD} # bumped by CI
---
apiVersion: v1
kind: Service
metadata: { name: checkout }
spec: { selector: { app: checkout }, ports: [{ port: 80 }] }
`;
const FILES = { 'apps/checkout/deploy.yaml': MANIFEST, 'apps/checkout/kustomization.yaml': 'resources: [deploy.yaml]\n', 'apps/other/deploy.yaml': MANIFEST.replace(/checkout/g, 'other') };

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const s = store();
let ns: string;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

function change(over: Partial<GitChange> = {}): GitChange {
  return {
    owner: `Deployment ${ns}/checkout is managed by Flux Kustomization ${ns}/apps`,
    tool: 'Flux',
    manager: { kind: 'Kustomization', name: 'apps', namespace: ns },
    source: { url: 'https://git.example.com/shop/fleet.git', path: './apps/checkout', revision: 'main' },
    object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', namespace: ns },
    changes: [{ path: ['spec', 'template', 'spec', 'containers', { name: 'checkout' }, 'image'], before: BAD, after: GOOD }],
    ...over,
  };
}

/** A reported incident whose step 7 was kept out of the cluster with `gc` to make in Git instead. */
async function reportedIncident(name: string, gc: GitChange, annotations: Record<string, string> = {}): Promise<AlertIncident> {
  await s.create({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns, annotations }, spec: { alertname: 'KubeDeploymentRolloutStuck', fingerprint: name, status: 'firing', labels: {}, annotations: {}, startsAt: new Date().toISOString() } } as AlertIncident);
  const t = new Date().toISOString();
  return s.applyStatus(
    ns,
    name,
    {
      phase: 'Reported',
      outcome: 'NeedsManualIntervention',
      summary: 'the new image cannot be pulled',
      steps: [{ index: 7, time: t, action: 'invalid', state: 'Done', server: 'kubernetes', tool: 'rollback_deployment', arguments: JSON.stringify({ name: 'checkout', namespace: ns }), dryRun: { ok: false, note: 'kept in Git', gitops: gc.owner, gitChange: JSON.stringify(gc), time: t }, result: { ok: false, error: 'refused' } }],
    },
    { fieldManager: FIELD_MANAGERS.controller },
  );
}

function proposer(provider: GitProvider, policyMode = 'approve', host = 'git.example.com'): GitProposer {
  const p = new GitProposer({ provider, host, baseBranch: 'main', store: s, log: silentLogger(), policyMode, syncTimeoutMs: 60_000, pollMs: 200, readObject: objectReader(() => kc) });
  p.start();
  cleanups.push(() => p.stop());
  return p;
}

async function host(kind: 'github' | 'gitlab'): Promise<{ h: GitHost; bare: string; provider: GitProvider }> {
  const bare = bareRepository(FILES);
  const h = await startGitHost(kind, { bare, repo: 'shop/fleet', token: TOKEN });
  cleanups.push(() => h.close(), () => removeRepository(bare));
  const o = { apiURL: h.url, token: TOKEN, timeoutMs: 5_000 };
  return { h, bare, provider: kind === 'github' ? new GitHubProvider(o) : new GitLabProvider(o) };
}

const gitChanges = async (name: string) => (await s.get(ns, name))?.status?.gitChanges ?? [];
/** What git itself says the branch changed against main: file names and changed lines. */
const gitDiff = (bare: string, branch: string) => execFileSync('git', ['diff', '--unified=0', 'main', branch], { cwd: bare, encoding: 'utf8' });

beforeAll(async () => {
  await applyCrd();
  ns = await createNamespace('gitpr');
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: { metadata: { name: 'checkout' }, spec: { replicas: 0, selector: { matchLabels: { app: 'checkout' } }, template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'checkout', image: BAD }] } } } },
  });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

it('GitHub: opened only when a person asks, the manifest patched in one line, one pull request through faults and a lost record, then Synced', async () => {
  const { h, bare, provider } = await host('github');
  const p = proposer(provider);
  let inc = await reportedIncident('gh-1', change());
  p.observe('MODIFIED', inc);
  await new Promise((r) => setTimeout(r, 500));
  expect(h.requests).toEqual([]); // under approve, nothing until a person asks

  inc = await s.patchMetadata(ns, 'gh-1', { annotations: { [OPEN_PULL_REQUEST]: '7' } });
  h.fail(/^POST \/repos\/shop\/fleet\/pulls$/, 502);
  h.fail(/^GET \/repos\/shop\/fleet\/contents\//, 429, 1, 1);
  p.observe('MODIFIED', inc);
  const [open] = await eventually(async () => {
    const r = await gitChanges('gh-1');
    return r[0]?.state === 'Open' ? r : undefined;
  }, 30_000);
  expect(open).toMatchObject({ step: 7, provider: 'github', repository: 'shop/fleet', number: 1, url: expect.stringMatching(/\/shop\/fleet\/pull\/1$/) });
  expect(h.pulls).toHaveLength(1);
  expect(h.pulls[0]).toMatchObject({ base: 'main', head: `alert-agent/${ns}/gh-1-step-7`, title: expect.stringContaining(GOOD) });
  expect(h.pulls[0].body).toContain('Flux Kustomization');
  // git says: one file, one line, the image and nothing else (its comment kept).
  const diff = gitDiff(bare, h.pulls[0].head);
  expect(diff.match(/^diff --git/gm)).toHaveLength(1);
  expect(diff).toContain('apps/checkout/deploy.yaml');
  expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([`-          image: ${BAD} # bumped by CI`, `+          image: ${GOOD} # bumped by CI`]);

  // A record lost (a crash between opening and recording): a new queue finds the pull request by its branch.
  await s.applyStatus(ns, 'gh-1', { gitChanges: [] }, { fieldManager: FIELD_MANAGERS.gitops });
  const again = proposer(provider);
  again.observe('MODIFIED', (await s.get(ns, 'gh-1'))!);
  await eventually(async () => ((await gitChanges('gh-1'))[0]?.state === 'Open' ? true : undefined), 20_000);
  expect((await gitChanges('gh-1'))[0].message).toMatch(/found by its branch/);
  expect(h.pulls).toHaveLength(1);

  // Merged: Merged until the cluster shows the change (Flux would apply it), then Synced.
  h.merge(1);
  await eventually(async () => ((await gitChanges('gh-1'))[0]?.state === 'Merged' ? true : undefined), 20_000);
  await apps.patchNamespacedDeployment({ name: 'checkout', namespace: ns, body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: GOOD }] }, { headers: { 'Content-Type': 'application/json-patch+json' } } as never);
  const synced = await eventually(async () => {
    const r = (await gitChanges('gh-1'))[0];
    return r?.state === 'Synced' ? r : undefined;
  }, 20_000);
  expect(synced.message).toMatch(/cluster shows the change/);
});

it('GitLab under auto: a merge request without a person asking; a manifest that does not say what the cluster has is not patched', async () => {
  const { h, bare, provider } = await host('gitlab');
  proposer(provider, 'auto').observe('ADDED', await reportedIncident('gl-1', change({ changes: [{ path: ['spec', 'replicas'], before: 3, after: 5 }] })));
  const [open] = await eventually(async () => {
    const r = await gitChanges('gl-1');
    return r[0]?.state === 'Open' ? r : undefined;
  }, 30_000);
  expect(open).toMatchObject({ provider: 'gitlab', repository: 'shop/fleet', number: 1 });
  expect(gitDiff(bare, h.pulls[0].head).split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-  replicas: 3', '+  replicas: 5']);

  // The cluster says 2 replicas were there before; the manifest says 3: something else sets it.
  const p = proposer(provider, 'auto');
  p.observe('ADDED', await reportedIncident('gl-2', change({ changes: [{ path: ['spec', 'replicas'], before: 2, after: 4 }] })));
  const [failed] = await eventually(async () => {
    const r = await gitChanges('gl-2');
    return r[0]?.state === 'Failed' ? r : undefined;
  }, 20_000);
  expect(failed.message).toMatch(/spec\.replicas is "3" in the manifest but "2" in the cluster/);
  // A repository on another host: never sent to this one.
  p.observe('ADDED', await reportedIncident('gl-3', change({ source: { url: 'https://github.com/shop/fleet.git', path: './apps/checkout', revision: 'main' } })));
  const [elsewhere] = await eventually(async () => {
    const r = await gitChanges('gl-3');
    return r[0]?.state === 'Failed' ? r : undefined;
  }, 20_000);
  expect(elsewhere.message).toMatch(/not on the configured Git host git\.example\.com/);
  expect(h.pulls).toHaveLength(1);
});

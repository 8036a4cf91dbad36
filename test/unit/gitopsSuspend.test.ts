// GITOPS_MANAGED_WRITES=suspend, the pure parts: the suspend and resume patches (restoring exactly what was
// there), the resume commands, which steps the GitOps queue takes up, and what the report and undo say.
import { dueGitWork } from '../../src/gitops/due.js';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import { composeReport, undoOf } from '../../src/investigation/report.js';
import { SUSPENDED_AT, SUSPENDED_BY, SUSPENDED_SYNC, resumeCommand, resumePatch, suspendPatch, suspendedBy, syncing } from '../../src/tools/kubernetes/suspend.js';

const change = {
  owner: 'Deployment shop/web is managed by Flux Kustomization flux-system/apps',
  tool: 'Flux',
  manager: { kind: 'Kustomization', name: 'apps', namespace: 'flux-system' },
  source: { url: 'https://github.com/shop/fleet.git', path: './apps', revision: 'main' },
  object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
  changes: [{ path: ['spec', 'replicas'], before: 1, after: 3 }],
};
const suspend = { tool: 'Flux' as const, kind: 'Kustomization' as const, name: 'apps', namespace: 'flux-system' };

function step(over: Partial<Step> = {}): Step {
  return {
    index: 4,
    time: '2026-12-07T10:00:00Z',
    action: 'callTool',
    state: 'Succeeded',
    mutating: true,
    server: 'kubernetes',
    tool: 'scale',
    arguments: JSON.stringify({ kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 3 }),
    dryRun: { ok: true, note: 'suspended first', gitops: change.owner, gitChange: JSON.stringify(change), suspend },
    result: { ok: true, output: 'scaled', data: JSON.stringify({ replicas: { before: 1, after: 3 } }) },
    ...over,
  } as Step;
}

const incident = (steps: Step[], gitChanges: unknown[] = []): AlertIncident =>
  ({ metadata: { name: 'inc-1', namespace: 'shop' }, spec: { alertname: 'X', fingerprint: 'f', status: 'firing', labels: {}, annotations: {}, startsAt: '2026-12-07T09:59:00Z' }, status: { steps, gitChanges } }) as unknown as AlertIncident;

describe('suspend and resume patches', () => {
  it('Flux: suspend true with our annotations and the resourceVersion read; the resume sets it false and removes them', () => {
    const obj = { metadata: { resourceVersion: '42' }, spec: { interval: '10m' } };
    expect(syncing('Kustomization', obj)).toBe(true);
    expect(suspendPatch('Kustomization', obj, 'shop/inc-1 step 4', '2026-12-07T10:00:00Z')).toEqual({
      metadata: { resourceVersion: '42', annotations: { [SUSPENDED_BY]: 'shop/inc-1 step 4', [SUSPENDED_AT]: '2026-12-07T10:00:00Z' } },
      spec: { suspend: true },
    });
    expect(resumePatch('HelmRelease', { metadata: { annotations: { [SUSPENDED_BY]: 'x' } } })).toEqual({ metadata: { annotations: { [SUSPENDED_BY]: null, [SUSPENDED_AT]: null } }, spec: { suspend: false } });
    expect(syncing('HelmRelease', { spec: { suspend: true } })).toBe(false);
  });

  it('Argo CD: automated removed and kept as it was; the resume restores it exactly', () => {
    const automated = { selfHeal: true, prune: true, allowEmpty: false };
    const app = { spec: { syncPolicy: { automated, syncOptions: ['CreateNamespace=true'] } } };
    const p = suspendPatch('Application', app, 'shop/inc-1 step 4', 't') as { metadata: { annotations: Record<string, string> }; spec: unknown };
    expect(p.spec).toEqual({ syncPolicy: { automated: null } });
    const after = { metadata: { annotations: p.metadata.annotations }, spec: { syncPolicy: { syncOptions: ['CreateNamespace=true'] } } };
    expect(syncing('Application', after)).toBe(false);
    expect(suspendedBy(after)).toBe('shop/inc-1 step 4');
    expect(resumePatch('Application', after)).toEqual({ metadata: { annotations: { [SUSPENDED_BY]: null, [SUSPENDED_AT]: null, [SUSPENDED_SYNC]: null } }, spec: { syncPolicy: { automated } } });
  });

  it('the resume commands a person runs', () => {
    expect(resumeCommand(suspend)).toBe('flux resume kustomization -n flux-system apps');
    expect(resumeCommand({ ...suspend, kind: 'HelmRelease', name: 'cache' })).toBe('flux resume helmrelease -n flux-system cache');
    expect(resumeCommand({ tool: 'Argo CD', kind: 'Application', name: 'api', namespace: 'argocd', selfHeal: true, prune: false })).toBe('argocd app set api --sync-policy automated --self-heal');
    expect(resumeCommand({ tool: 'Argo CD', kind: 'Application', name: 'api', namespace: 'team-a', selfHeal: false, prune: true })).toBe('argocd app set team-a/api --sync-policy automated --auto-prune');
  });
});

describe('the GitOps queue and the report', () => {
  it('a step that ran after suspending its manager opens its pull request without an ask; one that did not run does not', () => {
    expect(dueGitWork(incident([step()]), 'approve')).toEqual([{ kind: 'open', step: 4, change, suspend }]);
    expect(dueGitWork(incident([step({ state: 'Rejected' })]), 'approve')).toEqual([]);
    // Without a suspension, a step that ran is no change proposed in Git.
    expect(dueGitWork(incident([step({ dryRun: { ok: true, gitChange: JSON.stringify(change) } })]), 'auto')).toEqual([]);
  });

  it('the report says the manager is suspended and how to resume it, or that it was resumed; the undo resumes it too', () => {
    const open = composeReport(incident([step()]), [step()], 'n', 'Resolved', 'r', '2026-12-07T10:05:00Z');
    expect(open).toContain('## Proposed change in Git');
    expect(open).toContain('was written to the cluster after Flux Kustomization flux-system/apps was suspended (annotation alertagent.io/suspended-by: shop/inc-1 step 4)');
    expect(open).toContain('It stays suspended until the change is in Git');
    expect(open).toContain('`flux resume kustomization -n flux-system apps`');
    const merged = incident([step()], [{ step: 4, state: 'Synced', provider: 'github', url: 'https://github.com/shop/fleet/pull/9', time: 't' }]);
    expect(composeReport(merged, [step()], 'n', 'Resolved', 'r', 't')).toContain('It was resumed when the change was merged in Git (https://github.com/shop/fleet/pull/9).');
    expect(undoOf(step())).toBe(
      'scale back to 1: `kubectl scale deployment/web -n shop --replicas=1`; then resume Flux Kustomization flux-system/apps, which was suspended for it: `flux resume kustomization -n flux-system apps`.',
    );
  });
});

// Who keeps an object from Git, from its metadata alone (the bed's test reads the managers themselves:
// test/integration/gitops.test.ts), and how the report shows a change proposed in Git.
import type { Step } from '../../src/incident/types.js';
import { composeReport } from '../../src/investigation/report.js';
import { describeOwner, managerFromMetadata } from '../../src/tools/kubernetes/gitops.js';
import { incident } from './fakeIncidents.js';

const deploy = (metadata: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', ...metadata } });

describe('managerFromMetadata', () => {
  it('reads Flux labels (Kustomization before HelmRelease), defaulting their namespace to the object', () => {
    expect(managerFromMetadata(deploy({ labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } }), 'argocd')).toEqual({ tool: 'Flux', kind: 'Kustomization', name: 'apps', namespace: 'flux-system' });
    expect(managerFromMetadata(deploy({ labels: { 'helm.toolkit.fluxcd.io/name': 'web' } }), 'argocd')).toEqual({ tool: 'Flux', kind: 'HelmRelease', name: 'web', namespace: 'shop' });
  });

  it('trusts an Argo CD tracking id only when it names the object it sits on', () => {
    const own = (id: string) => managerFromMetadata(deploy({ annotations: { 'argocd.argoproj.io/tracking-id': id } }), 'argocd');
    expect(own('web-prod:apps/Deployment:shop/web')).toEqual({ tool: 'Argo CD', kind: 'Application', name: 'web-prod', namespace: 'argocd' });
    expect(own('team-a_web-prod:apps/Deployment:shop/web')).toEqual({ tool: 'Argo CD', kind: 'Application', name: 'web-prod', namespace: 'team-a' });
    expect(own('web-prod:apps/Deployment:shop/other')).toBeUndefined();
    expect(own('web-prod:/Deployment:shop/web')).toBeUndefined();
    expect(own('garbage')).toBeUndefined();
  });

  it('a Helm-style instance label is weak (it counts only when the Application exists); nothing is nothing', () => {
    expect(managerFromMetadata(deploy({ labels: { 'app.kubernetes.io/instance': 'web' } }), 'gitops')).toEqual({ tool: 'Argo CD', kind: 'Application', name: 'web', namespace: 'gitops', weak: true });
    expect(managerFromMetadata(deploy({ labels: { 'argocd.argoproj.io/instance': 'web' } }), 'argocd')?.weak).toBe(false);
    expect(managerFromMetadata(deploy({ labels: { app: 'web' } }), 'argocd')).toBeUndefined();
  });

  it('says who, from where and how soon in one sentence', () => {
    expect(
      describeOwner({ tool: 'Argo CD', manager: { kind: 'Application', name: 'web', namespace: 'argocd' }, via: 'Deployment shop/web', source: { url: 'https://github.com/acme/deploy.git', path: 'web', revision: 'HEAD' }, reverts: 'within seconds (self-heal is on)', paused: false }),
    ).toBe('Deployment shop/web is managed by Argo CD Application argocd/web (repository https://github.com/acme/deploy.git, path web, revision HEAD); a direct change is reverted within seconds (self-heal is on)');
  });
});

describe('the report', () => {
  it('shows a change the dry run kept out of the cluster as a proposed change in Git, with its diff', () => {
    const step: Step = {
      index: 3,
      time: '2026-12-07T06:00:00Z',
      action: 'invalid',
      state: 'Done',
      server: 'kubernetes',
      tool: 'rollback_deployment',
      arguments: '{"name":"web","namespace":"shop"}',
      dryRun: { ok: false, gitops: 'Deployment shop/web is managed by Flux Kustomization flux-system/apps (repository https://git.example.com/fleet.git)', diff: 'Deployment shop/web:\n  spec.template.spec.containers[0].image: app:2 → app:1', note: 'refused' },
      result: { ok: false, error: 'refused' },
    } as Step;
    const report = composeReport(incident('web', 1, { phase: 'Analyzing' }), [step], '## Summary\n\nx', 'NeedsManualIntervention', 'fix it in Git', '2026-12-07T06:01:00Z');
    expect(report).toContain('## Proposed change in Git');
    expect(report).toContain('was not written to the cluster: Deployment shop/web is managed by Flux Kustomization flux-system/apps');
    expect(report).toContain('spec.template.spec.containers[0].image: app:2 → app:1');
    expect(report).toMatch(/proposed in Git, not written \(GitOps-managed\)/);
  });
});

// The member-cluster RBAC (many clusters) grants exactly the read-only rules of the operator's own
// ClusterRole, nothing on Secrets, and the chart ships the same file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

const root = process.cwd();
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const docs = (file: string) => parseAllDocuments(fs.readFileSync(path.join(root, file), 'utf8')).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; rules?: Rule[] });
const OPERATOR_ITSELF = ['alertagent.io', 'authentication.k8s.io', 'authorization.k8s.io'];

describe('member-cluster RBAC', () => {
  const member = docs('deploy/member-cluster-rbac.yaml');
  const role = member.find((d) => d.kind === 'ClusterRole')!;

  it('is the read-only part of the operator ClusterRole (deploy/rbac.yaml), kept equal', () => {
    const own = docs('deploy/rbac.yaml').find((d) => d.kind === 'ClusterRole' && d.metadata?.name === 'alert-agent')!;
    // The operator's own needs (its incidents, Events it writes, the web view's reviews) stay in the management cluster.
    const reads = own.rules!.filter((r) => !r.apiGroups.some((g) => OPERATOR_ITSELF.includes(g)) && !r.verbs.includes('create'));
    expect(role.rules).toEqual(reads);
  });

  it('reads no Secrets and writes nothing', () => {
    for (const r of role.rules!) {
      expect(r.resources).not.toContain('secrets');
      expect(r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
    }
  });

  it('is shipped by the chart unchanged', () => {
    expect(fs.readFileSync(path.join(root, 'helm/alert-agent/files/member-cluster-rbac.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(root, 'deploy/member-cluster-rbac.yaml'), 'utf8'));
  });
});

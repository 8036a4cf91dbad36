// Secrets are not readable by design (the operator's RBAC holds no get/list/watch on them): what the
// built-in tools say when asked for one, and how describe_pod names the Secrets a pod needs instead.
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { describeApiError } from '../../src/tools/kubernetes/errors.js';
import { formatPod, secretReferences } from '../../src/tools/kubernetes/read/describePod.js';

const forbidden = (message: string) => new ApiException(403, 'Forbidden', JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message }), {});

describe('a forbidden Secret read', () => {
  it('says Secret contents are not readable by design, where to look instead, and asks for no rule', () => {
    const sa = 'system:serviceaccount:alert-agent:alert-agent';
    const cases = [
      [`secrets "db" is forbidden: User "${sa}" cannot get resource "secrets" in API group "" in the namespace "shop"`, { verb: 'get', resource: 'secrets', name: 'db', namespace: 'shop' }, 'may not get secrets in shop'],
      [`secrets is forbidden: User "${sa}" cannot list resource "secrets" in API group "" at the cluster scope`, { verb: 'list', resource: 'secrets' }, 'may not list secrets in the cluster scope'],
    ] as const;
    for (const [message, target, where] of cases) {
      const text = describeApiError(forbidden(message), target);
      expect(text).toContain(`forbidden: the operator's ServiceAccount ${where} (RBAC).`);
      expect(text).toContain('Secret contents are not readable by design');
      expect(text).toContain('describe_pod');
      expect(text).toContain('secret "NAME" not found');
      expect(text).not.toContain('Needed rule');
    }
  });

  it('other forbidden reads still name the rule that would allow them', () => {
    const text = describeApiError(forbidden('pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "shop"'), { verb: 'list', resource: 'pods', namespace: 'shop' });
    expect(text).toContain('Needed rule: apiGroups [""], resources ["pods"], verbs ["list"]');
    expect(text).not.toContain('not readable by design');
  });
});

describe('describe_pod names the Secrets a pod references, from its spec only', () => {
  const pod: V1Pod = {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      imagePullSecrets: [{ name: 'regcred' }],
      initContainers: [{ name: 'migrate', image: 'app:1', envFrom: [{ secretRef: { name: 'web-db' } }] }],
      containers: [
        { name: 'app', image: 'app:1', env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'web-db', key: 'url' } } }, { name: 'MODE', value: 'prod' }] },
      ],
      volumes: [
        { name: 'certs', secret: { secretName: 'web-tls', optional: true } },
        { name: 'bundle', projected: { sources: [{ secret: { name: 'ca' } }, { configMap: { name: 'cm' } }] } },
        { name: 'cfg', configMap: { name: 'web-config' } },
      ],
    },
    status: { phase: 'Pending' },
  };

  it('lists each Secret once with every use', () => {
    expect(secretReferences(pod)).toEqual([
      { name: 'web-db', uses: ['envFrom of migrate', 'env DATABASE_URL of app'] },
      { name: 'web-tls', uses: ['volume certs (optional)'] },
      { name: 'ca', uses: ['projected volume bundle'] },
      { name: 'regcred', uses: ['imagePullSecret'] },
    ]);
  });

  it('shows them in the description with the by-design note; a pod without any shows no such line', () => {
    const line = formatPod(pod, Date.now()).find((l) => l.startsWith('Secrets referenced:'));
    expect(line).toContain('Secrets referenced: web-db (envFrom of migrate, env DATABASE_URL of app); web-tls (volume certs (optional)); ca (projected volume bundle); regcred (imagePullSecret)');
    expect(line).toContain('Secret contents are not readable by design');
    const plain: V1Pod = { metadata: { name: 'p', namespace: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    expect(formatPod(plain, Date.now()).some((l) => l.startsWith('Secrets referenced'))).toBe(false);
  });
});

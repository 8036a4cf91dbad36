// Formatting, redaction, truncation and error mapping of the built-in Kubernetes tools (no cluster).
import { ApiException, KubeConfig, type V1Container, type V1Deployment, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { z } from 'zod';
import { makeContext } from '../../src/tools/kubernetes/context.js';
import { diffObjects } from '../../src/tools/kubernetes/diff.js';
import { describeApiError, ToolError } from '../../src/tools/kubernetes/errors.js';
import { redact as redactArg, redact as scrubCredentials } from '../../src/redaction/redact.js';
import { age, humanDuration, sanitizeObject, table, tailBytes, toYaml, truncateOutput } from '../../src/tools/kubernetes/format.js';
import { chooseRevision, templateFromReplicaSet } from '../../src/tools/kubernetes/mutate/rollbackDeployment.js';
import { resourcePatch } from '../../src/tools/kubernetes/mutate/setResources.js';
import { envLine, podStatus, probeString } from '../../src/tools/kubernetes/podFormat.js';
import { parseQuantity, validateCpu, validateMemory } from '../../src/tools/kubernetes/quantity.js';
import { formatPod } from '../../src/tools/kubernetes/read/describePod.js';
import { logsUnavailableReason, pickContainer } from '../../src/tools/kubernetes/read/getPodLogs.js';
import { deploymentRollout } from '../../src/tools/kubernetes/read/rolloutStatus.js';
import { BUILTIN_TOOLS, createKubernetesToolServer, runTool, TOOL_DEFS } from '../../src/tools/kubernetes/server.js';
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { summarize } from '../../src/tools/kubernetes/summaries.js';
import { offlineKubeConfig } from '../fixtures/offlineKubeConfig.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function crashPod(over: Partial<V1Pod> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'u1',
      creationTimestamp: ago(600) as unknown as Date,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
      labels: { app: 'web' },
    },
    spec: {
      nodeName: 'node-1',
      containers: [
        {
          name: 'app',
          image: 'shop/web:1.2',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 as unknown as object }, periodSeconds: 5 } as never,
          readinessProbe: { tcpSocket: { port: 'http' as unknown as object } } as never,
          env: [
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'DB_PASSWORD', value: 'hunter2-literal' },
            { name: 'API_TOKEN', value: 'tok-literal-123' },
            { name: 'DB_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } },
          ],
          envFrom: [{ secretRef: { name: 'app-secrets' } }],
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.0.0.5',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' }],
      containerStatuses: [
        {
          name: 'app',
          image: 'shop/web:1.2',
          imageID: '',
          ready: false,
          restartCount: 7,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(30) as unknown as Date } },
        },
      ],
    },
    ...over,
  };
}

describe('truncateOutput', () => {
  it('leaves short text alone', () => {
    expect(truncateOutput('hello', 100)).toBe('hello');
  });
  it('cuts long text to the byte budget with a final marker line', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const out = truncateOutput(text, 1000);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(1000);
    const m = /\n\[output truncated: (\d+) of (\d+) bytes shown\]$/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(Buffer.byteLength(text));
    expect(Number(m![1])).toBe(Buffer.byteLength(out.slice(0, out.lastIndexOf('\n['))));
    expect(text.startsWith(out.slice(0, out.lastIndexOf('\n[')))).toBe(true);
  });
  it('never splits a multi-byte character', () => {
    const text = 'é'.repeat(2000);
    const out = truncateOutput(text, 501);
    expect(out).not.toContain('\uFFFD');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(501);
  });
  it('tailBytes keeps the end', () => {
    const text = Array.from({ length: 100 }, (_, i) => `log ${i}`).join('\n');
    const t = tailBytes(text, 50);
    expect(t.cut).toBe(true);
    expect(t.text.endsWith('log 99')).toBe(true);
    expect(Buffer.byteLength(t.text)).toBeLessThanOrEqual(50);
  });
});

describe('redaction', () => {
  it('a Secret shows type and key names, never values', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: 'db',
        namespace: 'shop',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"czNjcjN0"}}' },
      },
      data: { password: Buffer.from('s3cr3t-value').toString('base64'), user: Buffer.from('admin').toString('base64') },
      stringData: { extra: 'plain-secret' },
    };
    const text = toYaml(sanitizeObject(secret));
    expect(text).toContain('password');
    expect(text).toContain('user');
    expect(text).toContain('extra');
    expect(text).not.toContain(secret.data.password);
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('plain-secret');
    expect(text).not.toContain('czNjcjN0');
    expect(text).not.toContain('managedFields');
    const { rows } = summarize('Secret', [secret], NOW, false);
    expect(rows[0].join(' ')).toContain('password,user');
    expect(rows[0].join(' ')).not.toContain(secret.data.password);
  });
  it('env values with sensitive names are redacted; secret refs are references', () => {
    const c = crashPod().spec!.containers[0];
    const lines = c.env!.map(envLine);
    expect(lines).toEqual([
      'LOG_LEVEL: debug',
      'DB_PASSWORD: [redacted]',
      'API_TOKEN: [redacted]',
      'DB_URL: <from secret db key url>',
    ]);
    const yaml = toYaml(sanitizeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: [c] } } } }));
    expect(yaml).toContain('LOG_LEVEL');
    expect(yaml).toContain('debug');
    expect(yaml).not.toContain('hunter2-literal');
    expect(yaml).not.toContain('tok-literal-123');
  });
  it('sensitive ConfigMap keys and secret-looking arguments are masked, long values clipped', () => {
    const cm = sanitizeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'app.yaml': 'x'.repeat(5000), db_password: 'pw' } });
    expect((cm.data as Record<string, string>).db_password).toBe('[redacted]');
    expect((cm.data as Record<string, string>)['app.yaml'].length).toBeLessThan(2100);
    expect(redactArg('--db-password=abc')).toBe('--db-password=[redacted]');
    expect(redactArg('--port=80')).toBe('--port=80');
  });
  it('bearer tokens and JWTs are scrubbed from free text', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLXZhbHVl';
    const out = scrubCredentials(`Authorization: Bearer abcdefghijklmnop and ${jwt}`);
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).not.toContain(jwt);
  });
});

describe('text helpers', () => {
  it('ages like kubectl', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(4.5 * 60_000)).toBe('4m30s');
    expect(humanDuration(3 * 3600_000)).toBe('3h');
    expect(humanDuration(50 * 3600_000)).toBe('2d2h');
    expect(age(ago(90), NOW)).toBe('90s');
    expect(age(undefined, NOW)).toBe('<unknown>');
  });
  it('tables align columns', () => {
    const t = table(['NAME', 'STATUS'], [['a', 'Running'], ['longer-name', 'Pending']]);
    expect(t.split('\n')[0]).toBe('NAME         STATUS');
    expect(t.split('\n')[2]).toBe('longer-name  Pending');
  });
  it('YAML output is readable, without undefined, and reads back to the same value (the yaml package both ways)', () => {
    const value = { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { list: [{ name: 'c', args: ['--a', 'true'] }], empty: [], text: 'line1\nline2', long: 'word '.repeat(60).trim() }, gone: undefined };
    const y = toYaml(value);
    expect(y).toContain('metadata:\n  name: a\n  labels:\n    app.kubernetes.io/name: x');
    expect(y).toContain('  list:\n  - name: c\n    args:\n    - --a\n    - "true"');
    expect(y).toContain('text: |-\n    line1\n    line2');
    expect(y).not.toContain('gone');
    expect(y.split('\n').find((l) => l.includes('long:'))).toBe(`  long: ${'word '.repeat(60).trim()}`); // never folded
    const { gone: _gone, ...rest } = value;
    expect(parseYaml(y)).toEqual(rest);
    const scalars = { a: '8080', b: 8080, c: '- x', d: 'yes', e: 'true', f: '', g: 'a: b', h: '[redacted]' };
    expect(toYaml(scalars)).toBe('a: "8080"\nb: 8080\nc: "- x"\nd: yes\ne: "true"\nf: ""\ng: "a: b"\nh: "[redacted]"');
    expect(parseYaml(toYaml(scalars))).toEqual(scalars);
  });
  it('the hand-written YAML emitter is gone: toYaml is the yaml package', () => {
    const src = fs.readFileSync(new URL('../../src/tools/kubernetes/format.ts', import.meta.url), 'utf8');
    expect(src).toMatch(/from 'yaml'/);
    expect(src).not.toMatch(/function yaml(String|Key|Scalar|Lines)\b/);
  });
});

describe('pod formatting', () => {
  it('computes the kubectl STATUS column', () => {
    expect(podStatus(crashPod())).toBe('CrashLoopBackOff');
    const pulling = crashPod();
    pulling.status!.containerStatuses![0].state = { waiting: { reason: 'ImagePullBackOff' } };
    expect(podStatus(pulling)).toBe('ImagePullBackOff');
    const oom = crashPod();
    oom.status!.containerStatuses![0].state = { terminated: { exitCode: 137, reason: 'OOMKilled' } };
    expect(podStatus(oom)).toBe('OOMKilled');
    const deleting = crashPod();
    deleting.metadata!.deletionTimestamp = ago(1) as unknown as Date;
    expect(podStatus(deleting)).toBe('Terminating');
  });
  it('describes states, last termination, resources, probes, env and owner', () => {
    const text = formatPod(crashPod(), NOW).join('\n');
    expect(text).toContain('Status: CrashLoopBackOff');
    expect(text).toContain('Restarts: 7');
    expect(text).toContain('State: Waiting: CrashLoopBackOff — back-off 5m0s restarting failed container');
    expect(text).toContain('Last state: Terminated: OOMKilled, exit code 137, finished 30s ago');
    expect(text).toContain('Resources: requests: cpu=100m, memory=128Mi; limits: memory=256Mi');
    expect(text).toContain('Liveness: http-get /healthz port 8080');
    expect(text).toContain('Readiness: tcp-socket port http');
    expect(text).toContain('DB_URL: <from secret db key url>');
    expect(text).toContain('Env from: all keys of secret app-secrets');
    expect(text).toContain('Controlled by: ReplicaSet/web-abc (controller)');
    expect(text).toContain('Ready=False — ContainersNotReady');
    expect(text).not.toContain('hunter2-literal');
  });
  it('probe text carries the parameters', () => {
    expect(probeString({ exec: { command: ['cat', '/tmp/ok'] }, failureThreshold: 5 })).toBe('exec [cat /tmp/ok] delay=0s timeout=1s period=10s success=1 failure=5');
  });
  it('list rows for pods show ready, status, restarts and last termination', () => {
    const { headers, rows } = summarize('Pod', [crashPod() as unknown as Record<string, unknown>], NOW, true);
    expect(headers).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'NODE', 'AGE', 'LAST-TERMINATION']);
    expect(rows[0]).toEqual(['shop', 'web-1', '0/1', 'CrashLoopBackOff', '7', 'node-1', '10m', 'app: OOMKilled (exit 137)']);
  });
});

describe('logs preconditions', () => {
  it('refuses previous logs of a container that never restarted', () => {
    const pod = crashPod();
    pod.status!.containerStatuses![0] = { name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } };
    expect(logsUnavailableReason(pod, 'app', true)).toMatch(/^no previous container: container app in pod web-1 has not restarted/);
    expect(logsUnavailableReason(pod, 'app', false)).toBeUndefined();
    expect(logsUnavailableReason(crashPod(), 'app', true)).toBeUndefined();
  });
  it('explains a container that has not started', () => {
    const pod = crashPod();
    pod.status!.containerStatuses![0] = { name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } };
    expect(logsUnavailableReason(pod, 'app', false)).toContain('has not started yet (waiting: ImagePullBackOff');
  });
  it('picks a container or says which exist', () => {
    expect(pickContainer(crashPod(), undefined)).toEqual({ name: 'app' });
    expect(() => pickContainer(crashPod(), 'nope')).toThrow('not found: container nope in pod web-1 (containers: app)');
  });
});

describe('quantities and set_resources patch', () => {
  it('parses quantities', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('abc')).toBeUndefined();
  });
  it('validates cpu and memory separately', () => {
    expect(validateCpu('250m', 'limits.cpu')).toBeUndefined();
    expect(validateCpu('1.5', 'limits.cpu')).toBeUndefined();
    expect(validateCpu('1Gi', 'limits.cpu')).toContain('not a CPU quantity');
    expect(validateMemory('512Mi', 'limits.memory')).toBeUndefined();
    expect(validateMemory('512m', 'limits.memory')).toContain('milli-bytes');
    expect(validateMemory('-1Gi', 'limits.memory')).toContain('not a memory quantity');
  });
  it('builds a JSON patch on the container by index and reports before → after', () => {
    const c: V1Container = { name: 'app', resources: { requests: { cpu: '100m' }, limits: { memory: '128Mi' } } };
    const { ops, changes } = resourcePatch(c, 1, { memory: '128Mi' }, { memory: '256Mi', cpu: '1' });
    expect(ops[0]).toEqual({ op: 'test', path: '/spec/template/spec/containers/1/name', value: 'app' });
    expect(ops).toContainEqual({ op: 'add', path: '/spec/template/spec/containers/1/resources/limits/memory', value: '256Mi' });
    expect(changes).toEqual(['requests.memory: <unset> → 128Mi', 'limits.cpu: <unset> → 1', 'limits.memory: 128Mi → 256Mi']);
    const bare = resourcePatch({ name: 'x' }, 0, undefined, { memory: '1Gi' });
    expect(bare.ops.map((o) => o.path)).toEqual([
      '/spec/template/spec/containers/0/name',
      '/spec/template/spec/containers/0/resources',
      '/spec/template/spec/containers/0/resources/limits',
      '/spec/template/spec/containers/0/resources/limits/memory',
    ]);
  });
  it('rejects bad quantities, empty changes and request > limit', () => {
    const c: V1Container = { name: 'app', resources: { limits: { memory: '128Mi' } } };
    expect(() => resourcePatch(c, 0, undefined, { memory: 'lots' })).toThrow(/^invalid argument: limits.memory "lots"/);
    expect(() => resourcePatch(c, 0, {}, {})).toThrow(/^invalid argument: give at least one/);
    expect(() => resourcePatch(c, 0, { memory: '1Gi' }, undefined)).toThrow(/memory request 1Gi .* would exceed its limit 128Mi/);
  });
});

describe('error messages', () => {
  const status = (code: number, message: string, reason: string) => new ApiException(code, 'x', JSON.stringify({ kind: 'Status', code, message, reason }), {});
  it('404 names the object', () => {
    expect(describeApiError(status(404, 'pods "foo" not found', 'NotFound'), { verb: 'get', resource: 'pods', name: 'foo', namespace: 'bar' })).toBe('not found: pod foo in namespace bar');
    expect(describeApiError(status(404, 'x', 'NotFound'), { verb: 'get', resource: 'nodes', name: 'n1' })).toBe('not found: node n1');
  });
  it('403 says which RBAC rule is missing, from the API server message', () => {
    const err = status(403, 'deployments.apps "web" is forbidden: User "system:serviceaccount:a:b" cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"', 'Forbidden');
    expect(describeApiError(err, { verb: 'patch', resource: 'deployments/scale', group: 'apps', name: 'web', namespace: 'shop' })).toBe(
      'forbidden: the operator\'s ServiceAccount may not patch deployments/scale in shop (RBAC). Needed rule: apiGroups ["apps"], resources ["deployments/scale"], verbs ["patch"].',
    );
    const nodes = status(403, 'nodes is forbidden: User "x" cannot list resource "nodes" in API group "" at the cluster scope', 'Forbidden');
    expect(describeApiError(nodes, { verb: 'list', resource: 'nodes' })).toMatch(/^forbidden: the operator's ServiceAccount may not list nodes in the cluster scope \(RBAC\)/);
  });
  it('401, 422, unknown kinds and unreachable servers', () => {
    expect(describeApiError(new ApiException(401, 'Unauthorized', undefined, {}), { verb: 'get', resource: 'pods' })).toMatch(/^unauthorized:/);
    expect(describeApiError(status(422, 'Deployment.apps "w" is invalid: spec.replicas: Invalid value: -1', 'Invalid'), { verb: 'patch', resource: 'deployments' })).toMatch(/^invalid argument: Deployment.apps "w" is invalid/);
    expect(describeApiError(new Error('Unrecognized API version and kind: v1 Deploymnt'), { verb: 'get', resource: 'x' })).toMatch(/^invalid argument: kind Deploymnt is not served under apiVersion v1/);
    const net = Object.assign(new Error('request to https://10.0.0.1/api failed, reason: connect ECONNREFUSED'), { name: 'FetchError', code: 'ECONNREFUSED' });
    expect(describeApiError(net, { verb: 'get', resource: 'pods' })).toMatch(/^cannot reach the Kubernetes API server/);
  });
});

describe('rollout logic', () => {
  const deploy = (over: Record<string, unknown>): V1Deployment =>
    ({ metadata: { name: 'web', generation: 2 }, spec: { replicas: 3, selector: {}, template: {} }, status: { observedGeneration: 2, ...over } }) as V1Deployment;
  it('tells complete, progressing and failed rollouts apart', () => {
    expect(deploymentRollout(deploy({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 })).state).toBe('complete');
    expect(deploymentRollout(deploy({ updatedReplicas: 1, replicas: 3 })).message).toBe('1 out of 3 new replicas have been updated');
    const failed = deploymentRollout(deploy({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-2" has timed out progressing.' }] }));
    expect(failed.state).toBe('failed');
    expect(failed.message).toContain('exceeded its progress deadline');
  });
  it('picks the previous revision and strips pod-template-hash', () => {
    const rs = (rev: number, image: string): V1ReplicaSet => ({
      metadata: { name: `web-${rev}`, annotations: { 'deployment.kubernetes.io/revision': String(rev) } },
      spec: { selector: {}, template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${rev}` } }, spec: { containers: [{ name: 'app', image }] } } },
    });
    const list = [rs(3, 'web:3'), rs(2, 'web:2'), rs(1, 'web:1')];
    expect(chooseRevision(list, 3, undefined).metadata!.name).toBe('web-2');
    expect(chooseRevision(list, 3, 1).metadata!.name).toBe('web-1');
    expect(() => chooseRevision(list, 3, 7)).toThrow('not found: revision 7 (available revisions: 3, 2, 1)');
    expect(() => chooseRevision([rs(1, 'a')], 1, undefined)).toThrow(/^no previous revision/);
    expect(templateFromReplicaSet(list[1]).metadata!.labels).toEqual({ app: 'web' });
  });
  it('diffs pod templates by container name', () => {
    const a = { spec: { containers: [{ name: 'app', image: 'web:2', env: [{ name: 'DB_PASSWORD', value: 'old-pw' }] }, { name: 'side', image: 's:1' }] } };
    const b = { spec: { containers: [{ name: 'side', image: 's:1' }, { name: 'app', image: 'web:1', env: [{ name: 'DB_PASSWORD', value: 'new-pw' }] }] } };
    const d = diffObjects(a, b);
    expect(d).toContain('spec.containers[app].image: web:2 → web:1');
    expect(d.join('\n')).not.toMatch(/old-pw|new-pw/);
    const whole = diffObjects({ spec: { containers: [{ name: 'app', env: [{ name: 'DB_PASSWORD', value: 'pw1' }, { name: 'MODE', value: 'fast' }] }] } }, { spec: { containers: [{ name: 'app' }] } });
    expect(whole.join('\n')).toContain('MODE');
    expect(whole.join('\n')).toContain('fast');
    expect(whole.join('\n')).not.toContain('pw1');
    const added = diffObjects({ spec: { containers: [] } }, { spec: { containers: [{ name: 'new', env: [{ name: 'API_KEY', value: 'k-123' }] }] } });
    expect(added.join('\n')).not.toContain('k-123');
  });
});

describe('server', () => {
  async function connect(kc: KubeConfig, opts?: { maxOutputBytes?: number }) {
    const server = createKubernetesToolServer(kc, opts);
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test', version: '1' });
    await Promise.all([server.connect(a), client.connect(b)]);
    return { client, close: () => Promise.all([client.close(), server.close()]) };
  }

  it('publishes exactly the built-in tools, with classes matching annotations and described arguments', async () => {
    const { client, close } = await connect(offlineKubeConfig('t'));
    try {
      const { tools } = await client.listTools();
      // query_prometheus is offered only with a Prometheus configured (PROMETHEUS_URL).
      expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(BUILTIN_TOOLS).filter((n) => n !== 'query_prometheus').sort());
      for (const t of tools) {
        const read = BUILTIN_TOOLS[t.name] === 'read';
        expect(t.annotations?.readOnlyHint).toBe(read);
        if (read) expect(t.annotations?.destructiveHint).toBe(false);
        expect(t.description!.length).toBeGreaterThan(20);
        for (const [prop, schema] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, { description?: string }>)) {
          expect([t.name, prop, typeof schema.description]).toEqual([t.name, prop, 'string']);
        }
      }
      const logs = tools.find((t) => t.name === 'get_pod_logs')!;
      expect(logs.inputSchema.required).toEqual(expect.arrayContaining(['name', 'namespace']));
    } finally {
      await close();
    }
  });

  it('answers bad arguments and an unreachable API server with isError results, without the token', async () => {
    const token = 'very-secret-bearer-token-value';
    const { client, close } = await connect(offlineKubeConfig(token));
    try {
      const bad = await client.callTool({ name: 'scale', arguments: { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 5000 } });
      expect(bad.isError).toBe(true);
      const down = await client.callTool({ name: 'describe_pod', arguments: { name: 'web', namespace: 'shop' } });
      expect(down.isError).toBe(true);
      const text = (down.content as Array<{ text: string }>)[0].text;
      expect(text).toMatch(/^cannot reach the Kubernetes API server/);
      expect(JSON.stringify([bad, down])).not.toContain(token);
    } finally {
      await close();
    }
  });

  it('runTool bounds output and data and never throws', async () => {
    const ctx = makeContext(offlineKubeConfig('t'));
    const args = { kind: 'ConfigMap', name: 'x', namespace: 'y' };
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(40)])) };
    const big = { ...TOOL_DEFS[0], run: async () => ({ text: 'x'.repeat(10000), data: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', object } }) };
    const res = await runTool(big, args, ctx, { maxOutputBytes: 1000, maxDataBytes: 600 });
    const text = (res.content[0] as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    expect(text).toMatch(/\[output truncated: \d+ of 10000 bytes shown\]$/);
    expect(res.structuredContent).toMatchObject({ kind: 'ConfigMap', name: 'x', truncated: true });
    const failing = { ...TOOL_DEFS[0], run: async () => { throw new ToolError('not found: pod x in namespace y'); } };
    expect(await runTool(failing, args, ctx, 1000)).toEqual({ content: [{ type: 'text', text: 'not found: pod x in namespace y' }], isError: true });
    const weird = { ...TOOL_DEFS[0], run: async () => { throw new TypeError('boom'); } };
    expect((await runTool(weird, args, ctx, 1000)).isError).toBe(true);
    // Data that contradicts the published schema is our bug: said so, not sent.
    const wrong = { ...TOOL_DEFS[0], run: async () => ({ text: 'ok', data: { kind: 5 } }) };
    const w = await runTool(wrong, args, ctx, 1000);
    expect(w.isError).toBe(true);
    expect((w.content[0] as { text: string }).text).toMatch(/^internal error: the structured result of get_resource does not match its output schema/);
  });

  it('publishes an outputSchema per tool and answers with structuredContent that matches it', async () => {
    const { client, close } = await connect(offlineKubeConfig('t'));
    try {
      const { tools } = await client.listTools();
      for (const t of tools) {
        expect([t.name, t.outputSchema?.type]).toEqual([t.name, 'object']);
        expect([t.name, Object.keys(t.outputSchema?.properties ?? {}).length > 2]).toEqual([t.name, true]);
      }
    } finally {
      await close();
    }
  });

  it('every tool schema is a zod shape with descriptions', () => {
    for (const def of TOOL_DEFS) {
      for (const [k, s] of Object.entries(def.inputSchema)) {
        expect([def.name, k, (s as z.ZodTypeAny).description !== undefined]).toEqual([def.name, k, true]);
      }
    }
  });
});

// The web view in the chart: on behind the Service's port "web", its settings in the ConfigMap (names of
// src/config.ts), a NetworkPolicy for its port, and the review rights (TokenReview, SubjectAccessReview)
// in the operator's ClusterRole, with nothing added on Secrets; web.enabled=false removes all of it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary } from '../bed/shared.js';
import { kubectl } from './harness.js';

const CHART = path.join(PROJECT_ROOT, 'helm', 'alert-agent');
const helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'webchart-helm-'));
type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

async function render(...set: string[]): Promise<Obj[]> {
  const r = await runBedBinary('helm', ['template', 't', CHART, '--namespace', 'web-chart', ...set.flatMap((s) => ['--set', s])], {
    env: { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome },
  });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout
    .split(/^---\s*$/m)
    .filter((doc) => doc.split('\n').some((l) => l.trim() && !l.trim().startsWith('#')))
    .map((doc) => parse(doc) as Obj);
}
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

it('on by default: Service port "web", container port, WEB_* settings that load, a NetworkPolicy for the port', async () => {
  const objs = await render();
  const svc = find(objs, 'Service', 't-alert-agent')!;
  expect(svc.spec.ports).toContainEqual({ name: 'web', port: 8080, targetPort: 'web' });
  const dep = find(objs, 'Deployment', 't-alert-agent')!;
  expect(dep.spec.template.spec.containers[0].ports).toContainEqual({ name: 'web', containerPort: 8080 });
  const data: Record<string, string> = find(objs, 'ConfigMap', 't-alert-agent-config')!.data;
  const web = Object.keys(data).filter((k) => k.startsWith('WEB_'));
  expect(web.sort()).toEqual([
    'WEB_AUTH',
    'WEB_ENABLED',
    'WEB_INSECURE_COOKIE',
    'WEB_MAX_SESSIONS',
    'WEB_PORT',
    'WEB_PROXY_GROUPS_HEADER',
    'WEB_PROXY_SECRET_HEADER',
    'WEB_PROXY_USER_HEADER',
    'WEB_PUBLIC_URL',
    'WEB_SESSION_REVIEW_INTERVAL',
    'WEB_SESSION_TTL',
    'WEB_STREAMS_MAX',
    'WEB_STREAMS_PER_USER',
    'WEB_STREAM_MAX_BUFFER_BYTES',
  ]);
  for (const k of web) expect(Object.keys(ConfigSchema.shape)).toContain(k);
  expect(loadConfig({ ...data, NAMESPACE: 'x' })).toMatchObject({
    WEB_ENABLED: true,
    WEB_PORT: 8080,
    WEB_AUTH: 'token',
    WEB_INSECURE_COOKIE: false,
    WEB_SESSION_TTL: 8 * 3600e3,
    WEB_STREAMS_PER_USER: 8,
    WEB_STREAMS_MAX: 200,
    WEB_STREAM_MAX_BUFFER_BYTES: 1024 * 1024,
  });
  const np = find(objs, 'NetworkPolicy', 't-alert-agent-web')!;
  expect(np.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  // The main NetworkPolicy is unchanged: the web port is not in it.
  expect(JSON.stringify(find(objs, 'NetworkPolicy', 't-alert-agent')!.spec.ingress)).not.toContain('8080');
});

it('the ClusterRole may create TokenReviews and SubjectAccessReviews, and still nothing on Secrets; off without the web view', async () => {
  const rules = (objs: Obj[]) => find(objs, 'ClusterRole', 't-alert-agent')!.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
  const on = rules(await render());
  expect(on).toContainEqual({ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] });
  expect(on).toContainEqual({ apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] });
  expect(on.filter((r) => r.resources.includes('secrets') || r.resources.includes('*'))).toEqual([]);
  const offObjs = await render('web.enabled=false');
  const off = rules(offObjs);
  expect(off.filter((r) => r.apiGroups.some((g) => g.startsWith('authentication') || g.startsWith('authorization')))).toEqual([]);
  expect(find(offObjs, 'NetworkPolicy', 't-alert-agent-web')).toBeUndefined();
  expect(find(offObjs, 'Service', 't-alert-agent')!.spec.ports.map((p: { name: string }) => p.name)).not.toContain('web');
  // deploy/: the web view is off, the ClusterRole already holds the review rights.
  const kustomized = (await kubectl(['kustomize', path.join(PROJECT_ROOT, 'deploy')])).stdout;
  expect(kustomized).toContain('tokenreviews');
  expect(kustomized).not.toContain('WEB_ENABLED');
});

const PROXY_FROM = 'networkPolicy.web.from[0].podSelector.matchLabels.app=oauth2-proxy';
const PROXY_SECRET = 'web.proxySecret.existingSecret=oauth2-proxy-shared';

it('proxy mode: the NetworkPolicy admits only the named proxy to the web port', async () => {
  const objs = await render('web.auth=proxy', PROXY_FROM, PROXY_SECRET);
  expect(find(objs, 'NetworkPolicy', 't-alert-agent-web')!.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { app: 'oauth2-proxy' } } }]);
  expect(find(objs, 'ConfigMap', 't-alert-agent-config')!.data.WEB_AUTH).toBe('proxy');
});

it('proxy mode: refuses to render without the proxy secret or without networkPolicy.web.from; the secret comes from a Secret', async () => {
  await expect(render('web.auth=proxy', PROXY_FROM)).rejects.toThrow(/web\.proxySecret\.existingSecret/);
  await expect(render('web.auth=proxy', PROXY_SECRET)).rejects.toThrow(/networkPolicy\.web\.from/);
  await expect(render('web.auth=proxy', PROXY_SECRET, PROXY_FROM, 'networkPolicy.enabled=false')).rejects.toThrow(/networkPolicy\.enabled/);
  const objs = await render('web.auth=proxy', PROXY_SECRET, PROXY_FROM, 'web.proxySecret.key=shared');
  const env = find(objs, 'Deployment', 't-alert-agent')!.spec.template.spec.containers[0].env as Array<{ name: string; valueFrom?: unknown }>;
  expect(env.find((e) => e.name === 'WEB_PROXY_SECRET')).toEqual({ name: 'WEB_PROXY_SECRET', valueFrom: { secretKeyRef: { name: 'oauth2-proxy-shared', key: 'shared' } } });
  const data: Record<string, string> = find(objs, 'ConfigMap', 't-alert-agent-config')!.data;
  expect(data.WEB_PROXY_SECRET).toBeUndefined(); // never in the ConfigMap
  expect(data.WEB_PROXY_SECRET_HEADER).toBe('X-Alert-Agent-Proxy-Secret');
  expect(() => loadConfig({ ...data, NAMESPACE: 'x' })).toThrow(/WEB_PROXY_SECRET/);
  expect(loadConfig({ ...data, NAMESPACE: 'x', WEB_PROXY_SECRET: 'a-secret-of-32-characters-000000' })).toMatchObject({ WEB_AUTH: 'proxy' });
  // Token mode needs neither, and mounts no proxy secret.
  const token = find(await render(), 'Deployment', 't-alert-agent')!.spec.template.spec.containers[0].env as Array<{ name: string }>;
  expect(token.map((e) => e.name)).not.toContain('WEB_PROXY_SECRET');
});

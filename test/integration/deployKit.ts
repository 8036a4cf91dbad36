// What the deployment suites share (deploy.test.ts, deployRbac.test.ts): the chart rendered with helm, the
// manifests parsed and dry-run applied, `kubectl auth can-i` as a ServiceAccount.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiException, CoreV1Api, loadYaml, type V1Deployment } from '@kubernetes/client-node';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { runBedBinary } from '../bed/shared.js';
import { applyCrd, kubeConfig, kubectl } from './harness.js';

export const CHART = path.join(PROJECT_ROOT, 'helm', 'alert-agent');
export const CRD = path.join(PROJECT_ROOT, 'crds', 'alertagent.io_alertincidents.yaml');
export const CHART_CRD = path.join(CHART, 'crds', 'alertagent.io_alertincidents.yaml');
export const NS = 'alert-agent';

export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

export const helm = (args: string[]) => runBedBinary('helm', args, { env: { HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome } });

export async function template(...set: string[]): Promise<string> {
  const r = await helm(['template', 't', CHART, '--namespace', NS, '--include-crds', ...set.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm template ${set.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** helm template with a values file (for keys --set cannot spell). */
export async function templateValues(values: object): Promise<string> {
  const file = path.join(helmHome, `values-${Date.now().toString(36)}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  const r = await helm(['template', 't', CHART, '--namespace', NS, '-f', file]);
  if (r.code !== 0) throw new Error(`helm template -f ${JSON.stringify(values)}: ${r.stderr}`);
  return r.stdout;
}

/** NOTES.txt as `helm install` prints it (client-side dry run; release "notes": "t" is applied by kubectl here). */
export async function notes(...set: string[]): Promise<string> {
  const r = await helm(['install', 'notes', CHART, '--namespace', NS, '--dry-run=client', '--skip-crds', ...set.flatMap((s) => ['--set', s])]);
  if (r.code !== 0) throw new Error(`helm install --dry-run: ${r.stderr}`);
  return r.stdout.slice(r.stdout.indexOf('NOTES:'));
}

export const saUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

/** `kubectl auth can-i` as admin impersonating `user`: "yes" or "no". Namespace "*" = all namespaces; none = cluster scope. */
export async function canI(user: string, verb: string, resource: string, namespace?: string): Promise<'yes' | 'no'> {
  const where = namespace === undefined ? [] : namespace === '*' ? ['--all-namespaces'] : ['--namespace', namespace];
  const r = await kubectl(['auth', 'can-i', verb, resource, `--as=${user}`, ...where]);
  const answer = r.stdout.trim().split(/\s+/)[0];
  if (answer !== 'yes' && answer !== 'no') throw new Error(`kubectl auth can-i ${verb} ${resource}: ${r.stdout}${r.stderr}`);
  return answer;
}

/** Does a LabelSelector select these labels? */
export function selects(sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key]) :
      e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key]) :
      e.operator === 'Exists' ? has :
      !has;
    if (!ok) return false;
  }
  return true;
}

/** YAML stream → objects (documents with only comments dropped). */
export function parse(stream: string): Obj[] {
  return stream
    .split(/^---\s*$/m)
    .filter((doc) => doc.split('\n').some((l) => l.trim() && !l.trim().startsWith('#')))
    .map((doc) => loadYaml(doc) as Obj);
}

export const names = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind).map((o) => o.metadata.name);

export async function dryRunApply(manifests: string): Promise<string> {
  const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], manifests);
  if (r.code !== 0) throw new Error(`kubectl apply --dry-run=server: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** A CRD that accepts any spec: enough for the kinds the chart renders optionally to be served. */
export function minimalCrd(group: string, version: string, kind: string, plural: string): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, listKind: `${kind}List`, singular: kind.toLowerCase() },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
}

/** Every env name the container gets (env + envFrom ConfigMap keys) must be a setting of src/config.ts. */
export function envNames(objs: Obj[]): { names: string[]; configData: Record<string, string> } {
  const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
  const c = dep.spec!.template.spec!.containers[0];
  const cmName = c.envFrom?.[0]?.configMapRef?.name;
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cmName);
  expect(cm).toBeDefined();
  const configData = cm!.data as Record<string, string>;
  return { names: [...(c.env ?? []).map((e) => e.name), ...Object.keys(configData)], configData };
}
// Environment for the runtime itself, not settings of src/config.ts: NODE_OPTIONS caps the heap below the memory limit.
export const NOT_CONFIG = new Set(['HOME', 'NODE_OPTIONS']);

let helmHome: string;

/** The suites' set-up: a helm home of their own, the CRD, the release namespace, the optional kinds the chart renders. */
export function useDeployBed(): void {
  beforeAll(async () => {
    helmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-helm-'));
    await applyCrd();
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: NS } } })
      .catch((e) => {
        if (!(e instanceof ApiException && e.code === 409)) throw e;
      });
    // the prometheus-operator kinds the chart can render
    for (const [plural, version, kind] of [
      ['servicemonitors', 'v1', 'ServiceMonitor'],
      ['alertmanagerconfigs', 'v1alpha1', 'AlertmanagerConfig'],
    ]) {
      if ((await kubectl(['get', 'crd', `${plural}.monitoring.coreos.com`])).code === 0) continue; // e.g. the real ones
      const r = await kubectl(['create', '-f', '-'], minimalCrd('monitoring.coreos.com', version, kind, plural));
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const w = await kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/alertmanagerconfigs.monitoring.coreos.com']);
    if (w.code !== 0) throw new Error(w.stderr);
  });

  afterAll(() => {
    if (helmHome) fs.rmSync(helmHome, { recursive: true, force: true });
  });
}

// Tolerant tools: kinds as kubectl spells them, argument names and values as a weaker model sends them,
// unknown arguments noted, and every error saying what to send instead. No cluster: the tools' own
// argument handling (args.ts, kinds.ts) and runTool with a stub context.
import { KubeConfig } from '@kubernetes/client-node';
import { prepareArgs, usage } from '../../src/tools/kubernetes/args.js';
import { makeContext, type ToolDef } from '../../src/tools/kubernetes/context.js';
import { fitData } from '../../src/tools/kubernetes/format.js';
import { KNOWN_KINDS, lookupKind, resolveKind, resolveWorkloadKind, suggestKind } from '../../src/tools/kubernetes/kinds.js';
import { runTool, TOOL_DEFS } from '../../src/tools/kubernetes/server.js';

const tool = (name: string): ToolDef => TOOL_DEFS.find((d) => d.name === name)!;
const prepared = (name: string, raw: unknown) => {
  const r = prepareArgs(tool(name), raw);
  if ('error' in r) throw new Error(`expected usable arguments, got: ${r.error}`);
  return r;
};
const refused = (name: string, raw: unknown) => {
  const r = prepareArgs(tool(name), raw);
  if (!('error' in r)) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('kinds as kubectl accepts them', () => {
  it.each([
    ['po', 'Pod', 'v1'],
    ['pods', 'Pod', 'v1'],
    ['Pod', 'Pod', 'v1'],
    ['POD', 'Pod', 'v1'],
    ['deploy', 'Deployment', 'apps/v1'],
    ['deployment', 'Deployment', 'apps/v1'],
    ['deployments', 'Deployment', 'apps/v1'],
    ['deployments.apps', 'Deployment', 'apps/v1'],
    ['sts', 'StatefulSet', 'apps/v1'],
    ['statefulsets', 'StatefulSet', 'apps/v1'],
    ['ds', 'DaemonSet', 'apps/v1'],
    ['rs', 'ReplicaSet', 'apps/v1'],
    ['no', 'Node', 'v1'],
    ['node', 'Node', 'v1'],
    ['nodes', 'Node', 'v1'],
    ['svc', 'Service', 'v1'],
    ['pvc', 'PersistentVolumeClaim', 'v1'],
    ['persistentvolumeclaim', 'PersistentVolumeClaim', 'v1'],
    ['pv', 'PersistentVolume', 'v1'],
    ['cm', 'ConfigMap', 'v1'],
    ['ns', 'Namespace', 'v1'],
    ['ing', 'Ingress', 'networking.k8s.io/v1'],
    ['hpa', 'HorizontalPodAutoscaler', 'autoscaling/v2'],
    ['cj', 'CronJob', 'batch/v1'],
    ['job', 'Job', 'batch/v1'],
    ['jobs', 'Job', 'batch/v1'],
    ['ep', 'Endpoints', 'v1'],
    ['endpoints', 'Endpoints', 'v1'],
    ['sa', 'ServiceAccount', 'v1'],
    ['netpol', 'NetworkPolicy', 'networking.k8s.io/v1'],
    ['pdb', 'PodDisruptionBudget', 'policy/v1'],
    ['sc', 'StorageClass', 'storage.k8s.io/v1'],
    ['limits', 'LimitRange', 'v1'],
    ['quota', 'ResourceQuota', 'v1'],
    ['ev', 'Event', 'v1'],
  ])('%s → %s (%s)', (input, kind, apiVersion) => {
    expect(lookupKind(input)?.kind).toBe(kind);
    const r = resolveKind(input, undefined);
    expect(r).toMatchObject({ kind, apiVersion });
  });

  it('every known kind resolves from its Kind, plural and short names', () => {
    for (const k of KNOWN_KINDS) for (const name of [k.kind, k.kind.toLowerCase(), k.plural, ...k.short]) expect([name, lookupKind(name)?.kind]).toEqual([name, k.kind]);
  });

  it('keeps a served apiVersion, replaces one that cannot serve a built-in kind, trusts a custom group', () => {
    expect(resolveKind('hpa', 'autoscaling/v1')).toMatchObject({ kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1', notes: ['kind "hpa" read as HorizontalPodAutoscaler'] });
    expect(resolveKind('deploy', 'v1')).toMatchObject({ kind: 'Deployment', apiVersion: 'apps/v1', notes: ['kind "deploy" read as Deployment', 'apiVersion v1 does not serve Deployment; used apps/v1'] });
    expect(resolveKind('Event', 'events.k8s.io/v1')).toMatchObject({ kind: 'Event', apiVersion: 'events.k8s.io/v1', notes: [] });
    // Knative's Service is not core's Service: a custom group is the caller's word.
    expect(resolveKind('Service', 'serving.knative.dev/v1')).toMatchObject({ kind: 'Service', apiVersion: 'serving.knative.dev/v1', notes: [] });
    expect(resolveKind('certificate', 'cert-manager.io/v1')).toMatchObject({ kind: 'Certificate', apiVersion: 'cert-manager.io/v1', notes: ['kind "certificate" read as Certificate'] });
  });

  it('an unknown kind without apiVersion is answered with the known kinds and how to name a CRD', () => {
    const r = resolveKind('Frobnicator', undefined);
    expect('error' in r && r.error).toMatch(/^unknown kind "Frobnicator": without apiVersion, kind must be one of the built-in kinds/);
    if (!('error' in r)) return;
    for (const k of ['Pod (po)', 'Deployment (deploy)', 'Node (no)', 'PersistentVolumeClaim (pvc)', 'HorizontalPodAutoscaler (hpa)']) expect(r.error).toContain(k);
    expect(r.error).toContain('For a custom resource (CRD) give its apiVersion and Kind, e.g. {"apiVersion":"cert-manager.io/v1","kind":"Certificate"');
  });

  it('a misspelt kind gets a suggestion', () => {
    expect(suggestKind('Deploymnt')?.kind).toBe('Deployment');
    expect(suggestKind('statefulset')?.kind).toBe('StatefulSet');
    expect(suggestKind('Ingres')?.kind).toBe('Ingress');
    expect(suggestKind('Frobnicator')).toBeUndefined();
  });

  it('workload kinds in any spelling, and the allowed ones when it is none of them', () => {
    const allowed = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
    expect(resolveWorkloadKind('deployment', allowed)).toEqual({ kind: 'Deployment', note: 'kind "deployment" read as Deployment' });
    expect(resolveWorkloadKind('sts', allowed)).toEqual({ kind: 'StatefulSet', note: 'kind "sts" read as StatefulSet' });
    expect(resolveWorkloadKind('DaemonSet', allowed)).toEqual({ kind: 'DaemonSet' });
    expect(resolveWorkloadKind('Pod', allowed)).toEqual({ error: 'kind must be one of Deployment, StatefulSet, DaemonSet (short names such as deploy, sts, ds work too); got "Pod"' });
  });
});

describe('tolerant arguments', () => {
  it('get_resource and list_resources take a kind in any spelling and fill the apiVersion of a built-in kind', () => {
    expect(prepared('get_resource', { kind: 'node', name: 'kwok-node-0' })).toEqual({
      args: { apiVersion: 'v1', kind: 'Node', name: 'kwok-node-0' },
      notes: ['kind "node" read as Node'],
    });
    expect(prepared('list_resources', { kind: 'po', namespace: 'shop' }).args).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', limit: 50 });
    expect(prepared('list_resources', { resource: 'deployments', namespace: 'shop' }).args).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(prepared('get_resource', { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: 'web-tls', namespace: 'shop' }).notes).toEqual([]);
  });

  it('workload-kind enums take kubectl spellings', () => {
    expect(prepared('rollout_status', { kind: 'deployment', name: 'web', namespace: 'shop' }).args.kind).toBe('Deployment');
    expect(prepared('rollout_restart', { kind: 'ds', name: 'agent', namespace: 'shop' }).args.kind).toBe('DaemonSet');
    expect(prepared('set_resources', { kind: 'deploy', name: 'api', namespace: 'shop', container: 'api', limits: { memory: '256Mi' } }).args.kind).toBe('Deployment');
    expect(prepared('scale', { kind: 'rs', name: 'web-1', namespace: 'shop', replicas: '3' }).args).toMatchObject({ kind: 'ReplicaSet', replicas: 3 });
    expect(prepared('get_events', { namespace: 'shop', involvedObjectKind: 'po', involvedObjectName: 'web-1' }).args.involvedObjectKind).toBe('Pod');
  });

  it('unknown arguments are dropped with a note that lists what the tool takes', () => {
    expect(prepared('describe_pod', { name: 'web-1', namespace: 'shop', verbose: true, format: 'wide' })).toEqual({
      args: { name: 'web-1', namespace: 'shop' },
      notes: ['ignored unknown arguments verbose, format; this tool takes: name, namespace'],
    });
    expect(prepared('describe_node', { name: 'n1', extra: 1 }).notes).toEqual(['ignored unknown argument extra; this tool takes: name']);
  });

  it('argument names and values as a model may write them', () => {
    expect(prepared('describe_pod', { pod: 'web-1', ns: 'shop' })).toEqual({ args: { name: 'web-1', namespace: 'shop' }, notes: ['read pod as name', 'read ns as namespace'] });
    expect(prepared('describe_deployment', { deployment_name: 'web', Namespace: 'shop' }).args).toEqual({ name: 'web', namespace: 'shop' });
    expect(prepared('rollout_status', { deployment: 'web', namespace: 'shop' }).args).toEqual({ kind: 'Deployment', name: 'web', namespace: 'shop' });
    expect(prepared('get_pod_logs', { name: 'web-1', namespace: 'shop', previous: 'true', tail_lines: '50', container_name: 'app' }).args).toEqual({
      name: 'web-1',
      namespace: 'shop',
      container: 'app',
      previous: true,
      tailLines: 50,
      maxBytes: 8000,
    });
    expect(prepared('get_events', { namespace: 'shop', type: 'warning', name: 'web-1' }).args).toMatchObject({ type: 'Warning', involvedObjectName: 'web-1' });
    expect(prepared('describe_pod', { name: 'Web-1', namespace: 'Shop' })).toEqual({ args: { name: 'web-1', namespace: 'shop' }, notes: ['name "Web-1" read as web-1', 'namespace "Shop" read as shop'] });
    expect(prepared('list_resources', { kind: 'Pod', namespace: 'all' })).toMatchObject({ args: { kind: 'Pod', apiVersion: 'v1', limit: 50 }, notes: expect.arrayContaining(['namespace "all" read as all namespaces']) });
    expect(prepared('get_events', { namespace: null, limit: '10' }).args).toEqual({ limit: 10 });
  });

  it('every validation error says what to send instead: the problem, an example call and what the tool takes', () => {
    const missing = refused('describe_pod', { namespace: 'shop' });
    expect(missing.split('\n')).toEqual([
      'invalid arguments for describe_pod: name is required: Name of the pod',
      'Send instead, e.g.: {"name":"web-7d9f8c6b5-x2x9k","namespace":"shop"}',
      'describe_pod takes: name (string, required), namespace (string, required).',
    ]);
    const tooMany = refused('get_pod_logs', { name: 'web-1', namespace: 'shop', tailLines: 5000 });
    expect(tooMany).toMatch(/^invalid arguments for get_pod_logs: tailLines: Number must be less than or equal to 1000 \(got 5000\)/);
    expect(tooMany).toContain('tailLines (integer 1-1000, default 100)');
    const badEnum = refused('top_pods', { sortBy: 'disk' });
    expect(badEnum).toMatch(/^invalid arguments for top_pods: sortBy must be one of cpu, memory; got "disk"/);
    const badKind = refused('scale', { kind: 'Pod', name: 'web', namespace: 'shop', replicas: 1 });
    expect(badKind).toMatch(/^invalid arguments for scale: kind must be one of Deployment, StatefulSet, ReplicaSet/);
    expect(badKind).toContain('Send instead, e.g.: {"kind":"Deployment","name":"web","namespace":"shop","replicas":3}');
    const frob = refused('get_resource', { kind: 'Frobnicator', name: 'x' });
    expect(frob).toMatch(/^invalid arguments for get_resource: unknown kind "Frobnicator"/);
    expect(frob).toContain('give its apiVersion and Kind');
    const two = refused('scale', { kind: 'Deployment', replicas: -1 });
    expect(two.split('\n')[0]).toBe('invalid arguments for scale: name is required: Name of the workload; namespace is required: Namespace of the workload; replicas: Number must be greater than or equal to 0 (got -1)');
    const notObject = refused('describe_pod', 'web-1');
    expect(notObject).toMatch(/^invalid arguments for describe_pod: the arguments must be a JSON object, got string/);
  });

  it('usage lines describe every argument of every tool', () => {
    for (const def of TOOL_DEFS) {
      const u = usage(def);
      for (const k of Object.keys(def.inputSchema)) expect(u).toContain(`${k} (`);
      expect(Object.keys(def.example).every((k) => k in def.inputSchema)).toBe(true);
      // The example is itself a valid call.
      expect([def.name, 'error' in prepareArgs(def, def.example)]).toEqual([def.name, false]);
    }
  });

  it('runTool puts the notes first in the text and in the data; errors keep them after the message', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const ctx = makeContext(kc);
    const def = { ...tool('describe_node'), run: async (a: { name: string }) => ({ text: `Node: ${a.name}`, data: fakeNode(a.name) }) } as unknown as ToolDef;
    const ok = await runTool(def, { node: 'n1', wide: true }, ctx, 4000);
    expect((ok.content[0] as { text: string }).text).toBe('[note: read node as name]\n[note: ignored unknown argument wide; this tool takes: name]\nNode: n1');
    expect(ok.structuredContent).toMatchObject({ name: 'n1', notes: ['read node as name', 'ignored unknown argument wide; this tool takes: name'] });
    const failing = { ...def, run: async () => Promise.reject(new Error('boom')) } as unknown as ToolDef;
    const err = await runTool(failing, { name: 'n1', wide: true }, ctx, 4000);
    expect(err.isError).toBe(true);
    expect((err.content[0] as { text: string }).text).toBe('error: boom\n[note: ignored unknown argument wide; this tool takes: name]');
  });
});

function fakeNode(name: string) {
  return { name, status: 'Ready', unschedulable: false, roles: [], taints: [], conditions: [], capacity: {}, allocatable: {}, events: [], eventsTotal: 0 };
}

describe('bounded structured data', () => {
  it('fits data within a byte budget by halving the largest lists and clipping long strings, keeping its shape', () => {
    const data = { name: 'x', events: Array.from({ length: 100 }, (_, i) => ({ reason: `R${i}`, message: 'm'.repeat(300) })), pods: [{ name: 'p' }], note: 'n'.repeat(2000) };
    const { data: fitted, cut } = fitData(data, 4000);
    expect(cut).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(4000);
    expect(fitted.name).toBe('x');
    expect(fitted.events[0]).toEqual({ reason: 'R0', message: 'm'.repeat(300) }); // the first (newest) kept
    expect(fitted.pods).toEqual([{ name: 'p' }]);
    expect(fitted.note.length).toBeLessThan(500);
    expect(data.events).toHaveLength(100); // not changed in place
    expect(fitData({ a: 1 }, 100)).toEqual({ data: { a: 1 }, cut: false });
  });
});

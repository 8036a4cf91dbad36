// Recall and correlation without an apiserver: identity normalisation, the history's bounds, and the
// engine's new paths with an in-memory history and directory.
import { alertIdentity, alertObject, nodeKey, workloadKey, workloadOfPod } from '../../src/incident/identity.js';
import { addOccurrence, boundData, parseEntry, type HistoryEntry, type IncidentHistory, type Occurrence } from '../../src/context/history.js';
import { InvestigationEngine, type Advance, type Limits } from '../../src/investigation/engine.js';
import type { Decision, ToolCatalog } from '../../src/contracts/investigation.js';
import type { IncidentDirectory, Investigator } from '../../src/incident/contracts.js';
import type { AlertIncident, RelatedIncident } from '../../src/incident/types.js';
import { RulesInvestigator } from '../../src/analyzer/rulesInvestigator.js';

describe('alert identity', () => {
  it('a new pod of the same workload has the same identity', () => {
    expect(workloadOfPod('web-5d8f7c9b6-x7k2p')).toBe('web');
    expect(workloadOfPod('web-7b9c4d6f8-q2w5z')).toBe('web');
    expect(workloadOfPod('agent-x7k2p')).toBe('agent'); // DaemonSet
    expect(workloadOfPod('db-0')).toBe('db'); // StatefulSet
    expect(workloadOfPod('backup-29123456-x7k2p')).toBe('backup'); // CronJob's Job
    expect(workloadOfPod('checkout-7d9f')).toBe('checkout-7d9f'); // nothing generated: itself
    expect(workloadOfPod('my-admin-panel')).toBe('my-admin-panel');
    const a = alertIdentity('KubeContainerOOMKilled', { namespace: 'shop', pod: 'api-5d8f7c9b6-x7k2p', container: 'app' });
    const b = alertIdentity('KubeContainerOOMKilled', { namespace: 'shop', pod: 'api-6f9b8c7d5-m4n2q', container: 'app', instance: '10.0.0.1:8080' });
    expect(a.hash).toBe(b.hash);
    expect(a.key).toBe('KubeContainerOOMKilled|shop|workload/api');
    expect(alertIdentity('KubeContainerOOMKilled', { namespace: 'other', pod: 'api-5d8f7c9b6-x7k2p' }).hash).not.toBe(a.hash);
    expect(alertIdentity('KubePodCrashLooping', { namespace: 'shop', pod: 'api-5d8f7c9b6-x7k2p' }).hash).not.toBe(a.hash);
    expect(alertIdentity('X', { namespace: 'shop', replicaset: 'api-5d8f7c9b6' }).object).toMatchObject({ kind: 'workload', name: 'api' });
    expect(alertIdentity('KubeNodeNotReady', { node: 'worker-1' }).object).toMatchObject({ kind: 'node', name: 'worker-1' });
    expect(alertIdentity('KubePersistentVolumeFillingUp', { namespace: 'db', persistentvolumeclaim: 'data-db-0', node: 'n' }).object).toMatchObject({ kind: 'pvc', name: 'data-db-0' });
  });
});

describe('history', () => {
  const occ = (i: number): Occurrence => ({ incident: `inc-${i}`, namespace: 'ops', time: new Date(Date.UTC(2026, 0, 1, i)).toISOString(), outcome: 'Resolved', summary: 's'.repeat(1000), actions: ['a'.repeat(500), 'b', 'c', 'd'] });

  it('counts incidents once, keeps the newest few, clips their text', () => {
    let e: HistoryEntry | undefined;
    for (let i = 0; i < 8; i++) e = addOccurrence(e, 'k', 'obj', occ(i));
    e = addOccurrence(e, 'k', 'obj', occ(7)); // the same incident again (a retried report)
    expect(e!.count).toBe(8);
    expect(e!.occurrences.map((o) => o.incident)).toEqual(['inc-7', 'inc-6', 'inc-5', 'inc-4', 'inc-3']);
    expect(e!.occurrences[0].summary!.length).toBeLessThanOrEqual(300);
    expect(e!.occurrences[0].actions).toHaveLength(3);
    expect(e!.occurrences[0].actions![0].length).toBeLessThanOrEqual(200);
    expect(e!.firstSeen).toBe(occ(0).time);
  });

  it('bounds the ConfigMap by identities and bytes, the least recently seen first', () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 50; i++) data[`h${i}`] = JSON.stringify(addOccurrence(undefined, `k${i}`, 'o', occ(i)));
    const kept = boundData(data, 10);
    expect(Object.keys(kept).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `h${40 + i}`).sort());
    const small = boundData(data, 100, 3000);
    expect(Buffer.byteLength(JSON.stringify(small))).toBeLessThan(3500);
    expect(Object.keys(small)).toContain('h49');
    expect(parseEntry('not json')).toBeUndefined();
  });
});

// ── the engine ────────────────────────────────────────────────────────────────────────────────────

const limits: Limits = { maxSteps: 10, maxTokensPerIncident: 100_000, toolOutputMaxBytes: 1000, toolTimeoutMs: 1000, approvalTimeoutMs: 60_000, maxInvalidReplies: 3, maxAttempts: 3 };
const noTools: ToolCatalog = { list: () => [], find: () => undefined, call: async () => ({ ok: true, output: '', durationMs: 1 }) };
const policy = { mode: 'observe' as const, allowedTools: [], allowedClusterTools: [], allowedNamespaces: [], maxMutations: 3 };

function memoryHistory(): IncidentHistory & { data: Map<string, HistoryEntry> } {
  const data = new Map<string, HistoryEntry>();
  return { data, lookup: async (h) => data.get(h), record: async (h, k, o, occ) => void data.set(h, addOccurrence(data.get(h), k, o, occ)) };
}

function scripted(decisions: Decision[], seen: string[] = []): Investigator {
  return {
    kind: 'llm',
    decide: async (ctx) => {
      seen.push(String((await import('../../src/investigation/prompts.js')).alertMessage(ctx.incident)));
      return { decision: decisions.shift()!, usage: { promptTokens: 1, completionTokens: 1 } };
    },
    writeReport: async () => ({ report: { markdown: '## Summary\n\nScripted.' } }),
  };
}

let seq = 0;
function incident(labels: Record<string, string>, over: Partial<AlertIncident['spec']> = {}, name = `inc-${++seq}`): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name, namespace: 'ops', generation: 1, resourceVersion: '1', creationTimestamp: new Date(Date.UTC(2026, 10, 26, 7, 0, seq)).toISOString(), labels: {} },
    spec: { alertname: 'KubeContainerOOMKilled', fingerprint: `fp-${name}`, status: 'firing', labels, annotations: {}, startsAt: new Date(Date.UTC(2026, 10, 26, 7, 0, seq)).toISOString(), ...over },
  };
}

async function run(engine: InvestigationEngine, inc: AlertIncident, max = 20): Promise<Advance[]> {
  const out: Advance[] = [];
  for (let i = 0; i < max; i++) {
    const adv = await engine.advance(inc);
    out.push(adv);
    if (adv.kind === 'noop') break;
    inc.status = adv.status;
    if (['Reported', 'Failed', 'AwaitingApproval', 'Linked'].includes(inc.status.phase!)) break;
  }
  return out;
}

describe('engine: recall', () => {
  it('gives the model and the report the earlier incidents of the same alert on the same workload, and records this one', async () => {
    const history = memoryHistory();
    const seen: string[] = [];
    const conclude: Decision = { kind: 'escalate', summary: 'api OOMKilled again', rootCause: 'the limit is too low', reasoning: 'r' };
    const first = incident({ namespace: 'shop', pod: 'api-5d8f7c9b6-x7k2p' });
    const fix = { index: 4, time: 't', action: 'callTool' as const, server: 'kubernetes', tool: 'set_resources', mutating: true, state: 'Succeeded' as const, arguments: '{"kind":"Deployment","name":"api","limits":{"memory":"512Mi"}}' };
    // The first incident, as it ended (a fix ran at step 4).
    const fid = alertIdentity(first.spec.alertname, first.spec.labels);
    await history.record(fid.hash, fid.key, 'workload shop/api', { incident: first.metadata.name, namespace: 'ops', time: first.spec.startsAt, outcome: 'Resolved', summary: 'api OOMKilled', rootCause: 'OOMKilled at the 256Mi limit', actions: [`step 4: kubernetes__set_resources ${fix.arguments} — ran, succeeded`] });
    const second = incident({ namespace: 'shop', pod: 'api-6f9b8c7d5-m4n2q' });
    const engine = new InvestigationEngine({ investigator: scripted([conclude], seen), tools: noTools, policy, limits, history, now: () => new Date(Date.UTC(2026, 10, 28)) });
    const advs = await run(engine, second);
    const start = advs[0] as Extract<Advance, { kind: 'write' }>;
    expect(start.events.map((e) => e.reason)).toContain('SeenBefore');
    expect(second.status!.recall).toMatchObject({ identity: 'KubeContainerOOMKilled|shop|workload/api', count: 1, occurrences: [{ incident: first.metadata.name, outcome: 'Resolved' }] });
    expect(seen[0]).toContain('Seen before');
    expect(seen[0]).toContain('This is the 2nd time in 41 hours that KubeContainerOOMKilled fired for workload shop/api');
    expect(seen[0]).toContain('512Mi');
    const md = second.status!.report!;
    expect(md).toContain('## Seen before');
    expect(md).toContain('Last time (');
    expect(md).toContain('step 4: kubernetes__set_resources');
    // And this one is in the history now: a third would be "the 3rd time".
    const entry = [...history.data.values()][0];
    expect(entry.count).toBe(2);
    expect(entry.occurrences[0]).toMatchObject({ incident: second.metadata.name, outcome: 'NeedsManualIntervention', summary: 'api OOMKilled again' });
  });

  it('the rule-based analyzer report shows it too; a history that cannot be read only warns', async () => {
    const history = memoryHistory();
    const inc = incident({ namespace: 'shop', pod: 'api-5d8f7c9b6-x7k2p' });
    const id = alertIdentity(inc.spec.alertname, inc.spec.labels);
    await history.record(id.hash, id.key, 'workload shop/api', { incident: 'old', namespace: 'ops', time: '2026-11-20T00:00:00Z', outcome: 'NeedsManualIntervention', summary: 'old one' });
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, history });
    await run(engine, inc);
    expect(inc.status!.phase).toBe('Reported');
    expect(inc.status!.report).toContain('## Seen before');
    expect(inc.status!.report).toContain('`ops/old`');

    const broken: IncidentHistory = { lookup: async () => Promise.reject(new Error('forbidden')), record: async () => Promise.reject(new Error('forbidden')) };
    const inc2 = incident({ namespace: 'shop', pod: 'api-5d8f7c9b6-x7k2p' });
    const advs = await run(new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, history: broken }), inc2);
    expect(inc2.status!.phase).toBe('Reported');
    const reasons = advs.flatMap((a) => (a.kind === 'write' ? a.events.map((e) => e.reason) : []));
    expect(reasons).toEqual(expect.arrayContaining(['RecallFailed', 'HistoryNotRecorded']));
  });
});

function memoryDirectory(incs: AlertIncident[], nodes: Record<string, { node: string; healthy: boolean }> = {}): IncidentDirectory & { related: RelatedIncident[] } {
  const related: RelatedIncident[] = [];
  const match = (inc: AlertIncident, sel: string) => sel.split(',').every((kv) => { const [k, v] = kv.split('='); return inc.metadata.labels?.[k] === v; });
  return {
    related,
    find: async (sel) => incs.filter((i) => match(i, sel)).map((i) => ({ namespace: i.metadata.namespace, name: i.metadata.name, creationTimestamp: i.metadata.creationTimestamp, labels: i.metadata.labels })),
    get: async (ns, name) => incs.find((i) => i.metadata.namespace === ns && i.metadata.name === name),
    setLabels: async (ns, name, labels) => {
      const i = incs.find((x) => x.metadata.namespace === ns && x.metadata.name === name);
      if (!i) throw new Error(`${ns}/${name} not found`);
      const l = { ...(i.metadata.labels ?? {}) };
      for (const [k, v] of Object.entries(labels)) if (v === null) delete l[k]; else l[k] = v;
      i.metadata.labels = l;
      return i;
    },
    addRelated: async (_ns, _name, e) => void related.push(e),
    nodeOfPod: async (ns, pod) => nodes[`${ns}/${pod}`],
  };
}

describe('engine: correlation', () => {
  const correlation = (directory: IncidentDirectory, over = {}) => ({ directory, rules: new Set(['node', 'workload', 'group'] as const), windowMs: 600_000, settleMs: 20_000, timeoutMs: 60_000, pollMs: 1000, ...over });

  it('a pod alert on a node with an open node incident waits for it, then ends with a report that points to it', async () => {
    const node = incident({ node: 'worker-1' }, { alertname: 'KubeNodeNotReady' });
    const pod = incident({ namespace: 'shop', pod: 'web-5d8f7c9b6-x7k2p' }, { alertname: 'KubePodNotReady' });
    const dir = memoryDirectory([node, pod], { 'shop/web-5d8f7c9b6-x7k2p': { node: 'worker-1', healthy: false } });
    let now = Date.UTC(2026, 10, 26, 8);
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, correlation: correlation(dir), now: () => new Date(now) });
    await run(engine, node); // writes its labels; investigates (no tools here) and reports
    node.status = { ...node.status, phase: 'Analyzing' }; // still running, as far as the pod can tell
    await run(engine, pod);
    expect(pod.status!.phase).toBe('Linked');
    expect(pod.status!.relatedTo).toMatchObject({ name: node.metadata.name, rule: 'node' });
    expect(pod.status!.relatedTo!.reason).toContain('runs on node worker-1');
    expect(pod.metadata.labels!['alertagent.io/related-to']).toBe(node.metadata.name);
    // It waits (a noop with a requeue) while the primary runs; restart-safe: all it needs is in its status.
    expect(await engine.advance(pod)).toMatchObject({ kind: 'noop' });
    node.status = { ...node.status, phase: 'Reported', outcome: 'NeedsManualIntervention', summary: 'node worker-1 is NotReady', rootCause: 'kubelet stopped posting status' };
    now += 5000;
    await run(engine, pod);
    expect(pod.status).toMatchObject({ phase: 'Reported', outcome: 'NeedsManualIntervention' });
    expect(pod.status!.summary).toContain(`Same cause as ${node.metadata.name}`);
    expect(pod.status!.report).toContain(`## Linked to \`ops/${node.metadata.name}\``);
    expect(pod.status!.report).toContain('kubelet stopped posting status');
    expect(dir.related).toEqual([expect.objectContaining({ name: pod.metadata.name, rule: 'node', alertname: 'KubePodNotReady' })]);
  });

  it('two pod alerts of one workload: the later one links; unlink by annotation makes it investigate on its own', async () => {
    const a = incident({ namespace: 'shop', pod: 'web-5d8f7c9b6-x7k2p' }, { alertname: 'KubePodCrashLooping' });
    const b = incident({ namespace: 'shop', pod: 'web-5d8f7c9b6-q2w5z' }, { alertname: 'KubePodCrashLooping' });
    const dir = memoryDirectory([a, b]);
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, correlation: correlation(dir) });
    await engine.advance(b).then((adv) => adv.kind === 'write' && (b.status = adv.status)); // b before a has labels: alone
    expect(b.status!.phase).toBe('Analyzing');
    b.status = undefined;
    const adv = await engine.advance(a); // a is earlier: it never links to b
    expect(adv.kind === 'write' && adv.status.phase).toBe('Analyzing');
    a.status = (adv as Extract<Advance, { kind: 'write' }>).status;
    await run(engine, b);
    expect(b.status!.relatedTo).toMatchObject({ name: a.metadata.name, rule: 'workload' });
    b.metadata.annotations = { 'alertagent.io/unlink': 'true' };
    await run(engine, b);
    expect(b.status!.phase).toBe('Reported');
    expect(b.status!.relatedTo).toBeUndefined();
    expect(b.metadata.labels!['alertagent.io/related-to']).toBeUndefined();
    expect(b.status!.steps![0]).toMatchObject({ action: 'note' });
    expect(b.status!.steps![0].reasoning).toContain('a person broke the link');
  });

  it('a forged node-incident label does not make a primary: its own spec must derive the labels it was found by', async () => {
    // team-a's pod alert, relabelled by hand as a node incident of worker-1 (the hash is public: it is the label).
    const forged = incident({ namespace: 'team-a', pod: 'x-5d8f7c9b6-abcde' }, { alertname: 'KubePodNotReady' });
    forged.metadata.namespace = 'team-a';
    forged.metadata.labels = { 'alertagent.io/node-incident': 'true', 'alertagent.io/node': nodeKey('worker-1') };
    const pod = incident({ namespace: 'team-b', pod: 'web-5d8f7c9b6-x7k2p' }, { alertname: 'KubePodNotReady' });
    pod.metadata.namespace = 'team-b';
    const dir = memoryDirectory([forged, pod], { 'team-b/web-5d8f7c9b6-x7k2p': { node: 'worker-1', healthy: true } });
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, correlation: correlation(dir) });
    forged.status = { phase: 'Analyzing' };
    await run(engine, pod);
    expect(pod.status!.phase).not.toBe('Linked');
    expect(pod.status!.relatedTo).toBeUndefined();
    expect(dir.related).toEqual([]);
  });

  it('alert namespace mode: a primary of another team\'s namespace is never linked to; the operator\'s namespace is', async () => {
    const tenancy = { mode: 'alert' as const, operatorNamespace: 'ops' };
    const other = incident({ namespace: 'team-a', pod: 'web-5d8f7c9b6-x7k2p' }, { alertname: 'KubePodCrashLooping' });
    other.metadata.namespace = 'team-a'; // a real incident of team-a, edited to name team-b's workload (no admission policy)
    other.spec.labels = { namespace: 'team-b', pod: 'web-5d8f7c9b6-x7k2p' };
    other.metadata.labels = { 'alertagent.io/workload': workloadKey('KubePodCrashLooping', alertObject(other.spec.labels))! };
    other.status = { phase: 'Analyzing' };
    const pod = incident({ namespace: 'team-b', pod: 'web-5d8f7c9b6-q2w5z' }, { alertname: 'KubePodCrashLooping' });
    pod.metadata.namespace = 'team-b';
    const node = incident({ node: 'worker-1' }, { alertname: 'KubeNodeNotReady' }); // lives in ops, the operator's
    node.metadata.labels = { 'alertagent.io/node-incident': 'true', 'alertagent.io/node': nodeKey('worker-1') };
    node.status = { phase: 'Analyzing' };
    const onNode = incident({ namespace: 'team-b', pod: 'db-0' }, { alertname: 'KubePodNotReady' });
    onNode.metadata.namespace = 'team-b';
    const dir = memoryDirectory([other, pod, node, onNode], { 'team-b/db-0': { node: 'worker-1', healthy: false } });
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, tenancy, correlation: correlation(dir, { tenancy }) });
    await run(engine, pod);
    expect(pod.status!.relatedTo).toBeUndefined();
    await run(engine, onNode);
    expect(onNode.status!.relatedTo).toMatchObject({ namespace: 'ops', name: node.metadata.name, rule: 'node' });
    // The edited incident itself is refused: its namespace and its alert disagree.
    other.status = undefined;
    const advs = await run(engine, other);
    expect(other.status).toMatchObject({ phase: 'Failed' });
    expect(other.status!.failureReason).toContain('NamespaceMismatch');
    expect(advs.flatMap((a) => (a.kind === 'write' ? a.events.map((e) => e.reason) : []))).toContain('NamespaceMismatch');
  });

  it('alert namespace mode: a link made before is dropped when the primary is of another namespace', async () => {
    const tenancy = { mode: 'alert' as const, operatorNamespace: 'ops' };
    const primary = incident({ namespace: 'team-a', pod: 'web-5d8f7c9b6-x7k2p' }, { alertname: 'KubePodCrashLooping' });
    primary.metadata.namespace = 'team-a';
    primary.status = { phase: 'Reported', outcome: 'Resolved', summary: 'nothing to see' };
    const pod = incident({ namespace: 'team-b', pod: 'web-5d8f7c9b6-q2w5z' }, { alertname: 'KubePodCrashLooping' });
    pod.metadata.namespace = 'team-b';
    pod.status = { phase: 'Linked', steps: [], relatedTo: { namespace: 'team-a', name: primary.metadata.name, rule: 'workload', reason: 'x', linkedAt: new Date().toISOString() } };
    const dir = memoryDirectory([primary, pod]);
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, tenancy, correlation: correlation(dir, { tenancy }) });
    await run(engine, pod);
    expect(pod.status!.outcome).not.toBe('Resolved');
    expect(pod.status!.steps![0].reasoning).toContain('namespace team-a');
    expect(dir.related).toEqual([]);
  });

  it('one AlertManager group within the window; a linked one that waits too long investigates on its own', async () => {
    const a = incident({ namespace: 'x', service: 'api' }, { alertname: 'TargetDown', groupKey: '{}:{job="api"}' });
    const b = incident({ namespace: 'y', service: 'db' }, { alertname: 'KubeServiceDown', groupKey: '{}:{job="api"}' });
    const dir = memoryDirectory([a, b]);
    let now = Date.UTC(2026, 10, 26, 8);
    const engine = new InvestigationEngine({ investigator: new RulesInvestigator({}), tools: noTools, policy, limits, correlation: correlation(dir), now: () => new Date(now) });
    a.status = ((await engine.advance(a)) as Extract<Advance, { kind: 'write' }>).status;
    await run(engine, b);
    expect(b.status!.relatedTo).toMatchObject({ name: a.metadata.name, rule: 'group' });
    now += 61_000;
    await run(engine, b);
    expect(b.status!.phase).toBe('Reported');
    expect(b.status!.steps![0].reasoning).toContain('did not report within 60s');
  });
});

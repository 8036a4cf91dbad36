// LLM_TOOLS=relevant: which tools the model is offered for an alert, and what that saves of a small
// model's context. Measured on the real built-in tool server's listing (as the model receives it).
import { KubeConfig } from '@kubernetes/client-node';
import type { AlertIncident, Step } from '../../src/incident/types.js';
import { buildMessages, compactSchema, toolDefinitions } from '../../src/investigation/prompts.js';
import { alertKinds, reachedKinds, selectTools, MAX_EXTERNAL_TOOLS } from '../../src/investigation/toolSelection.js';
import type { ToolInfo } from '../../src/contracts/investigation.js';
import type { InvestigationContext } from '../../src/incident/contracts.js';
import { estimateTokens } from '../../src/llm/client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { BUILTIN_TOOLS, CLUSTER_SCOPED_TOOLS, createKubernetesToolServer } from '../../src/tools/kubernetes/server.js';
import { ToolManager } from '../../src/tools/manager.js';

let builtin: ToolInfo[];
beforeAll(async () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const m = new ToolManager({ mcpServers: {} }, { log: silentLogger(), builtin: { name: 'kubernetes', create: () => createKubernetesToolServer(kc), classes: BUILTIN_TOOLS, clusterScoped: CLUSTER_SCOPED_TOOLS } });
  await m.start();
  builtin = m.list();
  await m.close();
});

function incident(labels: Record<string, string>): AlertIncident {
  return {
    apiVersion: 'alertagent.io/v1alpha1',
    kind: 'AlertIncident',
    metadata: { name: 'inc', namespace: 'default' },
    spec: { alertname: labels.alertname, status: 'firing', labels, annotations: {}, startsAt: '2026-01-01T00:00:00Z', fingerprint: 'f' },
  } as AlertIncident;
}
const names = (ts: ToolInfo[]) => ts.map((t) => t.tool).sort();
const ctxOf = (labels: Record<string, string>, steps: Step[] = [], tools?: ToolInfo[]) => ({ incident: incident(labels), steps, tools: tools ?? builtin });
const step = (s: Partial<Step>): Step => ({ index: 1, time: '2026-01-01T00:00:00Z', action: 'callTool', server: 'kubernetes', state: 'Succeeded', ...s }) as Step;
const tokens = (ts: ToolInfo[], compact: boolean) => estimateTokens(JSON.stringify(toolDefinitions(ts, { compact })));

const POD_ALERT = { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-7c9d8b6f5-x2k4q', container: 'web' };

describe('selectTools', () => {
  test('the built-in server has the 28 tools the selection knows (query_prometheus only with PROMETHEUS_URL)', () => {
    expect(builtin).toHaveLength(28);
    // every built-in tool belongs to some kind's set or the core, so none is lost for good
    const union = new Set<string>();
    for (const labels of <Array<Record<string, string>>>[{ pod: 'p' }, { deployment: 'd' }, { statefulset: 's' }, { daemonset: 'd' }, { job_name: 'j' }, { node: 'n' }, { persistentvolumeclaim: 'c' }, { hpa: 'h' }, { alertname: 'CertManagerCertExpirySoon' }]) {
      for (const t of selectTools(ctxOf({ alertname: 'X', ...labels }), 'relevant')) union.add(t.tool);
    }
    expect([...union].sort()).toEqual(names(builtin));
  });

  test('all: every tool', () => {
    expect(selectTools(ctxOf(POD_ALERT), 'all')).toBe(builtin);
  });

  test('a pod alert: the core read tools and the pod\'s', () => {
    expect(names(selectTools(ctxOf(POD_ALERT), 'relevant'))).toEqual(['delete_pod', 'describe_pod', 'get_events', 'get_pod_logs', 'get_resource', 'list_resources', 'recent_changes', 'top_pods']);
  });

  test('a node alert: the node\'s tools, no workload or pod actions', () => {
    const got = names(selectTools(ctxOf({ alertname: 'KubeNodeNotReady', node: 'worker-1' }), 'relevant'));
    expect(got).toEqual(['cordon_node', 'describe_node', 'get_events', 'get_resource', 'list_resources', 'recent_changes', 'top_nodes', 'uncordon_node']);
  });

  test('the alert name alone names the kind when the labels do not', () => {
    expect([...alertKinds({}, 'KubeDeploymentReplicasMismatch')]).toEqual(['deployment']);
    expect([...alertKinds({ instance: '10.0.0.1:9100' }, 'NodeFilesystemSpaceFillingUp')]).toEqual(['node']);
    expect([...alertKinds({ job_name: 'backup-1', namespace: 'x' }, 'KubeJobFailed')]).toEqual(['job']);
  });

  test('the owner a pod\'s description names brings its tools (an OOMKilled pod\'s fix is on its Deployment)', () => {
    const evidence = step({ tool: 'describe_pod', arguments: JSON.stringify({ name: POD_ALERT.pod, namespace: 'shop' }), origin: 'evidence', result: { ok: true, output: 'Pod: shop/web-7c9d8b6f5-x2k4q\nControlled by: ReplicaSet/web-7c9d8b6f5\n' } });
    const got = names(selectTools(ctxOf(POD_ALERT, [evidence]), 'relevant'));
    expect(got).toEqual(expect.arrayContaining(['describe_deployment', 'set_resources', 'rollout_restart', 'rollback_deployment']));
    expect(got).not.toContain('cordon_node');
    expect([...reachedKinds([evidence])].sort()).toEqual(['pod', 'replicaset']);
  });

  test('a kind asked for by a generic call, in any spelling', () => {
    expect([...reachedKinds([step({ tool: 'get_resource', arguments: JSON.stringify({ kind: 'no', name: 'n1' }) })])]).toEqual(['node']);
    expect([...reachedKinds([step({ tool: 'list_resources', arguments: JSON.stringify({ kind: 'StatefulSets' }) })])]).toEqual(['statefulset']);
  });

  test('an alert that names nothing the selection knows gets every built-in tool', () => {
    expect(selectTools(ctxOf({ alertname: 'Watchdog' }), 'relevant')).toHaveLength(28);
  });

  test('a tool already called stays on offer', () => {
    const called = step({ tool: 'describe_pvc', arguments: '{}' });
    expect(names(selectTools(ctxOf({ alertname: 'KubeNodeNotReady', node: 'n' }, [called]), 'relevant'))).toContain('describe_pvc');
  });

  test('other servers\' tools: those about the alert\'s kinds or about no kind, at most a dozen', () => {
    const ext = (tool: string, description: string): ToolInfo => ({ name: `ext__${tool}`, server: 'ext', tool, description, inputSchema: { type: 'object' }, mutating: false, classifiedBy: 'test' });
    const others = [
      ext('pods_log', 'Logs of a pod'),
      ext('nodes_top', 'Resource usage of nodes'),
      ext('prometheus_query', 'Run a PromQL query'),
      ext('helm_list', 'List Helm releases'),
      ...Array.from({ length: 20 }, (_, i) => ext(`misc_${i}`, 'Something else')),
    ];
    const got = selectTools(ctxOf(POD_ALERT, [], [...builtin, ...others]), 'relevant').filter((t) => t.server === 'ext').map((t) => t.tool);
    expect(got).toContain('pods_log');
    expect(got).toContain('prometheus_query');
    expect(got).not.toContain('nodes_top');
    expect(got).toHaveLength(MAX_EXTERNAL_TOOLS);
  });
});

describe('what it saves of the prompt', () => {
  test('compact schemas drop only what validates', () => {
    const schema = { $schema: 'x', type: 'object', additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 10, pattern: '^a', description: 'd' }, minLength: { type: 'integer' } }, required: ['name'] };
    expect(compactSchema(schema)).toEqual({ type: 'object', properties: { name: { type: 'string', maxLength: 10, description: 'd' }, minLength: { type: 'integer' } }, required: ['name'] });
  });

  test('tool definitions for a pod alert: relevant and compact take less than half of all', () => {
    const all = tokens(builtin, false);
    const relevant = selectTools(ctxOf(POD_ALERT), 'relevant');
    const after = tokens(relevant, true);
    // printed for the record (the README quotes these figures)
    process.stdout.write(`tool definitions, estimated tokens: all ${all}; relevant ${tokens(relevant, false)}; relevant+compact ${after}\n`);
    expect(all).toBeGreaterThan(5000);
    expect(after).toBeLessThan(all * 0.45);
  });

  test('the first prompt of a pod alert fits a small context with room to spare', () => {
    const ctx: InvestigationContext = { ...ctxOf(POD_ALERT), policyMode: 'approve' };
    const size = (tools: ToolInfo[], compact: boolean) => estimateTokens(JSON.stringify(buildMessages({ ...ctx, tools }, { maxSteps: 20, promptTokenBudget: 48000, compactTools: compact }))) + tokens(tools, compact);
    const before = size(builtin, false);
    const after = size(selectTools(ctx, 'relevant'), true);
    process.stdout.write(`first prompt, estimated tokens: before ${before}, after ${after}\n`);
    expect(after).toBeLessThan(before / 2);
  });
});

describe('LLM_TOOL_RESULTS', () => {
  const done = step({ index: 1, tool: 'describe_pod', arguments: JSON.stringify({ name: 'web-1', namespace: 'shop' }), toolCallId: 'c1', reasoning: '', result: { ok: true, output: 'Status: CrashLoopBackOff' } });
  const ctx = (): InvestigationContext => ({ ...ctxOf(POD_ALERT, [done]), policyMode: 'approve' });

  test('tool: the result in the tool message; the call is numbered for citations ([step N]), its content never null', () => {
    const msgs = buildMessages(ctx(), { maxSteps: 20, promptTokenBudget: 48000 });
    expect(msgs.slice(2)).toEqual([
      { role: 'assistant', content: '[step 1]', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'kubernetes__describe_pod', arguments: '{"name":"web-1","namespace":"shop"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'Status: CrashLoopBackOff' },
    ]);
  });

  test('user: the tool message points to a user message that holds the result (for templates that drop tool messages)', () => {
    const msgs = buildMessages(ctx(), { maxSteps: 20, promptTokenBudget: 48000, toolResults: 'user' });
    expect(msgs.slice(3)).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: 'The result of step 1 follows in the next message.' },
      { role: 'user', content: 'Result of kubernetes__describe_pod (step 1):\nStatus: CrashLoopBackOff' },
    ]);
  });
});

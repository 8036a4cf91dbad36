// The shapes a model's reply takes, and what the investigator makes of each: native tool_calls, the
// legacy function_call, and a call written in the content as small models (and servers without a
// tool-call parser) write it. Then the client's tool_choice: "required" where the endpoint takes it,
// "auto" from the first refusal on.
import { parseDecision, refuseRepeat, resolveToolName } from '../../src/investigation/llmInvestigator.js';
import type { Step } from '../../src/incident/types.js';
import type { ToolInfo } from '../../src/contracts/investigation.js';
import { LlmClient, unwrapCall } from '../../src/llm/client.js';
import { startScriptedLlm, type ScriptedLlm } from '../../test/bed/scriptedLlm.js';

const tool = (name: string, mutating = false, server = 'kubernetes'): ToolInfo => ({
  name: `${server}__${name}`,
  server,
  tool: name,
  description: name,
  inputSchema: { type: 'object' },
  mutating,
  classifiedBy: 'test',
});
const tools = [tool('describe_pod'), tool('get_events'), tool('scale', true), tool('pods_get', false, 'k8s')];
const ctx = { tools };
const POD = { name: 'web-1', namespace: 'shop' };

describe('parseDecision: where the call is', () => {
  test('native tool_calls, with the content as reasoning', () => {
    const d = parseDecision({ content: 'Checking the pod.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'kubernetes__describe_pod', arguments: JSON.stringify(POD) } }] }, ctx);
    expect(d).toEqual({ kind: 'callTool', tool: 'kubernetes__describe_pod', arguments: POD, reasoning: 'Checking the pod.', toolCallId: 'c1' });
  });

  test('the legacy function_call', () => {
    const d = parseDecision({ content: null, function_call: { name: 'kubernetes__describe_pod', arguments: JSON.stringify(POD) } }, ctx);
    expect(d).toMatchObject({ kind: 'callTool', tool: 'kubernetes__describe_pod', arguments: POD });
  });

  test('tool_calls win over function_call and content', () => {
    const d = parseDecision(
      {
        content: '{"name": "kubernetes__get_events", "arguments": {}}',
        function_call: { name: 'kubernetes__get_events', arguments: '{}' },
        tool_calls: [{ id: 'x', type: 'function', function: { name: 'kubernetes__describe_pod', arguments: JSON.stringify(POD) } }],
      },
      ctx,
    );
    expect(d).toMatchObject({ kind: 'callTool', tool: 'kubernetes__describe_pod' });
  });

  test.each([
    ['bare JSON', `{"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}`],
    ['arguments as a JSON string', JSON.stringify({ name: 'kubernetes__describe_pod', arguments: JSON.stringify(POD) })],
    ['a ```json fence after prose', `I will look at the pod first.\n\`\`\`json\n{"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}\n\`\`\``],
    ['a bare ``` fence', `\`\`\`\n{"name": "kubernetes__describe_pod", "parameters": ${JSON.stringify(POD)}}\n\`\`\``],
    ['<tool_call> tags', `<tool_call>\n{"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}\n</tool_call>`],
    ['prose around an object', `Let me check. {"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}} Then I will decide.`],
    ['{"tool", "args"}', `{"tool": "kubernetes__describe_pod", "args": ${JSON.stringify(POD)}}`],
    ['{"function": {...}}', `{"type": "function", "function": {"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}}`],
    ['{"tool_calls": [...]}', `{"tool_calls": [{"function": {"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(JSON.stringify(POD))}}}]}`],
    ['a list of calls (the first is taken)', `[{"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}, {"name": "kubernetes__get_events", "arguments": {}}]`],
    ['the ChatML functions.NAME: format', `functions.kubernetes__describe_pod:\n${JSON.stringify(POD)}`],
    ['a Python-style call in a tool_code fence', '```tool_code\ndescribe_pod(name="web-1", namespace=\'shop\')\n```'],
    ['the tool name without its server', `{"name": "describe_pod", "arguments": ${JSON.stringify(POD)}}`],
  ])('a call in the content: %s', (_, content) => {
    const d = parseDecision({ content }, ctx);
    expect(d).toMatchObject({ kind: 'callTool', tool: 'kubernetes__describe_pod', arguments: POD });
  });

  test('the content around a written call is kept as the reasoning, without the call', () => {
    const d = parseDecision({ content: `The pod restarts.\n\`\`\`json\n{"name": "kubernetes__describe_pod", "arguments": ${JSON.stringify(POD)}}\n\`\`\`` }, ctx);
    expect(d).toMatchObject({ kind: 'callTool', reasoning: 'The pod restarts.' });
  });

  test('a conclusion written in the content', () => {
    const d = parseDecision({ content: '```json\n{"name": "escalate_incident", "arguments": {"summary": "web-1 is OOMKilled", "root_cause": "limit 64Mi"}}\n```' }, ctx);
    expect(d).toMatchObject({ kind: 'escalate', summary: 'web-1 is OOMKilled', rootCause: 'limit 64Mi' });
  });

  test('Python-style arguments of every simple type', () => {
    const d = parseDecision({ content: 'scale(kind="Deployment", name="web", namespace="shop", replicas=2, dry=False, note=None)' }, ctx);
    expect(d).toMatchObject({ kind: 'callTool', tool: 'kubernetes__scale', arguments: { kind: 'Deployment', name: 'web', namespace: 'shop', replicas: 2, dry: false, note: null } });
  });
});

describe('parseDecision: what is still refused', () => {
  test('prose without a call', () => {
    expect(parseDecision({ content: 'The pod is probably out of memory.' }, ctx)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('called no tool') });
  });

  test('an empty reply', () => {
    expect(parseDecision({ content: '' }, ctx)).toMatchObject({ kind: 'invalid', raw: '' });
  });

  test('JSON that is not a call', () => {
    expect(parseDecision({ content: '{"pod": "web-1", "status": "CrashLoopBackOff"}' }, ctx)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('called no tool') });
  });

  test('a Python-style call of something that is not a tool stays prose', () => {
    expect(parseDecision({ content: 'print(status)' }, ctx)).toMatchObject({ kind: 'invalid' });
  });

  test('a written call of an unknown tool is answered with the tools there are', () => {
    const d = parseDecision({ content: '{"name": "kubectl_get", "arguments": {"resource": "pods"}}' }, ctx);
    expect(d).toMatchObject({ kind: 'invalid', error: expect.stringContaining('there is no tool named "kubectl_get"') });
  });

  test('arguments that are not JSON, or not an object', () => {
    expect(parseDecision({ tool_calls: [{ function: { name: 'kubernetes__describe_pod', arguments: '{name: web-1' } }] }, ctx)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('not valid JSON') });
    expect(parseDecision({ content: '{"name": "kubernetes__describe_pod", "arguments": [1, 2]}' }, ctx)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('must be a JSON object') });
  });

  test('a conclusion without a summary', () => {
    expect(parseDecision({ content: '{"name": "resolve_incident", "arguments": {}}' }, ctx)).toMatchObject({ kind: 'invalid', error: 'resolve_incident needs a summary' });
  });

  test('a tool that is not offered but exists is accepted (the policy judges every call the same)', () => {
    expect(parseDecision({ content: '{"name": "k8s__pods_get", "arguments": {}}' }, { tools })).toMatchObject({ kind: 'callTool', tool: 'k8s__pods_get' });
  });
});

describe('refuseRepeat', () => {
  const step = (index: number, s: Partial<Step>): Step => ({ index, time: 't', action: 'callTool', server: 'kubernetes', state: 'Succeeded', ...s }) as Step;
  const call = { kind: 'callTool' as const, tool: 'kubernetes__describe_pod', arguments: { namespace: 'shop', name: 'web-1' }, reasoning: '' };

  test('the same call again (keys in any order) is refused with the step that made it', () => {
    const steps = [step(1, { tool: 'describe_pod', arguments: JSON.stringify(POD), origin: 'evidence' })];
    expect(refuseRepeat(call, steps)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('step 1 already called kubernetes__describe_pod with these arguments (its result is above)') });
  });

  test('a failed one says how it failed', () => {
    const steps = [step(1, { tool: 'describe_pod', arguments: JSON.stringify(POD), state: 'Failed', result: { ok: false, error: 'pods "web-1" not found' } })];
    expect(refuseRepeat(call, steps)).toMatchObject({ kind: 'invalid', error: expect.stringContaining('it failed: pods "web-1" not found') });
  });

  test('other arguments, another tool, or a change to the cluster since: not a repeat', () => {
    const same = step(1, { tool: 'describe_pod', arguments: JSON.stringify(POD) });
    expect(refuseRepeat(call, [step(1, { tool: 'describe_pod', arguments: JSON.stringify({ ...POD, name: 'web-2' }) })])).toBe(call);
    expect(refuseRepeat(call, [step(1, { tool: 'get_events', arguments: JSON.stringify(POD) })])).toBe(call);
    expect(refuseRepeat(call, [same, step(2, { tool: 'delete_pod', arguments: JSON.stringify(POD), mutating: true, state: 'Succeeded' })])).toBe(call);
    // a change that was blocked did not happen: still a repeat
    expect(refuseRepeat(call, [same, step(2, { tool: 'delete_pod', arguments: JSON.stringify(POD), mutating: true, state: 'Blocked' })])).toMatchObject({ kind: 'invalid' });
  });

  test('conclusions are never refused', () => {
    const d = { kind: 'escalate' as const, summary: 's', rootCause: 'r', reasoning: '' };
    expect(refuseRepeat(d, [step(1, { action: 'escalate' })])).toBe(d);
  });
});

describe('resolveToolName', () => {
  test('exact, prefixed with functions., in another case, or without the server', () => {
    expect(resolveToolName('kubernetes__get_events', tools)).toBe('kubernetes__get_events');
    expect(resolveToolName('functions.kubernetes__get_events', tools)).toBe('kubernetes__get_events');
    expect(resolveToolName('Kubernetes__Get_Events', tools)).toBe('kubernetes__get_events');
    expect(resolveToolName('get_events', tools)).toBe('kubernetes__get_events');
    expect(resolveToolName('pods_get', tools)).toBe('k8s__pods_get');
    expect(resolveToolName('RESOLVE_INCIDENT', tools)).toBe('resolve_incident');
  });

  test('a bare name two servers share is ambiguous', () => {
    const two = [...tools, tool('describe_pod', false, 'other')];
    expect(resolveToolName('describe_pod', two)).toBeUndefined();
    expect(resolveToolName('other__describe_pod', two)).toBe('other__describe_pod');
  });
});

describe('LlmClient tool_choice', () => {
  let llm: ScriptedLlm;
  beforeEach(async () => {
    llm = await startScriptedLlm();
  });
  afterEach(async () => {
    await llm.stop();
  });
  const client = (toolChoice: 'auto' | 'required') => {
    const notices: string[] = [];
    const c = new LlmClient({ baseURL: llm.baseURL, apiKey: 'test', model: 'm', timeoutMs: 5000, maxRetries: 2, callsPerMinute: 1000, toolChoice, maxCompletionTokens: 256, onNotice: (m) => notices.push(m) });
    return { c, notices };
  };
  const TOOLS = [{ type: 'function' as const, function: { name: 'kubernetes__get_events', parameters: { type: 'object' } } }];
  const call = { toolCalls: [{ name: 'kubernetes__get_events', arguments: {} }] };

  test('"required" is sent where the endpoint takes it, with max_tokens; a request without tools has no tool_choice', async () => {
    const { c, notices } = client('required');
    llm.script([call, call, { content: 'report' }]);
    await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    await c.chat([{ role: 'user', content: 'x' }]);
    expect(llm.requests.map((r) => r.body.tool_choice)).toEqual(['required', 'required', undefined]);
    expect(llm.requests.every((r) => r.body.max_tokens === 256)).toBe(true);
    expect(notices).toEqual([]);
    expect(c.toolChoice).toBe('required');
  });

  test('an endpoint that refuses "required" (llama-cpp-python answers 500) gets one wrapper function, forced by name, from then on', async () => {
    const { c, notices } = client('required');
    llm.setResponder((body) => {
      if (body.tool_choice === 'required') return { fault: 'http500' };
      expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'call_tool' } });
      expect(body.tools).toHaveLength(1);
      expect(body.tools[0].function.parameters.anyOf[0]).toEqual({ type: 'object', properties: { name: { const: 'kubernetes__get_events' }, arguments: { type: 'object' } }, required: ['name', 'arguments'] });
      return { toolCalls: [{ name: 'call_tool', arguments: { name: 'kubernetes__get_events', arguments: { namespace: 'shop' } } }] };
    });
    const first = await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    expect(first.message.tool_calls).toEqual([expect.objectContaining({ type: 'function', function: { name: 'kubernetes__get_events', arguments: '{"namespace":"shop"}' } })]);
    // the transcript's earlier calls are shown wrapped, as the model was asked to write them
    const history = [
      { role: 'user' as const, content: 'x' },
      { role: 'assistant' as const, content: null, tool_calls: [{ id: 'a', type: 'function' as const, function: { name: 'kubernetes__get_events', arguments: '{"namespace":"shop"}' } }] },
      { role: 'tool' as const, tool_call_id: 'a', content: 'no events' },
    ];
    await c.chat(history, TOOLS);
    expect(llm.requests.map((r) => r.body.tool_choice)).toEqual(['required', { type: 'function', function: { name: 'call_tool' } }, { type: 'function', function: { name: 'call_tool' } }]);
    expect(llm.requests[2].body.messages[1].tool_calls[0].function).toEqual({ name: 'call_tool', arguments: '{"name":"kubernetes__get_events","arguments":{"namespace":"shop"}}' });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/refused tool_choice "required".*wraps every tool/);
    expect(c.toolChoice).toBe('emulated');
  });

  test('an endpoint that refuses both is asked with "auto"', async () => {
    const { c, notices } = client('required');
    llm.setResponder((body) => (body.tool_choice === 'auto' ? call : { fault: 'http500' }));
    await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    expect(llm.requests.map((r) => (typeof r.body.tool_choice === 'string' ? r.body.tool_choice : 'named'))).toEqual(['required', 'named', 'auto', 'auto']);
    expect(notices).toHaveLength(1);
    expect(c.toolChoice).toBe('auto');
  });

  test('when "auto" fails too, the error is the endpoint\'s, and nothing is learned', async () => {
    const { c, notices } = client('required');
    llm.setResponder(() => ({ fault: 'http500' }));
    await expect(c.chat([{ role: 'user', content: 'x' }], TOOLS)).rejects.toThrow(/unavailable/);
    expect(notices).toEqual([]);
    expect(c.toolChoice).toBe('unknown');
  });

  test('a wrapper call whose arguments do not read as a call goes to the content, for the parser', () => {
    const m = unwrapCall({ role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'call_tool', arguments: '{"tool": "kubernetes__get_events"' } }] });
    expect(m.tool_calls).toBeUndefined();
    expect(m.content).toBe('{"tool": "kubernetes__get_events"');
  });

  test('"auto" as configured', async () => {
    const { c } = client('auto');
    llm.script([call]);
    await c.chat([{ role: 'user', content: 'x' }], TOOLS);
    expect(llm.requests[0].body.tool_choice).toBe('auto');
  });
});

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { LIMITS, clip, clipStatus } from '../../src/incident/limits.js';

const crd = parse(readFileSync(path.join(process.cwd(), 'crds', 'alertagent.io_alertincidents.yaml'), 'utf8'));
const status = crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties;
const step = status.steps.items.properties;

describe('status bounds', () => {
  it('match the CRD', () => {
    expect(LIMITS.summary).toBe(status.summary.maxLength);
    expect(LIMITS.rootCause).toBe(status.rootCause.maxLength);
    expect(LIMITS.failureReason).toBe(status.failureReason.maxLength);
    expect(LIMITS.investigator).toBe(status.investigator.maxLength);
    expect(LIMITS.report).toBe(status.report.maxLength);
    expect(LIMITS.lastError).toBe(status.lastError.maxLength);
    expect(LIMITS.steps).toBe(status.steps.maxItems);
    expect(LIMITS.stepServer).toBe(step.server.maxLength);
    expect(LIMITS.stepTool).toBe(step.tool.maxLength);
    expect(LIMITS.stepToolCallId).toBe(step.toolCallId.maxLength);
    expect(LIMITS.stepArguments).toBeLessThanOrEqual(step.arguments.maxLength);
    expect(LIMITS.stepReasoning).toBe(step.reasoning.maxLength);
    expect(LIMITS.policyReason).toBe(step.policy.properties.reason.maxLength);
    expect(LIMITS.policyDecidedBy).toBe(step.policy.properties.decidedBy.maxLength);
    expect(LIMITS.resultOutput).toBe(step.result.properties.output.maxLength);
    expect(LIMITS.resultError).toBe(step.result.properties.error.maxLength);
    expect(LIMITS.resultData).toBe(step.result.properties.data.maxLength);
    expect(LIMITS.conditionMessage).toBe(status.conditions.items.properties.message.maxLength);
  });

  it('clip marks a cut and never leaves half a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('a'.repeat(20), 10)).toBe('aaaa…[cut]');
    const emoji = '😀'.repeat(10);
    const c = clip(emoji, 11);
    expect(c.length).toBeLessThanOrEqual(11);
    expect(() => encodeURIComponent(c)).not.toThrow();
  });

  it('clips every free-text field the model or a tool chooses, never the arguments of a call', () => {
    const args = JSON.stringify({ a: 'x'.repeat(15_000) });
    const s = clipStatus({
      summary: 's'.repeat(5000),
      steps: [
        { index: 1, time: 't', action: 'callTool', toolCallId: 'i'.repeat(999), reasoning: 'r'.repeat(9000), arguments: args, policy: { verdict: 'block', reason: 'p'.repeat(3000) }, result: { ok: false, error: 'e'.repeat(5000), output: 'o'.repeat(70_000) } },
        { index: 2, time: 't', action: 'invalid', arguments: 'a'.repeat(17_000) },
      ],
      conditions: [{ type: 'Reported', status: 'True', reason: 'R', message: 'm'.repeat(40_000), lastTransitionTime: 't' }],
    });
    expect(s.summary!.length).toBe(LIMITS.summary);
    const [a, b] = s.steps!;
    expect(a.toolCallId!.length).toBe(LIMITS.stepToolCallId);
    expect(a.reasoning!.length).toBe(LIMITS.stepReasoning);
    expect(a.arguments).toBe(args);
    expect(a.policy!.reason!.length).toBe(LIMITS.policyReason);
    expect(a.result!.error!.length).toBe(LIMITS.resultError);
    expect(a.result!.output!.length).toBe(LIMITS.resultOutput);
    expect(b.arguments!.length).toBe(LIMITS.stepArguments);
    expect(s.conditions![0].message!.length).toBe(LIMITS.conditionMessage);
  });

  it('keeps the list of steps within its bound', () => {
    const steps = Array.from({ length: 250 }, (_, i) => ({ index: i + 1, time: 't', action: 'note' as const }));
    const s = clipStatus({ steps });
    expect(s.steps).toHaveLength(LIMITS.steps);
    expect(s.steps![0].index).toBe(1);
    expect(s.steps!.at(-1)!.index).toBe(250);
  });
});

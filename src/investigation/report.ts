// The final report. The narrative comes from the investigator; the actions, recommendations and timeline
// are written here from the recorded steps, so they are true whatever the model claims.
import { stepArguments, toolName } from '../contracts/steps.js';
import type { AlertIncident, Step } from '../incident/types.js';
import { recallSection } from '../context/recall.js';

const MAX_REPORT = 60_000;

/**
 * The whole report: a header (what, where, the conclusion, and for a finished investigation the line
 * "Outcome: Resolved because …" saying which proof held, or why a person must act), the narrative, and
 * the sections written from the steps. `outcomeLine` defaults to the outcome and `reason`.
 */
export function composeReport(inc: AlertIncident, steps: Step[], narrative: string, outcome: string, reason: string, now: string, outcomeLine?: string): string {
  const s = inc.spec;
  const finished = outcome === 'Resolved' || outcome === 'NeedsManualIntervention';
  const header = [
    `# ${s.alertname}: ${outcome === 'Resolved' ? 'resolved' : outcome === 'NeedsManualIntervention' ? 'needs manual intervention' : outcome}`,
    '',
    `Incident \`${inc.metadata.namespace}/${inc.metadata.name}\` · severity ${s.severity ?? 'none'} · alert ${s.status} · firing since ${s.startsAt}${s.endsAt ? ` · resolved at ${s.endsAt}` : ''}`,
    '',
    `Conclusion: ${reason}`,
    '',
    ...(finished ? [`Outcome: ${(outcomeLine ?? `${outcome} because ${reason}`).replace(/\s+/g, ' ').trim()}`, ''] : []),
  ].join('\n');
  // "Seen before": the earlier incidents of this alert on this object (status.recall), for every investigator.
  const seen = recallSection(inc, new Date(Date.parse(inc.status?.startedAt ?? '') || Date.parse(now) || Date.now()));
  const sections = [header, narrative.trim(), seen, actionsSection(steps), verificationSection(steps), recommendationsSection(steps), timelineSection(inc, steps, now)].filter(Boolean);
  const text = sections.join('\n\n') + '\n';
  return text.length > MAX_REPORT ? text.slice(0, MAX_REPORT - 40) + '\n\n[report truncated]\n' : text;
}

function call(step: Step): string {
  const args = (step.arguments ?? '{}').replace(/\s+/g, ' ');
  return `\`${toolName(step.server, step.tool)}\` ${args.length > 200 ? args.slice(0, 200) + '…' : args}`;
}

function actionsSection(steps: Step[]): string {
  const mutating = steps.filter((s) => s.action === 'callTool' && s.mutating);
  if (!mutating.length) return '## Actions taken\n\nNone: the investigation only read from the cluster.';
  const lines = mutating.map((s) => {
    const what = {
      Succeeded: 'ran, succeeded',
      Failed: `ran, failed: ${s.result?.error ?? ''}`,
      Unknown: 'outcome unknown (the operator restarted while it ran)',
      Blocked: `not run: blocked by policy (${s.policy?.reason ?? ''})`,
      Rejected: `not run: ${s.policy?.reason ?? 'rejected'}`,
      AwaitingApproval: 'not run: still waiting for approval',
      Planned: 'not run',
      Running: 'running',
      Done: '',
    }[s.state ?? 'Planned'];
    return `- Step ${s.index}: ${call(s)} — ${what}`;
  });
  return `## Actions taken\n\n${lines.join('\n')}`;
}

function recommendationsSection(steps: Step[]): string {
  const notRun = steps.filter((s) => s.action === 'callTool' && (s.state === 'Blocked' || s.state === 'Rejected'));
  if (!notRun.length) return '';
  const lines = notRun.map((s) => `- Would have run ${call(s)} (step ${s.index}; ${s.policy?.reason ?? 'not run'})`);
  return `## Recommended actions not taken\n\n${lines.join('\n')}`;
}

function timelineSection(inc: AlertIncident, steps: Step[], now: string): string {
  const rows = [`| ${inc.spec.startsAt} | | alert fired |`];
  if (inc.status?.startedAt) rows.push(`| ${inc.status.startedAt} | | investigation started |`);
  for (const s of steps) {
    const what =
      s.action === 'callTool'
        ? `${toolName(s.server, s.tool)} → ${s.state ?? ''}${s.result?.durationMs !== undefined ? ` (${s.result.durationMs} ms)` : ''}`
        : s.action === 'invalid'
          ? s.dryRun
            ? `${toolName(s.server, s.tool)} refused by the dry run: ${(s.dryRun.note ?? '').slice(0, 120)}`
            : `unusable reply: ${(s.result?.error ?? '').slice(0, 120)}`
          : s.action === 'verify'
            ? stepArguments(s).step === undefined
              ? `re-check (no action ran) → ${s.state ?? ''}`
              : `verify step ${String(stepArguments(s).step)} → ${s.state ?? ''}`
          : s.action === 'note'
            ? (s.reasoning ?? '').slice(0, 160)
            : `${s.action}`;
    const by = s.origin === 'evidence' ? ' (analyzer, before the model)' : s.origin === 'fallback' ? ' (analyzer, after the LLM)' : '';
    rows.push(`| ${s.time} | ${s.index} | ${(what + by).replace(/\s+/g, ' ').replace(/\|/g, '\\|')} |`);
  }
  if (inc.spec.endsAt) rows.push(`| ${inc.spec.endsAt} | | alert resolved |`);
  rows.push(`| ${now} | | report written |`);
  return `## Timeline\n\n| time | step | event |\n|---|---|---|\n${rows.join('\n')}`;
}

/** A narrative from the steps alone, for when no investigator can write one (LLM down, rule gaps). */
export function fallbackNarrative(summary: string | undefined, rootCause: string | undefined, steps: Step[], note?: string): string {
  const evidence = steps
    .filter((s) => s.action === 'callTool' && s.result?.ok)
    .slice(-5)
    .map((s) => `- ${call(s)}:\n\n  \`\`\`\n  ${(s.result?.output ?? '').slice(0, 600).replace(/```/g, "'''").split('\n').join('\n  ')}\n  \`\`\``);
  return [
    `## Summary\n\n${summary || 'No conclusion was reached.'}`,
    `## Root cause\n\n${rootCause || 'Not determined.'}`,
    evidence.length ? `## Evidence\n\n${evidence.join('\n')}` : '',
    note ? `> ${note}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** Cuts text to a byte bound, saying so in the text itself. */
export function boundOutput(text: string, maxBytes: number): { output: string; truncated: boolean; originalBytes: number } {
  const originalBytes = Buffer.byteLength(text);
  if (originalBytes <= maxBytes) return { output: text, truncated: false, originalBytes };
  const marker = `\n[output truncated: ${maxBytes} of ${originalBytes} bytes kept]`;
  // Cut on a character boundary: decode the byte-cut prefix and drop a trailing partial character.
  const cut = Buffer.from(text).subarray(0, Math.max(0, maxBytes - Buffer.byteLength(marker))).toString('utf8').replace(/\uFFFD$/, '');
  return { output: cut + marker, truncated: true, originalBytes };
}

/** How to take back what a built-in action changed (other servers' tools: their documentation says). */
const UNDO: Record<string, (args: Record<string, unknown>) => string> = {
  scale: () => 'scale back to the previous replica count, which the result of this step reports.',
  rollout_restart: () => 'nothing to undo: the restart replaces the pods with identical ones.',
  delete_pod: () => 'a pod owned by a controller is recreated by it; a bare pod is gone for good.',
  cordon_node: (a) => `uncordon the node: \`kubectl uncordon ${String(a.name ?? 'NODE')}\`.`,
  uncordon_node: (a) => `cordon the node again: \`kubectl cordon ${String(a.name ?? 'NODE')}\`.`,
  set_resources: () => 'set the previous requests and limits again; the result of this step reports them.',
  rollback_deployment: (a) => `roll back again: \`kubectl rollout undo deployment/${String(a.name ?? 'NAME')} -n ${String(a.namespace ?? 'NS')}\`.`,
};

/**
 * How to take back what a step's action changed: the built-in tool's undo, made exact from what its result
 * reports where it can be (the replica count before a scale), or a warning that none is known.
 */
export function undoOf(step: Step): string {
  const args = stepArguments(step);
  if (step.server !== 'kubernetes' || !step.tool || !UNDO[step.tool]) return 'no undo is known to the operator for this tool: check what it changed before approving.';
  let data: { replicas?: { before?: unknown }; kind?: unknown; changes?: Array<{ field?: unknown; before?: unknown }> } | undefined;
  try {
    data = step.result?.data ? JSON.parse(step.result.data) : undefined;
  } catch {
    data = undefined;
  }
  if (step.tool === 'scale' && typeof data?.replicas?.before === 'number') {
    return `scale back to ${data.replicas.before}: \`kubectl scale ${String(args.kind ?? 'deployment').toLowerCase()}/${String(args.name ?? 'NAME')} -n ${String(args.namespace ?? 'NS')} --replicas=${data.replicas.before}\`.`;
  }
  if (step.tool === 'set_resources' && Array.isArray(data?.changes) && data.changes.length) {
    return `set the previous values again: ${data.changes.map((c) => `${String(c.field)} ${c.before === undefined ? 'unset' : `back to ${String(c.before)}`}`).join(', ')}.`;
  }
  return UNDO[step.tool](args);
}

/** The change a person is asked to approve: exactly what will run, what it would change, what it does, and how to undo it. */
export function proposalSection(step: Step, description?: string): string {
  const what = description ? description.split(/(?<=\.)\s/)[0] : "see the tool's description";
  const undo = undoOf(step);
  // What the API server answered to the same call in a server-side dry run (src/investigation/dryRun.ts).
  const diff = step.dryRun?.diff ? ['', 'What it would change (the API server\'s dry run, nothing stored):', '', '```', step.dryRun.diff.replace(/```/g, "'''"), '```'] : [];
  const judged = step.dryRun && !step.dryRun.diff && step.dryRun.note ? [`- Checked before it was shown: ${step.dryRun.note}`] : [];
  return [
    '## Proposed action (waiting for approval)',
    '',
    `Step ${step.index}: \`${toolName(step.server, step.tool)}\` with exactly these arguments:`,
    '',
    '```json',
    (step.arguments ?? '{}').replace(/```/g, "'''"),
    '```',
    '',
    ...diff,
    '',
    `- What it does: ${what}`,
    `- Why: ${step.reasoning || 'no reasoning given'}`,
    `- How to undo it: ${undo}`,
    ...judged,
  ].join('\n');
}

/**
 * What was verified after each action (the Verifying phase: src/investigation/phases/verify.ts): what was
 * checked, when, the verdict and the lines read; for an action that did not verify, how to undo it.
 */
function verificationSection(steps: Step[]): string {
  const checks = steps.filter((s) => s.action === 'verify');
  if (!checks.length) return '';
  const parts = checks.map((v) => {
    const plan = stepArguments(v) as { step?: unknown; what?: unknown };
    const action = steps.find((s) => s.index === plan.step);
    const verdict = v.state === 'Succeeded' ? 'passed' : v.state === 'Failed' ? `failed: ${v.result?.error ?? 'not verified'}` : 'still running';
    const lines = [
      plan.step === undefined
        ? `- Step ${v.index} re-checked the condition, no action having run: ${verdict}.`
        : `- Step ${v.index} verified step ${String(plan.step)}${action ? ` (\`${toolName(action.server, action.tool)}\`)` : ''}, started ${v.time}${v.result?.finishedAt ? `, finished ${v.result.finishedAt}` : ''}: ${verdict}.`,
      `  Checked: ${String(plan.what ?? v.reasoning ?? '')}`,
    ];
    if (v.result?.output) lines.push('', '  ```', ...v.result.output.replace(/```/g, "'''").split('\n').map((l) => `  ${l}`), '  ```');
    if (v.state === 'Failed' && action) lines.push('', `  How to undo step ${action.index}: ${undoOf(action)}`);
    return lines.join('\n');
  });
  return `## Verification\n\n${parts.join('\n\n')}`;
}

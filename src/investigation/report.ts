// The final report. The narrative comes from the investigator; the actions, recommendations and timeline
// are written here from the recorded steps, so they are true whatever the model claims.
import { parseGitChange } from '../contracts/gitChange.js';
import { stepArguments, toolName } from '../contracts/steps.js';
import type { AlertIncident, Step } from '../incident/types.js';
import { recallSection } from '../context/recall.js';
import { resumeCommand } from '../tools/kubernetes/suspend.js';

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
    `Incident \`${inc.metadata.namespace}/${inc.metadata.name}\`${s.cluster !== undefined ? ` · cluster ${s.cluster || '(none)'}` : ''} · severity ${s.severity ?? 'none'} · alert ${s.status} · firing since ${s.startsAt}${s.endsAt ? ` · resolved at ${s.endsAt}` : ''}`,
    '',
    `Conclusion: ${reason}`,
    '',
    ...(finished ? [`Outcome: ${(outcomeLine ?? `${outcome} because ${reason}`).replace(/\s+/g, ' ').trim()}`, ''] : []),
  ].join('\n');
  // "Seen before": the earlier incidents of this alert on this object (status.recall), for every investigator.
  const seen = recallSection(inc, new Date(Date.parse(inc.status?.startedAt ?? '') || Date.parse(now) || Date.now()));
  const sections = [header, narrative.trim(), seen, actionsSection(steps), verificationSection(steps), recommendationsSection(steps), gitSection(inc, steps), timelineSection(inc, steps, now)].filter(Boolean);
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

/**
 * Changes not written because Flux or Argo CD keeps their target from Git (the dry run said so,
 * src/tools/kubernetes/gitops.ts): who manages it, from where, and the change to make there.
 */
function gitSection(inc: AlertIncident, steps: Step[]): string {
  const proposed = steps.filter((s) => s.action === 'invalid' && s.dryRun?.gitops);
  const suspended = suspendedLines(inc, steps);
  if (!proposed.length) return suspended.length ? `## Proposed change in Git\n\n${suspended.join('\n\n')}` : '';
  const withData = proposed.filter((s) => s.dryRun?.gitChange);
  const ask = withData.length
    ? `\n\nWith a Git provider configured (GITOPS_GIT_PROVIDER), a pull request with the change opens under \`auto\`, or when asked: \`kubectl alertincident pull-request ${inc.metadata.name} ${withData[0].index} -n ${inc.metadata.namespace}\`; status.gitChanges follows it until the cluster shows the change.`
    : '';
  const parts = proposed.map((s) => {
    // Rendered by a Helm chart: the change is made in the HelmRelease's or Application's values, not in a manifest of the object.
    const gc = parseGitChange(s.dryRun?.gitChange);
    const values = gc?.source.values;
    const where = values
      ? `make it in the Helm values of ${values.kind} ${values.namespace}/${values.name} (${values.kind === 'HelmRelease' ? 'spec.values' : 'spec.source.helm'}), at the one key that holds the value the field has now (for an image: the image, or its tag such as image.tag), not in the ${gc?.object.kind ?? 'object'} the chart renders${values.untraced ? `; ${values.untraced}` : ''}`
      : 'make the same in the manifest or values in Git';
    const diff = s.dryRun?.diff ? ['', `  The change, as the API server answered it in a dry run (${where}):`, '', '  ```', ...s.dryRun.diff.replace(/```/g, "'''").split('\n').map((l) => `  ${l}`), '  ```'] : [];
    return [`- Step ${s.index}: ${call(s)} was not written to the cluster: ${s.dryRun?.gitops ?? ''}.`, ...diff].join('\n');
  });
  return `## Proposed change in Git\n\n${[...parts, ...suspended].join('\n\n')}${ask}`;
}

/**
 * GITOPS_MANAGED_WRITES=suspend: changes written after their manager was suspended (src/tools/kubernetes/suspend.ts):
 * which manager, and whether it was resumed (its pull request merged) or how a person resumes it.
 */
function suspendedLines(inc: AlertIncident, steps: Step[]): string[] {
  return steps
    .filter((s) => s.action === 'callTool' && s.state === 'Succeeded' && s.dryRun?.suspend)
    .map((s) => {
      const m = s.dryRun!.suspend!;
      const record = inc.status?.gitChanges?.find((r) => r.step === s.index);
      const now =
        record?.state === 'Merged' || record?.state === 'Synced'
          ? `It was resumed when the change was merged in Git (${record.url ?? 'status.gitChanges'}).`
          : `It stays suspended until the change is in Git: ${record?.url ? `the pull request ${record.url} resumes it once merged (${record.state})` : s.dryRun?.gitChange ? 'with a Git provider (GITOPS_GIT_PROVIDER) its pull request opens and resumes it once merged' : 'no change in Git could be made of it'}; otherwise make the change in Git, then resume it: \`${resumeCommand(m)}\`.`;
      return `- Step ${s.index}: ${call(s)} was written to the cluster after ${m.tool} ${m.kind} ${m.namespace}/${m.name} was suspended (annotation alertagent.io/suspended-by: ${inc.metadata.namespace}/${inc.metadata.name} step ${s.index}), so that its next sync does not revert it; ${s.dryRun?.gitops ?? ''}. ${now}`;
    });
}

function timelineSection(inc: AlertIncident, steps: Step[], now: string): string {
  const rows = [`| ${inc.spec.startsAt} | | alert fired |`];
  if (inc.status?.startedAt) rows.push(`| ${inc.status.startedAt} | | investigation started |`);
  for (const s of steps) {
    const what =
      s.action === 'callTool'
        ? `${toolName(s.server, s.tool)} → ${s.state ?? ''}${s.result?.durationMs !== undefined ? ` (${s.result.durationMs} ms)` : ''}`
        : s.action === 'invalid'
          ? s.dryRun?.gitops
            ? `${toolName(s.server, s.tool)} proposed in Git, not written (GitOps-managed)`
            : s.dryRun
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
  set_probe_timing: () => "set the probe's previous timing again; the dry run and the result of this step report it.",
  set_hpa_max_replicas: () => 'set maxReplicas back to the previous value (the HPA then removes the replicas above it); the dry run and the result of this step report it.',
  set_quota_hard: () => 'set the hard limit back to the previous value (what the quota admitted stays; new objects are refused above it); the dry run and the result of this step report it.',
  renew_certificate: (a) =>
    "nothing to undo: re-issuance replaces the certificate in the Certificate's Secret with a newly issued one for the same names (with a new private key where spec.privateKey.rotationPolicy is Always, cert-manager's default since v1.18); " +
    'the previous certificate is not kept (it stays valid until its notAfter for whoever still holds it). A pending re-issuance cannot be cancelled (cmctl has no such command): it ends when the issuer signs the new CertificateRequest or fails (Issuing turns False), ' +
    `as \`kubectl get certificaterequests -n ${String(a.namespace ?? 'NS')}\` shows.`,
  expand_pvc: (a) => pvcUndo(a, undefined),
};

/**
 * How to take back what a step's action changed: the built-in tool's undo, made exact from what its result
 * reports where it can be (the replica count before a scale), or a warning that none is known.
 */
export function undoOf(step: Step): string {
  const undo = toolUndoOf(step);
  // GITOPS_MANAGED_WRITES=suspend: the manager suspended before the change syncs again once it is undone.
  const m = step.dryRun?.suspend;
  return m ? `${undo.replace(/\.$/, '')}; then resume ${m.tool} ${m.kind} ${m.namespace}/${m.name}, which was suspended for it: \`${resumeCommand(m)}\`.` : undo;
}

function toolUndoOf(step: Step): string {
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
  if (step.tool === 'expand_pvc') {
    const before = (data as { size?: { before?: unknown } } | undefined)?.size?.before ?? /spec\.resources\.requests\.storage: (\S+) → /.exec(step.dryRun?.diff ?? '')?.[1];
    return pvcUndo(args, typeof before === 'string' ? before : undefined);
  }
  const raised = raisedBoundUndo(step.tool, args, data as Record<string, unknown> | undefined, step.dryRun?.diff);
  if (raised) return raised;
  return UNDO[step.tool](args);
}

/** expand_pvc has no undo: a claim cannot shrink (what can be done instead). */
function pvcUndo(args: Record<string, unknown>, before: string | undefined): string {
  return (
    `a volume cannot shrink: Kubernetes refuses a smaller request for PersistentVolumeClaim ${String(args.namespace ?? 'NS')}/${String(args.name ?? 'NAME')} once it grew${before ? ` (it was ${before})` : ''}; ` +
    'to get the space back, copy the data to a new, smaller claim and point the workload at it. Only while an expansion has failed may the request go back down, to a size above the one before (RecoverVolumeExpansionFailure, on by default since Kubernetes 1.32).'
  );
}

/** Kubernetes' value of a probe timing field the spec leaves unset. */
const PROBE_DEFAULTS: Record<string, number> = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };
const json = (v: unknown) => JSON.stringify(v).replace(/'/g, `'\\''`);

/**
 * The exact undo of set_probe_timing, set_hpa_max_replicas and set_quota_hard: the values before, from the
 * result once it ran, or before it runs from the dry run's diff (`spec.maxReplicas: 10 → 15`).
 */
function raisedBoundUndo(tool: string, args: Record<string, unknown>, data: Record<string, unknown> | undefined, diff: string | undefined): string | undefined {
  const name = String(args.name ?? 'NAME');
  const ns = String(args.namespace ?? 'NS');
  const fromDiff = (path: string) => {
    const line = (diff ?? '').split('\n').find((l) => l.trim().startsWith(`${path}: `));
    return line ? /: (.*?) → /.exec(line.trim())?.[1] : undefined;
  };
  if (tool === 'set_hpa_max_replicas') {
    const before = (data?.maxReplicas as { before?: unknown } | undefined)?.before ?? numberOf(fromDiff('spec.maxReplicas'));
    if (typeof before !== 'number') return undefined;
    return `set maxReplicas back to ${before} (the HPA then removes the replicas above it): \`kubectl patch hpa ${name} -n ${ns} -p '${json({ spec: { maxReplicas: before } })}'\`.`;
  }
  if (tool === 'set_quota_hard') {
    const resource = String(args.resource ?? '');
    const before = (data?.hard as { before?: unknown } | undefined)?.before ?? fromDiff(`spec.hard.${resource}`);
    if (typeof before !== 'string' || !resource || before === '<unset>') return undefined;
    return `set the ${resource} limit back to ${before} (what the quota admitted stays; new objects are refused above it): \`kubectl patch resourcequota ${name} -n ${ns} -p '${json({ spec: { hard: { [resource]: before } } })}'\`.`;
  }
  if (tool === 'set_probe_timing') {
    const probe = `${String(args.probe ?? 'liveness')}Probe`;
    const container = String(args.container ?? 'CONTAINER');
    const changes = Array.isArray(data?.changes)
      ? (data.changes as Array<{ field?: unknown; before?: unknown }>).filter((c) => typeof c.field === 'string' && typeof c.before === 'number').map((c) => [String(c.field), c.before as number] as const)
      : Object.keys(PROBE_DEFAULTS)
          .filter((f) => args[f] !== undefined)
          .map((f) => [f, fromDiff(`spec.template.spec.containers[${container}].${probe}.${f}`)] as const)
          .filter((c): c is readonly [string, string] => c[1] !== undefined)
          .map(([f, v]) => [f, v === '<unset>' ? PROBE_DEFAULTS[f] : Number(v)] as const);
    if (!changes.length || changes.some(([, v]) => !Number.isFinite(v))) return undefined;
    const values = Object.fromEntries(changes);
    const body = { spec: { template: { spec: { containers: [{ name: container, [probe]: values }] } } } };
    return `set the ${probe} of container ${container} back to ${changes.map(([f, v]) => `${f} ${v}`).join(', ')}: \`kubectl patch ${String(args.kind ?? 'deployment').toLowerCase()} ${name} -n ${ns} -p '${json(body)}'\`.`;
  }
  return undefined;
}

const numberOf = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

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

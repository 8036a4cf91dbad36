// The eval's output: one Markdown table per investigator (pass rate; per case pass/fail, steps, LLM calls,
// tokens, wall time), then the failures with what was missing.
import type { CaseResult } from './runner.js';
import { clip } from '../../src/util/text.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A case whose invariants broke, or that did not run to its end (which proves nothing held). */
export function brokenInvariants(r: CaseResult): boolean {
  return !!r.error || (r.invariants ?? []).some((c) => !c.ok);
}

export function passRate(results: CaseResult[]): number {
  return results.length ? results.filter((r) => r.pass).length / results.length : 0;
}

function notes(r: CaseResult): string {
  const n: string[] = [];
  if (r.evidenceSteps) n.push(`${r.evidenceSteps} evidence-first`);
  if (r.fallback) n.push('analyzer took over');
  if (r.actions.length) n.push(`actions: ${r.actions.join(', ')}`);
  if (r.phase && r.phase !== 'Reported') n.push(r.phase);
  if (r.error) n.push('error');
  return n.join('; ');
}

export function markdown(investigator: string, results: CaseResult[], meta: { wallMs: number; concurrency: number; when: string; machine: string }): string {
  const passed = results.filter((r) => r.pass).length;
  const rate = Math.round(passRate(results) * 1000) / 10;
  const tokens = results.reduce((n, r) => n + r.tokens, 0);
  const calls = results.reduce((n, r) => n + r.llmCalls, 0);
  const out: string[] = [];
  out.push(`## Investigator \`${investigator}\`: ${passed}/${results.length} passed (${rate} %)`);
  out.push('');
  out.push(
    `${meta.when} · ${results.length} cases · concurrency ${meta.concurrency} · suite wall time ${secs(meta.wallMs)} · ` +
      `LLM calls ${calls} · tokens ${tokens} · ${meta.machine}`,
  );
  out.push('');
  out.push('| case | category | result | steps | LLM calls | tokens | wall time | notes |');
  out.push('|---|---|---|---:|---:|---:|---:|---|');
  for (const r of results) {
    out.push(`| ${r.case} | ${r.category} | ${r.pass ? 'pass' : '**FAIL**'} | ${r.steps} | ${r.llmCalls} | ${r.tokens} | ${secs(r.wallMs)} | ${esc(notes(r))} |`);
  }
  const broken = results.filter(brokenInvariants);
  out.push('');
  out.push(
    broken.length
      ? `**Invariants broken in ${broken.length} of ${results.length} cases** (the run, report, policy, secrets, budgets, the rules' findings, proof of Resolved, the model asked):`
      : `Invariants held in all ${results.length} cases: each ran to its end and ended Reported with a report, nothing outside the policy ran, no secret reached a prompt, the incident, or its Events, no budget was passed, ` +
          `no report lacked a finding of the rules-only run, nothing was Resolved without proof, and every model run asked the model.`,
  );
  for (const r of broken) {
    if (r.error && !r.invariants.some((x) => !x.ok)) out.push(`- ${r.case}: the case did not run to its end — ${esc(clip(r.error, 400))}`);
    for (const c of r.invariants.filter((x) => !x.ok)) out.push(`- ${r.case}: ${esc(clip(`${c.what}${c.detail ? ` — ${c.detail}` : ''}`, 400))}`);
  }
  const failures = results.filter((r) => !r.pass);
  out.push('');
  if (!failures.length) {
    out.push('No failures.');
  } else {
    out.push(`### Failures (${investigator})`);
    out.push('');
    for (const r of failures) {
      const missing = r.checks.filter((c) => !c.ok).map((c) => `${c.kind}: ${c.what}${c.detail ? ` — ${c.detail}` : ''}`);
      out.push(`- **${r.case}** (${r.description})`);
      for (const m of missing) out.push(`  - missing ${esc(clip(m, 400))}`);
      if (r.summary) out.push(`  - got summary: ${esc(clip(r.summary, 300))}`);
      if (r.rootCause) out.push(`  - got root cause: ${esc(clip(r.rootCause, 500))}`);
    }
  }
  out.push('');
  return out.join('\n');
}

/**
 * Pass floors (`--min-pass`): `min` for the cases outside every category that has a floor of its own,
 * `byCategory[c]` for the cases of category c. What falls below, one line per investigator and floor.
 */
export function belowFloors(runs: Array<{ investigator: string; results: CaseResult[] }>, min: number, byCategory: Record<string, number> = {}): string[] {
  const own = new Set(Object.keys(byCategory));
  const floors = [
    { what: own.size ? `the cases outside ${[...own].join(', ')}` : 'the cases', flag: `${min}`, min, pick: (r: CaseResult) => !own.has(r.category) },
    ...[...own].map((c) => ({ what: `the ${c} cases`, flag: `${c}=${byCategory[c]}`, min: byCategory[c], pick: (r: CaseResult) => r.category === c })),
  ];
  return runs.flatMap((run) =>
    floors.flatMap((f) => {
      const rs = run.results.filter(f.pick);
      const rate = passRate(rs) * 100;
      return rs.length && rate < f.min ? [`${run.investigator} passes ${Math.round(rate * 10) / 10} % of ${f.what} (--min-pass ${f.flag})`] : [];
    }),
  );
}

/** Several investigators side by side: per case, pass/fail and steps / LLM calls / tokens / wall time of each. */
export function comparison(runs: Array<{ investigator: string; results: CaseResult[] }>): string {
  if (runs.length < 2) return '';
  const cases = [...new Set(runs.flatMap((r) => r.results.map((x) => x.case)))];
  const out: string[] = [];
  out.push('## Side by side');
  out.push('');
  out.push(`| case | ${runs.map((r) => r.investigator).join(' | ')} |`);
  out.push(`|---|${runs.map(() => '---').join('|')}|`);
  for (const c of cases) {
    const cells = runs.map((r) => {
      const x = r.results.find((y) => y.case === c);
      if (!x) return '';
      const inv = brokenInvariants(x) ? ' ⚠ invariant' : '';
      return `${x.pass ? 'pass' : '**FAIL**'}${inv} · ${x.steps} steps · ${x.llmCalls} calls · ${x.tokens} tok · ${secs(x.wallMs)}`;
    });
    out.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  const totals = runs.map((r) => {
    const n = r.results.length;
    const sum = (f: (x: CaseResult) => number) => r.results.reduce((a, x) => a + f(x), 0);
    return `${r.results.filter((x) => x.pass).length}/${n} (${Math.round(passRate(r.results) * 1000) / 10} %) · ${sum((x) => x.steps)} steps · ${sum((x) => x.llmCalls)} calls · ${sum((x) => x.tokens)} tok · ${secs(sum((x) => x.wallMs))}`;
  });
  out.push(`| **all** | ${totals.join(' | ')} |`);
  out.push('');
  return out.join('\n');
}

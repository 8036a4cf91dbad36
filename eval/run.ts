/**
 * The eval suite (issue 12): every case of eval/cases/ on a bare control plane (etcd + kube-apiserver, no
 * controllers, so the written status stays), investigated by the real operator, scored per expectation.
 *
 *   npm run eval                                   rules and the scripted LLM, every case
 *   npm run eval -- --investigator weak            the scripted weak model
 *   npm run eval -- -i rules,lazy,wrong            the scripted lazy and wrong models, against the rules' floor
 *   npm run eval -- --investigator model           the model of OPENAI_BASE_URL / OPENAI_API_KEY / LLM_MODEL
 *   npm run eval -- --case 'pod-*' --case node-notready-kubelet --concurrency 2
 *
 * Options:
 *   --investigator rules|scripted|weak|lazy|wrong|model   repeatable or comma-separated (default
 *                        rules,scripted); rules always runs first, its findings are the others' floor
 *   --case GLOB          run only matching cases (repeatable or comma-separated)
 *   --concurrency N      cases at once (default 4)
 *   --timeout SECONDS    per case (default 120; 600 for model)
 *   --min-pass PERCENT   exit 1 when an investigator passes fewer of the cases (default 0: never)
 *   --min-pass CATEGORY=PERCENT   a floor of its own for one category (repeatable); its cases then leave
 *                        the plain --min-pass's count, e.g. --min-pass 100 --min-pass misleading=0
 *   --invariants         exit 1 when an invariant breaks in any case, whatever the pass rate: the case ran
 *                        to its end, the incident ends Reported with a report, nothing outside the policy
 *                        runs, no secret reaches a prompt, no budget is passed, no report lacks a finding
 *                        of the rules run, no Resolved without proof, a model run asked the model
 *                        (lib/invariants.ts)
 *   --env KEY=VALUE      an operator setting for every case (repeatable), e.g. --env MAX_STEPS=10
 *   --bed STATE          use a running bed (its state.json, from `npm run bed:up -- --no-kwok ...`)
 *   --results DIR        where the Markdown and JSON results go (default eval/results)
 *   --logs               the operator's logs on stderr
 *   --list               list the cases and exit
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';
import { PROJECT_ROOT, readState, startControlPlane, type ControlPlane } from '../scripts/local/controlPlane.js';
import { caseDefects, listCases, renderCase } from './lib/cases.js';
import { Kube } from './lib/kube.js';
import { belowFloors, brokenInvariants, comparison, markdown, passRate } from './lib/report.js';
import { prepareBed, runCase, type CaseResult, type Investigator } from './lib/runner.js';
import { competentReply } from './responders/competent.js';
import { lazyReply } from './responders/lazy.js';
import { weakReply } from './responders/weak.js';
import { wrongReply } from './responders/wrong.js';

interface Args {
  investigators: string[];
  cases: string[];
  concurrency: number;
  timeoutS?: number;
  minPass: number;
  /** --min-pass CATEGORY=PERCENT: a category's own floor (its cases leave the plain --min-pass's count) */
  minPassByCategory: Record<string, number>;
  env: Record<string, string>;
  bed?: string;
  results: string;
  logs: boolean;
  list: boolean;
  invariants: boolean;
}

function parseArgs(argv: string[]): Args {
  let values;
  try {
    values = parseCliArgs({
      args: argv,
      options: {
        investigator: { type: 'string', short: 'i', multiple: true, default: [] },
        case: { type: 'string', short: 'c', multiple: true, default: [] },
        concurrency: { type: 'string', short: 'j' },
        timeout: { type: 'string' },
        'min-pass': { type: 'string', multiple: true, default: [] },
        env: { type: 'string', multiple: true, default: [] },
        bed: { type: 'string' },
        results: { type: 'string' },
        logs: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        invariants: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    throw new Error(`${(err as Error).message} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0].replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
    process.exit(0);
  }
  const list = (vs: string[]) => vs.flatMap((v) => v.split(',').filter(Boolean));
  const a: Args = {
    investigators: list(values.investigator),
    cases: list(values.case),
    concurrency: values.concurrency === undefined ? 4 : Math.max(1, Number(values.concurrency)),
    timeoutS: values.timeout === undefined ? undefined : Number(values.timeout),
    minPass: 0,
    minPassByCategory: {},
    env: {},
    bed: values.bed,
    results: values.results === undefined ? path.join(PROJECT_ROOT, 'eval', 'results') : path.resolve(values.results),
    logs: values.logs,
    list: values.list,
    invariants: values.invariants,
  };
  for (const v of values['min-pass']) {
    const j = v.indexOf('=');
    const pct = Number(j > 0 ? v.slice(j + 1) : v);
    if (!Number.isFinite(pct)) throw new Error(`--min-pass needs PERCENT or CATEGORY=PERCENT, got ${v}`);
    if (j > 0) a.minPassByCategory[v.slice(0, j)] = pct;
    else a.minPass = pct;
  }
  for (const kv of values.env) {
    const j = kv.indexOf('=');
    if (j <= 0) throw new Error(`--env needs KEY=VALUE, got ${kv}`);
    a.env[kv.slice(0, j)] = kv.slice(j + 1);
  }
  if (!a.investigators.length) a.investigators = ['rules', 'scripted'];
  return a;
}

function investigator(name: string, timeoutS?: number): Investigator {
  const t = (def: number) => (timeoutS ?? def) * 1000;
  switch (name) {
    case 'rules':
      return { name, env: { ANALYZER: 'rules' }, timeoutMs: t(120) };
    case 'scripted':
      return { name, env: {}, responder: competentReply, timeoutMs: t(120) };
    case 'weak':
      return { name, env: {}, responder: weakReply, timeoutMs: t(120) };
    case 'lazy':
      return { name, env: {}, responder: lazyReply, timeoutMs: t(120) };
    case 'wrong':
      return { name, env: {}, responder: wrongReply, timeoutMs: t(120) };
    case 'model': {
      const env: Record<string, string> = { ANALYZER: 'llm' };
      for (const k of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'LLM_MODEL', 'LLM_TIMEOUT', 'LLM_TEMPERATURE', 'LLM_MAX_RETRIES', 'LLM_CALLS_PER_MINUTE', 'PROMPT_TOKEN_BUDGET', 'LLM_TOOL_CHOICE', 'LLM_TOOLS', 'LLM_TOOL_RESULTS', 'LLM_MAX_COMPLETION_TOKENS', 'TOOL_OUTPUT_MAX_BYTES']) {
        if (process.env[k]) env[k] = process.env[k]!;
      }
      if (!env.OPENAI_BASE_URL && !env.OPENAI_API_KEY) throw new Error('--investigator model needs OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama) and/or OPENAI_API_KEY, and LLM_MODEL');
      if (env.OPENAI_BASE_URL && !env.OPENAI_API_KEY) env.OPENAI_API_KEY = 'none';
      return { name: `model${env.LLM_MODEL ? `:${env.LLM_MODEL}` : ''}`, env, timeoutMs: t(600) };
    }
    default:
      throw new Error(`unknown investigator ${name}: rules, scripted, weak, lazy, wrong or model`);
  }
}

async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const log = (m: string) => process.stderr.write(`[eval] ${m}\n`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const names = listCases(args.cases);
  if (!names.length) throw new Error(`no case matches ${args.cases.join(', ') || '(all)'} in eval/cases/`);
  // Check every case before starting anything: it parses, and no finding is satisfied by an echo of the alert.
  const defects = names.flatMap((n) => {
    const team = renderCase(n, { ns: 'x', now: Date.now() }).spec.namespace;
    return caseDefects(renderCase(n, { ns: `${team}-c0ffee`, now: Date.now() }).spec);
  });
  if (defects.length) throw new Error(`case defects (a report that only repeats the alert would pass these):\n${defects.join('\n')}`);
  if (args.list) {
    for (const n of names) {
      const c = renderCase(n, { ns: '<ns>', now: Date.now() }).spec;
      process.stdout.write(`${n.padEnd(36)} ${c.category.padEnd(12)} ${c.description}\n`);
    }
    return;
  }
  // The rules run comes first: what it finds in a case is the floor of every other investigator's report.
  const order = [...new Set(args.investigators)].sort((a, b) => Number(b === 'rules') - Number(a === 'rules'));
  const invs = order.map((n) => investigator(n, args.timeoutS));

  const t0 = Date.now();
  let cp: ControlPlane | undefined;
  let statePath: string;
  if (args.bed) {
    statePath = path.resolve(args.bed);
  } else {
    log('starting a bare control plane (etcd + kube-apiserver)');
    cp = await startControlPlane({ controllerManager: false, scheduler: false, kwok: false, log: (m) => log(m) });
    statePath = cp.statePath;
  }
  try {
    const s = readState(statePath);
    const kube = new Kube(s.dir, s.server);
    const bed = await prepareBed(kube, statePath);
    log(`bed ready in ${Date.now() - t0} ms; ${names.length} cases × ${invs.map((i) => i.name).join(', ')}, concurrency ${args.concurrency}`);
    fs.mkdirSync(args.results, { recursive: true });
    const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const machine = `${os.cpus().length} cores, node ${process.version}`;
    const summaries: Array<{ inv: string; rate: number; broken: number }> = [];
    const runs: Array<{ investigator: string; results: CaseResult[] }> = [];
    for (const inv of invs) {
      const ti = Date.now();
      const rules = runs.find((r) => r.investigator === 'rules');
      const results: CaseResult[] = await pool(names, args.concurrency, async (n) => {
        const rulesFound = rules?.results.find((x) => x.case === n && !x.error)?.found;
        const r = await runCase(bed, n, inv, { logs: args.logs, env: args.env, rulesFound });
        log(`${inv.name.padEnd(9)} ${r.pass ? 'pass' : 'FAIL'}  ${n}  (${(r.wallMs / 1000).toFixed(1)} s, ${r.steps} steps${r.error ? `; ${r.error}` : ''})`);
        return r;
      });
      const md = markdown(inv.name, results, { wallMs: Date.now() - ti, concurrency: args.concurrency, when, machine });
      process.stdout.write(`${md}\n`);
      const file = inv.name.replace(/[^A-Za-z0-9._-]+/g, '_');
      fs.writeFileSync(path.join(args.results, `${file}.md`), md);
      fs.writeFileSync(path.join(args.results, `${file}.json`), JSON.stringify({ investigator: inv.name, when, results }, null, 2));
      summaries.push({ inv: inv.name, rate: passRate(results), broken: results.filter(brokenInvariants).length });
      runs.push({ investigator: inv.name, results });
    }
    log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summaries.map((s) => `${s.inv} ${Math.round(s.rate * 1000) / 10} %`).join(', ')}; results in ${path.relative(process.cwd(), args.results) || '.'}/`);
    const side = comparison(runs);
    if (side) {
      process.stdout.write(`${side}\n`);
      fs.writeFileSync(path.join(args.results, 'comparison.md'), side);
    }
    const broken = summaries.filter((s) => s.broken);
    if (args.invariants && broken.length) {
      log(`invariants broken: ${broken.map((s) => `${s.inv} in ${s.broken} cases`).join(', ')}`);
      process.exitCode = 1;
    }
    const below = belowFloors(runs, args.minPass, args.minPassByCategory);
    if (below.length) {
      log(`below the pass floor: ${below.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await cp?.stop();
  }
}

main().catch((e) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(2);
});

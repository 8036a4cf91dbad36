// npm run bench [-- <name>...] [--smoke]: the benchmarks in order (or the ones named) against one
// control plane of their own, then a summary of their ratios. BENCH_SMOKE=1 (or --smoke) runs small sizes.
// Exits non-zero when a benchmark fails to complete or fails a correctness check (lost alerts, a prompt
// over budget); a missed performance target is reported, not fatal.
import { parseArgs } from 'node:util';
import { SMOKE, exitAfterTimeout, fmt, log, resultLine, startBed, table, type BenchContext, type BenchResult, type Bed } from './lib/common.js';
import { run as ingest } from './ingest.js';
import { run as steps } from './steps.js';
import { run as concurrency } from './concurrency.js';
import { run as memory } from './memory.js';
import { run as prompt } from './prompt.js';

const ALL: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = { ingest, steps, concurrency, memory, prompt };

const USAGE = `usage: npm run bench [-- [--smoke] [NAME...]]

  NAME       one or more of ${Object.keys(ALL).join(', ')} (default: all, in that order)
  --smoke    small sizes (as BENCH_SMOKE=1): checks that they work, the figures mean little
  -h, --help this text
`;
let cli;
try {
  cli = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { smoke: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (cli.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
// --smoke is read by lib/common.ts (SMOKE) from the command line, as every benchmark run alone reads it.
const names = cli.positionals;
const unknown = names.filter((n) => !(n in ALL));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(ALL).join(', ')}\n`);
  process.exit(2);
}
const selected = names.length ? Object.keys(ALL).filter((n) => names.includes(n)) : Object.keys(ALL);

const results: Array<{ name: string; seconds: number; result?: BenchResult; error?: string }> = [];
let bed: Bed | undefined;
const started = Date.now();
exitAfterTimeout(() => bed);
try {
  bed = await startBed();
  for (const name of selected) {
    process.stdout.write(`\n=== ${name}${SMOKE ? ' (smoke sizes)' : ''} ===\n`);
    const t0 = Date.now();
    try {
      const result = await ALL[name]({ bed, smoke: SMOKE });
      results.push({ name, seconds: (Date.now() - t0) / 1000, result });
      process.stdout.write(resultLine(result) + '\n');
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.push({ name, seconds: (Date.now() - t0) / 1000, error });
      process.stdout.write(`${name}: benchmark failed to complete: ${error}\n`);
    }
  }
} catch (err) {
  process.stdout.write(`could not start the control plane: ${err instanceof Error ? err.message : String(err)}\n`);
  results.push({ name: 'control plane', seconds: 0, error: String(err) });
} finally {
  await bed?.stop().catch((e) => log(`stopping the control plane: ${String(e)}`));
}

table(
  `Summary${SMOKE ? ' (smoke sizes: the figures mean little)' : ''}, ${Math.round((Date.now() - started) / 1000)} s, ${process.env.BENCH_DIST_DIR ? `operator from ${process.env.BENCH_DIST_DIR}` : 'operator from dist/'}`,
  ['benchmark', 'ratio', 'target', 'verdict', 'seconds', 'what'],
  results.map((r) => [
    r.name,
    r.result ? fmt(r.result.ratio) : '-',
    r.result?.target ?? '-',
    r.error ? 'DID NOT COMPLETE' : r.result!.failed ? `FAILED: ${r.result!.failed}` : r.result!.meetsTarget ? 'meets target' : 'misses target',
    Math.round(r.seconds),
    r.result ? [r.result.ratioLabel, ...(r.result.notes ?? [])].join('; ') : (r.error ?? '').split('\n')[0],
  ]),
);
const bad = results.filter((r) => r.error || r.result?.failed);
process.stdout.write(bad.length ? `bench: ${bad.length} benchmark(s) failed: ${bad.map((r) => r.name).join(', ')}\n` : `bench: all ${results.length} benchmarks completed\n`);
process.exit(bad.length ? 1 : 0);

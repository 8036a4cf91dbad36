// Where a process spent its CPU: self time per function and per package from V8 .cpuprofile files
// (`node --cpu-prof`; the benchmarks pass it to their child processes with BENCH_CPU_PROF=<dir>).
//
//   node --import tsx bench/lib/profileSummary.ts /tmp/prof-ingest                   # each profile under it
//   node --import tsx bench/lib/profileSummary.ts --merge /tmp/prof-ingest/webhook-100-*
//   node --import tsx bench/lib/profileSummary.ts --top 40 --inclusive 'intake|store' FILE
//
// Where the benchmark wrote windows beside a profile (window.json: the measured parts of the run and how
// many units, e.g. alerts stored, each handled), only the samples in them count, and figures are also
// given per unit; --whole counts the whole life of the process (start-up, warm-up) instead. A directory
// stands for the profiles under it, of main threads only (--threads: module-loader threads too).
// --top N: functions listed (default 25). --per N: units to divide by (overrides the window's).
// --merge: one summary of all the files. --inclusive REGEX: inclusive (self + callees) time of the
// functions whose name or file matches, each counted once per sample however deep it recurses.
// Packages: node_modules/<pkg> (scoped names kept), node:internal/* as "node:<module>", the project's own
// code as "app:<dir>", and V8's pseudo-nodes: (garbage collector), (program) (native work outside JS:
// TLS, zlib, the parser of JSON.parse...), (idle) (waiting for I/O: not CPU).
import * as fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Summary {
  file: string;
  /** From the windows: what the measured part did (alerts stored, requests...), to give figures per unit. */
  units?: number;
  unit?: string;
  /** Wall time covered by the profile, ms. */
  wallMs: number;
  /** Sampled time that was not (idle), ms: the process's CPU as V8 saw it. */
  busyMs: number;
  idleMs: number;
  functions: Array<{ name: string; where: string; pkg: string; selfMs: number }>;
  packages: Array<{ pkg: string; selfMs: number }>;
  inclusive: Array<{ name: string; where: string; ms: number }>;
}

export interface CpuProf {
  /** Node flags for the child, before its script: none when BENCH_CPU_PROF is unset. */
  args: string[];
  /** Where the child writes its profiles when it exits. */
  dir?: string;
  /**
   * Marks the measured part of the run (process.hrtime.bigint() of this or any process: the same
   * monotonic clock V8 stamps samples with), added to window.json beside the profile (one line per
   * window: a process may serve several measured runs); the summary then counts only the samples in
   * them and gives figures per unit.
   */
  window(startNs: bigint, endNs: bigint, units: number, unit: string): void;
}

/**
 * Makes a child process write its CPU profile when it exits, into <BENCH_CPU_PROF>/<label>-<time>/ (one
 * directory per process: Node names each thread's profile CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile,
 * and a module loader such as tsx runs on a thread of its own); does nothing when BENCH_CPU_PROF is unset.
 */
export function cpuProf(label: string): CpuProf {
  const root = process.env.BENCH_CPU_PROF;
  if (!root) return { args: [], window: () => undefined };
  const stamp = new Date().toISOString().slice(11, 23).replace(/[:.]/g, '');
  const dir = path.join(path.resolve(root), `${label.replace(/[^\w.-]+/g, '_')}-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    args: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    dir,
    window(startNs, endNs, units, unit) {
      const w: ProfileWindow = { startUs: Number(startNs / 1000n), endUs: Number(endNs / 1000n), units, unit };
      fs.appendFileSync(path.join(dir, WINDOW_FILE), JSON.stringify(w) + '\n');
    },
  };
}

const WINDOW_FILE = 'window.json';

/**
 * Profiles this process while `fn` runs (the benchmark's own side, e.g. the raw client), into
 * <BENCH_CPU_PROF>/<label>-<time>/profile.cpuprofile with its window; just runs `fn` when BENCH_CPU_PROF
 * is unset. Samples every millisecond, as --cpu-prof does.
 */
export async function profileHere<T>(label: string, units: number, unit: string, fn: () => Promise<T>): Promise<T> {
  const root = process.env.BENCH_CPU_PROF;
  if (!root) return fn();
  const stamp = new Date().toISOString().slice(11, 23).replace(/[:.]/g, '');
  const dir = path.join(path.resolve(root), `${label.replace(/[^\w.-]+/g, '_')}-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  const t0 = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    const t1 = process.hrtime.bigint();
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    fs.writeFileSync(path.join(dir, 'profile.cpuprofile'), JSON.stringify(profile));
    const w: ProfileWindow = { startUs: Number(t0 / 1000n), endUs: Number(t1 / 1000n), units, unit };
    fs.writeFileSync(path.join(dir, WINDOW_FILE), JSON.stringify(w) + '\n');
  }
}

export interface ProfileWindow {
  startUs: number;
  endUs: number;
  units: number;
  unit: string;
}

/** "express", "@kubernetes/client-node", "node:tls", "app:webhook", "(garbage collector)" ... */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  const p = url.startsWith('file://') ? safePath(url) : url;
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(?:dist|src|bench|test|scripts)\/(.*)$/.exec(p);
  if (m) {
    const parts = m[1].split('/');
    const top = /\/bench\//.test(p) ? 'bench' : 'app';
    return `${top}:${parts.length > 1 ? parts[0] : parts[0].replace(/\.[jt]s$/, '')}`;
  }
  return p;
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function whereOf(frame: CallFrame): string {
  if (!frame.url) return '';
  const p = frame.url.startsWith('file://') ? safePath(frame.url) : frame.url;
  const nm = p.lastIndexOf('/node_modules/');
  const short = nm >= 0 ? p.slice(nm + '/node_modules/'.length) : p.replace(/^.*\/(dist|src|bench|test|scripts)\//, '$1/');
  return `${short}:${frame.lineNumber + 1}`;
}

/** The measured windows written by cpuProf().window() beside the profile (none: the whole profile). */
export function windowsOf(file: string): ProfileWindow[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(path.dirname(file), WINDOW_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ProfileWindow);
}

/** Node's CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread. */
function isMainThread(file: string): boolean {
  const m = /^CPU\.\d+\.\d+\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(path.basename(file));
  return !m || m[1] === '0';
}

/** The .cpuprofile files under `dir` (recursively), main threads only unless `threads`. */
export function profilesIn(dir: string, threads = false): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...profilesIn(p, threads));
    else if (e.name.endsWith('.cpuprofile') && (threads || isMainThread(p))) out.push(p);
  }
  return out;
}

/** Self and inclusive times of the samples of `files`: within each file's window unless `whole`. */
export function summarize(files: string[], opts: { inclusive?: RegExp; whole?: boolean } = {}): Summary {
  const self = new Map<string, { name: string; where: string; pkg: string; selfMs: number }>();
  const incl = new Map<string, { name: string; where: string; ms: number }>();
  let wallMs = 0;
  let idleMs = 0;
  let busyMs = 0;
  let units = 0;
  let unit = '';
  for (const file of files) {
    const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const found = opts.whole ? [] : windowsOf(file);
    const wins = found.length ? found.map((w) => ({ ...w, startUs: Math.max(w.startUs, prof.startTime), endUs: Math.min(w.endUs, prof.endTime) })) : [{ startUs: prof.startTime, endUs: prof.endTime, units: 0, unit: '' }];
    for (const w of wins) {
      wallMs += Math.max(0, w.endUs - w.startUs) / 1000;
      units += w.units;
      unit = w.unit || unit;
    }
    const inWindow = (ts: number) => wins.some((w) => ts >= w.startUs && ts <= w.endUs);
    const byId = new Map<number, ProfileNode>(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url}:${f.lineNumber}:${f.columnNumber}`;
    // Sample i lasts timeDeltas[i + 1] (the delta before the next sample); the last one, the mean.
    const deltas = prof.timeDeltas;
    const mean = deltas.length ? deltas.reduce((a, b) => a + b, 0) / deltas.length : 0;
    let ts = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      ts += deltas[i] ?? 0;
      if (!inWindow(ts)) continue;
      const ms = (i + 1 < deltas.length ? deltas[i + 1] : mean) / 1000;
      const node = byId.get(prof.samples[i]);
      if (!node) continue;
      const f = node.callFrame;
      if (f.functionName === '(idle)') {
        idleMs += ms;
        continue;
      }
      busyMs += ms;
      const k = keyOf(f);
      const e = self.get(k) ?? { name: f.functionName || '(anonymous)', where: whereOf(f), pkg: packageOf(f), selfMs: 0 };
      e.selfMs += ms;
      self.set(k, e);
      if (opts.inclusive) {
        const seen = new Set<string>();
        for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
          const fr = byId.get(id)!.callFrame;
          const where = whereOf(fr);
          if (!opts.inclusive.test(fr.functionName) && !opts.inclusive.test(where)) continue;
          const key = keyOf(fr);
          if (seen.has(key)) continue;
          seen.add(key);
          const ie = incl.get(key) ?? { name: fr.functionName || '(anonymous)', where, ms: 0 };
          ie.ms += ms;
          incl.set(key, ie);
        }
      }
    }
  }
  const pk = new Map<string, number>();
  for (const e of self.values()) pk.set(e.pkg, (pk.get(e.pkg) ?? 0) + e.selfMs);
  return {
    file: files.length === 1 ? labelOf(files[0]) : `${files.length} files`,
    units: units || undefined,
    unit: unit || undefined,
    wallMs,
    busyMs,
    idleMs,
    functions: [...self.values()].sort((a, b) => b.selfMs - a.selfMs),
    packages: [...pk].map(([pkg, selfMs]) => ({ pkg, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    inclusive: [...incl.values()].sort((a, b) => b.ms - a.ms),
  };
}

/** The benchmark's label (its directory) when the file has Node's default name. */
function labelOf(file: string): string {
  return /^CPU\./.test(path.basename(file)) ? `${path.basename(path.dirname(file))}/${path.basename(file)}` : path.basename(file);
}

export function formatSummary(s: Summary, opts: { top?: number; per?: number } = {}): string {
  const top = opts.top ?? 25;
  const per = opts.per ?? s.units;
  const name = opts.per ? 'unit' : (s.unit ?? 'unit');
  const pct = (ms: number) => `${((ms / s.busyMs) * 100).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => v.toFixed(1).padStart(9);
  const unit = (v: number) => (per ? `${((v / per) * 1000).toFixed(1).padStart(8)} µs/${name}` : '');
  const out: string[] = [];
  out.push(
    `${s.file}${s.units && !opts.per ? ' (measured window only)' : ''}: wall ${(s.wallMs / 1000).toFixed(2)} s, busy (CPU in JS + native) ${(s.busyMs / 1000).toFixed(2)} s, idle ${(s.idleMs / 1000).toFixed(2)} s${per ? `; busy per ${name} ${((s.busyMs / per) * 1000).toFixed(0)} µs (${per} ${name}s)` : ''}`,
  );
  out.push('', 'self time by package:');
  for (const p of s.packages.slice(0, Math.max(top, 15))) out.push(`${ms(p.selfMs)} ms ${pct(p.selfMs)} ${unit(p.selfMs)}  ${p.pkg}`);
  out.push('', `top ${top} functions by self time:`);
  for (const f of s.functions.slice(0, top)) out.push(`${ms(f.selfMs)} ms ${pct(f.selfMs)} ${unit(f.selfMs)}  ${f.name}  ${f.where}`);
  if (s.inclusive.length) {
    out.push('', 'inclusive time of matching functions:');
    for (const f of s.inclusive.slice(0, top)) out.push(`${ms(f.ms)} ms ${pct(f.ms)} ${unit(f.ms)}  ${f.name}  ${f.where}`);
  }
  return out.join('\n');
}

function main(argv: string[]): void {
  let top = 25;
  let per: number | undefined;
  let merge = false;
  let whole = false;
  let threads = false;
  let inclusive: RegExp | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--per') per = Number(argv[++i]);
    else if (a === '--merge') merge = true;
    else if (a === '--whole') whole = true;
    else if (a === '--threads') threads = true;
    else if (a === '--inclusive') inclusive = new RegExp(argv[++i]);
    else if (fs.existsSync(a) && fs.statSync(a).isDirectory()) files.push(...profilesIn(a, threads));
    else files.push(a);
  }
  if (!files.length) {
    process.stderr.write('usage: profileSummary.ts [--top N] [--per UNITS] [--merge] [--whole] [--threads] [--inclusive REGEX] FILE.cpuprofile|DIR...\n');
    process.exit(2);
  }
  const groups = merge ? [files] : files.map((f) => [f]);
  process.stdout.write(groups.map((g) => formatSummary(summarize(g, { inclusive, whole }), { top, per })).join('\n\n') + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));

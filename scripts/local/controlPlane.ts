/**
 * The local Kubernetes control plane: etcd + kube-apiserver (+ optional kube-controller-manager,
 * kube-scheduler and kwok with fake nodes), all real upstream binaries from scripts/install-testbed.sh,
 * running on loopback with free ports. `npm run operator` (scripts/run.ts) starts it when no cluster is
 * configured; the test bed (test/bed), the eval suite and the benchmarks build on it.
 *
 * Everything about a running bed lives in `<dir>/state.json` (pids, argv, ports, kubeconfig), so
 * other processes (jest workers, `cli.ts down`) can stop/restart the apiserver or tear it down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as https from 'node:https';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyYaml } from 'yaml';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KWOK_STAGES_FILE = path.join(PROJECT_ROOT, 'scripts', 'local', 'kwok-stages.yaml');

export interface ControlPlaneOptions {
  /** Directory for certs, data, logs and state.json. Default: a fresh tmp dir (removed on stop). */
  dir?: string;
  controllerManager?: boolean;
  scheduler?: boolean;
  kwok?: boolean;
  /** number of fake kwok nodes (default 2) */
  nodes?: number;
  log?: (msg: string) => void;
  /** override the binaries dir (default: ALERT_AGENT_BIN_DIR or `scripts/install-testbed.sh` output) */
  binDir?: string;
  /** install SIGINT/SIGTERM handlers that kill the bed and exit (default true) */
  handleSignals?: boolean;
}

export interface ControlPlane {
  dir: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:port */
  server: string;
  binDir: string;
  statePath: string;
  startupMs: number;
  stopApiserver(): Promise<void>;
  /** restart on the same port & certs, wait ready */
  startApiserver(): Promise<void>;
  /** path of a kubeconfig authenticating as that ServiceAccount (TokenRequest token, 24h) */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ProcRecord {
  name: string;
  pid: number;
  bin: string;
  args: string[];
  logPath: string;
}

export interface BedState {
  version: 1;
  dir: string;
  ownsDir: boolean;
  ownerPid: number;
  watchdogPid?: number;
  kubeconfigPath: string;
  server: string;
  binDir: string;
  ports: Record<string, number>;
  processes: Record<string, ProcRecord>;
  nodes: string[];
  startedAt: string;
  startupMs: number;
  /** free-form additions (e.g. the CLI records AlertManager here) */
  extra?: Record<string, unknown>;
}

type Log = (msg: string) => void;

// ---------------------------------------------------------------------------------------------
// small utilities
// ---------------------------------------------------------------------------------------------
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// A port the OS hands out for listen(0) comes from the ephemeral range, the same range every outgoing
// connection takes its local port from: between the probe and the real listen, one of the many client
// sockets of a test run can take it (seen in CI: EADDRINUSE). Ports below that range are never given to
// outgoing connections, so a free one stays free; a per-process random start keeps jest workers apart.
const EPHEMERAL_LOW = (() => {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const PORT_LOW = Math.max(10_000, Math.min(20_000, EPHEMERAL_LOW - 4_000));
let nextPort = PORT_LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - PORT_LOW));

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 2_000; i++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= EPHEMERAL_LOW ? PORT_LOW : nextPort + 1;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${PORT_LOW} and ${EPHEMERAL_LOW}`);
}

/** true if the pid exists and is not a zombie */
/**
 * Stops a process group started detached (SIGTERM, then SIGKILL after `graceMs`) and its reaper, if any:
 * how every service of the bed (AlertManager, Prometheus) is stopped.
 */
export async function stopGroup(pid: number, reaperPid = 0, graceMs = 5000): Promise<void> {
  const kill = (p: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-p, sig);
    } catch {
      /* gone */
    }
  };
  if (pid && isAlive(pid)) {
    kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    kill(pid, 'SIGKILL');
  }
  if (reaperPid) kill(reaperPid, 'SIGKILL');
}

export function isAlive(pid: number): boolean {
  if (!pid || pid <= 0) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function terminate(pid: number, graceMs = 8000): Promise<void> {
  if (!isAlive(pid)) {
    killGroup(pid, 'SIGKILL'); // leftovers of the group, if any
    return;
  }
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  killGroup(pid, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < hard) await sleep(50);
}

function tail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
  fs.renameSync(tmp, file);
}

export function readState(statePath = process.env.ALERT_AGENT_BED_STATE): BedState {
  if (!statePath) throw new Error('no bed state file (ALERT_AGENT_BED_STATE is not set)');
  return JSON.parse(fs.readFileSync(statePath, 'utf8')) as BedState;
}

function statePathOf(dir: string): string {
  return path.join(dir, 'state.json');
}

function writePids(state: BedState): void {
  const pids = Object.values(state.processes)
    .map((p) => p.pid)
    .filter((p) => p > 0);
  fs.writeFileSync(path.join(state.dir, 'pids'), pids.join('\n') + '\n');
}

function saveState(state: BedState): void {
  writeJsonAtomic(statePathOf(state.dir), state);
  writePids(state);
}

/** Read-modify-write state.json (only one writer at a time in practice). */
export function updateState(statePath: string, fn: (s: BedState) => void): BedState {
  const s = readState(statePath);
  fn(s);
  saveState(s);
  return s;
}

async function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {}); // EPIPE if the command exits early; reported via the exit code
      child.stdin!.end(opts.input);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// binaries
// ---------------------------------------------------------------------------------------------
const REQUIRED_BINS = ['kube-apiserver', 'etcd'];

/** Runs scripts/install-testbed.sh (fast when everything is cached) and returns the bin dir. */
export async function resolveBinDir(log: Log = () => {}): Promise<string> {
  const fromEnv = process.env.ALERT_AGENT_BIN_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const script = path.join(PROJECT_ROOT, 'scripts', 'install-testbed.sh');
  const t0 = Date.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => process.stderr.write(d)); // progress (silent when warm)
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`scripts/install-testbed.sh failed with exit code ${code}`)),
    );
  });
  const dir = out.trim().split('\n').pop()!.trim();
  for (const b of REQUIRED_BINS) {
    if (!fs.existsSync(path.join(dir, b))) throw new Error(`install-testbed.sh printed ${dir} but ${b} is missing`);
  }
  log(`binaries in ${dir} (install-testbed.sh took ${Date.now() - t0} ms)`);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// certificates (openssl CLI, ECDSA P-256)
// ---------------------------------------------------------------------------------------------
const OPENSSL_CNF = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:10.0.0.1
[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
`;

async function genKey(file: string): Promise<void> {
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file]);
}

async function genCA(pki: string, name: string, cn: string): Promise<void> {
  const cnf = path.join(pki, 'openssl.cnf');
  await genKey(path.join(pki, `${name}.key`));
  await run('openssl', [
    'req', '-x509', '-new', '-key', path.join(pki, `${name}.key`), '-subj', `/O=alertagent/CN=${cn}`,
    '-days', '30', '-config', cnf, '-extensions', 'ca_ext', '-out', path.join(pki, `${name}.crt`),
  ]);
}

async function genLeaf(pki: string, name: string, ca: string, subj: string, ext: string): Promise<void> {
  const cnf = path.join(pki, 'openssl.cnf');
  const key = path.join(pki, `${name}.key`);
  await genKey(key);
  const csr = await run('openssl', ['req', '-new', '-key', key, '-subj', subj, '-config', cnf]);
  await run(
    'openssl',
    [
      'x509', '-req', '-CA', path.join(pki, `${ca}.crt`), '-CAkey', path.join(pki, `${ca}.key`), '-CAcreateserial',
      '-days', '30', '-extfile', cnf, '-extensions', ext, '-out', path.join(pki, `${name}.crt`),
    ],
    { input: csr },
  );
}

async function generatePki(pki: string): Promise<void> {
  await fsp.mkdir(pki, { recursive: true });
  await fsp.writeFile(path.join(pki, 'openssl.cnf'), OPENSSL_CNF);
  await Promise.all([genCA(pki, 'ca', 'alertagent-bed-ca'), genCA(pki, 'client-ca', 'alertagent-bed-client-ca')]);
  await Promise.all([
    genLeaf(pki, 'apiserver', 'ca', '/CN=localhost', 'server_ext'),
    genLeaf(pki, 'admin', 'client-ca', '/O=system:masters/CN=admin', 'client_ext'),
    (async () => {
      await genKey(path.join(pki, 'sa.key'));
      await run('openssl', ['ec', '-in', path.join(pki, 'sa.key'), '-pubout', '-out', path.join(pki, 'sa.pub')]);
    })(),
  ]);
}

function b64file(file: string): string {
  return fs.readFileSync(file).toString('base64');
}

function kubeconfigYaml(server: string, caFile: string, user: { certFile: string; keyFile: string } | { token: string }, userName: string): string {
  const credentials = 'token' in user ? { token: user.token } : { 'client-certificate-data': b64file(user.certFile), 'client-key-data': b64file(user.keyFile) };
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'alertagent-bed', cluster: { server, 'certificate-authority-data': b64file(caFile) } }],
    users: [{ name: userName, user: credentials }],
    contexts: [{ name: 'alertagent-bed', context: { cluster: 'alertagent-bed', user: userName } }],
    'current-context': 'alertagent-bed',
    preferences: {},
  });
}

// ---------------------------------------------------------------------------------------------
// admin REST client (node:https, client cert)
// ---------------------------------------------------------------------------------------------
export interface ApiResponse {
  status: number;
  body: any;
  text: string;
}

export function adminRequest(
  dir: string,
  server: string,
  method: string,
  apiPath: string,
  body?: unknown,
  timeoutMs = 10000,
): Promise<ApiResponse> {
  const pki = path.join(dir, 'pki');
  const url = new URL(apiPath, server);
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: fs.readFileSync(path.join(pki, 'ca.crt')),
        cert: fs.readFileSync(path.join(pki, 'admin.crt')),
        key: fs.readFileSync(path.join(pki, 'admin.key')),
        headers: {
          Accept: 'application/json',
          ...(data !== undefined
            ? {
                'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
                'Content-Length': Buffer.byteLength(data),
              }
            : {}),
        },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: any = undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${apiPath}`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, onFail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      lastErr = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}${onFail ? `\n${onFail()}` : ''}`);
}

function httpGetOk(url: string, insecure = true): Promise<boolean> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(url, { rejectUnauthorized: !insecure, timeout: 2000, agent: false } as https.RequestOptions, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// process management
// ---------------------------------------------------------------------------------------------
const childExit = new Map<number, { code: number | null; signal: string | null }>();

function spawnDetached(name: string, bin: string, args: string[], dir: string): ProcRecord {
  const logPath = path.join(dir, 'logs', `${name}.log`);
  fs.mkdirSync(path.dirname(logPath), { recursive: true });
  const fd = fs.openSync(logPath, 'a');
  fs.writeSync(fd, `\n==== ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    const env = { ...process.env };
    delete env.KUBECONFIG;
    child = spawn(bin, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd], env });
  } finally {
    fs.closeSync(fd);
  }
  if (!child.pid) throw new Error(`failed to start ${bin}`);
  const pid = child.pid;
  child.on('exit', (code, signal) => childExit.set(pid, { code, signal }));
  child.on('error', () => childExit.set(pid, { code: -1, signal: null }));
  child.unref();
  return { name, pid, bin, args, logPath };
}

function assertRunning(p: ProcRecord): void {
  const ex = childExit.get(p.pid);
  if (ex || !isAlive(p.pid)) {
    throw new Error(
      `${p.name} exited early (${ex ? `code ${ex.code} signal ${ex.signal}` : 'not running'}); log ${p.logPath}:\n${tail(p.logPath)}`,
    );
  }
}

// Process-wide cleanup so nothing is orphaned if a test run crashes.
const liveDirs = new Set<string>();
let handlersInstalled = false;
let signalHandlersInstalled = false;

function killBedSync(dir: string): void {
  try {
    const state = readState(statePathOf(dir));
    if (state.watchdogPid) killGroup(state.watchdogPid, 'SIGKILL');
    for (const p of Object.values(state.processes)) killGroup(p.pid, 'SIGKILL');
    if (state.ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}

function installHandlers(handleSignals: boolean): void {
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', () => {
      for (const d of liveDirs) killBedSync(d);
    });
  }
  if (handleSignals && !signalHandlersInstalled) {
    signalHandlersInstalled = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        for (const d of liveDirs) killBedSync(d);
        liveDirs.clear();
        process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129);
      });
    }
  }
}

/** A detached shell that kills the bed if the owning process dies without cleaning up (e.g. SIGKILL). */
function startWatchdog(dir: string, ownsDir: boolean): number {
  const script = `
owner="$1"; dir="$2"; rmdir="$3"
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
if [ -f "$dir/pids" ]; then
  for p in $(cat "$dir/pids"); do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
  sleep 2
  for p in $(cat "$dir/pids"); do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done
fi
if [ "$rmdir" = 1 ]; then rm -rf "$dir"; fi
`;
  const child = spawn('sh', ['-c', script, 'alertagent-bed-watchdog', String(process.pid), dir, ownsDir ? '1' : '0'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid ?? 0;
}

/**
 * Detached shell that SIGKILLs the given process groups (and removes rmDir) once `ownerPid` is gone.
 * Returns its pid; kill it (process group) on a normal stop.
 */
export function startReaper(pgids: number[], rmDir?: string, ownerPid = process.pid): number {
  const script = `
owner="$1"; dir="$2"; shift 2
while kill -0 "$owner" 2>/dev/null; do sleep 1; done
for p in "$@"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done
if [ -n "$dir" ]; then rm -rf "$dir"; fi
`;
  const child = spawn('sh', ['-c', script, 'alertagent-reaper', String(ownerPid), rmDir ?? '', ...pgids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid ?? 0;
}

// ---------------------------------------------------------------------------------------------
// apiserver control usable from any process (state file based)
// ---------------------------------------------------------------------------------------------
async function waitApiserverReady(state: BedState, proc: ProcRecord, timeoutMs = 90000): Promise<void> {
  await waitFor(
    'kube-apiserver /readyz',
    timeoutMs,
    async () => {
      const ex = childExit.get(proc.pid);
      if (ex || !isAlive(proc.pid)) assertRunning(proc);
      const r = await adminRequest(state.dir, state.server, 'GET', '/readyz', undefined, 3000);
      return r.status === 200;
    },
    () => `kube-apiserver log ${proc.logPath}:\n${tail(proc.logPath)}`,
  );
}

export async function stopApiserverFromState(statePath = process.env.ALERT_AGENT_BED_STATE): Promise<void> {
  const state = readState(statePath);
  const p = state.processes['kube-apiserver'];
  if (!p) throw new Error('state has no kube-apiserver');
  // kube-apiserver stops listening at once on SIGTERM but may linger draining long-running requests
  await terminate(p.pid, 3000);
}

export async function startApiserverFromState(statePath = process.env.ALERT_AGENT_BED_STATE): Promise<void> {
  const sp = statePath ?? '';
  const state = readState(sp);
  const old = state.processes['kube-apiserver'];
  if (!old) throw new Error('state has no kube-apiserver');
  if (isAlive(old.pid)) throw new Error(`kube-apiserver (pid ${old.pid}) is still running; stop it first`);
  const proc = spawnDetached('kube-apiserver', old.bin, old.args, state.dir);
  const updated = updateState(sp, (s) => {
    s.processes['kube-apiserver'] = proc;
  });
  await waitApiserverReady(updated, proc);
}

/** Stops everything recorded in a state file (used by cli `down` and as a teardown fallback). */
export async function stopFromState(statePath: string, log: Log = () => {}): Promise<void> {
  let state: BedState;
  try {
    state = readState(statePath);
  } catch {
    return;
  }
  const order = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
  const procs = Object.values(state.processes);
  const first = procs.filter((p) => !['kube-apiserver', 'etcd'].includes(p.name));
  await Promise.all(first.map((p) => terminate(p.pid, 5000)));
  for (const name of order.slice(3)) {
    const p = state.processes[name];
    if (p) await terminate(p.pid, name === 'kube-apiserver' ? 3000 : 8000);
  }
  for (const p of procs) if (!order.includes(p.name)) await terminate(p.pid);
  // the watchdog goes last: if this process dies half-way, it still finishes the cleanup
  if (state.watchdogPid) killGroup(state.watchdogPid, 'SIGKILL');
  log(`stopped bed in ${state.dir}`);
  liveDirs.delete(state.dir);
  if (state.ownsDir) {
    await fsp.rm(state.dir, { recursive: true, force: true });
  } else {
    await fsp.rm(path.join(state.dir, 'etcd-data'), { recursive: true, force: true });
    await fsp.rm(path.join(state.dir, 'pids'), { force: true });
    try {
      const s = readState(statePath);
      s.processes = {};
      writeJsonAtomic(statePath, { ...s, stoppedAt: new Date().toISOString() });
    } catch {
      /* ignore */
    }
  }
}

/** Kubeconfig (path) that authenticates as ServiceAccount ns/name via a TokenRequest token. */
export async function serviceAccountKubeconfigFromState(
  namespace: string,
  name: string,
  statePath = process.env.ALERT_AGENT_BED_STATE,
): Promise<string> {
  const state = readState(statePath);
  const req = (m: string, p: string, b?: unknown) => adminRequest(state.dir, state.server, m, p, b);
  const ok = (r: ApiResponse, what: string) => {
    if (r.status >= 300 && r.status !== 409) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  };
  ok(await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }), 'create namespace');
  ok(
    await req('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace },
    }),
    'create serviceaccount',
  );
  const tr = await req('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 86400 },
  });
  if (tr.status !== 201 && tr.status !== 200) throw new Error(`TokenRequest for ${namespace}/${name}: HTTP ${tr.status} ${tr.text}`);
  const token: string = tr.body.status.token;
  const file = path.join(state.dir, `sa-${namespace}-${name}.kubeconfig`);
  await fsp.writeFile(
    file,
    kubeconfigYaml(state.server, path.join(state.dir, 'pki', 'ca.crt'), { token }, `system:serviceaccount:${namespace}:${name}`),
    { mode: 0o600 },
  );
  return file;
}

// ---------------------------------------------------------------------------------------------
// startControlPlane
// ---------------------------------------------------------------------------------------------
function fakeNode(name: string, index: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'kwok fake node',
        kubeletVersion: 'fake',
        kernelVersion: 'fake',
        containerRuntimeVersion: 'fake',
        kubeProxyVersion: 'fake',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
      addresses: [
        { type: 'InternalIP', address: `10.240.0.${10 + index}` },
        { type: 'Hostname', address: name },
      ],
      phase: 'Running',
    },
  };
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log: Log = opts.log ?? (() => {});
  const t0 = Date.now();
  const binDir = opts.binDir ?? (await resolveBinDir(log));
  const ownsDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'alertagent-bed-'));
  await fsp.mkdir(dir, { recursive: true });
  // a fixed dir may hold a previous run: refuse if it is still running, else start fresh
  if (!ownsDir && fs.existsSync(statePathOf(dir))) {
    try {
      const prev = readState(statePathOf(dir));
      const alive = Object.values(prev.processes).filter((p) => isAlive(p.pid));
      if (alive.length) throw new Error(`a bed is already running in ${dir} (pids ${alive.map((p) => p.pid).join(', ')})`);
    } catch (e) {
      if (String(e).includes('already running')) throw e;
    }
  }
  for (const sub of ['etcd-data', 'pki', 'logs', 'pids', 'state.json']) await fsp.rm(path.join(dir, sub), { recursive: true, force: true });

  const ports = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: opts.controllerManager ? await freePort() : 0,
    scheduler: opts.scheduler ? await freePort() : 0,
    kwok: opts.kwok ? await freePort() : 0,
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const pki = path.join(dir, 'pki');
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const state: BedState = {
    version: 1,
    dir,
    ownsDir,
    ownerPid: process.pid,
    kubeconfigPath,
    server,
    binDir,
    ports,
    processes: {},
    nodes: [],
    startedAt: new Date().toISOString(),
    startupMs: 0,
  };
  const statePath = statePathOf(dir);
  liveDirs.add(dir);
  installHandlers(opts.handleSignals !== false);
  saveState(state);
  state.watchdogPid = startWatchdog(dir, ownsDir);
  saveState(state);

  const bin = (b: string) => path.join(binDir, b);
  const started = (p: ProcRecord) => {
    state.processes[p.name] = p;
    saveState(state);
    return p;
  };

  try {
    // --- certs + etcd in parallel
    const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
    const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    const etcd = started(
      spawnDetached(
        'etcd',
        bin('etcd'),
        [
          '--name=bed',
          `--data-dir=${path.join(dir, 'etcd-data')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=bed=${peerUrl}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        dir,
      ),
    );
    await generatePki(pki);
    await fsp.writeFile(kubeconfigPath, kubeconfigYaml(server, path.join(pki, 'ca.crt'), { certFile: path.join(pki, 'admin.crt'), keyFile: path.join(pki, 'admin.key') }, 'admin'), { mode: 0o600 });
    await waitFor('etcd /health', 30000, async () => {
      assertRunning(etcd);
      return httpGetOk(`${etcdUrl}/health`);
    });
    log(`etcd ready at ${etcdUrl} (+${Date.now() - t0} ms)`);

    // --- kube-apiserver (envtest-like flags)
    const apiserver = started(
      spawnDetached(
        'kube-apiserver',
        bin('kube-apiserver'),
        [
          `--etcd-servers=${etcdUrl}`,
          `--cert-dir=${pki}`,
          `--tls-cert-file=${path.join(pki, 'apiserver.crt')}`,
          `--tls-private-key-file=${path.join(pki, 'apiserver.key')}`,
          `--client-ca-file=${path.join(pki, 'client-ca.crt')}`,
          `--secure-port=${ports.apiserver}`,
          '--bind-address=127.0.0.1',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--authorization-mode=RBAC',
          '--disable-admission-plugins=ServiceAccount',
          `--service-account-issuer=${server}/`,
          `--service-account-key-file=${path.join(pki, 'sa.pub')}`,
          `--service-account-signing-key-file=${path.join(pki, 'sa.key')}`,
          '--profiling=false',
        ],
        dir,
      ),
    );
    await waitApiserverReady(state, apiserver);
    log(`kube-apiserver ready at ${server} (+${Date.now() - t0} ms)`);

    // --- optional components (started together)
    const kubeconfigArgs = [`--kubeconfig=${kubeconfigPath}`, `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`];
    const waits: Promise<void>[] = [];
    if (opts.controllerManager) {
      const kcm = started(
        spawnDetached(
          'kube-controller-manager',
          bin('kube-controller-manager'),
          [
            ...kubeconfigArgs,
            '--bind-address=127.0.0.1',
            `--secure-port=${ports.controllerManager}`,
            '--leader-elect=false',
            '--controllers=*',
            '--use-service-account-credentials=false',
            `--root-ca-file=${path.join(pki, 'ca.crt')}`,
            `--service-account-private-key-file=${path.join(pki, 'sa.key')}`,
            '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
            '--profiling=false',
          ],
          dir,
        ),
      );
      waits.push(
        waitFor('kube-controller-manager /healthz', 60000, async () => {
          assertRunning(kcm);
          return httpGetOk(`https://127.0.0.1:${ports.controllerManager}/healthz`);
        }),
      );
    }
    if (opts.scheduler) {
      const sched = started(
        spawnDetached(
          'kube-scheduler',
          bin('kube-scheduler'),
          [
            ...kubeconfigArgs,
            '--bind-address=127.0.0.1',
            `--secure-port=${ports.scheduler}`,
            '--leader-elect=false',
            '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
            '--profiling=false',
          ],
          dir,
        ),
      );
      waits.push(
        waitFor('kube-scheduler /readyz', 60000, async () => {
          assertRunning(sched);
          return httpGetOk(`https://127.0.0.1:${ports.scheduler}/readyz`);
        }),
      );
    }
    if (opts.kwok) {
      const kwok = started(
        spawnDetached(
          'kwok',
          bin('kwok'),
          [
            `--kubeconfig=${kubeconfigPath}`,
            `--config=${KWOK_STAGES_FILE}`,
            '--manage-all-nodes=false',
            '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
            '--manage-nodes-with-label-selector=',
            '--manage-single-node=',
            '--cidr=10.244.0.1/16',
            '--node-ip=10.240.0.1',
            '--node-lease-duration-seconds=40',
            `--server-address=127.0.0.1:${ports.kwok}`,
          ],
          dir,
        ),
      );
      const n = opts.nodes ?? 2;
      for (let i = 0; i < n; i++) {
        const name = `kwok-node-${i}`;
        const r = await adminRequest(dir, server, 'POST', '/api/v1/nodes', fakeNode(name, i));
        if (r.status !== 201 && r.status !== 409) throw new Error(`creating node ${name}: HTTP ${r.status} ${r.text}`);
        state.nodes.push(name);
      }
      saveState(state);
      waits.push(
        waitFor(
          `${n} kwok node(s) Ready and untainted`,
          90000,
          async () => {
            assertRunning(kwok);
            const r = await adminRequest(dir, server, 'GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
            const items: any[] = r.body?.items ?? [];
            const ready = items.filter((node) => node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
            const tainted = (node: any) => (node.spec?.taints ?? []).some((t: any) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
            if (!opts.controllerManager) {
              // the TaintNodesByCondition admission adds node.kubernetes.io/not-ready on create; without a
              // controller-manager (node lifecycle controller) nobody removes it, so do it here
              for (const node of ready.filter(tainted)) {
                await adminRequest(dir, server, 'PATCH', `/api/v1/nodes/${node.metadata.name}`, { spec: { taints: null } });
              }
            }
            return ready.filter((node) => !tainted(node)).length >= n;
          },
          () => `kwok log:\n${tail(kwok.logPath, 15)}`,
        ),
      );
    }
    if (opts.controllerManager) {
      // the default ServiceAccount appears once the serviceaccount controller has synced
      waits.push(
        waitFor('default ServiceAccount', 60000, async () => {
          const r = await adminRequest(dir, server, 'GET', '/api/v1/namespaces/default/serviceaccounts/default');
          return r.status === 200;
        }),
      );
    }
    await Promise.all(waits);
  } catch (e) {
    log(`control plane failed to start: ${String(e)}`);
    await stopFromState(statePath).catch(() => {});
    liveDirs.delete(dir);
    throw e;
  }

  state.startupMs = Date.now() - t0;
  saveState(state);
  log(
    `control plane up in ${state.startupMs} ms (${Object.keys(state.processes).join(', ')}); KUBECONFIG=${kubeconfigPath}`,
  );

  let stopped = false;
  return {
    dir,
    kubeconfigPath,
    server,
    binDir,
    statePath,
    startupMs: state.startupMs,
    stopApiserver: () => stopApiserverFromState(statePath),
    startApiserver: () => startApiserverFromState(statePath),
    serviceAccountKubeconfig: (ns, name) => serviceAccountKubeconfigFromState(ns, name, statePath),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopFromState(statePath, log);
      liveDirs.delete(dir);
    },
  };
}

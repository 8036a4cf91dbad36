// "The image as it would run", without Docker: the runtime stage of the Dockerfile rebuilt in a temp
// dir (package*.json, `npm ci --omit=dev --ignore-scripts`, dist/, servers_config.json; cwd = that dir;
// HOME = an empty dir, as HOME=/tmp in the image) and `node dist/main.js` run from it against the bed,
// with leader election on and POD_NAME/NAMESPACE set as the Deployment sets them. Catches a runtime
// import of a devDependency, a dist/ that does not start, and a shutdown that does not exit 0.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { PROJECT_ROOT, freePort } from '../../scripts/local/controlPlane.js';
import { applyCrd, bed, createNamespace, eventually, kubeConfig } from './harness.js';

const run = promisify(execFile);
let app: string;
let home: string;
const children: ChildProcess[] = [];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Every file under dir with its size and mtime, to see that the process wrote nothing there. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.lstatSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort().join('\n');
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: app,
    // the ENV of the Dockerfile's runtime stage
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NODE_ENV: 'production', NODE_OPTIONS: '--enable-source-maps --max-old-space-size=128 --max-semi-space-size=2 --v8-pool-size=1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, output: () => out, exited };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

beforeAll(async () => {
  // dist/ as `npm run build` leaves it; rebuilt when missing or older than src/
  const main = path.join(PROJECT_ROOT, 'dist', 'main.js');
  if (!fs.existsSync(main) || fs.statSync(main).mtimeMs < newestMtime(path.join(PROJECT_ROOT, 'src'))) {
    await run('npm', ['run', 'build'], { cwd: PROJECT_ROOT, maxBuffer: 16 << 20 }).catch((e) => {
      throw new Error(`npm run build failed:\n${e.stdout}\n${e.stderr}`);
    });
  }

  // the runtime stage of the Dockerfile
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-image-'));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'alert-agent-home-'));
  for (const f of ['package.json', 'package-lock.json', 'servers_config.json']) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(app, f));
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 << 20,
  }).catch((e) => {
    // npm prints its whole usage after the reason; keep the reason
    const reason = String(e.stderr).split(/^npm error Clean install a project/m)[0];
    throw new Error(`npm ci --omit=dev (the install step of the Dockerfile) failed in a copy of package.json + package-lock.json:\n${reason}`);
  });
  fs.cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(app, 'dist'), { recursive: true });
  await applyCrd();
}, 180_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of [app, home]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

test('the image has the dependencies and none of the build/test tools', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    expect(fs.existsSync(path.join(app, 'node_modules', dep, 'package.json'))).toBe(true);
  }
  // a devDependency may be present only as some dependency's own dependency (e.g. @types/node)
  for (const dev of Object.keys(pkg.devDependencies ?? {})) {
    const present = fs.existsSync(path.join(app, 'node_modules', dev));
    expect({ dev, present: present && lock.packages?.[`node_modules/${dev}`]?.dev === true }).toEqual({ dev, present: false });
  }
  for (const tool of ['typescript', 'jest', 'ts-jest', 'tsx']) expect(fs.existsSync(path.join(app, 'node_modules', tool))).toBe(false);
});

test('a bad setting: exit code 2 and a message naming it', async () => {
  const p = start({ POLICY_MODE: 'bogus', NAMESPACE: 'default', KUBECONFIG: bed().kubeconfigPath });
  const { code } = await within(p.exited, 15_000, 'exit on bad config');
  expect(code).toBe(2);
  expect(p.output()).toMatch(/POLICY_MODE/);
  expect(p.output()).toMatch(/invalid configuration/);
  expect(p.output()).toMatch(/observe.*approve.*auto/);
});

test('starts against the cluster, is healthy and ready, and exits 0 on SIGTERM, releasing its lease', async () => {
  const ns = await createNamespace('image');
  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const before = snapshot(app);
  const t0 = Date.now();
  const p = start({
    KUBECONFIG: bed().kubeconfigPath,
    NAMESPACE: ns,
    POD_NAME: 'alert-agent-image-test',
    LEADER_ELECTION: 'true',
    // As the chart runs it: listening on every address (the image's default), so a token is required.
    WEBHOOK_BEARER_TOKEN: 'image-test-token',
    WEBHOOK_PORT: String(webhookPort),
    METRICS_PORT: String(metricsPort),
    LOG_FORMAT: 'json',
  });
  const get = (port: number, p: string) =>
    fetch(`http://127.0.0.1:${port}${p}`)
      .then((r) => r.status)
      .catch(() => 0);
  try {
    await eventually(async () => (await get(metricsPort, '/healthz')) === 200, 20_000, 100);
    await eventually(async () => (await get(webhookPort, '/readyz')) === 200, 20_000 - (Date.now() - t0), 100);
  } catch (e) {
    throw new Error(`${e}\n--- output ---\n${p.output()}`);
  }
  expect(Date.now() - t0).toBeLessThan(20_000);
  expect(await get(metricsPort, '/metrics')).toBe(200);
  const leases = kubeConfig().makeApiClient(CoordinationV1Api);
  await eventually(async () => (await leases.readNamespacedLease({ name: 'alert-agent-leader', namespace: ns })).spec?.holderIdentity === 'alert-agent-image-test', 10_000);

  const termAt = Date.now();
  p.child.kill('SIGTERM');
  const { code, signal } = await within(p.exited, 10_000, `exit after SIGTERM\n${p.output()}`);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(Date.now() - termAt).toBeLessThan(10_000);
  // graceful shutdown hands the lease over
  expect((await leases.readNamespacedLease({ name: 'alert-agent-leader', namespace: ns })).spec?.holderIdentity ?? '').toBe('');
  // logs are JSON lines, and nothing was written next to the code (the image's root fs is read-only)
  const lines = p.output().trim().split('\n').filter(Boolean);
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  expect(snapshot(app)).toBe(before);
});

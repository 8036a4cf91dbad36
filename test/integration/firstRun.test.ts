// The first-run experience, on a machine with no kubeconfig and no LLM key: `npm run operator` starts its
// own control plane and AlertManager, runs the operator with the rule-based analyzer and a broken workload
// (a pod that crash-loops because its database is down), and prints the alert to fire for it; the first
// report is a diagnosis of that pod, readable with the kubeconfig it printed. `npm run demo` fires the alert
// itself.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { IncidentStore } from '../../src/incident/store.js';
import { AlertIncident } from '../../src/incident/types.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { eventually } from '../bed/shared.js';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
});

/** scripts/run.ts as `npm run operator -- ARGS` runs it, in a fresh HOME: its output so far, and the kubeconfig it printed. */
async function firstRun(args: string[]): Promise<{ out: () => string; store: IncidentStore }> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'first-run-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    // the binaries built once for this machine (HOME is new here, so name the cache)
    ALERT_AGENT_CACHE: process.env.ALERT_AGENT_CACHE ?? path.join(os.homedir(), '.cache', 'alert-agent'),
    WEBHOOK_PORT: '0',
    METRICS_PORT: '0',
    WEBHOOK_HOST: '127.0.0.1',
  };
  child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'run.ts'), ...args, '--dir', path.join(home, 'bed')], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const kubeconfig = await eventually(async () => /KUBECONFIG=(\S+) kubectl get alertincidents/.exec(out)?.[1], 120_000, 250).catch((e) => {
    throw new Error(`${e}\n${out}`);
  });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { out: () => out, store: new IncidentStore(kc) };
}

async function firstReport(run: { out: () => string; store: IncidentStore }): Promise<AlertIncident> {
  return eventually(async () => {
    const items = (await run.store.list({ namespace: 'default' })).items.map((i) => AlertIncident.parse(i));
    return items.find((i) => i.status?.phase === 'Reported');
  }, 90_000, 500).catch((e) => {
    throw new Error(`${e}\n${run.out()}`);
  });
}

/** The diagnosis of the demo's pod: crash-looping because it cannot reach its database, not a stale alert. */
function expectDiagnosis(inc: AlertIncident): void {
  expect(inc.spec.alertname).toBe('KubePodCrashLooping');
  expect(inc.spec.labels).toMatchObject({ namespace: 'demo', pod: 'checkout-7d9f' });
  expect(inc.status!.investigator).toBe('rules');
  expect(inc.status!.summary).toMatch(/demo\/checkout-7d9f/);
  expect(inc.status!.summary).not.toMatch(/stale|no longer exists|healthy again/);
  expect(inc.status!.outcome).not.toBe('Resolved');
  expect(inc.status!.report).toMatch(/CrashLoopBackOff/);
  expect(inc.status!.report).toMatch(/exit code 1/);
  // the cause: what the container said when it exited
  expect(inc.status!.rootCause).toMatch(/cannot connect to the orders database at postgres\.demo\.svc:5432.*connection refused/);
}

it('npm run operator: prints an alert for a broken pod it started; firing it as printed gives a diagnosis, not "stale"', async () => {
  const run = await firstRun([]);
  expect(run.out()).toContain('rule-based analyzer, no LLM configured');
  expect(run.out()).toContain('A broken workload to investigate: pod demo/checkout-7d9f is crash-looping');
  // The newcomer copies the printed command.
  const curl = /Fire a sample alert:\n\s+(curl .*)\n/.exec(run.out())?.[1];
  expect(curl).toBeDefined();
  expect(curl).toContain('"pod":"checkout-7d9f"');
  await promisify(execFile)('bash', ['-c', curl!]);
  const inc = await firstReport(run);
  expectDiagnosis(inc);
  expect(inc.status!.report).toContain('runbooks.prometheus-operator.dev');
  process.stdout.write(`first report: ${inc.status!.summary}\n  root cause: ${inc.status!.rootCause}\n`);

  child!.kill('SIGTERM');
  expect(await new Promise((r) => child!.once('exit', r))).toBe(0);
});

it('npm run demo: from nothing to a Reported incident that names the cause', async () => {
  const run = await firstRun(['--demo']);
  expect(run.out()).toContain('rule-based analyzer, no LLM configured');
  expect(run.out()).toMatch(/Fire a sample alert:\n\s+curl/);
  const inc = await firstReport(run);
  expectDiagnosis(inc);
  expect(inc.status!.report).toContain('runbooks.prometheus-operator.dev');

  child!.kill('SIGTERM');
  expect(await new Promise((r) => child!.once('exit', r))).toBe(0);
});

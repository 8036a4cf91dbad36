// The first-run experience: `npm run demo` on a machine with no kubeconfig and no LLM key starts its own
// control plane and AlertManager, runs the operator with the rule-based analyzer, creates a broken
// workload and fires its alert; the incident ends Reported, readable with the kubeconfig it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { IncidentStore } from '../../src/incident/store.js';
import { AlertIncident } from '../../src/incident/types.js';
import { PROJECT_ROOT } from '../../scripts/local/controlPlane.js';
import { eventually } from '../bed/shared.js';

let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
});

it('npm run demo: from nothing to a Reported incident that names the cause', async () => {
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
  child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'run.ts'), '--demo', '--dir', path.join(home, 'bed')], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));

  const kubeconfig = await eventually(async () => /KUBECONFIG=(\S+) kubectl get alertincidents/.exec(out)?.[1], 90_000, 250).catch((e) => {
    throw new Error(`${e}\n${out}`);
  });
  expect(out).toContain('rule-based analyzer, no LLM configured');
  expect(out).toMatch(/Fire a sample alert:\n\s+curl/);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const store = new IncidentStore(kc);
  const inc = await eventually(async () => {
    const items = (await store.list({ namespace: 'default' })).items.map((i) => AlertIncident.parse(i));
    return items.find((i) => i.status?.phase === 'Reported');
  }, 60_000, 500).catch((e) => {
    throw new Error(`${e}\n${out}`);
  });
  expect(inc.spec.alertname).toBe('KubePodCrashLooping');
  expect(inc.status!.investigator).toBe('rules');
  expect(inc.status!.report).toMatch(/CrashLoopBackOff/);
  expect(inc.status!.report).toMatch(/exit code 1/);
  expect(inc.status!.report).toContain('runbooks.prometheus-operator.dev');

  child.kill('SIGTERM');
  expect(await new Promise((r) => child!.once('exit', r))).toBe(0);
});

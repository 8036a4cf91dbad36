// Runs the operator as a real process (what a pod runs), for tests that kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT, freePort } from '../../scripts/local/controlPlane.js';
import { bed, eventually } from '../bed/shared.js';

export interface OperatorProcess {
  child: ChildProcess;
  webhook: string;
  metrics: string;
  output: () => string;
  exited: Promise<number | null>;
}

export async function startOperatorProcess(env: Record<string, string>, opts: { waitReady?: boolean } = {}): Promise<OperatorProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: bed().kubeconfigPath,
      WEBHOOK_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      WEBHOOK_HOST: '127.0.0.1',
      SERVERS_CONFIG: '/nonexistent.json',
      LOG_FORMAT: 'json',
      EVIDENCE_FIRST: 'false', // as in harness.ts: scripts of the model's steps are written by position
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const base = `http://127.0.0.1:${port}`;
  if (opts.waitReady ?? true) {
    await eventually(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok, 30_000).catch((e) => {
      throw new Error(`operator did not start: ${e}\n${out}`);
    });
  }
  return { child, webhook: `${base}/api/v1/alerts`, metrics: `http://127.0.0.1:${metricsPort}/metrics`, output: () => out, exited };
}

export async function metricValue(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

/**
 * jest globalSetup (integration project): starts ONE real control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok with 2 fake nodes) for the whole run and exports the
 * path of its state file (kubeconfigPath, server, dir, pids, ...) as ALERT_AGENT_BED_STATE, which
 * the jest workers inherit. If the bed cannot start this throws: tests fail loudly, never skip.
 *
 * Implementation note: jest loads globalSetup outside its module system, with Node's own ESM
 * resolver, so `scripts/local/controlPlane.ts` cannot be imported here. The bed therefore runs in a
 * child process (`tsx test/bed/cli.ts up --tmp --exit-with-stdin`), which also keeps jest's process
 * free of signal handlers. The bed stops when globalTeardown closes the pipe, or when jest dies.
 * Only Node built-ins may be imported in this file.
 *
 * Reuse an already running bed (e.g. `npm run bed:up`) with ALERT_AGENT_BED_REUSE=.bed/state.json.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface JestProjectConfig {
  rootDir?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(_globalConfig?: unknown, projectConfig?: JestProjectConfig): Promise<void> {
  const root = projectConfig?.rootDir ?? process.cwd();
  const reuse = process.env.ALERT_AGENT_BED_REUSE;
  if (reuse) {
    const statePath = path.resolve(root, reuse);
    const s = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    const api = s.processes?.['kube-apiserver'];
    if (!api || !alive(api.pid)) throw new Error(`ALERT_AGENT_BED_REUSE=${reuse}: that bed is not running`);
    process.env.ALERT_AGENT_BED_STATE = statePath;
    process.stderr.write(`[bed] reusing ${s.server} (${statePath})\n`);
    return;
  }

  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const cli = path.join(root, 'test', 'bed', 'cli.ts');
  const t0 = Date.now();
  const child = spawn(tsx, [cli, 'up', '--tmp', '--exit-with-stdin'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ALERT_AGENT_BED_STATE: '' },
  });
  (globalThis as any).__ALERT_AGENT_BED_CHILD__ = child;
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
    process.stderr.write(d); // "[bed] ..." progress, incl. a cold build of the binaries
  });
  const statePath = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const m = /^ALERT_AGENT_BED_STATE=(.+)$/m.exec(stdout);
      if (m) resolve(m[1].trim());
    });
    child.on('error', (e) => reject(new Error(`could not run ${tsx}: ${e.message}`)));
    child.on('exit', (code, sig) =>
      reject(new Error(`test bed failed to start (cli exited with code ${code} signal ${sig}):\n${stderr.slice(-4000)}`)),
    );
  });
  child.stdout!.resume();
  // the child must not keep jest alive on its own; the pipe keeps it tied to jest's lifetime
  child.unref();
  (child.stdin as any)?.unref?.();
  (child.stdout as any)?.unref?.();
  (child.stderr as any)?.unref?.();
  process.env.ALERT_AGENT_BED_STATE = statePath;
  process.stderr.write(`[bed] ready for tests in ${Date.now() - t0} ms (ALERT_AGENT_BED_STATE=${statePath})\n`);
}

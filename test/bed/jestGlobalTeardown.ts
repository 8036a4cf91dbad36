/**
 * jest globalTeardown (integration project): stops the control plane started by jestGlobalSetup.ts
 * (closes the child's stdin, which makes `cli.ts up --exit-with-stdin` stop everything).
 * Only Node built-ins may be imported here (see jestGlobalSetup.ts).
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalTeardown(): Promise<void> {
  if (process.env.ALERT_AGENT_BED_REUSE) return; // not ours
  const child = (globalThis as any).__ALERT_AGENT_BED_CHILD__ as ChildProcess | undefined;
  (globalThis as any).__ALERT_AGENT_BED_CHILD__ = undefined;
  let pid = child?.pid;
  if (!pid && process.env.ALERT_AGENT_BED_STATE) {
    try {
      pid = JSON.parse(fs.readFileSync(process.env.ALERT_AGENT_BED_STATE, 'utf8')).extra?.cliPid;
    } catch {
      /* already gone */
    }
  }
  if (!pid) return;
  const exited = new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
  child?.ref(); // keep jest alive until the bed is really gone
  if (child?.stdin && !child.stdin.destroyed) child.stdin.end();
  else if (alive(pid)) process.kill(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 30000)));
  await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (alive(pid)) process.kill(pid, 'SIGKILL'); // its watchdog then cleans up the bed
}

// Child processes of the benchmark (the operator as `node dist/main.js`, the webhook-only server), with
// their stdin held open so that they go away with us, and stopped by their own pid only.
import { spawn, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { PROJECT_ROOT, sleep } from './common.js';

export interface Child {
  pid: number;
  proc: ChildProcess;
  /** The first stdout line that parses as JSON (the webhook-only server announces itself so). */
  announced: Promise<any>;
  stderrTail(): string;
  stop(): Promise<void>;
}

export function spawnNode(args: string[], env: Record<string, string>, opts: { tsx?: boolean } = {}): Child {
  const argv = [...(opts.tsx ? ['--import', 'tsx'] : []), ...args];
  const proc = spawn(process.execPath, argv, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const announced = new Promise<any>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        resolve(JSON.parse(line));
      } catch {
        /* a log line */
      }
    });
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr.slice(-1500)}`)));
  });
  announced.catch(() => undefined);
  let exited = false;
  proc.on('exit', () => (exited = true));
  return {
    pid: proc.pid!,
    proc,
    announced,
    stderrTail: () => stderr,
    async stop() {
      if (exited) return;
      proc.kill('SIGTERM');
      for (let i = 0; i < 200 && !exited; i++) await sleep(50);
      if (!exited) proc.kill('SIGKILL');
      proc.stdin?.destroy();
    },
  };
}

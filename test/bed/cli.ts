/**
 * Test bed for humans.
 *
 *   tsx test/bed/cli.ts up [--dir .bed] [--alertmanager-webhook URL] [--alertmanager-token TOKEN]
 *                          [--nodes N] [--no-kwok] [--no-controller-manager] [--no-scheduler]
 *                          [--tmp] [--exit-with-stdin]
 *       starts etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok (fake nodes)
 *       in .bed/ under the project root, writes .bed/state.json, and stays in the foreground until
 *       Ctrl-C / SIGTERM (then stops everything). The last stdout line is ALERT_AGENT_BED_STATE=<path>.
 *       --tmp uses a fresh tmp dir (removed on stop); --exit-with-stdin stops when stdin closes.
 *   tsx test/bed/cli.ts down [--dir .bed]     stops a running bed (via its state.json)
 *   tsx test/bed/cli.ts status [--dir .bed]   prints what is running
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startAlertmanager, type Alertmanager } from '../../scripts/local/alertmanager.js';
import { isAlive, PROJECT_ROOT, readState, startControlPlane, stopFromState, updateState, type BedState } from '../../scripts/local/controlPlane.js';

const USAGE =
  'usage: tsx test/bed/cli.ts up [--dir .bed] [--alertmanager-webhook URL] [--alertmanager-token T] [--nodes N] [--no-kwok]\n' +
  '       tsx test/bed/cli.ts down [--dir .bed]\n' +
  '       tsx test/bed/cli.ts status [--dir .bed]\n';

type Flags = ReturnType<typeof parseCli>['flags'];

function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    allowNegative: true, // --no-kwok, --no-controller-manager, --no-scheduler
    options: {
      dir: { type: 'string' },
      'alertmanager-webhook': { type: 'string' },
      'alertmanager-token': { type: 'string' },
      nodes: { type: 'string' },
      kwok: { type: 'boolean', default: true },
      'controller-manager': { type: 'boolean', default: true },
      scheduler: { type: 'boolean', default: true },
      tmp: { type: 'boolean', default: false },
      'exit-with-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [cmd = 'help', ...rest] = positionals;
  if (rest.length) throw new Error(`unexpected argument ${rest[0]}`);
  return { cmd: values.help ? 'help' : cmd, flags: values };
}

const log = (m: string) => process.stderr.write(`[bed] ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface CliExtra {
  cliPid?: number;
  alertmanager?: { url: string; pid: number; dir: string; webhookUrl: string };
}

async function up(dir: string, flags: Flags): Promise<void> {
  const cp = await startControlPlane({
    dir: flags.tmp ? undefined : dir, // --tmp: fresh tmp dir, removed on stop
    controllerManager: flags['controller-manager'],
    scheduler: flags.scheduler,
    kwok: flags.kwok,
    nodes: flags.nodes !== undefined ? Number(flags.nodes) : undefined,
    log,
    handleSignals: false,
  });
  let am: Alertmanager | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping ...');
    try {
      await am?.stop();
    } catch (e) {
      log(`alertmanager stop: ${String(e)}`);
    }
    await cp.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));
  if (flags['exit-with-stdin']) {
    // used by jestGlobalSetup.ts: the bed goes away when the parent (jest) closes the pipe or dies
    process.stdin.on('end', () => void shutdown(0));
    process.stdin.on('close', () => void shutdown(0));
    process.stdin.resume();
  }

  const extra: CliExtra = { cliPid: process.pid };
  if (flags['alertmanager-webhook'] !== undefined) {
    try {
      am = await startAlertmanager({
        webhookUrl: flags['alertmanager-webhook'],
        dir: path.join(cp.dir, 'alertmanager'),
        bearerToken: flags['alertmanager-token'],
      });
      extra.alertmanager = { url: am.url, pid: am.pid, dir: am.dir, webhookUrl: flags['alertmanager-webhook'] };
    } catch (e) {
      log(`AlertManager failed to start: ${String(e)}`);
      await shutdown(1);
      return;
    }
  }
  updateState(cp.statePath, (s) => {
    s.extra = { ...(s.extra ?? {}), ...extra };
  });

  const rel = path.relative(process.cwd(), cp.dir) || '.';
  const lines = [
    '',
    `Test bed is up in ${cp.startupMs} ms (Kubernetes API ${cp.server}).`,
    `  kubeconfig: ${cp.kubeconfigPath}`,
    `  export KUBECONFIG=${cp.kubeconfigPath}`,
    `  export PATH=${cp.binDir}:$PATH   # kubectl, helm, kwok ...`,
    ...(am ? [`  AlertManager: ${am.url}  (webhook -> ${extra.alertmanager!.webhookUrl})`] : []),
    `  state: ${cp.statePath}`,
    `  logs:  ${path.join(cp.dir, 'logs')}/`,
    '',
    `Stop with Ctrl-C, or from another shell: npx tsx test/bed/cli.ts down${rel !== '.bed' ? ` --dir ${rel}` : ''}`,
    `Run the integration tests against this bed: ALERT_AGENT_BED_REUSE=${cp.statePath} npm run test:integration`,
    '',
    `ALERT_AGENT_BED_STATE=${cp.statePath}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  setInterval(() => {}, 1 << 30); // stay in the foreground
}

async function down(dir: string): Promise<void> {
  const statePath = path.join(dir, 'state.json');
  if (!fs.existsSync(statePath)) {
    log(`no bed state at ${statePath}; nothing to stop`);
    return;
  }
  const s = readState(statePath);
  const extra = (s.extra ?? {}) as CliExtra;
  if (extra.cliPid && extra.cliPid !== process.pid && isAlive(extra.cliPid)) {
    log(`asking the running 'up' (pid ${extra.cliPid}) to stop`);
    process.kill(extra.cliPid, 'SIGTERM');
    const deadline = Date.now() + 60000;
    while (isAlive(extra.cliPid) && Date.now() < deadline) await sleep(100);
    if (!isAlive(extra.cliPid)) {
      log('stopped');
      return;
    }
    log('the up process did not exit; killing the bed directly');
  }
  if (extra.alertmanager?.pid && isAlive(extra.alertmanager.pid)) {
    try {
      process.kill(-extra.alertmanager.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await stopFromState(statePath, log);
}

function status(dir: string): void {
  const statePath = path.join(dir, 'state.json');
  if (!fs.existsSync(statePath)) {
    process.stdout.write(`no bed in ${dir}\n`);
    process.exitCode = 1;
    return;
  }
  const s: BedState = readState(statePath);
  const procs = Object.values(s.processes);
  process.stdout.write(`bed in ${s.dir}: ${s.server}\nKUBECONFIG=${s.kubeconfigPath}\n`);
  for (const p of procs) process.stdout.write(`  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${isAlive(p.pid) ? 'running' : 'DEAD'}  ${p.logPath}\n`);
  const am = (s.extra as CliExtra | undefined)?.alertmanager;
  if (am) process.stdout.write(`  ${'alertmanager'.padEnd(24)} pid ${String(am.pid).padEnd(8)} ${isAlive(am.pid) ? 'running' : 'DEAD'}  ${am.url}\n`);
  if (!procs.length || procs.some((p) => !isAlive(p.pid))) process.exitCode = 1;
}

// never die on EPIPE when whoever reads our output (e.g. jest) is gone; we may be mid-cleanup
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { cmd, flags } = parsed;
  const dir = path.resolve(flags.dir ?? path.join(PROJECT_ROOT, '.bed'));
  switch (cmd) {
    case 'up':
      return up(dir, flags);
    case 'down':
      return down(dir);
    case 'status':
      return status(dir);
    default:
      process.stdout.write(USAGE);
      if (cmd !== 'help') process.exitCode = 2;
  }
}

main().catch((e) => {
  log(String(e instanceof Error ? e.stack ?? e.message : e));
  process.exit(1);
});

/**
 * Runs a real AlertManager (Debian `prometheus-alertmanager`, installed by scripts/install-testbed.sh)
 * on a free loopback port, with a webhook receiver pointed at `webhookUrl`: the one `npm run operator`
 * starts next to the local control plane, and the test bed's.
 *
 * Routing uses `group_by: ['...']` (group by all labels), so every distinct alert becomes its own
 * notification; group_wait/group_interval default to 1s so deliveries are quick.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startReaper, stopGroup } from './controlPlane.js';

export interface AlertmanagerOptions {
  webhookUrl: string;
  /** working dir (config, storage, log). Default: fresh tmp dir removed on stop */
  dir?: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** sent as `Authorization: Bearer <token>` to the webhook */
  bearerToken?: string;
  sendResolved?: boolean;
  /** alertmanager binary (default: ALERTMANAGER_BIN or `prometheus-alertmanager` on PATH) */
  binary?: string;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface Alertmanager {
  /** http://127.0.0.1:port */
  url: string;
  pid: number;
  dir: string;
  logPath: string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function yamlString(s: string): string {
  return JSON.stringify(s); // JSON strings are valid YAML double-quoted scalars
}

export function alertmanagerConfig(o: AlertmanagerOptions): string {
  const lines = [
    'global:',
    '  resolve_timeout: 5m',
    'route:',
    '  receiver: webhook',
    "  group_by: ['...']",
    `  group_wait: ${o.groupWait ?? '1s'}`,
    `  group_interval: ${o.groupInterval ?? '1s'}`,
    `  repeat_interval: ${o.repeatInterval ?? '1h'}`,
    'receivers:',
    '- name: webhook',
    '  webhook_configs:',
    `  - url: ${yamlString(o.webhookUrl)}`,
    `    send_resolved: ${o.sendResolved ?? true}`,
    '    max_alerts: 0',
  ];
  if (o.bearerToken) {
    lines.push('    http_config:', '      authorization:', '        type: Bearer', `        credentials: ${yamlString(o.bearerToken)}`);
  }
  return lines.join('\n') + '\n';
}

function request(method: string, url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: 5000,
        headers: body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const running = new Set<number>();
let exitHookInstalled = false;

export async function startAlertmanager(opts: AlertmanagerOptions): Promise<Alertmanager> {
  const bin = opts.binary ?? process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager';
  const ownsDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'alertagent-am-'));
  await fsp.mkdir(path.join(dir, 'data'), { recursive: true });
  const configPath = path.join(dir, 'alertmanager.yml');
  await fsp.writeFile(configPath, alertmanagerConfig(opts));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = path.join(dir, 'alertmanager.log');
  const fd = fs.openSync(logPath, 'a');
  const args = [
    `--config.file=${configPath}`,
    `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    '--cluster.listen-address=', // disable HA gossip (would bind 0.0.0.0:9094)
    '--log.level=debug',
  ];
  let exited: string | null = null;
  const child = spawn(bin, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.on('error', (e) => (exited = `failed to start ${bin}: ${e.message} (run scripts/install-testbed.sh)`));
  child.on('exit', (code, sig) => (exited = `exited with code ${code} signal ${sig}`));
  child.unref();
  const pid = child.pid ?? 0;
  running.add(pid);
  // if this process is SIGKILLed, nothing else would stop AlertManager
  const reaperPid = pid ? startReaper([pid], ownsDir ? dir : undefined) : 0;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const p of running) {
        try {
          process.kill(-p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
  }

  const stop = async () => {
    await stopGroup(pid, reaperPid);
    running.delete(pid);
    if (ownsDir) await fsp.rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30000;
  for (;;) {
    if (exited) {
      const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n') : '';
      await stop();
      throw new Error(`alertmanager ${exited}\n${log}`);
    }
    try {
      const r = await request('GET', `${url}/-/ready`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager did not become ready at ${url}/-/ready`);
    }
    await sleep(100);
  }

  return {
    url,
    pid,
    dir,
    logPath,
    async postAlerts(alerts) {
      const r = await request('POST', `${url}/api/v2/alerts`, JSON.stringify(alerts));
      if (r.status !== 200) throw new Error(`POST /api/v2/alerts: HTTP ${r.status} ${r.text}`);
    },
    stop,
  };
}

/**
 * Runs a real Prometheus (Debian's `prometheus` package; installed here with apt when missing, so a fresh
 * machine needs nothing else) on a free loopback port, scraping the given loopback targets every second.
 * Also: a tiny HTTP target that serves gauges in the Prometheus text format, whose values the test sets.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startReaper, stopGroup } from '../../scripts/local/controlPlane.js';

export interface PrometheusOptions {
  /** Scrape jobs: name → loopback targets ("127.0.0.1:port"). Labels of the targets are kept (honor_labels). */
  jobs: Record<string, string[]>;
  scrapeInterval?: string;
  /** prometheus binary (default: PROMETHEUS_BIN or `prometheus` on PATH, installed with apt when missing) */
  binary?: string;
}

export interface Prometheus {
  /** http://127.0.0.1:port */
  url: string;
  pid: number;
  dir: string;
  logPath: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The prometheus binary, installed from Debian when missing (`apt-get install prometheus`, its service kept
 * from starting). The same as scripts/install-testbed.sh does for AlertManager.
 */
export function ensurePrometheus(binary = process.env.PROMETHEUS_BIN ?? 'prometheus'): string {
  if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0) return binary;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const script = [
    'set -e',
    'made=0',
    `if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' | ${sudo}tee /usr/sbin/policy-rc.d >/dev/null && ${sudo}chmod +x /usr/sbin/policy-rc.d && made=1; fi`,
    `${sudo}apt-get update -qq || true`,
    `ok=0; DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y -qq --no-install-recommends prometheus >&2 && ok=1`,
    `if [ $made = 1 ]; then ${sudo}rm -f /usr/sbin/policy-rc.d; fi`,
    '[ $ok = 1 ]',
  ].join('\n');
  const r = spawnSync('bash', ['-c', script], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  if (r.status !== 0 || spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`prometheus is missing and could not be installed with apt-get (install Debian's "prometheus" package or set PROMETHEUS_BIN)`);
  }
  return binary;
}

export function prometheusConfig(o: PrometheusOptions): string {
  const lines = ['global:', `  scrape_interval: ${o.scrapeInterval ?? '1s'}`, `  scrape_timeout: ${o.scrapeInterval ?? '1s'}`, `  evaluation_interval: ${o.scrapeInterval ?? '1s'}`, 'scrape_configs:'];
  for (const [job, targets] of Object.entries(o.jobs)) {
    lines.push(`- job_name: ${JSON.stringify(job)}`, '  honor_labels: true', '  static_configs:', `  - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const bin = ensurePrometheus(opts.binary);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'alertagent-prom-'));
  const configPath = path.join(dir, 'prometheus.yml');
  await fsp.writeFile(configPath, prometheusConfig(opts));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = path.join(dir, 'prometheus.log');
  const fd = fs.openSync(logPath, 'a');
  const args = [`--config.file=${configPath}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=info'];
  let exited: string | null = null;
  const child = spawn(bin, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.on('error', (e) => (exited = `failed to start ${bin}: ${e.message}`));
  child.on('exit', (code, sig) => (exited = `exited with code ${code} signal ${sig}`));
  child.unref();
  const pid = child.pid ?? 0;
  const reaperPid = pid ? startReaper([pid], dir) : 0;
  const stop = async () => {
    await stopGroup(pid, reaperPid);
    await fsp.rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n') : '';
      await stop();
      throw new Error(`prometheus ${exited}\n${log}`);
    }
    const ok = await fetch(`${url}/-/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready at ${url}/-/ready`);
    }
    await sleep(100);
  }
  return { url, pid, dir, logPath, stop };
}

/** A scrape target on loopback: /metrics serves the gauges as they are set now. */
export interface GaugeTarget {
  /** "127.0.0.1:port" */
  address: string;
  scrapes: number;
  /** A sample with an explicit timestamp (ms) is served as such: the text format allows it, Prometheus keeps it. */
  set(name: string, labels: Record<string, string>, value: number, timestampMs?: number): void;
  /** Called before each scrape is answered (with the scrape's number, from 1), e.g. to move a gauge on. */
  onScrape?: (n: number) => void;
  stop(): Promise<void>;
}

export async function startGaugeTarget(): Promise<GaugeTarget> {
  const gauges = new Map<string, { name: string; labels: Record<string, string>; value: number; ts?: number }>();
  let scrapes = 0;
  let target: GaugeTarget;
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    target.onScrape?.(scrapes);
    const names = [...new Set([...gauges.values()].map((g) => g.name))];
    const body = names
      .flatMap((n) => [
        `# TYPE ${n} gauge`,
        ...[...gauges.values()]
          .filter((g) => g.name === n)
          .map((g) => `${n}{${Object.entries(g.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}} ${g.value}${g.ts !== undefined ? ` ${Math.round(g.ts)}` : ''}`),
      ])
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${body}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  target = {
    address: `127.0.0.1:${port}`,
    get scrapes() {
      return scrapes;
    },
    set(name, labels, value, timestampMs) {
      gauges.set(`${name}${JSON.stringify(labels)}`, { name, labels, value, ts: timestampMs });
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
  return target;
}

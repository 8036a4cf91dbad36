// Shared pieces of the benchmarks: sizes (full or smoke), the compiled operator from dist/ (typed from
// src/ but loaded as the image runs it), a control plane of their own, small Kubernetes helpers, tables.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PROJECT_ROOT, startControlPlane, type ControlPlane } from '../../scripts/local/controlPlane.js';

// Express and friends read NODE_ENV when an app is created: set it before anything starts.
process.env.NODE_ENV = process.env.NODE_ENV || 'production';

export { PROJECT_ROOT };
export const SMOKE = process.env.BENCH_SMOKE === '1' || process.env.BENCH_SMOKE === 'true' || process.argv.includes('--smoke');
export const GROUP = 'alertagent.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'alertincidents';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);

/** What every benchmark hands back: its figures, the one ratio, and whether it completed correctly. */
export interface BenchResult {
  name: string;
  /** The headline figure (a ratio), and how it reads against its target. */
  ratio: number;
  ratioLabel: string;
  target: string;
  meetsTarget: boolean;
  /** A correctness failure (lost alerts, prompt over budget...): the run exits non-zero. */
  failed?: string;
  /** Extra figures for the summary. */
  notes?: string[];
}

export interface BenchContext {
  bed: Bed;
  smoke: boolean;
}

// ── the operator as built ───────────────────────────────────────────────────────────────────────

type OperatorModule = typeof import('../../src/operator.js');
type ConfigModule = typeof import('../../src/config.js');
type LoggerModule = typeof import('../../src/observability/logger.js');
type IntakeModule = typeof import('../../src/webhook/intake.js');
type NamingModule = typeof import('../../src/incident/naming.js');
type IdentityModule = typeof import('../../src/incident/identity.js');
type TypesModule = typeof import('../../src/incident/types.js');

export interface Dist {
  operator: OperatorModule;
  config: ConfigModule;
  logger: LoggerModule;
  intake: IntakeModule;
  naming: NamingModule;
  identity: IdentityModule;
  types: TypesModule;
}

/** dist/ (npm run build), or BENCH_DIST_DIR: another build of the operator to compare with. */
export const DIST_DIR = path.resolve(process.env.BENCH_DIST_DIR || path.join(PROJECT_ROOT, 'dist'));

let distCache: Dist | undefined;
/** The compiled operator (dist/), typed from src/: what `node dist/main.js` runs. */
export async function dist(): Promise<Dist> {
  if (distCache) return distCache;
  const main = path.join(DIST_DIR, 'operator.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first (npm run bench does)`);
  const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(path.join(DIST_DIR, rel)).href)) as T;
  distCache = {
    operator: await load<OperatorModule>('operator.js'),
    config: await load<ConfigModule>('config.js'),
    logger: await load<LoggerModule>('observability/logger.js'),
    intake: await load<IntakeModule>('webhook/intake.js'),
    naming: await load<NamingModule>('incident/naming.js'),
    identity: await load<IdentityModule>('incident/identity.js'),
    types: await load<TypesModule>('incident/types.js'),
  };
  return distCache;
}

/** An AlertIncident as the webhook creates it for `alert` (name, spec, correlation labels), from dist. */
export async function incidentAsWebhookCreates(alert: unknown, now: string, namespace: string) {
  const d = await dist();
  const spec = d.intake.specFromAlert(alert as any, benchPayload([]) as any, now);
  const name = d.naming.incidentName(spec.alertname, spec.fingerprint, spec.startsAt);
  const labels = d.identity.correlationLabels(spec, d.identity.alertIdentity(spec.alertname, spec.labels));
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'AlertIncident', metadata: { name, namespace, labels }, spec };
}

/** The operator's configuration as a deployment would set it, for an operator in this process. */
export function operatorEnv(namespace: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WEBHOOK_PORT: '0',
    METRICS_PORT: '0',
    WEBHOOK_HOST: '127.0.0.1',
    NAMESPACE: namespace,
    SERVERS_CONFIG: '/nonexistent/servers_config.json',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'text',
    ...extra,
  };
}

// ── control plane ───────────────────────────────────────────────────────────────────────────────

export interface Bed {
  cp: ControlPlane;
  kubeconfigPath: string;
  kubectlPath: string;
  kc(): KubeConfig;
  stop(): Promise<void>;
}

/** etcd + kube-apiserver in a tmp dir, with the AlertIncident CRD installed. */
export async function startBed(): Promise<Bed> {
  const t0 = Date.now();
  const cp = await startControlPlane({ log: (m) => (process.env.BENCH_VERBOSE ? log(m) : undefined) });
  const kubectlPath = path.join(cp.binDir, 'kubectl');
  const bed: Bed = {
    cp,
    kubeconfigPath: cp.kubeconfigPath,
    kubectlPath,
    kc() {
      const kc = new KubeConfig();
      kc.loadFromFile(cp.kubeconfigPath);
      return kc;
    },
    stop: () => cp.stop(),
  };
  try {
    await kubectl(bed, ['apply', '-f', path.join(PROJECT_ROOT, 'crds')]);
    await kubectl(bed, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/alertincidents.alertagent.io']);
    // The CRD's storage takes a moment to serve after Established: wait for a list to answer.
    const api = bed.kc().makeApiClient(CustomObjectsApi);
    for (let i = 0; ; i++) {
      try {
        await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, limit: 1 });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await sleep(100);
      }
    }
  } catch (err) {
    await cp.stop();
    throw err;
  }
  log(`control plane up in ${Date.now() - t0} ms (${cp.server})`);
  return bed;
}

export async function kubectl(bed: Bed, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bed.kubectlPath, args, { env: { ...process.env, KUBECONFIG: bed.kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err || out}`))));
  });
}

export async function createNamespace(bed: Bed, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await bed.kc().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Every AlertIncident of a namespace (paged). */
export async function listAll(bed: Bed, namespace: string, labelSelector?: string): Promise<any[]> {
  const api = bed.kc().makeApiClient(CustomObjectsApi);
  const items: any[] = [];
  let cont: string | undefined;
  do {
    const page: any = await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, labelSelector, limit: 500, _continue: cont });
    items.push(...(page.items ?? []));
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}

/** Runs `fn` for 0..n-1 with at most `concurrency` at once; resolves when all are done. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

// ── realistic alerts ────────────────────────────────────────────────────────────────────────────

/** An AlertManager alert of typical size (labels of a pod alert, summary + description + runbook). */
export function benchAlert(i: number, runId: string, over: Record<string, unknown> = {}) {
  const pod = `checkout-${runId}-${i.toString(36)}-7d9f8b6c4-x2k9p`;
  return {
    status: 'firing',
    labels: {
      alertname: 'KubePodCrashLooping',
      severity: 'warning',
      namespace: 'shop',
      pod,
      container: 'checkout',
      job: 'kube-state-metrics',
      instance: '10.244.1.17:8080',
      prometheus: 'monitoring/k8s',
      uid: `${runId}-${i}`,
    },
    annotations: {
      summary: `Pod shop/${pod} (checkout) is in waiting state (reason: "CrashLoopBackOff").`,
      description: `Pod shop/${pod} (checkout) is in waiting state (reason: "CrashLoopBackOff") for more than 15 minutes. It has restarted 12 times; the last exit code was 1.`,
      runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping',
    },
    startsAt: '2026-11-26T07:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.monitoring.svc:9090/graph?g0.expr=max_over_time%28kube_pod_container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D%29+%3E%3D+1&g0.tab=1',
    fingerprint: `${runId}${i.toString(16).padStart(8, '0')}`,
    ...over,
  };
}

export function benchPayload(alerts: unknown[]) {
  return {
    version: '4',
    groupKey: '{}/{severity="warning"}:{alertname="KubePodCrashLooping"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alert-agent',
    groupLabels: { alertname: 'KubePodCrashLooping' },
    commonLabels: { alertname: 'KubePodCrashLooping', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.monitoring.svc:9093',
    alerts,
  };
}

// ── figures ─────────────────────────────────────────────────────────────────────────────────────

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  if (Math.abs(n) >= 100) return n.toFixed(Math.min(digits, 1));
  return n.toFixed(digits);
}

/** A plain aligned table on stdout. */
export function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => r.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  const out = [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  process.stdout.write(out.join('\n') + '\n');
}

/** The last line of a benchmark: its ratio against the target. */
export function resultLine(r: BenchResult): string {
  const verdict = r.failed ? `FAILED: ${r.failed}` : r.meetsTarget ? 'meets target' : 'MISSES target';
  return `${r.name}: ${r.ratioLabel} = ${fmt(r.ratio)} (target ${r.target}) ${verdict}`;
}

/**
 * Runs one benchmark as a script of its own (bench/<name>.ts): its own control plane, build check,
 * the table, and the ratio as the last line; exits non-zero when it fails to complete.
 */
export async function runStandalone(fn: (ctx: BenchContext) => Promise<BenchResult>): Promise<void> {
  let bed: Bed | undefined;
  exitAfterTimeout(() => bed);
  let code = 0;
  try {
    bed = await startBed();
    const r = await fn({ bed, smoke: SMOKE });
    process.stdout.write(resultLine(r) + '\n');
    if (r.failed) code = 1;
  } catch (err) {
    process.stdout.write(`benchmark failed to complete: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = 1;
  } finally {
    await bed?.stop().catch(() => undefined);
  }
  process.exit(code);
}

/**
 * A benchmark that hangs must not hang CI: after BENCH_TIMEOUT_S (default 30 min, smoke 5 min) stop the
 * control plane and exit 1.
 */
export function exitAfterTimeout(bed: () => Bed | undefined): void {
  const seconds = Number(process.env.BENCH_TIMEOUT_S) || (SMOKE ? 300 : 1800);
  setTimeout(() => {
    process.stdout.write(`benchmark did not complete within ${seconds} s: giving up\n`);
    void Promise.resolve(bed()?.stop())
      .catch(() => undefined)
      .finally(() => process.exit(1));
  }, seconds * 1000).unref();
}

/** True when this module is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return !!process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === metaUrl;
}

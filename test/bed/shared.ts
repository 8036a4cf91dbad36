/**
 * Helpers for integration test files. The control plane itself is started once per jest run by
 * test/bed/jestGlobalSetup.ts, which puts the path of its state file in ALERT_AGENT_BED_STATE.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  PROJECT_ROOT,
  readState,
  serviceAccountKubeconfigFromState,
  startApiserverFromState,
  stopApiserverFromState,
} from '../../scripts/local/controlPlane.js';

export function bedStatePath(): string {
  const p = process.env.ALERT_AGENT_BED_STATE;
  if (!p) {
    throw new Error(
      'ALERT_AGENT_BED_STATE is not set: run integration tests through the jest "integration" project ' +
        '(globalSetup test/bed/jestGlobalSetup.ts), e.g. NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects integration',
    );
  }
  return p;
}

export interface BedInfo {
  kubeconfigPath: string;
  /** https://127.0.0.1:port */
  server: string;
  dir: string;
  /** directory with kubectl, helm, kwok, ... */
  binDir: string;
}

export function bed(): BedInfo {
  const s = readState(bedStatePath());
  return { kubeconfigPath: s.kubeconfigPath, server: s.server, dir: s.dir, binDir: s.binDir };
}

/** client-node KubeConfig authenticated as cluster admin (system:masters) */
export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(bed().kubeconfigPath);
  return kc;
}

/** kubeconfig path for ServiceAccount ns/name (namespace and SA are created if missing) */
export function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  return serviceAccountKubeconfigFromState(namespace, name, bedStatePath());
}

/** KubeConfig that authenticates as ServiceAccount ns/name */
export async function serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromFile(await serviceAccountKubeconfig(namespace, name));
  return kc;
}

/**
 * Stop / restart the shared kube-apiserver (same port, certs and etcd). NOTE: this affects every
 * test file running in parallel; put such tests in a file that is run with --runInBand or alone.
 */
export const stopApiserver = (): Promise<void> => stopApiserverFromState(bedStatePath());
export const startApiserver = (): Promise<void> => startApiserverFromState(bedStatePath());

/**
 * Run one of the bed's binaries (kubectl, helm, ...) against the bed as admin, from the project root.
 * Resolves with stdout/stderr/code; never rejects on exit code.
 */
export function runBedBinary(bin: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  const b = bed();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(b.binDir, bin), args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, KUBECONFIG: b.kubeconfigPath, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Run the bed's kubectl against the bed (admin). */
export const kubectl = (args: string[], input?: string) => runBedBinary('kubectl', args, { input });

/** Poll `fn` until it returns a truthy value (returned) or the timeout elapses (throws with the last error). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`eventually: timed out after ${timeoutMs} ms${last ? `; last error: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

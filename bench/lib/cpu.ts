// CPU time of the benchmark's processes (this one, etcd, kube-apiserver, children) from /proc, so a
// table can say where the time went.
import * as fs from 'node:fs';
import type { Bed } from './common.js';

function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export interface CpuMeter {
  /** CPU seconds used by each process since the meter started. */
  read(): Record<string, number>;
}

export function cpuMeter(bed: Bed, extra: Record<string, number> = {}): CpuMeter {
  const state = JSON.parse(fs.readFileSync(bed.cp.statePath, 'utf8')) as { processes: Record<string, { pid: number }> };
  const pids: Record<string, number> = { bench: process.pid, ...extra };
  for (const [name, p] of Object.entries(state.processes)) pids[name] = p.pid;
  const start = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  return {
    read: () => Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p) - start[k]])),
  };
}

export function cpuSummary(used: Record<string, number>, seconds: number): string {
  return Object.entries(used)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s (${Math.round((v / seconds) * 100)}%)`)
    .join(', ');
}

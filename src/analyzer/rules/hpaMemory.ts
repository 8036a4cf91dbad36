// An HPA that scales on memory utilization alone, pinned at its maximum: memory seldom follows the load.
// A runtime that reserves its memory at start (a JVM with a fixed, pre-touched heap: -Xms, AlwaysPreTouch,
// InitialRAMPercentage) keeps utilization of its request at the same level whatever the load, so the HPA
// asks for replicas that cannot bring the average down. Read from the scaled workload's pod template
// (get_resource: its env and args, where JVM options live).
import { field, list, quantity, text, type Evidence } from '../evidence.js';
import { quote, type Call, type Quote } from './types.js';

/** "-Xms900m", "-XX:+AlwaysPreTouch", "-XX:InitialRAMPercentage=80": options that fix memory at start. */
const FIXED_MEMORY_FLAG = /^(-Xms\d+[kmgtKMGT]?|-Xmx\d+[kmgtKMGT]?|-XX:\+AlwaysPreTouch|-XX:(Initial|Min)RAMPercentage=[\d.]+)$/;
const JVM_UNIT: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Whether every metric of the HPA is memory (resource or containerResource). */
export function scalesOnMemoryOnly(hpa: unknown): boolean {
  const metrics = list(hpa, 'spec.metrics');
  return metrics.length > 0 && metrics.every((m) => text(m, 'resource.name') === 'memory' || text(m, 'containerResource.name') === 'memory');
}

/** Read the scaled workload itself (its pod template's env and args) when the HPA scales on memory only. */
export function hpaMemoryPlan(hpa: unknown, ns: string): Call[] {
  const kind = text(hpa, 'spec.scaleTargetRef.kind');
  const name = text(hpa, 'spec.scaleTargetRef.name');
  if (!scalesOnMemoryOnly(hpa) || !name || (kind !== 'Deployment' && kind !== 'StatefulSet')) return [];
  return [{ tool: 'get_resource', args: { apiVersion: 'apps/v1', kind, name, namespace: ns }, why: `The HPA scales on memory only: does ${kind.toLowerCase()} ${name} reserve its memory at start (heap options in its env or args), whatever the load?` }];
}

const jvmBytes = (flag: string) => {
  const m = /^-Xm[sx](\d+)([kmgtKMGT]?)$/.exec(flag);
  return m ? Number(m[1]) * (JVM_UNIT[m[2].toLowerCase()] ?? 1) : undefined;
};

/** Memory-fixing options of one container, from its env values and args/command. */
function fixedMemoryFlags(c: unknown): { flags: string[]; where: string } | undefined {
  for (const e of list(c, 'env')) {
    const flags = (text(e, 'value') ?? '').split(/\s+/).filter((t) => FIXED_MEMORY_FLAG.test(t));
    if (flags.length) return { flags, where: `env ${text(e, 'name')}` };
  }
  const flags = [...list(c, 'command'), ...list(c, 'args')].filter((t): t is string => typeof t === 'string').flatMap((t) => t.split(/\s+/)).filter((t) => FIXED_MEMORY_FLAG.test(t));
  return flags.length ? { flags, where: 'args' } : undefined;
}

/**
 * Why memory utilization stays high whatever the load, from the scaled workload's containers; undefined when
 * the HPA does not scale on memory only, or no container fixes its memory at start.
 */
export function memoryNotLoad(ev: Evidence, ns: string, hpa: unknown, target: number | undefined): { sentence: string; quotes: Quote[]; recommendations: string[] } | undefined {
  const kind = text(hpa, 'spec.scaleTargetRef.kind');
  const name = text(hpa, 'spec.scaleTargetRef.name');
  if (!scalesOnMemoryOnly(hpa) || !kind || !name) return undefined;
  const obj = ev.resource(kind, name, ns);
  for (const c of list(obj, 'spec.template.spec.containers')) {
    const found = fixedMemoryFlags(c);
    if (!found) continue;
    const cn = text(c, 'name') ?? '?';
    const request = text(c, 'resources.requests.memory');
    const xms = found.flags.map((f) => (f.startsWith('-Xms') ? jvmBytes(f) : undefined)).find((b) => b !== undefined);
    const req = quantity(request);
    const pct = xms && req ? Math.round((xms / req) * 100) : undefined;
    const share = pct !== undefined ? `: ${pct}% of its ${request} memory request is heap reserved${found.flags.includes('-XX:+AlwaysPreTouch') ? ' and touched' : ''} at start${target !== undefined && pct >= target ? `, above the HPA's ${target}% target before any request is served` : ''}` : '';
    return {
      sentence:
        `Memory utilization does not follow the load here: container ${cn} of ${kind.toLowerCase()} ${name} starts its JVM with a fixed heap (${found.flags.join(' ')} in its ${found.where})${share}. ` +
        `The heap stays allocated whatever the load, so the HPA keeps asking for replicas that cannot bring the average down and sits at its maximum.`,
      quotes: quote(`get_resource ${kind} ${ns}/${name}`, [`${cn}: ${found.where}: ${found.flags.join(' ')}`, request && `${cn}: requests memory=${request}`]),
      recommendations: [
        `Scale ${name} on a metric that follows its load (CPU utilization, or requests per second through a custom metric) instead of memory: \`kubectl edit hpa -n ${ns} ${text(hpa, 'metadata.name') ?? name}\``,
        `Raising maxReplicas would not help: every new replica reserves the same heap; if memory must stay the metric, size the request so that the fixed heap sits well below the target`,
      ],
    };
  }
  return undefined;
}

/** The HPA's memory utilization target, in percent (the first memory metric's). */
export function memoryTarget(hpa: unknown): number | undefined {
  const m = list(hpa, 'spec.metrics').find((x) => text(x, 'resource.name') === 'memory' || text(x, 'containerResource.name') === 'memory');
  const v = Number(text(field(m, 'resource') ?? field(m, 'containerResource'), 'target.averageUtilization'));
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

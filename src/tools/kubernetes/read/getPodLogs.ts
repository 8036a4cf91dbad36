// get_pod_logs: the tail of a container's log (current or previous instance), bounded.
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { GetPodLogsOutput } from '../../../contracts/toolData.js';
import { defineTool } from '../context.js';
import { describeApiError, httpCode, k8s, ToolError } from '../errors.js';
import { clip, oneLine, tailBytes } from '../format.js';
import { namespaceArg, objectName } from '../schemas.js';

/** Words that mark a log line as an error (or its cause). */
const ERROR_LINE = /\b(error|err|exception|fatal|panic|fail(ed|ure)?|refused|denied|cannot|can't|unable|killed|out of memory|oom|timeout|timed out|no such|not found|invalid|traceback)\b/i;

/** The lines that explain a log's end: up to 5 error-looking lines among the last 40, and the last 5 lines. */
export function logHighlights(text: string): { errorLines: string[]; lastLines: string[]; lines: number } {
  const all = text.split('\n').filter((l) => l.trim());
  const tail = all.slice(-40);
  const line = (l: string) => clip(l.trim(), 300);
  return { errorLines: tail.filter((l) => ERROR_LINE.test(l)).slice(-5).map(line), lastLines: all.slice(-5).map(line), lines: all.length };
}

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** Which container to read, and a note when it was chosen for the caller. Throws ToolError when unclear or absent. */
export function pickContainer(pod: V1Pod, requested: string | undefined): { name: string; note?: string } {
  const containers = pod.spec?.containers ?? [];
  const all = [...(pod.spec?.initContainers ?? []), ...containers, ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
  if (requested) {
    if (!all.includes(requested)) {
      throw new ToolError(`not found: container ${requested} in pod ${pod.metadata?.name} (containers: ${all.join(', ') || '<none>'})`);
    }
    return { name: requested };
  }
  if (containers.length === 1) return { name: containers[0].name };
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const chosen = annotated && all.includes(annotated) ? annotated : containers[0]?.name;
  if (!chosen) throw new ToolError(`pod ${pod.metadata?.name} has no containers`);
  return { name: chosen, note: `pod has containers ${containers.map((c) => c.name).join(', ')}; showing ${chosen} (pass container to choose)` };
}

/** Refuses requests that cannot have logs, with the reason; undefined when logs may exist. */
export function logsUnavailableReason(pod: V1Pod, container: string, previous: boolean): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const cs = statuses.find((s) => s.name === container);
  const where = `container ${container} in pod ${pod.metadata?.name}`;
  if (!pod.spec?.nodeName) return `no logs: pod ${pod.metadata?.name} is not scheduled to a node yet (phase ${pod.status?.phase ?? 'Unknown'}); see describe_pod and its events`;
  if (previous) {
    if (!cs?.lastState?.terminated && !(cs?.restartCount ?? 0)) {
      return `no previous container: ${where} has not restarted (restart count ${cs?.restartCount ?? 0}), so there are no previous logs; call again without previous to read the current logs`;
    }
    return undefined;
  }
  if (cs?.state?.waiting && !cs.lastState?.terminated && !(cs.restartCount ?? 0)) {
    const w = cs.state.waiting;
    return `no logs: ${where} has not started yet (waiting: ${w.reason ?? 'unknown'}${w.message ? ` — ${clip(oneLine(w.message), 300)}` : ''}); see describe_pod and events`;
  }
  return undefined;
}

export const getPodLogs = defineTool({
  name: 'get_pod_logs',
  title: 'Get pod logs',
  description:
    "The last lines of a pod container's log. Use previous=true for the instance that crashed before the current one (what you want for CrashLoopBackOff / OOMKilled). " +
    'Output is bounded: the end of the log is kept.',
  class: 'read',
  inputSchema: {
    name: objectName('pod'),
    namespace: namespaceArg('pod'),
    container: z.string().min(1).max(253).optional().describe('Container name. Optional when the pod has one container; otherwise the default (annotated or first) container is used.'),
    previous: z.boolean().default(false).describe('Read the previous, terminated instance of the container (after a restart or crash).'),
    tailLines: z.number().int().min(1).max(1000).default(100).describe('Number of lines from the end of the log (1-1000, default 100).'),
    sinceSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional().describe('Only lines newer than this many seconds.'),
    maxBytes: z.number().int().min(256).max(64000).default(8000).describe('Maximum bytes of log text returned; the end of the log is kept (default 8000).'),
  },
  outputSchema: GetPodLogsOutput,
  example: { name: 'web-7d9f8c6b5-x2x9k', namespace: 'shop', previous: true, tailLines: 50 },
  aliases: { tail: 'tailLines', lines: 'tailLines', taillines: 'tailLines', since: 'sinceSeconds', c: 'container' },
  async run(a, ctx) {
    const pod = await k8s({ verb: 'get', resource: 'pods', name: a.name, namespace: a.namespace }, () =>
      ctx.core.readNamespacedPod({ name: a.name, namespace: a.namespace }),
    );
    const { name: container, note } = pickContainer(pod, a.container);
    const refusal = logsUnavailableReason(pod, container, a.previous);
    if (refusal) throw new ToolError(refusal);
    let text: string;
    try {
      text = await ctx.core.readNamespacedPodLog({
        name: a.name,
        namespace: a.namespace,
        container,
        previous: a.previous || undefined,
        tailLines: a.tailLines,
        sinceSeconds: a.sinceSeconds,
      });
    } catch (err) {
      const code = httpCode(err);
      const target = { verb: 'get', resource: 'pods/log', kind: 'pod', name: a.name, namespace: a.namespace };
      if (code === undefined || code === 400 || code === 401 || code === 403 || code === 404 || code === 429) {
        throw new ToolError(describeApiError(err, target), code);
      }
      // The API server proxies logs from the node's kubelet; a server-side failure means that did not work.
      const detail = describeApiError(err, target).replace(/^Kubernetes API error \(HTTP (\d+)\): /, 'HTTP $1: ');
      throw new ToolError(
        `logs unavailable: the API server could not fetch logs for ${container} from the kubelet on node ${pod.spec?.nodeName} (${clip(detail, 400)}). ` +
          'Use describe_pod (container state, last termination reason, exit code) and get_events instead.',
        code,
      );
    }
    if (typeof text !== 'string') text = String(text ?? '');
    const head = `Logs of pod ${a.namespace}/${a.name}, container ${container}${a.previous ? ' (previous instance)' : ''}, last ${a.tailLines} lines${a.sinceSeconds ? ` of the last ${a.sinceSeconds}s` : ''}:`;
    const lines = [head];
    if (note) lines.push(`[${note}]`);
    const base = { name: a.name, namespace: a.namespace, container, previous: a.previous, bytes: Buffer.byteLength(text), ...(note ? { notes: [note] } : {}) };
    if (!text.trim()) {
      lines.push('<no log output in the selected range>');
      return { text: lines.join('\n'), data: { ...base, lines: 0, cut: false, empty: true, errorLines: [], lastLines: [] } };
    }
    const cut = tailBytes(text, a.maxBytes);
    if (cut.cut) lines.push(`[log truncated: last ${Buffer.byteLength(cut.text)} of ${cut.total} bytes shown]`);
    lines.push(cut.text.replace(/\n$/, ''));
    return { text: lines.join('\n'), data: { ...base, ...logHighlights(cut.text), cut: cut.cut, empty: false } };
  },
});


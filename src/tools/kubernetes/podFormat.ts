// kubectl-describe-like text for pods, containers and pod templates.
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1EnvFromSource,
  V1EnvVar,
  V1OwnerReference,
  V1Pod,
  V1PodTemplateSpec,
  V1Probe,
  V1ResourceRequirements,
  V1Volume,
} from '@kubernetes/client-node';
import type { PodSummary } from '../../contracts/toolData.js';
import { redact } from '../../redaction/redact.js';
import { age, clip, clipMiddle, envValue, indent, kv, oneLine, when } from './format.js';

/** The STATUS column of `kubectl get pods` (CrashLoopBackOff, OOMKilled, Init:0/1, Terminating, ...). */
export function podStatus(pod: V1Pod): string {
  let reason = pod.status?.reason || pod.status?.phase || 'Unknown';
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  const initCount = pod.spec?.initContainers?.length ?? 0;
  let initializing = false;
  initStatuses.forEach((cs, i) => {
    const t = cs.state?.terminated;
    if (t && t.exitCode === 0) return;
    const sidecar = pod.spec?.initContainers?.[i]?.restartPolicy === 'Always';
    if (sidecar && cs.started) return;
    if (t) {
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
      initializing = true;
    } else if (cs.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${cs.state.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initCount}`;
      initializing = true;
    }
  });
  if (!initializing || initStatuses.length === 0) {
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs.state?.terminated) {
        const t = cs.state.terminated;
        reason = t.reason ? t.reason : t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      } else if (cs.ready && cs.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      reason = ready?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podReady(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

export function podRestarts(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

/** "OOMKilled (exit 137)" for the most recent termination among the pod's containers, or "". */
export function podLastTermination(pod: V1Pod): string {
  let best: { at: number; text: string } | undefined;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const t = cs.lastState?.terminated;
    if (!t) continue;
    const at = new Date(t.finishedAt ?? 0).getTime() || 0;
    const text = `${cs.name}: ${t.reason ?? 'Terminated'} (exit ${t.exitCode})`;
    if (!best || at >= best.at) best = { at, text };
  }
  return best?.text ?? '';
}

export function ownerString(refs: V1OwnerReference[] | undefined): string {
  if (!refs?.length) return '<none>';
  return refs.map((r) => `${r.kind}/${r.name}${r.controller ? ' (controller)' : ''}`).join(', ');
}

export function resourcesString(r: V1ResourceRequirements | undefined): string {
  const req = kv(r?.requests as Record<string, string> | undefined);
  const lim = kv(r?.limits as Record<string, string> | undefined);
  return `requests: ${req === '<none>' ? 'none' : req}; limits: ${lim === '<none>' ? 'none' : lim}`;
}

export function probeString(p: V1Probe | undefined): string {
  if (!p) return '';
  let what: string;
  if (p.httpGet) {
    const scheme = p.httpGet.scheme && p.httpGet.scheme !== 'HTTP' ? `${p.httpGet.scheme.toLowerCase()}-` : '';
    what = `${scheme}http-get ${p.httpGet.path ?? '/'} port ${p.httpGet.port}`;
  } else if (p.tcpSocket) what = `tcp-socket port ${p.tcpSocket.port}`;
  else if (p.grpc) what = `grpc port ${p.grpc.port}${p.grpc.service ? ` service ${p.grpc.service}` : ''}`;
  else if (p.exec) what = `exec [${clip((p.exec.command ?? []).map((a) => redact(a)).join(' '), 160)}]`;
  else what = 'unknown handler';
  const params = [
    `delay=${p.initialDelaySeconds ?? 0}s`,
    `timeout=${p.timeoutSeconds ?? 1}s`,
    `period=${p.periodSeconds ?? 10}s`,
    `success=${p.successThreshold ?? 1}`,
    `failure=${p.failureThreshold ?? 3}`,
  ];
  return `${what} ${params.join(' ')}`;
}

export function envLine(e: V1EnvVar): string {
  const from = e.valueFrom;
  if (from?.secretKeyRef) return `${e.name}: <from secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key}>`;
  if (from?.configMapKeyRef) return `${e.name}: <from configmap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}>`;
  if (from?.fieldRef) return `${e.name}: <from field ${from.fieldRef.fieldPath}>`;
  if (from?.resourceFieldRef) return `${e.name}: <from resource ${from.resourceFieldRef.resource}${from.resourceFieldRef.containerName ? ` of ${from.resourceFieldRef.containerName}` : ''}>`;
  if (from) return `${e.name}: <from another source>`;
  return `${e.name}: ${clip(oneLine(envValue(e.name, e.value ?? '')), 200)}`;
}

export function envFromLine(e: V1EnvFromSource): string {
  const prefix = e.prefix ? ` (prefix ${e.prefix})` : '';
  if (e.secretRef) return `all keys of secret ${e.secretRef.name}${prefix}${e.secretRef.optional ? ' (optional)' : ''}`;
  if (e.configMapRef) return `all keys of configmap ${e.configMapRef.name}${prefix}${e.configMapRef.optional ? ' (optional)' : ''}`;
  return 'unknown source';
}

/** The spec side of a container: image, command, ports, resources, probes, env, mounts. */
export function containerSpecLines(c: V1Container): string[] {
  const lines: string[] = [`Image: ${c.image ?? '<none>'}${c.imagePullPolicy ? ` (pull ${c.imagePullPolicy})` : ''}`];
  if (c.command?.length) lines.push(`Command: ${clip(c.command.map((a) => redact(a)).join(' '), 300)}`);
  if (c.args?.length) lines.push(`Args: ${clip(c.args.map((a) => redact(a)).join(' '), 300)}`);
  if (c.ports?.length) lines.push(`Ports: ${c.ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`).join(', ')}`);
  lines.push(`Resources: ${resourcesString(c.resources)}`);
  if (c.livenessProbe) lines.push(`Liveness: ${probeString(c.livenessProbe)}`);
  if (c.readinessProbe) lines.push(`Readiness: ${probeString(c.readinessProbe)}`);
  if (c.startupProbe) lines.push(`Startup: ${probeString(c.startupProbe)}`);
  if (c.env?.length) {
    lines.push('Env:');
    const shown = c.env.slice(0, 40);
    for (const e of shown) lines.push(`  ${envLine(e)}`);
    if (c.env.length > shown.length) lines.push(`  ... ${c.env.length - shown.length} more`);
  }
  if (c.envFrom?.length) lines.push(`Env from: ${c.envFrom.map(envFromLine).join('; ')}`);
  if (c.volumeMounts?.length) {
    lines.push(`Mounts: ${c.volumeMounts.map((m) => `${m.mountPath} from ${m.name}${m.subPath ? `/${m.subPath}` : ''}${m.readOnly ? ' (ro)' : ''}`).join(', ')}`);
  }
  return lines;
}

export function stateString(s: V1ContainerState | undefined, now: number): string {
  if (!s) return 'unknown';
  if (s.running) return `Running (started ${when(s.running.startedAt, now)})`;
  if (s.waiting) return `Waiting: ${s.waiting.reason ?? 'unknown reason'}${s.waiting.message ? ` — ${clip(oneLine(s.waiting.message), 300)}` : ''}`;
  if (s.terminated) {
    const t = s.terminated;
    const parts = [`Terminated: ${t.reason ?? 'unknown reason'}, exit code ${t.exitCode}`];
    if (t.signal) parts.push(`signal ${t.signal}`);
    if (t.finishedAt) parts.push(`finished ${when(t.finishedAt, now)}`);
    let out = parts.join(', ');
    if (t.message) out += ` — ${clipMiddle(oneLine(t.message), 400)}`;
    return out;
  }
  return 'unknown';
}

export function containerStatusLines(cs: V1ContainerStatus | undefined, now: number): string[] {
  if (!cs) return ['State: no status reported yet'];
  const lines = [`State: ${stateString(cs.state, now)}`];
  if (cs.lastState && (cs.lastState.terminated || cs.lastState.waiting || cs.lastState.running)) {
    lines.push(`Last state: ${stateString(cs.lastState, now)}`);
  }
  lines.push(`Ready: ${cs.ready}   Restarts: ${cs.restartCount ?? 0}${cs.started !== undefined ? `   Started: ${cs.started}` : ''}`);
  return lines;
}

export function volumeString(v: V1Volume): string {
  if (v.persistentVolumeClaim) return `${v.name}: PVC ${v.persistentVolumeClaim.claimName}${v.persistentVolumeClaim.readOnly ? ' (ro)' : ''}`;
  if (v.configMap) return `${v.name}: configmap ${v.configMap.name}`;
  if (v.secret) return `${v.name}: secret ${v.secret.secretName}`;
  if (v.emptyDir) return `${v.name}: emptyDir${v.emptyDir.medium ? ` (${v.emptyDir.medium})` : ''}${v.emptyDir.sizeLimit ? ` limit ${v.emptyDir.sizeLimit}` : ''}`;
  if (v.hostPath) return `${v.name}: hostPath ${v.hostPath.path}`;
  if (v.projected) return `${v.name}: projected`;
  if (v.downwardAPI) return `${v.name}: downwardAPI`;
  const other = Object.keys(v).find((k) => k !== 'name');
  return `${v.name}: ${other ?? 'unknown'}`;
}

/** Containers (spec + status side by side), for describe_pod. */
export function podContainersSection(pod: V1Pod, now: number): string[] {
  const out: string[] = [];
  const section = (title: string, containers: V1Container[] | undefined, statuses: V1ContainerStatus[] | undefined) => {
    if (!containers?.length) return;
    out.push(`${title}:`);
    for (const c of containers) {
      out.push(`  ${c.name}:`);
      const cs = statuses?.find((s) => s.name === c.name);
      for (const l of [...containerStatusLines(cs, now), ...containerSpecLines(c)]) out.push(indent(l, 4));
    }
  };
  section('Init containers', pod.spec?.initContainers, pod.status?.initContainerStatuses);
  section('Containers', pod.spec?.containers, pod.status?.containerStatuses);
  return out;
}

/** A pod template (Deployment, StatefulSet, DaemonSet, Job), spec side only. */
export function podTemplateLines(t: V1PodTemplateSpec | undefined): string[] {
  const out: string[] = ['Pod template:'];
  if (!t) return [...out, '  <none>'];
  out.push(`  Labels: ${kv(t.metadata?.labels)}`);
  const ann = { ...(t.metadata?.annotations ?? {}) };
  if (Object.keys(ann).length) out.push(`  Annotations: ${kv(ann)}`);
  const s = t.spec;
  if (s?.serviceAccountName) out.push(`  Service account: ${s.serviceAccountName}`);
  if (s?.nodeSelector) out.push(`  Node selector: ${kv(s.nodeSelector)}`);
  if (s?.priorityClassName) out.push(`  Priority class: ${s.priorityClassName}`);
  for (const [title, list] of [
    ['Init containers', s?.initContainers],
    ['Containers', s?.containers],
  ] as const) {
    if (!list?.length) continue;
    out.push(`  ${title}:`);
    for (const c of list) {
      out.push(`    ${c.name}:`);
      for (const l of containerSpecLines(c)) out.push(indent(l, 6));
    }
  }
  if (s?.volumes?.length) out.push(`  Volumes: ${s.volumes.map(volumeString).join('; ')}`);
  return out;
}

/** One line per pod for workload descriptions, from the pod as data (data.ts, podSummary). */
export function podLine(p: PodSummary, now: number): string {
  const last = p.lastTermination ? `${p.lastTermination.container}: ${p.lastTermination.reason} (exit ${p.lastTermination.exitCode})` : '';
  return [
    p.name,
    `status=${p.status}`,
    `ready=${p.ready}/${p.total}`,
    `restarts=${p.restarts}`,
    `node=${p.node ?? '<unscheduled>'}`,
    `age=${age(p.createdAt, now)}`,
    last ? `last-termination=${last}` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

/** "Ready=False (ContainersNotReady: containers with unready status: [app])" per condition. */
export function conditionLines(
  conds: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: Date | string }> | undefined,
  now: number,
): string[] {
  if (!conds?.length) return ['Conditions: <none>'];
  return [
    'Conditions:',
    ...conds.map((c) => {
      const extra = [c.reason, c.message ? clip(oneLine(c.message), 300) : ''].filter(Boolean).join(': ');
      const since = c.lastTransitionTime ? ` (since ${age(c.lastTransitionTime, now)})` : '';
      return `  ${c.type}=${c.status}${extra ? ` — ${extra}` : ''}${since}`;
    }),
  ];
}

/** The pod-template images as "name=image" list. */
export function templateImages(t: V1PodTemplateSpec | undefined): string {
  return (t?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`).join(', ') || '<none>';
}

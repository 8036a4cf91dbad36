// A container that exits because a file it opens is missing, where the file lies under a ConfigMap
// volume: the usual cause is the ConfigMap holding it under another key (rules.yml for rules.yaml), or a
// volume's `items` that leave it out. Reads the pod's spec (mounts, volumes) and the ConfigMap's keys.
import { clip, field, list, text, type Evidence } from '../evidence.js';
import type { PodDiagnosis } from './pods.js';
import { quote, type Call, type Quote } from './types.js';

const MISSING = /no such file or directory|ENOENT|FileNotFound|file not found|does not exist|cannot find the file/i;
const ABS_PATH = /(\/(?:[\w.@+-]+\/)*[\w.@+-]+)/g;

export interface MountedFile {
  path: string;
  mountPath: string;
  configMap: string;
  /** The name of the file under the mount. */
  file: string;
  /** The files the volume shows: its items' paths, or the ConfigMap's keys. */
  items?: string[];
}

/** The error text of the container's last run: its termination message and state message. */
export function errorText(dg: PodDiagnosis): string {
  return [dg.target?.lastMessage, dg.target?.message, dg.cause].filter(Boolean).join('\n');
}

/** The missing file of the error text that lies under a ConfigMap volume of the container, if any. */
export function missingMountedFile(pod: Record<string, unknown> | undefined, dg: PodDiagnosis): MountedFile | undefined {
  const err = errorText(dg);
  if (!pod || !MISSING.test(err)) return undefined;
  const containers = [...list(pod, 'spec.initContainers'), ...list(pod, 'spec.containers')];
  const container = containers.find((c) => text(c, 'name') === dg.target?.name);
  const volumes = list(pod, 'spec.volumes');
  for (const path of new Set(err.match(ABS_PATH) ?? [])) {
    const mounts = list(container, 'volumeMounts')
      .filter((m) => !text(m, 'subPath') && path.startsWith(`${(text(m, 'mountPath') ?? '').replace(/\/$/, '')}/`))
      .sort((x, y) => (text(y, 'mountPath') ?? '').length - (text(x, 'mountPath') ?? '').length);
    const mount = mounts[0];
    if (!mount) continue;
    const volume = volumes.find((v) => text(v, 'name') === text(mount, 'name'));
    const configMap = text(volume, 'configMap.name');
    if (!configMap) continue;
    const mountPath = (text(mount, 'mountPath') ?? '').replace(/\/$/, '');
    const items = list(volume, 'configMap.items').map((i) => text(i, 'path') ?? '').filter(Boolean);
    return { path, mountPath, configMap, file: path.slice(mountPath.length + 1), ...(items.length ? { items } : {}) };
  }
  return undefined;
}

export function mountedFilePlan(ns: string, m: MountedFile | undefined): Call[] {
  if (!m) return [];
  return [{ tool: 'get_resource', args: { apiVersion: 'v1', kind: 'ConfigMap', name: m.configMap, namespace: ns }, why: `The container cannot open ${m.path}, under ConfigMap ${m.configMap} mounted at ${m.mountPath}: which keys does it hold?` }];
}

export interface MountedFileCause {
  summary: string;
  cause: string;
  quotes: Quote[];
  recommendations: string[];
}

/** Why the mounted file is missing, from the ConfigMap's keys; undefined when the ConfigMap does hold it. */
export function mountedFileCause(ev: Evidence, dg: PodDiagnosis, m: MountedFile | undefined): MountedFileCause | undefined {
  if (!m) return undefined;
  const ns = dg.namespace;
  const cm = ev.resource('ConfigMap', m.configMap, ns);
  if (!cm) return undefined;
  const keys = [...Object.keys((field(cm, 'data') as Record<string, unknown>) ?? {}), ...Object.keys((field(cm, 'binaryData') as Record<string, unknown>) ?? {})];
  const files = m.items ?? keys;
  const top = m.file.split('/')[0];
  if (files.includes(m.file) || files.includes(top)) return undefined;
  const shown = files.slice(0, 8).join(', ') || 'none';
  const via = m.items ? `the volume's items project only ${shown} (the ConfigMap's keys: ${keys.slice(0, 8).join(', ') || 'none'})` : `its keys are ${shown}`;
  return {
    summary: `ConfigMap ${m.configMap} has no key "${m.file}", the file container ${dg.target?.name ?? '?'} opens`,
    cause:
      `Container ${dg.target?.name ?? '?'} of pod ${ns}/${dg.pod} opens ${m.path}, which does not exist: ConfigMap ${m.configMap} is mounted at ${m.mountPath} and has no key "${m.file}" (${via}). ` +
      `The file the application asks for and the key the ConfigMap holds differ`,
    quotes: [...quote(`get_resource ConfigMap ${ns}/${m.configMap}`, [`keys: ${keys.join(', ') || 'none'}`]), ...quote(`pod ${ns}/${dg.pod}`, [clip(`volume ${m.configMap} mounted at ${m.mountPath}`, 200)])],
    recommendations: [
      `Make the key and the path agree: rename the key of ConfigMap ${m.configMap} to "${m.file}" (\`kubectl edit configmap -n ${ns} ${m.configMap}\`), or point the application at the existing file`,
      `Then restart the pod so it reads the file: \`kubectl delete pod -n ${ns} ${dg.pod}\``,
    ],
  };
}

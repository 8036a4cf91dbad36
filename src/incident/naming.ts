import { createHash } from 'node:crypto';

const MAX_NAME = 63;
const HASH_LEN = 10;

/**
 * The incident's name is a function of the alert alone, so a retried or repeated notification finds the
 * same object and concurrent deliveries collide on create (409) instead of duplicating. The fingerprint
 * identifies the alert's label set; startsAt separates one firing from the next.
 */
export function incidentName(alertname: string, fingerprint: string, startsAt: string, cluster?: string): string {
  // Another cluster than the local one (identity.ts clusterKeyOf) is part of the name: the same alert from
  // two clusters (same labels, so the same fingerprint, when the cluster came from a per-source default) is
  // two incidents. The local cluster's names stay as they were before there were many clusters.
  const hash = createHash('sha256')
    .update(`${fingerprint}\n${startsAt}${cluster === undefined ? '' : `\n${cluster}`}`)
    .digest('hex')
    .slice(0, HASH_LEN);
  const prefix = dnsLabelPrefix(alertname, MAX_NAME - HASH_LEN - 1);
  return prefix ? `${prefix}-${hash}` : `alert-${hash}`;
}

/** Lower-case DNS-1123 label characters only, no leading/trailing dash, at most `max` long. */
function dnsLabelPrefix(raw: string, max: number): string {
  const words = raw
    .normalize('NFKD')
    // camelCase → camel-case keeps alert names readable (KubePodCrashLooping → kube-pod-crash-looping)
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return words.slice(0, max).replace(/-+$/g, '');
}

/** AlertManager always sends a fingerprint; a hand-written payload may not, so derive one from the labels. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

// Sharding (as Flux shards with `sharding.fluxcd.io/key`): the webhook labels each new incident with
// `alertagent.io/shard: "N"`, N a stable hash of the alert's fingerprint modulo SHARD_COUNT, and the
// controller of shard N watches only incidents with that label. The fingerprint (not the incident name)
// is hashed, so every firing of one alert, from either AlertManager replica and on every retry, lands on
// the same shard (the notifier's per-alert minimum interval stays within one shard).
// SHARD_BY=cluster (many clusters) hashes the incident's cluster instead: one shard investigates a whole
// cluster, with that cluster's client and its per-cluster concurrency in one process.
//
// Shard 0 takes every incident that no other shard takes: `alertagent.io/shard notin (1,…,COUNT-1)`
// also selects incidents without the label (created before sharding was on, or by an older webhook) and
// incidents labelled for a shard that no longer exists (after SHARD_COUNT went down). So the selectors of
// the shards partition the incidents: each is watched by exactly one shard, with no relabelling.
import { createHash } from 'node:crypto';
import { GROUP } from './types.js';

export const SHARD_LABEL = `${GROUP}/shard`;

/** SHARD_BY: what is hashed to pick a new incident's shard. */
export type ShardBy = 'fingerprint' | 'cluster';

/** The shard of a key (a fingerprint, or a cluster's name): sha256 of it, first 32 bits, modulo the shard count. */
export function shardOf(key: string, shardCount: number): number {
  if (shardCount <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shardCount;
}

/** What shardOf hashes for a new incident: its fingerprint, or (SHARD_BY=cluster) its cluster's name ('' when it has none). */
export function shardKeyOf(spec: { fingerprint: string; cluster?: string }, by: ShardBy): string {
  return by === 'cluster' ? (spec.cluster ?? '') : spec.fingerprint;
}

/**
 * The label selector (without the controller's own `finished!=true`) of the incidents shard `shard` of
 * `shardCount` owns; undefined when there is only one shard (it owns everything).
 */
export function shardSelector(shard: number, shardCount: number): string | undefined {
  if (shardCount <= 1) return undefined;
  if (shard > 0) return `${SHARD_LABEL}=${shard}`;
  const others = Array.from({ length: shardCount - 1 }, (_, i) => String(i + 1));
  return `${SHARD_LABEL} notin (${others.join(',')})`;
}

/** Which shard owns an incident with these labels (the same partition as shardSelector). */
export function ownerShard(labels: Record<string, string> | undefined, shardCount: number): number {
  // Compared as strings, as the API server compares label values ("01" is not shard 1).
  const v = labels?.[SHARD_LABEL];
  for (let n = 1; n < shardCount; n++) if (v === String(n)) return n;
  return 0;
}

/** Two selectors joined (AND); either may be empty. */
export function andSelectors(...parts: Array<string | undefined>): string | undefined {
  const s = parts.filter(Boolean).join(',');
  return s || undefined;
}

/** The leader Lease of a shard: shard 0 keeps LEADER_ELECTION_ID, so a switch from one replica set to shards hands shard 0 over through the same Lease. */
export function shardLeaseName(leaderElectionId: string, shard: number, shardCount: number): string {
  return shardCount <= 1 || shard === 0 ? leaderElectionId : `${leaderElectionId}-shard-${shard}`;
}

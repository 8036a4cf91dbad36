// Sharding: the hash, the selectors (which must partition the incidents), the Lease names, the settings.
import { ConfigError, loadConfig } from '../../src/config.js';
import { SHARD_LABEL, andSelectors, ownerShard, shardKeyOf, shardLeaseName, shardOf, shardSelector } from '../../src/incident/shard.js';

describe('shardOf', () => {
  it('is stable, within range, and spreads fingerprints evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const fp = i.toString(16).padStart(16, '0');
      const s = shardOf(fp, 4);
      expect(shardOf(fp, 4)).toBe(s);
      counts[s]++;
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(shardOf('0123456789abcdef', 1)).toBe(0);
  });
});

describe('shardKeyOf (SHARD_BY)', () => {
  it('hashes the fingerprint by default, the cluster with SHARD_BY=cluster: two alerts of one cluster share a shard', () => {
    expect(shardKeyOf({ fingerprint: 'f1', cluster: 'eu-1' }, 'fingerprint')).toBe('f1');
    expect(shardKeyOf({ fingerprint: 'f1', cluster: 'eu-1' }, 'cluster')).toBe('eu-1');
    expect(shardKeyOf({ fingerprint: 'f1' }, 'cluster')).toBe('');
    // Fingerprints that fingerprint sharding puts apart: by cluster, together.
    const fps = Array.from({ length: 64 }, (_, i) => `fp${i}`);
    const a = fps.find((f) => shardOf(f, 4) === 0)!;
    const b = fps.find((f) => shardOf(f, 4) === 3)!;
    const byCluster = [a, b].map((fingerprint) => shardOf(shardKeyOf({ fingerprint, cluster: 'eu-1' }, 'cluster'), 4));
    expect(byCluster[0]).toBe(byCluster[1]);
    expect(byCluster[0]).toBe(shardOf('eu-1', 4));
  });
});

describe('shardSelector / ownerShard', () => {
  it('one shard owns everything: no selector', () => {
    expect(shardSelector(0, 1)).toBeUndefined();
    expect(andSelectors('alertagent.io/finished!=true', shardSelector(0, 1))).toBe('alertagent.io/finished!=true');
  });
  it('shard N > 0 selects its label; shard 0 everything no other shard takes', () => {
    expect(shardSelector(2, 3)).toBe(`${SHARD_LABEL}=2`);
    expect(shardSelector(0, 3)).toBe(`${SHARD_LABEL} notin (1,2)`);
    expect(andSelectors('a!=true', shardSelector(1, 3))).toBe(`a!=true,${SHARD_LABEL}=1`);
  });
  it('ownerShard: unlabelled, out of range or garbage labels belong to shard 0', () => {
    expect(ownerShard(undefined, 3)).toBe(0);
    expect(ownerShard({}, 3)).toBe(0);
    expect(ownerShard({ [SHARD_LABEL]: '2' }, 3)).toBe(2);
    expect(ownerShard({ [SHARD_LABEL]: '3' }, 3)).toBe(0);
    expect(ownerShard({ [SHARD_LABEL]: 'x' }, 3)).toBe(0);
    expect(ownerShard({ [SHARD_LABEL]: '01' }, 3)).toBe(0); // as the API server compares: "01" is not "1"
  });
});

describe('shardLeaseName', () => {
  it('shard 0 keeps LEADER_ELECTION_ID; the others add -shard-N', () => {
    expect(shardLeaseName('alert-agent-leader', 0, 1)).toBe('alert-agent-leader');
    expect(shardLeaseName('alert-agent-leader', 0, 2)).toBe('alert-agent-leader');
    expect(shardLeaseName('alert-agent-leader', 1, 2)).toBe('alert-agent-leader-shard-1');
  });
});

describe('config', () => {
  it('SHARD_COUNT defaults to 1, SHARD to 0; SHARD must be below SHARD_COUNT', () => {
    const c = loadConfig({ NAMESPACE: 'x' });
    expect([c.SHARD_COUNT, c.SHARD]).toEqual([1, 0]);
    expect(loadConfig({ NAMESPACE: 'x', SHARD_COUNT: '3', SHARD: '2' }).SHARD).toBe(2);
    expect(() => loadConfig({ NAMESPACE: 'x', SHARD_COUNT: '2', SHARD: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ NAMESPACE: 'x', SHARD_COUNT: '0' })).toThrow(ConfigError);
  });
  it('SHARD_BY: fingerprint by default; cluster only with many clusters on', () => {
    expect(loadConfig({ NAMESPACE: 'x' }).SHARD_BY).toBe('fingerprint');
    expect(loadConfig({ NAMESPACE: 'x', SHARD_BY: 'cluster', CLUSTERS_ENABLED: 'true' }).SHARD_BY).toBe('cluster');
    expect(loadConfig({ NAMESPACE: 'x', SHARD_BY: 'cluster', CLUSTER_SECRET_SELECTOR: 'a=b' }).SHARD_BY).toBe('cluster');
    expect(() => loadConfig({ NAMESPACE: 'x', SHARD_BY: 'cluster' })).toThrow(/SHARD_BY.*many clusters/s);
    expect(() => loadConfig({ NAMESPACE: 'x', SHARD_BY: 'namespace' })).toThrow(ConfigError);
  });
});

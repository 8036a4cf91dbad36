// A ConfigMap's data kept within its bounds (the recall history, the ticket links): a ConfigMap holds at
// most 1 MiB, so entries touched longest ago give way first.

/** At most `maxEntries` keys and `bytes` of keys and values, the entries with the oldest `timeOf` dropped first. */
export function keepNewest(data: Record<string, string>, timeOf: (value: string) => number, maxEntries: number, bytes: number): Record<string, string> {
  const entries = Object.entries(data).map(([k, v]) => ({ k, v, t: timeOf(v) || 0 }));
  entries.sort((a, b) => b.t - a.t);
  const out: Record<string, string> = {};
  let size = 0;
  for (const e of entries.slice(0, maxEntries)) {
    size += Buffer.byteLength(e.k) + Buffer.byteLength(e.v);
    if (size > bytes) break;
    out[e.k] = e.v;
  }
  return out;
}

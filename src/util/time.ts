// Times for people.

/**
 * How long ago an ISO time was, in one unit: "45s" (under 2 minutes), "12m" (under 2 hours), "5h" (under
 * 2 days), "3d"; "" when it is not a time, "0s" when it is in the future. (The web view's live list has a
 * copy in its browser script, src/web/assets.ts, held to this one by a unit test.)
 */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

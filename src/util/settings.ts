// Helpers for the operator's own setting files (notifications, tickets): durations written as "30s" and
// `${VAR}` secrets expanded from the environment, so that a file mounted from a ConfigMap never holds one;
// and the schema pieces both files share (a duration, the delivery settings, unique names).
import { z } from 'zod';

/** "30s", "5m", "2h", "1d" or plain milliseconds. */
export function parseDuration(s: string | number): number {
  if (typeof s === 'number') return s;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new Error(`"${s}" is not a duration like 30s, 5m, 2h or 1d`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[(m[2] ?? 'ms') as 'ms'];
}

/**
 * `${VAR}` in every string, from env; a missing variable is an error naming it and where it was written
 * (`file` names the file's kind when the path is empty): an empty URL would fail later, less clearly.
 */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = '', file = 'settings'): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) throw new Error(`${path || file}: \${${name}} is not set in the environment`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`, file));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k, file)]));
  return value;
}

/** A duration setting: "30s", "5m", "2h", "1d" or milliseconds, read into milliseconds. */
export const durationSetting = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** How a queue of outgoing requests (notifications, tickets) delivers: in flight at once, timeout, retries. */
export function deliverySettings(concurrency: number) {
  return z
    .object({
      /** Requests in flight at once, over all destinations. */
      concurrency: z.number().int().min(1).default(concurrency),
      /** Per request. */
      timeout: durationSetting.default('10s'),
      /** Attempts per event before it is recorded Failed. */
      maxAttempts: z.number().int().min(1).default(8),
      initialBackoff: durationSetting.default('2s'),
      maxBackoff: durationSetting.default('5m'),
    })
    .strict()
    .default({});
}

/** An issue for each name used twice in `items` (the sinks' or trackers' names key their records). */
export function uniqueNames(items: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx, path: string, what: string): void {
  const seen = new Set<string>();
  for (const i of items) {
    if (seen.has(i.name)) ctx.addIssue({ code: 'custom', path: [path], message: `two ${what} are named "${i.name}"` });
    seen.add(i.name);
  }
}

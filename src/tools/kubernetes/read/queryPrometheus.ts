// query_prometheus: an instant or range PromQL query against the configured Prometheus (PROMETHEUS_URL,
// optional bearer token), each series summarised (first/last/min/max, least-squares trend and slope per
// hour, a few samples) instead of returned whole, with a bounded number of series.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { QueryPrometheusOutput, type OutputOf, type SeriesSummary } from '../../../contracts/toolData.js';
import { defineTool, type PrometheusSource } from '../context.js';
import { compact } from '../data.js';
import { ToolError } from '../errors.js';
import { clip, humanDuration, isoTime, oneLine, toMillis } from '../format.js';

type Data = OutputOf<'query_prometheus'>;

const MAX_POINTS = 240;
const SAMPLES_SHOWN = 6;

type Sample = [number, string];
interface PromSeries {
  metric?: Record<string, string>;
  value?: Sample;
  values?: Sample[];
}
interface PromAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

async function token(src: PrometheusSource): Promise<string | undefined> {
  if (src.bearerToken) return src.bearerToken;
  if (!src.bearerTokenFile) return undefined;
  try {
    return (await readFile(src.bearerTokenFile, 'utf8')).trim() || undefined;
  } catch (err) {
    throw new ToolError(`the Prometheus bearer token file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): check PROMETHEUS_BEARER_TOKEN_FILE`);
  }
}

/** POSTs a query to the Prometheus HTTP API and returns its `data`, or throws a ToolError that says what went wrong. */
export async function promQuery(src: PrometheusSource, path: '/api/v1/query' | '/api/v1/query_range', params: Record<string, string>): Promise<{ data: NonNullable<PromAnswer['data']>; warnings: string[] }> {
  const url = `${src.url.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const t = await token(src);
  if (t) headers.authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString(), signal: AbortSignal.timeout(src.timeoutMs ?? 15_000), redirect: 'error' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${humanDuration(src.timeoutMs ?? 15_000)}` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new ToolError(`Prometheus at ${src.url} cannot be reached: ${reason}`);
  }
  const body = await res.text();
  let answer: PromAnswer | undefined;
  try {
    answer = JSON.parse(body) as PromAnswer;
  } catch {
    /* not JSON */
  }
  if (res.status === 401 || res.status === 403) throw new ToolError(`Prometheus at ${src.url} refused the query (HTTP ${res.status}): check PROMETHEUS_BEARER_TOKEN / PROMETHEUS_BEARER_TOKEN_FILE`, res.status);
  if (!answer || answer.status !== 'success' || !answer.data) {
    const detail = answer?.error ? `${answer.errorType ?? 'error'}: ${answer.error}` : clip(oneLine(body), 300) || 'empty body';
    throw new ToolError(`Prometheus answered HTTP ${res.status}: ${detail}${answer?.errorType === 'bad_data' ? ' (fix the PromQL expression)' : ''}`, res.status);
  }
  return { data: answer.data, warnings: answer.warnings ?? [] };
}

const num = (s: string): number | null => {
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};

/** One series as a summary: the newest, lowest and highest values, and a least-squares trend. */
export function summarise(s: PromSeries): SeriesSummary {
  const pts = (s.values ?? (s.value ? [s.value] : [])).map(([t, v]) => ({ t: t * 1000, v: num(v) }));
  const finite = pts.filter((p): p is { t: number; v: number } => p.v !== null);
  const last = pts.at(-1);
  const labels = { ...(s.metric ?? {}) };
  const base = { labels, points: pts.length, last: last?.v ?? null, lastAt: last ? isoTime(last.t) : '' };
  if (!finite.length) return { ...base, min: null, max: null, trend: 'single' };
  const min = Math.min(...finite.map((p) => p.v));
  const max = Math.max(...finite.map((p) => p.v));
  if (pts.length < 2 || finite.length < 2) return { ...base, min, max, trend: 'single' };
  // Least squares over (hours, value).
  const t0 = finite[0].t;
  const xs = finite.map((p) => (p.t - t0) / 3_600_000);
  const ys = finite.map((p) => p.v);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const slope = sxx > 0 ? xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx : 0;
  const span = xs.at(-1)! - xs[0];
  const scale = Math.max(Math.abs(my), max - min, 1e-12);
  const moved = slope * span;
  const trend = Math.abs(moved) < 0.05 * scale ? 'flat' : moved > 0 ? 'rising' : 'falling';
  const step = Math.max(1, Math.ceil(pts.length / SAMPLES_SHOWN));
  const picked = pts.filter((_, i) => i % step === 0 || i === pts.length - 1).slice(-SAMPLES_SHOWN - 1);
  return compact({
    ...base,
    first: finite[0].v,
    firstAt: isoTime(finite[0].t),
    min,
    max,
    trend,
    slopePerHour: Number(slope.toPrecision(6)),
    samples: picked.map((p) => [isoTime(p.t), p.v] as [string, number | null]),
  });
}

/** A value for people: plain for small numbers, 4 significant digits otherwise, with IEC bytes when the series counts bytes. */
export function formatValue(v: number | null | undefined, bytes = false): string {
  if (v === null || v === undefined) return 'NaN';
  const plain = Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toPrecision(4) : String(Math.round(v * 1e4) / 1e4);
  if (!bytes || Math.abs(v) < 1024) return plain;
  const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let x = Math.abs(v);
  let u = -1;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${plain} (${v < 0 ? '-' : ''}${Math.round(x * 10) / 10}${units[u]})`;
}

function labelText(labels: Record<string, string>): string {
  const name = labels.__name__ ?? '';
  const rest = Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `${name}{${rest}}`;
}

/** The text of a query_prometheus result, from its data and the warnings as Prometheus sent them (the data keeps them clipped). */
export function queryPrometheusText(d: Data, warnings: string[]): string {
  const bytes = (s: SeriesSummary) => /bytes/i.test(s.labels.__name__ ?? '') || (/bytes/i.test(d.query) && !/\/|rate\(|ratio/i.test(d.query));
  const head =
    d.kind === 'range'
      ? `Prometheus range query over ${humanDuration((toMillis(d.end) ?? 0) - (toMillis(d.start) ?? 0))} ending ${d.end} (step ${d.stepSeconds}s): ${d.query}`
      : `Prometheus instant query at ${d.time}: ${d.query}`;
  const total = d.seriesTotal;
  const lines = [head, `${total} series${total > d.series.length ? `, the ${d.series.length} with the highest last value shown` : ''}${total ? ':' : ' (no data: the metric does not exist or no series matches the labels)'}`];
  for (const s of d.series) {
    const b = bytes(s);
    const parts = [`last=${formatValue(s.last, b)}`];
    if (s.points > 1) {
      parts.push(`min=${formatValue(s.min, b)}`, `max=${formatValue(s.max, b)}`, `first=${formatValue(s.first, b)}`);
      parts.push(`trend=${s.trend}${s.slopePerHour !== undefined && s.trend !== 'flat' ? ` (${s.slopePerHour >= 0 ? '+' : ''}${formatValue(s.slopePerHour, b)}/h)` : ''}`, `points=${s.points}`);
    }
    lines.push(`- ${labelText(s.labels)}: ${parts.join('  ')}`);
    if (s.samples?.length) lines.push(`    samples: ${s.samples.map(([t, v]) => `${t.slice(11, 19)}=${formatValue(v)}`).join(', ')}`);
  }
  for (const w of warnings) lines.push(`[warning: ${w}]`);
  return lines.join('\n');
}

function parseTime(s: string | undefined, now: number, what: string): number {
  if (!s) return now;
  const t = Date.parse(s);
  if (!Number.isFinite(t)) throw new ToolError(`invalid argument: ${what} must be an ISO 8601 time such as "2026-01-31T12:00:00Z"; got ${JSON.stringify(s)}`);
  return Math.min(t, now);
}

export const queryPrometheus = defineTool({
  name: 'query_prometheus',
  title: 'Query Prometheus (PromQL)',
  description:
    'Runs a PromQL query against the cluster\'s Prometheus: an instant query, or a range query over `rangeMinutes` ending at `time` (e.g. the alert\'s startsAt). ' +
    'Each series comes back summarised (last, min, max, first, trend rising/falling/flat with its slope per hour, a few samples), the highest first, at most `maxSeries`. ' +
    'Examples: container_memory_working_set_bytes{namespace="shop",pod="web-1",container="app"} over 60 minutes before an OOM; ' +
    'sum(increase(container_cpu_cfs_throttled_periods_total{namespace="shop",pod="web-1"}[5m])) / sum(increase(container_cpu_cfs_periods_total{namespace="shop",pod="web-1"}[5m])); ' +
    'kubelet_volume_stats_used_bytes{namespace="db",persistentvolumeclaim="data"}; up{job="api"}.',
  class: 'read',
  inputSchema: {
    query: z.string().min(1).max(4000).describe('The PromQL expression.'),
    rangeMinutes: z.number().int().min(1).max(10080).optional().describe('Range query over this many minutes ending at `time`; absent: an instant query.'),
    time: z.string().max(64).optional().describe('Evaluation time (instant) or end of the range, ISO 8601; default now.'),
    stepSeconds: z.number().int().min(1).max(86400).optional().describe(`Resolution of a range query; default: the range divided into about ${MAX_POINTS / 2} points.`),
    maxSeries: z.number().int().min(1).max(50).default(10).describe('At most this many series (default 10).'),
  },
  outputSchema: QueryPrometheusOutput,
  example: { query: 'container_memory_working_set_bytes{namespace="shop",pod="web-1",container="app"}', rangeMinutes: 60 },
  aliases: { promql: 'query', expr: 'query', expression: 'query', range: 'rangeMinutes', minutes: 'rangeMinutes', step: 'stepSeconds', end: 'time', at: 'time', limit: 'maxSeries' },
  async run(a, ctx) {
    const src = ctx.prometheus;
    if (!src) throw new ToolError('no Prometheus is configured (set PROMETHEUS_URL)');
    const now = ctx.now();
    const at = parseTime(a.time, now, 'time');
    const range = a.rangeMinutes !== undefined;
    let res: Awaited<ReturnType<typeof promQuery>>;
    let step: number | undefined;
    let start: number | undefined;
    if (range) {
      start = at - a.rangeMinutes! * 60_000;
      step = Math.max(a.stepSeconds ?? Math.ceil((a.rangeMinutes! * 60) / (MAX_POINTS / 2)), Math.ceil((a.rangeMinutes! * 60) / MAX_POINTS), 1);
      res = await promQuery(src, '/api/v1/query_range', { query: a.query, start: String(start / 1000), end: String(at / 1000), step: String(step) });
    } else {
      res = await promQuery(src, '/api/v1/query', { query: a.query, time: String(at / 1000) });
    }
    const { resultType, result } = res.data;
    let raw: PromSeries[];
    if (resultType === 'matrix' || resultType === 'vector') raw = Array.isArray(result) ? (result as PromSeries[]) : [];
    else if (resultType === 'scalar' || resultType === 'string') raw = Array.isArray(result) ? [{ metric: {}, value: result as Sample }] : [];
    else raw = [];
    const all = raw.map(summarise).sort((x, y) => (y.last ?? -Infinity) - (x.last ?? -Infinity));
    const data: Data = compact({
      query: a.query,
      kind: range ? ('range' as const) : ('instant' as const),
      resultType,
      time: range ? undefined : isoTime(at),
      start: start !== undefined ? isoTime(start) : undefined,
      end: range ? isoTime(at) : undefined,
      stepSeconds: step,
      series: all.slice(0, a.maxSeries),
      seriesTotal: all.length,
      warnings: res.warnings.length ? res.warnings.map((w) => clip(w, 300)) : undefined,
    });
    return { text: queryPrometheusText(data, res.warnings), data };
  },
});

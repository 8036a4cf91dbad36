// Kubernetes resource quantities: validating what the investigator proposes, and doing the arithmetic
// for usage-vs-limit figures.

const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
/** CPU: cores ("0.5", "2") or millicores ("250m"). */
export const CPU_QUANTITY = new RegExp(`^${NUMBER}m?$`);
/** Memory: bytes with an optional binary (Ki..Ei) or decimal (k..E) suffix. A lower-case "m" (milli) is not accepted. */
export const MEMORY_QUANTITY = new RegExp(`^${NUMBER}(?:Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`);
/** Any quantity (as the API server accepts it). */
export const ANY_QUANTITY = new RegExp(`^[+-]?${NUMBER}(?:Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\\d+)?$`);

/** The value of a quantity in base units (cores, bytes), or undefined if it is not one. */
export { parseQuantity } from '../../util/quantity.js';

export function formatCpu(cores: number | undefined): string {
  if (cores === undefined) return '-';
  const milli = Math.round(cores * 1000);
  if (milli >= 10000 && milli % 1000 === 0) return String(milli / 1000);
  return `${milli}m`;
}

export function formatMemory(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let v = bytes;
  let unit = '';
  for (const u of units) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  const shown = unit === '' ? String(Math.round(v)) : v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
  return `${shown}${unit}`;
}

/** "45%" of a part in a whole, or "" when there is no whole. */
export function percent(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || !whole) return '';
  return `${Math.round((part / whole) * 100)}%`;
}

export function validateCpu(q: string, field: string): string | undefined {
  if (CPU_QUANTITY.test(q)) return undefined;
  return `${field} "${q}" is not a CPU quantity; use cores ("0.5", "2") or millicores ("250m")`;
}

export function validateMemory(q: string, field: string): string | undefined {
  if (MEMORY_QUANTITY.test(q)) return undefined;
  const hint = /^\d+(\.\d+)?m$/.test(q) ? ' ("m" means milli-bytes; for megabytes write "Mi" or "M")' : '';
  return `${field} "${q}" is not a memory quantity; use bytes with a suffix like "512Mi", "1Gi" or "500M"${hint}`;
}

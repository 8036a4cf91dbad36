// Shortening and flattening text for places with a bound: notifications, status fields, history, reports.

/**
 * At most `max` UTF-16 units, `mark` included, ending with `mark` when shortened ("…" unless said
 * otherwise). Never leaves half a surrogate pair: a lone surrogate is not text in UTF-8, and the API
 * server, Slack or a mail client would show U+FFFD in its place.
 */
export function clip(s: string, max: number, mark?: string): string;
export function clip(s: string | undefined, max: number, mark?: string): string | undefined;
export function clip(s: string | undefined, max: number, mark = '…'): string | undefined {
  if (s === undefined || s.length <= max) return s;
  let end = max - mark.length;
  if (end > 0 && isHighSurrogate(s.charCodeAt(end - 1))) end--;
  return s.slice(0, Math.max(0, end)) + mark;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

/** Every run of whitespace (line breaks included) as one space, trimmed. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

// HTML text and attribute values.

/**
 * Text safe inside an element or a quoted attribute: & < > " ' ` = become numeric character references
 * (the backtick and "=" too, for old parsers and unquoted attributes).
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

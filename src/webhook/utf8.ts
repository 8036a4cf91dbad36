// Strict UTF-8 for webhook bodies. body-parser decodes with replacement characters, so a body with
// invalid bytes would be stored with U+FFFD in place of what AlertManager holds (label values and
// fingerprints that no longer match). We refuse such a body instead, and say where it goes wrong.
import { isUtf8 } from 'node:buffer';

/**
 * The offset of the first byte of the first ill-formed sequence in `buf` (Unicode's well-formed UTF-8,
 * table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or -1
 * when the whole buffer is valid.
 */
export function invalidUtf8Offset(buf: Uint8Array): number {
  if (isUtf8(buf)) return -1;
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i; // a continuation byte where a sequence should start, C0/C1, F5..FF
    if (i + len > n) return i;
    const second = buf[i + 1];
    if (second < lo || second > hi) return i;
    for (let k = 2; k < len; k++) {
      const c = buf[i + k];
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += len;
  }
  return -1; // isUtf8 and this scan disagree only if isUtf8 is stricter; never seen
}

/** "body is not valid UTF-8 at byte 41 (0xc3 0x28)": the offset and the bytes from there, for a person. */
export function describeInvalidUtf8(buf: Uint8Array, offset: number): string {
  const bytes = Array.from(buf.subarray(offset, offset + 4), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  return `body is not valid UTF-8 at byte ${offset} (${bytes}); AlertManager sends UTF-8, and a replaced byte would change label values and fingerprints`;
}

// Label selectors (the string form the API server takes: `a=b,c!=d,e in (f,g),h notin (i),j,!k`),
// parsed once and matched here: the informer filters one watch for each of its consumers, and answers a
// lookup from its cache only when its own selection holds everything the lookup selects (`covers`).

export interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists';
  values: readonly string[];
}

export type Selector = readonly Requirement[];

/** Parses a selector; undefined or '' selects everything. Throws on a form it does not know. */
export function parseSelector(s: string | undefined): Selector {
  if (!s?.trim()) return [];
  const out: Requirement[] = [];
  // split on commas outside parentheses
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i <= s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || i === s.length) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  for (const p of parts) {
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p))) {
      out.push({ key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()).filter(Boolean) });
    } else if ((m = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(p))) {
      out.push({ key: m[1], op: 'notin', values: [m[2]] });
    } else if ((m = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(p))) {
      out.push({ key: m[1], op: 'in', values: [m[2]] });
    } else if ((m = /^!\s*(\S+)$/.exec(p))) {
      out.push({ key: m[1], op: '!exists', values: [] });
    } else if (/^\S+$/.test(p)) {
      out.push({ key: p, op: 'exists', values: [] });
    } else {
      throw new Error(`label selector: cannot parse "${p}"`);
    }
  }
  return out;
}

/** Does an object with these labels match every requirement? */
export function matches(sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of sel) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case '!exists':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/**
 * True when everything `inner` selects is also selected by `outer` (so a cache of `outer` answers a
 * query for `inner` completely). Conservative: false whenever it cannot tell.
 */
export function covers(outer: Selector, inner: Selector): boolean {
  return outer.every((o) => inner.some((i) => i.key === o.key && implies(i, o)));
}

function implies(i: Requirement, o: Requirement): boolean {
  switch (o.op) {
    case 'in':
      return i.op === 'in' && i.values.every((v) => o.values.includes(v));
    case 'notin':
      return (i.op === 'in' && i.values.every((v) => !o.values.includes(v))) || (i.op === 'notin' && o.values.every((v) => i.values.includes(v))) || i.op === '!exists';
    case 'exists':
      return i.op === 'exists' || (i.op === 'in' && i.values.length > 0);
    case '!exists':
      return i.op === '!exists';
  }
}

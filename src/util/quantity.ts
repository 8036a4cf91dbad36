// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): "250m", "1.5Gi", "2", "1e3".

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const EXPONENT = /^[eE][+-]?\d+$/;
const QUANTITY = /^([+-]?(?:\d+(?:\.\d+)?|\.\d+))([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/**
 * The value of a quantity in base units (cores, bytes, objects), or undefined if it is not one. A number
 * is taken as it is; a string is trimmed first. The grammar is Kubernetes' own: a sign, a decimal, and a
 * binary (Ki..Ei), decimal (n..E) or exponent (e3) suffix; "K" is not a suffix there, nor here.
 */
export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  if (EXPONENT.test(suffix)) return base * 10 ** Number(suffix.slice(1));
  return base * SUFFIX[suffix];
}

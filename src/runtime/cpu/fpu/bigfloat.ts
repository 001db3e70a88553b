/**
 * A small working-precision binary float for the transcendental instructions: value = m × 2^e
 * with m a signed bigint kept to about PREC bits. Enough to give 64-bit results that round
 * correctly in all but pathological cases (results are then rounded once by roundPack).
 */
import { bitLength } from './f80.ts';

export const PREC = 200;

export interface Big {
  m: bigint;
  e: number;
}

export function big(m: bigint, e: number): Big {
  return trim({ m, e });
}

/** Keep at most PREC significant bits (truncating). */
export function trim(x: Big): Big {
  const a = x.m < 0n ? -x.m : x.m;
  const L = bitLength(a);
  if (L <= PREC) return x;
  const s = L - PREC;
  return { m: x.m >> BigInt(s), e: x.e + s };
}

export function fromInt(n: number): Big {
  return { m: BigInt(n), e: 0 };
}

export function neg(x: Big): Big {
  return { m: -x.m, e: x.e };
}

export function add(x: Big, y: Big): Big {
  if (x.m === 0n) return y;
  if (y.m === 0n) return x;
  if (x.e < y.e) [x, y] = [y, x];
  // x has the larger exponent: shift it left to y's exponent, bounded so the result stays exact-ish.
  const d = x.e - y.e;
  if (d > PREC + 64 + bitLength(y.m < 0n ? -y.m : y.m)) return x;
  return trim({ m: (x.m << BigInt(d)) + y.m, e: y.e });
}

export function sub(x: Big, y: Big): Big {
  return add(x, neg(y));
}

export function mul(x: Big, y: Big): Big {
  return trim({ m: x.m * y.m, e: x.e + y.e });
}

export function div(x: Big, y: Big): Big {
  const lx = bitLength(x.m < 0n ? -x.m : x.m);
  const ly = bitLength(y.m < 0n ? -y.m : y.m);
  const s = PREC + ly - lx + 2;
  const m = s > 0 ? (x.m << BigInt(s)) / y.m : x.m / (y.m << BigInt(-s));
  return trim({ m, e: x.e - y.e - s });
}

/** x × 2^k. */
export function ldexp(x: Big, k: number): Big {
  return { m: x.m, e: x.e + k };
}

export function isZero(x: Big): boolean {
  return x.m === 0n;
}

/** Exponent of the leading bit (value in [2^r, 2^(r+1))); -Infinity for zero. */
export function magnitude(x: Big): number {
  if (x.m === 0n) return -Infinity;
  return x.e + bitLength(x.m < 0n ? -x.m : x.m) - 1;
}

export function cmpAbs(x: Big, y: Big): number {
  const d = sub({ m: x.m < 0n ? -x.m : x.m, e: x.e }, { m: y.m < 0n ? -y.m : y.m, e: y.e });
  return d.m === 0n ? 0 : d.m > 0n ? 1 : -1;
}

export function sqrt(x: Big): Big {
  // x > 0: scale so the radicand has 2·PREC bits and an even exponent.
  let { m, e } = x;
  const L = bitLength(m);
  let s = 2 * PREC - L;
  if (((e - s) & 1) !== 0) s += 1;
  m = s >= 0 ? m << BigInt(s) : m >> BigInt(-s);
  e -= s;
  let r = 1n << BigInt((bitLength(m) >> 1) + 1);
  for (;;) {
    const y = (r + m / r) >> 1n;
    if (y >= r) break;
    r = y;
  }
  return trim({ m: r, e: e / 2 });
}

/** True when |term| is below 2^-(PREC+8) relative to |sum|'s magnitude. */
function negligible(term: Big, sum: Big): boolean {
  return term.m === 0n || magnitude(term) < magnitude(sum) - PREC - 8;
}

/** e^y − 1 for |y| ≲ 1 (Taylor series; relative accuracy also for tiny y). */
export function expm1(y: Big): Big {
  // Halve the argument until small, then square back: e^y − 1 = (e^(y/2) − 1)(e^(y/2) + 1).
  let k = 0;
  let t = y;
  while (magnitude(t) > -8) {
    t = ldexp(t, -1);
    k++;
  }
  let sum = t;
  let term = t;
  for (let n = 2; n < 200; n++) {
    term = div(mul(term, t), fromInt(n));
    if (negligible(term, sum)) break;
    sum = add(sum, term);
  }
  for (let i = 0; i < k; i++) sum = mul(sum, add(sum, fromInt(2)));
  return sum;
}

/** atanh(z) for |z| < 1 (series z + z³/3 + …). */
function atanh(z: Big): Big {
  const z2 = mul(z, z);
  let sum = z;
  let p = z;
  for (let n = 3; n < 4000; n += 2) {
    p = mul(p, z2);
    const term = div(p, fromInt(n));
    if (negligible(term, sum)) break;
    sum = add(sum, term);
  }
  return sum;
}

/** ln(1 + x) for x > −1, relative accuracy also for tiny x: 2·atanh(x / (2 + x)). */
export function log1p(x: Big): Big {
  return ldexp(atanh(div(x, add(fromInt(2), x))), 1);
}

let ln2Cache: Big | null = null;

export function ln2(): Big {
  if (ln2Cache === null) ln2Cache = log1p(fromInt(1));
  return ln2Cache;
}

/** ln(x) for x > 0: x = m·2^k with m in [√½, √2). */
export function ln(x: Big): Big {
  let k = magnitude(x);
  let m = ldexp(x, -k); // [1, 2)
  // m ≥ √2 → m/2, k+1 (compare m² with 2)
  if (cmpAbs(mul(m, m), fromInt(2)) >= 0) {
    m = ldexp(m, -1);
    k += 1;
  }
  const r = log1p(sub(m, fromInt(1)));
  return k === 0 ? r : add(r, mul(fromInt(k), ln2()));
}

/** atan(z) for any z (halving the angle until small, then the series). */
export function atan(z: Big): Big {
  let k = 0;
  let t = z;
  while (magnitude(t) > -6) {
    // atan(t) = 2·atan(t / (1 + √(1 + t²)))
    t = div(t, add(fromInt(1), sqrt(add(fromInt(1), mul(t, t)))));
    k++;
  }
  const t2 = mul(t, t);
  let sum = t;
  let p = t;
  for (let n = 3; n < 400; n += 2) {
    p = neg(mul(p, t2));
    const term = div(p, fromInt(n));
    if (negligible(term, sum)) break;
    sum = add(sum, term);
  }
  return ldexp(sum, k);
}

let piCache: Big | null = null;

/** π to PREC bits (16·atan(1/5) − 4·atan(1/239), Machin). */
export function pi(): Big {
  if (piCache === null) {
    const a = atan(div(fromInt(1), fromInt(5)));
    const b = atan(div(fromInt(1), fromInt(239)));
    piCache = sub(ldexp(a, 4), ldexp(b, 2));
  }
  return piCache;
}

/** sin and cos of |r| ≤ π/4 (series). */
export function sinCosSmall(r: Big): [Big, Big] {
  const r2 = mul(r, r);
  let s = r;
  let term = r;
  for (let n = 2; n < 400; n += 2) {
    term = neg(div(mul(term, r2), fromInt(n * (n + 1))));
    if (negligible(term, s)) break;
    s = add(s, term);
  }
  let c = fromInt(1);
  term = fromInt(1);
  for (let n = 1; n < 400; n += 2) {
    term = neg(div(mul(term, r2), fromInt(n * (n + 1))));
    if (negligible(term, c)) break;
    c = add(c, term);
  }
  return [s, c];
}

/**
 * The common case of ADD/SUB/MUL/DIV/SQRT without the general machinery: round to nearest,
 * normal operands, a normal result. Then the native binary64 operation is the answer (for
 * binary32, Math.fround of the binary64 result: rounding twice is innocuous for + − × ÷ √
 * because 53 ≥ 2·24 + 2, Figueroa, "When is double rounding innocuous?", SIGNUM 1995), and
 * inexactness (PE) is read off an error-free transformation. DAZ and FTZ cannot matter (no
 * denormal in or out), no other flag can arise. Everything else returns -1 and takes the
 * general path (arith.ts). Self-contained on purpose: no imported bindings on the hot path.
 */
const PE = 0x20;
const RC_MASK = 0x6000;
const SPLIT = 134217729;
const MIN32 = 2 ** -126;
const MAX32 = (2 - 2 ** -23) * 2 ** 127;
const MIN64 = 2 ** -969; // products/remainders above this keep their error term representable

const sf = new Float32Array(2);
const sfu = new Uint32Array(sf.buffer);
const sd = new Float64Array(2);
const sdu = new Uint32Array(sd.buffer);

function productError(a: number, b: number, p: number): number {
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * op (0 ADD, 1 SUB, 2 MUL, 3 DIV, 6 SQRT of b) on the lanes at a[ai], b[bi] (f32: one word;
 * f64: two), result to out[oi]. Returns the flags (0 or PE), or -1 when not the common case.
 */
export function fastLane(op: number, f64: boolean, a: Uint32Array, ai: number, b: Uint32Array, bi: number, out: Uint32Array, oi: number, mxcsr: number): number {
  if ((mxcsr & RC_MASK) !== 0) return -1;
  if (!f64) {
    const bw = b[bi]!;
    const eb = (bw >>> 23) & 0xff;
    if (eb === 0 || eb === 0xff) return -1;
    sfu[1] = bw;
    const y = sf[1]!;
    let s: number;
    let r: number;
    let inexact: boolean;
    if (op === 6) {
      if (y < 0) return -1;
      s = Math.sqrt(y);
      r = Math.fround(s);
      inexact = r * r !== y;
    } else {
      const aw = a[ai]!;
      const ea = (aw >>> 23) & 0xff;
      if (ea === 0 || ea === 0xff) return -1;
      sfu[0] = aw;
      const x = sf[0]!;
      if (op <= 1) {
        const yy = op === 0 ? y : -y;
        s = x + yy;
        r = Math.fround(s);
        const bv = s - x;
        inexact = r !== s || x - (s - bv) + (yy - bv) !== 0;
      } else if (op === 2) {
        s = x * y;
        r = Math.fround(s);
        inexact = r !== s;
      } else if (op === 3) {
        s = x / y;
        r = Math.fround(s);
        inexact = r * y !== x;
      } else return -1;
    }
    const m = r < 0 ? -r : r;
    if (!(m >= MIN32 && m <= MAX32)) return -1;
    sf[0] = r;
    out[oi] = sfu[0]!;
    return inexact ? PE : 0;
  }
  const bhi = b[bi + 1]!;
  const eb = (bhi >>> 20) & 0x7ff;
  if (eb < 54 || eb > 2000) return -1;
  sdu[2] = b[bi]!;
  sdu[3] = bhi;
  const y = sd[1]!;
  let r: number;
  let inexact: boolean;
  if (op === 6) {
    if (y < 0) return -1;
    r = Math.sqrt(y);
    const p = r * r;
    inexact = y - p - productError(r, r, p) !== 0;
  } else {
    const ahi = a[ai + 1]!;
    const ea = (ahi >>> 20) & 0x7ff;
    if (ea < 54 || ea > 2000) return -1;
    sdu[0] = a[ai]!;
    sdu[1] = ahi;
    const x = sd[0]!;
    if (op <= 1) {
      const yy = op === 0 ? y : -y;
      r = x + yy;
      const bv = r - x;
      inexact = x - (r - bv) + (yy - bv) !== 0;
    } else if (op === 2) {
      r = x * y;
      if (!(r >= MIN64 || r <= -MIN64)) return -1;
      inexact = productError(x, y, r) !== 0;
    } else if (op === 3) {
      r = x / y;
      if (!(r >= MIN64 || r <= -MIN64) || r > 2 ** 990 || r < -(2 ** 990)) return -1;
      const p = r * y;
      inexact = x - p - productError(r, y, p) !== 0;
    } else return -1;
  }
  const m = r < 0 ? -r : r;
  if (!(m >= MIN64 && m < Infinity)) return -1;
  sd[0] = r;
  out[oi] = sdu[0]!;
  out[oi + 1] = sdu[1]!;
  return inexact ? PE : 0;
}

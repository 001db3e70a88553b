/**
 * SSSE3 (MMX and XMM forms) and SSE4.1's PHMINPOSUW and MPSADBW: PSHUFB, PALIGNR, PHADDW/D/SW, PHSUBW/D/SW,
 * PMADDUBSW, PMULHRSW, PSIGNB/W/D, PABSB/W/D. Operations that read lanes they later overwrite
 * build the result in SLOT_TMP first.
 */
import { Mnemonic } from 'iced-x86';
import type { HandlerTable } from '../decoded.ts';
import { packed, type PackedOp } from './mmx.ts';
import { SLOT_TMP, type SseState } from './state.ts';

function sat16s(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Copy the low `n` bytes of SLOT_TMP to slot d. */
function fromTmp(x: SseState, d: number, n: number): void {
  const u = x.u32;
  const a = d * 4;
  const t = SLOT_TMP * 4;
  for (let i = 0; i < n >> 2; i++) u[a + i] = u[t + i]!;
}

/** PSHUFB: byte i ← 0 if src[i] bit 7, else dst[src[i] mod n]. */
const pshufb: PackedOp = (x, d, s, n) => {
  const v = x.u8;
  const t = SLOT_TMP * 16;
  for (let i = 0; i < n; i++) {
    const c = v[s * 16 + i]!;
    v[t + i] = (c & 0x80) !== 0 ? 0 : v[d * 16 + (c & (n - 1))]!;
  }
  fromTmp(x, d, n);
};

/** PALIGNR: (dst:src) shifted right by imm bytes, low n bytes kept. */
const palignr: PackedOp = (x, d, s, n, imm) => {
  const v = x.u8;
  const t = SLOT_TMP * 16;
  for (let i = 0; i < n; i++) {
    const k = i + imm;
    v[t + i] = k < n ? v[s * 16 + k]! : k < 2 * n ? v[d * 16 + k - n]! : 0;
  }
  fromTmp(x, d, n);
};

/** Horizontal word ops: result words from adjacent pairs of dst (low half) then src (high half). */
function hWords(f: (a: number, b: number) => number): PackedOp {
  return (x, d, s, n) => {
    const w = x.i16;
    const half = n >> 2; // result words per source
    const t = SLOT_TMP * 8;
    for (let i = 0; i < half; i++) {
      w[t + i] = f(w[d * 8 + 2 * i]!, w[d * 8 + 2 * i + 1]!);
      w[t + half + i] = f(w[s * 8 + 2 * i]!, w[s * 8 + 2 * i + 1]!);
    }
    fromTmp(x, d, n);
  };
}

function hDwords(f: (a: number, b: number) => number): PackedOp {
  return (x, d, s, n) => {
    const w = x.i32;
    const half = n >> 3;
    const t = SLOT_TMP * 4;
    for (let i = 0; i < half; i++) {
      w[t + i] = f(w[d * 4 + 2 * i]!, w[d * 4 + 2 * i + 1]!);
      w[t + half + i] = f(w[s * 4 + 2 * i]!, w[s * 4 + 2 * i + 1]!);
    }
    fromTmp(x, d, n);
  };
}

/** PMADDUBSW: unsigned dst bytes × signed src bytes, pairs summed with signed saturation. */
const pmaddubsw: PackedOp = (x, d, s, n) => {
  const u8 = x.u8;
  const i8 = x.i8;
  const w = x.i16;
  for (let i = 0; i < n >> 1; i++) {
    const a = d * 16 + 2 * i;
    const b = s * 16 + 2 * i;
    w[d * 8 + i] = sat16s(u8[a]! * i8[b]! + u8[a + 1]! * i8[b + 1]!);
  }
};

/** PMULHRSW: ((a·b >> 14) + 1) >> 1 on signed words. */
const pmulhrsw: PackedOp = (x, d, s, n) => {
  const w = x.i16;
  for (let i = 0; i < n >> 1; i++) w[d * 8 + i] = (((w[d * 8 + i]! * w[s * 8 + i]!) >> 14) + 1) >> 1;
};

/** PSIGN*: dst lane negated / zeroed / kept by the sign of the src lane (lane size `size`). */
function psign(size: 1 | 2 | 4): PackedOp {
  return (x, d, s, n) => {
    const v = size === 1 ? x.i8 : size === 2 ? x.i16 : x.i32;
    const per = 16 / size;
    for (let i = 0; i < n / size; i++) {
      const b = v[s * per + i]!;
      const a = d * per + i;
      v[a] = b < 0 ? -v[a]! : b === 0 ? 0 : v[a]!;
    }
  };
}

/** PABS*: dst lane ← |src lane| (unsigned result: |−2^(k−1)| = 2^(k−1)). */
function pabs(size: 1 | 2 | 4): PackedOp {
  return (x, d, s, n) => {
    const v = size === 1 ? x.i8 : size === 2 ? x.i16 : x.i32;
    const per = 16 / size;
    for (let i = 0; i < n / size; i++) {
      const b = v[s * per + i]!;
      v[d * per + i] = b < 0 ? -b : b;
    }
  };
}

/** PHMINPOSUW: word 0 ← the least unsigned word of src, word 1 ← its (lowest) index, rest zero. */
const phminposuw: PackedOp = (x, d, s) => {
  const w = x.u16;
  let best = w[s * 8]!;
  let idx = 0;
  for (let i = 1; i < 8; i++) {
    const v = w[s * 8 + i]!;
    if (v < best) {
      best = v;
      idx = i;
    }
  }
  const u = x.u32;
  u[d * 4] = best | (idx << 16);
  u[d * 4 + 1] = 0;
  u[d * 4 + 2] = 0;
  u[d * 4 + 3] = 0;
};

/**
 * MPSADBW: word i ← Σ_k |dst[a + i + k] − src[b + k]| (k = 0..3), for i = 0..7, with
 * a = 4·imm8[2] and b = 4·imm8[1:0].
 */
const mpsadbw: PackedOp = (x, d, s, _n, imm) => {
  const v = x.u8;
  const a = d * 16 + ((imm >> 2) & 1) * 4;
  const b = s * 16 + (imm & 3) * 4;
  const t = SLOT_TMP * 8;
  for (let i = 0; i < 8; i++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const diff = v[a + i + k]! - v[b + k]!;
      sum += diff < 0 ? -diff : diff;
    }
    x.u16[t + i] = sum;
  }
  fromTmp(x, d, 16);
};

export function registerSsse3(t: HandlerTable): void {
  const m = t.byMnemonic;
  const set = (mn: number, op: PackedOp): void => void m.set(mn, packed(op));
  set(Mnemonic.Pshufb, pshufb);
  set(Mnemonic.Palignr, palignr);
  set(Mnemonic.Phaddw, hWords((a, b) => a + b));
  set(Mnemonic.Phaddsw, hWords((a, b) => sat16s(a + b)));
  set(Mnemonic.Phsubw, hWords((a, b) => a - b));
  set(Mnemonic.Phsubsw, hWords((a, b) => sat16s(a - b)));
  set(Mnemonic.Phaddd, hDwords((a, b) => a + b));
  set(Mnemonic.Phsubd, hDwords((a, b) => a - b));
  set(Mnemonic.Pmaddubsw, pmaddubsw);
  set(Mnemonic.Pmulhrsw, pmulhrsw);
  set(Mnemonic.Psignb, psign(1));
  set(Mnemonic.Psignw, psign(2));
  set(Mnemonic.Psignd, psign(4));
  set(Mnemonic.Pabsb, pabs(1));
  set(Mnemonic.Pabsw, pabs(2));
  set(Mnemonic.Pabsd, pabs(4));
  set(Mnemonic.Phminposuw, phminposuw);
  set(Mnemonic.Mpsadbw, mpsadbw);
}

/**
 * Lane rearrangement (MMX and XMM forms where they exist): PACKSSWB/PACKSSDW/PACKUSWB/PACKUSDW,
 * PUNPCKL/H (BW WD DQ QDQ) with UNPCKL/HPS/PD, SHUFPS/SHUFPD, PSHUFD/PSHUFLW/PSHUFHW/PSHUFW,
 * BLENDPS/BLENDPD/PBLENDW (imm8), BLENDVPS/BLENDVPD/PBLENDVB (mask in XMM0), PMOVSX/PMOVZX.
 * Results that read lanes they overwrite are built in SLOT_TMP.
 */
import { Mnemonic } from 'iced-x86';
import { OpK, type Handler, type HandlerTable } from '../decoded.ts';
import { sseAvail } from './avail.ts';
import { packed, type PackedOp } from './mmx.ts';
import { xmmSrc, xmmSrc128 } from './operands.ts';
import { SLOT_TMP, type SseState } from './state.ts';

function toSlot(x: SseState, d: number, n: number): void {
  const u = x.u32;
  for (let i = 0; i < n >> 2; i++) u[d * 4 + i] = u[SLOT_TMP * 4 + i]!;
}

/** Packs: the lanes of dst then of src, narrowed (size → size/2) with saturation. */
function pack(size: 2 | 4, unsigned: boolean): PackedOp {
  return (x, d, s, n) => {
    const src = size === 2 ? x.i16 : x.i32;
    const per = 16 / size;
    const count = n / size;
    const lo = unsigned ? 0 : size === 2 ? -128 : -32768;
    const hi = unsigned ? (size === 2 ? 255 : 65535) : size === 2 ? 127 : 32767;
    const out = size === 2 ? x.u8 : x.u16;
    const o = SLOT_TMP * (16 / (size / 2));
    for (let i = 0; i < count; i++) {
      const a = src[d * per + i]!;
      const b = src[s * per + i]!;
      out[o + i] = a < lo ? lo : a > hi ? hi : a;
      out[o + count + i] = b < lo ? lo : b > hi ? hi : b;
    }
    toSlot(x, d, n);
  };
}

/** Unpacks: interleave the lanes (size bytes) of the low (high = false) or high halves. */
function unpack(size: 1 | 2 | 4 | 8, high: boolean): PackedOp {
  return (x, d, s, n) => {
    const v = x.u8;
    const half = n >> 1;
    const base = high ? half : 0;
    const t = SLOT_TMP * 16;
    for (let i = 0; i < half / size; i++) {
      for (let k = 0; k < size; k++) {
        v[t + 2 * i * size + k] = v[d * 16 + base + i * size + k]!;
        v[t + (2 * i + 1) * size + k] = v[s * 16 + base + i * size + k]!;
      }
    }
    toSlot(x, d, n);
  };
}

/** SHUFPS: lanes 0,1 from dst, 2,3 from src, selected by imm8's 2-bit fields. */
const shufps: PackedOp = (x, d, s, _n, imm) => {
  const u = x.u32;
  const t = SLOT_TMP * 4;
  u[t] = u[d * 4 + (imm & 3)]!;
  u[t + 1] = u[d * 4 + ((imm >> 2) & 3)]!;
  u[t + 2] = u[s * 4 + ((imm >> 4) & 3)]!;
  u[t + 3] = u[s * 4 + ((imm >> 6) & 3)]!;
  toSlot(x, d, 16);
};

const shufpd: PackedOp = (x, d, s, _n, imm) => {
  const u = x.u32;
  const t = SLOT_TMP * 4;
  const a = d * 4 + (imm & 1) * 2;
  const b = s * 4 + ((imm >> 1) & 1) * 2;
  u[t] = u[a]!;
  u[t + 1] = u[a + 1]!;
  u[t + 2] = u[b]!;
  u[t + 3] = u[b + 1]!;
  toSlot(x, d, 16);
};

/** PSHUFD / PSHUFW (dword / word lanes of src selected by imm8). */
function pshuf(size: 2 | 4): PackedOp {
  return (x, d, s, n, imm) => {
    const v = size === 2 ? x.u16 : x.u32;
    const per = 16 / size;
    const t = SLOT_TMP * per;
    for (let i = 0; i < 4; i++) v[t + i] = v[s * per + ((imm >> (2 * i)) & 3)]!;
    toSlot(x, d, n);
  };
}

/** PSHUFLW (high = false) / PSHUFHW: four words of one half shuffled, the other half copied. */
function pshufHalf(high: boolean): PackedOp {
  return (x, d, s, _n, imm) => {
    const w = x.u16;
    const t = SLOT_TMP * 8;
    const sh = high ? 4 : 0;
    const keep = high ? 0 : 4;
    for (let i = 0; i < 4; i++) {
      w[t + sh + i] = w[s * 8 + sh + ((imm >> (2 * i)) & 3)]!;
      w[t + keep + i] = w[s * 8 + keep + i]!;
    }
    toSlot(x, d, 16);
  };
}

/** BLENDPS / BLENDPD / PBLENDW: lane i from src when imm8 bit i is set. */
function blendImm(size: 2 | 4 | 8): PackedOp {
  return (x, d, s, _n, imm) => {
    const u = x.u16;
    const words = size / 2;
    for (let i = 0; i < 16 / size; i++) {
      if (((imm >> i) & 1) === 0) continue;
      for (let k = 0; k < words; k++) u[d * 8 + i * words + k] = u[s * 8 + i * words + k]!;
    }
  };
}

/** BLENDVPS / BLENDVPD / PBLENDVB: lane from src where the lane's top bit in XMM0 is set. */
function blendVar(size: 1 | 4 | 8): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const s = xmmSrc128(cpu, d, d.k1, d.r1, true);
    const v = cpu.sse.u8;
    for (let i = 0; i < 16; i += size) {
      if ((v[i + size - 1]! & 0x80) === 0) continue; // XMM0 is slot 0
      for (let k = 0; k < size; k++) v[d.r0 * 16 + i + k] = v[s * 16 + i + k]!;
    }
  };
}

/**
 * PMOVSX/PMOVZX: the low `from`-byte lanes of the source (xmm, or memory of 16·from/to bytes,
 * unaligned) widened to `to` bytes.
 */
function pmov(from: 1 | 2 | 4, to: 2 | 4 | 8, signed: boolean): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const x = cpu.sse;
    const s = xmmSrc(cpu, d, d.k1, d.r1, d.k1 === OpK.Mem ? d.s1 : 16, false);
    const src = from === 1 ? (signed ? x.i8 : x.u8) : from === 2 ? (signed ? x.i16 : x.u16) : signed ? x.i32 : x.u32;
    const per = 16 / from;
    const u = x.u32;
    const t = SLOT_TMP * 4;
    for (let i = 0; i < 16 / to; i++) {
      const v = src[s * per + i]!;
      if (to === 2) x.u16[SLOT_TMP * 8 + i] = v;
      else if (to === 4) u[t + i] = v;
      else {
        u[t + 2 * i] = v;
        u[t + 2 * i + 1] = v < 0 ? 0xffffffff : 0;
      }
    }
    x.copy(d.r0, SLOT_TMP);
  };
}

export function registerShuffle(t: HandlerTable): void {
  const m = t.byMnemonic;
  const set = (mn: number, op: PackedOp): void => void m.set(mn, packed(op));
  set(Mnemonic.Packsswb, pack(2, false));
  set(Mnemonic.Packssdw, pack(4, false));
  set(Mnemonic.Packuswb, pack(2, true));
  set(Mnemonic.Packusdw, pack(4, true));
  set(Mnemonic.Punpcklbw, unpack(1, false));
  set(Mnemonic.Punpcklwd, unpack(2, false));
  set(Mnemonic.Punpckldq, unpack(4, false));
  set(Mnemonic.Punpcklqdq, unpack(8, false));
  set(Mnemonic.Punpckhbw, unpack(1, true));
  set(Mnemonic.Punpckhwd, unpack(2, true));
  set(Mnemonic.Punpckhdq, unpack(4, true));
  set(Mnemonic.Punpckhqdq, unpack(8, true));
  set(Mnemonic.Unpcklps, unpack(4, false));
  set(Mnemonic.Unpckhps, unpack(4, true));
  set(Mnemonic.Unpcklpd, unpack(8, false));
  set(Mnemonic.Unpckhpd, unpack(8, true));
  set(Mnemonic.Shufps, shufps);
  set(Mnemonic.Shufpd, shufpd);
  set(Mnemonic.Pshufd, pshuf(4));
  set(Mnemonic.Pshufw, pshuf(2));
  set(Mnemonic.Pshuflw, pshufHalf(false));
  set(Mnemonic.Pshufhw, pshufHalf(true));
  set(Mnemonic.Blendps, blendImm(4));
  set(Mnemonic.Blendpd, blendImm(8));
  set(Mnemonic.Pblendw, blendImm(2));
  m.set(Mnemonic.Blendvps, blendVar(4));
  m.set(Mnemonic.Blendvpd, blendVar(8));
  m.set(Mnemonic.Pblendvb, blendVar(1));
  for (const [mn, from, to, signed] of [
    [Mnemonic.Pmovsxbw, 1, 2, true],
    [Mnemonic.Pmovsxbd, 1, 4, true],
    [Mnemonic.Pmovsxbq, 1, 8, true],
    [Mnemonic.Pmovsxwd, 2, 4, true],
    [Mnemonic.Pmovsxwq, 2, 8, true],
    [Mnemonic.Pmovsxdq, 4, 8, true],
    [Mnemonic.Pmovzxbw, 1, 2, false],
    [Mnemonic.Pmovzxbd, 1, 4, false],
    [Mnemonic.Pmovzxbq, 1, 8, false],
    [Mnemonic.Pmovzxwd, 2, 4, false],
    [Mnemonic.Pmovzxwq, 2, 8, false],
    [Mnemonic.Pmovzxdq, 4, 8, false],
  ] as const) {
    m.set(mn, pmov(from, to, signed));
  }
}

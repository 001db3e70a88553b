/**
 * Packed shifts (MMX and XMM): PSLLW/D/Q, PSRLW/D/Q, PSRAW/D by imm8 or by the low qword of an
 * mm/m64 or xmm/m128 operand (a count above the lane width gives 0, or the sign for PSRA), and
 * the byte shifts PSLLDQ/PSRLDQ (XMM, imm8; above 15 → 0).
 */
import { Mnemonic } from 'iced-x86';
import { OpK, type Handler, type HandlerTable } from '../decoded.ts';
import { sseAvail } from './avail.ts';
import { loadMm, mmSrc, mmxCheck, storeMm } from './mmx.ts';
import { xmmSrc128 } from './operands.ts';
import { SLOT_MMD, SLOT_MMS, SLOT_TMP, type SseState } from './state.ts';

const enum K {
  Left,
  Right,
  Arith,
}

/** Shift the lanes (size 2, 4, 8 bytes) of the low `n` bytes of slot d by `count` (0..255+). */
function shiftLanes(x: SseState, d: number, n: number, count: number, kind: K, size: 2 | 4 | 8): void {
  const bits = size * 8;
  if (size === 2) {
    const w = x.i16;
    for (let i = 0; i < n >> 1; i++) {
      const a = d * 8 + i;
      const v = w[a]!;
      if (kind === K.Arith) w[a] = v >> (count > 15 ? 15 : count);
      else if (count > 15) w[a] = 0;
      else w[a] = kind === K.Left ? v << count : (v & 0xffff) >>> count;
    }
    return;
  }
  if (size === 4) {
    const u = x.u32;
    const s = x.i32;
    for (let i = 0; i < n >> 2; i++) {
      const a = d * 4 + i;
      if (kind === K.Arith) s[a] = s[a]! >> (count > 31 ? 31 : count);
      else if (count > 31) u[a] = 0;
      else u[a] = kind === K.Left ? u[a]! << count : u[a]! >>> count;
    }
    return;
  }
  const u = x.u32;
  for (let q = 0; q < n >> 3; q++) {
    const a = d * 4 + 2 * q;
    const lo = u[a]!;
    const hi = u[a + 1]!;
    if (count >= bits) {
      u[a] = 0;
      u[a + 1] = 0;
    } else if (count >= 32) {
      if (kind === K.Left) {
        u[a + 1] = lo << (count - 32);
        u[a] = 0;
      } else {
        u[a] = hi >>> (count - 32);
        u[a + 1] = 0;
      }
    } else if (count > 0) {
      if (kind === K.Left) {
        u[a + 1] = (hi << count) | (lo >>> (32 - count));
        u[a] = lo << count;
      } else {
        u[a] = (lo >>> count) | (hi << (32 - count));
        u[a + 1] = hi >>> count;
      }
    }
  }
}

/** The shift count of a register/memory count operand in `slot`: its low qword, clamped to 255. */
function countOf(x: SseState, slot: number): number {
  const u = x.u32;
  return u[slot * 4 + 1] !== 0 || u[slot * 4]! > 255 ? 255 : u[slot * 4]!;
}

function shift(kind: K, size: 2 | 4 | 8): Handler {
  return (cpu, d) => {
    const x = cpu.sse;
    if (d.k0 === OpK.Mmx) {
      mmxCheck(cpu);
      let count: number;
      if (d.k1 === OpK.Imm) count = d.imm & 0xff;
      else {
        mmSrc(cpu, d, d.k1, d.r1, 8, SLOT_MMS);
        count = countOf(x, SLOT_MMS);
      }
      loadMm(cpu, d.r0, SLOT_MMD);
      shiftLanes(x, SLOT_MMD, 8, count, kind, size);
      storeMm(cpu, d.r0, SLOT_MMD);
      return;
    }
    sseAvail(cpu);
    const count = d.k1 === OpK.Imm ? d.imm & 0xff : countOf(x, xmmSrc128(cpu, d, d.k1, d.r1, true));
    shiftLanes(x, d.r0, 16, count, kind, size);
  };
}

/** PSLLDQ (left) / PSRLDQ: whole-register byte shift by imm8. */
function byteShift(left: boolean): Handler {
  return (cpu, d) => {
    sseAvail(cpu);
    const v = cpu.sse.u8;
    const c = d.imm & 0xff;
    const a = d.r0 * 16;
    const t = SLOT_TMP * 16;
    for (let i = 0; i < 16; i++) {
      const k = left ? i - c : i + c;
      v[t + i] = k >= 0 && k < 16 ? v[a + k]! : 0;
    }
    cpu.sse.copy(d.r0, SLOT_TMP);
  };
}

export function registerShift(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Psllw, shift(K.Left, 2));
  m.set(Mnemonic.Pslld, shift(K.Left, 4));
  m.set(Mnemonic.Psllq, shift(K.Left, 8));
  m.set(Mnemonic.Psrlw, shift(K.Right, 2));
  m.set(Mnemonic.Psrld, shift(K.Right, 4));
  m.set(Mnemonic.Psrlq, shift(K.Right, 8));
  m.set(Mnemonic.Psraw, shift(K.Arith, 2));
  m.set(Mnemonic.Psrad, shift(K.Arith, 4));
  m.set(Mnemonic.Pslldq, byteShift(true));
  m.set(Mnemonic.Psrldq, byteShift(false));
}

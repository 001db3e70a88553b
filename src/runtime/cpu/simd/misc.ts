/**
 * PTEST (SSE4.1: ZF = (dst AND src) = 0, CF = (NOT dst AND src) = 0, AF OF PF SF cleared) and
 * CRC32 (SSE4.2: CRC-32C, polynomial 0x1EDC6F41 bit-reflected, over 1/2/4/8 source bytes; a GPR
 * instruction: CR0/CR4 do not matter), CLFLUSH (caches are not modelled, but the operand is
 * checked like a byte read: segmentation #GP/#SS, #PF; SDM Vol. 2A CLFLUSH). POPCNT is in
 * core/bits.ts, the fences and PREFETCHh (which never fault) in core/data.ts.
 */
import { Code, Mnemonic } from 'iced-x86';
import { OpK, type Handler, type HandlerTable } from '../decoded.ts';
import { Flag, STATUS_FLAGS } from '../state.ts';
import { ea } from '../core/operands.ts';
import { sseAvail } from './avail.ts';
import { simdLinear, xmmSrc128 } from './operands.ts';
import { Access } from '../../mmu/types.ts';

const ptest: Handler = (cpu, d) => {
  sseAvail(cpu);
  const s = xmmSrc128(cpu, d, d.k1, d.r1, true) * 4;
  const u = cpu.sse.u32;
  const a = d.r0 * 4;
  let and = 0;
  let andn = 0;
  for (let i = 0; i < 4; i++) {
    and |= u[a + i]! & u[s + i]!;
    andn |= ~u[a + i]! & u[s + i]!;
  }
  cpu.flags = (cpu.flags & ~STATUS_FLAGS) | (and === 0 ? Flag.ZF : 0) | (andn === 0 ? Flag.CF : 0);
};

const CRC_TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC_TABLE[i] = c >>> 0;
}

function crcBytes(crc: number, v: number, n: number): number {
  for (let i = 0; i < n; i++) {
    crc = CRC_TABLE[(crc ^ v) & 0xff]! ^ (crc >>> 8);
    v >>>= 8;
  }
  return crc >>> 0;
}

/** CRC32 r32/r64, r/m8/16/32/64: the destination's low dword is the running CRC; the result is zero-extended. */
const crc32: Handler = (cpu, d) => {
  const n = d.s1;
  let lo: number;
  let hi = 0;
  if (d.k1 === OpK.Gpr) {
    if (n === 8) {
      lo = cpu.lo[d.r1]!;
      hi = cpu.hi[d.r1]!;
    } else {
      lo = cpu.getReg(d.r1, n);
    }
  } else if (n === 8) {
    lo = cpu.mem.readLinPair(simdLinear(cpu, d, 8, false, false), cpu.cpl === 3);
    hi = cpu.mem.pairHi;
  } else {
    lo = cpu.read(d.seg, ea(cpu, d), n);
  }
  let crc = crcBytes(cpu.lo[d.r0]!, lo, n === 8 ? 4 : n);
  if (n === 8) crc = crcBytes(crc, hi, 4);
  cpu.lo[d.r0] = crc;
  cpu.hi[d.r0] = 0;
};

const clflush: Handler = (cpu, d) => {
  const lin = cpu.mem.linear(d.seg, ea(cpu, d), 1, false);
  cpu.mem.translate(lin, Access.Read, cpu.cpl === 3);
};

export function registerMisc(t: HandlerTable): void {
  t.byCode.set(Code.Clflush_m8, clflush);
  t.byMnemonic.set(Mnemonic.Ptest, ptest);
  t.byMnemonic.set(Mnemonic.Crc32, crc32);
}

/**
 * Instructions that load a data/stack segment register: MOV Sreg, r/m16; POP ES/SS/DS/FS/GS;
 * LDS/LES/LSS/LFS/LGS. The checks are segments.ts's loadSegment. A load of SS blocks interrupts
 * for one instruction (interrupt shadow). Every read (source operand, stack slot, far pointer)
 * and the load itself happen before the register or stack pointer is written.
 */
import { Code } from 'iced-x86';
import type { Cpu } from '../cpu.ts';
import { OpK, type DecodedInsn, type Handler } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { loadSegment } from '../segments.ts';
import { Seg } from '../state.ts';
import { ea } from '../core/operands.ts';

function load(cpu: Cpu, seg: number, sel: number): void {
  if (seg === Seg.CS || seg > Seg.GS) throw new GuestFault(Vec.UD);
  loadSegment(cpu, seg as Seg, sel);
  if (seg === Seg.SS) cpu.interruptShadow = true;
}

export function movSreg(cpu: Cpu, insn: DecodedInsn): void {
  const sel = insn.k1 === OpK.Gpr ? cpu.lo[insn.r1]! & 0xffff : cpu.read(insn.seg, ea(cpu, insn), 2);
  load(cpu, insn.r0, sel);
}

function popSize(cpu: Cpu, insn: DecodedInsn): number {
  if (cpu.mode64) return insn.osz === 2 ? 2 : 8;
  return insn.osz;
}

export function popSreg(cpu: Cpu, insn: DecodedInsn): void {
  const size = popSize(cpu, insn);
  const sp = cpu.getSp();
  const sel = cpu.read(Seg.SS, sp, 2);
  if (size === 8) cpu.read64(Seg.SS, sp); // the whole slot must be readable
  else if (size === 4) cpu.read(Seg.SS, sp, 4);
  load(cpu, insn.r0, sel);
  const next = sp + size;
  cpu.setSp(cpu.stackSize === 8 ? next : cpu.stackSize === 4 ? next >>> 0 : next & 0xffff);
}

/** LDS/LES/LSS/LFS/LGS r, m16:16/32/64. */
function farPointerLoad(seg: Seg): Handler {
  return (cpu, insn) => {
    const w = insn.osz;
    const off = ea(cpu, insn);
    let lo: number;
    let hi = 0;
    if (w === 8) {
      const v = cpu.read64(insn.seg, off);
      lo = Number(v & 0xffff_ffffn);
      hi = Number(v >> 32n);
    } else {
      lo = cpu.read(insn.seg, off, w);
    }
    const selOff = cpu.mode64 ? off + w : (off + w) & (insn.addrSize === 2 ? 0xffff : 0xffff_ffff);
    const sel = cpu.read(insn.seg, selOff, 2);
    load(cpu, seg, sel);
    if (w === 2) cpu.setReg(insn.r0, 2, lo);
    else {
      cpu.lo[insn.r0] = lo >>> 0;
      cpu.hi[insn.r0] = hi >>> 0;
    }
  };
}

export const SEGMENT_LOAD_ENTRIES: ReadonlyArray<readonly [Handler, readonly number[]]> = [
  [movSreg, [Code.Mov_Sreg_rm16, Code.Mov_Sreg_r32m16, Code.Mov_Sreg_r64m16]],
  [
    popSreg,
    [Code.Popw_ES, Code.Popd_ES, Code.Popw_SS, Code.Popd_SS, Code.Popw_DS, Code.Popd_DS, Code.Popw_FS, Code.Popd_FS, Code.Popq_FS, Code.Popw_GS, Code.Popd_GS, Code.Popq_GS],
  ],
  [farPointerLoad(Seg.DS), [Code.Lds_r16_m1616, Code.Lds_r32_m1632]],
  [farPointerLoad(Seg.ES), [Code.Les_r16_m1616, Code.Les_r32_m1632]],
  [farPointerLoad(Seg.SS), [Code.Lss_r16_m1616, Code.Lss_r32_m1632, Code.Lss_r64_m1664]],
  [farPointerLoad(Seg.FS), [Code.Lfs_r16_m1616, Code.Lfs_r32_m1632, Code.Lfs_r64_m1664]],
  [farPointerLoad(Seg.GS), [Code.Lgs_r16_m1616, Code.Lgs_r32_m1632, Code.Lgs_r64_m1664]],
];

/**
 * Port I/O: IN, OUT, INS, OUTS (with REP). Every access exits to the monitor as an IoExit.
 *
 * How values travel: the register forms follow VMX — for OUT the monitor reads AL/AX/EAX from
 * the guest registers, for IN it writes AL/AX/EAX (Vcpu.writeGpr) and advances RIP
 * (src/runtime/vmm/io-exits.ts does both). String I/O reuses that protocol so monitors handle only
 * one shape of exit: the CPU splits INS/OUTS into one IoExit per element. For OUTS it reads the
 * element from seg:[rSI] and presents it in the accumulator; for INS it first checks that
 * ES:[rDI] is writable (segmentation and paging, so a fault happens before the device is
 * touched), then takes the monitor's AL/AX/EAX and stores it. Around each element exit the CPU
 * saves and restores RAX and RIP, so the guest sees only the architectural effect: memory,
 * rSI/rDI stepped by ±size (EFLAGS.DF), rCX counted down for REP. If the monitor stops the run
 * or injects an event mid-REP, the registers describe the elements done and RIP stays on the
 * instruction, as after an interrupted REP.
 *
 * Privilege: in protected mode, CPL > IOPL → #GP(0); in v86 every port access → #GP(0). The
 * TSS I/O-permission bitmap is not consulted (it would only ever grant access that IOPL denies).
 */
import type { Cpu } from './cpu.ts';
import { OpK, type DecodedInsn } from './decoded.ts';
import { GuestFault, Vec } from './fault.ts';
import { Access } from '../mmu/types.ts';
import { Flag, Seg } from './state.ts';

const RAX = 0;
const RCX = 1;
const RDX = 2;
const RSI = 6;
const RDI = 7;
const TWO32 = 0x1_0000_0000;

function checkIoPrivilege(cpu: Cpu): void {
  if (!cpu.protectedMode) return;
  if ((cpu.flags & Flag.VM) !== 0 || cpu.cpl > ((cpu.flags >>> 12) & 3)) throw new GuestFault(Vec.GP, 0);
}

function ioSize(s: number): 1 | 2 | 4 {
  return s === 1 ? 1 : s === 2 ? 2 : 4;
}

/** IN AL/AX/EAX, imm8 | DX. */
export function inHandler(cpu: Cpu, insn: DecodedInsn): void {
  checkIoPrivilege(cpu);
  const port = insn.k1 === OpK.Imm ? insn.imm & 0xff : cpu.lo[RDX]! & 0xffff;
  cpu.exit({ reason: 'io', port, size: ioSize(insn.s0), direction: 'in', insnLength: insn.length });
}

/** OUT imm8 | DX, AL/AX/EAX. */
export function outHandler(cpu: Cpu, insn: DecodedInsn): void {
  checkIoPrivilege(cpu);
  const port = insn.k0 === OpK.Imm ? insn.imm & 0xff : cpu.lo[RDX]! & 0xffff;
  cpu.exit({ reason: 'io', port, size: ioSize(insn.s1), direction: 'out', insnLength: insn.length });
}

function getAddrReg(cpu: Cpu, r: number, asz: number): number {
  if (asz === 2) return cpu.lo[r]! & 0xffff;
  if (asz === 4) return cpu.lo[r]!;
  return (cpu.hi[r]! | 0) * TWO32 + cpu.lo[r]!;
}

function setAddrReg(cpu: Cpu, r: number, asz: number, v: number): void {
  if (asz === 2) {
    cpu.lo[r] = (cpu.lo[r]! & 0xffff_0000) | (v & 0xffff);
  } else if (asz === 4) {
    cpu.lo[r] = v >>> 0;
    cpu.hi[r] = 0;
  } else {
    cpu.lo[r] = v >>> 0;
    cpu.hi[r] = Math.floor(v / TWO32) >>> 0;
  }
}

/** One element exit with RAX and RIP preserved; returns the accumulator after the exit. */
function elementExit(cpu: Cpu, insn: DecodedInsn, port: number, size: 1 | 2 | 4, direction: 'in' | 'out', value: number): number {
  const raxLo = cpu.lo[RAX]!;
  const raxHi = cpu.hi[RAX]!;
  const ip = cpu.ip;
  if (direction === 'out') cpu.lo[RAX] = value >>> 0;
  cpu.exit({ reason: 'io', port, size, direction, insnLength: insn.length });
  const result = cpu.lo[RAX]!;
  cpu.lo[RAX] = raxLo;
  cpu.hi[RAX] = raxHi;
  cpu.ip = ip;
  return size === 1 ? result & 0xff : size === 2 ? result & 0xffff : result >>> 0;
}

/** INS / OUTS with or without REP. */
function stringIo(cpu: Cpu, insn: DecodedInsn, direction: 'in' | 'out'): void {
  checkIoPrivilege(cpu);
  const size = ioSize(direction === 'in' ? insn.s0 : insn.s1);
  const asz = insn.addrSize;
  const port = cpu.lo[RDX]! & 0xffff;
  const step = (cpu.flags & Flag.DF) !== 0 ? -size : size;
  const rep = insn.rep !== 0;
  const next = cpu.nextIp;
  const user = cpu.cpl === 3;
  const indexReg = direction === 'in' ? RDI : RSI;
  for (;;) {
    if (rep && getAddrReg(cpu, RCX, asz) === 0) break;
    const off = getAddrReg(cpu, indexReg, asz);
    if (direction === 'in') {
      const lin = cpu.mem.linear(Seg.ES, off, size, true);
      cpu.mem.translate(lin, Access.Write, user);
      if ((lin & 0xfff) + size > 0x1000) cpu.mem.translate(lin + size - 1, Access.Write, user);
      const v = elementExit(cpu, insn, port, size, 'in', 0);
      cpu.mem.writeLin(lin, size, v, user);
    } else {
      const v = cpu.read(insn.seg, off, size);
      elementExit(cpu, insn, port, size, 'out', v);
    }
    setAddrReg(cpu, indexReg, asz, off + step);
    if (rep) setAddrReg(cpu, RCX, asz, getAddrReg(cpu, RCX, asz) - 1);
    if (cpu.stopReason !== null || cpu.pending !== null) {
      // Interrupted: resume this instruction if elements remain.
      cpu.nextIp = rep && getAddrReg(cpu, RCX, asz) !== 0 ? cpu.ip : next;
      return;
    }
    if (!rep) break;
  }
  cpu.nextIp = next;
}

export function insHandler(cpu: Cpu, insn: DecodedInsn): void {
  stringIo(cpu, insn, 'in');
}

export function outsHandler(cpu: Cpu, insn: DecodedInsn): void {
  stringIo(cpu, insn, 'out');
}

/**
 * Near control transfers: jmp call ret (incl. ret imm16) jcc jcxz/jecxz/jrcxz loop/loope/loopne,
 * and INT n / INT3 / INTO / INT1 (delivery is the system side's deliverSoftwareInterrupt).
 */
import { Mnemonic } from 'iced-x86';
import { Vec } from '../fault.ts';
import { Flag, Seg } from '../state.ts';
import { OpK, type DecodedInsn, type Handler, type HandlerTable } from '../decoded.ts';
import type { Cpu } from '../cpu.ts';
import { deliverSoftwareInterrupt } from '../system/index.ts';
import { cond } from './flags.ts';
import { addCounter, ea, getCounter } from './operands.ts';
import { pop8, push8, stackOpSize } from './stack.ts';

const TWO32 = 0x100000000;

/** Truncate a branch target to the operand size and check it (CS limit, or canonical in 64-bit mode). */
function target(cpu: Cpu, t: number, size: number): number {
  if (cpu.mode64 && size === 8) {
    if (t < -0x800000000000 || t >= 0x800000000000) cpu.raise(Vec.GP, 0);
    return t;
  }
  const v = size === 2 ? t & 0xffff : t >>> 0;
  if (!cpu.mode64 && v > cpu.seg[Seg.CS]!.limit) cpu.raise(Vec.GP, 0);
  return v;
}

/** Operand size of a near branch: 8 in 64-bit mode (0x66 ignored, as on Intel), else the attribute. */
function branchSize(cpu: Cpu, osz: number): number {
  return cpu.mode64 ? 8 : osz;
}

/** Read an indirect near-branch target operand (register or memory) of `size` bytes. */
function indirect(cpu: Cpu, d: DecodedInsn, size: number): number {
  if (d.k0 === OpK.Gpr) return size === 8 ? cpu.getRegNum64(d.r0) : cpu.getReg(d.r0, size);
  const addr = ea(cpu, d);
  if (size === 8) {
    const lo = cpu.mem.readLinPair(cpu.mem.linear(d.seg, addr, 8, false), cpu.cpl === 3);
    return (cpu.mem.pairHi | 0) * TWO32 + lo;
  }
  return cpu.read(d.seg, addr, size);
}

const jmp: Handler = (cpu, d) => {
  if (d.k0 === OpK.Branch) {
    cpu.nextIp = target(cpu, cpu.nextIp + d.rel, branchSize(cpu, d.s0));
  } else if (d.k0 === OpK.Gpr || d.k0 === OpK.Mem) {
    const size = branchSize(cpu, d.s0);
    cpu.nextIp = target(cpu, indirect(cpu, d, size), size);
  } else {
    cpu.unsupported('Jmp(far)'); // far forms are registered by the system side (by Code)
  }
};

function pushReturn(cpu: Cpu, size: number): void {
  const ret = cpu.nextIp;
  if (size === 8) push8(cpu, ret >>> 0, Math.floor(ret / TWO32) >>> 0);
  else cpu.push(ret, size);
}

const call: Handler = (cpu, d) => {
  let t: number;
  let size: number;
  if (d.k0 === OpK.Branch) {
    size = branchSize(cpu, d.s0);
    t = target(cpu, cpu.nextIp + d.rel, size);
  } else if (d.k0 === OpK.Gpr || d.k0 === OpK.Mem) {
    size = branchSize(cpu, d.s0);
    t = target(cpu, indirect(cpu, d, size), size);
  } else {
    return cpu.unsupported('Call(far)');
  }
  pushReturn(cpu, size);
  cpu.nextIp = t;
};

const ret: Handler = (cpu, d) => {
  const size = stackOpSize(cpu, d);
  let t: number;
  if (size === 8) {
    const sp = cpu.getSp();
    const lo = cpu.mem.readLinPair(cpu.mem.linear(Seg.SS, sp, 8, false), cpu.cpl === 3);
    t = target(cpu, (cpu.mem.pairHi | 0) * TWO32 + lo, 8);
    pop8(cpu);
  } else {
    t = target(cpu, cpu.peek(0, size), size);
    cpu.pop(size);
  }
  if (d.k0 === OpK.Imm) {
    const n = d.imm & 0xffff;
    const sp = cpu.getSp() + n;
    cpu.setSp(cpu.stackSize === 8 ? sp : cpu.stackSize === 4 ? sp >>> 0 : sp & 0xffff);
  }
  cpu.nextIp = t;
};

const jcc: Handler = (cpu, d) => {
  if (cond(cpu.flags, d.cond)) cpu.nextIp = target(cpu, cpu.nextIp + d.rel, branchSize(cpu, d.s0));
};

const jcxz: Handler = (cpu, d) => {
  const n = d.mnemonic === Mnemonic.Jcxz ? 2 : d.mnemonic === Mnemonic.Jecxz ? 4 : 8;
  if (getCounter(cpu, 1, n) === 0) cpu.nextIp = target(cpu, cpu.nextIp + d.rel, branchSize(cpu, d.s0));
};

function loop(kind: 0 | 1 | 2): Handler {
  return (cpu, d) => {
    const asz = d.addrSize;
    addCounter(cpu, 1, asz, -1);
    let take = getCounter(cpu, 1, asz) !== 0;
    if (kind === 1) take &&= (cpu.flags & Flag.ZF) !== 0;
    else if (kind === 2) take &&= (cpu.flags & Flag.ZF) === 0;
    if (take) cpu.nextIp = target(cpu, cpu.nextIp + d.rel, branchSize(cpu, d.s0));
  };
}

const int: Handler = (cpu, d) => deliverSoftwareInterrupt(cpu, d.imm & 0xff, 'int');
const int3: Handler = (cpu) => deliverSoftwareInterrupt(cpu, Vec.BP, 'int3');
const int1: Handler = (cpu) => deliverSoftwareInterrupt(cpu, Vec.DB, 'int1');
const into: Handler = (cpu) => {
  if ((cpu.flags & Flag.OF) !== 0) deliverSoftwareInterrupt(cpu, Vec.OF, 'into');
};

export function registerBranch(t: HandlerTable): void {
  const m = t.byMnemonic;
  m.set(Mnemonic.Jmp, jmp);
  m.set(Mnemonic.Call, call);
  m.set(Mnemonic.Ret, ret);
  for (const mn of [Mnemonic.Jo, Mnemonic.Jno, Mnemonic.Jb, Mnemonic.Jae, Mnemonic.Je, Mnemonic.Jne, Mnemonic.Jbe, Mnemonic.Ja, Mnemonic.Js, Mnemonic.Jns, Mnemonic.Jp, Mnemonic.Jnp, Mnemonic.Jl, Mnemonic.Jge, Mnemonic.Jle, Mnemonic.Jg]) {
    m.set(mn, jcc);
  }
  m.set(Mnemonic.Jcxz, jcxz);
  m.set(Mnemonic.Jecxz, jcxz);
  m.set(Mnemonic.Jrcxz, jcxz);
  m.set(Mnemonic.Loop, loop(0));
  m.set(Mnemonic.Loope, loop(1));
  m.set(Mnemonic.Loopne, loop(2));
  m.set(Mnemonic.Int, int);
  m.set(Mnemonic.Int3, int3);
  m.set(Mnemonic.Int1, int1);
  m.set(Mnemonic.Into, into);
}

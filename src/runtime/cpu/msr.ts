/**
 * RDMSR / WRMSR (SDM Vol. 2 and Vol. 4). #GP(0) at CPL > 0 or in v86 (R62), checked by the
 * hardware before anything else. EFER (C000_0080h) always exits to the monitor (MsrExit, R63-R72
 * are the handler's). The MSRs the CPU keeps itself are read and written here; any other MSR
 * raises #GP(0) (R72: never silently 0). MTRR and PAT registers are accepted and read back
 * (caching is not modelled).
 */
import type { Cpu } from './cpu.ts';
import { MSR_DONE, MSR_GP } from './msr-device.ts';
import type { DecodedInsn } from './decoded.ts';
import { GuestFault, Vec } from './fault.ts';
import { Msr, Seg } from './state.ts';
import { canonicalOf } from './system/sysmem.ts';
import { readTsc, requirePrivileged, tscBase } from './system.ts';

export const MSR_PAT = 0x277;
export const MSR_MTRRCAP = 0xfe;
export const MSR_MTRR_DEF_TYPE = 0x2ff;
const PAT_RESET = 0x0007_0406_0007_0406n;

/** Stored values of the cache-control MSRs (PAT, MTRRs): per-CPU, kept out of CpuState. */
const cacheMsrs = new WeakMap<Cpu, Map<number, bigint>>();

/**
 * AMD's legacy performance counters (PerfEvtSel0-3 C001_0000h-03h, PerfCtr0-3 C001_0004h-07h;
 * AMD APM Vol. 2 §13.2.1), present on every AMD family the AuthenticAMD model claims: accepted and
 * read back; events are not counted.
 */
function isAmdPerfCounter(msr: number): boolean {
  return msr >= 0xc001_0000 && msr <= 0xc001_0007;
}

function isMtrr(msr: number): boolean {
  return msr === MSR_MTRR_DEF_TYPE || (msr >= 0x200 && msr <= 0x20f) || msr === 0x250 || msr === 0x258 || msr === 0x259 || (msr >= 0x268 && msr <= 0x26f);
}

function cacheMap(cpu: Cpu): Map<number, bigint> {
  let m = cacheMsrs.get(cpu);
  if (m === undefined) {
    m = new Map([[MSR_PAT, PAT_RESET]]);
    cacheMsrs.set(cpu, m);
  }
  return m;
}

function canonicalBigint(v: bigint): boolean {
  const top = BigInt.asIntN(64, v) >> 47n;
  return top === 0n || top === -1n;
}

function baseToBigint(base: number): bigint {
  return BigInt.asUintN(64, BigInt(base));
}

function bigintToBase(v: bigint): number {
  return canonicalOf(Number(v & 0xffff_ffffn), Number((v >> 32n) & 0xffff_ffffn));
}

/** Value of an MSR the CPU keeps, or null if it does not keep it. */
export function readCpuMsr(cpu: Cpu, msr: number): bigint | null {
  const m = cpu.msr;
  if (cpu.msrDevice !== null) {
    const v = cpu.msrDevice.readMsr(msr);
    if (v !== null) return v;
  }
  switch (msr) {
    case Msr.TSC:
      return readTsc(cpu);
    case Msr.APIC_BASE:
      return m.apicBase;
    case Msr.SYSENTER_CS:
      return m.sysenterCs;
    case Msr.SYSENTER_ESP:
      return m.sysenterEsp;
    case Msr.SYSENTER_EIP:
      return m.sysenterEip;
    case Msr.STAR:
      return m.star;
    case Msr.LSTAR:
      return m.lstar;
    case Msr.CSTAR:
      return m.cstar;
    case Msr.SFMASK:
      return m.sfmask;
    case Msr.FS_BASE:
      return baseToBigint(cpu.seg[Seg.FS]!.base);
    case Msr.GS_BASE:
      return baseToBigint(cpu.seg[Seg.GS]!.base);
    case Msr.KERNEL_GS_BASE:
      return m.kernelGsBase;
    case Msr.TSC_AUX:
      return BigInt(m.tscAux >>> 0);
    case MSR_MTRRCAP:
      return 0n; // no variable or fixed ranges, no WC
    default:
      if (msr === MSR_PAT || isMtrr(msr) || isAmdPerfCounter(msr)) return cacheMap(cpu).get(msr) ?? 0n;
      return null;
  }
}

/** Write an MSR the CPU keeps; false if it does not keep it. Throws #GP(0) for bad values. */
export function writeCpuMsr(cpu: Cpu, msr: number, v: bigint): boolean {
  const m = cpu.msr;
  if (cpu.msrDevice !== null) {
    const r = cpu.msrDevice.writeMsr(msr, v);
    if (r === MSR_DONE) return true;
    if (r === MSR_GP) throw new GuestFault(Vec.GP, 0);
  }
  switch (msr) {
    case Msr.TSC:
      m.tscOffset = v - BigInt(tscBase(cpu));
      return true;
    case Msr.APIC_BASE:
      m.apicBase = v;
      return true;
    case Msr.SYSENTER_CS:
      m.sysenterCs = v & 0xffff_ffffn;
      return true;
    case Msr.SYSENTER_ESP:
    case Msr.SYSENTER_EIP:
    case Msr.LSTAR:
    case Msr.CSTAR:
    case Msr.FS_BASE:
    case Msr.GS_BASE:
    case Msr.KERNEL_GS_BASE:
      if (!canonicalBigint(v)) throw new GuestFault(Vec.GP, 0);
      if (msr === Msr.SYSENTER_ESP) m.sysenterEsp = v;
      else if (msr === Msr.SYSENTER_EIP) m.sysenterEip = v;
      else if (msr === Msr.LSTAR) m.lstar = v;
      else if (msr === Msr.CSTAR) m.cstar = v;
      else if (msr === Msr.KERNEL_GS_BASE) m.kernelGsBase = v;
      else cpu.seg[msr === Msr.FS_BASE ? Seg.FS : Seg.GS]!.base = bigintToBase(v);
      return true;
    case Msr.STAR:
      m.star = v;
      return true;
    case Msr.SFMASK:
      m.sfmask = v & 0xffff_ffffn;
      return true;
    case Msr.TSC_AUX:
      if (v >> 32n !== 0n) throw new GuestFault(Vec.GP, 0); // bits 63:32 reserved
      m.tscAux = Number(v);
      return true;
    case MSR_MTRRCAP:
      throw new GuestFault(Vec.GP, 0); // read-only
    default:
      if (msr === MSR_PAT || isMtrr(msr) || isAmdPerfCounter(msr)) {
        cacheMap(cpu).set(msr, v);
        return true;
      }
      return false;
  }
}

export function rdmsr(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const msr = cpu.lo[1]! >>> 0;
  if (msr === Msr.EFER) {
    cpu.exit({ reason: 'rdmsr', msr, insnLength: insn.length });
    return;
  }
  const v = readCpuMsr(cpu, msr);
  if (v === null) throw new GuestFault(Vec.GP, 0);
  cpu.writeGpr(0, v & 0xffff_ffffn, 4);
  cpu.writeGpr(2, (v >> 32n) & 0xffff_ffffn, 4);
}

export function wrmsr(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const msr = cpu.lo[1]! >>> 0;
  if (msr === Msr.EFER) {
    cpu.exit({ reason: 'wrmsr', msr, insnLength: insn.length });
    return;
  }
  const v = (BigInt(cpu.lo[2]!) << 32n) | BigInt(cpu.lo[0]!);
  if (!writeCpuMsr(cpu, msr, v)) throw new GuestFault(Vec.GP, 0);
}

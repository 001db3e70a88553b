/**
 * Control-register, debug-register and miscellaneous privileged instructions.
 *
 * Where the checks live (cr-rules.md §3 "SVM/VMX ordering"): the hardware raises, *before* any
 * exit, #UD for an invalid CR number / LOCK prefix / CR8 outside 64-bit mode (R1, R2, R73),
 * #GP(0) in virtual-8086 mode (R37b, R28), #GP(0) at CPL > 0 (R3, R28, R37, R74; SMSW only with
 * CR4.UMIP, R35) and memory-operand faults of LMSW/SMSW (R29). Everything that depends on the
 * operand *value* (R5-R23, CR3/CR4/CR8/EFER/XCR0 rules) belongs to the exit handler. The spec's
 * handlers check CPL again (spec/rules/cr0.rules header), so a monitor fed by another front end
 * cannot skip it; with this CPU those re-checks never fire.
 *
 * MOV to/from CR0/CR3/CR4/CR8, CLTS, LMSW and SMSW always exit (CrAccessExit); MOV CR2 is
 * handled here (never intercepted). INVLPG exits when `intercepts.invlpg`, else flushes the page
 * in the hardware TLB. XSETBV, CPUID and HLT always exit.
 */
import type { Cpu } from './cpu.ts';
import { OpK, type DecodedInsn } from './decoded.ts';
import { GuestFault, Vec } from './fault.ts';
import { Flag } from './state.ts';
import { ea } from './core/operands.ts';
import type { CrAccessExit, Operand } from '../vmm/exit.ts';
import { crExitSlot } from '../vmm/exit-counts.ts';
import { cltsMasked, lmswMasked, movFromCrMasked, movToCrMasked, shadowedRead } from './cr-masks.ts';

export const CR4_DE = 1 << 3;
export const CR4_TSD = 1 << 2;
export const CR4_UMIP = 1 << 11;
export const CR4_OSXSAVE = 1 << 18;

/** Virtual-8086 mode (EFLAGS.VM with CR0.PE, outside IA-32e mode). */
export function inV86(cpu: Cpu): boolean {
  return cpu.protectedMode && (cpu.flags & Flag.VM) !== 0;
}

/** #GP(0) in v86 mode or at CPL > 0 (real mode is CPL 0). */
export function requirePrivileged(cpu: Cpu): void {
  if (inV86(cpu) || cpu.cpl !== 0) throw new GuestFault(Vec.GP, 0);
}

/** UMIP (SGDT, SIDT, SLDT, STR, SMSW): #GP(0) at CPL > 0 when CR4.UMIP (R35). */
export function checkUmip(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr4 & CR4_UMIP) !== 0 && (cpu.cpl > 0 || inV86(cpu))) throw new GuestFault(Vec.GP, 0);
}

function gprSize(cpu: Cpu): 4 | 8 {
  return cpu.mode64 ? 8 : 4; // R4: 32-bit outside 64-bit mode, 64-bit in it; 66h ignored
}

type RegSize = 2 | 4 | 8;
type RegOperand = Extract<Operand, { kind: 'reg' }>;

/**
 * Register operands of CR-access exits, one frozen object per (register, size): an exit names
 * its register without allocating (issue 7), and a monitor that keeps an exit keeps a value
 * that never changes.
 */
const REG_OPERANDS_2 = regOperands(2);
const REG_OPERANDS_4 = regOperands(4);
const REG_OPERANDS_8 = regOperands(8);

function regOperands(size: RegSize): readonly RegOperand[] {
  return Array.from({ length: 16 }, (_, gpr) => Object.freeze({ kind: 'reg' as const, gpr, size }));
}

function regOperand(gpr: number, size: RegSize): RegOperand {
  return (size === 4 ? REG_OPERANDS_4 : size === 8 ? REG_OPERANDS_8 : REG_OPERANDS_2)[gpr]!;
}

/** The exit of a MOV to/from CR or CLTS: the instruction's own (see DecodedInsn.exit), made once per operand size. */
function crExit(cpu: Cpu, insn: DecodedInsn, cr: number, access: 'mov-to-cr' | 'mov-from-cr' | 'clts', gpr: number, size: RegSize): CrAccessExit {
  const cached = insn.exit;
  if (cached !== null && insn.exitSize === size) return cached;
  const exit: CrAccessExit = { reason: 'cr-access', cr, access, operand: regOperand(gpr, size), lmswSource: 0, insnLength: insn.length };
  insn.exit = exit;
  insn.exitSize = size;
  insn.exitSlot = crExitSlot(exit);
  // Without a counter slot (never for these exits) the JIT's exit site goes through exitCr.
  insn.exitFn = insn.exitSlot < 0 ? null : (cpu.monitor.crExitHandler?.(exit) ?? null);
  return exit;
}

/**
 * Exit under CR masks: the exit object and the monitor's handler for it made once per
 * instruction (as crExit does), in fields of their own that compiled code never shortcuts.
 */
function maskedCrExit(cpu: Cpu, insn: DecodedInsn, cr: number, access: 'mov-to-cr' | 'mov-from-cr' | 'clts', gpr: number, size: RegSize): void {
  let exit = insn.maskedExit;
  if (exit === null || insn.maskedExitSize !== size) {
    exit = { reason: 'cr-access', cr, access, operand: regOperand(gpr, size), lmswSource: 0, insnLength: insn.length };
    insn.maskedExit = exit;
    insn.maskedExitSize = size;
    insn.maskedExitSlot = crExitSlot(exit);
    insn.maskedExitFn = insn.maskedExitSlot < 0 ? null : (cpu.monitor.crExitHandler?.(exit) ?? null);
  }
  const fn = insn.maskedExitFn;
  if (fn === null) cpu.exitCr(exit);
  else cpu.exitCrWith(fn, insn.maskedExitSlot);
}

/** R1/R2/R73: CR numbers that exist, and no LOCK prefix (Intel). */
function checkCrNumber(cpu: Cpu, insn: DecodedInsn, cr: number): void {
  if (insn.lock) throw new GuestFault(Vec.UD);
  if (cr === 8 ? !cpu.mode64 : cr !== 0 && cr !== 2 && cr !== 3 && cr !== 4) throw new GuestFault(Vec.UD);
}

/** MOV CRn, r32/r64 (0F 22). */
export function movToCr(cpu: Cpu, insn: DecodedInsn): void {
  const cr = insn.r0;
  const gpr = insn.r1;
  checkCrNumber(cpu, insn, cr);
  requirePrivileged(cpu);
  if (cr === 2) {
    cpu.cr2 = cpu.mode64 ? cpu.readGpr(gpr) : BigInt(cpu.lo[gpr]!);
    return;
  }
  const masks = cpu.intercepts.crMasks;
  if (masks !== undefined && cr !== 8) {
    const size = gprSize(cpu);
    if (movToCrMasked(cpu, masks, cr, cpu.lo[gpr]!, size === 8 ? cpu.hi[gpr]! : 0)) return;
    if (cr !== 3 || masks.cr3Targets.length !== 0) return maskedCrExit(cpu, insn, cr, 'mov-to-cr', gpr, size);
  }
  cpu.exitCr(crExit(cpu, insn, cr, 'mov-to-cr', gpr, gprSize(cpu)));
}

/** MOV r32/r64, CRn (0F 20). */
export function movFromCr(cpu: Cpu, insn: DecodedInsn): void {
  const gpr = insn.r0;
  const cr = insn.r1;
  checkCrNumber(cpu, insn, cr);
  requirePrivileged(cpu);
  if (cr === 2) {
    cpu.writeGpr(gpr, cpu.cr2, gprSize(cpu));
    return;
  }
  const masks = cpu.intercepts.crMasks;
  if (masks !== undefined && (cr === 0 || cr === 4)) {
    const value = movFromCrMasked(cpu, masks, cr);
    if (value >= 0) return void cpu.writeGprHalves(gpr, value, 0, gprSize(cpu));
    return maskedCrExit(cpu, insn, cr, 'mov-from-cr', gpr, gprSize(cpu));
  }
  cpu.exitCr(crExit(cpu, insn, cr, 'mov-from-cr', gpr, gprSize(cpu)));
}

/** CLTS (R37). */
export function clts(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const masks = cpu.intercepts.crMasks;
  if (masks !== undefined && masks.cr0 !== null) {
    if (cltsMasked(cpu, masks)) return;
    return maskedCrExit(cpu, insn, 0, 'clts', 0, 4);
  }
  cpu.exitCr(crExit(cpu, insn, 0, 'clts', 0, 4));
}

/** LMSW r/m16 (R24-R29): the hardware reads the source, the handler applies it. */
export function lmsw(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const src = insn.k0 === OpK.Gpr ? cpu.lo[insn.r0]! & 0xffff : cpu.read(insn.seg, ea(cpu, insn), 2);
  const masks = cpu.intercepts.crMasks;
  if (masks !== undefined && lmswMasked(cpu, masks, src)) return;
  cpu.exitCr({ reason: 'cr-access', cr: 0, access: 'lmsw', operand: regOperand(0, 2), lmswSource: src, insnLength: insn.length });
}

/**
 * SMSW r/m (R30-R35): allowed at any CPL and in v86 unless CR4.UMIP. A memory destination is
 * checked by segmentation here (#GP/#SS before the exit) and passed as a linear address; the
 * handler stores 16 bits through Vcpu.writeLinear16.
 */
export function smsw(cpu: Cpu, insn: DecodedInsn): void {
  checkUmip(cpu);
  const m = cpu.intercepts.crMasks?.cr0 ?? null;
  if (m !== null) {
    // Under CR masks SMSW never exits (R31-R34 as the hardware does them).
    const value = shadowedRead(cpu, m, 0);
    if (insn.k0 === OpK.Gpr) cpu.writeGprHalves(insn.r0, value, 0, insn.s0 === 8 ? 8 : insn.s0 === 4 ? 4 : 2);
    else cpu.write(insn.seg, ea(cpu, insn), 2, value & 0xffff);
    return;
  }
  if (insn.k0 === OpK.Gpr) {
    const size = insn.s0 === 8 ? 8 : insn.s0 === 4 ? 4 : 2;
    cpu.exitCr({ reason: 'cr-access', cr: 0, access: 'smsw', operand: regOperand(insn.r0, size), lmswSource: 0, insnLength: insn.length });
    return;
  }
  const linear = cpu.mem.linear(insn.seg, ea(cpu, insn), 2, true);
  cpu.exitCr({ reason: 'cr-access', cr: 0, access: 'smsw', operand: { kind: 'mem', linear, size: 2 }, lmswSource: 0, insnLength: insn.length });
}

/** INVLPG m (R107): CPL 0; no segment-limit check, no fault for unmapped or non-canonical addresses. */
export function invlpg(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const off = ea(cpu, insn);
  const seg = cpu.seg[insn.seg]!;
  const linear = cpu.mode64 ? (insn.seg >= 4 ? seg.base + off : off) : (seg.base + off) >>> 0;
  if (cpu.intercepts.invlpg) {
    cpu.exit({ reason: 'invlpg', linear, insnLength: insn.length });
    return;
  }
  cpu.decoded.dropFetchPage();
  cpu.mmu.flush({ kind: 'page', linear });
}

/** XSETBV: #UD without CR4.OSXSAVE; CPL 0; the monitor checks ECX and the value. */
export function xsetbv(cpu: Cpu, insn: DecodedInsn): void {
  if ((cpu.pagingRegs.cr4 & CR4_OSXSAVE) === 0 || insn.lock) throw new GuestFault(Vec.UD);
  requirePrivileged(cpu);
  cpu.exit({ reason: 'xsetbv', insnLength: insn.length });
}

/** XGETBV: #UD without CR4.OSXSAVE; ECX = 0 reads XCR0, others #GP(0). Not intercepted. */
export function xgetbv(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr4 & CR4_OSXSAVE) === 0) throw new GuestFault(Vec.UD);
  if (cpu.lo[1] !== 0) throw new GuestFault(Vec.GP, 0);
  const v = cpu.hw.xcr0;
  cpu.writeGpr(0, v & 0xffff_ffffn, 4);
  cpu.writeGpr(2, v >> 32n, 4);
}

export function cpuid(cpu: Cpu, insn: DecodedInsn): void {
  cpu.exit({ reason: 'cpuid', insnLength: insn.length });
}

export function hlt(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  cpu.exit({ reason: 'hlt', insnLength: insn.length });
}

/** WBINVD / INVD: CPL 0; caches are not modelled. */
export function cacheFlush(cpu: Cpu): void {
  requirePrivileged(cpu);
}

/** RDTSC: #GP(0) at CPL > 0 with CR4.TSD. Deterministic: see readTsc. */
export function rdtsc(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr4 & CR4_TSD) !== 0 && (cpu.cpl > 0 || inV86(cpu))) throw new GuestFault(Vec.GP, 0);
  const t = readTsc(cpu);
  cpu.writeGpr(0, t & 0xffff_ffffn, 4);
  cpu.writeGpr(2, (t >> 32n) & 0xffff_ffffn, 4);
}

/** TSC ticks since power-on, before IA32_TSC's offset: the machine's clock (Cpu.tscTicks) or the instruction count. */
export function tscBase(cpu: Cpu): number {
  return cpu.tscTicks !== null ? Math.floor(cpu.tscTicks()) : cpu.stats.instructions;
}

export const CR4_PCE = 1 << 8;
/** Performance counters RDPMC accepts: AMD's four legacy PerfCtr0-3 (no PerfCtrExtCore in the model). */
const PMC_COUNT = 4;

/**
 * RDPMC (SDM Vol. 2 RDPMC; AMD APM Vol. 3): #GP(0) at CPL > 0 (and in v86) unless CR4.PCE, #GP(0)
 * for a counter index outside 0-3. No event is counted, so every counter reads 0.
 */
export function rdpmc(cpu: Cpu): void {
  if ((cpu.pagingRegs.cr4 & CR4_PCE) === 0 && (cpu.cpl > 0 || inV86(cpu))) throw new GuestFault(Vec.GP, 0);
  if (cpu.lo[1]! >>> 0 >= PMC_COUNT) throw new GuestFault(Vec.GP, 0);
  cpu.writeGpr(0, 0n, 4);
  cpu.writeGpr(2, 0n, 4);
}

/**
 * The time-stamp counter: virtual time at TSC_HZ (machine/clock.ts; deterministic: derived from
 * the instructions retired as of the last completed run slice or block) plus IA32_TSC's offset,
 * plus one per read so consecutive reads strictly increase.
 */
export function readTsc(cpu: Cpu): bigint {
  const m = cpu.msr;
  const t = BigInt(tscBase(cpu)) + m.tscOffset;
  m.tscOffset += 1n;
  return BigInt.asUintN(64, t);
}

// ---------------------------------------------------------------------------------------------
// Debug registers (no breakpoints are modelled; the registers hold values)
// ---------------------------------------------------------------------------------------------

function drIndex(cpu: Cpu, dr: number): number {
  if (dr > 7) throw new GuestFault(Vec.UD);
  if (dr === 4 || dr === 5) {
    if ((cpu.pagingRegs.cr4 & CR4_DE) !== 0) throw new GuestFault(Vec.UD);
    return dr + 2; // alias DR6/DR7
  }
  return dr;
}

/** MOV DRn, r (0F 23). */
export function movToDr(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const n = drIndex(cpu, insn.r0);
  let v = cpu.mode64 ? cpu.readGpr(insn.r1) : BigInt(cpu.lo[insn.r1]!);
  if ((n === 6 || n === 7) && v >> 32n !== 0n) throw new GuestFault(Vec.GP, 0);
  if (n === 6) v = (v & 0xe00fn) | 0xffff0ff0n;
  else if (n === 7) v = (v & 0xffff_2bffn) | 0x400n;
  cpu.dr[n] = v;
}

/** MOV r, DRn (0F 21). */
export function movFromDr(cpu: Cpu, insn: DecodedInsn): void {
  requirePrivileged(cpu);
  const n = drIndex(cpu, insn.r1);
  cpu.writeGpr(insn.r0, cpu.dr[n]!, gprSize(cpu));
}

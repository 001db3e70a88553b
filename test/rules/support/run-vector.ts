import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VectorJson, VectorsDoc } from '../../../codegen/emit/vectors.ts';
import type { IoBus } from '../../../src/runtime/machine/bus.ts';
import type { CrAccessExit, VmExit } from '../../../src/runtime/vmm/exit.ts';
import { TrapMonitor } from '../../../src/runtime/vmm/trap-monitor.ts';
import type { HardwareControl } from '../../../src/runtime/vmm/vcpu.ts';
import { RecordingStrategy, type RecordedEffect } from './recording-strategy.ts';
import { TestVcpu } from './test-vcpu.ts';

/**
 * Runs a conformance vector through the real trap monitor and the generated handlers (a
 * TestVcpu plays the hardware, a RecordingStrategy the paging strategy) and reports what
 * happened in the vector's own terms, so `expect(observe(v)).toEqual(expectedOf(v))` compares
 * emitted code against the reference interpreter's expectations.
 */

type RegName = 'CR0' | 'CR3' | 'CR4' | 'CR8' | 'EFER' | 'XCR0' | 'TPR';
type HwRegName = Exclude<RegName, 'TPR'>;
const REGS: readonly RegName[] = ['CR0', 'CR3', 'CR4', 'CR8', 'EFER', 'XCR0', 'TPR'];
/** The hardware registers (the TPR is the APIC's, guest state only). */
const HW_REGS: readonly HwRegName[] = ['CR0', 'CR3', 'CR4', 'CR8', 'EFER', 'XCR0'];
const HW: Record<HwRegName, keyof HardwareControl> = { CR0: 'cr0', CR3: 'cr3', CR4: 'cr4', CR8: 'cr8', EFER: 'efer', XCR0: 'xcr0' };
const GUEST: Record<RegName, 'cr0' | 'cr3' | 'cr4' | 'cr8' | 'efer' | 'xcr0' | 'tpr'> = { ...HW, TPR: 'tpr' } as never;
/** Garbage in the upper halves of 32-bit operands: the monitor must drop it (R4, R38, R63). */
const UPPER_GARBAGE = 0xdead_beef_0000_0000n;
const RBX = 3;
const INSN_LENGTH = 3;

export interface Observed {
  exception: { vector: number; errorCode: number | null } | null;
  guest: Record<RegName, string>;
  hardware: Record<string, string>;
  result: string | null;
  readBack: string | null;
  effects: RecordedEffect[];
  ripAdvanced: boolean;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const root = fileURLToPath(new URL('../../../', import.meta.url));

export function loadVectors(relPath: string): VectorJson[] {
  return (JSON.parse(readFileSync(root + relPath, 'utf8')) as VectorsDoc).vectors;
}

function sizeMask(size: number): bigint {
  return size === 8 ? (1n << 64n) - 1n : size === 4 ? 0xffff_ffffn : 0xffffn;
}

const nullIo: IoBus = {
  in: () => 0xffff_ffff,
  out: () => undefined,
};

export function observe(v: VectorJson): Observed {
  const g = v.initial.guest;
  const vcpu = new TestVcpu(v.initial.cpuMode, v.initial.cpl, {
    cr0: BigInt(g.CR0),
    cr3: BigInt(g.CR3),
    cr4: BigInt(g.CR4),
    efer: BigInt(g.EFER),
    cr8: BigInt(g.CR8),
    xcr0: BigInt(g.XCR0),
  });
  const strategy = new RecordingStrategy(v.initial.pdptesValid);
  const monitor = new TrapMonitor({ io: nullIo, paging: strategy });
  monitor.attach(vcpu);
  monitor.guest.tpr = BigInt(g.TPR);
  const before = { ...vcpu.control };
  const ins = v.instruction;
  const operand = v.operand === null ? 0n : BigInt(v.operand);
  const size = ins.size as 2 | 4 | 8;
  let exit: VmExit;
  const cr = (access: CrAccessExit['access'], crn: number, lmswSource = 0): CrAccessExit => ({
    reason: 'cr-access',
    cr: crn,
    access,
    operand: { kind: 'reg', gpr: RBX, size: size === 2 || size === 4 || size === 8 ? size : 4 },
    lmswSource,
    insnLength: INSN_LENGTH,
  });
  switch (ins.kind) {
    case 'mov-to-cr':
      vcpu.gprs[RBX] = size === 4 ? operand | UPPER_GARBAGE : operand;
      exit = cr('mov-to-cr', ins.cr ?? 0);
      break;
    case 'mov-from-cr':
      exit = cr('mov-from-cr', ins.cr ?? 0);
      break;
    case 'lmsw':
      exit = cr('lmsw', 0, Number(operand));
      break;
    case 'clts':
      exit = cr('clts', 0);
      break;
    case 'smsw':
      exit = cr('smsw', 0);
      break;
    case 'wrmsr':
    case 'xsetbv':
    case 'rdmsr':
      vcpu.gprs[0] = (operand & 0xffff_ffffn) | UPPER_GARBAGE;
      vcpu.gprs[2] = (operand >> 32n) | UPPER_GARBAGE;
      vcpu.gprs[1] = BigInt(v.index ?? '0') | UPPER_GARBAGE;
      exit =
        ins.kind === 'xsetbv'
          ? { reason: 'xsetbv', insnLength: INSN_LENGTH }
          : { reason: ins.kind, msr: Number(BigInt(ins.msr ?? '0')), insnLength: INSN_LENGTH };
      break;
  }
  const rip0 = vcpu.rip;
  const outcome = monitor.handleExit(exit, vcpu);
  if (outcome.kind !== 'resume') throw new Error(`vector ${v.id}: monitor stopped: ${JSON.stringify(outcome.reason)}`);
  const guest = {} as Record<RegName, string>;
  for (const r of REGS) guest[r] = hex(monitor.guest[GUEST[r]]);
  const hardware: Record<string, string> = {};
  for (const r of HW_REGS) {
    const exp = v.expected.hardware[r];
    const now = vcpu.control[HW[r]] as bigint;
    if (exp) hardware[r] = hex(now & BigInt(exp.mask));
    else if (now !== before[HW[r]]) hardware[r] = `changed to ${hex(now)}`;
  }
  let result: string | null = null;
  if (outcome.kind === 'resume' && vcpu.injected.length === 0) {
    if (ins.kind === 'mov-from-cr' || ins.kind === 'smsw') result = hex(vcpu.gprs[RBX]! & sizeMask(size));
    if (ins.kind === 'rdmsr') result = hex(((vcpu.gprs[2]! & 0xffff_ffffn) << 32n) | (vcpu.gprs[0]! & 0xffff_ffffn));
  }
  const ex = vcpu.injected[0];
  const effects = [...strategy.log];
  // Read back what a completed write stored, with the instruction the guest would use.
  let readBack: string | null = null;
  const readable = ins.kind === 'mov-to-cr' || ins.kind === 'lmsw' || ins.kind === 'clts' || ins.kind === 'wrmsr';
  if (readable && !ex) {
    const readSize = v.initial.cpuMode === 'long64' ? 8 : 4;
    if (ins.kind === 'wrmsr') {
      monitor.handleExit({ reason: 'rdmsr', msr: Number(BigInt(ins.msr ?? '0')), insnLength: INSN_LENGTH }, vcpu);
      if (vcpu.injected.length === 0) readBack = hex(((vcpu.gprs[2]! & 0xffff_ffffn) << 32n) | (vcpu.gprs[0]! & 0xffff_ffffn));
    } else {
      vcpu.gprs[RBX] = UPPER_GARBAGE;
      const crn = ins.kind === 'mov-to-cr' ? (ins.cr ?? 0) : 0;
      monitor.handleExit(
        { reason: 'cr-access', cr: crn, access: 'mov-from-cr', operand: { kind: 'reg', gpr: RBX, size: readSize }, lmswSource: 0, insnLength: INSN_LENGTH },
        vcpu,
      );
      if (vcpu.injected.length === 0) readBack = hex(vcpu.gprs[RBX]! & sizeMask(readSize));
    }
  }
  return {
    exception: ex ? { vector: ex.vector, errorCode: ex.errorCode ?? null } : null,
    guest,
    hardware,
    result,
    readBack,
    effects,
    ripAdvanced: vcpu.rip !== rip0,
  };
}

export function expectedOf(v: VectorJson): Observed {
  const e = v.expected;
  const hardware: Record<string, string> = {};
  for (const [r, h] of Object.entries(e.hardware)) hardware[r] = hex(BigInt(h.value) & BigInt(h.mask));
  const size = v.instruction.kind === 'rdmsr' ? 8 : v.instruction.size;
  return {
    exception: e.exception ? { vector: e.exception.vector, errorCode: e.exception.errorCode } : null,
    guest: e.guest,
    hardware,
    result: e.result === null ? null : hex(BigInt(e.result) & sizeMask(size)),
    readBack:
      e.readBack === null ? null : hex(BigInt(e.readBack) & sizeMask(v.instruction.kind === 'wrmsr' || v.initial.cpuMode === 'long64' ? 8 : 4)),
    effects: e.effects as RecordedEffect[],
    ripAdvanced: e.ripAdvanced,
  };
}

/** SHA-256 (16 hex digits) over the vectors' JSON lines; codegen/emit/vector-tests.ts pins it. */
export function vectorsDigest(lines: string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/**
 * Feature probes for the CPUID honesty test (cpuid-honesty.test.ts): per CPUID feature, a
 * small guest that uses it (an instruction of the feature, or the CR4/EFER/XCR0 bit it makes
 * writable) on the real CPU under the trap monitor, whose generated rules decide every control-
 * register write from the same CPU model. `present` must complete; `absent` must fault (#UD, or
 * #GP on the control-register write). Code is hex (NASM source next to each piece).
 */
import { Vec } from '../../../src/runtime/cpu/fault.ts';
import type { PhysicalMemory } from '../../../src/runtime/machine/memory.ts';
import { createPagingStrategy } from '../../../src/runtime/vmm/paging/index.ts';
import { MachineClock } from '../../../src/runtime/machine/clock.ts';
import { LocalApic } from '../../../src/runtime/machine/devices/lapic.ts';
import { MmioMap } from '../../../src/runtime/machine/mmio.ts';
import { TrapMonitor } from '../../../src/runtime/vmm/trap-monitor.ts';
import { CODE, gate, HANDLER, Sel, SysMachine } from './harness.ts';

export type ProbeMode = 'protected32' | 'long64';
/** How a probe guest ended: 'ok' at its final HLT, or the vector of the exception it took. */
export type ProbeResult = 'ok' | number;

export interface Probe {
  mode: ProbeMode;
  /** Code run when the model reports the feature: must end `presentResult` (and pass `check`). */
  present: string;
  /** Default 'ok'. */
  presentResult?: ProbeResult;
  /** Code run when it does not: must take one of `absentVectors`. Defaults to `present`. */
  absent?: string;
  absentVectors?: number[];
  /** Extra check of the machine state after a present run (value the feature produced). */
  check?: (m: SysMachine<TrapMonitor>) => string | null;
}

const INT_GATE = 0xe;
const DATA = 0x6000;

function le32(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b.toString('hex');
}

const hex8 = (v: number): string => (v & 0xff).toString(16).padStart(2, '0');

/** mov eax/rax,cr4 ; bts eax/rax,bit ; mov cr4,eax/rax (0F 20 E0 / [48] 0F BA E8 ib / 0F 22 E0). */
export function setCr4(bit: number, long = false): string {
  return `0f20e0 ${long ? '48' : ''}0fbae8${hex8(bit)} 0f22e0`;
}

/** mov ecx,0xC0000080 ; rdmsr ; bts eax,bit ; wrmsr. */
export function setEfer(bit: number): string {
  return `b9${le32(0xc000_0080)} 0f32 0fbae8${hex8(bit)} 0f30`;
}

/** CR4.OSXSAVE, then XSETBV(XCR0 = value): xor ecx,ecx ; mov eax,value ; xor edx,edx ; xsetbv. */
export function setXcr0(value: number): string {
  return `${setCr4(18)} 31c9 b8${le32(value)} 31d2 0f01d1`;
}

/** mov ecx,msr ; mov eax,lo ; xor edx,edx ; wrmsr. */
function wrmsr(msr: number, lo: number): string {
  return `b9${le32(msr)} b8${le32(lo)} 31d2 0f30`;
}

const cr4Probe = (bit: number, mode: ProbeMode = 'protected32'): Probe => ({ mode, present: setCr4(bit, mode === 'long64'), absentVectors: [Vec.GP] });
const eferProbe = (bit: number): Probe => ({ mode: 'protected32', present: setEfer(bit), absentVectors: [Vec.GP] });
const xcr0Probe = (value: number): Probe => ({ mode: 'protected32', present: setXcr0(value), absentVectors: [Vec.GP] });

/** CR0.MP/NE set, TS/EM clear, CR4.OSFXSR and OSXMMEXCPT: what SSE code needs (mov eax,cr0 ; and/or ; mov cr0,eax). */
const SSE_ON = `0f20c0 25${le32(~0xc)} 0d${le32(0x22)} 0f22c0 ${setCr4(9)} ${setCr4(10)}`;

/** The probes, by feature name (CPU_FEATURES names; MSR/CX8/CMOV for cpuid.ts's leaf-1 ISA bits). */
export const PROBES: Record<string, Probe> = {
  // ---- instructions -----------------------------------------------------------------------
  FPU: { mode: 'protected32', present: 'dbe3 d9e8 bb' + le32(DATA) + ' d91b', absentVectors: [Vec.UD, Vec.NM], check: (m) => (m.r32(DATA) === 0x3f80_0000 ? null : `FSTP stored ${m.r32(DATA).toString(16)}, not 1.0f`) }, // fninit ; fld1 ; mov ebx,DATA ; fstp dword [ebx]
  TSC: { mode: 'protected32', present: '0f31', absentVectors: [Vec.UD] }, // rdtsc
  MSR: { mode: 'protected32', present: `b9${le32(0x10)} 0f32`, absentVectors: [Vec.UD] }, // mov ecx,IA32_TSC ; rdmsr
  CX8: { mode: 'protected32', present: `bb${le32(DATA)} 0fc70b`, absentVectors: [Vec.UD] }, // mov ebx,DATA ; cmpxchg8b [ebx]
  CMOV: { mode: 'protected32', present: '31c0 bb07000000 0f44c3', absentVectors: [Vec.UD], check: (m) => (m.cpu.lo[0] === 7 ? null : 'CMOVZ did not move') }, // xor eax,eax ; mov ebx,7 ; cmovz eax,ebx
  SEP: {
    // SYSENTER_CS = CODE32, ESP, EIP (patched to the NOP before the final HLT) ; sysenter
    mode: 'protected32',
    present: `${wrmsr(0x174, Sel.CODE32)} ${wrmsr(0x175, 0x8f00)} ${wrmsr(0x176, 0)} 0f34`,
    absentVectors: [Vec.UD],
  },
  // The local APIC's MSRs (the probe machine has the platform's LocalApic as the CPU's MSR device):
  // IA32_APIC_BASE reads the default base with EN and BSP; EXTD (x2APIC mode) is reserved.
  APIC: {
    mode: 'protected32',
    present: 'b91b000000 0f32', // mov ecx,0x1b ; rdmsr
    absentVectors: [Vec.GP],
    check: (m) => ((m.cpu.lo[0]! >>> 0) === 0xfee0_0900 ? null : `APIC: IA32_APIC_BASE reads ${(m.cpu.lo[0]! >>> 0).toString(16)}`),
  },
  // IA32_TSC_DEADLINE takes a write (the APIC timer's deadline; #GP without the feature).
  TSC_DEADLINE: { mode: 'protected32', present: `${wrmsr(0x6e0, 0x1234_5678)}`, absentVectors: [Vec.GP] },
  X2APIC: { mode: 'protected32', present: 'b91b000000 0f32 0fbae80a 0f30', absentVectors: [Vec.GP] }, // rdmsr ; bts eax,10 (EXTD) ; wrmsr
  RDTSCP: { mode: 'protected32', present: `${wrmsr(0xc000_0103, 0xabcd)} 0f01f9`, absentVectors: [Vec.UD], check: (m) => (m.cpu.lo[1] === 0xabcd ? null : 'RDTSCP: ECX is not IA32_TSC_AUX') },
  SYSCALL: {
    // EFER.SCE, STAR[47:32] = CODE32, STAR[31:0] = target ; syscall (legacy mode, AMD)
    mode: 'protected32',
    present: `${setEfer(0)} b9${le32(0xc000_0081)} b8${le32(0)} ba${le32(Sel.CODE32)} 0f30 0f05`,
    absentVectors: [Vec.UD],
  },
  FXSR: { mode: 'protected32', present: `${setCr4(9)} bb${le32(DATA)} 0fae03`, absentVectors: [Vec.UD, Vec.GP] }, // CR4.OSFXSR ; fxsave [ebx]
  SSE: { mode: 'protected32', present: `${SSE_ON} 0f28c1 0f58c1`, absentVectors: [Vec.UD, Vec.GP] }, // movaps xmm0,xmm1 ; addps xmm0,xmm1
  XSAVE: { mode: 'protected32', present: `${setXcr0(3)} 0f01d0 bb${le32(DATA)} b803000000 31d2 0fae23`, absentVectors: [Vec.GP, Vec.UD] }, // XCR0=3 ; xgetbv ; mov ebx,DATA ; mov eax,3 ; xor edx,edx ; xsave [ebx]
  SSE2: { mode: 'protected32', present: `${SSE_ON} 660ffec1 660f58c1`, absentVectors: [Vec.UD] }, // paddd xmm0,xmm1 ; addpd xmm0,xmm1
  SSE3: { mode: 'protected32', present: `${SSE_ON} f20f7cc1`, absentVectors: [Vec.UD] }, // haddps xmm0,xmm1
  SSSE3: { mode: 'protected32', present: `${SSE_ON} 660f3800c1`, absentVectors: [Vec.UD] }, // pshufb xmm0,xmm1
  SSE4_1: { mode: 'protected32', present: `${SSE_ON} 660f3817c1 660f3a08c100`, absentVectors: [Vec.UD] }, // ptest xmm0,xmm1 ; roundps xmm0,xmm1,0
  SSE4_2: { mode: 'protected32', present: `${SSE_ON} 660f3837c1 f20f38f1c3`, absentVectors: [Vec.UD] }, // pcmpgtq xmm0,xmm1 ; crc32 eax,ebx
  POPCNT: { mode: 'protected32', present: 'bb0f000000 f30fb8c3', absentVectors: [Vec.UD], check: (m) => (m.cpu.lo[0] === 4 ? null : 'POPCNT(0xF) is not 4') }, // mov ebx,0xf ; popcnt eax,ebx
  CLFSH: { mode: 'protected32', present: `bb${le32(DATA)} 0fae3b`, absentVectors: [Vec.UD] }, // mov ebx,DATA ; clflush [ebx]
  MMX: { mode: 'protected32', present: '0f20c0 25f3ffffff 0f22c0 0ffcc1 0f77', absentVectors: [Vec.UD] }, // CR0.EM/TS clear ; paddb mm0,mm1 ; emms
  XSAVEOPT: { mode: 'protected32', present: `${setXcr0(3)} bb${le32(DATA)} b803000000 31d2 0fae33`, absentVectors: [Vec.UD] }, // xsaveopt [ebx]
  XSAVEC: { mode: 'protected32', present: `${setXcr0(3)} bb${le32(DATA)} b803000000 31d2 0fc723`, absentVectors: [Vec.UD] }, // xsavec [ebx]
  XSAVES: { mode: 'protected32', present: `${setXcr0(3)} bb${le32(DATA)} b803000000 31d2 0fc72b`, absentVectors: [Vec.UD] }, // xsaves [ebx]
  XSTATE_X87: xcr0Probe(1),
  XSTATE_SSE: xcr0Probe(3),
  // AVX state: the XCR0 bits, then an AVX instruction (vxorps ymm0,ymm0,ymm0).
  XSTATE_AVX: { mode: 'protected32', present: `${SSE_ON} ${setXcr0(7)} c5fc57c0`, absentVectors: [Vec.GP] },
  XSTATE_BNDREGS: xcr0Probe(1 | 8),
  XSTATE_BNDCSR: xcr0Probe(1 | 16),
  XSTATE_OPMASK: xcr0Probe(7 | 0x20),
  XSTATE_ZMM_HI256: xcr0Probe(7 | 0x40),
  XSTATE_HI16_ZMM: xcr0Probe(7 | 0x80),
  XSTATE_PKRU: xcr0Probe(1 | 0x200),
  XSTATE_TILECFG: xcr0Probe(3 | 0x2_0000),
  XSTATE_TILEDATA: xcr0Probe(3 | 0x4_0000),
  XSTATE_APX: xcr0Probe(3 | 0x8_0000),
  // ---- CR4 bits (what the rules let the guest set), with behaviour where it is cheap ----------
  VME: { mode: 'protected32', present: setCr4(0), absentVectors: [Vec.GP] },
  // mov eax,dr4 (aliases DR6) ; CR4.DE ; mov eax,dr4: #UD once DE is on.
  DE: { mode: 'protected32', present: `0f21e0 ${setCr4(3)} 0f21e0`, presentResult: Vec.UD, absent: setCr4(3), absentVectors: [Vec.GP] },
  PSE: cr4Probe(4),
  PAE: cr4Probe(5),
  MCE: cr4Probe(6),
  PGE: cr4Probe(7),
  PCID: cr4Probe(17, 'long64'),
  FSGSBASE: {
    // CR4.FSGSBASE ; mov rax,0x12345678 ; wrfsbase rax ; rdfsbase rbx ; wrgsbase rax ; rdgsbase rcx
    mode: 'long64',
    present: `${setCr4(16, true)} 48b87856341200000000 f3480faed0 f3480faec3 f3480faed8 f3480faec9`,
    absent: 'f3480faec3',
    absentVectors: [Vec.UD],
    check: (m) => (m.cpu.lo[3] === 0x1234_5678 && m.cpu.lo[1] === 0x1234_5678 ? null : 'RDFSBASE/RDGSBASE did not return the written base'),
  },
  SMEP: cr4Probe(20),
  SMAP: { mode: 'protected32', present: `${setCr4(21)} 0f01cb 0f01ca`, absent: '0f01cb', absentVectors: [Vec.UD] }, // CR4.SMAP ; stac ; clac
  UMIP: cr4Probe(11),
  PKU: { mode: 'protected32', present: `${setCr4(22)} 31c9 0f01ee`, absent: `${setCr4(22)}`, absentVectors: [Vec.GP] }, // CR4.PKE ; rdpkru
  LA57: cr4Probe(12),
  VMX: cr4Probe(13),
  SMX: cr4Probe(14),
  CET_SS: cr4Probe(23),
  KL: cr4Probe(19),
  PKS: cr4Probe(24),
  UINTR: cr4Probe(25),
  LASS: cr4Probe(27),
  LAM: cr4Probe(28),
  FRED: cr4Probe(32, 'long64'),
  // ---- EFER bits ----------------------------------------------------------------------------
  NX: eferProbe(11),
  LM: eferProbe(8),
  SVM: { mode: 'protected32', present: setEfer(12), absentVectors: [Vec.GP] },
  FFXSR: eferProbe(14),
  TCE: eferProbe(15),
  LMSLE: eferProbe(13),
};

/**
 * Run `code` then a HLT in `mode` on a CPU under the trap monitor (direct paging). Exceptions
 * 0-31 go to handlers that halt at HANDLER + 16·vector.
 */
export function runProbe(mode: ProbeMode, code: string): { result: ProbeResult; m: SysMachine<TrapMonitor> } {
  const m = new SysMachine((mem: PhysicalMemory) => new TrapMonitor({ io: { in: () => 0xff, out: () => undefined }, paging: createPagingStrategy('direct', { memory: mem }) }));
  const long = mode === 'long64';
  if (long) m.long64(CODE, 0);
  else m.protected32(CODE, 0);
  for (let v = 0; v < 32; v++) {
    if (long) m.idtGate64(v, Sel.CODE64, HANDLER + 16 * v, INT_GATE, 0);
    else m.idtGate(v, gate(Sel.CODE32, HANDLER + 16 * v, INT_GATE, 0));
    m.code(HANDLER + 16 * v, 'f4');
  }
  // SYSCALL/SYSENTER land on the NOP before the final HLT: the probe's targets are 0 offsets
  // patched here (a NOP at CODE + len, HLT after it).
  const body = code.replace(/\s+/g, '');
  const end = CODE + body.length / 2;
  m.code(CODE, `${body} 90 f4`);
  patchTargets(m, body, end);
  const clock = new MachineClock(() => m.cpu.stats.instructions);
  m.cpu.msrDevice = new LocalApic({ clock, mmio: new MmioMap(m.mem.ramSize), tscNow: () => 0n, onIntrChange: () => undefined });
  m.monitor.attach(m.cpu); // the trap monitor takes the mode's registers as the guest's
  m.cpu.setFlags(0x2);
  const stop = m.run(10_000);
  const ip = m.cpu.ip;
  if (stop?.kind === 'halted' && ip === end + 2) return { result: 'ok', m };
  if (stop?.kind === 'halted' && ip > HANDLER && ip <= HANDLER + 16 * 32) return { result: (ip - HANDLER - 1) / 16, m };
  throw new Error(`probe ended oddly: ${JSON.stringify(stop)} at ${ip.toString(16)}`);
}

/** Point SYSENTER_EIP / STAR[31:0] (written as 0 by the probes) at the NOP before the final HLT. */
function patchTargets(m: SysMachine<TrapMonitor>, body: string, end: number): void {
  for (const [msr, marker] of [
    [0x176, `b9${le32(0x176)}b8${le32(0)}`],
    [0xc000_0081, `b9${le32(0xc000_0081)}b8${le32(0)}`],
  ] as const) {
    const at = body.indexOf(marker);
    if (at < 0 || at % 2 !== 0) continue;
    m.w32(CODE + at / 2 + 6, end); // the mov eax imm32
    void msr;
  }
}

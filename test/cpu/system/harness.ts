/**
 * Test harness for the CPU's system side: a Cpu over 2 MiB of RAM with the identity translator
 * (linear = physical even with CR0.PG set, so long mode needs no page tables), a monitor that
 * records every exit and otherwise behaves like the bare monitor, descriptor builders, and
 * helpers that put the CPU into real, protected (CPL 0 or 3) or 64-bit mode from GDT entries.
 * Code snippets are hex strings (assembled with NASM, source in the comment next to each).
 */
import { Cpu } from '../../../src/runtime/cpu/cpu.ts';
import { fetchDescriptor, fillCache, fillSystemCache, RawDescriptor } from '../../../src/runtime/cpu/segments.ts';
import { Seg } from '../../../src/runtime/cpu/state.ts';
import { createStandardDevices } from '../../../src/runtime/machine/devices/standard.ts';
import { PhysicalMemory } from '../../../src/runtime/machine/memory.ts';
import { CapturedOutput } from '../../../src/runtime/machine/output.ts';
import { BareMonitor } from '../../../src/runtime/vmm/bare-monitor.ts';
import type { VmExit } from '../../../src/runtime/vmm/exit.ts';
import type { ExitOutcome, Monitor, StopReason } from '../../../src/runtime/vmm/monitor.ts';
import type { Vcpu } from '../../../src/runtime/vmm/vcpu.ts';

/** Records exits; HLT stops the run ('halted', RIP past the HLT); the rest goes to BareMonitor. */
export class RecordingMonitor implements Monitor {
  readonly exits: VmExit[] = [];
  readonly output = new CapturedOutput();
  private readonly bare = new BareMonitor({ io: createStandardDevices(this.output).io });
  /** When set, exits of these reasons stop the run without being handled (RIP stays). */
  stopOn = new Set<VmExit['reason']>();
  /** Called first for every exit; a non-null outcome replaces the bare monitor's handling. */
  hook: ((exit: VmExit, vcpu: Vcpu) => ExitOutcome | null) | null = null;

  attach(vcpu: Vcpu): void {
    this.bare.attach(vcpu);
  }

  handleExit(exit: VmExit, vcpu: Vcpu): ExitOutcome {
    this.exits.push(exit);
    if (this.stopOn.has(exit.reason)) return { kind: 'stop', reason: { kind: 'monitor-error', detail: `stopped on ${exit.reason}` } };
    const hooked = this.hook?.(exit, vcpu) ?? null;
    if (hooked !== null) return hooked;
    return this.bare.handleExit(exit, vcpu);
  }
}

// ---- layout ------------------------------------------------------------------------------------
export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS = 0x3000;
export const CODE = 0x10000;
export const HANDLER = 0x20000;
export const STACK0 = 0x9000; // ring-0 stack top
export const STACK3 = 0x8000; // ring-3 stack top
export const IST1 = 0xa000;

/** GDT selectors of `standardGdt()`. */
export const Sel = {
  CODE32: 0x08,
  DATA32: 0x10,
  CODE32_U: 0x1b,
  DATA32_U: 0x23,
  TSS32: 0x28,
  CODE64: 0x30,
  DATA64: 0x38,
  CODE64_U: 0x43,
  DATA64_U: 0x4b,
  CODE16: 0x50,
  TSS64: 0x58, // 16 bytes: entries 11 and 12
  CALLGATE: 0x68, // filled by tests
  CODE32_C: 0x70, // conforming, DPL 0
} as const;

export interface SegOpts {
  dpl?: number;
  s?: boolean;
  db?: boolean;
  l?: boolean;
  g?: boolean;
  p?: boolean;
}

/** An 8-byte code/data/system descriptor as [lo, hi]. `limit` is the raw 20-bit field. */
export function segDesc(base: number, limit: number, type: number, o: SegOpts = {}): [number, number] {
  const lo = ((limit & 0xffff) | ((base & 0xffff) << 16)) >>> 0;
  const hi =
    (((base >>> 16) & 0xff) |
      ((type & 0xf) << 8) |
      ((o.s ?? true) ? 1 << 12 : 0) |
      ((o.dpl ?? 0) << 13) |
      ((o.p ?? true) ? 1 << 15 : 0) |
      (limit & 0xf_0000) |
      (o.l ? 1 << 21 : 0) |
      (o.db ? 1 << 22 : 0) |
      (o.g ? 1 << 23 : 0) |
      (base & 0xff00_0000)) >>>
    0;
  return [lo, hi];
}

/** An 8-byte legacy gate (interrupt/trap/call/task). */
export function gate(sel: number, offset: number, type: number, dpl: number, o: { p?: boolean; params?: number; ist?: number } = {}): [number, number] {
  const lo = ((offset & 0xffff) | (sel << 16)) >>> 0;
  const hi = ((offset & 0xffff_0000) | ((o.p ?? true) ? 1 << 15 : 0) | (dpl << 13) | (type << 8) | (o.params ?? 0) | (o.ist ?? 0)) >>> 0;
  return [lo, hi];
}

const flat = (type: number, dpl: number, o: SegOpts = {}): [number, number] => segDesc(0, 0xfffff, type, { dpl, g: true, db: true, ...o });

/**
 * A CPU over 2 MiB with a monitor: the RecordingMonitor by default, or the one `monitorFor`
 * makes over the machine's memory (e.g. the trap monitor, whose rules then decide CR/MSR/XCR0
 * writes; attach it again after setting the mode, as it takes the guest registers from the CPU).
 */
export class SysMachine<M extends Monitor = RecordingMonitor> {
  readonly mem = new PhysicalMemory({ memMiB: 2 });
  readonly monitor: M;
  readonly cpu: Cpu;

  constructor(monitorFor?: (mem: PhysicalMemory) => M) {
    this.monitor = monitorFor ? monitorFor(this.mem) : (new RecordingMonitor() as unknown as M);
    this.cpu = new Cpu({ bus: this.mem, monitor: this.monitor });
    this.monitor.attach(this.cpu);
  }

  w8(pa: number, v: number): void {
    this.mem.write8(pa, v);
  }
  w16(pa: number, v: number): void {
    this.mem.write16(pa, v);
  }
  w32(pa: number, v: number): void {
    this.mem.write32(pa, v >>> 0);
  }
  r16(pa: number): number {
    return this.mem.read16(pa);
  }
  r32(pa: number): number {
    return this.mem.read32(pa) >>> 0;
  }
  r64(pa: number): bigint {
    return this.mem.read64(pa);
  }

  code(pa: number, hex: string): void {
    const clean = hex.replace(/\s+/g, '');
    for (let i = 0; i < clean.length; i += 2) this.mem.write8(pa + i / 2, parseInt(clean.slice(i, i + 2), 16));
    this.cpu.decoded.clear();
  }

  /** Write GDT entry `index` (8 bytes). */
  gdtEntry(index: number, d: readonly [number, number]): void {
    this.w32(GDT + index * 8, d[0]);
    this.w32(GDT + index * 8 + 4, d[1]);
  }

  /** The standard GDT (see Sel) plus a 32-bit TSS at TSS and a 64-bit TSS descriptor (same base). */
  standardGdt(): void {
    this.gdtEntry(0, [0, 0]);
    this.gdtEntry(1, flat(0xa, 0));
    this.gdtEntry(2, flat(0x2, 0));
    this.gdtEntry(3, flat(0xa, 3));
    this.gdtEntry(4, flat(0x2, 3));
    this.gdtEntry(5, segDesc(TSS, 0x67, 0x9, { s: false }));
    this.gdtEntry(6, flat(0xa, 0, { l: true, db: false }));
    this.gdtEntry(7, flat(0x2, 0));
    this.gdtEntry(8, flat(0xa, 3, { l: true, db: false }));
    this.gdtEntry(9, flat(0x2, 3));
    this.gdtEntry(10, segDesc(0, 0xffff, 0xa, {}));
    this.gdtEntry(11, segDesc(TSS, 0x67, 0x9, { s: false }));
    this.gdtEntry(12, [0, 0]);
    this.gdtEntry(13, [0, 0]);
    this.gdtEntry(14, flat(0xe, 0));
    this.cpu.gdtr.base = GDT;
    this.cpu.gdtr.limit = 16 * 8 - 1;
  }

  /** Legacy IDT gate for `vector`. */
  idtGate(vector: number, d: readonly [number, number]): void {
    this.w32(IDT + vector * 8, d[0]);
    this.w32(IDT + vector * 8 + 4, d[1]);
    this.cpu.idtr.base = IDT;
    this.cpu.idtr.limit = Math.max(this.cpu.idtr.limit, 0xff * 8 + 7);
  }

  /** 64-bit IDT gate (16 bytes) for `vector`. */
  idtGate64(vector: number, sel: number, offset: number, type: number, dpl: number, ist = 0): void {
    const [lo, hi] = gate(sel, offset >>> 0, type, dpl, { ist });
    const a = IDT + vector * 16;
    this.w32(a, lo);
    this.w32(a + 4, hi);
    this.w32(a + 8, Math.floor(offset / 2 ** 32) >>> 0);
    this.w32(a + 12, 0);
    this.cpu.idtr.base = IDT;
    this.cpu.idtr.limit = 0xfff;
  }

  /** Load a segment register's cache from the GDT as hardware would (no checks); CS sets CPL. */
  load(seg: Seg, sel: number): void {
    const d = new RawDescriptor();
    fetchDescriptor(this.cpu, sel, d, 13, 0);
    fillCache(this.cpu.seg[seg]!, sel, d);
    if (seg === Seg.CS) this.cpu.cpl = sel & 3;
    this.cpu.updateMode();
  }

  loadTr(sel: number): void {
    const d = new RawDescriptor();
    fetchDescriptor(this.cpu, sel, d, 13, 0, this.cpu.longMode);
    fillSystemCache(this.cpu, this.cpu.seg[Seg.TR]!, sel, d);
  }

  /** Real mode, CS:IP = 0:ip, SS:SP = 0:sp, IVT at 0. */
  real(ip: number, sp = 0x7000): void {
    this.cpu.resetRealMode();
    this.cpu.setControl({ cr0: 0x10n });
    this.cpu.idtr.base = 0;
    this.cpu.idtr.limit = 0x3ff;
    this.cpu.ip = ip;
    this.cpu.lo[4] = sp;
  }

  /** Flat 32-bit protected mode at CPL `cpl` with the standard GDT and a 32-bit TSS (SS0:ESP0). */
  protected32(ip: number, cpl: 0 | 3 = 0): void {
    this.standardGdt();
    this.cpu.setControl({ cr0: 0x11n });
    this.w32(TSS + 4, STACK0); // ESP0
    this.w32(TSS + 8, Sel.DATA32); // SS0
    this.loadTr(Sel.TSS32);
    const cs = cpl === 0 ? Sel.CODE32 : Sel.CODE32_U;
    const ds = cpl === 0 ? Sel.DATA32 : Sel.DATA32_U;
    this.load(Seg.CS, cs);
    for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) this.load(s, ds);
    this.cpu.ip = ip;
    this.cpu.lo[4] = cpl === 0 ? STACK0 : STACK3;
  }

  /** 64-bit mode at CPL `cpl` (paging bits set; the identity translator needs no tables). */
  long64(ip: number, cpl: 0 | 3 = 0): void {
    this.standardGdt();
    this.cpu.setControl({ cr0: 0x8000_0011n, cr4: 0x20n, efer: 0x500n });
    this.w32(TSS + 4, STACK0); // RSP0
    this.w32(TSS + 8, 0);
    this.w32(TSS + 0x24, IST1); // IST1
    this.w32(TSS + 0x28, 0);
    this.loadTr(Sel.TSS64);
    this.load(Seg.CS, cpl === 0 ? Sel.CODE64 : Sel.CODE64_U);
    const ds = cpl === 0 ? Sel.DATA64 : Sel.DATA64_U;
    for (const s of [Seg.SS, Seg.DS, Seg.ES]) this.load(s, ds);
    this.cpu.ip = ip;
    this.cpu.lo[4] = cpl === 0 ? STACK0 : STACK3;
    this.cpu.hi[4] = 0;
  }

  run(budget = 1000): StopReason | null {
    return this.cpu.run(budget);
  }
}

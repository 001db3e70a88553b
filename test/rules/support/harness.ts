import type { IoBus } from '../../../src/runtime/machine/bus.ts';
import type { Operand, VmExit } from '../../../src/runtime/vmm/exit.ts';
import type { ExitOutcome, StopReason } from '../../../src/runtime/vmm/monitor.ts';
import { TrapMonitor } from '../../../src/runtime/vmm/trap-monitor.ts';
import type { CpuMode, HardwareControl } from '../../../src/runtime/vmm/vcpu.ts';
import { RecordingStrategy } from './recording-strategy.ts';
import { TestVcpu } from './test-vcpu.ts';

/** A trap monitor on a TestVcpu and a RecordingStrategy, with one method per instruction. */
export class Harness {
  readonly vcpu: TestVcpu;
  readonly strategy = new RecordingStrategy();
  readonly monitor: TrapMonitor;
  readonly out: { port: number; size: number; value: number }[] = [];
  stopNext: StopReason | null = null;

  constructor(mode: CpuMode, cpl: number, control: Partial<HardwareControl>) {
    this.vcpu = new TestVcpu(mode, cpl, control);
    const io: IoBus & { takeStop(): StopReason | null } = {
      in: (port) => (port === 0x3fd ? 0x60 : 0xff),
      out: (port, size, value) => void this.out.push({ port, size, value }),
      takeStop: () => {
        const s = this.stopNext;
        this.stopNext = null;
        return s;
      },
    };
    this.monitor = new TrapMonitor({ io, paging: this.strategy });
    this.monitor.attach(this.vcpu);
  }

  get guest(): TrapMonitor['guest'] {
    return this.monitor.guest;
  }

  exit(e: VmExit): ExitOutcome {
    this.vcpu.injected.length = 0;
    this.strategy.log.length = 0;
    return this.monitor.handleExit(e, this.vcpu);
  }

  /** The exception the last exit injected, as '#GP(0)'-style text, or 'none'. */
  get fault(): string {
    const f = this.vcpu.injected[0];
    if (!f) return 'none';
    const name = { 6: '#UD', 13: '#GP', 14: '#PF' }[f.vector] ?? `#${f.vector}`;
    return f.errorCode === undefined ? name : `${name}(${f.errorCode})`;
  }

  private reg(size: 2 | 4 | 8 = this.vcpu.mode === 'long64' ? 8 : 4): Operand {
    return { kind: 'reg', gpr: 3, size };
  }

  movToCr(cr: number, value: bigint): string {
    this.vcpu.gprs[3] = value;
    this.exit({ reason: 'cr-access', cr, access: 'mov-to-cr', operand: this.reg(), lmswSource: 0, insnLength: 3 });
    return this.fault;
  }

  movFromCr(cr: number): bigint {
    this.vcpu.gprs[3] = 0xdeadn;
    this.exit({ reason: 'cr-access', cr, access: 'mov-from-cr', operand: this.reg(), lmswSource: 0, insnLength: 3 });
    return this.vcpu.gprs[3]!;
  }

  lmsw(source: number): string {
    this.exit({ reason: 'cr-access', cr: 0, access: 'lmsw', operand: this.reg(2), lmswSource: source, insnLength: 3 });
    return this.fault;
  }

  smsw(operand: Operand): string {
    this.exit({ reason: 'cr-access', cr: 0, access: 'smsw', operand, lmswSource: 0, insnLength: 3 });
    return this.fault;
  }

  clts(): string {
    this.exit({ reason: 'cr-access', cr: 0, access: 'clts', operand: this.reg(), lmswSource: 0, insnLength: 2 });
    return this.fault;
  }

  wrmsr(msr: number, value: bigint): string {
    this.vcpu.gprs[1] = BigInt(msr);
    this.vcpu.gprs[0] = value & 0xffff_ffffn;
    this.vcpu.gprs[2] = value >> 32n;
    this.exit({ reason: 'wrmsr', msr, insnLength: 2 });
    return this.fault;
  }

  rdmsr(msr: number): bigint {
    this.vcpu.gprs[1] = BigInt(msr);
    this.exit({ reason: 'rdmsr', msr, insnLength: 2 });
    return (this.vcpu.gprs[2]! << 32n) | this.vcpu.gprs[0]!;
  }

  effects(): string[] {
    return this.strategy.log.map((e) =>
      e.effect === 'paging_mode_changed' ? e.effect : e.effect === 'load_pdptes' ? `load_pdptes(${e.cr3})` : `${e.effect}(${e.scope.kind}${e.scope.pcid !== undefined ? ` ${e.scope.pcid}` : ''})`,
    );
  }
}

export const EFER_MSR = 0xc000_0080;
export const CR0 = { PE: 1n, MP: 2n, EM: 4n, TS: 8n, ET: 0x10n, NE: 0x20n, WP: 0x1_0000n, NW: 1n << 29n, CD: 1n << 30n, PG: 1n << 31n };
export const CR4 = { PSE: 0x10n, PAE: 0x20n, PGE: 0x80n, UMIP: 0x800n, LA57: 0x1000n, PCIDE: 0x2_0000n, OSXSAVE: 0x4_0000n };
export const EFER = { SCE: 1n, LME: 0x100n, LMA: 0x400n, NXE: 0x800n };
/** A long-mode guest: PG PE ET, PAE, LME LMA. */
export const LONG: Partial<HardwareControl> = { cr0: CR0.PG | CR0.PE | CR0.ET, cr3: 0x3000n, cr4: CR4.PAE, efer: EFER.LME | EFER.LMA };

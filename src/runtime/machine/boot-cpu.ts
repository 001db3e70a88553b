import { Seg, type CpuState, type SegmentCache } from '../cpu/index.ts';
import type { HardwareControl } from '../vmm/vcpu.ts';
import type { BootState, SegmentInit } from './loaders/boot-state.ts';

/** What applying a boot state needs from the CPU: its state plus the Vcpu control setter. */
export interface BootableCpu extends CpuState {
  setControl(update: Partial<HardwareControl>): void;
}

/**
 * Put the CPU in the state a loader describes (before the monitor attaches, so the monitor reads
 * these control registers as the guest's own).
 */
export function applyBootState(cpu: BootableCpu, boot: BootState): void {
  cpu.lo.fill(0);
  cpu.hi.fill(0);
  for (const [n, value] of Object.entries(boot.gprs)) {
    if (value !== undefined) cpu.lo[Number(n)] = value >>> 0;
  }
  loadSegment(cpu.seg[Seg.CS]!, boot.cs);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) loadSegment(cpu.seg[s]!, boot.data);
  cpu.cpl = 0;
  cpu.setFlags(boot.rflags);
  cpu.ip = boot.rip;
  cpu.halted = false;
  cpu.interruptShadow = false;
  // GDTR/IDTR are undefined at multiboot entry (the guest loads its own); leave an empty GDT so
  // a stray segment load faults instead of reading whatever is at address 0.
  if (boot.mode === 'protected32') {
    cpu.gdtr.base = boot.gdtr?.base ?? 0;
    cpu.gdtr.limit = boot.gdtr?.limit ?? 0;
  }
  cpu.setControl({ cr0: boot.cr0, cr3: boot.cr3, cr4: boot.cr4, efer: boot.efer });
}

function loadSegment(seg: SegmentCache, init: SegmentInit): void {
  seg.selector = init.selector;
  seg.base = init.base;
  seg.limit = init.limit;
  seg.type = init.type;
  seg.s = true;
  seg.dpl = 0;
  seg.present = true;
  seg.db = init.db;
  seg.l = false;
  seg.g = init.g;
  seg.avl = false;
  seg.usable = true;
}

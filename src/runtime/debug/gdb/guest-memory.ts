/**
 * gdb's m/M/X packets: guest *virtual* memory, translated through the guest's current paging —
 * the guest's own CR0/CR3/CR4/EFER and page tables (the monitor's GuestState), never the shadow
 * tables the hardware runs on — as gdb expects from a stub (QEMU's does the same walk). The
 * walk is a probe: no accessed/dirty bits are set, no TLB is filled. A page that does not
 * translate ends the access: a read returns what translated before it (gdb asks again for the
 * rest and gets the error), or the error `E14` (#PF) when nothing did.
 *
 * Guest-physical is host-physical for RAM (machine/bus.ts); reads past RAM return all ones, as
 * the guest would see. Writes go through the CPU's bus, so decoded and compiled code on the
 * written bytes is dropped (software breakpoints gdb writes itself, patched code).
 */
import type { Cpu } from '../../cpu/cpu.ts';
import { GUEST_MAXPHYADDR } from '../../machine/bus.ts';
import { configure, newWalkConfig, PagingMode } from '../../mmu/paging-config.ts';
import { Access } from '../../mmu/types.ts';
import { walk, WalkResult, WALK_OK } from '../../mmu/walker.ts';
import { readPdptes } from '../../vmm/paging/pdptes.ts';

/** The control registers a walk needs (the guest's, or the hardware's under a bare monitor). */
export interface ControlView {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly cr8?: bigint;
  readonly xcr0?: bigint;
}

export class GuestMemory {
  private readonly cfg = newWalkConfig();
  private readonly res = new WalkResult();
  private readonly pdptes = new Uint32Array(8);

  constructor(
    private readonly cpu: Cpu,
    /** The guest's control registers (the hardware's under a bare monitor). */
    private readonly guest: () => ControlView,
  ) {}

  /** Guest-physical address of a virtual one, or -1 (not mapped). */
  translate(virtual: bigint): number {
    const g = this.guest();
    configure(this.cfg, Number(g.cr0 & 0xffff_ffffn), g.cr3, Number(g.cr4 & 0xffff_ffffn), Number(g.efer & 0xffff_ffffn), GUEST_MAXPHYADDR);
    const long = this.cfg.mode === PagingMode.Level4 || this.cfg.mode === PagingMode.Level5;
    if (!long && virtual > 0xffff_ffffn) return -1;
    if (this.cfg.mode === PagingMode.Pae && !readPdptes(this.cpu.bus, g.cr3, this.pdptes)) return -1;
    // Linear addresses as the walker takes them: < 2^32 outside long mode, signed canonical in it.
    const linear = long ? Number(BigInt.asIntN(64, virtual)) : Number(virtual);
    const pdptes = this.cfg.mode === PagingMode.Pae ? this.pdptes : null;
    const r = walk(this.cpu.bus, this.cfg, pdptes, linear, Access.Read, false, false, 0, this.res, null);
    return r === WALK_OK ? this.res.phys : -1;
  }

  /** Up to `length` bytes from `virtual`: shorter (possibly empty) where a page does not translate. */
  read(virtual: bigint, length: number): Uint8Array {
    const out: number[] = [];
    const bus = this.cpu.bus;
    let pa = -1;
    for (let i = 0; i < length; i++) {
      const va = BigInt.asUintN(64, virtual + BigInt(i));
      if (pa < 0 || (va & 0xfffn) === 0n) pa = this.translate(va);
      else pa++;
      if (pa < 0) break;
      out.push(bus.read8(pa));
    }
    return Uint8Array.from(out);
  }

  /** Write bytes at `virtual`; false (nothing written) when any page does not translate. */
  write(virtual: bigint, bytes: Uint8Array): boolean {
    const pas: number[] = [];
    let pa = -1;
    for (let i = 0; i < bytes.length; i++) {
      const va = BigInt.asUintN(64, virtual + BigInt(i));
      if (pa < 0 || (va & 0xfffn) === 0n) pa = this.translate(va);
      else pa++;
      if (pa < 0) return false;
      pas.push(pa);
    }
    pas.forEach((p, i) => this.cpu.bus.write8(p, bytes[i]!));
    return true;
  }
}

import { join64 } from '../vmm/effects.ts';
import type { HardwareControl } from '../vmm/vcpu.ts';

/**
 * The hardware control registers (HardwareControl) as the CPU holds them: each as its two
 * 32-bit halves (`cr4Lo`, `cr4Hi`), which the exit path compares and programs
 * (Cpu.programControl), and seen as a BigInt (`cr4`) by everything else: made from the halves
 * when first read after a halves update (making a BigInt costs ~10-35 ns; a CR0.TS or CR4 toggle
 * loop would make one per exit, issue 7). Assigning the BigInt sets the halves too.
 *
 * The same scheme as the guest's registers (vmm/guest-regs.ts), in a class of its own: one
 * shared class would make the property accesses in its getters and setters see two hidden
 * classes (guest and hardware), measurably slower on the exit path (about 2 %).
 */
const VIEW64 = new BigUint64Array(1);
const VIEW32 = new Uint32Array(VIEW64.buffer);

export class ControlRegs implements HardwareControl {
  cr0Lo = 0x60000010;
  cr0Hi = 0;
  private cr0Big: bigint | undefined = 0x60000010n;
  cr3Lo = 0x0;
  cr3Hi = 0;
  private cr3Big: bigint | undefined = 0n;
  cr4Lo = 0x0;
  cr4Hi = 0;
  private cr4Big: bigint | undefined = 0n;
  eferLo = 0x0;
  eferHi = 0;
  private eferBig: bigint | undefined = 0n;
  cr8Lo = 0x0;
  cr8Hi = 0;
  private cr8Big: bigint | undefined = 0n;
  xcr0Lo = 0x1;
  xcr0Hi = 0;
  private xcr0Big: bigint | undefined = 1n;
  /** Nested paging root (see HardwareControl.ncr3). */
  ncr3: bigint | null = null;

  get cr0(): bigint {
    return (this.cr0Big ??= join64(this.cr0Lo, this.cr0Hi));
  }
  set cr0(v: bigint) {
    this.cr0Big = v;
    VIEW64[0] = v;
    this.cr0Lo = VIEW32[0]!;
    this.cr0Hi = VIEW32[1]!;
  }

  get cr3(): bigint {
    return (this.cr3Big ??= join64(this.cr3Lo, this.cr3Hi));
  }
  set cr3(v: bigint) {
    this.cr3Big = v;
    VIEW64[0] = v;
    this.cr3Lo = VIEW32[0]!;
    this.cr3Hi = VIEW32[1]!;
  }

  get cr4(): bigint {
    return (this.cr4Big ??= join64(this.cr4Lo, this.cr4Hi));
  }
  set cr4(v: bigint) {
    this.cr4Big = v;
    VIEW64[0] = v;
    this.cr4Lo = VIEW32[0]!;
    this.cr4Hi = VIEW32[1]!;
  }

  get efer(): bigint {
    return (this.eferBig ??= join64(this.eferLo, this.eferHi));
  }
  set efer(v: bigint) {
    this.eferBig = v;
    VIEW64[0] = v;
    this.eferLo = VIEW32[0]!;
    this.eferHi = VIEW32[1]!;
  }

  get cr8(): bigint {
    return (this.cr8Big ??= join64(this.cr8Lo, this.cr8Hi));
  }
  set cr8(v: bigint) {
    this.cr8Big = v;
    VIEW64[0] = v;
    this.cr8Lo = VIEW32[0]!;
    this.cr8Hi = VIEW32[1]!;
  }

  get xcr0(): bigint {
    return (this.xcr0Big ??= join64(this.xcr0Lo, this.xcr0Hi));
  }
  set xcr0(v: bigint) {
    this.xcr0Big = v;
    VIEW64[0] = v;
    this.xcr0Lo = VIEW32[0]!;
    this.xcr0Hi = VIEW32[1]!;
  }

  /** Set a register from uint32 halves (the BigInt follows when read). */
  setCr0(lo: number, hi: number): void {
    this.cr0Lo = lo;
    this.cr0Hi = hi;
    this.cr0Big = undefined;
  }
  setCr3(lo: number, hi: number): void {
    this.cr3Lo = lo;
    this.cr3Hi = hi;
    this.cr3Big = undefined;
  }
  setCr4(lo: number, hi: number): void {
    this.cr4Lo = lo;
    this.cr4Hi = hi;
    this.cr4Big = undefined;
  }
  setEfer(lo: number, hi: number): void {
    this.eferLo = lo;
    this.eferHi = hi;
    this.eferBig = undefined;
  }
  setCr8(lo: number, hi: number): void {
    this.cr8Lo = lo;
    this.cr8Hi = hi;
    this.cr8Big = undefined;
  }
  setXcr0(lo: number, hi: number): void {
    this.xcr0Lo = lo;
    this.xcr0Hi = hi;
    this.xcr0Big = undefined;
  }
}

import { join64, type GuestState } from './effects.ts';

/**
 * The monitor's guest-visible control registers (GuestState). Each register is held as its two
 * 32-bit halves (`cr4Lo`, `cr4Hi`), which the generated handlers test and assign
 * (`setCr4(lo, hi)`), and seen as a BigInt (`cr4`) by strategies, reports and BigInt rule code:
 * made from the halves when first read after a halves assignment, since making a BigInt costs
 * ~10-35 ns and the exit path of a CR toggle loop would otherwise make several per exit (issue 7).
 * Assigning the BigInt sets the halves too. The hardware's registers (cpu/control-regs.ts) use
 * the same scheme in a class of their own (see there why).
 */
const VIEW64 = new BigUint64Array(1);
const VIEW32 = new Uint32Array(VIEW64.buffer);

export type GuestRegName = 'cr0' | 'cr3' | 'cr4' | 'efer' | 'cr8' | 'xcr0' | 'tpr';

/** The local APIC's task-priority register, as the guest's TPR (devices/lapic.ts implements it). */
export interface TaskPriorityPort {
  readonly tpr: number;
  setTpr(value: number): void;
}

export class GuestRegs implements GuestState {
  cr0Lo = 0;
  cr0Hi = 0;
  /** The BigInt of cr0Lo/cr0Hi, or undefined until read. */
  private cr0Big: bigint | undefined = 0n;
  cr3Lo = 0;
  cr3Hi = 0;
  /** The BigInt of cr3Lo/cr3Hi, or undefined until read. */
  private cr3Big: bigint | undefined = 0n;
  cr4Lo = 0;
  cr4Hi = 0;
  /** The BigInt of cr4Lo/cr4Hi, or undefined until read. */
  private cr4Big: bigint | undefined = 0n;
  eferLo = 0;
  eferHi = 0;
  /** The BigInt of eferLo/eferHi, or undefined until read. */
  private eferBig: bigint | undefined = 0n;
  cr8Lo = 0;
  cr8Hi = 0;
  /** The BigInt of cr8Lo/cr8Hi, or undefined until read. */
  private cr8Big: bigint | undefined = 0n;
  xcr0Lo = 1;
  xcr0Hi = 0;
  /** The BigInt of xcr0Lo/xcr0Hi, or undefined until read. */
  private xcr0Big: bigint | undefined = 1n;

  /**
   * The machine's local APIC, when there is one: the guest's TPR is then the APIC's (8 bits, MMIO
   * offset 80h) and a write may let a held interrupt in; without one, a plain register.
   */
  tprPort: TaskPriorityPort | null = null;
  private tprOwnLo = 0;
  private tprOwnHi = 0;

  constructor(init: Partial<Record<GuestRegName, bigint>> = {}) {
    this.cr0 = init.cr0 ?? 0n;
    this.cr3 = init.cr3 ?? 0n;
    this.cr4 = init.cr4 ?? 0n;
    this.efer = init.efer ?? 0n;
    this.cr8 = init.cr8 ?? 0n;
    this.xcr0 = init.xcr0 ?? 1n;
    this.tpr = init.tpr ?? 0n;
  }

  get tprLo(): number {
    return this.tprPort !== null ? this.tprPort.tpr >>> 0 : this.tprOwnLo;
  }
  get tprHi(): number {
    return this.tprPort !== null ? 0 : this.tprOwnHi;
  }
  get tpr(): bigint {
    return join64(this.tprLo, this.tprHi);
  }
  set tpr(v: bigint) {
    VIEW64[0] = v;
    this.setTpr(VIEW32[0]!, VIEW32[1]!);
  }
  setTpr(lo: number, hi: number): void {
    if (this.tprPort !== null) {
      this.tprPort.setTpr(lo & 0xff);
      return;
    }
    this.tprOwnLo = lo >>> 0;
    this.tprOwnHi = hi >>> 0;
  }

  get cr0(): bigint {
    return (this.cr0Big ??= join64(this.cr0Lo, this.cr0Hi));
  }
  set cr0(v: bigint) {
    this.cr0Big = v;
    VIEW64[0] = v;
    this.cr0Lo = VIEW32[0]!;
    this.cr0Hi = VIEW32[1]!;
  }
  setCr0(lo: number, hi: number): void {
    this.cr0Lo = lo >>> 0;
    this.cr0Hi = hi >>> 0;
    this.cr0Big = undefined;
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
  setCr3(lo: number, hi: number): void {
    this.cr3Lo = lo >>> 0;
    this.cr3Hi = hi >>> 0;
    this.cr3Big = undefined;
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
  setCr4(lo: number, hi: number): void {
    this.cr4Lo = lo >>> 0;
    this.cr4Hi = hi >>> 0;
    this.cr4Big = undefined;
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
  setEfer(lo: number, hi: number): void {
    this.eferLo = lo >>> 0;
    this.eferHi = hi >>> 0;
    this.eferBig = undefined;
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
  setCr8(lo: number, hi: number): void {
    this.cr8Lo = lo >>> 0;
    this.cr8Hi = hi >>> 0;
    this.cr8Big = undefined;
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
  setXcr0(lo: number, hi: number): void {
    this.xcr0Lo = lo >>> 0;
    this.xcr0Hi = hi >>> 0;
    this.xcr0Big = undefined;
  }

  /** The registers as a plain object (reports, snapshots). */
  values(): Record<GuestRegName, bigint> {
    return { cr0: this.cr0, cr3: this.cr3, cr4: this.cr4, efer: this.efer, cr8: this.cr8, xcr0: this.xcr0, tpr: this.tpr };
  }
}

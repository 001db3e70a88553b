import type { GuestState } from './effects.ts';

/**
 * The monitor's guest-visible control registers (GuestState) with number mirrors: each register
 * is a BigInt, as the handlers and strategies see it, and its two 32-bit halves as numbers
 * (`cr4Lo`, `cr4Hi`, ...), kept in step by the setters. The exit path compares and tests the
 * halves: a BigInt comparison or BigInt-to-number conversion costs ~7 ns, a number one ~1 ns
 * (issue 7), and a write-heavy exit loop reads these registers several times per exit.
 */
const VIEW64 = new BigUint64Array(1);
const VIEW32 = new Uint32Array(VIEW64.buffer);

export type GuestRegName = 'cr0' | 'cr3' | 'cr4' | 'efer' | 'cr8' | 'xcr0';

export class GuestRegs implements GuestState {
  private v0 = 0n;
  private v3 = 0n;
  private v4 = 0n;
  private vEfer = 0n;
  private v8 = 0n;
  private vXcr0 = 1n;
  cr0Lo = 0;
  cr0Hi = 0;
  cr3Lo = 0;
  cr3Hi = 0;
  cr4Lo = 0;
  cr4Hi = 0;
  eferLo = 0;
  eferHi = 0;
  cr8Lo = 0;
  cr8Hi = 0;
  xcr0Lo = 1;
  xcr0Hi = 0;

  constructor(init: Partial<Record<GuestRegName, bigint>> = {}) {
    this.cr0 = init.cr0 ?? 0n;
    this.cr3 = init.cr3 ?? 0n;
    this.cr4 = init.cr4 ?? 0n;
    this.efer = init.efer ?? 0n;
    this.cr8 = init.cr8 ?? 0n;
    this.xcr0 = init.xcr0 ?? 1n;
  }

  get cr0(): bigint {
    return this.v0;
  }
  set cr0(v: bigint) {
    this.v0 = v;
    VIEW64[0] = v;
    this.cr0Lo = VIEW32[0]!;
    this.cr0Hi = VIEW32[1]!;
  }

  get cr3(): bigint {
    return this.v3;
  }
  set cr3(v: bigint) {
    this.v3 = v;
    VIEW64[0] = v;
    this.cr3Lo = VIEW32[0]!;
    this.cr3Hi = VIEW32[1]!;
  }

  get cr4(): bigint {
    return this.v4;
  }
  set cr4(v: bigint) {
    this.v4 = v;
    VIEW64[0] = v;
    this.cr4Lo = VIEW32[0]!;
    this.cr4Hi = VIEW32[1]!;
  }

  get efer(): bigint {
    return this.vEfer;
  }
  set efer(v: bigint) {
    this.vEfer = v;
    VIEW64[0] = v;
    this.eferLo = VIEW32[0]!;
    this.eferHi = VIEW32[1]!;
  }

  get cr8(): bigint {
    return this.v8;
  }
  set cr8(v: bigint) {
    this.v8 = v;
    VIEW64[0] = v;
    this.cr8Lo = VIEW32[0]!;
    this.cr8Hi = VIEW32[1]!;
  }

  get xcr0(): bigint {
    return this.vXcr0;
  }
  set xcr0(v: bigint) {
    this.vXcr0 = v;
    VIEW64[0] = v;
    this.xcr0Lo = VIEW32[0]!;
    this.xcr0Hi = VIEW32[1]!;
  }

  /** The registers as a plain object (reports, snapshots). */
  values(): Record<GuestRegName, bigint> {
    return { cr0: this.v0, cr3: this.v3, cr4: this.v4, efer: this.vEfer, cr8: this.v8, xcr0: this.vXcr0 };
  }
}

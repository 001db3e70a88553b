import type { ExtIntSource, InterruptControllerOptions } from '../interrupt-lines.ts';
import type { IsaIrqSink } from '../irq-router.ts';
import { portRange, type PortDevice } from './port-device.ts';

/**
 * One 8259A's programmable state (Intel 8259A data sheet; QEMU hw/intc/i8259.c). A plain record:
 * every field a guest can observe, nothing else.
 */
export interface Pic8259State {
  /** Interrupt request register: lines asking for service. */
  irr: number;
  /** In-service register: lines acknowledged and not yet EOI'd. */
  isr: number;
  /** Interrupt mask register (OCW1). */
  imr: number;
  /** Input levels as last driven (edge detection). */
  lastLevels: number;
  /** Edge/level control (ELCR, 0x4D0/0x4D1): bit set = level-triggered. */
  elcr: number;
  /** Vector base (ICW2 bits 7:3). */
  vectorBase: number;
  /** Lowest-priority line + 1 (rotation); 0 = IRQ0 highest. */
  priorityAdd: number;
  /** OCW3 RR/RIS: read ISR (true) or IRR (false) at the command port. */
  readIsr: boolean;
  /** OCW3 P: the next read of either port is a poll. */
  poll: boolean;
  /** OCW3 SMM: special mask mode. */
  specialMask: boolean;
  /** ICW sequence position: 0 = ready, 1 = expecting ICW2, 2 = ICW3, 3 = ICW4. */
  initState: number;
  /** ICW1 IC4: an ICW4 follows. */
  init4: boolean;
  /** ICW1 SNGL: no ICW3. */
  single: boolean;
  /** ICW4 AEOI. */
  autoEoi: boolean;
  /** OCW2 rotate in automatic EOI mode. */
  rotateOnAutoEoi: boolean;
  /** ICW4 SFNM (special fully nested mode). */
  specialFullyNested: boolean;
  /** ICW3 as written (cascade wiring: the master's slave lines / the slave's ID). */
  icw3: number;
}

function resetState(elcr: number): Pic8259State {
  return {
    irr: 0,
    isr: 0,
    imr: 0,
    lastLevels: 0,
    elcr,
    vectorBase: 0,
    priorityAdd: 0,
    readIsr: false,
    poll: false,
    specialMask: false,
    initState: 0,
    init4: false,
    single: false,
    autoEoi: false,
    rotateOnAutoEoi: false,
    specialFullyNested: false,
    icw3: 0,
  };
}

/** No line: priority 8 is "none" in get-priority. */
const NONE = 8;

/** Priority index (0 = highest) of the highest-priority set bit of `mask` under rotation, or 8. */
function priorityOf(s: Pic8259State, mask: number): number {
  if (mask === 0) return NONE;
  let p = 0;
  while ((mask & (1 << ((p + s.priorityAdd) & 7))) === 0) p++;
  return p;
}

/** Which ELCR bits can be set: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge (PIIX). */
const ELCR_MASK_MASTER = 0xf8;
const ELCR_MASK_SLAVE = 0xde;

export const PIC_MASTER_BASE = 0x20;
export const PIC_SLAVE_BASE = 0xa0;
export const ELCR_BASE = 0x4d0;
/** The master input the slave's INT drives. */
const CASCADE_LINE = 2;

/** onIntrChange: called whenever the master's INT output may have changed (interrupt-lines.ts). */
export type PicPairOptions = Partial<InterruptControllerOptions>;

/** Counters for --stats. */
export interface PicCounters {
  acknowledged: number;
  spurious: number;
}

/**
 * The PC's two cascaded 8259A PICs (master 0x20/0x21, slave 0xA0/0xA1 on master IRQ 2) and the
 * PIIX edge/level control registers at 0x4D0/0x4D1. ISA lines come in through setIrq (the IRQ
 * router); the CPU takes the vector with acknowledge() (the INTA cycle) when hasInterrupt().
 * Modelled: ICW1–4 (single/cascade, ICW4 AEOI and SFNM), OCW1 mask, OCW2 non-specific/specific
 * EOI and the rotations, OCW3 read IRR/ISR, poll, special mask mode; spurious IRQ 7/15.
 * Not modelled: 8080/8085 mode (ICW1 bit 0 clear and the ICW2 interval bits), buffered mode.
 */
export class PicPair implements IsaIrqSink, ExtIntSource {
  readonly master: Pic8259State = resetState(0);
  readonly slave: Pic8259State = resetState(0);
  readonly counters: PicCounters = { acknowledged: 0, spurious: 0 };
  private intr = false;
  private readonly onIntrChange: () => void;

  constructor(options: PicPairOptions = {}) {
    this.onIntrChange = options.onIntrChange ?? (() => {});
  }

  /** The three port ranges: master, slave, ELCR. */
  portDevices(): PortDevice[] {
    return [
      portRange('pic-master', PIC_MASTER_BASE, 2, (o) => this.read(this.master, o), (o, _s, v) => this.write(this.master, o, v)),
      portRange('pic-slave', PIC_SLAVE_BASE, 2, (o) => this.read(this.slave, o), (o, _s, v) => this.write(this.slave, o, v)),
      portRange('elcr', ELCR_BASE, 2, (o) => (o === 0 ? this.master.elcr : this.slave.elcr), (o, _s, v) => this.writeElcr(o, v)),
    ];
  }

  /** Power-on / machine reset: both controllers uninitialised, ELCR all edge. */
  reset(): void {
    Object.assign(this.master, resetState(0));
    Object.assign(this.slave, resetState(0));
    this.update();
  }

  /** ISA line `irq` (0–15) driven to `level`. */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.setLine(this.master, irq, level);
    else this.setLine(this.slave, irq - 8, level);
    this.update();
  }

  /** The master's INT output (INTR at the CPU). */
  hasInterrupt(): boolean {
    return this.intr;
  }

  /**
   * The INTA cycle: the vector of the highest-priority request, moved from IRR to ISR (unless
   * AEOI). With no request left (the line dropped before the acknowledge) the answer is the
   * spurious vector of IRQ 7 (master) or 15 (slave, with the master's cascade bit in service).
   */
  acknowledge(): number {
    const m = this.master;
    const irq = this.pendingLine(m);
    let vector: number;
    if (irq < 0) {
      vector = m.vectorBase + 7;
      this.counters.spurious++;
    } else if (irq === CASCADE_LINE && !m.single) {
      const irq2 = this.pendingLine(this.slave);
      if (irq2 >= 0) {
        this.intack(this.slave, irq2);
        this.counters.acknowledged++;
      } else {
        this.counters.spurious++;
      }
      vector = this.slave.vectorBase + (irq2 >= 0 ? irq2 : 7);
      this.intack(m, irq);
    } else {
      vector = m.vectorBase + irq;
      this.intack(m, irq);
      this.counters.acknowledged++;
    }
    this.update();
    return vector;
  }

  private setLine(s: Pic8259State, line: number, level: boolean): void {
    const bit = 1 << line;
    if ((s.elcr & bit) !== 0) {
      // Level-triggered: IRR follows the line.
      if (level) s.irr |= bit;
      else s.irr &= ~bit;
    } else if (level && (s.lastLevels & bit) === 0) {
      s.irr |= bit; // rising edge
    }
    if (level) s.lastLevels |= bit;
    else s.lastLevels &= ~bit;
  }

  /** The line this controller would signal on INT, or -1 (QEMU pic_get_irq). */
  private pendingLine(s: Pic8259State): number {
    const request = priorityOf(s, s.irr & ~s.imr);
    if (request === NONE) return -1;
    let inService = s.isr;
    // Special mask mode: a masked in-service line does not block lower priorities.
    if (s.specialMask) inService &= ~s.imr;
    // Special fully nested mode: the cascade line in service does not block the slave's others.
    if (s.specialFullyNested && s === this.master) inService &= ~(1 << CASCADE_LINE);
    return request < priorityOf(s, inService) ? (request + s.priorityAdd) & 7 : -1;
  }

  private intack(s: Pic8259State, line: number): void {
    const bit = 1 << line;
    if (s.autoEoi) {
      if (s.rotateOnAutoEoi) s.priorityAdd = (line + 1) & 7;
    } else {
      s.isr |= bit;
    }
    // A level-triggered request stays in IRR while its line is high.
    if ((s.elcr & bit) === 0) s.irr &= ~bit;
  }

  /** Recompute the slave's INT into master line 2 and the master's INT; notify on a change. */
  private update(): void {
    const slaveInt = this.pendingLine(this.slave) >= 0;
    this.setLine(this.master, CASCADE_LINE, slaveInt);
    const intr = this.pendingLine(this.master) >= 0;
    if (intr !== this.intr) {
      this.intr = intr;
      this.onIntrChange();
    }
  }

  private read(s: Pic8259State, offset: number): number {
    if (s.poll) {
      // Poll command: the next read is "bit 7 = request, bits 2:0 = level", acknowledging it.
      s.poll = false;
      const line = this.pendingLine(s);
      if (line < 0) return 0;
      this.intack(s, line);
      this.update();
      return 0x80 | line;
    }
    if (offset === 0) return s.readIsr ? s.isr : s.irr;
    return s.imr;
  }

  private write(s: Pic8259State, offset: number, value: number): void {
    const v = value & 0xff;
    if (offset === 0) {
      if ((v & 0x10) !== 0) this.icw1(s, v);
      else if ((v & 0x08) !== 0) this.ocw3(s, v);
      else this.ocw2(s, v);
    } else {
      switch (s.initState) {
        case 0: // OCW1
          s.imr = v;
          break;
        case 1: // ICW2
          s.vectorBase = v & 0xf8;
          s.initState = s.single ? (s.init4 ? 3 : 0) : 2;
          break;
        case 2: // ICW3
          s.icw3 = v;
          s.initState = s.init4 ? 3 : 0;
          break;
        default: // ICW4
          s.specialFullyNested = (v & 0x10) !== 0;
          s.autoEoi = (v & 0x02) !== 0;
          s.initState = 0;
          break;
      }
    }
    this.update();
  }

  /** ICW1: start initialisation. IMR, ISR and IRR's edge state clear; IRQ 7 lowest priority. */
  private icw1(s: Pic8259State, v: number): void {
    const elcr = s.elcr;
    Object.assign(s, resetState(elcr));
    s.irr &= elcr; // level requests whose lines are still high stay
    s.initState = 1;
    s.init4 = (v & 0x01) !== 0;
    s.single = (v & 0x02) !== 0;
  }

  /** OCW2: EOIs and rotations. */
  private ocw2(s: Pic8259State, v: number): void {
    const cmd = v >> 5;
    switch (cmd) {
      case 0: // clear rotate in AEOI
      case 4: // set rotate in AEOI
        s.rotateOnAutoEoi = cmd === 4;
        return;
      case 1: // non-specific EOI
      case 5: {
        // rotate on non-specific EOI
        const p = priorityOf(s, s.isr);
        if (p === NONE) return;
        const line = (p + s.priorityAdd) & 7;
        s.isr &= ~(1 << line);
        if (cmd === 5) s.priorityAdd = (line + 1) & 7;
        return;
      }
      case 3: // specific EOI
        s.isr &= ~(1 << (v & 7));
        return;
      case 6: // set priority: line v&7 becomes the lowest
        s.priorityAdd = ((v & 7) + 1) & 7;
        return;
      case 7: // rotate on specific EOI
        s.isr &= ~(1 << (v & 7));
        s.priorityAdd = ((v & 7) + 1) & 7;
        return;
      default: // 2: no operation
        return;
    }
  }

  /** OCW3: register select, poll, special mask mode. */
  private ocw3(s: Pic8259State, v: number): void {
    if ((v & 0x04) !== 0) s.poll = true;
    if ((v & 0x02) !== 0) s.readIsr = (v & 0x01) !== 0;
    if ((v & 0x40) !== 0) s.specialMask = (v & 0x20) !== 0;
  }

  private writeElcr(offset: number, value: number): void {
    if (offset === 0) this.master.elcr = value & ELCR_MASK_MASTER;
    else this.slave.elcr = value & ELCR_MASK_SLAVE;
    this.update();
  }
}

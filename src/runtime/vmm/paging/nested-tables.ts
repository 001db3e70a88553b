/**
 * The monitor's nested tables (guest-physical → host-physical), 4-level format in monitor
 * memory, filled lazily with 2 MiB identity pages on nested page faults. Identity is the whole
 * policy: guest RAM maps to itself, and guest-physical addresses past RAM map to the unbacked
 * range [ramSize, MONITOR_BASE) (reads all ones, writes dropped). Nothing ever maps monitor
 * memory: a guest-physical address ≥ MONITOR_BASE is refused (the guest's MAXPHYADDR of 40
 * makes one impossible anyway).
 */
import { MONITOR_BASE, type PhysicalBus } from '../../machine/bus.ts';
import type { MonitorMemory } from './monitor-memory.ts';

const UPPER = 0x1 | 0x2 | 0x4 | 0x20; // P W U A
const LEAF = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | 0x80; // P W U A D PS
const TWO32 = 2 ** 32;
const LARGE = 2 ** 21;

export class NestedTables {
  readonly root: number;
  pages = 0;

  constructor(private readonly memory: PhysicalBus & MonitorMemory) {
    this.root = this.alloc();
  }

  private alloc(): number {
    this.pages++;
    return this.memory.allocMonitorPage();
  }

  /** Map the 2 MiB region holding `gpa`. Returns false if `gpa` may not be mapped. */
  fill(gpa: number): boolean {
    if (!(gpa >= 0 && gpa < MONITOR_BASE)) return false;
    let table = this.root;
    for (let level = 4; level > 2; level--) {
      const e = table + (Math.floor(gpa / 2 ** (12 + 9 * (level - 1))) & 511) * 8;
      const lo = this.memory.read32(e) >>> 0;
      if ((lo & 1) === 0) {
        const t = this.alloc();
        this.memory.write32(e, ((t % TWO32) | UPPER) >>> 0);
        this.memory.write32(e + 4, Math.floor(t / TWO32));
        table = t;
      } else {
        table = ((lo & 0xffff_f000) >>> 0) + (this.memory.read32(e + 4) & 0xfffff) * TWO32;
      }
    }
    const base = gpa - (gpa % LARGE);
    const e = table + (Math.floor(gpa / LARGE) & 511) * 8;
    this.memory.write32(e, ((base % TWO32) | LEAF) >>> 0);
    this.memory.write32(e + 4, Math.floor(base / TWO32));
    return true;
  }
}

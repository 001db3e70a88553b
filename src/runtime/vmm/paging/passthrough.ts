/**
 * Passthrough tables: what the hardware runs on while the guest's paging is off (shadow
 * strategy). Identity maps of the whole 32-bit physical space in monitor memory, built once:
 * - 32-bit format (guest CR4.PAE=0): one page directory of 1024 4 MiB pages (hardware CR4.PSE=1);
 * - PAE format (guest CR4.PAE=1): a PDPT and four directories of 2 MiB pages.
 * Every entry is present, writable, user, with A and D preset, so the hardware never faults and
 * never writes them. Guest RAM maps to itself; [ramSize, 4 GiB) maps to the unbacked range (reads
 * all ones, writes dropped — guest contract "Memory"); nothing maps monitor memory.
 *
 * The hardware runs them with CR0.PG=1 and WP=1 even when the guest has CR0.PE=0: "paged real
 * mode", which the emulated hardware supports as AMD SVM does (APM Vol. 2 §15.19).
 */
import type { PhysicalBus } from '../../machine/bus.ts';
import type { MonitorMemory } from './monitor-memory.ts';

const P = 1;
const W = 2;
const U = 4;
const A = 0x20;
const D = 0x40;
const PS = 0x80;
const LEAF = P | W | U | A | D | PS;

export type PassthroughFormat = '32-bit' | 'pae';

export class PassthroughTables {
  private root32: number | null = null;
  private rootPae: number | null = null;
  /** Monitor pages these tables occupy. */
  pages = 0;

  constructor(private readonly memory: PhysicalBus & MonitorMemory) {}

  /** Host-physical root for the format (CR3 value), building the tables on first use. */
  root(format: PassthroughFormat): number {
    return format === '32-bit' ? this.build32() : this.buildPae();
  }

  private alloc(): number {
    this.pages++;
    return this.memory.allocMonitorPage();
  }

  private build32(): number {
    if (this.root32 !== null) return this.root32;
    const pd = this.alloc();
    for (let i = 0; i < 1024; i++) this.memory.write32(pd + i * 4, ((i << 22) | LEAF) >>> 0);
    this.root32 = pd;
    return pd;
  }

  private buildPae(): number {
    if (this.rootPae !== null) return this.rootPae;
    const pdpt = this.alloc();
    for (let j = 0; j < 4; j++) {
      const pd = this.alloc();
      for (let i = 0; i < 512; i++) {
        const pa = j * 2 ** 30 + i * 2 ** 21;
        this.memory.write32(pd + i * 8, (pa | LEAF) >>> 0);
        this.memory.write32(pd + i * 8 + 4, 0);
      }
      // PDPTEs carry only P and the address (bits 2:1, 8:5 are reserved, R41).
      this.memory.write32(pdpt + j * 8, ((pd % 2 ** 32) | P) >>> 0);
      this.memory.write32(pdpt + j * 8 + 4, Math.floor(pd / 2 ** 32));
    }
    this.rootPae = pdpt;
    return pdpt;
  }
}

/**
 * PAE PDPTE load (cr-rules.md R16, R41, R55, R109): the four entries at CR3[31:5], checked for
 * reserved bits 2:1, 8:5 and 63:M of present entries (M = GUEST_MAXPHYADDR). Guest-physical is
 * host-physical for RAM (and past RAM reads all ones: present with reserved bits → #GP).
 */
import { GUEST_MAXPHYADDR, type PhysicalBus } from '../../machine/bus.ts';

const LO_RSVD = 0x1e6; // bits 8:5, 2:1
const HI_RSVD = (0xffff_ffff & ~((1 << (GUEST_MAXPHYADDR - 32)) - 1)) >>> 0; // bits 63:M

/** Read and check the PDPTEs into `out` (lo, hi pairs). Returns false if a present one is bad. */
export function readPdptes(bus: PhysicalBus, cr3: bigint, out: Uint32Array): boolean {
  const base = Number(cr3 & 0xffff_ffe0n);
  const tmp = new Uint32Array(8);
  for (let i = 0; i < 4; i++) {
    const lo = bus.read32(base + i * 8) >>> 0;
    const hi = bus.read32(base + i * 8 + 4) >>> 0;
    if ((lo & 1) !== 0 && ((lo & LO_RSVD) !== 0 || (hi & HI_RSVD) !== 0)) return false;
    tmp[i * 2] = lo;
    tmp[i * 2 + 1] = hi;
  }
  out.set(tmp);
  return true;
}

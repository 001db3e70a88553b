import { ControlHalves } from '../vmm/control-halves.ts';
import type { HardwareControl } from '../vmm/vcpu.ts';

/**
 * The hardware control registers (HardwareControl) as the CPU holds them: halves the exit path
 * compares and programs (Cpu.programControl), BigInts for everything else (ControlHalves).
 * Reset values: CR0 = 0x60000010 (CD, NW, ET), XCR0 = 1, the others 0.
 */
export class ControlRegs extends ControlHalves implements HardwareControl {
  /** Nested paging root (see HardwareControl.ncr3). */
  ncr3: bigint | null = null;

  constructor() {
    super({ cr0: 0x6000_0010n });
  }
}

import type { GuestControl } from '../vmm/paging.ts';
import type { Vcpu } from '../vmm/vcpu.ts';

const GPR_NAMES = ['RAX', 'RCX', 'RDX', 'RBX', 'RSP', 'RBP', 'RSI', 'RDI', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'];

const hex = (v: bigint, digits: number): string => BigInt.asUintN(64, v).toString(16).padStart(digits, '0');

/**
 * A human-readable dump of the CPU state at the end of a run: registers, the hardware control
 * registers, and (when the monitor keeps them) the guest's own control registers.
 */
export function describeVcpu(vcpu: Vcpu, guest?: GuestControl): string {
  const long = vcpu.mode === 'long64';
  const width = long ? 16 : 8;
  const count = long ? 16 : 8;
  const lines: string[] = [];
  lines.push(`  mode ${vcpu.mode}, CPL ${vcpu.cpl}, RIP ${hex(vcpu.rip, width)}, RFLAGS ${hex(BigInt(vcpu.rflags >>> 0), 8)}`);
  let row = '';
  for (let i = 0; i < count; i++) {
    const name = long ? GPR_NAMES[i]! : GPR_NAMES[i]!.replace('R', 'E');
    const value = long ? vcpu.readGpr(i) : vcpu.readGpr(i) & 0xffff_ffffn;
    row += `${name.padStart(3)} ${hex(value, width)}  `;
    if (i % 4 === 3) {
      lines.push(`  ${row.trimEnd()}`);
      row = '';
    }
  }
  const c = vcpu.control;
  if (guest !== undefined) {
    lines.push(
      `  guest:    CR0 ${hex(guest.cr0, 8)}  CR3 ${hex(guest.cr3, width)}  CR4 ${hex(guest.cr4, 8)}  EFER ${hex(guest.efer, 8)}`,
    );
  }
  lines.push(
    `  ${guest !== undefined ? 'hardware: ' : ''}CR0 ${hex(c.cr0, 8)}  CR2 ${hex(vcpu.cr2, width)}  CR3 ${hex(c.cr3, width)}  CR4 ${hex(c.cr4, 8)}  EFER ${hex(c.efer, 8)}`,
  );
  return lines.join('\n');
}

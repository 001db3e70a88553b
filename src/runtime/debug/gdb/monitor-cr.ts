/**
 * `monitor cr` (qRcmd): each control register as the guest sees it (the monitor's GuestState)
 * and as the hardware runs it (what the paging strategy and the rules programmed), with the
 * fields decoded by the accessors generated from spec/registers (decode()).
 */
import { Cr0, Cr2, Cr3Legacy, Cr3Long, Cr3LongPcid, Cr3Pae, Cr4, Cr8, Efer, Xcr0 } from '../../../generated/registers/index.ts';
import type { Cpu } from '../../cpu/cpu.ts';
import type { ControlView } from './guest-memory.ts';

type Guest = ControlView;

function cr3Decode(cr0: bigint, cr4: bigint, efer: bigint): (v: bigint) => string {
  if ((cr0 & 0x8000_0000n) === 0n || (cr4 & 0x20n) === 0n) return (v) => Cr3Legacy.decode(v);
  if ((efer & 0x400n) === 0n) return (v) => Cr3Pae.decode(v);
  return (cr4 & 0x2_0000n) !== 0n ? (v) => Cr3LongPcid.decode(v) : (v) => Cr3Long.decode(v);
}

function hex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

/** The `monitor cr` text: one line per register and view. */
export function controlRegisterReport(cpu: Cpu, guest: Guest | undefined): string {
  const hw = cpu.control;
  const g = guest ?? { cr0: hw.cr0, cr3: hw.cr3, cr4: hw.cr4, efer: hw.efer, cr8: hw.cr8, xcr0: hw.xcr0 };
  const rows: [string, bigint, bigint, (v: bigint) => string][] = [
    ['CR0', g.cr0, hw.cr0, (v) => Cr0.decode(v)],
    ['CR2', cpu.cr2, cpu.cr2, (v) => Cr2.decode(v)],
    ['CR3', g.cr3, hw.cr3, cr3Decode(g.cr0, g.cr4, g.efer)],
    ['CR4', g.cr4, hw.cr4, (v) => Cr4.decode(v)],
    ['CR8', g.cr8 ?? hw.cr8, hw.cr8, (v) => Cr8.decode(v)],
    ['EFER', g.efer, hw.efer, (v) => Efer.decode(v)],
    ['XCR0', g.xcr0 ?? hw.xcr0, hw.xcr0, (v) => Xcr0.decode(v)],
  ];
  const hwCr3 = cr3Decode(hw.cr0, hw.cr4, hw.efer);
  const lines = [`control registers (guest = what the guest reads, hardware = what the CPU runs with${guest === undefined ? '; no trap monitor: the same' : ''})`];
  for (const [name, gv, hv, decode] of rows) {
    lines.push(`${name.padEnd(5)}guest    ${hex(gv)}  ${decode(gv)}`);
    // The hardware CR3 under shadow/nested paging points into monitor memory, above the guest's
    // MAXPHYADDR: decoded with the guest's layout it would show as reserved bits.
    const hwText = name === 'CR3' ? (hv === gv ? hwCr3(hv) : `the monitor's root, host-physical 0x${(hv & ~0xfffn).toString(16)}`) : decode(hv);
    lines.push(`${''.padEnd(5)}hardware ${hex(hv)}  ${hwText}${gv === hv ? '' : '  (differs)'}`);
  }
  if (hw.ncr3 !== null) lines.push(`nCR3 hardware ${hex(hw.ncr3)}  (nested paging root)`);
  return `${lines.join('\n')}\n`;
}

/**
 * The exit tracer's view of the interpreter (ExitSiteProbe): the instruction count, CS:RIP and
 * disassembly of the exiting instruction, and the event the monitor queued.
 */
import { Cpu } from '../../cpu/cpu.ts';
import { fetch } from '../../cpu/run.ts';
import { csRip, disassemble } from '../../cpu/trace.ts';
import type { Vcpu } from '../../vmm/vcpu.ts';
import type { ExitSiteProbe } from './exit-tracer.ts';

function cpuOf(vcpu: Vcpu): Cpu {
  if (!(vcpu instanceof Cpu)) throw new Error('the exit trace needs the interpreter CPU');
  return vcpu;
}

/**
 * The exiting instruction's disassembly: it was fetched already, so this is the decode cache's
 * entry; `?` when it cannot be fetched (an exception exit on the fetch itself).
 */
function insnText(cpu: Cpu): string {
  try {
    return disassemble(fetch(cpu), cpu.bitness);
  } catch {
    return '?';
  }
}

export const cpuExitProbe: ExitSiteProbe = {
  count: (vcpu) => cpuOf(vcpu).stats.instructions,
  where: (vcpu) => csRip(cpuOf(vcpu)),
  insn: (vcpu) => insnText(cpuOf(vcpu)),
  pending: (vcpu) => cpuOf(vcpu).pending,
};

import type { PortIoBus } from '../machine/io-bus.ts';
import type { IoExit } from './exit.ts';
import type { ExitOutcome } from './monitor.ts';
import type { Vcpu } from './vcpu.ts';

const RESUME: ExitOutcome = { kind: 'resume' };
const RAX = 0;

/**
 * Complete an IN/OUT (register form) on behalf of the guest: forward it to the I/O bus, put an
 * IN's value in AL/AX/EAX, advance RIP, and stop the run if a device asked to (debug exit).
 */
export function handleIoExit(exit: IoExit, vcpu: Vcpu, io: PortIoBus): ExitOutcome {
  if (exit.direction === 'out') {
    const rax = vcpu.readGpr(RAX);
    const mask = exit.size === 1 ? 0xffn : exit.size === 2 ? 0xffffn : 0xffff_ffffn;
    io.out(exit.port, exit.size, Number(rax & mask));
  } else {
    const value = BigInt(io.in(exit.port, exit.size));
    if (exit.size === 1) {
      vcpu.writeGpr(RAX, (vcpu.readGpr(RAX) & ~0xffn) | value, 8);
    } else {
      vcpu.writeGpr(RAX, value, exit.size);
    }
  }
  vcpu.advanceRip(exit.insnLength);
  const stop = io.takeStop();
  return stop === null ? RESUME : { kind: 'stop', reason: stop };
}

/**
 * CLAC and STAC (SDM Vol. 2A/2B): clear or set EFLAGS.AC, which lets supervisor code reach user
 * pages while CR4.SMAP is on (SDM Vol. 3A §4.6). #UD at CPL > 0 (virtual-8086 mode runs at
 * CPL 3) and on a CPU without CPUID.(EAX=07H,ECX=0):EBX.SMAP[bit 20]; nothing else changes.
 * Linux patches them in (alternatives) when the CPU reports SMAP.
 */
import { Code } from 'iced-x86';
import { HAS_FEATURE } from '../../../generated/cpu-model.ts';
import type { Cpu } from '../cpu.ts';
import type { Handler } from '../decoded.ts';
import { GuestFault, Vec } from '../fault.ts';
import { Flag } from '../state.ts';

function checkSmapInsn(cpu: Cpu): void {
  if (!HAS_FEATURE.SMAP || cpu.cpl !== 0 || (cpu.flags & Flag.VM) !== 0) throw new GuestFault(Vec.UD);
}

export function clac(cpu: Cpu): void {
  checkSmapInsn(cpu);
  cpu.setFlags(cpu.getFlags() & ~Flag.AC);
}

export function stac(cpu: Cpu): void {
  checkSmapInsn(cpu);
  cpu.setFlags(cpu.getFlags() | Flag.AC);
}

export const SMAP_FLAG_ENTRIES: ReadonlyArray<readonly [Handler, readonly number[]]> = [
  [clac, [Code.Clac]],
  [stac, [Code.Stac]],
];

import type { StopReason } from '../vmm/monitor.ts';
import type { GuestControl } from '../vmm/paging.ts';
import type { Vcpu } from '../vmm/vcpu.ts';
import type { RunStats } from './machine.ts';
import { describeVcpu } from './vcpu-report.ts';

/**
 * Process exit statuses of `trapspec run` (guest contract, "Ending a run"). Debug-exit statuses
 * are always odd ((v << 1) | 1), so the statuses trapspec picks for itself are even.
 */
export const ExitStatus = {
  HALTED: 0,
  USAGE: 2,
  TRIPLE_FAULT: 4,
  MAX_INSNS: 6,
  MONITOR_ERROR: 8,
  /** A guest-requested reset (QEMU -no-reboot exits 0 there; trapspec says which it was). */
  RESET: 10,
  /** Ctrl-A X at the interactive console (QEMU exits 0). */
  CONSOLE_QUIT: 0,
} as const;

/** Width of the name column in --stats. */
const W = 32;

export function exitStatusFor(stop: StopReason): number {
  switch (stop.kind) {
    case 'debug-exit':
      return stop.status & 0xff;
    case 'halted':
    case 'idle':
      return ExitStatus.HALTED;
    case 'triple-fault':
      return ExitStatus.TRIPLE_FAULT;
    case 'max-insns':
      return ExitStatus.MAX_INSNS;
    case 'monitor-error':
    case 'debug':
      return ExitStatus.MONITOR_ERROR;
    case 'reset':
      return ExitStatus.RESET;
    case 'console-quit':
      return ExitStatus.CONSOLE_QUIT;
  }
}

/** The report on stderr when a run ends; empty for a debug exit (the guest chose to stop). */
export function formatStop(stop: StopReason, vcpu: Vcpu, instructions: number, guest?: GuestControl): string {
  switch (stop.kind) {
    case 'debug-exit':
      return '';
    case 'halted':
      return `trapspec: guest halted (HLT with nothing to wake it${stop.why !== undefined ? `: ${stop.why}` : ''}) after ${instructions} instructions\n`;
    case 'idle':
      return `trapspec: guest asleep in HLT after ${instructions} instructions\n`;
    case 'triple-fault':
      return `trapspec: triple fault after ${instructions} instructions\n${indent(stop.detail)}\n${describeVcpu(vcpu, guest)}\n`;
    case 'max-insns':
      return `trapspec: stopped at the instruction limit (--max-insns ${instructions})\n${describeVcpu(vcpu, guest)}\n`;
    case 'monitor-error':
      return `trapspec: monitor error after ${instructions} instructions: ${stop.detail}\n${describeVcpu(vcpu, guest)}\n`;
    case 'debug':
      return `trapspec: stopped by the debugger after ${instructions} instructions\n${describeVcpu(vcpu, guest)}\n`;
    case 'reset':
      return `trapspec: the guest reset the machine (${stop.source}) after ${instructions} instructions\n`;
    case 'console-quit':
      return `trapspec: quit from the console (Ctrl-A X) after ${instructions} instructions\n`;
  }
}

/** --stats: instructions, speed, exits by reason, #UD by mnemonic, unknown ports, extra counters. */
export function formatStats(stats: RunStats, paging: string): string {
  const lines: string[] = ['trapspec: run statistics'];
  const ips = stats.seconds > 0 ? Math.round(stats.instructions / stats.seconds) : 0;
  lines.push(`  ${'instructions'.padEnd(W)}${stats.instructions}`);
  lines.push(`  ${'time'.padEnd(W)}${stats.seconds.toFixed(3)} s (${ips} instructions/s)`);
  lines.push(`  ${'paging'.padEnd(W)}${paging}`);
  const exits = sorted(stats.exits);
  const totalExits = exits.reduce((n, [, c]) => n + c, 0);
  lines.push(`  ${'exits'.padEnd(W)}${totalExits}`);
  for (const [name, count] of exits) lines.push(`    ${name.padEnd(W - 2)}${count}`);
  const ud = sorted(stats.cpu.udByMnemonic);
  if (ud.length > 0) {
    lines.push(`  ${'#UD by mnemonic'.padEnd(W)}${ud.reduce((n, [, c]) => n + c, 0)}`);
    for (const [name, count] of ud) lines.push(`    ${name.padEnd(W - 2)}${count}`);
  }
  const ports = [...stats.unknownPorts.entries()].sort((a, b) => a[0] - b[0]);
  if (ports.length > 0) {
    lines.push(`  ${'unknown ports'.padEnd(W)}${ports.reduce((n, [, c]) => n + c, 0)}`);
    for (const [port, count] of ports) lines.push(`    0x${port.toString(16).padStart(4, '0').padEnd(W - 4)}${count}`);
  }
  const irq = [...stats.interrupts.entries()];
  if (irq.length > 0) {
    lines.push(`  ${'interrupts injected'.padEnd(W)}${irq.reduce((n, [, c]) => n + c, 0)}`);
    for (const [name, count] of irq) lines.push(`    ${name.padEnd(W - 2)}${count}`);
  }
  for (const [name, value] of Object.entries(stats.cpu.extra)) lines.push(`  ${name.padEnd(W)}${value}`);
  for (const [name, value] of Object.entries(stats.extra)) lines.push(`  ${name.padEnd(W)}${value}`);
  return `${lines.join('\n')}\n`;
}

function sorted<K>(map: ReadonlyMap<K, number>): [K, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

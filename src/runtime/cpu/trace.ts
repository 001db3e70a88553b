/**
 * --trace: one line per executed instruction, for diffing against another emulator:
 *   `CS:IP (linear) bytes  disassembly  ; changed registers`
 * Only used when cpu.trace is set; the normal loop never calls into this file.
 */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import { GuestFault } from './fault.ts';
import { Seg } from './state.ts';
import type { Cpu } from './cpu.ts';
import type { DecodedInsn } from './decoded.ts';

const NAMES64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const NAMES32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

let formatter: Formatter | null = null;

/** Disassembly of a decoded instruction (re-decoded from its bytes once, then cached). */
export function disassemble(insn: DecodedInsn, bitness: number): string {
  if (insn.text !== '') return insn.text;
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const bytes = new Uint8Array(insn.length);
  for (let i = 0; i < insn.length; i++) bytes[i] = parseInt(insn.bytes.slice(2 * i, 2 * i + 2), 16);
  const dec = new Decoder(bitness, bytes, DecoderOptions.None);
  const instr = dec.decode();
  insn.text = formatter.format(instr);
  instr.free();
  dec.free();
  return insn.text;
}

const before = { lo: new Uint32Array(16), hi: new Uint32Array(16), flags: 0, sel: new Uint16Array(6) };

function hex(v: number, w: number): string {
  return (v >>> 0).toString(16).padStart(w, '0');
}

function changes(cpu: Cpu): string {
  const out: string[] = [];
  const wide = cpu.mode64;
  for (let r = 0; r < (wide ? 16 : 8); r++) {
    if (cpu.lo[r] !== before.lo[r] || cpu.hi[r] !== before.hi[r]) {
      out.push(wide ? `${NAMES64[r]}=${hex(cpu.hi[r]!, 8)}${hex(cpu.lo[r]!, 8)}` : `${NAMES32[r]}=${hex(cpu.lo[r]!, 8)}`);
    }
  }
  if (cpu.flags !== before.flags) out.push(`eflags=${hex(cpu.flags, 8)}`);
  for (let s = 0; s < 6; s++) if (cpu.seg[s]!.selector !== before.sel[s]) out.push(`${SEGS[s]}=${hex(cpu.seg[s]!.selector, 4)}`);
  return out.join(' ');
}

function ipText(cpu: Cpu): string {
  if (cpu.mode64) return BigInt.asUintN(64, BigInt(cpu.ip)).toString(16).padStart(16, '0');
  const cs = cpu.seg[Seg.CS]!;
  const w = cpu.bitness === 16 ? 4 : 8;
  return `${hex(cs.selector, 4)}:${hex(cpu.ip, w)} (${hex((cs.base + cpu.ip) >>> 0, 8)})`;
}

/**
 * Fetch, execute and print one instruction, with the run loop's own fetch and execute (passed
 * in, so this file does not import the run loop that calls it). Faults propagate after the line
 * is printed.
 */
export function traceStep(
  cpu: Cpu,
  fetch: (cpu: Cpu) => DecodedInsn,
  execute: (cpu: Cpu, insn: DecodedInsn) => void,
): void {
  before.lo.set(cpu.lo);
  before.hi.set(cpu.hi);
  before.flags = cpu.flags;
  for (let s = 0; s < 6; s++) before.sel[s] = cpu.seg[s]!.selector;
  const where = ipText(cpu);
  const bitness = cpu.bitness;
  let insn: DecodedInsn;
  try {
    insn = fetch(cpu);
  } catch (e) {
    if (e instanceof GuestFault) cpu.trace!(`${where}  <fetch fault #${e.vector}>`);
    throw e;
  }
  const head = `${where}  ${insn.bytes.padEnd(20)} ${disassemble(insn, bitness).padEnd(36)}`;
  try {
    execute(cpu, insn);
  } catch (e) {
    if (e instanceof GuestFault) {
      cpu.trace!(`${head} ; fault #${e.vector}${e.errorCode !== undefined ? `(${hex(e.errorCode, 0)})` : ''}`);
    }
    throw e;
  }
  const changed = changes(cpu);
  cpu.trace!(changed === '' ? head.trimEnd() : `${head} ; ${changed}`);
}

/** CS:RIP of the current instruction: `0008:00100abc`, in 64-bit mode `0010:ffffffff81000000`. */
export function csRip(cpu: Cpu): string {
  const cs = cpu.seg[Seg.CS]!.selector;
  if (cpu.mode64) return `${hex(cs, 4)}:${BigInt.asUintN(64, BigInt(cpu.ip)).toString(16).padStart(16, '0')}`;
  return `${hex(cs, 4)}:${hex(cpu.ip, cpu.bitness === 16 ? 4 : 8)}`;
}
